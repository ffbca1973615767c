"""Helpers for the doctor tests: a FakeResolver zone with a clean sending domain to break."""

from __future__ import annotations

from maildiag._doctor import DoctorReport, doctor
from maildiag.testing import FakeResolver

GOOD = "good.example"
GOOD_IP = "192.0.2.10"


def txt(*strings: str) -> str:
    """One TXT record in presentation format (each string quoted)."""
    return " ".join('"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"' for s in strings)


def good_zone(domain: str = GOOD) -> FakeResolver:
    """A sending domain that does everything right (the base each test breaks one rule of)."""
    fake = FakeResolver()
    fake.mx(domain, f"mx.{domain}")
    fake.add(domain, "TXT", txt(f"v=spf1 ip4:192.0.2.0/24 include:_spf.{domain} -all"))
    fake.add(f"_spf.{domain}", "TXT", txt("v=spf1 ip6:2001:db8::/32 ~all"))
    fake.add(f"_dmarc.{domain}", "TXT", txt(f"v=DMARC1; p=reject; rua=mailto:dmarc@{domain}"))
    fake.add(f"_mta-sts.{domain}", "TXT", txt("v=STSv1; id=20240101"))
    fake.add(f"_smtp._tls.{domain}", "TXT", txt(f"v=TLSRPTv1; rua=mailto:tls@{domain}"))
    fake.add("10.2.0.192.in-addr.arpa", "PTR", f"out.{domain}.")
    fake.add(f"out.{domain}", "A", GOOD_IP)
    return fake


def run(fake: FakeResolver, domain: str = GOOD, **kwargs: object) -> DoctorReport:
    return doctor(domain, resolver=fake, **kwargs)  # type: ignore[arg-type]


def problems(report: DoctorReport) -> set[str]:
    """The codes of warnings and errors (what a shop must act on)."""
    return {f.code for f in report.findings if f.severity.value != "info"}
