"""HCL (IBM, Lotus) Domino's delivery failure reports.

"Your message ... was not delivered to: <address> because: <reason>", then the returned
message after "------- Returned message --------" (one of the separators every text reader
knows).
"""

from __future__ import annotations

from maildiag.bounce.decoders._message import Decoded, Message
from maildiag.bounce.decoders._text import Family

FAMILY = Family(
    'domino',
    body=(
        'was not delivered to:',
        'delivery failure report',
    ),
)


def decode(message: Message) -> Decoded | None:
    """A domino notice, read by the generic text reader."""
    return FAMILY.decode(message)
