"""Exim's text bounces ("Mail delivery failed: returning message to sender").

Exim's default notice (its ``bounce_message_text`` and the failure list it writes) lists each
failed address on its own line with the remote server's reply under it, and names every one
in ``X-Failed-Recipients`` (read by the generic reader for every MTA, since others copy it).
Its own rule: an alias or forward that failed is shown as "an undisclosed address
(generated from ann@example.com)", and the address the sender used is the recipient.
"""

from __future__ import annotations

import re

from maildiag.bounce._addresses import ADDR, valid_address
from maildiag.bounce._records import Record
from maildiag.bounce.decoders._message import Decoded, Message
from maildiag.bounce.decoders._text import Family

#: Exim's "(generated from ann@example.com)" under a failed address: the address the sender
#: used, which an alias or a forward expanded into the failed one.
_GENERATED_FROM = re.compile(r"(?i)\(generated from[ \t]{1,4}<?(" + ADDR.pattern + ")")


def _generated_from(message: Message) -> list[Record]:
    """Recipients of a failure list that names no address but the ones its targets came from.

    "an undisclosed address (generated from ann@example.com)": an alias or a forward expanded
    the sender's recipient into a target the report does not disclose; the address the
    sender used is all that is known of it, and the one the sender can act on.
    """
    human, senders = message.human, message.senders
    if "generated from" not in human.lower():
        return []
    records: list[Record] = []
    seen: set[str] = set()
    for m in _GENERATED_FROM.finditer(human):
        addr = valid_address(m.group(1))
        if addr is None or addr.lower() in senders or addr.lower() in seen:
            continue
        seen.add(addr.lower())
        # Its text: from the line before (the undisclosed target) onwards.
        start = human.rfind("\n", 0, max(0, human.rfind("\n", 0, m.start()))) + 1
        records.append(Record(addr.lower(), context=human[start:]))
    return records


FAMILY = Family(
    "exim",
    body=(
        "this message was created automatically by mail delivery software",
        "smtp error from remote mail server after",
        "the following address(es) failed",
    ),
    recipients=_generated_from,
)


def decode(message: Message) -> Decoded | None:
    """An Exim notice, read by the generic reader with Exim's alias rule."""
    return FAMILY.decode(message)
