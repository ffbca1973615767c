"""What a form does with a diagnosis: the one policy behind maildiag.pydantic and maildiag.django.

A form has two outcomes, accept or refuse with a reason, while a :class:`~maildiag.Diagnosis`
has five verdicts. The mapping is written once here so that the pydantic type and the
Django validator cannot drift apart (docs/integrations.md):

- ``ok``, ``unknown`` and ``risky`` are accepted. ``unknown`` means *our* DNS failed and
  says nothing of the address; ``risky`` mail may still arrive. A shop that wants to refuse
  disposable or role addresses says so with ``refuse_disposable`` / ``refuse_role``.
- ``fix`` is refused with the suggestion, so the customer sees "Did you mean ...?" once.
  When the customer insists (``accept_as_typed``), the address is diagnosed again without
  typo suggestions and judged as typed; input that is not an address as typed (a comma
  for a dot) can still not be kept.
- ``undeliverable`` is refused: bad syntax, the shop's deny list, or (with DNS) a domain
  that cannot receive mail.

This module imports neither pydantic nor Django.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from maildiag import catalog
from maildiag.api import diagnose
from maildiag.model import Diagnosis, Finding, Verdict
from maildiag.options import Options

__all__ = ["KINDS", "Refusal", "as_strings", "build_options", "judge"]

#: Findings that say the domain is reserved or special-use (RFC 2606, RFC 6761).
RESERVED_CODES = frozenset({"syntax.domain_reserved", "syntax.domain_special_use"})

#: Why an address is refused. Each integration maps a kind to its own stable error code.
#: ``reserved`` is a domain no public mail reaches (example.com, .test, .localhost): not a
#: syntax error, and a shop allows its own test domains with ``allow=`` (issue 10.7).
KINDS = ("typo", "syntax", "reserved", "denied", "disposable", "role", "undeliverable")


@dataclasses.dataclass(frozen=True, slots=True)
class Refusal:
    """An address the form must not take as it is, and why.

    Attributes:
        kind: one of :data:`KINDS`.
        finding: the finding that decided it (its ``code`` is maildiag's stable code).
        suggestion: the address to offer instead, when maildiag has one.
        diagnosis: the diagnosis the refusal rests on.
    """

    kind: str
    finding: Finding
    suggestion: str | None
    diagnosis: Diagnosis

    @property
    def code(self) -> str:
        """maildiag's finding code (``domain.typo``, ``syntax.missing_at``, ``flag.disposable``...)."""
        return self.finding.code

    def message(self, locale: str) -> str:
        """The customer message of the deciding finding, in ``locale`` (English fallback)."""
        return self.finding.message(locale)


def as_strings(name: str, value: Iterable[str]) -> tuple[str, ...]:
    """``value`` as a tuple, refusing a lone string (``deny="x.com"`` would be its letters)."""
    if isinstance(value, str):
        raise TypeError(f"{name} must be a sequence of strings, not a single string")
    return tuple(value)


def build_options(
    base: Options | None,
    *,
    offline: bool,
    extra_domains: Iterable[str],
    allow: Iterable[str],
    deny: Iterable[str],
    **changes: object,
) -> Options:
    """``base`` (or the defaults) with the form's settings applied on top."""
    return (base or Options()).replace(
        offline=offline,
        extra_domains=(*(base.extra_domains if base else ()), *extra_domains),
        allow=(*(base.allow if base else ()), *allow),
        deny=(*(base.deny if base else ()), *deny),
        **changes,
    )


def _deciding(d: Diagnosis) -> Finding:
    # The first finding (most severe first) whose catalog entry implies the verdict:
    # that is the finding the verdict rests on, and the one whose message explains it.
    for finding in d.findings:
        if catalog.info(finding.code).verdict is d.verdict:
            return finding
    return d.findings[0]


def _kind(d: Diagnosis, finding: Finding) -> str:
    if d.verdict is Verdict.FIX:
        return "typo"
    if finding.code == "policy.denied":
        return "denied"
    if finding.code in RESERVED_CODES:
        return "reserved"
    if finding.code.startswith("syntax."):
        return "syntax"
    return "undeliverable"


def judge(
    address: str,
    options: Options,
    *,
    refuse_disposable: bool = False,
    refuse_role: bool = False,
    accept_as_typed: bool = False,
) -> str | Refusal:
    """Diagnose ``address`` and return the address to store, or a :class:`Refusal`.

    The address returned is maildiag's normalized form (email-validator's: the domain
    lower-cased and IDNA-normalized, the local part kept as typed).
    """
    d = diagnose(address, options=options)
    suggestion = d.suggestion
    if d.verdict is Verdict.FIX and accept_as_typed:
        # The customer saw the suggestion and kept their address: judge it as typed. A
        # repair (jane@gmail,com) stays a fix, since what was typed is not an address.
        d = diagnose(address, options=options.replace(suggest_typos=False))
    if d.verdict in (Verdict.FIX, Verdict.UNDELIVERABLE):
        finding = _deciding(d)
        # After an insisted-upon typo, the first suggestion (jane@gmail.com) is the one to
        # offer, not the repair of the address as typed (jane@gmial,com -> jane@gmial.com).
        return Refusal(_kind(d, finding), finding, suggestion or d.suggestion, d)
    if d.verdict in (Verdict.RISKY, Verdict.UNKNOWN):
        # The shop's refusals rest on data files, not DNS: a timeout that makes the verdict
        # unknown must not let a disposable address through.
        for code, kind, refused in (
            ("flag.disposable", "disposable", refuse_disposable),
            ("flag.role", "role", refuse_role),
        ):
            finding_or_none = d.find(code)
            if refused and finding_or_none is not None:
                # After an insisted-upon typo the first suggestion is still worth offering.
                return Refusal(kind, finding_or_none, suggestion, d)
    # ok, risky that the shop accepts, and unknown: never block a customer on our own
    # failure to check (a timeout, SERVFAIL, a lying resolver).
    return d.normalized if d.normalized is not None else address
