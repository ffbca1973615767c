"""A bounce forwarded by a person: read the notice inside, not the forward around it.

Support desks mostly get bounces forwarded: by a colleague, by the customer, by a shop owner.
A mail client forwards inline (Gmail "---------- Forwarded message ---------", Apple Mail
"Begin forwarded message:", Thunderbird "-------- Forwarded Message --------", Outlook's
"-----Original Message-----" or a rule of underscores, each followed by the notice's own
From/Date/Subject/To) or as an attachment (``message/rfc822``). Read as it is, the forward
makes the notice's own To (the shop) look like the failed recipient and hides the real one.

The forward is unwrapped when the message around it is not itself from a mail system (a
notice's "----- Original message -----" is the returned copy, read by the other decoders)
and the message inside is: a daemon sender, a bounce subject, or a delivery report. The
notice inside is read by the whole pipeline, one level deeper.
"""

from __future__ import annotations

import email.message
import re

from maildiag.bounce._addresses import DAEMON_LOCALS, from_address
from maildiag.bounce._limits import MAX_TEXT
from maildiag.bounce._mime import has_message_headers, header_text, is_delivery_report, parse_bytes
from maildiag.bounce._model import BounceKind, BounceReport
from maildiag.bounce.decoders._message import Decoded, Message
from maildiag.bounce.decoders._text import MAX_NESTED_REPORTS, read_returned_report
from maildiag.bounce.decoders.rfc3834 import BOUNCE_SUBJECT

#: The line a mail client writes above the forwarded message's header fields.
_MARKER = re.compile(
    r"(?im)^[ \t>]{0,4}(?:-{2,20}[ \t]{0,4}(?:forwarded message|original message)[ \t]{0,4}-{2,20}"
    r"|begin forwarded message:|_{10,80})[ \t]{0,4}$"
)


def _from_mail_system(msg: email.message.Message) -> bool:
    """True when ``msg`` is a delivery notice: a report, a daemon's sender, a bounce subject."""
    if is_delivery_report(msg):
        return True
    sender = header_text(msg, "From")
    local = from_address(sender).partition("@")[0].lower()
    subject = header_text(msg, "Subject").lower()
    return (
        local in DAEMON_LOCALS
        or "mailer-daemon" in sender.lower()
        or "mail delivery" in sender.lower()
        or any(w in subject for w in BOUNCE_SUBJECT)
    )


def _inline(message: Message) -> email.message.Message | None:
    """The message forwarded inline in ``message``'s text, when there is one."""
    text = "\n".join(t for t in message.parts.text if t)[: MAX_TEXT * 2]
    m = _MARKER.search(text)
    if m is None:
        return None
    block = text[m.end() :].lstrip("\r\n")
    # The forwarded header fields, maybe quoted with "> ", then the notice's text.
    if block.startswith(">"):
        block = "\n".join(line[1:].removeprefix(" ") for line in block.splitlines())
    inner = parse_bytes(block.encode("utf-8", "surrogateescape"))
    return inner if has_message_headers(inner) else None


def decode(message: Message) -> Decoded | None:
    """The notice inside a person's forward, read by the whole pipeline."""
    if message.depth >= MAX_NESTED_REPORTS or message.parts.dsn or message.parts.feedback:
        return None
    outer = message.from_address.lower()
    if (
        outer.partition("@")[0] in DAEMON_LOCALS
        or "mailer-daemon" in outer
        or "mail delivery" in message.from_header.lower()
    ):
        return None  # a notice itself: what it quotes is the returned message
    candidates = [r for r in message.parts.returned if _from_mail_system(r)]
    if not candidates:
        inline = _inline(message)
        candidates = [inline] if inline is not None and _from_mail_system(inline) else []
    for inner in candidates:
        report = read_returned_report(inner, message.source, message.depth + 1)
        if report is not None and _worth_reporting(report):
            return Decoded(report.kind, [], f"forwarded/{report.decoder}".rstrip("/"), report=report)
    return None


def _worth_reporting(report: BounceReport) -> bool:
    return report.kind not in (BounceKind.NOT_A_BOUNCE, BounceKind.MALFORMED, BounceKind.TOO_LARGE) and (
        bool(report.recipients) or report.kind is BounceKind.FAILURE
    )
