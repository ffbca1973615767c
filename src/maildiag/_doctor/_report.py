"""The doctor's result: :class:`DoctorReport`, a frozen value like :class:`~maildiag.Diagnosis`."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from maildiag._doctor.providers import Requirement
from maildiag.model import DnsAnswer, Finding, Severity, _Fields, sort_findings

__all__ = ["DoctorReport"]


@dataclasses.dataclass(frozen=True, slots=True)
class DoctorReport:
    """What ``maildiag.doctor(domain)`` found about a shop's sending set-up.

    Attributes:
        domain: the sending domain checked (ASCII form).
        findings: most severe first; every one has a stable ``doctor.*`` code, actor ``shop``
            (or ``nobody`` for what could not be checked), params and evidence (the records seen).
        checklist: the big providers' requirements, each ``met``, ``not_met`` or ``unknown``.
        checks: the families that ran (``spf``, ``dkim``, ``dmarc``, ``transport``, ``ips``, ``message``).
        dns: every DNS answer the checks used, in the order asked.
    """

    domain: str
    findings: tuple[Finding, ...] = ()
    checklist: tuple[Requirement, ...] = ()
    checks: tuple[str, ...] = ()
    dns: tuple[DnsAnswer, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "findings", sort_findings(self.findings))
        object.__setattr__(self, "checklist", tuple(self.checklist))
        object.__setattr__(self, "checks", tuple(self.checks))
        object.__setattr__(self, "dns", tuple(self.dns))

    @property
    def ok(self) -> bool:
        """No warning or error: the sending set-up has nothing to fix that could be checked."""
        return not any(f.severity is not Severity.INFO for f in self.findings)

    @property
    def codes(self) -> tuple[str, ...]:
        """The codes of :attr:`findings`, in order."""
        return tuple(f.code for f in self.findings)

    def has(self, code: str) -> bool:
        """Whether some finding has ``code``."""
        return code in self.codes

    def find(self, code: str) -> Finding | None:
        """The first finding with ``code``."""
        return next((f for f in self.findings if f.code == code), None)

    def messages(self, locale: str = "en") -> list[str]:
        """One fix-it text per finding, in ``locale`` (English and Hebrew ship)."""
        return [f.message(locale) for f in self.findings]

    def to_dict(self) -> dict[str, Any]:
        """A new JSON-compatible dict; ``DoctorReport.from_dict(r.to_dict()) == r``."""
        return {
            "domain": self.domain,
            "ok": self.ok,
            "findings": [f.to_dict() for f in self.findings],
            "checklist": [r.to_dict() for r in self.checklist],
            "checks": list(self.checks),
            "dns": [a.to_dict() for a in self.dns],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DoctorReport:
        """Rebuild from :meth:`to_dict` output.

        Raises:
            maildiag.errors.DiagnosisDataError: ``data`` is not a serialized report.
        """
        f = _Fields(data, "doctor")
        return cls(
            domain=f.text("domain"),
            findings=tuple(Finding._read(x) for x in f.objects("findings")),
            checklist=tuple(Requirement.from_dict(x.data) for x in f.objects("checklist")),
            checks=f.texts("checks"),
            dns=tuple(DnsAnswer._read(x) for x in f.objects("dns")),
        )
