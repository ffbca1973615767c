"""Hostile input costs time in proportion to its size (issue 9.1), measured as a ratio.

A 4x larger input of each adversarial shape must cost at most about 5x the smaller one: a
quadratic step costs 16x. Each size is timed a few times in CPU time of this process with
the garbage collector off, and the least is kept (tests/hostile_shapes.py best_time), so
other work on the machine does not reach the figure, and the bound leaves room for what
noise is left. A ratio, unlike a time, does not depend on how fast the machine is.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from tests.hostile_shapes import BOUNCE_SHAPES, TEXT_SHAPES, best_time

from maildiag import Options
from maildiag.bounce import parse_bounce
from maildiag.syntax import REPAIR_STEPS

MB = 1 << 20
#: A linear step gives ~4; quadratic gives ~16. 6 leaves room for a noisy shared machine.
MAX_RATIO = 6.0


def _ratio(small: Callable[[], object], large: Callable[[], object]) -> float:
    small()  # warm caches (regex compilation, lazy imports) before timing anything
    # A floor of 1 ms keeps a cheap shape's ratio from being dominated by timer noise.
    return best_time(large) / max(best_time(small), 1e-3)


@pytest.mark.parametrize("shape", BOUNCE_SHAPES)
def test_bounce_parser_is_linear_in_its_input(shape: str) -> None:
    build = BOUNCE_SHAPES[shape]
    small, large = build(MB), build(4 * MB)
    ratio = _ratio(lambda: parse_bounce(small, max_bytes=8 * MB), lambda: parse_bounce(large, max_bytes=8 * MB))
    assert ratio <= MAX_RATIO, f"{shape}: 4 MB costs {ratio:.1f}x 1 MB"


@pytest.mark.parametrize("shape", TEXT_SHAPES)
def test_every_repair_step_is_linear_in_its_input(shape: str) -> None:
    # diagnose() refuses input over syntax.MAX_INPUT_LENGTH (1,000 characters) before any
    # repair, which bounds the cost in practice; each step is still held to linear time so
    # that the bound is not the only thing standing between a form field and a stall.
    options = Options()
    small, large = TEXT_SHAPES[shape](50_000), TEXT_SHAPES[shape](200_000)

    def run(text: str) -> None:
        for step in REPAIR_STEPS:
            step.apply(text, options)

    ratio = _ratio(lambda: run(small), lambda: run(large))
    assert ratio <= MAX_RATIO, f"{shape}: 4x the text costs {ratio:.1f}x"

