"""The address scan of a bounce's text starts its search near each "@", for speed only: it
must find exactly the matches ``ADDR.finditer`` finds (same places, same text)."""

from __future__ import annotations

import random

import pytest

from maildiag.bounce._addresses import ADDR, _address_matches

_PIECES = ["a", "user.name", "x" * 63, "y" * 64, "z" * 65, "@", "@@", "example.com", ".", " ", "\n",
           "<", ">", "smtp=", "mailto:", "[192.0.2.1]", "-", "é", "a@b", "1.2.3", ";", "\"", "'"]


def _texts() -> list[str]:
    rnd = random.Random(7)  # seeded: the same texts each run
    texts = ["", "no address here", "@", "a@", "@b.example", "x" * 70 + "@example.com",
             "x" * 64 + "@example.com", "y" * 65 + "@a.example b@c.example",
             "kijitora@example.jp, <neko@example.org>; smtp=inu@example.net " * 3]
    texts += ["".join(rnd.choice(_PIECES) for _ in range(rnd.randint(1, 40))) for _ in range(4000)]
    return texts


@pytest.mark.parametrize("chunk", range(4))
def test_matches_equal_finditer(chunk: int) -> None:
    for text in _texts()[chunk::4]:
        got = [(m.start(), m.group(0)) for m in _address_matches(text)]
        assert got == [(m.start(), m.group(0)) for m in ADDR.finditer(text)], text


def test_a_local_part_of_64_is_found_whole_and_a_longer_one_from_its_last_64() -> None:
    # The window's bound is the local part's limit (RFC 5321 §4.5.3.1.1: 64 octets).
    assert [m.group(0) for m in _address_matches("x" * 64 + "@example.com")] == ["x" * 64 + "@example.com"]
    assert [m.start() for m in _address_matches("z" * 66 + "@example.com")] == [2]
