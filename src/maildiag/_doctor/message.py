"""A received message (``--eml``): did SPF and DKIM pass and align with From, and can a
reader unsubscribe in one click.

Authentication-Results (RFC 8601) is read from the topmost header, the one the receiving
server added; the From domain is aligned with an authenticated domain when their
organisational domains match (relaxed alignment, RFC 7489 §3.1). List-Unsubscribe
(RFC 2369) and one-click List-Unsubscribe-Post (RFC 8058 §3.1: the POST header, an HTTPS
URI, both headers covered by a DKIM signature) are what Gmail and Yahoo require of bulk mail.
This module does no DNS: it reads the message only.
"""

from __future__ import annotations

import dataclasses
import email
import email.message
import email.policy
import email.utils
import re

from maildiag._doctor._flow import Ctx
from maildiag._doctor.dmarc import org_domain

__all__ = ["AuthResult", "auth_results", "check"]

#: Messages are read up to this size: headers are what matters, and a hostile file must
#: not cost more than reading this much.
MAX_BYTES = 10 * 1024 * 1024


@dataclasses.dataclass(frozen=True, slots=True)
class AuthResult:
    """One ``method=result`` of an Authentication-Results header and its properties."""

    method: str
    result: str
    properties: tuple[tuple[str, str], ...] = ()

    def prop(self, name: str) -> str | None:
        return next((v for k, v in self.properties if k == name), None)


def _uncomment(text: str) -> str:
    """``text`` without RFC 5322 comments (nested parentheses), in one pass."""
    out, depth, escaped = [], 0, False
    for ch in text:
        if escaped:
            escaped = False
            if depth == 0:
                out.append(ch)
            continue
        if ch == "\\":
            escaped = True
            if depth == 0:
                out.append(ch)
        elif ch == "(":
            depth += 1
        elif ch == ")" and depth:
            depth -= 1
        elif depth == 0:
            out.append(ch)
    return "".join(out)


def auth_results(value: str) -> list[AuthResult]:
    """The results of one Authentication-Results value (RFC 8601 §2.2); never raises.

    Each ``;``-separated part after the authserv-id is ``method=result`` followed by
    ``ptype.property=value`` tokens; the text is split on whitespace rather than matched by
    a pattern, so a hostile header costs time in proportion to its length.
    """
    parts = _uncomment(value).split(";")
    found = []
    for part in parts[1:]:  # the first part is the authserv-id
        pairs = []
        for token in part.split():
            name, eq, val = token.partition("=")
            if eq and name:
                pairs.append((name.lower(), val.strip('"').lower()))
        if not pairs:
            continue
        (method, result), rest = pairs[0], pairs[1:]
        found.append(AuthResult(method, result, tuple(rest)))
    return found


def _domain_of(address_header: str) -> str | None:
    # A real address header is short; a hostile one must not cost the parser's worst case.
    _, address = email.utils.parseaddr(address_header[:2000])
    if "@" not in address:
        return None
    return address.rsplit("@", 1)[1].strip().strip(">").rstrip(".").lower() or None


def _aligned(a: str | None, b: str | None) -> bool:
    return bool(a and b) and org_domain(a or "") == org_domain(b or "")


def check(ctx: Ctx, raw: bytes) -> None:
    """Findings about the message ``raw``; sets the ``dmarc_aligned`` and ``one_click_unsubscribe`` facts."""
    if len(raw) > MAX_BYTES:
        raw = raw[:MAX_BYTES]
    try:
        message = email.message_from_bytes(raw, policy=email.policy.compat32)
        headers = [(k.lower(), str(v)) for k, v in message.items()]
    except Exception as error:  # a hostile file is a finding, never a traceback
        ctx.add("doctor.message.unreadable", {"detail": f"{type(error).__name__}"[:80]})
        return

    def all_of(name: str) -> list[str]:
        return [v for k, v in headers if k == name]

    from_values = all_of("from")
    from_domain = _domain_of(from_values[0]) if len(from_values) == 1 else None
    if from_domain is None:
        ctx.add("doctor.message.unreadable", {"detail": "no single From address"},
                [f"From: {v}"[:200] for v in from_values])
        return
    ar_headers = all_of("authentication-results")
    ar_label = "Authentication-Results"
    if not ar_headers:
        # A copy saved after a forwarder may keep only the ARC set (RFC 8617 §4.1.3): its
        # ARC-Authentication-Results with the highest instance, "i=N; " then an RFC 8601 value.
        sets = []
        for value in all_of("arc-authentication-results"):
            head, _, rest = value.partition(";")
            name, _, number = head.strip().partition("=")
            if name.strip().lower() == "i" and number.strip().isdigit():
                sets.append((int(number.strip()), rest))
        if sets:
            instance, latest = max(sets)
            ar_headers, ar_label = [latest], f"ARC-Authentication-Results i={instance}"
    signatures = all_of("dkim-signature")
    evidence = [f"From: {from_values[0]}"[:300], *(f"{ar_label}: {v}"[:500] for v in ar_headers[:1]),
                *(f"Return-Path: {v}"[:200] for v in all_of("return-path")[:1])]
    arc = all_of("arc-seal")
    if arc:
        evidence.append(f"ARC sets: {len(arc)}")
    if not ar_headers:
        ctx.add("doctor.message.no_auth_results", {"from_domain": from_domain}, evidence)
    else:
        results = auth_results(ar_headers[0])
        by_method: dict[str, list[AuthResult]] = {}
        for result in results:
            by_method.setdefault(result.method, []).append(result)
        spf = by_method.get("spf", [])
        spf_result = spf[0].result if spf else "none"
        mailfrom = spf[0].prop("smtp.mailfrom") if spf else None
        if mailfrom and "@" in mailfrom:
            mailfrom = mailfrom.rsplit("@", 1)[1]
        if not mailfrom:
            return_path = all_of("return-path")
            mailfrom = _domain_of(return_path[0]) if return_path else None
        dkim_pass = [r.prop("header.d") or (r.prop("header.i") or "").rsplit("@", 1)[-1]
                     for r in by_method.get("dkim", []) if r.result == "pass"]
        if spf_result != "pass":
            ctx.add("doctor.message.spf_failed", {"from_domain": from_domain, "result": spf_result}, evidence)
        if not dkim_pass:
            dkim_results = ",".join(r.result for r in by_method.get("dkim", [])) or "none"
            ctx.add("doctor.message.dkim_failed", {"from_domain": from_domain, "result": dkim_results}, evidence)
        dmarc = by_method.get("dmarc", [])
        if dmarc and dmarc[0].result != "pass":
            ctx.add("doctor.message.dmarc_failed", {"from_domain": from_domain, "result": dmarc[0].result},
                    evidence)
        spf_aligned = spf_result == "pass" and _aligned(mailfrom, from_domain)
        dkim_aligned = any(_aligned(d, from_domain) for d in dkim_pass)
        aligned = spf_aligned or dkim_aligned
        if not aligned and (spf_result == "pass" or dkim_pass):
            ctx.add("doctor.message.not_aligned",
                    {"from_domain": from_domain, "spf_domain": mailfrom or "", "dkim_domains": tuple(dkim_pass)},
                    evidence)
        ctx.facts["dmarc_aligned"] = aligned
        if dkim_aligned:
            ctx.facts["dkim"] = ctx.facts.get("dkim") is not False
        if spf_aligned and ctx.facts.get("spf") is None:
            ctx.facts["spf"] = True
    # RFC 8058 §3.1: List-Unsubscribe with an HTTPS URI, List-Unsubscribe-Post:
    # List-Unsubscribe=One-Click, and a DKIM signature whose h= covers both.
    unsubscribe = all_of("list-unsubscribe")
    if not unsubscribe:
        ctx.add("doctor.message.no_list_unsubscribe", {"from_domain": from_domain}, evidence)
        ctx.facts["one_click_unsubscribe"] = False
        return
    post = [v.strip() for v in all_of("list-unsubscribe-post")]
    problems = []
    if "List-Unsubscribe=One-Click" not in post:
        problems.append("no List-Unsubscribe-Post: List-Unsubscribe=One-Click")
    if not re.search(r"<\s*https://", unsubscribe[0], re.IGNORECASE):
        problems.append("no https URI in List-Unsubscribe")
    covered = False
    for signature in signatures:
        h = re.search(r"(?:^|;)\s*h\s*=\s*([^;]*)", signature)
        signed = {x.strip().lower() for x in h.group(1).replace("\r\n", "").split(":")} if h else set()
        covered |= {"list-unsubscribe", "list-unsubscribe-post"} <= signed
    if not covered:
        problems.append("List-Unsubscribe and List-Unsubscribe-Post not covered by a DKIM signature")
    if problems:
        ctx.add("doctor.message.no_one_click", {"from_domain": from_domain, "detail": "; ".join(problems)},
                [f"List-Unsubscribe: {unsubscribe[0]}"[:300], *(f"List-Unsubscribe-Post: {p}" for p in post[:1])])
    ctx.facts["one_click_unsubscribe"] = not problems
