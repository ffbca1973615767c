"""A checklist built from a bounce follows what the bounce says happened (issue 10.3).

Table-driven over every bounce reason, in both locales: a reason added without its row in
checklist._BOUNCE_PLAN fails here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from maildiag import messages
from maildiag.bounce import BounceRecipient, parse_bounce
from maildiag.bounce.reasons import reason_names
from maildiag.checklist import _BOUNCE_PLAN, checklist

CORPUS = Path(__file__).resolve().parent / "corpora" / "bounces-dev"
FOLDER_STEPS = {"check.spam_folder", "check.tabs", "check.other_tab", "check.all_mail", "check.quarantine_digest"}
ARRIVED = {"delivered", "auto_reply"}
SHOP_SIDE = {"blocked", "auth_failure", "content", "spam", "message_too_large", "sender_rejected", "protocol"}


def recipient(reason: str, address: str = "jane@shop-customer.example") -> BounceRecipient:
    return BounceRecipient(recipient=address, original_recipient=None, action="failed", status=None,
                           reply_code=None, diagnostic="", remote_mta=None, reason=reason, hard=False,
                           permanent=True)


def test_every_failure_reason_has_a_plan() -> None:
    assert set(reason_names()) - ARRIVED == set(_BOUNCE_PLAN)


@pytest.mark.parametrize("locale", ["en", "he"])
@pytest.mark.parametrize("reason", sorted(set(reason_names()) - ARRIVED))
def test_a_bounce_checklist_follows_the_bounce(reason: str, locale: str) -> None:
    steps = checklist(recipient(reason).diagnosis, locale, sender_address="orders@shop.example")
    ids = [s.id for s in steps]
    customer = [s for s in steps if s.audience == "customer"]
    support = [s for s in steps if s.audience == "support"]
    # A refused (or complained-about) message is in no folder of the customer's.
    assert not FOLDER_STEPS & set(ids), ids
    assert customer, "the customer is always told something"
    for s in steps:
        template = messages.templates(locale)[f"step.{s.id}"]
        assert messages.placeholders(template) <= set(s.params) and "{" not in s.text
        assert s.audience == ("support" if s.id.startswith("support.") else "customer")
    if reason in SHOP_SIDE:
        # Our problem: the customer only hears that we are on it; support gets the steps.
        assert [s.id for s in customer] == ["bounce.we_are_on_it"] and support
    if reason == "complaint":
        assert "use.other_address" not in ids and "bounce.still_wanted" in ids
        assert [s.id for s in support] == ["support.stop_marketing"]
    if reason in ("user_unknown", "domain_not_found", "mailbox_disabled"):
        assert ids[0] == "use.other_address"
    if reason == "mailbox_full":
        assert ids[0] == "bounce.free_space"


def test_a_typo_in_a_bounced_address_is_offered_first() -> None:
    steps = checklist(recipient("user_unknown", "jane@gmial.com").diagnosis)
    assert [s.id for s in steps] == ["fix.typo", "contact.shop"]
    assert "jane@gmail.com" in steps[0].text


@pytest.mark.parametrize("reason", sorted(ARRIVED))
def test_a_message_that_arrived_gets_the_ordinary_checklist(reason: str) -> None:
    ids = [s.id for s in checklist(recipient(reason, "jane@gmail.com").diagnosis)]
    assert "check.spam_folder" in ids


@pytest.mark.parametrize(("name", "first"), [
    ("lhost-sendmail-01.eml", "use.other_address"),
    ("arf-01.eml", "bounce.still_wanted"),
])
def test_real_bounces_end_to_end(name: str, first: str) -> None:
    r = parse_bounce(CORPUS / name).recipients[0]
    steps = checklist(r.diagnosis, "he")
    assert steps[0].id == first
    assert not FOLDER_STEPS & {s.id for s in steps}
