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
    # from a bounce (checklist of a BounceRecipient's diagnosis): what it says happened
    "bounce.free_space",
    "bounce.we_retry",
    "bounce.ask_to_accept",
    "bounce.still_wanted",
    "bounce.we_are_on_it",
    "contact.shop",
    # for the support desk (Step.audience == "support"), never shown to the customer
    "support.delist",
    "support.fix_authentication",
    "support.review_content",
    "support.slow_down",
    "support.smaller_message",
    "support.check_sender",
    "support.stop_marketing",
    "support.read_bounce",
)

#: Who a step is for: the customer, or the shop's support desk (issue 10.3).
AUDIENCES = ("customer", "support")

#: What a bounce says happened, by bounce reason (maildiag.bounce.reasons): the customer's
#: steps, then the support desk's. One table, so that a reason without a row fails a test.
#: A refused message never reached a mailbox, so no step asks the customer to look in Spam;
#: a shop-side cause tells the customer only that we are on it (issue 10.3).
_BOUNCE_PLAN: Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # the address itself: fix it or give another (a typo suggestion comes first, if any)
    "user_unknown": (("use.other_address", "contact.shop"), ()),
    "mailbox_disabled": (("use.other_address", "contact.shop"), ()),
    "suppressed": (("use.other_address", "contact.shop"), ()),
    "domain_not_found": (("use.other_address", "contact.shop"), ()),
    "no_mail_accepted": (("use.other_address", "contact.shop"), ()),
    # the customer's mailbox or mail server: their move, or time
    "mailbox_full": (("bounce.free_space", "contact.shop"), ()),
    "receiver_error": (("bounce.we_retry", "contact.shop"), ()),
    "network": (("bounce.we_retry", "contact.shop"), ()),
    "expired": (("bounce.we_retry", "contact.shop"), ()),
    # refused by the customer's side (their provider's or organisation's filter)
    "policy": (("bounce.ask_to_accept", "use.personal_address", "contact.shop"), ()),
    "filtered": (("bounce.ask_to_accept", "use.personal_address", "contact.shop"), ()),
    # our side: the customer is told we are on it; support gets the steps
    "blocked": (("bounce.we_are_on_it",), ("support.delist",)),
    "auth_failure": (("bounce.we_are_on_it",), ("support.fix_authentication",)),
    "content": (("bounce.we_are_on_it",), ("support.review_content",)),
    "spam": (("bounce.we_are_on_it",), ("support.review_content",)),
    "rate_limited": (("bounce.we_retry",), ("support.slow_down",)),
    "message_too_large": (("bounce.we_are_on_it",), ("support.smaller_message",)),
    "sender_rejected": (("bounce.we_are_on_it",), ("support.check_sender",)),
    "protocol": (("bounce.we_are_on_it",), ("support.check_sender",)),
    # the customer marked our email as spam: ask, never "give another address"
    "complaint": (("bounce.still_wanted",), ("support.stop_marketing",)),
    # the bounce does not say why
    "undetermined": (("contact.shop",), ("support.read_bounce",)),
}

#: Bounce reasons after which the message did arrive (or a person answered): the ordinary
#: checklist applies.
_ARRIVED_REASONS = frozenset({"delivered", "auto_reply"})

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
    """One thing to do: a stable ``id``, its rendered ``text`` and ``params``, and who it is for.

    ``audience`` is ``customer`` (show it to them) or ``support`` (the shop's own fix, from a
    bounce whose cause is on our side: never show it to the customer).
    """

    id: str
    text: str
    params: Mapping[str, ParamValue] = dataclasses.field(default_factory=dict)
    audience: str = "customer"

    def __post_init__(self) -> None:
        object.__setattr__(self, "params", freeze_params(self.params))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Step):
            return NotImplemented
        return (self.id, self.text, dict(self.params), self.audience) == (
            other.id, other.text, dict(other.params), other.audience)

    def __hash__(self) -> int:
        return hash((self.id, self.text))

    def to_dict(self) -> dict[str, Any]:
        """A new JSON-compatible dict."""
        return {"id": self.id, "text": self.text, "params": {k: _thaw(v) for k, v in self.params.items()},
                "audience": self.audience}


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
        audience = "support" if step_id.startswith("support.") else "customer"
        self.steps.append(Step(step_id, text, params, audience))


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
    provider's folders, filters and known trouble. For a bounce recipient's diagnosis
    (``parse_bounce(...).failures[0].diagnosis``, led by its ``bounce.<reason>`` finding) the
    steps follow what the bounce says happened: a refused message is not in any folder; a
    complaint asks whether the customer still wants our email; a cause on our side gives the
    support desk its steps (``audience="support"``) and tells the customer we are on it.
    """
    out = _Builder(locale)
    codes = set(diagnosis.codes)
    address = diagnosis.normalized or diagnosis.address
    domain = (diagnosis.domain or "").lower()
    sender = _sender(sender_name, sender_address, locale)

    reason = _bounce_reason(diagnosis)
    if reason is not None and reason not in _ARRIVED_REASONS:
        customer, support = _BOUNCE_PLAN.get(reason, _BOUNCE_PLAN["undetermined"])
        if diagnosis.suggestion is not None and "use.other_address" in customer:
            customer = ("fix.typo", "contact.shop")
        values = {"address": address, "suggestion": diagnosis.suggestion or "", "sender": sender}
        for step_id in (*customer, *support):
            template = messages.templates("en")[f"step.{step_id}"]
            out.add(step_id, **{k: v for k, v in values.items() if k in messages.placeholders(template)})
        return tuple(out.steps)

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


def _bounce_reason(diagnosis: Diagnosis) -> str | None:
    """The bounce reason when ``diagnosis`` is a bounce recipient's (led by ``bounce.<reason>``)."""
    if not diagnosis.findings:
        return None
    code = diagnosis.findings[0].code
    return code.removeprefix("bounce.") if code.startswith("bounce.") else None


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
