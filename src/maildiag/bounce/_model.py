"""The values :func:`maildiag.bounce.parse_bounce` returns. Frozen, comparable, serializable."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from maildiag._doctor._report import DoctorReport
from maildiag.model import Diagnosis, Finding, _Fields

__all__ = ["BounceKind", "BounceRecipient", "BounceReport"]


class BounceKind(StrEnum):
    """What kind of message was parsed.

    - ``failure``: a delivery failure (or delay) report: see :attr:`BounceReport.failures`.
    - ``delivered``: a delivery-success DSN (RFC 3464 ``Action: delivered/relayed/expanded``).
    - ``complaint``: an ARF feedback report (RFC 5965): a recipient marked the mail as spam.
    - ``auto_reply``: a vacation or out-of-office reply (RFC 3834).
    - ``not_a_bounce``: an ordinary message.
    - ``malformed``: looked like a bounce but could not be read.
    - ``too_large``: larger than the size cap; not parsed.
    """

    FAILURE = "failure"
    DELIVERED = "delivered"
    COMPLAINT = "complaint"
    AUTO_REPLY = "auto_reply"
    NOT_A_BOUNCE = "not_a_bounce"
    MALFORMED = "malformed"
    TOO_LARGE = "too_large"


@dataclasses.dataclass(frozen=True, slots=True)
class BounceRecipient:
    """One recipient named by a bounce, and why its delivery failed.

    Attributes:
        recipient: the final recipient (RFC 3464 ``Final-Recipient``), lowercased domain.
        original_recipient: the address the sender used, when the bounce names a different
            one (DSN ``Original-Recipient``, Postfix "expanded from", forwarding).
        action: ``failed``, ``delayed``, ``delivered``, ``relayed``, ``expanded`` (RFC 3464
            §2.3.3), or ``complained`` / ``auto_replied`` for non-DSN reports.
        status: the RFC 3463 enhanced status code (``"5.1.1"``), or ``None``.
        reply_code: the SMTP reply code (``550``), or ``None``.
        diagnostic: the remote server's reply or the MTA's explanation, on one line.
        remote_mta: the host that refused the message, when named.
        reason: maildiag's reason (see :mod:`maildiag.bounce.reasons`).
        hard: the address itself will never work (remove it from lists).
        permanent: the failure is permanent (a 5.x.x status / 5xx reply), not temporary.
        smtp_command: the SMTP command the remote server refused, one of
            :data:`maildiag.bounce.reasons.SMTP_COMMANDS` (``CONN`` for the greeting,
            ``RCPT``, ``DATA``...), when the bounce names it ("in reply to RCPT TO command",
            "after end of data").
        diagnosis: the address's :class:`~maildiag.Diagnosis`, led by the bounce finding.
            Derived from the fields above and made on first access: a support script that
            only wants recipients and reasons does not pay for the address checks.
    """

    recipient: str
    original_recipient: str | None
    action: str
    status: str | None
    reply_code: int | None
    diagnostic: str
    remote_mta: str | None
    reason: str
    hard: bool
    permanent: bool
    smtp_command: str | None = None
    _diagnosis: Diagnosis | None = dataclasses.field(default=None, init=False, repr=False, compare=False)

    @property
    def diagnosis(self) -> Diagnosis:
        """The address's diagnosis, led by the bounce finding (made once, on first access)."""
        made = self._diagnosis
        if made is None:
            from maildiag.bounce._records import recipient_diagnosis

            made = recipient_diagnosis(self)
            object.__setattr__(self, "_diagnosis", made)
        return made

    @property
    def finding(self) -> Finding:
        """The bounce finding (``bounce.<reason>``) that leads :attr:`diagnosis`."""
        return self.diagnosis.findings[0]

    @property
    def is_failure(self) -> bool:
        """True for a failed or delayed delivery (not a complaint, auto-reply or success)."""
        from maildiag.bounce.reasons import NON_FAILURE_REASONS

        return self.reason not in NON_FAILURE_REASONS

    def message(self, locale: str = "en") -> str:
        """The fix-it message for the customer (the bounce finding's message)."""
        return self.finding.message(locale)

    def to_dict(self) -> dict[str, Any]:
        """A new JSON-compatible dict."""
        return {
            "recipient": self.recipient,
            "original_recipient": self.original_recipient,
            "action": self.action,
            "status": self.status,
            "reply_code": self.reply_code,
            "diagnostic": self.diagnostic,
            "remote_mta": self.remote_mta,
            "reason": self.reason,
            "hard": self.hard,
            "permanent": self.permanent,
            "smtp_command": self.smtp_command,
            "diagnosis": self.diagnosis.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BounceRecipient:
        """Rebuild from :meth:`to_dict` output.

        Raises:
            maildiag.errors.DiagnosisDataError: ``data`` is not a serialized recipient; the
                message names the field (``recipients[1].reason``).
        """
        return cls._read(_Fields(data, "recipient"))

    @classmethod
    def _read(cls, f: _Fields) -> BounceRecipient:
        from maildiag._replies import SMTP_COMMANDS, STATUS, reason_names

        reason = f.text("reason")
        if reason not in reason_names():
            # The reason names the bounce finding (bounce.<reason>) that leads the diagnosis:
            # an empty or unknown one would only fail later, on first access.
            f.fail(f"{f.where}.reason", "a bounce reason (maildiag.bounce.reasons)", reason)
        status = f.optional_text("status")
        if status is not None and not STATUS.match(status):
            f.fail(f"{f.where}.status", "an RFC 3463 status such as 5.1.1, or null", status)
        reply = f._get("reply_code", None)
        if reply is not None and (isinstance(reply, bool) or not isinstance(reply, int) or not 200 <= reply <= 599):
            f.fail(f"{f.where}.reply_code", "an SMTP reply code (200-599) or null", reply)
        recipient = f.text("recipient")
        if not recipient:
            f.fail(f"{f.where}.recipient", "an address", recipient)
        action = f.text("action", "failed")
        if not action:
            # An RFC 3464 §2.3.3 action word is open-ended (reporters invent their own), but
            # never empty: the parser says "failed" when a report gives none.
            f.fail(f"{f.where}.action", "an action such as failed or delayed", action)
        command = f.optional_text("smtp_command")
        if command is not None and command not in SMTP_COMMANDS:
            f.fail(f"{f.where}.smtp_command", "one of " + ", ".join(SMTP_COMMANDS) + " or null", command)
        made = cls(
            recipient=recipient,
            original_recipient=f.optional_text("original_recipient"),
            action=action,
            status=status,
            reply_code=reply,
            diagnostic=f.text("diagnostic", ""),
            remote_mta=f.optional_text("remote_mta"),
            reason=reason,
            hard=f.flag("hard", False),
            permanent=f.flag("permanent", False),
            smtp_command=command,
        )
        if f._get("diagnosis", None) is not None:
            # Keep the diagnosis as it was made (by this or an older version of the rules),
            # but only if it is led by this recipient's bounce finding, as parse_bounce makes it.
            diagnosis = Diagnosis.from_dict(f.data["diagnosis"])
            if not diagnosis.findings or diagnosis.findings[0].code != f"bounce.{reason}":
                f.fail(f"{f.where}.diagnosis.findings", f"a list led by bounce.{reason}",
                       diagnosis.findings[0].code if diagnosis.findings else "an empty list")
            object.__setattr__(made, "_diagnosis", diagnosis)
        return made


@dataclasses.dataclass(frozen=True, slots=True)
class BounceReport:
    """What one message says about delivery.

    Attributes:
        kind: the :class:`BounceKind`.
        recipients: every recipient the report names, in the message's order.
        decoder: which decoder read it (``rfc3464``, ``text``, ``amazonses``, ``arf``...).
        subject: the message's subject, for display.
        message_id: the bounce's own Message-ID, if any.
        findings: message-level findings (``bounce.malformed``, ``bounce.too_large``,
            ``bounce.not_a_bounce``, ``bounce.no_recipient``).
        source: where the message came from (a path, ``mbox:N``), when known.
        date: the bounce's own ``Date`` header, as written.
        original_from: the sender of the returned message (its ``From``), when the bounce
            includes it (an attached message or its headers).
        original_subject: the returned message's subject (RFC 2047 decoded).
        original_message_id: the returned message's ``Message-ID``: what the shop's own
            sending log is keyed on.
        doctor: the :class:`maildiag.DoctorReport` of the shop's sending domain, when the
            bounce blames the sender and ``parse_bounce(..., doctor=True)`` ran the checks.
    """

    kind: BounceKind
    recipients: tuple[BounceRecipient, ...] = ()
    decoder: str = ""
    subject: str = ""
    message_id: str | None = None
    findings: tuple[Finding, ...] = ()
    source: str | None = None
    date: str | None = None
    original_from: str | None = None
    original_subject: str | None = None
    original_message_id: str | None = None
    doctor: tuple[DoctorReport, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", BounceKind(self.kind))
        object.__setattr__(self, "recipients", tuple(self.recipients))
        object.__setattr__(self, "findings", tuple(self.findings))
        object.__setattr__(self, "doctor", tuple(self.doctor))

    @property
    def is_bounce(self) -> bool:
        """True when the message is any kind of delivery report (not an ordinary message)."""
        return self.kind not in (BounceKind.NOT_A_BOUNCE, BounceKind.MALFORMED, BounceKind.TOO_LARGE)

    @property
    def failures(self) -> tuple[BounceRecipient, ...]:
        """The recipients whose delivery failed or was delayed."""
        return tuple(r for r in self.recipients if r.is_failure)

    def to_dict(self) -> dict[str, Any]:
        """A new JSON-compatible dict."""
        return {
            "kind": self.kind.value,
            "recipients": [r.to_dict() for r in self.recipients],
            "decoder": self.decoder,
            "subject": self.subject,
            "message_id": self.message_id,
            "findings": [f.to_dict() for f in self.findings],
            "source": self.source,
            "date": self.date,
            "original_from": self.original_from,
            "original_subject": self.original_subject,
            "original_message_id": self.original_message_id,
            "doctor": [d.to_dict() for d in self.doctor],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BounceReport:
        """Rebuild from :meth:`to_dict` output.

        Raises:
            maildiag.errors.DiagnosisDataError: ``data`` is not a serialized report; the
                message names the field, as :meth:`maildiag.Diagnosis.from_dict` does.
        """
        f = _Fields(data, "report")
        return cls(
            kind=f.choice("kind", BounceKind),
            recipients=tuple(BounceRecipient._read(r) for r in f.objects("recipients")),
            decoder=f.text("decoder", ""),
            subject=f.text("subject", ""),
            message_id=f.optional_text("message_id"),
            findings=tuple(Finding._read(x) for x in f.objects("findings")),
            source=f.optional_text("source"),
            date=f.optional_text("date"),
            original_from=f.optional_text("original_from"),
            original_subject=f.optional_text("original_subject"),
            original_message_id=f.optional_text("original_message_id"),
            # Absent from reports serialized before the doctor existed: none.
            doctor=tuple(DoctorReport.from_dict(d.data) for d in f.objects("doctor")),
        )
