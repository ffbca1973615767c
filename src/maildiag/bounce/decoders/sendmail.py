"""Sendmail's text bounces: "Returned mail: see transcript for details".

The notice quotes the SMTP session (``----- Transcript of session follows -----``, lines
``... User unknown`` and ``<<< 550 ...``) and warns of delays as "Warning: could not send
message for past 4 hours".
"""

from __future__ import annotations

from maildiag.bounce.decoders._message import Decoded, Message
from maildiag.bounce.decoders._text import Family

FAMILY = Family(
    'sendmail',
    body=(
        '----- transcript of session follows -----',
        'the original message was received at',
        '----- the following addresses had permanent fatal errors -----',
        'warning: could not send message for past',
    ),
)


def decode(message: Message) -> Decoded | None:
    """A sendmail notice, read by the generic text reader."""
    return FAMILY.decode(message)
