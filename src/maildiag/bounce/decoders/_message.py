"""What every decoder reads (:class:`Message`) and what it answers (:class:`Decoded`)."""

from __future__ import annotations

import dataclasses
import email.message
import functools

from maildiag.bounce._addresses import from_address, header_addresses, header_keys, headers_block_addresses
from maildiag.bounce._mime import Parts, header_text, human_text, walk_parts
from maildiag.bounce._model import BounceKind, BounceRecipient, BounceReport
from maildiag.bounce._records import Record
from maildiag.model import Finding


@dataclasses.dataclass(frozen=True, slots=True)
class Decoded:
    """A decoder's answer: the kind of report, its recipients as found, and who read it.

    ``recipients`` is set instead of ``records`` only when they were read from another report
    already (a delivery report returned inside a notice: a bounce of a bounce); ``report``
    when the whole answer is another message's (a notice forwarded by a person).
    """

    kind: BounceKind
    records: list[Record]
    decoder: str
    recipients: tuple[BounceRecipient, ...] | None = None
    findings: tuple[Finding, ...] = ()
    #: A whole report read from a message inside this one (a forwarded notice): it stands as
    #: the answer, under this decoder's name.
    report: BounceReport | None = None


class Message:
    """One message being read: its headers, its sorted MIME parts, and what is derived from
    them once (the explanation text, the sender's addresses), shared by every decoder."""

    def __init__(self, msg: email.message.Message, source: str | None, depth: int, subject: str) -> None:
        self.msg = msg
        self.source = source
        #: How many reports deep this one is returned (a bounce of a bounce is read once more).
        self.depth = depth
        self.subject = subject
        self.parts = Parts()
        walk_parts(msg, self.parts)

    @functools.cached_property
    def human(self) -> str:
        """The explanation part of the bounce, cut before any returned copy of the message."""
        return human_text(self.parts)

    @functools.cached_property
    def head(self) -> str:
        """The start of the explanation, lowercased, whitespace folded: where an MTA's fixed
        wording is looked for (a notice wraps its sentences wherever its template does)."""
        return " ".join(self.human[:4000].lower().split())

    @functools.cached_property
    def from_header(self) -> str:
        """The notice's From, decoded (RFC 2047)."""
        return header_text(self.msg, "From")

    @functools.cached_property
    def from_address(self) -> str:
        return from_address(self.from_header)

    @functools.cached_property
    def failed_header(self) -> set[str]:
        """X-Failed-Recipients (Exim, and Gmail's notices): every recipient that failed."""
        return header_addresses(self.msg, "X-Failed-Recipients")

    @functools.cached_property
    def senders(self) -> set[str]:
        """Addresses that are the sender's, never a failed recipient."""
        senders = header_keys(self.msg, "To", "Return-Path", "Delivered-To", "Envelope-To")
        # The returned message's author is the sender, unless the message was also addressed
        # to it (a message sent to oneself): then it may well be the recipient that failed.
        returned_senders: set[str] = set()
        returned_to: set[str] = set()
        for returned in self.parts.returned:
            returned_senders |= header_keys(returned, "From", "Return-Path", "Sender", "Reply-To")
            returned_to |= header_keys(returned, "To", "Cc")
        for block in self.parts.returned_headers:
            returned_senders |= headers_block_addresses(
                block, "From", "Return-Path", "Sender", "Reply-To", keys=True
            )
            returned_to |= headers_block_addresses(block, "To", "Cc", keys=True)
        return senders | (returned_senders - returned_to)
