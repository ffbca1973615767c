"""Options: one immutable value holding every setting of a diagnosis.

There are no mutable module-level defaults. Pass ``Options(...)`` or keyword arguments
to :func:`maildiag.diagnose`; ``options.replace(deadline=1.0)`` derives a new value.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

__all__ = ["DEFAULT_DEADLINE", "MAX_DEADLINE", "Options", "ascii_domain", "cached_per_domain"]

_T = TypeVar("_T")

#: The default overall deadline, in seconds, for the DNS part of a diagnosis. A checkout
#: page waits for this at most; sync and async honour it alike.
DEFAULT_DEADLINE = 3.0
#: The longest deadline accepted: a deadline is how long someone waits for one address.
MAX_DEADLINE = 3600.0


#: HELO names and sender domains a prober must not use: not ours, or not a host at all.
_FORBIDDEN_NAMES = frozenset(
    {
        "localhost", "localhost.localdomain", "localdomain",
        "gmail.com", "googlemail.com", "google.com", "yahoo.com", "outlook.com", "hotmail.com",
        "live.com", "icloud.com", "aol.com", "example.com", "example.net", "example.org",
    }
)


def ascii_domain(name: str) -> str | None:
    """``name`` (lower case, no trailing dot) in its ASCII (IDNA, UTS #46) form, as
    email-validator gives a domain; ``None`` when it is no domain name at all.

    One conversion for every place that compares a domain given by a person (the shop's
    lists, the test kit's fake zone) with one from an address: ``bücher.example`` and
    ``xn--bcher-kva.example`` must be the same name.
    """
    if name.isascii():
        return name
    import idna  # only for Unicode names: the pytest plugin imports this module on every run

    try:
        return idna.encode(name, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError, ValueError):
        return None


def _list_entry(entry: str) -> str:
    """A shop's list entry (``domain``, ``@domain`` or ``local@domain``) in the form the
    checks compare: lower case, the domain in its ASCII (IDNA) form."""
    entry = entry.strip().lower()
    if entry.isascii():
        return entry
    head, at, domain = entry.rpartition("@")
    converted = ascii_domain(domain.rstrip("."))
    # Not a domain name at all: kept as given, it simply never matches.
    return entry if converted is None else f"{head}{at}{converted}"


#: The I/O settings, and their values in :meth:`Options.data_view`.
_IO_DEFAULTS: dict[str, Any] = {
    "resolver": None, "deadline": DEFAULT_DEADLINE, "offline": False, "locale": "en", "dns_cache": True,
}
_IO_FIELDS = frozenset(_IO_DEFAULTS)


@dataclasses.dataclass(frozen=True, slots=True)
class Options:
    """Settings of a diagnosis.

    Attributes:
        offline: skip DNS entirely (syntax, typos and data-file flags only): the fastest path.
        deadline: seconds the whole DNS part may take; past it, what is left is ``unknown``.
        resolver: a ``dns.resolver.Resolver``, ``dns.asyncresolver.Resolver`` or a
            :class:`maildiag.testing.FakeResolver`. ``None`` uses a shared caching resolver
            built from the system configuration (inside a test's
            :func:`maildiag.testing.fake_dns` block, that block's fake).
        allow_private_addresses: count loopback and private MX addresses as usable (test
            networks and intranets). Off by default: on the internet they cannot receive mail.
        suggest_typos: look for domain typos.
        extra_domains: the shop's own known-good domains: typo targets and never "corrected".
        allow: domains or addresses the shop trusts: no disposable/role/deny flags for them.
        deny: domains or addresses the shop refuses (finding ``policy.denied``).
        extra_providers: provider entries (same fields as the package data files) to add to
            or override the shipped ones.
        sanity_domains: mail domains that surely exist and take mail; used to notice a
            resolver that lies (NXDOMAIN for everything, a sinkhole) before DNS alone makes
            an address undeliverable. The first is asked; a name that cannot exist is asked
            under its TLD. ``()`` turns the check off (docs/design.md "A resolver that lies").
        allow_smtputf8: accept internationalized local parts (RFC 6531).
        locale: the language of messages maildiag renders on your behalf: the ``message``
            column of ``maildiag bulk`` and :mod:`maildiag.dask` (``Diagnosis.message(locale)``
            takes its own).
        smtp_probe: after DNS, ask the best MX whether it accepts the mailbox (RCPT TO,
            never DATA; needs ``maildiag[smtp]``). Slow, often blocked, and it can get
            your IP listed: off by default and not for checkout (docs/smtp.md).
        helo: the name to greet with (EHLO). Required when probing: a real host name of
            yours whose PTR matches, never ``localhost`` or a mailbox provider's domain.
        mail_from: the envelope sender of probes; required when probing, on a domain you own.
        smtp_ports: ports to try, in order, while a port cannot be reached.
        smtp_port_overrides: ``(ip, port)`` pairs: that address is probed on that port
            only (loopback test servers).
        dns_cache: keep each domain's DNS result for later diagnoses in this process, as
            long as its TTLs allow (failures a few seconds), and let concurrent diagnoses at
            one domain share one lookup. ``False`` asks DNS every time; empty the cache with
            :func:`maildiag.clear_dns_cache` (docs/design.md "The per-domain cache").
    """

    offline: bool = False
    deadline: float = DEFAULT_DEADLINE
    resolver: Any = None
    allow_private_addresses: bool = False
    suggest_typos: bool = True
    extra_domains: tuple[str, ...] = ()
    allow: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()
    extra_providers: tuple[Mapping[str, Any], ...] = ()
    sanity_domains: tuple[str, ...] = ("gmail.com", "outlook.com")
    allow_smtputf8: bool = True
    locale: str = "en"
    smtp_probe: bool = False
    helo: str | None = None
    mail_from: str | None = None
    smtp_ports: tuple[int, ...] = (25,)
    smtp_port_overrides: tuple[tuple[str, int], ...] = ()
    dns_cache: bool = True
    _hash: int | None = dataclasses.field(default=None, init=False, repr=False, compare=False)
    _data_view: Options | None = dataclasses.field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if (
            isinstance(self.deadline, bool)
            or not isinstance(self.deadline, int | float)
            or not math.isfinite(self.deadline)
            or not 0 < self.deadline <= MAX_DEADLINE
        ):
            # NaN would compare false with every bound and never end a wait; a huge value
            # overflows the platform's timeouts (threading.TIMEOUT_MAX, time_t).
            raise ValueError(
                f"deadline must be a number of seconds above 0 and at most {MAX_DEADLINE:g}, not {self.deadline!r}"
            )
        if self.resolver is not None and not any(
            callable(getattr(self.resolver, method, None)) for method in ("lookup", "alookup", "resolve")
        ):
            raise TypeError(
                "resolver must be a dnspython resolver (sync or async) or have lookup() / alookup() "
                f"like maildiag.testing.FakeResolver, not {type(self.resolver).__name__}"
            )
        for name in ("extra_domains", "allow", "deny", "sanity_domains"):
            value = getattr(self, name)
            if isinstance(value, str):
                raise TypeError(f"{name} must be a sequence of strings, not a single string")
            object.__setattr__(self, name, tuple(_list_entry(str(v)) for v in value))
        object.__setattr__(self, "extra_providers", tuple(self.extra_providers))
        self._check_smtp()
        # Options key several per-domain caches; hash the fields once, not on every lookup.
        try:
            value = hash(tuple(getattr(self, f.name) for f in dataclasses.fields(self)))
        except TypeError:  # unhashable extra_providers: the caches fall back to no caching
            value = None
        object.__setattr__(self, "_hash", value)

    def _check_smtp(self) -> None:
        ports = tuple(self.smtp_ports)
        overrides = tuple((str(ip), port) for ip, port in self.smtp_port_overrides)
        for port in (*ports, *(p for _, p in overrides)):
            if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
                raise ValueError(f"SMTP ports must be integers from 1 to 65535, not {port!r}")
        if not ports:
            raise ValueError("smtp_ports must name at least one port")
        object.__setattr__(self, "smtp_ports", ports)
        object.__setattr__(self, "smtp_port_overrides", overrides)
        if not self.smtp_probe:
            return
        # Probers greeting as localhost or as gmail.com get listed (Spamhaus treats an
        # "impossible HELO" as a bot): insist on names the shop owns.
        helo = (self.helo or "").strip().rstrip(".").lower()
        if not helo or "." not in helo or helo in _FORBIDDEN_NAMES or helo.endswith(".localhost"):
            raise ValueError(
                "smtp_probe=True needs helo= a fully qualified host name of yours (its PTR should "
                f"match), not {self.helo!r}"
            )
        sender = (self.mail_from or "").strip()
        local, at, domain = sender.rpartition("@")
        domain = domain.rstrip(".").lower()
        if not at or not local or "." not in domain or domain in _FORBIDDEN_NAMES or domain.endswith(".localhost"):
            raise ValueError(
                f"smtp_probe=True needs mail_from= an address on a domain you own, not {self.mail_from!r}"
            )
        object.__setattr__(self, "helo", helo)
        object.__setattr__(self, "mail_from", sender)

    def __hash__(self) -> int:
        if self._hash is None:
            raise TypeError("Options with unhashable extra_providers cannot be hashed")
        return self._hash

    def data_view(self) -> Options:
        """These options without the I/O settings (resolver, deadline, offline, locale, dns_cache).

        Per-domain caches key on this, so a resolver made per request neither defeats them
        nor stays alive in them.
        """
        view = self._data_view
        if view is None:
            view = dataclasses.replace(self, **_IO_DEFAULTS)
            object.__setattr__(view, "_data_view", view)
            object.__setattr__(self, "_data_view", view)
        return view

    def replace(self, **changes: Any) -> Options:
        """A copy with ``changes`` applied."""
        new = dataclasses.replace(self, **changes)
        if changes.keys() <= _IO_FIELDS:
            # A resolver per request (the common override) leaves the data view as it was:
            # share it rather than build and validate another Options on every call.
            object.__setattr__(new, "_data_view", self.data_view())
        return new


def cached_per_domain(fn: Callable[[str, Options], _T]) -> Callable[[str, Options], _T]:
    """Cache ``fn(domain, options)`` per domain and :meth:`Options.data_view`.

    Sign-up traffic is dominated by a few hundred domains, so work that depends on the domain
    alone is done once each. Keying on the data view means a resolver made per request neither
    defeats the cache nor stays alive in it. Options that cannot be hashed (``extra_providers``
    given as dicts) are served uncached.
    """
    cached = functools.lru_cache(maxsize=4096)(fn)

    @functools.wraps(fn)
    def wrapper(domain: str, options: Options) -> _T:
        try:
            return cached(domain, options.data_view())
        except TypeError:  # Options holding unhashable extra_providers
            return fn(domain, options)

    return wrapper
