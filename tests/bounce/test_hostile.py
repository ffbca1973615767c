"""Hostile headers neither hide a bounce's failure nor make its cost grow faster than its size
(issue 9.1). The growth ratios themselves are in tests/test_growth.py (shapes in
tests/hostile_shapes.py); these are the deterministic properties behind them."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from typing import Any

import email_validator
import pytest

from maildiag.bounce import BounceKind, _addresses, _limits, _mime, parse_bounce

_REFUSAL = "550 5.1.1 <jane@example.org>: Recipient address rejected: User unknown\n"


def _bounce(*, to: str = "shop@example.net", returned_from: str = "shop@example.net",
            failed: str | None = None, headers_part: bool = False) -> bytes:
    failed_line = f"X-Failed-Recipients: {failed}\n" if failed is not None else ""
    returned_ctype = "text/rfc822-headers" if headers_part else "message/rfc822"
    return (
        "From: MAILER-DAEMON@mx.example.org\n"
        f"To: {to}\n{failed_line}"
        "Subject: Undelivered Mail Returned to Sender\nMIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\n\n'
        f"--B\nContent-Type: text/plain\n\n{_REFUSAL}"
        f"--B\nContent-Type: {returned_ctype}\n\n"
        f"From: {returned_from}\nTo: jane@example.org\nSubject: Your order\n\nhello\n--B--\n"
    ).encode()


# The stdlib's address parser recurses once per "(" (a comment) or ":" (a group): a few
# thousand of them raise RecursionError, which used to turn the whole bounce "malformed".
DEEP = {name: junk + " <shop@example.net>" for name, junk in
        {"comments": "(" * 5000, "groups": ":" * 5000, "both": "(:" * 3000}.items()}


@pytest.mark.parametrize("junk", DEEP.values(), ids=DEEP.keys())
@pytest.mark.parametrize(
    "where",
    ["to", "returned_from", "failed", "headers_part"],
)
def test_an_address_header_that_nests_too_deep_does_not_hide_the_failure(where: str, junk: str) -> None:
    where_junk: dict[str, Any] = {where: junk}
    raw = _bounce(returned_from=junk, headers_part=True) if where == "headers_part" else _bounce(**where_junk)
    report = parse_bounce(raw)
    assert report.kind is BounceKind.FAILURE, report.findings
    assert [(r.recipient, r.reason) for r in report.failures] == [("jane@example.org", "user_unknown")]


def test_the_bounce_own_from_nesting_too_deep_is_still_read() -> None:
    raw = _bounce().replace(b"From: MAILER-DAEMON@mx.example.org", b"From: MAILER-DAEMON " + b"(" * 5000)
    report = parse_bounce(raw)
    assert [(r.recipient, r.reason) for r in report.failures] == [("jane@example.org", "user_unknown")]


@pytest.fixture
def validations(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every address email-validator is asked about during the test (the parser's costliest step)."""
    calls: list[str] = []
    real = email_validator.validate_email

    def counting(address: str, **kwargs: object) -> object:
        calls.append(address)
        return real(address, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(email_validator, "validate_email", counting)
    _addresses._valid_address.cache_clear()
    yield calls
    _addresses._valid_address.cache_clear()


def test_a_dsn_naming_thousands_of_recipients_checks_only_as_many_as_are_reported(validations: list[str]) -> None:
    unit = "Final-Recipient: rfc822; u{}@example.org\nAction: failed\nStatus: 5.1.1\n\n"
    raw = (
        "From: MAILER-DAEMON@mx.example.org\nTo: shop@example.net\nSubject: Undelivered\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\n\n'
        "--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.org\n\n"
        + "".join(unit.format(i) for i in range(20_000)) + "--B--\n"
    ).encode()
    report = parse_bounce(raw, max_bytes=1 << 24)
    assert len(report.failures) == _limits.MAX_RECIPIENTS
    assert report.failures[0].recipient == "u0@example.org"
    assert len(validations) <= 2 * _limits.MAX_RECIPIENTS


def test_an_exim_header_naming_thousands_of_recipients_checks_a_bounded_number(validations: list[str]) -> None:
    names = ",\n ".join(f"u{i}@example.org" for i in range(20_000))
    report = parse_bounce(_bounce(failed=names), max_bytes=1 << 24)
    assert len(report.failures) == _limits.MAX_RECIPIENTS
    assert len(validations) <= 4 * _limits.MAX_RECIPIENTS


def test_a_huge_folded_final_recipient_is_read_from_its_start(validations: list[str]) -> None:
    """An address is at most 254 characters (RFC 5321 §4.5.3.1.3): a one-address field that
    goes on for a megabyte is read for an address near its start, not scanned to its end."""
    junk = "".join(f" a{i}@x-.org\n" for i in range(100_000))  # address-like, each refused
    raw = (
        "From: MAILER-DAEMON@mx.example.org\nTo: shop@example.net\nSubject: Undelivered\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\n\n'
        "--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.org\n\n"
        "Final-Recipient: rfc822;" + junk + "Original-Recipient: rfc822; jane@example.org\n"
        + "Action: failed\nStatus: 5.1.1\n--B--\n"
    ).encode()
    report = parse_bounce(raw, max_bytes=1 << 24)
    assert [(r.recipient, r.reason) for r in report.failures] == [("jane@example.org", "user_unknown")]
    assert len(validations) < 100


def test_encoded_words_beyond_what_is_shown_are_not_decoded() -> None:
    """The subject shown is at most 300 characters; a megabyte of RFC 2047 words after them
    is not decoded (the stdlib's decoder is quadratic in their number)."""
    words = "\n =?utf-8?q?caf=C3=A9?=" * 50_000
    raw = _bounce().replace(b"Subject: Undelivered Mail Returned to Sender", b"Subject: Undelivered" + words.encode())
    raw = raw.replace(b"Subject: Your order", b"Subject: Your order" + words.encode())
    report = parse_bounce(raw, max_bytes=1 << 24)
    assert report.subject.startswith("Undelivered caf\u00e9caf\u00e9") and len(report.subject) <= 300
    assert report.original_subject is not None and report.original_subject.startswith("Your order caf\u00e9")
    assert [r.recipient for r in report.failures] == ["jane@example.org"]


def test_parameters_are_read_from_a_bounded_prefix_of_the_content_type() -> None:
    """The stdlib's parameter parser is quadratic; what the bounce parser parses, and asks for
    parameters, sees a bounded prefix of each Content-Type (a boundary is at most 70
    characters, RFC 2046 §5.1.1)."""
    params = ';\n a="b"' * 100_000
    raw = _bounce().replace(b'boundary="B"', b'boundary="B"' + params.encode())
    msg = email.message_from_bytes(raw, _class=_mime.BoundedMessage, policy=email.policy.compat32)
    assert msg.get_boundary() == "B"
    assert len(msg.get_params() or ()) < 1000
    report = parse_bounce(raw, max_bytes=1 << 24)
    assert [(r.recipient, r.reason) for r in report.failures] == [("jane@example.org", "user_unknown")]


def test_json_nested_too_deep_in_a_text_bounce_is_not_a_notification() -> None:
    """The SES reader tries any text that mentions "notificationType"; JSON nested thousands
    deep makes the stdlib's decoder raise RecursionError, which must not spoil the bounce."""
    raw = _bounce().replace(_REFUSAL.encode(), _REFUSAL.encode() + b'{"notificationType": ' + b"[" * 50_000 + b"\n")
    report = parse_bounce(raw)
    assert [(r.recipient, r.reason) for r in report.failures] == [("jane@example.org", "user_unknown")]
