"""Bounce diagnosis: turn a bounce message into who failed, why, and what the customer should do.

>>> from maildiag.bounce import parse_bounce
>>> report = parse_bounce(raw_bytes)                      # doctest: +SKIP
>>> [(r.recipient, r.reason, r.hard) for r in report.failures]  # doctest: +SKIP
[('jane@example.com', 'user_unknown', True)]

Each failed recipient carries a :class:`~maildiag.Diagnosis` of its address (offline: no DNS
in bounce parsing) led by the bounce's own finding (``bounce.user_unknown``...), so a
typo'd address that bounced also gets its suggestion.
"""

from __future__ import annotations

from maildiag.bounce import reasons
from maildiag.bounce._io import iter_messages
from maildiag.bounce._model import BounceKind, BounceRecipient, BounceReport
from maildiag.bounce._parse import DEFAULT_MAX_BYTES, parse_bounce

__all__ = [
    "DEFAULT_MAX_BYTES",
    "BounceKind",
    "BounceRecipient",
    "BounceReport",
    "iter_messages",
    "parse_bounce",
    "reasons",
]
