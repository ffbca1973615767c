"""Bounce rows carry what support asks for next (issue 10.4): the bounce's date, the returned
message's sender, subject and Message-ID, the remote MTA and the refused SMTP command."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from maildiag.bounce import BounceReport, parse_bounce
from maildiag.cli import main

CORPUS = Path(__file__).resolve().parents[1] / "corpora" / "bounces-dev"
SENDMAIL = CORPUS / "lhost-sendmail-01.eml"


def test_a_sendmail_bounce_names_everything_support_needs() -> None:
    report = parse_bounce(SENDMAIL)
    assert report.date == "Wed, 16 Oct 2013 14:15:35 +0900"
    assert report.original_from == '"Kijitora Cat" <kijitora@example.org>'
    assert report.original_subject == "バウンスメールのテスト(日本語)"  # RFC 2047 decoded
    assert report.original_message_id == "<E1C50F1B-1C83-4820-BC36-AC6FBFBE8568@example.org>"
    (r,) = report.failures
    assert (r.remote_mta, r.smtp_command) == ("mx.bouncehammer.jp", "DATA")
    assert BounceReport.from_dict(json.loads(json.dumps(report.to_dict()))) == report


def test_the_csv_and_json_rows_carry_them() -> None:
    out = io.StringIO()
    main(["bounce", "--csv", str(SENDMAIL)], out=out)
    (row,) = csv.DictReader(io.StringIO(out.getvalue()))
    assert row["smtp_command"] == "DATA" and row["remote_mta"] == "mx.bouncehammer.jp"
    assert row["original_message_id"].startswith("<E1C50F1B") and row["date"].startswith("Wed, 16 Oct 2013")
    out = io.StringIO()
    main(["bounce", "--json", str(SENDMAIL)], out=out)
    data = json.loads(out.getvalue())
    assert data["original_subject"] == "バウンスメールのテスト(日本語)"
    assert data["recipients"][0]["smtp_command"] == "DATA"


def test_a_postfix_bounce_names_the_refused_command() -> None:
    commands = {r.smtp_command for p in sorted(CORPUS.glob("lhost-postfix-0*.eml"))
                for r in parse_bounce(p).failures}
    assert "RCPT" in commands


EXIM_INLINE = b"""From: Mail Delivery System <Mailer-Daemon@mx.example.org>
To: shop@example.net
Date: Tue, 02 Jan 2024 10:00:00 +0000
Subject: Mail delivery failed: returning message to sender
X-Failed-Recipients: jane@example.org
Content-Type: text/plain

This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of its
recipients. This is a permanent error. The following address(es) failed:

  jane@example.org
    host mx.example.org [192.0.2.1]
    SMTP error from remote mail server after RCPT TO:<jane@example.org>:
    550 5.1.1 <jane@example.org>: Recipient address rejected: User unknown

------ This is a copy of the message, including all the headers. ------

Return-path: <bounces@example.net>
Received: from shop by mx.example.net with local (Exim 4.96)
From: =?utf-8?q?Caf=C3=A9_Shop?= <shop@example.net>
To: jane@example.org
Subject: =?utf-8?q?Your_order_at_the_caf=C3=A9?=
Message-Id: <order-17@example.net>
Date: Tue, 02 Jan 2024 09:59:00 +0000

Thanks for your order.
From: not@a-header.example
"""


def test_an_exim_bounce_quoting_the_message_inline_names_it() -> None:
    """Exim's default bounce is one text part with the returned message's headers quoted
    after "This is a copy of the message": those headers are the original message's."""
    report = parse_bounce(EXIM_INLINE)
    assert report.date == "Tue, 02 Jan 2024 10:00:00 +0000"
    assert report.original_from == "Café Shop <shop@example.net>"
    assert report.original_subject == "Your order at the café"
    assert report.original_message_id == "<order-17@example.net>"
    (r,) = report.failures
    assert (r.recipient, r.remote_mta, r.smtp_command) == ("jane@example.org", "mx.example.org", "RCPT")


def test_quoted_indented_headers_and_return_path_as_sender() -> None:
    """Indented (or ">"-quoted) header copies are read too, folded lines unfolded; with no
    From, the Return-Path (RFC 5321 §4.4) is the sender."""
    text = EXIM_INLINE.split(b"------ This is a copy")[0] + (
        b"------ This is a copy of the message's headers. ------\n\n"
        b"> Return-path: <bounces@example.net>\n> Subject: Your order\n>  number 17\n"
        b"> Message-Id: <order-17@example.net>\n>\n> body\n"
    )
    report = parse_bounce(text)
    assert (report.original_from, report.original_subject, report.original_message_id) == (
        "<bounces@example.net>", "Your order number 17", "<order-17@example.net>")


def test_the_remote_mta_of_a_dsn_is_its_remote_mta_field() -> None:
    raw = (b"From: MAILER-DAEMON@mx.example.org\nTo: shop@example.net\nSubject: Undelivered\n"
           b'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\n\n'
           b"--B\nContent-Type: text/plain\n\nSorry.\n"
           b"--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.org\n\n"
           b"Final-Recipient: rfc822; jane@example.org\nAction: failed\nStatus: 5.2.2\n"
           b"Remote-MTA: dns; mx1.example.com\nDiagnostic-Code: smtp; 552 5.2.2 Mailbox full\n--B--\n")
    (r,) = parse_bounce(raw).failures
    assert (r.remote_mta, r.reason) == ("mx1.example.com", "mailbox_full")


def test_exim_bounces_of_the_corpus_name_the_original_message() -> None:
    report = parse_bounce(CORPUS / "lhost-exim-02.eml")
    assert report.original_subject == "test from Exim 1"
    assert report.original_message_id == "<E1X58pB-0004bW-2s@marutamachi.example.org>"
