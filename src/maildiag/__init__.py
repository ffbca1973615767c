"""maildiag: why an email to a customer will not arrive, and what the customer should do.

>>> import maildiag
>>> d = maildiag.diagnose("jane@gmial.com", offline=True)
>>> d.verdict, d.suggestion
(<Verdict.FIX: 'fix'>, 'jane@gmail.com')
"""

from __future__ import annotations

from maildiag._version import __version__
from maildiag.api import adiagnose, diagnose
from maildiag.errors import MaildiagError, UndeliverableError
from maildiag.model import (
    Actor,
    Blame,
    Diagnosis,
    DnsAnswer,
    DnsStatus,
    Finding,
    MxHost,
    ProviderMatch,
    Severity,
    Verdict,
)
from maildiag.options import Options

__all__ = [
    "Actor",
    "Blame",
    "Diagnosis",
    "DnsAnswer",
    "DnsStatus",
    "Finding",
    "MaildiagError",
    "MxHost",
    "Options",
    "ProviderMatch",
    "Severity",
    "UndeliverableError",
    "Verdict",
    "__version__",
    "adiagnose",
    "diagnose",
]
