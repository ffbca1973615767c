"""The ``maildiag bounce`` subcommand: one row per failed recipient, for support staff.

Exit codes: 0 when no failure was found, 1 when at least one failed recipient was found,
else 2 when a path could not be read (every path still gets its rows).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Iterator
from typing import Any, TextIO

from maildiag._safe_text import csv_cell, terminal
from maildiag.bounce._io import TooLarge, iter_messages, read_stream
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
    )
    parser.add_argument("paths", nargs="+", metavar="PATH",
                        help=".eml file, mbox, Maildir or folder; - reads one message or an mbox from stdin. "
                        "Only regular files are read, each once; anything else gets a row saying why")
    fmt = parser.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="one JSON object per message (JSON Lines)")
    fmt.add_argument("--csv", action="store_true", help="CSV with a header row")
    parser.add_argument("--locale", default="en", help="language of the customer message (en, he)")
    parser.add_argument("--max-bytes", type=int, default=DEFAULT_MAX_BYTES,
                        help="skip messages larger than this, reporting them as too large")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, out: TextIO | None = None, stdin: TextIO | None = None) -> int:
    """Run the subcommand with parsed ``args``; returns the exit code.

    ``out`` defaults to standard output. ``-`` among the paths reads one message or an mbox
    from ``stdin`` (its binary buffer; standard input by default).

    Every path gets its rows: a missing or unreadable one is a row saying so, and the others
    are still read. Exit status: 1 when a failed recipient was found, else 2 when a path
    could not be read (so a script notices a typo in a file name), else 0.
    """
    out = out if out is not None else sys.stdout
    failures = 0
    unreadable = 0
    writer = csv.writer(out) if args.csv else None
    if writer is not None:
        writer.writerow(_COLUMNS)
    for source, data in _messages(args.paths, args.max_bytes, stdin):
        report = _report(source, data, args.max_bytes)
        failures += len(report.failures)
        unreadable += isinstance(data, OSError)
        if args.json:
            # JSON keeps the data exact: the reader escapes for wherever it shows it.
            out.write(json.dumps(_json(report, args.locale), ensure_ascii=False) + "\n")
            continue
        for row in _rows(report, args.locale):
            if writer is not None:
                # OWASP's CSV-injection rule: a cell starting = + - @ TAB CR is not a formula.
                writer.writerow([csv_cell(row[c]) for c in _COLUMNS])
            else:
                # Every value escaped for the terminal; the message's values too, not its
                # template (a Hebrew template carries a deliberate U+200E mark).
                shown = {k: terminal(str(v)) for k, v in row.items()}
                shown["message"] = row["_message_terminal"]
                out.write(_text_line(shown) + "\n")
    return 1 if failures else 2 if unreadable else 0


def _messages(
    paths: list[str], max_bytes: int, stdin: TextIO | None
) -> Iterator[tuple[str, bytes | OSError | TooLarge]]:
    for path in paths:
        if path == "-":
            stream = stdin if stdin is not None else sys.stdin
            yield from read_stream(getattr(stream, "buffer", stream), max_bytes, "stdin")  # type: ignore[arg-type]
        else:
            yield from iter_messages([path], max_bytes=max_bytes)


def _report(source: str, data: bytes | OSError | TooLarge, max_bytes: int) -> BounceReport:
    if isinstance(data, TooLarge):
        return _too_large(data.size, max_bytes, source)
    if isinstance(data, OSError):
        from maildiag import catalog

        reason = data.strerror or str(data)
        finding = catalog.make("bounce.malformed", {"detail": f"unreadable: {reason}"})
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
                       _message_terminal=render(f.code, f.params, locale, escape=terminal))
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
            "_message_terminal": render(r.finding.code, r.finding.params, locale, escape=terminal),
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
