"""The Courier mail server's text notices.

"This is a delivery status notification from <host>, running the Courier mail server", then
each address with the transcript of its SMTP session (``<<< 550 ...``).
"""

from __future__ import annotations

from maildiag.bounce.decoders._message import Decoded, Message
from maildiag.bounce.decoders._text import Family

FAMILY = Family(
    'courier',
    body=(
        'running the courier mail server',
        'courier mail server at',
    ),
)


def decode(message: Message) -> Decoded | None:
    """A courier notice, read by the generic text reader."""
    return FAMILY.decode(message)
