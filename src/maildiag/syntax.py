"""Syntax checks via email-validator, and repair of input a customer plausibly mistyped.

The syntax step runs in two stages:

1. **Fast path.** One call of :func:`email_validator.validate_email` (no DNS: DNS is
   maildiag's own job; each domain is validated once, see :mod:`maildiag._validate`).
   Almost every address a customer types is valid, and for those the step costs that call
   plus a few string tests.
2. **Repair pipeline**, only when the fast path fails (or passes an address with
   full-width letters before the ``@``, which an input method left on). An ordered tuple of
   small steps (:data:`REPAIR_STEPS`) each fixes one kind of slip: surrounding spaces, a
   ``mailto:`` link, ``Name <addr>``, full-width ``＠``, ``@@``, ``,`` for ``.``, doubled
   or stray dots... If the repaired text is a valid address, it is offered as the
   suggestion and each step that changed something adds its own ``syntax.repaired.*``
   finding (verdict ``fix``). Otherwise the remaining problem is reported under a specific
   code, mapped from email-validator's message by :func:`code_for_message`.

email-validator speaks English sentences only; :data:`MESSAGE_CODES` turns them into
stable codes by message prefix, and ``syntax.invalid`` catches any sentence a future
version adds (a test feeds every message the installed version can raise, so a change of
wording fails loudly rather than silently degrading to the fallback).

Nothing here raises on a ``str``, however odd; see docs/syntax.md for the decisions.
"""

from __future__ import annotations

import dataclasses
import re
import urllib.parse
from collections.abc import Callable
from types import MappingProxyType

import email_validator

from maildiag import catalog
from maildiag._validate import validate as _validate_email
from maildiag.model import Finding, Verdict
from maildiag.options import Options

__all__ = [
    "MAX_INPUT_LENGTH",
    "MESSAGE_CODES",
    "REPAIR_STEPS",
    "ParsedAddress",
    "RepairStep",
    "check",
    "code_for_message",
    "is_caps_lock",
]

#: Inputs longer than this are refused before any parsing. A real address is at most 254
#: octets (RFC 5321 §4.5.3.1.3 with RFC 3696 erratum 1690); the margin leaves room for a
#: display name or padding we could still repair, while bounding the work done on junk.
MAX_INPUT_LENGTH = 1000

#: The longest address SMTP allows, in octets (RFC 5321 §4.5.3.1.3, RFC 3696 erratum 1690).
ADDRESS_MAX_LENGTH = 254
#: The longest local part SMTP allows, in octets (RFC 5321 §4.5.3.1.1).
LOCAL_MAX_LENGTH = 64
#: The longest domain name, in octets (RFC 1035 §2.3.4, without the root label).
DOMAIN_MAX_LENGTH = 253

#: RFC 2606 §3 reserves these second-level names for documentation, and IANA publishes a
#: null MX (RFC 7505) for each, so no mail to them can arrive. email-validator accepts them
#: on purpose (RFC 6761 §6.5). The bare ``.example`` TLD is *not* listed: nothing can be
#: registered under it, and maildiag's own loopback test zone uses it.
RESERVED_DOMAINS = frozenset({"example.com", "example.net", "example.org"})

#: email-validator message prefixes, most specific first, and the code each maps to.
#: Prefixes rather than whole sentences: the variable tails (character lists, counts,
#: IDNA details) change between versions more often than the openings.
MESSAGE_CODES: tuple[tuple[str, str], ...] = (
    ('The email address has the "', "syntax.lookalike_at"),
    ("An email address must have an @-sign", "syntax.missing_at"),
    ("Extra character(s) found after close quote", "syntax.quoted_local_invalid"),
    ("The display name contains invalid characters", "syntax.display_name_invalid"),
    ("An open angle bracket", "syntax.unclosed_angle_bracket"),
    ("There can't be anything after the email address", "syntax.text_after_address"),
    ("There must be something before the @-sign", "syntax.local_empty"),
    ("The email address is too long before the @-sign", "syntax.local_too_long"),
    ("Internationalized characters before the @-sign", "syntax.smtputf8_not_allowed"),
    ("The email address contains invalid characters in quotes", "syntax.quoted_local_invalid"),
    ("The email address contains an invalid character", "syntax.unsafe_chars"),
    (
        "The email address contains invalid characters after the @-sign after IDNA",
        "syntax.domain_idna_invalid",
    ),
    ("The email address contains invalid characters before the @-sign", "syntax.local_invalid_chars"),
    ("The email address contains unsafe characters", "syntax.unsafe_chars"),
    ("An email address cannot start with a", "syntax.local_dot"),
    ("An email address cannot have a period immediately before the @-sign", "syntax.local_dot"),
    ("An email address cannot have a hyphen immediately before the @-sign", "syntax.local_dot"),
    ("An email address cannot have two periods in a row", "syntax.double_dot"),
    ("An email address cannot have a period immediately after the @-sign", "syntax.domain_dot"),
    ("An email address cannot end with a period", "syntax.domain_dot"),
    ("An email address cannot have a hyphen immediately after the @-sign", "syntax.domain_hyphen"),
    ("An email address cannot end with a hyphen", "syntax.domain_hyphen"),
    ("An email address cannot have a period and a hyphen", "syntax.domain_hyphen"),
    ("An email address cannot have two letters followed by two dashes", "syntax.domain_double_hyphen"),
    ("The email address is too long after the @-sign", "syntax.domain_too_long"),
    ("The email address is too long", "syntax.too_long"),
    ("The part after the @-sign contains invalid characters in brackets", "syntax.ip_literal_invalid"),
    ("The part after the @-sign contains an invalid address literal tag", "syntax.ip_literal_invalid"),
    ("The part after the @-sign in brackets", "syntax.ip_literal_invalid"),
    ("The address in brackets after the @-sign", "syntax.ip_literal_invalid"),
    ("The IPv6 address in brackets after the @-sign", "syntax.ip_literal_invalid"),
    ("The part after the @-sign contains invalid characters", "syntax.domain_invalid_chars"),
    ("The part after the @-sign is invalid", "syntax.domain_idna_invalid"),
    ("The part after the @-sign is not valid IDNA", "syntax.domain_idna_invalid"),
    ("The part after the @-sign became invalid", "syntax.domain_idna_invalid"),
    ("The part after the @-sign is not valid. It should have a period", "syntax.domain_no_dot"),
    ("The part after the @-sign is not valid. It is not within a valid top-level", "syntax.domain_invalid_tld"),
    ("The part after the @-sign is a special-use or reserved name", "syntax.domain_special_use"),
    ("After the @-sign, periods cannot be separated by so many characters", "syntax.domain_label_too_long"),
    ("There must be something after the @-sign", "syntax.domain_empty"),
    ("Quoting the part before the @-sign is not allowed", "syntax.quoted_local"),
    ("A bracketed IP address after the @-sign is not allowed", "syntax.ip_literal"),
    ("A display name and angle brackets", "syntax.display_name"),
)

#: email-validator prefixes a message with this when the problem appears only after it
#: NFC-normalized the local part; the code is that of the message that follows.
_AFTER_NORMALIZATION = "After Unicode normalization: "

FALLBACK_CODE = "syntax.invalid"

# Codes whose customer message lists the offending characters (taken from the tail of
# email-validator's message, "...: SPACE, '#'.").
_CHAR_CODES = frozenset({
    "syntax.local_invalid_chars",
    "syntax.domain_invalid_chars",
    "syntax.unsafe_chars",
    "syntax.smtputf8_not_allowed",
    "syntax.display_name_invalid",
})
_DOMAIN_CODES = frozenset({
    "syntax.domain_invalid_chars",
    "syntax.domain_dot",
    "syntax.domain_hyphen",
    "syntax.domain_double_hyphen",
    "syntax.domain_no_dot",
    "syntax.domain_invalid_tld",
    "syntax.domain_label_too_long",
    "syntax.domain_idna_invalid",
    "syntax.domain_special_use",
    "syntax.ip_literal",
    "syntax.ip_literal_invalid",
})


@dataclasses.dataclass(frozen=True, slots=True)
class ParsedAddress:
    """The outcome of the syntax step.

    Attributes:
        original: the input as given.
        candidate: the address the later checks run on (the repaired one, if repaired;
            for an invalid input, the text after every repair that applied).
        valid: ``candidate`` is a syntactically valid address.
        normalized: email-validator's normalized form of ``candidate`` (``None`` if invalid).
        local: the local part of ``normalized``.
        domain: the domain of ``normalized`` in Unicode form.
        ascii_domain: the domain in IDNA (ASCII) form, as DNS needs it.
        repaired: the corrected address to suggest, when the input needed repair.
        findings: ``syntax.*`` findings.
    """

    original: str
    candidate: str
    valid: bool
    normalized: str | None = None
    local: str | None = None
    domain: str | None = None
    ascii_domain: str | None = None
    repaired: str | None = None
    findings: tuple[Finding, ...] = ()


def code_for_message(message: str) -> str:
    """The finding code for one of email-validator's error messages.

    Unknown messages (a newer email-validator) give ``syntax.invalid`` rather than raising.

    >>> code_for_message("An email address must have an @-sign.")
    'syntax.missing_at'
    """
    while message.startswith(_AFTER_NORMALIZATION):
        message = message[len(_AFTER_NORMALIZATION) :]
    for prefix, code in MESSAGE_CODES:
        if message.startswith(prefix):
            return code
    return FALLBACK_CODE


# -- the fast path ------------------------------------------------------------------------


def _validate(text: str, options: Options) -> email_validator.ValidatedEmail:
    """email-validator with maildiag's fixed settings; raises on invalid input.

    Quoted local parts are accepted (RFC 5321 §4.1.2 allows them) and flagged; IP
    literals and display names are refused here (a display name is repaired instead).
    Each domain is validated once (:mod:`maildiag._validate`); the answer is
    email-validator's either way.
    """
    return _validate_email(text, options.allow_smtputf8)


def _is_valid(text: str, options: Options) -> bool:
    try:
        _validate(text, options)
    except Exception:  # any failure, including a bug in a dependency, means "not valid"
        return False
    return True


def _has_fullwidth(text: str) -> bool:
    # U+FF01..U+FF5E are the full-width forms of ASCII '!'..'~' (Unicode Halfwidth and
    # Fullwidth Forms block); a CJK input method left in full-width mode types them.
    return any("\uff01" <= c <= "\uff5e" for c in text)


def check(address: str, options: Options) -> ParsedAddress:
    """Check the syntax of ``address`` and repair it if a customer plausibly mistyped it.

    Args:
        address: the address as typed. Any ``str`` is accepted; problems are findings.
        options: the diagnosis options (``allow_smtputf8`` and ``extra_domains`` are used).

    Returns:
        A :class:`ParsedAddress`. ``valid`` is true when the address, as typed or as
        repaired, is a valid address; ``repaired`` is set when it was repaired.

    Raises:
        TypeError: ``address`` is not a ``str``.
    """
    if not isinstance(address, str):
        raise TypeError(f"address must be str, not {type(address).__name__}")
    if len(address) > MAX_INPUT_LENGTH:
        # Refuse before parsing: email-validator's work grows with the input.
        finding = catalog.make(
            "syntax.too_long", {"length": len(address), "limit": ADDRESS_MAX_LENGTH}
        )
        return ParsedAddress(address, address, False, findings=(finding,))

    error: Exception
    try:
        v = _validate(address, options)
    except Exception as e:  # EmailNotValidError, or a dependency bug: never raise
        error = e
        allowed = _allowed_special_use(address, options, e) if options.allow else None
        if allowed is not None:
            return allowed
    else:
        if not (v.smtputf8 and _has_fullwidth(v.local_part)):
            return _valid(address, address, v, None, ())
        # Valid, but full-width letters before the @ are an input-method slip, not a
        # mailbox anyone has: offer the ASCII form (the pipeline's full-width step).
        try:
            repaired = _repair(address, options, email_validator.EmailSyntaxError("full-width"))
        except Exception:  # a bug in a repair step: the address is valid as typed anyway
            return _valid(address, address, v, None, ())
        return repaired if repaired.valid else _valid(address, address, v, None, ())

    try:
        return _repair(address, options, error)
    except Exception:  # a bug in a repair step: report the input's own problem
        return _invalid(address, address, error, ())


def _allowed_special_use(address: str, options: Options, error: Exception) -> ParsedAddress | None:
    """A special-use domain (.test, .localhost, localhost: RFC 6761) that the shop allows, as valid.

    The address keeps its ``syntax.domain_special_use`` note; the shop's allow list then
    decides (issue 10.7: a shop's staging system uses exactly these domains).
    """
    if code_for_message(str(error)) not in ("syntax.domain_special_use", "syntax.domain_no_dot"):
        return None  # a dotless special-use name (jane@localhost) fails the dot check first
    from maildiag._validate import validate_special_use
    from maildiag.flags import allow_rule

    try:
        v = validate_special_use(address, options.allow_smtputf8)
    except Exception:
        return None
    if allow_rule(options.allow, v.local_part, v.ascii_domain) is None:
        return None
    note = catalog.make("syntax.domain_special_use", {"domain": v.domain})
    parsed = _valid(address, address, v, None, ())
    return dataclasses.replace(parsed, findings=(note, *parsed.findings))


def _valid(
    original: str,
    candidate: str,
    v: email_validator.ValidatedEmail,
    repaired: str | None,
    repairs: tuple[Finding, ...],
) -> ParsedAddress:
    return ParsedAddress(
        original=original,
        candidate=candidate,
        valid=True,
        normalized=v.normalized,
        local=v.local_part,
        domain=v.domain,
        ascii_domain=v.ascii_domain,
        repaired=repaired,
        findings=repairs + _notes(v),
    )


def _notes(v: email_validator.ValidatedEmail) -> tuple[Finding, ...]:
    """Findings about a valid address that a shop may want to know (cheap tests only)."""
    notes: list[Finding] = []
    local, domain = v.local_part, v.ascii_domain
    if domain in RESERVED_DOMAINS or domain.endswith((".example.com", ".example.net", ".example.org")):
        notes.append(catalog.make("syntax.domain_reserved", {"domain": v.domain}))
    if local.startswith('"'):
        # email-validator unquotes a quoted local part when the quotes were unnecessary;
        # one still quoted holds spaces or specials that many mail systems refuse.
        notes.append(catalog.make("syntax.quoted_local", {"local": local}))
    if len(local.encode("utf-8")) > LOCAL_MAX_LENGTH:
        # RFC 5321 §4.5.3.1.1: 64 octets. Receivers MAY accept more, many do not.
        notes.append(
            catalog.make(
                "syntax.local_too_long",
                {"length": len(local.encode("utf-8")), "limit": LOCAL_MAX_LENGTH},
            )
        )
    if v.smtputf8:
        notes.append(catalog.make("syntax.smtputf8", {"local": local}))
    if is_caps_lock(local):
        # Caps lock: mailbox names are case-insensitive at every large provider, though
        # RFC 5321 §2.4 lets a receiver treat them as case-sensitive. Only a note, so a
        # valid address is never blocked for it.
        notes.append(
            catalog.make("syntax.uppercase", {"suggestion": f"{local.lower()}@{v.domain}"})
        )
    return tuple(notes)


def is_caps_lock(local: str) -> bool:
    """All letters of the local part are capitals (two at least: "J@x" is just an initial)."""
    return local.isupper() and sum(c.isupper() for c in local) >= 2


def _invalid(
    original: str, candidate: str, error: Exception, tried: tuple[str, ...]
) -> ParsedAddress:
    message = str(error)
    if not isinstance(error, email_validator.EmailNotValidError):
        code = FALLBACK_CODE
    elif not candidate.strip():
        code = "syntax.empty"
    else:
        code = code_for_message(message)
    local, at, domain = candidate.rpartition("@")
    if not at:
        local, domain = candidate, ""
    if code == "syntax.domain_invalid_chars" and "'@'" in message and not local.startswith('"'):
        # email-validator splits at the first @ and then finds another in the domain.
        code = "syntax.multiple_at"
    params: dict[str, object] = {}
    if code in _CHAR_CODES:
        params["chars"] = _chars(message)
    if code in _DOMAIN_CODES:
        params["domain"] = domain
    if code == "syntax.too_long":
        params.update(length=len(candidate), limit=ADDRESS_MAX_LENGTH)
    elif code == "syntax.local_too_long":
        params.update(length=len(local), limit=LOCAL_MAX_LENGTH)
    elif code == "syntax.domain_too_long":
        params.update(length=len(domain), limit=DOMAIN_MAX_LENGTH)
    elif code == FALLBACK_CODE:
        params["reason"] = message
    evidence = (f"email-validator: {message}", *tried)
    finding = catalog.make(code, params, evidence)
    return ParsedAddress(original, candidate, False, findings=(finding,))


def _chars(message: str) -> str:
    """The character list at the end of an email-validator message, or ``""``."""
    _, colon, tail = message.rpartition(": ")
    return tail.rstrip(".") if colon else ""


# -- the repair pipeline ------------------------------------------------------------------

#: A step takes the text and the options and returns the changed text, or ``None``.
StepFunction = Callable[[str, Options], str | None]


@dataclasses.dataclass(frozen=True, slots=True)
class RepairStep:
    """One small repair: the finding ``code`` it reports and the function that applies it."""

    code: str
    apply: StepFunction
    doc: str


def _repair(address: str, options: Options, first_error: Exception) -> ParsedAddress:
    text = address
    applied: list[tuple[str, str, str]] = []  # (code, before, after)
    for step in REPAIR_STEPS:
        new = step.apply(text, options)
        if new is not None and new != text:
            applied.append((step.code, text, new))
            text = new
    tried = tuple(f"{code}: {before!r} -> {after!r}" for code, before, after in applied)
    if not applied:
        return _invalid(address, address, first_error, ())
    try:
        v = _validate(text, options)
    except Exception as e:
        return _invalid(address, text, e, tried)
    if v.local_part.startswith('"') and '"' not in address.partition("@")[0]:
        # A guess that lands on a quoted local part (RFC 5321 §4.1.2) the customer did not
        # type is no likely intent: report the input's own problem instead.
        return _invalid(address, address, first_error, ())
    # A suggestion must be an address maildiag itself accepts. A top-level domain the repair
    # made up ("jane@gmial.com,Jane" -> gmial.com.jane) exists nowhere: report the input's
    # own problem instead.
    if _invents_tld(v, address, options):
        refusal = f"refused {text!r}: the top-level domain {v.domain.rpartition('.')[2]!r} does not exist"
        return _invalid(address, address, first_error, (*tried, refusal))
    dead = next((f for f in _notes(v) if catalog.info(f.code).verdict is Verdict.UNDELIVERABLE), None)
    if dead is not None:
        # "Jane <jane@example.com>": the address inside is one no mail can reach (RFC 2606).
        # Offered as the fix it would send the customer from one dead address to another;
        # its own problem is the answer.
        return ParsedAddress(address, text, False, findings=(catalog.make(dead.code, dead.params, tried),))
    if is_caps_lock(v.local_part):
        # The address needs a fix anyway, so the suggestion may as well be in lower case,
        # the form every large provider uses (see _notes about RFC 5321 §2.4).
        lowered = f"{v.local_part.lower()}@{v.domain}"
        # Lower-casing never invalidates an address; checked anyway, as every suggestion is.
        if _is_valid(lowered, options):
            v = _validate(lowered, options)
            applied.append(("syntax.repaired.uppercase", text, lowered))
            text = lowered
    suggestion = v.normalized
    repairs = tuple(
        catalog.make(code, {"suggestion": suggestion}, [f"{before!r} -> {after!r}"])
        for code, before, after in applied
    )
    return _valid(address, text, v, suggestion, repairs)


#: Top-level domains in no public list that maildiag still accepts: RFC 2606 §2 reserves
#: ``.example`` for documentation and tests, email-validator accepts it, and maildiag's own
#: test zone and strategies use it. (``.test``, ``.invalid`` and ``.localhost`` are refused
#: as special-use names by email-validator anyway.)
_RESERVED_TLDS_ACCEPTED = frozenset({"example"})


def _tld_accepted(ascii_domain: str, options: Options) -> bool:
    """The domain ends in a top-level domain maildiag accepts: one in the Public Suffix List
    (ICANN section), a reserved one it accepts, or the domain is one the shop or maildiag
    knows (``extra_domains`` may be internal names)."""
    from maildiag import typo

    tld = ascii_domain.rstrip(".").rpartition(".")[2].lower()
    return tld in _RESERVED_TLDS_ACCEPTED or typo.tld_exists(ascii_domain) or _known_domain(ascii_domain, options)


def _invents_tld(v: email_validator.ValidatedEmail, address: str, options: Options) -> bool:
    """The repaired address ends in a top-level domain that does not exist and that the
    customer did not type as one.

    One typed as the end of a domain (``Jane <jane@shop.internal>``) is the customer's
    own, and gets its own answer later (DNS): it was not invented by a repair.
    """
    if _tld_accepted(v.ascii_domain, options):
        return False
    labels = {v.ascii_domain.rpartition(".")[2], v.domain.rpartition(".")[2].lower()}
    # Full-width letters and dots read as the repair read them; the TLD must follow a dot
    # and end where a label ends.
    typed = _step_fullwidth(address, options).lower()
    return not any(re.search(rf"\.{re.escape(label)}(?![\w-])", typed) for label in labels if label)


def _split(text: str) -> tuple[str, str] | None:
    """Local part and domain when ``text`` has exactly one @ and an unquoted local part."""
    if text.count("@") != 1 or text.startswith('"'):
        return None
    local, _, domain = text.partition("@")
    return local, domain


def _known_domain(domain: str, options: Options) -> bool:
    # Imported here: both modules are data-backed and load lazily; the syntax step must
    # not pay for them on the fast path.
    from maildiag import providers, typo

    if len(domain) > DOMAIN_MAX_LENGTH:
        # No known domain is longer (RFC 1035 §2.3.4); checked first so that a step trying
        # every split of a long text stays linear (issue 9.1).
        return False
    domain = domain.lower()
    return domain in options.extra_domains or typo.is_known_domain(domain) or providers.is_known_domain(domain)


# Invisible characters that arrive with copy and paste: zero-width space, word joiner,
# BOM, soft hyphen, and the bidirectional marks and isolates. None can be part of an
# address a person reads (email-validator refuses them as unsafe), so they are dropped
# anywhere. ZWJ/ZWNJ are only dropped at the ends: IDNA allows them inside some labels
# (RFC 5892 Appendix A.1, A.2).
_INVISIBLE = dict.fromkeys(
    map(ord, "\u200b\u2060\ufeff\u00ad\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
)


def _step_whitespace(text: str, options: Options) -> str:
    # str.strip() removes every Unicode white space: NBSP, ideographic space, tabs...
    return text.translate(_INVISIBLE).strip().strip("\u200c\u200d").strip()


# Look-alikes of the characters an address is built from, typed in CJK full-width mode
# (or pasted from such text): the small commercial at and the ideographic full stops.
# U+FF01..U+FF5E are handled by offset (their NFKC forms are exactly ASCII '!'..'~').
_LOOKALIKES = {"\ufe6b": "@", "\u3002": ".", "\uff61": "."}
_FULLWIDTH_OFFSET = 0xFEE0


def _step_fullwidth(text: str, options: Options) -> str:
    return "".join(
        _LOOKALIKES.get(c) or (chr(ord(c) - _FULLWIDTH_OFFSET) if "\uff01" <= c <= "\uff5e" else c)
        for c in text
    )


_MAILTO = re.compile(r"mailto:(?://)?", re.IGNORECASE)


def _step_mailto(text: str, options: Options) -> str | None:
    match = _MAILTO.match(text)
    if match is None:
        return None
    # RFC 6068 §2: header fields follow a '?', and the address is percent-encoded.
    rest = text[match.end() :].split("?", 1)[0]
    if "%" in rest:
        rest = urllib.parse.unquote(rest)
    return rest.strip()


# RFC 5322 §3.4 name-addr: an optional display name, then the address in angle brackets.
# The address part is possessive (``*+``) and its "@" is checked after the match: a lazy
# ``[^<>]*@[^<>]*?`` could split at every "@" of "x<@@@...<" and backtracked quadratically
# (issue 9.1). Separators after an unclosed address are stripped in code instead.
_NAME_ADDR = re.compile(r"(?P<name>[^<>]*+)<(?P<addr>[^<>]*+)(?P<close>>?)[\s.,;]*+", re.DOTALL)
_AFTER_ADDRESS = " \t\r\n\f\v.,;"


def _step_display_name(text: str, options: Options) -> str | None:
    match = _NAME_ADDR.fullmatch(text)
    if match is None or "@" not in match["addr"] or not match["name"].strip():
        return None
    if not match["close"] and not match["name"][-1].isspace():
        # Without the closing ">", only "Jane <jane@..." is a name; in "jane<x@..." the
        # "<" is a slip inside the local part, and "x@..." would be someone else.
        return None
    addr = match["addr"] if match["close"] else match["addr"].rstrip(_AFTER_ADDRESS)
    return addr.strip() if "@" in addr else None


_PAIRS = MappingProxyType({
    "<": ">", '"': '"', "'": "'", "(": ")", "[": "]", "{": "}",
    "\u201c": "\u201d", "\u2018": "\u2019", "\u00ab": "\u00bb", "\u300c": "\u300d",
})


def _step_enclosed(text: str, options: Options) -> str | None:
    new = text
    # A few rounds at most: <"jane@example.org"> is two pairs, more is not an address.
    for _ in range(3):
        if len(new) > 2 and _PAIRS.get(new[0]) == new[-1] and "@" in new[1:-1]:
            new = new[1:-1].strip()
        else:
            break
    return new


_SEPARATORS = re.compile(r"[\s,;]+")
_ONE_AT = re.compile(r"[^@]+@[^@]+")


def _step_several_addresses(text: str, options: Options) -> str | None:
    tokens = [t for t in _SEPARATORS.split(text) if _ONE_AT.fullmatch(t)]
    if len(tokens) < 2:
        return None
    # Keep the first one that is a valid address on its own; a handful at most.
    return next((t for t in tokens[:5] if _is_valid(t, options)), None)


_WRAPPING = "()[]<>{},;:'\""


def _step_extra_text(text: str, options: Options) -> str | None:
    tokens = text.split()
    at_tokens = [i for i, t in enumerate(tokens) if "@" in t]
    if len(at_tokens) != 1:
        return None
    i = at_tokens[0]
    # Words after the address ("jane@gmail.com (Jane)") or a label before it ("Email:
    # jane@gmail.com"). Other words before it may be part of the local part, as in
    # "jane doe@gmail.com": taking "doe@gmail.com" would be a different mailbox.
    if i != 0 and not tokens[i - 1].endswith(":"):
        return None
    candidate = tokens[i].strip(_WRAPPING)
    if len(tokens) == i + 2 and len(tokens[i + 1]) == 1 and tokens[i + 1].isalpha():
        # "jane@shop.co m", "jane@shop.co<U+2006>m": one letter after a space (any Unicode
        # space: str.split splits at all of them) is the end of the ending, not a word;
        # cutting it would invent the address jane@shop.co (issue 12, item 8).
        joined = candidate + tokens[i + 1]
        if _is_valid(joined, options) and _tld_accepted(joined.rpartition("@")[2], options):
            return joined
    if _is_valid(candidate, options):
        # One token alone is only wrapped in punctuation: the enclosed and stray-character
        # steps say so more precisely.
        return candidate if len(tokens) > 1 else None
    head = _before_separator(candidate, options)
    return head if head is not None and _is_valid(head, options) else None


def _before_separator(token: str, options: Options) -> str | None:
    """"jane@gmial.com,Jane" -> "jane@gmial.com": a comma or semicolon after the domain, then
    text that is no address (a name pasted from a spreadsheet row, a CSV field).

    A comma that reads as a slip for a dot is left to the comma step: "jane@gmail,com" and
    "jane@walla.co,il" end in a top-level domain that exists; "gmial.com,Jane" would not.
    """
    at = token.find("@")
    cut = min((i for i in (token.find(",", at), token.find(";", at)) if i != -1), default=-1)
    if at == -1 or cut == -1:
        return None
    head, rest = token[:cut], token[cut + 1 :]
    if "@" in rest:
        return None  # a second address: the several-addresses step's case
    if token[cut] == "," and _tld_accepted(f"{head}.{rest}".replace(",", ".").rpartition("@")[2], options):
        return None
    return head


_AT_SEPARATOR = re.compile(r"[.\s]+")


def _step_missing_at(text: str, options: Options) -> str | None:
    if "@" in text:
        return None
    # "jane.gmail.com" or "jane gmail.com": the @ became a dot or a space. Only repaired
    # when what follows is a domain we know hosts mailboxes, else it is a pure guess.
    # Scanning from the left finds the longest known suffix first.
    for match in _AT_SEPARATOR.finditer(text):
        if len(text) - match.end() > DOMAIN_MAX_LENGTH:
            continue  # not a domain; skipped before slicing, so long text stays linear
        local, domain = text[: match.start()], text[match.end() :]
        if local and "." in domain and _known_domain(domain, options):
            return f"{local}@{domain}"
    return None


_DOUBLE_AT = re.compile(r"@(?:\s*@)+")


def _step_double_at(text: str, options: Options) -> str:
    return _DOUBLE_AT.sub("@", text)


def _step_inner_space(text: str, options: Options) -> str | None:
    parts = _split(text)
    if parts is None:
        return None
    local, domain = parts
    # Spaces next to the @ or next to a dot of the domain (hostnames have none, RFC 1123
    # §2.1). A space between two words stays: "jane@gmail.com Jane" must not become
    # gmail.comjane, and "jane doe" before the @ may be jane.doe or janedoe.
    # Split at the dots and strip each side that touches one, rather than a regex
    # substitution of \s*\.\s*: that one retried a long run of spaces from each of its
    # positions when no dot followed, quadratic (issue 9.1).
    labels = domain.lstrip().split(".")
    if len(labels) > 1:
        labels = [labels[0].rstrip(), *(label.strip() for label in labels[1:-1]), labels[-1].lstrip()]
    return f"{local.rstrip()}@{'.'.join(labels)}"


# ASCII punctuation that cannot end a domain (anything but letters, digits and '.'). Found
# by walking back from the end: a regex search for a run anchored at \Z retried the run
# from every position inside it, quadratic on long runs of punctuation (issue 9.1).
_TRAILING = frozenset("!\"#$%&'()*+,-/:;<=>?@[\\]^_`{|}~")
# Characters that cannot start a local part: they are not atext (RFC 5322 §3.2.3).
_LEADING = re.compile(r"\A[<(\[{,;:>)\]}\\]+")


def _step_stray_chars(text: str, options: Options) -> str | None:
    new = text
    start = len(new)
    while start and new[start - 1] in _TRAILING:
        start -= 1
    # Not into the local part, and not the "]" closing an IP literal (RFC 5321 §4.1.3).
    if start < len(new) and "@" in new[:start] and "@[" not in new:
        new = new[:start]
    new = _LEADING.sub("", new)
    if new.count('"') == 1:
        # A lone quote cannot open a quoted local part; it is a slip of the finger.
        new = new.replace('"', "")
    return new


def _step_comma(text: str, options: Options) -> str | None:
    parts = _split(text)
    if parts is None:
        return None
    local, domain = parts
    return f"{local}@{domain.replace(',', '.')}"


_DOTS = re.compile(r"\.{2,}")


def _step_double_dot(text: str, options: Options) -> str | None:
    parts = _split(text)
    if parts is None:
        return None
    local, domain = parts
    # RFC 5322 §3.2.3 dot-atom: dots separate atoms, so two in a row are never valid.
    return f"{_DOTS.sub('.', local)}@{_DOTS.sub('.', domain)}"


def _step_stray_dot(text: str, options: Options) -> str | None:
    parts = _split(text)
    if parts is None:
        return None
    local, domain = parts
    # A dot may neither start nor end the local part (RFC 5322 §3.2.3) nor the domain;
    # a trailing dot is the DNS root, which has no place in an address (RFC 5321 §2.3.5).
    return f"{local.strip('.')}@{domain.strip('.')}"


#: Top-level (and common second-level) suffixes tried for a domain typed without one, in
#: order of how often mailbox domains use them. A guess is kept only if the result is a
#: domain we know hosts mailboxes, so the list only needs to be short.
_SUFFIXES = ("com", "net", "org", "co.uk", "co.il", "de", "fr", "it", "es", "ca", "com.au")


def _step_missing_tld(text: str, options: Options) -> str | None:
    parts = _split(text)
    if parts is None:
        return None
    local, domain = parts
    if not domain or "." in domain:
        return None
    for suffix in _SUFFIXES:
        if _known_domain(f"{domain}.{suffix}", options):
            return f"{local}@{domain}.{suffix}"
    for known in options.extra_domains:
        if known.partition(".")[0] == domain.lower():
            return f"{local}@{known}"
    return None


def _step_missing_dot(text: str, options: Options) -> str | None:
    parts = _split(text)
    if parts is None:
        return None
    local, domain = parts
    if "." in domain:
        return None
    for suffix in _SUFFIXES:
        glued = suffix.replace(".", "")
        head = domain[: -len(glued)]
        if domain.lower().endswith(glued) and head and _known_domain(f"{head}.{suffix}", options):
            return f"{local}@{head}.{suffix}"
    return None


#: The repair steps in the order they run. The order matters: the whitespace and
#: full-width steps make the later patterns see plain ASCII; wrappers (``mailto:``,
#: ``Name <...>``, quotes) come off before the address is split at its @; stray
#: characters go before ``,`` becomes ``.`` so a trailing comma is dropped, not turned
#: into a trailing dot; dots are tidied last among the character fixes.
REPAIR_STEPS: tuple[RepairStep, ...] = (
    RepairStep("syntax.repaired.whitespace", _step_whitespace,
               "surrounding white space (NBSP, ideographic space) and invisible characters"),
    RepairStep("syntax.repaired.fullwidth", _step_fullwidth,
               "full-width ＠ ．ａ-ｚ and the small commercial at, to ASCII"),
    RepairStep("syntax.repaired.mailto", _step_mailto,
               "a mailto: link: scheme and ?subject=... removed, %40 decoded"),
    RepairStep("syntax.repaired.display_name", _step_display_name,
               "Name <address>: the address is kept"),
    RepairStep("syntax.repaired.enclosed", _step_enclosed,
               "<address>, quotes or brackets around the whole address"),
    RepairStep("syntax.repaired.several_addresses", _step_several_addresses,
               "two or more addresses pasted together: the first valid one is kept"),
    RepairStep("syntax.repaired.extra_text", _step_extra_text,
               "words after the address (after a space, a comma or a semicolon), or a label such as 'Email:' "
               "before it"),
    RepairStep("syntax.repaired.missing_at", _step_missing_at,
               "jane.gmail.com: a dot or space instead of the @, before a known domain"),
    RepairStep("syntax.repaired.double_at", _step_double_at, "@@ becomes @"),
    RepairStep("syntax.repaired.inner_space", _step_inner_space,
               "spaces next to the @ or inside the domain"),
    RepairStep("syntax.repaired.stray_chars", _step_stray_chars,
               "punctuation after the domain (#;'>...) or before the local part (<(,;...)"),
    RepairStep("syntax.repaired.comma", _step_comma, "a comma for a dot in the domain"),
    RepairStep("syntax.repaired.double_dot", _step_double_dot, "two or more dots in a row"),
    RepairStep("syntax.repaired.stray_dot", _step_stray_dot,
               "a dot at the start or end of the local part or of the domain"),
    RepairStep("syntax.repaired.missing_tld", _step_missing_tld,
               "jane@gmail: the top-level domain of a known domain is added"),
    RepairStep("syntax.repaired.missing_dot", _step_missing_dot,
               "jane@gmailcom: the dot before the top-level domain of a known domain"),
)
