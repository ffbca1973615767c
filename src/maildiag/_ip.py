"""Is an address one that a public mail server can have? One rule, used by the verdict and the prober.

The stdlib's ``is_global`` is not enough in Python 3.11: it calls multicast addresses global,
knows only part of 192.0.0.0/24, and does not look inside the IPv6 forms that carry an IPv4
address (6to4, Teredo, NAT64, IPv4-mapped). So the blocks come from IANA's registries, as
package data with their source and date (``data/special_addresses.toml``), and the embedded
IPv4 address of a tunnelled form is judged as itself: ``2002:7f00:1::25`` is 127.0.0.1.
"""

from __future__ import annotations

import functools
import ipaddress
import tomllib
from dataclasses import dataclass
from importlib import resources

__all__ = ["is_public_unicast", "is_unusable"]

_IPv4Net = ipaddress.IPv4Network
_IPv6Net = ipaddress.IPv6Network


@dataclass(frozen=True, slots=True)
class _Blocks:
    v4_not_global: tuple[_IPv4Net, ...]
    v4_exceptions: tuple[_IPv4Net, ...]
    v6_global_unicast: tuple[_IPv6Net, ...]
    v6_not_global: tuple[_IPv6Net, ...]
    v6_exceptions: tuple[_IPv6Net, ...]
    nat64: _IPv6Net


@functools.cache
def _blocks() -> _Blocks:
    text = (resources.files("maildiag") / "data" / "special_addresses.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    v4, v6 = data["ipv4"], data["ipv6"]
    return _Blocks(
        tuple(map(_IPv4Net, v4["not_global"])),
        tuple(map(_IPv4Net, v4["exceptions"])),
        tuple(map(_IPv6Net, v6["global_unicast"])),
        tuple(map(_IPv6Net, v6["not_global"])),
        tuple(map(_IPv6Net, v6["exceptions"])),
        _IPv6Net(v6["nat64"]),
    )


def _v4_public(addr: ipaddress.IPv4Address) -> bool:
    blocks = _blocks()
    if any(addr in net for net in blocks.v4_exceptions):
        return True
    return not any(addr in net for net in blocks.v4_not_global)


def _v6_public(addr: ipaddress.IPv6Address) -> bool:
    blocks = _blocks()
    if addr.ipv4_mapped is not None:
        # ::ffff:a.b.c.d only exists inside a host's socket API (RFC 4291 §2.5.5.2); a DNS
        # answer holding one points at no IPv6 server.
        return False
    if addr in blocks.nat64:
        return _v4_public(ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF))
    if addr.sixtofour is not None:
        return _v4_public(addr.sixtofour)
    if addr.teredo is not None:
        server, client = addr.teredo
        return _v4_public(server) and _v4_public(client)
    if not any(addr in net for net in blocks.v6_global_unicast):
        return False  # link-local, site-local, unique-local, multicast, loopback, unallocated
    if any(addr in net for net in blocks.v6_exceptions):
        return True
    return not any(addr in net for net in blocks.v6_not_global)


def is_public_unicast(ip: str) -> bool:
    """True when ``ip`` is a global unicast address: one a public mail server can have.

    Anything that is not an IP address is False.
    """
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return False
    return _v4_public(addr) if isinstance(addr, ipaddress.IPv4Address) else _v6_public(addr)


def is_unusable(ip: str) -> bool:
    """True for addresses no server listens on, even on a private network: unspecified,
    multicast and broadcast (and anything that is not an IP address).

    These stay refused when a shop allows private addresses for its own test servers.
    """
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return True
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    broadcast = isinstance(addr, ipaddress.IPv4Address) and addr == ipaddress.IPv4Address("255.255.255.255")
    return addr.is_unspecified or addr.is_multicast or broadcast
