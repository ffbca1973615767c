"""A DNS failure never hides what maildiag knows without DNS (issue 10.6, docs/design.md "Verdicts").

Offline, ``x@mailinator.com`` is risky (disposable). With DNS down it used to be ``unknown``,
so a list checked on a bad network day lost every disposable flag. What is known offline
keeps its verdict and findings; the DNS failure is added as what could not be checked.
"""

from __future__ import annotations

import pytest

from maildiag import Options, Verdict, diagnose
from maildiag.testing import FakeResolver

OFFLINE_KNOWLEDGE = [
    ("x@mailinator.com", Verdict.RISKY, "flag.disposable"),
    ("sales@shop-customer.example", Verdict.RISKY, "flag.role"),
    ("jane@gmial.com", Verdict.FIX, "domain.typo"),
    ("jane@@shop-customer.example", Verdict.FIX, "syntax.repaired.double_at"),
    ("jane@example.com", Verdict.UNDELIVERABLE, "syntax.domain_reserved"),
]
FAILURES = ["timeout", "servfail", "refused", "error"]


@pytest.mark.parametrize("how", FAILURES)
@pytest.mark.parametrize(("address", "verdict", "code"), OFFLINE_KNOWLEDGE)
def test_offline_knowledge_survives_a_dns_failure(address: str, verdict: Verdict, code: str, how: str) -> None:
    offline = diagnose(address, offline=True)
    assert offline.verdict is verdict and offline.has(code)  # the premise
    fake = FakeResolver(sane=False)
    for name in ("mailinator.com", "shop-customer.example", "gmail.com", "gmial.com", "example.com"):
        fake.fail(name, how)
    d = diagnose(address, resolver=fake)
    assert d.verdict is verdict and d.has(code), d.codes
    if verdict is not Verdict.UNDELIVERABLE or code != "syntax.domain_reserved":
        # ... and the failure is there, saying what could not be checked.
        assert any(f.code.startswith("dns.") for f in d.findings), d.codes


def test_the_system_resolver_here_lies_and_the_disposable_flag_stays() -> None:
    # This machine's resolver answers NXDOMAIN for every name: dns.resolver_lying.
    d = diagnose("x@mailinator.com", deadline=2)
    assert d.verdict is Verdict.RISKY and d.has("flag.disposable"), d.codes


def test_with_nothing_known_a_dns_failure_is_unknown_our_network() -> None:
    fake = FakeResolver(sane=False).fail("shop-customer.example", "timeout")
    d = diagnose("jane.doe@shop-customer.example", resolver=fake)
    assert d.verdict is Verdict.UNKNOWN and d.blame.value == "our_network", d.codes


def test_the_shops_deny_list_still_decides() -> None:
    fake = FakeResolver(sane=False).fail("blocked.example", "servfail")
    d = diagnose("jane@blocked.example", resolver=fake, options=Options(deny=("blocked.example",)))
    assert d.verdict is Verdict.UNDELIVERABLE, d.codes


@pytest.mark.parametrize("how", FAILURES)
@pytest.mark.parametrize(("address", "verdict", "code"), OFFLINE_KNOWLEDGE)
def test_the_customer_is_not_told_to_continue_past_what_is_known(
    address: str, verdict: Verdict, code: str, how: str
) -> None:
    # "Please use a permanent address" then "We could not check this address right now. You
    # can continue." contradict each other. What could not be checked stays in findings for
    # the support desk; the customer hears what is known.
    fake = FakeResolver(sane=False)
    for name in ("mailinator.com", "shop-customer.example", "gmail.com", "gmial.com", "example.com"):
        fake.fail(name, how)
    d = diagnose(address, resolver=fake)
    offline = diagnose(address, offline=True)
    assert d.messages() == offline.messages(), d.codes
    assert d.messages_html() == offline.messages_html()
    assert d.messages("he") == offline.messages("he")
    assert d.message() == offline.message()


def test_when_nothing_is_known_the_customer_is_told_to_continue() -> None:
    d = diagnose("jane.doe@shop-customer.example", resolver=FakeResolver(sane=False).fail("shop-customer.example"))
    assert d.messages() == ["We could not check this address right now. You can continue."]
