"""maildiag: why an email to a customer will not arrive, and what the customer should do.

>>> import maildiag
>>> d = maildiag.diagnose("jane@gmial.com", offline=True)
>>> d.verdict, d.suggestion
(<Verdict.FIX: 'fix'>, 'jane@gmail.com')
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from maildiag._version import __version__

if TYPE_CHECKING:
    from maildiag._doctor import DoctorReport, adoctor, doctor
    from maildiag.api import adiagnose, clear_dns_cache, diagnose
    from maildiag.bulk import adiagnose_many, diagnose_many
    from maildiag.errors import DiagnosisDataError, MaildiagError, UndeliverableError
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

# Public names and the module each lives in. They are imported on first use (PEP 562), so
# `import maildiag` and the pytest plugin cost almost nothing until a diagnosis is made.
_LAZY = {
    "adiagnose": "maildiag.api",
    "clear_dns_cache": "maildiag.api",
    "diagnose": "maildiag.api",
    "adiagnose_many": "maildiag.bulk",
    "diagnose_many": "maildiag.bulk",
    "doctor": "maildiag._doctor",
    "adoctor": "maildiag._doctor",
    "DoctorReport": "maildiag._doctor",
    "DiagnosisDataError": "maildiag.errors",
    "MaildiagError": "maildiag.errors",
    "UndeliverableError": "maildiag.errors",
    "Options": "maildiag.options",
    **dict.fromkeys(
        ("Actor", "Blame", "Diagnosis", "DnsAnswer", "DnsStatus", "Finding", "MxHost", "ProviderMatch", "Severity"),
        "maildiag.model",
    ),
    "Verdict": "maildiag.model",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'maildiag' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "Actor",
    "Blame",
    "Diagnosis",
    "DiagnosisDataError",
    "DnsAnswer",
    "DnsStatus",
    "DoctorReport",
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
    "adiagnose_many",
    "adoctor",
    "clear_dns_cache",
    "diagnose",
    "diagnose_many",
    "doctor",
]
