"""The thin I/O shells around :func:`maildiag._core.plan`: sync and async.

Each shell only runs the queries the core yields and sends back their answers; neither
knows any rule about email. Both keep one overall deadline: when it has passed, every
query left is answered ``timeout`` without being sent, so a checkout page never waits
longer than ``Options.deadline`` (plus a few milliseconds of CPU).

dnspython's exceptions become :class:`~maildiag.model.DnsAnswer` values here, in one
place (:func:`answer_from_dnspython` / :func:`answer_from_error`).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import threading
import time
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from maildiag import smtp
from maildiag._core import Flow, Probe, ProbeResult, Query
from maildiag.model import Diagnosis, DnsAnswer, DnsStatus

if TYPE_CHECKING:
    import dns.asyncresolver
    import dns.resolver

__all__ = ["AsyncLookup", "Lookup", "default_resolver", "run_async", "run_sync"]


@runtime_checkable
class Lookup(Protocol):
    """A resolver maildiag can drive synchronously without dnspython (e.g. the test fake)."""

    def lookup(self, name: str, rdtype: str, timeout: float) -> DnsAnswer:
        """Answer one query within ``timeout`` seconds."""


@runtime_checkable
class AsyncLookup(Protocol):
    """A resolver maildiag can drive from asyncio without dnspython."""

    async def alookup(self, name: str, rdtype: str, timeout: float) -> DnsAnswer:
        """Answer one query within ``timeout`` seconds."""


_lock = threading.Lock()
_pool: concurrent.futures.ThreadPoolExecutor | None = None


def _thread_pool() -> concurrent.futures.ThreadPoolExecutor:
    global _pool
    with _lock:
        if _pool is None:
            _pool = concurrent.futures.ThreadPoolExecutor(max_workers=16, thread_name_prefix="maildiag-dns")
        return _pool


@functools.cache
def default_resolver() -> dns.resolver.Resolver:
    """The shared caching resolver built from the system configuration (created once)."""
    import dns.resolver

    try:
        resolver = dns.resolver.Resolver()
    except dns.resolver.NoResolverConfiguration:
        resolver = dns.resolver.Resolver(configure=False)
    resolver.cache = dns.resolver.LRUCache(10_000)
    return resolver


@functools.cache
def _default_async_resolver() -> dns.asyncresolver.Resolver:

    return _async_twin(default_resolver())


def _async_twin(resolver: dns.resolver.BaseResolver) -> dns.asyncresolver.Resolver:
    """An async resolver with every setting of ``resolver``, sharing its cache.

    Every attribute is copied (servers, ports, timeouts, ``retry_servfail``, ``rotate``,
    TSIG keys, EDNS...), so ``adiagnose`` asks exactly what ``diagnose`` would. dnspython's
    nameserver objects serve sync and async queries alike.
    """
    import dns.asyncresolver

    twin = dns.asyncresolver.Resolver(configure=False)
    for name, value in vars(resolver).items():
        setattr(twin, name, value)
    return twin


def answer_from_dnspython(query: Query, answer: Any) -> DnsAnswer:
    """Convert a ``dns.resolver.Answer`` (``raise_on_no_answer=False``)."""
    rrset = answer.rrset
    if rrset is None:
        return DnsAnswer(query.name, query.rdtype, DnsStatus.NODATA)
    canonical = answer.canonical_name.to_text(omit_final_dot=True)
    return DnsAnswer(
        query.name,
        query.rdtype,
        DnsStatus.OK,
        tuple(sorted(r.to_text() for r in rrset)),
        canonical_name=canonical if canonical.lower() != query.name.lower() else None,
    )


def answer_from_error(query: Query, error: BaseException) -> DnsAnswer:
    """Convert an exception raised while resolving into a :class:`DnsAnswer`."""
    import dns.exception
    import dns.rcode
    import dns.resolver

    def fail(status: DnsStatus, detail: str = "") -> DnsAnswer:
        return DnsAnswer(query.name, query.rdtype, status, detail=detail)

    if isinstance(error, dns.resolver.NXDOMAIN):
        return fail(DnsStatus.NXDOMAIN)
    if isinstance(error, dns.resolver.NoAnswer):
        return fail(DnsStatus.NODATA)
    if isinstance(error, dns.resolver.NoNameservers):
        # Every server failed: report the rcode they gave (SERVFAIL or REFUSED).
        rcodes = {
            resp.rcode() for (*_, resp) in error.kwargs.get("errors", []) if hasattr(resp, "rcode")
        }
        if dns.rcode.REFUSED in rcodes and dns.rcode.SERVFAIL not in rcodes:
            return fail(DnsStatus.REFUSED)
        return fail(DnsStatus.SERVFAIL, "no nameserver gave an answer")
    if isinstance(error, dns.exception.Timeout | TimeoutError | asyncio.TimeoutError):
        return fail(DnsStatus.TIMEOUT, str(error)[:200])
    if isinstance(error, dns.resolver.NoResolverConfiguration):
        return fail(DnsStatus.NO_RESOLVER)
    return fail(DnsStatus.ERROR, f"{type(error).__name__}: {error}"[:200])


def _deadline_passed(item: Query | Probe) -> DnsAnswer | ProbeResult:
    if isinstance(item, Probe):
        return ProbeResult(item, "connect", error="deadline", detail="deadline")
    return DnsAnswer(item.name, item.rdtype, DnsStatus.TIMEOUT, detail="deadline")


# -- sync ------------------------------------------------------------------------------


def _lookup_sync(resolver: Any, query: Query, timeout: float) -> DnsAnswer:
    if isinstance(resolver, Lookup):
        return resolver.lookup(query.name, query.rdtype, timeout)
    if not resolver.nameservers:
        return DnsAnswer(query.name, query.rdtype, DnsStatus.NO_RESOLVER)
    try:
        answer = resolver.resolve(
            query.name + ".", query.rdtype, lifetime=timeout, raise_on_no_answer=False, search=False
        )
    except Exception as error:
        return answer_from_error(query, error)
    return answer_from_dnspython(query, answer)


def _execute_sync(resolver: Any, item: Query | Probe, timeout: float) -> DnsAnswer | ProbeResult:
    if isinstance(item, Probe):
        # The same coroutine as the async shell, on this pool thread's own event loop.
        return asyncio.run(smtp.probe(item, timeout))
    return _lookup_sync(resolver, item, timeout)


def run_sync(flow: Flow, resolver: Any, deadline: float) -> Diagnosis:
    """Drive ``flow`` with a blocking resolver; queries run on a shared thread pool.

    Even a single query goes through the pool: dnspython sleeps between retries before it
    looks at its lifetime, so only a wait bounded here keeps the deadline to the millisecond.
    """
    stop_at = time.monotonic() + deadline
    try:
        batch = next(flow)
        resolver = resolver if resolver is not None else default_resolver()
        while True:
            left = stop_at - time.monotonic()
            if left <= 0:
                answers = tuple(_deadline_passed(q) for q in batch)
            else:
                futures = [_thread_pool().submit(_execute_sync, resolver, q, left) for q in batch]
                concurrent.futures.wait(futures, timeout=left)
                answers = tuple(
                    f.result() if f.done() else _deadline_passed(q)
                    for f, q in zip(futures, batch, strict=True)
                )
            batch = flow.send(answers)
    except StopIteration as done:
        result: Diagnosis = done.value
        return result


# -- async -----------------------------------------------------------------------------


async def _lookup_async(resolver: Any, query: Query, timeout: float) -> DnsAnswer:
    # The deadline bounds every resolver, ours or a test double that ignores `timeout`.
    try:
        async with asyncio.timeout(timeout):
            if isinstance(resolver, AsyncLookup):
                return await resolver.alookup(query.name, query.rdtype, timeout)
            if not resolver.nameservers:
                return DnsAnswer(query.name, query.rdtype, DnsStatus.NO_RESOLVER)
            answer = await resolver.resolve(
                query.name + ".", query.rdtype, lifetime=timeout, raise_on_no_answer=False, search=False
            )
    except TimeoutError:
        return DnsAnswer(query.name, query.rdtype, DnsStatus.TIMEOUT, detail="deadline")
    except Exception as error:  # every failure becomes a value
        return answer_from_error(query, error)
    return answer_from_dnspython(query, answer)


async def _execute_async(resolver: Any, item: Query | Probe, timeout: float) -> DnsAnswer | ProbeResult:
    if isinstance(item, Probe):
        try:
            async with asyncio.timeout(timeout):
                return await smtp.probe(item, timeout)
        except TimeoutError:
            return _deadline_passed(item)
    return await _lookup_async(resolver, item, timeout)


def _as_async(resolver: Any) -> Any:
    import dns.asyncresolver

    if resolver is None:
        return _default_async_resolver()
    if isinstance(resolver, AsyncLookup | dns.asyncresolver.Resolver):
        return resolver
    return _async_twin(resolver)


async def run_async(flow: Flow, resolver: Any, deadline: float) -> Diagnosis:
    """Drive ``flow`` on asyncio; the queries of a batch run concurrently."""
    stop_at = time.monotonic() + deadline
    try:
        batch = next(flow)
        resolver = _as_async(resolver)
        while True:
            left = stop_at - time.monotonic()
            if left <= 0:
                answers = tuple(_deadline_passed(q) for q in batch)
            else:
                answers = tuple(await asyncio.gather(*(_execute_async(resolver, q, left) for q in batch)))
            batch = flow.send(answers)
    except StopIteration as done:
        result: Diagnosis = done.value
        return result
