"""The phrase table's one-scan index finds the same phrase as trying every phrase in turn.

``_replies._text_match`` finds its candidates with one regex scan (a trie of the phrases'
first parts) instead of a substring search per phrase, for speed only: its answer must be the
first phrase of the table, in the file's order, whose parts all occur in order in the text.
"""

from __future__ import annotations

import random

import pytest

from maildiag import _replies
from maildiag._replies import Phrase


def _every_phrase_in_turn(text: str) -> tuple[str, Phrase] | None:
    """The plain reading of the table: each phrase in the file's order, a substring test each."""
    norm = " ".join(text.lower().split())
    if not norm:
        return None
    for name, phrase in _replies._matchers():
        if phrase.parts[0] in norm and phrase.matches(norm):
            return name, phrase
    return None


_FIRSTS = sorted({p.parts[0] for _, p in _replies._matchers()})
_PARTS = sorted({part for _, p in _replies._matchers() for part in p.parts})


def _texts() -> list[str]:
    texts = [p.sample for _, p in _replies._matchers()]
    # A first part that is a prefix of another ("user unknown" in "user unknown in virtual
    # table"): where the scan reports the longer one, the shorter one's phrases still count.
    texts += [long for long in _FIRSTS for short in _FIRSTS if long != short and long.startswith(short)]
    # Overlapping and cut phrases, in any order, in any case (seeded: the same texts each run).
    rnd = random.Random(11)
    for _ in range(3000):
        pieces = [rnd.choice(_PARTS) for _ in range(rnd.randint(1, 4))]
        text = " ".join(p[rnd.randint(0, len(p) // 2):] if rnd.random() < 0.5 else p for p in pieces)
        texts.append(text.upper() if rnd.random() < 0.2 else text)
    return [*texts, "", "   ", "\n".join(p.sample for _, p in _replies._matchers())]


def test_prefix_pairs_exist_in_the_table() -> None:
    # The case the index must get right is in the data (else the test above it proves little).
    assert any(a != b and b.startswith(a) for a in _FIRSTS for b in _FIRSTS)


@pytest.mark.parametrize("chunk", range(4))
def test_indexed_match_equals_every_phrase_in_turn(chunk: int) -> None:
    texts = _texts()[chunk::4]
    assert [_replies._text_match(t) for t in texts] == [_every_phrase_in_turn(t) for t in texts]


def test_a_first_part_inside_a_longer_one_at_the_same_place(monkeypatch: pytest.MonkeyPatch) -> None:
    # In the shipped table a longer phrase comes before its prefix (else it could never be
    # found), so this order is built here: the scan reports the longest first part at each
    # place, and the shorter one, earlier in the table, must still win.
    table = (
        ("mailbox_full", Phrase(("quota", "exceeded"), "quota exceeded")),
        ("user_unknown", Phrase(("user unknown",), "user unknown")),
        ("filtered", Phrase(("user unknown in virtual",), "user unknown in virtual")),
        ("policy", Phrase(("unknown in virtual alias table",), "unknown in virtual alias table")),
    )
    monkeypatch.setattr(_replies, "_matchers", lambda: table)
    _replies._phrase_index.cache_clear()
    try:
        cases = {
            "550 User unknown in virtual alias table": "user_unknown",
            "550 unknown in virtual alias table": "policy",
            "exceeded the quota? no: user unknown": "user_unknown",
            "user exceeded quota": None,
            "quota exceeded": "mailbox_full",
        }
        for text, reason in cases.items():
            found = _replies._text_match(text)
            assert (found[0] if found else None) == reason, text
            assert found == _every_phrase_in_turn(text)
    finally:
        _replies._phrase_index.cache_clear()  # the next test reads the shipped table again
