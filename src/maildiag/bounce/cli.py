"""The ``maildiag bounce`` subcommand: one row per failed recipient, for support staff.

Exit codes: 0 when no failure was found, 1 when at least one failed recipient was found,
2 for a usage error (no such path).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from maildiag.bounce._io import iter_messages
from maildiag.bounce._model import BounceKind, BounceReport
from maildiag.bounce._parse import DEFAULT_MAX_BYTES, parse_bounce

__all__ = ["register", "run"]

_COLUMNS = ("source", "kind", "recipient", "original_recipient", "reason", "hard", "permanent",
            "status", "reply_code", "blame", "actor", "suggestion", "message", "diagnostic")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``bounce`` subcommand to a ``maildiag`` argument parser."""
    parser = subparsers.add_parser(
        "bounce",
        help="diagnose bounce messages (.eml, mbox, Maildir, folders)",
        description="Read bounce messages and print one row per failed recipient, with the "
        "reason and the message to send the customer. Non-bounces, auto-replies, complaints "
        "and unreadable messages get one row each, saying so.",
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help=".eml file, mbox, Maildir or folder")
    fmt = parser.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="one JSON object per message (JSON Lines)")
    fmt.add_argument("--csv", action="store_true", help="CSV with a header row")
    parser.add_argument("--locale", default="en", help="language of the customer message (en, he)")
    parser.add_argument("--max-bytes", type=int, default=DEFAULT_MAX_BYTES,
                        help="skip messages larger than this, reporting them as too large")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, out: TextIO | None = None, stdin: TextIO | None = None) -> int:
    """Run the subcommand with parsed ``args``; returns the exit code.

    ``out`` defaults to standard output; ``stdin`` is accepted for the main CLI's handler
    convention and not read (bounces come from PATH arguments).
    """
    out = out if out is not None else sys.stdout
    missing = [p for p in args.paths if not Path(p).exists()]
    if missing:
        print(f"maildiag bounce: no such file or directory: {', '.join(missing)}", file=sys.stderr)
        return 2
    failures = 0
    writer = csv.writer(out) if args.csv else None
    if writer is not None:
        writer.writerow(_COLUMNS)
    for source, data in iter_messages(args.paths, max_bytes=args.max_bytes):
        report = _report(source, data, args.max_bytes)
        failures += len(report.failures)
        if args.json:
            out.write(json.dumps(_json(report, args.locale), ensure_ascii=False) + "\n")
            continue
        for row in _rows(report, args.locale):
            if writer is not None:
                writer.writerow([row[c] for c in _COLUMNS])
            else:
                out.write(_text_line(row) + "\n")
    return 1 if failures else 0


def _report(source: str, data: bytes | OSError, max_bytes: int) -> BounceReport:
    if isinstance(data, OSError):
        from maildiag import catalog

        finding = catalog.make("bounce.malformed", {"detail": f"unreadable: {data}"})
        return BounceReport(kind=BounceKind.MALFORMED, findings=(finding,), source=source)
    return parse_bounce(data, max_bytes=max_bytes, source=source)


def _rows(report: BounceReport, locale: str) -> Iterator[dict[str, Any]]:
    base = dict.fromkeys(_COLUMNS, "")
    base.update(source=report.source or "", kind=report.kind.value)
    if not report.recipients:
        row = dict(base)
        if report.findings:
            f = report.findings[0]
            row.update(reason=f.code.removeprefix("bounce."), message=f.message(locale))
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
            "diagnostic": r.diagnostic[:300],
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
