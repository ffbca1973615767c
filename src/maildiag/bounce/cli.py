"""The ``maildiag bounce`` subcommand: one row per failed recipient, for support staff.

Exit codes: 0 when no failure was found, 1 when at least one failed recipient was found,
else 2 when a path could not be read (every path still gets its rows). A FIFO, socket or
device met in a folder is a row saying it was skipped, not a failed read.
"""

from __future__ import annotations

import argparse
import csv
import errno
import functools
import io
import json
import os
import sys
from collections.abc import Iterator
from typing import Any, BinaryIO, TextIO, cast

from maildiag._lists.formats import Format, InputError, named_format
from maildiag._lists.progress import Progress
from maildiag._lists.resume import Recovered, open_output, recover
from maildiag._lists.summary import BounceSummary
from maildiag._safe_text import csv_cell, terminal
from maildiag.bounce._io import NotRegularFile, TooLarge, iter_messages
from maildiag.bounce._model import BounceKind, BounceReport
from maildiag.bounce._parse import DEFAULT_MAX_BYTES, _too_large, parse_bounce
from maildiag.messages import render

__all__ = ["register", "run"]

_COLUMNS = ("source", "kind", "recipient", "original_recipient", "reason", "hard", "permanent",
            "status", "reply_code", "blame", "actor", "suggestion", "message", "diagnostic",
            # what support asks for next (issue 10.4)
            "remote_mta", "smtp_command", "date", "original_from", "original_subject", "original_message_id")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``bounce`` subcommand to a ``maildiag`` argument parser."""
    parser = subparsers.add_parser(
        "bounce",
        help="diagnose bounce messages (.eml, mbox, Maildir, folders)",
        description="Read bounce messages and print one row per failed recipient, with the "
        "reason and the message to send the customer. Non-bounces, auto-replies, complaints "
        "and unreadable messages get one row each, saying so.",
        epilog="Every path gets its rows: a missing or unreadable one is a row saying why, and the "
        "others are still read. Human output shows control characters escaped; CSV cells that "
        "would start a spreadsheet formula (= + - @, tab, CR) get a leading '; --json keeps the "
        "data exact. Exit status: 0 no failed recipient, 1 a failed recipient found (even if "
        "some path could not be read: its row says so), else 2 when a path could not be read "
        "(missing, refused; a FIFO or device skipped in a folder is not counted).",
    )
    parser.add_argument("paths", nargs="+", metavar="PATH",
                        help=".eml file, mbox, Maildir or folder; - reads one message or an mbox from stdin. "
                        "Only regular files of a folder are read, each once; anything else there gets a "
                        "row saying why. A pipe named here (<(zcat x.gz), /dev/stdin) is read like -")
    fmt = parser.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="one JSON object per message (JSON Lines)")
    fmt.add_argument("--csv", action="store_true", help="CSV with a header row")
    parser.add_argument("--locale", default="en", help="language of the customer message (en, he)")
    parser.add_argument("--max-bytes", type=_positive_int, default=DEFAULT_MAX_BYTES, metavar="N",
                        help="skip messages larger than N bytes (default 10 MiB), reporting each "
                        "with its size as too large")
    parser.add_argument("--doctor", action="store_true",
                        help="when a bounce blames the sender (authentication, blocklisting, reputation, "
                        "spam), check each sending domain once with maildiag doctor (uses DNS) and print its "
                        "report after the rows (--json: a {\"kind\": \"doctor\", \"report\": ...} line; --csv: on "
                        "standard error)")
    parser.add_argument("--nameserver", metavar="HOST[:PORT]", type=_nameserver,
                        help="with --doctor: ask this DNS server (an IP address)")
    files = parser.add_argument_group("writing to a file (folders of any size)")
    files.add_argument("-o", "--output", metavar="OUT",
                       help="write the rows to OUT (.csv is CSV, .jsonl/.json JSON Lines, .gz compressed) with a "
                       "progress bar on a terminal and a summary by reason on standard error")
    files.add_argument("--resume", action="store_true",
                       help="continue OUT where an interrupted run left it (CSV or JSON Lines): every message "
                       "once, in order; the last message's rows are written again if they were cut")
    files.add_argument("--summary-json", metavar="FILE", help="also write the summary by reason as JSON to FILE")
    files.add_argument("--quiet", action="store_true", help="no progress bar and no summary")
    parser.set_defaults(handler=run)


def _nameserver(text: str) -> str:
    """``--nameserver``: an IP address and maybe a port (argparse reports anything else)."""
    from maildiag.cli import _resolver_for

    try:
        _resolver_for(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"not HOST[:PORT] with an IP address: {text} ({error})") from None
    return text


def _positive_int(text: str) -> int:
    """``--max-bytes``: a whole number of bytes, at least 1 (argparse reports anything else)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number of bytes: {text}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {text}")
    return value


def run(args: argparse.Namespace, out: TextIO | None = None, stdin: TextIO | BinaryIO | None = None) -> int:
    """Run the subcommand with parsed ``args``; returns the exit code.

    ``out`` defaults to standard output. ``-`` among the paths reads one message or an mbox
    from ``stdin`` (its binary buffer; standard input by default).

    Every path gets its rows: a missing or unreadable one is a row saying so, and the others
    are still read. Exit status: 1 when a failed recipient was found, else 2 when a path
    could not be read (so a script notices a typo in a file name), else 0.
    """
    plan = _file_plan(args)
    if args.summary_json and not isinstance(plan, str):
        try:  # before any work: a summary that cannot be written is a usage error now
            open(args.summary_json, "a").close()
        except OSError as error:
            plan = f"{args.summary_json}: {error.strerror or error}"
    if isinstance(plan, str):
        sys.stderr.write(f"maildiag bounce: error: {terminal(plan, keep_tab=False)}\n")
        return 2
    output = None
    summary = BounceSummary()
    skip = 0
    if plan is not None:
        fmt, gz = plan
        args.csv, args.json = fmt is Format.CSV, fmt is Format.JSONL
        keep = None
        if args.resume and os.path.exists(args.output):
            try:
                keep, skip = _recover(args.output, fmt, gz, summary)
            except InputError as error:
                sys.stderr.write(f"maildiag bounce: error: {terminal(str(error), keep_tab=False)}\n")
                return 2
        try:
            output = open_output(args.output, gz, keep, _binary(sys.stdout))
        except OSError as error:
            sys.stderr.write(f"maildiag bounce: error: {terminal(f'{args.output}: {error.strerror or error}')}\n")
            return 2
        out = cast("TextIO", output)
        if keep is None or not keep.has_header:
            _start(args, out)
    else:
        out = out if out is not None else sys.stdout
        _start(args, out)
    shown = plan is not None and not args.quiet
    progress = Progress(sys.stderr, None, None, enabled=shown and sys.stderr.isatty(), unit="messages")
    progress.skip(skip)
    try:
        status = _write_rows(args, out, stdin, skip, summary, progress)
    finally:
        progress.close()
        if output is not None:
            output.close()
    if shown:
        summary.write(sys.stderr)
    if args.summary_json:
        with open(args.summary_json, "w", encoding="utf-8") as f:
            f.write(summary.to_json())
    return status


def _start(args: argparse.Namespace, out: TextIO) -> None:
    if args.csv:
        csv.writer(out).writerow(_COLUMNS)


def _file_plan(args: argparse.Namespace) -> tuple[Format, bool] | None | str:
    """The output file's format and gzip, ``None`` for standard output, or a usage error."""
    if not args.output:
        if args.resume:
            return "--resume needs an output file (-o OUT)"
        return None
    named, gz = named_format(args.output)
    fmt = Format.CSV if args.csv else Format.JSONL if args.json else named
    if fmt is None or fmt is Format.LINES:
        if args.resume:
            return "--resume needs CSV or JSON Lines output (OUT.csv, OUT.jsonl, or --csv / --json)"
        fmt = Format.LINES
    if args.resume and args.doctor:
        return "--resume and --doctor do not mix: run --doctor on its own after the rows are written"
    return fmt, gz


def _recover(path: str, fmt: Format, gz: bool, summary: BounceSummary) -> tuple[Recovered, int]:
    """What an interrupted run wrote: messages whole, and the place after the last whole one.

    A message is all the rows with one ``source`` in a row (one JSON line per message). The
    last message in the file may have lost rows, so its rows are cut off and it is read again.
    """
    groups: list[tuple[str, int, int]] = []  # (source, start, end) of each message's rows
    rows: dict[str, list[Any]] = {}

    def on_record(record: Any, end: int) -> None:
        # one JSON line per message; CSV rows grouped by their source
        key = f"{len(groups)}" if isinstance(record, dict) else str(record[0] if record else "")
        if not groups or groups[-1][0] != key:
            groups.append((key, groups[-1][2] if groups else 0, end))
            rows[key] = []
        else:
            groups[-1] = (key, groups[-1][1], end)
        rows[key].append(record)

    header = _csv_header() if fmt is Format.CSV else ""
    found = recover(path, fmt, gz, header, on_record)
    if fmt is Format.CSV and groups:
        groups.pop()  # may be cut: read again
    for key, _, _ in groups:
        _count(summary, rows[key])
    end = groups[-1][2] if groups else (len(header.encode()) if found.has_header else 0)
    return Recovered(rows=len(groups), end=end, has_header=found.has_header), len(groups)


def _csv_header() -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow(_COLUMNS)
    return buffer.getvalue()


def _count(summary: BounceSummary, records: list[Any]) -> None:
    """One message's written rows (CSV records or a JSON report) into the summary."""
    if records and isinstance(records[0], dict):
        report = records[0]
        summary.add_message(str(report.get("kind", "")), [
            (str(r.get("reason", "")), bool(r.get("hard"))) for r in report.get("recipients", ())
        ])
        return
    index = {name: i for i, name in enumerate(_COLUMNS)}
    kind = records[0][index["kind"]] if records else ""
    summary.add_message(kind, [
        (row[index["reason"]], row[index["hard"]] == "hard") for row in records if row[index["recipient"]]
    ])


def _write_rows(args: argparse.Namespace, out: TextIO, stdin: TextIO | BinaryIO | None, skip: int,
                summary: BounceSummary, progress: Progress) -> int:
    failures = 0
    unreadable = 0
    writer = csv.writer(out) if args.csv else None
    stream = _binary(stdin or sys.stdin) if "-" in args.paths else None
    messages = iter_messages(args.paths, max_bytes=args.max_bytes, stdin=stream)
    senders: dict[str, None] = {}  # sending domains a bounce blames, for --doctor, in order
    for number, (source, data) in enumerate(messages):
        if number < skip:
            continue  # written by the run this one resumes
        report = _report(source, data, args.max_bytes)
        senders.update(dict.fromkeys(
            str(f.params["domain"]) for f in report.findings if f.code == "doctor.bounce.run_doctor"
        ))
        failures += len(report.failures)
        unreadable += isinstance(data, OSError) and not isinstance(data, NotRegularFile)
        if args.json:
            data_out = _json(report, args.locale)
            out.write(_json_line(data_out))
            _count(summary, [data_out])
        else:
            rows = list(_rows(report, args.locale))
            cells = [_csv_cells(row) for row in rows]
            for row, row_cells in zip(rows, cells, strict=True):
                if writer is not None:
                    writer.writerow(row_cells)
                else:
                    out.write(_human_line(row) + "\n")
            _count(summary, [[str(c) for c in row_cells] for row_cells in cells])
        progress.step()
    if args.doctor and senders:
        _doctor(list(senders), args, out)
    # Resumed: the messages written before count too (the summary read them back).
    return 1 if failures or summary.failures else 2 if unreadable else 0


def _doctor(domains: list[str], args: argparse.Namespace, out: TextIO) -> None:
    """``--doctor``: each sending domain the bounces blame, checked once (issue 15.8)."""
    import maildiag
    from maildiag._doctor import DoctorReport, doctor
    from maildiag._doctor.cli import _human
    from maildiag.cli import _escaped, _resolver_for

    options = maildiag.Options(resolver=_resolver_for(args.nameserver) if args.nameserver else None,
                               deadline=10.0)
    for domain in domains:
        report = doctor(domain, options=options)
        if args.json:
            out.write(_json_line({"kind": "doctor", "report": report.to_dict()}))
            continue
        text = _human(DoctorReport.from_dict(_escaped(report.to_dict())), args.locale)
        (sys.stderr if args.csv else out).write(f"\nmaildiag doctor {text}")


class _ClosedStdin(io.RawIOBase):
    """Standard input when the shell closed it (``maildiag bounce - <&-``): a row says so."""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        raise OSError(errno.EBADF, "standard input is closed")


def _binary(stream: TextIO | BinaryIO | None) -> BinaryIO:
    """The bytes behind ``stream``: standard input's buffer, or a text stream encoded back."""
    if stream is None:
        return _ClosedStdin()  # type: ignore[return-value]
    if isinstance(stream, io.TextIOBase):
        buffer = getattr(stream, "buffer", None)
        if buffer is not None:
            return buffer  # type: ignore[no-any-return]
        # A text stream with no bytes behind it (a caller's StringIO): its text as UTF-8,
        # undecodable bytes (surrogate escapes) as they were.
        return io.BytesIO(stream.read().encode("utf-8", "surrogateescape"))
    return stream  # type: ignore[return-value]


def _json_line(data: dict[str, Any]) -> str:
    """One JSON Lines row: the data exact, and valid UTF-8 whatever a file name holds.

    A file name's undecodable bytes arrive as lone surrogates (PEP 383), which UTF-8 cannot
    carry: the row is then written with ``\\udcXX`` escapes, which JSON readers decode back to
    the same string (and ``os.fsencode`` to the same bytes).
    """
    text = json.dumps(data, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(data)
    return text + "\n"


def _csv_cells(row: dict[str, Any]) -> list[Any]:
    """The cells of one CSV row, in :data:`_COLUMNS` order, safe for a spreadsheet.

    OWASP's CSV-injection rule (:func:`maildiag._safe_text.csv_cell`): a cell starting
    ``= + - @``, tab or CR is not a formula. Lone surrogates (a file name's undecodable
    bytes, PEP 383) are written as ``\\udcXX`` text: one such byte in a UTF-8 file would
    make a spreadsheet misread the encoding of every other cell (Hebrew messages included).
    """
    return [csv_cell(_utf8(row[c])) for c in _COLUMNS]


def _utf8(value: Any) -> Any:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return value.encode("utf-8", "backslashreplace").decode("utf-8")
    return value


#: One value, one field of a tab-separated line: tabs are escaped too.
_shown = functools.partial(terminal, keep_tab=False)


def _human_line(row: dict[str, Any]) -> str:
    """One line of human output: every value escaped for the terminal.

    The message is rendered from escaped values, not escaped after rendering: a Hebrew
    template carries a deliberate U+200E mark.
    """
    shown = {k: _shown(str(v)) for k, v in row.items()}
    shown["message"] = row["_message_terminal"]
    return _text_line(shown)


def _report(source: str, data: bytes | OSError | TooLarge, max_bytes: int) -> BounceReport:
    if isinstance(data, TooLarge):
        return _too_large(data.size, max_bytes, source)
    if isinstance(data, OSError):
        from maildiag import catalog

        reason = data.strerror or str(data)
        detail = reason if isinstance(data, NotRegularFile) else f"unreadable: {reason}"
        finding = catalog.make("bounce.malformed", {"detail": detail})
        return BounceReport(kind=BounceKind.MALFORMED, findings=(finding,), source=source)
    return parse_bounce(data, max_bytes=max_bytes, source=source)


def _rows(report: BounceReport, locale: str) -> Iterator[dict[str, Any]]:
    base = dict.fromkeys(_COLUMNS, "")
    base.update(source=report.source or "", kind=report.kind.value, _message_terminal="",
                date=report.date or "", original_from=report.original_from or "",
                original_subject=report.original_subject or "",
                original_message_id=report.original_message_id or "")
    if not report.recipients:
        row = dict(base)
        if report.findings:
            f = report.findings[0]
            row.update(reason=f.code.removeprefix("bounce."), message=f.message(locale),
                       _message_terminal=render(f.code, f.params, locale, escape=_shown))
        yield row
        return
    for r in report.recipients:
        d = r.diagnosis
        yield {
            **base,
            "recipient": r.recipient,
            "original_recipient": r.original_recipient or "",
            "reason": r.reason,
            "hard": ("hard" if r.hard else "soft") if r.is_failure else "",
            "permanent": ("permanent" if r.permanent else "temporary") if r.is_failure else "",
            "status": r.status or "",
            "reply_code": r.reply_code or "",
            "blame": d.blame.value,
            "actor": r.finding.actor.value,
            "suggestion": d.suggestion or "",
            "message": r.message(locale),
            "_message_terminal": render(r.finding.code, r.finding.params, locale, escape=_shown),
            "diagnostic": r.diagnostic[:300],
            "remote_mta": r.remote_mta or "",
            "smtp_command": r.smtp_command or "",
        }


def _text_line(row: dict[str, Any]) -> str:
    if not row["recipient"]:
        return f"{row['source']}\t{row['kind']}\t{row['reason']}\t{row['message']}"
    extra = f" (did you mean {row['suggestion']}?)" if row["suggestion"] else ""
    return (f"{row['source']}\t{row['recipient']}\t{row['reason']}\t{row['hard'] or '-'}\t"
            f"{row['status'] or '-'}\t{row['message']}{extra}")


def _json(report: BounceReport, locale: str) -> dict[str, Any]:
    data = report.to_dict()
    for r, item in zip(report.recipients, data["recipients"], strict=True):
        item["message"] = r.message(locale)
    return data
