"""Sending IPs (PTR, FCrDNS, DNSBLs per RFC 5782) and a received message (RFC 8601, 7489, 8058)."""

from __future__ import annotations

import pytest
from tests.doctor._zone import GOOD, GOOD_IP, good_zone, run

from maildiag._doctor import Dnsbl, default_dnsbls, ips, message
from maildiag.model import DnsStatus

SPAMHAUS = next(b for b in default_dnsbls() if b.zone == "zen.spamhaus.org")


def test_default_lists_are_package_data_with_spamhaus_refusals() -> None:
    assert {"zen.spamhaus.org", "b.barracudacentral.org", "bl.spamcop.net"} <= {b.zone for b in default_dnsbls()}
    assert set(SPAMHAUS.refused) == {"127.255.255.252", "127.255.255.254", "127.255.255.255"}


@pytest.mark.parametrize(
    ("records", "status", "result"),
    [
        ((), DnsStatus.NXDOMAIN, "not_listed"),
        (("127.0.0.2",), DnsStatus.OK, "listed"),
        (("127.0.0.4", "127.0.0.10"), DnsStatus.OK, "listed"),
        (("127.255.255.254",), DnsStatus.OK, "unknown"),  # public resolver refused
        (("127.255.255.252",), DnsStatus.OK, "unknown"),
        (("127.255.255.255",), DnsStatus.OK, "unknown"),
        (("0.0.0.0",), DnsStatus.OK, "unknown"),  # a sinkhole's answer is no listing
        (("127.0.0.1",), DnsStatus.OK, "unknown"),  # RFC 5782 §5: never a listing
        ((), DnsStatus.NODATA, "unknown"),
        ((), DnsStatus.TIMEOUT, "unknown"),
        ((), DnsStatus.SERVFAIL, "unknown"),
    ],
)
def test_dnsbl_answers(records: tuple[str, ...], status: DnsStatus, result: str) -> None:
    assert ips.listing(records, status, SPAMHAUS) == result


def test_listed_ip_and_refusing_list_in_one_run() -> None:
    fake = good_zone()
    fake.address("10.2.0.192.bl.test", "127.0.0.2")
    fake.address("10.2.0.192.refusing.test", "127.255.255.254")
    lists = [Dnsbl("bl.test", "Test BL", url="https://bl.test/"),
             Dnsbl("refusing.test", "Refusing", refused=("127.255.255.254",)),
             Dnsbl("clean.test", "Clean")]
    report = run(fake, sending_ips=[GOOD_IP], dnsbls=lists)
    listed = [f for f in report.findings if f.code == "doctor.ip.listed"]
    assert [f.params["zone"] for f in listed] == ["bl.test"]
    unknown = [f for f in report.findings if f.code == "doctor.ip.dnsbl_unknown"]
    assert [f.params["zone"] for f in unknown] == ["refusing.test"]


def test_ipv6_is_asked_only_of_lists_that_answer_it() -> None:
    fake = good_zone()
    run(fake, sending_ips=["2001:db8::1"], dnsbls=[Dnsbl("v4only.test"), Dnsbl("v6.test", ipv6=True)])
    zones = {name.split(".", 32)[-1] for name, rdtype in fake.queries if rdtype == "A"}
    assert any(n.endswith("v6.test") for n, _ in fake.queries)
    assert not any(n.endswith("v4only.test") for n, _ in fake.queries), zones


@pytest.mark.parametrize(
    ("setup", "code"),
    [
        ("no_ptr", "doctor.ip.no_ptr"),
        ("mismatch", "doctor.ip.ptr_mismatch"),
        ("invalid", "doctor.ip.invalid"),
    ],
)
def test_reverse_dns(setup: str, code: str) -> None:
    fake = good_zone()
    ip = GOOD_IP
    if setup == "no_ptr":
        fake._records.pop(("10.2.0.192.in-addr.arpa", "PTR"))
    elif setup == "mismatch":
        fake._records[(f"out.{GOOD}", "A")] = ["192.0.2.11"]
    else:
        ip = "not-an-ip"
    report = run(fake, sending_ips=[ip], dnsbls=[])
    assert report.has(code), report.codes
    if setup != "invalid":
        assert ("ptr", "not_met") in {(r.requirement, r.status) for r in report.checklist}


def test_forward_confirmed_ptr_is_clean() -> None:
    report = run(good_zone(), sending_ips=[GOOD_IP], dnsbls=[])
    assert not any(f.code.startswith("doctor.ip") for f in report.findings)
    assert ("ptr", "met") in {(r.requirement, r.status) for r in report.checklist}


_ALIGNED = (
    "Return-Path: <bounce@good.example>\n"
    "Authentication-Results: mx.google.com; dkim=pass header.i=@good.example header.s=s1;\n"
    " spf=pass (google.com: domain of bounce@good.example designates 192.0.2.10 as permitted sender)"
    " smtp.mailfrom=bounce@good.example; dmarc=pass (p=REJECT) header.from=good.example\n"
    "DKIM-Signature: v=1; a=rsa-sha256; d=good.example; s=s1; h=from:to:subject:list-unsubscribe:\n"
    " list-unsubscribe-post; bh=x; b=y\n"
    "From: Shop <news@good.example>\n"
    "List-Unsubscribe: <https://good.example/u?x=1>, <mailto:u@good.example>\n"
    "List-Unsubscribe-Post: List-Unsubscribe=One-Click\n"
    "Subject: hi\n\nbody\n"
)


def test_aligned_message_is_clean() -> None:
    report = run(good_zone(), eml=_ALIGNED.encode())
    assert not any(f.code.startswith("doctor.message") for f in report.findings), report.codes
    statuses = {(r.requirement, r.status) for r in report.checklist}
    assert {("dmarc_aligned", "met"), ("one_click_unsubscribe", "met"), ("dkim", "met")} <= statuses


@pytest.mark.parametrize(
    ("old", "new", "code"),
    [
        ("spf=pass", "spf=softfail", "doctor.message.spf_failed"),
        ("dkim=pass", "dkim=fail", "doctor.message.dkim_failed"),
        ("dmarc=pass", "dmarc=fail", "doctor.message.dmarc_failed"),
        ("List-Unsubscribe-Post: List-Unsubscribe=One-Click\n", "", "doctor.message.no_one_click"),
        ("<https://good.example/u?x=1>, ", "", "doctor.message.no_one_click"),  # needs HTTPS
        ("list-unsubscribe:\n list-unsubscribe-post; ", "", "doctor.message.no_one_click"),  # not signed
        ("List-Unsubscribe: <https://good.example/u?x=1>, <mailto:u@good.example>\n", "",
         "doctor.message.no_list_unsubscribe"),
        ("Authentication-Results:", "X-Old-Results:", "doctor.message.no_auth_results"),
        ("From: Shop <news@good.example>\n", "", "doctor.message.unreadable"),
    ],
)
def test_message_rules(old: str, new: str, code: str) -> None:
    assert old in _ALIGNED
    report = run(good_zone(), eml=_ALIGNED.replace(old, new).encode())
    assert report.has(code), report.codes


def test_not_aligned_spf_only_from_provider_bounce_domain() -> None:
    raw = _ALIGNED.replace("smtp.mailfrom=bounce@good.example", "smtp.mailfrom=b@esp.example").replace(
        "dkim=pass", "dkim=fail")
    report = run(good_zone(), eml=raw.encode())
    finding = report.find("doctor.message.not_aligned")
    assert finding is not None and finding.params["spf_domain"] == "esp.example"


def test_not_aligned_dkim_signed_by_the_provider_domain() -> None:
    """Authenticated, but as the email provider's domain, not the shop's (RFC 7489 §3.1)."""
    raw = _ALIGNED.replace("header.i=@good.example", "header.i=@esp.example").replace("spf=pass", "spf=softfail")
    report = run(good_zone(), eml=raw.encode())
    finding = report.find("doctor.message.not_aligned")
    assert finding is not None and finding.params["dkim_domains"] == ("esp.example",)
    assert ("dmarc_aligned", "not_met") in {(r.requirement, r.status) for r in report.checklist}


def test_arc_results_are_read_when_the_copy_has_no_authentication_results() -> None:
    """RFC 8617: the highest-instance ARC-Authentication-Results stands in for a missing A-R."""
    ar = _ALIGNED.split("Authentication-Results: ", 1)[1].split("\nDKIM-Signature", 1)[0]
    raw = _ALIGNED.replace("Authentication-Results: " + ar,
                           "ARC-Authentication-Results: i=1; " + ar.replace("dkim=pass", "dkim=fail") +
                           "\nARC-Authentication-Results: i=2; " + ar)
    report = run(good_zone(), eml=raw.encode())
    assert not report.has("doctor.message.no_auth_results")
    assert not report.has("doctor.message.dkim_failed")  # instance 2 is read, not 1
    assert ("dmarc_aligned", "met") in {(r.requirement, r.status) for r in report.checklist}


def test_auth_results_parser_handles_comments_and_quotes() -> None:
    parsed = message.auth_results('mx.example; spf=pass (a; comment (nested) dkim=fail) smtp.mailfrom="a@b.example"')
    assert [(r.method, r.result, r.prop("smtp.mailfrom")) for r in parsed] == [("spf", "pass", "a@b.example")]


def test_hostile_message_is_a_finding() -> None:
    report = run(good_zone(), eml=b"\xff\xfe\x00From: \x00\n" * 1000)
    assert report.has("doctor.message.unreadable")
