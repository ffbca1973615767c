"""The progress bar of a long run: tqdm on a terminal, nothing on a pipe or a file.

The bar's position is the bytes of the input read so far (of the compressed file, for
gzip), so its ETA needs no first pass to count rows; the rows done and rows per second are
shown beside it. It is drawn on standard error, only when that is a terminal, and updated
a few times a second at most, so it costs the run nothing measurable.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any, TextIO

__all__ = ["Progress"]

_EVERY = 0.2  # seconds between redraws


def _size(stream: TextIO) -> tuple[int, int]:
    # The terminal's own size; one that reports none (0 x 0: a bare pty, some CI consoles)
    # gets 80 x 24, where tqdm would otherwise draw nothing at all.
    try:
        size = os.get_terminal_size(stream.fileno())
    except (OSError, ValueError, AttributeError):
        return 80, 24
    return size.columns or 80, size.lines or 24


class Progress:
    """Rows done, drawn as a bar when ``stream`` is a terminal (``enabled``)."""

    def __init__(self, stream: TextIO, total: int | None, position: Callable[[], int] | None, enabled: bool,
                 unit: str = "rows") -> None:
        self._position = position
        self._bar: Any = None
        self._unit = unit
        self._started = time.monotonic()
        self._next = 0.0
        self.rows = 0
        self._first_rows = 0
        if enabled:
            from tqdm import tqdm

            columns, lines = _size(stream)
            # With a position (bytes of the input), the bar measures bytes, which gives an ETA;
            # without one (messages of folders: no total known), it counts units.
            self._bar = tqdm(total=total if position is not None else None,
                             unit="B" if position is not None else unit, unit_scale=position is not None,
                             file=stream, ncols=columns, nrows=lines, leave=False, mininterval=_EVERY)

    def skip(self, rows: int) -> None:
        """Rows done by an earlier run (resume): counted, but not in the rate."""
        self.rows += rows
        self._first_rows = self.rows

    def step(self, rows: int = 1) -> None:
        self.rows += rows
        if self._bar is None:
            return
        now = time.monotonic()
        if now < self._next:
            return
        self._next = now + _EVERY
        rate = (self.rows - self._first_rows) / max(now - self._started, 1e-9)
        self._bar.n = self._position() if self._position is not None else self.rows
        self._bar.set_postfix_str(f"{self.rows:,} {self._unit}, {rate:,.0f} {self._unit}/s", refresh=False)
        self._bar.refresh()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
