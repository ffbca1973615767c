"""Plain-text notices of old or small mail systems, written here after measuring
flufl.bounce's messages (docs/bounces.md, "flufl.bounce's messages, vendored").

- A daemon that lists its own users without a domain names mailboxes at its own
  organisational domain.
- "Please do not resend your original message." is advice, not the start of the returned
  copy: the words after it are still the notice's.
- "We will continue to try", "has been postponed" are a warning: temporary, never hard.
"""

from __future__ import annotations

import pytest

from maildiag.bounce import parse_bounce


def notice(sender: str, subject: str, body: str) -> bytes:
    return (f"From: {sender}\nTo: <news-bounces@shop.example>\nSubject: {subject}\n"
            "Date: Sat, 05 Dec 2026 10:00:00 +0000\nMessage-ID: <n1@mx.example.net>\n\n" + body).encode()


@pytest.mark.parametrize(
    ("sender", "body", "expected"),
    [
        pytest.param(
            '"Mail Delivery Subsystem" <MAILER-DAEMON@Mail.Example.NET>',
            "Your mail to the following recipients could not be delivered because they are not\n"
            "accepting mail from news@shop.example:\n\tjoan.miro\n\tpablo\n",
            [("joan.miro@example.net", "filtered"), ("pablo@example.net", "filtered")],
            id="provider-daemon-filter",
        ),
        pytest.param(
            "MAILER-DAEMON@mx2.campus.example.ac.uk",
            " --------Message not delivered to the following:\n\n rosa.luxe    No matches to directory query\n\n"
            " --------Error Detail:\n\n The directory has no such name.\n",
            [("rosa.luxe@example.ac.uk", "undetermined")],
            id="campus-directory",
        ),
    ],
)
def test_bare_names_from_the_recipient_systems_own_daemon(
    sender: str, body: str, expected: list[tuple[str, str]]
) -> None:
    failures = parse_bounce(notice(sender, "Mail Delivery Problem", body)).failures
    assert [(r.recipient, r.reason) for r in failures] == expected
    assert not any(r.hard for r in failures)  # a bare name proves no missing mailbox


def test_bare_names_from_a_person_are_not_recipients() -> None:
    body = "Sorry, I could not deliver the parcel to these people:\n\tjoan\n\tpablo\n"
    assert not parse_bounce(notice("Paul White <paul@example.net>", "Mail Delivery Problem", body)).failures


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        pytest.param(
            "Your message with Subject: Your order\ncould not be delivered to the following recipients:\n\n"
            "ann@example.org\n\nPlease do not resend your original message.\n\n"
            "Delivery attempts will continue to be made for 5 day(s).\n",
            "undetermined", id="gateway-will-continue",
        ),
        pytest.param(
            "This is an advisory-only email.\n\nDelivery of email to this address\n\n\"ann@example.org\"\n\n"
            "has been postponed due to a full mailbox.\n\n"
            "We will continue to try to deliver your message over the next few days.\n",
            "mailbox_full", id="postponed-full-mailbox",
        ),
    ],
)
def test_a_warning_in_words_is_temporary(body: str, reason: str) -> None:
    (failure,) = parse_bounce(notice("postmaster@example.org", "Mail Delivery Warning", body)).failures
    assert (failure.recipient, failure.reason, failure.permanent, failure.hard) == (
        "ann@example.org", reason, False, False)
