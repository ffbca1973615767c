"""Postfix's text bounces (its bounce(8) templates) when they come without a DSN part.

Postfix sends an RFC 3464 report by default (read by :mod:`.rfc3464`); a notice without one
(old versions, ``bounce_notice_recipient`` copies, a forward that dropped the parts) still
opens with the bounce(8) template: "This is the mail system at host ..." and lists each
recipient as ``<address>: host ... said: <reply>``.
"""

from __future__ import annotations

from maildiag.bounce.decoders._message import Decoded, Message
from maildiag.bounce.decoders._text import Family

FAMILY = Family(
    'postfix',
    body=(
        'this is the mail system at host',
        "i'm sorry to have to inform you that your message could not",
    ),
    sender=('mail delivery system',),
)


def decode(message: Message) -> Decoded | None:
    """A postfix notice, read by the generic text reader."""
    return FAMILY.decode(message)
