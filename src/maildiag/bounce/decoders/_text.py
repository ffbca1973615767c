"""Text bounces: the generic reader every MTA family's decoder and the fallback share.

Rather than one parser per MTA, it reads the explanation part of the message (cut where the
returned copy of the original message begins), takes the valid addresses it names that are not
the sender's, and gives each the text that follows it up to the next one. X-Failed-Recipients
and the returned message's ``To`` fill in when the text names no recipient. An MTA family
(:class:`Family`) adds what is its own: the signs that recognise its notices (its name goes in
the report's ``decoder``) and, where it has one, its own rule for recipients the generic rules
miss.
"""

from __future__ import annotations

import dataclasses
import email
import email.message
import email.policy
import re
from collections.abc import Callable

from maildiag.bounce._addresses import (
    DAEMON_LOCALS,
    address_pairs,
    addresses_in,
    blocks_by_address,
    header_addresses,
    headers_block_addresses,
    valid_address,
)
from maildiag.bounce._limits import MAX_TEXT
from maildiag.bounce._mime import Parts, cut_returned, is_delivery_report
from maildiag.bounce._model import BounceKind, BounceReport
from maildiag.bounce._records import Record
from maildiag.bounce.decoders._message import Decoded, Message
from maildiag.bounce.decoders.rfc3464 import enrich_from_pasted_dsn

#: What a bounce *body* shows even without its headers (pasted from a ticket, a webhook, a
#: log): RFC 3464 fields at the start of a line, or a quoted SMTP reply with its code.
BODY_SIGNS = re.compile(
    r"^(?:final|original)-recipient:|^diagnostic-code:|^action: *(?:failed|delayed)"
    r"|\b[45]\d\d[ -][245]\.\d{1,3}\.\d{1,3}\b|remote host said:|\bsaid: *[45]\d\d\b",
    re.IGNORECASE | re.MULTILINE,
)

#: Words only a delivery notice uses, for a message that has headers but no other sign of a
#: bounce (no daemon sender, no bounce subject): kept narrow, since ordinary mail says "not
#: delivered" too. Looked for with whitespace folded: a notice wraps its sentences wherever
#: its template does (Postfix's "could not\nbe delivered").
_NOTICE_PHRASES = (
    "could not be delivered", "delivery has failed", "permanent error", "was not delivered",
    "following address(es) failed", "undeliverable", "delivery to the following",
    "fatal errors", "i'm afraid i wasn't able to deliver", "unable to deliver",
)

#: A bounce body's words for a failure or a delay, in any MTA's phrasing: broader, for text
#: given to parse_bounce as a bounce with its headers missing (pasted into a ticket).
_BODY_WORDING = re.compile(
    r"\b(?:cannot|could not|couldn't|can't|unable to|failed to|wasn't able to|not able to) (?:be )?deliver"
    r"|\bnot (?:yet )?(?:been )?delivered\b|\bto the following (?:list of )?recipients?\b"
    r"|\b(?:was|were|has been) (?:blocked|rejected|refused|considered unsolicited)\b"
    r"|delivery (?:has failed|to the following|failed|problem)|\bundeliverable\b|\bpermanent error\b"
    r"|following address\(es\) failed|\bfatal errors?\b|error has occurred while attempting to deliver"
    r"|\bmessage is delayed\b|smtp error from remote mail server|\bmailbox (?:is )?(?:full|unavailable)\b"
    r"|\buser unknown\b"
)


def _folded(text: str) -> str:
    return " ".join(text[:4000].lower().split())


def looks_like_bounce_text(text: str) -> bool:
    """True when a message's explanation uses words only a delivery notice uses."""
    head = _folded(text)
    return any(p in head for p in _NOTICE_PHRASES)


def looks_like_bounce_body(text: str) -> bool:
    """True when ``text``, with no message headers, is a bounce body: notice wording, RFC 3464
    fields or a quoted SMTP reply with its status code (issue 11.1)."""
    return _BODY_WORDING.search(_folded(text)) is not None or BODY_SIGNS.search(text) is not None


@dataclasses.dataclass(frozen=True, slots=True)
class Family:
    """One MTA's text bounces: how to recognise them, and what the generic reader lacks.

    Attributes:
        name: the report's ``decoder`` for the family's notices.
        body: lowercase phrases of the MTA's own notice; one of them in the start of the
            explanation recognises the family (the MTA's fixed wording, not the remote reply).
        sender: lowercase phrases of the notice's ``From`` that recognise it.
        recipients: the family's own rule for recipients, tried when the generic rules find
            none named in the text (it returns [] when it has nothing to add).
    """

    name: str
    body: tuple[str, ...] = ()
    sender: tuple[str, ...] = ()
    recipients: Callable[[Message], list[Record]] | None = None

    def recognises(self, message: Message) -> bool:
        """True when the notice carries one of the family's signs."""
        head = message.head
        if any(p in head for p in self.body):
            return True
        return bool(self.sender) and any(p in message.from_header.lower() for p in self.sender)

    def decode(self, message: Message) -> Decoded | None:
        """The notice read by the generic reader, when it is this family's."""
        return read(message, self) if self.recognises(message) else None


#: Any other MTA's text bounce.
GENERIC = Family("text")


def read(message: Message, family: Family) -> Decoded:
    """The failed recipients of a text bounce (a bounce of a bounce included)."""
    records = text_records(message, family)
    if not records and message.depth < MAX_NESTED_REPORTS:
        # A notice that names no recipient and returns a delivery report (RFC 3462) as "the
        # message": a bounce of a bounce (a report that could not reach its sender). The
        # returned report names the recipient that failed; its To is only its own sender.
        for returned in message.parts.returned:
            if is_delivery_report(returned):
                inner = read_returned_report(returned, message.source, message.depth + 1)
                if inner is not None and inner.kind is BounceKind.FAILURE and inner.recipients:
                    return Decoded(BounceKind.FAILURE, [], inner.decoder, inner.recipients, inner.findings)
    enrich_from_pasted_dsn(records, message.parts)
    if records and _is_receipt(message):
        for r in records:
            r.reason = "delivered"
        return Decoded(BounceKind.DELIVERED, records, family.name)
    return Decoded(BounceKind.FAILURE, records, family.name)


#: A delivery notice's words for a success (Sendmail: "... Successfully delivered").
_SUCCESS_WORDING = re.compile(r"\bsuccessfully delivered\b", re.IGNORECASE)


def _is_receipt(message: Message) -> bool:
    """A return receipt whose delivery-status part has no per-recipient fields.

    RFC 3464 §2.1 wants a group per recipient, but Sendmail's receipt for a local alias it
    expanded (NOTIFY=SUCCESS) carries only the per-message fields, and says in words that
    delivery succeeded. Read from the text, its recipients would be failures; a returned
    report whose parts show no sign of a failure (no failed or delayed Action, no quoted
    reply) and whose text says "successfully delivered" and nothing a failure notice says
    is a receipt.
    """
    if not message.parts.dsn or any(BODY_SIGNS.search(d) for d in message.parts.dsn):
        return False
    human = message.human
    return _SUCCESS_WORDING.search(human[:MAX_TEXT]) is not None and not looks_like_bounce_body(human)


def text_records(message: Message, family: Family = GENERIC) -> list[Record]:
    """The recipients a text bounce names as failed, each with its part of the text."""
    human, senders, failed_header = message.human, message.senders, message.failed_header
    parts, msg = message.parts, message.msg
    blocks = blocks_by_address(human, None, senders)
    # Daemon and list-owner addresses in the explanation are contacts, not recipients.
    blocks = {
        a: b for a, b in blocks.items()
        if a.partition("@")[0] not in DAEMON_LOCALS or (failed_header and a in failed_header)
    }
    if not blocks and not failed_header and family.recipients is not None:
        # No address is named as failed: the family may know where else to look.
        found = family.recipients(message)
        if found:
            return found
    if failed_header:
        # Exim names every failed recipient in X-Failed-Recipients: trust it over the text.
        order = [a for a in blocks if a in failed_header] + sorted(failed_header - set(blocks))
        return [Record(a, context=blocks.get(a, human)) for a in order]
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
        return [Record(a, context=b, explanation=human) for a, b in blocks.items()]
    if blocks:
        return [Record(a, context=b) for a, b in blocks.items()]
    if any(is_delivery_report(r) for r in parts.returned):
        return []  # the returned report names the recipient: the caller reads it
    # The failure list names only the bounce's own addressee, alone on its line (Exim's "The
    # following address(es) failed:\n\n  a@example.org:"): a message its sender also
    # addressed to itself. The list says who failed; the returned To may be another copy's.
    own_to = header_addresses(msg, "To")
    if len(own_to) == 1 and _listed_alone(human, next(iter(own_to))):
        listed = blocks_by_address(human, own_to, set())
        return [Record(a, context=b) for a, b in listed.items() if not _is_to_line(b)]
    # The text names no one: the returned message's single recipient is the one that failed.
    tos: set[str] = set()
    for returned in parts.returned:
        tos |= header_addresses(returned, "To")
    for block in parts.returned_headers:
        tos |= headers_block_addresses(block, "To")
    if not tos:
        tos = _returned_to_in_text(parts)
    tos -= senders
    if len(tos) == 1:
        return [Record(next(iter(tos)), context=human)]
    # Last resort: a bounce sent back to the failed address itself (a local delivery that
    # failed for the mailbox it was addressed to): its own To, when the explanation names it.
    returned_from: set[str] = set()
    for returned in parts.returned:
        returned_from |= header_addresses(returned, "From", "Sender")
    own = header_addresses(msg, "To") - returned_from
    mine = blocks_by_address(human, own, set()) if len(own) == 1 else {}
    # A "To: address" line is a quoted header of the bounce itself, not an explanation.
    found = [Record(a, context=b) for a, b in mine.items() if not _is_to_line(b)]
    return found or _bare_names(message)


#: A failure list that names mailboxes without their domain, under a heading that says
#: "deliver" and ends in ":" (within 300 characters, maybe over lines): AOL's "... could not
#: be delivered because they are not accepting mail from x@example.com:\n\tscreenname",
#: Yale's "Message not delivered to the following:\n\n userx    No matches to nameserver
#: query". Indented names, one per line.
_BARE_LIST = re.compile(
    r"deliver[^:]{0,300}:[ \t]*\n(?:[ \t]*\n){0,2}((?:[ \t]+[a-z0-9][a-z0-9._+-]{0,63}(?:[ \t][^\n]*)?\n){1,20})",
    re.IGNORECASE,
)
_BARE_NAME = re.compile(r"[ \t]+([a-z0-9][a-z0-9._+-]{0,63})", re.IGNORECASE)


def _bare_names(message: Message) -> list[Record]:
    """The last resort: names listed without a domain by the recipient's own mail system.

    A mailer daemon that names its own users leaves out its domain (RFC 5321 §4.1.2 allows a
    local part alone only inside that system). The notice comes from that domain's daemon, so
    the mailbox is the name at the daemon's organisational domain (``MAILER-DAEMON@AOL.com``:
    ``screenname@aol.com``). Only when the notice names no address at all.
    """
    sender = header_addresses(message.msg, "From")
    if len(sender) != 1:
        return []
    local, _, domain = next(iter(sender)).rpartition("@")
    if local.lower() not in DAEMON_LOCALS or "." not in domain:
        return []
    m = _BARE_LIST.search(message.human[:MAX_TEXT])
    if m is None:
        return []
    from maildiag._doctor.dmarc import org_domain  # the Public Suffix List, loaded on first use

    home = org_domain(domain)
    names = dict.fromkeys(n.group(1).lower() for n in map(_BARE_NAME.match, m.group(1).splitlines()) if n)
    return [Record(f"{name}@{home}", context=m.group(0)) for name in names]


#: How deep a bounce of a bounce is read (the returned message being itself a report).
MAX_NESTED_REPORTS = 2


def read_returned_report(msg: email.message.Message, source: str | None, depth: int) -> BounceReport | None:
    """The returned report read as a bounce of its own, or None when it cannot be read (the
    notice that returned it still stands)."""
    from maildiag.bounce._parse import parse_message  # the pipeline, which runs this decoder

    try:
        return parse_message(msg, source, depth)
    except Exception:
        return None


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
    for pos, addr in addresses_in(text):
        key = addr.lower()
        if key in seen:
            continue
        seen.add(key)
        if _is_to_line(text[text.rfind("\n", 0, pos) + 1 : pos]):
            found.add(key)
    return found


def _is_diagnostic_line(block: str) -> bool:
    return block.lstrip("> \t").lower().startswith(("diagnostic-code:", "x-diagnostic-code:"))


def _returned_to_in_text(parts: Parts) -> set[str]:
    """``To:`` of an original message quoted inline after the separator of a text bounce."""
    text = "\n".join(t for t in parts.text if t)[: MAX_TEXT * 2]
    cut = len(cut_returned(text))
    rest = text[cut : cut + MAX_TEXT]
    found: set[str] = set()
    for line in rest.splitlines():
        if line.lower().startswith("to:"):
            for _, addr in address_pairs(line[3:]):
                valid = valid_address(addr) if addr else None
                if valid:
                    found.add(valid.lower())
    return found
