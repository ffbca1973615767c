"""Bulk-check the addresses in a CSV export, for a support team or a list clean-up.

Reads the CSV as a stream (a file or stdin), checks up to ``--concurrency`` addresses at
a time with ``maildiag.diagnose_many``, and writes one JSON line per input row, in input
order, keeping every row: empty cells, duplicates and junk included, each with its
original columns under ``"row"``. Memory stays flat however long the file is.

    python examples/support_check.py customers.csv > checked.jsonl
    python examples/support_check.py --column "E-mail" --offline - < export.csv
    python examples/support_check.py --scenarios --locale he customers.csv

Filter the result with jq, e.g. who to contact about a typo, as CSV for a spreadsheet::

    jq -r 'select(.verdict == "fix") | [.row.name, .address, .suggestion]
      | map(if type == "string" and test("^[=+@\\t\\r-]") then "\\u0027" + . else . end)
      | @csv' checked.jsonl

The ``map`` is the CSV-injection rule maildiag applies to every CSV it writes
(``maildiag._safe_text.csv_cell``, OWASP): a cell starting ``= + - @``, tab or CR gets a
leading ``'``, so a customer's ``=HYPERLINK(...)`` name is shown, never evaluated.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import csv
import json
import sys
from collections.abc import Iterable, Iterator
from typing import IO, Any

import maildiag

# Names an address column usually has in shop exports, tried in this order.
LIKELY_COLUMNS = ("email", "e-mail", "email address", "mail", "address")


def pick_column(header: list[str], wanted: str | None) -> str:
    """The column to check: ``wanted`` if given, else the first likely name, else the first."""
    if wanted is not None:
        if wanted not in header:
            raise SystemExit(f"no column {wanted!r} in the header {header}")
        return wanted
    lowered = {h.strip().lower(): h for h in header}
    return next((lowered[n] for n in LIKELY_COLUMNS if n in lowered), header[0])


def record(number: int, row: dict[str, Any], address: str, d: maildiag.Diagnosis, locale: str) -> dict[str, Any]:
    """One output line: the input row untouched, and what a support agent needs."""
    return {
        "row_number": number,
        "row": row,
        "address": address,
        "verdict": d.verdict.value,
        "blame": d.blame.value,
        "confidence": d.confidence,
        "suggestion": d.suggestion,
        "codes": list(d.codes),
        "message": d.message(locale),
    }


def check_rows(
    rows: Iterable[dict[str, Any]], column: str, *, concurrency: int, locale: str, options: maildiag.Options
) -> Iterator[dict[str, Any]]:
    """Diagnose each row's ``column``, at most ``concurrency`` at a time; yield in input order."""
    # diagnose_many gives one result per address, in input order, and reads only a bounded
    # number of rows ahead: the rows it has read and not yet answered wait here, in order.
    waiting: collections.deque[tuple[int, dict[str, Any], str]] = collections.deque()

    def addresses() -> Iterator[str]:
        for number, row in enumerate(rows, start=1):  # data rows; the header is not counted
            address = row.get(column) or ""  # a short row has None there: still a row to report
            waiting.append((number, row, address))
            yield address

    results = maildiag.diagnose_many(addresses(), concurrency=concurrency, options=options)
    with contextlib.closing(results):
        for d in results:
            number, row, address = waiting.popleft()
            yield record(number, row, address, d, locale)


def read_rows(stream: IO[str], column: str | None) -> tuple[str, Iterator[dict[str, Any]]]:
    """The column to check and a lazy iterator over the CSV rows."""
    reader = csv.DictReader(stream)
    if reader.fieldnames is None:
        raise SystemExit("the input is empty: no CSV header")
    return pick_column(list(reader.fieldnames), column), iter(reader)


def run(args: argparse.Namespace, stream: IO[str], out: IO[str]) -> int:
    options = maildiag.Options(offline=args.offline, deadline=args.deadline)
    if args.scenarios:
        from maildiag.testing.addresses import scenario_resolver

        options = options.replace(resolver=scenario_resolver())
    column, rows = read_rows(stream, args.column)
    for result in check_rows(rows, column, concurrency=args.concurrency, locale=args.locale, options=options):
        out.write(json.dumps(result, ensure_ascii=False) + "\n")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("csv", help="the CSV file, or - for stdin")
    parser.add_argument("--column", help="the address column (default: email, e-mail, ... or the first)")
    parser.add_argument("--concurrency", type=int, default=50, help="diagnoses running at once (default 50)")
    parser.add_argument("--deadline", type=float, default=5.0, help="seconds of DNS per address (default 5)")
    parser.add_argument("--locale", default="en", help="message language: en, he")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--offline", action="store_true", help="skip DNS (syntax, typos and data flags only)")
    mode.add_argument("--scenarios", action="store_true", help="answer DNS from maildiag's reserved test zone")
    args = parser.parse_args(argv)
    if args.concurrency < 1:
        parser.error("--concurrency must be at least 1")

    if args.csv == "-":
        return run(args, sys.stdin, sys.stdout)
    # newline="" as the csv module asks: quoted fields may hold line breaks.
    with open(args.csv, newline="", encoding="utf-8-sig") as stream:
        return run(args, stream, sys.stdout)


if __name__ == "__main__":
    sys.exit(main())
