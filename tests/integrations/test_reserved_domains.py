"""A reserved test domain is its own refusal, and a shop can allow its own (issue 10.7).

``qa+1@example.com`` is not a syntax error: the domain is reserved for documentation
(RFC 2606), and ``.test`` is special-use (RFC 6761). Forms give it its own error type/code
(``email_reserved``) so a shop's frontend can say so, and ``allow=`` makes the shop's own
staging domain acceptable.
"""

from __future__ import annotations

from typing import Annotated, Any

import pytest
from django import forms
from pydantic import BaseModel, ValidationError

import maildiag
from maildiag import Options, Verdict
from maildiag.pydantic import MaildiagEmail
from maildiag.testing import FakeResolver

RESERVED = ["qa+1@example.com", "jane@shop.example.org", "qa@shop.test", "qa@x.localhost"]


@pytest.mark.parametrize("address", RESERVED)
def test_pydantic_gives_reserved_its_own_type(address: str) -> None:
    class Signup(BaseModel):
        email: Annotated[str, MaildiagEmail()]

    with pytest.raises(ValidationError) as exc:
        Signup.model_validate({"email": address})
    (error,) = exc.value.errors()
    assert error["type"] == "email_reserved"
    assert error["ctx"]["code"] in ("syntax.domain_reserved", "syntax.domain_special_use")


@pytest.mark.parametrize(("address", "allow"), [
    ("qa+1@example.com", "example.com"),
    ("qa@shop.test", "shop.test"),
    ("qa@staging.shop.test", "shop.test"),
    ("qa@shop.test", "qa@shop.test"),
    # A developer's machine delivers to localhost (Django's EmailValidator accepts @localhost
    # by default); email-validator refuses every special-use name but .test, so maildiag
    # accepts the others only when the shop names them.
    ("jane@localhost", "localhost"),
    ("qa@app.localhost", "localhost"),
    ("qa@app.localhost", "app.localhost"),
    ("qa@mailpit.local", "mailpit.local"),
])
def test_the_shops_allow_list_makes_its_test_domain_acceptable(address: str, allow: str) -> None:
    class Signup(BaseModel):
        email: Annotated[str, MaildiagEmail(allow=(allow,))]

    assert Signup.model_validate({"email": address}).email == address
    d = maildiag.diagnose(address, offline=True, options=Options(allow=(allow,)))
    assert d.verdict is Verdict.OK and d.has("policy.allowed")


@pytest.mark.parametrize(("address", "allow"), [
    ("qa@shop.test", "other.test"),       # another test domain is still refused
    ("qa@x.localhost", "y.localhost"),    # another name under .localhost
    ("qa@x.localhost", "example.com"),
    ("jane@intranet", "intranet"),        # no dot, and no special-use name: not an address
    ("jane@localhost.", "localhost"),     # the rest of the syntax still applies
    ("jane..doe@localhost", "localhost"),
])
def test_allow_does_not_open_what_it_does_not_name(address: str, allow: str) -> None:
    d = maildiag.diagnose(address, offline=True, options=Options(allow=(allow,)))
    assert d.verdict is Verdict.UNDELIVERABLE


@pytest.mark.parametrize(("address", "allow"), [
    ("qa+1@example.com", "example.com"),  # IANA publishes a null MX for it
    ("qa@shop.test", "shop.test"),        # never in public DNS
    ("jane@localhost", "localhost"),
])
def test_an_allowed_reserved_domain_is_not_judged_by_public_dns(address: str, allow: str) -> None:
    # Public DNS knows nothing of a reserved name (RFC 2606, RFC 6761): with DNS on, the
    # shop's staging address must not turn undeliverable (domain.not_found, mx.null).
    fake = FakeResolver().null_mx("example.com")
    d = maildiag.diagnose(address, resolver=fake, options=Options(allow=(allow,)))
    assert d.verdict is Verdict.OK and d.codes == ("policy.allowed",), d.codes
    assert "dns" not in d.checks and d.dns == ()
    # Not allowed, DNS on: still refused.
    refused = maildiag.diagnose(address, resolver=fake)
    assert refused.verdict is Verdict.UNDELIVERABLE



@pytest.mark.usefixtures("maildiag_offline")
def test_django_gives_reserved_its_own_code_and_honours_allow(dj: Any) -> None:
    class Signup(forms.Form):
        email = dj.MaildiagEmailField()

    class StagingSignup(forms.Form):
        email = dj.MaildiagEmailField(allow=["example.com"])

    form = Signup(data={"email": "qa+1@example.com"})
    assert not form.is_valid()
    (error,) = form.errors.as_data()["email"]
    assert error.code == "email_reserved"
    assert StagingSignup(data={"email": "qa+1@example.com"}).is_valid()


def test_django_with_dns_accepts_the_shops_allowed_staging_domain(dj: Any) -> None:
    class StagingSignup(forms.Form):
        email = dj.MaildiagEmailField(offline=False, resolver=FakeResolver().null_mx("example.com"),
                                      allow=["example.com", "localhost"])

    for address in ("qa+1@example.com", "admin@localhost"):
        form = StagingSignup(data={"email": address})
        assert form.is_valid(), (address, form.errors)
