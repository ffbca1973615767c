"""The syntax step: specific codes for every problem, repairs a customer can accept."""

from __future__ import annotations

import ast
import pathlib
import string
import unicodedata
from collections.abc import Callable
from typing import Any

import email_validator
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.hostile_shapes import best_time

import maildiag
from maildiag import catalog, messages, syntax, typo
from maildiag.model import Severity, Verdict
from maildiag.options import Options

OPTIONS = Options(offline=True)


def codes(parsed: syntax.ParsedAddress) -> tuple[str, ...]:
    return tuple(f.code for f in parsed.findings)


# -- valid as typed -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "normalized", "expected"),
    [
        pytest.param("jane@gmail.com", "jane@gmail.com", (), id="plain"),
        pytest.param("jane.doe+shop@mail.example", "jane.doe+shop@mail.example", (), id="plus-tag"),
        pytest.param("Jane.Doe@Gmail.COM", "Jane.Doe@gmail.com", (), id="mixed-case-is-fine"),
        pytest.param("JANE@GMAIL.COM", "JANE@gmail.com", ("syntax.uppercase",), id="caps-lock"),
        pytest.param("J@x.example", "J@x.example", (), id="single-capital-is-an-initial"),
        pytest.param('"jane"@gmail.com', "jane@gmail.com", (), id="needless-quotes-dropped"),
        pytest.param('"john doe"@gmail.com', '"john doe"@gmail.com', ("syntax.quoted_local",),
                     id="quoted-local"),
        pytest.param("jüri@gmail.com", "jüri@gmail.com", ("syntax.smtputf8",), id="smtputf8"),
        pytest.param("דנה@בדיקה.example", "דנה@בדיקה.example", ("syntax.smtputf8",), id="hebrew"),
        pytest.param("jane@bücher.example", "jane@bücher.example", (), id="idn-domain"),
        pytest.param("jane@xn--bcher-kva.example", "jane@bücher.example", (), id="punycode-domain"),
        pytest.param("jane@ｇｍａｉｌ．com", "jane@gmail.com", (), id="fullwidth-domain-is-uts46"),
        pytest.param("jane@example.com", "jane@example.com", ("syntax.domain_reserved",),
                     id="rfc2606-example-com"),
        pytest.param("jane@mail.example.org", "jane@mail.example.org", ("syntax.domain_reserved",),
                     id="rfc2606-subdomain"),
        pytest.param("jane@shop.example", "jane@shop.example", (), id="dot-example-tld-ok"),
        pytest.param("a" * 65 + "@gmail.com", "a" * 65 + "@gmail.com", ("syntax.local_too_long",),
                     id="local-over-64"),
    ],
)
def test_valid_as_typed(address: str, normalized: str, expected: tuple[str, ...]) -> None:
    parsed = syntax.check(address, OPTIONS)
    assert parsed.valid
    assert parsed.repaired is None
    assert parsed.normalized == normalized
    assert codes(parsed) == expected
    assert all(catalog.info(c).verdict is not Verdict.FIX for c in codes(parsed))


def test_uppercase_note_carries_the_lower_case_form() -> None:
    finding = syntax.check("JANE.DOE@GMAIL.COM", OPTIONS).findings[0]
    assert finding.params["suggestion"] == "jane.doe@gmail.com"
    assert finding.severity is Severity.INFO


def test_parts_are_those_of_the_normalized_address() -> None:
    parsed = syntax.check("Jane@Bücher.Example", OPTIONS)
    assert (parsed.local, parsed.domain, parsed.ascii_domain) == (
        "Jane",
        "bücher.example",
        "xn--bcher-kva.example",
    )


# -- repaired -----------------------------------------------------------------------------

REPAIRS = [
    pytest.param(" jane@gmail.com ", "jane@gmail.com", ("whitespace",), id="spaces"),
    pytest.param("\tjane@gmail.com\n", "jane@gmail.com", ("whitespace",), id="tab-newline"),
    pytest.param("\u00a0jane@gmail.com\u3000", "jane@gmail.com", ("whitespace",), id="nbsp-ideographic"),
    pytest.param("\u200bjane@gmail.com\ufeff", "jane@gmail.com", ("whitespace",), id="zero-width-bom"),
    pytest.param("jane\u200b@gmail.com", "jane@gmail.com", ("whitespace",), id="zero-width-inside"),
    pytest.param("\u202ajane@gmail.com\u202c", "jane@gmail.com", ("whitespace",), id="bidi-marks"),
    pytest.param("mailto:jane@gmail.com", "jane@gmail.com", ("mailto",), id="mailto"),
    pytest.param("MAILTO:jane@gmail.com?subject=Order%201", "jane@gmail.com", ("mailto",),
                 id="mailto-query"),
    pytest.param("mailto:jane%40gmail.com", "jane@gmail.com", ("mailto",), id="mailto-percent"),
    pytest.param("Jane Doe <jane@gmail.com>", "jane@gmail.com", ("display_name",), id="name-addr"),
    pytest.param('"Doe, Jane" <jane@gmail.com>', "jane@gmail.com", ("display_name",),
                 id="quoted-name-addr"),
    pytest.param("<jane@gmail.com>", "jane@gmail.com", ("enclosed",), id="angle-brackets"),
    pytest.param('"jane@gmail.com"', "jane@gmail.com", ("enclosed",), id="quoted-whole"),
    pytest.param("“jane@gmail.com”", "jane@gmail.com", ("enclosed",), id="smart-quotes"),
    pytest.param("(jane@gmail.com)", "jane@gmail.com", ("enclosed",), id="parentheses"),
    pytest.param("jane＠gmail.com", "jane@gmail.com", ("fullwidth",), id="fullwidth-at"),
    pytest.param("jane﹫gmail.com", "jane@gmail.com", ("fullwidth",), id="small-commercial-at"),
    pytest.param("ｊａｎｅ＠ｇｍａｉｌ．ｃｏｍ", "jane@gmail.com", ("fullwidth",), id="all-fullwidth"),
    pytest.param("ｊａｎｅ@gmail.com", "jane@gmail.com", ("fullwidth",), id="fullwidth-local-valid"),
    pytest.param("jane@gmail。com", "jane@gmail.com", (), id="ideographic-stop-is-uts46"),
    pytest.param("jane@gmail,com", "jane@gmail.com", ("comma",), id="comma-for-dot"),
    pytest.param("jane@gmail,,com", "jane@gmail.com", ("comma", "double_dot"), id="two-commas"),
    pytest.param("jane@@gmail.com", "jane@gmail.com", ("double_at",), id="double-at"),
    pytest.param("jane@@@gmail.com", "jane@gmail.com", ("double_at",), id="triple-at"),
    pytest.param("jane@gmail.com.", "jane@gmail.com", ("stray_dot",), id="trailing-dot"),
    pytest.param(".jane@gmail.com", "jane@gmail.com", ("stray_dot",), id="leading-dot"),
    pytest.param("jane.@gmail.com", "jane@gmail.com", ("stray_dot",), id="dot-before-at"),
    pytest.param("jane@.gmail.com", "jane@gmail.com", ("stray_dot",), id="dot-after-at"),
    pytest.param("jane..doe@gmail.com", "jane.doe@gmail.com", ("double_dot",), id="double-dot-local"),
    pytest.param("jane@gmail..com", "jane@gmail.com", ("double_dot",), id="double-dot-domain"),
    pytest.param("jane@gmail.com;", "jane@gmail.com", ("stray_chars",), id="trailing-semicolon"),
    pytest.param("jane@gmail.com#", "jane@gmail.com", ("stray_chars",), id="trailing-hash"),
    pytest.param("jane@gmail.com'", "jane@gmail.com", ("stray_chars",), id="trailing-apostrophe"),
    pytest.param("jane@gmail.com,", "jane@gmail.com", ("stray_chars",), id="trailing-comma"),
    pytest.param("jane@gmail.com.;", "jane@gmail.com", ("stray_chars", "stray_dot"),
                 id="trailing-dot-semicolon"),
    pytest.param("<jane@gmail.com", "jane@gmail.com", ("stray_chars",), id="unclosed-bracket"),
    pytest.param('jane"@gmail.com', "jane@gmail.com", ("stray_chars",), id="lone-quote"),
    pytest.param("jane @ gmail.com", "jane@gmail.com", ("inner_space",), id="spaces-around-at"),
    pytest.param("jane@gmail .com", "jane@gmail.com", ("inner_space",), id="space-in-domain"),
    pytest.param("jane@gmail. com", "jane@gmail.com", ("inner_space",), id="space-after-dot"),
    pytest.param("jane.gmail.com", "jane@gmail.com", ("missing_at",), id="dot-for-at"),
    pytest.param("jane.doe.gmail.com", "jane.doe@gmail.com", ("missing_at",), id="dot-for-at-dotted"),
    pytest.param("jane gmail.com", "jane@gmail.com", ("missing_at",), id="space-for-at"),
    pytest.param("jane@gmail", "jane@gmail.com", ("missing_tld",), id="missing-tld"),
    pytest.param("jane@hotmail", "jane@hotmail.com", ("missing_tld",), id="missing-tld-hotmail"),
    pytest.param("jane@gmailcom", "jane@gmail.com", ("missing_dot",), id="missing-dot"),
    pytest.param("jane@gmail.com, bob@yahoo.com", "jane@gmail.com", ("several_addresses",),
                 id="two-addresses"),
    pytest.param("jane@gmail.com;bob@yahoo.com", "jane@gmail.com", ("several_addresses",),
                 id="two-addresses-semicolon"),
    pytest.param("jane@gmail jane@gmail.com", "jane@gmail.com", ("several_addresses",),
                 id="first-valid-of-two"),
    pytest.param("jane@gmail.com (Jane Doe)", "jane@gmail.com", ("extra_text",), id="comment-after"),
    pytest.param("Email: jane@gmail.com", "jane@gmail.com", ("extra_text",), id="label-before"),
    pytest.param("jane@gmail.com Jane Doe", "jane@gmail.com", ("extra_text",), id="words-after"),
    pytest.param("Jane <jane@gmail.com", "jane@gmail.com", ("display_name",), id="unclosed-name-addr"),
    # A comma or semicolon, then text that is no address: a name pasted from a spreadsheet
    # row (issue 10.4). The comma is no dot here: "gmial.com.jane" ends in no real TLD.
    pytest.param("jane@gmial.com,Jane", "jane@gmial.com", ("extra_text",), id="comma-then-name"),
    pytest.param("jane@gmial.com;Jane", "jane@gmial.com", ("extra_text",), id="semicolon-then-name"),
    pytest.param("jane@gmail.com,Jane Doe", "jane@gmail.com", ("extra_text",), id="comma-then-full-name"),
    pytest.param("Email: jane@gmail.com,Jane", "jane@gmail.com", ("extra_text",), id="label-and-name"),
    # ...while a comma that ends in a real TLD is a slip for a dot.
    pytest.param("jane@walla.co,il", "jane@walla.co.il", ("comma",), id="comma-before-a-cctld"),
    pytest.param("jane@shop,example", "jane@shop.example", ("comma",), id="comma-before-reserved-example"),
    pytest.param("Jane <jane@shop.example>", "jane@shop.example", ("display_name",),
                 id="typed-unlisted-tld-is-kept"),
    pytest.param(' "jane doe"@gmail.com ', '"jane doe"@gmail.com', ("whitespace",),
                 id="typed-quotes-kept"),
    pytest.param(" JANE@GMAIL,COM", "jane@gmail.com", ("whitespace", "comma", "uppercase"),
                 id="caps-lock-lowered-when-fixing-anyway"),
    pytest.param(" mailto:Jane Doe <jane..doe@gmail,com>; ", "jane.doe@gmail.com",
                 ("whitespace", "mailto", "display_name", "comma", "double_dot"),
                 id="everything-at-once"),
]


@pytest.mark.parametrize(("address", "repaired", "steps"), REPAIRS)
def test_repaired(address: str, repaired: str, steps: tuple[str, ...]) -> None:
    parsed = syntax.check(address, OPTIONS)
    assert parsed.valid
    assert codes(parsed)[: len(steps)] == tuple(f"syntax.repaired.{s}" for s in steps)
    assert all(catalog.info(c).verdict is not Verdict.FIX for c in codes(parsed)[len(steps) :])
    if steps:
        assert parsed.repaired == repaired
        assert parsed.candidate == repaired
        assert all(f.params["suggestion"] == repaired for f in parsed.findings[: len(steps)])
    else:
        assert parsed.repaired is None
    assert parsed.normalized == repaired


def test_repair_findings_say_fix_and_show_the_suggestion() -> None:
    parsed = syntax.check("jane@gmail,com", OPTIONS)
    (finding,) = parsed.findings
    assert catalog.info(finding.code).verdict is Verdict.FIX
    assert "jane@gmail.com" in finding.message("en")
    assert "jane@gmail.com" in finding.message("he")
    assert finding.evidence == ("'jane@gmail,com' -> 'jane@gmail.com'",)


def test_shop_domains_complete_a_missing_tld() -> None:
    options = Options(offline=True, extra_domains=("acme-mail.co.il",))
    assert syntax.check("jane@acme-mail", options).repaired == "jane@acme-mail.co.il"
    assert syntax.check("jane.acme-mail.co.il", options).repaired == "jane@acme-mail.co.il"
    assert not syntax.check("jane@acme-mail", OPTIONS).valid


# -- not repairable: one specific code ------------------------------------------------------

INVALID = [
    pytest.param("", "syntax.empty", {}, id="empty"),
    pytest.param("  \u200b ", "syntax.empty", {}, id="only-white-space"),
    pytest.param("jane", "syntax.missing_at", {}, id="no-at"),
    pytest.param("jane.acme.example", "syntax.missing_at", {}, id="no-at-unknown-domain"),
    pytest.param("a@b@c.example", "syntax.multiple_at", {}, id="two-ats"),
    pytest.param("@gmail.com", "syntax.local_empty", {}, id="nothing-before-at"),
    pytest.param("jane@", "syntax.domain_empty", {}, id="nothing-after-at"),
    pytest.param("jane doe@gmail.com", "syntax.local_invalid_chars", {"chars": "SPACE"},
                 id="space-in-local"),
    pytest.param("jane(x@gmail.com", "syntax.local_invalid_chars", {"chars": "'('"},
                 id="paren-in-local"),
    pytest.param("jane@gm ail.com", "syntax.domain_invalid_chars",
                 {"domain": "gm ail.com", "chars": "SPACE"}, id="space-between-words"),
    pytest.param("jane@gm_ail.com", "syntax.domain_invalid_chars", {"chars": "'_'"},
                 id="underscore-in-domain"),
    pytest.param("jane@acme", "syntax.domain_no_dot", {"domain": "acme"}, id="no-dot"),
    pytest.param("jane@acme.123", "syntax.domain_invalid_tld", {"domain": "acme.123"},
                 id="numeric-tld"),
    pytest.param("jane@-acme.example", "syntax.domain_hyphen", {"domain": "-acme.example"},
                 id="leading-hyphen"),
    pytest.param("jane@acme-.example", "syntax.domain_hyphen", {}, id="hyphen-before-dot"),
    pytest.param("jane@ab--cd.example", "syntax.domain_double_hyphen", {}, id="r-ldh-label"),
    pytest.param("jane@" + "a" * 64 + ".example", "syntax.domain_label_too_long", {},
                 id="label-over-63"),
    pytest.param("jane@" + "a." * 127 + "example", "syntax.domain_too_long",
                 {"limit": 253}, id="domain-over-253"),
    pytest.param("a" * 250 + "@gmail.com", "syntax.too_long", {"length": 260, "limit": 254},
                 id="address-over-254"),
    pytest.param("a" * 1001, "syntax.too_long", {"length": 1001, "limit": 254},
                 id="refused-unparsed"),
    pytest.param("jane@xn--abc.example", "syntax.domain_idna_invalid", {}, id="bad-punycode"),
    pytest.param("jane@foo.test", "syntax.domain_special_use", {"domain": "foo.test"},
                 id="dot-test"),
    pytest.param("jane@printer.local", "syntax.domain_special_use", {}, id="dot-local"),
    pytest.param("jane@localhost", "syntax.domain_no_dot", {}, id="bare-localhost"),
    pytest.param("jane@x.localhost", "syntax.domain_special_use", {}, id="dot-localhost"),
    pytest.param("jane@x.onion", "syntax.domain_special_use", {}, id="dot-onion"),
    pytest.param("jane@[192.0.2.1]", "syntax.ip_literal", {"domain": "[192.0.2.1]"},
                 id="ipv4-literal"),
    pytest.param("jane@[IPv6:2001:db8::1]", "syntax.ip_literal", {}, id="ipv6-literal"),
    pytest.param("jane@[1.2.3]", "syntax.ip_literal_invalid", {}, id="bad-literal"),
    pytest.param('"jane"x@gmail.com', "syntax.quoted_local_invalid", {}, id="text-after-quote"),
    pytest.param("ja\u0007ne@gmail.com", "syntax.local_invalid_chars", {"chars": "U+0007"},
                 id="control-character"),
    pytest.param("ja\ue000ne@gmail.com", "syntax.unsafe_chars", {"chars": "U+E000"},
                 id="private-use-character"),
    pytest.param("jane<x@gmail.com", "syntax.unclosed_angle_bracket", {}, id="angle-in-local"),
    pytest.param("jane@gmail.com@yahoo.com", "syntax.multiple_at", {}, id="two-domains"),
]


# A repair suggestion must be an address maildiag itself accepts (issue 10.4): these repairs
# are refused, and the problem reported is the input's own, or that of the address inside.
INVALID += [
    pytest.param("jane@foo,jane", "syntax.domain_invalid_chars", {"chars": "','"}, id="comma-would-invent-a-tld"),
    pytest.param("jane@shop,internal", "syntax.domain_invalid_chars", {}, id="comma-would-invent-internal"),
    pytest.param("Jane <jane@example.com>", "syntax.domain_reserved", {"domain": "example.com"},
                 id="name-addr-around-a-dead-domain"),
]


@pytest.mark.parametrize(("address", "code", "params"), INVALID)
def test_not_repairable(address: str, code: str, params: dict[str, Any]) -> None:
    parsed = syntax.check(address, OPTIONS)
    assert not parsed.valid
    assert parsed.repaired is None
    assert parsed.normalized is parsed.local is parsed.ascii_domain is None
    assert codes(parsed) == (code,)
    finding = parsed.findings[0]
    assert {k: finding.params[k] for k in params} == params
    assert catalog.info(code).verdict is Verdict.UNDELIVERABLE


def test_smtputf8_refused_when_the_shop_cannot_send_it() -> None:
    parsed = syntax.check("jüri@gmail.com", Options(offline=True, allow_smtputf8=False))
    assert codes(parsed) == ("syntax.smtputf8_not_allowed",)
    assert parsed.findings[0].params["chars"] == "'ü'"


def test_unrepaired_error_is_about_what_is_left_after_repairs() -> None:
    # The mailto: is no longer the problem once removed: the missing dot is.
    parsed = syntax.check("mailto:jane@acme", OPTIONS)
    assert codes(parsed) == ("syntax.domain_no_dot",)
    assert parsed.candidate == "jane@acme"
    assert any("syntax.repaired.mailto" in e for e in parsed.findings[0].evidence)


def test_unknown_failure_falls_back_to_syntax_invalid() -> None:
    assert syntax.code_for_message("A brand new complaint.") == "syntax.invalid"


# -- email-validator's messages: every one maps to a specific code --------------------------

EV_DIR = pathlib.Path(email_validator.__file__).parent

#: Inputs that make the installed email-validator raise each of its messages.
EV_CASES = [
    pytest.param("jane＠gmail.com", {}, "syntax.lookalike_at", id="fullwidth-at"),
    pytest.param("jane﹫gmail.com", {}, "syntax.lookalike_at", id="small-at"),
    pytest.param("jane", {}, "syntax.missing_at", id="no-at"),
    pytest.param('"jane"x@gmail.com', {}, "syntax.quoted_local_invalid", id="after-quote"),
    pytest.param("Jane.Doe <jane@gmail.com>", {"allow_display_name": True},
                 "syntax.display_name_invalid", id="display-name-chars"),
    pytest.param("Jane <jane@gmail.com", {"allow_display_name": True},
                 "syntax.unclosed_angle_bracket", id="unclosed-angle"),
    pytest.param("Jane <jane@gmail.com> x", {"allow_display_name": True},
                 "syntax.text_after_address", id="after-angle"),
    pytest.param("@gmail.com", {}, "syntax.local_empty", id="local-empty"),
    pytest.param("a" * 65 + "@gmail.com", {"strict": True}, "syntax.local_too_long",
                 id="local-too-long-strict"),
    pytest.param("jüri@gmail.com", {"allow_smtputf8": False}, "syntax.smtputf8_not_allowed",
                 id="smtputf8"),
    pytest.param('"a\x00b"@gmail.com', {"allow_quoted_local": True},
                 "syntax.quoted_local_invalid", id="quoted-chars"),
    pytest.param("a\ud800b@gmail.com", {}, "syntax.unsafe_chars", id="surrogate"),
    pytest.param("jane doe@gmail.com", {}, "syntax.local_invalid_chars", id="local-chars"),
    pytest.param(".jane@gmail.com", {}, "syntax.local_dot", id="local-leading-dot"),
    pytest.param("jane.@gmail.com", {}, "syntax.local_dot", id="local-trailing-dot"),
    pytest.param("jane..doe@gmail.com", {}, "syntax.double_dot", id="double-dot"),
    pytest.param("jane@.gmail.com", {}, "syntax.domain_dot", id="domain-leading-dot"),
    pytest.param("jane@gmail.com.", {}, "syntax.domain_dot", id="domain-trailing-dot"),
    pytest.param("jane@-gmail.com", {}, "syntax.domain_hyphen", id="domain-leading-hyphen"),
    pytest.param("jane@gmail.com-", {}, "syntax.domain_hyphen", id="domain-trailing-hyphen"),
    pytest.param("jane@gmail-.com", {}, "syntax.domain_hyphen", id="hyphen-dot"),
    pytest.param("jane@ab--cd.com", {}, "syntax.domain_double_hyphen", id="r-ldh"),
    pytest.param("jane\u200b@gmail.com", {}, "syntax.unsafe_chars", id="zero-width"),
    pytest.param("jane@" + "a." * 130 + "com", {}, "syntax.domain_too_long", id="domain-long"),
    pytest.param("j@" + ".".join(["ü" * 20] * 10) + ".com", {}, "syntax.domain_too_long",
                 id="domain-long-after-idna"),
    pytest.param("jane@gm ail.com", {}, "syntax.domain_invalid_chars", id="domain-chars"),
    pytest.param("jane@\u1fef.com", {}, "syntax.domain_invalid_chars", id="domain-chars-nfc"),
    pytest.param("jane@gm\u2488ail.com", {}, "syntax.domain_invalid_chars", id="domain-dot-char"),
    pytest.param("jane@a\u2ff0.com", {}, "syntax.domain_invalid_chars", id="domain-uts46"),
    pytest.param("jane@xn--abc.com", {}, "syntax.domain_idna_invalid", id="not-idna"),
    pytest.param("jane@אב.1.com", {}, "syntax.domain_idna_invalid", id="bidi"),
    pytest.param("jane@\u0661\u06f1.com", {}, "syntax.domain_idna_invalid", id="idna-alabel"),
    pytest.param("jane@" + "a" * 64 + ".com", {}, "syntax.domain_label_too_long", id="label"),
    pytest.param("jane@gmail", {}, "syntax.domain_no_dot", id="no-dot"),
    pytest.param("jane@gmail.123", {}, "syntax.domain_invalid_tld", id="tld"),
    pytest.param("jane@foo.test", {}, "syntax.domain_special_use", id="special-use"),
    pytest.param("a" * 250 + "@gmail.com", {}, "syntax.too_long", id="too-long"),
    pytest.param("ü" * 130 + "@gmail.com", {}, "syntax.too_long", id="too-long-utf8"),
    pytest.param("x@[1.2.3]", {"allow_domain_literal": True}, "syntax.ip_literal_invalid",
                 id="ipv4-literal"),
    pytest.param("x@[IPv6:zz]", {"allow_domain_literal": True}, "syntax.ip_literal_invalid",
                 id="ipv6-literal"),
    pytest.param("x@[IPv6:fe80::1%eth0]", {"allow_domain_literal": True},
                 "syntax.ip_literal_invalid", id="zone-index"),
    pytest.param("x@[foo]", {"allow_domain_literal": True}, "syntax.ip_literal_invalid",
                 id="no-tag"),
    pytest.param("x@[foo:b\u0100r]", {"allow_domain_literal": True}, "syntax.ip_literal_invalid",
                 id="literal-chars"),
    pytest.param("x@[foo:bar]", {"allow_domain_literal": True}, "syntax.ip_literal_invalid",
                 id="literal-tag"),
    pytest.param('"jane"@gmail.com', {}, "syntax.quoted_local", id="quoting-refused"),
    pytest.param("jane@", {}, "syntax.domain_empty", id="domain-empty"),
    pytest.param("x@[1.2.3.4]", {}, "syntax.ip_literal", id="literal-refused"),
    pytest.param("Jane <jane@gmail.com>", {}, "syntax.display_name", id="display-name-refused"),
    pytest.param("a\u037e@gmail.com", {}, "syntax.local_invalid_chars", id="after-nfc"),
]

#: Messages email-validator has, but cannot raise for a ``str`` with maildiag's settings.
UNREACHABLE = {
    "The email address is not valid ASCII.": "raised for bytes input only",
    "The email address contains an invalid character.": "surrogates are refused before, as unsafe",
    "The email address contains invalid characters after the @-sign after IDNA encoding.":
        "email-validator's comment: it should never fail",
    "The part after the @-sign became invalid after normalizing to international characters (":
        "email-validator's comment: no test case for this",
    "After Unicode normalization: ": "a prefix; the message after it is mapped (see after-nfc)",
    "Internationalized characters before the @-sign are not supported.":
        "a fallback after the same check with a character list (see smtputf8)",
    "The email address contains invalid characters before the @-sign.":
        "a fallback after the checks that name the characters (see local-chars)",
}


def _message(address: str, kwargs: dict[str, Any]) -> str:
    with pytest.raises(email_validator.EmailSyntaxError) as info:
        email_validator.validate_email(address, check_deliverability=False, **kwargs)
    return str(info.value)


@pytest.mark.parametrize(("address", "kwargs", "code"), EV_CASES)
def test_email_validator_message_maps_to_its_code(
    address: str, kwargs: dict[str, Any], code: str
) -> None:
    assert syntax.code_for_message(_message(address, kwargs)) == code


def _prefix(node: ast.expr) -> str | None:
    """The fixed opening of a message expression: a literal, an f-string, or ``"..." + x``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        head = ""
        for part in node.values:
            if not (isinstance(part, ast.Constant) and isinstance(part.value, str)):
                break
            head += part.value
        return head
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _prefix(node.left)
    return None  # "template.format(word)": the templates are collected at the call site


def _email_validator_messages() -> set[str]:
    """Every message opening raised in email-validator's syntax code, read from its source."""
    found: set[str] = set()
    for name in ("syntax.py", "validate_email.py"):
        tree = ast.parse((EV_DIR / name).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                continue
            if node.func.id == "EmailSyntaxError" and node.args:
                prefix = _prefix(node.args[0])
                if prefix is not None:
                    found.add(prefix)
            elif node.func.id == "check_dot_atom":
                hostname = any(
                    k.arg == "is_hostname" and isinstance(k.value, ast.Constant) and k.value.value
                    for k in node.keywords
                )
                for arg in node.args[1:3]:
                    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                        for word in ("period", "hyphen") if hostname else ("period",):
                            found.add(arg.value.format(word))
    return found


EV_MESSAGES = sorted(_email_validator_messages())


def test_email_validator_source_was_read() -> None:
    # Guards the two tests below against passing on an empty list.
    assert len(EV_MESSAGES) >= 40
    assert "An email address must have an @-sign." in EV_MESSAGES


@pytest.mark.parametrize("message", [m for m in EV_MESSAGES if m not in UNREACHABLE])
def test_every_email_validator_message_has_a_specific_code(message: str) -> None:
    assert syntax.code_for_message(message) != syntax.FALLBACK_CODE, (
        f"email-validator {email_validator.__version__} has a message maildiag does not map: "
        f"{message!r}; add its prefix to syntax.MESSAGE_CODES"
    )


def test_every_reachable_message_is_fed_by_a_case() -> None:
    seen = [_message(p.values[0], p.values[1]) for p in EV_CASES]  # type: ignore[arg-type]
    missing = [
        m for m in EV_MESSAGES
        if m not in UNREACHABLE and not any(s.startswith(m) for s in seen)
    ]
    assert not missing, f"no EV_CASES input raises: {missing}"


def test_after_normalization_prefix_maps_the_rest() -> None:
    message = "After Unicode normalization: An email address must have an @-sign."
    assert syntax.code_for_message(message) == "syntax.missing_at"


# -- the catalog and messages of this area --------------------------------------------------


def test_every_code_this_module_can_emit_is_in_the_catalog() -> None:
    emitted = {code for _, code in syntax.MESSAGE_CODES} | {s.code for s in syntax.REPAIR_STEPS}
    emitted |= {"syntax.empty", "syntax.too_long", "syntax.multiple_at", "syntax.invalid",
                "syntax.uppercase", "syntax.smtputf8", "syntax.domain_reserved",
                "syntax.repaired.uppercase"}
    syntax_codes = {c for c in catalog.codes() if c.startswith("syntax.")}
    assert emitted == syntax_codes


def test_repair_steps_have_distinct_codes() -> None:
    step_codes = [s.code for s in syntax.REPAIR_STEPS]
    assert len(step_codes) == len(set(step_codes))
    assert all(catalog.info(c).verdict is Verdict.FIX for c in step_codes)


@pytest.mark.parametrize("locale", ["en", "he"])
def test_repair_messages_offer_the_suggestion(locale: str) -> None:
    for step in syntax.REPAIR_STEPS:
        text = messages.render(step.code, {"suggestion": "jane@gmail.com"}, locale)
        assert "jane@gmail.com" in text, step.code


# -- through diagnose() -----------------------------------------------------------------------


def test_diagnose_offers_the_repair_as_the_suggestion() -> None:
    d = maildiag.diagnose("Jane <jane@gmail,com>", offline=True)
    assert d.verdict is Verdict.FIX
    assert d.suggestion == "jane@gmail.com"
    assert d.has("syntax.repaired")


def test_diagnose_reports_an_unrepairable_address_as_undeliverable() -> None:
    d = maildiag.diagnose("jane", offline=True)
    assert d.verdict is Verdict.UNDELIVERABLE
    assert d.codes == ("syntax.missing_at",)
    assert d.message() == "It looks like the @ is missing. An email address looks like name@example.com."


def test_valid_address_has_no_syntax_findings() -> None:
    d = maildiag.diagnose("jane@shop.example", offline=True)
    assert not d.has("syntax")
    assert d.normalized == "jane@shop.example"


@pytest.mark.parametrize("value", [None, b"jane@gmail.com", 42, ["jane@gmail.com"]])
def test_non_str_is_a_type_error(value: object) -> None:
    with pytest.raises(TypeError, match="must be str"):
        syntax.check(value, OPTIONS)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="must be str"):
        maildiag.diagnose(value, offline=True)  # type: ignore[arg-type]


def test_huge_input_is_refused_without_parsing() -> None:
    parsed = syntax.check("jane@gmail.com" * 100_000, OPTIONS)
    assert codes(parsed) == ("syntax.too_long",)
    assert parsed.findings[0].params["length"] == 1_400_000


# -- properties -------------------------------------------------------------------------------

ADDRESS_ALPHABET = (
    string.ascii_letters + string.digits + "@@.. ,;:<>\"'()[]#+-_%?=\t"
    "＠﹫．。ａｊ\u00a0\u200b\ufeff\u202aü"
)
address_like = st.text(alphabet=ADDRESS_ALPHABET, max_size=40)
shaped = st.builds(
    lambda a, b, c: f"{a}@{b}.{c}",
    address_like, address_like,
    st.sampled_from(["com", "co.il", "example", "", "com.", "com,Jane", "com;x", "co,il", "com,jane@x.com"]),
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(), address_like, shaped))
def test_check_never_raises_and_repairs_are_valid(text: str) -> None:
    parsed = syntax.check(text, OPTIONS)
    assert parsed.findings or parsed.valid
    if parsed.valid:
        assert parsed.normalized is not None
        # What we validated is what we report, and email-validator agrees.
        email_validator.validate_email(
            parsed.candidate, check_deliverability=False, allow_quoted_local=True
        )
    else:
        assert len(parsed.findings) == 1
        assert catalog.info(parsed.findings[0].code).verdict is Verdict.UNDELIVERABLE
    if parsed.repaired is not None:
        email_validator.validate_email(
            parsed.repaired, check_deliverability=False, allow_quoted_local=True
        )
        if parsed.repaired.startswith('"'):
            assert '"' in text, "a repair must not invent a quoted local part"
        again = syntax.check(parsed.repaired, OPTIONS)
        assert again.valid
        assert again.repaired is None, "a repaired address must not need repair again"
        # An address maildiag itself accepts (issue 10.4): no dead domain, and a top-level
        # domain that exists, or that the customer typed as one.
        assert not any(catalog.info(c).verdict is Verdict.UNDELIVERABLE for c in codes(again))
        assert again.ascii_domain is not None and again.domain is not None
        tld = again.ascii_domain.rpartition(".")[2]
        # NFKC for full-width forms; the ideographic full stop is a dot to IDNA (UTS #46).
        typed = unicodedata.normalize("NFKC", text).replace("\u3002", ".").lower()
        assert typo.tld_exists(again.ascii_domain) or tld == "example" or (
            "." + again.domain.rpartition(".")[2] in typed or "." + tld in typed
        ), f"a repair invented the top-level domain of {parsed.repaired!r}"


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(), address_like, shaped))
def test_diagnose_offline_never_raises(text: str) -> None:
    d = maildiag.diagnose(text, offline=True)
    assert d.address == text
    for locale in ("en", "he"):
        d.messages(locale)


def test_a_failing_repair_step_does_not_raise(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(text: str, options: Options) -> str:
        raise RuntimeError("bug")

    step = syntax.RepairStep("syntax.repaired.whitespace", broken, "broken on purpose")
    monkeypatch.setattr(syntax, "REPAIR_STEPS", (step,))
    parsed = syntax.check("jane@gmail,com", OPTIONS)
    assert codes(parsed) == ("syntax.domain_invalid_chars",)
    assert syntax.check("ｊａｎｅ@gmail.com", OPTIONS).valid


def test_caps_lock_and_a_typo_give_one_consistent_suggestion() -> None:
    d = maildiag.diagnose("JANE@GMIAL.COM", offline=True)
    assert d.suggestion == "jane@gmail.com"
    note = d.find("syntax.uppercase")
    assert note is not None and note.params["suggestion"] == "jane@gmail.com"
    # Mixed case is a name, not caps lock: kept as typed.
    assert maildiag.diagnose("Jane@gmial.com", offline=True).suggestion == "Jane@gmail.com"


# -- linear time (issue 9.1) ------------------------------------------------------------------

#: Shapes that have made, or could make, a repair step slow: regex backtracking over a long
#: run (spaces before a dot, punctuation at the end, "@" signs), re-slicing at every separator,
#: and the issue's own "x<@@@...<".
GROWTH_SHAPES: dict[str, Callable[[int], str]] = {
    "x<@@@...<": lambda n: "x<" + "@" * n + "<",
    "spaces inside the domain": lambda n: "jane@gmail" + " " * n + "x",
    "spaces before a dot": lambda n: "jane@gmail" + " " * n + ".com",
    "spaces and dots": lambda n: "jane@gmail" + " ." * (n // 2) + "com",
    "dots without an @": lambda n: "a." * (n // 2) + "com",
    "many a@": lambda n: "a@ " * (n // 3),
    "trailing punctuation": lambda n: "jane@gmail.com" + "!@" * (n // 2) + "a",
    "name then <": lambda n: "j " * (n // 2) + "<jane@gmail.com",
    "commas": lambda n: "jane@" + ",," * (n // 2) + "com",
    "words then an address": lambda n: "word " * (n // 5) + "jane@gmial.com",
    "@ then spaces": lambda n: "@" + " " * n + "x",
    "nested brackets": lambda n: "<" * (n // 2) + "jane@gmail.com" + ">" * (n // 2),
    "extra text after a comma": lambda n: "jane@gmial.com," + "x" * n,
    "full-width": lambda n: "ａ" * n + "＠gmail.com",
}
#: 4x the input: a linear step costs ~4x, a quadratic one ~16x; 6 leaves room for noise.
MAX_GROWTH = 6.0


def _growth(build: Callable[[int], str], run: Callable[[str], object], small: int, times: int) -> float:
    short, long = build(small), build(4 * small)
    run(short)  # warm up (lazy imports, regex and domain caches)

    def work(text: str) -> Callable[[], None]:
        def repeat() -> None:
            for _ in range(times):
                run(text)

        return repeat

    # A floor of 1 ms keeps timer noise out of a cheap shape's ratio.
    return best_time(work(long), repeats=5) / max(best_time(work(short), repeats=5), 1e-3)


@pytest.mark.parametrize("shape", GROWTH_SHAPES)
def test_the_whole_repair_is_linear_beyond_the_input_cap(shape: str) -> None:
    # check() refuses input over MAX_INPUT_LENGTH (1000 characters) before any repair, so in
    # practice the cap bounds the work. The pipeline itself (every step in turn, then
    # email-validator on what is left) is still held to linear time, so that the cap is not
    # the only thing between a form field and a stall.
    first_error = email_validator.EmailSyntaxError("first")
    ratio = _growth(GROWTH_SHAPES[shape], lambda text: syntax._repair(text, OPTIONS, first_error), 20_000, 1)
    assert ratio <= MAX_GROWTH, f"{shape}: 4x the text costs {ratio:.1f}x"


@pytest.mark.parametrize("shape", GROWTH_SHAPES)
def test_check_is_linear_up_to_the_input_cap(shape: str) -> None:
    size = syntax.MAX_INPUT_LENGTH // 4 - 20  # 4x that is still under the cap, shape overhead included
    assert len(GROWTH_SHAPES[shape](4 * size)) <= syntax.MAX_INPUT_LENGTH
    ratio = _growth(GROWTH_SHAPES[shape], lambda text: syntax.check(text, OPTIONS), size, 50)
    assert ratio <= MAX_GROWTH, f"{shape}: 4x the text costs {ratio:.1f}x"


def test_a_name_after_a_comma_is_extra_text_and_the_typo_is_still_fixed() -> None:
    # Issue 10.4: `maildiag check --offline 'jane@gmial.com,Jane'` suggested jane@gmial.com.jane.
    d = maildiag.diagnose("jane@gmial.com,Jane", offline=True)
    assert d.suggestion == "jane@gmail.com"
    assert d.codes[:2] == ("syntax.repaired.extra_text", "domain.typo")
    assert all("jane@gmail.com" in message for message in d.messages("en"))
