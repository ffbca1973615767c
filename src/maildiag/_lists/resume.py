"""Where an interrupted output file stops, and how writing goes on from there.

An output is a header (CSV) and then exactly one record per input row, in input order
(:mod:`.formats`). After ``kill -9``, a power cut or Ctrl-C, its end may be any byte: the
middle of a record, a CSV record cut inside a quoted field that holds a line break, zeros
written by a file system that extended the file before the data reached the disk, or a gzip
stream without its end. :func:`recover` reads the file from the start and keeps the longest
prefix of whole records: each ends with a line break, has no run of zero bytes, and parses (a JSON object;
a CSV record, read by the csv module itself, so quoting is judged as when it was written).
Everything after is cut off, and the run goes on from the next input row. Nothing is lost
(a cut row is written again), duplicated or reordered.

The header must be the one this run would write: a different one means a different input or
different options, and appending would mix two tables (an :class:`~.formats.InputError`).

A gzip output cannot be cut at a byte: the kept text is compressed again into a new file
that replaces the old one (write, then rename), and writing continues in that stream, so
the finished file is one gzip member, byte for byte the one an uninterrupted run writes.
"""

from __future__ import annotations

import csv
import gzip
import json
import os
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from maildiag._lists.formats import Format, InputError

__all__ = ["Output", "Recovered", "open_output", "recover"]

_CHUNK = 1 << 16

#: A run of zero bytes this long ends what is kept: a file system that extended the file
#: before its data reached the disk (a power cut) leaves blocks of zeros, and those never
#: end in a line break of their own but may precede one written later. A row whose cells
#: hold such a run itself is written again on each resume: slower, never wrong.
_ZEROS = b"\x00" * 8


@dataclass
class Recovered:
    """What an earlier run left: whole records kept, and where they end."""

    rows: int  # data records (the header not counted)
    end: int  # bytes of text kept (the uncompressed text for gzip)
    has_header: bool


def _plain_chunks(path: str) -> Iterator[bytes]:
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            yield chunk


def _gzip_chunks(path: str) -> Iterator[bytes]:
    """The text of a gzip file, as far as it can be read (a cut stream ends early, no error)."""
    decompressor = zlib.decompressobj(wbits=31)
    for chunk in _plain_chunks(path):
        data = chunk
        while data:
            try:
                out = decompressor.decompress(data)
            except zlib.error:
                return  # garbage after the last good block: what came before is kept
            if out:
                yield out
            if decompressor.eof:  # one member ended; another may follow
                data = decompressor.unused_data
                decompressor = zlib.decompressobj(wbits=31)
            else:
                data = b""


def _lines(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """Whole lines (ending in ``\\n``); a last line without one is not yielded."""
    rest = b""
    for chunk in chunks:
        rest += chunk
        start = 0
        while (nl := rest.find(b"\n", start)) >= 0:
            yield rest[start : nl + 1]
            start = nl + 1
        rest = rest[start:]


def recover(
    path: str,
    fmt: Format,
    gz: bool,
    header: str,
    on_record: Callable[[Any, int], None],
    dialect: Any = csv.excel,
) -> Recovered:
    """Scan ``path`` and keep its whole records; ``on_record(record, end)`` gets each one.

    ``record`` is a CSV record (a list of cells), a JSON object, or a line's tab-separated
    fields; ``end`` is where it ends (bytes of text from the start). ``header`` is the CSV
    header this run writes (``""`` for the other formats).
    """
    lines = _lines(_gzip_chunks(path) if gz else _plain_chunks(path))
    kept = 0
    rows = 0
    has_header = False
    pending: list[bytes] = []  # the lines of a CSV record not yet complete

    def records() -> Iterator[str]:
        # Feeds the csv module one line at a time: it asks for the next line only while a
        # quoted field is open, so each record it returns ends where the last line ends.
        for line in lines:
            if _ZEROS in line:
                return
            pending.append(line)
            yield line.decode("utf-8", "surrogateescape")

    if fmt is Format.CSV:
        reader = csv.reader(records(), dialect, strict=True)
        expected = next(csv.reader([header], dialect)) if header else None
        while True:
            try:
                record = next(reader)
            except (StopIteration, csv.Error):
                break
            size = sum(map(len, pending))
            pending.clear()
            if not has_header:
                if record != expected:
                    raise InputError(
                        "the output file's header is not the one this run writes: a different input or "
                        "other options? (resume only a file this same command wrote; move it away to start over)"
                    )
                has_header = True
                kept += size
            else:
                kept += size
                on_record(record, kept)
                rows += 1
        # A record the csv module could not finish (cut inside quotes) is not counted: kept
        # stops before its first line.
        return Recovered(rows, kept, has_header)
    for line in records():
        size = sum(map(len, pending))
        pending.clear()
        text = line.rstrip("\n")
        if fmt is Format.JSONL:
            try:
                value = json.loads(text)
            except ValueError:
                break
            if not isinstance(value, dict):
                break
            item: Any = value
        else:
            item = text.split("\t")
        kept += size
        on_record(item, kept)
        rows += 1
    return Recovered(rows, kept, True)


class Output:
    """The output stream: text in, bytes out (UTF-8; undecodable input bytes as they came)."""

    def __init__(self, stream: IO[bytes] | gzip.GzipFile, closers: list[Any], fsync_fd: int | None) -> None:
        self._stream = stream
        self._closers = closers
        self._fd = fsync_fd

    def write(self, text: str) -> None:
        self._stream.write(text.encode("utf-8", "surrogateescape"))

    def flush(self) -> None:
        """Everything written so far to the operating system (and, for a file, to the disk)."""
        # Plain files only: a gzip stream is never flushed in the middle, because a flush
        # point changes the compressed bytes (the output must be the same bytes every run);
        # a kill loses at most what the compressor holds, which a resume writes again.
        if self._fd is not None:
            self._stream.flush()
            os.fsync(self._fd)

    def close(self) -> None:
        for item in self._closers:
            item.close()


def _gzip_writer(raw: IO[bytes]) -> gzip.GzipFile:
    # No file name and time stamp 0 in the header (RFC 1952 section 2.3): the same rows give
    # the same bytes, whatever the file is called and whenever it is written.
    return gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0)


def open_output(path: str, gz: bool, keep: Recovered | None, stdout: IO[bytes]) -> Output:
    """Open the output for writing: new, or continued after ``keep`` (see :func:`recover`)."""
    if path == "-":
        if gz:
            return Output(_gzip_writer(stdout), [], None)
        return Output(stdout, [], None)
    if not gz:
        raw = open(path, "r+b" if keep is not None else "wb")  # noqa: SIM115 - closed by Output
        if keep is not None:
            raw.truncate(keep.end)
            raw.seek(keep.end)
        return Output(raw, [raw], raw.fileno())
    if keep is None:
        raw = open(path, "wb")  # noqa: SIM115
        writer = _gzip_writer(raw)
        return Output(writer, [writer, raw], None)
    # Compress the kept text again into a new file, then put it in the old one's place.
    tmp = f"{path}.resume-tmp"
    raw = open(tmp, "wb")  # noqa: SIM115
    writer = _gzip_writer(raw)
    left = keep.end
    for chunk in _gzip_chunks(path):
        if left <= 0:
            break
        piece = chunk[:left]
        writer.write(piece)
        left -= len(piece)
    raw.flush()
    os.replace(tmp, path)
    return Output(writer, [writer, raw], None)
