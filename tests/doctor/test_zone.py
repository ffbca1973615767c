"""`maildiag doctor` against a real DNS server: the good domain is clean, each broken one names its rule."""

from __future__ import annotations

import dns.resolver
import pytest

from maildiag._doctor import adoctor, doctor

pytestmark = pytest.mark.dns_server

ZONE = "doctor.example"
SHOWN = "https://"  # every fix-it names where to act or what to publish; checked per language below


def _doctor(resolver: dns.resolver.Resolver, name: str, **kwargs: object) -> set[str]:
    report = doctor(f"{name}.{ZONE}", resolver=resolver, deadline=5.0, **kwargs)  # type: ignore[arg-type]
    for finding in report.findings:  # both languages render every finding fully
        for locale in ("en", "he"):
            text = finding.message(locale)
            assert text and "{" not in text and finding.code not in text
    return {f.code for f in report.findings if f.severity.value != "info"}


def test_good_domain_is_clean(doctor_resolver: dns.resolver.Resolver) -> None:
    assert _doctor(doctor_resolver, "good", dkim_selectors=["s1"], sending_ips=["240.0.2.10"]) == set()


async def test_good_domain_is_clean_async(doctor_resolver: dns.resolver.Resolver) -> None:
    report = await adoctor(f"good.{ZONE}", resolver=doctor_resolver, deadline=5.0, dkim_selectors=["s1"],
                           sending_ips=["240.0.2.10"])
    assert report.ok, report.codes


@pytest.mark.parametrize(
    ("name", "kwargs", "code"),
    [
        ("two-spf", {}, "doctor.spf.multiple"),
        ("spf-plus-all", {}, "doctor.spf.all_pass"),
        ("spf-11", {}, "doctor.spf.too_many_lookups"),
        ("spf-void", {}, "doctor.spf.too_many_void_lookups"),
        ("spf-loop", {}, "doctor.spf.include_loop"),
        ("no-dmarc", {}, "doctor.dmarc.missing"),
        ("dmarc-none", {}, "doctor.dmarc.no_rua"),
        ("dmarc-none", {}, "doctor.dmarc.policy_none"),
        ("bad-dkim", {"dkim_selectors": ["s1"]}, "doctor.dkim.syntax"),
        ("weak-dkim", {"dkim_selectors": ["s1"]}, "doctor.dkim.weak_key"),
        ("good", {"sending_ips": ["240.0.2.20"]}, "doctor.ip.no_ptr"),
        ("good", {"sending_ips": ["240.0.2.30"]}, "doctor.ip.ptr_mismatch"),
        ("good", {"sending_ips": ["240.0.2.40"]}, "doctor.ip.listed"),
        ("good", {"sending_ips": ["198.51.100.7"]}, "doctor.spf.ip_not_permitted"),
    ],
)
def test_each_broken_domain_names_its_rule(
    doctor_resolver: dns.resolver.Resolver, name: str, kwargs: dict[str, object], code: str
) -> None:
    assert code in _doctor(doctor_resolver, name, **kwargs)


def test_refusing_dnsbl_is_unknown_never_listed(doctor_resolver: dns.resolver.Resolver) -> None:
    report = doctor(f"good.{ZONE}", resolver=doctor_resolver, deadline=5.0, sending_ips=["240.0.2.50"])
    assert not report.has("doctor.ip.listed")
    unknown = {f.params["zone"] for f in report.findings if f.code == "doctor.ip.dnsbl_unknown"}
    assert unknown == {"zen.spamhaus.org"}
    assert report.ok  # unknown is no problem of the shop's
