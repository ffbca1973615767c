"""MX and DNS rules, on a real unbound (loopback) and on the in-process FakeResolver.

One table drives both, in sync and async: the same zone must give the same diagnosis
whichever resolver and shell runs it.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

import maildiag
from maildiag import Blame, DnsStatus, Verdict
from maildiag.testing import FakeResolver

# (address, allow_private_addresses, verdict, codes that must be present)
CASES = [
    pytest.param("x@multi-mx.example", True, Verdict.OK, [], id="multi-mx"),
    pytest.param("x@null-mx.example", True, Verdict.UNDELIVERABLE, ["mx.null"], id="null-mx"),
    pytest.param("x@a-only.example", True, Verdict.OK, ["mx.implicit"], id="implicit-mx"),
    pytest.param(
        "x@a-only.example", False, Verdict.UNDELIVERABLE, ["mx.implicit_not_routable"],
        id="implicit-mx-loopback-not-routable",
    ),
    pytest.param(
        "x@mx-nxhost.example", True, Verdict.UNDELIVERABLE, ["mx.host_not_found", "mx.no_usable_host"],
        id="mx-host-nxdomain",
    ),
    pytest.param(
        "x@mx-noaddr.example", True, Verdict.UNDELIVERABLE, ["mx.host_no_address", "mx.no_usable_host"],
        id="mx-host-nodata",
    ),
    pytest.param("x@half-broken.example", True, Verdict.RISKY, ["mx.host_not_found"], id="backup-mx-missing"),
    pytest.param(
        "x@mx-private.example", False, Verdict.UNDELIVERABLE, ["mx.host_not_routable", "mx.no_usable_host"],
        id="mx-private",
    ),
    pytest.param("x@mx-loopback.example", True, Verdict.OK, [], id="mx-loopback-allowed"),
    pytest.param("x@mx-cname.example", True, Verdict.OK, ["mx.host_cname"], id="mx-cname"),
    pytest.param("x@bücher.example", True, Verdict.OK, [], id="idn"),
    pytest.param("x@empty.example", True, Verdict.UNDELIVERABLE, ["domain.no_mail_route"], id="nodata"),
    pytest.param("x@nope.example", True, Verdict.UNDELIVERABLE, ["domain.not_found"], id="nxdomain"),
    pytest.param("x@x.servfail.example", True, Verdict.UNKNOWN, ["dns.servfail"], id="servfail"),
    pytest.param("x@x.refused.example", True, Verdict.UNKNOWN, ["dns.refused"], id="refused"),
    pytest.param("x@x.timeout.example", True, Verdict.UNKNOWN, ["dns.timeout"], id="timeout"),
]


def fake_zone() -> FakeResolver:
    """The same zone as tests/dns/test.zone, in the in-process fake."""
    f = FakeResolver()
    f.add("multi-mx.example", "MX", "20 mx2.multi-mx.example.", "10 mx1.multi-mx.example.",
          "30 mx3.multi-mx.example.")
    f.address("mx1.multi-mx.example", "127.0.0.1").address("mx2.multi-mx.example", "127.0.0.2")
    f.address("mx3.multi-mx.example", "::1")
    f.null_mx("null-mx.example").address("null-mx.example", "127.0.0.1")
    f.address("a-only.example", "127.0.0.1")
    f.mx("mx-nxhost.example", "ghost.mx-nxhost.example", address=None)
    f.mx("mx-noaddr.example", "host.mx-noaddr.example", address=None).exists("host.mx-noaddr.example")
    f.mx("half-broken.example", "mx.half-broken.example")
    f.add("half-broken.example", "MX", "20 ghost.half-broken.example.")
    f.mx("mx-loopback.example", "mx.mx-loopback.example")
    f.mx("mx-private.example", "mx.mx-private.example", address="10.0.0.25")
    f.address("mx.mx-private.example", "192.168.1.25")
    f.mx("mx-cname.example", "alias.mx-cname.example", address=None)
    f.cname("alias.mx-cname.example", "real.mx-cname.example").address("real.mx-cname.example", "127.0.0.1")
    f.mx("xn--bcher-kva.example", "mx.xn--bcher-kva.example")
    f.exists("empty.example")
    f.fail("servfail.example", "servfail").fail("refused.example", "refused").fail("timeout.example", "timeout")
    return f


def check(d: maildiag.Diagnosis, verdict: Verdict, codes: list[str]) -> None:
    assert d.verdict is verdict, d.to_dict()
    for code in codes:
        assert d.has(code), (code, d.codes)
    if verdict is Verdict.UNKNOWN:
        # Our DNS failing says nothing about the address: never the customer's fault.
        assert d.blame is Blame.OUR_NETWORK
        assert not any(f.blame is Blame.ADDRESS for f in d.findings)


@pytest.mark.parametrize(("address", "private", "verdict", "codes"), CASES)
def test_unbound_sync(resolver: Any, address: str, private: bool, verdict: Verdict, codes: list[str]) -> None:
    check(maildiag.diagnose(address, resolver=resolver, allow_private_addresses=private), verdict, codes)


@pytest.mark.parametrize(("address", "private", "verdict", "codes"), CASES)
async def test_unbound_async(resolver: Any, address: str, private: bool, verdict: Verdict, codes: list[str]) -> None:
    d = await maildiag.adiagnose(address, resolver=resolver, allow_private_addresses=private)
    check(d, verdict, codes)


@pytest.mark.parametrize(("address", "private", "verdict", "codes"), CASES)
def test_fake_sync(address: str, private: bool, verdict: Verdict, codes: list[str]) -> None:
    check(maildiag.diagnose(address, resolver=fake_zone(), allow_private_addresses=private), verdict, codes)


@pytest.mark.parametrize(("address", "private", "verdict", "codes"), CASES)
async def test_fake_async(address: str, private: bool, verdict: Verdict, codes: list[str]) -> None:
    d = await maildiag.adiagnose(address, resolver=fake_zone(), allow_private_addresses=private)
    check(d, verdict, codes)


def test_mx_sorted_by_preference_with_addresses(resolver: Any) -> None:
    d = maildiag.diagnose("x@multi-mx.example", resolver=resolver, allow_private_addresses=True)
    assert [(m.preference, m.host) for m in d.mx] == [
        (10, "mx1.multi-mx.example"), (20, "mx2.multi-mx.example"), (30, "mx3.multi-mx.example"),
    ]
    assert [m.addresses for m in d.mx] == [("127.0.0.1",), ("127.0.0.2",), ("::1",)]


def test_mx_hosts_are_resolved_concurrently_in_one_batch() -> None:
    from maildiag._core import Query, plan
    from maildiag.model import DnsAnswer

    flow = plan("x@multi-mx.example", maildiag.Options())
    assert next(flow) == (Query("multi-mx.example", "MX"),)
    batch = flow.send((DnsAnswer("multi-mx.example", "MX", DnsStatus.OK,
                                 ("10 a.multi-mx.example.", "20 b.multi-mx.example.")),))
    assert set(batch) == {Query(h, t) for h in ("a.multi-mx.example", "b.multi-mx.example") for t in ("A", "AAAA")}


def test_null_mx_evidence_names_the_record(resolver: Any) -> None:
    d = maildiag.diagnose("x@null-mx.example", resolver=resolver)
    finding = d.find("mx.null")
    assert finding is not None
    assert finding.evidence == ("MX null-mx.example: 0 .",)
    assert finding.params["domain"] == "null-mx.example"


def test_idn_is_queried_in_ascii_and_reported_in_unicode(resolver: Any) -> None:
    d = maildiag.diagnose("x@bücher.example", resolver=resolver, allow_private_addresses=True)
    assert d.domain == "bücher.example"
    assert d.dns[0].name == "xn--bcher-kva.example"


@pytest.fixture
def warm() -> None:
    """Load the data tables first: the deadline bounds DNS, not a process's first data load."""
    maildiag.diagnose("jane@gmail.com", offline=True)


@pytest.mark.usefixtures("warm")
@pytest.mark.parametrize("deadline", [0.2, 0.6])
def test_deadline_is_kept_sync(resolver: Any, deadline: float) -> None:
    """A dropped query cannot hold a checkout page past the deadline."""
    resolver.timeout = resolver.lifetime = 5.0  # the resolver alone would wait much longer
    start = time.monotonic()
    d = maildiag.diagnose("x@x.timeout.example", resolver=resolver, deadline=deadline)
    assert time.monotonic() - start < deadline + 0.05
    assert d.verdict is Verdict.UNKNOWN and d.has("dns.timeout")


@pytest.mark.usefixtures("warm")
@pytest.mark.parametrize("deadline", [0.2, 0.6])
async def test_deadline_is_kept_async(resolver: Any, deadline: float) -> None:
    resolver.timeout = resolver.lifetime = 5.0
    start = time.monotonic()
    d = await maildiag.adiagnose("x@x.timeout.example", resolver=resolver, deadline=deadline)
    assert time.monotonic() - start < deadline + 0.05
    assert d.verdict is Verdict.UNKNOWN and d.has("dns.timeout")


@pytest.mark.usefixtures("warm")
def test_deadline_covers_slow_mx_host_lookups() -> None:
    fake = FakeResolver().mx("slow.example", "mx.slow.example").slow("mx.slow.example", 5.0)
    start = time.monotonic()
    d = maildiag.diagnose("x@slow.example", resolver=fake, deadline=0.3, allow_private_addresses=True)
    assert time.monotonic() - start < 0.55
    assert d.verdict is Verdict.UNKNOWN and d.has("dns.timeout")


def test_a_resolver_that_denies_gmail_is_caught() -> None:
    """NXDOMAIN for everything (a sandbox, a captive portal) is 'unknown, our network'."""
    liar = FakeResolver(sane=False)
    for address in ("jane@gmail.com", "bob@some-shop-customer.example"):
        d = maildiag.diagnose(address, resolver=liar)
        assert d.verdict is Verdict.UNKNOWN, d.codes
        assert d.has("dns.resolver_lying") and d.blame is Blame.OUR_NETWORK


def test_nxdomain_is_trusted_when_the_sanity_name_resolves() -> None:
    d = maildiag.diagnose("bob@nope.example", resolver=FakeResolver())
    assert d.verdict is Verdict.UNDELIVERABLE and d.has("domain.not_found")


def test_sanity_check_failing_is_not_undeliverable() -> None:
    fake = FakeResolver(sane=False).fail("gmail.com", "timeout")
    d = maildiag.diagnose("bob@nope.example", resolver=fake)
    assert d.verdict is Verdict.UNKNOWN and d.has("dns.unverified_nxdomain")


def test_offline_sends_no_query() -> None:
    fake = FakeResolver()
    d = maildiag.diagnose("jane@shop.example", resolver=fake, offline=True)
    assert fake.queries == []
    assert "dns" not in d.checks


def test_typo_domain_is_suggested_even_when_it_resolves() -> None:
    fake = FakeResolver().mx("gmial.com", "mx.gmial.com")
    d = maildiag.diagnose("jane@gmial.com", resolver=fake, allow_private_addresses=True)
    assert d.verdict is Verdict.FIX
    assert d.suggestion == "jane@gmail.com"


def test_no_nameserver_configured_is_unknown() -> None:
    import dns.resolver

    empty = dns.resolver.Resolver(configure=False)
    d = maildiag.diagnose("jane@shop.example", resolver=empty)
    assert d.verdict is Verdict.UNKNOWN and d.has("dns.no_resolver")


class _SlowAAAA(FakeResolver):
    """A fake whose AAAA queries fail as `status` (a dropped or refused query)."""

    def __init__(self, status: DnsStatus) -> None:
        super().__init__()
        self.status = status

    def answer(self, name: str, rdtype: str) -> maildiag.DnsAnswer:
        if rdtype.upper() == "AAAA":
            return maildiag.DnsAnswer(name, rdtype, self.status)
        return super().answer(name, rdtype)


@pytest.mark.parametrize("status", [DnsStatus.TIMEOUT, DnsStatus.SERVFAIL])
def test_a_failed_aaaa_query_is_never_read_as_no_route(status: DnsStatus) -> None:
    """The unanswered AAAA might have held the one routable address: unknown, not undeliverable."""
    fake = _SlowAAAA(status).mx("shop-a.example", "mx.shop-a.example", address="10.0.0.25")
    fake.address("shop-b.example", "10.0.0.26")
    for address in ("jane@shop-a.example", "jane@shop-b.example"):
        d = maildiag.diagnose(address, resolver=fake)
        assert d.verdict is Verdict.UNKNOWN, (address, d.codes)
        assert not d.has("mx.no_usable_host") and not d.has("mx.implicit_not_routable")


class _Hanging:
    """A resolver that ignores the timeout it is given (a badly written test double)."""

    def lookup(self, name: str, rdtype: str, timeout: float) -> maildiag.DnsAnswer:
        time.sleep(1.5)
        return maildiag.DnsAnswer(name, rdtype, DnsStatus.NXDOMAIN)

    async def alookup(self, name: str, rdtype: str, timeout: float) -> maildiag.DnsAnswer:
        await asyncio.sleep(1.5)
        return maildiag.DnsAnswer(name, rdtype, DnsStatus.NXDOMAIN)


@pytest.mark.usefixtures("warm")
def test_deadline_bounds_a_resolver_that_ignores_it_sync() -> None:
    start = time.monotonic()
    d = maildiag.diagnose("jane@shop.example", resolver=_Hanging(), deadline=0.3)
    assert time.monotonic() - start < 0.35
    assert d.has("dns.timeout") and d.verdict is Verdict.UNKNOWN


@pytest.mark.usefixtures("warm")
async def test_deadline_bounds_a_resolver_that_ignores_it_async() -> None:
    start = time.monotonic()
    d = await maildiag.adiagnose("jane@shop.example", resolver=_Hanging(), deadline=0.3)
    assert time.monotonic() - start < 0.35
    assert d.has("dns.timeout") and d.verdict is Verdict.UNKNOWN


@pytest.mark.parametrize("direction", ["sync-to-async", "async-to-sync"])
def test_twin_keeps_every_resolver_setting(direction: str) -> None:
    import dns.asyncresolver
    import dns.resolver

    from maildiag._shells import _twin

    kinds = [dns.resolver.Resolver, dns.asyncresolver.Resolver]
    source, target = kinds if direction == "sync-to-async" else kinds[::-1]
    r = source(configure=False)
    r.nameservers, r.port = ["127.0.0.1"], 5353
    r.retry_servfail, r.rotate, r.ndots, r.timeout, r.lifetime = True, True, 3, 0.7, 1.9
    twin = _twin(r, target)
    assert type(twin) is target
    for name in ("nameservers", "port", "retry_servfail", "rotate", "ndots", "timeout", "lifetime", "cache"):
        assert getattr(twin, name) == getattr(r, name), name
