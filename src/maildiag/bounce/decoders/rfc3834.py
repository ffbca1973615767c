"""Auto-replies (RFC 3834) and ordinary mail: the gate between bounces and everything else.

A message with no sign of a bounce (a daemon sender, a bounce subject, X-Failed-Recipients,
bounce wording in its text) is ``not_a_bounce``; one from a person's mailbox that is marked or
titled as automatic (RFC 3834 §5 Auto-Submitted, vacation subjects) is an ``auto_reply``.
"""

from __future__ import annotations

import email
import email.message
import email.policy

from maildiag.bounce._addresses import DAEMON_LOCALS, valid_address
from maildiag.bounce._model import BounceKind
from maildiag.bounce._records import Record
from maildiag.bounce.decoders._message import Decoded, Message
from maildiag.bounce.decoders._text import looks_like_bounce_text

#: Words in a Subject or From that mark a message as a delivery report.
BOUNCE_SUBJECT = (
    "undeliver", "undelivered", "delivery status", "delivery failure", "delivery failed",
    "failure notice", "returned mail", "mail delivery", "delivery notification",
    "could not be delivered", "not delivered", "delivery problem", "non remis", "nicht zustellbar",
    "unzustellbar", "no se puede entregar", "rejected", "returned to sender", "bounce",
    "failed delivery", "delivery report", "message status", "warning: could not send",
    "delivery has failed", "error sending", "mail system error", "permanent error",
    "配信", "エラー", "unable to deliver", "delayed mail", "delivery delayed",
    "nondeliverable", "non-deliverable", "message you sent", "undeliverable",
)





_AUTO_REPLY_SUBJECT = (
    "out of office", "out of the office", "automatic reply", "auto reply", "autoreply",
    "auto-reply", "auto:", "away until", "vacation", "abwesenheit", "absence", "on leave",
    "autosvar", "respuesta automática", "réponse automatique", "不在", "自動応答",
)


def is_auto_reply(msg: email.message.Message, subject: str) -> bool:
    auto = str(msg.get("Auto-Submitted", "")).lower()
    if auto.startswith("auto-replied"):
        return True
    if msg.get("X-Autoreply") or msg.get("X-Autorespond") or (msg.get("X-Auto-Response-Suppress") and subject):
        return any(w in subject for w in _AUTO_REPLY_SUBJECT) or bool(msg.get("X-Autoreply"))
    if str(msg.get("Precedence", "")).lower() == "auto_reply":
        return True
    return any(subject.startswith(w) or w in subject for w in _AUTO_REPLY_SUBJECT)


def decode(message: Message) -> Decoded | None:
    """``auto_reply`` or ``not_a_bounce``, or None for a message that looks like a bounce."""
    msg = message.msg
    from_addr = message.from_address
    from_local = from_addr.partition("@")[0].lower()
    subject = message.subject.lower()
    bounce_signals = (
        bool(message.failed_header)
        or from_local in DAEMON_LOCALS
        or "mailer-daemon" in from_addr.lower()
        or any(w in subject for w in BOUNCE_SUBJECT)
        or "mail delivery" in message.from_header.lower()
    )
    if bounce_signals and (from_local in DAEMON_LOCALS or not is_auto_reply(msg, subject)):
        return None
    if is_auto_reply(msg, subject):
        who = valid_address(from_addr) if from_addr else None
        records = [Record(who, action="auto_replied", reason="auto_reply")] if who else []
        return Decoded(BounceKind.AUTO_REPLY, records, "rfc3834")
    if not bounce_signals and not looks_like_bounce_text(message.human):
        return Decoded(BounceKind.NOT_A_BOUNCE, [], "")
    return None
