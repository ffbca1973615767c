"""The decoder registry: one family of formats per module, each recognising its own notices.

Which decoder reads a message is part of the report (``BounceReport.decoder``) and tells a
support desk which MTA wrote the notice. The families are recognised by the MTA's own fixed
wording, so a notice that lost its RFC 3464 part on the way (a forward, a paste into a
ticket) is still read, and read the same.
"""

from __future__ import annotations

import email
import email.message
import email.policy
import importlib
import pkgutil
from pathlib import Path

import pytest

from maildiag.bounce import BounceKind, decoders, parse_bounce

CORPORA = Path(__file__).resolve().parents[1] / "corpora"
DEV = CORPORA / "bounces-dev"
MTA = CORPORA / "mta-bounces"


def test_every_decoder_module_is_in_the_registry() -> None:
    """A new module under decoders/ is tried: forgetting the registry fails here."""
    names = [m.name for m in pkgutil.iter_modules(decoders.__path__) if not m.name.startswith("_")]
    assert len(names) >= 12
    registered = {d.__module__ for d in decoders.REGISTRY}
    for name in names:
        module = importlib.import_module(f"maildiag.bounce.decoders.{name}")
        assert module.decode in decoders.REGISTRY, name
        assert module.__doc__, f"{name}: say what the module reads"
    assert registered == {f"maildiag.bounce.decoders.{n}" for n in names}
    # The generic reader answers everything, so it must come last.
    assert decoders.REGISTRY[-1].__module__.endswith(".text")


# Real text bounces of each family (the dev corpus; its file names are its maintainers' labels).
@pytest.mark.parametrize(
    ("name", "decoder"),
    [
        ("lhost-exim-01.eml", "exim"),
        ("lhost-postfix-07.eml", "postfix"),
        ("lhost-sendmail-15.eml", "sendmail"),
        ("lhost-sendmail-14.eml", "forwarded/sendmail"),  # Apple Mail's forward of a Sendmail notice
        ("lhost-qmail-01.eml", "qmail"),
        ("lhost-office365-01.eml", "exchange"),
        ("lhost-domino-01.eml", "domino"),
        ("lhost-postfix-01.eml", "rfc3464"),  # a standard DSN is read as one, whoever wrote it
    ],
)
def test_real_notices_are_read_by_their_family(name: str, decoder: str) -> None:
    report = parse_bounce(DEV / name)
    assert report.decoder == decoder
    assert report.kind is BounceKind.FAILURE
    assert report.recipients


def _without_report_part(raw: bytes) -> bytes:
    """The notice as a plain text message: only its human-readable part, as a forward that
    dropped the MIME structure (or a paste into a help-desk ticket) leaves it."""
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    payload = next(p.get_payload(decode=True) for p in msg.walk() if p.get_content_type() == "text/plain")
    assert isinstance(payload, bytes)
    text = payload.decode("utf-8", "replace")
    flat = email.message.Message()
    for name in ("From", "To", "Subject", "Date", "Message-ID"):
        if msg.get(name):
            flat[name] = str(msg[name])
    flat.set_payload(text, "utf-8")
    return flat.as_bytes()


# Real DSNs from real MTAs on loopback: their text part alone names the same recipients, with
# the same reasons and hardness, and the family is named.
@pytest.mark.parametrize(
    ("name", "decoder"),
    [
        ("exim-user-unknown.eml", "exim"),
        ("exim-mailbox-full.eml", "exim"),
        ("postfix-user-unknown.eml", "postfix"),
        ("postfix-relay-denied.eml", "postfix"),
        ("opensmtpd-user-unknown.eml", "opensmtpd"),
        ("opensmtpd-spam.eml", "opensmtpd"),
    ],
)
def test_a_notice_that_lost_its_dsn_part_reads_the_same(name: str, decoder: str) -> None:
    raw = (MTA / name).read_bytes()
    dsn = parse_bounce(raw)
    flat = parse_bounce(_without_report_part(raw))
    assert dsn.decoder == "rfc3464"
    assert flat.decoder == decoder
    assert [(r.recipient, r.reason, r.hard) for r in flat.failures] == [
        (r.recipient, r.reason, r.hard) for r in dsn.failures
    ]


COURIER = b"""\
From: Courier mail server at mx.shop.example <@>
To: shop@shop.example
Subject: NOTICE: mail delivery status.
Content-Type: text/plain; charset=us-ascii

This is a delivery status notification from mx.shop.example,
running the Courier mail server, version 1.1.8.

The original message was received on Sat, 05 Dec 2026 07:00:00 +0000
from localhost [127.0.0.1]

---------------------------------------------------------------------------

                           UNDELIVERABLE MAIL

Your message to the following recipients cannot be delivered:

<jane@customer.example>:
    mx.customer.example [192.0.2.25]:
>>> RCPT TO:<jane@customer.example>
<<< 550 5.1.1 <jane@customer.example>: Recipient address rejected: User unknown

---------------------------------------------------------------------------
"""


def test_courier_notice() -> None:
    report = parse_bounce(COURIER)
    assert report.decoder == "courier"
    [r] = report.failures
    assert (r.recipient, r.reason, r.hard, r.smtp_command) == ("jane@customer.example", "user_unknown", True, "RCPT")
