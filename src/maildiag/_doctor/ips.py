"""Sending IPs: reverse DNS that forward-confirms (FCrDNS), and DNS blocklists (RFC 5782).

A blocklist answer is read strictly: NXDOMAIN is "not listed"; an address in 127.0.0.0/8
other than 127.0.0.1 is a listing (RFC 5782 §2.1, §5); the list's own refusal answers
(Spamhaus: 127.255.255.252/254/255 for queries from public or shared resolvers) and any
other answer (a sinkhole's 0.0.0.0) are *unknown*; a failed query is unknown too.
"""

from __future__ import annotations

import dataclasses
import functools
import ipaddress
import tomllib
from collections.abc import Sequence
from importlib import resources

from maildiag._core import Query
from maildiag._doctor._flow import Ctx, DnsFlow, failed
from maildiag.model import DnsStatus

__all__ = ["Dnsbl", "check", "default_dnsbls", "listing"]


@dataclasses.dataclass(frozen=True, slots=True)
class Dnsbl:
    """One blocklist: its zone, whether it answers IPv6 queries, its refusal answers."""

    zone: str
    name: str = ""
    ipv6: bool = False
    refused: tuple[str, ...] = ()
    url: str = ""


@functools.cache
def default_dnsbls() -> tuple[Dnsbl, ...]:
    """The lists asked by default (package data ``doctor/data/dnsbl.toml``)."""
    raw = tomllib.loads((resources.files("maildiag") / "data" / "dnsbl.toml").read_text("utf-8"))
    return tuple(
        Dnsbl(e["zone"], e.get("name", e["zone"]), bool(e.get("ipv6")), tuple(e.get("refused", ())), e.get("url", ""))
        for e in raw["dnsbl"]
    )


def _reversed(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    return ip.reverse_pointer.removesuffix(".in-addr.arpa").removesuffix(".ip6.arpa")


def listing(records: Sequence[str], status: DnsStatus, dnsbl: Dnsbl) -> str:
    """``listed``, ``not_listed`` or ``unknown`` for one blocklist answer (see the module doc)."""
    if status is DnsStatus.NXDOMAIN:
        return "not_listed"
    if status is not DnsStatus.OK or not records:
        return "unknown"  # NODATA is no valid DNSBL answer either
    verdicts = set()
    for record in records:
        try:
            address = ipaddress.ip_address(record)
        except ValueError:
            return "unknown"
        if record in dnsbl.refused or not isinstance(address, ipaddress.IPv4Address) \
                or address not in ipaddress.ip_network("127.0.0.0/8") or record == "127.0.0.1":
            return "unknown"
        verdicts.add("listed")
    return "listed" if verdicts else "unknown"


def check(ctx: Ctx, sending_ips: tuple[str, ...], dnsbls: tuple[Dnsbl, ...]) -> DnsFlow:
    """PTR, forward confirmation and blocklists for each IP; sets the ``ptr`` fact."""
    parsed = []
    for text in sending_ips:
        try:
            ip = ipaddress.ip_address(text.strip())
        except ValueError:
            ctx.add("doctor.ip.invalid", {"ip": text})
            continue
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
            ip = ip.ipv4_mapped
        parsed.append(ip)
    if not parsed:
        ctx.facts.setdefault("ptr", None)
        return
    ptr_queries = [Query(ip.reverse_pointer, "PTR") for ip in parsed]
    bl_queries = [(ip, bl, Query(f"{_reversed(ip)}.{bl.zone}", "A"))
                  for ip in parsed for bl in dnsbls if ip.version == 4 or bl.ipv6]
    answers = yield from ctx.ask([*ptr_queries, *(q for _, _, q in bl_queries)])
    ptrs, bl_answers = answers[: len(parsed)], answers[len(parsed):]
    # Forward confirmation: every PTR name's addresses of the IP's family, one batch.
    forward = []
    for ip, ptr in zip(parsed, ptrs, strict=True):
        names = [r.rstrip(".").lower() for r in ptr.records] if ptr.status is DnsStatus.OK else []
        forward.append([Query(n, "A" if ip.version == 4 else "AAAA") for n in names[:10]])
    confirmations = yield from ctx.ask([q for group in forward for q in group])
    ptr_fact: bool | None = True
    at = 0
    for ip, ptr, group in zip(parsed, ptrs, forward, strict=True):
        got = confirmations[at: at + len(group)]
        at += len(group)
        params: dict[str, object] = {"ip": str(ip)}
        if failed(ptr):
            ctx.dns_failed(ptr, "ptr")
            ptr_fact = None if ptr_fact else ptr_fact
            continue
        if not group:
            ctx.add("doctor.ip.no_ptr", params, [ptr.describe()])
            ptr_fact = False
            continue
        confirmed = [q.name for q, a in zip(group, got, strict=True)
                     if any(_same(r, ip) for r in a.records)]
        if not confirmed:
            if any(failed(a) for a in got):
                for a in got:
                    if failed(a):
                        ctx.dns_failed(a, "ptr")
                ptr_fact = None if ptr_fact else ptr_fact
                continue
            ctx.add("doctor.ip.ptr_mismatch", {**params, "ptr": group[0].name},
                    [ptr.describe(), *(a.describe() for a in got)])
            ptr_fact = False
    ctx.facts["ptr"] = ptr_fact
    for (ip, bl, _), answer in zip(bl_queries, bl_answers, strict=True):
        result = listing(answer.records, answer.status, bl)
        params = {"ip": str(ip), "dnsbl": bl.name, "zone": bl.zone, "url": bl.url}
        if result == "listed":
            ctx.add("doctor.ip.listed", params, [answer.describe()])
        elif result == "unknown":
            ctx.add("doctor.ip.dnsbl_unknown", params, [answer.describe()])


def _same(record: str, ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    try:
        return ipaddress.ip_address(record) == ip
    except ValueError:
        return False
