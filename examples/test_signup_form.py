"""Testing a signup form with maildiag's testing kit, with no network at all.

Copy what you need into your own tests. maildiag's pytest plugin is active as soon as
maildiag is installed (``pip install 'maildiag[testing]'``): it brings the fixtures
``maildiag_dns`` (a fake DNS, set up by the ``@pytest.mark.maildiag(dns=...)`` marker),
``maildiag_default_dns`` (the same, made the DNS of code that passes no ``resolver=``),
``maildiag_scenarios`` (the reserved test addresses) and ``maildiag_offline`` (fails any
test that reaches the real DNS).

    python -m pytest examples/test_signup_form.py --maildiag-offline

``--maildiag-offline`` (or ``maildiag_offline = true`` in your pytest configuration) puts
the offline guard on every test: a forgotten ``resolver=`` fails instead of quietly
asking the real internet.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import maildiag
from maildiag.testing import FakeResolver, addresses, fake_dns
from maildiag.testing.strategies import fixable_inputs, typo_emails, valid_emails

# -- the code under test: a tiny signup form (yours lives in your web framework) ---------


@dataclasses.dataclass(frozen=True)
class FormResult:
    accepted: bool
    error: str = ""
    did_you_mean: str | None = None


def signup_form(email: str, **maildiag_options: Any) -> FormResult:
    """Validate the signup form's email field. Tests pass ``resolver=`` or ``offline=True``."""
    d = maildiag.diagnose(email, deadline=1.5, **maildiag_options)
    if d.verdict == "fix":
        return FormResult(False, d.message(), d.suggestion)
    if d.verdict == "undeliverable":
        return FormResult(False, d.message())
    # ok, risky, and unknown (our own DNS failed): never block the customer.
    return FormResult(True)


# -- example-based tests with the fake DNS -------------------------------------------------


@pytest.mark.maildiag(
    dns={
        "customer.example": ["mx1.customer.example", "mx2.customer.example"],
        "no-mail.example": "null-mx",
        "flaky.example": "timeout",
    }
)
@pytest.mark.parametrize(
    ("email", "accepted"),
    [
        pytest.param("jane@customer.example", True, id="good-domain"),
        pytest.param("jane@no-mail.example", False, id="null-mx"),
        pytest.param("jane@nowhere.example", False, id="no-such-domain"),
        pytest.param("jane@flaky.example", True, id="our-dns-timed-out"),
    ],
)
def test_form_with_a_fake_zone(maildiag_dns: Any, email: str, accepted: bool) -> None:
    result = signup_form(email, resolver=maildiag_dns)
    assert result.accepted is accepted
    assert bool(result.error) is not accepted  # a refusal always says why


@pytest.mark.parametrize("scenario", addresses.SCENARIOS, ids=lambda s: s.name)
def test_form_with_every_reserved_address(maildiag_scenarios: Any, scenario: addresses.Scenario) -> None:
    # Like payment test cards: each reserved address has a guaranteed verdict.
    result = signup_form(scenario.address, resolver=maildiag_scenarios)
    assert result.accepted is (scenario.verdict in ("ok", "risky", "unknown"))
    assert result.did_you_mean == scenario.suggestion


def test_form_never_uses_the_real_dns(maildiag_offline: None, maildiag_dns: Any) -> None:
    # With maildiag_offline, forgetting resolver= would fail this test loudly.
    assert signup_form("jane@gmail.com", resolver=maildiag_dns).accepted


# -- code that passes no resolver=, as production code does ---------------------------------


@pytest.mark.maildiag(dns={"customer.example": "mx.customer.example", "no-mail.example": "null-mx"})
def test_form_as_the_view_calls_it(maildiag_default_dns: FakeResolver) -> None:
    # The view calls signup_form(email) with no resolver=: the fixture serves it anyway, and
    # under --maildiag-offline anything else would fail the test.
    assert signup_form("jane@customer.example").accepted
    assert not signup_form("jane@no-mail.example").accepted
    assert maildiag_default_dns.asked("customer.example", "MX")


def test_a_dns_outage_for_part_of_a_test() -> None:
    with fake_dns() as dns:  # the context manager: a fresh FakeResolver for this block
        dns.fail("customer.example", "timeout")
        assert signup_form("jane@customer.example").accepted  # never block on our own DNS


# -- properties with Hypothesis (offline: typos and repairs need no DNS) ------------------


@given(typo_emails())
def test_typos_get_did_you_mean(pair: tuple[str, str]) -> None:
    typo, intended = pair
    result = signup_form(typo, offline=True)
    assert not result.accepted
    assert result.did_you_mean == intended


@given(fixable_inputs())
def test_pasted_junk_is_repaired_not_refused(pair: tuple[str, str]) -> None:
    messy, clean = pair
    assert signup_form(messy, offline=True).did_you_mean == clean


@given(valid_emails(smtputf8=True, idn=True))
def test_unusual_valid_addresses_are_not_refused_for_syntax(email: str) -> None:
    # Dot-atoms, +tags, IDN domains and SMTPUTF8 local parts on reserved .example names.
    d = maildiag.diagnose(email, offline=True)
    assert not any(f.code.startswith("syntax.") and f.severity == "error" for f in d.findings)


@given(st.sampled_from(addresses.SCENARIOS))
def test_fake_dns_can_be_built_inside_a_property(scenario: addresses.Scenario) -> None:
    # Function-scoped fixtures and @given do not mix: build the fake resolver per example.
    result = signup_form(scenario.address, resolver=addresses.scenario_resolver())
    assert result.accepted is (scenario.verdict not in ("fix", "undeliverable"))
