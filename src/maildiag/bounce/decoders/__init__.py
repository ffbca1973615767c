"""The bounce decoders: one family of formats per module, tried in :data:`REGISTRY` order.

A decoder is a function ``decode(message: Message) -> Decoded | None``: it returns what it
found when the message is in its format, else ``None``, and the first that answers wins.
Standard formats come first (a standard part says more than any wording), then the gate that
tells auto-replies and ordinary mail from bounces, then the text bounces of each MTA family,
then the generic text reader that every unknown MTA falls to.

To add a format: write one module here with a ``decode`` function (a text bounce of a new MTA
needs only its :class:`~maildiag.bounce.decoders._text.Family`: a name, the signs that
recognise it and, if any, its own separator lines and recipient rule), put it in
:data:`REGISTRY` before anything it must pre-empt, and add its real messages under
``tests/corpora/`` or ``tests/bounce/``.
"""

from __future__ import annotations

from collections.abc import Callable

from maildiag.bounce.decoders import (
    amazonses,
    arf,
    courier,
    domino,
    exchange,
    exim,
    forwarded,
    opensmtpd,
    postfix,
    qmail,
    rfc3464,
    rfc3834,
    rfc5429,
    sendmail,
    text,
)
from maildiag.bounce.decoders._message import Decoded, Message

__all__ = ["REGISTRY", "Decoded", "Decoder", "Message", "decode"]

Decoder = Callable[[Message], "Decoded | None"]

#: Every decoder, in the order they are tried. Each module's docstring says what it reads.
REGISTRY: tuple[Decoder, ...] = (
    arf.decode,  # RFC 5965 complaints (and providers' complaint formats without the part)
    rfc3464.decode,  # RFC 3464 delivery status notifications: the standard
    rfc5429.decode,  # RFC 5429 Sieve rejects (an RFC 8098 MDN with a "deleted" disposition)
    amazonses.decode,  # Amazon SES / SNS JSON notifications
    forwarded.decode,  # a notice forwarded by a person (inline or attached): the notice inside
    rfc3834.decode,  # RFC 3834 auto-replies, and ordinary mail that is no bounce at all
    exim.decode,
    postfix.decode,
    sendmail.decode,
    qmail.decode,
    exchange.decode,
    domino.decode,
    courier.decode,
    opensmtpd.decode,
    text.decode,  # every other MTA's text bounce
)


def decode(message: Message) -> Decoded:
    """The first decoder's answer for ``message`` (the generic text reader always answers)."""
    for decoder in REGISTRY:
        found = decoder(message)
        if found is not None:
            return found
    raise AssertionError("the text decoder answers every message")  # pragma: no cover
