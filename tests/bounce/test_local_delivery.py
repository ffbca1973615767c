"""Local delivery's reports, written here after the Sendmail first look (docs/bounces.md).

- An X-Unix diagnostic that is the MTA's own SMTP verdict ("550 5.1.1 User unknown") is a
  missing user; a delivery program's printout with the same status is the mailer's failure.
- A return receipt whose delivery-status part has no per-recipient fields, and says in words
  that delivery succeeded, is a receipt, not a failure.
- The recipient domain's own MTA saying "User <name> unknown" about its local delivery (no
  SMTP stage, no remote) names a missing mailbox; a relay saying it at no stage stays a filter.
- A transient reply given up with a bare Status 5.0.0 is read by the reply's own code.
"""

from __future__ import annotations

import pytest

from maildiag.bounce import BounceKind, parse_bounce

HEAD = (
    "Return-Path: <MAILER-DAEMON>\nFrom: Mail Delivery Subsystem <MAILER-DAEMON@mta.shop.example>\n"
    "To: orders@shop.example\nSubject: {subject}\nMIME-Version: 1.0\n"
    "Content-Type: multipart/report; report-type=delivery-status; boundary=B\n\n"
)


def x_unix(diagnostic: str) -> bytes:
    return (
        HEAD.format(subject="Returned mail: see transcript for details")
        + "--B\n\nThe original message was received at Sat, 5 Dec 2026 10:00:00 GMT\n\n"
        "   ----- The following addresses had permanent fatal errors -----\nann@shop.example\n\n"
        "--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mta.shop.example\n\n"
        "Final-Recipient: RFC822; ann@shop.example\nAction: failed\nStatus: 5.1.1\n"
        f"Diagnostic-Code: X-Unix; {diagnostic}\n--B--\n"
    ).encode()


@pytest.mark.parametrize(
    ("diagnostic", "reason", "hard"),
    [
        ("550 5.1.1 User unknown", "user_unknown", True),
        ('procmail: Couldn\'t create "/var/spool/mail/ann": No such user', "receiver_error", False),
    ],
    ids=["mta-verdict", "program-output"],
)
def test_x_unix_user_unknown(diagnostic: str, reason: str, hard: bool) -> None:
    (failure,) = parse_bounce(x_unix(diagnostic)).failures
    assert (failure.recipient, failure.reason, failure.hard) == ("ann@shop.example", reason, hard)


def receipt(transcript: str) -> bytes:
    return (
        HEAD.format(subject="Return receipt")
        + "--B\n\nThe original message was received at Sat, 5 Dec 2026 10:00:00 GMT\nfrom root@localhost\n\n"
        f"   ----- Transcript of session follows -----\n{transcript}\n\n"
        "--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mta.shop.example\n"
        "Arrival-Date: Sat, 5 Dec 2026 10:00:00 GMT\n\n"
        "--B\nContent-Type: text/rfc822-headers\n\nFrom: orders@shop.example\nTo: bo@shop.example\n"
        "Subject: Your order\n\n--B--\n"
    ).encode()


def test_a_receipt_without_recipient_fields_is_a_receipt() -> None:
    report = parse_bounce(receipt(
        'bo@shop.example... expanded to multiple addresses\n"|/usr/bin/vacation bo"... Successfully delivered\n'
        "\\bo... Successfully delivered"
    ))
    assert report.kind is BounceKind.DELIVERED
    assert not report.failures


def test_the_same_report_saying_a_failure_is_a_failure() -> None:
    report = parse_bounce(receipt("bo@shop.example... User unknown\n550 5.1.1 bo@shop.example... User unknown"))
    assert report.kind is BounceKind.FAILURE
    assert [r.recipient for r in report.failures] == ["bo@shop.example"]


def courier(reporting: str, status: str, diagnostic: str, remote: str = "") -> bytes:
    return (
        "From: Courier mail server at mta.shop.example <@>\nTo: orders@shop.example\n"
        "Subject: NOTICE: mail delivery status.\nMIME-Version: 1.0\n"
        "Content-Type: multipart/report; report-type=delivery-status; boundary=B\n\n"
        "--B\n\nYour message to the following recipients cannot be delivered:\n\n"
        f"<ann@shop.example>:\n <<< {diagnostic}\n\n"
        f"--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; {reporting}\n\n"
        f"Final-Recipient: rfc822; ann@shop.example\nAction: failed\nStatus: {status}\n{remote}"
        f"Diagnostic-Code: unknown; {diagnostic}\n--B--\n"
    ).encode()


@pytest.mark.parametrize(
    ("reporting", "remote", "reason"),
    [
        ("mta.shop.example", "", "user_unknown"),  # the domain's own MTA, delivering locally
        ("relay.isp.example", "", "filtered"),  # someone else's relay, no stage named
        ("mta.shop.example", "Remote-MTA: dns; filter.shop.example\n", "filtered"),  # a remote said it
    ],
    ids=["own-mta", "foreign-relay", "remote"],
)
def test_user_name_unknown_from_the_domains_own_mta(reporting: str, remote: str, reason: str) -> None:
    (failure,) = parse_bounce(courier(reporting, "5.0.0", "550 User <ann> unknown", remote)).failures
    assert failure.reason == reason


def test_a_transient_reply_given_up_is_read_by_its_own_code() -> None:
    diagnostic = "451 4.3.0 <ann@shop.example>: temporary system problem, please try again later"
    (failure,) = parse_bounce(courier("mta.shop.example", "5.0.0", diagnostic)).failures
    # RFC 3463 X.3.0: the mail system's own trouble; the report's own status is kept.
    assert (failure.reason, failure.status) == ("receiver_error", "5.0.0")
