"""Issue 12: the kinds of slip real customers make, one table per kind.

The rows are written by hand for each kind (not copied from the validation set in bench/data,
which measures the same kinds on generated pairs). Every table also holds rows that must stay
silent: real domains next to the slip.
"""

from __future__ import annotations

import pytest

from maildiag import syntax, typo
from maildiag.options import Options


def _check(typed: str, expected: str | None) -> None:
    hit = typo.suggest(typed)
    assert (hit.suggestion if hit else None) == expected


# 1. Country second levels, learnt from the Public Suffix List.
@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("loja.cmo.br", "loja.com.br"),  # swapped letters in com
        ("loja.cm.br", "loja.com.br"),  # dropped letter
        ("loja.co.br", "loja.com.br"),  # .br has com.br, no co.br
        ("shop.com.uk", "shop.co.uk"),  # .uk has co.uk, no com.uk
        ("kaisha.com.jp", "kaisha.co.jp"),
        ("tienda.com.ar", None),  # right as typed
        ("tienda.cpom.ar", "tienda.com.ar"),  # a neighbouring key pressed too
        ("uni.eud.au", "uni.edu.au"),
        ("winkel.coo.za", "winkel.co.za"),  # .za has no rule of its own in the list
        ("firma.cojm.ar", "firma.com.ar"),
        ("loja.combr", "loja.com.br"),  # the dot before the country code left out
        ("shop.couk", "shop.co.uk"),
        ("shop.orgau", "shop.org.au"),
        ("shop.co.li", "shop.co.il"),  # swapped across the dot
        ("shop.xy.br", None),  # nothing near: no guess
    ],
)
def test_country_second_level(typed: str, expected: str | None) -> None:
    _check(typed, expected)


def test_second_levels_come_from_the_public_suffix_list() -> None:
    assert {"com", "net", "org", "edu", "gov"} <= typo._country_second_levels("br")
    assert "co" not in typo._country_second_levels("br")
    assert "co" in typo._country_second_levels("uk") and "com" not in typo._country_second_levels("uk")
    assert typo._country_second_levels("de") == frozenset()


# 2. The dot before the top-level domain left out or moved.
@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("gmailcom", "gmail.com"),
        ("gmailco.m", "gmail.com"),
        ("gmai.lcom", "gmail.com"),
        ("yahooco.m", "yahoo.com"),
        ("comcastne.t", "comcast.net"),
        ("shopco.m", "shop.com"),  # an unlisted name: the dot moved back
        ("shopne.t", "shop.net"),
    ],
)
def test_dot_left_out_or_moved(typed: str, expected: str | None) -> None:
    _check(typed, expected)


# 3. Junk after the ending (characters outside a domain are the syntax repair's, below).
@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("gmail.com.com", "gmail.com"),
        ("yahoo.com.org", "yahoo.com"),
        ("hotmail.com.net", "hotmail.com"),
        ("gmail.comm", "gmail.com"),
        ("outlook.com1", "outlook.com"),
        ("yahoo.com.br", None),  # a real Yahoo domain
        ("yahoo.com.ph", None),  # com.ph is a public suffix: maybe Yahoo's, not junk
        ("yahoo.com.co", None),
        ("excite.com.co", "excite.com"),  # Excite runs no country domain anywhere
        ("gmail.com.txt", "gmail.com"),  # a file name's ending pasted after it
        ("shop.com.pdf", "shop.com"),
        ("shop.co.uk.html", "shop.co.uk"),
        ("yahoo.com.1", "yahoo.com"),
        ("shop.comcom", "shop.com"),  # the ending typed twice, no dot
        ("gmail.com.jpg", "gmail.com"),  # not gmail.com.jp: that would invent a domain
        ("shop.com.zip", None),  # .zip is a real top-level domain
    ],
)
def test_junk_after_the_ending(typed: str, expected: str | None) -> None:
    _check(typed, expected)


# 4. Two slips in one provider name.
@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("comasct.net", "comcast.net"),  # rotation of three letters
        ("cblaeone.net", "cableone.net"),
        ("hotnaik.com", "hotmail.com"),  # two neighbouring keys
        ("outlool.con", "outlook.com"),
        ("h0tmai1.com", "hotmail.com"),  # letters typed as digits
        ("oultok.com", "outlook.com"),  # a swap and a double letter typed once
        ("hotami.com", "hotmail.com"),  # a swap and a dropped letter
        ("yopmail.com", None),  # a real service, two far keys from hotmail
    ],
)
def test_two_slips_in_one_provider_name(typed: str, expected: str | None) -> None:
    _check(typed, expected)


# 5. A provider with the wrong ending.
@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("gmail.net", "gmail.com"),  # Gmail hands out gmail.com only
        ("gmail.fr", "gmail.com"),
        ("icloud.co.uk", "icloud.com"),
        ("hotmail.uk", "hotmail.co.uk"),  # the country's second level left out
        ("yahoo.br", "yahoo.com.br"),
        ("hotmail.net", "hotmail.com"),  # a popular brand under another generic ending
        ("outlook.org", "outlook.com"),
        ("mail.net", None),  # mail.com is not popular enough to claim every mail.*
        ("web.com", None),  # web.de runs no generic ending: web.com is another company
        ("yahoo.nl", None),  # a country Yahoo may serve: not a slip to correct
        ("live.cn", None),
        ("mail.by", None),
    ],
)
def test_provider_with_the_wrong_ending(typed: str, expected: str | None) -> None:
    _check(typed, expected)


# 6. Regional providers: a hyphen typed as a dot, or left out.
@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("t.online.de", "t-online.de"),
        ("tonline.de", "t-online.de"),
        ("orange-fr", "orange.fr"),  # a dot typed as a hyphen
        ("hotmail-co.uk", "hotmail.co.uk"),
        ("online.de", None),  # listed itself
        ("wanadoo.fe", "wanadoo.fr"),
        ("libero.iy", "libero.it"),
        ("uol.com.bt", "uol.com.br"),  # a Brazil-only brand: the country code slipped
        ("terra.cm.br", "terra.com.br"),
        ("docomo.ne.pj", "docomo.ne.jp"),  # Japanese carriers
        ("ezweb.nejp", "ezweb.ne.jp"),
        ("kpnmial.nl", "kpnmail.nl"),  # Dutch
        ("virglio.it", "virgilio.it"),  # Italian
        ("aliec.it", "alice.it"),
        ("wanadoo.ft", "wanadoo.fr"),  # French
        ("freenet.ed", "freenet.de"),  # German
    ],
)
def test_regional_providers(typed: str, expected: str | None) -> None:
    _check(typed, expected)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("gogle.com", "google.com"),
        ("facebok.com", "facebook.com"),
        ("microsfot.com", "microsoft.com"),
        ("google.com", None),
        ("gmail.com", None),  # brands never pull a provider's own domain
        ("gooogle.com", "google.com"),
    ],
)
def test_brand_domains_typed_into_an_email_field(typed: str, expected: str | None) -> None:
    _check(typed, expected)


# 7. Very short provider names: popularity and the keyboard decide, silence when ambiguous.
@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("aoll.com", "aol.com"),  # a doubled letter in a popular 3-letter name
        ("gmxx.de", "gmx.de"),
        ("l9ve.com", "live.com"),  # a digit for the letter below it
        ("licve.com", "live.com"),  # a neighbouring key pressed too, inside the name
        ("mwail.ru", "mail.ru"),
        ("life.com", None),  # a real word and a real domain: one letter from live
        ("olive.com", None),  # the extra key at the name's end makes a word
        ("aon.com", None),  # every one-letter change of aol is somebody's domain
        ("gmc.com", None),
        ("qmail.com", None),  # a far key in a five-letter name: another service's name
        ("amail.com", None),
        ("hmail.com", "gmail.com"),  # h is next to g
        ("loive.se", "live.se"),  # the brand's popularity counts, and the suffix typed stays
        ("yaoo.ro", "yahoo.ro"),  # a rarely used domain of a popular name
    ],
)
def test_very_short_provider_names(typed: str, expected: str | None) -> None:
    _check(typed, expected)


# 8. Repairs that never invent an address maildiag itself rejects.
@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("example.con", None),  # example.com has a null MX: undeliverable
        ("exampel.com", None),
        ("co.c", None),  # a bare second level is no name to complete
        ("test.con", "test.com"),  # a real domain
    ],
)
def test_suggestions_never_land_on_a_reserved_name(typed: str, expected: str | None) -> None:
    _check(typed, expected)


@pytest.mark.parametrize(
    ("typed", "repaired"),
    [
        ("jane@shop.co m", "jane@shop.com"),
        ("jane@shop.co\u2006m", "jane@shop.com"),  # a Unicode space joined as an ASCII one
        ("jane@shop.co\u00a0m", "jane@shop.com"),
        ("jane@gmail.com J", "jane@gmail.com"),  # "comj" is no ending: a word after it
        ("jane@gmail.com (Jane)", "jane@gmail.com"),
    ],
)
def test_a_letter_after_a_space_ends_the_domain(typed: str, repaired: str) -> None:
    parsed = syntax.check(typed, Options(offline=True))
    assert parsed.valid and parsed.repaired == repaired


# 8, end to end: whatever maildiag suggests, maildiag accepts as it is.
_ROUND_TRIP = [
    f"{local}@{domain}{junk}"
    for local, domain, junk in [
        ("jane", "gmial.com", ""), ("z", "co.c", ""), ("jane", "shop.co", "\u2006m"),
        ("jane", "shop.co", " m"), ("jane", "example.con", ""), ("jane", "exampel.com", ""),
        ("jane", "gmailco.m", ""), ("jane", "loja.cmo.br", ""), ("jane", "shop.combr", ""),
        ("jane", "yahoo.com.org", "."), ("jane", "gmail.com.txt", ""), ("jane", "t.online.de", ""),
        ("jane", "hotmail.uk", ""), ("jane", "a.b.c.d.e.f.gh", ""), ("jane", "winkel.coo.za", ""),
        ("jane", "gmail.com", "/"), ("jane", "gmail.com", "#"), ("jane", "gmail.con", "!"),
        ("a.b", "shop.com.uk", ""), ("x_y", "localhost.con", ""), ("jane", "test.con", ""),
    ]
]


@pytest.mark.parametrize("address", _ROUND_TRIP)
def test_a_suggestion_is_an_address_maildiag_accepts(address: str) -> None:
    import maildiag

    suggestion = maildiag.diagnose(address, offline=True).suggestion
    if suggestion is None:
        return
    again = maildiag.diagnose(suggestion, offline=True)
    assert again.suggestion is None, f"{address!r} -> {suggestion} -> {again.suggestion}"
    assert not [c for c in again.codes if c.startswith("syntax.")], (suggestion, again.codes)
    assert again.verdict.value not in ("undeliverable", "invalid"), (suggestion, again.verdict)
