"""The customer's checklist for "I didn't get the email", tailored to their provider.

:func:`checklist` turns a :class:`~maildiag.model.Diagnosis` into ordered steps the customer
can follow alone: check the address, look in the folders *as their provider names them*
(Gmail's Promotions tab, Outlook's Junk Email and "Other" tab, a gateway's quarantine
digest), search for the sender, check filters and forwarding, allow-list the sender, ask
about a filtered internet connection, ask IT, or use another address::

    for step in checklist(diagnosis, "he", sender_name="Acme", sender_address="orders@acme.example"):
        print(step.text)

Given a bounce (a :class:`~maildiag.bounce.BounceRecipient`, or its ``diagnosis``) the steps
follow what the bounce says happened, and the :class:`Checklist` also carries the support
desk's own steps (:attr:`Checklist.support`), which are never among the customer's::

    steps = checklist(parse_bounce(path).failures[0], "he")
    send_to_customer([s.text for s in steps])
    show_to_agent([s.text for s in steps.support])

Step ids (``check.spam_folder``...) are stable API; their texts are templates in
``maildiag/messages/<locale>/checklist.toml`` under ``step.<id>``, so a shop can match on ids
and show the texts. Folder names come from the provider data files.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from maildiag import messages, providers
from maildiag.model import Diagnosis, ParamValue, Verdict, freeze_params
from maildiag.options import Options

if TYPE_CHECKING:
    from maildiag.bounce import BounceRecipient

__all__ = ["AUDIENCES", "STEP_IDS", "Checklist", "Step", "checklist"]

#: Every step id :func:`checklist` may return, in the order steps appear.
STEP_IDS: tuple[str, ...] = (
    "fix.typo",
    "use.valid_address",
    "use.other_address",
    "disposable.open_now",
    "use.permanent_address",
    # from a bounce (a BounceRecipient or its diagnosis): what the bounce says happened
    "bounce.delivered",
    "bounce.auto_replied",
    "bounce.no_mailbox",
    "bounce.no_domain",
    "bounce.mailbox_disabled",
    "bounce.suppressed",
    "bounce.free_space",
    "bounce.free_space_retrying",
    "bounce.we_retry",
    "bounce.we_resend",
    "bounce.ask_to_accept",
    "bounce.still_wanted",
    "bounce.we_are_on_it",
    "bounce.we_investigate",
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
    # for the support desk (Step.audience == "support", in Checklist.support), never shown to
    # the customer
    "support.delist",
    "support.fix_authentication",
    "support.review_content",
    "support.slow_down",
    "support.smaller_message",
    "support.check_sender",
    "support.stop_marketing",
    "support.unsuppress",
    "support.update_address",
    "support.resend_later",
    "support.resend_when_fixed",
    "support.read_bounce",
)

#: Who a step is for: the customer, or the shop's support desk (issue 10.3).
AUDIENCES = ("customer", "support")


@dataclasses.dataclass(frozen=True, slots=True)
class _Plan:
    """What one bounce reason means for the customer and for the support desk.

    ``delayed`` replaces both when the report is a delay (RFC 3464 §2.3.3 ``Action: delayed``):
    our mail server is still retrying, so nobody resends and the customer waits.
    ``wrong_address``: the address itself failed, so a typo suggestion replaces the
    customer's steps. ``arrived``: the message did arrive; the ordinary checklist follows.
    """

    customer: tuple[str, ...]
    support: tuple[str, ...] = ()
    delayed: tuple[tuple[str, ...], tuple[str, ...]] | None = None
    wrong_address: bool = False
    arrived: bool = False


_RESEND_LATER = _Plan(("bounce.we_resend",), ("support.resend_later",), delayed=(("bounce.we_retry",), ()))
_THEIR_FILTER = _Plan(("bounce.ask_to_accept", "use.personal_address", "contact.shop"),
                      ("support.resend_when_fixed",))

#: What a bounce says happened, by bounce reason (maildiag.bounce.reasons): ONE table, a row
#: per reason (a test fails for a reason without one). A refused message never reached a
#: mailbox, so no row asks the customer to look in a folder; a cause on our side (the
#: catalog's actor "shop") tells the customer only that we are on it (issue 10.3).
_BOUNCE_PLAN: Mapping[str, _Plan] = {
    # the address itself does not work: a typo fix, or the right / another address
    "user_unknown": _Plan(("bounce.no_mailbox", "contact.shop"), ("support.update_address",),
                          wrong_address=True),
    "domain_not_found": _Plan(("bounce.no_domain", "contact.shop"), ("support.update_address",),
                              wrong_address=True),
    "no_mail_accepted": _Plan(("use.other_address", "contact.shop"), ("support.update_address",),
                              delayed=(("bounce.we_retry",), ()), wrong_address=True),
    "mailbox_disabled": _Plan(("bounce.mailbox_disabled", "contact.shop"), ("support.resend_when_fixed",)),
    # our mail service would not send (an earlier hard bounce, complaint or unsubscribe)
    "suppressed": _Plan(("bounce.suppressed",), ("support.unsuppress",)),
    # the customer's mailbox: their move (while we still retry, it arrives once there is room)
    "mailbox_full": _Plan(("bounce.free_space", "contact.shop"), ("support.resend_when_fixed",),
                          delayed=(("bounce.free_space_retrying",), ())),
    # the customer's mail server failed for a while: time, and our resend
    "receiver_error": _RESEND_LATER,
    "network": _RESEND_LATER,
    "expired": _RESEND_LATER,
    # refused by the customer's side (their provider's or organisation's filter or policy)
    "policy": _THEIR_FILTER,
    "filtered": _THEIR_FILTER,
    # our side: the customer is told we are on it; support gets the steps
    "blocked": _Plan(("bounce.we_are_on_it",), ("support.delist",)),
    "auth_failure": _Plan(("bounce.we_are_on_it",), ("support.fix_authentication",)),
    "content": _Plan(("bounce.we_are_on_it",), ("support.review_content",)),
    "spam": _Plan(("bounce.we_are_on_it",), ("support.review_content",)),
    "message_too_large": _Plan(("bounce.we_are_on_it",), ("support.smaller_message",)),
    "sender_rejected": _Plan(("bounce.we_are_on_it",), ("support.check_sender",)),
    "protocol": _Plan(("bounce.we_are_on_it",), ("support.check_sender",)),
    "rate_limited": _Plan(("bounce.we_retry",), ("support.slow_down",)),
    # the customer marked our email as spam (RFC 5965): ask, never "give another address"
    "complaint": _Plan(("bounce.still_wanted",), ("support.stop_marketing",)),
    # the bounce does not say why
    "undetermined": _Plan(("bounce.we_investigate", "check.address"), ("support.read_bounce",)),
    # the message arrived: say so, then where to look
    "delivered": _Plan(("bounce.delivered",), arrived=True),
    "auto_reply": _Plan(("bounce.auto_replied",), arrived=True),
}

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
    bounce: never show it to the customer).
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

    def __reduce__(self) -> tuple[Any, ...]:
        # The read-only params mapping cannot be pickled or deep-copied itself.
        return (Step, (self.id, self.text, {k: _thaw(v) for k, v in self.params.items()}, self.audience))

    def to_dict(self) -> dict[str, Any]:
        """A new JSON-compatible dict."""
        return {"id": self.id, "text": self.text, "params": {k: _thaw(v) for k, v in self.params.items()},
                "audience": self.audience}


class Checklist(tuple[Step, ...]):
    """The customer's steps, in order (a tuple, as before), and the support desk's.

    Iterating, indexing or showing a checklist gives the *customer's* steps only, so a page
    that shows every step never shows the shop's internal fixes. The support desk's steps
    (from a bounce whose cause is ours, or that asks the shop to resend) are in
    :attr:`support`; :attr:`steps` is both, customer first.
    """

    support: tuple[Step, ...]

    def __new__(cls, customer: Iterable[Step] = (), support: Iterable[Step] = ()) -> Checklist:
        made = super().__new__(cls, customer)
        object.__setattr__(made, "support", tuple(support))
        return made

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Checklist is immutable: cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"Checklist is immutable: cannot delete {name!r}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (Checklist, (tuple(self), self.support))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Checklist):
            return tuple(self) == tuple(other) and self.support == other.support
        return tuple.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    def __hash__(self) -> int:
        return hash((tuple(self), self.support))

    def __repr__(self) -> str:
        return f"Checklist(customer={tuple(self)!r}, support={self.support!r})"

    @property
    def customer(self) -> tuple[Step, ...]:
        """The customer's steps (what iterating the checklist gives)."""
        return tuple(self)

    @property
    def steps(self) -> tuple[Step, ...]:
        """Every step: the customer's, then the support desk's (tell them by ``audience``)."""
        return (*self, *self.support)

    def to_dict(self) -> dict[str, Any]:
        """A new JSON-compatible dict: ``{"customer": [...], "support": [...]}``."""
        return {"customer": [s.to_dict() for s in self], "support": [s.to_dict() for s in self.support]}


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
        self.support: list[Step] = []

    def add(self, step_id: str, **params: Any) -> None:
        text = messages.render(f"step.{step_id}", params, self.locale)
        if step_id.startswith("support."):
            self.support.append(Step(step_id, text, params, "support"))
        else:
            self.steps.append(Step(step_id, text, params, "customer"))

    def add_filled(self, step_id: str, values: Mapping[str, Any]) -> None:
        """Add ``step_id`` with those of ``values`` its template uses."""
        wanted = messages.placeholders(messages.templates("en")[f"step.{step_id}"])
        self.add(step_id, **{k: v for k, v in values.items() if k in wanted})

    def done(self) -> Checklist:
        return Checklist(self.steps, self.support)


def checklist(
    diagnosis: Diagnosis | BounceRecipient,
    locale: str = "en",
    *,
    sender_name: str | None = None,
    sender_address: str | None = None,
    options: Options | None = None,
) -> Checklist:
    """The ordered steps the customer should follow alone, in ``locale`` (``en`` or ``he``).

    Args:
        diagnosis: the result of :func:`maildiag.diagnose` for the customer's address; or a
            bounce: a :class:`~maildiag.bounce.BounceRecipient` (best: it says whether our
            mail server is still retrying) or its ``diagnosis``.
        locale: ``en``, ``he`` or a tag such as ``he-IL``; unknown locales fall back to English.
        sender_name: the name our emails come from (the shop's name), to search for.
        sender_address: the address our emails come from, to search for and allow-list.
        options: the options of the diagnosis, when the shop added provider entries.

    Returns:
        A :class:`Checklist`: a tuple of the customer's :class:`Step` values, with the
        support desk's steps in ``.support`` (empty unless a bounce gives the shop work).

    The steps depend on the verdict (a typo or an undeliverable address is fixed first and
    nothing else is asked), on the flags (a disposable or shared address) and on the
    provider's folders, filters and known trouble. For a bounce the steps follow what the
    bounce says happened, from one table by bounce reason (docs/bounces.md): a refused
    message is in no folder; a complaint asks whether the customer still wants our email; a
    cause on our side gives the support desk its steps and tells the customer we are on it;
    a delay report (``Action: delayed``, known from a ``BounceRecipient`` only) tells the
    customer that we are still trying.
    """
    delayed = False
    if not isinstance(diagnosis, Diagnosis):
        from maildiag.bounce import BounceRecipient

        if not isinstance(diagnosis, BounceRecipient):
            raise TypeError(f"checklist() takes a Diagnosis or a BounceRecipient, not {type(diagnosis).__name__}")
        # RFC 3464 §2.3.3: "delayed" means the reporting server is still trying.
        delayed = diagnosis.action == "delayed"
        diagnosis = diagnosis.diagnosis
    out = _Builder(locale)
    sender = _sender(sender_name, sender_address, locale)
    reason = _bounce_reason(diagnosis)
    if reason is None:
        _ordinary(out, diagnosis, sender, sender_name, sender_address, options, arrived=False)
        return out.done()

    plan = _BOUNCE_PLAN.get(reason, _BOUNCE_PLAN["undetermined"])
    customer, support = plan.delayed if delayed and plan.delayed is not None else (plan.customer, plan.support)
    if plan.wrong_address and diagnosis.suggestion is not None:
        customer = ("fix.typo", "contact.shop")
    address = diagnosis.normalized or diagnosis.address
    values = {"address": address, "domain": diagnosis.domain or address.rpartition("@")[2],
              "suggestion": diagnosis.suggestion or "", "sender": sender}
    for step_id in (*customer, *support):
        out.add_filled(step_id, values)
    if plan.arrived:
        _ordinary(out, diagnosis, sender, sender_name, sender_address, options, arrived=True)
    return out.done()


def _ordinary(
    out: _Builder,
    diagnosis: Diagnosis,
    sender: str,
    sender_name: str | None,
    sender_address: str | None,
    options: Options | None,
    *,
    arrived: bool,
) -> None:
    """The steps from the address's own diagnosis: where to look, what to allow, whom to ask.

    ``arrived``: a bounce says the message did arrive (a delivery report, an auto-reply), so
    an offline "undeliverable" verdict does not turn into "email cannot arrive".
    """
    locale = out.locale
    codes = set(diagnosis.codes)
    address = diagnosis.normalized or diagnosis.address
    domain = (diagnosis.domain or "").lower()

    if diagnosis.suggestion is not None:
        out.add("fix.typo", address=diagnosis.address, suggestion=diagnosis.suggestion)
        out.add("contact.shop")
        return
    if diagnosis.verdict is Verdict.UNDELIVERABLE and not arrived:
        if diagnosis.normalized is None:
            # Not an address at all (empty, no @...): there is nothing to quote back.
            out.add("use.valid_address")
        else:
            out.add("use.other_address", address=address)
        out.add("contact.shop")
        return
    if "flag.disposable" in codes:
        out.add("disposable.open_now", domain=domain)
        out.add("use.permanent_address", domain=domain)
        out.add("contact.shop")
        return

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
