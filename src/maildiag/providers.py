"""Who runs the mailbox, from the domain's MX host names and from the domain itself.

The knowledge lives in package data, one TOML file per provider under
``maildiag/data/providers/`` (see ``docs/providers.md`` for the fields). Each entry lists the
MX host suffixes and the well-known mailbox domains of one provider, its *kind*
(``consumer_webmail``, ``hosted_workspace``, ``security_gateway``, ``isp``,
``filtered_isp``, ``disposable``, ``hosting``), the known-trouble finding codes that apply,
and the folder names a customer should look in, in English and Hebrew.

Identification needs no DNS query beyond the MX lookup the core already made: the host
names are matched against a suffix index built once (a dict lookup per label, right to
left), never against a list of patterns. The consumer/business split is decided by the
*exact* host (``gmail-smtp-in.l.google.com`` is Gmail, ``aspmx.l.google.com`` is Google
Workspace), so the longest matching suffix wins.

A shop adds or replaces entries without editing package data::

    Options(extra_providers=({"id": "our-gateway", "name": "Our gateway",
                              "kind": "security_gateway", "mx_suffixes": ["mx.corp.example"]},))
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from importlib import resources
from types import MappingProxyType
from typing import Any, cast, get_args

from maildiag import catalog
from maildiag.model import Finding, ProviderKind, ProviderMatch
from maildiag.options import Options

__all__ = [
    "KINDS",
    "PROBE_POLICIES",
    "Folder",
    "Mailbox",
    "Provider",
    "entries",
    "findings",
    "get",
    "identify",
    "is_known_domain",
    "parse_entry",
]

#: The kinds of provider an entry may declare (see :class:`maildiag.model.ProviderMatch`).
KINDS = frozenset(get_args(ProviderKind))

#: Finding codes implied by a provider's kind, whatever its ``trouble`` list says, so that a
#: shop's own gateway entry gets the quarantine advice without naming the code.
_KIND_TROUBLE: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "security_gateway": ("provider.gateway_quarantine",),
        "filtered_isp": ("provider.filtered_isp",),
    }
)

#: What an SMTP probe of a provider's MX can tell (the optional ``probe`` field of an entry):
#: ``reliable`` (RCPT answers mean what they say), ``accepts_all`` (RCPT is accepted for
#: unknown users too, as Exchange Online and Yahoo do), ``blocks`` (probes are refused or
#: rate limited, and the IP may get listed), ``hides_mailbox`` (a gateway or filter answers
#: for a mailbox it cannot see).
PROBE_POLICIES = frozenset({"reliable", "accepts_all", "blocks", "hides_mailbox"})

#: The probe policy of an entry without a ``probe`` field, from its kind.
_KIND_PROBE: Mapping[str, str] = MappingProxyType(
    {
        "consumer_webmail": "blocks",
        "security_gateway": "hides_mailbox",
        "filtered_isp": "hides_mailbox",
        "disposable": "accepts_all",
    }
)

#: Providers in these countries get the "is your internet filtered?" question: filtering
#: ISPs (NetFree, Rimon, Etrog) filter the subscriber's connection, so neither the address
#: nor its MX reveals them (docs/providers.md).
_FILTER_QUESTION_COUNTRIES = frozenset({"IL"})


@dataclasses.dataclass(frozen=True, slots=True)
class Folder:
    """A place in the mailbox to look in, as the provider names it.

    ``he_note`` says where the Hebrew name comes from (documented, or a descriptive text
    when the provider's Hebrew name is not documented).
    """

    en: str
    he: str
    he_note: str = ""

    def name(self, locale: str) -> str:
        """The name in ``locale`` (Hebrew for ``he``/``he-IL``, English otherwise)."""
        return self.he if locale.replace("_", "-").split("-")[0].lower() == "he" else self.en


@dataclasses.dataclass(frozen=True, slots=True)
class Mailbox:
    """How a provider names one mailbox, as its documentation says (the ``[mailbox]`` table).

    It decides which addresses are the same mailbox (``maildiag bulk``'s ``canonical``
    column): ``subaddress`` is the separator after which a tag is ignored (``"+"``: RFC 5233
    subaddressing), ``ignores_dots`` that dots in the local part do not count,
    ``ignores_case`` that letter case does not (RFC 5321 section 2.4 lets a server treat case
    as significant; these providers document that they do not), and ``domain`` the one
    domain every domain of the entry is an alias of (``googlemail.com`` is ``gmail.com``).
    Only what a provider documents is written down: no entry guesses.
    """

    subaddress: str = ""
    ignores_dots: bool = False
    ignores_case: bool = False
    domain: str = ""
    source: str = ""


@dataclasses.dataclass(frozen=True, slots=True)
class Provider:
    """One provider entry, as read from its data file (or from ``Options.extra_providers``)."""

    id: str
    name: str
    kind: ProviderKind
    mx_suffixes: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()
    example_mx: tuple[str, ...] = ()
    trouble: tuple[str, ...] = ()
    folders: Mapping[str, Folder] = dataclasses.field(default_factory=dict)
    safe_senders: Folder | None = None
    country: str = ""
    source: tuple[str, ...] = ()
    checked: str = ""
    notes: str = ""
    probe: str = ""
    mailbox: Mailbox | None = None

    @property
    def probe_policy(self) -> str:
        """What an SMTP probe can tell here: the ``probe`` field, else the kind's default."""
        return self.probe or _KIND_PROBE.get(self.kind, "reliable")

    @property
    def codes(self) -> tuple[str, ...]:
        """The known-trouble codes that apply: the kind's own, then the entry's list."""
        return tuple(dict.fromkeys((*_KIND_TROUBLE.get(self.kind, ()), *self.trouble)))


def _names(raw: Any, field: str, entry_id: str) -> tuple[str, ...]:
    if raw is None:
        return ()
    if isinstance(raw, str) or not isinstance(raw, Iterable):
        raise ValueError(f"provider {entry_id!r}: {field} must be a list of strings")
    return tuple(str(v).strip().rstrip(".").lower() for v in raw if str(v).strip())


def _folder(raw: Any, where: str) -> Folder:
    if not isinstance(raw, Mapping) or "en" not in raw:
        raise ValueError(f"{where} must be a table with at least 'en' (and 'he')")
    return Folder(en=str(raw["en"]), he=str(raw.get("he", raw["en"])), he_note=str(raw.get("he_note", "")))


def parse_entry(raw: Mapping[str, Any]) -> Provider:
    """Validate one provider entry (a data file's content or a shop's mapping).

    Raises :class:`ValueError` when a required field (``id``, ``name``, ``kind``) is missing,
    the kind is unknown, or a trouble code is not in the catalog.
    """
    try:
        entry_id, name, kind = str(raw["id"]), str(raw["name"]), str(raw["kind"])
    except KeyError as exc:
        raise ValueError(f"provider entry lacks the required field {exc.args[0]!r}") from None
    if kind not in KINDS:
        raise ValueError(f"provider {entry_id!r}: unknown kind {kind!r} (one of {sorted(KINDS)})")
    trouble = tuple(str(c) for c in raw.get("trouble", ()))
    for code in trouble:
        catalog.info(code)  # raises UnknownCodeError (a KeyError) for a typo in the data
    folders_raw = raw.get("folders") or {}
    if not isinstance(folders_raw, Mapping):
        raise ValueError(f"provider {entry_id!r}: folders must be a table")
    folders = {str(k): _folder(v, f"provider {entry_id!r}: folders.{k}") for k, v in folders_raw.items()}
    safe = raw.get("safe_senders")
    probe = str(raw.get("probe", ""))
    if probe and probe not in PROBE_POLICIES:
        raise ValueError(f"provider {entry_id!r}: unknown probe policy {probe!r} (one of {sorted(PROBE_POLICIES)})")
    checked = raw.get("checked", "")
    mailbox = raw.get("mailbox")
    if mailbox is not None and not isinstance(mailbox, Mapping):
        raise ValueError(f"provider {entry_id!r}: mailbox must be a table")
    return Provider(
        id=entry_id,
        name=name,
        kind=cast("ProviderKind", kind),
        mx_suffixes=_names(raw.get("mx_suffixes"), "mx_suffixes", entry_id),
        domains=_names(raw.get("domains"), "domains", entry_id),
        example_mx=_names(raw.get("example_mx"), "example_mx", entry_id),
        trouble=trouble,
        folders=MappingProxyType(folders),
        safe_senders=_folder(safe, f"provider {entry_id!r}: safe_senders") if safe else None,
        country=str(raw.get("country", "")).upper(),
        source=tuple(str(s) for s in raw.get("source", ())),
        checked=checked.isoformat() if isinstance(checked, datetime.date) else str(checked),
        notes=str(raw.get("notes", "")),
        probe=probe,
        mailbox=_mailbox(mailbox, entry_id) if mailbox else None,
    )


def _mailbox(raw: Mapping[str, Any], entry_id: str) -> Mailbox:
    separator = str(raw.get("subaddress", ""))
    if len(separator) > 1 or separator.isalnum() or separator == "@":
        raise ValueError(f"provider {entry_id!r}: mailbox.subaddress must be one punctuation character")
    return Mailbox(
        subaddress=separator,
        ignores_dots=bool(raw.get("ignores_dots", False)),
        ignores_case=bool(raw.get("ignores_case", False)),
        domain=str(raw.get("domain", "")).strip().lower(),
        source=str(raw.get("source", "")),
    )


@functools.cache
def _shipped() -> Mapping[str, Provider]:
    """Every shipped entry, read once on first use (never at import)."""
    folder = resources.files("maildiag") / "data" / "providers"
    found: dict[str, Provider] = {}
    for item in sorted(folder.iterdir(), key=lambda e: e.name):
        if not item.name.endswith(".toml"):
            continue
        entry = parse_entry(tomllib.loads(item.read_text(encoding="utf-8")))
        if entry.id != item.name.removesuffix(".toml"):
            raise ValueError(f"{item.name}: id {entry.id!r} does not match the file name")
        found[entry.id] = entry
    return MappingProxyType(found)


@dataclasses.dataclass(frozen=True, slots=True)
class _Index:
    entries: Mapping[str, Provider]
    by_mx: Mapping[str, Provider]
    by_domain: Mapping[str, Provider]


def _build(entries: Mapping[str, Provider]) -> _Index:
    by_mx: dict[str, Provider] = {}
    by_domain: dict[str, Provider] = {}
    for entry in entries.values():
        for suffix in entry.mx_suffixes:
            by_mx[suffix] = entry
        for domain in entry.domains:
            by_domain[domain] = entry
    return _Index(MappingProxyType(dict(entries)), MappingProxyType(by_mx), MappingProxyType(by_domain))


@functools.cache
def _default_index() -> _Index:
    return _build(_shipped())


class _Same:
    """Hashes and compares by identity, so a tuple of (unhashable) mappings can key a cache.

    The cache holds this wrapper, hence the tuple, so its ``id`` cannot be reused while the
    cached index is alive.
    """

    __slots__ = ("value",)

    def __init__(self, value: tuple[Mapping[str, Any], ...]) -> None:
        self.value = value

    def __hash__(self) -> int:
        return id(self.value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Same) and other.value is self.value


@functools.lru_cache(maxsize=32)
def _extra_index(key: _Same) -> _Index:
    merged = dict(_shipped())
    for raw in key.value:
        entry = parse_entry(raw)
        merged[entry.id] = entry  # same id: the shop's entry replaces ours
    return _build(merged)


def _index(options: Options | None) -> _Index:
    if options is None or not options.extra_providers:
        return _default_index()
    return _extra_index(_Same(options.extra_providers))


def entries(options: Options | None = None) -> Mapping[str, Provider]:
    """Every provider entry by id: the shipped ones plus ``options.extra_providers``."""
    return _index(options).entries


def get(provider_id: str, options: Options | None = None) -> Provider | None:
    """The entry with ``provider_id``, or ``None``."""
    return _index(options).entries.get(provider_id)


def _longest_suffix(table: Mapping[str, Provider], name: str) -> Provider | None:
    # Walk the labels from the full name towards the root: the first hit is the longest
    # (most specific) suffix, which is what separates aspmx.l.google.com from gmail's host.
    while True:
        hit = table.get(name)
        if hit is not None:
            return hit
        dot = name.find(".")
        if dot < 0:
            return None
        name = name[dot + 1 :]


def identify(domain: str, mx_hosts: Sequence[str], options: Options) -> tuple[ProviderMatch, ...]:
    """The providers of ``domain``, MX-based first (in MX preference order), then by domain.

    ``mx_hosts`` are lower-case host names without trailing dot, sorted by preference; every
    host is looked at, since a gateway may front only some of them. When the domain is a
    provider's well-known mailbox domain whose provider is not already matched by MX, it is
    added too: a verizon.net address on AOL's MX gives AOL (``mx``) and Verizon (``domain``).
    With no MX hosts (offline), matching is by domain only. No DNS query is made.
    """
    index = _index(options)
    found: list[ProviderMatch] = []
    seen: set[str] = set()
    for host in mx_hosts:
        hit = _longest_suffix(index.by_mx, host.rstrip(".").lower())
        if hit is not None and hit.id not in seen:
            seen.add(hit.id)
            found.append(ProviderMatch(hit.id, hit.name, hit.kind, "mx", host))
    name = domain.rstrip(".").lower()
    by_domain = index.by_domain.get(name)
    if by_domain is not None and by_domain.id not in seen:
        found.append(ProviderMatch(by_domain.id, by_domain.name, by_domain.kind, "domain", name))
    return tuple(found)


def _folder_params(entry: Provider) -> dict[str, Any]:
    folders = list(entry.folders.values())
    return {
        "folders": "; ".join(f.en for f in folders),
        "folders_he": "; ".join(f.he for f in folders),
    }


def findings(matches: Sequence[ProviderMatch], options: Options) -> tuple[Finding, ...]:
    """Known-trouble findings for the matched providers, each code at most once.

    The first match that implies a code supplies its parameters; the evidence names the MX
    host or domain that matched.
    """
    index = _index(options)
    out: list[Finding] = []
    done: set[str] = set()
    for match in matches:
        entry = index.entries.get(match.id)
        if entry is None:
            continue
        codes = list(entry.codes)
        if entry.country in _FILTER_QUESTION_COUNTRIES and entry.kind != "filtered_isp":
            codes.append("provider.maybe_filtered")
        evidence = (f"{match.matched_by} {match.matched} -> {entry.id} ({entry.kind})",)
        for code in codes:
            if code in done:
                continue
            done.add(code)
            params: dict[str, Any] = {"provider": entry.name, "host": match.matched}
            params.update(_folder_params(entry))
            declared = catalog.info(code).params
            out.append(catalog.make(code, {k: v for k, v in params.items() if k in declared}, evidence))
    return tuple(out)


def is_known_domain(domain: str) -> bool:
    """True when ``domain`` is a shipped provider's well-known mailbox domain (it surely exists).

    Only consumer mailbox domains count: a disposable service may vanish any day.
    """
    entry = _default_index().by_domain.get(domain.rstrip(".").lower())
    return entry is not None and entry.kind != "disposable"
