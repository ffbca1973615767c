"""Issue 11, items 2, 3 and 8, with messages written here (never copied from a held-out corpus).

- A recipient is reported whatever its domain (special-use names shops' staging uses).
- Delay warnings are temporary, never hard.
- Sender-authentication refusals of the big providers are ``auth_failure`` (the shop's fix).
"""

from __future__ import annotations

import pytest

from maildiag.bounce import parse_bounce


def dsn(recipient: str, status: str, diagnostic: str, action: str = "failed") -> bytes:
    return (
        "From: MAILER-DAEMON@mx.shop.example\nTo: orders@shop.example\n"
        "Subject: Undelivered Mail Returned to Sender\nMIME-Version: 1.0\n"
        "Content-Type: multipart/report; report-type=delivery-status; boundary=B\n\n"
        "--B\nContent-Type: text/plain\n\nThis is the mail system at host mx.shop.example.\n"
        "--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.shop.example\n\n"
        f"Final-Recipient: rfc822; {recipient}\nAction: {action}\nStatus: {status}\n"
        f"Diagnostic-Code: smtp; {diagnostic}\n--B--\n"
    ).encode()


def exim(recipient: str) -> bytes:
    return (
        "From: Mail Delivery System <Mailer-Daemon@mx.shop.example>\nTo: orders@shop.example\n"
        "Subject: Mail delivery failed: returning message to sender\n\n"
        "This message was created automatically by mail delivery software.\n\n"
        "A message that you sent could not be delivered to one or more of its\n"
        "recipients. This is a permanent error. The following address(es) failed:\n\n"
        f"  {recipient}\n    host mx.staging.example [10.0.0.2]\n"
        "    SMTP error from remote mail server after RCPT TO:<" + recipient + ">:\n"
        "    550 5.1.1 User unknown\n"
    ).encode()


@pytest.mark.parametrize("recipient", ["jane@x.test", "qa@staging.localhost", "ops@printer.local",
                                       "nobody@nowhere.invalid", "jane@example.com"])
@pytest.mark.parametrize("make", [lambda r: dsn(r, "5.1.1", "550 5.1.1 User unknown"), exim], ids=["dsn", "exim"])
def test_a_recipient_at_a_special_use_domain_is_reported(recipient: str, make: object) -> None:
    report = parse_bounce(make(recipient))  # type: ignore[operator]
    assert [r.recipient for r in report.failures] == [recipient]
    (r,) = report.failures
    # ... and its diagnosis says why no public mail reaches it.
    assert {"syntax.domain_special_use", "syntax.domain_reserved"} & set(r.diagnosis.codes)


DELAYS = {
    "postfix delayed DSN": dsn("jane@shop-customer.example", "4.4.1", "Connection timed out", action="delayed"),
    "exim delay warning": (
        b"From: Mail Delivery System <Mailer-Daemon@mx.shop.example>\nTo: orders@shop.example\n"
        b"Subject: Warning: message 1abcDE-000123-AB delayed 24 hours\n\n"
        b"This message was created automatically by mail delivery software.\n"
        b"A message that you sent has not yet been delivered to one or more of its\n"
        b"recipients after more than 24 hours on the queue on mx.shop.example.\n\n"
        b"The address to which the message has not yet been delivered is:\n\n"
        b"  jane@shop-customer.example\n    host mx.shop-customer.example [192.0.2.7]\n"
        b"    Delay reason: SMTP error from remote mail server after RCPT TO:<jane@shop-customer.example>:\n"
        b"    451 4.3.0 Temporary lookup failure; user unknown if this persists\n\n"
        b"No action is required on your part. Delivery attempts will continue for\nsome time.\n"
    ),
    "sendmail warning": (
        b"From: Mail Delivery Subsystem <MAILER-DAEMON@mx.shop.example>\nTo: orders@shop.example\n"
        b"Subject: Warning: could not send message for past 4 hours\n\n"
        b"    **********************************************\n"
        b"    **      THIS IS A WARNING MESSAGE ONLY      **\n"
        b"    **  YOU DO NOT NEED TO RESEND YOUR MESSAGE  **\n"
        b"    **********************************************\n\n"
        b"The original message was received at Mon, 1 Dec 2026 10:00:00 GMT\n\n"
        b"   ----- Transcript of session follows -----\n"
        b"<jane@shop-customer.example>... Deferred: Connection refused by mx.shop-customer.example.\n"
        b"Warning: message still undelivered after 4 hours\nWill keep trying until message is 5 days old\n"
    ),
}


@pytest.mark.parametrize("raw", DELAYS.values(), ids=DELAYS.keys())
def test_delay_warnings_are_temporary_never_hard(raw: bytes) -> None:
    report = parse_bounce(raw)
    assert report.failures, report.findings
    for r in report.failures:
        assert (r.permanent, r.hard) == (False, False), (r.reason, r.status, r.diagnostic)


@pytest.mark.parametrize(("status", "text"), [
    ("5.7.26", "550-5.7.26 Unauthenticated email from shop.example is not accepted due to domain's DMARC policy."),
    ("4.7.26", "421-4.7.26 Unauthenticated email from shop.example is not accepted."),
    ("5.7.27", "550-5.7.27 The sender's SPF record does not pass and the domain has no DKIM."),
    ("5.7.30", "550-5.7.30 This message is not signed with a valid DKIM signature."),
    ("5.7.32", "550-5.7.32 The From header is not aligned with the authenticated domains."),
    ("5.7.40", "550-5.7.40 Your email has been blocked because the sender is unauthenticated."),
    ("5.7.515", "550 5.7.515 Access denied, sending domain shop.example doesn't meet the required "
                "authentication level."),
])
def test_provider_sender_authentication_refusals_are_auth_failure(status: str, text: str) -> None:
    (r,) = parse_bounce(dsn("jane@gmail.com", status, text)).failures
    assert r.reason == "auth_failure"
    assert r.finding.actor.value == "shop" and not r.hard


def text_bounce(subject: str, body: str, sender: str = "MAILER-DAEMON@mx.example.net") -> bytes:
    return f"From: {sender}\nTo: orders@shop.example\nSubject: {subject}\n\n{body}".encode()


# Items 4, 5, 6, 7 of issue 11: reasons from the reply (never from an address in it), phrases
# without a status code, the refused sender never a "failed recipient", challenges not bounces.
PHRASED = {
    "qmail no mailbox": (text_bounce("failure notice", (
        "Hi. This is the qmail-send program at mx.example.net.\nI'm afraid I wasn't able to deliver your "
        "message to the following addresses.\nThis is a permanent error; I've given up.\n\n"
        "<jane@shop-customer.example>:\nSorry, no mailbox here by that name. (#5.1.1)\n")), "user_unknown"),
    "over quota, no code": (text_bounce("Delivery Status Notification (Failure)", (
        "Delivery to the following recipient failed permanently:\n\n     jane@shop-customer.example\n\n"
        "The recipient's mailbox is over quota.\n")), "mailbox_full"),
    "qmail rcpthosts": (text_bounce("failure notice", (
        "Hi. This is the qmail-send program at mx.example.net.\n\n<jane@shop-customer.example>:\n"
        "192.0.2.1 does not like recipient.\nRemote host said: 553 sorry, that domain isn't in my list of "
        "allowed rcpthosts (#5.7.1)\n")), "policy"),
    "account not active": (text_bounce("Undeliverable: Your order", (
        "Your message to jane@shop-customer.example couldn't be delivered.\nThe account is not active.\n"
        "550 5.0.0\n")), "mailbox_disabled"),
    "spam score": (text_bounce("Undelivered Mail Returned to Sender", (
        "<jane@shop-customer.example>: host mx.shop-customer.example[192.0.2.1] said: 550 Message rejected: "
        "spam score 12.3 exceeds threshold 5.0 (in reply to end of DATA command)\n")), "spam"),
    "RBL": (text_bounce("Undelivered Mail Returned to Sender", (
        "<jane@shop-customer.example>: host mx.shop-customer.example[192.0.2.1] said: 554 Service "
        "unavailable; Client host [198.51.100.7] blocked using zen.spamhaus.org (in reply to RCPT TO command)\n"
    )), "blocked"),
    "sender refused, quoted": (text_bounce("Undelivered Mail Returned to Sender", (
        "This is the mail system at host mx.example.net.\n\n<jane@shop-customer.example>: host "
        "mx.shop-customer.example[192.0.2.1] said:\n    554 5.7.1 <orders@shop.example>: Sender address "
        "rejected: Access denied (in reply to RCPT TO command)\n")), "sender_rejected"),
}


@pytest.mark.parametrize(("raw", "reason"), PHRASED.values(), ids=PHRASED.keys())
def test_phrased_bounces_name_their_reason_and_only_the_recipient(raw: bytes, reason: str) -> None:
    report = parse_bounce(raw)
    assert [(r.recipient, r.reason) for r in report.failures] == [("jane@shop-customer.example", reason)]


@pytest.mark.parametrize("mailbox", ["dmarc", "spam", "abuse", "blocked"])
def test_the_reason_comes_from_the_reply_never_from_the_address(mailbox: str) -> None:
    (r,) = parse_bounce(dsn(f"{mailbox}@shop-customer.example", "5.0.1", "550 5.0.1 recipient rejected")).failures
    assert r.reason not in ("auth_failure", "spam", "blocked")


def test_a_challenge_response_request_is_not_a_bounce() -> None:
    raw = text_bounce("Request to join jane@shop-customer.example's Guest List", (
        "Hello,\n\nYour message to jane@shop-customer.example is waiting for your confirmation.\n"
        "Please verify that you are a real person by clicking the link below; your message is held until "
        "you confirm.\n\nhttps://verify.example/x\n"), sender="jane@shop-customer.example")
    assert parse_bounce(raw).kind.value in ("not_a_bounce", "auto_reply")
