"""email-validator's syntax check, with each domain validated once.

Two thirds of :func:`email_validator.validate_email`'s time is the domain: IDNA (UTS #46)
mapping and label checks. Sign-up traffic is dominated by a few hundred domains, so this
module runs email-validator's own building blocks (``email_validator.syntax``) in the same
order as ``validate_email`` and caches the domain's result, bounded. Only plain addresses
take this path: an ASCII, unquoted local part without a display name and a domain name
(not a bracketed IP literal). Everything else, and any surprise from the building blocks
(a newer email-validator that renamed or changed them), goes through ``validate_email``
itself, so the outcome is always email-validator's.

``tests/test_validate.py`` holds the two paths to the same answers, message for message,
on every syntax case in the suite and on generated text. See docs/design.md ("Validating
each domain once") for why this is not a reimplementation of email-validator.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import email_validator

__all__ = ["validate"]

#: Distinct domains whose validation is kept. Each entry is a few hundred bytes.
DOMAIN_CACHE_SIZE = 4096

_Fast = Callable[[str, bool], email_validator.ValidatedEmail]


def _slow(text: str, allow_smtputf8: bool, *, test_environment: bool = False) -> email_validator.ValidatedEmail:
    # Every setting is explicit: email-validator's module-level defaults (TEST_ENVIRONMENT,
    # STRICT...) belong to whoever else uses it in the process, not to maildiag.
    return email_validator.validate_email(
        text,
        check_deliverability=False,
        allow_smtputf8=allow_smtputf8,
        allow_empty_local=False,
        allow_quoted_local=True,
        allow_domain_literal=False,
        allow_display_name=False,
        strict=False,
        test_environment=test_environment,
        globally_deliverable=True,
    )


def validate_special_use(text: str, allow_smtputf8: bool) -> email_validator.ValidatedEmail:
    """``validate_email`` for an address at a special-use name (RFC 6761: ``.test``,
    ``.localhost``, ``.local``...), for a domain the shop allows (``Options.allow``): its own
    staging and development domains. Raises as ``validate_email`` does otherwise.

    email-validator refuses every special-use name but ``.test`` (``test_environment``) and
    has no switch for the others, and its table is a module global that other code in the
    process may rely on. So the address is validated with ``.test`` appended to its domain:
    the local part and every label still get email-validator's full checks, and the
    result is mapped back. Nothing else is opened: the domain must itself be a special-use
    name of email-validator's table (``jane@intranet`` stays "no dot").
    """
    v = _slow(text + ".test", allow_smtputf8, test_environment=True)
    suffix = ".test"
    domain, ascii_domain = v.domain.removesuffix(suffix), v.ascii_domain.removesuffix(suffix)
    if not any(ascii_domain == d or ascii_domain.endswith("." + d) for d in email_validator.SPECIAL_USE_DOMAIN_NAMES):
        raise email_validator.EmailSyntaxError("not a special-use domain name")
    v.original = text
    v.domain, v.ascii_domain = domain, ascii_domain
    v.normalized = v.normalized.removesuffix(suffix)
    if v.ascii_email is not None:
        v.ascii_email = v.ascii_email.removesuffix(suffix)
    return v


def _build_fast() -> _Fast | None:
    """The per-domain path, or ``None`` when this email-validator lacks its building blocks."""
    try:
        from email_validator import syntax as ev
        from email_validator.rfc_constants import CASE_INSENSITIVE_MAILBOX_NAMES

        split_email: Callable[[str], tuple[str | None, str, str, bool, str]] = ev.split_email
        local_part: Callable[..., Any] = ev.validate_email_local_part
        domain_name: Callable[..., Any] = ev.validate_email_domain_name
        check_length: Callable[[email_validator.ValidatedEmail], None] = ev.validate_email_length
    except (ImportError, AttributeError):  # pragma: no cover - older or newer email-validator
        return None

    @functools.lru_cache(maxsize=DOMAIN_CACHE_SIZE)
    def domain_info(domain: str) -> tuple[str, str]:
        # Raises EmailSyntaxError for a bad domain; lru_cache keeps no failures, so a bad
        # domain is judged afresh each time (rare, and no exception object is reused).
        info = domain_name(domain, test_environment=False, globally_deliverable=True)
        return info["domain"], info["ascii_domain"]

    def fast(text: str, allow_smtputf8: bool) -> email_validator.ValidatedEmail:
        display_name, original_local, local, quoted, domain = split_email(text)
        if display_name is not None or quoted or not local.isascii() or domain.startswith("["):
            # Display names, quoted local parts, Unicode local parts (NFC normalization
            # and SMTPUTF8) and IP literals: email-validator's own path.
            return _slow(text, allow_smtputf8)
        # The order of checks is validate_email's, so the first error reported is the same:
        # local part, then the domain, then the lengths (RFC 5321 §4.5.3.1).
        info = local_part(local, allow_smtputf8=allow_smtputf8, allow_empty_local=False,
                          quoted_local_part=False, strict=False)
        if not domain:
            return _slow(text, allow_smtputf8)  # "There must be something after the @-sign."
        ret = email_validator.ValidatedEmail()
        ret.original = original_local + "@" + domain
        ret.display_name = None
        ret.smtputf8 = info["smtputf8"]
        ret.local_part = info["local_part"]
        ret.ascii_local_part = info["ascii_local_part"]
        if ret.ascii_local_part.lower() in CASE_INSENSITIVE_MAILBOX_NAMES:
            # RFC 2142 mailbox names (postmaster, abuse...) are case-insensitive.
            ret.local_part = ret.ascii_local_part = ret.ascii_local_part.lower()
        ret.domain, ret.ascii_domain = domain_info(domain)
        ret.normalized = ret.local_part + "@" + ret.domain
        ret.ascii_email = ret.ascii_local_part + "@" + ret.ascii_domain
        check_length(ret)
        return ret

    return fast


_fast = _build_fast()


def validate(text: str, allow_smtputf8: bool) -> email_validator.ValidatedEmail:
    """``validate_email(text, check_deliverability=False, ...)`` with maildiag's settings.

    Quoted local parts are accepted (RFC 5321 §4.1.2 allows them; maildiag flags them),
    IP literals and display names are refused (a display name is repaired instead).

    Raises:
        email_validator.EmailNotValidError: as ``validate_email`` would, same message.
    """
    if _fast is None:  # pragma: no cover - email-validator without its building blocks
        return _slow(text, allow_smtputf8)
    try:
        return _fast(text, allow_smtputf8)
    except email_validator.EmailNotValidError:
        raise
    except Exception:  # the building blocks changed shape: trust the public function
        return _slow(text, allow_smtputf8)
