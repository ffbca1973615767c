"""SPF (RFC 7208): the record, its syntax, its DNS-lookup budget, and the sending IPs' results.

Why not pyspf or checkdmarc: both resolve on their own (pyspf through its own DNS calls,
checkdmarc through dnspython's resolver with its own timeouts), so neither could run on the
shells' resolver and deadline, nor be tested against the fake DNS. The record's tree is
fetched here as query batches; evaluating an address (:func:`evaluate`) is then a pure
function of the answers, per RFC 7208 §4.6 and §5.

The lookup count (§4.6.4) is the auditor's count: every ``include``, ``a``, ``mx``, ``ptr``,
``exists`` and ``redirect`` of the whole tree, whichever path a message would take, since a
receiver stops at the 11th on *some* path. ``redirect`` is followed only when the record has
no ``all`` (§6.1). Domain specs holding macros (§7) are counted but not followed (they need
the message's sender); ``ptr`` is counted and never matches (§5.5: "SHOULD NOT be used").
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re

from maildiag._core import Query
from maildiag._doctor._flow import Ctx, DnsFlow, failed, txt_strings
from maildiag.model import DnsAnswer, DnsStatus

__all__ = ["LOOKUP_LIMIT", "VOID_LIMIT", "Record", "Term", "check", "evaluate", "parse"]

#: RFC 7208 §4.6.4: at most 10 terms that cause DNS queries.
LOOKUP_LIMIT = 10
#: RFC 7208 §4.6.4: "SPF implementations SHOULD limit 'void lookups' to two".
VOID_LIMIT = 2
#: RFC 7208 §4.6.4: an ``mx`` mechanism looks up at most 10 exchangers' addresses.
MX_LIMIT = 10
#: We stop fetching past this many records of one tree: the verdict (too many lookups) is
#: known long before, and a hostile tree must not spend the deadline.
_RECORD_CAP = 25

_QUALIFIERS = {"+": "pass", "-": "fail", "~": "softfail", "?": "neutral"}
_MECHANISMS = frozenset({"all", "include", "a", "mx", "ptr", "ip4", "ip6", "exists"})
_LOOKUP_TERMS = frozenset({"include", "a", "mx", "ptr", "exists"})
_MODIFIER_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_.-]*\Z")
# RFC 7208 §7.1 macro-string: %{letter digits r delimiters}, %%, %_, %-.
_MACRO = re.compile(r"%(?:\{[slodiphcrtvSLODIPHCRTV][0-9]*[rR]?[.\-+,/_=]*\}|[%_-])")
_LABEL = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?\Z")


@dataclasses.dataclass(frozen=True, slots=True)
class Term:
    """One directive of an SPF record."""

    qualifier: str  # pass, fail, softfail, neutral
    mechanism: str
    target: str | None = None  # domain-spec or address text
    cidr4: int | None = None
    cidr6: int | None = None

    @property
    def has_macro(self) -> bool:
        return self.target is not None and "%" in self.target


@dataclasses.dataclass(frozen=True, slots=True)
class Record:
    """A parsed SPF record: its directives, ``redirect``, and the syntax errors found."""

    text: str
    terms: tuple[Term, ...]
    redirect: str | None
    errors: tuple[str, ...]

    @property
    def all_term(self) -> Term | None:
        return next((t for t in self.terms if t.mechanism == "all"), None)


def is_spf(text: str) -> bool:
    """RFC 7208 §4.5: the version section is exactly ``v=spf1``, then a space or the end."""
    return text[:6].lower() == "v=spf1" and (len(text) == 6 or text[6] == " ")


def _domain_spec_ok(spec: str) -> bool:
    # §7.1 domain-spec: macro-expand, then labels; a literal spec must end in a toplabel.
    literal = _MACRO.sub("x", spec)
    if "%" in literal:
        return False
    labels = literal.rstrip(".").split(".")
    return len(labels) >= 2 and all(_LABEL.match(label) for label in labels) and len(literal) <= 253


def _cidr(text: str, mechanism: str) -> tuple[str, int | None, int | None, str | None]:
    """Split ``dom/24//64`` into (dom, 24, 64); the error text on a bad length."""
    cidr4 = cidr6 = None
    if mechanism in ("a", "mx"):
        text, _, six = text.partition("//")
        if six:
            if not six.isdigit() or int(six) > 128 or (len(six) > 1 and six[0] == "0"):
                return text, None, None, f"bad IPv6 prefix length /{six}"
            cidr6 = int(six)
    text, slash, four = text.partition("/")
    if slash:
        limit = 128 if mechanism == "ip6" else 32
        if not four.isdigit() or int(four) > limit or (len(four) > 1 and four[0] == "0"):
            return text, None, None, f"bad prefix length /{four}"
        if mechanism == "ip6":
            cidr6 = int(four)
        else:
            cidr4 = int(four)
    return text, cidr4, cidr6, None


def parse(text: str) -> Record:
    """Parse one SPF record (RFC 7208 §4.6.1, §12); never raises, linear in the text."""
    terms: list[Term] = []
    errors: list[str] = []
    redirect: str | None = None
    seen_modifiers: set[str] = set()
    for raw in text.split(" ")[1:]:
        if not raw:
            continue
        name, eq, value = raw.partition("=")
        if eq and _MODIFIER_NAME.match(name) and ":" not in name and "/" not in name:
            lowered = name.lower()
            if lowered in ("redirect", "exp"):
                if lowered in seen_modifiers:  # §6: each at most once
                    errors.append(f"{lowered}= given twice")
                seen_modifiers.add(lowered)
                if not _domain_spec_ok(value):
                    errors.append(f"bad domain in {raw}")
                elif lowered == "redirect":
                    redirect = value.rstrip(".").lower()
            continue  # unknown modifiers are ignored (§6)
        qualifier = "pass"
        if raw[0] in _QUALIFIERS:
            qualifier, raw = _QUALIFIERS[raw[0]], raw[1:]
        mech, colon, arg = raw.partition(":")
        mech = mech.lower()
        base, slash, rest = mech.partition("/")
        if base in ("a", "mx") and slash:  # "a/24" with no domain
            mech, arg, colon = base, "/" + rest, ""
        if mech not in _MECHANISMS:
            errors.append(f"unknown mechanism {raw!r}")
            continue
        if mech == "all":
            if colon or arg:
                errors.append("all takes no argument")
            terms.append(Term(qualifier, "all"))
            continue
        if mech in ("ip4", "ip6"):
            address, cidr4, cidr6, error = _cidr(arg, mech)
            try:
                parsed = ipaddress.ip_address(address)
            except ValueError:
                error = error or f"bad address in {raw!r}"
            else:
                if parsed.version != (4 if mech == "ip4" else 6):
                    error = error or f"{mech} with an IPv{parsed.version} address"
            if error or not colon:
                errors.append(error or f"{mech} needs an address")
                continue
            terms.append(Term(qualifier, mech, address, cidr4, cidr6))
            continue
        target, cidr4, cidr6, error = _cidr(arg, mech)
        if error:
            errors.append(error)
            continue
        if colon and not _domain_spec_ok(target):
            errors.append(f"bad domain in {raw!r}")
            continue
        if mech in ("include", "exists") and not colon:
            errors.append(f"{mech} needs a domain")
            continue
        terms.append(Term(qualifier, mech, target.rstrip(".").lower() if colon else None, cidr4, cidr6))
    return Record(text, tuple(terms), redirect, tuple(errors))


@dataclasses.dataclass
class Tree:
    """Everything fetched for one domain's SPF: records by name and the answers of its terms."""

    domain: str
    records: dict[str, Record | None] = dataclasses.field(default_factory=dict)  # None: no SPF there
    answers: dict[Query, DnsAnswer] = dataclasses.field(default_factory=dict)
    mx_hosts: dict[str, list[str]] = dataclasses.field(default_factory=dict)
    lookups: int = 0
    voids: int = 0
    loops: list[str] = dataclasses.field(default_factory=list)
    temperror: bool = False


def _target(term: Term, name: str) -> str:
    return term.target or name


def _void(*answers: DnsAnswer) -> bool:
    return all(a.status in (DnsStatus.NXDOMAIN, DnsStatus.NODATA) for a in answers)


def _fetch(ctx: Ctx, tree: Tree, name: str, stack: tuple[str, ...]) -> DnsFlow:
    """Fetch ``name``'s record and, depth first, everything its terms need."""
    (txt,) = yield from ctx.ask([Query(name, "TXT")])
    if failed(txt):
        ctx.dns_failed(txt, "spf")
        tree.temperror = True
        tree.records[name] = None
        return
    found = [t for t in txt_strings(txt) if is_spf(t)]
    record = parse(found[0]) if len(found) == 1 else None
    tree.records[name] = record
    if record is None:
        return
    wanted: list[Query] = []
    follow: list[str] = []
    for term in record.terms:
        if term.mechanism not in _LOOKUP_TERMS:
            continue
        tree.lookups += 1
        target = _target(term, name)
        if term.has_macro or term.mechanism == "ptr":
            continue
        if term.mechanism == "a":
            wanted += [Query(target, "A"), Query(target, "AAAA")]
        elif term.mechanism == "mx":
            wanted.append(Query(target, "MX"))
        elif term.mechanism == "exists":
            wanted.append(Query(target, "A"))
        else:  # include
            follow.append(target)
    if record.redirect and record.all_term is None:
        tree.lookups += 1
        if "%" not in record.redirect:
            follow.append(record.redirect)
    answers = yield from ctx.ask(wanted)
    by_query = dict(zip(wanted, answers, strict=True))
    tree.answers.update(by_query)
    for answer in answers:
        if failed(answer):
            ctx.dns_failed(answer, "spf")
    hosts_wanted: list[Query] = []
    for term in record.terms:
        target = _target(term, name)
        if term.has_macro or term.mechanism not in ("a", "mx", "exists"):
            continue
        if term.mechanism == "a":
            pair = (by_query[Query(target, "A")], by_query[Query(target, "AAAA")])
            if any(failed(a) for a in pair):
                tree.temperror = True
            elif _void(*pair):
                tree.voids += 1
        elif term.mechanism == "exists":
            answer = by_query[Query(target, "A")]
            tree.temperror |= failed(answer)
            tree.voids += _void(answer)
        else:
            answer = by_query[Query(target, "MX")]
            if failed(answer):
                tree.temperror = True
                continue
            if _void(answer):
                tree.voids += 1
            hosts = sorted(
                (r.split()[-1].rstrip(".").lower() for r in answer.records if len(r.split()) == 2),
            )[:MX_LIMIT]
            hosts = [h for h in hosts if h]
            tree.mx_hosts[target] = hosts
            hosts_wanted += [q for h in hosts for q in (Query(h, "A"), Query(h, "AAAA"))]
    if hosts_wanted:
        host_answers = yield from ctx.ask(hosts_wanted)
        tree.answers.update(zip(hosts_wanted, host_answers, strict=True))
        for answer in host_answers:
            if failed(answer):
                ctx.dns_failed(answer, "spf")
                tree.temperror = True
    for target in follow:
        if target in stack or target == name:
            tree.loops.append(" -> ".join((*stack, name, target)))
            continue
        if target in tree.records or len(tree.records) >= _RECORD_CAP:
            continue
        if tree.lookups > 2 * LOOKUP_LIMIT:
            break  # the limit is broken already; stop spending the deadline
        yield from _fetch(ctx, tree, target, (*stack, name))
        if _void(ctx.answers[Query(target, "TXT")]):
            tree.voids += 1  # §4.6.4: a target that does not exist is a void lookup too


def _addresses(tree: Tree, host: str) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    found: list[ipaddress.IPv4Address | ipaddress.IPv6Address] = []
    for rdtype in ("A", "AAAA"):
        answer = tree.answers.get(Query(host, rdtype))
        for text in answer.records if answer else ():
            try:
                found.append(ipaddress.ip_address(text))
            except ValueError:
                continue
    return found


def _in(ip: ipaddress.IPv4Address | ipaddress.IPv6Address, address: ipaddress.IPv4Address | ipaddress.IPv6Address,
        term: Term) -> bool:
    if ip.version != address.version:
        return False
    length = (term.cidr4 if ip.version == 4 else term.cidr6)
    if length is None:
        length = 32 if ip.version == 4 else 128
    return ip in ipaddress.ip_network(f"{address}/{length}", strict=False)


def evaluate(tree: Tree, ip: str) -> str:
    """RFC 7208 §4.6: the result for a message from ``ip`` (pass, fail, softfail, neutral, none,
    permerror, temperror), from the fetched ``tree`` alone; ``undetermined`` when a term this
    evaluator does not evaluate (a macro, ``ptr``) is reached before any match."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return "permerror"
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped  # §5: an IPv4-mapped address is evaluated as IPv4
    if tree.lookups > LOOKUP_LIMIT or tree.voids > VOID_LIMIT or tree.loops:
        return "permerror"
    if tree.temperror:
        # §4.4, §5: a lookup of the tree failed; a result computed without it could be a
        # wrong "fail" (the failed name might have matched). Unknown, not a verdict.
        return "temperror"
    return _check_host(tree, address, tree.domain, 0)


def _check_host(tree: Tree, ip: ipaddress.IPv4Address | ipaddress.IPv6Address, name: str, depth: int) -> str:
    if name not in tree.records:
        return "temperror" if tree.temperror else "permerror"
    record = tree.records[name]
    if record is None:
        return "temperror" if tree.temperror else "none"
    if record.errors:
        return "permerror"
    for term in record.terms:
        target = _target(term, name)
        match = False
        if term.mechanism == "all":
            match = True
        elif term.mechanism in ("ip4", "ip6"):
            match = _in(ip, ipaddress.ip_address(term.target or ""), term)
        elif term.has_macro or term.mechanism == "ptr":
            # Not evaluated (macros need the message's sender; ptr, §5.5): whether it would
            # match is unknown, so no result past this point can be stated.
            return "undetermined"
        elif term.mechanism == "a":
            match = any(_in(ip, a, term) for a in _addresses(tree, target))
        elif term.mechanism == "mx":
            match = any(_in(ip, a, term) for h in tree.mx_hosts.get(target, ()) for a in _addresses(tree, h))
        elif term.mechanism == "exists":
            answer = tree.answers.get(Query(target, "A"))
            match = bool(answer and answer.status is DnsStatus.OK and answer.records)
        elif term.mechanism == "include":
            inner = _check_host(tree, ip, target, depth + 1)
            if inner in ("temperror", "permerror", "undetermined"):
                return inner
            if inner == "none":
                return "permerror"  # §5.2: an include of a name without SPF
            match = inner == "pass"
        if match:
            return term.qualifier
    if record.redirect and record.all_term is None:
        inner = _check_host(tree, ip, record.redirect, depth + 1)
        return "permerror" if inner == "none" else inner  # §6.1
    return "neutral"  # §4.7: no match, no redirect


def check(ctx: Ctx, sending_ips: tuple[str, ...]) -> DnsFlow:
    """Check the domain's SPF and evaluate ``sending_ips``; adds findings and the ``spf`` fact."""
    domain = ctx.domain
    (txt,) = yield from ctx.ask([Query(domain, "TXT")])
    evidence = [txt.describe()]
    if failed(txt):
        ctx.dns_failed(txt, "spf")
        ctx.facts["spf"] = None
        return
    found = [t for t in txt_strings(txt) if is_spf(t)]
    if not found:
        ctx.add("doctor.spf.missing", {"domain": domain}, evidence)
        ctx.facts["spf"] = False
        return
    if len(found) > 1:  # §4.5: more than one record is a permerror
        ctx.add("doctor.spf.multiple", {"domain": domain, "count": len(found)}, found)
        ctx.facts["spf"] = False
        return
    tree = Tree(domain)
    yield from _fetch(ctx, tree, domain, ())
    good = True
    for name, record in tree.records.items():
        if record is None:
            if name != domain and not tree.temperror:
                ctx.add("doctor.spf.include_no_record", {"domain": domain, "target": name},
                        [tree_answer.describe() for tree_answer in ctx.answers.values()
                         if tree_answer.name == name and tree_answer.rdtype == "TXT"])
                good = False
            continue
        for error in record.errors:
            ctx.add("doctor.spf.syntax", {"domain": name, "detail": error}, [record.text])
            good = False
        if any(t.mechanism == "ptr" for t in record.terms):
            ctx.add("doctor.spf.ptr_used", {"domain": name}, [record.text])
    if tree.loops:
        ctx.add("doctor.spf.include_loop", {"domain": domain, "path": tree.loops[0]}, tree.loops)
        good = False
    records_seen = [f"{n}: {r.text}" for n, r in tree.records.items() if r is not None]
    if tree.lookups > LOOKUP_LIMIT:
        ctx.add("doctor.spf.too_many_lookups", {"domain": domain, "count": tree.lookups, "limit": LOOKUP_LIMIT},
                records_seen)
        good = False
    if tree.voids > VOID_LIMIT:
        ctx.add("doctor.spf.too_many_void_lookups", {"domain": domain, "count": tree.voids, "limit": VOID_LIMIT},
                records_seen)
        good = False
    top = tree.records.get(domain)
    if top is not None:
        last = top.all_term
        if last is None and top.redirect is None:
            ctx.add("doctor.spf.no_all", {"domain": domain}, [top.text])
        elif last is not None and last.qualifier == "pass":
            ctx.add("doctor.spf.all_pass", {"domain": domain}, [top.text])
            good = False
        elif last is not None and last.qualifier == "neutral":
            ctx.add("doctor.spf.all_neutral", {"domain": domain}, [top.text])
    for ip in sending_ips:
        result = evaluate(tree, ip)
        if result in ("temperror", "undetermined"):
            # temperror: the failed lookup is already a doctor.dns_failed finding; undetermined:
            # a macro or ptr term was reached before any match. Unknown either way.
            continue
        if result != "pass":
            ctx.add("doctor.spf.ip_not_permitted", {"domain": domain, "ip": ip, "result": result}, records_seen)
    ctx.facts["spf"] = None if tree.temperror and good else good
