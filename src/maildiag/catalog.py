"""The catalog of finding codes: one TOML file per area under ``maildiag/catalog/``.

Each code has a default severity, the verdict it implies, whose side it blames, who must
act, how sure a verdict resting on it is, the parameters its messages may use, and a
one-line summary for developers. The catalog is package data, loaded once on first use.

Codes are stable API: a code is never renamed or removed without a CHANGELOG entry, and
a test checks that every code has a message template in every shipped locale.
"""

from __future__ import annotations

import dataclasses
import functools
import tomllib
from collections.abc import Iterable, Mapping
from importlib import resources
from typing import Any

from maildiag.model import Actor, Blame, Finding, Severity, Verdict

__all__ = ["CodeInfo", "UnknownCodeError", "codes", "info", "make"]

#: Verdict precedence: a diagnosis takes the worst verdict its findings imply.
#: ``fix`` ranks first because a customer shown a fix can usually recover at once.
#: ``risky`` ranks above ``unknown``: what is known (a disposable or role address, a
#: provider's strict filtering) stays the verdict when DNS fails; the failure is kept as a
#: finding saying what could not be checked (issue 10.6, docs/design.md "Verdicts").
VERDICT_RANK: Mapping[Verdict, int] = {
    Verdict.FIX: 5,
    Verdict.UNDELIVERABLE: 4,
    Verdict.RISKY: 3,
    Verdict.UNKNOWN: 2,
    Verdict.OK: 1,
}


class UnknownCodeError(KeyError):
    """A finding code that is not in the catalog (a bug in maildiag or in a caller)."""


@dataclasses.dataclass(frozen=True, slots=True)
class CodeInfo:
    """What the catalog says about one finding code."""

    code: str
    severity: Severity
    verdict: Verdict | None
    blame: Blame
    actor: Actor
    confidence: float
    params: tuple[str, ...]
    summary: str
    area: str


def _parse(area: str, code: str, raw: Mapping[str, Any]) -> CodeInfo:
    verdict = raw.get("verdict", "none")
    return CodeInfo(
        code=code,
        severity=Severity(raw["severity"]),
        verdict=None if verdict == "none" else Verdict(verdict),
        blame=Blame(raw.get("blame", "none")),
        actor=Actor(raw.get("actor", "nobody")),
        confidence=float(raw.get("confidence", 0.9)),
        params=tuple(raw.get("params", ())),
        summary=str(raw.get("summary", "")),
        area=area,
    )


@functools.cache
def codes() -> Mapping[str, CodeInfo]:
    """Every known code, loaded once from the package's catalog files."""
    found: dict[str, CodeInfo] = {}
    folder = resources.files("maildiag") / "catalog"
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".toml"):
            continue
        area = entry.name.removesuffix(".toml")
        for code, raw in tomllib.loads(entry.read_text(encoding="utf-8")).items():
            if code in found:
                raise ValueError(f"finding code {code!r} is defined twice")
            found[code] = _parse(area, code, raw)
    return found


@functools.cache
def _ranking() -> Mapping[str, tuple[int, CodeInfo]]:
    return {code: (VERDICT_RANK[e.verdict] if e.verdict else 0, e) for code, e in codes().items()}


def deciding(codes_seen: Iterable[str]) -> CodeInfo | None:
    """The catalog entry of the code that decides the verdict (highest rank; first on ties)."""
    ranking = _ranking()
    best: tuple[int, CodeInfo] | None = None
    for code in codes_seen:
        try:
            ranked = ranking[code]
        except KeyError:
            raise UnknownCodeError(code) from None
        if ranked[0] and (best is None or ranked[0] > best[0]):
            best = ranked
    return best[1] if best else None


def info(code: str) -> CodeInfo:
    """The catalog entry for ``code``; raises :class:`UnknownCodeError` if there is none."""
    try:
        return codes()[code]
    except KeyError:
        raise UnknownCodeError(code) from None


def make(
    code: str,
    params: Mapping[str, Any] | None = None,
    evidence: Iterable[str] = (),
    *,
    severity: Severity | None = None,
) -> Finding:
    """Build a :class:`Finding` with the catalog's defaults for ``code``."""
    evidence = tuple(evidence)
    if not evidence and severity is None:
        # Findings are immutable values, so equal ones can be shared: the same
        # "free webmail" or "Gmail tabs" finding is made for every gmail.com address.
        try:
            return _shared(code, tuple(params.items()) if params else ())
        except TypeError:  # an unhashable parameter value (a list)
            pass
    entry = info(code)
    return Finding(
        code=code,
        severity=severity or entry.severity,
        blame=entry.blame,
        actor=entry.actor,
        params=dict(params or {}),
        evidence=evidence,
    )


@functools.lru_cache(maxsize=4096)
def _shared(code: str, params: tuple[tuple[str, Any], ...]) -> Finding:
    return make(code, dict(params), (), severity=info(code).severity)


def markdown() -> str:
    """The code list as Markdown (``docs/codes.md`` is this text; a test keeps it current)."""
    from maildiag.messages import templates

    english = templates("en")
    lines = [
        "# Finding codes",
        "",
        "Generated from `src/maildiag/catalog/*.toml` by `maildiag codes > docs/codes.md`.",
        "Codes are stable API; messages are not (the English template is shown for reference).",
        "",
    ]
    by_area: dict[str, list[CodeInfo]] = {}
    for entry in codes().values():
        by_area.setdefault(entry.area, []).append(entry)
    for area in sorted(by_area):
        lines += [f"## {area}", "", "| code | severity | verdict | blame | actor | params | meaning | message (en) |",
                  "|---|---|---|---|---|---|---|---|"]
        for e in sorted(by_area[area], key=lambda e: e.code):
            verdict = e.verdict.value if e.verdict else "-"
            message = english.get(e.code, "").replace("|", "\\|")
            lines.append(
                f"| `{e.code}` | {e.severity.value} | {verdict} | {e.blame.value} | {e.actor.value} "
                f"| {', '.join(e.params) or '-'} | {e.summary.replace('|', '/')} | {message} |"
            )
        lines.append("")
    return "\n".join(lines)
