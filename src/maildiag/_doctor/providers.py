"""The big providers' sender requirements (package data ``maildiag/data/sender_requirements.toml``)
as one checklist: each requirement met, not met or unknown, from the facts the checks found."""

from __future__ import annotations

import dataclasses
import functools
import tomllib
from collections.abc import Mapping
from importlib import resources
from typing import Any

from maildiag._doctor._flow import Ctx

__all__ = ["Requirement", "checklist", "requirements"]


@dataclasses.dataclass(frozen=True, slots=True)
class Requirement:
    """One provider's requirement and whether the domain meets it."""

    provider: str
    requirement: str
    scope: str  # all, bulk
    status: str  # met, not_met, unknown
    source: str
    enforced: str
    recorded: str

    def to_dict(self) -> dict[str, Any]:
        """A new JSON-compatible dict."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Requirement:
        """Rebuild from :meth:`to_dict` output (raises ``DiagnosisDataError`` otherwise)."""
        from maildiag.model import _Fields

        f = _Fields(data, "checklist")
        return cls(**{field.name: f.text(field.name) for field in dataclasses.fields(cls)})


@functools.cache
def requirements() -> tuple[Mapping[str, Any], ...]:
    """The provider table as loaded."""
    raw = (resources.files("maildiag") / "data" / "sender_requirements.toml").read_text("utf-8")
    return tuple(tomllib.loads(raw)["provider"])


def _status(facts: Mapping[str, bool | None], requirement: str) -> str:
    if requirement == "spf_or_dkim":
        values = [facts.get("spf"), facts.get("dkim")]
        value = True if True in values else (False if values == [False, False] else None)
    else:
        value = facts.get(requirement)
    return "unknown" if value is None else ("met" if value else "not_met")


def checklist(ctx: Ctx) -> tuple[Requirement, ...]:
    """Every provider requirement with its status; one finding per requirement not met,
    naming every provider that requires it (the fix is the same for all of them)."""
    rows = []
    for provider in requirements():
        for entry in provider["requirements"]:
            status = _status(ctx.facts, entry["id"])
            rows.append(Requirement(provider["name"], entry["id"], entry["scope"], status, provider["source"],
                                    provider["enforced"], provider["recorded"]))
    unmet: dict[str, list[Requirement]] = {}
    for row in rows:
        if row.status == "not_met":
            unmet.setdefault(row.requirement, []).append(row)
    for requirement, group in unmet.items():
        scope = "all" if any(r.scope == "all" for r in group) else "bulk"
        ctx.add("doctor.provider.requirement_not_met",
                {"provider": ", ".join(r.provider for r in group), "requirement": requirement, "scope": scope,
                 "source": " ".join(r.source for r in group)},
                [f"{r.provider} requires {requirement} ({r.scope} senders) since {r.enforced}" for r in group])
    return tuple(rows)
