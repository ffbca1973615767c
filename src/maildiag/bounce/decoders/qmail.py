"""qmail's text bounces (qmail-send, and its forks netqmail and notqmail).

"Hi. This is the qmail-send program at ...": each recipient as ``<address>:`` followed by the
remote reply, then "--- Below this line is a copy of the message." (RFC 3464 came later;
qmail never writes one).
"""

from __future__ import annotations

from maildiag.bounce.decoders._message import Decoded, Message
from maildiag.bounce.decoders._text import Family

FAMILY = Family(
    'qmail',
    body=(
        'this is the qmail-send program',
        "i'm afraid i wasn't able to deliver your message",
    ),
)


def decode(message: Message) -> Decoded | None:
    """A qmail notice, read by the generic text reader."""
    return FAMILY.decode(message)
