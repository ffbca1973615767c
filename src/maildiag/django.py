"""maildiag for Django: a validator and a form field that say "Did you mean jane@gmail.com?".

Django's ``EmailValidator`` is a regular expression. :class:`MaildiagEmailValidator` also
catches typos, repairable input, the shop's deny list and, on request, disposable and role
addresses, and raises ``ValidationError`` with a stable ``code`` and ``params``::

    from django import forms
    from maildiag.django import MaildiagEmailField

    class SignupForm(forms.Form):
        email = MaildiagEmailField(error_messages={"email_typo": "Did you mean %(suggestion)s?"})

=====================  ===============================================================
code                   when
=====================  ===============================================================
``email_typo``         a suggestion exists (a typo, or input maildiag can repair)
``invalid``            not an email address (Django's own code for it, so existing
                       ``error_messages={"invalid": ...}`` keep working)
``email_reserved``     a reserved or special-use domain (``example.com``, ``.test``,
                       ``.localhost``); the shop's own test domains go in ``allow``
``email_denied``       on the shop's ``deny`` list
``email_disposable``   a disposable inbox, with ``refuse_disposable=True``
``email_role``         a role account (``sales@``), with ``refuse_role=True``
``email_undeliverable``  DNS says the domain cannot receive mail (only with ``offline=False``)
=====================  ===============================================================

``params`` hold ``value`` (the input), ``suggestion`` (the address to offer, or ``""``) and
``code`` (maildiag's finding code, such as ``domain.typo``). With no ``message`` given, the
message is maildiag's customer text in the active Django language (``he`` gives Hebrew;
languages maildiag does not ship fall back to English).

The check is offline by default. ``offline=False`` adds DNS with a hard ``deadline``; a
lookup that fails on *our* side (timeout, SERVFAIL, a lying resolver) never blocks the
customer. Install with ``pip install 'maildiag[django]'``.

Messages are plain text: Django's templates escape ``ValidationError`` messages when they
render ``{{ form.errors }}`` or ``{{ form.email.errors }}``, so maildiag never marks them
safe and never escapes them itself (that would show ``&lt;`` on the page).
"""

from __future__ import annotations

# Django ships no type hints (django-stubs is a separate project): the ignores name their
# code, and `unused-ignore` keeps mypy quiet once the stubs are installed.
try:
    from django import forms  # type: ignore[import-untyped, unused-ignore]
    from django.core.exceptions import ValidationError  # type: ignore[import-untyped, unused-ignore]
    from django.utils import translation  # type: ignore[import-untyped, unused-ignore]
    from django.utils.deconstruct import deconstructible  # type: ignore[import-untyped, unused-ignore]
except ImportError as exc:  # pragma: no cover - exercised in a subprocess by the tests
    raise ImportError("maildiag.django needs Django: pip install 'maildiag[django]'") from exc

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

from maildiag._forms import Refusal, as_strings, build_options, judge
from maildiag.options import Options

__all__ = ["DEFAULT_FORM_DEADLINE", "ERROR_CODES", "MaildiagEmailField", "MaildiagEmailValidator"]

#: The ``ValidationError.code`` of each refusal kind. These strings are API.
ERROR_CODES: Mapping[str, str] = MappingProxyType(
    {
        "typo": "email_typo",
        "syntax": "invalid",
        "reserved": "email_reserved",
        "denied": "email_denied",
        "disposable": "email_disposable",
        "role": "email_role",
        "undeliverable": "email_undeliverable",
    }
)

#: Seconds of DNS a form submission may wait when ``offline=False``: a customer is waiting.
DEFAULT_FORM_DEADLINE = 1.5


@deconstructible(path="maildiag.django.MaildiagEmailValidator")
class MaildiagEmailValidator:
    """A Django validator backed by :func:`maildiag.diagnose`.

    Usable in ``forms.EmailField(validators=[...])``, ``models.EmailField(validators=[...])``
    (it deconstructs for migrations) or on its own.

    Args:
        offline: skip DNS (the default). With ``False``, the domain's mail set-up is looked
            up synchronously within ``deadline``; ``unknown`` results are accepted.
        deadline: seconds all DNS of one validation may take (only with ``offline=False``).
        extra_domains: the shop's own known-good domains: typo targets, never "corrected".
        allow: domains or addresses the shop trusts (no disposable, role or deny refusal).
        deny: domains or addresses the shop refuses (code ``email_denied``).
        refuse_disposable: refuse disposable inboxes (``email_disposable``); accepted otherwise.
        refuse_role: refuse role accounts such as ``sales@`` (``email_role``); accepted otherwise.
        accept_as_typed: the customer kept the address after seeing the suggestion: judge it
            as typed (no typo suggestion); repaired input still cannot be kept.
        message: one message for every refusal (may be ``gettext_lazy``; ``%(suggestion)s``,
            ``%(value)s`` and ``%(code)s`` are filled). ``None``: maildiag's own text.
        code: one code for every refusal instead of :data:`ERROR_CODES`.
        resolver: a synchronous resolver (``dns.resolver.Resolver`` or
            ``maildiag.testing.FakeResolver``). Not serializable: keep it out of model fields.
    """

    def __init__(
        self,
        *,
        offline: bool = True,
        deadline: float = DEFAULT_FORM_DEADLINE,
        extra_domains: Iterable[str] = (),
        allow: Iterable[str] = (),
        deny: Iterable[str] = (),
        refuse_disposable: bool = False,
        refuse_role: bool = False,
        accept_as_typed: bool = False,
        message: Any = None,
        code: str | None = None,
        resolver: Any = None,
    ) -> None:
        self.offline = offline
        self.deadline = deadline
        self.extra_domains = as_strings("extra_domains", extra_domains)
        self.allow = as_strings("allow", allow)
        self.deny = as_strings("deny", deny)
        self.refuse_disposable = refuse_disposable
        self.refuse_role = refuse_role
        self.accept_as_typed = accept_as_typed
        self.message = message
        self.code = code
        self.resolver = resolver
        # Built (and checked) once, when the form or model class is defined.
        self._options: Options = build_options(
            None,
            offline=offline,
            extra_domains=self.extra_domains,
            allow=self.allow,
            deny=self.deny,
            deadline=deadline,
            resolver=resolver,
        )

    def _key(self) -> tuple[Any, ...]:
        return (
            self.offline, self.deadline, self.extra_domains, self.allow, self.deny, self.refuse_disposable,
            self.refuse_role, self.accept_as_typed, self.message, self.code, self.resolver,
        )  # fmt: skip

    def __eq__(self, other: object) -> bool:
        # Migrations compare validators to decide whether a field changed.
        if not isinstance(other, MaildiagEmailValidator):
            return NotImplemented
        return self._key() == other._key()

    # Unhashable, like Django's own validators: equal validators may hold unhashable resolvers.
    __hash__ = None  # type: ignore[assignment]

    def __call__(self, value: Any) -> None:
        """Raise ``ValidationError`` unless the form should take ``value``."""
        outcome = judge(
            str(value) if value is not None else "",
            self._options,
            refuse_disposable=self.refuse_disposable,
            refuse_role=self.refuse_role,
            accept_as_typed=self.accept_as_typed,
        )
        if isinstance(outcome, Refusal):
            raise self._error(outcome, value)

    def replace(self, **changes: Any) -> MaildiagEmailValidator:
        """A copy with ``changes`` applied (``validator.replace(accept_as_typed=True)``)."""
        kwargs: dict[str, Any] = {
            "offline": self.offline, "deadline": self.deadline, "extra_domains": self.extra_domains,
            "allow": self.allow, "deny": self.deny, "refuse_disposable": self.refuse_disposable,
            "refuse_role": self.refuse_role, "accept_as_typed": self.accept_as_typed, "message": self.message,
            "code": self.code, "resolver": self.resolver,
        }  # fmt: skip
        kwargs.update(changes)
        return MaildiagEmailValidator(**kwargs)

    def _error(self, refusal: Refusal, value: Any) -> ValidationError:
        params = {"value": value, "suggestion": refusal.suggestion or "", "code": refusal.code}
        message = self.message
        if message is None:
            # Read the language now, not when the form was defined: it is the request's.
            locale = translation.get_language() or "en"
            # Django %-formats messages that come with params: a literal % must be doubled.
            message = refusal.message(locale).replace("%", "%%")
        return ValidationError(message, code=self.code or ERROR_CODES[refusal.kind], params=params)


class MaildiagEmailField(forms.EmailField):  # type: ignore[misc, unused-ignore]  # Django is untyped
    """``forms.EmailField`` checked by maildiag *instead of* Django's regular expression.

    Django's own ``validate_email`` would also run on a plain ``EmailField`` and add
    "Enter a valid email address." next to maildiag's "Did you mean ...?" for repairable
    input such as ``jane@gmail,com``; this field runs maildiag alone. Keyword arguments
    of :class:`MaildiagEmailValidator` configure it; the rest go to ``EmailField``. Use it
    in a ``ModelForm`` through ``Meta.field_classes = {"email": MaildiagEmailField}``.
    """

    default_validators: list[Any] = []  # noqa: RUF012 - Django's own class attribute
    validators: list[Any]  # set by forms.Field.__init__ (Django has no type hints)

    _VALIDATOR_ARGS = frozenset(
        {
            "offline", "deadline", "extra_domains", "allow", "deny", "refuse_disposable", "refuse_role",
            "accept_as_typed", "message", "code", "resolver",
        }
    )  # fmt: skip

    def __init__(self, **kwargs: Any) -> None:
        settings = {k: kwargs.pop(k) for k in list(kwargs) if k in self._VALIDATOR_ARGS}
        self.maildiag_validator = MaildiagEmailValidator(**settings)
        kwargs["validators"] = [self.maildiag_validator, *kwargs.get("validators", ())]
        super().__init__(**kwargs)

    def accept_as_typed(self) -> None:
        """Judge the address as typed from now on: the customer saw the suggestion and kept it.

        Call it on the form's own copy of the field (``self.fields["email"]`` in the form's
        ``__init__``), when the submission says the customer insists; docs/integrations.md.
        """
        kept = self.maildiag_validator.replace(accept_as_typed=True)
        self.validators = [kept if v is self.maildiag_validator else v for v in self.validators]
        self.maildiag_validator = kept
