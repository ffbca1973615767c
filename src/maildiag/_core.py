"""The pure core of a diagnosis: every rule, no I/O.

:func:`plan` is a generator in the manner of dnspython's ``_Resolution`` and httpx's
``auth_flow``: it *yields* the DNS queries it needs (a batch at a time; a batch's queries
may run concurrently) and is *sent* their answers, until it returns the
:class:`~maildiag.model.Diagnosis`. The sync and async shells in :mod:`maildiag._shells`
only run queries; no rule is written twice, and tests drive the core with no network::

    flow = plan("jane@example.com", Options())
    assert next(flow) == (Query("example.com", "MX"),)
"""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Generator, Iterable, Mapping, Sequence
from types import MappingProxyType

from maildiag import _replies, catalog, flags, providers, syntax, typo
from maildiag.model import (
    Blame,
    Diagnosis,
    DnsAnswer,
    DnsStatus,
    Finding,
    MxHost,
    ProviderMatch,
    Verdict,
    sort_findings,
)
from maildiag.options import Options, cached_per_domain
from maildiag.smtp import Probe, ProbeResult, Reply, address_allowed

__all__ = ["Flow", "Probe", "ProbeResult", "Query", "classify", "decide", "diagnose_offline", "interpret", "plan"]

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


#: A batch holds DNS queries, or (when ``Options.smtp_probe`` is on) one SMTP probe; the
#: shell sends back one answer per item, in order.
Flow = Generator[tuple[Query | Probe, ...], tuple[DnsAnswer | ProbeResult, ...], Diagnosis]
_DnsFlow = Generator[tuple[Query, ...], tuple[DnsAnswer, ...], list[MxHost]]

_FAILURE_CODES = {
    DnsStatus.TIMEOUT: "dns.timeout",
    DnsStatus.SERVFAIL: "dns.servfail",
    DnsStatus.REFUSED: "dns.refused",
    DnsStatus.NO_RESOLVER: "dns.no_resolver",
    DnsStatus.ERROR: "dns.error",
}


@dataclasses.dataclass(slots=True)
class _Draft:
    """What the flow has gathered so far (private, mutable, never leaves the core)."""

    address: str
    normalized: str | None = None
    domain: str | None = None
    suggestion: str | None = None
    findings: list[Finding] = dataclasses.field(default_factory=list)
    mx: list[MxHost] = dataclasses.field(default_factory=list)
    providers: tuple[ProviderMatch, ...] = ()
    dns: list[DnsAnswer] = dataclasses.field(default_factory=list)
    checks: tuple[str, ...] = ()

    def add(self, code: str, params: dict[str, object] | None = None, evidence: Iterable[str] = ()) -> None:
        self.findings.append(catalog.make(code, params, evidence))

    def has_code(self, code: str) -> bool:
        return any(f.code == code for f in self.findings)


_OFFLINE_CHECKS = ("syntax", "typo", "flags")
_NO_TYPO_CHECKS = ("syntax", "flags")


def plan(address: str, options: Options) -> Flow:
    """Diagnose ``address``, yielding DNS query batches and receiving their answers."""
    draft, local, ascii_domain = _offline_part(address, options)
    if options.offline or local is None or ascii_domain is None:
        return decide(draft, options)

    # 4. DNS: MX first (RFC 5321 §5.1), then the exchangers' addresses, concurrently.
    draft.checks += ("dns",)
    hosts = yield from _dns(draft, ascii_domain, options)

    draft.providers = providers.identify(ascii_domain, [h.host for h in hosts], options)
    draft.findings.extend(providers.findings(draft.providers, options))

    # 5. Optional SMTP probe of the best usable MX (docs/smtp.md).
    if options.smtp_probe:
        yield from _smtp(draft, local, ascii_domain, options)
    return decide(draft, options)


def _dns(draft: _Draft, domain: str, options: Options) -> _DnsFlow:
    (mx_answer,) = yield (Query(domain, "MX"),)
    draft.dns.append(mx_answer)
    start = len(draft.findings)
    hosts = yield from _mail_route(draft, domain, mx_answer, options)
    route = draft.findings[start:]
    if not any(catalog.info(f.code).verdict is Verdict.UNDELIVERABLE for f in route):
        return hosts
    # DNS alone says "undeliverable" (no such domain, a null MX, no MX and no routable
    # address, no usable MX host). That is final only if our resolver tells the truth: ask
    # first whether it does, here, once for every path (issue 9.2; docs/design.md).
    lying, signs = yield from _resolver_is_lying(draft, domain, options, seen=mx_answer.status)
    if lying is False:
        return hosts
    # What a lie (or a failed check) made us believe is no fact about the domain. The
    # answers themselves stay in ``dns`` and ``mx`` as evidence.
    del draft.findings[start:]
    if lying:
        evidence = [mx_answer.describe(), *(f"would say {f.code}" for f in route), *signs]
        draft.add("dns.resolver_lying", {"domain": domain}, evidence)
    elif mx_answer.status is DnsStatus.NXDOMAIN:
        draft.add("dns.unverified_nxdomain", {"domain": domain}, [mx_answer.describe()])
    else:
        _dns_failure(draft, _last_failure(draft))  # the check's own query failed
    return hosts


def diagnose_offline(address: str, options: Options) -> Diagnosis:
    """The whole diagnosis when there is no DNS to do: what :func:`plan` returns at once.

    A plain call rather than a generator run to its end, because ``offline=True`` is the
    checkout's hot path and the generator's start and stop cost more than the verdict.
    """
    draft, _, _ = _offline_part(address, options)
    return decide(draft, options)


def _offline_part(address: str, options: Options) -> tuple[_Draft, str | None, str | None]:
    """Steps 1 to 3, which need no I/O; returns the draft and the parts DNS needs.

    Kept lean: with ``offline=True`` this is the whole diagnosis, on a checkout's hot path.
    """
    # 1. Syntax (email-validator) and repair of input a customer plausibly typed wrong.
    parsed = syntax.check(address, options)
    draft = _Draft(address, parsed.normalized, parsed.domain, parsed.repaired, list(parsed.findings))
    local, ascii_domain = parsed.local, parsed.ascii_domain
    if not parsed.valid or local is None or ascii_domain is None:
        draft.checks = ("syntax",)
        return draft, None, None

    # 2. Domain typos, judged on the domain as typed: a typo domain may well resolve.
    flagged_domain = ascii_domain
    draft.checks = _OFFLINE_CHECKS if options.suggest_typos else _NO_TYPO_CHECKS
    hit = typo.suggest(ascii_domain, extra_domains=options.extra_domains) if options.suggest_typos else None
    if hit is not None:
        # Caps lock on (JANE@GMIAL.COM): offer the address as the repairs would, lower case.
        suggested = f"{local.lower() if syntax.is_caps_lock(local) else local}@{hit.suggestion}"
        draft.suggestion = suggested
        # A repaired input whose domain is also a typo (jane@gmial,com), or a caps-lock note:
        # every message must offer the final suggestion, not the half-way one.
        draft.findings = [
            catalog.make(f.code, {**f.params, "suggestion": suggested}, f.evidence)
            if f.code.startswith("syntax.repaired.") or f.code == "syntax.uppercase" else f
            for f in draft.findings
        ]
        draft.add(
            "domain.typo",
            {"domain": ascii_domain, "suggestion": hit.suggestion, "suggested_address": suggested},
            [f"{hit.kind} typo, distance {hit.distance:g}"],
        )
        # Typo-squat domains are often on the disposable lists (gmial.com is): telling a
        # customer who slipped a key that they chose a throwaway service is wrong, so the
        # flags describe the address we suggest.
        flagged_domain = hit.suggestion

    # 3. Flags from maintained data (disposable, role, free webmail, the shop's lists).
    draft.findings.extend(flags.check(local, flagged_domain, options))
    dns_domain: str | None = ascii_domain
    reserved = options.allow and any(f.code in _RESERVED_CODES for f in draft.findings)
    if reserved and draft.has_code("policy.allowed"):
        # The shop allows this domain (its staging or test domain, issue 10.7): a reserved
        # or special-use name is then its business, not a reason to refuse the address.
        # Public DNS knows nothing of such a name (RFC 2606, RFC 6761: example.com has a
        # null MX, .test and .localhost are not in it), so there is no DNS to do either.
        draft.findings = [f for f in draft.findings if f.code not in _RESERVED_CODES]
        dns_domain = None
    if options.offline:
        # Without MX records, the domain alone says who runs the mailbox (gmail.com...).
        draft.providers, found = _providers_by_domain(ascii_domain, options)
        draft.findings.extend(found)
    return draft, local, dns_domain


@cached_per_domain
def _providers_by_domain(domain: str, options: Options) -> tuple[tuple[ProviderMatch, ...], tuple[Finding, ...]]:
    """Providers and their findings from the domain alone (offline)."""
    matches = providers.identify(domain, (), options)
    return matches, providers.findings(matches, options)


def _mail_route(
    draft: _Draft, domain: str, mx_answer: DnsAnswer, options: Options
) -> Generator[tuple[Query, ...], tuple[DnsAnswer, ...], list[MxHost]]:
    """Work out where mail for ``domain`` would go; add findings on the way."""
    status = mx_answer.status
    if status in _FAILURE_CODES:
        _dns_failure(draft, mx_answer)
        return []

    if status is DnsStatus.NXDOMAIN:
        draft.add("domain.not_found", {"domain": domain}, [mx_answer.describe()])
        return []

    if status is DnsStatus.NODATA:
        return (yield from _implicit_mx(draft, domain, mx_answer, options))

    records = _parse_mx(mx_answer.records)
    null = [r for r in records if r[1] == "."]
    if null and len(records) == 1:
        # RFC 7505 §3: a single MX with an empty exchange ("0 .") says "no mail here".
        draft.add("mx.null", {"domain": domain}, [mx_answer.describe()])
        return []
    if null:
        # RFC 7505 §4.3: a null MX mixed with real ones is an error; senders use the real ones.
        draft.add("mx.null_mixed", {"domain": domain}, [mx_answer.describe()])
        records = [r for r in records if r[1] != "."]
    if not records:
        draft.add("dns.error", {"name": domain, "rdtype": "MX", "detail": "malformed MX"}, [mx_answer.describe()])
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
        draft.dns.extend(answers)
        # Paired by position (the shells answer in order), not by the name in the answer: a
        # resolver may well spell it with the root dot, or in another case.
        by_key = {(q.name, q.rdtype): a for q, a in zip(queries, answers, strict=True)}
        for pref, host in records:
            if (host, "A") not in by_key:
                continue
            a, aaaa = by_key.pop((host, "A")), by_key.pop((host, "AAAA"))
            usable += _judge_host(draft, pref, host, a, aaaa, failed, options)
    if usable == 0 and looked < len(hosts):
        _drop_host_route_findings(draft)
        draft.add("mx.lookup_capped", {"domain": domain, "looked": looked, "hosts": len(hosts)},
                  [mx_answer.describe()])
        return draft.mx

    if usable == 0 and not failed:
        draft.add("mx.no_usable_host", {"domain": domain, "hosts": hosts}, [mx_answer.describe()])
    elif usable == 0:
        _drop_host_route_findings(draft)
        _dns_failure(draft, failed[0])
    # With a usable exchanger, a backup whose lookup failed changes nothing: mail goes to the
    # one that works (RFC 5321 §5.1 tries them in order). Its answer stays in the evidence.
    return draft.mx


def _judge_host(
    draft: _Draft, pref: int, host: str, a: DnsAnswer, aaaa: DnsAnswer, failed: list[DnsAnswer], options: Options
) -> int:
    """Record one MX host and what is wrong with it; 1 if a mail server can be there."""
    addresses = tuple(r for x in (a, aaaa) if x.status is DnsStatus.OK for r in x.records)
    draft.mx.append(MxHost(pref, host, addresses))
    evidence = [a.describe(), aaaa.describe()]
    cname = a.canonical_name or aaaa.canonical_name
    if cname:
        # RFC 2181 §10.3: an MX must point at a name with address records, not an alias.
        draft.add("mx.host_cname", {"host": host, "target": cname}, evidence)
    failures = [x for x in (a, aaaa) if x.status in _FAILURE_CODES]
    if any(_routable(ip, options) for ip in addresses):
        return 1
    if failures:
        # The query we could not make may hold the one routable address: our failure
        # decides nothing about the host (never "not routable" on a timed-out AAAA).
        failed.append(failures[0])
    elif addresses:
        draft.add("mx.host_not_routable", {"host": host, "addresses": addresses}, evidence)
    elif a.status is DnsStatus.NXDOMAIN and aaaa.status is DnsStatus.NXDOMAIN:
        draft.add("mx.host_not_found", {"host": host}, evidence)
    else:
        draft.add("mx.host_no_address", {"host": host}, evidence)
    return 0


def _implicit_mx(
    draft: _Draft, domain: str, mx_answer: DnsAnswer, options: Options
) -> Generator[tuple[Query, ...], tuple[DnsAnswer, ...], list[MxHost]]:
    """RFC 5321 §5.1: with no MX, the domain's own A/AAAA records act as an implicit MX."""
    answers = yield (Query(domain, "A"), Query(domain, "AAAA"))
    draft.dns.extend(answers)
    failures = [x for x in answers if x.status in _FAILURE_CODES]
    addresses = tuple(r for x in answers if x.status is DnsStatus.OK for r in x.records)
    evidence = [mx_answer.describe(), *(x.describe() for x in answers)]
    routable = any(_routable(ip, options) for ip in addresses)
    if failures and not routable:
        # As for MX hosts: an unanswered query could hold the routable address.
        _dns_failure(draft, failures[0])
        return []
    if not addresses:
        draft.add("domain.no_mail_route", {"domain": domain}, evidence)
        return []
    host = MxHost(0, domain, addresses, implicit=True)
    draft.mx.append(host)
    if routable:
        draft.add("mx.implicit", {"domain": domain}, evidence)
    else:
        # Like email-validator: a fallback to an address no one on the internet can reach
        # is no mail route at all.
        draft.add("mx.implicit_not_routable", {"domain": domain, "addresses": addresses}, evidence)
    return [host]


_ProbeFlow = Generator[tuple[Probe, ...], tuple[ProbeResult, ...], None]

#: RFC 6647 §2.1 and common practice: greylists hold a new triplet for 5 minutes or more,
#: so an immediate retry only proves the greylist again.
GREYLIST_RETRY_SECONDS = 300

#: Verdicts after which a probe cannot add anything the customer needs to hear.
_NO_PROBE_VERDICTS = frozenset({Verdict.UNDELIVERABLE, Verdict.UNKNOWN, Verdict.FIX})


def _smtp(draft: _Draft, local: str, domain: str, options: Options) -> _ProbeFlow:
    """Probe the most preferred usable MX, when the answer can mean something.

    One connection: the real address first (some servers tarpit or close after an
    unknown recipient, and the real answer is the one we need), then a random local part
    on the same domain, whose acceptance shows a catch-all.
    """
    deciding = catalog.deciding(f.code for f in draft.findings)
    if draft.suggestion is not None or (deciding is not None and deciding.verdict in _NO_PROBE_VERDICTS):
        return
    for match in draft.providers:
        entry = providers.get(match.id, options)
        policy = entry.probe_policy if entry is not None else "reliable"
        if policy != "reliable":
            draft.add("smtp.skipped", {"reason": policy, "provider": match.name})
            return
    if not local.isascii():
        # RFC 6531: a UTF-8 local part needs SMTPUTF8 end to end; not worth a probe.
        draft.add("smtp.skipped", {"reason": "smtputf8", "provider": ""})
        return
    target = next(
        ((h.host, ip) for h in draft.mx for ip in h.addresses
         if _routable(ip, options)),
        None,
    )
    if target is None:
        draft.add("smtp.skipped", {"reason": "address_not_allowed", "provider": ""})
        return
    host, ip = target
    overrides = dict(options.smtp_port_overrides)
    ports = (overrides[ip],) if ip in overrides else options.smtp_ports
    real = f"{local}@{domain}"
    # A letter first and no dots: valid everywhere, unlikely to be anyone's mailbox.
    random_rcpt = f"md{secrets.token_hex(8)}@{domain}"
    assert options.helo is not None and options.mail_from is not None  # checked by Options
    draft.checks += ("smtp",)
    result: ProbeResult | None = None
    for port in ports:
        probe = Probe(host, ip, port, options.helo, options.mail_from, (real, random_rcpt),
                      options.allow_private_addresses)
        (result,) = yield (probe,)
        # Another port only helps when this one could not be reached at all.
        if not (result.stage == "connect" and result.error in ("refused", "timeout")):
            break
    if result is not None:
        draft.findings.extend(interpret(result))


#: The prober's answer for each reason of the one reply classifier (maildiag._replies): what
#: an RCPT reply means for the address being checked. Anything else refused is "rejected".
_PROBE_KIND: Mapping[str, str] = MappingProxyType({
    "user_unknown": "unknown",
    "mailbox_disabled": "unknown",
    "mailbox_full": "full",
    "blocked": "blocked",
    "spam": "blocked",
    "policy": "blocked",
    "auth_failure": "blocked",
    "sender_rejected": "blocked",
    "rate_limited": "blocked",
    "content": "blocked",
    "suppressed": "blocked",
})


def classify(reply: Reply) -> str:
    """What one RCPT reply says: ``accepted``, ``unknown``, ``full``, ``greylisted``,
    ``deferred``, ``blocked`` or ``rejected``.

    The reason comes from the one classifier of SMTP replies (:func:`maildiag._replies.classify`,
    the bounce parser's too: RFC 3463 code and reply text, the reply answering RCPT TO);
    a transient reply (4yz, RFC 5321 §4.2.1) is a deferral whatever it says, unless the
    mailbox is full.
    """
    code, text = reply.code, reply.text
    if 200 <= code < 300:
        return "accepted"
    # Without an enhanced code the basic code's class stands for it (RFC 3463 §2: X.0.0).
    status = reply.enhanced or f"{str(code)[0]}.0.0"
    reason = _replies.classify(status, text, command="RCPT", reply_code=code)
    if reason == "mailbox_full":
        return "full"
    if 400 <= code < 500:
        return "greylisted" if _replies.is_greylisting(text) else "deferred"
    return _PROBE_KIND.get(reason, "rejected")


def interpret(result: ProbeResult) -> list[Finding]:
    """Findings from one :class:`ProbeResult` (pure: tests feed results by hand)."""
    probe = result.probe
    host = probe.host
    where = f"{host} [{probe.address}]:{probe.port}"
    if result.error == "unavailable":
        return [catalog.make("smtp.unavailable", {}, [result.detail])]
    if result.error == "not_allowed":
        return [catalog.make("smtp.skipped", {"reason": "address_not_allowed", "provider": ""}, [where])]
    if result.reply is not None:
        # Refused before any RCPT (banner, EHLO, MAIL): a verdict on us, not the mailbox.
        reply = result.reply
        return [catalog.make(
            "smtp.blocked",
            {"host": host, "stage": result.stage, "code": reply.code, "reply": reply.describe()},
            [f"{where} {result.stage}: {reply.describe()}"],
        )]
    if not result.rcpts:
        detail = f"{result.error or 'error'} at {result.stage}: {result.detail}".strip().rstrip(":")
        return [catalog.make("smtp.unreachable", {"host": host, "port": probe.port, "detail": detail},
                             [f"{where} {detail}"])]
    evidence = [f"{where} RCPT {rcpt}: {reply.describe()}" for rcpt, reply in result.rcpts]
    real, reply = result.rcpts[0]
    kind = classify(reply)
    params: dict[str, object] = {"address": real, "host": host, "code": reply.code, "reply": reply.describe()}
    if kind == "unknown":
        return [catalog.make("smtp.mailbox_unknown", params, evidence)]
    if kind == "full":
        return [catalog.make("smtp.mailbox_full", params, evidence)]
    if kind == "greylisted":
        return [catalog.make(
            "smtp.greylisted",
            {"host": host, "retry_after_seconds": GREYLIST_RETRY_SECONDS, "reply": reply.describe()},
            evidence,
        )]
    if kind == "deferred":
        return [catalog.make("smtp.deferred", {"host": host, "code": reply.code, "reply": reply.describe()},
                             evidence)]
    if kind == "blocked":
        return [catalog.make("smtp.blocked",
                             {"host": host, "stage": "rcpt", "code": reply.code, "reply": reply.describe()},
                             evidence)]
    if kind == "rejected":
        return [catalog.make("smtp.rejected", params, evidence)]
    # Accepted. Only a clean acceptance of the random address shows a catch-all; a 4xx, a
    # block or no answer for it proves nothing either way.
    if len(result.rcpts) > 1 and classify(result.rcpts[1][1]) == "accepted":
        domain = real.rpartition("@")[2]
        return [catalog.make("smtp.catch_all", {"host": host, "domain": domain}, evidence)]
    return [catalog.make("smtp.accepted", {"host": host}, evidence)]


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
    draft: _Draft, domain: str, options: Options, *, seen: DnsStatus
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
    draft.dns.extend(answers)
    known, *canary = answers
    if known.status is DnsStatus.NXDOMAIN or (known.status is DnsStatus.NODATA and seen is not DnsStatus.NXDOMAIN):
        return True, [f"{sanity} surely has MX records: {known.describe()}"]
    if canary and canary[0].status in (DnsStatus.OK, DnsStatus.NODATA):
        return True, [f"{canary[0].name} cannot exist: {canary[0].describe()}"]
    if any(a.status in _FAILURE_CODES for a in answers):
        return None, []
    if seen is DnsStatus.NXDOMAIN:
        # The resolver does not deny names wholesale (the sanity name exists): the NXDOMAIN stands.
        return False, []
    # The sinkhole: MX records everywhere, pointing at addresses no server can have.
    hosts = [host for _, host in _parse_mx(known.records) if host != "."][:2]
    if not hosts:
        return True, [f"{sanity} surely takes mail: {known.describe()}"]
    host_queries = tuple(Query(h, t) for h in hosts for t in ("A", "AAAA"))
    host_answers = yield host_queries
    draft.dns.extend(host_answers)
    addresses = [r for a in host_answers if a.status is DnsStatus.OK for r in a.records]
    if any(_routable(ip, options) for ip in addresses):
        return False, []
    if any(a.status in _FAILURE_CODES for a in host_answers):
        return None, []
    return True, [f"{sanity}'s mail servers surely have public addresses: "
                  + "; ".join(a.describe() for a in host_answers)]


_RESERVED_CODES = frozenset({"syntax.domain_reserved", "syntax.domain_special_use"})
_HOST_ROUTE_CODES = frozenset({"mx.host_not_routable", "mx.host_not_found", "mx.host_no_address"})


def _drop_host_route_findings(draft: _Draft) -> None:
    """No host usable, and no verdict possible (a lie, a failure, a capped look): what each
    host seemed to lack is no fact about the domain and must not make it "risky" (a broken
    backup beside a working host does). The answers stay in ``dns`` and ``mx`` as evidence.
    """
    draft.findings = [f for f in draft.findings if f.code not in _HOST_ROUTE_CODES]


def _last_failure(draft: _Draft) -> DnsAnswer:
    return next(a for a in reversed(draft.dns) if a.status in _FAILURE_CODES)


def _dns_failure(draft: _Draft, answer: DnsAnswer) -> None:
    code = _FAILURE_CODES[answer.status]
    if not draft.has_code(code):
        draft.add(code, {"name": answer.name, "rdtype": answer.rdtype, "detail": answer.detail}, [answer.describe()])


def _parse_mx(records: Sequence[str]) -> list[tuple[int, str]]:
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


def _routable(ip: str, options: Options) -> bool:
    """Can a mail server be at ``ip``? One rule with the prober's (``maildiag._ip``)."""
    return address_allowed(ip, options.allow_private_addresses)


def decide(draft: _Draft, options: Options) -> Diagnosis:
    """Turn the gathered findings into a verdict, blame and confidence."""
    findings = draft.findings
    suggestion = draft.suggestion
    deciding = catalog.deciding(f.code for f in findings)
    if suggestion is not None and "dns" in draft.checks and not draft.has_code("domain.typo"):
        # A repair keeps the domain DNS just checked (jane@nomail.io, -> jane@nomail.io): if
        # that domain cannot take mail, offering the repaired address would send the customer
        # from one dead address to another. The address is undeliverable; say why first.
        dead = catalog.deciding(f.code for f in findings if catalog.info(f.code).verdict is not Verdict.FIX)
        if dead is not None and dead.verdict is Verdict.UNDELIVERABLE:
            suggestion, deciding = None, dead
            findings = sorted(findings, key=lambda f: catalog.info(f.code).verdict is not Verdict.UNDELIVERABLE)
    if suggestion is not None:
        # A repaired or typo-corrected address to offer: the customer can fix it right now,
        # whatever else is wrong with the address as typed. A chain of repairs is only as
        # sure as its least sure step.
        verdict, blame = Verdict.FIX, Blame.ADDRESS
        confidence = min(
            (entry.confidence for entry in map(catalog.info, (f.code for f in findings))
             if entry.verdict is Verdict.FIX),
            default=0.9,
        )
    elif deciding is not None and deciding.verdict is not None:
        verdict, blame, confidence = deciding.verdict, deciding.blame, deciding.confidence
    else:
        # Nothing wrong found: how sure we are depends on how far we looked.
        verdict, blame = Verdict.OK, Blame.NONE
        confidence = 0.8 if "dns" in draft.checks else 0.5
        if draft.has_code("smtp.accepted"):
            confidence = catalog.info("smtp.accepted").confidence
    return Diagnosis(
        address=draft.address,
        normalized=draft.normalized,
        verdict=verdict,
        blame=blame,
        confidence=confidence,
        suggestion=suggestion,
        findings=sort_findings(findings) if len(findings) > 1 else tuple(findings),
        domain=draft.domain,
        mx=tuple(draft.mx),
        providers=draft.providers,
        dns=tuple(draft.dns),
        data_versions=flags.data_versions() if "flags" in draft.checks else _NO_VERSIONS,
        checks=draft.checks,
    )


_NO_VERSIONS: Mapping[str, str] = MappingProxyType({})

def redecide(
    diagnosis: Diagnosis, findings: Iterable[Finding], *, check: str, suggestion: str | None
) -> Diagnosis:
    """``diagnosis`` with ``findings`` of a check made outside the flow (a bounce) added,
    decided anew by :func:`decide`: one verdict rule for every path. The added findings
    lead the result (they are why it was asked for: a bounce row's own reason)."""
    added = tuple(findings)
    draft = _Draft(
        address=diagnosis.address,
        normalized=diagnosis.normalized,
        domain=diagnosis.domain,
        suggestion=suggestion,
        findings=[*added, *diagnosis.findings],
        mx=list(diagnosis.mx),
        providers=diagnosis.providers,
        dns=list(diagnosis.dns),
        checks=(*diagnosis.checks, check),
    )
    decided = decide(draft, Options())
    rest = tuple(f for f in decided.findings if f not in added)
    return dataclasses.replace(decided, findings=(*added, *rest))

