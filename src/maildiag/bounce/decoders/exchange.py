"""Microsoft Exchange and Office 365 non-delivery reports without a DSN part.

Exchange writes "Delivery has failed to these recipients or groups:" (2007-2010) and "Your
message couldn't be delivered" / "Diagnostic information for administrators" (2013 and
Office 365); the recipient lines and the "Remote Server returned '550 5.1.1 ...'" line are
read by the generic reader, which also skips the returned message's "To:" summary.
"""

from __future__ import annotations

from maildiag.bounce.decoders._message import Decoded, Message
from maildiag.bounce.decoders._text import Family

FAMILY = Family(
    'exchange',
    body=(
        'delivery has failed to these recipients or groups',
        "your message couldn't be delivered",
        'diagnostic information for administrators',
        'your message did not reach some or all of the intended recipients',
        'remote server returned',
    ),
)


def decode(message: Message) -> Decoded | None:
    """A exchange notice, read by the generic text reader."""
    return FAMILY.decode(message)
