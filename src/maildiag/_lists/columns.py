"""The columns maildiag adds to a row of a list: one function, shared by every writer.

``maildiag bulk`` (CSV, JSON Lines, plain lines) and :func:`maildiag.dask.diagnose_frame`
write the same columns, computed here and nowhere else:

``verdict``, ``suggestion``, ``codes`` (finding codes, most severe first, space-separated),
``blame``, ``provider`` (the provider entry's id), ``message`` (in the run's locale),
``canonical`` (a mailbox key: two rows with the same key are the same mailbox) and
``duplicate_of`` (the row number of the first row with the same key).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from maildiag import providers
from maildiag.model import Diagnosis
from maildiag.options import Options

__all__ = ["COLUMNS", "Duplicates", "canonical", "columns", "empty"]

#: maildiag's columns, in the order they follow the input's own.
COLUMNS = ("verdict", "suggestion", "codes", "blame", "provider", "message", "canonical", "duplicate_of")


def canonical(d: Diagnosis, options: Options | None = None) -> str:
    """The key of the mailbox ``d`` names: equal keys are the same mailbox, "" when none.

    The domain is lower-cased (RFC 5321 section 2.4: domain names are case-insensitive);
    the local part is kept as written (the same section lets a server treat its case as
    significant), except where the provider hosting the mailbox documents otherwise in its
    entry's ``[mailbox]`` table (:class:`maildiag.providers.Mailbox`): a ``+tag`` (RFC 5233
    subaddress) is dropped, letter case ignored, and for the provider's own domains dots
    removed and the domain replaced by its main one (``j.doe+x@googlemail.com`` and
    ``jdoe@gmail.com`` are one Gmail mailbox; ``j.doe@company.com`` on Google Workspace is
    not ``jdoe@company.com``, because dots count there).
    """
    address = d.normalized
    if not address or "@" not in address:
        return ""
    local, _, domain = address.rpartition("@")
    domain = domain.lower()
    for match in d.providers:
        entry = providers.get(match.id, options)
        rules = entry.mailbox if entry is not None else None
        if rules is None:
            continue
        own_domain = domain in entry.domains if entry is not None else False
        if rules.subaddress and not local.startswith('"'):
            local = local.split(rules.subaddress, 1)[0] or local
        if rules.ignores_case:
            local = local.lower()
        if own_domain and rules.ignores_dots:
            local = local.replace(".", "")
        if own_domain and rules.domain:
            domain = rules.domain
        break
    return f"{local}@{domain}"


def columns(d: Diagnosis, locale: str | None = None, options: Options | None = None) -> dict[str, Any]:
    """maildiag's columns for one diagnosed row (``duplicate_of`` is left for :class:`Duplicates`).

    ``message`` is in ``locale``, else in the run's ``Options.locale`` (that option's use:
    the language of what maildiag renders on the caller's behalf).
    """
    if locale is None:
        locale = options.locale if options is not None else "en"
    return {
        "verdict": d.verdict.value,
        "suggestion": d.suggestion,
        "codes": " ".join(f.code for f in d.findings),
        "blame": d.blame.value,
        "provider": d.providers[0].id if d.providers else None,
        "message": d.message(locale),
        "canonical": canonical(d, options) or None,
        "duplicate_of": None,
    }


def empty(problem: str = "") -> dict[str, Any]:
    """maildiag's columns for a row that holds no address (passed through, counted as skipped).

    ``problem`` (why the row could not be read, e.g. "not a JSON object") goes in ``message``.
    """
    values = dict.fromkeys(COLUMNS)
    values["message"] = problem or None
    return values


class Duplicates:
    """Which earlier row holds the same mailbox: remembers the first row of every key.

    Memory grows with the number of distinct mailboxes (one dict entry each); a resumed run
    refills it from the rows already written (:meth:`seen`), so its column is the same as an
    uninterrupted run's.
    """

    def __init__(self) -> None:
        self._first: dict[str, int] = {}
        self.count = 0

    def seen(self, key: str | None, row: int) -> int | None:
        """Record ``key`` at ``row``; the first row with it, when this is not the first."""
        if not key:
            return None
        first = self._first.setdefault(key, row)
        if first == row:
            return None
        self.count += 1
        return first

    def mark(self, values: Mapping[str, Any], row: int) -> dict[str, Any]:
        """``values`` (maildiag's columns) with ``duplicate_of`` filled in."""
        out = dict(values)
        out["duplicate_of"] = self.seen(values.get("canonical"), row)
        return out
