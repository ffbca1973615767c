"""DMARC (RFC 7489): the policy record, its tags, and who may receive its reports.

The record is looked up at ``_dmarc.<domain>``, then at the organisational domain's
(§6.6.3), which the Public Suffix List gives (§3.2; the same list snapshot maildiag uses
everywhere, :mod:`maildiag.flags`). DMARCbis replaces the list with a walk up the DNS tree;
for a sending domain whose organisational domain is one label below a public suffix, both
find the same record.
"""

from __future__ import annotations

import dataclasses

from maildiag._core import Query
from maildiag._doctor._flow import Ctx, DnsFlow, failed, tags, txt_strings

__all__ = ["Policy", "check", "org_domain", "parse"]

_POLICIES = frozenset({"none", "quarantine", "reject"})


def org_domain(domain: str) -> str:
    """The organisational domain of ``domain`` (RFC 7489 §3.2), from the Public Suffix List."""
    from maildiag.flags import _psl

    found: str | None = _psl().privatesuffix(domain.lower().rstrip("."))
    return found or domain.lower()


def is_dmarc(text: str) -> bool:
    """RFC 7489 §6.4: the record starts with ``v=DMARC1`` (the first tag; case-sensitive value)."""
    head = text.lstrip().split(";", 1)[0]
    name, _, value = head.partition("=")
    return name.strip().lower() == "v" and value.strip() == "DMARC1"


@dataclasses.dataclass(frozen=True, slots=True)
class Policy:
    """A parsed DMARC record (RFC 7489 §6.3)."""

    p: str | None
    sp: str | None
    pct: int
    rua: tuple[str, ...]
    ruf: tuple[str, ...]
    adkim: str
    aspf: str
    errors: tuple[str, ...]


def _uris(value: str, errors: list[str], tag: str) -> tuple[str, ...]:
    found = []
    for item in value.split(","):
        item = item.strip()
        if not item:
            continue
        uri = item.split("!", 1)[0]  # "!10m": a size limit (§6.2)
        if not uri.lower().startswith("mailto:") or "@" not in uri:
            errors.append(f"{tag}= needs mailto: addresses, not {item!r}")
            continue
        found.append(uri[7:])
    return tuple(found)


def parse(text: str) -> Policy:
    """Parse one DMARC record; never raises. Errors are listed, unknown tags ignored (§6.3)."""
    errors: list[str] = []
    found = tags(text) or {}
    if not found:
        errors.append("not a tag=value list (or a tag given twice)")
    p = found.get("p", "").lower() or None
    if p is not None and p not in _POLICIES:
        errors.append(f"p={p} is not none, quarantine or reject")
        p = None
    elif p is None:
        errors.append("no p= tag")
    sp = found.get("sp", "").lower() or None
    if sp is not None and sp not in _POLICIES:
        errors.append(f"sp={sp} is not none, quarantine or reject")
        sp = None
    pct = 100
    if "pct" in found:
        if found["pct"].isdigit() and int(found["pct"]) <= 100:
            pct = int(found["pct"])
        else:
            errors.append(f"pct={found['pct']} is not 0 to 100")
    modes = {}
    for tag in ("adkim", "aspf"):
        mode = found.get(tag, "r").lower()
        if mode not in ("r", "s"):
            errors.append(f"{tag}={mode} is not r or s")
            mode = "r"
        modes[tag] = mode
    rua = _uris(found.get("rua", ""), errors, "rua")
    ruf = _uris(found.get("ruf", ""), errors, "ruf")
    return Policy(p, sp, pct, rua, ruf, modes["adkim"], modes["aspf"], tuple(errors))


def _lookup(ctx: Ctx, name: str) -> DnsFlow:
    """(the answer, the DMARC records at ``_dmarc.<name>``)."""
    (answer,) = yield from ctx.ask([Query(f"_dmarc.{name}", "TXT")])
    return answer, [t for t in txt_strings(answer) if is_dmarc(t)]


def check(ctx: Ctx) -> DnsFlow:
    """Check the domain's DMARC policy; sets the ``dmarc`` and ``dmarc_enforced`` facts."""
    domain = ctx.domain
    answer, found = yield from _lookup(ctx, domain)
    at = domain
    evidence = [answer.describe()]
    if failed(answer):
        ctx.dns_failed(answer, "dmarc")
        ctx.facts["dmarc"] = None
        return
    org = org_domain(domain)
    if not found and org != domain:
        answer, found = yield from _lookup(ctx, org)
        evidence.append(answer.describe())
        if failed(answer):
            ctx.dns_failed(answer, "dmarc")
            ctx.facts["dmarc"] = None
            return
        at = org
    ctx.facts["dmarc_enforced"] = False
    if not found:
        ctx.add("doctor.dmarc.missing", {"domain": domain}, evidence)
        ctx.facts["dmarc"] = False
        return
    if len(found) > 1:  # §6.6.3: more than one record: no DMARC processing at all
        ctx.add("doctor.dmarc.multiple", {"domain": at, "count": len(found)}, found)
        ctx.facts["dmarc"] = False
        return
    if at != domain:
        ctx.add("doctor.dmarc.inherited", {"domain": domain, "org_domain": at}, evidence)
    policy = parse(found[0])
    record = [f"_dmarc.{at}: {found[0]}"]
    for error in policy.errors:
        ctx.add("doctor.dmarc.syntax", {"domain": at, "detail": error}, record)
    if policy.p is None:
        ctx.facts["dmarc"] = False
        return
    ctx.facts["dmarc"] = True
    # The policy that applies to this domain: sp= when it is a subdomain of the record's owner.
    applied = (policy.sp or policy.p) if at != domain else policy.p
    if applied == "none":
        ctx.add("doctor.dmarc.policy_none", {"domain": domain}, record)
    else:
        ctx.facts["dmarc_enforced"] = True
    if policy.pct < 100 and applied != "none":
        ctx.add("doctor.dmarc.pct_partial", {"domain": domain, "pct": policy.pct}, record)
    if at == domain and policy.sp == "none" and policy.p != "none":
        ctx.add("doctor.dmarc.subdomains_none", {"domain": domain}, record)
    if not policy.rua:
        ctx.add("doctor.dmarc.no_rua", {"domain": at}, record)
    if policy.adkim == "s" or policy.aspf == "s":
        ctx.add("doctor.dmarc.strict_alignment", {"domain": at, "adkim": policy.adkim, "aspf": policy.aspf},
                record)
    # §7.1: a report address outside the organisational domain must be authorised by a
    # record at <domain>._report._dmarc.<its domain>.
    foreign = sorted({uri.rsplit("@", 1)[1].lower().rstrip(".") for uri in (*policy.rua, *policy.ruf)}
                     - {at, org})
    foreign = [d for d in foreign if org_domain(d) != org]
    if foreign:
        queries = [Query(f"{at}._report._dmarc.{d}", "TXT") for d in foreign]
        answers = yield from ctx.ask(queries)
        for target, auth in zip(foreign, answers, strict=True):
            if failed(auth):
                ctx.dns_failed(auth, "dmarc")
            elif not any(is_dmarc(t) for t in txt_strings(auth)):
                ctx.add("doctor.dmarc.report_not_authorized", {"domain": at, "destination": target},
                        [*record, auth.describe()])
