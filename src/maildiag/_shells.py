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
import contextlib
import contextvars
import functools
import os
import queue
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, runtime_checkable

from maildiag import smtp
from maildiag._cache import Await
from maildiag._core import Flow, Probe, ProbeResult, Query
from maildiag._mx import DomainResult
from maildiag.model import Diagnosis, DnsAnswer, DnsStatus

if TYPE_CHECKING:
    import dns.asyncresolver
    import dns.resolver

_Res = TypeVar("_Res", bound="dns.resolver.BaseResolver")

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


class _Workers:
    """Daemon threads that run the sync shell's lookups; a lookup never waits for a thread.

    A fixed pool would let one request's hung lookups (a resolver that ignores its timeout,
    a dead server) occupy the workers every other request needs, turning healthy addresses
    ``unknown``. Here a new thread starts whenever none is idle, up to :attr:`MAX_THREADS`;
    idle ones are kept for reuse, up to :attr:`MAX_IDLE`. Threads are daemons, so a lookup
    that never returns cannot hold up the process's exit either.
    """

    #: Beyond this many lookups in flight at once something is badly wrong (every one of
    #: them hung): further lookups are answered ``error`` at once rather than start threads.
    MAX_THREADS = 512
    #: Idle threads kept for the next lookups; more than this exit when their lookup ends.
    MAX_IDLE = 32

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._idle: list[queue.SimpleQueue[_Task]] = []
        self._threads = 0

    def submit(self, fn: Callable[[], _R]) -> concurrent.futures.Future[_R] | None:
        """Run ``fn`` on a worker; ``None`` when :attr:`MAX_THREADS` lookups are in flight."""
        future: concurrent.futures.Future[_R] = concurrent.futures.Future()
        start = False
        with self._lock:
            if self._idle:
                inbox = self._idle.pop()
            elif self._threads < self.MAX_THREADS:
                self._threads += 1
                inbox, start = queue.SimpleQueue(), True
            else:
                return None
        inbox.put((future, fn))
        if start:
            try:
                threading.Thread(target=self._work, args=(inbox,), name="maildiag-dns", daemon=True).start()
            except RuntimeError:  # "can't start new thread": the process is at its limit
                with self._lock:
                    self._threads -= 1
                return None
        return future

    def _work(self, inbox: queue.SimpleQueue[_Task]) -> None:
        while True:
            future, fn = inbox.get()
            if future.set_running_or_notify_cancel():
                try:
                    future.set_result(fn())
                except BaseException as error:  # handed to the waiting shell, never lost
                    future.set_exception(error)
            # An idle worker must not keep the last request's resolver (and its answers) alive.
            del future, fn
            with self._lock:
                if len(self._idle) < self.MAX_IDLE:
                    self._idle.append(inbox)
                    continue
                self._threads -= 1
                return


_R = TypeVar("_R")
_Task = tuple["concurrent.futures.Future[Any]", Callable[[], Any]]
_workers = _Workers()


def _after_fork_in_child() -> None:
    # A forked child (gunicorn --preload, multiprocessing) has none of the parent's threads:
    # the parent's idle list would hand lookups to threads that do not exist.
    global _workers
    _workers = _Workers()


os.register_at_fork(after_in_child=_after_fork_in_child)


# -- the resolver used when a call passes none ----------------------------------------------

#: Resolvers put in place of the system one by maildiag.testing.fake_dns(), innermost last.
#: Process-wide on purpose: the sync shell asks from its worker threads, bulk from its
#: event loop thread, and a shop's code from threads of its own, where a context variable
#: set by the test would not be seen. Hence the rule of default_resolver_override().
_overrides: list[_Override] = []
_overrides_lock = threading.Lock()


class _Override:
    """One active ``default_resolver_override`` block: its resolver and who entered it."""

    __slots__ = ("resolver", "thread", "thread_name")

    def __init__(self, resolver: Any) -> None:
        self.resolver = resolver
        self.thread = threading.get_ident()
        self.thread_name = threading.current_thread().name


#: The blocks entered by this context and the contexts it was copied from (asyncio tasks,
#: asyncio.to_thread, asgiref's sync/async bridges): a block entered there is nested.
_entered: contextvars.ContextVar[tuple[_Override, ...]] = contextvars.ContextVar(
    "maildiag_default_resolver_entered", default=()
)


class OverrideConflict(RuntimeError):
    """A second, unrelated default-resolver block was entered while one is active."""


@contextlib.contextmanager
def default_resolver_override(resolver: Any) -> Iterator[Any]:
    """Make ``resolver`` the one every call without ``resolver=`` uses, in every thread, until exit.

    One active override per process, unless nested: a block may start while another is
    active only from the thread that entered the innermost one, from a task or thread that
    inherited that thread's context, or with the very same resolver. Anything else is two
    tests sharing a process at once (a thread-parallel runner), which would silently serve
    one test from the other's fake; it raises :class:`OverrideConflict` instead.
    Leaving restores what was there, even on an exception and out of order.
    """
    entry = _Override(resolver)
    with _overrides_lock:
        if _overrides:
            top = _overrides[-1]
            if top.thread != entry.thread and top.resolver is not resolver and top not in _entered.get():
                raise OverrideConflict(
                    "maildiag.testing.fake_dns(): another fake DNS is already maildiag's default "
                    f"resolver, entered in thread {top.thread_name!r} and not left. The default is "
                    "process-wide (maildiag resolves on worker threads), so one test at a time per "
                    "process can have one; blocks nest only inside it (same thread, or a task or "
                    "thread that inherits its context). Run tests in parallel as processes "
                    "(pytest-xdist), or pass resolver= explicitly."
                )
        _overrides.append(entry)
    _entered.set((*_entered.get(), entry))
    try:
        yield resolver
    finally:
        # Without a token: the exit may run in another context than the entry (an async
        # fixture's teardown), where Token.reset() would raise.
        _entered.set(tuple(e for e in _entered.get() if e is not entry))
        with _overrides_lock:
            # By identity, from the end: out-of-order exits remove their own entry.
            for i in range(len(_overrides) - 1, -1, -1):
                if _overrides[i] is entry:
                    del _overrides[i]
                    break


def _override() -> Any:
    # One read of the list: a check-then-index could see another thread's exit in between.
    try:
        return _overrides[-1].resolver
    except IndexError:
        return None


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
    import dns.asyncresolver

    return _twin(default_resolver(), dns.asyncresolver.Resolver)


def _twin(resolver: dns.resolver.BaseResolver, kind: type[_Res]) -> _Res:
    """A resolver of ``kind`` (sync or async dnspython) with every setting of ``resolver``.

    Every attribute is copied (servers, ports, timeouts, ``retry_servfail``, ``rotate``,
    TSIG keys, EDNS...) and the cache is shared, so ``adiagnose`` asks exactly what
    ``diagnose`` would. dnspython's nameserver objects serve sync and async queries alike.
    """
    twin = kind(configure=False)
    for name, value in vars(resolver).items():
        setattr(twin, name, value)
    return twin


def _ttl_left(answer: Any) -> float | None:
    """Seconds until a ``dns.resolver.Answer`` expires: dnspython sets ``expiration`` from
    the smallest TTL of the chain, or for NODATA from the SOA as RFC 2308 §5 says (the same
    answer served again from its cache keeps its first expiration)."""
    expiration = getattr(answer, "expiration", None)
    return None if not isinstance(expiration, int | float) else max(0.0, expiration - time.time())


def answer_from_dnspython(query: Query, answer: Any) -> DnsAnswer:
    """Convert a ``dns.resolver.Answer`` (``raise_on_no_answer=False``)."""
    rrset = answer.rrset
    if rrset is None:
        return DnsAnswer(query.name, query.rdtype, DnsStatus.NODATA, ttl=_ttl_left(answer))
    canonical = answer.canonical_name.to_text(omit_final_dot=True)
    return DnsAnswer(
        query.name,
        query.rdtype,
        DnsStatus.OK,
        tuple(sorted(r.to_text() for r in rrset)),
        canonical_name=canonical if canonical.lower() != query.name.lower() else None,
        ttl=_ttl_left(answer),
    )


def _negative_ttl(error: Any) -> float | None:
    """RFC 2308 §5 for an NXDOMAIN: the TTL of the SOA in the authority section, at most its
    MINIMUM field (dnspython's ``resolve_chaining`` computes exactly that); ``None`` without
    an SOA (RFC 2308 §5: such an answer SHOULD NOT be cached; the per-domain cache then
    keeps it only the seconds it keeps a failure)."""
    try:
        responses = error.responses()
        response = next(iter(responses.values()))
        if not any(rrset.rdtype == 6 for rrset in response.authority):  # SOA
            return None
        return float(response.resolve_chaining().minimum_ttl)
    except Exception:  # no response kept (a cached NXDOMAIN), or an odd one: TTL unknown
        return None


def answer_from_error(query: Query, error: BaseException) -> DnsAnswer:
    """Convert an exception raised while resolving into a :class:`DnsAnswer`."""
    import dns.exception
    import dns.rcode
    import dns.resolver

    def fail(status: DnsStatus, detail: str = "") -> DnsAnswer:
        return DnsAnswer(query.name, query.rdtype, status, detail=detail)

    if isinstance(error, dns.resolver.NXDOMAIN):
        return DnsAnswer(query.name, query.rdtype, DnsStatus.NXDOMAIN, ttl=_negative_ttl(error))
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


_NOT_A_RESOLVER = (
    "resolver must be a dns.resolver.Resolver, a dns.asyncresolver.Resolver, or an object with "
    "lookup(name, rdtype, timeout) and/or async alookup(...) returning DnsAnswer (maildiag.testing."
    "FakeResolver), not {}"
)


def _overloaded(item: Query | Probe) -> DnsAnswer | ProbeResult:
    detail = "too many DNS lookups in flight"
    if isinstance(item, Probe):
        return ProbeResult(item, "connect", error="error", detail=detail)
    return DnsAnswer(item.name, item.rdtype, DnsStatus.ERROR, detail=detail)


def _deadline_passed(item: Query | Probe) -> DnsAnswer | ProbeResult:
    if isinstance(item, Probe):
        return ProbeResult(item, "connect", error="deadline", detail="deadline")
    return DnsAnswer(item.name, item.rdtype, DnsStatus.TIMEOUT, detail="deadline")


# -- sync ------------------------------------------------------------------------------


_SyncLookup = Callable[[Query, float], Any]


def _sync_lookup(resolver: Any) -> _SyncLookup:
    """How the sync shell asks ``resolver`` one question (chosen once per diagnosis)."""
    import dns.asyncresolver
    import dns.resolver

    if resolver is None:
        resolver = _override()
        if resolver is None:
            resolver = default_resolver()
    if isinstance(resolver, Lookup):
        return lambda q, timeout: resolver.lookup(q.name, q.rdtype, timeout)
    if isinstance(resolver, dns.asyncresolver.Resolver):
        resolver = _twin(resolver, dns.resolver.Resolver)  # same settings and cache, sync I/O
    if isinstance(resolver, dns.resolver.BaseResolver):
        return functools.partial(_dnspython_sync, resolver)
    if isinstance(resolver, AsyncLookup):
        # An async-only resolver object: its coroutine runs on the worker thread's own loop.
        return lambda q, timeout: asyncio.run(resolver.alookup(q.name, q.rdtype, timeout))
    raise TypeError(_NOT_A_RESOLVER.format(type(resolver).__name__))


def _dnspython_sync(resolver: dns.resolver.BaseResolver, query: Query, timeout: float) -> DnsAnswer:
    if not resolver.nameservers:
        return DnsAnswer(query.name, query.rdtype, DnsStatus.NO_RESOLVER)
    answer = resolver.resolve(  # type: ignore[attr-defined]  # BaseResolver: sync Resolver or a subclass
        query.name + ".", query.rdtype, lifetime=timeout, raise_on_no_answer=False, search=False
    )
    return answer_from_dnspython(query, answer)


def _checked(query: Query, result: Any) -> DnsAnswer:
    """A resolver's result as a :class:`DnsAnswer` about ``query``; anything else is an error."""
    if isinstance(result, DnsAnswer):
        return result
    return DnsAnswer(query.name, query.rdtype, DnsStatus.ERROR,
                     detail=f"the resolver returned {type(result).__name__}, not a DnsAnswer")


def _execute_sync(lookup: _SyncLookup, item: Query | Probe, timeout: float) -> DnsAnswer | ProbeResult:
    if isinstance(item, Probe):
        # The same coroutine as the async shell, on this worker thread's own event loop.
        return asyncio.run(smtp.probe(item, timeout))
    try:
        return _checked(item, lookup(item, timeout))
    except Exception as error:  # a failing resolver is our network's problem, not an exception
        return answer_from_error(item, error)


def _collect(future: concurrent.futures.Future[Any] | None, item: Query | Probe) -> DnsAnswer | ProbeResult:
    if future is None:
        return _overloaded(item)
    if not future.done():
        return _deadline_passed(item)
    # Exceptions were made values on the worker; what is left (KeyboardInterrupt, SystemExit,
    # pytest.fail from the maildiag_offline fixture) must reach the caller.
    result: DnsAnswer | ProbeResult = future.result()
    return result


def _is_wait(batch: tuple[Any, ...]) -> bool:
    return len(batch) == 1 and isinstance(batch[0], Await)


def _wait_sync(item: Await, left: float) -> DomainResult | None:
    """Another diagnosis's lookup of the same domain, waited for at most ``left`` seconds."""
    if item.future is None:
        return None
    if asyncio._get_running_loop() is not None and not item.future.done():
        # diagnose() called on an event loop's thread (a sync view under ASGI): the lookup it
        # would wait for may be an adiagnose() on this very loop, which cannot run while we
        # block it. Ask ourselves instead, as before the cache.
        return None
    try:
        return item.future.result(timeout=max(0.0, left))
    except (concurrent.futures.TimeoutError, concurrent.futures.CancelledError):
        return None


def run_sync(flow: Flow, resolver: Any, deadline: float) -> Diagnosis:
    """Drive ``flow`` with a blocking resolver; queries run on worker threads.

    Even a single query goes to a worker: dnspython sleeps between retries before it looks
    at its lifetime, so only a wait bounded here keeps the deadline to the millisecond. The
    deadline starts with the first query (or the first wait for a lookup another diagnosis
    makes): the offline steps before it (and, on a process's first call, loading the data
    tables) are not DNS time. A flow answered from the per-domain cache yields nothing and
    returns here without any of this.
    """
    try:
        batch: tuple[Any, ...] = next(flow)
        lookup = None if _is_wait(batch) else _sync_lookup(resolver)  # may import dnspython: not DNS time
        stop_at = time.monotonic() + deadline
        while True:
            left = stop_at - time.monotonic()
            if _is_wait(batch):
                answers: tuple[Any, ...] = (_wait_sync(batch[0], left),)
            elif left <= 0:
                answers = tuple(_deadline_passed(q) for q in batch)
            else:
                if lookup is None:
                    lookup = _sync_lookup(resolver)
                futures = [_workers.submit(functools.partial(_execute_sync, lookup, q, left)) for q in batch]
                concurrent.futures.wait([f for f in futures if f is not None], timeout=left)
                answers = tuple(_collect(f, q) for f, q in zip(futures, batch, strict=True))
            batch = flow.send(answers)
    except StopIteration as done:
        result: Diagnosis = done.value
        return result
    finally:
        # On any exception (a cancelled task, KeyboardInterrupt, pytest.fail from the testing
        # kit), end the flow now: a lookup it leads must wake its waiters at once.
        flow.close()


# -- async -----------------------------------------------------------------------------


_AsyncLookup = Callable[[Query, float], Awaitable[Any]]


def _async_lookup(resolver: Any) -> _AsyncLookup:
    """How the async shell asks ``resolver`` one question (chosen once per diagnosis)."""
    import dns.asyncresolver
    import dns.resolver

    if resolver is None:
        resolver = _override()
        if resolver is None:
            resolver = _default_async_resolver()
    if isinstance(resolver, AsyncLookup):
        return lambda q, timeout: resolver.alookup(q.name, q.rdtype, timeout)
    if isinstance(resolver, dns.resolver.BaseResolver) and not isinstance(resolver, dns.asyncresolver.Resolver):
        resolver = _twin(resolver, dns.asyncresolver.Resolver)  # same settings and cache, async I/O
    if isinstance(resolver, dns.asyncresolver.Resolver):
        return functools.partial(_dnspython_async, resolver)
    if isinstance(resolver, Lookup):
        # A sync-only resolver object: on a worker thread, so the event loop never blocks.
        return functools.partial(_in_thread, resolver)
    raise TypeError(_NOT_A_RESOLVER.format(type(resolver).__name__))


async def _dnspython_async(resolver: dns.asyncresolver.Resolver, query: Query, timeout: float) -> DnsAnswer:
    if not resolver.nameservers:
        return DnsAnswer(query.name, query.rdtype, DnsStatus.NO_RESOLVER)
    answer = await resolver.resolve(
        query.name + ".", query.rdtype, lifetime=timeout, raise_on_no_answer=False, search=False
    )
    return answer_from_dnspython(query, answer)


async def _in_thread(resolver: Lookup, query: Query, timeout: float) -> DnsAnswer:
    future = _workers.submit(lambda: resolver.lookup(query.name, query.rdtype, timeout))
    if future is None:
        raise RuntimeError("too many DNS lookups in flight")
    return await asyncio.wrap_future(future)


async def _lookup_async(lookup: _AsyncLookup, query: Query, timeout: float) -> DnsAnswer:
    # The deadline bounds every resolver, ours or a test double that ignores `timeout`.
    try:
        async with asyncio.timeout(timeout):
            return _checked(query, await lookup(query, timeout))
    except TimeoutError:
        return DnsAnswer(query.name, query.rdtype, DnsStatus.TIMEOUT, detail="deadline")
    except Exception as error:  # every failure becomes a value
        return answer_from_error(query, error)


async def _execute_async(lookup: _AsyncLookup, item: Query | Probe, timeout: float) -> DnsAnswer | ProbeResult:
    if isinstance(item, Probe):
        try:
            async with asyncio.timeout(timeout):
                return await smtp.probe(item, timeout)
        except TimeoutError:
            return _deadline_passed(item)
    return await _lookup_async(lookup, item, timeout)


async def wait_async(item: Await, left: float) -> DomainResult | None:
    """Another diagnosis's lookup of the same domain (it may run on another thread or
    loop), awaited at most ``left`` seconds; never cancels it for the others waiting."""
    if item.future is None:
        return None
    if left <= 0:
        return item.future.result() if item.future.done() else None
    try:
        async with asyncio.timeout(left):
            return await asyncio.shield(asyncio.wrap_future(item.future))
    except TimeoutError:  # our deadline, not the lookup's end: the core answers "timeout"
        return None


async def run_async(
    flow: Flow,
    resolver: Any,
    deadline: float,
    *,
    first: tuple[Any, ...] | None = None,
    stop_at: float | None = None,
) -> Diagnosis:
    """Drive ``flow`` on asyncio; the queries of a batch run concurrently.

    As in :func:`run_sync`, the deadline starts with the first query (or wait). ``first`` is
    the batch a caller already took from ``flow`` (bulk runs the offline part of each row
    inline, so cache hits never become tasks), ``stop_at`` a deadline already running.
    """
    try:
        batch: tuple[Any, ...] = next(flow) if first is None else first
        lookup = None if _is_wait(batch) else _async_lookup(resolver)  # may import dnspython: not DNS time
        if stop_at is None:
            stop_at = time.monotonic() + deadline
        while True:
            left = stop_at - time.monotonic()
            if _is_wait(batch):
                answers: tuple[Any, ...] = (await wait_async(batch[0], left),)
            elif left <= 0:
                answers = tuple(_deadline_passed(q) for q in batch)
            else:
                if lookup is None:
                    lookup = _async_lookup(resolver)
                answers = tuple(await asyncio.gather(*(_execute_async(lookup, q, left) for q in batch)))
            batch = flow.send(answers)
    except StopIteration as done:
        result: Diagnosis = done.value
        return result
    finally:
        # On any exception (a cancelled task, KeyboardInterrupt, pytest.fail from the testing
        # kit), end the flow now: a lookup it leads must wake its waiters at once.
        flow.close()
