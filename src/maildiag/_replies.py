"""What an SMTP reply says: RFC 3463 status codes, and the one classifier of replies.

Both readers of SMTP replies use this module: the bounce parser (a remote server's reply
quoted in a bounce) and the SMTP prober (the reply to our own RCPT TO). It holds the enhanced
status code's one pattern (RFC 3463 §2), the reason table, and :func:`classify`. The public
face of the reasons is :mod:`maildiag.bounce.reasons`.

The reason set is maildiag's own, coarser than Sisimai's 36 (each reason records the Sisimai
reasons it stands for). Data live in ``maildiag/data/bounce_reasons.toml`` (phrases) and
``maildiag/data/bounce_status.toml`` (RFC 3463 codes), loaded once on first use.

Classification order (see :func:`classify`): a specific phrase in the diagnostic text wins
over the status code, because providers reuse codes loosely (a GoDaddy "5.1.1 too many
recipients" is not a missing mailbox); a specific status code wins when the text says
nothing we recognise; a generic code (``X.0.0``, ``X.7.1``...) only decides when no phrase
matched.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import tomllib
from collections.abc import Mapping
from importlib import resources
from typing import Any

__all__ = [
    "FAILURE_REASONS",
    "NON_FAILURE_REASONS",
    "REPLY_WITH_STATUS",
    "SMTP_COMMANDS",
    "STATUS",
    "STATUS_AT_START",
    "STATUS_IN_TEXT",
    "Reason",
    "classify",
    "code_reason",
    "is_greylisting",
    "is_hard",
    "reason_names",
    "reasons",
    "sisimai_map",
    "text_reason",
]

#: RFC 3463 §2: an enhanced status code is class "." subject "." detail, the class 2, 4 or 5,
#: subject and detail one to three digits. One pattern, anchored three ways below.
_STATUS_CLASS = "[245]"
_STATUS_DETAIL = r"\.(\d{1,3})\.(\d{1,3})"
_STATUS_CODE = rf"({_STATUS_CLASS}){_STATUS_DETAIL}"
#: A whole field that is a status code (a DSN's ``Status:`` value, ``BounceRecipient.status``).
STATUS = re.compile(rf"^{_STATUS_CODE}$")
#: A status code opening a reply's text (RFC 3463 §3: "550 5.1.1 text"; RFC 2034 §4).
STATUS_AT_START = re.compile(rf"^{_STATUS_CODE}(?=\s|$)")
#: A status code anywhere in text, not part of a longer dotted number (a version, an address).
#: The "no digit or dot before it" test is written after the class digit, as a look back over
#: both (the same test): a pattern that starts with a character class lets the regex engine
#: skip to the next 2, 4 or 5 instead of trying every position (3x faster on bounce texts).
STATUS_IN_TEXT = re.compile(rf"({_STATUS_CLASS})(?<![\d.]{_STATUS_CLASS}){_STATUS_DETAIL}(?!\.?\d)")
#: A reply code (RFC 5321 §4.2) followed by its status code: "550 5.1.1", "550-5.1.1", "550 #5.1.1".
#: "No digit before it" is tested after its first digit, for the same reason.
REPLY_WITH_STATUS = re.compile(rf"([245](?<!\d[245])[0-5]\d)[ -]{{1,3}}[#(]?((?:{_STATUS_CODE}))(?!\.?\d)")

#: Reports that are not delivery failures; never counted as bounced recipients.
NON_FAILURE_REASONS = frozenset({"complaint", "auto_reply", "delivered"})


@dataclasses.dataclass(frozen=True, slots=True)
class Phrase:
    """One phrase of the table: ordered lowercase ``parts`` and a sample line.

    ``definite`` marks wording that names its reason whatever the SMTP stage (a provider's own
    "no such mailbox" sentence), so the stage rules of :func:`classify` leave it alone.
    ``weak`` marks a prefix that any refusal carries (Postfix's "Recipient address rejected:"):
    a status code outside the X.0.x and X.1.x subjects overrules it.
    """

    parts: tuple[str, ...]
    sample: str
    definite: bool = False
    weak: bool = False

    def matches(self, text: str) -> bool:
        """True when every part occurs in ``text`` in order (plain substring search)."""
        pos = 0
        for part in self.parts:
            found = text.find(part, pos)
            if found < 0:
                return False
            pos = found + len(part)
        return True


@dataclasses.dataclass(frozen=True, slots=True)
class Reason:
    """One maildiag bounce reason.

    Attributes:
        name: the reason (``user_unknown``, ``mailbox_full``...).
        code: the finding code for it (``bounce.user_unknown``).
        hard: the address itself will never work: remove it from mailing lists.
        failure: false for reports that are not delivery failures (complaints...).
        sisimai: the Sisimai reasons this reason stands for.
        phrases: the phrases that reveal it in diagnostic text.
    """

    name: str
    code: str
    hard: bool
    failure: bool
    sisimai: tuple[str, ...]
    phrases: tuple[Phrase, ...]


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


@functools.cache
def reasons() -> tuple[Reason, ...]:
    """Every reason, in matching order, loaded once from the package data file."""
    raw = tomllib.loads(
        (resources.files("maildiag") / "data" / "bounce_reasons.toml").read_text("utf-8")
    )
    found: dict[str, Reason] = {}
    for name, entry, phrases in _entries(raw):
        if name in found:
            # A reason may have a second block of early phrases; its fields come from the
            # block that declares them (the one with "sisimai").
            old = found[name]
            found[name] = dataclasses.replace(old, phrases=old.phrases + phrases)
            if "sisimai" not in entry:
                continue
        found[name] = Reason(
            name=name,
            code="bounce." + name,
            hard=bool(entry.get("hard", False)),
            failure=bool(entry.get("failure", True)),
            sisimai=tuple(entry.get("sisimai", ())),
            phrases=found[name].phrases if name in found else phrases,
        )
    return tuple(found.values())


def _entries(raw: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any], tuple[Phrase, ...]]]:
    out = []
    for entry in raw["reason"]:
        phrases = tuple(
            Phrase(
                tuple(_norm(p) for p in str(ph["text"]).split(" * ")),
                str(ph["sample"]),
                bool(entry.get("definite", False)),
                bool(entry.get("weak", False)),
            )
            for ph in entry.get("phrases", ())
        )
        out.append((str(entry["name"]), entry, phrases))
    return out


@functools.cache
def _matchers() -> tuple[tuple[str, Phrase], ...]:
    """Every phrase with its reason, in the file's order (the matching order)."""
    raw = tomllib.loads(
        (resources.files("maildiag") / "data" / "bounce_reasons.toml").read_text("utf-8")
    )
    return tuple((name, p) for name, _, phrases in _entries(raw) for p in phrases)


@functools.cache
def _by_name() -> Mapping[str, Reason]:
    return {r.name: r for r in reasons()}


def reason_names() -> tuple[str, ...]:
    """The names of every reason, in matching order."""
    return tuple(r.name for r in reasons())


FAILURE_REASONS = frozenset(
    {
        "suppressed", "domain_not_found", "no_mail_accepted", "rate_limited", "mailbox_full",
        "message_too_large", "mailbox_disabled", "auth_failure", "blocked", "spam", "content",
        "sender_rejected", "user_unknown", "filtered", "expired", "network", "receiver_error", "protocol",
        "policy", "undetermined",
    }
)


@functools.cache
def sisimai_map() -> Mapping[str, str]:
    """Sisimai reason name -> maildiag reason name (the documented mapping)."""
    return {s: r.name for r in reasons() for s in r.sisimai}


@functools.cache
def _status_table() -> tuple[Mapping[str, tuple[str, bool]], Mapping[str, str]]:
    raw = tomllib.loads(
        (resources.files("maildiag") / "data" / "bounce_status.toml").read_text("utf-8")
    )
    codes = {k: (str(v["reason"]), bool(v.get("generic", False))) for k, v in raw["codes"].items()}
    return codes, {k: str(v) for k, v in raw["subjects"].items()}




def code_reason(status: str | None) -> tuple[str, bool] | None:
    """The reason an RFC 3463 ``status`` implies, and whether the code is generic.

    Returns ``None`` for a missing or malformed status.
    """
    if not status:
        return None
    m = STATUS.match(status.strip())
    if m is None:
        return None
    codes, subjects = _status_table()
    key = f"{int(m.group(2))}.{int(m.group(3))}"
    if key in codes:
        return codes[key]
    subject = str(int(m.group(2)))
    # An unlisted detail (vendor codes such as 5.1.351 or 5.0.910) says only its subject.
    return subjects.get(subject, "undetermined"), True


def text_reason(text: str) -> str | None:
    """The first reason whose phrase occurs in ``text``, or ``None``."""
    found = _text_match(text)
    return found[0] if found is not None else None


def _trie_pattern(words: set[str]) -> str:
    """A regex matching any of ``words``, as a trie (``ab(?:c|d(?:e)?)``): at each position the
    engine follows one path of characters, and greedy ``?`` makes it the longest word there."""
    trie: dict[str, Any] = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict[str, Any]) -> str:
        alts = [re.escape(ch) + emit(child) for ch, child in sorted(node.items()) if ch]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        if "" in node:
            return f"(?:{body})?"
        return body

    return emit(trie)


@functools.cache
def _phrase_index() -> tuple[re.Pattern[str], Mapping[str, tuple[int, ...]], tuple[int, ...]]:
    """One scan of a text finds every phrase whose first part occurs in it.

    The pattern is every first part in one trie; :func:`_text_match` searches again from
    the next position after each match, so a match at every position is found, overlapping
    or not. At a position it reports the longest first part there; every other first part
    found at that position is a prefix of it, so the index maps each first part to the
    phrases (by number, in matching order) whose first part is it or a prefix of it.
    Phrases with an empty first part occur in any text (the third value).
    """
    matchers = _matchers()
    by_first: dict[str, list[int]] = {}
    for i, (_, phrase) in enumerate(matchers):
        by_first.setdefault(phrase.parts[0], []).append(i)
    always = tuple(by_first.pop("", ()))
    index = {
        first: tuple(sorted(i for end in range(1, len(first) + 1) for i in by_first.get(first[:end], ())))
        for first in by_first
    }
    return re.compile(_trie_pattern(set(by_first))), index, always


def _text_match(text: str) -> tuple[str, Phrase] | None:
    norm = _norm(text)
    if not norm:
        return None
    # Hundreds of phrases are tried per recipient, and a substring search per phrase cost
    # more than everything else the classifier does. One regex scan of the text (a trie of
    # the first parts, see _phrase_index) names the phrases whose first part occurs; they
    # are tried in the table's order, so the first that matches is the same one a test of
    # every phrase in turn finds. (Letter n-grams of the text were measured slower: building
    # them is a Python step per character.)
    pattern, index, always = _phrase_index()
    found: set[str] = set()
    pos = 0
    # search() again from each match's next position: a quarter faster on the dev corpus's
    # texts than findall() over the same trie in a lookahead, which gives the same matches.
    while (m := pattern.search(norm, pos)) is not None:
        found.add(m.group())
        pos = m.start() + 1
    candidates = {i for first in found for i in index[first]}
    candidates.update(always)
    matchers = _matchers()
    for i in sorted(candidates):
        name, phrase = matchers[i]
        if len(phrase.parts) == 1 or phrase.matches(norm):
            return name, phrase
    return None


#: SMTP stages, in session order (RFC 5321 §3): ``CONN`` (greeting), ``HELO``/``EHLO``,
#: ``MAIL``, ``RCPT``, ``DATA`` (the message itself, headers and body).
SMTP_COMMANDS = ("CONN", "HELO", "EHLO", "STARTTLS", "AUTH", "MAIL", "RCPT", "DATA")
_BEFORE_DATA = frozenset({"CONN", "HELO", "EHLO", "STARTTLS", "AUTH", "MAIL"})


def classify(
    status: str | None,
    text: str,
    *,
    command: str | None = None,
    action: str | None = None,
    reply_code: int | None = None,
) -> str:
    """The maildiag reason for one failed recipient.

    Args:
        status: the RFC 3463 enhanced status code (``"5.1.1"``), if known.
        text: the diagnostic text (the remote server's reply, the MTA's explanation).
        command: the SMTP command the failure answered (one of :data:`SMTP_COMMANDS`), if
            the bounce says; it tells a refused recipient (``RCPT``) from a refused message
            (``DATA``).
        action: the RFC 3464 §2.3.3 ``Action`` (``failed``, ``delayed``...), if known.
        reply_code: the basic SMTP reply code (RFC 5321 §4.2), if known.
    """
    found = _text_match(text)
    if found is not None and found[1].definite:
        return found[0]
    by_text = found[0] if found is not None else None
    m = STATUS.match((status or "").strip())
    if found is not None and found[1].weak and m is not None and m.group(2) not in ("0", "1"):
        # A bare "Recipient address rejected:" says only that the RCPT was refused; the
        # status subject (RFC 3463 §3: mailbox, system, security...) says why.
        by_text = None
    reason = _classify(status, by_text)
    if (
        reason == "user_unknown"
        and not (status or "").startswith(("5.1.", "4.1."))
        and command != "RCPT"
        and command not in _BEFORE_DATA
    ):
        # "User unknown" only proves a missing mailbox when the server said so at RCPT TO
        # (RFC 5321 §3.3) or with a X.1.x status (RFC 3463 §3.2). Said after DATA, or by a
        # relay that does not tell when, it is the answer of a filter that saw the message:
        # the mailbox may well exist, so it is not a hard bounce.
        return "filtered"
    if reason in _SENDER_STAGE_REASONS and command == "MAIL":
        # Refused in reply to MAIL FROM (RFC 5321 §3.3), before any recipient was named: what
        # is unknown, missing or denied there is the sender, not the recipient.
        return "sender_rejected"
    if reason == "blocked" and reply_code is None and m is not None and m.group(2) == "4":
        # A X.4.x status (RFC 3463 §3.5, network and routing) with no SMTP reply: the host
        # refused the TCP connection itself (Sendmail's "Deferred: Connection refused by
        # [host]"), which no server's policy said. A blocking server replies (554...).
        return "network"
    if reason in ("undetermined", "policy") and command in ("CONN", "HELO", "EHLO"):
        # Refused before any address was given: the sending host itself is refused.
        return "blocked"
    if reason == "undetermined" and reply_code == 552 and command == "RCPT":
        # RFC 5321 §4.2.3: 552 is "exceeded storage allocation"; said to RCPT TO, before any
        # message was sent, it cannot be the message's size.
        return "mailbox_full"
    if reason == "undetermined" and action in ("delayed", "expired"):
        # Still queued or given up after retries (RFC 3464 §2.3.3): the delivery expired.
        return "expired"
    return reason


#: Wording of greylisting (a first-time sender told to come back later): the transient reply
#: it is given with says nothing about the mailbox.
_GREYLISTING = re.compile(r"gr[ae]y ?list|try again later|temporarily deferred|please retry", re.IGNORECASE)


def is_greylisting(text: str) -> bool:
    """True when a transient reply's ``text`` says the sender was greylisted."""
    return _GREYLISTING.search(text[:4000]) is not None


#: Reasons that, said in reply to MAIL FROM, are about the sender.
_SENDER_STAGE_REASONS = frozenset(
    {"user_unknown", "domain_not_found", "filtered", "policy", "undetermined"}
)


def _classify(status: str | None, by_text: str | None) -> str:
    by_code = code_reason(status)
    if by_text is not None:
        if by_code is not None and not by_code[1] and _code_beats_text(by_code[0], by_text):
            return by_code[0]
        return by_text
    if by_code is not None:
        reason, _generic = by_code
        if reason == "delivered" and status and status.startswith(("4", "5")):
            return "undetermined"
        return reason
    return "undetermined"


#: Weak phrase reasons: a catch-all word ("rejected", "denied", "timeout"...) that a specific
#: status code should overrule.
_WEAK_TEXT = frozenset({"policy", "receiver_error", "expired", "blocked"})


def _code_beats_text(by_code: str, by_text: str) -> bool:
    return by_text in _WEAK_TEXT and by_code not in _WEAK_TEXT


def get(name: str) -> Reason:
    """The :class:`Reason` called ``name``; raises ``KeyError`` for an unknown name."""
    return _by_name()[name]


def is_hard(reason: str, status: str | None = None) -> bool:
    """True when ``reason`` means the address will never work (a hard bounce)."""
    entry = _by_name().get(reason)
    if entry is None:
        return False
    if reason == "no_mail_accepted":
        # A null MX (RFC 7505) is for good; a temporary "not accepting" may pass.
        return not (status or "").startswith("4")
    return entry.hard
