"""Customer-facing message templates, per locale, as package data.

Templates live in ``maildiag/messages/<locale>/<area>.toml`` as ``"code" = "text"`` and use
``str.format`` fields filled from a finding's ``params`` (``"Did you mean {suggestion}?"``).
English (``en``) and Hebrew (``he``) ship with maildiag; a shop adds or overrides text by
passing its own ``templates`` mapping to :func:`render`.

Messages are *not* API: match on codes, show messages.
"""

from __future__ import annotations

import functools
import string
import tomllib
from collections.abc import Callable, Mapping
from importlib import resources
from types import MappingProxyType
from typing import Any

__all__ = ["available_locales", "negotiate", "placeholders", "render", "templates"]

DEFAULT_LOCALE = "en"


@functools.cache
def available_locales() -> tuple[str, ...]:
    """The locales that ship with maildiag."""
    folder = resources.files("maildiag") / "messages"
    return tuple(sorted(e.name for e in folder.iterdir() if e.is_dir() and e.name[0] != "_"))


def templates(locale: str) -> Mapping[str, str]:
    """Every template of ``locale`` (without fallback), keyed by code or checklist step.

    ``locale`` may be a tag (``he-IL``); a locale maildiag does not ship gives an empty
    mapping. Locales often come from an HTTP ``Accept-Language`` header: only shipped names
    ever reach the file system or the cache.
    """
    base = _base_locale(locale)
    if base not in available_locales():
        return _EMPTY
    return _shipped_templates(base)


_EMPTY: Mapping[str, str] = MappingProxyType({})


@functools.cache
def _shipped_templates(locale: str) -> Mapping[str, str]:
    folder = resources.files("maildiag") / "messages" / locale
    found: dict[str, str] = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            found.update(tomllib.loads(entry.read_text(encoding="utf-8")))
    return MappingProxyType(found)


def placeholders(template: str) -> set[str]:
    """The field names a template uses (``{suggestion}`` gives ``suggestion``)."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


#: Obsolete language codes still sent by old Java and Android systems (ISO 639 changed them
#: in 1989): ``iw`` is Hebrew.
_LEGACY_LANGUAGES = {"iw": "he"}


@functools.lru_cache(maxsize=256)  # bounded: locales may come from request headers
def _base_locale(locale: str) -> str:
    base = locale.replace("_", "-").split("-")[0].lower()
    return _LEGACY_LANGUAGES.get(base, base)


class _Params(dict[str, Any]):
    """Missing parameters render as an empty string rather than raising."""

    def __missing__(self, key: str) -> str:
        return ""


def render(
    code: str,
    params: Mapping[str, Any] | None = None,
    locale: str = DEFAULT_LOCALE,
    *,
    templates_override: Mapping[str, str] | None = None,
    escape: Callable[[str], str] | None = None,
) -> str:
    """The message for ``code`` in ``locale``, falling back to English, then to the code.

    ``locale`` may be a tag such as ``he-IL``; its base language is used. Messages are plain
    text. ``escape`` is applied to every parameter value before it is placed in the template
    (``maildiag._safe_text.html`` for a page): the values carry what customers typed and
    servers answered, the templates are maildiag's or the shop's own text.
    """
    template = None
    if templates_override:
        template = templates_override.get(code)
    if template is None:
        template = templates(locale).get(code)
    if template is None:
        template = templates(DEFAULT_LOCALE).get(code, code)
    values = _Params({k: _display(v) for k, v in (params or {}).items()})
    if escape is not None:
        values = _Params({k: escape(str(v)) for k, v in values.items()})
    # str.format_map is str.format's own C code; string.Formatter().vformat is the same
    # parsing and lookups (missing names go through _Params.__missing__ either way) written in
    # Python, several times slower, and a bulk run renders about ten templates per row.
    return template.format_map(values)


def _display(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return ", ".join(str(v) for v in value)
    return value


def negotiate(accept_language: str | None, default: str = DEFAULT_LOCALE) -> str:
    """The shipped locale that an HTTP ``Accept-Language`` header prefers most, else ``default``.

    RFC 9110 §12.5.4: comma-separated language ranges with optional ``;q=`` weights
    (``he-IL,he;q=0.9,en;q=0.8`` gives ``he``). Ranges are matched on their base language
    (``iw`` is Hebrew too); ``q=0`` means "not this one"; ``*`` and ranges maildiag does not
    ship are skipped. Linear in the header, which is capped at 1,000 characters (it comes
    from the client).
    """
    if not accept_language:
        return default
    shipped = available_locales()
    best: tuple[float, int, str] | None = None
    for position, item in enumerate(accept_language[:1000].split(",")):
        tag, _, params = item.strip().partition(";")
        weight = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        base = _base_locale(tag.strip()) if tag.strip() and tag.strip() != "*" else ""
        if base in shipped and weight > 0 and (best is None or (weight, -position) > (best[0], best[1])):
            best = (weight, -position, base)
    return best[2] if best else default
