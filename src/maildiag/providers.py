"""Who runs the mailbox, from MX hosts and the domain. PLACEHOLDER: replaced by the full version."""

from __future__ import annotations

from collections.abc import Sequence

from maildiag.model import Finding, ProviderMatch
from maildiag.options import Options

__all__ = ["findings", "identify", "is_known_domain"]


def identify(domain: str, mx_hosts: Sequence[str], options: Options) -> tuple[ProviderMatch, ...]:
    """Providers for ``domain`` given its MX host names (may be empty when offline)."""
    return ()


def findings(matches: Sequence[ProviderMatch], options: Options) -> tuple[Finding, ...]:
    """Known-trouble findings for the matched providers."""
    return ()


def is_known_domain(domain: str) -> bool:
    """True when ``domain`` is a well-known mailbox domain of a provider (it surely exists)."""
    return False
