"""The customer's checklist for "I didn't get the email", tailored to their provider.

:func:`checklist` turns a :class:`~maildiag.model.Diagnosis` into ordered steps the customer
can follow alone: check the address, look in the folders *as their provider names them*
(Gmail's Promotions tab, Outlook's Junk Email and "Other" tab, a gateway's quarantine
digest), search for the sender, check filters and forwarding, allow-list the sender, ask
about a filtered internet connection, ask IT, or use another address::

    for step in checklist(diagnosis, "he", sender_name="Acme", sender_address="orders@acme.example"):
        print(step.text)

Step ids (``check.spam_folder``...) are stable API; their texts are templates in
``maildiag/messages/<locale>/checklist.toml`` under ``step.<id>``, so a shop can match on ids
and show the texts. Folder names come from the provider data files.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from maildiag import messages, providers
from maildiag.model import Diagnosis, ParamValue, Verdict, freeze_params
from maildiag.options import Options

__all__ = ["STEP_IDS", "Step", "checklist"]

#: Every step id :func:`checklist` may return, in the order steps appear.
STEP_IDS: tuple[str, ...] = (
    "fix.typo",
    "use.valid_address",
    "use.other_address",
    "disposable.open_now",
    "use.permanent_address",
    "check.address",
    "check.spam_folder",
    "check.tabs",
    "check.other_tab",
    "check.all_mail",
    "check.quarantine_digest",
    "search.sender",
    "search.shop_name",
    "wait.delay",
    "check.filters",
    "allow.sender",
    "ask.filtered_internet",
    "ask.it_release",
    "use.personal_address",
    "contact.shop",
)

#: Folder keys of the provider data, in the order a customer should look, with their step.
_FOLDER_STEPS: tuple[tuple[str, str], ...] = (
    ("spam", "check.spam_folder"),
    ("tabs", "check.tabs"),
    ("other", "check.other_tab"),
    ("all_mail", "check.all_mail"),
    ("quarantine", "check.quarantine_digest"),
)

#: Kinds of provider that hold the mailbox itself (their settings have filters and contacts).
_MAILBOX_KINDS = frozenset({"consumer_webmail", "hosted_workspace", "isp", "filtered_isp", "hosting"})

#: Countries where filtered ("kosher") internet is common; see docs/providers.md.
_FILTERED_COUNTRIES = frozenset({"IL"})
_FILTERED_TLDS = (".il",)


@dataclasses.dataclass(frozen=True, slots=True)
class Step:
    """One thing the customer should do: a stable ``id``, its rendered ``text`` and ``params``."""

    id: str
    text: str
    params: Mapping[str, ParamValue] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "params", freeze_params(self.params))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Step):
            return NotImplemented
        return (self.id, self.text, dict(self.params)) == (other.id, other.text, dict(other.params))

    def __hash__(self) -> int:
        return hash((self.id, self.text))

    def to_dict(self) -> dict[str, Any]:
        """A new JSON-compatible dict."""
        return {"id": self.id, "text": self.text, "params": {k: _thaw(v) for k, v in self.params.items()}}


def _thaw(value: ParamValue) -> Any:
    return list(value) if isinstance(value, tuple) else value


def _base(locale: str) -> str:
    return locale.replace("_", "-").split("-")[0].lower()


def _word(key: str, locale: str) -> str:
    return messages.render(f"checklist.{key}", None, locale)


class _Builder:
    def __init__(self, locale: str) -> None:
        self.locale = locale
        self.steps: list[Step] = []

    def add(self, step_id: str, **params: Any) -> None:
        text = messages.render(f"step.{step_id}", params, self.locale)
        self.steps.append(Step(step_id, text, params))


def checklist(
    diagnosis: Diagnosis,
    locale: str = "en",
    *,
    sender_name: str | None = None,
    sender_address: str | None = None,
    options: Options | None = None,
) -> tuple[Step, ...]:
    """The ordered steps the customer should follow alone, in ``locale`` (``en`` or ``he``).

    Args:
        diagnosis: the result of :func:`maildiag.diagnose` for the customer's address.
        locale: ``en``, ``he`` or a tag such as ``he-IL``; unknown locales fall back to English.
        sender_name: the name our emails come from (the shop's name), to search for.
        sender_address: the address our emails come from, to search for and allow-list.
        options: the options of the diagnosis, when the shop added provider entries.

    The steps depend on the verdict (a typo or an undeliverable address is fixed first and
    nothing else is asked), on the flags (a disposable or shared address) and on the
    provider's folders, filters and known trouble.
    """
    out = _Builder(locale)
    codes = set(diagnosis.codes)
    address = diagnosis.normalized or diagnosis.address
    domain = (diagnosis.domain or "").lower()
    sender = _sender(sender_name, sender_address, locale)

    if diagnosis.suggestion is not None:
        out.add("fix.typo", address=diagnosis.address, suggestion=diagnosis.suggestion)
        out.add("contact.shop")
        return tuple(out.steps)
    if diagnosis.verdict is Verdict.UNDELIVERABLE:
        if diagnosis.normalized is None:
            # Not an address at all (empty, no @...): there is nothing to quote back.
            out.add("use.valid_address")
        else:
            out.add("use.other_address", address=address)
        out.add("contact.shop")
        return tuple(out.steps)
    if "flag.disposable" in codes:
        out.add("disposable.open_now", domain=domain)
        out.add("use.permanent_address", domain=domain)
        out.add("contact.shop")
        return tuple(out.steps)

    entries = [providers.get(m.id, options) for m in diagnosis.providers]
    known = [e for e in entries if e is not None]
    mailbox = next((e for e in known if e.kind in _MAILBOX_KINDS), None)
    provider_name = mailbox.name if mailbox else _word("default_provider", locale)

    out.add("check.address", address=address)

    folders: dict[str, providers.Folder] = {}
    for entry in known:
        for key, folder in entry.folders.items():
            folders.setdefault(key, folder)
    if "spam" not in folders and "quarantine" not in folders:
        folders["spam"] = providers.Folder(_word("default_spam", "en"), _word("default_spam", "he"))
    for key, step_id in _FOLDER_STEPS:
        if key in folders:
            out.add(step_id, folder=folders[key].name(locale), provider=provider_name)

    if sender_name or sender_address:
        out.add("search.sender", sender=sender)
    else:
        out.add("search.shop_name")
    if "provider.strict_filtering" in codes:
        out.add("wait.delay", provider=provider_name)
    out.add("check.filters", provider=provider_name)

    safe = mailbox.safe_senders if mailbox and mailbox.safe_senders else None
    place = safe.name(locale) if safe else _word("default_safe_senders", locale)
    out.add("allow.sender", sender=sender, place=place)

    if _maybe_filtered(domain, known, codes, locale):
        out.add("ask.filtered_internet")

    gate = next((e for e in known if e.kind == "security_gateway"), None)
    if gate is not None or "provider.workspace_quarantine" in codes:
        it_name = gate.name if gate else provider_name
        out.add("ask.it_release", provider=it_name, sender=sender)
    if gate is not None or "flag.role" in codes:
        out.add("use.personal_address", address=address)
    out.add("contact.shop")
    return tuple(out.steps)


def _sender(name: str | None, address: str | None, locale: str) -> str:
    if name and address:
        return f"{name} <{address}>"
    return name or address or _word("default_sender", locale)


def _maybe_filtered(domain: str, known: list[providers.Provider], codes: set[str], locale: str) -> bool:
    """Should we ask about filtered ("kosher") internet? It cannot be detected, only asked.

    Filtering ISPs (NetFree, Rimon, Etrog) filter the subscriber's connection, whatever the
    address: a NetFree subscriber with a Gmail address has Gmail's MX. So we ask Israeli
    customers: an Israeli domain or provider, a filter finding, or a Hebrew-speaking customer.
    """
    if codes & {"provider.filtered_isp", "provider.maybe_filtered"}:
        return True
    if domain.endswith(_FILTERED_TLDS) or any(e.country in _FILTERED_COUNTRIES for e in known):
        return True
    return _base(locale) == "he"
