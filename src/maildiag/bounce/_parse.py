"""Reading one bounce message: the entry point, the size and type checks, and the pipeline.

:func:`parse_bounce` takes bytes, text, a path or a parsed message; a message goes through the
decoders of :mod:`maildiag.bounce.decoders` (one family of formats per module, tried in order:
ARF, RFC 3464, RFC 5429, SES, the auto-reply gate, each MTA family's text bounces, the generic
text reader), and each record a decoder found is finished once (:mod:`._records`: status,
reply, SMTP stage, reason, hard or soft) into a :class:`BounceRecipient`.

Every regular expression of the parser is bounded (``{1,64}`` rather than ``+`` where it could
rescan) so that matching stays linear in the input; the property tests feed 1 MB of
adversarial text.
"""

from __future__ import annotations

import dataclasses
import email
import email.message
import email.policy
import os
import pathlib
import re
from email.utils import parseaddr

from maildiag import catalog
from maildiag.bounce import decoders
from maildiag.bounce._limits import DEFAULT_MAX_BYTES, MAX_RECIPIENTS, MAX_TEXT
from maildiag.bounce._mime import has_message_headers, header_text, original_message, parse_bytes
from maildiag.bounce._model import BounceKind, BounceRecipient, BounceReport
from maildiag.bounce._records import finish, not_theirs
from maildiag.bounce.decoders import Message
from maildiag.bounce.decoders._text import looks_like_bounce_body
from maildiag.model import Finding
from maildiag.options import Options

__all__ = ["DEFAULT_MAX_BYTES", "parse_bounce"]


def parse_bounce(
    message: bytes | str | os.PathLike[str] | email.message.Message,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    source: str | None = None,
    doctor: bool = False,
    options: Options | None = None,
) -> BounceReport:
    """Read one message and say whether it is a bounce, and who failed and why.

    Args:
        message: the raw message as ``bytes`` or ``str``, a path to an ``.eml`` file
            (``pathlib.Path`` or any ``os.PathLike``), or a parsed ``email.message.Message``.
            A ``str`` with no line break that names an existing file is read as that file
            (``parse_bounce("bounce.eml")``); one that looks like a file name but names no
            file raises ``FileNotFoundError`` (a folder: ``IsADirectoryError``); any other
            ``str`` is message text.
        max_bytes: messages larger than this are not parsed; the report has kind
            ``too_large`` and the finding ``bounce.too_large``.
        source: a label kept in the report (``BounceReport.source``), for batch output.
        doctor: when the bounce blames the sender (finding ``doctor.bounce.run_doctor``),
            check the sending domain now (:func:`maildiag.doctor`, DNS) and keep the result in
            ``BounceReport.doctor``. Parsing itself never uses the network.
        options: the :class:`maildiag.Options` (resolver, deadline) for ``doctor=True``.

    Returns:
        A :class:`BounceReport`. It never raises on message content: unreadable input gives
        kind ``malformed`` with the finding ``bounce.malformed``.

    Raises:
        TypeError: ``message`` is none of the accepted types.
        OSError: ``message`` is a path that cannot be read.
    """
    report = _parse_bounce(message, max_bytes, source)
    if doctor:
        report = with_doctor(report, options)
    return report


def with_doctor(report: BounceReport, options: Options | None = None) -> BounceReport:
    """``report`` with :func:`maildiag.doctor` run on each sending domain it blames (issue 15.8)."""
    from maildiag._doctor import doctor

    domains = dict.fromkeys(
        str(f.params["domain"]) for f in report.findings if f.code == "doctor.bounce.run_doctor"
    )
    if not domains:
        return report
    return dataclasses.replace(report, doctor=tuple(doctor(d, options=options) for d in domains))


def _parse_bounce(
    message: bytes | str | os.PathLike[str] | email.message.Message, max_bytes: int, source: str | None
) -> BounceReport:
    if isinstance(message, str) and _names_a_file(message):
        # parse_bounce("bounce.eml") is the call everyone writes first: a one-line str that
        # names a file is that file (issue 10.2). A message always has a line break.
        message = pathlib.Path(message)
    if isinstance(message, os.PathLike):
        path = os.fspath(message)
        size = os.path.getsize(path)
        if size > max_bytes:
            return _too_large(size, max_bytes, source or path)
        with open(path, "rb") as fh:
            message = fh.read()
        source = source or path
    if isinstance(message, str):
        if len(message) > max_bytes:
            return _too_large(len(message), max_bytes, source)
        message = message.encode("utf-8", "surrogateescape")
    raw_bytes: bytes | None = None
    if isinstance(message, bytes | bytearray | memoryview):
        raw = raw_bytes = bytes(message)
        if len(raw) > max_bytes:
            return _too_large(len(raw), max_bytes, source)
        try:
            msg = parse_bytes(raw)
        except Exception as exc:  # the stdlib parser is lenient, but never trust it fully
            return _malformed(f"unparseable MIME: {type(exc).__name__}", source)
    elif isinstance(message, email.message.Message):
        msg = message
    else:
        raise TypeError(
            f"message must be bytes, str, a path or email.message.Message, not {type(message).__name__}"
        )
    try:
        if raw_bytes is not None and not has_message_headers(msg):
            body = _headerless_bounce(raw_bytes, source)
            if body is not None:
                return body
        return parse_message(msg, source)
    except RecursionError:
        return _malformed("MIME nested too deeply", source)
    except Exception as exc:
        # Never a crash on content: a batch of support mail must go on past one bad message.
        return _malformed(f"{type(exc).__name__}: {exc}"[:200], source)


#: What a file name given as a str looks like: no line break, and a mail file's extension
#: or a path separator. Such a str is never read as message text.
_FILE_LIKE = re.compile(r"[^\r\n]*(?:\.(?:eml|msg|mbox|mbx|txt|mail)|[/\\][^\r\n]*)", re.IGNORECASE)


def _names_a_file(text: str) -> bool:
    """A one-line ``str`` that names an existing file, or looks like a file name.

    Raises:
        FileNotFoundError: it looks like a file name (``bounce.eml``, ``mail/x``) but no such
            file exists: never read quietly as a malformed message.
    """
    if "\n" in text or "\r" in text or len(text) > 4096 or not text.strip():
        return False
    if os.path.isfile(text):
        return True
    if os.path.isdir(text):
        raise IsADirectoryError(
            f"parse_bounce({text!r}): a folder, not a message. parse_bounce reads one message; "
            "maildiag.bounce.iter_messages() reads every message of a folder, mbox or Maildir."
        )
    if _FILE_LIKE.fullmatch(text.strip()) and ": " not in text:  # "Subject: a/b" is a header
        raise FileNotFoundError(
            f"parse_bounce({text!r}): no such file. A str is read as a file name when it has no "
            "line break and names a file; pass pathlib.Path(...) for a path, or the message text itself."
        )
    return False


def _too_large(size: int | str, limit: int, source: str | None) -> BounceReport:
    finding = catalog.make("bounce.too_large", {"size": size, "limit": limit})
    return BounceReport(kind=BounceKind.TOO_LARGE, findings=(finding,), source=source)


def _malformed(detail: str, source: str | None, subject: str = "") -> BounceReport:
    finding = catalog.make("bounce.malformed", {"detail": detail})
    return BounceReport(kind=BounceKind.MALFORMED, findings=(finding,), source=source, subject=subject)


def parse_message(msg: email.message.Message, source: str | None, depth: int = 0) -> BounceReport:
    """Read one parsed message through the decoders (``depth``: how many reports deep it is)."""
    subject = header_text(msg, "Subject")[:300]
    raw_id = msg.get("Message-ID")
    message_id = (str(raw_id).strip() or None) if raw_id else None
    if not has_message_headers(msg):
        # Whatever this is (binary junk, a truncated file), it is not an RFC 5322 message.
        return _malformed("no message headers", source, subject)
    message = Message(msg, source, depth, subject)
    found = decoders.decode(message)
    if found.report is not None:
        # A notice forwarded by a person: the notice's own reading is the report.
        return dataclasses.replace(found.report, decoder=found.decoder, source=source)
    if found.recipients is not None:
        # A bounce of a bounce: the returned report's own reading, under this notice's subject.
        return BounceReport(BounceKind.FAILURE, found.recipients, found.decoder, subject, message_id,
                            found.findings, source)
    recipients = not_theirs(tuple(finish(r) for r in found.records[:MAX_RECIPIENTS]))
    findings: tuple[Finding, ...] = ()
    if found.kind is BounceKind.FAILURE and not recipients:
        findings = (catalog.make("bounce.no_recipient", {"subject": subject}),)
    if found.kind is BounceKind.NOT_A_BOUNCE:
        findings = (catalog.make("bounce.not_a_bounce", {"subject": subject}),)
    date = header_text(msg, "Date")[:100] or None
    original = original_message(message.parts)
    sender = _sender_check(recipients, original[0] or header_text(msg, "To"))
    return BounceReport(found.kind, recipients, found.decoder, subject, message_id,
                        (*findings, *sender), source, date, *original)


def _sender_check(recipients: tuple[BounceRecipient, ...], sender: str | None) -> tuple[Finding, ...]:
    """``doctor.bounce.run_doctor`` when a recipient's reason blames the sender (authentication,
    blocklisting, reputation, spam: issue 15.8), naming the sending domain: the returned
    message's From, else the bounce's own To (where the shop receives its bounces)."""
    from maildiag._doctor import SENDER_REASONS, bounce_finding

    blamed = next((r for r in recipients if r.reason in SENDER_REASONS and r.is_failure), None)
    if blamed is None:
        return ()
    address = parseaddr(sender or "")[1]
    evidence = [f"{blamed.recipient}: {blamed.reason} {blamed.status or ''}".strip()]
    found = bounce_finding(blamed.reason, address.rpartition("@")[2] or None, evidence)
    return (found,) if found is not None else ()


def _headerless_bounce(raw: bytes, source: str | None) -> BounceReport | None:
    """A bounce body with no message headers, read as one and said so (issue 11.1); else None."""
    text = raw[:MAX_TEXT].decode("utf-8", "replace")
    if not looks_like_bounce_body(text):
        return None
    # Wrapped in the header every MTA puts on a notice, so that every line stays body text
    # (pasted text often starts with "Final-Recipient:", which would read as a header) and the
    # text decoders take it for what it already looks like. The made-up header is dropped from
    # the report: its subject is empty and its finding says the headers were missing.
    wrapped = parse_bytes(
        b"From: MAILER-DAEMON@headers-missing.invalid\nSubject: Delivery Status Notification\n"
        b"Content-Type: text/plain; charset=utf-8\n\n" + raw
    )
    report = parse_message(wrapped, source)
    if not report.recipients and report.kind is not BounceKind.FAILURE:
        return None
    note = catalog.make("bounce.headers_missing", {})
    return dataclasses.replace(report, subject="", findings=(*report.findings, note))
