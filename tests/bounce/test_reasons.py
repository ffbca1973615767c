"""The reason table: every phrase's sample classifies to its reason; the mapping is total."""

from __future__ import annotations

import pytest

from maildiag import catalog, messages
from maildiag.bounce import reasons

SISIMAI_REASONS = [
    "authfailure", "badreputation", "blocked", "contenterror", "exceedlimit", "expired",
    "failedstarttls", "filtered", "hasmoved", "hostunknown", "mailboxfull", "mailererror",
    "mesgtoobig", "networkerror", "norelaying", "notaccept", "notcompliantrfc",
    "policyviolation", "rejected", "requireptr", "securityerror", "spamdetected", "speeding",
    "suppressed", "suspend", "syntaxerror", "systemerror", "systemfull", "toomanyconn",
    "userunknown", "virusdetected", "delivered", "feedback", "vacation", "onhold",
    "undefined",
    # Sisimai 5.6+ merges toomanyconn/speeding and mesgtoobig/exceedlimit under new names
    "ratelimited", "emailtoolarge",
]

SAMPLES = [
    pytest.param(r.name, p.sample, id=f"{r.name}:{p.sample[:40]}")
    for r in reasons.reasons()
    for p in r.phrases
]


@pytest.mark.parametrize(("reason", "sample"), SAMPLES)
def test_phrase_sample_classifies_to_its_reason(reason: str, sample: str) -> None:
    assert reasons.text_reason(sample) == reason


def test_every_sisimai_reason_maps_to_one_maildiag_reason() -> None:
    mapping = reasons.sisimai_map()
    assert sorted(mapping) == sorted(SISIMAI_REASONS)


@pytest.mark.parametrize("name", reasons.reason_names())
def test_every_reason_has_a_catalog_code_and_messages(name: str) -> None:
    code = f"bounce.{name}"
    entry = catalog.info(code)
    for locale in ("en", "he"):
        template = messages.templates(locale)[code]
        assert messages.placeholders(template) <= set(entry.params)


@pytest.mark.parametrize(
    ("status", "text", "expected"),
    [
        pytest.param("5.1.1", "550 5.1.1 <a@example.com>... User unknown", "user_unknown", id="plain-5.1.1"),
        pytest.param("5.1.1", "550 5.1.1 Too many recipients this hour", "rate_limited", id="text-beats-code"),
        pytest.param("5.2.2", "", "mailbox_full", id="code-alone"),
        pytest.param("5.7.26", "rejected", "auth_failure", id="specific-code-beats-weak-word"),
        pytest.param("5.0.0", "550 Unknown user (in reply to end of DATA command)", "filtered", id="after-data"),
        pytest.param(None, "", "undetermined", id="nothing"),
        pytest.param("5.1.10", "", "no_mail_accepted", id="null-mx-rfc7505"),
    ],
)
def test_classify(status: str | None, text: str, expected: str) -> None:
    assert reasons.classify(status, text) == expected


@pytest.mark.parametrize(
    ("status", "text", "command", "expected"),
    [
        pytest.param("5.0.0", "550 Unknown user u@example.jp", "DATA", "filtered", id="user-unknown-after-data"),
        pytest.param("5.0.0", "550 Unknown user u@example.jp", None, "filtered", id="user-unknown-no-stage"),
        pytest.param("5.0.0", "550 Unknown user u@example.jp", "RCPT", "user_unknown", id="user-unknown-at-rcpt"),
        pytest.param(
            None, "The recipient name is not recognized MSEXCH:IMS:EXAMPLE 0 (000C05A6) Unknown Recipient",
            None, "user_unknown", id="definite-exchange-2003",
        ),
        pytest.param(
            "5.0.0", "554 delivery error: dd This user doesn't have a yahoo.com account (u@yahoo.com) [0]",
            "DATA", "user_unknown", id="definite-yahoo-after-data",
        ),
        pytest.param("5.0.0", "550 : User unknown", "DATA", "filtered", id="au-empty-address-is-a-filter"),
        pytest.param("5.0.0", "550 <u@ezweb.ne.jp>: User unknown", None, "user_unknown", id="au-named-address"),
        pytest.param(
            "5.7.26", "550 5.7.26 <u@example.net>: Recipient address rejected: Multiple authentication checks failed",
            "RCPT", "auth_failure", id="weak-prefix-yields-to-status-subject",
        ),
        pytest.param(
            "5.1.1", "550 5.1.1 <u@example.net>: Recipient address rejected", "RCPT", "user_unknown",
            id="weak-prefix-with-mailbox-status",
        ),
        pytest.param(
            "5.1.1", "550 5.7.1 IP address blacklisted by recipient", "DATA", "blocked", id="definite-beats-status"
        ),
        pytest.param(
            "5.1.7", "550 5.1.7 No such domain neko.example.com.", "MAIL", "sender_rejected", id="at-mail-from"
        ),
        pytest.param("5.7.1", "550 5.7.1 Access denied", "MAIL", "sender_rejected", id="denied-at-mail-from"),
        pytest.param(
            "5.0.0", "554 Mail from u@example.net rejected for policy reasons.", "MAIL", "policy",
            id="policy-named-at-mail-from",
        ),
        pytest.param("5.3.2", "", None, "no_mail_accepted", id="x.3.2-not-accepting"),
    ],
)
def test_classify_stage_and_phrase_strength(
    status: str | None, text: str, command: str | None, expected: str
) -> None:
    assert reasons.classify(status, text, command=command) == expected


@pytest.mark.parametrize(
    ("reason", "status", "hard"),
    [
        ("user_unknown", "5.1.1", True),
        ("domain_not_found", "5.1.2", True),
        ("no_mail_accepted", "5.1.10", True),
        ("no_mail_accepted", "4.3.2", False),
        ("mailbox_full", "5.2.2", False),
        ("blocked", "5.7.1", False),
    ],
)
def test_hard(reason: str, status: str, hard: bool) -> None:
    assert reasons.is_hard(reason, status) is hard


@pytest.mark.parametrize(
    ("status", "text", "reply_code", "expected"),
    [
        # The MTA's own TCP failure (no SMTP reply, a X.4.x network status): not a policy block.
        pytest.param("4.4.1", "u@example.net... Deferred: Connection refused by [192.0.2.7]", None, "network",
                     id="tcp-refusal-delay"),
        pytest.param("4.4.7", "u@example.net... Deferred: Connection refused by mx.example.net.", None, "network",
                     id="tcp-refusal-given-up"),
        # A server that answers and refuses is a block, whatever the status.
        pytest.param("5.7.1", "554 Connection refused by mx.example.net", 554, "blocked", id="server-refusal"),
        pytest.param(None, "554 Connection refused by mx.example.net", 554, "blocked", id="server-refusal-no-status"),
    ],
)
def test_a_refused_connection_is_network_unless_a_server_said_it(
    status: str | None, text: str, reply_code: int | None, expected: str
) -> None:
    assert reasons.classify(status, text, action="delayed", reply_code=reply_code) == expected
