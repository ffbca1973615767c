"""Patterns written for speed (status and reply codes, a pasted DSN, the SMTP stage) find what
their plain forms find.

``STATUS_IN_TEXT``, ``REPLY_WITH_STATUS`` (maildiag._replies) and the bounce's bare reply-code
pattern test what stands before the code with a look back placed after its first digit, so
that each pattern starts with a character class the regex engine can skip to. The plain forms
below (the look back first) are the definitions; on any text both must give the same matches.
"""

from __future__ import annotations

import random
import re

import pytest

from maildiag._replies import REPLY_WITH_STATUS, STATUS_IN_TEXT
from maildiag.bounce._records import _COMMAND_RE, _REPLY
from maildiag.bounce.decoders.rfc3464 import _PASTED_DSN, _PASTED_DSN_NL

_CODE = r"([245])\.(\d{1,3})\.(\d{1,3})"
PLAIN = {
    "STATUS_IN_TEXT": (STATUS_IN_TEXT, re.compile(rf"(?<![\d.]){_CODE}(?!\.?\d)")),
    "REPLY_WITH_STATUS": (
        REPLY_WITH_STATUS,
        re.compile(rf"(?<!\d)([245][0-5]\d)[ -]{{1,3}}[#(]?((?:{_CODE}))(?!\.?\d)"),
    ),
    # Only the code (group 1) is read of this one: the plain form's match includes the
    # character before it.
    "_REPLY": (_REPLY, re.compile(r"(?:^|[\s:;(<'\"=\]])([245][0-5]\d)(?=[ -]|$)", re.MULTILINE)),
}

_ALPHABET = "0123452.. -#(:;<'\"=]\n\tax"


def _texts() -> list[str]:
    rnd = random.Random(5)  # seeded: the same texts each run
    texts = ["", "5.1.1", "550 5.1.1 no such user", "550-5.7.1 x", "1550 5.1.1", "5.1.1.2",
             "v2.5.1.1", "550", "\n550 ", "(550)", "x550 ", "550\n", "a 4.2.2 b", "=552 ",
             "Status: 5.0.0 (permanent failure)", "smtp; 554 #5.3.0 x"]
    texts += ["".join(rnd.choice(_ALPHABET) for _ in range(rnd.randint(1, 24))) for _ in range(20000)]
    return texts


def _groups(pattern: re.Pattern[str], text: str) -> list[tuple[tuple[int, int], ...]]:
    return [tuple(m.span(g) for g in range(1, pattern.groups + 1)) for m in pattern.finditer(text)]


@pytest.mark.parametrize("name", sorted(PLAIN))
def test_fast_pattern_finds_what_the_plain_one_finds(name: str) -> None:
    fast, plain = PLAIN[name]
    for text in _texts():
        assert _groups(fast, text) == _groups(plain, text), text
        first, expected = fast.search(text), plain.search(text)
        assert (first and first.groups()) == (expected and expected.groups()), text


def test_the_fast_patterns_start_with_a_character_class() -> None:
    # What makes them fast; a pattern edited back to a leading look back would still pass
    # the test above, and be three times slower.
    for fast, _plain in PLAIN.values():
        assert fast.pattern.startswith(("([245])", "([245]("))


def test_pasted_dsn_is_found_at_any_line_start_and_nowhere_else() -> None:
    # rfc3464 tests "a match at the start, or after a newline" where the plain form is one
    # multiline pattern; only whether there is one is read.
    plain = re.compile(r"(?im)^final-recipient:[ \t]*rfc822;")
    pieces = ["Final-Recipient: rfc822;", "final-recipient:\trfc822;", "FINAL-RECIPIENT:rfc822;",
              "x", " ", "\n", "\r\n", "rfc822;", "Final-Recipient: ", "a@b.example"]
    rnd = random.Random(9)
    texts = ["".join(rnd.choice(pieces) for _ in range(rnd.randint(0, 8))) for _ in range(5000)]
    for text in texts:
        fast = _PASTED_DSN.match(text) or _PASTED_DSN_NL.search(text)
        assert (fast is None) == (plain.search(text) is None), text


def test_smtp_stage_pattern_finds_what_the_one_lead_group_form_finds() -> None:
    # _records writes each lead-in with its own copy of the command group (every alternative
    # starts with a literal); the plain form has one group of lead-ins before one command group.
    plain = re.compile(
        r"(?:in reply to (?:the )?(?:end of )?|after (?:the )?|>>>>? ?|during |while sending |"
        r"did not like our |for |at |SMTP command |command:? |command was |error on |SMTP:|\[)"
        r"(HELO|EHLO|STARTTLS|AUTH|MAIL FROM|MAIL From|MAIL|RCPT TO|RCPT To|RCPT_TO|RCPT|DATA|"
        r"end of data|initial connection|greeting|connect(?:ion)?)\b"
        r"|does not like (recipient|sender)\b"
    )
    pieces = ["in reply to ", "the ", "end of ", "after ", ">>> ", ">>>>", "during ", "while sending ",
              "did not like our ", "for ", "at ", "SMTP command ", "command: ", "command ", "command was ",
              "error on ", "SMTP:", "[", "RCPT TO", "RCPT", "RCPT_TO", "MAIL FROM", "MAIL", "DATA", "end of data",
              "initial connection", "connect", "connection", "greeting", "does not like ", "recipient",
              "sender", "x", " ", "EHLO", "HELO", "AUTH", "STARTTLS", ":"]
    rnd = random.Random(13)
    for _ in range(20000):
        text = "".join(rnd.choice(pieces) for _ in range(rnd.randint(1, 10)))
        fast = [(m.span(), m.group(m.lastindex or 0)) for m in _COMMAND_RE.finditer(text)]
        assert fast == [(m.span(), m.group(1) or m.group(2)) for m in plain.finditer(text)], text
