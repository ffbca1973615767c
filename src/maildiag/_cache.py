"""The per-domain DNS result cache, shared by ``diagnose``, ``adiagnose`` and ``diagnose_many``.

Everything DNS tells maildiag about an address depends on its domain alone, so the DNS part
of a diagnosis is one value per domain (:class:`maildiag._mx.DomainResult`). The core asks
this cache first (:func:`maildiag._core.plan`) and yields queries only on a miss: a hit
never touches a thread, an event loop or the deadline machinery.

- **Keyed** on the domain, :meth:`Options.data_view` (the options that change what the rules
  conclude) and the resolver asked (:func:`key_for`): a fake or a resolver pointed at other
  servers never sees another's answers.
- **TTL-aware**: a result lives as long as the shortest TTL among its answers, negative
  answers as long as RFC 2308 §5 allows (the SOA-derived TTL dnspython computes), capped at
  :data:`MAX_TTL`. DNS failures (SERVFAIL, REFUSED) live :data:`FAILURE_SECONDS`, so a
  transient failure never sticks; a timeout, an overloaded shell or a missing resolver
  configuration are not kept at all (they say something about one asker, not about DNS).
- **Single flight**: while one diagnosis looks a domain up, others at that domain wait for
  its result (:class:`Wait`) instead of asking the same questions.
- **Bounded**: at most :data:`MAX_DOMAINS` results, least recently used dropped first.

``Options(dns_cache=False)`` bypasses it; :func:`maildiag.clear_dns_cache` empties it; the
testing kit's fixtures empty it before every test.
"""

from __future__ import annotations

import collections
import concurrent.futures
import sys
import threading
import time
import weakref
from collections.abc import Hashable
from typing import Any, NamedTuple

from maildiag._mx import DomainResult
from maildiag.model import DnsStatus
from maildiag.options import Options

__all__ = ["CACHE", "FAILURE_SECONDS", "MAX_DOMAINS", "MAX_TTL", "Await", "DomainCache", "Lead", "Wait", "key_for"]

#: Domains kept at most: a bulk run over many more domains keeps memory constant.
MAX_DOMAINS = 8192
#: How long a SERVFAIL or REFUSED is kept: long enough that a burst of addresses at a broken
#: domain does not hammer it, short enough that a transient failure never sticks.
FAILURE_SECONDS = 5.0
#: Answers from a resolver that gives no TTL (a test fake, a shop's own ``lookup()`` object).
UNKNOWN_TTL = 60.0
#: The longest a result is kept, whatever its TTLs say.
MAX_TTL = 3600.0

_NOT_KEPT = frozenset({DnsStatus.TIMEOUT, DnsStatus.ERROR, DnsStatus.NO_RESOLVER})
_FAILED = frozenset({DnsStatus.SERVFAIL, DnsStatus.REFUSED})
_NEGATIVE = frozenset({DnsStatus.NXDOMAIN, DnsStatus.NODATA})

_Future = concurrent.futures.Future  # of DomainResult | None


class Await(NamedTuple):
    """A batch item: wait (within the deadline) for another diagnosis's lookup of a domain.

    The shell sends back the :class:`DomainResult`, or ``None`` when there is none to share
    (the lookup failed in a way that is not kept, was abandoned, or the deadline passed).
    ``future`` is ``None`` for a flow started with ``defer_lead``: nothing is in flight and
    the flow would lead the lookup; the shell sends ``None`` back when it is ready to make
    queries (bulk: once a slot of its concurrency bound is free), and the flow claims then.
    """

    future: concurrent.futures.Future[DomainResult | None] | None


class Lead(NamedTuple):
    """:meth:`DomainCache.lookup`: no result, no lookup in flight: the caller makes it."""

    future: concurrent.futures.Future[DomainResult | None]


class Wait(NamedTuple):
    """:meth:`DomainCache.lookup`: another caller is looking the domain up."""

    future: concurrent.futures.Future[DomainResult | None]


def keep_for(result: DomainResult) -> float | None:
    """Seconds ``result`` may be kept; ``None`` when it must not be."""
    seconds = MAX_TTL
    for answer in result.dns:
        status = answer.status
        if status in _NOT_KEPT:
            return None
        if status in _FAILED or (answer.ttl is None and status in _NEGATIVE):
            # A negative answer without an SOA to time it SHOULD NOT be cached (RFC 2308 §5):
            # kept only the seconds a failure is, so a burst of addresses shares it.
            seconds = min(seconds, FAILURE_SECONDS)
        else:
            seconds = min(seconds, UNKNOWN_TTL if answer.ttl is None else answer.ttl)
    return seconds if seconds > 0 else None


class DomainCache:
    """A bounded, TTL-aware map of per-domain results with single flight. Thread-safe."""

    def __init__(self, maxsize: int = MAX_DOMAINS) -> None:
        self.maxsize = maxsize
        self._lock = threading.Lock()
        self._entries: collections.OrderedDict[Hashable, tuple[DomainResult, float]] = collections.OrderedDict()
        self._flights: dict[Hashable, concurrent.futures.Future[DomainResult | None]] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def lookup(self, key: Hashable, *, claim: bool = True) -> DomainResult | Wait | Lead | None:
        """The result kept for ``key``, or a lookup to wait for, or the caller's turn to lead
        one (``None`` instead when not ``claim``: the caller will ask again when ready)."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                if time.monotonic() < entry[1]:
                    self._entries.move_to_end(key)
                    return entry[0]
                del self._entries[key]
            flight = self._flights.get(key)
            if flight is not None:
                return Wait(flight)
            if not claim:
                return None
            flight = self._flights[key] = _Future()
            return Lead(flight)

    def finish(self, key: Hashable, lead: Lead, result: DomainResult | None) -> None:
        """End the lookup ``lead`` with ``result`` (``None``: abandoned); wake its waiters."""
        keep = None if result is None else keep_for(result)
        with self._lock:
            if self._flights.get(key) is lead.future:
                del self._flights[key]
            if result is not None and keep is not None:
                self._put(key, result, keep)
        # Waiters share a result that is kept; one that is not (a timeout at the leader's
        # deadline) is no answer for them: they ask themselves, within their own deadline.
        lead.future.set_result(result if keep is not None else None)

    def store(self, key: Hashable, result: DomainResult) -> None:
        """Keep ``result`` (a lookup made outside a flight) if it may be kept."""
        keep = keep_for(result)
        if keep is not None:
            with self._lock:
                self._put(key, result, keep)

    def _put(self, key: Hashable, result: DomainResult, keep: float) -> None:
        self._entries[key] = (result, time.monotonic() + keep)
        self._entries.move_to_end(key)
        while len(self._entries) > self.maxsize:
            self._entries.popitem(last=False)

    def clear(self) -> None:
        """Forget every result and every lookup in flight: later askers lead lookups of their
        own (one in flight still wakes its own waiters, and its result is kept)."""
        with self._lock:
            self._entries.clear()
            self._flights.clear()


#: The process's cache.
CACHE = DomainCache()


class _Identity:
    """A resolver object as part of a key: equal only to the same, living, object.

    By identity, since any object with ``lookup()`` may answer differently; held weakly, so
    the cache never keeps a resolver alive, and a new object that happens to get a dead
    one's ``id()`` never sees its answers.
    """

    __slots__ = ("_hash", "_ref")

    def __init__(self, resolver: Any) -> None:
        self._ref = weakref.ref(resolver)
        self._hash = id(resolver)

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, _Identity):
            return NotImplemented
        mine = self._ref()
        return mine is not None and mine is other._ref()


_DNSPYTHON = frozenset({("dns.resolver", "Resolver"), ("dns.asyncresolver", "Resolver")})


def _resolver_token(resolver: Any) -> Hashable | None:
    if resolver is None:
        shells = sys.modules.get("maildiag._shells")
        resolver = shells._override() if shells is not None else None
        if resolver is None:
            return "system"  # the shared resolver from the system configuration
    kind = type(resolver)
    if (kind.__module__, kind.__qualname__) in _DNSPYTHON:
        # A plain dnspython resolver (sync or async twin) answers as its servers do: one
        # made per request shares the results of every other asking the same servers.
        return ("dnspython", tuple(str(n) for n in resolver.nameservers), resolver.port)
    try:
        identity = _Identity(resolver)
    except TypeError:  # no weak references to it: not cached
        return None
    # A test fake's zone may change between diagnoses: its generation is part of the key.
    return (identity, getattr(resolver, "_maildiag_generation", 0))


def key_for(domain: str, options: Options) -> Hashable | None:
    """The cache key of ``domain``'s result under ``options``; ``None``: do not cache."""
    if not options.dns_cache:
        return None
    token = _resolver_token(options.resolver)
    if token is None:
        return None
    try:
        view = options.data_view()
        hash(view)
    except TypeError:  # Options holding unhashable extra_providers
        return None
    return (domain, view, token)
