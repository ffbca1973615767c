"""Speed of the checkout path, side by side with email-validator, in one run.

    python bench/bench_diagnose.py

1. Offline diagnose (syntax + typo + data flags) per address, against
   ``email_validator.validate_email(addr, check_deliverability=False)`` on the same
   addresses. Target: ratio <= 1.5.
2. maildiag's own cost on top of DNS with a warm cache: ``diagnose`` with a dnspython
   resolver whose cache already holds every answer, minus the same lookups made directly
   through that resolver. Target: <= 1 ms. No network is used: the cache is filled from
   answers built in memory.
"""

from __future__ import annotations

import sys

import dns.message
import dns.name
import dns.rdataclass
import dns.rdatatype
import dns.resolver
import email_validator
from _util import per_call, table

import maildiag

ADDRESSES = [
    "jane@gmail.com", "john.smith@yahoo.com", "a.b+tag@outlook.com", "info@company.co.uk",
    "moshe@walla.co.il", "user@mail.ru", "pierre@orange.fr", "max@web.de", "joao@uol.com.br",
    "priya@rediffmail.com", "x@university.edu", "sales@shop.example", "Jane.Doe@Example.ORG",
    "bob@icloud.com", "li@qq.com", "ana@protonmail.com",
]


def offline_ratio() -> list[list[object]]:
    def ev() -> None:
        for a in ADDRESSES:
            email_validator.validate_email(a, check_deliverability=False)

    def md() -> None:
        for a in ADDRESSES:
            maildiag.diagnose(a, offline=True)

    md()  # load data files once: we measure steady state, as a web server sees it
    t_ev = per_call(ev, number=50) / len(ADDRESSES)
    t_md = per_call(md, number=50) / len(ADDRESSES)
    return [
        ["email-validator validate_email (no DNS)", f"{t_ev * 1e6:.1f} µs", "1.00"],
        ["maildiag diagnose(offline=True)", f"{t_md * 1e6:.1f} µs", f"{t_md / t_ev:.2f}"],
    ]


def _cache_answer(cache: dns.resolver.LRUCache, name: str, rdtype: str, *records: str) -> None:
    qname = dns.name.from_text(name)
    query = dns.message.make_query(qname, rdtype)
    response = dns.message.make_response(query)
    rrset = response.find_rrset(response.answer, qname, dns.rdataclass.IN, dns.rdatatype.from_text(rdtype),
                                create=True)
    for r in records:
        rrset.add(dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.from_text(rdtype), r), ttl=3600)
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

    d = maildiag.diagnose("jane@shop.example", resolver=resolver, allow_private_addresses=True)
    assert d.verdict is maildiag.Verdict.OK, d.to_dict()  # every answer came from the cache
    t_raw = per_call(raw, number=200)
    t_md = per_call(md, number=200)
    return [
        ["dnspython: the 5 lookups alone (warm cache)", f"{t_raw * 1e6:.0f} µs", "-"],
        ["maildiag diagnose (same lookups, warm cache)", f"{t_md * 1e6:.0f} µs", f"+{(t_md - t_raw) * 1e3:.3f} ms"],
    ]


def main() -> None:
    print(f"Python {sys.version.split()[0]}, maildiag {maildiag.__version__}, "
          f"email-validator {email_validator.__version__}, dnspython {dns.version.version}\n")
    print("Offline diagnosis per address (target: ratio <= 1.5)\n")
    print(table(["what", "per address", "ratio to email-validator"], offline_ratio()))
    print("\nWarm-cache overhead on top of DNS (target: <= 1 ms)\n")
    print(table(["what", "per diagnosis", "maildiag overhead"], warm_cache_overhead()))


if __name__ == "__main__":
    main()
