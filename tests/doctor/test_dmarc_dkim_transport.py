"""DMARC (RFC 7489), DKIM keys (RFC 6376, RFC 8301) and transport records (MX, RFC 8461, RFC 8460)."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from tests.doctor._zone import GOOD, good_zone, problems, run, txt

from maildiag._doctor import dkim, dmarc
from maildiag.testing import FakeResolver


def _set(fake: FakeResolver, name: str, *records: str) -> FakeResolver:
    fake._records[(name, "TXT")] = [txt(r) for r in records]
    fake.add(name, "TXT")  # make the name exist even when empty
    return fake


@pytest.mark.parametrize(
    ("records", "code"),
    [
        ((), "doctor.dmarc.missing"),
        (("v=spf1 -all",), "doctor.dmarc.missing"),  # not a DMARC record
        (("v=DMARC1; p=reject", "v=DMARC1; p=none"), "doctor.dmarc.multiple"),  # §6.6.3
        (("v=DMARC1; p=block; rua=mailto:d@good.example",), "doctor.dmarc.syntax"),
        (("v=DMARC1; rua=mailto:d@good.example",), "doctor.dmarc.syntax"),  # no p=
        (("v=DMARC1; p=reject; pct=150; rua=mailto:d@good.example",), "doctor.dmarc.syntax"),
        (("v=DMARC1; p=reject; rua=https://x.example",), "doctor.dmarc.syntax"),
        (("v=DMARC1; p=none; rua=mailto:d@good.example",), "doctor.dmarc.policy_none"),
        (("v=DMARC1; p=none",), "doctor.dmarc.no_rua"),  # the "p=none with no rua"
        (("v=DMARC1; p=quarantine; pct=20; rua=mailto:d@good.example",), "doctor.dmarc.pct_partial"),
        (("v=DMARC1; p=reject; sp=none; rua=mailto:d@good.example",), "doctor.dmarc.subdomains_none"),
        (("v=DMARC1; p=reject; rua=mailto:reports@vendor.example",), "doctor.dmarc.report_not_authorized"),
    ],
)
def test_dmarc_rules(records: tuple[str, ...], code: str) -> None:
    report = run(_set(good_zone(), f"_dmarc.{GOOD}", *records))
    assert report.has(code), report.codes


def test_dmarc_good_and_authorised_external_reports() -> None:
    fake = _set(good_zone(), f"_dmarc.{GOOD}", "v=DMARC1; p=reject; rua=mailto:reports@vendor.example")
    fake.add(f"{GOOD}._report._dmarc.vendor.example", "TXT", txt("v=DMARC1"))
    report = run(fake)
    assert not {c for c in problems(report) if c.startswith("doctor.dmarc")}


def test_dmarc_strict_alignment_is_noted() -> None:
    fake = _set(good_zone(), f"_dmarc.{GOOD}", "v=DMARC1; p=reject; adkim=s; rua=mailto:d@good.example")
    assert run(fake).has("doctor.dmarc.strict_alignment")


def test_dmarc_falls_back_to_the_organisational_domain() -> None:
    """§6.6.3: no record at the subdomain: the organisational domain's applies, with sp=."""
    fake = good_zone()
    fake.mx(f"mail.{GOOD}", f"mx.{GOOD}")
    _set(fake, f"_dmarc.{GOOD}", "v=DMARC1; p=reject; sp=none; rua=mailto:d@good.example")
    report = run(fake, f"mail.{GOOD}")
    assert report.has("doctor.dmarc.inherited")
    assert report.has("doctor.dmarc.policy_none")  # sp=none is what applies to the subdomain
    assert not report.has("doctor.dmarc.missing")


def test_org_domain_uses_the_public_suffix_list() -> None:
    assert dmarc.org_domain("mail.shop.co.uk") == "shop.co.uk"
    assert dmarc.org_domain("a.b.shop.com") == "shop.com"


def _spki(key: rsa.RSAPublicKey | ed25519.Ed25519PublicKey) -> str:
    if isinstance(key, ed25519.Ed25519PublicKey):
        raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    else:
        raw = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(raw).decode()


def _rsa(bits: int) -> str:
    # cryptography will not generate keys under 1024 bits; a public key needs only n and e.
    n = (1 << (bits - 1)) | 0xF1
    return _spki(rsa.RSAPublicNumbers(65537, n).public_key())


@pytest.mark.parametrize(
    ("record", "code"),
    [
        (None, "doctor.dkim.missing"),
        ("v=DKIM1; k=rsa; p=", "doctor.dkim.revoked"),
        ("v=DKIM1; k=rsa; p=!!!notbase64", "doctor.dkim.syntax"),
        ("v=DKIM1; k=rsa; p=" + base64.b64encode(b"garbage").decode(), "doctor.dkim.syntax"),
        ("k=rsa; v=DKIM1; p=AAAA", "doctor.dkim.syntax"),  # v= must come first (§3.6.1)
        ("v=DKIM1; k=dsa; p=AAAA", "doctor.dkim.key_type"),
        ("v=DKIM1; k=rsa; p=" + _rsa(512), "doctor.dkim.weak_key"),  # RFC 8301 §3.2
        ("v=DKIM1; k=rsa; p=" + _rsa(1024), "doctor.dkim.short_key"),
        ("v=DKIM1; k=rsa; t=y; p=" + _rsa(2048), "doctor.dkim.testing"),
    ],
)
def test_dkim_rules(record: str | None, code: str) -> None:
    fake = good_zone()
    if record is not None:
        fake.add(f"s1._domainkey.{GOOD}", "TXT", txt(record))
    report = run(fake, dkim_selectors=["s1"])
    assert report.has(code), report.codes


@pytest.mark.parametrize("key", [_rsa(2048), _spki(ed25519.Ed25519PrivateKey.generate().public_key())],
                         ids=["rsa2048", "ed25519"])
def test_dkim_good_keys(key: str) -> None:
    fake = good_zone()
    kind = "rsa" if len(key) > 100 else "ed25519"
    # A long key split over several strings, as DNS consoles publish it (RFC 6376 §3.6.2.2).
    text = f"v=DKIM1; k={kind}; p={key}"
    fake.add(f"s1._domainkey.{GOOD}", "TXT", txt(*(text[i:i + 200] for i in range(0, len(text), 200))))
    report = run(fake, dkim_selectors=["s1"])
    assert not {c for c in problems(report) if c.startswith("doctor.dkim")}
    assert {(r.requirement, r.status) for r in report.checklist} >= {("dkim", "met")}


def test_dkim_key_size_unknown_without_cryptography(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    real = builtins.__import__

    def no_crypto(name: str, *args: object, **kwargs: object) -> object:
        if name.startswith("cryptography"):
            raise ImportError(name)
        return real(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(builtins, "__import__", no_crypto)
    assert dkim.key_bits(dkim.parse("p=" + _rsa(2048))) is None
    monkeypatch.undo()
    fake = good_zone()
    fake.add(f"s1._domainkey.{GOOD}", "TXT", txt("v=DKIM1; p=" + _rsa(2048)))
    monkeypatch.setattr(dkim, "key_bits", lambda key: None)
    assert run(fake, dkim_selectors=["s1"]).has("doctor.dkim.size_unknown")


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ("no_mx", "doctor.mx.missing"),
        ("null_mx", "doctor.mx.null"),
        ("nxdomain", "doctor.domain.not_found"),
        ("no_sts", "doctor.mta_sts.missing"),
        ("bad_sts", "doctor.mta_sts.syntax"),
        ("no_rpt", "doctor.tlsrpt.missing"),
        ("bad_rpt", "doctor.tlsrpt.syntax"),
    ],
)
def test_transport_rules(change: str, code: str) -> None:
    fake = good_zone()
    domain = GOOD
    if change == "no_mx":
        fake._records.pop((GOOD, "MX"))
    elif change == "null_mx":
        fake._records[(GOOD, "MX")] = ["0 ."]
    elif change == "nxdomain":
        domain = "gone.example"
    elif change == "no_sts":
        fake._records.pop((f"_mta-sts.{GOOD}", "TXT"))
    elif change == "bad_sts":
        _set(fake, f"_mta-sts.{GOOD}", "v=STSv1; id=not valid!")
    elif change == "no_rpt":
        fake._records.pop((f"_smtp._tls.{GOOD}", "TXT"))
    else:
        _set(fake, f"_smtp._tls.{GOOD}", "v=TLSRPTv1; rua=ftp://x.example")
    assert run(fake, domain).has(code)


def test_good_domain_is_clean() -> None:
    """The issue's "doctor on the good domain is clean": no warning or error at all."""
    fake = good_zone()
    fake.add(f"s1._domainkey.{GOOD}", "TXT", txt("v=DKIM1; k=rsa; p=" + _rsa(2048)))
    report = run(fake, dkim_selectors=["s1"], sending_ips=["192.0.2.10"])
    assert report.ok, report.codes
    assert {r.status for r in report.checklist} <= {"met", "unknown"}
