"""Amazon SES notifications: bounce, complaint and delivery events as JSON, maybe wrapped by SNS.

The fields are AWS's documented notification contents (bounceType, bounceSubType,
bouncedRecipients...); the subtype gives the classifier a hint when the diagnostic is empty.
"""

from __future__ import annotations

import json
import re
from typing import Any

from maildiag.bounce._addresses import valid_address
from maildiag.bounce._model import BounceKind
from maildiag.bounce._records import Record
from maildiag.bounce.decoders._message import Decoded, Message


def ses_records(text: str) -> tuple[BounceKind, list[Record]] | None:
    start = text.find("{")
    if start < 0:
        return None
    # RecursionError: JSON nested a few thousand deep ("[[[[..."), not a notification.
    try:
        data, _ = json.JSONDecoder(strict=False).raw_decode(text[start:])
    except (ValueError, RecursionError):
        # Some SNS mail folds the one-line JSON at 76 columns ("\n " inside strings).
        try:
            data, _ = json.JSONDecoder(strict=False).raw_decode(re.sub(r"\r?\n ", "", text[start:]))
        except (ValueError, RecursionError):
            return None
    data = _unwrap_sns(data)
    if not isinstance(data, dict):
        return None
    kind = str(data.get("notificationType") or data.get("eventType") or "").lower()
    if kind == "bounce":
        bounce = data.get("bounce") or {}
        permanent = str(bounce.get("bounceType", "")).lower() == "permanent"
        subtype = str(bounce.get("bounceSubType", ""))
        records = []
        for item in bounce.get("bouncedRecipients") or ():
            if not isinstance(item, dict):
                continue
            addr = valid_address(str(item.get("emailAddress", "")))
            if addr is None:
                continue
            diag = str(item.get("diagnosticCode") or "")
            status = str(item.get("status") or "") or None
            rec = Record(addr, action=str(item.get("action") or "failed"), status=status, diagnostic=diag)
            rec.remote_mta = str(bounce.get("remoteMtaIp") or "") or None
            rec.context = _SES_SUBTYPE_HINT.get(subtype, "")
            if not permanent and rec.status is None:
                rec.status = "4.0.0"
            records.append(rec)
        return BounceKind.FAILURE, records
    if kind == "complaint":
        complaint = data.get("complaint") or {}
        records = [
            Record(a, action="complained", reason="complaint")
            for item in complaint.get("complainedRecipients") or ()
            if isinstance(item, dict) and (a := valid_address(str(item.get("emailAddress", ""))))
        ]
        return BounceKind.COMPLAINT, records
    if kind == "delivery":
        delivery = data.get("delivery") or {}
        records = [
            Record(a, action="delivered", reason="delivered",
                    diagnostic=str(delivery.get("smtpResponse") or ""))
            for item in delivery.get("recipients") or ()
            if (a := valid_address(str(item)))
        ]
        return BounceKind.DELIVERED, records
    return None


#: SES bounce subtypes (documented by AWS) as hint text for the classifier.
_SES_SUBTYPE_HINT = {
    "NoEmail": "user unknown",
    "Suppressed": "suppression list",
    "OnAccountSuppressionList": "suppression list",
    "MailboxFull": "mailbox full",
    "MessageTooLarge": "message too large",
    "ContentRejected": "message content",
    "AttachmentRejected": "attachment",
}


def _unwrap_sns(data: Any) -> Any:
    """SNS wraps the SES notification as a JSON string in ``Message``."""
    for _ in range(3):
        if isinstance(data, dict) and isinstance(data.get("Message"), str) and "notificationType" not in data:
            try:
                data = json.loads(data["Message"])
            except (ValueError, RecursionError):
                return data
        else:
            break
    return data


def decode(message: Message) -> Decoded | None:
    """An SES notification (``notificationType`` / ``eventType``) in the message's text."""
    human = message.human
    if '"notificationType"' not in human and '"eventType"' not in human:
        return None
    found = ses_records(human)
    if found is None:
        return None
    kind, records = found
    return Decoded(kind, records, "amazonses")
