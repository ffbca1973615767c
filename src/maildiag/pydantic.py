"""maildiag for pydantic (and FastAPI): an email field that says "Did you mean jane@gmail.com?".

``EmailStr`` checks syntax only. :data:`DiagEmail` also catches typos (``jane@gmial.com``),
repairable input (``jane@gmail,com``, ``mailto:...``) and, when the shop asks, disposable and
role addresses, with stable error types a frontend can act on::

    from pydantic import BaseModel
    from maildiag.pydantic import DiagEmail

    class Signup(BaseModel):
        email: DiagEmail

    Signup(email="jane@gmial.com")
    # ValidationError: [{'type': 'email_typo', 'msg': 'Did you mean jane@gmail.com?',
    #                    'ctx': {'code': 'domain.typo', 'suggestion': 'jane@gmail.com'}, ...}]

Validation is **offline** (syntax, typos, the data files): pydantic validators are
synchronous and run inside request handling, so no DNS is done here. Run the DNS check in
your endpoint with ``await maildiag.adiagnose(addr, deadline=1.5)`` (docs/integrations.md).

Error types (``ctx`` always holds maildiag's finding ``code``, and ``suggestion`` when
maildiag has one; ``params`` and ``message`` are there for :func:`localize_errors`):

=====================  ===============================================================
``email_typo``         a suggestion exists (a typo, or input maildiag can repair)
``email_syntax``       not an email address
``email_reserved``     a reserved or special-use domain (``example.com``, ``.test``,
                       ``.localhost``); the shop's own test domains go in ``allow``
``email_denied``       on the shop's ``deny`` list
``email_disposable``   a disposable inbox, and the shop set ``refuse_disposable``
``email_role``         a role account (``sales@``), and the shop set ``refuse_role``
=====================  ===============================================================

Messages (``msg``) are plain text, exactly maildiag's message: right for a JSON body. A page
that shows them escapes them (docs/integrations.md, "Showing messages on a page").

Install with ``pip install 'maildiag[pydantic]'``.
"""

from __future__ import annotations

try:
    import pydantic
    from pydantic_core import PydanticCustomError, core_schema
except ImportError as exc:  # pragma: no cover - exercised in a subprocess by the tests
    raise ImportError("maildiag.pydantic needs pydantic 2: pip install 'maildiag[pydantic]'") from exc

if not pydantic.VERSION.startswith("2."):  # pragma: no cover - pydantic 1 has no core schemas
    raise ImportError(f"maildiag.pydantic needs pydantic 2, not {pydantic.VERSION}: pip install 'maildiag[pydantic]'")

import dataclasses
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Annotated, Any

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue

from maildiag._forms import Refusal, as_strings, build_options, judge
from maildiag.options import Options

__all__ = [
    "ACCEPT_AS_TYPED_CONTEXT_KEY",
    "ERROR_TYPES",
    "LOCALE_CONTEXT_KEY",
    "DiagEmail",
    "MaildiagEmail",
    "diag_email",
    "localize_errors",
]

#: ``model_validate(..., context={LOCALE_CONTEXT_KEY: "he"})`` picks the messages' locale.
LOCALE_CONTEXT_KEY = "maildiag_locale"
#: ``model_validate(..., context={ACCEPT_AS_TYPED_CONTEXT_KEY: True})``: the customer kept
#: the address after seeing the suggestion.
ACCEPT_AS_TYPED_CONTEXT_KEY = "maildiag_accept_as_typed"

#: The pydantic error ``type`` of each refusal kind. These strings are API.
ERROR_TYPES: Mapping[str, str] = MappingProxyType(
    {
        "typo": "email_typo",
        "syntax": "email_syntax",
        "reserved": "email_reserved",
        "denied": "email_denied",
        "disposable": "email_disposable",
        "role": "email_role",
        "undeliverable": "email_undeliverable",
    }
)


@dataclasses.dataclass(frozen=True, slots=True)
class MaildiagEmail:
    """``Annotated`` metadata that makes a ``str`` field a maildiag-checked email address.

    ``Annotated[str, MaildiagEmail(refuse_disposable=True)]`` is the spelling type checkers
    understand; :func:`diag_email` builds the same type with less typing.

    Attributes:
        locale: the messages' locale when the validation context names none (``en``, ``he``;
            a tag such as ``he-IL`` uses its base language; unknown locales fall back to English).
        extra_domains: the shop's own known-good domains: typo targets, never "corrected".
        allow: domains or addresses the shop trusts (no disposable, role or deny refusal).
        deny: domains or addresses the shop refuses (error type ``email_denied``).
        refuse_disposable: refuse disposable inboxes (``email_disposable``); accepted otherwise.
        refuse_role: refuse role accounts such as ``sales@`` (``email_role``); accepted otherwise.
        accept_as_typed_field: the name of a boolean field of the same model, declared
            *before* this one, that is true when the customer kept the address after seeing
            the suggestion (pydantic shows a validator only the fields validated before it).
        options: a base :class:`maildiag.Options` for everything else (``extra_providers``,
            ``allow_smtputf8``...). ``offline`` is always forced on.
    """

    locale: str = "en"
    extra_domains: tuple[str, ...] = ()
    allow: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()
    refuse_disposable: bool = False
    refuse_role: bool = False
    accept_as_typed_field: str | None = None
    options: Options | None = None
    _options: Options = dataclasses.field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name in ("extra_domains", "allow", "deny"):
            object.__setattr__(self, name, as_strings(name, getattr(self, name)))
        # Built once per field type, not per validation: checkout validates this thousands
        # of times. Invalid settings fail here, when the model class is defined.
        opts = build_options(
            self.options, offline=True, extra_domains=self.extra_domains, allow=self.allow, deny=self.deny
        )
        object.__setattr__(self, "_options", opts)

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        if source is not str:
            raise TypeError(f"MaildiagEmail annotates str fields, not {source!r}")
        if self.accept_as_typed_field is not None:
            _check_accept_as_typed_field(self.accept_as_typed_field, handler)
        # handler(source) keeps what comes before in Annotated[...] (max_length, a shop's own
        # AfterValidator): maildiag runs after those, never instead of them.
        return core_schema.with_info_after_validator_function(self._validate, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        # What EmailStr publishes: clients (OpenAPI generators, browsers) know "email".
        json_schema = handler(schema)
        json_schema["format"] = "email"
        return json_schema

    def _validate(self, value: str, info: core_schema.ValidationInfo) -> str:
        context = info.context if isinstance(info.context, Mapping) else {}
        # Surrounding white space is dropped silently, as EmailStr and Django's form fields do;
        # hidden characters inside are maildiag's business (a repair to confirm).
        outcome = judge(
            value.strip(),
            self._options,
            refuse_disposable=self.refuse_disposable,
            refuse_role=self.refuse_role,
            accept_as_typed=self._accept_as_typed(context, info.data),
        )
        if isinstance(outcome, Refusal):
            locale = str(context.get(LOCALE_CONTEXT_KEY) or self.locale)
            raise _error(outcome, locale)
        return outcome

    def _accept_as_typed(self, context: Mapping[str, Any], data: Any) -> bool:
        if context.get(ACCEPT_AS_TYPED_CONTEXT_KEY):
            return True
        if self.accept_as_typed_field is None or not isinstance(data, Mapping):
            return False
        return data.get(self.accept_as_typed_field) is True


def _model_field_names(handler: GetCoreSchemaHandler) -> list[str] | None:
    """The fields of the model being defined, in pydantic's order (bases first), or None.

    pydantic does not hand a field's metadata its model; its schema generator knows it. That
    is internal, so anything unexpected means "cannot tell" and the check is skipped.
    """
    try:
        model = handler._generate_schema.model_type_stack.get()  # type: ignore[attr-defined]
    except Exception:
        return None
    if not isinstance(model, type):
        return None
    names: list[str] = []
    for klass in reversed(model.__mro__):
        for name in vars(klass).get("__annotations__", {}):
            if name not in names and not name.startswith("_"):
                names.append(name)
    return names


def _check_accept_as_typed_field(keep: str, handler: GetCoreSchemaHandler) -> None:
    """Fail at class definition when ``accept_as_typed_field`` could never be read (issue 10.7).

    pydantic shows a validator only the fields validated before it: a misspelt name, or a
    field declared after the email field, would be silently ignored and the customer could
    never keep what they typed.
    """
    names = _model_field_names(handler)
    field = getattr(handler, "field_name", None)
    if names is None or field not in names:
        return
    if keep not in names:
        raise TypeError(
            f"MaildiagEmail(accept_as_typed_field={keep!r}) on field {field!r}: the model has no field "
            f"{keep!r} (its fields: {', '.join(names)})"
        )
    if names.index(keep) > names.index(field):
        raise TypeError(
            f"MaildiagEmail(accept_as_typed_field={keep!r}) on field {field!r}: declare {keep!r} before "
            f"{field!r}; pydantic shows a validator only the fields validated before it"
        )


def _error(refusal: Refusal, locale: str) -> PydanticCustomError:
    ctx: dict[str, Any] = {"code": refusal.code}
    if refusal.suggestion is not None:
        ctx["suggestion"] = refusal.suggestion
    # The finding's params, so that localize_errors() can render the message again in the
    # locale a request asks for (FastAPI validates bodies before any code of the shop runs).
    ctx["params"] = refusal.finding.to_dict()["params"]
    # pydantic fills every "{key}" of an error's message template from ctx, in ctx's order,
    # and has no escape; '{code}@gmial.com' is an address ('{' and '}' are atext, RFC 5322
    # §3.2.3). So the template is only "{message}" and the message goes in last: nothing is
    # filled into the customer's text after it is placed.
    ctx["message"] = refusal.message(locale)
    return PydanticCustomError(ERROR_TYPES[refusal.kind], "{message}", ctx)


def diag_email(
    *,
    locale: str = "en",
    extra_domains: Iterable[str] = (),
    allow: Iterable[str] = (),
    deny: Iterable[str] = (),
    refuse_disposable: bool = False,
    refuse_role: bool = False,
    accept_as_typed_field: str | None = None,
    options: Options | None = None,
) -> Any:
    """A ``str`` field type checked by maildiag with these settings (see :class:`MaildiagEmail`).

    ``email: diag_email(refuse_disposable=True)`` works at run time; type checkers do not
    evaluate calls in annotations, so with mypy write
    ``Annotated[str, MaildiagEmail(refuse_disposable=True)]`` instead (the same type).
    """
    return Annotated[
        str,
        MaildiagEmail(
            locale=locale,
            extra_domains=as_strings("extra_domains", extra_domains),
            allow=as_strings("allow", allow),
            deny=as_strings("deny", deny),
            refuse_disposable=refuse_disposable,
            refuse_role=refuse_role,
            accept_as_typed_field=accept_as_typed_field,
            options=options,
        ),
    ]


#: An email address checked offline by maildiag with the default settings: typos and
#: repairable input are refused with a suggestion; disposable and role addresses accepted.
DiagEmail = Annotated[str, MaildiagEmail()]


def localize_errors(errors: Iterable[Mapping[str, Any]], locale: str) -> list[dict[str, Any]]:
    """pydantic validation errors with maildiag's messages rendered again in ``locale``.

    For FastAPI, which validates a request body before the endpoint runs, so no validation
    context can carry the request's language. In an exception handler::

        @app.exception_handler(RequestValidationError)
        async def localized(request: Request, exc: RequestValidationError) -> JSONResponse:
            locale = maildiag.messages.negotiate(request.headers.get("accept-language"))
            return JSONResponse({"detail": localize_errors(exc.errors(), locale)}, status_code=422)

    Errors that are not maildiag's are returned unchanged (as new dicts); ``type``, ``loc``
    and ``ctx`` (the stable ``code`` and the ``suggestion``) never change, only ``msg``.
    """
    from maildiag.messages import render

    out: list[dict[str, Any]] = []
    for error in errors:
        item = dict(error)
        ctx = item.get("ctx")
        if item.get("type") in ERROR_TYPES.values() and isinstance(ctx, Mapping) and isinstance(ctx.get("code"), str):
            params = ctx.get("params")
            item["msg"] = render(ctx["code"], params if isinstance(params, Mapping) else {}, locale)
            item["ctx"] = {**ctx, "message": item["msg"]}
        out.append(item)
    return out
