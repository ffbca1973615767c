"""Every finding code has a message in every shipped locale, filled only from its params."""

from __future__ import annotations

import pathlib
import re

import pytest

from maildiag import catalog, messages

CODES = sorted(catalog.codes())
LOCALES = messages.available_locales()
ROOT = pathlib.Path(__file__).parent.parent


def test_english_and_hebrew_ship() -> None:
    assert {"en", "he"} <= set(LOCALES)


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("code", CODES)
def test_every_code_has_a_template_using_only_its_params(code: str, locale: str) -> None:
    template = messages.templates(locale).get(code)
    assert template, f"{code} has no {locale} message"
    unknown = messages.placeholders(template) - set(catalog.info(code).params)
    assert not unknown, f"{locale} template of {code} uses {unknown}, not among its params"


@pytest.mark.parametrize("code", CODES)
def test_codes_are_dotted_and_documented(code: str) -> None:
    assert re.fullmatch(r"[a-z]+(\.[a-z0-9_]+)+", code), code
    assert catalog.info(code).summary


@pytest.mark.parametrize("code", CODES)
def test_every_code_is_in_the_changelog(code: str) -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert f"`{code}`" in changelog, f"{code} missing from CHANGELOG.md"


def test_hebrew_messages_are_hebrew() -> None:
    hebrew = re.compile("[\u0590-\u05ff]")
    for code, text in messages.templates("he").items():
        assert hebrew.search(text), f"he message of {code} has no Hebrew text"


def test_render_falls_back_to_english_then_code() -> None:
    assert messages.render("mx.null", {"domain": "x.example"}, "fr") == messages.render(
        "mx.null", {"domain": "x.example"}, "en"
    )
    assert "x.example" in messages.render("mx.null", {"domain": "x.example"}, "he-IL")
    assert messages.render("no.such_code") == "no.such_code"


@pytest.mark.parametrize("locale", ["he", "he-IL", "he_IL", "HE", "iw", "iw-IL", "iw_IL"])
def test_every_spelling_of_hebrew_gets_hebrew(locale: str) -> None:
    # "iw" is Hebrew's code before 1989, still sent by old Java and Android systems.
    assert messages.render("mx.null", {"domain": "x.example"}, locale) == messages.render(
        "mx.null", {"domain": "x.example"}, "he"
    )


def test_shop_can_override_a_template() -> None:
    text = messages.render("domain.typo", {"suggested_address": "a@gmail.com"},
                           templates_override={"domain.typo": "Typo? Try {suggested_address}"})
    assert text == "Typo? Try a@gmail.com"


def test_unknown_code_is_a_typed_error() -> None:
    with pytest.raises(catalog.UnknownCodeError):
        catalog.make("no.such_code")


def test_docs_code_list_is_current() -> None:
    """docs/codes.md is generated from the catalog; regenerate it when codes change."""
    current = (ROOT / "docs" / "codes.md").read_text(encoding="utf-8")
    assert current == catalog.markdown(), "run: maildiag codes > docs/codes.md"


@pytest.mark.parametrize("locale", ["../catalog", "../../etc", "zz", "", "he/../en", "x" * 300])
def test_any_locale_string_falls_back_to_english(locale: str) -> None:
    """Locales come from Accept-Language headers: never a path, never an error."""
    english = messages.render("mx.null", {"domain": "x.example"}, "en")
    assert messages.render("mx.null", {"domain": "x.example"}, locale) == english


def test_unknown_locales_do_not_grow_a_cache() -> None:
    for i in range(500):
        messages.render("mx.null", {"domain": "x.example"}, f"zz{i}")
    assert messages._shipped_templates.cache_info().currsize <= len(messages.available_locales())


def test_templates_cannot_be_changed_by_a_caller() -> None:
    with pytest.raises(TypeError):
        messages.templates("en")["domain.typo"] = "HACKED"  # type: ignore[index]
