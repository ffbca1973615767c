"""Batch input for support: ``.eml`` files, mbox files, Maildirs, folders and standard input."""

from __future__ import annotations

import dataclasses
import errno
import mailbox
import os
import stat
import tempfile
from collections.abc import Iterable, Iterator
from typing import BinaryIO

from maildiag.bounce._parse import DEFAULT_MAX_BYTES

__all__ = ["NotRegularFile", "TooLarge", "iter_messages", "list_paths", "read_path", "read_stream"]

Item = tuple[str, "bytes | OSError | TooLarge"]


@dataclasses.dataclass(frozen=True, slots=True)
class TooLarge:
    """A message over ``max_bytes``, not read: its real size, or ``"over N"`` for a stream."""

    size: int | str


class NotRegularFile(OSError):
    """A FIFO, socket or device met in a folder: skipped, never opened for reading.

    An :class:`OSError` (``EINVAL``) so that a caller treating every error alike still sees
    it; ``maildiag bounce`` shows it as a row and does not count it as a failed read.
    """


#: Opening never waits: O_NONBLOCK makes a FIFO put in a file's place answer at once
#: (POSIX open(2): "O_RDONLY ... shall return without delay"); reading a regular file is
#: unaffected. O_NOCTTY: a terminal device never becomes our controlling terminal.
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)


def iter_messages(
    paths: Iterable[str | os.PathLike[str]],
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    stdin: BinaryIO | None = None,
) -> Iterator[tuple[str, bytes | OSError | TooLarge]]:
    """Yield ``(source, raw_message)`` for every message under ``paths``, in order.

    A path may be a single message file (``.eml`` or any name), an mbox file (it starts
    with a ``From `` line), a Maildir (a folder with ``cur/`` and ``new/``: ``new`` then
    ``cur``), or a folder, walked in name order at any depth. ``source`` names the file, or
    ``file:N`` for the N-th message (from 1) of an mbox. With ``stdin`` given, the path
    ``-`` reads it (:func:`read_stream`).

    Nothing is skipped silently: a path that cannot be read (missing, refused) is yielded
    with its ``OSError`` in place of bytes, and anything that is not a regular file (a
    FIFO, a socket, a device: opening one could block forever) with a
    :class:`NotRegularFile` saying what it is; a FIFO or character device named in ``paths``
    itself (``<(zcat x.gz)``, ``/dev/stdin``) is read as a stream, as ``-`` is. Each file
    and folder is read once, however many paths or symbolic links lead to it (identified
    by device and inode), so a symlink loop ends. A message over ``max_bytes`` is not
    read: :class:`TooLarge` carries its size. Hidden entries of a folder (``.name``,
    Maildir's ``tmp``) are skipped, as mail tools do. Memory stays bounded by ``max_bytes``
    per message (plus, for an mbox, the stdlib's table of message offsets).
    """
    seen: set[tuple[int, int]] = set()
    for path in paths:
        if stdin is not None and os.fspath(path) == "-":
            yield from read_stream(stdin, max_bytes)
        else:
            yield from _walk(os.fspath(path), max_bytes, seen)


def _walk(top: str, max_bytes: int, seen: set[tuple[int, int]]) -> Iterator[Item]:
    for path, what in _listing(top, seen):
        yield from read_path(path, what, max_bytes)


#: What the listing found at a path: a regular file to read, a stream named by the caller,
#: or why nothing will be read there.
Found = tuple[str, "str | OSError"]


def list_paths(paths: Iterable[str | os.PathLike[str]]) -> Iterator[Found]:
    """What :func:`iter_messages` would read, without reading it: ``(path, what)``, in order.

    ``what`` is ``"file"`` (a regular file: one message or an mbox), ``"stream"`` (a FIFO or
    device named in ``paths`` itself), or the :class:`OSError` that will be its row. Folders
    are walked as :func:`iter_messages` walks them (name order, hidden entries skipped, a
    Maildir's ``new`` then ``cur``, each file once): :mod:`maildiag.dask` spreads the files
    of one big folder over its workers with it, in ``maildiag bounce``'s order.
    """
    seen: set[tuple[int, int]] = set()
    for path in paths:
        yield from _listing(os.fspath(path), seen)


def read_path(path: str, what: str | OSError, max_bytes: int = DEFAULT_MAX_BYTES) -> Iterator[Item]:
    """The messages of one :func:`list_paths` entry, as :func:`iter_messages` yields them."""
    if isinstance(what, OSError):
        yield path, what
    elif what == "stream":
        yield from _named_stream(path, max_bytes)
    else:
        yield from _file(path, max_bytes)


def _listing(top: str, seen: set[tuple[int, int]]) -> Iterator[Found]:
    # An explicit stack, not recursion: a folder tree deeper than Python's recursion limit
    # is walked like any other, and each item costs the same whatever its depth.
    stack = [top]
    named = True  # the first item is the path the caller named; the rest were met in folders
    while stack:
        path = stack.pop()
        try:
            info = os.stat(path)  # follows a symbolic link to what it names
        except (OSError, ValueError) as exc:  # ValueError: a NUL in a name given by API
            yield path, exc if isinstance(exc, OSError) else OSError(errno.EINVAL, str(exc))
            continue
        key = (info.st_dev, info.st_ino)
        if key in seen:
            continue  # already read by another path or link: each file and folder once
        seen.add(key)
        was_named, named = named, False
        if stat.S_ISDIR(info.st_mode):
            try:
                children = _children(path)
            except OSError as exc:
                yield path, exc
                continue
            stack.extend(reversed(children))  # popped in name order
        elif stat.S_ISREG(info.st_mode):
            yield path, "file"
        elif was_named and (stat.S_ISFIFO(info.st_mode) or stat.S_ISCHR(info.st_mode)):
            # Named by the caller, not met in a folder: read as a stream, as `cat` would
            # (`maildiag bounce <(zcat bounce.eml.gz)`, /dev/stdin). A folder's FIFO is
            # never opened; this one is, because it was asked for.
            yield path, "stream"
        else:
            yield path, _not_regular(info.st_mode)


def _named_stream(path: str, max_bytes: int) -> Iterator[Item]:
    try:
        fh = open(path, "rb")  # noqa: SIM115 - the with below closes it
    except OSError as exc:
        yield path, exc
        return
    with fh:
        yield from read_stream(fh, max_bytes, path)


def _children(folder: str) -> list[str]:
    """The entries of ``folder`` to read, in order; a Maildir's are its ``new`` and ``cur``."""
    if os.path.isdir(os.path.join(folder, "cur")) and os.path.isdir(os.path.join(folder, "new")):
        # Maildir: the two folders are walked as folders (their own errors are their own
        # rows); tmp holds deliveries in progress (the Maildir spec), never read.
        return [os.path.join(folder, "new"), os.path.join(folder, "cur")]
    with os.scandir(folder) as entries:
        names = sorted(e.name for e in entries if not e.name.startswith("."))
    return [os.path.join(folder, name) for name in names]


def _not_regular(mode: int) -> NotRegularFile:
    kind = "not a regular file"
    for test, name in ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device")):
        if test(mode):
            kind = name
    return NotRegularFile(errno.EINVAL, f"skipped: {kind}, not a regular file")


def _file(path: str, max_bytes: int) -> Iterator[Item]:
    """One regular file: a message or an mbox, read through the one descriptor checked."""
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as exc:
        yield path, exc
        return
    with os.fdopen(fd, "rb") as fh:
        try:
            # The path was a regular file when looked at; it may have been swapped since
            # (for a FIFO, say). fstat tells what was really opened, and from here on only
            # this descriptor is used, never the name.
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                yield path, _not_regular(info.st_mode)
                return
            head = fh.read(5)
        except OSError as exc:
            yield path, exc
            return
        if head == b"From ":
            yield from _mbox(fh, path, path, max_bytes)
            return
        if info.st_size > max_bytes:
            yield path, TooLarge(info.st_size)  # the real size, without reading the file
            return
        try:
            data = head + _read_at_most(fh, max_bytes + 1 - len(head))
        except OSError as exc:
            yield path, exc
            return
        # A file that grew after fstat: its size is not known, only that it is too large.
        yield path, TooLarge(f"over {max_bytes}") if len(data) > max_bytes else data


def _mbox(fh: BinaryIO, path: str, source: str, max_bytes: int) -> Iterator[Item]:
    """The messages of the mbox open as ``fh``, split by the stdlib's :class:`mailbox.mbox`.

    mailbox.mbox takes a name, not a file: it is given ``/dev/fd/N``, which opens the very
    file behind ``fh`` (already checked to be a regular file), not whatever ``path`` names
    by now. The stdlib splits at every line that starts with ``From `` and nowhere else, so
    a body line written by an mbox writer as ``>From `` (mboxo and mboxrd quoting, RFC 4155)
    stays in its message.
    """
    fd_path = f"/dev/fd/{fh.fileno()}"
    try:
        box = mailbox.mbox(fd_path if os.path.exists(fd_path) else path, create=False)
    except (OSError, mailbox.Error) as exc:
        yield source, exc if isinstance(exc, OSError) else OSError(errno.EINVAL, str(exc))
        return
    try:
        try:
            keys = box.keys()  # one pass over the file: a list of (start, stop) offsets
        except OSError as exc:
            yield source, exc
            return
        for index, key in enumerate(keys, start=1):
            name = f"{source}:{index}"
            try:
                # get_file, not get_bytes: a message is read no further than max_bytes + 1,
                # and one over that is never held in memory; its size is where it ends.
                # Not closed: the stdlib's part file shares (and would close) the box's file.
                part = box.get_file(key)
                part.seek(0, os.SEEK_END)
                size = part.tell()
                found: bytes | OSError | TooLarge = TooLarge(size)
                if size <= max_bytes:
                    part.seek(0)
                    found = part.read(max_bytes + 1)
            except (OSError, mailbox.Error, KeyError, ValueError) as exc:
                found = exc if isinstance(exc, OSError) else OSError(errno.EINVAL, str(exc))
            yield name, found
    finally:
        box.close()


def _read_at_most(fh: BinaryIO, limit: int) -> bytes:
    """Up to ``limit`` bytes, read in chunks: ``read(limit)`` would first allocate ``limit``
    bytes, a MemoryError for ``--max-bytes 100000000000000`` on a one-kilobyte message."""
    chunks: list[bytes] = []
    while limit > 0 and (chunk := fh.read(min(limit, 1 << 20))):
        chunks.append(chunk)
        limit -= len(chunk)
    return b"".join(chunks)


def read_stream(
    stream: BinaryIO, max_bytes: int = DEFAULT_MAX_BYTES, name: str = "stdin"
) -> Iterator[tuple[str, bytes | OSError | TooLarge]]:
    """Messages from a byte stream (``maildiag bounce -``): one message, or an mbox.

    An mbox (it starts with ``From ``) is spooled to a temporary file and read by the
    stdlib's :class:`mailbox.mbox`, as a file would be; one message is read up to
    ``max_bytes + 1`` bytes, and reported as ``over max_bytes`` beyond that (a stream has
    no size to tell).
    """
    try:
        head = stream.read(5)
        if head != b"From ":
            data = head + _read_at_most(stream, max_bytes + 1 - len(head))
            yield name, TooLarge(f"over {max_bytes}") if len(data) > max_bytes else data
            return
        with tempfile.TemporaryFile(prefix="maildiag-stdin-", suffix=".mbox") as spool:
            spool.write(head)
            while chunk := stream.read(1 << 20):
                spool.write(chunk)
            spool.flush()
            # No name on Linux (O_TMPFILE): read through /dev/fd, as every file is.
            spool_name = spool.name if isinstance(spool.name, str) else name
            yield from _mbox(spool, spool_name, name, max_bytes)
    except OSError as exc:
        yield name, exc
