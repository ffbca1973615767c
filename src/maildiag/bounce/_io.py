"""Batch input for support: ``.eml`` files, mbox files, Maildirs and directories of them."""

from __future__ import annotations

import dataclasses
import errno
import mailbox
import os
import stat
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from maildiag.bounce._parse import DEFAULT_MAX_BYTES

__all__ = ["TooLarge", "iter_messages", "read_stream"]


@dataclasses.dataclass(frozen=True, slots=True)
class TooLarge:
    """A message over ``max_bytes``, not read: its real size, or ``"over N"`` for a stream."""

    size: int | str


def iter_messages(
    paths: Iterable[str | os.PathLike[str]], *, max_bytes: int = DEFAULT_MAX_BYTES
) -> Iterator[tuple[str, bytes | OSError | TooLarge]]:
    """Yield ``(source, raw_message)`` for every message under ``paths``.

    A path may be a single message file (``.eml`` or any name), an mbox file (it starts
    with a ``From `` line), a Maildir (a folder with ``cur/`` and ``new/``), or a folder,
    walked recursively in name order. ``source`` names the file, or ``file:N`` for the
    N-th message (from 1) of an mbox.

    Nothing is skipped silently: a file that cannot be read is yielded with the
    ``OSError`` in place of its bytes, and so is anything that is not a regular file (a
    FIFO, a socket, a device: opening one could block forever), with the reason. Each file
    and folder is read once, however many symbolic links lead to it, so a symlink loop
    ends. Files larger than ``max_bytes`` are yielded cut to ``max_bytes + 1`` bytes, which
    :func:`parse_bounce` reports as ``too_large``. Hidden files (``.name``) are skipped,
    as mail tools do.
    """
    seen: set[tuple[int, int]] = set()
    for path in paths:
        yield from _one(Path(path), max_bytes, seen)


def _kind(mode: int) -> str | None:
    """What a non-regular, non-folder file is, for the row that says it was skipped."""
    for test, name in ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device")):
        if test(mode):
            return name
    return None if stat.S_ISREG(mode) or stat.S_ISDIR(mode) else "not a regular file"


def _one(path: Path, max_bytes: int, seen: set[tuple[int, int]]) -> Iterator[tuple[str, bytes | OSError | TooLarge]]:
    try:
        info = path.stat()  # follows a symbolic link to what it names
    except OSError as exc:
        yield str(path), exc
        return
    key = (info.st_dev, info.st_ino)
    if key in seen:
        return  # already read by another path or link: read each file and folder once
    seen.add(key)
    skipped = _kind(info.st_mode)
    if skipped is not None:
        yield str(path), OSError(errno.EINVAL, f"skipped: {skipped}, not a regular file")
        return
    if stat.S_ISDIR(info.st_mode):
        try:
            entries = sorted(path.iterdir())
        except OSError as exc:
            yield str(path), exc
            return
        if (path / "cur").is_dir() and (path / "new").is_dir():
            entries = [e for sub in ("new", "cur") for e in sorted((path / sub).iterdir())]
        for entry in entries:
            if not entry.name.startswith("."):
                yield from _one(entry, max_bytes, seen)
        return
    if _is_mbox(path):
        yield from _mbox(path, max_bytes)
        return
    yield _read(path, max_bytes)


def _read(path: Path, max_bytes: int) -> tuple[str, bytes | OSError | TooLarge]:
    try:
        # O_NONBLOCK: if the file was swapped for a FIFO since it was looked at, opening it
        # must not wait for a writer; fstat then tells what was really opened.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        return str(path), exc
    with os.fdopen(fd, "rb") as fh:
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                return str(path), OSError(errno.EINVAL, "skipped: not a regular file")
            if info.st_size > max_bytes:
                return str(path), TooLarge(info.st_size)  # the real size, without reading it
            data = fh.read(max_bytes + 1)
            return str(path), TooLarge(f"over {max_bytes}") if len(data) > max_bytes else data
        except OSError as exc:
            return str(path), exc


def _is_mbox(path: Path) -> bool:
    """Does the regular file at ``path`` start with an mbox ``From `` line?"""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return False
    with os.fdopen(fd, "rb") as fh:
        try:
            return stat.S_ISREG(os.fstat(fd).st_mode) and fh.read(5) == b"From "
        except OSError:
            return False


def _mbox(path: Path, max_bytes: int) -> Iterator[tuple[str, bytes | OSError | TooLarge]]:
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
            yield f"{path}:{index}", TooLarge(len(data)) if len(data) > max_bytes else data
    finally:
        box.close()


def read_stream(
    stream: BinaryIO, max_bytes: int, name: str = "stdin"
) -> Iterator[tuple[str, bytes | OSError | TooLarge]]:
    """Messages from a byte stream (``maildiag bounce -``): one message, or an mbox.

    An mbox (it starts with ``From ``) is spooled to a temporary file and read by the
    stdlib's :class:`mailbox.mbox`, as a file would be; one message is read up to
    ``max_bytes + 1`` bytes, and reported as ``over max_bytes`` beyond that.
    """
    head = stream.read(5)
    if head != b"From ":
        data = head + stream.read(max_bytes + 1 - len(head))
        yield name, TooLarge(f"over {max_bytes}") if len(data) > max_bytes else data
        return
    with tempfile.NamedTemporaryFile(prefix="maildiag-stdin-", suffix=".mbox") as spool:
        spool.write(head)
        while chunk := stream.read(1 << 20):
            spool.write(chunk)
        spool.flush()
        for source, message in _mbox(Path(spool.name), max_bytes):
            yield name + source[len(spool.name):], message
