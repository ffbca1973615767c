"""Batch input for support: ``.eml`` files, mbox files, Maildirs and directories of them."""

from __future__ import annotations

import mailbox
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from maildiag.bounce._parse import DEFAULT_MAX_BYTES

__all__ = ["iter_messages"]


def iter_messages(
    paths: Iterable[str | os.PathLike[str]], *, max_bytes: int = DEFAULT_MAX_BYTES
) -> Iterator[tuple[str, bytes | OSError]]:
    """Yield ``(source, raw_message)`` for every message under ``paths``.

    A path may be a single message file (``.eml`` or any name), an mbox file (it starts
    with a ``From `` line), a Maildir (a folder with ``cur/`` and ``new/``), or a folder,
    walked recursively in name order. ``source`` names the file, or ``file:N`` for the
    N-th message (from 1) of an mbox.

    Nothing is skipped silently: a file that cannot be read is yielded with the
    ``OSError`` in place of its bytes. Files larger than ``max_bytes`` are yielded cut to
    ``max_bytes + 1`` bytes, which :func:`parse_bounce` reports as ``too_large``.
    Hidden files (``.name``) are skipped, as mail tools do.
    """
    for path in paths:
        yield from _one(Path(path), max_bytes)


def _one(path: Path, max_bytes: int) -> Iterator[tuple[str, bytes | OSError]]:
    if path.is_dir():
        if (path / "cur").is_dir() and (path / "new").is_dir():
            for sub in ("new", "cur"):
                for entry in sorted((path / sub).iterdir()):
                    if entry.is_file() and not entry.name.startswith("."):
                        yield _read(entry, max_bytes)
            return
        for entry in sorted(path.iterdir()):
            if entry.name.startswith("."):
                continue
            yield from _one(entry, max_bytes)
        return
    if _is_mbox(path):
        yield from _mbox(path, max_bytes)
        return
    yield _read(path, max_bytes)


def _read(path: Path, max_bytes: int) -> tuple[str, bytes | OSError]:
    try:
        with path.open("rb") as fh:
            return str(path), fh.read(max_bytes + 1)
    except OSError as exc:
        return str(path), exc


def _is_mbox(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            head = fh.read(5)
    except OSError:
        return False
    return head == b"From "


def _mbox(path: Path, max_bytes: int) -> Iterator[tuple[str, bytes | OSError]]:
    try:
        box = mailbox.mbox(path, create=False)
        keys = list(box.keys())
    except (OSError, mailbox.Error) as exc:
        yield str(path), exc if isinstance(exc, OSError) else OSError(str(exc))
        return
    try:
        for index, key in enumerate(keys, start=1):
            try:
                data = box.get_bytes(key)
            except (OSError, mailbox.Error, KeyError) as exc:
                yield f"{path}:{index}", OSError(str(exc))
                continue
            yield f"{path}:{index}", data[: max_bytes + 1]
    finally:
        box.close()
