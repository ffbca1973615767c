"""parse_bounce on hand-made messages: input types, kinds, recipients, the Diagnosis."""

from __future__ import annotations

import email
from pathlib import Path

import pytest

from maildiag.bounce import BounceKind, BounceReport, parse_bounce

DSN = b"""\
From: Mail Delivery System <MAILER-DAEMON@mx.shop.example>
To: orders@shop.example
Subject: Undelivered Mail Returned to Sender
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

I'm sorry to have to inform you that your message could not be delivered.

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.shop.example

Final-Recipient: rfc822; jane@gmial.com
Original-Recipient: rfc822; jane.alias@example.org
Action: failed
Status: 5.1.1
Remote-MTA: dns; mx.gmial.com
Diagnostic-Code: smtp; 550 5.1.1 <jane@gmial.com>: Recipient address rejected: User unknown

Final-Recipient: rfc822; bob@example.net
Action: delayed
Status: 4.2.2
Diagnostic-Code: smtp; 452 4.2.2 Mailbox full

--B--
"""

TEXT_BOUNCE = b"""\
From: MAILER-DAEMON@mx.example.org
To: orders@shop.example
Subject: failure notice

Hi. This is the qmail-send program at mx.example.org.
I'm afraid I wasn't able to deliver your message to the following addresses.

<ann@example.com>:
192.0.2.1 does not like recipient.
Remote host said: 550 5.1.1 sorry, no mailbox here by that name

--- Below this line is a copy of the message.

From: orders@shop.example
To: ann@example.com
Subject: Your order
"""

PLAIN = b"From: a@example.com\nTo: b@example.com\nSubject: hello\n\nJust saying hi.\n"
VACATION = (
    b"From: carol@example.com\nTo: orders@shop.example\nSubject: Out of Office: Your order\n"
    b"Auto-Submitted: auto-replied\n\nI am away until Monday.\n"
)


def test_dsn_recipients_reasons_and_fields() -> None:
    report = parse_bounce(DSN)
    assert report.kind is BounceKind.FAILURE
    assert report.decoder == "rfc3464"
    first, second = report.failures
    assert (first.recipient, first.original_recipient) == ("jane@gmial.com", "jane.alias@example.org")
    assert (first.status, first.reply_code, first.remote_mta) == ("5.1.1", 550, "mx.gmial.com")
    assert (first.reason, first.hard, first.permanent) == ("user_unknown", True, True)
    assert (second.reason, second.hard, second.permanent, second.action) == (
        "mailbox_full", False, False, "delayed")


def test_typo_address_that_bounced_gets_the_suggestion() -> None:
    first = parse_bounce(DSN).failures[0]
    assert first.diagnosis.codes[0] == "bounce.user_unknown"
    assert first.diagnosis.suggestion == "jane@gmail.com"
    assert first.diagnosis.verdict.value == "fix"
    assert "jane@gmial.com" in first.message()
    assert "jane@gmial.com" in first.message("he")


@pytest.mark.parametrize(
    "convert",
    [
        pytest.param(lambda raw, tmp: raw, id="bytes"),
        pytest.param(lambda raw, tmp: raw.decode(), id="str"),
        pytest.param(lambda raw, tmp: email.message_from_bytes(raw), id="message"),
        pytest.param(lambda raw, tmp: (tmp / "b.eml", (tmp / "b.eml").write_bytes(raw))[0], id="path"),
    ],
)
def test_accepts_every_input_type(convert, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    report = parse_bounce(convert(TEXT_BOUNCE, tmp_path))
    assert [r.recipient for r in report.failures] == ["ann@example.com"]
    assert report.failures[0].reason == "user_unknown"


def test_text_bounce_never_reports_the_sender() -> None:
    report = parse_bounce(TEXT_BOUNCE)
    assert "orders@shop.example" not in {r.recipient for r in report.recipients}


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        pytest.param(PLAIN, BounceKind.NOT_A_BOUNCE, id="plain"),
        pytest.param(VACATION, BounceKind.AUTO_REPLY, id="vacation"),
        pytest.param(b"\x00\xff\xfe garbage \x00", BounceKind.MALFORMED, id="garbage"),
        pytest.param(b"", BounceKind.MALFORMED, id="empty"),
    ],
)
def test_non_failures_are_told_apart(raw: bytes, kind: BounceKind) -> None:
    report = parse_bounce(raw)
    assert report.kind is kind
    assert report.failures == ()


def test_size_cap_gives_a_finding() -> None:
    report = parse_bounce(DSN, max_bytes=100)
    assert report.kind is BounceKind.TOO_LARGE
    assert report.findings[0].code == "bounce.too_large"
    assert report.findings[0].params["limit"] == 100


def test_pipe_target_is_never_a_recipient() -> None:
    raw = DSN.replace(b"rfc822; bob@example.net", b"rfc822; |/usr/bin/procmail bob@example.net")
    assert [r.recipient for r in parse_bounce(raw).failures] == ["jane@gmial.com"]


def test_ses_json_notification() -> None:
    body = (
        b'{"notificationType":"Bounce","bounce":{"bounceType":"Permanent","bounceSubType":"General",'
        b'"bouncedRecipients":[{"emailAddress":"dan@example.com","action":"failed","status":"5.1.1",'
        b'"diagnosticCode":"smtp; 550 5.1.1 user unknown"}]},"mail":{"source":"orders@shop.example"}}'
    )
    raw = b"From: no-reply@sns.amazonaws.com\nTo: orders@shop.example\nSubject: AWS Notification Message\n\n"
    report = parse_bounce(raw + body)
    assert report.decoder == "amazonses"
    assert [(r.recipient, r.reason) for r in report.failures] == [("dan@example.com", "user_unknown")]


def test_report_round_trips_through_dict() -> None:
    report = parse_bounce(DSN, source="x.eml")
    assert BounceReport.from_dict(report.to_dict()) == report


FIELDS_FIRST = b"""\
From: Mail Delivery Subsystem <MAILER-DAEMON@mx.shop.example>
To: orders@shop.example
Subject: Delivery Status Notification (Failure)
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

This message could not be delivered.

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.shop.example

Diagnostic-Code: smtp; 550 5.1.1 RCP-P1 Recipient address does not exist
Status: 5.1.1
Final-Recipient: rfc822; jane@example.org
Action: failed

--B--
"""


def test_dsn_fields_before_final_recipient_belong_to_it() -> None:
    # RFC 3464 fixes no order inside a recipient group; some reporters put Final-Recipient last.
    (failure,) = parse_bounce(FIELDS_FIRST).failures
    assert (failure.recipient, failure.status, failure.reason) == ("jane@example.org", "5.1.1", "user_unknown")


CONTACT_REPEATED = b"""\
From: MAILER-DAEMON@mail.shop.example
To: orders@shop.example
Subject: Undelivered Mail Returned to Sender

I'm sorry to have to inform you that the message could not be delivered.
For further assistance, please contact <support@isp.example>

The same notice in another language: <support@isp.example>

<jane@example.org>: host mx.example.org[192.0.2.1] said: 550 5.1.1 <jane@example.org>:
    Recipient address rejected: User unknown (in reply to RCPT TO command)
"""


def test_helpdesk_address_is_not_a_recipient_even_when_repeated() -> None:
    report = parse_bounce(CONTACT_REPEATED)
    assert [f.recipient for f in report.failures] == ["jane@example.org"]


X_UNIX = DSN.replace(
    b"Diagnostic-Code: smtp; 550 5.1.1 <jane@gmial.com>: Recipient address rejected: User unknown",
    b"Diagnostic-Code: X-Unix; 255",
).replace(b"Status: 5.1.1", b"Status: 5.0.0")


def test_local_mailer_exit_status_is_a_receiver_error() -> None:
    reasons = {f.recipient: f.reason for f in parse_bounce(X_UNIX).failures}
    assert reasons["jane@gmial.com"] == "receiver_error"


NO_BOUNDARY = b"""\
From: MAILER-DAEMON@mx.shop.example
To: orders@shop.example
Subject: Delivery Notification: Delivery has failed
MIME-Version: 1.0
Content-Type: multipart/report; boundary="never-used"; report-type=delivery-status

Your message cannot be delivered to the following recipients:

  Recipient address: jane@example.org
  Diagnostic code: smtp; 550 5.1.1 User Unknown: jane@example.org

Action: failed
Status: 5.1.1
Final-recipient: rfc822;jane@example.org
Diagnostic-code: smtp; 550 5.1.1 User Unknown: jane@example.org
"""


def test_multipart_without_its_boundary_is_still_read() -> None:
    (failure,) = parse_bounce(NO_BOUNDARY).failures
    assert (failure.recipient, failure.reason) == ("jane@example.org", "user_unknown")


TO_ITSELF = b"""\
From: MAILER-DAEMON@example.ad.jp
To: jane@example.ad.jp
Subject: failure notice

Hi. This is the qmail-send program at example.ad.jp.
I'm afraid I wasn't able to deliver your message to the following addresses.
This is a permanent error; I've given up. Sorry it didn't work out.

<jane@example.ad.jp>:
192.0.2.1 does not like recipient.
Remote host said: 552 Error: disk quota exceeded
"""


def test_bounce_returned_to_the_failed_address_itself() -> None:
    (failure,) = parse_bounce(TO_ITSELF).failures
    assert (failure.recipient, failure.reason) == ("jane@example.ad.jp", "mailbox_full")


REASON_FIRST = b"""\
From: MAILER-DAEMON@mail.example.ne.jp
To: orders@shop.example
Subject: Mail System Error - Returned Mail

The user(s) account is disabled.

<jane@example.ne.jp>
"""


def test_reason_told_before_the_only_recipient() -> None:
    (failure,) = parse_bounce(REASON_FIRST).failures
    assert (failure.recipient, failure.reason) == ("jane@example.ne.jp", "mailbox_disabled")


EXCHANGE_SUMMARY = b"""\
From: postmaster@mail.example.jp
To: orders@shop.example
Subject: Undeliverable: Nyaan

Your message

  To:      bob@example.net
  Subject: Nyaan
  Sent:    Thu, 29 Apr 2010 00:00:00 -0000

did not reach the following recipient(s):

jane@example.jp on Thu, 29 Apr 2010 00:00:00 -0000
    The recipient name is not recognized
"""


def test_to_line_of_the_original_summary_is_not_a_recipient() -> None:
    assert [f.recipient for f in parse_bounce(EXCHANGE_SUMMARY).failures] == ["jane@example.jp"]


PASTED_DSN = b"""\
From: Mail Delivery Subsystem <MAILER-DAEMON@mx.shop.example>
To: orders@shop.example
Subject: Returned mail: see transcript for details

       ----- The following addresses had delivery problems -----
<jane@example.org> (unrecoverable error)
<bob@example.net> (unrecoverable error)

Reporting-MTA: dns; mx.shop.example

Final-Recipient: rfc822;jane@example.org
Action: failed
Status: 5.2.2
Diagnostic-Code: smtp; 552 mailbox over quota

Final-Recipient: rfc822;bob@example.net
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 user unknown
"""


def test_dsn_pasted_as_text_fills_the_named_recipients() -> None:
    got = {f.recipient: (f.status, f.reason) for f in parse_bounce(PASTED_DSN).failures}
    assert got == {"jane@example.org": ("5.2.2", "mailbox_full"), "bob@example.net": ("5.1.1", "user_unknown")}


def test_status_comment_is_part_of_the_explanation() -> None:
    raw = DSN.replace(b"Status: 5.1.1", b"Status: 5.2.1 (mailbox disabled, not accepting messages)").replace(
        b"Recipient address rejected: User unknown", b"User Unknown"
    )
    reasons = {f.recipient: f.reason for f in parse_bounce(raw).failures}
    assert reasons["jane@gmial.com"] == "mailbox_disabled"


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        pytest.param("5.0.0", "sender_rejected", id="reception-settings-refuse-the-sender"),
        pytest.param("5.2.0", "filtered", id="mailbox-status-is-the-domain-filter"),
    ],
)
def test_docomo_unknown_user_after_data(status: str, expected: str) -> None:
    raw = (
        DSN.replace(b"Status: 5.1.1", b"Status: " + status.encode())
        .replace(b"Remote-MTA: dns; mx.gmial.com", b"Remote-MTA: dns; mfsmax.docomo.ne.jp")
        .replace(
            b"550 5.1.1 <jane@gmial.com>: Recipient address rejected: User unknown",
            b"550 Unknown user jane@gmial.com (in reply to end of DATA command)",
        )
    )
    reasons = {f.recipient: f.reason for f in parse_bounce(raw).failures}
    assert reasons["jane@gmial.com"] == expected


NESTED_REPORT = b"""\
From: Mail Delivery Subsystem <MAILER-DAEMON@relay.example.net>
To: notifications@relay.example.net
Subject: Returned mail: User unknown
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="OUTER"

--OUTER
Content-Type: text/plain

   ----- The following addresses had permanent delivery errors -----

--OUTER
Content-Type: message/rfc822

From: Mail Delivery Subsystem <MAILER-DAEMON@mx.example.org>
To: orders@shop.example
Subject: Returned mail: User unknown
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="INNER"

--INNER
Content-Type: text/plain

The following addresses had permanent delivery errors: ann@example.com

--INNER
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.org

Final-Recipient: rfc822; ann@example.com
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 User unknown

--INNER--

--OUTER--
"""

PASTED_DSN_ECHO = b"""\
From: MAILER-DAEMON@mail.example.net
To: orders@shop.example
Subject: Delivery Status Notification (Failure)

An error occurred while trying to deliver the mail to the following recipients:
ann@example.com

Technical report:

Reporting-MTA: dsn; mail.example.net

Action: failed
Final-Recipient: rfc822; ann@example.com
Diagnostic-Code: smtp; 550 5.1.1 <ann.alias@example.com>... User Unknown
Status: 5.1.1
"""

DISPLAY_NAME_ADDRESS = b"""\
From: Mail Delivery System <mailer-daemon@mx.shop.example>
To: orders@shop.example
Subject: Mail failure - malformed recipient address

A message that you sent contained one or more recipient addresses that were
incorrectly constructed:

  ann@example.com <bob@example.net>: malformed address: <bob@example.net> may not follow ann@example.com

This address has been ignored.
"""


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param(NESTED_REPORT, ["ann@example.com"], id="bounce-of-a-bounce-reads-the-returned-report"),
        pytest.param(PASTED_DSN_ECHO, ["ann@example.com"], id="address-echoed-in-pasted-diagnostic-is-not-a-recipient"),
        pytest.param(DISPLAY_NAME_ADDRESS, ["bob@example.net"], id="address-used-as-display-name-is-not-a-recipient"),
    ],
)
def test_text_bounce_recipient_rules(raw: bytes, expected: list[str]) -> None:
    report = parse_bounce(raw)
    assert report.kind is BounceKind.FAILURE
    assert [r.recipient for r in report.failures] == expected


SENT_TO_ITSELF = b"""\
From: Mail Delivery System <mailer-daemon@mx.shop.example>
To: ann@example.com
Subject: Mail delivery failed: returning message to sender

A message that you sent could not be delivered to one or more of
its recipients. This is a permanent error. The following address(es)
failed:

ann@example.com:
SMTP error from remote server for TEXT command: 550 5.2.0 Mail rejected.

--- The header of the original message is following. ---

From: <ann@example.com>
To: team@example.com
Subject: Minutes
Date: Mon, 16 Dec 2019 12:54:27 +0100
"""


def test_failure_list_naming_the_bounce_addressee_wins_over_the_returned_to() -> None:
    # The sender also addressed the message to itself (or Bcc): the list says who failed.
    report = parse_bounce(SENT_TO_ITSELF)
    assert [r.recipient for r in report.failures] == ["ann@example.com"]


X400_PREFIX = b"""\
From: System Administrator <postmaster@mail.example.net>
To: orders@shop.example
Subject: Undeliverable: Your order

Your message

  To:      team@example.net
  Subject: Your order

did not reach the following recipient(s):

c=US;a= ;p=Example;o=Hub;dda:SMTP=Ann.Lee@example.net; on Fri, 4 Oct 2024 17:12:28 -0400
    The recipient name is not recognized
"""

PROXY_PREFIX = b"""\
From: System Administrator <postmaster@mail.example.net>
To: orders@shop.example
Subject: Undeliverable: Your order

Delivery has failed to these recipients:

    smtp:ann@example.net
    The e-mail account does not exist at the organization this message was sent to.
"""

CC_SUMMARY = b"""\
From: System Administrator <postmaster@mail.example.net>
To: orders@shop.example
Subject: Undeliverable: Your order

Your message

  To:      list@lists.example.org
  Cc:      other-list@lists.example.org; third@lists.example.org
  Subject: Your order
  Sent:    Thu, 11 Jul 2024 16:52:33 -0300

did not reach the following recipient(s):

ann@example.net on Thu, 11 Jul 2024 16:54:54 -0300
    The recipient name is not recognized
"""


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param(X400_PREFIX, ["ann.lee@example.net"], id="x400-dda-smtp-prefix-is-not-part-of-the-address"),
        pytest.param(PROXY_PREFIX, ["ann@example.net"], id="smtp-proxy-prefix-is-not-part-of-the-address"),
        pytest.param(CC_SUMMARY, ["ann@example.net"], id="cc-line-of-the-original-summary-is-not-a-recipient"),
    ],
)
def test_summary_and_prefix_rules(raw: bytes, expected: list[str]) -> None:
    report = parse_bounce(raw)
    assert report.kind is BounceKind.FAILURE
    assert [r.recipient for r in report.failures] == expected


def _dsn_group(group: bytes) -> bytes:
    return DSN.split(b"Final-Recipient: rfc822; jane@gmial.com")[0] + group + b"\n--B--\n"


@pytest.mark.parametrize(
    "group",
    [
        pytest.param(
            b"Original-Recipient: rfc822; ann@example.org\nFinal-Recipient: rfc822; ann@ms-daemon\n"
            b"Action: failed\nStatus: 5.2.2 (recipient reached disk quota)\n",
            id="original-before-final",
        ),
        pytest.param(
            b"Final-Recipient: rfc822; ann@ms-daemon\nAction: failed\n"
            b"Status: 5.2.2 (recipient reached disk quota)\nOriginal-Recipient: rfc822; ann@example.org\n",
            id="original-after-final",
        ),
    ],
)
def test_unusable_final_recipient_is_named_by_its_original(group: bytes) -> None:
    # An internal route ("ann@ms-daemon") is no address anyone can fix: the one the sender used is.
    report = parse_bounce(_dsn_group(group))
    assert report.decoder == "rfc3464"
    assert [(r.recipient, r.status) for r in report.failures] == [("ann@example.org", "5.2.2")]


DID_NOT_RECEIVE_A_COPY = b"""\
From: MDaemon@mx.example.net
To: orders@shop.example
Subject: Permanent Delivery Failure

The attached message had PERMANENT fatal delivery errors!

The following addresses did NOT receive a copy of your message:

> ann@example.net

--- Session Transcript ---
 RCPT To:<ann@example.net>
 552 Message for <ann@example.net> would exceed mailbox quota
"""

GENERATED_FROM_UNDISCLOSED = b"""\
From: Mail Delivery System <Mailer-Daemon@mx.example.net>
To: orders@shop.example
Subject: Mail delivery failed: returning message to sender

A message that you sent could not be delivered to one or more of its
recipients. This is a permanent error. The following address(es) failed:

  an undisclosed address
    (generated from ann@example.net)

------ This is a copy of the message, including all the headers. ------

Message removed
"""

SENT_TO_ONESELF = b"""\
From: MAILER-DAEMON@mx.shop.example (Mail Delivery System)
To: ann@shop.example
Subject: Undelivered Mail Returned to Sender
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="B"

--B
Content-Type: text/plain

I'm sorry to have to inform you that the message returned
below could not be delivered to one or more destinations.

<ann@example.net>: Name service error for domain example.net: Host not found

--B
Content-Type: message/rfc822

From: ann@example.net
To: ann@example.net
Subject: testing

hello
--B--
"""


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param(DID_NOT_RECEIVE_A_COPY, ["ann@example.net"], id="did-not-receive-a-copy-heads-the-list"),
        pytest.param(GENERATED_FROM_UNDISCLOSED, ["ann@example.net"], id="undisclosed-target-named-by-its-origin"),
        pytest.param(SENT_TO_ONESELF, ["ann@example.net"], id="message-sent-to-its-own-author"),
    ],
)
def test_failure_list_rules(raw: bytes, expected: list[str]) -> None:
    report = parse_bounce(raw)
    assert report.kind is BounceKind.FAILURE
    assert [r.recipient for r in report.failures] == expected


BULLET_SUMMARY = b"""\
From: MAILER-DAEMON <mailer-daemon@mx.example.net>
To: orders@shop.example
Subject: Undeliverable: your order

Delivery has failed to these recipients or distribution lists:

\t* [ann@example.net]: 550 ann@example.net...User account is overquota

Original message details:

\t* From: orders@shop.example
\t* To: team@example.org
\t* Subject: your order
"""

EXAMPLES_AND_PLACEHOLDERS = b"""\
From: MAILER-DAEMON@mx.example.edu
To: orders@shop.example
Subject: Returned mail - nameserver error report

 --------Message not delivered to the following:

 ann@example.edu    No matches to nameserver query

 The usual causes are typographical errors. Query the directory with
 ``finger NAME@directory.example.edu''. Try the most explicit form of the name,
 e.g., if bob.fox@example.edu fails, try robert.j.fox@example.edu.
 The standard form of email address here is lastnameNumber@example.edu.
"""

DIRECTORY_SUGGESTIONS = b"""\
From: postmaster@example.gov (Automated response from the postmaster)
To: orders@shop.example
Subject: FAILED MAIL to "ann"

The address to which your message was addressed, ann@example.gov, did not exactly
match an address here.

The following locator information may be of help in finding another means
of contacting "ann":

  Ann B. Other            +1 555-0100       ann.other@example.gov
"""


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param(BULLET_SUMMARY, ["ann@example.net"], id="bulleted-to-line-of-the-summary-is-not-a-recipient"),
        pytest.param(EXAMPLES_AND_PLACEHOLDERS, ["ann@example.edu"], id="examples-and-templates-are-not-recipients"),
        pytest.param(DIRECTORY_SUGGESTIONS, ["ann@example.gov"], id="directory-suggestions-are-not-recipients"),
    ],
)
def test_explanatory_addresses_are_not_recipients(raw: bytes, expected: list[str]) -> None:
    report = parse_bounce(raw)
    assert report.kind is BounceKind.FAILURE
    assert [r.recipient for r in report.failures] == expected


SIEVE_REJECT = b"""\
From: Mail Delivery Subsystem <postmaster@mail.example.net>
To: <orders@shop.example>
Subject: Automatically rejected mail
Auto-Submitted: auto-replied (rejected)
MIME-Version: 1.0
Content-Type: multipart/report; report-type=disposition-notification; boundary="R"

--R
Content-Type: text/plain

Your message to <ann@example.net> was automatically rejected:
Quota exceeded
--R
Content-Type: message/disposition-notification

Reporting-UA: mail; Example Mail Delivery Agent
Final-Recipient: rfc822; ann@example.net
Disposition: automatic-action/MDN-sent-automatically; {disposition}

--R--
"""


def test_sieve_reject_is_a_failure_of_the_final_recipient() -> None:
    # RFC 5429 §2.1.1: a Sieve "reject" answers with an MDN whose disposition is "deleted".
    report = parse_bounce(SIEVE_REJECT.replace(b"{disposition}", b"deleted"))
    assert report.kind is BounceKind.FAILURE
    assert [(r.recipient, r.reason) for r in report.failures] == [("ann@example.net", "mailbox_full")]


def test_read_receipt_is_not_a_refusal() -> None:
    receipt = (
        SIEVE_REJECT.replace(b"{disposition}", b"displayed")
        .replace(b"automatic-action/MDN-sent-automatically", b"manual-action/MDN-sent-manually")
        .replace(b"was automatically rejected:\nQuota exceeded", b"was displayed.")
        .replace(b"Subject: Automatically rejected mail", b"Subject: Read: your order")
        .replace(b"Auto-Submitted: auto-replied (rejected)\n", b"")
        .replace(b"Mail Delivery Subsystem <postmaster@", b"Ann <ann@")
    )
    report = parse_bounce(receipt)
    assert report.decoder != "rfc5429"
    assert not report.failures
