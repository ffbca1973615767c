"""The values maildiag returns: :class:`Diagnosis` and the parts it is made of.

Everything here is a frozen dataclass. A diagnosis is a *value*: it never raises,
it compares by content, and ``Diagnosis.from_dict(d.to_dict()) == d`` holds for
every diagnosis (a property test checks it). ``to_dict()`` builds a new structure
of plain JSON types and never changes the object it was called on.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Literal, NoReturn, TypeAlias, TypeVar, cast, get_args

__all__ = [
    "Actor",
    "Blame",
    "Diagnosis",
    "DnsAnswer",
    "DnsStatus",
    "Finding",
    "MxHost",
    "ParamValue",
    "ProviderMatch",
    "Severity",
    "Verdict",
]

#: The types a finding's parameter may hold. Lists given by callers are stored as tuples.
ParamValue: TypeAlias = str | int | float | bool | None | tuple[str, ...]


class Verdict(StrEnum):
    """What a shop should do with the address, from best to worst news.

    - ``ok``: nothing wrong was found (how sure depends on the checks that ran).
    - ``fix``: the customer very likely mistyped it; :attr:`Diagnosis.suggestion` holds the fix.
    - ``risky``: mail may arrive but something is known to get in the way (disposable,
      a quarantining gateway, a misconfigured MX...).
    - ``undeliverable``: mail to this address cannot arrive (bad syntax, no such domain, null MX).
    - ``unknown``: we could not tell, usually because *our* DNS or network failed. Never block a
      customer on ``unknown``.
    """

    OK = "ok"
    FIX = "fix"
    RISKY = "risky"
    UNDELIVERABLE = "undeliverable"
    UNKNOWN = "unknown"


class Severity(StrEnum):
    """How much a single finding matters."""

    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


class Blame(StrEnum):
    """Whose side the problem is on."""

    NONE = "none"
    ADDRESS = "address"  # the customer typed it wrong / the mailbox does not exist
    DOMAIN = "domain"  # the domain's mail set-up (no MX, null MX, broken hosts)
    PROVIDER_POLICY = "provider_policy"  # the mailbox provider's filtering or policy
    SENDER = "sender"  # the shop's own sending (reputation, authentication); bounces only
    OUR_NETWORK = "our_network"  # our resolver or network failed: says nothing of the address
    TRANSIENT = "transient"  # a temporary condition (greylisting, full mailbox, rate limit)


class Actor(StrEnum):
    """Who must act to fix a finding."""

    NOBODY = "nobody"
    CUSTOMER = "customer"
    SHOP = "shop"
    CUSTOMER_IT = "customer_it"


class DnsStatus(StrEnum):
    """The outcome of one DNS query, as the pure core sees it."""

    OK = "ok"
    NXDOMAIN = "nxdomain"  # RFC 8020: the name does not exist
    NODATA = "nodata"  # the name exists but has no record of this type
    SERVFAIL = "servfail"
    REFUSED = "refused"
    TIMEOUT = "timeout"  # the query, or our overall deadline, ran out
    NO_RESOLVER = "no_resolver"  # no nameserver is configured on this machine
    ERROR = "error"  # anything else (malformed answer, YXDOMAIN...)


_E = TypeVar("_E", bound=StrEnum)


class _Fields:
    """Checked access to one object of :meth:`Diagnosis.to_dict` output.

    ``from_dict`` reads data that crossed a process boundary (JSON in a queue, a database
    row): every problem becomes a :class:`~maildiag.errors.DiagnosisDataError` that names
    the field, rather than a ``KeyError`` or a string silently split into letters.
    """

    _REQUIRED: Any = object()

    def __init__(self, data: object, where: str) -> None:
        if not isinstance(data, Mapping):
            self.fail(where, "an object", data)
        self.data: Mapping[str, Any] = data
        self.where = where

    @staticmethod
    def fail(where: str, expected: str, got: object) -> NoReturn:
        from maildiag.errors import DiagnosisDataError

        shown = repr(got) if isinstance(got, str | int | float | bool | None) else type(got).__name__
        raise DiagnosisDataError(f"{where}: expected {expected}, got {shown[:80]}")

    def _get(self, key: str, default: Any) -> Any:
        if key in self.data:
            return self.data[key]
        if default is self._REQUIRED:
            from maildiag.errors import DiagnosisDataError

            raise DiagnosisDataError(f"{self.where}.{key}: missing")
        return default

    def text(self, key: str, default: Any = _REQUIRED) -> str:
        value = self._get(key, default)
        if not isinstance(value, str):
            self.fail(f"{self.where}.{key}", "a string", value)
        return value

    def one_of(self, key: str, allowed: tuple[str, ...]) -> str:
        value = self.text(key)
        if value not in allowed:
            self.fail(f"{self.where}.{key}", "one of " + ", ".join(allowed), value)
        return value

    def optional_text(self, key: str) -> str | None:
        value = self._get(key, None)
        if value is not None and not isinstance(value, str):
            self.fail(f"{self.where}.{key}", "a string or null", value)
        return value

    def integer(self, key: str) -> int:
        value = self._get(key, self._REQUIRED)
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(f"{self.where}.{key}", "an integer", value)
        return value

    def flag(self, key: str, default: bool) -> bool:
        value = self._get(key, default)
        if not isinstance(value, bool):
            self.fail(f"{self.where}.{key}", "true or false", value)
        return value

    def fraction(self, key: str, default: float) -> float:
        value = self._get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 <= value <= 1.0:
            self.fail(f"{self.where}.{key}", "a number from 0 to 1", value)
        return float(value)

    def choice(self, key: str, kind: type[_E], default: Any = _REQUIRED) -> _E:
        value = self._get(key, default)
        try:
            return kind(value)
        except ValueError:
            self.fail(f"{self.where}.{key}", "one of " + ", ".join(m.value for m in kind), value)

    def texts(self, key: str) -> tuple[str, ...]:
        value = self._get(key, ())
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            self.fail(f"{self.where}.{key}", "a list of strings", value)
        return tuple(value)

    def objects(self, key: str) -> list[_Fields]:
        value = self._get(key, ())
        if not isinstance(value, list | tuple):
            self.fail(f"{self.where}.{key}", "a list of objects", value)
        return [_Fields(item, f"{self.where}.{key}[{i}]") for i, item in enumerate(value)]

    def mapping(self, key: str, values: str) -> Mapping[str, Any]:
        value = self._get(key, {})
        if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
            self.fail(f"{self.where}.{key}", "an object", value)
        for k, v in value.items():
            ok = isinstance(v, str) if values == "text" else (
                v is None or isinstance(v, str | int | float | bool)
                or (isinstance(v, list | tuple) and all(isinstance(x, str) for x in v))
            )
            if not ok:
                self.fail(f"{self.where}.{key}.{k}", "a string" if values == "text" else "a JSON value", v)
        return value


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def scrub_text(text: str) -> str:
    """``text`` with every lone surrogate (U+D800-U+DFFF) replaced by U+FFFD.

    A Python ``str`` can hold lone surrogates (``os.fsdecode`` of bad bytes, a JSON
    ``"\\ud800"``); no UTF-8 text can, and JSON turns an adjacent pair of them into one
    other character, so a value holding them could not round-trip (issue 9.5). Values keep
    U+FFFD instead, the Unicode replacement character; the finding about the input
    (``syntax.unsafe_chars``) was made from the input itself.
    """
    if text.isascii():
        return text
    return _LONE_SURROGATE.sub("\ufffd", text)


def _scrub_texts(values: Any) -> tuple[str, ...]:
    """``values`` as a tuple of scrubbed strings (cheap when all are ASCII, the usual case)."""
    if type(values) is tuple and all(type(v) is str and v.isascii() for v in values):
        return values
    return tuple(scrub_text(str(v)) for v in values)


def _scrub_fields(obj: Any, names: tuple[str, ...]) -> None:
    """Scrub the text fields ``names`` of a frozen dataclass in place (``None`` stays)."""
    for name in names:
        value = getattr(obj, name)
        if value is not None and not value.isascii():
            object.__setattr__(obj, name, scrub_text(value))


class _Html(str):
    """Text that is already HTML: ``__html__`` tells Jinja2 (markupsafe) and Django so."""

    __slots__ = ()

    def __html__(self) -> str:
        return str(self)


def _html_value(value: str) -> str:
    """A message value for a page: escaped, and isolated for bidi (``<bdi>``, HTML §4.5.24).

    Values are inserted text of unknown direction (a Hebrew IDN domain in an English
    sentence, ``12345@qq.com`` in a Hebrew one); an isolate keeps each one's characters from
    reordering with the sentence around it, which the bidi algorithm alone does not.
    """
    from maildiag._safe_text import html

    return f"<bdi>{html(value)}</bdi>"


def _freeze_value(value: Any) -> ParamValue:
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value) if isinstance(value, set | frozenset) else value
        return tuple(scrub_text(str(v)) for v in items)
    if isinstance(value, str):
        return scrub_text(value)
    if value is None or isinstance(value, bool | int | float):
        return value
    return scrub_text(str(value))


def freeze_params(params: Mapping[str, Any] | None) -> Mapping[str, ParamValue]:
    """Copy ``params`` into a read-only mapping of JSON-compatible values."""
    if not params:
        return MappingProxyType({})
    return MappingProxyType({scrub_text(str(k)): _freeze_value(v) for k, v in params.items()})


def _thaw(value: ParamValue) -> Any:
    return list(value) if isinstance(value, tuple) else value


def _enum_value(value: StrEnum | str) -> str:
    return value.value if isinstance(value, StrEnum) else value


@dataclasses.dataclass(frozen=True, slots=True)
class Finding:
    """One thing maildiag noticed, with a stable dotted ``code``.

    The code (``domain.typo``, ``mx.null``...) is the API; the English text is not.
    ``params`` fill the message templates (see :func:`maildiag.messages.render`) and
    ``evidence`` holds short facts that led to the finding (the DNS answers seen,
    the MX host that matched...).
    """

    code: str
    severity: Severity
    blame: Blame = Blame.NONE
    actor: Actor = Actor.NOBODY
    params: Mapping[str, ParamValue] = dataclasses.field(default_factory=dict)
    evidence: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # Checks before conversions: findings are built on the checkout hot path.
        if type(self.severity) is not Severity:
            object.__setattr__(self, "severity", Severity(self.severity))
        if type(self.blame) is not Blame:
            object.__setattr__(self, "blame", Blame(self.blame))
        if type(self.actor) is not Actor:
            object.__setattr__(self, "actor", Actor(self.actor))
        if type(self.params) is not MappingProxyType:
            object.__setattr__(self, "params", freeze_params(self.params))
        object.__setattr__(self, "evidence", _scrub_texts(self.evidence))
        _scrub_fields(self, ("code",))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Finding):
            return NotImplemented
        return self.to_dict() == other.to_dict()

    def __hash__(self) -> int:
        return hash((self.code, self.severity, tuple(sorted(self.params.items()))))

    def message(self, locale: str = "en") -> str:
        """The customer-facing text for this finding in ``locale`` (falls back to English)."""
        from maildiag.messages import render

        return render(self.code, self.params, locale)

    def message_html(self, locale: str = "en") -> str:
        """:meth:`message` as HTML for a page: every value escaped and isolated in ``<bdi>``.

        Messages are plain text (``message()``); this is their rendering for a page.
        Values (an address, an MX name, a server's reply) are escaped (``& < > " '``) and each
        one is wrapped in ``<bdi>...</bdi>`` (HTML's bidi isolate, direction from its own first
        strong character); the template text is maildiag's and holds no markup. The isolate is
        what keeps ``12345@qq.com`` from showing as ``qq.com@12345`` inside a Hebrew sentence
        (W3C, "Inline markup and bidirectional text in HTML"). For element content only, not an
        attribute value.

        The string returned has ``__html__`` (the markupsafe protocol): Jinja2 with autoescape
        and Django's templates show it as it is, never escaped a second time, so no ``|safe``
        is needed. Concatenated with other text it becomes a plain ``str`` again.
        """
        from maildiag.messages import render

        return _Html(render(self.code, self.params, locale, escape=_html_value))

    def to_dict(self) -> dict[str, Any]:
        """A new JSON-compatible dict; does not change ``self``."""
        return {
            "code": self.code,
            "severity": self.severity.value,
            "blame": self.blame.value,
            "actor": self.actor.value,
            "params": {k: _thaw(v) for k, v in self.params.items()},
            "evidence": list(self.evidence),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Finding:
        """Rebuild a finding from :meth:`to_dict` output.

        Raises:
            maildiag.errors.DiagnosisDataError: ``data`` is not a serialized finding.
        """
        return cls._read(_Fields(data, "finding"))

    @classmethod
    def _read(cls, f: _Fields) -> Finding:
        # A code this version does not know is kept: data from a newer maildiag stays
        # readable (its message falls back to the code itself).
        return cls(
            code=f.text("code"),
            severity=f.choice("severity", Severity),
            blame=f.choice("blame", Blame, "none"),
            actor=f.choice("actor", Actor, "nobody"),
            params=f.mapping("params", "json"),
            evidence=f.texts("evidence"),
        )


@dataclasses.dataclass(frozen=True, slots=True)
class DnsAnswer:
    """What one DNS query returned. Records are in presentation format.

    MX records read ``"10 mx1.example."``; A/AAAA records are addresses.
    ``canonical_name`` is set when the name was an alias (CNAME) for another.
    """

    name: str
    rdtype: str
    status: DnsStatus
    records: tuple[str, ...] = ()
    canonical_name: str | None = None
    detail: str = ""
    #: Seconds the answer may be kept (the record TTL; for NXDOMAIN/NODATA the SOA-derived
    #: negative TTL of RFC 2308 §5), ``None`` when the resolver did not say. Only maildiag's
    #: per-domain cache reads it: not part of equality or of :meth:`to_dict`.
    ttl: float | None = dataclasses.field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "status", DnsStatus(self.status))
        object.__setattr__(self, "records", _scrub_texts(self.records))
        # No lone surrogates in any value (issue 9.5): see scrub_text.
        _scrub_fields(self, ("name", "rdtype", "canonical_name", "detail"))

    def describe(self) -> str:
        """A one-line summary for evidence lists: ``MX example.com: 10 mx.example.com.``."""
        if self.status is DnsStatus.OK:
            body = " | ".join(self.records)
            if self.canonical_name:
                body += f" (via CNAME {self.canonical_name})"
        else:
            body = self.status.value.upper() + (f" ({self.detail})" if self.detail else "")
        return f"{self.rdtype} {self.name}: {body}"

    def to_dict(self) -> dict[str, Any]:
        """A new JSON-compatible dict."""
        return {
            "name": self.name,
            "rdtype": self.rdtype,
            "status": self.status.value,
            "records": list(self.records),
            "canonical_name": self.canonical_name,
            "detail": self.detail,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DnsAnswer:
        """Rebuild from :meth:`to_dict` output (raises ``DiagnosisDataError`` otherwise)."""
        return cls._read(_Fields(data, "dns"))

    @classmethod
    def _read(cls, f: _Fields) -> DnsAnswer:
        return cls(
            name=f.text("name"),
            rdtype=f.text("rdtype"),
            status=f.choice("status", DnsStatus),
            records=f.texts("records"),
            canonical_name=f.optional_text("canonical_name"),
            detail=f.text("detail", ""),
        )


@dataclasses.dataclass(frozen=True, slots=True)
class MxHost:
    """One mail exchanger of the domain, as found in DNS (RFC 5321 §5.1).

    ``implicit`` is true when the domain has no MX and its own address records act as
    the mail exchanger.
    """

    preference: int
    host: str
    addresses: tuple[str, ...] = ()
    implicit: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "addresses", _scrub_texts(self.addresses))
        _scrub_fields(self, ("host",))

    def to_dict(self) -> dict[str, Any]:
        """A new JSON-compatible dict."""
        return {
            "preference": self.preference,
            "host": self.host,
            "addresses": list(self.addresses),
            "implicit": self.implicit,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MxHost:
        """Rebuild from :meth:`to_dict` output (raises ``DiagnosisDataError`` otherwise)."""
        return cls._read(_Fields(data, "mx"))

    @classmethod
    def _read(cls, f: _Fields) -> MxHost:
        return cls(
            preference=f.integer("preference"),
            host=f.text("host"),
            addresses=f.texts("addresses"),
            implicit=f.flag("implicit", False),
        )


#: The kinds of provider (a closed set: a provider entry with another kind is refused).
ProviderKind: TypeAlias = Literal[
    "consumer_webmail", "hosted_workspace", "security_gateway", "isp", "filtered_isp", "disposable", "hosting"
]
#: How a provider was recognised: by an MX host name, or by the address's domain.
MatchedBy: TypeAlias = Literal["mx", "domain"]


@dataclasses.dataclass(frozen=True, slots=True)
class ProviderMatch:
    """Who runs the mailbox, and how we know.

    ``kind`` is one of ``consumer_webmail``, ``hosted_workspace``, ``security_gateway``,
    ``isp``, ``filtered_isp``, ``disposable``, ``hosting``. ``matched_by`` is ``"mx"``
    or ``"domain"``, and ``matched`` the MX host or domain that matched.
    """

    id: str
    name: str
    kind: ProviderKind
    matched_by: MatchedBy
    matched: str

    def __post_init__(self) -> None:
        _scrub_fields(self, ("id", "name", "kind", "matched_by", "matched"))

    def to_dict(self) -> dict[str, Any]:
        """A new JSON-compatible dict."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ProviderMatch:
        """Rebuild from :meth:`to_dict` output (raises ``DiagnosisDataError`` otherwise)."""
        return cls._read(_Fields(data, "providers"))

    @classmethod
    def _read(cls, f: _Fields) -> ProviderMatch:
        return cls(
            id=f.text("id"),
            name=f.text("name"),
            kind=cast("ProviderKind", f.one_of("kind", get_args(ProviderKind))),
            matched_by=cast("MatchedBy", f.one_of("matched_by", get_args(MatchedBy))),
            matched=f.text("matched"),
        )


@dataclasses.dataclass(frozen=True, slots=True)
class Diagnosis:
    """The answer to "will mail to this address arrive, and if not, why?".

    Attributes:
        address: the input exactly as given.
        normalized: the normalized address (email-validator's normal form), or ``None``
            when the input could not be parsed as an address at all.
        verdict: the overall :class:`Verdict`.
        blame: whose side the deciding problem is on.
        confidence: how sure we are of the verdict, from 0 to 1.
        suggestion: a corrected address to offer the customer ("Did you mean ...?").
        findings: everything noticed, most severe first.
        domain: the domain part (Unicode form) when one could be found.
        mx: the mail exchangers, sorted by preference, when DNS was checked.
        providers: who runs the mailbox (MX-based first, then domain-based).
        dns: every DNS answer seen, as evidence.
        data_versions: the versions of the data sets used (disposable list, PSL...).
        checks: the checks that ran (``syntax``, ``typo``, ``dns``...).
    """

    address: str
    normalized: str | None
    verdict: Verdict
    blame: Blame = Blame.NONE
    confidence: float = 0.0
    suggestion: str | None = None
    findings: tuple[Finding, ...] = ()
    domain: str | None = None
    mx: tuple[MxHost, ...] = ()
    providers: tuple[ProviderMatch, ...] = ()
    dns: tuple[DnsAnswer, ...] = ()
    data_versions: Mapping[str, str] = dataclasses.field(default_factory=dict)
    checks: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if type(self.verdict) is not Verdict:
            object.__setattr__(self, "verdict", Verdict(self.verdict))
        if type(self.blame) is not Blame:
            object.__setattr__(self, "blame", Blame(self.blame))
        for name in ("findings", "mx", "providers", "dns", "checks"):
            value = getattr(self, name)
            if type(value) is not tuple:
                object.__setattr__(self, name, tuple(value))
        if type(self.data_versions) is not MappingProxyType or not all(
            k.isascii() and v.isascii() for k, v in self.data_versions.items()
        ):
            versions = {scrub_text(str(k)): scrub_text(str(v)) for k, v in self.data_versions.items()}
            object.__setattr__(self, "data_versions", MappingProxyType(versions))
        object.__setattr__(self, "checks", _scrub_texts(self.checks))
        # Never hold lone surrogates (issue 9.5): the input text is kept, each one as U+FFFD;
        # the nested values (findings, mx, dns, providers) scrub their own.
        _scrub_fields(self, ("address", "normalized", "suggestion", "domain"))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Diagnosis):
            return NotImplemented
        return self.to_dict() == other.to_dict()

    def __hash__(self) -> int:
        return hash((self.address, self.verdict, self.codes))

    # -- convenience ---------------------------------------------------------------------

    @property
    def ok(self) -> bool:
        """True when the verdict is ``ok``."""
        return self.verdict is Verdict.OK

    @property
    def codes(self) -> tuple[str, ...]:
        """The codes of all findings, in order."""
        return tuple(f.code for f in self.findings)

    @property
    def provider(self) -> ProviderMatch | None:
        """The most specific provider known (the first of :attr:`providers`), if any."""
        return self.providers[0] if self.providers else None

    def has(self, code: str) -> bool:
        """True when a finding with ``code`` (or under the prefix ``code.``) is present."""
        return any(f.code == code or f.code.startswith(code + ".") for f in self.findings)

    def find(self, code: str) -> Finding | None:
        """The first finding with exactly ``code``, or ``None``."""
        return next((f for f in self.findings if f.code == code), None)

    def message(self, locale: str = "en") -> str:
        """The text a shop shows the customer: the most important finding's message.

        Returns an empty string when there is nothing to tell the customer.
        """
        shown = self.messages(locale)
        return shown[0] if shown else ""

    def messages(self, locale: str = "en") -> list[str]:
        """Messages of the findings worth showing a customer (warnings and errors), in order.

        ``info`` findings (a provider's tips, "free webmail") are left out; their messages
        are still available through :meth:`Finding.message`, and the tailored steps through
        :func:`maildiag.checklist.checklist`. So are findings that only say what could not be
        checked (``dns.timeout``: their verdict is ``unknown``) when something known decides
        the verdict: "You can continue" must not follow "Please use a permanent address"
        (issue 10.6). They stay in :attr:`findings` for the support desk.
        """
        return [f.message(locale) for f in self._shown()]

    def _shown(self) -> list[Finding]:
        from maildiag.catalog import codes

        known = self.verdict is not Verdict.UNKNOWN
        table = codes()
        return [
            f for f in self.findings
            if f.severity is not Severity.INFO
            and not (known and f.code in table and table[f.code].verdict is Verdict.UNKNOWN)
        ]

    def message_html(self, locale: str = "en") -> str:
        """:meth:`message` as HTML: values escaped and isolated (see :meth:`Finding.message_html`)."""
        shown = self.messages_html(locale)
        return shown[0] if shown else ""

    def messages_html(self, locale: str = "en") -> list[str]:
        """:meth:`messages` as HTML: values escaped and isolated (see :meth:`Finding.message_html`)."""
        return [f.message_html(locale) for f in self._shown()]

    def raise_for_problems(self) -> Diagnosis:
        """Raise :class:`maildiag.UndeliverableError` unless the verdict is ``ok`` or ``risky``.

        Returns ``self`` otherwise, so it can be chained. ``unknown`` never raises: our own
        failure to check must not block a customer.
        """
        from maildiag.errors import UndeliverableError

        if self.verdict in (Verdict.FIX, Verdict.UNDELIVERABLE):
            raise UndeliverableError(self)
        return self

    # -- serialization -------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """A new JSON-compatible dict; never changes ``self``."""
        return {
            "address": self.address,
            "normalized": self.normalized,
            "verdict": self.verdict.value,
            "blame": self.blame.value,
            "confidence": self.confidence,
            "suggestion": self.suggestion,
            "findings": [f.to_dict() for f in self.findings],
            "domain": self.domain,
            "mx": [m.to_dict() for m in self.mx],
            "providers": [p.to_dict() for p in self.providers],
            "dns": [a.to_dict() for a in self.dns],
            "data_versions": dict(self.data_versions),
            "checks": list(self.checks),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Diagnosis:
        """Rebuild a diagnosis from :meth:`to_dict` output (for example after JSON).

        Raises:
            maildiag.errors.DiagnosisDataError: ``data`` is not a serialized diagnosis; the
                message names the field (``findings[2].params``).
        """
        f = _Fields(data, "diagnosis")
        return cls(
            address=f.text("address"),
            normalized=f.optional_text("normalized"),
            verdict=f.choice("verdict", Verdict),
            blame=f.choice("blame", Blame, "none"),
            confidence=f.fraction("confidence", 0.0),
            suggestion=f.optional_text("suggestion"),
            findings=tuple(Finding._read(x) for x in f.objects("findings")),
            domain=f.optional_text("domain"),
            mx=tuple(MxHost._read(x) for x in f.objects("mx")),
            providers=tuple(ProviderMatch._read(x) for x in f.objects("providers")),
            dns=tuple(DnsAnswer._read(x) for x in f.objects("dns")),
            data_versions=f.mapping("data_versions", "text"),
            checks=f.texts("checks"),
        )


def sort_findings(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    """Most severe first; stable otherwise (the order checks ran in)."""
    rank = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
    return tuple(sorted(findings, key=lambda f: rank[f.severity]))
