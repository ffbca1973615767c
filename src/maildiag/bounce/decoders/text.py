"""Every other MTA's text bounce: the generic reader with no family of its own (the fallback).

It answers every message the decoders before it left: a notice whose recipients it cannot
find is still a ``failure``, with the finding ``bounce.no_recipient``.
"""

from __future__ import annotations

from maildiag.bounce.decoders._message import Decoded, Message
from maildiag.bounce.decoders._text import GENERIC, read


def decode(message: Message) -> Decoded:
    """The notice read by the generic text reader."""
    return read(message, GENERIC)
