"""Reading bounce messages: RFC 3464 DSNs first, then ARF, SES JSON and text bounces.

The design is data plus small logic. A message is split into *records* (one per failed
recipient) by one of a few decoders:

1. ``rfc3464``: ``message/delivery-status`` parts (RFC 3464 §2), the standard.
2. ``arf``: ``message/feedback-report`` parts (RFC 5965): complaints, not failures.
3. ``amazonses``: Amazon SES / SNS JSON notifications.
4. ``text``: every other MTA's human-readable bounce. Rather than one decoder per MTA, it
   reads the explanation part of the message (cut where the returned copy of the original
   message begins), takes the valid addresses it names that are not the sender's, and gives
   each the text that follows it up to the next one. X-Failed-Recipients (Exim) and the
   returned message's ``To:`` fill in when the text names no recipient.

Each record is then classified by :func:`maildiag.bounce.reasons.classify` (status code plus
phrase table) and given a :class:`~maildiag.Diagnosis`.

Every regular expression here is bounded (``{1,64}`` rather than ``+`` where it could
rescan) so that matching stays linear in the input; the property tests feed 1 MB of
adversarial text.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import email
import email.message
import email.policy
import functools
import json
import os
import pathlib
import re
from collections.abc import Iterator
from email.header import decode_header, make_header
from email.utils import getaddresses, parseaddr
from typing import Any

from maildiag import catalog
from maildiag.bounce import reasons
from maildiag.bounce._model import BounceKind, BounceRecipient, BounceReport
from maildiag.model import Diagnosis, Finding, Verdict

__all__ = ["DEFAULT_MAX_BYTES", "parse_bounce"]

#: Messages larger than this are not parsed (finding ``bounce.too_large``). Real bounces are
#: small; a bounce that returns a huge original only needs its first part anyway.
DEFAULT_MAX_BYTES = 10 * 1024 * 1024

#: At most this many MIME parts and recipients are looked at: beyond that a message is
#: a mail bomb, not a bounce.
_MAX_PARTS = 200
_MAX_RECIPIENTS = 500
#: Human-readable text considered per message and per recipient.
_MAX_TEXT = 64 * 1024
_MAX_DIAGNOSTIC = 1000
#: The SMTP stage is named near the failure; a returned message quoted further on is not read.
_MAX_COMMAND_TEXT = 8 * 1024
#: Header text read per header (its first 300 characters are shown): RFC 5322 §2.1.1 limits
#: a line to 998 characters, and the stdlib's RFC 2047 decoder is quadratic in the number of
#: encoded words, so a header folded over megabytes is read for its start only (issue 9.1).
_MAX_HEADER = 4 * 1024
#: Content-Type text read for its parameters. The stdlib's parameter parser is quadratic in
#: their number; a boundary is at most 70 characters (RFC 2046 §5.1.1) and a charset name
#: 40 (RFC 2978 §2.3), so the parameters a bounce needs are near the start.
_MAX_PARAMS = 4 * 1024
#: Characters of an address header (To, X-Failed-Recipients...) given to the address parser,
#: and of a one-address field (Final-Recipient) searched for its address: an address is at
#: most 254 characters (RFC 5321 §4.5.3.1.3).
_MAX_ADDRESS_HEADER = _MAX_TEXT
_MAX_ADDRESS_FIELD = 1024


@dataclasses.dataclass(slots=True)
class _Record:
    """One recipient as a decoder found it (private, mutable while decoding)."""

    recipient: str
    original: str | None = None
    action: str = "failed"
    status: str | None = None
    reply_code: int | None = None
    diagnostic: str = ""
    remote_mta: str | None = None
    reason: str | None = None  # set by decoders that know it (ARF, SES, auto-reply)
    context: str = ""  # extra text for classification only
    scope: str = ""  # the recipient's part of the explanation: read for the SMTP stage only
    diagnostic_type: str = ""  # RFC 3464 §2.3.6 diagnostic-type (smtp, x-unix...)
    explanation: str = ""  # the whole explanation, read for the reason when the rest says none


@dataclasses.dataclass(slots=True)
class _Parts:
    """What the MIME walk gathered."""

    dsn: list[str] = dataclasses.field(default_factory=list)
    feedback: list[str] = dataclasses.field(default_factory=list)
    refusals: list[str] = dataclasses.field(default_factory=list)
    text: list[str] = dataclasses.field(default_factory=list)
    returned: list[email.message.Message] = dataclasses.field(default_factory=list)
    returned_headers: list[str] = dataclasses.field(default_factory=list)


# -- regular expressions (all bounded) ---------------------------------------------------------

_ADDR = re.compile(
    r"[A-Za-z0-9!#$%&'*+=?^_`{|}~/.-]{1,64}@[A-Za-z0-9\[](?:[A-Za-z0-9.-]{0,252})[A-Za-z0-9\]]"
)
_STATUS_RE = re.compile(r"(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?!\.?\d)")
_REPLY_STATUS = re.compile(r"(?<!\d)([245][0-5]\d)[ -]{1,3}[#(]?([245]\.\d{1,3}\.\d{1,3})(?!\.?\d)")
_REPLY = re.compile(r"(?:^|[\s:;(<'\"=\]])([245][0-5]\d)(?=[ -]|$)", re.MULTILINE)
_REMOTE_HOST = re.compile(
    r"(?:host|server|mx)\s{1,4}([A-Za-z0-9][A-Za-z0-9.-]{0,252}\.[A-Za-z]{2,24})\.?\s{0,4}\[",
    re.IGNORECASE,
)
_SMTP_CONT = re.compile(r"(?m)^\s{0,8}[245]\d\d-(?:[245]\.\d{1,3}\.\d{1,3}\s)?")
#: Where a bounce names the SMTP command that was refused: Postfix "(in reply to RCPT TO
#: command)", Exim "after RCPT TO:" / "after end of data", Sendmail's transcript ">>> DATA",
#: qmail-style "during RCPT", and the like. Case matters: commands are upper case on the wire.
_COMMAND_RE = re.compile(
    r"(?:in reply to (?:the )?(?:end of )?|after (?:the )?|>>>>? ?|during |while sending |"
    r"did not like our |for |at |SMTP command |command:? |command was |error on |SMTP:|\[)"
    r"(HELO|EHLO|STARTTLS|AUTH|MAIL FROM|MAIL From|MAIL|RCPT TO|RCPT To|RCPT_TO|RCPT|DATA|"
    r"end of data|initial connection|greeting|connect(?:ion)?)\b"
    r"|does not like (recipient|sender)\b"
)
_COMMAND_WORDS = ("RCPT", "DATA", "MAIL", "HELO", "EHLO", "STARTTLS", "AUTH", "connect",
                  "end of data", "greeting", "does not like")
_COMMAND_NAMES = {"MAIL FROM": "MAIL", "MAIL From": "MAIL", "RCPT TO": "RCPT", "RCPT To": "RCPT",
                  "RCPT_TO": "RCPT", "recipient": "RCPT", "sender": "MAIL",
                  "end of data": "DATA", "initial connection": "CONN", "greeting": "CONN",
                  "connect": "CONN", "connection": "CONN"}
_HTML_TAG = re.compile(r"<[^<>]{0,2000}>")
_HEADER_NAMES = (
    r"(?:return-path|received|delivered-to|dkim-signature|message-id|from|to|subject|date|"
    r"mime-version|content-type|reply-to|x-[a-z0-9-]{1,60}):[ \t]"
)
_HEADERISH = re.compile(r"(?m)^" + _HEADER_NAMES, re.IGNORECASE)
#: The same after a newline: a literal first character lets the regex engine skip ahead to
#: each line instead of testing every position (the search over the explanation is hot).
_HEADERISH_NL = re.compile(r"\n" + _HEADER_NAMES, re.IGNORECASE)

#: Lines that begin the returned copy of the original message in text bounces.
_SEPARATORS = (
    "copy of the message",
    "copy of your message",
    "copy of the original message",
    "original message follows",
    "original message headers",
    "original message header",
    "headers of the original message",
    "header of the original message",
    "message headers follow",
    "headers follow",
    "returned message follows",
    "------- returned message --------",  # Lotus Notes / Domino
    "below this line is a copy",
    "undelivered message follows",
    "message text follows",
    "----- original message",
    "-----original message-----",
    "--- original message",
    "text of the returned message",
    "your original message",
    "included below is the message",
    "the first part of the message follows",
    "unsent message below",
    "message follows:",
)



def _group_separators(keys: tuple[str, ...]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The separators grouped by a word each contains, so one search can rule out a group."""
    groups: dict[str, list[str]] = {}
    for marker in _SEPARATORS:
        key = next((k for k in keys if k in marker), marker)
        groups.setdefault(key, []).append(marker)
    return tuple((k, tuple(v)) for k, v in groups.items())


_SEPARATOR_GROUPS = _group_separators(("follow", "original", "copy", "returned", "below"))

#: Words in a Subject or From that mark a message as a delivery report.
_BOUNCE_SUBJECT = (
    "undeliver", "undelivered", "delivery status", "delivery failure", "delivery failed",
    "failure notice", "returned mail", "mail delivery", "delivery notification",
    "could not be delivered", "not delivered", "delivery problem", "non remis", "nicht zustellbar",
    "unzustellbar", "no se puede entregar", "rejected", "returned to sender", "bounce",
    "failed delivery", "delivery report", "message status", "warning: could not send",
    "delivery has failed", "error sending", "mail system error", "permanent error",
    "配信", "エラー", "unable to deliver", "delayed mail", "delivery delayed",
    "nondeliverable", "non-deliverable", "message you sent", "undeliverable",
)
_DAEMON_LOCALS = frozenset(
    {"mailer-daemon", "postmaster", "post_master", "mail-daemon", "maildaemon", "mailerdaemon", "mailer_daemon",
     "mdaemon", "mail.daemon", "bounce", "bounces"}
)
_AUTO_REPLY_SUBJECT = (
    "out of office", "out of the office", "automatic reply", "auto reply", "autoreply",
    "auto-reply", "auto:", "away until", "vacation", "abwesenheit", "absence", "on leave",
    "autosvar", "respuesta automática", "réponse automatique", "不在", "自動応答",
)


#: RFC 3464 §2.3.3 actions that are not failures; "deliverable" is what Sendmail and Postfix
#: answer to an address verification request (sendmail -bv, Postfix verify).
_DELIVERED_ACTIONS = frozenset({"delivered", "relayed", "expanded", "deliverable"})

#: Lines of a complaint report given as plain text rather than a message/feedback-report part
#: (RFC 5965 §3.1 fields), and the phrases of providers' own complaint formats.
_FEEDBACK_FIELD = re.compile(r"(?i)feedback-type:[ \t]{0,8}[a-z]")
#: The same at the start of a later line: the literal newline lets the engine skip ahead.
_FEEDBACK_FIELD_NL = re.compile(r"(?i)\nfeedback-type:[ \t]{0,8}[a-z]")
_COMPLAINT_PHRASES = ("complaint about message from", "sent this email to unsubscribe")

_KNOWN_HEADERS = ("From", "To", "Subject", "Date", "Received", "Message-ID", "Return-Path",
                  "Content-Type", "MIME-Version", "Delivered-To", "Sender")


class _BoundedMessage(email.message.Message):
    """A compat32 message whose parameters are read from a bounded prefix of their header.

    The stdlib's ``get_param`` is quadratic in the number of parameters, and its parser asks
    every multipart for its boundary while parsing: a Content-Type with megabytes of
    parameters stalled ``message_from_bytes`` itself (issue 9.1). Used as the parser's
    ``_class``, every part of a message read here is one of these.
    """

    def get_params(self, failobj: Any = None, header: str = "content-type", unquote: bool = True) -> Any:
        view = _bounded_view(self, header)
        if view is not self:
            return view.get_params(failobj, header, unquote)
        return super().get_params(failobj, header, unquote)

    def get_param(
        self, param: str, failobj: Any = None, header: str = "content-type", unquote: bool = True
    ) -> Any:
        view = _bounded_view(self, header)
        if view is not self:
            return view.get_param(param, failobj, header, unquote)
        return super().get_param(param, failobj, header, unquote)


def _bounded_view(msg: email.message.Message, header: str) -> email.message.Message:
    """``msg`` itself, or a message holding only the first ``_MAX_PARAMS`` characters of its
    ``header`` when that header is longer."""
    value = msg.get(header)
    if not isinstance(value, str) or len(value) <= _MAX_PARAMS:
        return msg
    holder = email.message.Message()
    holder[header] = value[:_MAX_PARAMS]
    return holder


def _parse_bytes(raw: bytes) -> email.message.Message:
    return email.message_from_bytes(raw, _class=_BoundedMessage, policy=email.policy.compat32)


def _param(msg: email.message.Message, name: str) -> str:
    """One Content-Type parameter of ``msg`` (bounded whatever class ``msg`` is), or ""."""
    try:
        value = _bounded_view(msg, "content-type").get_param(name, "")
    except Exception:  # an RFC 2231 value in a charset the codecs refuse
        return ""
    return value if isinstance(value, str) else ""


# -- public entry point ----------------------------------------------------------------------


def parse_bounce(
    message: bytes | str | os.PathLike[str] | email.message.Message,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    source: str | None = None,
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

    Returns:
        A :class:`BounceReport`. It never raises on message content: unreadable input gives
        kind ``malformed`` with the finding ``bounce.malformed``.

    Raises:
        TypeError: ``message`` is none of the accepted types.
        OSError: ``message`` is a path that cannot be read.
    """
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
            msg = _parse_bytes(raw)
        except Exception as exc:  # the stdlib parser is lenient, but never trust it fully
            return _malformed(f"unparseable MIME: {type(exc).__name__}", source)
    elif isinstance(message, email.message.Message):
        msg = message
    else:
        raise TypeError(
            f"message must be bytes, str, a path or email.message.Message, not {type(message).__name__}"
        )
    try:
        if raw_bytes is not None and not any(msg.get(h) is not None for h in _KNOWN_HEADERS):
            body = _headerless_bounce(raw_bytes, source)
            if body is not None:
                return body
        return _parse(msg, source)
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


# -- header and MIME helpers -----------------------------------------------------------------


def _header(msg: email.message.Message, name: str) -> str:
    value = msg.get(name)
    if value is None:
        return ""
    return _decoded(str(value)[:_MAX_HEADER])


def _decoded(value: str) -> str:
    """A header value with its RFC 2047 encoded words decoded (as written if they are broken)."""
    if "=?" not in value:
        # No RFC 2047 encoded word: decoding would give the same text back, slowly.
        return value
    try:
        return str(make_header(decode_header(value)))
    except Exception:
        return value


@functools.lru_cache(maxsize=256)
def _charset(content_type: str) -> str | None:
    """``get_content_charset()`` of a part with this Content-Type (cached: bounces repeat a
    few Content-Type values, and the stdlib parses the parameters on every call)."""
    holder = email.message.Message()
    holder["Content-Type"] = content_type
    try:
        return holder.get_content_charset()
    except (LookupError, UnicodeError, ValueError):
        # An RFC 2231 charset*= parameter is decoded by the stdlib with the charset it names:
        # a NUL or an unknown name in it raises. Such a part is still read (issue 9.5).
        return None


#: What a base64 body may hold (RFC 2045 §6.8): the alphabet, padding and line breaks.
_BASE64_TEXT = re.compile(r"[A-Za-z0-9+/=\s]*")


def _decode_payload(part: email.message.Message) -> str:
    """The text of one part. Never raises: a part whose transfer encoding or charset is
    garbage is read as well as it can be, and the rest of the message is still read."""
    try:
        payload = part.get_payload(decode=True)
    except Exception:  # the stdlib's decoders on hostile input: read the raw text instead
        payload = None
    if str(part.get("Content-Transfer-Encoding", "")).strip().lower() == "base64":
        raw_text = _payload(part)
        if isinstance(raw_text, str) and not _BASE64_TEXT.fullmatch(raw_text):
            # Labelled base64 but plainly text (RFC 2045 §6.8 has no room for "<", ":" or
            # spaces inside a line): the stdlib would drop what it cannot decode and return
            # noise; the text itself is what the sender meant.
            return raw_text
    if not isinstance(payload, bytes):
        raw = _payload(part)
        return raw if isinstance(raw, str) else ""
    ctype = part.get("Content-Type")
    return _text_of(payload, _charset(ctype[:_MAX_PARAMS]) if isinstance(ctype, str) else None)


def _text_of(payload: bytes, charset: str | None) -> str:
    """``payload`` decoded with the charset its part names, or as well as can be.

    A charset the codecs do not know, cannot name (a NUL in it) or that is no text
    encoding (``base64``, ``rot13``) is ignored, as is a UTF-16/32 label on bytes with no
    NUL (plainly not UTF-16/32): the bytes are then read as UTF-8, or as Latin-1 when they
    are not UTF-8 (every byte is a Latin-1 character, so that never fails).
    """
    wide = charset is not None and charset.lower().startswith(("utf-16", "utf16", "utf-32", "utf32"))
    if charset and not (wide and b"\x00" not in payload):
        with contextlib.suppress(Exception):  # LookupError, ValueError (a NUL), a codec's own
            return payload.decode(charset, "replace")
    try:
        return payload.decode("utf-8")
    except UnicodeDecodeError:
        return payload.decode("latin-1")


def _payload(part: email.message.Message) -> str | list[email.message.Message]:
    """``part.get_payload()`` (no transfer decoding), never raising.

    For 8-bit text compat32's ``get_payload()`` decodes the bytes with the part's charset
    parameter itself, and lets every error but LookupError through (a NUL in the name:
    ValueError; an RFC 2231 value: TypeError), so that step is done here by
    :func:`_text_of`, with its fallbacks, on the stdlib's own copy of the text (issue 9.5).
    """
    raw: object = getattr(part, "_payload", None)
    if isinstance(raw, str):
        try:
            raw.encode("utf-8")
        except UnicodeEncodeError:  # 8-bit bytes, held as surrogate escapes by the parser
            ctype = part.get("Content-Type")
            charset = _charset(ctype[:_MAX_PARAMS]) if isinstance(ctype, str) else None
            return _text_of(raw.encode("utf-8", "surrogateescape"), charset)
        return raw
    try:
        raw = part.get_payload()
    except Exception:
        return ""
    if isinstance(raw, str):
        return raw
    return [p for p in raw if isinstance(p, email.message.Message)] if isinstance(raw, list) else ""


def _block_text(part: email.message.Message) -> str:
    """The text of a ``message/delivery-status``-like part, whichever way it was parsed."""
    payload = _payload(part)
    if isinstance(payload, list):
        # compat32 parses message/delivery-status into header blocks (RFC 3464 §2.1).
        blocks = [
            "\n".join(f"{k}: {v}" for k, v in block.items())
            for block in payload
            if isinstance(block, email.message.Message)
        ]
        return "\n\n".join(blocks)
    return _decode_payload(part)


def _walk(msg: email.message.Message, parts: _Parts) -> None:
    """Sort the message's parts; the returned message is kept whole, never walked into."""
    stack: collections.deque[email.message.Message] = collections.deque([msg])
    seen = 0
    while stack and seen < _MAX_PARTS:
        part = stack.popleft()
        seen += 1
        ctype = part.get_content_type()
        maintype = ctype.partition("/")[0]  # what get_content_maintype() returns, without a rescan
        if ctype in ("message/delivery-status", "message/global-delivery-status"):
            parts.dsn.append(_block_text(part))
        elif ctype == "message/feedback-report":
            parts.feedback.append(_block_text(part))
        elif ctype == "message/disposition-notification":
            parts.refusals.append(_block_text(part))
        elif ctype in ("message/rfc822", "message/global"):
            payload = _payload(part)
            if isinstance(payload, list) and payload and isinstance(payload[0], email.message.Message):
                parts.returned.append(payload[0])
        elif ctype in ("text/rfc822-headers", "text/rfc822-header", "message/rfc822-headers",
                       "message/global-headers"):
            parts.returned_headers.append(_decode_payload(part))
        elif part.is_multipart():
            payload = _payload(part)
            if isinstance(payload, list):
                stack.extend(p for p in payload if isinstance(p, email.message.Message))
        elif maintype == "multipart":
            # A multipart whose boundary never occurs (RFC 2046 §5.1.1 broken): the email
            # package keeps the whole body as one string; read it as the bounce's text.
            payload = _payload(part)
            if isinstance(payload, str):
                parts.text.append(payload[: _MAX_TEXT * 4])
                if "final-recipient:" in payload[: _MAX_TEXT * 4].lower():
                    # The delivery-status fields are in there too (RFC 3464 §2.3).
                    parts.dsn.append(payload[: _MAX_TEXT * 4])
        elif ctype == "text/html":
            if not any(parts.text):
                parts.text.append(_html_to_text(_decode_payload(part)))
        elif maintype == "text" or (ctype == "application/octet-stream" and part is msg):
            parts.text.append(_decode_payload(part))


def _html_to_text(html: str) -> str:
    html = html[: _MAX_TEXT * 4]
    text = re.sub(r"(?i)<br\s{0,4}/?>|</(?:p|div|tr|li|h\d)>", "\n", html)
    text = _HTML_TAG.sub(" ", text)
    return (
        text.replace("&nbsp;", " ").replace("&lt;", "<").replace("&gt;", ">")
        .replace("&quot;", '"').replace("&#39;", "'").replace("&amp;", "&")
    )


# -- addresses -------------------------------------------------------------------------------


def valid_address(candidate: str) -> str | None:
    """``candidate`` as a normalized address if it is a syntactically valid one, else None.

    Pipe commands, file paths, JSON fragments and bracketed IP literals are refused: a
    bounce recipient must be a mailbox someone can fix.
    """
    if len(candidate) > _MAX_ADDRESS_FIELD:
        return None  # never an address (254 at most), and the cache keeps short keys only
    return _valid_address(candidate)


@functools.lru_cache(maxsize=4096)
def _valid_address(candidate: str) -> str | None:
    import email_validator

    text = candidate.strip().strip("<>\"'(),;:[]").rstrip(".")
    if not text or len(text) > 254 or text.count("@") != 1:
        return None
    local, _, domain = text.rpartition("@")
    if not local or local[0] in "|/\\" or "/" in local or '"' in local or "\\" in local:
        return None
    if "." not in domain or domain.startswith("[") or local.startswith(".") or ".." in local:
        return None
    tld = domain.rsplit(".", 1)[1]
    if not tld.isalpha() or len(tld) < 2:
        return None
    try:
        v = email_validator.validate_email(
            text, check_deliverability=False, allow_smtputf8=True, globally_deliverable=False
        )
    except email_validator.EmailNotValidError:
        if not domain.isascii() or tld.lower() not in email_validator.SPECIAL_USE_DOMAIN_NAMES:
            return None
        # A recipient at a special-use name (.test, .localhost, .local, .invalid: RFC 6761),
        # which shops' staging systems use, is still the recipient the bounce names (issue
        # 11.2). email-validator refuses these names whatever its options: the same check as
        # for the names a shop allows (Options.allow) reads them.
        from maildiag._validate import validate_special_use

        try:
            v = validate_special_use(text, True)
        except email_validator.EmailNotValidError:
            return None
    return f"{v.local_part}@{v.ascii_domain.lower()}"


#: An address-type prefix glued to an address: Exchange and X.400 gateways write the SMTP
#: address of a recipient as ``SMTP=user@example.com`` (an X.400 domain-defined attribute,
#: ``dda:SMTP=``) or ``smtp:user@example.com`` (a proxy address). ``=`` is a legal local-part
#: character (RFC 5322 §3.2.3 atext), so the prefix would otherwise read as part of the address.
_TYPE_PREFIX = re.compile(r"(?i)smtp[=:]")


def _addresses_in(text: str) -> Iterator[tuple[int, str]]:
    for m in _ADDR.finditer(text):
        start, candidate = m.start(), m.group(0)
        prefix = _TYPE_PREFIX.match(candidate)
        if prefix is not None:
            start, candidate = start + prefix.end(), candidate[prefix.end() :]
        addr = valid_address(candidate)
        if addr is not None:
            yield start, addr


def _first_address(text: str) -> str | None:
    """The first valid address of a one-address field, searched for near its start."""
    return next((a for _, a in _addresses_in(text[:_MAX_ADDRESS_FIELD])), None)


@functools.lru_cache(maxsize=256)
def _from_address(value: str) -> str:
    """The address part of a From value (cached: bounces come from the same few daemons)."""
    try:
        return parseaddr(value[:_MAX_ADDRESS_HEADER])[1]
    except Exception:  # RecursionError: the stdlib recurses once per "(" or ":"
        return ""


def _address_pairs(value: str) -> list[tuple[str, str]]:
    """``getaddresses`` of one header value, bounded and guarded.

    The stdlib recurses once per nested comment ``(`` or group ``:``: a few thousand of them
    raise RecursionError, which must cost this one header, not the whole bounce. At most
    ``_MAX_RECIPIENTS`` addresses are returned (each one is checked by email-validator).
    """
    try:
        return getaddresses([value[:_MAX_ADDRESS_HEADER]])[:_MAX_RECIPIENTS]
    except Exception:
        return []


def _header_addresses(msg: email.message.Message, *names: str) -> set[str]:
    found: set[str] = set()
    for name in names:
        for value in msg.get_all(name) or ():
            found |= _value_addresses(str(value)[:_MAX_ADDRESS_HEADER])
    return found


@functools.lru_cache(maxsize=1024)
def _value_addresses(value: str) -> frozenset[str]:
    """The valid addresses of one address header's value, lowercased.

    Cached: a batch of bounces repeats the same few values (the shop's own bounce address in
    To and Return-Path, its sender in the returned message's From), and the stdlib's address
    parser is one of the slowest steps of a parse.
    """
    if "@" not in value:
        return frozenset()  # no address can be valid without one (valid_address refuses it)
    found: set[str] = set()
    for _, addr in _address_pairs(value):
        valid = valid_address(addr) if addr else None
        if valid:
            found.add(valid.lower())
    return frozenset(found)


def _headers_block_addresses(text: str, *names: str, keys: bool = False) -> set[str]:
    """Addresses in ``Name:`` lines of a header block given as text (see ``_header_keys``)."""
    wanted = {n.lower() for n in names}
    found: set[str] = set()
    for name, value in _block_headers(text):
        if name in wanted:
            value = value[:_MAX_ADDRESS_HEADER]
            found |= _value_keys(value) if keys else _value_addresses(value)
    return found


def _header_keys(msg: email.message.Message, *names: str) -> set[str]:
    """The addresses of these headers as comparison keys, for sets that only *exclude*.

    A sender is never reported, only compared with candidates (which are fully validated), so
    an ASCII address needs no email-validator run: lower-cased, it is exactly the key
    ``valid_address`` gives. Non-ASCII ones still go through it (IDNA, NFC).
    """
    found: set[str] = set()
    for name in names:
        for value in msg.get_all(name) or ():
            found |= _value_keys(str(value)[:_MAX_ADDRESS_HEADER])
    return found


@functools.lru_cache(maxsize=1024)
def _value_keys(value: str) -> frozenset[str]:
    if "@" not in value:
        return frozenset()
    if not value.isascii():
        return _value_addresses(value)
    found: set[str] = set()
    for _, addr in _address_pairs(value):
        key = addr.strip().strip("<>\"'(),;:[]").rstrip(".").lower()
        if key.count("@") == 1:
            found.add(key)
    return frozenset(found)


def _original_message(parts: _Parts) -> tuple[str | None, str | None, str | None]:
    """(sender, Subject, Message-ID) of the returned message, when the bounce includes it: the
    attached message or its headers (RFC 3462 §2: the third part of a report), else the copy
    of its headers a text bounce quotes after its explanation (Exim, qmail, Sendmail). The
    sender is its ``From``, or its ``Return-Path`` (RFC 5321 §4.4) when it has no From."""
    names = ("from", "return-path", "subject", "message-id")
    fields: dict[str, str] = {}
    if parts.returned:
        returned = parts.returned[0]
        fields = {name: _header(returned, name) for name in names}
    else:
        block = parts.returned_headers[0] if parts.returned_headers else _quoted_headers(parts)
        found = dict(reversed(_block_headers(block)))  # the first of each wins
        fields = {name: _decoded(found.get(name, "")[:_MAX_HEADER]) for name in names}
    sender = fields["from"] if fields["from"].strip() else fields["return-path"]
    return tuple(  # type: ignore[return-value]
        " ".join(value.split())[:300] or None for value in (sender, fields["subject"], fields["message-id"])
    )


#: A header line as a text bounce quotes the returned message's: maybe indented or quoted
#: with ">" (group 1), then a field name the returned message's header block has.
_QUOTED_HEADER = re.compile(
    r"(?m)^([ \t>]{0,8})(?:return-path|received|from|to|subject|date|message-id|mime-version):",
    re.IGNORECASE,
)


def _quoted_headers(parts: _Parts) -> str:
    """The header block of the returned message quoted in a text bounce, unindented, or "".

    It starts at the first header line after the explanation (see ``_cut_returned``) and
    ends at its first blank line; the indent or ``>`` quoting of its first line is removed
    from every line, so folded lines (RFC 5322 §2.2.3) stay folded.
    """
    text = "\n".join(t for t in parts.text if t)[: _MAX_TEXT * 2]
    cut = len(_cut_returned(text))
    m = _QUOTED_HEADER.search(text, cut, cut + _MAX_TEXT)
    if m is None:
        return ""
    prefix = m.group(1)
    lines: list[str] = []
    for line in text[m.start() : m.start() + _MAX_TEXT].splitlines():
        if not line.startswith(prefix):
            break
        line = line[len(prefix) :]
        if not line.strip():
            break
        lines.append(line)
    return "\n".join(lines) + "\n"


def _block_headers(text: str) -> tuple[tuple[str, str], ...]:
    """The (lowercased name, value) fields of a header block given as text."""
    return _block_headers_of(text[:_MAX_TEXT])  # the cache keeps bounded keys only


@functools.lru_cache(maxsize=16)
def _block_headers_of(text: str) -> tuple[tuple[str, str], ...]:
    # Cached for the few blocks of the message being read: the same block is asked for its
    # senders and then for its recipient.
    try:
        msg = email.message_from_string(text, _class=_BoundedMessage, policy=email.policy.compat32)
    except Exception:
        return ()
    return tuple((k.lower(), str(v)) for k, v in msg.items())


# -- the parse -------------------------------------------------------------------------------


def _parse(msg: email.message.Message, source: str | None, depth: int = 0) -> BounceReport:
    subject = _header(msg, "Subject")[:300]
    raw_id = msg.get("Message-ID")
    message_id = (str(raw_id).strip() or None) if raw_id else None
    if not any(msg.get(h) is not None for h in _KNOWN_HEADERS):
        # Whatever this is (binary junk, a truncated file), it is not an RFC 5322 message.
        return _malformed("no message headers", source, subject)
    parts = _Parts()
    _walk(msg, parts)
    date = _header(msg, "Date")[:100] or None

    def report(kind: BounceKind, records: list[_Record], decoder: str) -> BounceReport:
        recipients = tuple(_finish(r) for r in records[:_MAX_RECIPIENTS])
        findings: tuple[Finding, ...] = ()
        if kind is BounceKind.FAILURE and not recipients:
            findings = (catalog.make("bounce.no_recipient", {"subject": subject}),)
        if kind is BounceKind.NOT_A_BOUNCE:
            findings = (catalog.make("bounce.not_a_bounce", {"subject": subject}),)
        return BounceReport(kind, recipients, decoder, subject, message_id, findings, source,
                            date, *_original_message(parts))

    # Addresses that are the sender's, never a failed recipient.
    senders = _header_keys(msg, "To", "Return-Path", "Delivered-To", "Envelope-To")
    # The returned message's author is the sender, unless the message was also addressed to
    # it (a message sent to oneself): then it may well be the recipient that failed.
    returned_senders: set[str] = set()
    returned_to: set[str] = set()
    for returned in parts.returned:
        returned_senders |= _header_keys(returned, "From", "Return-Path", "Sender", "Reply-To")
        returned_to |= _header_keys(returned, "To", "Cc")
    for block in parts.returned_headers:
        returned_senders |= _headers_block_addresses(block, "From", "Return-Path", "Sender", "Reply-To", keys=True)
        returned_to |= _headers_block_addresses(block, "To", "Cc", keys=True)
    senders |= returned_senders - returned_to

    # 1. ARF feedback reports (RFC 5965): complaints, not failures.
    ctype_params: dict[str, str] = {}
    if "feedback-report" in str(msg.get("Content-Type", "")).lower():
        # Only then are the parameters worth parsing (RFC 6522 §3: report-type).
        ctype_params = {"report-type": _param(msg, "report-type")}
    if parts.feedback or ctype_params.get("report-type", "").lower() == "feedback-report":
        return report(BounceKind.COMPLAINT, _arf_records(parts), "arf")
    complaint = _text_complaint(msg, parts, subject)
    if complaint is not None:
        return report(BounceKind.COMPLAINT, complaint, "arf")

    # 2. RFC 3464 delivery status notifications.
    if parts.dsn:
        records = _dsn_records(parts.dsn)
        if records:
            human = _human_text(parts)
            _enrich_from_text(records, human, senders)
            if all(r.action in _DELIVERED_ACTIONS for r in records):
                for r in records:
                    r.reason = "delivered"
                return report(BounceKind.DELIVERED, records, "rfc3464")
            records = [r for r in records if r.action not in _DELIVERED_ACTIONS]
            return report(BounceKind.FAILURE, records, "rfc3464")

    human = _human_text(parts)

    # 2b. A Sieve "reject" (RFC 5429 §2.1.1): the refusal is an MDN (RFC 8098) whose
    # disposition is automatic and "deleted"; its Final-Recipient is the mailbox that refused.
    refused = _refusal_records(parts.refusals)
    if refused:
        _enrich_from_text(refused, human, senders)
        return report(BounceKind.FAILURE, refused, "rfc5429")

    # 3. Amazon SES / SNS JSON notifications.
    if '"notificationType"' in human or '"eventType"' in human:
        ses = _ses_records(human)
        if ses is not None:
            kind, records = ses
            return report(kind, records, "amazonses")

    from_addr = _from_address(_header(msg, "From"))
    from_local = from_addr.partition("@")[0].lower()
    lowered_subject = subject.lower()
    failed_header = _header_addresses(msg, "X-Failed-Recipients")
    bounce_signals = (
        bool(failed_header)
        or from_local in _DAEMON_LOCALS
        or "mailer-daemon" in from_addr.lower()
        or any(w in lowered_subject for w in _BOUNCE_SUBJECT)
        or "mail delivery" in _header(msg, "From").lower()
    )

    # 4. Auto-replies (RFC 3834 §5): from a person's mailbox, marked or titled as automatic.
    if not bounce_signals or (from_local not in _DAEMON_LOCALS and _is_auto_reply(msg, lowered_subject)):
        if _is_auto_reply(msg, lowered_subject):
            who = valid_address(from_addr) if from_addr else None
            records = [_Record(who, action="auto_replied", reason="auto_reply")] if who else []
            return report(BounceKind.AUTO_REPLY, records, "rfc3834")
        if not bounce_signals and not _looks_like_bounce_text(human):
            return report(BounceKind.NOT_A_BOUNCE, [], "")

    # 5. Text bounces of every other MTA.
    records = _text_records(human, senders, failed_header, parts, msg)
    if not records and depth < _MAX_NESTED_REPORTS:
        # A notice that names no recipient and returns a delivery report (RFC 3462) as "the
        # message": a bounce of a bounce (a report that could not reach its sender). The
        # returned report names the recipient that failed; its To is only its own sender.
        for returned in parts.returned:
            if _is_delivery_report(returned):
                inner = _read_returned_report(returned, source, depth + 1)
                if inner is not None and inner.kind is BounceKind.FAILURE and inner.recipients:
                    return BounceReport(BounceKind.FAILURE, inner.recipients, inner.decoder, subject,
                                        message_id, inner.findings, source)
    _enrich_from_pasted_dsn(records, parts)
    return report(BounceKind.FAILURE, records, "text")


def _is_auto_reply(msg: email.message.Message, subject: str) -> bool:
    auto = str(msg.get("Auto-Submitted", "")).lower()
    if auto.startswith("auto-replied"):
        return True
    if msg.get("X-Autoreply") or msg.get("X-Autorespond") or (msg.get("X-Auto-Response-Suppress") and subject):
        return any(w in subject for w in _AUTO_REPLY_SUBJECT) or bool(msg.get("X-Autoreply"))
    if str(msg.get("Precedence", "")).lower() == "auto_reply":
        return True
    return any(subject.startswith(w) or w in subject for w in _AUTO_REPLY_SUBJECT)


#: What a bounce *body* shows even without its headers (pasted from a ticket, a webhook, a
#: log): the MTA's notice wording, RFC 3464 fields, or a quoted SMTP reply with its code.
_BODY_SIGNS = re.compile(
    r"^(?:final|original)-recipient:|^diagnostic-code:|^action: *(?:failed|delayed)"
    r"|\b[45]\d\d[ -][245]\.\d{1,3}\.\d{1,3}\b|remote host said:|\bsaid: *[45]\d\d\b"
    r"|smtp error from remote mail server|mailbox (?:is )?(?:full|unavailable)|user unknown",
    re.IGNORECASE | re.MULTILINE,
)


def _headerless_bounce(raw: bytes, source: str | None) -> BounceReport | None:
    """A bounce body with no message headers, read as one and said so (issue 11.1); else None."""
    text = raw[:_MAX_TEXT].decode("utf-8", "replace")
    if not (_looks_like_bounce_text(text) or _BODY_SIGNS.search(text)):
        return None
    # Wrapped in the header every MTA puts on a notice, so that every line stays body text
    # (pasted text often starts with "Final-Recipient:", which would read as a header) and the
    # text decoders take it for what it already looks like. The made-up header is dropped from
    # the report: its subject is empty and its finding says the headers were missing.
    wrapped = _parse_bytes(
        b"From: MAILER-DAEMON@headers-missing.invalid\nSubject: Delivery Status Notification\n"
        b"Content-Type: text/plain; charset=utf-8\n\n" + raw
    )
    report = _parse(wrapped, source)
    if not report.recipients and report.kind is not BounceKind.FAILURE:
        return None
    note = catalog.make("bounce.headers_missing", {})
    return dataclasses.replace(report, subject="", findings=(*report.findings, note))


def _looks_like_bounce_text(text: str) -> bool:
    head = text[:4000].lower()
    return any(
        p in head
        for p in (
            "could not be delivered", "delivery has failed", "permanent error", "was not delivered",
            "following address(es) failed", "undeliverable", "delivery to the following",
            "fatal errors", "i'm afraid i wasn't able to deliver", "unable to deliver",
        )
    )


def _human_text(parts: _Parts) -> str:
    """The explanation part of the bounce, cut before any returned copy of the message."""
    text = "\n".join(t for t in parts.text if t)[: _MAX_TEXT * 2]
    return _cut_returned(text)


def _cut_returned(text: str) -> str:
    lowered = text.lower()
    cut = len(text)
    for key, markers in _SEPARATOR_GROUPS:
        if key not in lowered:
            continue  # no marker of the group can occur
        for marker in markers:
            # Only an occurrence before the current cut matters: search no further than that.
            pos = lowered.find(marker, 0, cut + len(marker) - 1)
            while 0 <= pos < cut and _names_who_missed_it(lowered, pos):
                pos = lowered.find(marker, pos + 1, cut + len(marker) - 1)
            if 0 <= pos < cut:
                # Keep the marker's own line out: cut at the start of its line.
                cut = lowered.rfind("\n", 0, pos) + 1
    # A header block of the returned message (three header lines in a row) also ends it; two
    # ("Subject: ... / Date: ...") are often the bounce's own summary of the message.
    for m in _HEADERISH_NL.finditer(text, 0, cut):
        start = m.start() + 1  # the line, after its newline
        nxt = text.find("\n", m.end())
        if nxt < 0:
            break
        third = text.find("\n", nxt + 1)
        if (
            _HEADERISH.match(text, nxt + 1)
            and third >= 0
            and _HEADERISH.match(text, third + 1)
        ):
            cut = min(cut, start)
            break
    return text[:cut][:_MAX_TEXT]


def _names_who_missed_it(lowered: str, pos: int) -> bool:
    """True when the marker at ``pos`` heads the failure list, not the returned copy: "the
    following addresses did not receive a copy of your message:"."""
    return lowered[max(0, pos - 16) : pos].rstrip().endswith(("receive a", "received a", "get a", "got a"))


# -- RFC 3464 -----------------------------------------------------------------------------------


def _fields(text: str) -> Iterator[tuple[str, str]]:
    """``Name: value`` lines with RFC 5322 continuation lines unfolded, blank lines as ("", "").

    A generator: a reader that has what it needs (``_dsn_records`` at ``_MAX_RECIPIENTS``)
    stops, and the rest of the text is never read.
    """
    # Continuation pieces are collected in a list and joined once per field: appending to a
    # growing string made a field folded over many lines quadratic (issue 9.1). A value is
    # kept to its first _MAX_TEXT characters: no DSN field says more (RFC 5322 §2.1.1: 998
    # per line), and every later step reads the value whole. A line that is neither a field
    # nor a continuation is skipped; the field before it goes on.
    name = ""
    pieces: list[str] = []
    size = 0
    for line in text.splitlines():
        if not line.strip():
            if name:
                yield name, " ".join(pieces)[:_MAX_TEXT]
                name = ""
            yield "", ""
        elif line[0] in " \t" and name:
            if size < _MAX_TEXT:
                piece = line.strip()
                pieces.append(piece)
                size += len(piece) + 1
        else:
            field, sep, value = line.partition(":")
            if sep and field and " " not in field.strip() and len(field) < 64:
                if name:
                    yield name, " ".join(pieces)[:_MAX_TEXT]
                name, pieces = field.strip().lower(), [value.strip()[:_MAX_TEXT]]
                size = len(pieces[0])
    if name:
        yield name, " ".join(pieces)[:_MAX_TEXT]


def _typed(value: str) -> str:
    """Drop an RFC 3464 §2.1.2 address-type or diagnostic-type prefix (``rfc822;``, ``smtp;``)."""
    kind, sep, rest = value.partition(";")
    if sep and len(kind) < 20 and " " not in kind.strip():
        return rest.strip()
    return value.strip()


def _dsn_records(blocks: list[str]) -> list[_Record]:
    records: list[_Record] = []
    for block in blocks:
        current: _Record | None = None
        pending_original: str | None = None
        # Per-recipient fields that some reporters (Facebook) write before Final-Recipient
        # (RFC 3464 §2.3 fixes no order inside a group): kept until the group's recipient.
        early: list[tuple[str, str]] = []
        orphan = False  # the group's Final-Recipient was no usable address
        for name, value in _fields(block):
            if len(records) > _MAX_RECIPIENTS:
                break  # a mail bomb: more than are reported; each costs an address check
            if not name:
                early.clear()
                orphan = False
            if current is None and name in _EARLY_FIELDS:
                early.append((name, value))
                continue
            if name == "reporting-mta":
                # A per-message field (RFC 3464 §2.2): the MTA that wrote the report, not the
                # remote one that refused (§2.3.5 Remote-MTA), so never a recipient's field.
                continue
            if name == "original-recipient":
                pending_original = _first_address(_typed(value))
                if current is None and orphan and pending_original:
                    # Original-Recipient after an unusable Final-Recipient in the same group.
                    current = _Record(recipient=pending_original)
                    pending_original = None
                    records.append(current)
                    for early_name, early_value in early:
                        _set_field(current, early_name, early_value)
                    early.clear()
                    continue
                if current is not None and current.original is None and pending_original:
                    # Original-Recipient after Final-Recipient in the same group.
                    current.original = pending_original
                    pending_original = None
            elif name in ("final-recipient", "x-actual-recipient") and (
                name == "final-recipient" or current is None
            ):
                raw = _typed(value)
                addr = _first_address(raw) if "|" not in raw.split("@")[0] else None
                if addr is None and pending_original is not None:
                    # The final recipient is no mailbox anyone can fix (an internal route such
                    # as "user@ms-daemon", a pipe): the address the sender used names it
                    # (RFC 3464 §2.3.1, Original-Recipient).
                    addr, pending_original = pending_original, None
                if addr is None:
                    # A pipe or file delivery target with no original address: skip it (never
                    # report a command as a recipient), unless the group names its original
                    # after it.
                    current = None
                    orphan = True
                    continue
                current = _Record(recipient=addr, original=pending_original)
                pending_original = None
                records.append(current)
                for early_name, early_value in early:
                    _set_field(current, early_name, early_value)
                early.clear()
            elif current is not None:
                _set_field(current, name, value)
    for r in records:
        if r.original and r.original.lower() == r.recipient.lower():
            r.original = None
    return records


def _refusal_records(blocks: list[str]) -> list[_Record]:
    """The Final-Recipient of each MDN that reports an automatic deletion (a Sieve reject).

    Any other disposition (displayed, dispatched, processed) is a read receipt, not a failure.
    """
    records: list[_Record] = []
    for block in blocks:
        fields = dict(f for f in _fields(block) if f[0])
        disposition = fields.get("disposition", "").lower()
        mode, _, kind = disposition.partition(";")
        if not mode.strip().startswith("automatic-action") or kind.strip().split("/")[0] != "deleted":
            continue
        addr = _first_address(_typed(fields.get("final-recipient", "")))
        if addr is not None:
            records.append(_Record(addr, original=_first_address(_typed(fields.get("original-recipient", "")))))
    for r in records:
        if r.original and r.original.lower() == r.recipient.lower():
            r.original = None
    return records


_EARLY_FIELDS = frozenset({"action", "status", "remote-mta", "diagnostic-code", "x-diagnostic-code"})


def _set_field(record: _Record, name: str, value: str) -> None:
    """Set one per-recipient DSN field (RFC 3464 §2.3) on ``record``."""
    if name == "action":
        record.action = value.lower().split()[0] if value.split() else "failed"
    elif name == "status":
        m = _STATUS_RE.search(value)
        record.status = ".".join(m.groups()) if m else None
        comment = value[m.end() :].strip(" \t()") if m else ""
        if comment:
            # The reporter's own words for the code ("5.2.1 (mailbox disabled, not accepting
            # messages)", "4.0.0 (host name lookup failure)"): part of its explanation.
            record.context = f"{record.context} {comment}".strip()
    elif name == "remote-mta":
        record.remote_mta = _typed(value) or None
    elif name in ("diagnostic-code", "x-diagnostic-code") and not record.diagnostic:
        record.diagnostic = _typed(value)
        kind, sep, _ = value.partition(";")
        record.diagnostic_type = kind.strip().lower() if sep else ""


_PASTED_DSN = re.compile(r"(?im)^final-recipient:[ \t]*rfc822;")


def _enrich_from_pasted_dsn(records: list[_Record], parts: _Parts) -> None:
    """Fields of a DSN that reached us as plain text (a broken MIME boundary, a forward).

    Only recipients the text already names are filled in: the pasted report may be an
    older one about other addresses.
    """
    text = "\n".join(t for t in parts.text if t)[: _MAX_TEXT * 4]
    if not records or _PASTED_DSN.search(text) is None:
        return
    pasted = {r.recipient.lower(): r for r in _dsn_records([text])}
    for rec in records:
        found = pasted.get(rec.recipient.lower())
        if found is None or rec.status or rec.diagnostic:
            continue
        rec.status, rec.diagnostic, rec.action = found.status, found.diagnostic, found.action
        rec.remote_mta = rec.remote_mta or found.remote_mta


def _enrich_from_text(records: list[_Record], human: str, senders: set[str]) -> None:
    """Give each DSN record its part of the human-readable text of the bounce.

    It fills a missing diagnostic, and it often names the SMTP stage the DSN fields leave
    out (Postfix: "in reply to RCPT TO command").
    """
    if not human:
        return
    blocks = _blocks_by_address(human, {r.recipient.lower() for r in records}, senders)
    for r in records:
        block = blocks.get(r.recipient.lower(), "")
        r.scope = block or (human if len(records) == 1 else "")
        if not r.diagnostic:
            r.context = block or human


# -- text bounces ------------------------------------------------------------------------------


def _blocks_by_address(text: str, wanted: set[str] | None, senders: set[str]) -> dict[str, str]:
    """Each address's text: from its first mention to the next other address's first mention."""
    firsts: list[tuple[int, str]] = []
    seen: set[str] = set()
    contacts: set[str] = set()
    found = list(_addresses_in(text))  # scanned once, read twice below
    for pos, addr in found:
        key = addr.lower()
        if key in seen or key in senders:
            continue
        if wanted is not None and key not in wanted:
            continue
        if not _recipient_context(text, pos):
            if wanted is None and _contact_context(text, pos):
                contacts.add(key)
            continue
        if wanted is None and _is_display_name(text, pos, key):
            # "a@example.com <b@example.net>": the first is only the display name of the
            # second (RFC 5322 §3.4 name-addr), wherever it is repeated.
            contacts.add(key)
            continue
        seen.add(key)
        firsts.append((pos, key))
        if len(firsts) >= _MAX_RECIPIENTS:
            break
    # An address the explanation gives as a contact ("please contact <support@...>") is the
    # provider's helpdesk wherever else it is repeated (a translation of the same notice).
    firsts = [(pos, key) for pos, key in firsts if key not in contacts]
    keys = {key for _, key in firsts}
    mentions = [(pos, addr.lower()) for pos, addr in found if addr.lower() in keys]
    out: dict[str, str] = {}
    for i, (pos, key) in enumerate(firsts):
        end = firsts[i + 1][0] if i + 1 < len(firsts) else len(text)
        # A repeated notice (the same failure list told twice) names an earlier recipient
        # again: the text from there on is that recipient's, not this one's.
        end = min([end, *(p for p, k in mentions if p > pos and k != key)])
        # From the start of the line: a transcript's ">>> RCPT To:<address>" names the stage.
        start = max(text.rfind("\n", firsts[i - 1][0] if i else 0, pos) + 1, pos - 80)
        out[key] = text[start:end]
    return out


_NOT_RECIPIENT_BEFORE = (
    "mail from:", "mail from: ", "message-id:", "message-id: ", "from:", "from ", "sender:", "id ",
    "envelope-from ", "envelope-from", "reply-to:", "return-path:", "by ", "mailto:", "contact ",
    "please contact", "postmaster ", "smtp.mailfrom=", "header.from=", "originated by",
    "sent by ", "return-path: <", "<<< 250",
)


_NAME_ADDR_AFTER = re.compile(r"[^\s<>]{1,254}[ \t]{1,4}<([^\s<>]{1,254})>")


def _is_display_name(text: str, pos: int, key: str) -> bool:
    """True when the address at ``pos`` is followed by another one in angle brackets."""
    m = _NAME_ADDR_AFTER.match(text, pos)
    if m is None:
        return False
    other = valid_address(m.group(1))
    return other is not None and other.lower() != key


_NOT_RECIPIENT_BEFORE_STRIPPED = tuple(w.rstrip() for w in _NOT_RECIPIENT_BEFORE)


def _contact_context(text: str, pos: int) -> bool:
    """True when the words just before the address offer it as a contact."""
    before = text[max(0, pos - 24) : pos].lower().rstrip("<\"' ")
    return before.endswith(("contact", "mailto:"))


#: Words that introduce an address as an example or an alternative to try, not as one that
#: failed: "the standard form of address is ...", "e.g., ...", "try sending to ...".
_EXAMPLE_WORDS = ("e.g.", "for example", "for instance", "such as", "standard form")
#: An all-capitals local part is a template ("NAME@example.edu", "finger USER@host"): the
#: notice explains a form, it names nobody.
_PLACEHOLDER = re.compile(r"[A-Z]{3,12}@")


def _is_example(text: str, pos: int) -> bool:
    """True when the address at ``pos`` is a template or an example in the sentence before it."""
    if _PLACEHOLDER.match(text, pos) and text[pos : text.find("@", pos)] in _PLACEHOLDER_WORDS:
        return True
    window = text[max(0, pos - 60) : pos].lower()
    # Only the address's own sentence: after the last full stop that ends one ("e.g." does not).
    for end in (". ", ".\n", "\n\n"):
        cut = window.rfind(end)
        while cut >= 3 and window[cut - 3 : cut + 1] in ("e.g.", "i.e."):
            cut = window.rfind(end, 0, cut)
        if cut >= 0 and window[max(0, cut - 3) : cut + 1] not in ("e.g.", "i.e."):
            window = window[cut + len(end) :]
    return any(w in f" {window}" for w in _EXAMPLE_WORDS)


_PLACEHOLDER_WORDS = frozenset({"NAME", "USER", "USERNAME", "YOURNAME", "LOGIN", "ADDRESS", "EMAIL", "NICKNAME"})


def _recipient_context(text: str, pos: int) -> bool:
    """False when the words just before the address show it is not a recipient."""
    before = text[max(0, pos - 24) : pos].lower().rstrip("<\"' ")
    before_full = text[max(0, pos - 24) : pos].lower()
    if before_full.endswith(("smtp=", "smtp:")):
        return True  # an address-type prefix (see _TYPE_PREFIX), not a URL parameter
    if _is_example(text, pos):
        return False
    if before.endswith(("://", "/")) or "=" in before_full[-2:]:
        return False
    # str.endswith takes a tuple: one C call each rather than a Python loop over the words.
    return not (before.endswith(_NOT_RECIPIENT_BEFORE_STRIPPED) or before_full.endswith(_NOT_RECIPIENT_BEFORE))


def _text_records(
    human: str,
    senders: set[str],
    failed_header: set[str],
    parts: _Parts,
    msg: email.message.Message,
) -> list[_Record]:
    blocks = _blocks_by_address(human, None, senders)
    # Daemon and list-owner addresses in the explanation are contacts, not recipients.
    blocks = {
        a: b for a, b in blocks.items()
        if a.partition("@")[0] not in _DAEMON_LOCALS or (failed_header and a in failed_header)
    }
    if not blocks and not failed_header:
        # No address is named as failed: a target generated from one may be.
        generated = _generated_from(human, senders)
        if generated:
            return generated
    if failed_header:
        # Exim names every failed recipient in X-Failed-Recipients: trust it over the text.
        order = [a for a in blocks if a in failed_header] + sorted(failed_header - set(blocks))
        return [_Record(a, context=blocks.get(a, human)) for a in order]
    if len(blocks) > 1:
        # "To: address" (maybe quoted "> To:") is the summary of the returned message's
        # headers that Exchange and Sendmail print; the failed recipients are named elsewhere.
        # An address first named inside a pasted "Diagnostic-Code:" field (RFC 3464 §2.3.6)
        # is the remote server's echo of the recipient (an alias, a rewritten address), not
        # another recipient: the report's recipient is named before it.
        summary = _first_named_on_summary_line(human)
        named = {
            a: b for a, b in blocks.items()
            if not _is_to_line(b) and a not in summary and not _is_diagnostic_line(b)
        }
        blocks = named or blocks
    if len(blocks) > 1:
        blocks = _before_suggestions(human, blocks)
    if len(blocks) == 1:
        # The only recipient: the explanation's words before its address (a notice that gives
        # the reason first and the address last) are about it too.
        return [_Record(a, context=b, explanation=human) for a, b in blocks.items()]
    if blocks:
        return [_Record(a, context=b) for a, b in blocks.items()]
    if any(_is_delivery_report(r) for r in parts.returned):
        return []  # the returned report names the recipient: the caller reads it
    # The failure list names only the bounce's own addressee, alone on its line (Exim's "The
    # following address(es) failed:\n\n  a@example.org:"): a message its sender also
    # addressed to itself. The list says who failed; the returned To may be another copy's.
    own_to = _header_addresses(msg, "To")
    if len(own_to) == 1 and _listed_alone(human, next(iter(own_to))):
        listed = _blocks_by_address(human, own_to, set())
        return [_Record(a, context=b) for a, b in listed.items() if not _is_to_line(b)]
    # The text names no one: the returned message's single recipient is the one that failed.
    tos: set[str] = set()
    for returned in parts.returned:
        tos |= _header_addresses(returned, "To")
    for block in parts.returned_headers:
        tos |= _headers_block_addresses(block, "To")
    if not tos:
        tos = _returned_to_in_text(parts)
    tos -= senders
    if len(tos) == 1:
        return [_Record(next(iter(tos)), context=human)]
    # Last resort: a bounce sent back to the failed address itself (a local delivery that
    # failed for the mailbox it was addressed to): its own To, when the explanation names it.
    returned_from: set[str] = set()
    for returned in parts.returned:
        returned_from |= _header_addresses(returned, "From", "Sender")
    own = _header_addresses(msg, "To") - returned_from
    mine = _blocks_by_address(human, own, set()) if len(own) == 1 else {}
    # A "To: address" line is a quoted header of the bounce itself, not an explanation.
    return [_Record(a, context=b) for a, b in mine.items() if not _is_to_line(b)]


#: Exim's "(generated from ann@example.com)" under a failed address: the address the sender
#: used, which an alias or a forward expanded into the failed one.
_GENERATED_FROM = re.compile(r"(?i)\(generated from[ \t]{1,4}<?(" + _ADDR.pattern + ")")


def _generated_from(human: str, senders: set[str]) -> list[_Record]:
    """Recipients of a failure list that names no address but the ones its targets came from.

    "an undisclosed address (generated from ann@example.com)": an alias or a forward expanded
    the sender's recipient into a target the report does not disclose; the address the
    sender used is all that is known of it, and the one the sender can act on.
    """
    if "generated from" not in human.lower():
        return []
    records: list[_Record] = []
    seen: set[str] = set()
    for m in _GENERATED_FROM.finditer(human):
        addr = valid_address(m.group(1))
        if addr is None or addr.lower() in senders or addr.lower() in seen:
            continue
        seen.add(addr.lower())
        # Its text: from the line before (the undisclosed target) onwards.
        start = human.rfind("\n", 0, max(0, human.rfind("\n", 0, m.start()))) + 1
        records.append(_Record(addr.lower(), context=human[start:]))
    return records


#: How deep a bounce of a bounce is read (the returned message being itself a report).
_MAX_NESTED_REPORTS = 2


def _read_returned_report(msg: email.message.Message, source: str | None, depth: int) -> BounceReport | None:
    """The returned report read as a bounce of its own, or None when it cannot be read (the
    notice that returned it still stands)."""
    try:
        return _parse(msg, source, depth)
    except Exception:
        return None


def _is_delivery_report(msg: email.message.Message) -> bool:
    """True for an RFC 3462 ``multipart/report; report-type=delivery-status`` message."""
    if msg.get_content_type() != "multipart/report":
        return False
    return _param(msg, "report-type").lower() == "delivery-status"


def _listed_alone(text: str, address: str) -> bool:
    """True when a line of ``text`` is ``address`` alone (maybe in <>, maybe with a colon)."""
    if address not in text.lower():
        return False
    return any(line.strip().rstrip(":").strip("<> \t").lower() == address for line in text.splitlines())


def _is_to_line(block: str) -> bool:
    """True for a summary line of the returned message's addressees (``To:``, ``Cc:``, maybe
    quoted with ``>``): the list the message was sent to, not the failure list."""
    return block.lstrip("> \t*-").lower().startswith(("to:", "cc:", "bcc:"))


#: Headings of a directory lookup's suggestions that follow the failure ("the following
#: locator information may be of help", "did you mean"): other people, not failures.
_SUGGESTION_HEADINGS = ("may be of help", "another means of contacting", "did you mean",
                        "possible matches", "similar addresses", "you may want to try")


def _before_suggestions(human: str, blocks: dict[str, str]) -> dict[str, str]:
    """``blocks`` without the addresses first named after a suggestions heading, when some
    recipient is named before it."""
    lowered = human.lower()
    heading = min((p for p in (lowered.find(h) for h in _SUGGESTION_HEADINGS) if p >= 0), default=-1)
    if heading < 0:
        return blocks
    kept = {a: b for a, b in blocks.items() if 0 <= lowered.find(a) < heading}
    return kept or blocks


def _first_named_on_summary_line(text: str) -> set[str]:
    """Addresses whose first mention is on a ``To:`` / ``Cc:`` summary line of ``text``.

    The summary lists every addressee of the returned message (a list, its other members);
    the second address of such a line has a block that does not start at the line's start,
    so the line itself is looked at.
    """
    seen: set[str] = set()
    found: set[str] = set()
    for pos, addr in _addresses_in(text):
        key = addr.lower()
        if key in seen:
            continue
        seen.add(key)
        if _is_to_line(text[text.rfind("\n", 0, pos) + 1 : pos]):
            found.add(key)
    return found


def _is_diagnostic_line(block: str) -> bool:
    return block.lstrip("> \t").lower().startswith(("diagnostic-code:", "x-diagnostic-code:"))


def _returned_to_in_text(parts: _Parts) -> set[str]:
    """``To:`` of an original message quoted inline after the separator of a text bounce."""
    text = "\n".join(t for t in parts.text if t)[: _MAX_TEXT * 2]
    cut = len(_cut_returned(text))
    rest = text[cut : cut + _MAX_TEXT]
    found: set[str] = set()
    for line in rest.splitlines():
        if line.lower().startswith("to:"):
            for _, addr in _address_pairs(line[3:]):
                valid = valid_address(addr) if addr else None
                if valid:
                    found.add(valid.lower())
    return found


# -- ARF and SES -----------------------------------------------------------------------------


def _arf_records(parts: _Parts) -> list[_Record]:
    found: list[str] = []
    for block in parts.feedback:
        for name, value in _fields(block):
            if name in ("original-rcpt-to", "removal-recipient"):
                addr = _first_address(value)
                if addr and addr.lower() not in {a.lower() for a in found}:
                    found.append(addr)
    if not found:
        for returned in parts.returned:
            found.extend(sorted(_header_addresses(returned, "To")))
        for block in parts.returned_headers:
            found.extend(sorted(_headers_block_addresses(block, "To")))
    return [_Record(a, action="complained", reason="complaint") for a in dict.fromkeys(found)]


def _text_complaint(msg: email.message.Message, parts: _Parts, subject: str) -> list[_Record] | None:
    """Complaints sent without an RFC 5965 part: Feedback-Type fields in the text, Hotmail's
    JMRP reports (the returned message carries X-HmXmrOriginalRecipient), and unsubscribe
    requests that a mail client sends for the reader (Apple Mail)."""
    jmrp = [r for r in parts.returned if r.get("X-HmXmrOriginalRecipient")]
    text = "\n".join(t for t in parts.text if t)[:_MAX_TEXT]
    lowered = (subject + "\n" + text[:4000]).lower()
    fields = _FEEDBACK_FIELD.match(text) or _FEEDBACK_FIELD_NL.search(text)
    if not (jmrp or fields or any(p in lowered for p in _COMPLAINT_PHRASES)):
        return None
    found: list[str] = []
    for returned in jmrp:
        addr = _first_address(str(returned.get("X-HmXmrOriginalRecipient", "")))
        if addr:
            found.append(addr)
    for name, value in _fields(text):
        if name in ("original-rcpt-to", "removal-recipient"):
            addr = _first_address(value)
            if addr:
                found.append(addr)
    if not found:
        records = _arf_records(parts)
        if records:
            return records
        # An unsubscribe request comes from the reader's own mailbox.
        sender = valid_address(_from_address(_header(msg, "From")))
        found = [sender] if sender else []
    return [_Record(a, action="complained", reason="complaint") for a in dict.fromkeys(found)]


def _ses_records(text: str) -> tuple[BounceKind, list[_Record]] | None:
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
            rec = _Record(addr, action=str(item.get("action") or "failed"), status=status, diagnostic=diag)
            rec.remote_mta = str(bounce.get("remoteMtaIp") or "") or None
            rec.context = _SES_SUBTYPE_HINT.get(subtype, "")
            if not permanent and rec.status is None:
                rec.status = "4.0.0"
            records.append(rec)
        return BounceKind.FAILURE, records
    if kind == "complaint":
        complaint = data.get("complaint") or {}
        records = [
            _Record(a, action="complained", reason="complaint")
            for item in complaint.get("complainedRecipients") or ()
            if isinstance(item, dict) and (a := valid_address(str(item.get("emailAddress", ""))))
        ]
        return BounceKind.COMPLAINT, records
    if kind == "delivery":
        delivery = data.get("delivery") or {}
        records = [
            _Record(a, action="delivered", reason="delivered",
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


# -- finishing a record ----------------------------------------------------------------------


def _one_line(text: str) -> str:
    text = _SMTP_CONT.sub("", text)
    return " ".join(text.split())[:_MAX_DIAGNOSTIC]


def _finish(rec: _Record) -> BounceRecipient:
    diagnostic = _one_line(rec.diagnostic)
    context = _one_line(rec.context) if rec.context else ""
    text = diagnostic or context
    # Status and reply code: the DSN's own fields first, then the text.
    status = rec.status
    reply = rec.reply_code
    m = _REPLY_STATUS.search(text)
    if m:
        reply = reply or int(m.group(1))
        found = m.group(2)
        if status is None or (status.endswith(".0.0") and found[0] == status[0]):
            status = found
    if status is None:
        sm = _STATUS_RE.search(text)
        if sm:
            status = ".".join(sm.groups())
    if reply is None:
        rm = _REPLY.search(text)
        if rm:
            reply = int(rm.group(1))
    if status is None and reply is not None:
        status = f"{str(reply)[0]}.0.0"
    remote = rec.remote_mta
    if remote is None:
        hm = _REMOTE_HOST.search(text)
        if hm:
            remote = hm.group(1).lower()
    if not diagnostic:
        diagnostic = context
    command = _smtp_command(rec.diagnostic, rec.context, rec.scope)
    if rec.reason is not None:
        reason = rec.reason
    else:
        reason = reasons.classify(
            status, " ".join((rec.diagnostic, rec.context)), command=command, action=rec.action
        )
        if reason == "undetermined" and rec.explanation:
            reason = reasons.classify(status, rec.explanation, command=command, action=rec.action)
        if rec.diagnostic_type == "x-unix" and reason in _LOCAL_MAILER_REASONS:
            # RFC 3464 §2.3.6: an X-Unix diagnostic is the exit status or output of the local
            # delivery program (procmail, a pipe). Unless it names a cause (quota, virus...),
            # the receiving system's mailer failed, whatever words it printed.
            reason = "receiver_error"
        if (
            reason == "filtered"
            and (rec.remote_mta or remote or "").lower().rstrip(".").endswith("docomo.ne.jp")
            and not (status or "").startswith(("5.2.", "4.2."))
        ):
            # NTT DoCoMo accepts every RCPT and answers "550 Unknown user" after DATA when the
            # recipient's reception settings refuse this sender (a mailbox status X.2.x, when
            # given, is its domain filter instead): the sender is refused, not the message.
            reason = "sender_rejected"
        if reason == "undetermined" and rec.recipient.lower().endswith("@googlegroups.com"):
            # A Google Groups notice (in the poster's language, with no code) that the group
            # does not exist or does not take posts from this sender: the sender is refused.
            reason = "sender_rejected"
    permanent = _permanent(status, reply, rec.action, context)
    # A delay warning is never hard, whatever text it quotes: the message is still being
    # tried and the address may well work (issue 11.3).
    hard = (
        reason not in reasons.NON_FAILURE_REASONS
        and not _is_delay_warning(rec.action, context)
        and reasons.is_hard(reason, status)
    )
    recipient = rec.recipient
    return BounceRecipient(
        recipient=recipient,
        original_recipient=rec.original,
        action=rec.action,
        status=status,
        reply_code=reply,
        diagnostic=diagnostic,
        remote_mta=remote,
        reason=reason,
        hard=hard,
        permanent=permanent,
        smtp_command=command,
    )


#: Reasons that an X-Unix (local delivery program) diagnostic turns into a mailer error.
_LOCAL_MAILER_REASONS = frozenset({"undetermined", "protocol", "user_unknown", "filtered"})


def _smtp_command(*texts: str) -> str | None:
    """The SMTP command a failure answered, as the bounce's text reports it (last one said)."""
    for text in texts:
        found = None
        if not any(word in text for word in _COMMAND_WORDS):
            continue  # the cheap test first: most texts name no stage at all
        for m in _COMMAND_RE.finditer(" ".join(text[:_MAX_COMMAND_TEXT].split())):
            found = m.group(1) or m.group(2)
        if found is not None:
            return _COMMAND_NAMES.get(found, found)
    return None


#: The wording of a delay warning (Exim "has not yet been delivered ... attempts will
#: continue", Sendmail "could not send message for past 4 hours ... Will keep trying",
#: Postfix "Delayed Mail (still being retried)"): the message is still queued, so the
#: failure is temporary whatever codes the text quotes (issue 11.3).
_DELAY_WORDING = re.compile(
    r"has not yet been delivered|attempts will continue|will keep trying|still being retried"
    r"|could not send message for past|message still undelivered|this is a warning message only"
    r"|delivery (?:has been|is) delayed|will be retried",
    re.IGNORECASE | re.MULTILINE,
)


def _is_delay_warning(action: str, context: str) -> bool:
    """A warning that the message is still queued (RFC 3464 ``Action: delayed``, or the wording)."""
    return action == "delayed" or _DELAY_WORDING.search(context[:_MAX_TEXT]) is not None


def _permanent(status: str | None, reply: int | None, action: str, context: str) -> bool:
    if _is_delay_warning(action, context):
        return False
    if status:
        return status.startswith("5")
    if reply:
        return str(reply).startswith("5")
    return "temporary" not in context.lower()


@functools.lru_cache(maxsize=2048)
def _base_diagnosis(address: str) -> Diagnosis:
    from maildiag.api import diagnose

    try:
        return diagnose(address, offline=True)
    except Exception:
        # diagnose() promises not to raise on any string; should a bug in another check
        # break that promise, the bounce's own finding must still reach support.
        return Diagnosis(address=address, normalized=address, verdict=Verdict.UNKNOWN,
                         domain=address.rpartition("@")[2], checks=("syntax",))


def recipient_diagnosis(r: BounceRecipient) -> Diagnosis:
    """The offline diagnosis of ``r``'s address, led by the bounce's own finding."""
    return _diagnosis(r.recipient, r.reason, r.status, r.reply_code, r.diagnostic, r.remote_mta)


def _diagnosis(
    address: str, reason: str, status: str | None, reply: int | None, diagnostic: str,
    remote: str | None,
) -> Diagnosis:
    """The address's offline diagnosis, led by the bounce's own finding."""
    base = _base_diagnosis(address)
    code = f"bounce.{reason}"
    evidence = [e for e in (f"status {status}" if status else "", f"reply {reply}" if reply else "",
                            f"remote {remote}" if remote else "", diagnostic[:300]) if e]
    finding = catalog.make(
        code,
        {"address": address, "domain": address.rpartition("@")[2], "status": status or ""},
        evidence,
    )
    entry = catalog.info(code)
    verdict = entry.verdict or base.verdict
    blame = entry.blame
    confidence = entry.confidence
    if base.suggestion is not None and entry.blame.value in ("address", "domain"):
        # A typo'd address that bounced: offering the correction is the fix.
        verdict = Verdict.FIX
    return dataclasses.replace(
        base,
        findings=(finding, *base.findings),
        verdict=verdict,
        blame=blame,
        confidence=confidence,
        checks=(*base.checks, "bounce"),
    )
