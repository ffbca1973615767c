"""A resolver that lies makes an address unknown (our network), never undeliverable (issue 9.2).

A DNS filter, a Pi-hole or a filtering appliance may answer every MX question with
``10 mx.<name>`` and every A question with 0.0.0.0. That says nothing about the customer's
address. The sanity check behind ``dns.resolver_lying`` runs on every path where DNS alone
would conclude "undeliverable": no such domain, no MX and no routable address, and MX hosts
without a routable address (the sinkhole case, which used to skip it).
"""

from __future__ import annotations

from collections.abc import Iterator

import dns.resolver
import pytest

from maildiag import Blame, DnsAnswer, DnsStatus, Verdict, adiagnose, diagnose
from maildiag.testing import FakeResolver

ADDRESSES = ["jane@gmail.com", "jane@outlook.com", "jane@shop.example", "jane.doe@small-business.example"]


@pytest.mark.parametrize("address", ADDRESSES)
@pytest.mark.parametrize("sink", ["0.0.0.0", "127.0.0.1", "10.0.0.1", "::", "fe80::1"])
def test_a_wildcard_sinkhole_gives_unknown_not_undeliverable(address: str, sink: str) -> None:
    d = diagnose(address, resolver=FakeResolver(sane=False).sinkhole(sink))
    assert (d.verdict, d.blame) == (Verdict.UNKNOWN, Blame.OUR_NETWORK), d.codes
    assert "dns.resolver_lying" in d.codes
    assert "mx.no_usable_host" not in d.codes and "mx.host_not_routable" not in d.codes


async def test_the_async_shell_follows_the_same_rule() -> None:
    d = await adiagnose("jane@shop.example", resolver=FakeResolver(sane=False).sinkhole())
    assert (d.verdict, d.blame) == (Verdict.UNKNOWN, Blame.OUR_NETWORK), d.codes


def test_a_domain_that_really_points_its_mx_at_nowhere_is_still_undeliverable() -> None:
    # The sanity names answer with real mail servers, so the resolver tells the truth.
    fake = FakeResolver().add("shop.example", "MX", "10 mx.shop.example.").address("mx.shop.example", "0.0.0.0")
    d = diagnose("jane@shop.example", resolver=fake)
    assert (d.verdict, d.blame) == (Verdict.UNDELIVERABLE, Blame.DOMAIN), d.codes
    assert "mx.no_usable_host" in d.codes


def test_a_sanity_check_that_fails_gives_unknown() -> None:
    fake = FakeResolver().add("shop.example", "MX", "10 mx.shop.example.").address("mx.shop.example", "0.0.0.0")
    fake.fail("gmail-smtp-in.l.google.com", "timeout")
    d = diagnose("jane@shop.example", resolver=fake)
    assert d.verdict is Verdict.UNKNOWN, d.codes
    assert "mx.no_usable_host" not in d.codes


@pytest.mark.dns_server
@pytest.mark.parametrize("address", ADDRESSES)
def test_a_real_wildcard_sinkhole_server_gives_unknown(sinkhole_dns_server: tuple[str, int], address: str) -> None:
    r = dns.resolver.Resolver(configure=False)
    r.nameservers = [sinkhole_dns_server[0]]
    r.port = sinkhole_dns_server[1]
    r.timeout, r.lifetime = 0.5, 1.0
    d = diagnose(address, resolver=r)
    assert (d.verdict, d.blame) == (Verdict.UNKNOWN, Blame.OUR_NETWORK), d.codes
    assert "dns.resolver_lying" in d.codes


@pytest.mark.parametrize(("address", "code"), [("sales@small-business.example", "flag.role"),
                                               ("x@mailinator.com", "flag.disposable")])
def test_what_is_known_without_dns_keeps_its_verdict_under_a_lying_resolver(address: str, code: str) -> None:
    # Issue 10.6: a role or disposable address is risky whatever our DNS does; the lie is
    # kept as what could not be checked.
    d = diagnose(address, resolver=FakeResolver(sane=False).sinkhole())
    assert d.verdict is Verdict.RISKY and d.has(code) and d.has("dns.resolver_lying"), d.codes


# -- One rule on every path: what gives a resolver away, and what does not -----------------
#
# docs/design.md "A resolver that lies". Three signs, checked wherever DNS alone would make an
# address undeliverable (no such domain, a null MX, no MX and no routable address, MX hosts
# without a routable address): a domain known to take mail (gmail.com) cannot be dead; the
# sanity name (gmail.com) must have MX hosts with public addresses; and a name that cannot
# exist (a random label under .com) must not exist.


class PartialLiar:
    """A DNS filter that answers the sanity names truthfully and lies for every other name.

    ``mx`` is its MX answer for any name (``{name}`` filled in), or None for "no MX"; A
    queries get ``address``. This is the lie the sanity name alone cannot catch.
    """

    def __init__(self, mx: str | None, address: str = "0.0.0.0", *, sane: bool = True) -> None:
        self.truth = FakeResolver(sane=sane)
        self.mx, self.address = mx, address

    def lookup(self, name: str, rdtype: str, timeout: float) -> DnsAnswer:
        truth = self.truth.answer(name, rdtype)
        if truth.status is not DnsStatus.NXDOMAIN:
            return truth
        if rdtype == "MX":
            if self.mx is None:
                return DnsAnswer(name, rdtype, DnsStatus.NODATA)
            return DnsAnswer(name, rdtype, DnsStatus.OK, (self.mx.format(name=name.rstrip(".")),))
        if rdtype == ("AAAA" if ":" in self.address else "A"):
            return DnsAnswer(name, rdtype, DnsStatus.OK, (self.address,))
        return DnsAnswer(name, rdtype, DnsStatus.NODATA)


LIES = [
    pytest.param("10 mx.{name}.", id="explicit-mx-to-0.0.0.0"),
    pytest.param("10 mx.sinkhole.invalid.", id="one-mx-for-all"),
    pytest.param(None, id="no-mx-and-0.0.0.0(implicit-mx)"),
    pytest.param("0 .", id="null-mx-for-all"),
]


@pytest.mark.parametrize("mx", LIES)
@pytest.mark.parametrize("sane", [True, False], ids=["sanity-names-spared", "sanity-names-lied-too"])
@pytest.mark.parametrize("address", ["jane@shop.example", "jane.doe@small-business.example"])
def test_every_path_to_undeliverable_asks_whether_the_resolver_lies(address: str, mx: str | None, sane: bool) -> None:
    d = diagnose(address, resolver=PartialLiar(mx, sane=sane))
    assert (d.verdict, d.blame) == (Verdict.UNKNOWN, Blame.OUR_NETWORK), d.codes
    assert d.codes == ("dns.resolver_lying",), d.codes


@pytest.mark.parametrize("mx", LIES)
def test_a_known_mail_domain_is_never_dead(mx: str | None) -> None:
    # gmail.com takes mail: no MX, a null MX or MX hosts at 0.0.0.0 for it is a lie, whatever
    # the resolver says of anything else.
    liar = PartialLiar(mx, sane=False)
    d = diagnose("jane@yahoo.com", resolver=liar)
    assert d.verdict is Verdict.UNKNOWN and d.has("dns.resolver_lying"), d.codes
    assert not any(f.code.startswith(("mx.", "domain.")) for f in d.findings), d.codes


async def test_the_async_shell_asks_too() -> None:
    d = await adiagnose("jane@shop.example", resolver=PartialLiar("10 mx.{name}."))
    assert d.codes == ("dns.resolver_lying",), d.codes


def _truthful() -> FakeResolver:
    """A truthful DNS with domains that really cannot take mail."""
    fake = FakeResolver()
    fake.add("zero.example", "MX", "10 mx.zero.example.").address("mx.zero.example", "0.0.0.0")
    fake.add("loop.example", "MX", "10 mx.loop.example.").address("mx.loop.example", "127.0.0.1")
    fake.add("lan.example", "MX", "10 mx.lan.example.").address("mx.lan.example", "192.168.1.25")
    fake.add("multicast.example", "MX", "10 mx.multicast.example.").address("mx.multicast.example", "224.0.0.25")
    fake.address("a-zero.example", "0.0.0.0")
    fake.exists("empty.example")
    fake.null_mx("null.example")
    return fake


@pytest.mark.parametrize(("address", "code"), [
    ("jane@zero.example", "mx.no_usable_host"),
    ("jane@loop.example", "mx.no_usable_host"),
    ("jane@lan.example", "mx.no_usable_host"),
    ("jane@multicast.example", "mx.no_usable_host"),
    ("jane@a-zero.example", "mx.implicit_not_routable"),
    ("jane@empty.example", "domain.no_mail_route"),
    ("jane@null.example", "mx.null"),
    ("jane@gone.example", "domain.not_found"),
])
def test_a_domain_that_really_cannot_take_mail_stays_undeliverable(address: str, code: str) -> None:
    # The same answers as the lies above, from a resolver that passes every sign: the domain
    # itself is broken, and the customer must hear so.
    d = diagnose(address, resolver=_truthful())
    assert (d.verdict, d.blame) == (Verdict.UNDELIVERABLE, Blame.DOMAIN), d.codes
    assert d.has(code) and not d.has("dns.resolver_lying"), d.codes


def test_a_working_domain_costs_no_sanity_question() -> None:
    fake = FakeResolver().mx("shop.example", "mx.shop.example")
    assert diagnose("jane@shop.example", resolver=fake).verdict is Verdict.OK
    # (A and AAAA are asked concurrently, in either order.)
    assert sorted(fake.queries) == [("mx.shop.example", "A"), ("mx.shop.example", "AAAA"), ("shop.example", "MX")]


class Forgetful(FakeResolver):
    """Truthful for the names it holds; every other name times out (the canary included)."""

    def answer(self, name: str, rdtype: str) -> DnsAnswer:
        found = super().answer(name, rdtype)
        if found.status is DnsStatus.NXDOMAIN:
            return DnsAnswer(name, rdtype, DnsStatus.TIMEOUT, detail="dropped")
        return found


def test_a_canary_that_cannot_be_asked_gives_unknown_not_undeliverable() -> None:
    fake = Forgetful()
    fake.add("zero.example", "MX", "10 mx.zero.example.").address("mx.zero.example", "0.0.0.0")
    d = diagnose("jane@zero.example", resolver=fake)
    assert (d.verdict, d.blame) == (Verdict.UNKNOWN, Blame.OUR_NETWORK), d.codes
    assert d.has("dns.timeout") and not d.has("mx.no_usable_host"), d.codes


def test_what_the_lie_looked_like_stays_in_the_evidence() -> None:
    d = diagnose("jane@shop.example", resolver=PartialLiar("10 mx.{name}."))
    lying = d.findings[0]
    assert any("mx.shop.example" in e for e in lying.evidence), lying.evidence
    assert any("does not exist" in e or "cannot exist" in e for e in lying.evidence), lying.evidence
    assert [h.host for h in d.mx] == ["mx.shop.example"]  # the answers are kept as they came


@pytest.fixture(scope="module")
def partial_sinkhole_dns_server() -> Iterator[tuple[str, int]]:
    """An unbound that answers the sanity names truthfully and sinkholes every other name."""
    from tests.conftest import HERE, _serve_zone

    yield from _serve_zone(HERE / "dns" / "partial-sinkhole.zone", "ns.sinkhole-ns")


def _unbound_resolver(server: tuple[str, int]) -> dns.resolver.Resolver:
    r = dns.resolver.Resolver(configure=False)
    r.nameservers = [server[0]]
    r.port = server[1]
    r.timeout, r.lifetime = 0.5, 1.0
    return r


@pytest.mark.dns_server
@pytest.mark.parametrize("address", ["jane@shop.example", "jane.doe@small-business.example", "jane@yahoo.com"])
def test_a_real_filter_that_spares_the_sanity_names_gives_unknown(
    partial_sinkhole_dns_server: tuple[str, int], address: str
) -> None:
    d = diagnose(address, resolver=_unbound_resolver(partial_sinkhole_dns_server))
    assert (d.verdict, d.blame) == (Verdict.UNKNOWN, Blame.OUR_NETWORK), d.codes
    assert d.has("dns.resolver_lying"), d.codes
    ok = diagnose("jane@gmail.com", resolver=_unbound_resolver(partial_sinkhole_dns_server))
    assert ok.verdict is not Verdict.UNDELIVERABLE, ok.codes


@pytest.mark.dns_server
@pytest.mark.parametrize(("address", "code"), [
    ("x@mx-zero.example", "mx.no_usable_host"),
    ("x@implicit-zero.example", "mx.implicit_not_routable"),
    ("x@mx-multicast.example", "mx.no_usable_host"),
])
def test_a_real_truthful_server_keeps_a_broken_domain_undeliverable(
    dns_server: tuple[str, int], address: str, code: str
) -> None:
    d = diagnose(address, resolver=_unbound_resolver(dns_server))
    assert (d.verdict, d.blame) == (Verdict.UNDELIVERABLE, Blame.DOMAIN), d.codes
    assert d.has(code), d.codes
