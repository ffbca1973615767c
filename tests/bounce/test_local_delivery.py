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
from tests.bounce._reports import failed, report

from maildiag.bounce import BounceKind, parse_bounce


def x_unix(diagnostic: str) -> bytes:
    return report(
        "Returned mail: see transcript for details",
        "The original message was received at Sat, 5 Dec 2026 10:00:00 GMT\n\n"
        "   ----- The following addresses had permanent fatal errors -----\nann@shop.example",
        failed("5.1.1", f"X-Unix; {diagnostic}"),
    )


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
    return report(
        "Return receipt",
        "The original message was received at Sat, 5 Dec 2026 10:00:00 GMT\nfrom root@localhost\n\n"
        f"   ----- Transcript of session follows -----\n{transcript}",
        "Arrival-Date: Sat, 5 Dec 2026 10:00:00 GMT\n\n",
        returned="--B\nContent-Type: text/rfc822-headers\n\nFrom: orders@shop.example\nTo: bo@shop.example\n"
                 "Subject: Your order\n\n",
    )


def test_a_receipt_without_recipient_fields_is_a_receipt() -> None:
    parsed = parse_bounce(receipt(
        'bo@shop.example... expanded to multiple addresses\n"|/usr/bin/vacation bo"... Successfully delivered\n'
        "\\bo... Successfully delivered"
    ))
    assert parsed.kind is BounceKind.DELIVERED
    assert not parsed.failures


@pytest.mark.parametrize(
    "transcript",
    [
        "bo@shop.example... User unknown\n550 5.1.1 bo@shop.example... User unknown",
        # Success wording beside a failure's (its words in any case) is no receipt.
        "ann@shop.example... Successfully delivered\nbo@shop.example... User unknown",
    ],
    ids=["failure-only", "success-and-failure"],
)
def test_the_same_report_saying_a_failure_is_a_failure(transcript: str) -> None:
    parsed = parse_bounce(receipt(transcript))
    assert parsed.kind is BounceKind.FAILURE
    assert "bo@shop.example" in [r.recipient for r in parsed.failures]


def courier(reporting: str, status: str, diagnostic: str, remote: str = "") -> bytes:
    return report(
        "NOTICE: mail delivery status.",
        f"Your message to the following recipients cannot be delivered:\n\n<ann@shop.example>:\n <<< {diagnostic}",
        failed(status, f"unknown; {diagnostic}", remote=remote),
        reporting=reporting,
    )


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
