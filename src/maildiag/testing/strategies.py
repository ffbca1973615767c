"""Hypothesis strategies for testing code that takes email addresses from customers.

Hypothesis's own :func:`~hypothesis.strategies.emails` draws ``local@domain`` with no dot
in the local part (its source says so in a TODO), never a non-ASCII local part or an IDN
domain, on real top-level domains that would touch the network if resolved; it never
draws the mistakes customers make. These strategies fill those gaps::

    from hypothesis import given
    from maildiag.testing.strategies import typo_emails

    @given(typo_emails())
    def test_signup_offers_the_fix(pair):
        typo, intended = pair
        assert maildiag.diagnose(typo, offline=True).suggestion == intended

Every strategy takes keyword-only arguments, checks them at once and raises
:class:`hypothesis.errors.InvalidArgument` naming the bad value, as Hypothesis's own
strategies do. Only this module imports Hypothesis: ``import maildiag`` and
``import maildiag.testing`` do not.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import functools
import importlib.resources
import string
from collections.abc import Collection, Iterable
from typing import TYPE_CHECKING, Any

import email_validator
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.strategies import SearchStrategy

from maildiag.model import (
    Diagnosis,
    DnsAnswer,
    DnsStatus,
    Finding,
    MxHost,
    ProviderMatch,
    Severity,
    Verdict,
)
from maildiag.testing._fake import _GLOBAL_TEST_ADDRESS

if TYPE_CHECKING:
    from maildiag.catalog import CodeInfo

__all__ = [
    "FIXABLE_KINDS",
    "TYPO_KINDS",
    "diagnoses",
    "dns_answers",
    "findings",
    "fixable_inputs",
    "mx_hosts",
    "provider_matches",
    "typo_emails",
    "valid_emails",
]

#: The edits :func:`typo_emails` makes, one per draw.
TYPO_KINDS = ("omission", "transposition", "doubling", "adjacent_key", "dot_con")
#: The kinds of mess :func:`fixable_inputs` wraps a clean address in.
FIXABLE_KINDS = ("whitespace", "mailto", "angle_brackets", "display_name", "fullwidth_at", "comma")

# RFC 5322 §3.2.3 atext: what a dot-atom local part may hold besides letters and digits.
_ATEXT = string.ascii_letters + string.digits + "!#$%&'*+-/=?^_`{|}~"
# Letters a customer's name may bring into an RFC 6531 (SMTPUTF8) local part or an IDN
# label. Only precomposed, lowercase letters: they are already NFC (RFC 6532 §3.1), IDNA
# 2008 PVALID, and need no CONTEXTJ/CONTEXTO rule (RFC 5892), so every draw is valid by
# construction rather than by filtering. Hebrew labels stay all-Hebrew to satisfy the Bidi
# Rule (RFC 5893 §2), which email-validator applies to every label of the domain.
_LATIN = "àáâãäåæçèéêëìíîïñòóôõöøùúûüýÿ"
_SCRIPTS = (
    string.ascii_lowercase + _LATIN,
    "αβγδεζηθικλμνξοπρστυφχψω",  # no final sigma: IDNA 2008 and UTS 46 disagree on it
    "абвгдежзийклмнопрстуфхцчшщъыьэюя",
    "אבגדהוזחטיכלמנסעפצקרשת",
    "中文网邮件商店测试电子",
    "あいうえおかきくけこさしすせそ",
)
# QWERTY rows; a key's neighbours are computed from the stagger (see _neighbours).
_KEYBOARD_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
# Labels shorter than this are not edited by typo_emails(): one edit to "aol" or "gmx"
# makes another plausible real domain, and no typo engine should "correct" those.
_MIN_TYPO_LABEL = 5
# Popularity (data/domains.tsv weight) a domain needs to be a default typo_emails() target.
_MIN_TYPO_WEIGHT = 75


# -- argument checks ---------------------------------------------------------------------


def _check_bool(name: str, value: object) -> None:
    if not isinstance(value, bool):
        raise InvalidArgument(f"{name}={value!r} must be True or False")


def _check_domain(name: str, collection: object, domain: object) -> str:
    if not isinstance(domain, str):
        raise InvalidArgument(f"{name}={collection!r} holds {domain!r}, which is not a str")
    try:
        email_validator.validate_email(f"x@{domain}", check_deliverability=False)
    except email_validator.EmailNotValidError as e:
        raise InvalidArgument(f"{name}={collection!r} holds {domain!r}, which is not a mail domain: {e}") from None
    return domain


def _domain_list(name: str, value: object) -> tuple[str, ...]:
    # A bare string is iterable too; domains="shop.example" would draw single letters.
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise InvalidArgument(f"{name}={value!r} must be a collection of domain names, not {type(value).__name__}")
    domains = tuple(value)
    if not domains:
        raise InvalidArgument(f"{name}={value!r} must not be empty")
    return tuple(_check_domain(name, value, d) for d in domains)


def _kinds(name: str, value: Collection[str] | None, known: tuple[str, ...]) -> tuple[str, ...]:
    if value is None:
        return known
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise InvalidArgument(f"{name}={value!r} must be a collection of names from {known}")
    chosen = tuple(value)
    unknown = [k for k in chosen if k not in known]
    if unknown or not chosen:
        raise InvalidArgument(f"{name}={value!r}: expected a non-empty subset of {known}, got {unknown or 'none'}")
    return tuple(k for k in known if k in chosen)


# -- valid_emails ------------------------------------------------------------------------


def _ascii_label() -> SearchStrategy[str]:
    # Starts with a letter (so the label also passes the Bidi Rule next to a Hebrew one),
    # at most one inner hyphen (never "--" at positions 3-4, RFC 5891 §4.2.3.1).
    return st.from_regex(r"[a-z](?:[a-z0-9]{0,8}|[a-z0-9]{0,3}-[a-z0-9]{1,4})", fullmatch=True)


def _idn_label() -> SearchStrategy[str]:
    return st.sampled_from(_SCRIPTS).flatmap(lambda alphabet: st.text(alphabet, min_size=1, max_size=10))


def _reserved_domains(*, idn: bool) -> SearchStrategy[str]:
    # RFC 2606 §2: ".example" is reserved and never delegated, so a draw can never send a
    # query (or a message) to anyone's real server, whatever the code under test does.
    label = _ascii_label() | _idn_label() if idn else _ascii_label()
    return st.lists(label, min_size=1, max_size=2).map(lambda labels: ".".join([*labels, "example"]))


def _local_parts(*, smtputf8: bool) -> SearchStrategy[str]:
    alphabet = _ATEXT + "".join(_SCRIPTS[1:]) + _LATIN if smtputf8 else _ATEXT
    # RFC 5322 §3.2.3 dot-atom: atoms joined by single dots, none at either end.
    atoms = st.lists(st.text(alphabet, min_size=1, max_size=8), min_size=1, max_size=3).map(".".join)
    tags = st.none() | st.text(string.ascii_lowercase + string.digits + "-_", min_size=1, max_size=8)
    return st.builds(lambda local, tag: local if tag is None else f"{local}+{tag}", atoms, tags)


def valid_emails(
    *,
    domains: Iterable[str] | SearchStrategy[str] | None = None,
    idn: bool = False,
    smtputf8: bool = False,
) -> SearchStrategy[str]:
    """Addresses that every validator should accept, including the unusual valid ones.

    Local parts are RFC 5322 dot-atoms (``jane.q.doe``) with any ``atext`` character and
    an optional ``+tag``. By default the domain is one or two labels under the reserved
    ``.example`` top-level domain (RFC 2606), so nothing drawn can reach a real server.

    Args:
        domains: the domains to use instead: a collection of names (each is checked now),
            or a strategy drawing them (checked by you).
        idn: draw internationalized domain labels too (``bücher.example``, ``שלום.example``),
            in Unicode form. Only with the default domains.
        smtputf8: draw non-ASCII local parts too (``josé.ñúñez``), which need SMTPUTF8
            (RFC 6531) to be delivered.

    Every draw passes ``email_validator.validate_email(addr, check_deliverability=False)``
    with its default settings, and comes back from it unchanged (it is already NFC).
    Values shrink towards ``0@a.example``.

    .. versionadded:: 0.1.0
    """
    _check_bool("idn", idn)
    _check_bool("smtputf8", smtputf8)
    if domains is None:
        domain_strategy = _reserved_domains(idn=idn)
    elif idn:
        raise InvalidArgument(f"idn=True only applies to the default domains, not to domains={domains!r}")
    elif isinstance(domains, SearchStrategy):
        domain_strategy = domains
    else:
        domain_strategy = st.sampled_from(_domain_list("domains", domains))
    return st.builds(lambda local, domain: f"{local}@{domain}", _local_parts(smtputf8=smtputf8), domain_strategy)


# -- typo_emails -------------------------------------------------------------------------


@functools.cache
def _neighbours() -> dict[str, str]:
    """QWERTY neighbours: same row left/right, and the two keys touching above and below."""
    found: dict[str, set[str]] = {}
    rows = _KEYBOARD_ROWS
    for r, row in enumerate(rows):
        for i, key in enumerate(row):
            near = found.setdefault(key, set())
            near.update(row[j] for j in (i - 1, i + 1) if 0 <= j < len(row))
            # Each row sits half a key right of the one above it.
            if r > 0:
                near.update(rows[r - 1][j] for j in (i, i + 1) if j < len(rows[r - 1]))
            if r + 1 < len(rows):
                near.update(rows[r + 1][j] for j in (i - 1, i) if 0 <= j < len(rows[r + 1]))
    return {key: "".join(sorted(near)) for key, near in found.items()}


@functools.cache
def _known_domains() -> tuple[tuple[str, int], ...]:
    """(domain, weight) rows of maildiag's common-domains table (``data/domains.tsv``)."""
    text = importlib.resources.files("maildiag.data").joinpath("domains.tsv").read_text("utf-8")
    rows = [line.split("\t") for line in text.splitlines() if line.strip() and not line.startswith("#")]
    return tuple((row[0], int(row[1]) if row[3] != "protect" else 0) for row in rows)


def _label_edits(label: str, kind: str) -> Iterable[str]:
    if kind == "omission":
        yield from (label[:i] + label[i + 1 :] for i in range(len(label)))
    elif kind == "transposition":
        yield from (
            label[:i] + label[i + 1] + label[i] + label[i + 2 :]
            for i in range(len(label) - 1)
            if label[i] != label[i + 1]
        )
    elif kind == "doubling":
        yield from (label[: i + 1] + label[i:] for i in range(len(label)))
    elif kind == "adjacent_key":
        near = _neighbours()
        yield from (label[:i] + k + label[i + 1 :] for i, c in enumerate(label) for k in near.get(c, ""))


def _hostname_label(label: str) -> bool:
    return bool(label) and label[0] != "-" and label[-1] != "-" and "--" not in label


@functools.cache
def _typo_table(domains: tuple[str, ...], kinds: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """Every (typo domain, intended domain) pair one edit of ``kinds`` away."""
    real = {d for d, _ in _known_domains()} | set(domains)
    pairs: dict[str, str] = {}
    for domain in domains:
        label, _, rest = domain.partition(".")
        typos: list[str] = []
        if "dot_con" in kinds and domain.endswith(".com"):
            typos.append(domain[: -len("com")] + "con")
        if len(label) >= _MIN_TYPO_LABEL:
            typos.extend(f"{t}.{rest}" for kind in kinds for t in _label_edits(label, kind) if _hostname_label(t))
        for typo in typos:
            # A typo that lands on another real domain is no typo; one reachable from two
            # intended domains has no single right answer.
            if typo not in real and pairs.setdefault(typo, domain) != domain:
                pairs[typo] = ""
    return tuple(sorted((t, d) for t, d in pairs.items() if d))


def _typo_locals() -> SearchStrategy[str]:
    return st.from_regex(r"[a-z]{1,8}(?:[._][a-z]{1,8})?[0-9]{0,2}", fullmatch=True)


def typo_emails(
    *, domains: Iterable[str] | None = None, kinds: Collection[str] | None = None
) -> SearchStrategy[tuple[str, str]]:
    """``(typo_address, intended_address)`` pairs: one realistic slip in a common domain.

    The slip is one of :data:`TYPO_KINDS`: ``omission`` (``gmal.com``), ``transposition``
    (``gmial.com``), ``doubling`` (``gmaill.com``), ``adjacent_key`` (a QWERTY neighbour:
    ``gnail.com``) in the first label, or ``dot_con`` (``gmail.con``). The local part is the
    same on both sides, and only the domain differs.

    Args:
        domains: the intended domains. By default, the popular mail domains of maildiag's
            own table (``maildiag/data/domains.tsv``), as a shop's customers use them.
        kinds: a subset of :data:`TYPO_KINDS`; all of them by default.

    A typo is never a domain of that table (``hotmail.de`` is no typo of ``hotmail.fr``),
    never reachable from two intended domains, and the first label is only edited when it
    has 5 characters or more: one slip in ``aol`` or ``gmx`` makes a different plausible
    domain, not a typo anyone could correct with confidence.

    .. versionadded:: 0.1.0
    """
    chosen_kinds = _kinds("kinds", kinds, TYPO_KINDS)
    if domains is None:
        intended = tuple(d for d, weight in _known_domains() if weight >= _MIN_TYPO_WEIGHT)
    else:
        intended = tuple(d.lower() for d in _domain_list("domains", domains))
        ascii_only = [d for d in intended if not d.isascii()]
        if ascii_only:
            raise InvalidArgument(f"domains={domains!r}: give IDN domains in ASCII (xn--) form, not {ascii_only}")
    table = _typo_table(intended, chosen_kinds)
    if not table:
        raise InvalidArgument(
            f"no typo of kinds={chosen_kinds} can be made from domains={intended!r} "
            f"(labels need {_MIN_TYPO_LABEL} characters; dot_con needs a .com domain)"
        )
    return st.builds(
        lambda local, pair: (f"{local}@{pair[0]}", f"{local}@{pair[1]}"), _typo_locals(), st.sampled_from(table)
    )


# -- fixable_inputs ----------------------------------------------------------------------


def _mess(kind: str, clean: str) -> SearchStrategy[str]:
    local, _, domain = clean.rpartition("@")
    if kind == "whitespace":
        # Copied from a spreadsheet or a PDF: tabs, newlines, no-break spaces (U+00A0).
        space = st.text(" \t\n\u00a0", max_size=3)
        return st.tuples(space, space).filter(any).map(lambda ends: f"{ends[0]}{clean}{ends[1]}")
    if kind == "mailto":
        return st.sampled_from(["mailto:", "MAILTO:", "Mailto:"]).map(lambda scheme: scheme + clean)
    if kind == "angle_brackets":
        return st.just(f"<{clean}>")
    if kind == "display_name":
        name = st.from_regex(r"[A-Z][a-z]{1,8}(?: [A-Z][a-z]{1,8})?", fullmatch=True)
        plain = name.map(lambda n: f"{n} <{clean}>")
        quoted = name.map(lambda n: f'"{n}" <{clean}>')
        return plain | quoted
    if kind == "fullwidth_at":
        # U+FF20 FULLWIDTH COMMERCIAL AT: what a CJK input method types for "@".
        return st.just(f"{local}\uff20{domain}")
    # "comma": a comma typed for the last dot of the domain (",com").
    head, _, tld = domain.rpartition(".")
    return st.just(f"{local}@{head},{tld}")


def fixable_inputs(
    *, domains: Iterable[str] | None = None, kinds: Collection[str] | None = None
) -> SearchStrategy[tuple[str, str]]:
    """``(messy_input, clean_address)`` pairs: a good address in a wrapping people type.

    The mess is one of :data:`FIXABLE_KINDS`: surrounding ``whitespace`` (spaces, tabs,
    newlines, no-break spaces), a ``mailto:`` link, ``angle_brackets`` (``<addr>``), a
    ``display_name`` (``Jane Doe <addr>``), a full-width ``＠`` (``fullwidth_at``), or a
    ``comma`` typed for the last dot of the domain (``jane@shop,com``).

    ``clean_address`` is in email-validator's normal form (ASCII, lower-case domain), so a
    correct repair gives back exactly that string; ``messy_input`` is never a valid
    address as it stands.

    Args:
        domains: the domains of the clean addresses (checked now); by default reserved
            ``.example`` domains as in :func:`valid_emails`.
        kinds: a subset of :data:`FIXABLE_KINDS`; all of them by default.

    .. versionadded:: 0.1.0
    """
    chosen_kinds = _kinds("kinds", kinds, FIXABLE_KINDS)
    if domains is None:
        domain_strategy = _reserved_domains(idn=False)
    else:
        domain_strategy = st.sampled_from(tuple(d.lower() for d in _domain_list("domains", domains)))
    local = st.from_regex(r"[a-z]{1,8}(?:\.[a-z]{1,8})?(?:\+[a-z0-9]{1,6})?", fullmatch=True)
    clean = st.builds(lambda lp, domain: f"{lp}@{domain}", local, domain_strategy)
    return st.tuples(st.sampled_from(chosen_kinds), clean).flatmap(
        lambda kc: _mess(kc[0], kc[1]).map(lambda messy: (messy, kc[1]))
    )


# -- the model ---------------------------------------------------------------------------


def _codes() -> tuple[CodeInfo, ...]:
    from maildiag import catalog

    # Bounce codes describe a bounce message, never an address's diagnosis.
    return tuple(info for info in catalog.codes().values() if info.area != "bounce")


_PARAM_TEXT = st.text(st.characters(codec="utf-8"), max_size=20)


def findings() -> SearchStrategy[Finding]:
    """Findings as maildiag makes them: a catalog code with its declared parameters.

    Severity, blame and actor are the catalog's for the code, so ``finding.message()``
    renders a real template in every locale.

    .. versionadded:: 0.1.0
    """
    return st.sampled_from(_codes()).flatmap(
        lambda info: st.builds(
            Finding,
            code=st.just(info.code),
            severity=st.just(info.severity),
            blame=st.just(info.blame),
            actor=st.just(info.actor),
            params=st.fixed_dictionaries(
                {p: _PARAM_TEXT | st.integers(0, 10**6) | st.lists(_PARAM_TEXT, max_size=3).map(tuple)
                 for p in info.params}
            ),
            evidence=st.lists(_PARAM_TEXT, max_size=2).map(tuple),
        )
    )


def dns_answers() -> SearchStrategy[DnsAnswer]:
    """DNS answers of any status; OK answers carry records.

    .. versionadded:: 0.1.0
    """
    name = _reserved_domains(idn=False)
    ok = st.builds(
        DnsAnswer,
        name=name,
        rdtype=st.just("MX"),
        status=st.just(DnsStatus.OK),
        records=st.lists(name.map(lambda h: f"10 {h}."), min_size=1, max_size=3).map(tuple),
        canonical_name=st.none(),
    )
    failed = st.builds(
        DnsAnswer,
        name=name,
        rdtype=st.sampled_from(["MX", "A", "AAAA"]),
        status=st.sampled_from([s for s in DnsStatus if s is not DnsStatus.OK]),
        detail=st.sampled_from(["", "deadline", "no nameserver gave an answer"]),
    )
    return ok | failed


def mx_hosts() -> SearchStrategy[MxHost]:
    """Mail exchangers on reserved names (RFC 2606), with one routable-looking address.

    .. versionadded:: 0.1.0
    """
    return st.builds(
        MxHost,
        preference=st.integers(0, 65535),
        host=_reserved_domains(idn=False),
        addresses=st.sampled_from([(), (_GLOBAL_TEST_ADDRESS,)]),
        implicit=st.booleans(),
    )


def provider_matches() -> SearchStrategy[ProviderMatch]:
    """Provider matches of the kinds :class:`~maildiag.ProviderMatch` documents.

    .. versionadded:: 0.1.0
    """
    kinds = ["consumer_webmail", "hosted_workspace", "security_gateway", "isp", "filtered_isp", "disposable", "hosting"]
    return st.builds(
        ProviderMatch,
        id=st.from_regex(r"[a-z][a-z0-9_]{1,15}", fullmatch=True),
        name=st.text(min_size=1, max_size=20),
        kind=st.sampled_from(kinds),
        matched_by=st.sampled_from(["mx", "domain"]),
        matched=_reserved_domains(idn=False),
    )


@st.composite
def _diagnosis(draw: st.DrawFn) -> Diagnosis:
    from maildiag import _core
    from maildiag.options import Options

    address = draw(valid_emails(idn=True, smtputf8=True) | st.text(max_size=30))
    drawn = draw(st.lists(findings(), max_size=4, unique_by=lambda f: f.code))
    parsed = "@" in address and not any(f.code.startswith("syntax.") and f.severity is Severity.ERROR for f in drawn)
    dns = parsed and draw(st.booleans())
    fixes = [f for f in drawn if _verdict_of(f.code) is Verdict.FIX]
    # The core's own rules give the verdict, blame and confidence for these findings.
    draft = _core._Draft(
        address=address,
        normalized=address if parsed else None,
        domain=address.rpartition("@")[2] if parsed else None,
        suggestion=draw(valid_emails()) if fixes else None,
        findings=list(drawn),
        mx=draw(st.lists(mx_hosts(), max_size=3)) if dns else [],
        providers=tuple(draw(st.lists(provider_matches(), max_size=2))) if parsed else (),
        dns=draw(st.lists(dns_answers(), min_size=1, max_size=4)) if dns else [],
        checks=("syntax", "typo", "flags", "dns") if dns else ("syntax", "typo", "flags") if parsed else ("syntax",),
    )
    return _core.decide(draft, Options())


def _verdict_of(code: str) -> Verdict | None:
    from maildiag import catalog

    return catalog.info(code).verdict


def diagnoses() -> SearchStrategy[Diagnosis]:
    """Diagnoses shaped like those :func:`maildiag.diagnose` returns.

    Findings come from the catalog with their declared parameters (see :func:`findings`);
    the verdict, blame and confidence are what maildiag's own rules make of them; a ``fix``
    verdict always comes with a suggestion. Use it to check that a page or an export
    handles every verdict and every code, in every locale::

        @given(diagnoses())
        def test_signup_page_renders(d):
            render_signup_feedback(d)  # your code

    ``st.from_type(maildiag.Diagnosis)`` draws from this strategy once maildiag's
    Hypothesis plugin is registered (see ``maildiag.testing._hypothesis``).

    .. versionadded:: 0.1.0
    """
    return _diagnosis()


def _model_strategies() -> dict[type[Any], SearchStrategy[Any]]:
    """The strategies the Hypothesis plugin registers for ``st.from_type``."""
    return {
        Diagnosis: diagnoses(),
        Finding: findings(),
        DnsAnswer: dns_answers(),
        MxHost: mx_hosts(),
        ProviderMatch: provider_matches(),
    }

