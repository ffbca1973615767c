"""Local delivery's reports, written here after the Sendmail first look (docs/bounces.md).

- An X-Unix diagnostic that is the MTA's own SMTP verdict ("550 5.1.1 User unknown") is a
  missing user; a delivery program's printout with the same status is the mailer's failure.
- A return receipt whose delivery-status part has no per-recipient fields, and says in words
  that delivery succeeded, is a receipt, not a failure.
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
