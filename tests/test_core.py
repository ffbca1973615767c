"""The pure core, driven by hand: which queries it asks, in which batches. No I/O at all."""

from __future__ import annotations

import pytest

from maildiag import Diagnosis, DnsAnswer, DnsStatus, Options, Verdict
from maildiag._core import CANARY_LABEL, Flow, Query, plan


def finish(flow: Flow, answers: tuple[DnsAnswer, ...]) -> Diagnosis:
    with pytest.raises(StopIteration) as done:
        flow.send(answers)
    diagnosis: Diagnosis = done.value.value
    return diagnosis


def test_offline_asks_nothing() -> None:
    flow = plan("jane@shop.example", Options(offline=True))
    with pytest.raises(StopIteration) as done:
        next(flow)
    assert done.value.value.verdict is Verdict.OK


def test_invalid_syntax_asks_nothing() -> None:
    flow = plan("jane@@", Options())
    with pytest.raises(StopIteration) as done:
        next(flow)
    assert done.value.value.verdict is not Verdict.OK


def test_mx_first_then_hosts_in_one_batch() -> None:
    flow = plan("jane@shop.example", Options(allow_private_addresses=True))
    assert next(flow) == (Query("shop.example", "MX"),)
    batch = flow.send((DnsAnswer("shop.example", "MX", DnsStatus.OK, ("10 mx.shop.example.",)),))
    assert batch == (Query("mx.shop.example", "A"), Query("mx.shop.example", "AAAA"))
    d = finish(flow, (DnsAnswer("mx.shop.example", "A", DnsStatus.OK, ("127.0.0.1",)),
                      DnsAnswer("mx.shop.example", "AAAA", DnsStatus.NODATA)))
    assert d.verdict is Verdict.OK
    assert [a.rdtype for a in d.dns] == ["MX", "A", "AAAA"]


def test_nxdomain_triggers_exactly_one_sanity_query() -> None:
    flow = plan("jane@nope.example", Options())
    next(flow)
    batch = flow.send((DnsAnswer("nope.example", "MX", DnsStatus.NXDOMAIN),))
    assert batch == (Query("gmail.com", "MX"),)
    d = finish(flow, (DnsAnswer("gmail.com", "MX", DnsStatus.OK, ("5 gmail-smtp-in.l.google.com.",)),))
    assert d.has("domain.not_found")
    assert d.verdict is Verdict.UNDELIVERABLE


def test_nxdomain_for_a_known_domain_needs_no_sanity_query() -> None:
    flow = plan("jane@gmail.com", Options())
    next(flow)
    d = finish(flow, (DnsAnswer("gmail.com", "MX", DnsStatus.NXDOMAIN),))
    assert d.has("dns.resolver_lying")
    assert d.verdict is Verdict.UNKNOWN


def test_no_mx_asks_for_the_domains_addresses() -> None:
    flow = plan("jane@a-only.example", Options())
    next(flow)
    batch = flow.send((DnsAnswer("a-only.example", "MX", DnsStatus.NODATA),))
    assert batch == (Query("a-only.example", "A"), Query("a-only.example", "AAAA"))
    batch = flow.send((DnsAnswer("a-only.example", "A", DnsStatus.OK, ("192.0.2.1",)),
                       DnsAnswer("a-only.example", "AAAA", DnsStatus.NODATA)))
    # No route (192.0.2.0/24 is TEST-NET-1): before saying so, does the resolver lie? The
    # sanity name and a name that cannot exist, in one round trip (issue 9.2).
    assert batch == (Query("gmail.com", "MX"), _CANARY)
    batch = flow.send(_SANITY_OK)
    # ... and do the sanity name's mail servers have public addresses?
    assert batch == (Query("gmail-smtp-in.l.google.com", "A"), Query("gmail-smtp-in.l.google.com", "AAAA"))
    d = finish(flow, _SANITY_HOST_OK)
    assert d.has("mx.implicit_not_routable")
    assert d.verdict is Verdict.UNDELIVERABLE


_CANARY = Query(f"{CANARY_LABEL}.com", "MX")
_NO_ROUTE = (DnsAnswer("x", "A", DnsStatus.OK, ("0.0.0.0",)), DnsAnswer("x", "AAAA", DnsStatus.NODATA))
_GMAIL_MX = DnsAnswer("gmail.com", "MX", DnsStatus.OK, ("5 gmail-smtp-in.l.google.com.",))
_CANARY_NX = DnsAnswer(_CANARY.name, "MX", DnsStatus.NXDOMAIN)
_SANITY_OK = (_GMAIL_MX, _CANARY_NX)
_SANITY_HOST_OK = (DnsAnswer("gmail-smtp-in.l.google.com", "A", DnsStatus.OK, ("142.250.27.26",)),
                   DnsAnswer("gmail-smtp-in.l.google.com", "AAAA", DnsStatus.NODATA))
_SANITY_HOST_SINK = (DnsAnswer("gmail-smtp-in.l.google.com", "A", DnsStatus.OK, ("0.0.0.0",)),
                     DnsAnswer("gmail-smtp-in.l.google.com", "AAAA", DnsStatus.NODATA))


@pytest.mark.parametrize(
    ("sanity", "canary", "hosts", "verdict", "code"),
    [
        pytest.param(_GMAIL_MX, _CANARY_NX, _SANITY_HOST_OK, Verdict.UNDELIVERABLE, "mx.implicit_not_routable",
                     id="sanity-has-mx-canary-absent-trust-it"),
        pytest.param(_GMAIL_MX, _CANARY_NX, _SANITY_HOST_SINK, Verdict.UNKNOWN, "dns.resolver_lying",
                     id="sanity-mx-host-sinkholed"),
        pytest.param(_GMAIL_MX, DnsAnswer(_CANARY.name, "MX", DnsStatus.OK, (f"10 mx.{_CANARY.name}.",)), None,
                     Verdict.UNKNOWN, "dns.resolver_lying", id="canary-has-mx-wildcard-sinkhole"),
        pytest.param(_GMAIL_MX, DnsAnswer(_CANARY.name, "MX", DnsStatus.NODATA), None,
                     Verdict.UNKNOWN, "dns.resolver_lying", id="canary-exists-no-mx-sinkhole"),
        pytest.param(_GMAIL_MX, DnsAnswer(_CANARY.name, "MX", DnsStatus.TIMEOUT), None,
                     Verdict.UNKNOWN, "dns.timeout", id="canary-timed-out"),
        pytest.param(DnsAnswer("gmail.com", "MX", DnsStatus.NODATA), _CANARY_NX, None,
                     Verdict.UNKNOWN, "dns.resolver_lying", id="sanity-without-mx-sinkhole"),
        pytest.param(DnsAnswer("gmail.com", "MX", DnsStatus.NXDOMAIN), _CANARY_NX, None,
                     Verdict.UNKNOWN, "dns.resolver_lying", id="sanity-nxdomain"),
        pytest.param(DnsAnswer("gmail.com", "MX", DnsStatus.TIMEOUT), _CANARY_NX, None,
                     Verdict.UNKNOWN, "dns.timeout", id="sanity-timed-out"),
    ],
)
def test_no_mail_route_is_checked_against_a_lying_resolver(
    sanity: DnsAnswer, canary: DnsAnswer, hosts: tuple[DnsAnswer, ...] | None, verdict: Verdict, code: str
) -> None:
    flow = plan("jane@a-only.example", Options())
    next(flow)
    flow.send((DnsAnswer("a-only.example", "MX", DnsStatus.NODATA),))
    assert flow.send(_NO_ROUTE) == (Query("gmail.com", "MX"), _CANARY)
    if hosts is not None:
        flow.send((sanity, canary))
        d = finish(flow, hosts)
    else:
        d = finish(flow, (sanity, canary))
    assert d.verdict is verdict and d.has(code), d.codes
    assert not d.has("mx.implicit_not_routable") or verdict is Verdict.UNDELIVERABLE


@pytest.mark.parametrize("addresses", [("0.0.0.0",), ()], ids=["sinkhole-address", "no-address"])
def test_a_big_provider_without_mail_route_means_the_resolver_lies(addresses: tuple[str, ...]) -> None:
    # A DNS filter answering "no MX" (and 0.0.0.0) for everything would make gmail.com undeliverable.
    flow = plan("jane@gmail.com", Options())
    next(flow)
    flow.send((DnsAnswer("gmail.com", "MX", DnsStatus.NODATA),))
    status = DnsStatus.OK if addresses else DnsStatus.NODATA
    d = finish(flow, (DnsAnswer("gmail.com", "A", status, addresses), DnsAnswer("gmail.com", "AAAA", DnsStatus.NODATA)))
    assert d.verdict is Verdict.UNKNOWN
    assert d.has("dns.resolver_lying")


def test_a_null_mx_is_final_once_the_resolver_is_shown_to_tell_the_truth() -> None:
    # RFC 7505: "no mail here". A resolver answering "0 ." for every name would say it of
    # gmail.com too, so the same check runs as on every other path to undeliverable.
    flow = plan("jane@null.example", Options())
    next(flow)
    batch = flow.send((DnsAnswer("null.example", "MX", DnsStatus.OK, ("0 .",)),))
    assert batch == (Query("gmail.com", "MX"), _CANARY)
    flow.send(_SANITY_OK)
    d = finish(flow, _SANITY_HOST_OK)
    assert d.codes == ("mx.null",)


def test_a_null_mx_for_a_known_mail_domain_is_a_lie_without_asking() -> None:
    flow = plan("jane@gmail.com", Options())
    next(flow)
    d = finish(flow, (DnsAnswer("gmail.com", "MX", DnsStatus.OK, ("0 .",)),))
    assert d.verdict is Verdict.UNKNOWN and d.has("dns.resolver_lying") and not d.has("mx.null"), d.codes


@pytest.mark.parametrize(
    ("status", "code"),
    [(DnsStatus.TIMEOUT, "dns.timeout"), (DnsStatus.SERVFAIL, "dns.servfail"),
     (DnsStatus.REFUSED, "dns.refused"), (DnsStatus.NO_RESOLVER, "dns.no_resolver"),
     (DnsStatus.ERROR, "dns.error")],
)
def test_every_dns_failure_is_unknown_never_undeliverable(status: DnsStatus, code: str) -> None:
    flow = plan("jane@shop.example", Options())
    next(flow)
    d = finish(flow, (DnsAnswer("shop.example", "MX", status),))
    assert d.codes == (code,)
    assert d.verdict is Verdict.UNKNOWN


def test_mx_records_sorted_by_preference_then_name() -> None:
    flow = plan("jane@shop.example", Options(allow_private_addresses=True))
    next(flow)
    batch = flow.send((DnsAnswer("shop.example", "MX", DnsStatus.OK,
                                 ("20 b.shop.example.", "10 z.shop.example.", "10 a.shop.example.")),))
    hosts = list(dict.fromkeys(q.name for q in batch if isinstance(q, Query)))
    assert hosts == ["a.shop.example", "z.shop.example", "b.shop.example"]


@pytest.mark.parametrize(
    ("address", "verdict", "suggestion", "first"),
    [
        pytest.param("jane@nomail.io,", Verdict.UNDELIVERABLE, None, "mx.null", id="repair-to-null-mx"),
        pytest.param("<jane@nomail.io>", Verdict.UNDELIVERABLE, None, "mx.null", id="enclosed-null-mx"),
        pytest.param("jane@gone.io,", Verdict.UNDELIVERABLE, None, "domain.not_found", id="repair-to-nxdomain"),
        pytest.param("jane@shop.io,", Verdict.FIX, "jane@shop.io", "syntax.repaired.stray_chars",
                     id="repair-to-working-domain"),
        pytest.param("jane@slow.io,", Verdict.FIX, "jane@slow.io", "syntax.repaired.stray_chars",
                     id="repair-dns-unknown-still-fix"),
        pytest.param("jane@gmial,com", Verdict.FIX, "jane@gmail.com", "syntax.repaired.comma",
                     id="repair-and-typo-dead-typo-domain"),
    ],
)
def test_a_repaired_address_is_offered_only_if_its_domain_can_take_mail(
    address: str, verdict: Verdict, suggestion: str | None, first: str
) -> None:
    from maildiag import diagnose
    from maildiag.testing import FakeResolver
    from maildiag.testing.addresses import MX_ADDRESS

    fake = FakeResolver().null_mx("nomail.io").mx("shop.io", "mx.shop.io", address=MX_ADDRESS).slow("slow.io", 5)
    d = diagnose(address, resolver=fake, deadline=0.2)
    assert (d.verdict, d.suggestion) == (verdict, suggestion), d.codes
    assert d.findings[0].code == first


_TWO_MX = DnsAnswer("shop.example", "MX", DnsStatus.OK, ("10 mx1.shop.example.", "20 mx2.shop.example."))


@pytest.mark.parametrize("backup", [DnsStatus.TIMEOUT, DnsStatus.SERVFAIL, DnsStatus.REFUSED])
def test_a_failed_backup_mx_lookup_does_not_hide_a_working_primary(backup: DnsStatus) -> None:
    flow = plan("jane@shop.example", Options())
    next(flow)
    batch = flow.send((_TWO_MX,))
    assert len(batch) == 4
    d = finish(flow, (
        DnsAnswer("mx1.shop.example", "A", DnsStatus.OK, ("8.8.4.4",)),
        DnsAnswer("mx1.shop.example", "AAAA", DnsStatus.NODATA),
        DnsAnswer("mx2.shop.example", "A", backup),
        DnsAnswer("mx2.shop.example", "AAAA", backup),
    ))
    assert d.verdict is Verdict.OK, d.codes
    assert len(d.dns) == 5  # the failed lookups stay in the evidence


def test_when_every_mx_lookup_failed_it_is_unknown() -> None:
    flow = plan("jane@shop.example", Options())
    next(flow)
    flow.send((_TWO_MX,))
    d = finish(flow, tuple(DnsAnswer(f"mx{i}.shop.example", t, DnsStatus.TIMEOUT)
                           for i in (1, 2) for t in ("A", "AAAA")))
    assert d.verdict is Verdict.UNKNOWN and d.has("dns.timeout")
