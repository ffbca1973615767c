"""Codes that no other test makes fire, each made to fire by the check that owns it.

Whether every catalog code fires is checked over the whole suite by tests/conftest.py (a
whole run fails when maildiag never made some code); the tests here cover the codes the
areas' own tests do not reach, and that every bounce reason is reachable from a phrase or a
status code.
"""

from __future__ import annotations

import pytest

import maildiag
from maildiag import DnsAnswer, DnsStatus, Options, catalog
from maildiag._core import plan
from maildiag.bounce import parse_bounce, reasons


def _finish_flow(address: str, answers: list[tuple[DnsAnswer, ...]]) -> maildiag.Diagnosis:
    flow = plan(address, Options())
    next(flow)
    try:
        for batch in answers:
            flow.send(batch)
    except StopIteration as done:
        result: maildiag.Diagnosis = done.value
        return result
    raise AssertionError("the flow asked for more than the test gave")


def test_null_mx_mixed_with_real_mx_fires() -> None:
    """RFC 7505 §3: a null MX beside real ones is a misconfiguration; the real ones are used."""
    d = _finish_flow(
        "jane@mixed.example",
        [
            (DnsAnswer("mixed.example", "MX", DnsStatus.OK, ("0 .", "10 mx.mixed.example.")),),
            (DnsAnswer("mx.mixed.example", "A", DnsStatus.NODATA),
             DnsAnswer("mx.mixed.example", "AAAA", DnsStatus.OK, ("2001:20::25",))),
        ],
    )
    assert d.has("mx.null_mixed")
    assert [m.host for m in d.mx] == ["mx.mixed.example"]


def test_a_bounce_naming_no_recipient_says_so() -> None:
    raw = (
        b"From: MAILER-DAEMON@mx.example.org\nTo: shop@example.net\nSubject: Undelivered Mail Returned to Sender\n"
        b"Content-Type: multipart/report; report-type=delivery-status; boundary=b\n\n"
        b"--b\nContent-Type: text/plain\n\nThis is the mail system. Your message could not be delivered.\n"
        b"--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.org\n\n"
        b"Action: failed\nStatus: 5.1.1\n\n--b--\n"
    )
    report = parse_bounce(raw)
    assert report.kind.value == "failure"
    assert not report.recipients
    assert [f.code for f in report.findings] == ["bounce.no_recipient"]


# Reasons that are a kind of report rather than a cause of failure, and the report-level codes:
# the parser's own tests make them fire (complaints, auto-replies, delivered DSNs, garbage).
_REPORT_LEVEL = {"complaint", "auto_reply", "delivered", "undetermined", "malformed", "too_large",
                 "not_a_bounce", "no_recipient", "headers_missing"}


def test_every_bounce_reason_is_produced_by_a_phrase_or_a_status_code() -> None:
    by_phrase = {r.name for r in reasons.reasons() if any(reasons.text_reason(p.sample) == r.name for p in r.phrases)}
    by_status = {
        reasons.classify(f"{klass}.{subject}.{detail}", "")
        for klass in "45" for subject in range(8) for detail in range(30)
    }
    for code in catalog.codes():
        if code.startswith("bounce."):
            reason = code.removeprefix("bounce.")
            assert reason in by_phrase | by_status | _REPORT_LEVEL, f"{code} is never produced"


def test_a_bounce_body_without_headers_says_so() -> None:
    raw = (b"Final-Recipient: rfc822; jane@shop-customer.example\nAction: failed\nStatus: 5.1.1\n"
           b"Diagnostic-Code: smtp; 550 5.1.1 User unknown\n")
    assert "bounce.headers_missing" in [f.code for f in parse_bounce(raw).findings]


def test_a_lookalike_at_that_no_repair_can_save_is_named() -> None:
    """The full-width @ is normally repaired (syntax.repaired.fullwidth); when the repaired
    address would be an invented one (here a made-up top-level domain "x,jane"), the input's
    own first problem is the answer: its look-alike @."""
    d = maildiag.diagnose("jane＠x,Jane", offline=True)
    assert [f.code for f in d.findings] == ["syntax.lookalike_at"]
    assert d.suggestion is None


def test_a_dot_next_to_the_domain_of_a_quoted_address_is_named() -> None:
    """Repairs leave a quoted local part alone (RFC 5321 §4.1.2 allows almost anything in it),
    so a stray dot at the domain's edge is reported, not guessed away."""
    for address in ('"jane"@.gmail.com', '"jane doe"@gmail.com.'):
        d = maildiag.diagnose(address, offline=True)
        assert [f.code for f in d.findings] == ["syntax.domain_dot"], address


@pytest.mark.parametrize(
    ("address", "code"),
    [
        # No repair can save these (the repaired domain "x,jane" would be invented), so the
        # input's own first problem is named.
        ("jane.@x,Jane", "syntax.local_dot"),
        ("ja..ne@x,Jane", "syntax.double_dot"),
    ],
)
def test_a_dot_problem_that_no_repair_can_save_is_named(address: str, code: str) -> None:
    d = maildiag.diagnose(address, offline=True)
    assert [f.code for f in d.findings] == [code]
