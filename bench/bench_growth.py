"""Growth table: how the bounce parser and the address repair scale with hostile input (issue 9.1).

    python bench/bench_growth.py [--sizes 0.25,0.5,1,2,4]

For each adversarial shape of tests/hostile_shapes.py, prints the fastest of three runs at
each size (MB for bounces; x 50,000 characters for the repair steps) and the ratio of the
largest to the smallest. Linear code gives a ratio close to the size ratio (16 for 0.25 ->
4); quadratic code gives its square. tests/test_growth.py holds the 1 -> 4 ratio to <= 6.
"""

from __future__ import annotations

import argparse
import functools
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repository: tests.hostile_shapes

from tests.hostile_shapes import BOUNCE_SHAPES, TEXT_SHAPES, best_time

from maildiag import Options
from maildiag.bounce import parse_bounce
from maildiag.syntax import REPAIR_STEPS


def _repair_all(text: str, options: Options) -> list[object]:
    """Every repair step on ``text`` (what the growth of each is measured on)."""
    return [step.apply(text, options) for step in REPAIR_STEPS]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="0.25,0.5,1,2,4", help="comma-separated sizes")
    args = parser.parse_args()
    sizes = [float(s) for s in args.sizes.split(",")]
    options = Options()
    print("| shape | " + " | ".join(f"{s:g}" for s in sizes) + " | ratio |")
    print("| --- |" + " ---: |" * (len(sizes) + 1))
    for name, build in BOUNCE_SHAPES.items():
        times = []
        for size in sizes:
            data = build(int(size * (1 << 20)))
            times.append(best_time(functools.partial(parse_bounce, data, max_bytes=64 << 20)))
        cells = " | ".join(f"{t * 1000:.0f} ms" for t in times)
        print(f"| bounce: {name} (MB) | {cells} | {times[-1] / times[0]:.1f} |")
    for name, make in TEXT_SHAPES.items():
        times = []
        for size in sizes:
            text = make(int(size * 50_000))
            times.append(best_time(functools.partial(_repair_all, text, options)))
        cells = " | ".join(f"{t * 1000:.1f} ms" for t in times)
        print(f"| repair: {name} (x50k chars) | {cells} | {times[-1] / times[0]:.1f} |")


if __name__ == "__main__":
    main()
