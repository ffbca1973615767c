"""Per-provider bounce rules are data keyed by provider entries (data/bounce_rules.toml)."""

from __future__ import annotations

import pytest

from maildiag import providers
from maildiag.bounce import _provider_rules, reasons


def test_every_rule_belongs_to_a_provider_entry_and_names_real_reasons() -> None:
    rules = _provider_rules.rules()
    assert {r.provider for r in rules} >= {"docomo", "google_workspace"}
    names = set(reasons.reason_names())
    for rule in rules:
        assert providers.get(rule.provider) is not None
        assert {rule.when, rule.reason} <= names
        assert rule.domains or rule.mx_suffixes


@pytest.mark.parametrize(
    ("reason", "status", "recipient", "remote", "expected"),
    [
        # DoCoMo's MX refused after DATA in a missing user's words: its sender filter.
        ("filtered", "5.0.0", "taro@docomo.ne.jp", "mfsmax.docomo.ne.jp", "sender_rejected"),
        # ... unless a mailbox status (X.2.x) says its domain filter refused the message.
        ("filtered", "5.2.0", "taro@docomo.ne.jp", "mfsmax.docomo.ne.jp", "filtered"),
        # The rule is about DoCoMo's servers' wording, not about any relay to a docomo address.
        ("filtered", "5.0.0", "taro@docomo.ne.jp", "[203.0.113.240]", "filtered"),
        ("filtered", "5.0.0", "jane@example.com", "mx.example.com", "filtered"),
        # A Google Groups notice with no code: the group refuses this sender.
        ("undetermined", None, "team@googlegroups.com", None, "sender_rejected"),
        ("undetermined", None, "jane@gmail.com", "gmail-smtp-in.l.google.com", "undetermined"),
        ("user_unknown", "5.1.1", "team@googlegroups.com", None, "user_unknown"),
    ],
)
def test_provider_readings(reason: str, status: str | None, recipient: str, remote: str | None, expected: str) -> None:
    assert _provider_rules.apply(reason, status, recipient, remote) == expected
