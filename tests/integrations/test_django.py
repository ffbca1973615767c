"""maildiag.django: the validator and form field a Django signup form uses.

Django is configured once for this module with the least it needs (no database: forms and
``Model.full_clean`` do not query one here). DNS is only ever answered by maildiag's fake.
"""

from __future__ import annotations

from typing import Any

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.functional import lazy

from maildiag.testing import FakeResolver, addresses
from maildiag.testing.addresses import SCENARIOS, scenario_resolver

pytestmark = pytest.mark.usefixtures("maildiag_offline")  # a FakeResolver is the only DNS allowed

HEBREW = range(0x05D0, 0x05EB)


def is_hebrew(text: str) -> bool:
    return any(ord(c) in HEBREW for c in text)



def errors_of(form: forms.Form, field: str = "email") -> list[ValidationError]:
    assert not form.is_valid()
    return list(form.errors.as_data()[field])


def only_error(form: forms.Form) -> ValidationError:
    (error,) = errors_of(form)
    return error


def text(error: ValidationError) -> str:
    (message,) = error.messages
    return str(message)


# (input, validator settings, code or None when accepted, suggestion param, maildiag code)
CASES = [
    pytest.param("jane@gmail.com", {}, None, None, None, id="valid"),
    pytest.param("JANE@Gmail.COM", {}, None, None, None, id="caps"),
    pytest.param("x@mailinator.com", {}, None, None, None, id="disposable-accepted-by-default"),
    pytest.param("sales@acme-widgets.com", {}, None, None, None, id="role-accepted-by-default"),
    pytest.param("jane@gmial.com", {}, "email_typo", "jane@gmail.com", "domain.typo", id="typo"),
    pytest.param("jane@gmail,com", {}, "email_typo", "jane@gmail.com", "syntax.repaired.comma", id="comma"),
    pytest.param("jane", {}, "invalid", "", "syntax.missing_at", id="syntax-uses-djangos-code"),
    pytest.param("jane@example.com", {}, "email_reserved", "", "syntax.domain_reserved", id="reserved"),
    pytest.param(
        "x@mailinator.com", {"refuse_disposable": True}, "email_disposable", "", "flag.disposable",
        id="disposable-refused-on-request",
    ),
    pytest.param(
        "sales@acme-widgets.com", {"refuse_role": True}, "email_role", "", "flag.role", id="role-refused-on-request"
    ),
    pytest.param("jane@rival.example", {"deny": ["rival.example"]}, "email_denied", "", "policy.denied", id="denied"),
    pytest.param(
        "jane@gmai.com", {"accept_as_typed": True}, None, None, None, id="typo-kept-when-the-customer-insists"
    ),
    pytest.param(
        "jane@gmail,com", {"accept_as_typed": True}, "email_typo", "jane@gmail.com", "syntax.repaired.comma",
        id="repair-cannot-be-kept",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("address", "settings_", "code", "suggestion", "maildiag_code"), CASES)
def test_form_field(
    dj: Any, address: str, settings_: dict[str, Any], code: str | None, suggestion: str | None, maildiag_code: str
) -> None:
    class Signup(forms.Form):
        email = dj.MaildiagEmailField(**settings_)

    form = Signup(data={"email": address})
    if code is None:
        assert form.is_valid(), form.errors
        assert form.cleaned_data["email"] == address
        return
    error = only_error(form)  # maildiag's error alone: Django's regex is not run as well
    assert error.code == code
    assert error.params == {"value": address, "suggestion": suggestion, "code": maildiag_code}
    if suggestion:
        assert suggestion in text(error)


@pytest.mark.parametrize(("address", "settings_", "code", "suggestion", "maildiag_code"), CASES)
def test_validator_alone(
    dj: Any, address: str, settings_: dict[str, Any], code: str | None, suggestion: str | None, maildiag_code: str
) -> None:
    validator = dj.MaildiagEmailValidator(**settings_)
    if code is None:
        assert validator(address) is None
        return
    with pytest.raises(ValidationError) as exc:
        validator(address)
    assert (exc.value.code, exc.value.params["code"]) == (code, maildiag_code)


def test_form_field_strips_white_space_like_emailfield(dj: Any) -> None:
    class Signup(forms.Form):
        email = dj.MaildiagEmailField()

    form = Signup(data={"email": "  jane@gmail.com \n"})
    assert form.is_valid() and form.cleaned_data["email"] == "jane@gmail.com"


def test_on_a_plain_emailfield_djangos_own_message_joins_in(dj: Any) -> None:
    """Why MaildiagEmailField exists: EmailField's default validator also refuses repairs."""

    class Signup(forms.Form):
        email = forms.EmailField(validators=[dj.MaildiagEmailValidator()])

    assert [e.code for e in errors_of(Signup(data={"email": "jane@gmail,com"}))] == ["invalid", "email_typo"]
    assert [e.code for e in errors_of(Signup(data={"email": "jane@gmial.com"}))] == ["email_typo"]


# -- messages --------------------------------------------------------------------------


def test_error_messages_override_by_code_with_params(dj: Any) -> None:
    class Signup(forms.Form):
        email = dj.MaildiagEmailField(
            error_messages={"email_typo": "Typo? Perhaps %(suggestion)s (%(code)s)", "invalid": "Not an address"}
        )

    assert Signup(data={"email": "jane@gmial.com"}).errors["email"] == ["Typo? Perhaps jane@gmail.com (domain.typo)"]
    assert Signup(data={"email": "jane"}).errors["email"] == ["Not an address"]


def test_a_lazy_message_is_translated_when_shown(dj: Any) -> None:
    shown: list[str] = []

    def gettext(message: str) -> str:
        shown.append(translation.get_language())
        return message

    message = lazy(gettext, str)("Did you mean %(suggestion)s? (you typed %(value)s)")

    class Signup(forms.Form):
        email = dj.MaildiagEmailField(message=message)

    form = Signup(data={"email": "jane@gmial.com"})
    assert not shown  # defining the form and validating did not evaluate it
    with translation.override("he"):
        assert form.errors["email"] == ["Did you mean jane@gmail.com? (you typed jane@gmial.com)"]
    assert shown == ["he"]


@pytest.mark.parametrize(
    ("language", "hebrew"),
    [
        pytest.param("en", False, id="en"),
        pytest.param("he", True, id="he"),
        pytest.param("fr", False, id="unshipped-falls-back-to-english"),
    ],
)
def test_default_message_follows_the_active_language(dj: Any, language: str, hebrew: bool) -> None:
    class Signup(forms.Form):
        email = dj.MaildiagEmailField()

    with translation.override(language):
        error = only_error(Signup(data={"email": "jane@gmial.com"}))
        message = text(error)
    assert is_hebrew(message) is hebrew and "jane@gmail.com" in message


def test_a_percent_sign_in_the_address_survives_djangos_formatting(dj: Any) -> None:
    """Messages with params are %-formatted by Django; maildiag's text is escaped for it."""

    class Signup(forms.Form):
        email = dj.MaildiagEmailField()

    assert Signup(data={"email": "jane%x@gmial.com"}).errors["email"] == ["Did you mean jane%x@gmail.com?"]


# -- models and migrations -------------------------------------------------------------


@pytest.fixture(scope="module")
def customer_model(dj: Any) -> type[Any]:
    from django.db import models

    class Customer(models.Model):
        # Typos are the form's question ("did you mean...?", and the customer may insist);
        # the model refuses what must never be stored.
        email = models.EmailField(validators=[dj.MaildiagEmailValidator(refuse_disposable=True, accept_as_typed=True)])

        class Meta:
            app_label = "maildiag_integration_tests"

    return Customer


@pytest.mark.parametrize(
    ("address", "codes"),
    [
        pytest.param("jane@gmail.com", [], id="valid"),
        pytest.param("jane@gmai.com", [], id="typo-is-the-forms-question"),
        pytest.param("x@mailinator.com", ["email_disposable"], id="disposable-refused"),
        pytest.param("jane", ["invalid", "invalid"], id="not-an-address"),
        # The model field keeps Django's default validator too; both speak.
        pytest.param("jane@gmail,com", ["invalid", "email_typo"], id="comma"),
    ],
)
def test_model_full_clean(customer_model: type[Any], address: str, codes: list[str]) -> None:
    customer = customer_model(email=address)
    if not codes:
        customer.full_clean(validate_unique=False)
        return
    with pytest.raises(ValidationError) as exc:
        customer.full_clean(validate_unique=False)
    assert [e.code for e in exc.value.error_dict["email"]] == codes


def test_modelform_uses_the_field_through_field_classes(dj: Any, customer_model: type[Any]) -> None:
    class CustomerForm(forms.ModelForm):
        class Meta:
            model = customer_model
            fields = ("email",)
            field_classes = {"email": dj.MaildiagEmailField}  # noqa: RUF012 - Django reads Meta once

    assert isinstance(CustomerForm().fields["email"], dj.MaildiagEmailField)
    assert [e.code for e in errors_of(CustomerForm(data={"email": "jane@gmail,com"}))] == ["email_typo"]
    assert CustomerForm(data={"email": "jane@gmail.com"}).is_valid()
    assert [e.code for e in errors_of(CustomerForm(data={"email": "jane@gmial.com"}))] == ["email_typo"]


def test_a_modelform_customer_can_keep_a_typo(dj: Any, customer_model: type[Any]) -> None:
    """The docs' ModelForm: the field asks about the typo, the model does not ask again."""

    class CustomerForm(forms.ModelForm):
        keep_as_typed = forms.BooleanField(required=False, widget=forms.HiddenInput)

        class Meta:
            model = customer_model
            fields = ("email",)
            field_classes = {"email": dj.MaildiagEmailField}  # noqa: RUF012 - Django reads Meta once

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            if self.fields["keep_as_typed"].to_python(self["keep_as_typed"].data):
                self.fields["email"].accept_as_typed()

    assert [e.code for e in errors_of(CustomerForm(data={"email": "jane@gmai.com"}))] == ["email_typo"]
    kept = CustomerForm(data={"email": "jane@gmai.com", "keep_as_typed": "on"})
    assert kept.is_valid(), kept.errors
    assert [e.code for e in errors_of(CustomerForm(data={"email": "x@mailinator.com", "keep_as_typed": "on"}))] == [
        "email_disposable"
    ]


def test_deconstruct_and_equality(dj: Any) -> None:
    from django.db.migrations.writer import MigrationWriter

    validator = dj.MaildiagEmailValidator(deny=["rival.example"], refuse_role=True, message="No %(value)s")
    path, args, kwargs = validator.deconstruct()
    assert (path, args) == ("maildiag.django.MaildiagEmailValidator", ())
    assert kwargs == {"deny": ["rival.example"], "refuse_role": True, "message": "No %(value)s"}
    source, imports = MigrationWriter.serialize(validator)
    assert imports == {"import maildiag.django"}
    assert eval(source, {"maildiag": __import__("maildiag.django")}) == validator  # what a migration file does
    assert validator == dj.MaildiagEmailValidator(deny=("rival.example",), refuse_role=True, message="No %(value)s")
    assert validator != dj.MaildiagEmailValidator(deny=["rival.example"], message="No %(value)s")
    assert validator != dj.MaildiagEmailValidator(deny=["rival.example"], refuse_role=True)
    assert dj.MaildiagEmailValidator() != object()


def test_customer_insists_pattern(dj: Any) -> None:
    """The docs' pattern: a hidden 'keep' box swaps in a validator that judges as typed."""

    class Signup(forms.Form):
        keep_as_typed = forms.BooleanField(required=False, widget=forms.HiddenInput)
        email = dj.MaildiagEmailField()

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            # to_python, not .value(): the hidden input posts the text "False" when unticked.
            if self.fields["keep_as_typed"].to_python(self["keep_as_typed"].data):
                self.fields["email"].accept_as_typed()

    assert only_error(Signup(data={"email": "jane@gmai.com"})).code == "email_typo"
    for unticked in ("False", "false", "0", ""):
        assert only_error(Signup(data={"email": "jane@gmai.com", "keep_as_typed": unticked})).code == "email_typo"
    kept = Signup(data={"email": "jane@gmai.com", "keep_as_typed": "on"})
    assert kept.is_valid() and kept.cleaned_data["email"] == "jane@gmai.com"
    # Only that form instance changed, not the class's field.
    assert only_error(Signup(data={"email": "jane@gmai.com"})).code == "email_typo"
    assert only_error(Signup(data={"email": "jane@gmail,com", "keep_as_typed": "on"})).code == "email_typo"


def test_single_string_settings_are_refused(dj: Any) -> None:
    with pytest.raises(TypeError, match="allow must be a sequence"):
        dj.MaildiagEmailValidator(allow="partner.example")


# -- DNS, opt-in -----------------------------------------------------------------------

EXPECTED_CODE = {"ok": None, "risky": None, "unknown": None, "fix": "email_typo"}


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_dns_opt_in_never_blocks_on_unknown(dj: Any, scenario: Any) -> None:
    """Every reserved scenario: ok, risky and unknown (our DNS failed) are accepted."""
    validator = dj.MaildiagEmailValidator(offline=False, resolver=scenario_resolver())
    if scenario.verdict in ("ok", "risky", "unknown"):
        validator(scenario.address)
        return
    with pytest.raises(ValidationError) as exc:
        validator(scenario.address)
    codes = scenario.codes
    if scenario.verdict == "fix":
        expected = "email_typo"
    elif any(c.startswith("syntax") for c in codes):
        expected = "invalid"
    else:
        expected = "email_undeliverable"
    assert exc.value.code == expected
    assert exc.value.params["suggestion"] == (scenario.suggestion or "")


class TimeoutSpy(FakeResolver):
    """Records the time each query was given."""

    def __init__(self) -> None:
        super().__init__()
        self.timeouts: list[float] = []

    def lookup(self, name: str, rdtype: str, timeout: float) -> Any:
        self.timeouts.append(timeout)
        return super().lookup(name, rdtype, timeout)


def test_dns_deadline_bounds_every_query_and_a_timeout_is_accepted(dj: Any) -> None:
    dns = TimeoutSpy()
    dns.slow("slow-dns.example", 30.0)
    validator = dj.MaildiagEmailValidator(offline=False, deadline=0.05, resolver=dns)
    validator("jane@slow-dns.example")  # accepted: the lookup timed out on our side
    assert dns.timeouts and max(dns.timeouts) <= 0.05


def test_dns_default_deadline_is_short_for_a_waiting_customer(dj: Any) -> None:
    dns = TimeoutSpy()
    dj.MaildiagEmailValidator(offline=False, resolver=dns)("jane@gmail.com")
    assert dns.timeouts and max(dns.timeouts) <= dj.DEFAULT_FORM_DEADLINE == 1.5


def test_dns_null_mx_is_refused_with_its_message(dj: Any) -> None:
    dns = FakeResolver().null_mx("no-mail.example")
    with pytest.raises(ValidationError) as exc:
        dj.MaildiagEmailValidator(offline=False, resolver=dns)("jane@no-mail.example")
    assert (exc.value.code, exc.value.params["code"]) == ("email_undeliverable", "mx.null")
    assert "no-mail.example" in text(exc.value)


def test_an_insisted_typo_whose_domain_does_not_exist_is_refused_with_dns(dj: Any) -> None:
    validator = dj.MaildiagEmailValidator(offline=False, accept_as_typed=True, resolver=scenario_resolver())
    with pytest.raises(ValidationError) as exc:
        validator("jane@gmial.com")
    assert exc.value.params == {"value": "jane@gmial.com", "suggestion": "jane@gmail.com", "code": "domain.not_found"}


def test_offline_by_default_even_with_a_resolver(dj: Any) -> None:
    dns = FakeResolver().null_mx("no-mail.example")
    dj.MaildiagEmailValidator(resolver=dns)("jane@no-mail.example")
    assert not dns.asked("no-mail.example")


async def test_dns_validation_inside_an_async_view(dj: Any) -> None:
    """A form validated in an async view: the sync lookup runs under a running event loop
    (no async_to_sync, whose RuntimeError the ecosystem notes record)."""
    validator = dj.MaildiagEmailValidator(offline=False, resolver=scenario_resolver())
    validator(addresses.OK)
    validator(addresses.DNS_SERVFAIL)
    with pytest.raises(ValidationError) as exc:
        validator(addresses.NULL_MX)
    assert exc.value.params["code"] == "mx.null"


def test_every_refusal_kind_has_a_code(dj: Any) -> None:
    from maildiag._forms import KINDS

    assert set(dj.ERROR_CODES) == set(KINDS)


@pytest.mark.parametrize(
    ("address", "code"),
    [
        pytest.param("x@mailinator.com", "email_disposable", id="disposable"),
        pytest.param("postmaster@shop.example", "email_role", id="role"),
    ],
)
def test_the_shops_refusals_hold_when_dns_fails(dj: Any, address: str, code: str) -> None:
    # The refusals rest on data files: our DNS timing out (unknown) must not let them through.
    broken = FakeResolver().fail("mailinator.com", "timeout").fail("shop.example", "servfail")
    validator = dj.MaildiagEmailValidator(offline=False, refuse_disposable=True, refuse_role=True,
                                          resolver=broken, deadline=0.5)
    with pytest.raises(ValidationError) as refused:
        validator(address)
    assert refused.value.code == code
    dj.MaildiagEmailValidator(offline=False, resolver=broken, deadline=0.5)(address)  # not asked: accepted
