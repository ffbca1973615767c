"""A bounce body without its headers (pasted from a ticket, a webhook, a log) is read as a
bounce, and the report says the headers were missing (issue 11.1). Messages written here."""

from __future__ import annotations

import pytest

from maildiag.bounce import BounceKind, parse_bounce

BODIES = {
    "postfix notice": (
        b"This is the mail system at host mx.shop.example.\n\nI'm sorry to have to inform you that your "
        b"message could not\nbe delivered to one or more recipients.\n\n<jane@shop-customer.example>: host "
        b"mx.shop-customer.example[192.0.2.1] said: 550 5.1.1\n    <jane@shop-customer.example>: Recipient "
        b"address rejected: User unknown (in reply to RCPT TO command)\n", "user_unknown"),
    "DSN fields only": (
        b"Reporting-MTA: dns; mx.shop.example\n\nFinal-Recipient: rfc822; jane@shop-customer.example\n"
        b"Action: failed\nStatus: 5.2.2\nDiagnostic-Code: smtp; 552 5.2.2 Mailbox full\n", "mailbox_full"),
    "exim notice": (
        b"A message that you sent could not be delivered to one or more of its\nrecipients. This is a "
        b"permanent error. The following address(es) failed:\n\n  jane@shop-customer.example\n    host "
        b"mx.shop-customer.example [192.0.2.1]\n    SMTP error from remote mail server after "
        b"RCPT TO:<jane@shop-customer.example>:\n    550 5.1.1 User unknown\n", "user_unknown"),
    "postfix log line": (
        b"2026-12-01 10:00:01 postfix/smtp[123]: 4F3A: to=<jane@shop-customer.example>, "
        b"relay=mx.shop-customer.example[192.0.2.1]:25, status=bounced (host mx.shop-customer.example"
        b"[192.0.2.1] said: 550 5.1.1 <jane@shop-customer.example>: Recipient address rejected: User unknown "
        b"(in reply to RCPT TO command))\n", "user_unknown"),
    # No status code at all, and the notice's sentence wrapped mid-phrase by its template.
    "wrapped notice, no code": (
        b"This is the mail system at host mx.shop.example.\n\nI'm sorry to have to inform you that your "
        b"message could not\nbe delivered to one or more recipients.\n\n<jane@shop-customer.example>: "
        b"connect to mx.shop-customer.example[192.0.2.1]:25: Connection\n    refused\n", "network"),
    "list of recipients": (
        b"    This is the MAILER-DAEMON, please DO NOT REPLY to this email.\n\n    An error has occurred "
        b"while attempting to deliver a message for\n    the following list of recipients:\n\n"
        b"jane@shop-customer.example: Domain does not exist\n", "domain_not_found"),
    # The notice quotes the returned message's header fields: its From (with a display name)
    # is the sender, not a second recipient.
    "quoted header fields": (
        b"This report relates to a message you sent with the following header fields:\n\n"
        b"  From: Example Shop <shop@shop.example>\n  To: jane@shop-customer.example\n"
        b"  Subject: Your order\n\nYour message cannot be delivered to the following recipients:\n\n"
        b"  Recipient address: jane@shop-customer.example\n  Reason: Remote SMTP server has rejected address\n"
        b"  Diagnostic code: smtp;550 5.1.1 <jane@shop-customer.example>... User Unknown\n", "user_unknown"),
}


@pytest.mark.parametrize(("raw", "reason"), BODIES.values(), ids=BODIES.keys())
@pytest.mark.parametrize("as_text", [False, True], ids=["bytes", "str"])
def test_a_bounce_body_without_headers_is_read(raw: bytes, reason: str, as_text: bool) -> None:
    report = parse_bounce(raw.decode() if as_text else raw)
    assert report.kind is BounceKind.FAILURE
    assert [(r.recipient, r.reason) for r in report.failures] == [("jane@shop-customer.example", reason)]
    assert "bounce.headers_missing" in [f.code for f in report.findings]
    assert report.subject == "" and report.date is None  # nothing made up is reported


@pytest.mark.parametrize("raw", [b"hello there, how are you\n", b"\x00\x01\x02 not mail", b"", b"550"])
def test_other_headerless_text_is_still_malformed(raw: bytes) -> None:
    assert parse_bounce(raw).kind is BounceKind.MALFORMED


def test_ordinary_mail_with_failure_words_is_not_a_bounce() -> None:
    """The broad wording is for text given as a bounce without headers; a message with headers
    and no sign of a notice (a person's reply) stays ordinary mail whatever it says."""
    raw = (
        b"From: Jane <jane@shop-customer.example>\nTo: shop@shop.example\nSubject: Re: my order\n\n"
        b"Hello, the parcel was refused at the door and could not deliver it, the courier said the "
        b"mailbox is full of flyers. Please write to mike@shop-customer.example instead.\n"
    )
    report = parse_bounce(raw)
    assert report.kind is BounceKind.NOT_A_BOUNCE
    assert not report.recipients
