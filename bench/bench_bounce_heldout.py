"""Bounce recipients on a corpus maildiag was NOT developed on: flufl.bounce's own test data.

    pip download --no-binary :all: --no-deps flufl.bounce==6.0.0 -d /tmp/fb
    tar xzf /tmp/fb/flufl_bounce-6.0.0.tar.gz -C /tmp/fb
    python bench/bench_bounce_heldout.py /tmp/fb/flufl_bounce-6.0.0

The sdist (Apache-2.0) ships 117 messages under ``tests/data`` and their expected addresses
in the ``DETECTORS`` table of ``tests/test_detectors.py``: ``(detector, file, [addresses],
is_temporary)``. A file's expected set is the union of the addresses its rows list (a row
with no address only says that one detector finds nothing). Files whose rows list no address
at all are left out: the table does not say what they are.

This is flufl.bounce's own test corpus, so its row is an upper bound for flufl.bounce, not a
fair comparison; the point is maildiag's figure on messages nobody tuned it for. Nothing is
downloaded by this script, and none of the data is kept in this repository.
"""

from __future__ import annotations

import ast
import email
import email.policy
import sys
from pathlib import Path

from flufl.bounce import all_failures

from maildiag.bounce import parse_bounce


def expectations(sdist: Path) -> dict[str, set[str]]:
    """File name -> expected addresses, read from the DETECTORS table without importing it."""
    tree = ast.parse((sdist / "tests" / "test_detectors.py").read_text())
    table = next(
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "DETECTORS" for t in node.targets)
    )
    found: dict[str, set[str]] = {}
    for row in ast.literal_eval(table):
        _detector, name, addresses, _temporary = row
        found.setdefault(name, set()).update(a.decode().lower() for a in addresses)
    return {name: addrs for name, addrs in found.items() if addrs}


def maildiag_recipients(raw: bytes) -> set[str]:
    report = parse_bounce(raw)
    found: set[str] = set()
    for r in report.failures:
        found.add(r.recipient.lower())
        if r.original_recipient:
            found.add(r.original_recipient.lower())  # the table lists the address the sender used
    return found


def flufl_recipients(raw: bytes) -> set[str]:
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    temporary, permanent = all_failures(msg)
    return {
        (a.decode("utf-8", "replace") if isinstance(a, bytes) else str(a)).lower() for a in (*temporary, *permanent)
    }


def score(expected: dict[str, set[str]], data: dict[str, bytes], fn: object) -> tuple[float, float, int, list[str]]:
    tp = fp = fn_ = 0
    nothing = 0
    misses: list[str] = []
    for name, want in expected.items():
        got = fn(data[name])  # type: ignore[operator]
        if not got:
            nothing += 1
        tp += len(got & want)
        fp += len(got - want)
        fn_ += len(want - got)
        if got != want:
            misses.append(f"{name}: expected {sorted(want)}, got {sorted(got)}")
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn_) if tp + fn_ else 1.0
    return precision, recall, nothing, misses


def main() -> int:
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    sdist = Path(sys.argv[1])
    expected = expectations(sdist)
    data = {name: (sdist / "tests" / "data" / name).read_bytes() for name in expected}
    print(f"Held-out corpus: flufl.bounce 6.0.0 tests/data, {len(expected)} messages with expected addresses\n")
    print("| parser | recipients precision | recipients recall | found nothing |")
    print("| --- | --- | --- | --- |")
    results = {"maildiag.bounce": score(expected, data, maildiag_recipients),
               "flufl.bounce 6.0.0 (its own tests)": score(expected, data, flufl_recipients)}
    for name, (p, r, nothing, _) in results.items():
        print(f"| {name} | {p:.3f} | {r:.3f} | {nothing} of {len(expected)} |")
    if "--details" in sys.argv:
        print("\nmaildiag misses:")
        for line in results["maildiag.bounce"][3]:
            print(" ", line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
