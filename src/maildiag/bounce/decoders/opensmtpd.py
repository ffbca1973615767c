"""OpenSMTPD's bounces ("Delivery status notification: error").

"This is the MAILER-DAEMON, please DO NOT REPLY to this email. An error has occurred while
attempting to deliver a message for the following list of recipients:" and each address
with its error after a colon.
"""

from __future__ import annotations

from maildiag.bounce.decoders._message import Decoded, Message
from maildiag.bounce.decoders._text import Family

FAMILY = Family(
    'opensmtpd',
    body=(
        'this is the mailer-daemon, please do not reply to this email',
        'an error has occurred while attempting to deliver a message for the following list of recipients',
        'delays have been observed while attempting to deliver',
    ),
)


def decode(message: Message) -> Decoded | None:
    """A opensmtpd notice, read by the generic text reader."""
    return FAMILY.decode(message)
