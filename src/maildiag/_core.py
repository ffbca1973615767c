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
from collections.abc import Generator, Iterable, Mapping
from types import MappingProxyType

from maildiag import _cache, _replies, catalog, flags, providers, syntax, typo
from maildiag._cache import Await
from maildiag._mx import CANARY_LABEL, MAX_MX_HOSTS, MAX_MX_LOOKUPS, DomainResult, Query, resolve_domain, routable
from maildiag.model import (
    Blame,
    Diagnosis,
    DnsAnswer,
    Finding,
    MxHost,
    ProviderMatch,
    Verdict,
    sort_findings,
)
from maildiag.options import Options, cached_per_domain
from maildiag.smtp import Probe, ProbeResult, Reply

__all__ = [
    "CANARY_LABEL", "MAX_MX_HOSTS", "MAX_MX_LOOKUPS", "Await", "Flow", "Probe", "ProbeResult", "Query",
    "classify", "decide", "diagnose_offline", "interpret", "plan",
]


#: A batch holds DNS queries, one :class:`~maildiag._cache.Await` (another diagnosis is
#: looking the domain up), or (when ``Options.smtp_probe`` is on) one SMTP probe; the shell
#: sends back one answer per item, in order (for an ``Await``: the shared result or ``None``).
Flow = Generator[
    tuple[Query | Probe | Await, ...], tuple[DnsAnswer | ProbeResult | DomainResult | None, ...], Diagnosis
]
_DomainFlow = Generator[tuple[Query | Await, ...], tuple[DnsAnswer | DomainResult | None, ...], DomainResult]



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



def plan(address: str, options: Options, *, defer_lead: bool = False) -> Flow:
    """Diagnose ``address``, yielding DNS query batches and receiving their answers.

    ``defer_lead`` (bulk): when the domain must be looked up and no one is looking it up, yield
    ``(Await(None),)`` first instead of claiming the lookup, so that others do not wait for a
    lookup queued behind the caller's concurrency bound.
    """
    draft, local, ascii_domain = _offline_part(address, options)
    if options.offline or local is None or ascii_domain is None:
        return decide(draft, options)

    # 4. DNS (maildiag._mx): one result per domain, from the cache when it holds one.
    draft.checks += ("dns",)
    result = yield from _domain_result(ascii_domain, options, defer_lead)
    draft.findings.extend(result.findings)
    draft.dns.extend(result.dns)
    draft.mx.extend(result.mx)
    draft.providers = result.providers
    if draft.has_code("domain.typo"):
        yield from _typo_evidence(draft, result, options, defer_lead)

    # 5. Optional SMTP probe of the best usable MX (docs/smtp.md).
    if options.smtp_probe:
        yield from _smtp(draft, local, ascii_domain, options)
    return decide(draft, options)


def _domain_result(domain: str, options: Options, defer_lead: bool = False) -> _DomainFlow:
    """``domain``'s DNS result: kept, shared with a lookup in flight, or looked up now.

    The cache is asked before anything is yielded, so a hit costs no thread, no event loop
    and no deadline (docs/design.md "The per-domain cache").
    """
    key = _cache.key_for(domain, options)
    if key is None:
        return (yield from resolve_domain(domain, options))
    found = _cache.CACHE.lookup(key, claim=not defer_lead)
    if found is None:
        yield (Await(None),)  # the shell says when it can make queries
        found = _cache.CACHE.lookup(key)
    if isinstance(found, DomainResult):
        return found
    if isinstance(found, _cache.Wait):
        (shared,) = yield (Await(found.future),)
        if isinstance(shared, DomainResult):
            return shared
        # Nothing to share (the leader's lookup timed out or was abandoned): ask ourselves,
        # within our own deadline.
        result = yield from resolve_domain(domain, options)
        _cache.CACHE.store(key, result)
        return result
    assert found is not None  # claimed
    done: DomainResult | None = None
    try:
        done = yield from resolve_domain(domain, options)
    finally:
        # Also when the flow is closed half-way (a cancelled task): waiters must not wait
        # for a lookup that will never end.
        _cache.CACHE.finish(key, found, done)
    return done



def _routes(result: DomainResult) -> bool | None:
    """Whether mail to a domain has somewhere to go: True, False (NXDOMAIN, no MX and no
    address, null MX: RFC 5321 §5.1, RFC 7505), or None when DNS could not say (a failure, a
    resolver that lies)."""
    codes = [f.code for f in result.findings]
    if any(c.startswith("dns.") for c in codes):
        return None
    return not any(catalog.info(c).verdict is Verdict.UNDELIVERABLE for c in codes)


def _typo_evidence(draft: _Draft, typed: DomainResult, options: Options, defer_lead: bool = False) -> _DomainFlow:
    """Weigh a typo suggestion with DNS (issue 12): the typed domain's mail route, and the
    suggested domain's. The ``domain.typo`` finding says which evidence it rests on."""
    typo_finding = next(f for f in draft.findings if f.code == "domain.typo")
    candidate = str(typo_finding.params["suggestion"])
    # defer_lead: in bulk, a row whose typed domain was known claims this lookup only once it
    # holds a slot, like its first (docs/design.md "The per-domain cache").
    suggested = yield from _domain_result(candidate, options, defer_lead)
    draft.dns.extend(suggested.dns)
    typed_routes, candidate_routes = _routes(typed), _routes(suggested)
    if candidate_routes is False:
        # The suggested domain takes no mail either: offering it would send the customer from
        # one dead address to another. What stands is the input as repaired, if it was
        # (decide() then weighs that address's own domain), else nothing.
        local = str(typo_finding.params["suggested_address"]).rpartition("@")[0]
        repaired = f"{local}@{typo_finding.params['domain']}"
        repairs = [f for f in draft.findings if f.code.startswith("syntax.repaired.")]
        draft.suggestion = repaired if repairs else None
        draft.findings = [
            catalog.make(f.code, {**f.params, "suggestion": repaired}, f.evidence) if f in repairs else f
            for f in draft.findings
            if f is not typo_finding
        ]
        return typed
    if typed_routes is False and candidate_routes:
        basis = "no_mail_route"  # the strongest sign: what was typed cannot take mail
    elif typed_routes:
        basis = "spelling_only"
        # The typed domain does receive mail: it may be the customer's real domain.
        draft.add("domain.typo_receives_mail", {"domain": typo_finding.params["domain"],
                                                "suggestion": candidate}, [h.host for h in typed.mx][:3])
    else:
        basis = "spelling"  # DNS could not tell: the spelling alone
    draft.findings = [
        catalog.make(f.code, {**f.params, "basis": basis}, f.evidence) if f is typo_finding else f
        for f in draft.findings
    ]
    return typed


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
            {"domain": ascii_domain, "suggestion": hit.suggestion, "suggested_address": suggested,
             "basis": "spelling"},
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
         if routable(ip, options)),
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




_RESERVED_CODES = frozenset({"syntax.domain_reserved", "syntax.domain_special_use"})


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

