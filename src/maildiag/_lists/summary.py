"""The counts at the end of a run: by verdict, the top codes and domains, duplicates, skipped.

A summary is counted from maildiag's columns *as written* (:meth:`.formats.Writer.written`),
the same values :func:`.resume.recover` reads back, so a resumed run's summary covers the
whole file and equals an uninterrupted run's. Ordering is by count, then by name: the same
rows always give the same summary, byte for byte in JSON.
"""

from __future__ import annotations

import collections
import json
from collections.abc import Mapping
from typing import Any, TextIO

from maildiag._safe_text import terminal

__all__ = ["TOP", "BounceSummary", "Summary"]

#: How many codes and domains the summary names.
TOP = 10


def _top(counter: collections.Counter[str], n: int = TOP) -> list[list[Any]]:
    return [[name, count] for name, count in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[:n]]


class Summary:
    """Counts over the rows of one output file (maildiag bulk)."""

    def __init__(self) -> None:
        self.rows = 0
        self.skipped = 0
        self.duplicates = 0
        self.verdicts: collections.Counter[str] = collections.Counter()
        self.codes: collections.Counter[str] = collections.Counter()
        self.domains: collections.Counter[str] = collections.Counter()

    def add(self, values: Mapping[str, Any]) -> None:
        """Count one row from maildiag's column values (a row without a verdict was skipped)."""
        self.rows += 1
        verdict = values.get("verdict")
        if not verdict:
            self.skipped += 1
            return
        self.verdicts[str(verdict)] += 1
        codes = values.get("codes")
        if codes:
            self.codes.update(str(codes).split())
        key = values.get("canonical")
        if key and "@" in str(key):
            self.domains[str(key).rpartition("@")[2]] += 1
        if values.get("duplicate_of") not in (None, ""):
            self.duplicates += 1

    def to_dict(self) -> dict[str, Any]:
        """The summary as JSON-compatible data (``--summary-json``)."""
        return {
            "rows": self.rows,
            "diagnosed": self.rows - self.skipped,
            "skipped": self.skipped,
            "duplicates": self.duplicates,
            "verdicts": dict(sorted(self.verdicts.items())),
            "top_codes": _top(self.codes),
            "top_domains": _top(self.domains),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2) + "\n"

    def write(self, out: TextIO) -> None:
        """The summary for a person, on standard error (values escaped for the terminal)."""
        data = self.to_dict()
        lines = [
            f"maildiag: {data['rows']} rows: {data['diagnosed']} diagnosed, {data['skipped']} skipped "
            f"(no address), {data['duplicates']} duplicates of an earlier row",
        ]
        if data["verdicts"]:
            lines.append("  verdicts: " + ", ".join(f"{k} {v}" for k, v in sorted(
                data["verdicts"].items(), key=lambda kv: (-kv[1], kv[0]))))
        if data["top_codes"]:
            lines.append("  top codes: " + ", ".join(f"{k} {v}" for k, v in data["top_codes"]))
        if data["top_domains"]:
            domains = (f"{terminal(k, keep_tab=False)} {v}" for k, v in data["top_domains"])
            lines.append("  top domains: " + ", ".join(domains))
        out.write("\n".join(lines) + "\n")


class BounceSummary:
    """Counts over the messages of a ``maildiag bounce`` run: by kind, and recipients by reason.

    Fed per message (:meth:`add_message`), from the report as it is written, so a resumed
    run counts the messages already in the file the same way.
    """

    def __init__(self) -> None:
        self.messages = 0
        self.recipients = 0
        self.failures = 0  # failed or delayed (the exit status's "a failed recipient was found")
        self.hard = 0
        self.kinds: collections.Counter[str] = collections.Counter()
        self.reasons: collections.Counter[str] = collections.Counter()

    def add_message(self, kind: str, recipients: list[tuple[str, bool]]) -> None:
        """One message: its kind, and each recipient's (reason, hard)."""
        from maildiag.bounce.reasons import NON_FAILURE_REASONS

        self.messages += 1
        self.kinds[kind or "unknown"] += 1
        for reason, hard in recipients:
            self.recipients += 1
            self.failures += reason not in NON_FAILURE_REASONS
            self.reasons[reason or "undetermined"] += 1
            self.hard += bool(hard)

    def to_dict(self) -> dict[str, Any]:
        return {
            "messages": self.messages,
            "kinds": dict(sorted(self.kinds.items())),
            "recipients": self.recipients,
            "failures": self.failures,
            "hard": self.hard,
            "reasons": [[name, count] for name, count in sorted(self.reasons.items(), key=lambda kv: (-kv[1], kv[0]))],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2) + "\n"

    def write(self, out: TextIO) -> None:
        data = self.to_dict()
        kinds = ", ".join(f"{k} {v}" for k, v in sorted(data["kinds"].items(), key=lambda kv: (-kv[1], kv[0])))
        lines = [f"maildiag: {data['messages']} messages ({kinds}); {data['recipients']} recipients, "
                 f"{data['hard']} hard"]
        if data["reasons"]:
            lines.append("  by reason: " + ", ".join(f"{k} {v}" for k, v in data["reasons"]))
        out.write("\n".join(lines) + "\n")
