"""Speed of the checkout path, side by side with email-validator, in one run.

    python bench/bench_diagnose.py

1. Offline diagnose (syntax + typo + data flags) per address, against
   ``email_validator.validate_email(addr, check_deliverability=False)`` on the same
   addresses. Target: ratio <= 1.5. Every address in a run is distinct (so no cache of
   whole addresses could help); domains follow sign-up traffic (popular domains, Zipf
   weights, 10 % never seen before), and a second row makes every domain new.
2. maildiag's own cost on top of DNS with a warm cache: ``diagnose`` with a dnspython
   resolver whose cache already holds every answer, minus the same lookups made directly
   through that resolver. Target: <= 1 ms. No network is used: the cache is filled from
   answers built in memory. Since issue 13 a warm ``diagnose`` asks no resolver at all
   (maildiag's per-domain cache answers first), so the overhead is negative; the row
   "per-domain cache off" (``dns_cache=False``) measures the path every new domain takes.
   The side-by-side on a real loopback unbound is ``bench/bench_dns_cache.py``.
"""

from __future__ import annotations

import random
import statistics
import sys
import time

import dns.message
import dns.name
import dns.rdataclass
import dns.rdatatype
import dns.resolver
import email_validator
from _util import per_call, table

import maildiag

#: Popular customer mail domains, most used first; sign-up traffic is drawn from them with
#: Zipf weights (1/rank), which is roughly what a shop's customer table looks like.
POPULAR = [
    "gmail.com", "yahoo.com", "hotmail.com", "outlook.com", "icloud.com", "aol.com",
    "live.com", "msn.com", "comcast.net", "gmx.de", "web.de", "mail.ru", "yandex.ru",
    "orange.fr", "free.fr", "walla.co.il", "uol.com.br", "bol.com.br", "rediffmail.com",
    "qq.com", "163.com", "protonmail.com", "me.com", "yahoo.co.uk", "btinternet.com",
    "sky.com", "t-online.de", "laposte.net", "libero.it", "wp.pl", "seznam.cz", "naver.com",
    "hotmail.co.uk", "yahoo.com.br", "terra.com.br", "att.net", "verizon.net", "sbcglobal.net",
    "bezeqint.net", "zoho.com",
]
FIRST = ["jane", "John", "a.b", "moshe", "pierre", "max", "joao", "priya", "li", "ANA", "bob"]


def traffic(n: int, seed: int, new_share: float) -> list[str]:
    """``n`` distinct addresses: ``new_share`` of them at a domain no earlier call has seen."""
    rng = random.Random(seed)
    weights = [1 / rank for rank in range(1, len(POPULAR) + 1)]
    out = []
    for i in range(n):
        local = f"{rng.choice(FIRST)}.{seed}x{i}" + ("+shop" if rng.random() < 0.1 else "")
        if rng.random() < new_share:
            domain = f"company{seed}x{i}.co.uk" if i % 2 else f"Shop-{seed}-{i}.example.org"
        else:
            domain = rng.choices(POPULAR, weights)[0]
        out.append(f"{local}@{domain}")
    return out


def offline_ratio() -> list[list[object]]:
    """Per address, over lists of distinct addresses: no per-address cache can help."""
    rows: list[list[object]] = []
    for label, new_share in [
        ("sign-up traffic: 40 popular domains, 10 % new ones", 0.10),
        ("every domain new (worst case)", 1.0),
    ]:
        t_ev: list[float] = []
        t_md: list[float] = []
        for round_ in range(8):
            batch = traffic(4000, seed=round_ + int(new_share * 1000), new_share=new_share)
            pair = [
                (t_ev, lambda b=batch: [email_validator.validate_email(a, check_deliverability=False) for a in b]),
                (t_md, lambda b=batch: [maildiag.diagnose(a, offline=True) for a in b]),
            ]
            for times, fn in pair if round_ % 2 else reversed(pair):  # alternate the order
                start = time.perf_counter()
                fn()
                times.append((time.perf_counter() - start) / len(batch))
        ev, md = statistics.median(t_ev[1:]), statistics.median(t_md[1:])  # round 0 warms up
        rows.append([label, f"{ev * 1e6:.1f} µs", f"{md * 1e6:.1f} µs", f"{md / ev:.2f}"])
    return rows


def _cache_answer(cache: dns.resolver.LRUCache, name: str, rdtype: str, *records: str) -> None:
    qname = dns.name.from_text(name)
    query = dns.message.make_query(qname, rdtype)
    response = dns.message.make_response(query)
    rrset = response.find_rrset(response.answer, qname, dns.rdataclass.IN, dns.rdatatype.from_text(rdtype),
                                create=True)
    for r in records:
        rrset.add(dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.from_text(rdtype), r), ttl=3600)
    assert isinstance(response, dns.message.QueryMessage)
    answer = dns.resolver.Answer(qname, dns.rdatatype.from_text(rdtype), dns.rdataclass.IN, response)
    cache.put((qname, dns.rdatatype.from_text(rdtype), dns.rdataclass.IN), answer)


def warm_cache_overhead() -> list[list[object]]:
    import dns.rdata

    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = ["127.0.0.1"]  # never asked: every answer is in the cache
    resolver.port = 9  # discard port: a cache miss would fail fast instead of hanging
    resolver.cache = dns.resolver.LRUCache()
    hosts = ["mx1.shop.example", "mx2.shop.example"]
    _cache_answer(resolver.cache, "shop.example.", "MX", "10 mx1.shop.example.", "20 mx2.shop.example.")
    for h in hosts:
        _cache_answer(resolver.cache, h + ".", "A", "192.0.2.10")
        _cache_answer(resolver.cache, h + ".", "AAAA", "2001:db8::10")
    queries = [("shop.example.", "MX")] + [(h + ".", t) for h in hosts for t in ("A", "AAAA")]

    def raw() -> None:
        for name, rdtype in queries:
            resolver.resolve(name, rdtype, search=False, raise_on_no_answer=False)

    def md() -> None:
        maildiag.diagnose("jane@shop.example", resolver=resolver, allow_private_addresses=True)

    def md_uncached() -> None:
        maildiag.diagnose("jane@shop.example", resolver=resolver, allow_private_addresses=True, dns_cache=False)

    d = maildiag.diagnose("jane@shop.example", resolver=resolver, allow_private_addresses=True)
    assert d.verdict is maildiag.Verdict.OK, d.to_dict()  # every answer came from the cache
    t_raw = per_call(raw, number=200)
    t_md = per_call(md, number=200)
    t_off = per_call(md_uncached, number=200)
    return [
        ["dnspython: the 5 lookups alone (warm cache)", f"{t_raw * 1e6:.0f} µs", "-"],
        ["maildiag diagnose (warm: its per-domain cache answers)", f"{t_md * 1e6:.0f} µs",
         f"{(t_md - t_raw) * 1e3:+.3f} ms"],
        ["maildiag diagnose, per-domain cache off (the 5 lookups)", f"{t_off * 1e6:.0f} µs",
         f"{(t_off - t_raw) * 1e3:+.3f} ms"],
    ]


def main() -> None:
    print(f"Python {sys.version.split()[0]}, maildiag {maildiag.__version__}, "
          f"email-validator {email_validator.__version__}, dnspython {dns.version.version}\n")
    print("Offline diagnosis per address (target: ratio <= 1.5)\n")
    print(table(["addresses", "email-validator", "maildiag offline", "ratio"], offline_ratio()))
    print("\nWarm-cache overhead on top of DNS (target: <= 1 ms)\n")
    print(table(["what", "per diagnosis", "maildiag overhead"], warm_cache_overhead()))


if __name__ == "__main__":
    main()
