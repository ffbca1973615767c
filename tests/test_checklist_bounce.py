"""A checklist built from a bounce follows what the bounce says happened (issue 10.3).

Table-driven over every bounce reason (iterating maildiag.bounce.reasons, so a reason added
without its row in checklist._BOUNCE_PLAN fails here), for a failure and a delay report, in
English and Hebrew; then end to end on real bounces of tests/corpora/bounces-dev.
"""

from __future__ import annotations

import copy
import pickle
from pathlib import Path

import pytest

from maildiag import catalog, messages
from maildiag.bounce import BounceRecipient, parse_bounce, reasons
from maildiag.bounce.reasons import reason_names
from maildiag.checklist import _BOUNCE_PLAN, Checklist, checklist
from maildiag.model import Actor, Blame

CORPUS = Path(__file__).resolve().parent / "corpora" / "bounces-dev"
LOCALES = ("en", "he")
FOLDER_STEPS = {"check.spam_folder", "check.tabs", "check.other_tab", "check.all_mail", "check.quarantine_digest"}
#: Customer steps that ask nothing of the customer: they only wait.
WAITING = {"bounce.we_are_on_it", "bounce.we_retry", "bounce.we_resend", "bounce.we_investigate"}
#: Customer steps that ask for a corrected or another address.
ASK_ADDRESS = {"fix.typo", "use.other_address", "bounce.no_mailbox", "bounce.no_domain"}
#: Support steps that send the email again.
RESEND = {"support.resend_later", "support.resend_when_fixed"}
SENDER = "orders@shop.example"


def recipient(reason: str, address: str = "jane@shop-customer.example", action: str = "failed") -> BounceRecipient:
    return BounceRecipient(recipient=address, original_recipient=None, action=action, status=None,
                           reply_code=None, diagnostic="", remote_mta=None, reason=reason, hard=False,
                           permanent=action == "failed")


def actor(reason: str) -> Actor:
    """Who must act, as the bounce finding's catalog entry says: the checklist must agree."""
    return catalog.info(f"bounce.{reason}").actor


def hebrew(text: str) -> bool:
    return any("\u05d0" <= ch <= "\u05ea" for ch in text)


def test_every_bounce_reason_has_exactly_one_row() -> None:
    assert set(_BOUNCE_PLAN) == set(reason_names())


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("action", ["failed", "delayed"])
@pytest.mark.parametrize("reason", reason_names())
def test_a_bounce_checklist_follows_the_bounce(reason: str, action: str, locale: str) -> None:
    steps = checklist(recipient(reason, action=action), locale, sender_address=SENDER)
    ids = [s.id for s in steps]
    support = [s.id for s in steps.support]
    info = reasons.get(reason)

    assert ids, "the customer is always told something"
    assert all(s.audience == "customer" and not s.id.startswith("support.") for s in steps)
    assert all(s.audience == "support" and s.id.startswith("support.") for s in steps.support)
    for s in steps.steps:
        template = messages.templates(locale)[f"step.{s.id}"]
        assert messages.placeholders(template) <= set(s.params) and "{" not in s.text, s.id
        assert hebrew(s.text) == (locale == "he"), s.id

    if info.failure or reason == "complaint":
        # Refused (or complained about): the message is in no folder of the customer's.
        assert not FOLDER_STEPS & set(ids), ids
    else:
        # It arrived (a delivery report, an auto-reply): say so, then where to look; never
        # "email cannot arrive".
        assert ids[0] in ("bounce.delivered", "bounce.auto_replied") and "check.spam_folder" in ids
        assert not ASK_ADDRESS & set(ids) and not support
    if reason == "complaint":
        # The customer marked our email as spam: ask whether they still want it.
        assert ids == ["bounce.still_wanted"] and support == ["support.stop_marketing"]
    elif actor(reason) is Actor.SHOP:
        # Our problem: the customer only waits; the support desk gets the steps.
        assert set(ids) <= WAITING and support, (ids, support)
    else:
        # Not ours: never blame ourselves, and the customer is not told "wait for us" alone
        # when the fix is theirs.
        assert "bounce.we_are_on_it" not in ids
    if reasons.is_hard(reason) and action == "failed":
        assert ASK_ADDRESS & set(ids) and support == ["support.update_address"]
    if catalog.info(f"bounce.{reason}").blame is Blame.TRANSIENT and actor(reason) is not Actor.SHOP:
        if action == "delayed":
            # Our mail server is still retrying: nobody resends, the customer waits or makes room.
            assert not RESEND & set(support) and not {"contact.shop"} & set(ids)
        else:
            assert RESEND & set(support)


@pytest.mark.parametrize("reason", reason_names())
def test_a_bounce_diagnosis_gives_the_checklist_of_a_final_failure(reason: str) -> None:
    """``checklist(r.diagnosis)`` cannot know of a delay: it is read as the failure it names."""
    r = recipient(reason)
    assert checklist(r.diagnosis, "he") == checklist(r, "he")


def test_the_customer_never_sees_the_support_desk_steps() -> None:
    """A page that shows every step of a checklist shows only the customer's."""
    steps = checklist(recipient("blocked"), "en")
    shown = "\n".join(s.text for s in steps)
    assert "problem on our side" in shown
    assert "blocklist" not in shown and "IP address" not in shown
    assert "blocklist" in steps.support[0].text
    assert [s.id for s in steps.steps] == ["bounce.we_are_on_it", "support.delist"]


@pytest.mark.parametrize("locale", LOCALES)
def test_a_full_mailbox_makes_room_and_either_we_retry_or_the_customer_asks(locale: str) -> None:
    delayed = checklist(recipient("mailbox_full", action="delayed"), locale)
    failed = checklist(recipient("mailbox_full"), locale)
    assert [s.id for s in delayed] == ["bounce.free_space_retrying"] and not delayed.support
    assert [s.id for s in failed] == ["bounce.free_space", "contact.shop"]
    assert [s.id for s in failed.support] == ["support.resend_when_fixed"]
    if locale == "en":
        assert "we keep trying" in delayed[0].text and "ask us to send it again" in failed[0].text


def test_an_expired_message_is_resent_by_us_not_promised_a_retry() -> None:
    """After "Message expired" our mail server has given up: the support desk resends."""
    steps = checklist(recipient("expired"), "en")
    assert [s.id for s in steps] == ["bounce.we_resend"]
    assert [s.id for s in steps.support] == ["support.resend_later"]
    assert "came back to us" in steps[0].text


def test_a_typo_in_a_bounced_address_is_offered_first() -> None:
    steps = checklist(recipient("user_unknown", "jane@gmial.com"))
    assert [s.id for s in steps] == ["fix.typo", "contact.shop"]
    assert "jane@gmail.com" in steps[0].text
    assert [s.id for s in steps.support] == ["support.update_address"]


def test_a_complaint_about_a_typo_domain_is_still_a_complaint() -> None:
    steps = checklist(recipient("complaint", "jane@gmial.com"))
    assert [s.id for s in steps] == ["bounce.still_wanted"]


def test_a_delivery_report_for_an_address_we_cannot_check_still_says_it_arrived() -> None:
    """example.net is reserved, so the offline verdict is undeliverable: the bounce says otherwise."""
    steps = checklist(recipient("delivered", "jane@example.net", action="delivered"), "en")
    ids = [s.id for s in steps]
    assert ids[0] == "bounce.delivered" and "check.spam_folder" in ids
    assert "use.other_address" not in ids and "cannot arrive" not in " ".join(s.text for s in steps)


def test_the_users_own_filter_asks_their_it_to_accept_our_sender() -> None:
    steps = checklist(recipient("policy"), "en", sender_name="Acme", sender_address=SENDER)
    assert [s.id for s in steps] == ["bounce.ask_to_accept", "use.personal_address", "contact.shop"]
    assert "Acme <orders@shop.example>" in steps[0].text


# -- the Checklist value --------------------------------------------------------------------


def test_a_checklist_is_a_tuple_of_the_customer_steps_with_the_support_steps_beside() -> None:
    steps = checklist(recipient("auth_failure"), "en")
    assert isinstance(steps, tuple) and isinstance(steps, Checklist)
    assert steps == tuple(steps) == steps.customer
    assert len(steps) == 1 and steps[0].id == "bounce.we_are_on_it"
    assert steps != checklist(recipient("blocked"), "en")  # same customer step, other support
    assert steps == checklist(recipient("auth_failure"), "en")
    assert hash(steps) == hash(checklist(recipient("auth_failure"), "en"))
    assert pickle.loads(pickle.dumps(steps)) == steps == copy.deepcopy(steps)
    assert pickle.loads(pickle.dumps(steps)).support == steps.support
    with pytest.raises(AttributeError):
        steps.support = ()
    data = steps.to_dict()
    assert [s["id"] for s in data["customer"]] == ["bounce.we_are_on_it"]
    assert [(s["id"], s["audience"]) for s in data["support"]] == [("support.fix_authentication", "support")]
    assert "support=" in repr(steps)


def test_an_address_checklist_has_no_support_steps() -> None:
    import maildiag

    steps = checklist(maildiag.diagnose("jane@gmail.com", offline=True))
    assert steps.support == () and steps.steps == tuple(steps)


def test_anything_else_is_refused_with_a_type_error() -> None:
    with pytest.raises(TypeError, match="Diagnosis or a BounceRecipient"):
        checklist("jane@gmail.com")  # type: ignore[arg-type]


# -- real bounces ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "reason", "customer", "support", "en_words", "he_words"),
    [
        ("lhost-sendmail-01.eml", "user_unknown", ["bounce.no_mailbox", "contact.shop"],
         ["support.update_address"], "no mailbox userunknown@bouncehammer.jp", "אין אצלו תיבת דואר"),
        ("lhost-amazonses-14.eml", "blocked", ["bounce.we_are_on_it"], ["support.delist"],
         "problem on our side", "תקלה אצלנו"),
        ("lhost-dragonfly-01.eml", "auth_failure", ["bounce.we_are_on_it"], ["support.fix_authentication"],
         "problem on our side", "תקלה אצלנו"),
        ("lhost-amavis-03.eml", "spam", ["bounce.we_are_on_it"], ["support.review_content"],
         "problem on our side", "תקלה אצלנו"),
        ("lhost-dragonfly-08.eml", "message_too_large", ["bounce.we_are_on_it"], ["support.smaller_message"],
         "problem on our side", "תקלה אצלנו"),
        ("lhost-amazonses-03.eml", "mailbox_full", ["bounce.free_space", "contact.shop"],
         ["support.resend_when_fixed"], "is full", "מלאה"),
        ("rfc3464-09.eml", "mailbox_full", ["bounce.free_space_retrying"], [], "we keep trying", "ממשיכים לנסות"),
        ("lhost-messagingserver-07.eml", "expired", ["bounce.we_retry"], [], "We will try again", "ננסה שוב"),
        ("lhost-amazonses-17.eml", "expired", ["bounce.we_resend"], ["support.resend_later"],
         "came back to us", "חזרה אלינו"),
        ("lhost-amazonses-07.eml", "policy", ["bounce.ask_to_accept", "use.personal_address", "contact.shop"],
         ["support.resend_when_fixed"], "refused our email", "דחה את ההודעה"),
    ],
)
def test_real_bounces_end_to_end(
    name: str, reason: str, customer: list[str], support: list[str], en_words: str, he_words: str
) -> None:
    r = parse_bounce(CORPUS / name).failures[0]
    assert r.reason == reason
    for locale, words in (("en", en_words), ("he", he_words)):
        steps = checklist(r, locale)
        assert [s.id for s in steps] == customer and [s.id for s in steps.support] == support
        assert words in " ".join(s.text for s in steps)


def test_a_real_complaint_asks_whether_the_customer_still_wants_our_email() -> None:
    report = parse_bounce(CORPUS / "arf-01.eml")
    assert report.failures == ()  # a complaint is no delivery failure
    steps = checklist(report.recipients[0], "he")
    assert [s.id for s in steps] == ["bounce.still_wanted"]
    assert [s.id for s in steps.support] == ["support.stop_marketing"]
    assert "כתובת אחרת" not in steps[0].text  # no "another address"


@pytest.mark.parametrize("name", ["rfc3834-05.eml", "lhost-amazonses-12.eml"])
def test_a_real_auto_reply_or_delivery_report_says_the_email_arrived(name: str) -> None:
    steps = checklist(parse_bounce(CORPUS / name).recipients[0], "en")
    assert steps[0].id in ("bounce.auto_replied", "bounce.delivered")
    assert "check.spam_folder" in [s.id for s in steps]


def test_no_checklist_of_the_dev_corpus_contradicts_its_bounce() -> None:
    """Every recipient of the 610 real messages, in both locales."""
    seen: set[str] = set()
    for path in sorted(CORPUS.glob("*.eml")):
        for r in parse_bounce(path).recipients:
            seen.add(r.reason)
            for locale in LOCALES:
                steps = checklist(r, locale)
                ids = {s.id for s in steps}
                if r.reason not in ("delivered", "auto_reply"):
                    assert not FOLDER_STEPS & ids, (path.name, ids)
                if actor(r.reason) is Actor.SHOP and r.reason != "complaint":
                    assert ids <= WAITING and steps.support, (path.name, ids)
                if r.reason == "complaint":
                    assert not ASK_ADDRESS & ids, path.name
                if r.action != "delayed":
                    # The issue's own call, checklist(parse_bounce(path).failures[0].diagnosis).
                    assert checklist(r.diagnosis, locale) == steps, path.name
    assert len(seen) >= 20  # the corpus covers nearly every reason
