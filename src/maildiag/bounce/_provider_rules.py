"""Per-provider bounce rules: data (``maildiag/data/bounce_rules.toml``) keyed by provider entry.

A few receiving providers refuse in words that mean something else there (DoCoMo's "Unknown
user" after DATA is its subscriber's sender filter). Each rule belongs to a provider entry of
:mod:`maildiag.providers`, so the hosts and domains it applies to are that entry's.
"""

from __future__ import annotations

import dataclasses
import functools
import tomllib
from importlib import resources

from maildiag import providers


@dataclasses.dataclass(frozen=True, slots=True)
class Rule:
    """One provider's reading of one reason (see the data file's header)."""

    provider: str
    when: str
    reason: str
    domains: tuple[str, ...]  # recipient domains (match = "recipient")
    mx_suffixes: tuple[str, ...]  # remote MTA host suffixes (match = "remote")
    unless_status: tuple[str, ...] = ()

    def applies(self, reason: str, status: str | None, recipient: str, remote: str | None) -> bool:
        if reason != self.when or (status or "").startswith(self.unless_status or ("\0",)):
            return False
        domain = recipient.rpartition("@")[2].lower()
        host = (remote or "").lower().rstrip(".")
        return domain in self.domains or any(
            host == s or host.endswith("." + s) for s in self.mx_suffixes if host
        )


@functools.cache
def rules() -> tuple[Rule, ...]:
    """Every rule, read once on first use; a rule naming no known provider raises KeyError."""
    raw = tomllib.loads((resources.files("maildiag") / "data" / "bounce_rules.toml").read_text("utf-8"))
    found = []
    for entry in raw["rule"]:
        provider = providers.get(str(entry["provider"]))
        if provider is None:
            raise KeyError(f"bounce_rules.toml: no provider entry {entry['provider']!r}")
        match = str(entry["match"])
        if match not in ("remote", "recipient"):
            raise ValueError(f"bounce_rules.toml: match must be 'remote' or 'recipient', not {match!r}")
        remote_only = match == "remote"
        found.append(Rule(
            provider=provider.id,
            when=str(entry["when"]),
            reason=str(entry["reason"]),
            domains=tuple(str(d) for d in entry.get("domains", provider.domains)) if not remote_only else (),
            mx_suffixes=(*provider.mx_suffixes, *provider.domains) if remote_only else (),
            unless_status=tuple(str(s) for s in entry.get("unless_status", ())),
        ))
    return tuple(found)


def apply(reason: str, status: str | None, recipient: str, remote: str | None) -> str:
    """``reason`` as the recipient's provider reads it (unchanged when no rule applies)."""
    for rule in rules():
        if rule.applies(reason, status, recipient, remote):
            return rule.reason
    return reason
