"""maildiag's bounce reasons, and the classifier from status code and diagnostic text.

The reasons and :func:`classify` live in one place for every reader of SMTP replies (the
bounce parser and the SMTP prober: :mod:`maildiag._replies`); this module is their public
face, unchanged for callers.
"""

from __future__ import annotations

from maildiag._replies import (
    FAILURE_REASONS,
    NON_FAILURE_REASONS,
    SMTP_COMMANDS,
    Phrase,
    Reason,
    classify,
    code_reason,
    get,
    is_hard,
    reason_names,
    reasons,
    sisimai_map,
    text_reason,
)

__all__ = [
    "FAILURE_REASONS",
    "NON_FAILURE_REASONS",
    "SMTP_COMMANDS",
    "Phrase",
    "Reason",
    "classify",
    "code_reason",
    "get",
    "is_hard",
    "reason_names",
    "reasons",
    "sisimai_map",
    "text_reason",
]
