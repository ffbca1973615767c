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


_UNROUTEABLE = """\
From: Mail Delivery System <Mailer-Daemon@{reporter}>
To: shop@shop.example
Subject: Mail delivery failed: returning message to sender
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary=b

--b
Content-Type: text/plain

This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of its
recipients. This is a permanent error. The following address(es) failed:

  {rcpt}
    Unrouteable address

--b
Content-Type: message/delivery-status

Reporting-MTA: dns; {reporter}

Action: failed
Final-Recipient: rfc822;{rcpt}
Status: 5.0.0

--b--
"""


@pytest.mark.parametrize(
    ("reporter", "rcpt", "reason"),
    [
        # The reporting MTA is a host of the recipient's domain: the domain exists, no mailbox.
        ("mta.shop.example", "ghost@shop.example", "user_unknown"),
        ("shop.example", "ghost@shop.example", "user_unknown"),
        # Another domain's address: no route to its domain.
        ("mta.shop.example", "jane@nowhere.example", "domain_not_found"),
        ("shop.example.net", "ghost@shop.example", "domain_not_found"),
    ],
)
def test_unrouteable_at_the_reporters_own_domain_is_a_missing_user(reporter: str, rcpt: str, reason: str) -> None:
    from maildiag.bounce import parse_bounce

    [r] = parse_bounce(_UNROUTEABLE.format(reporter=reporter, rcpt=rcpt)).failures
    assert (r.recipient, r.reason) == (rcpt, reason)
