"""maildiag._validate gives email-validator's answer, message for message.

The module validates each domain once by calling email-validator's building blocks; these
tests hold it to ``validate_email`` itself on every kind of input: plain addresses, the
syntax suite's hard cases, every domain in the typo tables, and generated text.
"""

from __future__ import annotations

import string
from pathlib import Path
from typing import Any

import email_validator
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from maildiag import _validate

DATA = Path(__file__).parent / "data"

FIELDS = ("original", "normalized", "local_part", "ascii_local_part", "domain", "ascii_domain",
          "ascii_email", "smtputf8", "display_name")


def outcome(fn: Any, text: str, allow_smtputf8: bool) -> tuple[Any, ...]:
    try:
        v = fn(text, allow_smtputf8)
    except email_validator.EmailNotValidError as e:
        return ("error", type(e).__name__, str(e))
    return ("valid", *(getattr(v, f) for f in FIELDS))


def reference(text: str, allow_smtputf8: bool) -> email_validator.ValidatedEmail:
    return email_validator.validate_email(
        text, check_deliverability=False, allow_smtputf8=allow_smtputf8,
        allow_quoted_local=True, allow_domain_literal=False, allow_display_name=False,
        globally_deliverable=True,
    )


def assert_same(text: str) -> None:
    for allow_smtputf8 in (True, False):
        expected = outcome(reference, text, allow_smtputf8)
        # Twice: the first call fills the domain cache, the second is served from it.
        assert outcome(_validate.validate, text, allow_smtputf8) == expected, text
        assert outcome(_validate.validate, text, allow_smtputf8) == expected, text


def _domains(name: str, column: int) -> list[str]:
    rows = (line.split("\t") for line in (DATA / name).read_text("utf-8").splitlines())
    return [r[column].strip() for r in rows if r and r[0] and not r[0].startswith("#")]


CASES = [
    "jane@gmail.com", "Jane.Doe@Gmail.COM", "JANE@GMAIL.COM", "a.b+tag@outlook.com",
    "Postmaster@gmail.com", "ABUSE@Example.ORG", "info@company.co.uk", "x@xn--bcher-kva.example",
    "x@bücher.example", "x@BÜCHER.example", "jane@ｇｍａｉｌ．com", "jüri@gmail.com",
    "דנה@בדיקה.example", '"jane"@gmail.com', '"john doe"@gmail.com', '"a\x00b"@gmail.com',
    "a\u037e@gmail.com", "e\u0301@gmail.com", "Jane <jane@gmail.com>", "jane@[192.0.2.1]",
    "jane@[1.2.3]", "jane@[IPv6:2001:db8::1]", "jane@", "@gmail.com", "jane", "", "a@b@c.example",
    "jane@gmail.com.", "jane@.gmail.com", "jane@gm ail.com", "jane@gm_ail.com", "jane@acme",
    "jane@acme.123", "jane@-acme.example", "jane@ab--cd.example", "jane@xn--abc.example",
    "jane@foo.test", "jane@x.localhost", "jane@x.onion", "jane@printer.local",
    "jane@" + "a" * 64 + ".example", "jane@" + "a." * 127 + "example",
    "a" * 250 + "@gmail.com", "a" * 64 + "@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 61,
    "a" * 64 + "@" + "ü" * 60 + "." + "c" * 63 + "." + "d" * 61, "a" * 65 + "@gmail.com",
    "ü" * 130 + "@gmail.com", ".jane@gmail.com", "jane.@gmail.com", "jane..doe@gmail.com",
    "jane\u200b@gmail.com", "ja\ue000ne@gmail.com", "jane@gm\u2488ail.com", "jane@\u1fef.com",
    "jane@אב.1.com", "jane@\u0661\u06f1.com", "jane＠gmail.com", "jane@gmail.com@yahoo.com",
    "jane<x@gmail.com", "jane@gmail.com>", "jane@[gmail.com", "a\ud800b@gmail.com",
    "jane@gmail..com", " jane@gmail.com", "jane@gmail.com ", "jane@GMAIL.com",
]


@pytest.mark.parametrize("text", CASES)
def test_same_answer_as_validate_email(text: str) -> None:
    assert_same(text)


def test_same_answer_on_every_domain_in_the_typo_tables() -> None:
    domains = _domains("typo_cases.tsv", 0) + _domains("typo_cases.tsv", 1)
    domains += _domains("typo_untouchable.tsv", 0)
    assert len(domains) > 1000
    for domain in domains:
        assert_same(f"jane.doe@{domain}")


def test_a_bad_domain_is_judged_afresh_every_time() -> None:
    # lru_cache keeps no failures: the same message comes back each time, from a new error.
    errors = []
    for _ in range(3):
        with pytest.raises(email_validator.EmailSyntaxError) as info:
            _validate.validate("jane@gm_ail.com", True)
        errors.append(info.value)
    assert len({str(e) for e in errors}) == 1
    assert len({id(e) for e in errors}) == 3


@pytest.mark.parametrize("setting", ["TEST_ENVIRONMENT", "STRICT", "ALLOW_EMPTY_LOCAL"])
def test_email_validators_module_defaults_do_not_leak_in(setting: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # Another library in the process may change email-validator's global defaults; both
    # paths (ASCII fast, Unicode slow) must keep maildiag's own settings.
    monkeypatch.setattr(email_validator, setting, True)
    for text in ("jane@shop.test", "jané@shop.test", "@gmail.com", "a" * 65 + "@gmail.com", "é" * 65 + "@gmail.com"):
        monkeypatch.setattr(email_validator, setting, False)
        expected = outcome(_validate.validate, text, True)
        monkeypatch.setattr(email_validator, setting, True)
        assert outcome(_validate.validate, text, True) == expected, text


def test_changed_building_blocks_fall_back_to_validate_email(monkeypatch: pytest.MonkeyPatch) -> None:
    def changed_shape(text: str, allow_smtputf8: bool) -> Any:
        raise TypeError("validate_email_local_part() got an unexpected keyword argument")

    monkeypatch.setattr(_validate, "_fast", changed_shape)
    assert _validate.validate("Jane@Gmail.com", True).normalized == "Jane@gmail.com"
    with pytest.raises(email_validator.EmailSyntaxError):
        _validate.validate("jane@gm_ail.com", True)


ALPHABET = string.ascii_letters + string.digits + "@@..-_+\"' <>[]()\\:ü\u0301\u037eｇ＠．ß"
LABEL = st.text(alphabet=string.ascii_lowercase + "-ü0ß\u0301", min_size=1, max_size=12)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(
    st.text(alphabet=ALPHABET, max_size=40),
    st.text(max_size=30),
    st.builds(lambda local, labels: local + "@" + ".".join(labels),
              st.text(alphabet=ALPHABET, max_size=20), st.lists(LABEL, min_size=1, max_size=4)),
))
def test_same_answer_on_generated_text(text: str) -> None:
    assert_same(text)
