"""Reading and writing a list: CSV, JSON Lines or plain lines, each optionally gzip-compressed.

Every input row becomes exactly one :class:`Row` and every row exactly one output record, in
input order: a blank line, a row without an address, a line that is not JSON or a CSV row the
csv module refuses is passed through (and counted), never dropped. That one-to-one rule is
what lets :mod:`.resume` find its place by counting output records.

Decisions (docs/bulk.md, "Files"):

- The format comes from the file name (``.csv``, ``.tsv``; ``.jsonl``, ``.ndjson``,
  ``.json``; anything else is plain lines), after a ``.gz`` suffix, which means gzip.
  Standard input is plain lines unless ``--input-format`` says otherwise.
- CSV input has a header. Its delimiter (comma, semicolon, tab) is sniffed from the header
  line, as European spreadsheet exports use semicolons; a UTF-8 byte order mark is dropped.
  The address column is ``--column``, else the first header named like an address column
  (``email``, ``e-mail``, ``email_address``, ``mail``, ``address``... in any case), else the
  only column.
- Output cells are plain text made safe for a spreadsheet (:func:`maildiag._safe_text.csv_cell`,
  also on the input's own cells: a customer-typed ``=HYPERLINK(...)`` must not run in the
  support desk's spreadsheet). JSON Lines output keeps every value exact.
- When the input already has a column named like one of maildiag's (``verdict``...), all of
  maildiag's columns of that row get a ``maildiag_`` prefix, so no input value is overwritten.
- Gzip output is written with no file name and a zero time stamp in its header, so the same
  input and options give the same bytes.
"""

from __future__ import annotations

import csv
import enum
import gzip
import io
import json
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from maildiag._lists.columns import COLUMNS
from maildiag._safe_text import csv_cell, terminal

__all__ = [
    "ADDRESS_HEADERS",
    "Format",
    "InputError",
    "Reader",
    "Row",
    "Writer",
    "format_of",
    "open_input",
    "prefixed",
]

#: Header names taken as the address column, in this order of preference (case and
#: surrounding spaces ignored).
ADDRESS_HEADERS = (
    "email", "e-mail", "email_address", "email address", "e-mail address", "emailaddress",
    "mail", "address", "customer_email", "customer email", "recipient", "to",
)

#: The csv module's per-field limit, raised from its 128 KiB default: a row this large is
#: still read in linear time (the module is C), while a runaway quote is bounded.
FIELD_LIMIT = 16 * 1024 * 1024

PREFIX = "maildiag_"


class Format(enum.StrEnum):
    CSV = "csv"
    JSONL = "jsonl"
    LINES = "lines"


class InputError(ValueError):
    """The input cannot be read as asked (no address column, JSON Lines into CSV...)."""


def named_format(path: str) -> tuple[Format | None, bool]:
    """The format a file name names, if any (``None`` for ``-`` or an unknown suffix), and gzip."""
    name = path.lower()
    gz = name.endswith(".gz")
    if gz:
        name = name[:-3]
    if path == "-":
        return None, False
    if name.endswith((".csv", ".tsv")):
        return Format.CSV, gz
    if name.endswith((".jsonl", ".ndjson", ".json")):
        return Format.JSONL, gz
    if name.endswith((".txt", ".lst", ".list")):
        return Format.LINES, gz
    return None, gz


def format_of(path: str) -> tuple[Format, bool]:
    """The format an input file's name implies (lines when it names none), and gzip."""
    fmt, gz = named_format(path)
    return fmt or Format.LINES, gz


@dataclass(slots=True)
class Row:
    """One input row: its number (1 = the first data row), its cells and its address.

    ``cells`` is the list of CSV cells, the JSON object, or the line's text. ``address`` is
    ``None`` when the row holds none (blank, missing column, not JSON); ``problem`` then says
    why when it is more than blank.
    """

    number: int
    cells: Any
    address: str | None
    problem: str = ""


def prefixed(names: Sequence[str] | Mapping[str, Any]) -> bool:
    """Whether maildiag's columns need the prefix next to these input names."""
    return any(c in names for c in COLUMNS)


class _Counting(io.RawIOBase):
    """A raw file that counts the bytes read from it (the progress bar's position)."""

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw
        self.position = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._raw.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self.position += n
        return n

    def close(self) -> None:
        self._raw.close()
        super().close()


@dataclass
class Source:
    """An opened input: its text lines, its format, and how far into the file reading is."""

    lines: IO[str]
    fmt: Format
    size: int | None
    counter: _Counting
    _closers: list[Any] = field(default_factory=list)

    @property
    def position(self) -> int:
        return self.counter.position

    def close(self) -> None:
        for item in reversed(self._closers):
            item.close()


def open_input(path: str, fmt: Format | None, stdin: IO[bytes]) -> Source:
    """Open ``path`` (``-`` is standard input) as text, decompressing ``.gz``."""
    if path == "-":
        raw: IO[bytes] = stdin
        given, gz, size = Format.LINES, False, None
    else:
        given, gz = format_of(path)
        raw = open(path, "rb")  # noqa: SIM115 - closed by Source.close
        size = os.fstat(raw.fileno()).st_size if os.path.isfile(path) else None
    counter = _Counting(raw)
    buffered: IO[bytes] | gzip.GzipFile = io.BufferedReader(counter, 1 << 16)
    closers: list[Any] = [buffered] if path != "-" else []
    if gz or _is_gzip(buffered):
        buffered = gzip.GzipFile(fileobj=buffered, mode="rb")
        closers.append(buffered)
    # utf-8-sig: a spreadsheet's byte order mark is not part of the first header name;
    # surrogateescape: a row in another encoding comes back out byte for byte.
    text = io.TextIOWrapper(buffered, encoding="utf-8-sig", errors="surrogateescape", newline="")
    closers.append(text)
    return Source(text, fmt or given, size, counter, closers)


def _is_gzip(stream: IO[bytes] | gzip.GzipFile) -> bool:
    peek = getattr(stream, "peek", None)
    return bool(peek is not None and peek(2)[:2] == b"\x1f\x8b")


# -- reading -------------------------------------------------------------------------------


class Reader:
    """The rows of one input, in order; ``header`` is the CSV header (``None`` otherwise)."""

    def __init__(self, source: Source, column: str | None) -> None:
        self.source = source
        self.fmt = source.fmt
        self.column = column
        self.header: list[str] | None = None
        self.dialect: type[csv.Dialect] = _Excel
        self._index = 0
        self._lines = iter(self.source.lines)
        if self.fmt is Format.CSV:
            self._start_csv()

    def _start_csv(self) -> None:
        first = next(self._lines, "")
        self.dialect = _dialect(first)
        self._rows = csv.reader(_chain(first, self._lines), self.dialect)
        try:
            header = next(self._rows, None)
        except csv.Error as error:
            raise InputError(f"the CSV header cannot be read: {error}") from None
        if not header:
            raise InputError("the CSV input is empty: it needs a header row naming the address column")
        self.header = header
        self._index = self._address_index(header)

    def _address_index(self, header: list[str]) -> int:
        folded = [h.strip().lower() for h in header]
        if self.column is not None:
            want = self.column.strip().lower()
            if want in folded:
                return folded.index(want)
            raise InputError(f"no column named {self.column!r}; the header has: {', '.join(map(repr, header))}")
        for name in ADDRESS_HEADERS:
            if name in folded:
                return folded.index(name)
        if len(header) == 1:
            return 0
        raise InputError(
            "no address column found; name it with --column (the header has: "
            + ", ".join(terminal(repr(h), keep_tab=False) for h in header) + ")"
        )

    def __iter__(self) -> Iterator[Row]:
        if self.fmt is Format.CSV:
            return self._csv()
        if self.fmt is Format.JSONL:
            return self._jsonl()
        return self._plain()

    def _csv(self) -> Iterator[Row]:
        number = 0
        while True:
            try:
                cells = next(self._rows)
            except StopIteration:
                return
            except csv.Error as error:
                # The csv module refuses this row (a field over the limit): it is
                # passed through empty and counted, and reading goes on with the next one.
                number += 1
                yield Row(number, [], None, f"unreadable CSV row: {error}")
                continue
            number += 1
            address = cells[self._index].strip() if len(cells) > self._index else ""
            yield Row(number, cells, address or None)

    def _jsonl(self) -> Iterator[Row]:
        for number, line in enumerate(self._lines, 1):
            text = line.rstrip("\r\n")
            if not text.strip():
                yield Row(number, {}, None)
                continue
            try:
                value = json.loads(text)
            except (ValueError, RecursionError):
                yield Row(number, {"input": text}, None, "not a JSON value")
                continue
            if not isinstance(value, dict):
                yield Row(number, {"input": value}, None, "not a JSON object")
                continue
            yield Row(number, value, self._json_address(value))

    def _json_address(self, value: dict[str, Any]) -> str | None:
        if self.column is not None:
            found = value.get(self.column)
        else:
            folded = {str(k).strip().lower(): v for k, v in value.items()}
            found = next((folded[name] for name in ADDRESS_HEADERS if name in folded), None)
        return found.strip() or None if isinstance(found, str) else None

    def _plain(self) -> Iterator[Row]:
        for number, line in enumerate(self._lines, 1):
            text = line.rstrip("\r\n")
            yield Row(number, text, text.strip() or None)


class _Excel(csv.excel):
    lineterminator = "\n"


def _dialect(header_line: str) -> type[csv.Dialect]:
    """Excel's CSV dialect with the header line's delimiter (only the delimiter is sniffed:
    the sniffer's guesses about quoting would change how cells are written back)."""
    try:
        delimiter = csv.Sniffer().sniff(header_line, delimiters=",;\t|").delimiter
    except csv.Error:
        delimiter = ","
    if delimiter == ",":
        return _Excel
    return type("_Sniffed", (_Excel,), {"delimiter": delimiter})


def _chain(first: str, rest: Iterator[str]) -> Iterator[str]:
    if first:
        yield first
    yield from rest


csv.field_size_limit(FIELD_LIMIT)


# -- writing -------------------------------------------------------------------------------


class Writer:
    """Output records for rows, one per row, as text (the caller writes and compresses it)."""

    def __init__(self, fmt: Format, reader: Reader) -> None:
        if fmt is Format.CSV and reader.fmt is Format.JSONL:
            raise InputError("JSON Lines input is written as JSON Lines (--format jsonl) or lines, not CSV")
        self.fmt = fmt
        self.reader = reader
        self.input_header = reader.header if reader.header is not None else ["email"]
        self._prefix = PREFIX if prefixed(self.input_header) else ""
        self.names = [self._prefix + c for c in COLUMNS]
        self._buffer = io.StringIO()
        self.dialect = reader.dialect if reader.fmt is Format.CSV else _Excel
        self._csv = csv.writer(self._buffer, self.dialect)

    def header(self) -> str:
        """The header record (CSV only; ``""`` for the other formats)."""
        if self.fmt is not Format.CSV:
            return ""
        return self._csv_line([*self.input_header, *self.names])

    def _csv_line(self, cells: Sequence[Any]) -> str:
        self._buffer.seek(0)
        self._buffer.truncate()
        self._csv.writerow([csv_cell(c) for c in cells])
        return self._buffer.getvalue()

    def record(self, row: Row, values: Mapping[str, Any]) -> str:
        """The output record of ``row`` with maildiag's column ``values``."""
        ours = [values[c] for c in COLUMNS]
        if self.fmt is Format.JSONL:
            return self._json(row, ours)
        if self.fmt is Format.LINES:
            first = row.cells if isinstance(row.cells, str) else (row.address or "")
            fields = [first, *ours]
            return "\t".join(terminal("" if v is None else str(v), keep_tab=False) for v in fields) + "\n"
        cells: list[Any] = [row.cells] if isinstance(row.cells, str) else list(row.cells or ())
        width = len(self.input_header)
        # A short row is padded so maildiag's columns stay under their header; a long row's
        # extra cells follow maildiag's columns (kept, never dropped).
        extra = cells[width:]
        cells = cells[:width] + [""] * (width - len(cells))
        return self._csv_line([*cells, *ours, *extra])

    def written_value(self, value: Any) -> Any:
        """One value as :func:`read_values` reads it back (see :meth:`written`)."""
        if value is None or self.fmt is Format.JSONL:
            return value
        if self.fmt is Format.LINES:
            return terminal(str(value), keep_tab=False) or None
        return str(csv_cell(value)) or None

    def written(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """``values`` as :func:`read_values` reads them back from this writer's output.

        Duplicates and the summary are counted on these, so that a resumed run, which
        counts the rows already written from the file, agrees with an uninterrupted one.
        """
        return {k: self.written_value(v) for k, v in values.items()}

    def _json(self, row: Row, ours: list[Any]) -> str:
        if isinstance(row.cells, dict):
            data: dict[str, Any] = dict(row.cells)
        elif isinstance(row.cells, str):
            data = {"email": row.cells}
        else:
            data = dict(zip(self.input_header, row.cells, strict=False))
            if len(row.cells) > len(self.input_header):
                data["extra_cells"] = list(row.cells[len(self.input_header):])  # kept, never dropped
        prefix = PREFIX if prefixed(data) else ""
        for name, value in zip(COLUMNS, ours, strict=True):
            data[prefix + name] = value
        text = json.dumps(data, ensure_ascii=False)
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            text = json.dumps(data)  # lone surrogates (undecodable input bytes): escaped
        return text + "\n"


def read_values(fmt: Format, record: Any, width: int) -> dict[str, Any]:
    """maildiag's column values back from one written record, as :meth:`Writer.written` gives them.

    ``record`` is a CSV record (a list; maildiag's columns start at ``width``, the input
    header's width), a parsed JSON object, or a plain line's tab-separated fields.
    """
    if fmt is Format.JSONL:
        prefix = PREFIX if (PREFIX + "verdict") in record else ""
        return {c: record.get(prefix + c) for c in COLUMNS}
    start = 1 if fmt is Format.LINES else width
    return {c: (record[start + i] if start + i < len(record) else "") or None for i, c in enumerate(COLUMNS)}
