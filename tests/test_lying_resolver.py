"""A resolver that lies makes an address unknown (our network), never undeliverable (issue 9.2).

A DNS filter, a Pi-hole or a filtering appliance may answer every MX question with
``10 mx.<name>`` and every A question with 0.0.0.0. That says nothing about the customer's
address. The sanity check behind ``dns.resolver_lying`` runs on every path where DNS alone
would conclude "undeliverable": no such domain, no MX and no routable address, and MX hosts
without a routable address (the sinkhole case, which used to skip it).
"""

from __future__ import annotations

import dns.resolver
import pytest

from maildiag import Blame, Verdict, adiagnose, diagnose
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
