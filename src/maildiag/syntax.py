"""Syntax checks via email-validator, and repair of input a customer plausibly mistyped.

PLACEHOLDER: minimal version; the full repair logic replaces it.
"""

from __future__ import annotations

import dataclasses

from maildiag import catalog
from maildiag.model import Finding
from maildiag.options import Options

__all__ = ["ParsedAddress", "check"]


@dataclasses.dataclass(frozen=True, slots=True)
class ParsedAddress:
    """The outcome of the syntax step.

    Attributes:
        original: the input as given.
        candidate: the address the later checks run on (the repaired one, if repaired).
        valid: ``candidate`` is a syntactically valid address.
        normalized: email-validator's normalized form of ``candidate`` (``None`` if invalid).
        local: the local part of ``normalized``.
        domain: the domain of ``normalized`` in Unicode form.
        ascii_domain: the domain in IDNA (ASCII) form, as DNS needs it.
        repaired: the corrected address to suggest, when the input needed repair.
        findings: ``syntax.*`` findings.
    """

    original: str
    candidate: str
    valid: bool
    normalized: str | None = None
    local: str | None = None
    domain: str | None = None
    ascii_domain: str | None = None
    repaired: str | None = None
    findings: tuple[Finding, ...] = ()


def check(address: str, options: Options) -> ParsedAddress:
    """Check ``address``; never raises on any string."""
    import email_validator

    try:
        v = email_validator.validate_email(
            address, check_deliverability=False, allow_smtputf8=options.allow_smtputf8
        )
    except email_validator.EmailNotValidError as e:
        return ParsedAddress(address, address, False, findings=(catalog.make("syntax.invalid", {"reason": str(e)}),))
    return ParsedAddress(
        address, address, True, v.normalized, v.local_part, v.domain, v.ascii_domain, None, ()
    )
