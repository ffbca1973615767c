"""No probe, and no "deliverable", towards an address that is not global unicast (issue 9.3).

Table-driven over every block of IANA's IPv4 and IPv6 Special-Purpose Address Registries (read
2026-12-05) and the multicast and tunnelled forms: an address inside each block, with whether a
public mail server can be there. The table is written here from the registries, independently
of the package data that ``maildiag._ip`` reads, so a wrong entry there fails here.
"""

from __future__ import annotations

import pytest

from maildiag import Options, Verdict, diagnose
from maildiag.smtp import address_allowed
from maildiag.testing import FakeResolver

# (address, public?, registry entry)
CASES: list[tuple[str, bool, str]] = [
    # IPv4 Special-Purpose Address Registry
    ("0.0.0.1", False, "0.0.0.0/8 this network"),
    ("0.0.0.0", False, "0.0.0.0/32 this host"),
    ("10.0.0.25", False, "10.0.0.0/8 private-use"),
    ("100.64.0.25", False, "100.64.0.0/10 shared address space"),
    ("127.0.0.1", False, "127.0.0.0/8 loopback"),
    ("169.254.0.25", False, "169.254.0.0/16 link local"),
    ("172.16.0.25", False, "172.16.0.0/12 private-use"),
    ("192.0.0.25", False, "192.0.0.0/24 IETF protocol assignments"),
    ("192.0.0.1", False, "192.0.0.0/29 DS-Lite"),
    ("192.0.0.8", False, "192.0.0.8/32 IPv4 dummy address"),
    ("192.0.0.9", True, "192.0.0.9/32 PCP anycast (globally reachable)"),
    ("192.0.0.10", True, "192.0.0.10/32 TURN anycast (globally reachable)"),
    ("192.0.0.170", False, "192.0.0.170/32 NAT64/DNS64 discovery"),
    ("192.0.2.25", False, "192.0.2.0/24 documentation TEST-NET-1"),
    ("192.31.196.25", True, "192.31.196.0/24 AS112-v4 (globally reachable)"),
    ("192.52.193.25", True, "192.52.193.0/24 AMT (globally reachable)"),
    ("192.88.99.25", False, "192.88.99.0/24 deprecated 6to4 relay anycast"),
    ("192.168.1.25", False, "192.168.0.0/16 private-use"),
    ("192.175.48.25", True, "192.175.48.0/24 direct delegation AS112 (globally reachable)"),
    ("198.18.0.25", False, "198.18.0.0/15 benchmarking"),
    ("198.51.100.25", False, "198.51.100.0/24 documentation TEST-NET-2"),
    ("203.0.113.25", False, "203.0.113.0/24 documentation TEST-NET-3"),
    ("240.0.0.25", False, "240.0.0.0/4 reserved"),
    ("255.255.255.255", False, "255.255.255.255/32 limited broadcast"),
    ("224.0.0.25", False, "224.0.0.0/4 multicast"),
    ("239.255.0.25", False, "224.0.0.0/4 multicast (admin scoped)"),
    ("8.8.8.8", True, "ordinary global unicast"),
    ("142.250.27.26", True, "ordinary global unicast"),
    # IPv6 Special-Purpose Address Registry
    ("::1", False, "::1/128 loopback"),
    ("::", False, "::/128 unspecified"),
    ("::ffff:8.8.8.8", False, "::ffff:0:0/96 IPv4-mapped (never on the wire)"),
    ("::ffff:10.0.0.25", False, "::ffff:0:0/96 IPv4-mapped"),
    ("64:ff9b::808:808", True, "64:ff9b::/96 NAT64 of 8.8.8.8"),
    ("64:ff9b::a00:19", False, "64:ff9b::/96 NAT64 of 10.0.0.25"),
    ("64:ff9b::7f00:1", False, "64:ff9b::/96 NAT64 of 127.0.0.1"),
    ("64:ff9b:1::25", False, "64:ff9b:1::/48 local-use translation"),
    ("100::25", False, "100::/64 discard-only"),
    ("2001:2::25", False, "2001:2::/48 benchmarking"),
    ("2001:1::1", True, "2001:1::1/128 PCP anycast (globally reachable)"),
    ("2001:3::25", True, "2001:3::/32 AMT (globally reachable)"),
    ("2001:4:112::25", True, "2001:4:112::/48 AS112-v6 (globally reachable)"),
    ("2001:10::25", False, "2001:10::/28 deprecated ORCHID"),
    ("2001:20::25", True, "2001:20::/28 ORCHIDv2 (globally reachable)"),
    ("2001:100::25", False, "2001::/23 IETF protocol assignments"),
    ("2001:db8::25", False, "2001:db8::/32 documentation"),
    ("3fff::25", False, "3fff::/20 documentation"),
    ("5f00::25", False, "5f00::/16 segment routing SIDs"),
    ("2002:a00:19::25", False, "2002::/16 6to4 of 10.0.0.25"),
    ("2002:7f00:1::25", False, "2002::/16 6to4 of 127.0.0.1"),
    ("2002:808:808::25", True, "2002::/16 6to4 of 8.8.8.8"),
    # Teredo: server 65.54.227.120, client 8.8.8.8 (stored inverted, RFC 4380 §4)
    ("2001:0:4136:e378:8000:63bf:f7f7:f7f7", True, "2001::/32 Teredo, both ends global"),
    # Teredo: server 65.54.227.120, client 10.0.0.25 (inverted f5ff:ffe6)
    ("2001:0:4136:e378:8000:63bf:f5ff:ffe6", False, "2001::/32 Teredo, client 10.0.0.25"),
    ("2620:4f:8000::25", True, "2620:4f:8000::/48 direct delegation AS112 (globally reachable)"),
    ("fc00::25", False, "fc00::/7 unique-local"),
    ("fd12:3456::25", False, "fc00::/7 unique-local"),
    ("fe80::25", False, "fe80::/10 link-local"),
    ("fec0::25", False, "fec0::/10 deprecated site-local"),
    ("ff02::1", False, "ff00::/8 multicast"),
    ("ff05::25", False, "ff00::/8 multicast"),
    ("4000::25", False, "outside 2000::/3: not allocated as global unicast"),
    ("2a00:1450:400c:c0b::1a", True, "ordinary global unicast"),
]


@pytest.mark.parametrize(("ip", "public", "block"), CASES, ids=[c[0] for c in CASES])
def test_the_prober_refuses_every_address_that_is_not_global_unicast(ip: str, public: bool, block: str) -> None:
    assert address_allowed(ip, False) is public, block


@pytest.mark.parametrize("ip", ["0.0.0.0", "::", "224.0.0.25", "ff02::1", "255.255.255.255", "::ffff:224.0.0.1"])
def test_no_server_listens_at_these_even_when_private_addresses_are_allowed(ip: str) -> None:
    assert address_allowed(ip, True) is False


@pytest.mark.parametrize("ip", ["10.0.0.25", "127.0.0.1", "fd12::25", "192.0.0.25"])
def test_a_shop_can_allow_its_own_private_test_servers(ip: str) -> None:
    assert address_allowed(ip, True) is True


@pytest.mark.parametrize(("ip", "public", "block"), CASES, ids=[c[0] for c in CASES])
def test_an_mx_there_decides_the_verdict_by_the_same_rule(ip: str, public: bool, block: str) -> None:
    fake = FakeResolver()
    fake.add("shop.example", "MX", "10 mx.shop.example.")
    fake.add("mx.shop.example", "AAAA" if ":" in ip else "A", ip)
    d = diagnose("jane@shop.example", resolver=fake)
    if public:
        assert d.verdict is Verdict.OK, (block, d.codes)
    else:
        # No public mail server can be at a special-purpose or multicast address.
        assert d.verdict is Verdict.UNDELIVERABLE, (block, d.codes)
        assert "mx.no_usable_host" in d.codes


def test_no_probe_is_attempted_towards_a_tunnelled_private_address() -> None:
    fake = FakeResolver()
    fake.add("shop.example", "MX", "10 mx.shop.example.")
    fake.add("mx.shop.example", "AAAA", "2002:a00:19::25")
    opts = Options(smtp_probe=True, helo="probe.shop.example", mail_from="bounces@shop.example")
    d = diagnose("jane@shop.example", resolver=fake, options=opts)
    assert "smtp" not in d.checks
    assert d.verdict is Verdict.UNDELIVERABLE
