"""A bounce forwarded by a person is read from the notice inside (decoders/forwarded.py).

The notices are real: the text parts of real Postfix, Exim and OpenSMTPD DSNs from
tests/corpora/mta-bounces; the forwards around them are written here the way each mail
client writes them.
"""

from __future__ import annotations

import email
import email.message
import email.policy
from collections.abc import Callable
from pathlib import Path

import pytest

from maildiag.bounce import BounceKind, parse_bounce

MTA = Path(__file__).resolve().parents[1] / "corpora" / "mta-bounces"

#: The notice, and who failed and why, as the whole DSN reads.
NOTICES = {
    "postfix-user-unknown.eml": ("amelia.hart@customers.example", "user_unknown"),
    "exim-mailbox-full.eml": ("bruno.diaz@customers.example", "mailbox_full"),
    "opensmtpd-relay-denied.eml": ("chen.wei@relay-closed.example", "policy"),
}

FORWARDER = "From: Dana Support <dana@shop.example>\nTo: helpdesk@shop.example\nSubject: Fwd: {subject}\n"


def _notice(name: str) -> tuple[bytes, email.message.Message, str]:
    raw = (MTA / name).read_bytes()
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    payload = next(p.get_payload(decode=True) for p in msg.walk() if p.get_content_type() == "text/plain")
    assert isinstance(payload, bytes)
    return raw, msg, payload.decode("utf-8", "replace")


def _gmail(msg: email.message.Message, text: str) -> str:
    return (f"Can you check this one?\n\n---------- Forwarded message ---------\nFrom: {msg['From']}\n"
            f"Date: {msg['Date']}\nSubject: {msg['Subject']}\nTo: {msg['To']}\n\n\n{text}")


def _apple(msg: email.message.Message, text: str) -> str:
    quoted = "\n".join(f"> {line}".rstrip() for line in text.splitlines())
    return (f"Forwarding.\n\nBegin forwarded message:\n\n> From: {msg['From']}\n> Subject: {msg['Subject']}\n"
            f"> Date: {msg['Date']}\n> To: {msg['To']}\n>\n{quoted}\n")


def _outlook(msg: email.message.Message, text: str) -> str:
    return (f"FYI\n\n________________________________\nFrom: {msg['From']}\nSent: {msg['Date']}\n"
            f"To: {msg['To']}\nSubject: {msg['Subject']}\n\n{text}")


def _thunderbird(msg: email.message.Message, text: str) -> str:
    return (f"\n\n-------- Forwarded Message --------\nSubject: \t{msg['Subject']}\nDate: \t{msg['Date']}\n"
            f"From: \t{msg['From']}\nTo: \t{msg['To']}\n\n\n\n{text}")


@pytest.mark.parametrize("client", [_gmail, _apple, _outlook, _thunderbird], ids=lambda f: f.__name__[1:])
@pytest.mark.parametrize("name", NOTICES)
def test_an_inline_forward_is_read_from_the_notice_inside(
    name: str, client: Callable[[email.message.Message, str], str]
) -> None:
    _, msg, text = _notice(name)
    forward = FORWARDER.format(subject=msg["Subject"]) + "Content-Type: text/plain; charset=utf-8\n\n"
    report = parse_bounce((forward + client(msg, text)).encode())
    assert report.kind is BounceKind.FAILURE
    assert [(r.recipient, r.reason) for r in report.failures] == [NOTICES[name]]
    assert report.decoder.startswith("forwarded/")
    # Never the shop's own address (the notice's To) as a failed recipient.
    assert "shop@shop.example" not in [r.recipient for r in report.recipients]


@pytest.mark.parametrize("name", NOTICES)
def test_a_forward_as_attachment_is_read_from_the_attached_notice(name: str) -> None:
    raw, msg, _ = _notice(name)
    forward = (FORWARDER.format(subject=msg["Subject"]) + "MIME-Version: 1.0\n"
               "Content-Type: multipart/mixed; boundary=fwd\n\n--fwd\nContent-Type: text/plain\n\nSee attached.\n"
               "--fwd\nContent-Type: message/rfc822\n\n").encode() + raw + b"\n--fwd--\n"
    report = parse_bounce(forward)
    assert report.decoder == "forwarded/rfc3464"
    assert [(r.recipient, r.reason) for r in report.failures] == [NOTICES[name]]


def test_a_forward_of_ordinary_mail_is_not_a_bounce() -> None:
    raw = (FORWARDER.format(subject="Your order") + "\n---------- Forwarded message ---------\n"
           "From: Jane <jane@customer.example>\nDate: Sat, 5 Dec 2026 07:00:00 +0000\nSubject: Your order\n"
           "To: shop@shop.example\n\nWhere is my parcel? It was not delivered yet.\n").encode()
    report = parse_bounce(raw)
    assert report.kind is BounceKind.NOT_A_BOUNCE
    assert not report.recipients
