"""Delivery status notifications (RFC 3464): ``message/delivery-status`` parts, the standard.

One record per recipient group (§2.3); the per-message fields (§2.2) are skipped. The
human-readable part of the report gives each recipient its part of the explanation, which
often names the SMTP stage the fields leave out (Postfix: "in reply to RCPT TO command").
"""

from __future__ import annotations

import re

from maildiag._replies import STATUS_IN_TEXT
from maildiag.bounce._addresses import blocks_by_address, first_address
from maildiag.bounce._limits import MAX_RECIPIENTS, MAX_TEXT
from maildiag.bounce._mime import Parts, read_fields, typed
from maildiag.bounce._model import BounceKind
from maildiag.bounce._records import Record
from maildiag.bounce.decoders._message import Decoded, Message

#: RFC 3464 §2.3.3 actions that are not failures; "deliverable" is what Sendmail and Postfix
#: answer to an address verification request (sendmail -bv, Postfix verify).
DELIVERED_ACTIONS = frozenset({"delivered", "relayed", "expanded", "deliverable"})


def dsn_records(blocks: list[str]) -> list[Record]:
    records: list[Record] = []
    reporting: str | None = None
    for block in blocks:
        current: Record | None = None
        pending_original: str | None = None
        # Per-recipient fields that some reporters (Facebook) write before Final-Recipient
        # (RFC 3464 §2.3 fixes no order inside a group): kept until the group's recipient.
        early: list[tuple[str, str]] = []
        orphan = False  # the group's Final-Recipient was no usable address
        for name, value in read_fields(block):
            if len(records) > MAX_RECIPIENTS:
                break  # a mail bomb: more than are reported; each costs an address check
            if not name:
                early.clear()
                orphan = False
            if current is None and name in _EARLY_FIELDS:
                early.append((name, value))
                continue
            if name == "reporting-mta":
                # A per-message field (RFC 3464 §2.2): the MTA that wrote the report, not the
                # remote one that refused (§2.3.5 Remote-MTA); kept for every record below.
                reporting = typed(value).lower().rstrip(".") or None
                continue
            if name == "original-recipient":
                pending_original = first_address(typed(value))
                if current is None and orphan and pending_original:
                    # Original-Recipient after an unusable Final-Recipient in the same group.
                    current = Record(recipient=pending_original)
                    pending_original = None
                    records.append(current)
                    for early_name, early_value in early:
                        _set_field(current, early_name, early_value)
                    early.clear()
                    continue
                if current is not None and current.original is None and pending_original:
                    # Original-Recipient after Final-Recipient in the same group.
                    current.original = pending_original
                    pending_original = None
            elif name in ("final-recipient", "x-actual-recipient") and (
                name == "final-recipient" or current is None
            ):
                raw = typed(value)
                addr = first_address(raw) if "|" not in raw.split("@")[0] else None
                if addr is None and pending_original is not None:
                    # The final recipient is no mailbox anyone can fix (an internal route such
                    # as "user@ms-daemon", a pipe): the address the sender used names it
                    # (RFC 3464 §2.3.1, Original-Recipient).
                    addr, pending_original = pending_original, None
                if addr is None:
                    # A pipe or file delivery target with no original address: skip it (never
                    # report a command as a recipient), unless the group names its original
                    # after it.
                    current = None
                    orphan = True
                    continue
                current = Record(recipient=addr, original=pending_original)
                pending_original = None
                records.append(current)
                for early_name, early_value in early:
                    _set_field(current, early_name, early_value)
                early.clear()
            elif current is not None:
                _set_field(current, name, value)
    for r in records:
        r.reporting_mta = reporting
        if r.original and r.original.lower() == r.recipient.lower():
            r.original = None
    return records


_EARLY_FIELDS = frozenset({"action", "status", "remote-mta", "diagnostic-code", "x-diagnostic-code"})


def _set_field(record: Record, name: str, value: str) -> None:
    """Set one per-recipient DSN field (RFC 3464 §2.3) on ``record``."""
    if name == "action":
        record.action = value.lower().split()[0] if value.split() else "failed"
    elif name == "status":
        m = STATUS_IN_TEXT.search(value)
        record.status = ".".join(m.groups()) if m else None
        comment = value[m.end() :].strip(" \t()") if m else ""
        if comment:
            # The reporter's own words for the code ("5.2.1 (mailbox disabled, not accepting
            # messages)", "4.0.0 (host name lookup failure)"): part of its explanation.
            record.context = f"{record.context} {comment}".strip()
    elif name == "remote-mta":
        record.remote_mta = typed(value) or None
    elif name in ("diagnostic-code", "x-diagnostic-code") and not record.diagnostic:
        record.diagnostic = typed(value)
        kind, sep, _ = value.partition(";")
        record.diagnostic_type = kind.strip().lower() if sep else ""


#: A Final-Recipient field (RFC 3464 §2.3.2) opening a line of a DSN given as plain text.
_PASTED_DSN = re.compile(r"(?i)final-recipient:[ \t]*rfc822;")
#: The same at the start of a later line: a literal newline first lets the regex engine skip
#: from line to line, where ``(?m)^`` tried every position (6x faster on the dev corpus).
_PASTED_DSN_NL = re.compile(r"(?i)\nfinal-recipient:[ \t]*rfc822;")


def enrich_from_pasted_dsn(records: list[Record], parts: Parts) -> None:
    """Fields of a DSN that reached us as plain text (a broken MIME boundary, a forward).

    Only recipients the text already names are filled in: the pasted report may be an
    older one about other addresses.
    """
    text = "\n".join(t for t in parts.text if t)[: MAX_TEXT * 4]
    if not records or (_PASTED_DSN.match(text) or _PASTED_DSN_NL.search(text)) is None:
        return
    pasted = {r.recipient.lower(): r for r in dsn_records([text])}
    for rec in records:
        found = pasted.get(rec.recipient.lower())
        if found is None or rec.status or rec.diagnostic:
            continue
        rec.status, rec.diagnostic, rec.action = found.status, found.diagnostic, found.action
        rec.remote_mta = rec.remote_mta or found.remote_mta


def enrich_from_text(records: list[Record], human: str, senders: set[str]) -> None:
    """Give each DSN record its part of the human-readable text of the bounce.

    It fills a missing diagnostic, and it often names the SMTP stage the DSN fields leave
    out (Postfix: "in reply to RCPT TO command").
    """
    if not human.strip():
        return
    blocks = blocks_by_address(human, {r.recipient.lower() for r in records}, senders)
    for r in records:
        block = blocks.get(r.recipient.lower(), "")
        r.scope = block or (human if len(records) == 1 else "")
        if not r.diagnostic:
            # After the Status field's own comment ("5.1.2 (550 Tried all MXs ...)"), if any.
            r.context = f"{r.context} {block or human}" if r.context else block or human


def decode(message: Message) -> Decoded | None:
    """The recipients of the message's delivery-status parts, when they name any."""
    if not message.parts.dsn:
        return None
    records = dsn_records(message.parts.dsn)
    if not records:
        return None
    enrich_from_text(records, message.human, message.senders)
    if all(r.action in DELIVERED_ACTIONS for r in records):
        for r in records:
            r.reason = "delivered"
        return Decoded(BounceKind.DELIVERED, records, "rfc3464")
    return Decoded(BounceKind.FAILURE, [r for r in records if r.action not in DELIVERED_ACTIONS], "rfc3464")
