"""Sieve rejects (RFC 5429 §2.1.1): the refusal comes back as an MDN (RFC 8098).

The MDN's disposition is automatic and ``deleted``; its Final-Recipient is the mailbox whose
filter refused the message.
"""

from __future__ import annotations

from maildiag.bounce._addresses import first_address
from maildiag.bounce._mime import read_fields, typed
from maildiag.bounce._model import BounceKind
from maildiag.bounce._records import Record
from maildiag.bounce.decoders._message import Decoded, Message
from maildiag.bounce.decoders.rfc3464 import enrich_from_text


def refusal_records(blocks: list[str]) -> list[Record]:
    """The Final-Recipient of each MDN that reports an automatic deletion (a Sieve reject).

    Any other disposition (displayed, dispatched, processed) is a read receipt, not a failure.
    """
    records: list[Record] = []
    for block in blocks:
        fields = dict(f for f in read_fields(block) if f[0])
        disposition = fields.get("disposition", "").lower()
        mode, _, kind = disposition.partition(";")
        if not mode.strip().startswith("automatic-action") or kind.strip().split("/")[0] != "deleted":
            continue
        addr = first_address(typed(fields.get("final-recipient", "")))
        if addr is not None:
            records.append(Record(addr, original=first_address(typed(fields.get("original-recipient", "")))))
    for r in records:
        if r.original and r.original.lower() == r.recipient.lower():
            r.original = None
    return records


def decode(message: Message) -> Decoded | None:
    """The mailboxes that refused, from ``message/disposition-notification`` parts."""
    refused = refusal_records(message.parts.refusals)
    if not refused:
        return None
    enrich_from_text(refused, message.human, message.senders)
    return Decoded(BounceKind.FAILURE, refused, "rfc5429")
