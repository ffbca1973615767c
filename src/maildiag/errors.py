"""Exceptions. maildiag raises only on misuse; problems with an address are findings."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from maildiag.model import Diagnosis

__all__ = ["DiagnosisDataError", "MaildiagError", "UndeliverableError"]


class MaildiagError(Exception):
    """Base class of every exception maildiag raises on purpose."""


class UndeliverableError(MaildiagError, ValueError):
    """Raised by :meth:`Diagnosis.raise_for_problems` when mail cannot arrive as typed."""

    def __init__(self, diagnosis: Diagnosis) -> None:
        self.diagnosis = diagnosis
        super().__init__(f"{diagnosis.address!r}: {diagnosis.verdict.value} ({', '.join(diagnosis.codes)})")


class DiagnosisDataError(MaildiagError, ValueError):
    """Raised by the ``from_dict`` methods for data that is not a serialized diagnosis.

    The message names the field at fault (``findings[2].params``) and what was expected.
    """
