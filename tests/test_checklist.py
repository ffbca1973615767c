"""The customer checklist: ordered, provider-specific steps in English and Hebrew."""

from __future__ import annotations

import tomllib
from importlib import resources
from typing import Any

import pytest

import maildiag
from maildiag import catalog, messages
from maildiag.bounce import BounceRecipient
from maildiag.bounce.reasons import reason_names
from maildiag.checklist import STEP_IDS, Step, checklist
from maildiag.model import Diagnosis, ProviderMatch, Verdict
from maildiag.options import Options


def ids(steps: tuple[Step, ...]) -> list[str]:
    return [s.id for s in steps]


def offline(address: str, **options: Any) -> Diagnosis:
    return maildiag.diagnose(address, offline=True, **options)


def _diagnosis(*matches: ProviderMatch, codes: tuple[str, ...] = (), domain: str = "acme.example") -> Diagnosis:
    return Diagnosis(
        address=f"jane@{domain}",
        normalized=f"jane@{domain}",
        verdict=Verdict.OK,
        domain=domain,
        providers=matches,
        findings=tuple(catalog.make(c) for c in codes),
    )


M365 = ProviderMatch(
    "microsoft365", "Microsoft 365", "hosted_workspace", "mx", "acme-example.mail.protection.outlook.com"
)
PROOFPOINT = ProviderMatch("proofpoint", "Proofpoint", "security_gateway", "mx", "mx0a-1.pphosted.com")


def test_gmail_customer_is_sent_to_spam_then_the_tabs() -> None:
    steps = checklist(offline("jane@gmail.com"), "en")
    assert ids(steps) == [
        "check.address",
        "check.spam_folder",
        "check.tabs",
        "check.all_mail",
        "search.shop_name",
        "check.filters",
        "allow.sender",
        "contact.shop",
    ]
    assert "Promotions" in steps[2].text
    assert steps[2].params["folder"] == "Promotions, Social and Updates tabs"


def test_gmail_in_hebrew_uses_the_hebrew_tab_names() -> None:
    steps = checklist(offline("jane@gmail.com"), "he-IL")
    tabs = next(s for s in steps if s.id == "check.tabs")
    assert "קידומי מכירות" in tabs.text
    # A Hebrew-speaking customer may be on a filtered connection whatever their address is.
    assert "ask.filtered_internet" in ids(steps)


def test_outlook_customer_looks_in_junk_and_other_and_waits() -> None:
    steps = checklist(offline("jane@hotmail.com"), "en")
    assert ids(steps)[:3] == ["check.address", "check.spam_folder", "check.other_tab"]
    assert "Junk Email" in steps[1].text
    assert "wait.delay" in ids(steps)  # strict filtering
    allow = next(s for s in steps if s.id == "allow.sender")
    assert "Safe senders" in allow.text


def test_sender_is_searched_for_and_allow_listed() -> None:
    steps = checklist(offline("jane@yahoo.com"), "en", sender_name="Acme", sender_address="orders@acme.example")
    search = next(s for s in steps if s.id == "search.sender")
    assert "Acme <orders@acme.example>" in search.text
    assert "orders@acme.example" in next(s for s in steps if s.id == "allow.sender").text


def test_gateway_in_front_of_m365_asks_it_and_offers_a_personal_address() -> None:
    d = _diagnosis(PROOFPOINT, M365, codes=("provider.gateway_quarantine", "provider.workspace_quarantine"))
    steps = checklist(d, "en")
    assert ids(steps) == [
        "check.address",
        "check.spam_folder",
        "check.other_tab",
        "check.quarantine_digest",
        "search.shop_name",
        "check.filters",
        "allow.sender",
        "ask.it_release",
        "use.personal_address",
        "contact.shop",
    ]
    release = next(s for s in steps if s.id == "ask.it_release")
    assert release.params["provider"] == "Proofpoint"
    # The mailbox behind the gateway is Microsoft 365: its settings hold the filters.
    assert next(s for s in steps if s.id == "check.filters").params["provider"] == "Microsoft 365"


def test_typo_is_fixed_first_and_nothing_else_is_asked() -> None:
    d = offline("jane@gmial.com")
    steps = checklist(d, "en")
    assert ids(steps) == ["fix.typo", "contact.shop"]
    assert "jane@gmail.com" in steps[0].text


def test_disposable_address_is_replaced() -> None:
    steps = checklist(offline("jane@mailinator.com"), "he")
    assert ids(steps) == ["disposable.open_now", "use.permanent_address", "contact.shop"]
    assert "mailinator.com" in steps[0].text


def test_undeliverable_address_asks_for_another() -> None:
    d = offline("jane@rival.example", deny=("rival.example",))
    assert ids(checklist(d, "en")) == ["use.other_address", "contact.shop"]


@pytest.mark.parametrize("typed", ["", "   ", "jane", "jane@@"])
def test_input_that_is_no_address_asks_for_a_valid_one(typed: str) -> None:
    """Nothing to quote back: no "Email to  cannot arrive"."""
    steps = checklist(offline(typed), "en")
    assert ids(steps) == ["use.valid_address", "contact.shop"]


def test_israeli_address_gets_the_filter_question_in_english_too() -> None:
    steps = checklist(offline("jane@walla.co.il"), "en")
    assert "ask.filtered_internet" in ids(steps)
    assert "NetFree" in next(s for s in steps if s.id == "ask.filtered_internet").text


def test_unknown_provider_gets_generic_folders() -> None:
    steps = checklist(_diagnosis(), "en")
    assert ids(steps) == [
        "check.address",
        "check.spam_folder",
        "search.shop_name",
        "check.filters",
        "allow.sender",
        "contact.shop",
    ]
    assert "Spam (or Junk)" in steps[1].text
    assert "ask.filtered_internet" not in ids(steps)


def test_role_account_is_offered_a_personal_address() -> None:
    assert "use.personal_address" in ids(checklist(offline("postmaster@acme-shop.example"), "en"))


def test_shop_provider_entries_reach_the_checklist() -> None:
    entry = {
        "id": "corp",
        "name": "Corp Mail",
        "kind": "hosted_workspace",
        "domains": ["corp.example"],
        "folders": {"spam": {"en": "Suspicious", "he": "חשודים"}},
    }
    options = Options(extra_providers=(entry,))
    d = maildiag.diagnose("jane@corp.example", options=options, offline=True)
    spam = checklist(d, "he", options=options)[1]
    assert (spam.id, spam.params["folder"]) == ("check.spam_folder", "חשודים")


def test_steps_are_values() -> None:
    a = checklist(offline("jane@gmail.com"), "en")
    b = checklist(offline("jane@gmail.com"), "en")
    assert a == b
    assert a[0].to_dict() == {"id": "check.address", "text": a[0].text, "params": {"address": "jane@gmail.com"},
                              "audience": "customer"}


# -- templates ------------------------------------------------------------------------------


def _checklist_file(locale: str) -> dict[str, str]:
    text = (resources.files("maildiag") / "messages" / locale / "checklist.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def test_both_locales_have_the_same_keys() -> None:
    assert set(_checklist_file("en")) == set(_checklist_file("he"))


@pytest.mark.parametrize("locale", ["en", "he"])
@pytest.mark.parametrize("step_id", STEP_IDS)
def test_every_step_has_a_template(step_id: str, locale: str) -> None:
    assert f"step.{step_id}" in _checklist_file(locale)


def _all_diagnoses() -> list[Diagnosis]:
    return [
        offline("jane@gmail.com"),
        offline("jane@hotmail.com"),
        offline("jane@walla.co.il"),
        offline("jane@gmial.com"),
        offline("jane@mailinator.com"),
        offline("postmaster@acme-shop.example"),
        offline("jane@rival.example", deny=("rival.example",)),
        offline("not an address"),
        _diagnosis(PROOFPOINT, M365, codes=("provider.gateway_quarantine", "provider.workspace_quarantine")),
    ]


def _bounced(reason: str, action: str = "failed") -> BounceRecipient:
    return BounceRecipient(recipient="jane@shop-customer.example", original_recipient=None, action=action,
                           status=None, reply_code=None, diagnostic="", remote_mta=None, reason=reason,
                           hard=False, permanent=True)


def _all_subjects() -> list[Diagnosis | BounceRecipient]:
    return [*_all_diagnoses(), *(_bounced(r, a) for r in reason_names() for a in ("failed", "delayed"))]


@pytest.mark.parametrize("locale", ["en", "he"])
def test_every_step_id_is_reachable_and_placeholders_are_filled(locale: str) -> None:
    seen: set[str] = set()
    for d in _all_subjects():
        for step in checklist(d, locale).steps:
            template = messages.templates(locale)[f"step.{step.id}"]
            assert messages.placeholders(template) <= set(step.params), step.id
            assert "{" not in step.text
            seen.add(step.id)
        for step in checklist(d, locale, sender_name="Acme"):
            seen.add(step.id)
    assert seen == set(STEP_IDS)


def test_step_ids_are_listed_in_the_order_steps_appear() -> None:
    order = {step_id: i for i, step_id in enumerate(STEP_IDS)}
    for d in _all_subjects():
        steps = checklist(d, "en", sender_name="Acme")
        for part in (steps.customer, steps.support):
            assert [order[s.id] for s in part] == sorted(order[s.id] for s in part), [s.id for s in part]


def test_hebrew_steps_are_hebrew() -> None:
    for step in checklist(offline("jane@gmail.com"), "he"):
        assert any("\u0590" <= ch <= "\u05ff" for ch in step.text), step.id
