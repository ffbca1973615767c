"""The DNS rules of a diagnosis: what DNS says about one mail domain (pure, no I/O).

Everything DNS tells maildiag about an address depends on its domain alone (RFC 5321 §5.1):
the MX set, the exchangers' addresses, a null MX (RFC 7505), an implicit MX, the signs of a
lying resolver, the provider behind the MX. :func:`resolve_domain` is a sub-generator in the
manner of :func:`maildiag._core.plan`: it yields batches of :class:`Query` and is sent
their answers, and returns a :class:`DomainResult`, the one value a per-domain cache
(:mod:`maildiag._cache`) keeps. The tree reads syntax -> typo -> flags -> **mx** ->
providers -> smtp -> decide; this module is the "mx" step.
"""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Generator, Iterable, Sequence

from maildiag import catalog, providers, typo
from maildiag.model import DnsAnswer, DnsStatus, Finding, MxHost, ProviderMatch, Verdict
from maildiag.options import Options
from maildiag.smtp import address_allowed

__all__ = [
    "CANARY_LABEL", "FAILURE_CODES", "MAX_MX_HOSTS", "MAX_MX_LOOKUPS", "DomainResult", "Query",
    "parse_mx", "resolve_domain", "routable",
]

#: At most this many MX hosts get their addresses looked up; more is a misconfiguration
#: and would only spend the customer's time.
MAX_MX_HOSTS = 8
#: Hosts looked up at most, MAX_MX_HOSTS at a time (a round trip each): real domains publish a
#: handful, and a domain with 100 MX records must not cost 200 queries of everyone's deadline.
MAX_MX_LOOKUPS = 32


@dataclasses.dataclass(frozen=True, slots=True)
class Query:
    """One DNS question: an ASCII (IDNA) name, without trailing dot, and a record type."""

    name: str
    rdtype: str


_DnsFlow = Generator[tuple[Query, ...], tuple[DnsAnswer, ...], list[MxHost]]


FAILURE_CODES = {
    DnsStatus.TIMEOUT: "dns.timeout",
    DnsStatus.SERVFAIL: "dns.servfail",
    DnsStatus.REFUSED: "dns.refused",
    DnsStatus.NO_RESOLVER: "dns.no_resolver",
    DnsStatus.ERROR: "dns.error",
}


@dataclasses.dataclass(slots=True)
class _Route:
    """What the rules gather about one domain (private, mutable, never leaves this module)."""

    findings: list[Finding] = dataclasses.field(default_factory=list)
    dns: list[DnsAnswer] = dataclasses.field(default_factory=list)
    mx: list[MxHost] = dataclasses.field(default_factory=list)

    def add(self, code: str, params: dict[str, object] | None = None, evidence: Iterable[str] = ()) -> None:
        self.findings.append(catalog.make(code, params, evidence))

    def has_code(self, code: str) -> bool:
        return any(f.code == code for f in self.findings)


@dataclasses.dataclass(frozen=True, slots=True)
class DomainResult:
    """The DNS part of every diagnosis at one domain: what a diagnosis merges, in order.

    ``findings`` are the route's findings (``mx.*``, ``domain.*``, ``dns.*``) followed by the
    providers' (``provider.*``); ``dns`` every answer asked, in the order asked (evidence).
    """

    findings: tuple[Finding, ...]
    dns: tuple[DnsAnswer, ...]
    mx: tuple[MxHost, ...]
    providers: tuple[ProviderMatch, ...]


def resolve_domain(domain: str, options: Options) -> Generator[tuple[Query, ...], tuple[DnsAnswer, ...], DomainResult]:
    """What DNS says about mail to ``domain``: MX first (RFC 5321 §5.1), then every
    exchanger's A/AAAA in one batch (two round trips for a working domain)."""
    route = _Route()
    hosts = yield from _dns(route, domain, options)
    matches = providers.identify(domain, [h.host for h in hosts], options)
    return DomainResult(
        (*route.findings, *providers.findings(matches, options)), tuple(route.dns), tuple(route.mx), matches
    )


def _dns(route: _Route, domain: str, options: Options) -> _DnsFlow:
    (mx_answer,) = yield (Query(domain, "MX"),)
    route.dns.append(mx_answer)
    start = len(route.findings)
    hosts = yield from _mail_route(route, domain, mx_answer, options)
    concluded = route.findings[start:]
    if not any(catalog.info(f.code).verdict is Verdict.UNDELIVERABLE for f in concluded):
        return hosts
    # DNS alone says "undeliverable" (no such domain, a null MX, no MX and no routable
    # address, no usable MX host). That is final only if our resolver tells the truth: ask
    # first whether it does, here, once for every path (issue 9.2; docs/design.md).
    lying, signs = yield from _resolver_is_lying(route, domain, options, seen=mx_answer.status)
    if lying is False:
        return hosts
    # What a lie (or a failed check) made us believe is no fact about the domain. The
    # answers themselves stay in ``dns`` and ``mx`` as evidence.
    del route.findings[start:]
    if lying:
        evidence = [mx_answer.describe(), *(f"would say {f.code}" for f in concluded), *signs]
        route.add("dns.resolver_lying", {"domain": domain}, evidence)
    elif mx_answer.status is DnsStatus.NXDOMAIN:
        route.add("dns.unverified_nxdomain", {"domain": domain}, [mx_answer.describe()])
    else:
        _dns_failure(route, _last_failure(route))  # the check's own query failed
    return hosts


def _mail_route(
    route: _Route, domain: str, mx_answer: DnsAnswer, options: Options
) -> Generator[tuple[Query, ...], tuple[DnsAnswer, ...], list[MxHost]]:
    """Work out where mail for ``domain`` would go; add findings on the way."""
    status = mx_answer.status
    if status in FAILURE_CODES:
        _dns_failure(route, mx_answer)
        return []

    if status is DnsStatus.NXDOMAIN:
        route.add("domain.not_found", {"domain": domain}, [mx_answer.describe()])
        return []

    if status is DnsStatus.NODATA:
        return (yield from _implicit_mx(route, domain, mx_answer, options))

    records = parse_mx(mx_answer.records)
    null = [r for r in records if r[1] == "."]
    if null and len(records) == 1:
        # RFC 7505 §3: a single MX with an empty exchange ("0 .") says "no mail here".
        route.add("mx.null", {"domain": domain}, [mx_answer.describe()])
        return []
    if null:
        # RFC 7505 §4.3: a null MX mixed with real ones is an error; senders use the real ones.
        route.add("mx.null_mixed", {"domain": domain}, [mx_answer.describe()])
        records = [r for r in records if r[1] != "."]
    if not records:
        route.add("dns.error", {"name": domain, "rdtype": "MX", "detail": "malformed MX"}, [mx_answer.describe()])
        return []

    # Looked up MAX_MX_HOSTS at a time, in preference order, until one is usable (RFC 5321
    # §5.1: a sender tries them all in that order). The work stops at MAX_MX_LOOKUPS hosts;
    # a look that stopped there never concludes "undeliverable" (issue 9.7).
    hosts = list(dict.fromkeys(host for _, host in records))
    usable = 0
    failed: list[DnsAnswer] = []
    looked = 0
    while looked < min(len(hosts), MAX_MX_LOOKUPS) and usable == 0:
        batch = hosts[looked : looked + MAX_MX_HOSTS]
        looked += len(batch)
        queries = tuple(Query(h, t) for h in batch for t in ("A", "AAAA"))
        answers = yield queries
        route.dns.extend(answers)
        # Paired by position (the shells answer in order), not by the name in the answer: a
        # resolver may well spell it with the root dot, or in another case.
        by_key = {(q.name, q.rdtype): a for q, a in zip(queries, answers, strict=True)}
        for pref, host in records:
            if (host, "A") not in by_key:
                continue
            a, aaaa = by_key.pop((host, "A")), by_key.pop((host, "AAAA"))
            usable += _judge_host(route, pref, host, a, aaaa, failed, options)
    if usable == 0 and looked < len(hosts):
        _drop_host_route_findings(route)
        route.add("mx.lookup_capped", {"domain": domain, "looked": looked, "hosts": len(hosts)},
                  [mx_answer.describe()])
        return route.mx

    if usable == 0 and not failed:
        route.add("mx.no_usable_host", {"domain": domain, "hosts": hosts}, [mx_answer.describe()])
    elif usable == 0:
        _drop_host_route_findings(route)
        _dns_failure(route, failed[0])
    # With a usable exchanger, a backup whose lookup failed changes nothing: mail goes to the
    # one that works (RFC 5321 §5.1 tries them in order). Its answer stays in the evidence.
    return route.mx


def _judge_host(
    route: _Route, pref: int, host: str, a: DnsAnswer, aaaa: DnsAnswer, failed: list[DnsAnswer], options: Options
) -> int:
    """Record one MX host and what is wrong with it; 1 if a mail server can be there."""
    addresses = tuple(r for x in (a, aaaa) if x.status is DnsStatus.OK for r in x.records)
    route.mx.append(MxHost(pref, host, addresses))
    evidence = [a.describe(), aaaa.describe()]
    cname = a.canonical_name or aaaa.canonical_name
    if cname:
        # RFC 2181 §10.3: an MX must point at a name with address records, not an alias.
        route.add("mx.host_cname", {"host": host, "target": cname}, evidence)
    failures = [x for x in (a, aaaa) if x.status in FAILURE_CODES]
    if any(routable(ip, options) for ip in addresses):
        return 1
    if failures:
        # The query we could not make may hold the one routable address: our failure
        # decides nothing about the host (never "not routable" on a timed-out AAAA).
        failed.append(failures[0])
    elif addresses:
        route.add("mx.host_not_routable", {"host": host, "addresses": addresses}, evidence)
    elif a.status is DnsStatus.NXDOMAIN and aaaa.status is DnsStatus.NXDOMAIN:
        route.add("mx.host_not_found", {"host": host}, evidence)
    else:
        route.add("mx.host_no_address", {"host": host}, evidence)
    return 0


def _implicit_mx(
    route: _Route, domain: str, mx_answer: DnsAnswer, options: Options
) -> Generator[tuple[Query, ...], tuple[DnsAnswer, ...], list[MxHost]]:
    """RFC 5321 §5.1: with no MX, the domain's own A/AAAA records act as an implicit MX."""
    answers = yield (Query(domain, "A"), Query(domain, "AAAA"))
    route.dns.extend(answers)
    failures = [x for x in answers if x.status in FAILURE_CODES]
    addresses = tuple(r for x in answers if x.status is DnsStatus.OK for r in x.records)
    evidence = [mx_answer.describe(), *(x.describe() for x in answers)]
    reachable = any(routable(ip, options) for ip in addresses)
    if failures and not reachable:
        # As for MX hosts: an unanswered query could hold the routable address.
        _dns_failure(route, failures[0])
        return []
    if not addresses:
        route.add("domain.no_mail_route", {"domain": domain}, evidence)
        return []
    host = MxHost(0, domain, addresses, implicit=True)
    route.mx.append(host)
    if reachable:
        route.add("mx.implicit", {"domain": domain}, evidence)
    else:
        # Like email-validator: a fallback to an address no one on the internet can reach
        # is no mail route at all.
        route.add("mx.implicit_not_routable", {"domain": domain, "addresses": addresses}, evidence)
    return [host]



#: A label no one will ever register: a name under it cannot exist, so a resolver that
#: answers anything but NXDOMAIN for it invents answers (issue 9.2). Random per process
#: (a fixed name could be registered, and would then defeat the check), the same for every
#: diagnosis of the process so that a caching resolver asks upstream once.
CANARY_LABEL = f"maildiag-canary-{secrets.token_hex(6)}"


def _canary_name(sanity_domain: str) -> str:
    """The name that cannot exist: :data:`CANARY_LABEL` under the sanity domain's TLD.

    Under a TLD rather than under the sanity domain, whose owner may publish a wildcard; and
    under the sanity domain's TLD (``com``), not the customer's, which may have a wildcard
    of its own (some ccTLDs have), or not exist at all.
    """
    return f"{CANARY_LABEL}.{sanity_domain.rpartition('.')[2]}"


def _resolver_is_lying(
    route: _Route, domain: str, options: Options, *, seen: DnsStatus
) -> Generator[tuple[Query, ...], tuple[DnsAnswer, ...], tuple[bool | None, list[str]]]:
    """Whether an answer that would make ``domain`` undeliverable comes from a lying resolver.

    Asked by :func:`_dns` wherever DNS alone would conclude "undeliverable", because a
    resolver that lies (a sandbox answering NXDOMAIN for everything, a DNS filter, a Pi-hole,
    a captive portal, a wildcard sinkhole answering ``10 mx.<name>`` and 0.0.0.0) says
    nothing about the address: the project's rule is *unknown, our network*, never
    *undeliverable*. ``seen`` is what the resolver said of ``domain``'s MX: NXDOMAIN, NODATA
    (no MX, and no routable address of its own) or OK (a null MX, or MX hosts without a
    routable address).

    The signs, cheapest first (docs/design.md "A resolver that lies"):

    1. ``domain`` is known to take mail (a big provider, a common mail domain, a sanity
       name): it cannot be dead, so the answer is a lie. No query.
    2. A sanity name (``gmail.com``) must have MX records (NXDOMAIN or no MX for it gives
       the resolver away) whose hosts have a public address (0.0.0.0 for them does).
    3. After NODATA or OK, a name that cannot exist (:func:`_canary_name`) must not exist:
       an MX record, or even NODATA, for it is an invented answer. This is the sign of a
       filter that spares the sanity names but sinkholes the rest. It is asked in the same
       round trip as the sanity name. After an NXDOMAIN it is not needed: a resolver that
       invents names does not deny them.

    A domain that really points its mail at 0.0.0.0, 127.0.0.1 or private space passes all
    three signs and stays undeliverable: the answers for it look the same as a lie's, so
    only what the resolver says of *other* names can tell them apart.

    Returns (True, signs) for a lie, (False, []) when the answer can be trusted and
    (None, []) when we cannot tell (a query of the check failed); ``signs`` are evidence.
    """
    if typo.is_known_domain(domain) or providers.is_known_domain(domain) or domain in options.sanity_domains:
        return True, [f"{domain} is known to take mail"]
    sanity = next((d for d in options.sanity_domains if d != domain), None)
    if sanity is None:
        return False, []  # the shop turned the check off (sanity_domains=())
    queries: tuple[Query, ...] = (Query(sanity, "MX"),)
    if seen is not DnsStatus.NXDOMAIN:
        queries += (Query(_canary_name(sanity), "MX"),)
    answers = yield queries
    route.dns.extend(answers)
    known, *canary = answers
    if known.status is DnsStatus.NXDOMAIN or (known.status is DnsStatus.NODATA and seen is not DnsStatus.NXDOMAIN):
        return True, [f"{sanity} surely has MX records: {known.describe()}"]
    if canary and canary[0].status in (DnsStatus.OK, DnsStatus.NODATA):
        return True, [f"{canary[0].name} cannot exist: {canary[0].describe()}"]
    if any(a.status in FAILURE_CODES for a in answers):
        return None, []
    if seen is DnsStatus.NXDOMAIN:
        # The resolver does not deny names wholesale (the sanity name exists): the NXDOMAIN stands.
        return False, []
    # The sinkhole: MX records everywhere, pointing at addresses no server can have.
    hosts = [host for _, host in parse_mx(known.records) if host != "."][:2]
    if not hosts:
        return True, [f"{sanity} surely takes mail: {known.describe()}"]
    host_queries = tuple(Query(h, t) for h in hosts for t in ("A", "AAAA"))
    host_answers = yield host_queries
    route.dns.extend(host_answers)
    addresses = [r for a in host_answers if a.status is DnsStatus.OK for r in a.records]
    if any(routable(ip, options) for ip in addresses):
        return False, []
    if any(a.status in FAILURE_CODES for a in host_answers):
        return None, []
    return True, [f"{sanity}'s mail servers surely have public addresses: "
                  + "; ".join(a.describe() for a in host_answers)]



_HOST_ROUTE_CODES = frozenset({"mx.host_not_routable", "mx.host_not_found", "mx.host_no_address"})


def _drop_host_route_findings(route: _Route) -> None:
    """No host usable, and no verdict possible (a lie, a failure, a capped look): what each
    host seemed to lack is no fact about the domain and must not make it "risky" (a broken
    backup beside a working host does). The answers stay in ``dns`` and ``mx`` as evidence.
    """
    route.findings = [f for f in route.findings if f.code not in _HOST_ROUTE_CODES]


def _last_failure(route: _Route) -> DnsAnswer:
    return next(a for a in reversed(route.dns) if a.status in FAILURE_CODES)


def _dns_failure(route: _Route, answer: DnsAnswer) -> None:
    code = FAILURE_CODES[answer.status]
    if not route.has_code(code):
        route.add(code, {"name": answer.name, "rdtype": answer.rdtype, "detail": answer.detail}, [answer.describe()])


def parse_mx(records: Sequence[str]) -> list[tuple[int, str]]:
    """Parse ``"10 mx.example."`` records, sorted by preference (RFC 5321 §5.1), then name."""
    parsed: list[tuple[int, str]] = []
    for record in records:
        pref, _, host = record.partition(" ")
        try:
            value = int(pref)
        except ValueError:
            continue
        host = host.strip()
        host = "." if host in ("", ".") else host.rstrip(".").lower()
        parsed.append((value, host))
    return sorted(parsed)


def routable(ip: str, options: Options) -> bool:
    """Can a mail server be at ``ip``? One rule with the prober's (``maildiag._ip``)."""
    return address_allowed(ip, options.allow_private_addresses)

