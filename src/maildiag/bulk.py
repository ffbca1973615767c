"""Bulk diagnosis: many addresses, concurrently, in input order, in constant memory.

:func:`adiagnose_many` (asyncio) and :func:`diagnose_many` (blocking) diagnose a stream of
addresses (a customer table, a list of bounced addresses) with at most ``concurrency``
diagnoses waiting on DNS at once. Results come back **in input order**, one per row,
never dropped or duplicated, and the input is read at most ``lookahead`` rows ahead of
what the caller has taken, so an unbounded iterator (a database cursor, ``sys.stdin``)
is never held in memory.

Both run the same core (:func:`maildiag._core.plan`) through the same async shell
(:func:`maildiag._shells.run_async`) as :func:`maildiag.adiagnose`; nothing here knows an
email rule. What bulk adds is scheduling, and one thing only a batch can do: identical DNS
queries of a run are made once (:class:`_SharedLookups`), so 10,000 gmail.com addresses ask
for gmail.com's MX a handful of times, not 10,000.

See docs/bulk.md for sizing, sharding across processes, and why SMTP probing in bulk is
refused unless asked for.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import itertools
import threading
import time
from collections.abc import AsyncIterable, AsyncIterator, Callable, Collection, Generator, Iterable, Iterator
from typing import Any

from maildiag import catalog
from maildiag._core import Flow, _Draft, decide, diagnose_offline, plan

# The columns a row of a list gets (maildiag bulk, maildiag.dask): public here for code that
# writes its own tables (Ray, Spark, a database job), computed in one place.
from maildiag._lists.columns import COLUMNS, columns
from maildiag._shells import _async_lookup, _is_wait, _lookup_async, run_async, wait_async
from maildiag.api import _options
from maildiag.model import Diagnosis, DnsAnswer, DnsStatus
from maildiag.options import Options

__all__ = ["COLUMNS", "DEFAULT_CONCURRENCY", "adiagnose_many", "columns", "diagnose_many"]

#: Diagnoses in flight at once by default. Each waits on a few UDP queries, so this is a
#: bound on sockets and on the load put on the resolver, not on CPU.
DEFAULT_CONCURRENCY = 32

#: Rows read ahead, per row in flight, by default. More than one, so that a slow address
#: at the head of the line (a domain whose DNS times out) does not stop the rows behind it
#: from being diagnosed while its result waits to be handed back in order.
LOOKAHEAD_FACTOR = 4

#: Definitive answers (OK, NXDOMAIN, NODATA) are remembered within one run, this many at
#: most and for this long at most. A run's own memory, dropped with it: a resolver given
#: without a cache (or a test fake) still asks each question about once, while a run that
#: lasts hours does not outlive DNS time-to-live values by much (most MX TTLs are 300 s to
#: a day).
SHARED_ANSWERS = 4096
SHARED_ANSWER_SECONDS = 300.0

#: A shared query that timed out this close to its asker's deadline was ended by that
#: deadline (asyncio may fire a timer up to its clock resolution early). One that timed
#: out sooner timed out by itself (the resolver's own lifetime): waiters share that.
_CLOCK_SLACK = 0.005

#: Only these are remembered: a failure (timeout, SERVFAIL) says something about one moment
#: of the network, and each later address deserves its own attempt within its own deadline.
_DEFINITIVE = frozenset({DnsStatus.OK, DnsStatus.NXDOMAIN, DnsStatus.NODATA})


# -- identical queries of a run are made once -----------------------------------------


class _SharedLookups:
    """A run-scoped resolver wrapper: single-flight for queries in flight, a small memory after.

    It speaks :class:`maildiag._shells.AsyncLookup`, so :func:`run_async` drives it like any
    resolver. Each query still goes through :func:`maildiag._shells._lookup_async`, so the
    wrapped resolver may be anything the shells accept (dnspython sync or async, a fake).

    A waiter shares the first asker's answer, but never its deadline: if the shared query
    timed out at the first asker's deadline while this waiter has time left, the waiter asks
    again (its own ``asyncio.timeout`` in the shell still bounds it).
    """

    def __init__(self, resolver: Any) -> None:
        self._lookup = _async_lookup(resolver)  # how the async shell would ask it
        self._flights: dict[tuple[str, str], tuple[asyncio.Task[DnsAnswer], float]] = {}
        self._answers: collections.OrderedDict[tuple[str, str], tuple[DnsAnswer, float]] = (
            collections.OrderedDict()
        )

    async def alookup(self, name: str, rdtype: str, timeout: float) -> DnsAnswer:
        """Answer one query within ``timeout`` seconds, sharing identical queries of the run."""
        key = (name, rdtype)
        now = time.monotonic()
        stop_at = now + timeout
        remembered = self._answers.get(key)
        if remembered is not None:
            answer, expires = remembered
            if now < expires:
                self._answers.move_to_end(key)
                return answer
            del self._answers[key]
        while True:
            flight = self._flights.get(key)
            if flight is None:
                task = asyncio.ensure_future(self._ask(key, stop_at - time.monotonic()))
                flight = (task, stop_at)
                self._flights[key] = flight
            task, flight_stop = flight
            # shield: this waiter's deadline cancels its wait, not the query others share.
            answer = await asyncio.shield(task)
            now = time.monotonic()
            if (
                answer.status is DnsStatus.TIMEOUT
                and now >= flight_stop - _CLOCK_SLACK
                and flight_stop < stop_at
                and now < stop_at
            ):
                continue  # the first asker's deadline ended the query, not ours: ask again
            return answer

    async def close(self) -> None:
        """Cancel the queries still in flight (the run was left early)."""
        tasks = [task for task, _ in self._flights.values()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _ask(self, key: tuple[str, str], timeout: float) -> DnsAnswer:
        from maildiag._core import Query

        try:
            answer = await _lookup_async(self._lookup, Query(*key), timeout)
        finally:
            self._flights.pop(key, None)
        if answer.status in _DEFINITIVE:
            self._answers[key] = (answer, time.monotonic() + SHARED_ANSWER_SECONDS)
            if len(self._answers) > SHARED_ANSWERS:
                self._answers.popitem(last=False)
        return answer


# -- reading the input ahead, boundedly -----------------------------------------------


class _Rows:
    """Rows read from the input but not yet handed back, at most ``limit`` of them.

    The window calls :meth:`take` for what has arrived, :meth:`wait` when nothing has, and
    :meth:`release` once per result handed back (making room for one more row).
    """

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._buffer: collections.deque[object] = collections.deque()
        self.finished = False
        self.error: BaseException | None = None
        self._waiter: asyncio.Future[None] | None = None

    def take(self) -> list[object]:
        rows = list(self._buffer)
        self._buffer.clear()
        return rows

    def wait(self) -> asyncio.Future[None]:
        """A future done when a row or the end has arrived."""
        if self._waiter is None or self._waiter.done():
            self._waiter = asyncio.get_running_loop().create_future()
            if self._buffer or self.finished:
                self._waiter.set_result(None)
        return self._waiter

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def release(self) -> None:
        raise NotImplementedError

    def close(self) -> list[asyncio.Task[None]]:
        """Stop reading; returns the tasks of the run still to be awaited.

        Rows read inline have nothing running: no more of them are taken.
        """
        self.finished = True
        return []


class _InputAborted(Exception):
    """Carries a ``BaseException`` from the caller's input out of the event loop's tasks."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(repr(error))
        self.error = error


class _FedRows(_Rows):
    """Rows the caller's own thread reads and hands over (:func:`diagnose_many`).

    Database cursors, Django querysets inside a transaction and sqlite3 connections belong
    to the thread that made them: the blocking shell reads the input there, between taking
    results, and feeds the rows to the event loop's thread. Its own end and errors stay on
    the caller's thread; the window only learns that no more rows will come.
    """

    def feed(self, rows: list[object], end: bool) -> None:
        self._buffer.extend(rows)
        self.finished = self.finished or end
        self._wake()

    def release(self) -> None:
        pass  # the caller's thread keeps the count: it reads only when there is room


class _CollectionRows(_Rows):
    """A list, tuple or other collection: iterating it cannot block, so it is read inline."""

    def __init__(self, rows: Iterable[object], limit: int) -> None:
        super().__init__(limit)
        self._rows = iter(rows)
        self._room = limit
        self._fill()

    def _fill(self) -> None:
        while self._room and not self.finished:
            try:
                row = next(self._rows)
            except StopIteration:
                self.finished = True
            except Exception as error:  # the caller's iterator failed: reported in its place
                self.finished, self.error = True, error
            else:
                self._room -= 1
                self._buffer.append(row)

    def release(self) -> None:
        self._room += 1
        self._fill()


class _ThreadRows(_Rows):
    """Any other iterable (a generator, a file, a cursor) is read on a thread of its own.

    Its ``next()`` may block (a pipe waiting for its writer, a cursor fetching a page):
    on the event loop that would freeze the queries in flight, and their deadlines would
    expire while the answers sat unread in the socket buffers.
    """

    def __init__(self, rows: Iterable[object], limit: int, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(limit)
        self._loop = loop
        self._room = threading.Semaphore(limit)
        self._lock = threading.Lock()
        self._stop = False
        # A daemon: a reader blocked on an interactive stdin must not keep the process alive.
        self._thread = threading.Thread(
            target=self._read, args=(iter(rows),), name="maildiag-bulk-reader", daemon=True
        )
        self._thread.start()

    def _read(self, rows: Iterator[object]) -> None:
        while True:
            self._room.acquire()
            if self._stop:
                return
            try:
                row = next(rows)
            except StopIteration:
                self._arrive(None, end=True)
                return
            except BaseException as error:  # the caller's iterator failed: reported in its place
                self._arrive(None, end=True, error=error)
                return
            if not self._arrive(row):
                return

    def _arrive(self, row: object, *, end: bool = False, error: BaseException | None = None) -> bool:
        with self._lock:
            if self._stop:
                return False
            if end:
                self.finished, self.error = True, error
            else:
                self._buffer.append(row)
        try:
            self._loop.call_soon_threadsafe(self._wake)
        except RuntimeError:  # the loop is closed: the run was abandoned
            return False
        return True

    def take(self) -> list[object]:
        with self._lock:
            return super().take()

    def wait(self) -> asyncio.Future[None]:
        with self._lock:
            return super().wait()

    def release(self) -> None:
        self._room.release()

    def close(self) -> list[asyncio.Task[None]]:
        with self._lock:
            self._stop = True
        self._room.release()  # a reader waiting for room wakes, sees the stop and ends
        return []


class _AsyncRows(_Rows):
    """An async iterable, read by a task of the run."""

    def __init__(self, rows: AsyncIterable[object], limit: int) -> None:
        super().__init__(limit)
        self._room = asyncio.Semaphore(limit)
        self._closing = False
        self._task: asyncio.Task[None] = asyncio.ensure_future(self._read(rows))

    async def _read(self, rows: AsyncIterable[object]) -> None:
        iterator = aiter(rows)
        while True:
            await self._room.acquire()
            try:
                row = await anext(iterator)
            except StopAsyncIteration:
                self.finished = True
            except BaseException as error:  # the caller's iterator failed: reported in its place
                if self._closing:
                    raise  # our own close() cancelled the read
                # Even a CancelledError from the input (an upstream task cancelled) must end
                # the run with an error, not leave the window waiting for rows forever.
                self.finished, self.error = True, error
            else:
                self._buffer.append(row)
            self._wake()
            if self.finished:
                return

    def release(self) -> None:
        self._room.release()

    def close(self) -> list[asyncio.Task[None]]:
        self._closing = True
        self._task.cancel()
        return [self._task]


# -- the ordered window ---------------------------------------------------------------


class _Window:
    """Starts a diagnosis per row as rows arrive; hands results back in input order."""

    def __init__(
        self,
        rows: _Rows,
        start: Callable[[object], Diagnosis | asyncio.Task[Diagnosis]],
        lookups: _SharedLookups | None,
    ) -> None:
        self._rows = rows
        self._start = start
        self._lookups = lookups
        self._pending: collections.deque[Diagnosis | asyncio.Task[Diagnosis]] = collections.deque()

    @property
    def rows(self) -> _Rows:
        """Where this window's rows come from."""
        return self._rows

    def start_arrived(self) -> None:
        """Start a diagnosis for every row that has arrived (without waiting for anything)."""
        for row in self._rows.take():
            self._pending.append(self._start(row))

    def head_ready(self) -> bool:
        """True when the next result can be handed back without waiting."""
        if not self._pending:
            return False
        head = self._pending[0]
        return isinstance(head, Diagnosis) or head.done()

    def release(self, count: int) -> None:
        """``count`` results taken with ``release=False`` have reached the caller."""
        for _ in range(count):
            self._rows.release()

    async def next(self, *, release: bool = True) -> Diagnosis:
        """The next result in input order; raises ``StopAsyncIteration`` at the end.

        With ``release=False`` the result's row still counts against the look-ahead until
        :meth:`release`: the blocking shell hands results over in chunks, and a chunk on its
        way to the caller is not yet the caller's.
        """
        while True:
            # `finished` before `take()`: a reader thread appends its last row and then marks
            # the end, so an end seen first means every row is in what take() returns. Read
            # after, a row arriving in between would be lost.
            finished = self._rows.finished
            for row in self._rows.take():
                self._pending.append(self._start(row))
            if self.head_ready():
                head = self._pending.popleft()
                if release:
                    self._rows.release()
                return head if isinstance(head, Diagnosis) else head.result()
            if not self._pending and finished:
                error, self._rows.error = self._rows.error, None
                if isinstance(error, Exception):
                    raise error
                if error is not None:
                    # KeyboardInterrupt, SystemExit, CancelledError from the caller's input:
                    # raised inside a task they would stop the event loop, not reach the caller.
                    raise _InputAborted(error)
                raise StopAsyncIteration
            waits: list[asyncio.Future[Any]] = [self._rows.wait()]
            if self._pending:
                head = self._pending[0]
                assert not isinstance(head, Diagnosis)  # head_ready() said it is not done
                waits.append(head)
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)

    async def close(self) -> None:
        """Stop reading and cancel the diagnoses still running."""
        readers = self._rows.close()
        tasks = [t for t in self._pending if not isinstance(t, Diagnosis)]
        self._pending.clear()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, *readers, return_exceptions=True)
        if self._lookups is not None:
            await self._lookups.close()


# -- the entry points -----------------------------------------------------------------


def _not_text(row: object) -> Diagnosis:
    """The diagnosis of a row that is not a string: there is no address to check.

    :func:`maildiag.diagnose` raises ``TypeError`` for it; in bulk one NULL in a column
    must not end the run, so the row gets its own diagnosis, in its place.
    """
    shown = repr(row)
    evidence = [f"row of type {type(row).__name__}: {shown[:80]}{'...' if len(shown) > 80 else ''}"]
    draft = _Draft("", findings=[catalog.make("input.not_text", {"type": type(row).__name__}, evidence)])
    return decide(draft, _options(None, {}))


def _check_settings(opts: Options, concurrency: int, lookahead: int | None, allow_smtp_probe: bool) -> int:
    """Validate the bulk settings; returns the look-ahead to use."""
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise ValueError(f"concurrency must be a positive integer, not {concurrency!r}")
    if lookahead is None:
        lookahead = LOOKAHEAD_FACTOR * concurrency
    if isinstance(lookahead, bool) or not isinstance(lookahead, int) or lookahead < concurrency:
        raise ValueError(f"lookahead must be an integer of at least concurrency ({concurrency}), not {lookahead!r}")
    if opts.smtp_probe and not allow_smtp_probe:
        # Hundreds of RCPT probes a minute from one IP is what spammers' list cleaning looks
        # like: mailbox providers throttle, greylist and then blocklist the prober's address.
        raise ValueError(
            "SMTP probing in bulk is refused by default: providers rate-limit and blocklist "
            "probing IPs (see docs/bulk.md). Pass allow_smtp_probe=True, ideally with a low "
            "concurrency, if you own the consequences."
        )
    return lookahead


def _check_addresses(addresses: object, kinds: Any) -> None:
    """Refuse, before any row is read, an input that is not an iterable of addresses."""
    if isinstance(addresses, str | bytes):
        # A str is iterable: diagnosing each of its characters is never what was meant.
        raise TypeError("addresses must be an iterable of addresses, not a single address")
    if not isinstance(addresses, kinds):
        raise TypeError(f"addresses must be an iterable of addresses, not {type(addresses).__name__}")


def _rows_for(addresses: Iterable[object] | AsyncIterable[object], limit: int) -> _Rows:
    if isinstance(addresses, AsyncIterable):
        return _AsyncRows(addresses, limit)
    if isinstance(addresses, Collection) and not isinstance(addresses, Iterator):
        return _CollectionRows(addresses, limit)
    return _ThreadRows(addresses, limit, asyncio.get_running_loop())


def _open_window(
    addresses: Iterable[object] | AsyncIterable[object] | _Rows, opts: Options, concurrency: int, lookahead: int
) -> _Window:
    """A window for one run: its own single-flight resolver and its own concurrency bound.

    Must be called on the event loop that will run it.
    """
    gate = asyncio.Semaphore(concurrency)
    resolver = None if opts.offline else _SharedLookups(opts.resolver)

    async def diagnose_one(flow: Flow, batch: tuple[Any, ...]) -> Diagnosis:
        try:
            while True:
                if _is_wait(batch) and batch[0].future is not None:
                    # Another diagnosis is looking this domain up (it holds a slot, or is a
                    # diagnose() elsewhere in the process): wait for it without taking a slot
                    # of the concurrency bound, which is for rows waiting on DNS themselves.
                    # Nothing shared (it timed out): this row asks, with its whole deadline.
                    batch = flow.send((await wait_async(batch[0], opts.deadline),))
                    continue
                async with gate:
                    if _is_wait(batch):
                        # No one is looking the domain up: claim the lookup now that this
                        # row has a slot (claimed earlier, others would wait on a lookup
                        # queued behind the bound). Someone may have claimed it meanwhile.
                        batch = flow.send((None,))
                        if _is_wait(batch):
                            continue  # leave the slot; wait for theirs
                    # The deadline starts here, when the row's DNS starts, not when it was read.
                    return await run_async(flow, resolver, opts.deadline, first=batch)
        except StopIteration as done:
            result: Diagnosis = done.value
            return result

    def start(row: object) -> Diagnosis | asyncio.Task[Diagnosis]:
        if not isinstance(row, str):
            return _not_text(row)
        if opts.offline:
            return diagnose_offline(row, opts)
        # The offline part runs here, inline: a row whose domain the per-domain cache holds
        # is done without a task, an await or a deadline (issue 13: rows are diagnosed in
        # a tight loop while the domains they need resolve concurrently).
        flow = plan(row, opts, defer_lead=True)
        try:
            batch = next(flow)
        except StopIteration as done:
            result: Diagnosis = done.value
            return result
        return asyncio.ensure_future(diagnose_one(flow, batch))

    rows = addresses if isinstance(addresses, _Rows) else _rows_for(addresses, lookahead)
    return _Window(rows, start, resolver)


def adiagnose_many(
    addresses: Iterable[str] | AsyncIterable[str],
    /,
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    lookahead: int | None = None,
    options: Options | None = None,
    allow_smtp_probe: bool = False,
    **overrides: Any,
) -> AsyncIterator[Diagnosis]:
    """Diagnose many addresses concurrently; results come in input order, one per row.

    Use it as ``async for d in adiagnose_many(rows): ...``. Settings are checked when it is
    called, before any row is read; rows are read as results are taken.

    Args:
        addresses: an iterable or async iterable of addresses (a list, a generator, a
            database cursor, lines of a file). Read at most ``lookahead`` rows ahead of the
            results taken; a plain iterator is read on a thread of its own, never on the
            event loop (an input tied to its thread, such as a sqlite3 cursor, belongs in
            :func:`diagnose_many`, which reads on the caller's thread). A row that is not a
            ``str`` (``None`` from a NULL column, ``bytes``) gets a diagnosis with the
            finding ``input.not_text`` in its place.
        concurrency: diagnoses waiting on DNS at once, at most.
        lookahead: rows read ahead of the results taken, at most (default
            ``4 * concurrency``; at least ``concurrency``). Bounds memory.
        options: an :class:`Options` value; keyword ``overrides`` are applied on top of it,
            as for :func:`maildiag.diagnose`. Each address keeps the whole ``deadline``,
            counted from when its diagnosis starts.
        allow_smtp_probe: SMTP probing in bulk is refused unless this is true (see
            docs/bulk.md: providers blocklist probing IPs).

    Returns:
        An async iterator of :class:`Diagnosis`, one per row, in input order. Leaving the
        loop early stops reading and cancels the diagnoses in flight (use
        ``contextlib.aclosing`` to have that happen at once rather than at garbage
        collection).

    Raises:
        ValueError: an invalid setting, or ``smtp_probe=True`` without ``allow_smtp_probe``.
        TypeError: ``addresses`` is a single string.
        BaseException: whatever the input iterator raises, after the results of the rows
            it gave before.

    .. versionadded:: 0.2.0
    """
    _check_addresses(addresses, Iterable | AsyncIterable)
    opts = _options(options, overrides)
    limit = _check_settings(opts, concurrency, lookahead, allow_smtp_probe)
    return _arun(addresses, opts, concurrency, limit)


async def _arun(
    addresses: Iterable[object] | AsyncIterable[object], opts: Options, concurrency: int, lookahead: int
) -> AsyncIterator[Diagnosis]:
    window = _open_window(addresses, opts, concurrency, lookahead)
    try:
        for count in itertools.count(1):
            try:
                result = await window.next()
            except StopAsyncIteration:
                return
            except _InputAborted as aborted:
                raise aborted.error from None
            if not count % _CHUNK:
                # Offline rows and cached answers complete without awaiting anything: let
                # the caller's other tasks run now and then.
                await asyncio.sleep(0)
            yield result
    finally:
        await window.close()


#: Results carried from the event loop thread to the caller per hop, at most (and rows
#: fed to it): one hop per row would cost more than many an offline diagnosis.
_CHUNK = 64


def _fed_run(
    window: _Window, rows: Iterator[object], lookahead: int, call: Callable[[Any], Any]
) -> Generator[Diagnosis, None, None]:
    """Read ``rows`` on this (the caller's) thread and feed them to ``window``, taking results
    as they come, with at most ``lookahead`` rows read and not yet handed back."""
    outstanding = 0  # rows fed and not yet handed to the caller
    ended = False
    failure: BaseException | None = None
    handed = 0
    while True:
        batch: list[object] = []
        while not ended and len(batch) < _CHUNK and outstanding + len(batch) < lookahead:
            try:
                batch.append(next(rows))
            except StopIteration:
                ended = True
            except BaseException as error:  # raised here, after the rows before it
                ended, failure = True, error
        # Wait for a result only when no more rows can be read now; otherwise take what is
        # ready and read on, so diagnoses start as early as rows arrive.
        room_left = not ended and outstanding + len(batch) < lookahead
        chunk, done = call(_take(window, _CHUNK, handed, feed=(batch, ended), wait=not room_left))
        outstanding += len(batch) - len(chunk)
        handed = len(chunk)
        yield from chunk
        if done:
            if failure is not None:
                raise failure
            return


async def _take(
    window: _Window, most: int, handed: int, *, feed: tuple[list[object], bool] | None = None, wait: bool = True
) -> tuple[list[Diagnosis], bool]:
    """The results ready now (up to ``most``), waiting for one if ``wait``; and whether the
    run has ended.

    ``handed`` results of the previous chunk have reached the caller: only now do their
    rows stop counting against the look-ahead. ``feed`` hands over rows the caller's thread
    read (and whether its input ended), for :class:`_FedRows`.
    """
    window.release(handed)
    if feed is not None:
        rows = window.rows
        assert isinstance(rows, _FedRows)
        rows.feed(*feed)
        window.start_arrived()
    results: list[Diagnosis] = []
    try:
        if wait:
            results.append(await window.next(release=False))
        while len(results) < most and window.head_ready():
            results.append(await window.next(release=False))
    except StopAsyncIteration:
        return results, True
    return results, False


def diagnose_many(
    addresses: Iterable[str],
    /,
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    lookahead: int | None = None,
    options: Options | None = None,
    allow_smtp_probe: bool = False,
    reader_thread: bool = False,
    **overrides: Any,
) -> Generator[Diagnosis, None, None]:
    """The blocking twin of :func:`adiagnose_many`: same arguments, same results, same order.

    The run happens on an event loop in a thread of its own (the async shell, with every
    query's deadline kept by ``asyncio.timeout``), so this works from any code, including
    code already inside an event loop (Django, Jupyter). The input is read on the caller's
    thread, between results, so a database cursor or a Django queryset inside a transaction
    works as it would in a plain loop. With ``offline=True`` there is no I/O to overlap, and
    rows are diagnosed on the caller's thread as they are taken.

    Args:
        reader_thread: read the input on a thread of its own instead, so results keep coming
            while the input blocks (an interactive terminal, a slow pipe: ``maildiag check -``
            does this). The input must then be usable from another thread (a file is; a
            sqlite3 cursor is not).

    Other arguments, the result and the exceptions are those of :func:`adiagnose_many`;
    whatever the input raises (even ``KeyboardInterrupt``) is raised on the caller's thread
    after the results of the rows before it.

    Close the iterator (``contextlib.closing``, or let it be collected) to stop a run
    early; the diagnoses in flight are cancelled and the loop thread ends.

    .. versionadded:: 0.2.0
    """
    _check_addresses(addresses, Iterable)
    opts = _options(options, overrides)
    limit = _check_settings(opts, concurrency, lookahead, allow_smtp_probe)
    if opts.offline:
        return (diagnose_offline(row, opts) if isinstance(row, str) else _not_text(row) for row in addresses)
    return _run_in_thread(addresses, opts, concurrency, limit, reader_thread)


async def _cancel_the_rest() -> None:
    """Cancel every other task of this loop and wait until each has ended."""
    tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def _run_in_thread(
    addresses: Iterable[object], opts: Options, concurrency: int, lookahead: int, reader_thread: bool
) -> Generator[Diagnosis, None, None]:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="maildiag-bulk-loop", daemon=True)
    thread.start()

    def call(coro: Any) -> Any:
        try:
            future = asyncio.run_coroutine_threadsafe(coro, loop)
        except BaseException:  # Ctrl-C before it was handed over: it will never run
            coro.close()
            raise
        try:
            return future.result()
        except _InputAborted as aborted:  # the input's KeyboardInterrupt, on the caller's thread
            raise aborted.error from None
        except BaseException:
            # The wait itself was interrupted (Ctrl-C raises KeyboardInterrupt here, on the
            # caller's thread) while the coroutine runs on: cancel it, so that the shutdown
            # below does not close the loop under a pending task ("Task was destroyed but
            # it is pending!").
            future.cancel()
            raise

    source: Iterable[object] | _Rows = addresses if reader_thread else _FedRows(lookahead)

    async def open_window() -> _Window:
        return _open_window(source, opts, concurrency, lookahead)

    window: _Window | None = None
    try:
        window = call(open_window())
        if reader_thread:
            chunk: list[Diagnosis] = []
            done = False
            while not done:
                chunk, done = call(_take(window, _CHUNK, len(chunk)))
                yield from chunk
        else:
            yield from _fed_run(window, iter(addresses), lookahead, call)
    finally:
        try:
            if window is not None:
                call(window.close())
            # A task cancelled by an interrupted wait (call() above) may still be waiting for
            # its cancellation to be delivered (a lookup shared through the per-domain cache
            # answers through a chained future): let every task finish before the loop
            # closes, as asyncio.run() does, or it is destroyed while pending.
            call(_cancel_the_rest())
            call(loop.shutdown_asyncgens())
        except concurrent.futures.CancelledError:  # pragma: no cover - interrupted shutdown
            pass
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join()
            loop.close()
