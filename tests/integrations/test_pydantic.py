"""maildiag.pydantic: what a FastAPI/pydantic signup model gets from DiagEmail.

The error ``type`` and ``ctx`` are what a shop's frontend reads to show "Did you mean ...?",
so they are checked exactly; messages are checked for their locale and their suggestion.
"""

from __future__ import annotations

import importlib.util
import json
import pathlib
import subprocess
import sys
from types import ModuleType
from typing import Annotated, Any

import pytest
from pydantic import BaseModel, TypeAdapter, ValidationError

import maildiag
from maildiag.pydantic import (
    ACCEPT_AS_TYPED_CONTEXT_KEY,
    LOCALE_CONTEXT_KEY,
    DiagEmail,
    MaildiagEmail,
    diag_email,
    localize_errors,
)
from maildiag.testing import addresses
from maildiag.testing.addresses import SCENARIOS, TYPO_GMAIL

pytestmark = pytest.mark.usefixtures("maildiag_offline")  # the type must never touch DNS

HEBREW = range(0x05D0, 0x05EB)


def is_hebrew(text: str) -> bool:
    return any(ord(c) in HEBREW for c in text)


class Signup(BaseModel):
    email: DiagEmail


class StrictShop(BaseModel):
    email: Annotated[str, MaildiagEmail(refuse_disposable=True, refuse_role=True, deny=("competitor.example",))]


def only_error(exc: pytest.ExceptionInfo[ValidationError]) -> dict[str, Any]:
    errors = exc.value.errors(include_url=False)
    assert len(errors) == 1, errors
    return dict(errors[0])


# (input, model, stored value) for addresses the form takes.
ACCEPTED = [
    pytest.param("jane@gmail.com", Signup, "jane@gmail.com", id="valid"),
    pytest.param("JANE@Gmail.COM", Signup, "JANE@gmail.com", id="caps-domain-normalized-local-kept"),
    pytest.param("  jane@gmail.com\n", Signup, "jane@gmail.com", id="surrounding-whitespace-stripped"),
    pytest.param("jane@bücher.de", Signup, "jane@bücher.de", id="internationalized-domain"),
    pytest.param("x@mailinator.com", Signup, "x@mailinator.com", id="disposable-accepted-by-default"),
    pytest.param("sales@acme-widgets.com", Signup, "sales@acme-widgets.com", id="role-accepted-by-default"),
    pytest.param("info@gmail.com", StrictShop, "info@gmail.com", id="possible-role-is-not-refused"),
]


@pytest.mark.parametrize(("address", "model", "stored"), ACCEPTED)
def test_accepted_addresses_are_stored_normalized(address: str, model: type[BaseModel], stored: str) -> None:
    assert model.model_validate({"email": address}).email == stored  # type: ignore[attr-defined]


# (input, model, error type, maildiag code, suggestion or None)
REFUSED = [
    pytest.param("jane@gmial.com", Signup, "email_typo", "domain.typo", "jane@gmail.com", id="typo"),
    pytest.param("JANE@GMIAL.COM", Signup, "email_typo", "domain.typo", "jane@gmail.com", id="typo-in-caps"),
    pytest.param("jane@gmail,com", Signup, "email_typo", "syntax.repaired.comma", "jane@gmail.com", id="comma"),
    pytest.param(
        "mailto:jane@gmail.com", Signup, "email_typo", "syntax.repaired.mailto", "jane@gmail.com", id="mailto"
    ),
    # EmailStr silently drops a display name; a signup form asks, since the customer pasted
    # something else than an address.
    pytest.param(
        "Jane Doe <jane@gmail.com>",
        Signup,
        "email_typo",
        "syntax.repaired.display_name",
        "jane@gmail.com",
        id="display-name",
    ),
    pytest.param("jane", Signup, "email_syntax", "syntax.missing_at", None, id="no-at"),
    pytest.param("", Signup, "email_syntax", "syntax.empty", None, id="empty"),
    pytest.param("jane@example.com", Signup, "email_reserved", "syntax.domain_reserved", None, id="reserved-domain"),
    pytest.param("x" * 3000, Signup, "email_syntax", "syntax.too_long", None, id="too-long"),
    pytest.param(
        "x@mailinator.com", StrictShop, "email_disposable", "flag.disposable", None, id="disposable-refused-on-request"
    ),
    pytest.param(
        "postmaster@acme-widgets.com", StrictShop, "email_role", "flag.role", None, id="role-refused-on-request"
    ),
    pytest.param("jane@competitor.example", StrictShop, "email_denied", "policy.denied", None, id="denied"),
]


def stable(ctx: dict[str, Any]) -> dict[str, Any]:
    """The part of ctx a frontend matches on (params are there for localize_errors, and the
    message is the text pydantic places in ``msg``)."""
    return {k: v for k, v in ctx.items() if k not in ("params", "message")}


@pytest.mark.parametrize(("address", "model", "error_type", "code", "suggestion"), REFUSED)
def test_refusals_carry_a_stable_type_and_the_maildiag_code(
    address: str, model: type[BaseModel], error_type: str, code: str, suggestion: str | None
) -> None:
    with pytest.raises(ValidationError) as exc:
        model.model_validate({"email": address})
    error = only_error(exc)
    expected_ctx = {"code": code} if suggestion is None else {"code": code, "suggestion": suggestion}
    assert (error["type"], error["loc"], stable(error["ctx"])) == (error_type, ("email",), expected_ctx)
    assert isinstance(error["ctx"]["params"], dict)  # for localize_errors()
    assert error["ctx"]["message"] == error["msg"]
    assert error["msg"] and error["msg"] != error_type
    if suggestion is not None:
        assert suggestion in error["msg"]


def test_typo_error_is_what_a_fastapi_client_receives_as_json() -> None:
    """FastAPI's 422 body is e.errors() as JSON: type, msg and ctx all survive it."""
    with pytest.raises(ValidationError) as exc:
        Signup.model_validate_json('{"email": "jane@gmial.com"}')
    (error,) = json.loads(exc.value.json(include_url=False))
    assert error == {
        "type": "email_typo",
        "loc": ["email"],
        "msg": "Did you mean jane@gmail.com?",
        "input": "jane@gmial.com",
        "ctx": {"code": "domain.typo", "suggestion": "jane@gmail.com", "message": "Did you mean jane@gmail.com?",
                "params": {"domain": "gmial.com", "suggestion": "gmail.com", "suggested_address": "jane@gmail.com",
                           "basis": "spelling"}},
    }


@pytest.mark.parametrize(
    ("field_locale", "context", "hebrew"),
    [
        pytest.param("en", None, False, id="default-english"),
        pytest.param("he", None, True, id="factory-hebrew"),
        pytest.param("en", {LOCALE_CONTEXT_KEY: "he"}, True, id="context-hebrew-wins"),
        pytest.param("he", {LOCALE_CONTEXT_KEY: "en"}, False, id="context-english-wins"),
        pytest.param("en", {LOCALE_CONTEXT_KEY: "he-IL"}, True, id="context-tag"),
        pytest.param("he", {LOCALE_CONTEXT_KEY: None}, True, id="context-without-locale"),
        pytest.param("en", {LOCALE_CONTEXT_KEY: "fr"}, False, id="unshipped-falls-back-to-english"),
    ],
)
def test_message_locale(field_locale: str, context: dict[str, Any] | None, hebrew: bool) -> None:
    class Form(BaseModel):
        email: diag_email(locale=field_locale)  # type: ignore[valid-type]

    with pytest.raises(ValidationError) as exc:
        Form.model_validate({"email": "jane@gmial.com"}, context=context)
    error = only_error(exc)
    assert is_hebrew(error["msg"]) is hebrew
    assert "jane@gmail.com" in error["msg"] and error["type"] == "email_typo"


def test_hebrew_message_for_a_syntax_error() -> None:
    with pytest.raises(ValidationError) as exc:
        Signup.model_validate({"email": "jane"}, context={LOCALE_CONTEXT_KEY: "he"})
    assert is_hebrew(only_error(exc)["msg"])


# -- the customer insists on what they typed --------------------------------------------


class KeepAsTyped(BaseModel):
    keep_as_typed: bool = False  # declared before email: validators see earlier fields only
    email: diag_email(accept_as_typed_field="keep_as_typed")  # type: ignore[valid-type]


def test_a_typo_is_kept_when_the_customer_insists_through_a_sibling_field() -> None:
    with pytest.raises(ValidationError):
        KeepAsTyped.model_validate({"email": "jane@gmai.com"})
    assert KeepAsTyped.model_validate({"email": "jane@gmai.com", "keep_as_typed": True}).email == "jane@gmai.com"


def test_a_sibling_field_declared_after_the_email_fails_at_class_definition() -> None:
    """The pitfall (pydantic shows a validator only the fields before it) is caught when the model is defined."""
    with pytest.raises(TypeError, match="declare 'keep_as_typed' before 'email'"):

        class WrongOrder(BaseModel):
            email: diag_email(accept_as_typed_field="keep_as_typed")  # type: ignore[valid-type]
            keep_as_typed: bool = False


def test_a_misspelt_accept_as_typed_field_fails_at_class_definition() -> None:
    with pytest.raises(TypeError, match="no field 'keep_as_typd'"):

        class Misspelt(BaseModel):
            keep_as_typed: bool = False
            email: Annotated[str, MaildiagEmail(accept_as_typed_field="keep_as_typd")]


def test_a_keep_field_inherited_from_a_base_model_counts() -> None:
    class Base(BaseModel):
        keep_as_typed: bool = False

    class Child(Base):
        email: Annotated[str, MaildiagEmail(accept_as_typed_field="keep_as_typed")]

    assert Child.model_validate({"email": "jane@gmai.com", "keep_as_typed": True}).email == "jane@gmai.com"


def test_a_typo_is_kept_when_the_context_says_so() -> None:
    kept = Signup.model_validate({"email": "jane@gmai.com"}, context={ACCEPT_AS_TYPED_CONTEXT_KEY: True})
    assert kept.email == "jane@gmai.com"


def test_repaired_input_cannot_be_kept_as_typed() -> None:
    """'jane@gmail,com' is not an address as typed: insisting still shows the fix."""
    with pytest.raises(ValidationError) as exc:
        KeepAsTyped.model_validate({"email": "jane@gmail,com", "keep_as_typed": True})
    assert stable(only_error(exc)["ctx"]) == {"code": "syntax.repaired.comma", "suggestion": "jane@gmail.com"}


def test_insisting_on_a_repaired_typo_still_offers_the_first_suggestion() -> None:
    """'jane@gmial,com' kept: its repair alone (jane@gmial.com) is the wrong thing to offer."""
    with pytest.raises(ValidationError) as exc:
        KeepAsTyped.model_validate({"email": "jane@gmial,com", "keep_as_typed": True})
    assert only_error(exc)["ctx"]["suggestion"] == "jane@gmail.com"


def test_an_insisted_typo_is_still_judged_by_the_shop_rules() -> None:
    """gmial.com is a typo-squat on the disposable lists: a shop refusing those refuses it,
    and still offers the suggestion."""

    class Strict(BaseModel):
        email: diag_email(refuse_disposable=True)  # type: ignore[valid-type]

    with pytest.raises(ValidationError) as exc:
        Strict.model_validate({"email": "jane@gmial.com"}, context={ACCEPT_AS_TYPED_CONTEXT_KEY: True})
    error = only_error(exc)
    assert error["type"] == "email_disposable"
    assert stable(error["ctx"]) == {"code": "flag.disposable", "suggestion": "jane@gmail.com"}


# -- options ---------------------------------------------------------------------------


def test_extra_domains_are_typo_targets() -> None:
    class Shop(BaseModel):
        email: diag_email(extra_domains=["maildiag-shop.com"])  # type: ignore[valid-type]

    with pytest.raises(ValidationError) as exc:
        Shop.model_validate({"email": "jane@maildiag-shpo.com"})
    assert only_error(exc)["ctx"]["suggestion"] == "jane@maildiag-shop.com"
    assert Shop.model_validate({"email": "jane@maildiag-shop.com"}).email == "jane@maildiag-shop.com"


def test_allow_beats_deny_and_the_disposable_refusal() -> None:
    class Partner(BaseModel):
        email: diag_email(allow=["mailinator.com"], deny=["mailinator.com"], refuse_disposable=True)  # type: ignore[valid-type]

    assert Partner.model_validate({"email": "x@mailinator.com"}).email == "x@mailinator.com"


def test_a_single_string_is_refused_where_a_list_is_meant() -> None:
    with pytest.raises(TypeError, match="deny must be a sequence"):
        diag_email(deny="competitor.example")


def test_the_factory_builds_the_same_type_as_the_annotated_spelling() -> None:
    """What the docs tell mypy users to write is the very same type."""
    assert diag_email(refuse_role=True, locale="he") == Annotated[str, MaildiagEmail(refuse_role=True, locale="he")]
    assert diag_email() == DiagEmail


def test_the_type_works_outside_a_model_and_as_an_optional_field() -> None:
    adapter: TypeAdapter[str] = TypeAdapter(DiagEmail)
    assert adapter.validate_python("jane@gmail.com") == "jane@gmail.com"
    with pytest.raises(ValidationError):
        adapter.validate_python("jane@gmial.com")

    class Newsletter(BaseModel):
        email: DiagEmail | None = None

    assert Newsletter().email is None
    assert Newsletter(email=None).email is None


def test_non_strings_get_pydantics_own_error() -> None:
    with pytest.raises(ValidationError) as exc:
        Signup.model_validate({"email": 42})
    assert only_error(exc)["type"] == "string_type"


# -- JSON schema -----------------------------------------------------------------------


def test_json_schema_says_email_like_emailstr() -> None:
    assert TypeAdapter(DiagEmail).json_schema() == {"type": "string", "format": "email"}
    assert Signup.model_json_schema()["properties"]["email"] == {"type": "string", "format": "email", "title": "Email"}


# -- imports ---------------------------------------------------------------------------


def run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120)


def test_no_other_maildiag_module_imports_pydantic_or_django() -> None:
    code = (
        "import importlib, pkgutil, sys, maildiag\n"
        "maildiag.diagnose('jane@gmial.com', offline=True)\n"
        "for m in pkgutil.walk_packages(maildiag.__path__, 'maildiag.'):\n"
        "    if m.name not in ('maildiag.pydantic', 'maildiag.django', 'maildiag.__main__'):\n"
        "        importlib.import_module(m.name)\n"
        "print(sorted(n for n in ('pydantic', 'pydantic_core', 'django') if n in sys.modules))\n"
    )
    done = run(code)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("module", "blocked", "extra"),
    [
        pytest.param("maildiag.pydantic", "pydantic", "maildiag[pydantic]", id="pydantic"),
        pytest.param("maildiag.django", "django", "maildiag[django]", id="django"),
    ],
)
def test_a_missing_extra_names_the_pip_command(module: str, blocked: str, extra: str) -> None:
    done = run(
        f"import sys; sys.modules[{blocked!r}] = None\n"
        f"try:\n    import {module}\nexcept ImportError as e:\n    print(e)\n"
    )
    assert done.returncode == 0, done.stderr
    assert f"pip install '{extra}'" in done.stdout


# -- examples/pydantic_signup.py -------------------------------------------------------

EXAMPLE = pathlib.Path(__file__).parent.parent.parent / "examples" / "pydantic_signup.py"


def load_example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("example_pydantic_signup", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # pydantic resolves the model's annotations through it
    spec.loader.exec_module(module)
    return module


def test_example_runs_as_a_script_with_no_network() -> None:
    done = subprocess.run([sys.executable, str(EXAMPLE)], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert not done.stderr
    assert len(done.stdout.splitlines()) == len(SCENARIOS)


def test_example_answers_each_scenario_like_a_fastapi_endpoint(capsys: pytest.CaptureFixture[str]) -> None:
    """201 for ok, risky and unknown; 422 with the suggestion for fixes; 422 for the rest."""
    assert load_example().main([]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    for scenario, line in zip(SCENARIOS, lines, strict=True):
        assert line["email"] == scenario.address
        accepted = scenario.verdict in ("ok", "risky", "unknown")
        assert line["status"] == (201 if accepted else 422), line
        if scenario.verdict == "fix":
            (error,) = line["body"]["detail"]
            assert error["type"] == "email_typo" and error["ctx"]["suggestion"] == scenario.suggestion
            assert error["loc"] == ["body", "email"]


def test_example_keep_as_typed_and_hebrew(capsys: pytest.CaptureFixture[str]) -> None:
    example = load_example()
    example.main(["--locale", "he", TYPO_GMAIL])
    example.main(["--keep-as-typed", addresses.OK])
    asked, kept = (json.loads(line) for line in capsys.readouterr().out.splitlines())
    assert asked["status"] == 422 and is_hebrew(asked["body"]["detail"][0]["msg"])
    assert kept["status"] == 201 and kept["body"] == {"email": addresses.OK, "verdict": "ok"}


def test_every_refusal_kind_has_an_error_type() -> None:
    from maildiag._forms import KINDS
    from maildiag.pydantic import ERROR_TYPES

    assert set(ERROR_TYPES) == set(KINDS)
    assert all(t.startswith("email_") for t in ERROR_TYPES.values())


def test_what_comes_before_in_annotated_still_applies() -> None:
    from pydantic import AfterValidator, Field

    seen: list[str] = []

    def shop_check(value: str) -> str:
        seen.append(value)
        return value

    class Short(BaseModel):
        email: Annotated[str, Field(max_length=10), MaildiagEmail()]

    class Checked(BaseModel):
        email: Annotated[str, AfterValidator(shop_check), MaildiagEmail()]

    with pytest.raises(ValidationError) as info:
        Short(email="jane@gmail.com")
    assert info.value.errors()[0]["type"] == "string_too_long"
    assert Short.model_json_schema()["properties"]["email"]["maxLength"] == 10
    assert Checked(email="jane@gmail.com").email == "jane@gmail.com"
    assert seen == ["jane@gmail.com"]


def test_only_str_fields_take_the_annotation() -> None:
    with pytest.raises(TypeError, match="annotates str fields"):

        class Wrong(BaseModel):
            email: Annotated[int, MaildiagEmail()]


# -- the message is the customer's text, exactly ---------------------------------------------


@pytest.mark.parametrize("local", ["{code}", "{suggestion}", "{params}", "{message}", "{msg}", "{{code}}", "{"])
@pytest.mark.parametrize("domain", ["gmial.com", "example.com", "gmail..com"])  # typo, reserved, syntax
def test_braces_in_the_address_are_not_filled_from_ctx(local: str, domain: str) -> None:
    # '{' and '}' are atext (RFC 5322 §3.2.3): '{code}@gmial.com' is an address, and pydantic
    # fills "{key}" in an error's message from its ctx, with no escape. The customer must see
    # what they typed, not 'domain.typo@gmail.com'.
    address = f"{local}@{domain}"

    expected = maildiag.diagnose(address, offline=True)
    assert expected.verdict.value not in ("ok", "risky")  # each one is refused
    for locale in ("en", "he"):
        with pytest.raises(ValidationError) as exc:
            Signup.model_validate({"email": address}, context={LOCALE_CONTEXT_KEY: locale})
        error = only_error(exc)
        assert error["msg"] == expected.message(locale)
        (again,) = json.loads(exc.value.json(include_url=False))  # FastAPI's 422 body
        assert again["msg"] == expected.message(locale)
        assert localize_errors([error], locale)[0]["msg"] == expected.message(locale)
