"""``maildiag bulk``: a list in (CSV, JSON Lines, lines), the same list out with maildiag's columns.

Every input row gives one output row, in input order; the run can be interrupted in any way
and continued with ``--resume`` (:mod:`.resume`); a progress bar shows on a terminal and a
summary ends the run on standard error (and as JSON with ``--summary-json``).

Exit status: 0 the run finished (the verdicts are in the output), 2 usage error or an input
or output that cannot be used, 130 interrupted (the output holds whole rows; ``--resume``
continues it).
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import os
import sys
import time
from typing import Any, BinaryIO, TextIO

from maildiag._lists import formats, resume
from maildiag._lists.columns import Duplicates, columns, empty
from maildiag._lists.progress import Progress
from maildiag._lists.summary import Summary

__all__ = ["register", "run"]

EXIT_OK, EXIT_USAGE, EXIT_INTERRUPTED = 0, 2, 130

#: A plain output file is flushed to the disk this often (seconds): a power cut loses at
#: most this much work, which ``--resume`` does again.
SYNC_EVERY = 2.0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``bulk`` subcommand to a ``maildiag`` argument parser."""
    p = subparsers.add_parser(
        "bulk",
        help="diagnose a list (CSV, JSON Lines, lines; gzip): the same rows out, with maildiag's columns",
        description="Diagnose every address of a list. The output has every input column, in input "
        "order, then: verdict, suggestion, codes, blame, provider, message, canonical (a mailbox key: "
        "equal keys are the same mailbox) and duplicate_of (the row number of the first row with the "
        "same mailbox). Rows are numbered from 1, the header not counted. Blank rows and rows without "
        "an address are passed through and counted as skipped.",
        epilog="Formats come from the file names (.csv/.tsv, .jsonl/.ndjson/.json, anything else is "
        "one address per line; .gz is gzip); standard input is lines unless --input-format says "
        "otherwise. --resume continues an interrupted output file (kill, power cut, Ctrl-C) from "
        "where it stops, with no row lost, repeated or reordered. The output has no timestamps: the "
        "same input and options give the same bytes. Exit status: 0 finished, 2 usage or unusable "
        "input/output, 130 interrupted (rows written are whole; --resume continues).",
    )
    p.add_argument("input", metavar="IN", help="the list; - reads standard input")
    p.add_argument("-o", "--output", default="-", metavar="OUT", help="where to write (default: standard output)")
    p.add_argument("--column", metavar="NAME", help="the address column (default: found by name, e.g. email)")
    p.add_argument("--format", choices=[f.value for f in formats.Format],
                   help="output format (default: from OUT's name, else the input's)")
    p.add_argument("--input-format", choices=[f.value for f in formats.Format],
                   help="input format (default: from IN's name; lines for standard input)")
    p.add_argument("--resume", action="store_true", help="continue OUT where an interrupted run left it")
    p.add_argument("--offline", action="store_true", help="no DNS: syntax, typos and flags only")
    p.add_argument("--nameserver", metavar="HOST[:PORT]", help="ask this DNS server (an IP address)")
    p.add_argument("--deadline", type=float, default=3.0, help="seconds for DNS per address (default 3)")
    p.add_argument("--concurrency", type=int, metavar="N", help="addresses diagnosed at once (default 32)")
    p.add_argument("--locale", default="en", help="language of the message column: en, he (default en)")
    p.add_argument("--allow-private", action="store_true", help="count loopback/private MX addresses as usable")
    p.add_argument("--summary-json", metavar="FILE", help="also write the summary as JSON to FILE")
    p.add_argument("--quiet", action="store_true", help="no progress bar and no summary on standard error")
    p.set_defaults(handler=run)


def _options(args: argparse.Namespace) -> Any:
    from maildiag.cli import _options_from  # the same flags as maildiag check, read one way

    if args.concurrency is not None and args.concurrency < 1:
        raise ValueError("--concurrency must be a positive integer")
    try:
        return _options_from(args)
    except TypeError as error:
        raise ValueError(str(error)) from error


def _usage(message: str) -> int:
    from maildiag._safe_text import terminal

    sys.stderr.write(f"maildiag bulk: error: {terminal(message, keep_tab=False)}\n")
    return EXIT_USAGE


def run(args: argparse.Namespace, out: TextIO | None = None, stdin: TextIO | BinaryIO | None = None) -> int:
    """Run ``maildiag bulk`` with parsed ``args``; returns the exit status."""
    try:
        options = _options(args)
    except ValueError as error:
        return _usage(str(error))
    if args.resume and args.output == "-":
        return _usage("--resume needs an output file (-o OUT): standard output cannot be continued")
    in_stream = _binary(stdin if stdin is not None else sys.stdin)
    out_stream = _binary(out if out is not None else sys.stdout)
    if args.summary_json:
        try:  # before any work: a summary that cannot be written is a usage error now, not later
            open(args.summary_json, "a").close()
        except OSError as error:
            return _usage(f"{args.summary_json}: {error.strerror or error}")
    given = formats.Format(args.input_format) if args.input_format else None
    try:
        source = formats.open_input(args.input, given, in_stream)
    except OSError as error:
        return _usage(f"cannot read {args.input}: {error.strerror or error}")
    try:
        return _run(args, options, source, out_stream)
    except formats.InputError as error:
        return _usage(str(error))
    except (OSError, EOFError) as error:  # a cut gzip input, a full disk, an output not writable
        where = getattr(error, "filename", None)
        what = getattr(error, "strerror", None) or str(error)
        return _usage(f"{where}: {what}" if where else what)
    finally:
        source.close()


def _binary(stream: Any) -> BinaryIO:
    buffer = getattr(stream, "buffer", None)
    return buffer if buffer is not None else stream  # type: ignore[no-any-return]


def _run(args: argparse.Namespace, options: Any, source: formats.Source, out_stream: BinaryIO) -> int:
    from maildiag.bulk import DEFAULT_CONCURRENCY, diagnose_many

    reader = formats.Reader(source, args.column)
    named, gz = formats.named_format(args.output)
    out_fmt = formats.Format(args.format) if args.format else named or reader.fmt
    writer = formats.Writer(out_fmt, reader)
    summary = Summary()
    duplicates = Duplicates()
    width = len(writer.input_header)

    def replay(record: Any, end: int) -> None:
        # A row written by the earlier run: counted, and its mailbox remembered, as if now.
        values = formats.read_values(out_fmt, record, width)
        duplicates.seen(values.get("canonical"), summary.rows + 1)
        summary.add(values)

    keep: resume.Recovered | None = None
    if args.resume and os.path.exists(args.output):
        keep = resume.recover(args.output, out_fmt, gz, writer.header(), replay, writer.dialect)
    output = resume.open_output(args.output, gz, keep, out_stream)
    progress = Progress(sys.stderr, source.size, lambda: source.position,
                        enabled=not args.quiet and sys.stderr.isatty())
    interrupted = False
    try:
        if keep is None or not keep.has_header:
            output.write(writer.header())
        rows = iter(reader)
        done = keep.rows if keep is not None else 0
        for _ in range(done):
            if next(rows, None) is None:
                raise formats.InputError(
                    f"the output already has {done} rows, more than the input: not the same input?")
        progress.skip(done)
        pending: collections.deque[formats.Row] = collections.deque()

        def addresses() -> Any:
            for row in rows:
                pending.append(row)
                # A row without an address is still one item, so results stay in step with
                # rows; its (instant, offline) diagnosis of "" is not used.
                yield row.address or ""

        concurrency = args.concurrency or DEFAULT_CONCURRENCY
        results = diagnose_many(addresses(), options=options, concurrency=concurrency,
                                reader_thread=args.input == "-")
        synced = time.monotonic()
        with contextlib.closing(results):
            for d in results:
                row = pending.popleft()
                values = columns(d, args.locale, options) if row.address else empty(row.problem)
                # What the summary and the duplicates count, as they read back from the file
                # (only the key can differ: verdicts and codes never need escaping).
                key = writer.written_value(values["canonical"])
                first = duplicates.seen(key, row.number)
                values["duplicate_of"] = first
                shown = {"verdict": values["verdict"], "codes": values["codes"], "canonical": key,
                         "duplicate_of": first}
                output.write(writer.record(row, values))
                summary.add(shown)
                progress.step()
                if time.monotonic() - synced > SYNC_EVERY:
                    output.flush()
                    synced = time.monotonic()
    except KeyboardInterrupt:
        interrupted = True
    finally:
        progress.close()
        output.close()
    if not args.quiet:
        if interrupted:
            sys.stderr.write(f"maildiag bulk: interrupted after {summary.rows} rows; "
                             "run the same command with --resume to continue\n")
        summary.write(sys.stderr)
    if args.summary_json and not interrupted:
        with open(args.summary_json, "w", encoding="utf-8") as f:  # OSError: reported by run()
            f.write(summary.to_json())
    return EXIT_INTERRUPTED if interrupted else EXIT_OK
