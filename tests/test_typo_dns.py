"""With DNS on, a typo suggestion is weighed by what DNS says of both domains (issue 12).

The ``domain.typo`` finding's ``basis`` says what the suggestion rests on: ``no_mail_route``
(the typed domain takes no mail and the suggested one does: strong), ``spelling_only`` (the
typed domain does receive mail: weaker, with ``domain.typo_receives_mail``), ``spelling`` (no
DNS, or DNS could not tell). A suggested domain that takes no mail is never offered.
"""

from __future__ import annotations

import pytest

import maildiag
from maildiag import Options, Verdict
from maildiag.testing import FakeResolver

GMAIL_MX = "gmail-smtp-in.l.google.com"


def _typo(d: maildiag.Diagnosis) -> maildiag.Finding | None:
    return next((f for f in d.findings if f.code == "domain.typo"), None)


def test_offline_the_spelling_is_all_there_is() -> None:
    d = maildiag.diagnose("jane@gmial.com", offline=True)
    finding = _typo(d)
    assert finding is not None and finding.params["basis"] == "spelling"


def test_a_typed_domain_without_mail_route_is_strong_evidence() -> None:
    d = maildiag.diagnose("jane@gmial.com", resolver=FakeResolver().mx("gmail.com", GMAIL_MX))
    finding = _typo(d)
    assert finding is not None and finding.params["basis"] == "no_mail_route"
    assert (d.verdict, d.suggestion) == (Verdict.FIX, "jane@gmail.com")
    assert not d.has("domain.typo_receives_mail")
    assert any(a.name == "gmail.com" for a in d.dns), "the suggested domain's answer is evidence too"


def test_a_typed_domain_that_receives_mail_is_weaker_evidence() -> None:
    resolver = FakeResolver().mx("gmail.com", GMAIL_MX).mx("gmial.com", "mx.gmial.com")
    d = maildiag.diagnose("jane@gmial.com", resolver=resolver)
    finding = _typo(d)
    assert finding is not None and finding.params["basis"] == "spelling_only"
    assert d.has("domain.typo_receives_mail")
    assert d.verdict is Verdict.FIX and d.suggestion == "jane@gmail.com"
    strong = maildiag.diagnose("jane@gmial.com", resolver=FakeResolver().mx("gmail.com", GMAIL_MX))
    assert d.confidence < strong.confidence


def test_a_suggested_domain_that_takes_no_mail_is_never_offered() -> None:
    options = Options(extra_domains=("deadmail.net",))
    resolver = FakeResolver().null_mx("deadmail.net")  # RFC 7505: no mail, on purpose
    d = maildiag.diagnose("jane@deadmial.net", resolver=resolver, options=options)
    assert d.suggestion is None
    assert _typo(d) is None
    assert d.verdict is Verdict.UNDELIVERABLE  # the typed domain's own finding speaks


@pytest.mark.parametrize("how", ["servfail", "timeout"])
def test_dns_that_cannot_tell_leaves_the_spelling(how: str) -> None:
    resolver = FakeResolver().mx("gmail.com", GMAIL_MX).fail("gmial.com", how)
    d = maildiag.diagnose("jane@gmial.com", resolver=resolver, deadline=0.5)
    finding = _typo(d)
    assert finding is not None and finding.params["basis"] == "spelling"
    assert d.suggestion == "jane@gmail.com"


def test_a_resolver_that_lies_never_removes_a_suggestion() -> None:
    """NXDOMAIN for every name (our network, not the customer's): gmail.com 'does not exist'
    either, which only shows the resolver lies."""
    d = maildiag.diagnose("jane@gmial.com", resolver=FakeResolver(sane=False))  # knows no name at all
    assert d.has("dns.resolver_lying")
    assert d.suggestion == "jane@gmail.com"
    finding = _typo(d)
    assert finding is not None and finding.params["basis"] == "spelling"


def test_a_repaired_input_whose_suggested_domain_is_dead_falls_back_to_the_repair() -> None:
    """jane@@deadmial.net: the repair (one @) stands, the typo suggestion does not; the
    repaired address is then judged on its own domain, as any repair is."""
    options = Options(extra_domains=("deadmail.net",))
    d = maildiag.diagnose("jane@@deadmial.net", resolver=FakeResolver().null_mx("deadmail.net"), options=options)
    assert _typo(d) is None and d.suggestion is None
    assert d.verdict is Verdict.UNDELIVERABLE
    repair = next(f for f in d.findings if f.code == "syntax.repaired.double_at")
    assert repair.params["suggestion"] == "jane@deadmial.net"
