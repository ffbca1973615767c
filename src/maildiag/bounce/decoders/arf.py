"""Complaints: RFC 5965 feedback reports (ARF), and providers' complaint formats without the part.

A complaint (the recipient pressed "this is spam") is no delivery failure: its kind is
``complaint`` and its recipients are the addresses that complained (RFC 5965 §3.2
Original-Rcpt-To, Removal-Recipient; else the returned message's To).
"""

from __future__ import annotations

import email
import email.message
import email.policy
import re

from maildiag.bounce._addresses import (
    first_address,
    from_address,
    header_addresses,
    headers_block_addresses,
    valid_address,
)
from maildiag.bounce._limits import MAX_TEXT
from maildiag.bounce._mime import Parts, content_param, header_text, read_fields
from maildiag.bounce._model import BounceKind
from maildiag.bounce._records import Record
from maildiag.bounce.decoders._message import Decoded, Message

#: Lines of a complaint report given as plain text rather than a message/feedback-report part
#: (RFC 5965 §3.1 fields), and the phrases of providers' own complaint formats.
_FEEDBACK_FIELD = re.compile(r"(?i)feedback-type:[ \t]{0,8}[a-z]")


#: The same at the start of a later line: the literal newline lets the engine skip ahead.
_FEEDBACK_FIELD_NL = re.compile(r"(?i)\nfeedback-type:[ \t]{0,8}[a-z]")


_COMPLAINT_PHRASES = ("complaint about message from", "sent this email to unsubscribe")


def arf_records(parts: Parts) -> list[Record]:
    found: list[str] = []
    for block in parts.feedback:
        for name, value in read_fields(block):
            if name in ("original-rcpt-to", "removal-recipient"):
                addr = first_address(value)
                if addr and addr.lower() not in {a.lower() for a in found}:
                    found.append(addr)
    if not found:
        for returned in parts.returned:
            found.extend(sorted(header_addresses(returned, "To")))
        for block in parts.returned_headers:
            found.extend(sorted(headers_block_addresses(block, "To")))
    return [Record(a, action="complained", reason="complaint") for a in dict.fromkeys(found)]


def text_complaint(msg: email.message.Message, parts: Parts, subject: str) -> list[Record] | None:
    """Complaints sent without an RFC 5965 part: Feedback-Type fields in the text, Hotmail's
    JMRP reports (the returned message carries X-HmXmrOriginalRecipient), and unsubscribe
    requests that a mail client sends for the reader (Apple Mail)."""
    jmrp = [r for r in parts.returned if r.get("X-HmXmrOriginalRecipient")]
    text = "\n".join(t for t in parts.text if t)[:MAX_TEXT]
    lowered = (subject + "\n" + text[:4000]).lower()
    fields = _FEEDBACK_FIELD.match(text) or _FEEDBACK_FIELD_NL.search(text)
    if not (jmrp or fields or any(p in lowered for p in _COMPLAINT_PHRASES)):
        return None
    found: list[str] = []
    for returned in jmrp:
        addr = first_address(str(returned.get("X-HmXmrOriginalRecipient", "")))
        if addr:
            found.append(addr)
    for name, value in read_fields(text):
        if name in ("original-rcpt-to", "removal-recipient"):
            addr = first_address(value)
            if addr:
                found.append(addr)
    if not found:
        records = arf_records(parts)
        if records:
            return records
        # An unsubscribe request comes from the reader's own mailbox.
        sender = valid_address(from_address(header_text(msg, "From")))
        found = [sender] if sender else []
    return [Record(a, action="complained", reason="complaint") for a in dict.fromkeys(found)]


def decode(message: Message) -> Decoded | None:
    """An RFC 5965 report (a ``message/feedback-report`` part, or RFC 6522 §3
    ``report-type=feedback-report``), or a complaint written without one."""
    msg, parts = message.msg, message.parts
    report_type = ""
    if "feedback-report" in str(msg.get("Content-Type", "")).lower():
        # Only then are the parameters worth parsing.
        report_type = content_param(msg, "report-type").lower()
    if parts.feedback or report_type == "feedback-report":
        return Decoded(BounceKind.COMPLAINT, arf_records(parts), "arf")
    complaint = text_complaint(msg, parts, message.subject)
    if complaint is not None:
        return Decoded(BounceKind.COMPLAINT, complaint, "arf")
    return None
