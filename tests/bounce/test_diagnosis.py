"""A bounced recipient's Diagnosis is decided by the same rule as a checkout's (decide()).

The bounce's own finding leads; the address's offline findings (a typo, a reserved domain)
take part in the verdict exactly as they would at checkout.
"""

from __future__ import annotations

import pytest

from maildiag import Blame, Verdict
from maildiag.bounce import BounceRecipient


def _bounced(address: str, reason: str) -> BounceRecipient:
    return BounceRecipient(
        recipient=address, original_recipient=None, action="failed", status=None, reply_code=None,
        diagnostic="", remote_mta=None, reason=reason, hard=False, permanent=True,
    )


@pytest.mark.parametrize(
    ("address", "reason", "verdict", "blame", "suggestion"),
    [
        # A missing mailbox at a mistyped domain: offering the correction is the fix.
        ("jane@gmial.com", "user_unknown", Verdict.FIX, Blame.ADDRESS, "jane@gmail.com"),
        # The remote server answered about our message: its domain is real, so no correction
        # is offered, and the verdict is the bounce's.
        ("jane@gmial.com", "blocked", Verdict.RISKY, Blame.SENDER, None),
        # A staging system's reserved domain: undeliverable whatever the bounce says (issue 11.2).
        ("jane@shop.test", "mailbox_full", Verdict.UNDELIVERABLE, Blame.ADDRESS, None),
        ("jane@gmail.com", "user_unknown", Verdict.UNDELIVERABLE, Blame.ADDRESS, None),
        ("jane@gmail.com", "mailbox_full", Verdict.RISKY, Blame.TRANSIENT, None),
    ],
)
def test_one_verdict_rule(address: str, reason: str, verdict: Verdict, blame: Blame, suggestion: str | None) -> None:
    d = _bounced(address, reason).diagnosis
    assert (d.verdict, d.blame, d.suggestion) == (verdict, blame, suggestion)
    assert d.findings[0].code == f"bounce.{reason}"
    assert d.checks[-1] == "bounce"
    if suggestion is None:
        assert not any(f.code == "domain.typo" for f in d.findings)
