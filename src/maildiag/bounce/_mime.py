"""Reading a message: bounded MIME parsing, the text of each part, header and field lines.

The MIME walk sorts a message's parts into the kinds the decoders read (delivery-status,
feedback-report, refusals, human text, the returned message); the helpers here never raise on
broken encodings or charsets (issue 9.5).
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import email
import email.message
import email.policy
import functools
import re
from collections.abc import Iterator
from email.header import decode_header, make_header
from typing import Any

from maildiag.bounce._limits import MAX_HEADER, MAX_PARAMS, MAX_PARTS, MAX_TEXT


@dataclasses.dataclass(slots=True)
class Parts:
    """What the MIME walk gathered."""

    dsn: list[str] = dataclasses.field(default_factory=list)
    feedback: list[str] = dataclasses.field(default_factory=list)
    refusals: list[str] = dataclasses.field(default_factory=list)
    text: list[str] = dataclasses.field(default_factory=list)
    returned: list[email.message.Message] = dataclasses.field(default_factory=list)
    returned_headers: list[str] = dataclasses.field(default_factory=list)


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


#: Each key is as long as its group's markers share: a group whose key is absent costs one
#: search instead of one per marker, and "follow" alone is in most notices ("the following
#: address"). Any key gives the same cut; these search a quarter less on the dev corpus.
_SEPARATOR_GROUPS = _group_separators(
    ("message follows", "headers follow", "original message", "returned message", "copy", "below")
)


KNOWN_HEADERS = ("From", "To", "Subject", "Date", "Received", "Message-ID", "Return-Path",
                  "Content-Type", "MIME-Version", "Delivered-To", "Sender")
_KNOWN_LOWER = frozenset(h.lower() for h in KNOWN_HEADERS)


def has_message_headers(msg: email.message.Message) -> bool:
    """True when ``msg`` has any header every message has one of (From, Date, Received...)."""
    # keys() lists the names without fetching (and sanitising) any value.
    return any(k.lower() in _KNOWN_LOWER for k in msg)


class BoundedMessage(email.message.Message):
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
    """``msg`` itself, or a message holding only the first ``MAX_PARAMS`` characters of its
    ``header`` when that header is longer."""
    value = msg.get(header)
    if not isinstance(value, str) or len(value) <= MAX_PARAMS:
        return msg
    holder = email.message.Message()
    holder[header] = value[:MAX_PARAMS]
    return holder


def parse_bytes(raw: bytes) -> email.message.Message:
    return email.message_from_bytes(raw, _class=BoundedMessage, policy=email.policy.compat32)


def content_param(msg: email.message.Message, name: str) -> str:
    """One Content-Type parameter of ``msg`` (bounded whatever class ``msg`` is), or ""."""
    try:
        value = _bounded_view(msg, "content-type").get_param(name, "")
    except Exception:  # an RFC 2231 value in a charset the codecs refuse
        return ""
    return value if isinstance(value, str) else ""


def header_text(msg: email.message.Message, name: str) -> str:
    value = msg.get(name)
    if value is None:
        return ""
    return _decoded(str(value)[:MAX_HEADER])


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
    return _text_of(payload, _charset(ctype[:MAX_PARAMS]) if isinstance(ctype, str) else None)


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
            charset = _charset(ctype[:MAX_PARAMS]) if isinstance(ctype, str) else None
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


def walk_parts(msg: email.message.Message, parts: Parts) -> None:
    """Sort the message's parts; the returned message is kept whole, never walked into."""
    stack: collections.deque[email.message.Message] = collections.deque([msg])
    seen = 0
    while stack and seen < MAX_PARTS:
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
                parts.text.append(payload[: MAX_TEXT * 4])
                if "final-recipient:" in payload[: MAX_TEXT * 4].lower():
                    # The delivery-status fields are in there too (RFC 3464 §2.3).
                    parts.dsn.append(payload[: MAX_TEXT * 4])
        elif ctype == "text/html":
            if not any(parts.text):
                parts.text.append(_html_to_text(_decode_payload(part)))
        elif maintype == "text" or (ctype == "application/octet-stream" and part is msg):
            parts.text.append(_decode_payload(part))


def _html_to_text(html: str) -> str:
    html = html[: MAX_TEXT * 4]
    text = re.sub(r"(?i)<br\s{0,4}/?>|</(?:p|div|tr|li|h\d)>", "\n", html)
    text = _HTML_TAG.sub(" ", text)
    return (
        text.replace("&nbsp;", " ").replace("&lt;", "<").replace("&gt;", ">")
        .replace("&quot;", '"').replace("&#39;", "'").replace("&amp;", "&")
    )


def original_message(parts: Parts) -> tuple[str | None, str | None, str | None]:
    """(sender, Subject, Message-ID) of the returned message, when the bounce includes it: the
    attached message or its headers (RFC 3462 §2: the third part of a report), else the copy
    of its headers a text bounce quotes after its explanation (Exim, qmail, Sendmail). The
    sender is its ``From``, or its ``Return-Path`` (RFC 5321 §4.4) when it has no From."""
    names = ("from", "return-path", "subject", "message-id")
    fields: dict[str, str] = {}
    if parts.returned:
        returned = parts.returned[0]
        fields = {name: header_text(returned, name) for name in names}
    else:
        block = parts.returned_headers[0] if parts.returned_headers else _quoted_headers(parts)
        found = dict(reversed(block_headers(block)))  # the first of each wins
        fields = {name: _decoded(found.get(name, "")[:MAX_HEADER]) for name in names}
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


def _quoted_headers(parts: Parts) -> str:
    """The header block of the returned message quoted in a text bounce, unindented, or "".

    It starts at the first header line after the explanation (see ``cut_returned``) and
    ends at its first blank line; the indent or ``>`` quoting of its first line is removed
    from every line, so folded lines (RFC 5322 §2.2.3) stay folded.
    """
    text = "\n".join(t for t in parts.text if t)[: MAX_TEXT * 2]
    cut = len(cut_returned(text))
    m = _QUOTED_HEADER.search(text, cut, cut + MAX_TEXT)
    if m is None:
        return ""
    prefix = m.group(1)
    lines: list[str] = []
    for line in text[m.start() : m.start() + MAX_TEXT].splitlines():
        if not line.startswith(prefix):
            break
        line = line[len(prefix) :]
        if not line.strip():
            break
        lines.append(line)
    return "\n".join(lines) + "\n"


def block_headers(text: str) -> tuple[tuple[str, str], ...]:
    """The (lowercased name, value) fields of a header block given as text."""
    return _block_headers_of(text[:MAX_TEXT])  # the cache keeps bounded keys only


#: A header line as the stdlib's parser tells one (RFC 5322 §2.2: printable ASCII but ":").
_FIELD_NAME = re.compile(r"[\041-\071\073-\176]*:")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


@functools.lru_cache(maxsize=16)
def _block_headers_of(text: str) -> tuple[tuple[str, str], ...]:
    # Cached for the few blocks of the message being read: the same block is asked for its
    # senders and then for its recipient. Read as the stdlib's compat32 parser reads a header
    # block (same fields, same folded values: RFC 5322 §2.2.3), without building a message.
    fields: list[tuple[str, str]] = []
    for number, line in enumerate(_LINE_BREAK.split(text)):
        if line[:1] in (" ", "\t"):
            if fields:  # a continuation line: part of the field before it
                name, value = fields[-1]
                fields[-1] = (name, f"{value}\n{line}")
            continue
        if not line:
            break  # the end of the header block
        m = _FIELD_NAME.match(line)
        if m is None:
            if number == 0 and line.startswith("From "):
                continue  # an mbox "From " line
            break  # not a header: the body begins
        fields.append((line[: m.end() - 1].lower(), line[m.end() :].lstrip(" \t").rstrip("\r\n")))
    return tuple(fields)


def human_text(parts: Parts) -> str:
    """The explanation part of the bounce, cut before any returned copy of the message."""
    text = "\n".join(t for t in parts.text if t)[: MAX_TEXT * 2]
    return cut_returned(text)


def cut_returned(text: str) -> str:
    """``text`` up to the returned copy of the message (at most ``MAX_TEXT`` characters)."""
    return text[: _returned_at(text)][:MAX_TEXT]


@functools.lru_cache(maxsize=4)
def _returned_at(text: str) -> int:
    # Cached for the message being read: its explanation, the quoted headers after it and
    # the text decoders' returned To all cut the same joined text parts, a third of the
    # calls were repeats. Keys are that text (at most 2 * MAX_TEXT characters), 4 of them.
    lowered = _lower_in_place(text)
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
    return cut


def _lower_in_place(text: str) -> str:
    """``text`` lower-cased with every character where it was, so positions in it cut ``text``.

    ``str.lower`` can lengthen a character ("İ" becomes "i" and a combining dot), which
    would shift every position after it; such characters are kept as they are (the markers
    searched for are ASCII).
    """
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    return "".join(c if len(low := c.lower()) != 1 else low for c in text)


def _names_who_missed_it(lowered: str, pos: int) -> bool:
    """True when the marker at ``pos`` is a sentence about the message, not the heading of its
    returned copy: the failure list's heading ("the following addresses did not receive a
    copy of your message:"), or advice ("Please do not resend your original message.",
    Symantec's gateway, before the words that say it is still trying)."""
    return lowered[max(0, pos - 16) : pos].rstrip().endswith(_NOT_A_HEADING)


_NOT_A_HEADING = ("receive a", "received a", "get a", "got a", "resend", "re-send")


def read_fields(text: str) -> Iterator[tuple[str, str]]:
    """``Name: value`` lines with RFC 5322 continuation lines unfolded, blank lines as ("", "").

    A generator: a reader that has what it needs (``dsn_records`` at ``MAX_RECIPIENTS``)
    stops, and the rest of the text is never read.
    """
    # Continuation pieces are collected in a list and joined once per field: appending to a
    # growing string made a field folded over many lines quadratic (issue 9.1). A value is
    # kept to its first MAX_TEXT characters: no DSN field says more (RFC 5322 §2.1.1: 998
    # per line), and every later step reads the value whole. A line that is neither a field
    # nor a continuation is skipped; the field before it goes on.
    name = ""
    pieces: list[str] = []
    size = 0
    for line in text.splitlines():
        if not line.strip():
            if name:
                yield name, " ".join(pieces)[:MAX_TEXT]
                name = ""
            yield "", ""
        elif line[0] in " \t" and name:
            if size < MAX_TEXT:
                piece = line.strip()
                pieces.append(piece)
                size += len(piece) + 1
        else:
            field, sep, value = line.partition(":")
            if sep and field and " " not in field.strip() and len(field) < 64:
                if name:
                    yield name, " ".join(pieces)[:MAX_TEXT]
                name, pieces = field.strip().lower(), [value.strip()[:MAX_TEXT]]
                size = len(pieces[0])
    if name:
        yield name, " ".join(pieces)[:MAX_TEXT]


def typed(value: str) -> str:
    """Drop an RFC 3464 §2.1.2 address-type or diagnostic-type prefix (``rfc822;``, ``smtp;``)."""
    kind, sep, rest = value.partition(";")
    if sep and len(kind) < 20 and " " not in kind.strip():
        return rest.strip()
    return value.strip()


def is_delivery_report(msg: email.message.Message) -> bool:
    """True for an RFC 3462 ``multipart/report; report-type=delivery-status`` message."""
    if msg.get_content_type() != "multipart/report":
        return False
    return content_param(msg, "report-type").lower() == "delivery-status"
