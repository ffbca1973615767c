"""Bulk diagnosis (maildiag.bulk): input order, one result per row, bounded work and memory.

A support script feeds thousands to millions of rows; what it relies on is that row *n* of
the output is the diagnosis of row *n* of the input, that nothing is dropped or doubled,
that the input is read lazily, and that a gmail.com list does not ask gmail.com's MX a
million times. Each test drives both shells (async and blocking) where both apply.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import itertools
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from typing import Any

import dns.resolver
import pytest

import maildiag
from maildiag.bulk import _SharedLookups, adiagnose_many, diagnose_many
from maildiag.model import Diagnosis, DnsAnswer, DnsStatus
from maildiag.testing import FakeResolver
from maildiag.testing.addresses import MX_ADDRESS, SCENARIOS, scenario_resolver

Runner = Callable[..., list[Diagnosis]]


def _sync(rows: Iterable[Any], **kwargs: Any) -> list[Diagnosis]:
    return list(diagnose_many(rows, **kwargs))


def _async(rows: Iterable[Any], **kwargs: Any) -> list[Diagnosis]:
    async def run() -> list[Diagnosis]:
        return [d async for d in adiagnose_many(rows, **kwargs)]

    return asyncio.run(run())


SHELLS = [pytest.param(_sync, id="sync"), pytest.param(_async, id="async")]


def _zone(domains: int, *, delay: Callable[[int], float] = lambda i: 0.0) -> FakeResolver:
    dns_ = FakeResolver()
    for i in range(domains):
        dns_.mx(f"d{i}.example", f"mx.d{i}.example", address=MX_ADDRESS)
        if delay(i):
            dns_.slow(f"d{i}.example", delay(i))
    return dns_


class CountingResolver:
    """An async resolver over a FakeResolver that sleeps per query and counts what is in flight.

    The domain of each query (``d7.example`` for ``mx.d7.example``) tells which diagnosis
    asked it, so the largest number of domains with a query in flight is the largest
    number of diagnoses running at once.
    """

    def __init__(self, fake: FakeResolver, delay: float = 0.001) -> None:
        self.fake = fake
        self.delay = delay
        self.active: collections.Counter[str] = collections.Counter()
        self.most_diagnoses = 0
        self.asked: collections.Counter[tuple[str, str]] = collections.Counter()

    async def alookup(self, name: str, rdtype: str, timeout: float) -> DnsAnswer:
        owner = name.removeprefix("mx.")
        self.asked[(name, rdtype)] += 1
        self.active[owner] += 1
        self.most_diagnoses = max(self.most_diagnoses, len(+self.active))
        try:
            await asyncio.sleep(self.delay)
            return self.fake.answer(name, rdtype)
        finally:
            self.active[owner] -= 1


# -- order and completeness ------------------------------------------------------------


@pytest.mark.parametrize("run", SHELLS)
def test_results_come_in_input_order_whatever_the_answer_latency(run: Runner) -> None:
    # Early rows are the slowest: a pool handing results back as they finish would reverse them.
    dns_ = _zone(10, delay=lambda i: (10 - i) * 0.002)
    rows = [f"user{n}@d{n % 10}.example" for n in range(200)]
    results = run(iter(rows), resolver=dns_, concurrency=16)
    assert [d.address for d in results] == rows
    assert {d.verdict for d in results} == {maildiag.Verdict.OK}


@pytest.mark.parametrize("run", SHELLS)
@pytest.mark.parametrize("offline", [pytest.param(True, id="offline"), pytest.param(False, id="dns")])
def test_ten_thousand_rows_none_dropped_none_doubled(run: Runner, offline: bool) -> None:
    rows = [f"user{n}@d{n % 50}.example" for n in range(10_000)]
    rows[1234] = rows[1233]  # a duplicate row in the input stays two rows in the output
    kwargs: dict[str, Any] = {"offline": True} if offline else {"resolver": _zone(50)}
    results = run((r for r in rows), **kwargs)
    assert [d.address for d in results] == rows


@pytest.mark.parametrize("run", SHELLS)
def test_bulk_gives_exactly_what_diagnose_gives(run: Runner) -> None:
    """Same core, same shell: every reserved test address, in bulk, equals its single diagnosis."""
    rows = [s.address for s in SCENARIOS] * 3
    dns_ = scenario_resolver()
    expected = [maildiag.diagnose(address, resolver=dns_) for address in rows]
    assert run(rows, resolver=scenario_resolver(), concurrency=4) == expected


# -- rows that are not addresses -------------------------------------------------------


@pytest.mark.parametrize("run", SHELLS)
@pytest.mark.parametrize("offline", [pytest.param(True, id="offline"), pytest.param(False, id="dns")])
def test_a_row_that_is_not_text_gets_its_own_diagnosis_in_its_place(run: Runner, offline: bool) -> None:
    rows: list[Any] = ["a@gmail.com", None, b"b@gmail.com", 42, "c@gmail.com"]
    kwargs: dict[str, Any] = {"offline": True} if offline else {"resolver": FakeResolver()}
    results = run(rows, **kwargs)
    assert [d.address for d in results] == ["a@gmail.com", "", "", "", "c@gmail.com"]
    for d, kind in zip(results[1:4], ["NoneType", "bytes", "int"], strict=True):
        assert d.verdict == "undeliverable"
        assert [f.code for f in d.findings] == ["input.not_text"]
        assert d.findings[0].params["type"] == kind
        assert d.message("en") and d.message("he") != d.message("en")
    with pytest.raises(TypeError):  # one address at a time, a wrong type is the caller's bug
        maildiag.diagnose(None, offline=True)  # type: ignore[arg-type]


@pytest.mark.parametrize("run", SHELLS)
def test_an_input_iterator_that_fails_gives_the_rows_before_then_its_error(run: Runner) -> None:
    def cursor() -> Iterator[str]:
        yield from ("a@d0.example", "b@d1.example", "c@d2.example")
        raise ConnectionError("cursor lost")

    seen: list[str] = []

    def consume() -> None:
        if run is _sync:
            seen.extend(d.address for d in diagnose_many(cursor(), resolver=_zone(3)))
            return

        async def go() -> None:
            # One at a time, not a comprehension: the rows before the error must be seen.
            async for d in adiagnose_many(cursor(), resolver=_zone(3)):
                seen.append(d.address)  # noqa: PERF401

        asyncio.run(go())

    with pytest.raises(ConnectionError, match="cursor lost"):
        consume()
    assert seen == ["a@d0.example", "b@d1.example", "c@d2.example"]


# -- bounded work and memory -----------------------------------------------------------


@pytest.mark.parametrize("run", SHELLS)
@pytest.mark.parametrize("concurrency", [1, 5, 32])
def test_at_most_concurrency_diagnoses_run_at_once(run: Runner, concurrency: int) -> None:
    counting = CountingResolver(_zone(100))
    rows = [f"user@d{i}.example" for i in range(100)]
    results = run(rows, resolver=counting, concurrency=concurrency)
    assert len(results) == 100
    assert counting.most_diagnoses == concurrency  # reached, never passed


def _counted(n: int | None, pulled: list[int]) -> Iterator[str]:
    for i in itertools.count() if n is None else range(n):
        pulled[0] += 1
        yield f"user{i}@d{i % 20}.example"


@pytest.mark.parametrize("lookahead", [4, 16])
def test_the_blocking_shell_reads_the_input_lazily(lookahead: int) -> None:
    pulled = [0]
    taken = 0
    for _ in diagnose_many(_counted(300, pulled), resolver=_zone(20), concurrency=4, lookahead=lookahead):
        taken += 1
        assert pulled[0] <= taken + lookahead
    assert taken == pulled[0] == 300


@pytest.mark.parametrize("lookahead", [4, 16])
async def test_the_async_shell_reads_the_input_lazily(lookahead: int) -> None:
    pulled = [0]

    async def rows() -> AsyncIterator[str]:
        for row in _counted(300, pulled):
            yield row

    taken = 0
    async for _ in adiagnose_many(rows(), resolver=_zone(20), concurrency=4, lookahead=lookahead):
        taken += 1
        assert pulled[0] <= taken + lookahead
    assert taken == pulled[0] == 300


def _bulk_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("maildiag-bulk")]


def test_an_endless_input_is_fine_and_closing_early_stops_the_run() -> None:
    pulled = [0]
    results = diagnose_many(_counted(None, pulled), resolver=_zone(20), concurrency=8)
    first = list(itertools.islice(results, 100))
    assert [d.address for d in first] == [f"user{i}@d{i % 20}.example" for i in range(100)]
    results.close()
    stop = time.monotonic() + 5
    while _bulk_threads() and time.monotonic() < stop:
        time.sleep(0.01)
    assert _bulk_threads() == []
    assert pulled[0] <= 100 + 4 * 8


# -- per-domain work done once ---------------------------------------------------------


@pytest.mark.parametrize("run", SHELLS)
def test_a_thousand_addresses_at_three_domains_ask_each_question_once(run: Runner) -> None:
    fake = FakeResolver()
    for name in ("alpha.example", "beta.example", "gamma.example"):
        fake.mx(name, f"mx.{name}", address=MX_ADDRESS).slow(name, 0.002)
    rows = [f"user{i}@{('alpha', 'beta', 'gamma')[i % 3]}.example" for i in range(1000)]
    results = run(rows, resolver=fake, concurrency=32)
    assert {d.verdict for d in results} == {maildiag.Verdict.OK}
    asked = collections.Counter(fake.queries)
    assert sum(1 for _, rdtype in fake.queries if rdtype == "MX") == 3  # not 1000
    assert set(asked.values()) == {1}, asked


async def test_a_waiter_shares_an_answer_but_not_the_first_askers_deadline() -> None:
    fake = FakeResolver().slow("slow.example", 0.2)
    fake.exists("slow.example")
    shared = _SharedLookups(fake)
    hurried, patient = await asyncio.gather(
        shared.alookup("slow.example", "MX", 0.05), shared.alookup("slow.example", "MX", 2.0)
    )
    assert hurried.status is DnsStatus.TIMEOUT
    assert patient.status is DnsStatus.NODATA  # asked again with its own time left


@pytest.mark.parametrize("how", ["timeout", "servfail"])
def test_a_failing_domain_is_asked_once_per_wave_of_rows_not_once_per_row(how: str) -> None:
    fake = FakeResolver().fail("down.example", how)
    rows = [f"user{i}@down.example" for i in range(200)]
    results = list(diagnose_many(rows, resolver=fake, concurrency=32))
    assert {d.verdict.value for d in results} == {"unknown"}
    # Failures are not remembered, but rows asking at the same time share one query (and a
    # resolver timing out by itself is not taken for a waiter's deadline: no re-asking).
    assert fake.queries.count(("down.example", "MX")) < 20


async def test_failures_are_not_remembered_for_later_addresses() -> None:
    fake = FakeResolver().fail("flaky.example", "servfail")
    shared = _SharedLookups(fake)
    for _ in range(3):
        assert (await shared.alookup("flaky.example", "MX", 1.0)).status is DnsStatus.SERVFAIL
    assert fake.queries.count(("flaky.example", "MX")) == 3


# -- the deadline ---------------------------------------------------------------------


class _Hanging:
    """A resolver that ignores its timeout and never answers in time for hang.example."""

    def __init__(self) -> None:
        self.fake = _zone(4)

    async def alookup(self, name: str, rdtype: str, timeout: float) -> DnsAnswer:
        if name.endswith("hang.example"):
            await asyncio.sleep(30)
        return self.fake.answer(name, rdtype)


@pytest.mark.parametrize("run", SHELLS)
def test_a_hanging_domain_costs_its_rows_their_deadline_and_no_more(run: Runner) -> None:
    rows = ["a@d0.example", "b@hang.example", "c@d1.example", "d@hang.example", "e@d2.example"]
    started = time.monotonic()
    results = run(rows, resolver=_Hanging(), deadline=0.3)
    assert time.monotonic() - started < 3  # the resolver would have held it 30 s
    assert [d.address for d in results] == rows
    assert [d.verdict.value for d in results] == ["ok", "unknown", "ok", "unknown", "ok"]
    assert results[1].has("dns.timeout")
    assert results[1].dns[0].detail == "deadline"


@pytest.mark.parametrize("run", SHELLS)
def test_each_address_gets_its_whole_deadline_from_when_it_starts(run: Runner) -> None:
    # One at a time, five addresses of 0.2 s each (MX, then the host's addresses): 1 s in
    # all, past a 0.6 s deadline counted from the start of the run, well within one counted
    # per address.
    dns_ = _zone(5, delay=lambda i: 0.1)
    rows = [f"user@d{i}.example" for i in range(5)]
    results = run(rows, resolver=dns_, concurrency=1, deadline=0.6)
    assert [d.verdict.value for d in results] == ["ok"] * 5


# -- settings -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        pytest.param({"concurrency": 0}, ValueError, id="zero-concurrency"),
        pytest.param({"concurrency": True}, ValueError, id="bool-concurrency"),
        pytest.param({"concurrency": 8, "lookahead": 4}, ValueError, id="lookahead-below-concurrency"),
        pytest.param({"deadline": float("nan")}, ValueError, id="nan-deadline"),
        pytest.param(
            {"smtp_probe": True, "helo": "probe.shop.example", "mail_from": "bounces@shop.example"},
            ValueError, id="smtp-probe-not-allowed",
        ),
    ],
)
@pytest.mark.parametrize("entry", [diagnose_many, adiagnose_many], ids=["sync", "async"])
def test_bad_settings_are_refused_when_called_before_any_row_is_read(
    entry: Callable[..., Any], kwargs: dict[str, Any], error: type[Exception]
) -> None:
    pulled = [0]
    with pytest.raises(error):
        entry(_counted(10, pulled), **kwargs)
    assert pulled[0] == 0


@pytest.mark.parametrize("entry", [diagnose_many, adiagnose_many], ids=["sync", "async"])
def test_a_single_address_is_not_taken_for_a_list_of_characters(entry: Callable[..., Any]) -> None:
    with pytest.raises(TypeError, match="single address"):
        entry("jane@gmail.com")


def test_smtp_probing_in_bulk_says_why_it_is_refused() -> None:
    with pytest.raises(ValueError, match="allow_smtp_probe"):
        diagnose_many(["a@b.example"], smtp_probe=True, helo="probe.shop.example", mail_from="b@shop.example")


# -- end to end on the loopback DNS server ----------------------------------------------


@pytest.mark.parametrize("run", SHELLS)
def test_end_to_end_on_the_loopback_dns_server(run: Runner, resolver: dns.resolver.Resolver) -> None:
    rows = ["x@multi-mx.example", "x@null-mx.example", "x@x.servfail.example", "y@multi-mx.example",
            "not an address", "x@no-such-domain.example"] * 5
    expected = [maildiag.diagnose(r, resolver=resolver, allow_private_addresses=True) for r in rows]
    results = run(iter(rows), resolver=resolver, allow_private_addresses=True, concurrency=8)
    assert [(d.address, d.verdict, [f.code for f in d.findings]) for d in results] == [
        (d.address, d.verdict, [f.code for f in d.findings]) for d in expected
    ]
    assert results[0].verdict == "ok" and results[1].has("mx.null") and results[2].verdict == "unknown"


async def test_leaving_an_async_run_early_leaves_no_task_behind() -> None:
    async def endless() -> AsyncIterator[str]:
        for i in itertools.count():
            yield f"user{i}@d{i % 20}.example"

    taken = []
    run = adiagnose_many(endless(), resolver=_zone(20), concurrency=8)
    assert isinstance(run, collections.abc.AsyncGenerator)  # what aclosing needs: it has aclose()
    async with contextlib.aclosing(run) as results:
        async for d in results:
            taken.append(d.address)
            if len(taken) == 50:
                break
    assert taken == [f"user{i}@d{i % 20}.example" for i in range(50)]
    assert asyncio.all_tasks() == {asyncio.current_task()}


# -- the input's own thread, its end and its errors -------------------------------------------


def _healthy() -> FakeResolver:
    return FakeResolver().mx("shop.example", "mx.shop.example", address=MX_ADDRESS)


def test_a_generator_is_read_on_the_callers_thread() -> None:
    readers: set[str] = set()

    def rows() -> Iterator[str]:
        for i in range(50):
            readers.add(threading.current_thread().name)
            yield f"u{i}@shop.example"

    results = list(diagnose_many(rows(), resolver=_healthy(), concurrency=4))
    assert [d.address for d in results] == [f"u{i}@shop.example" for i in range(50)]
    assert readers == {threading.current_thread().name}


def test_a_sqlite_cursor_works_as_input() -> None:
    # sqlite3 objects refuse to be used from another thread: the input must be read on ours.
    import sqlite3

    db = sqlite3.connect(":memory:")
    db.execute("create table customers (email text)")
    db.executemany("insert into customers values (?)", [(f"u{i}@shop.example",) for i in range(20)] + [(None,)])
    cursor = db.execute("select email from customers order by rowid")
    results = list(diagnose_many((row[0] for row in cursor), resolver=_healthy()))
    assert len(results) == 21
    assert {d.verdict.value for d in results[:20]} == {"ok"}
    assert results[20].has("input.not_text")


@pytest.mark.parametrize("reader_thread", [False, True], ids=["callers-thread", "reader-thread"])
@pytest.mark.parametrize("error", [SystemExit(3), KeyboardInterrupt(), ValueError("bad row")],
                         ids=["SystemExit", "KeyboardInterrupt", "ValueError"])
def test_whatever_the_input_raises_reaches_the_caller_after_the_rows_before_it(
    reader_thread: bool, error: BaseException
) -> None:
    def rows() -> Iterator[str]:
        yield "a@shop.example"
        yield "b@shop.example"
        raise error

    got: list[str] = []
    raised: list[BaseException] = []

    def consume() -> None:
        try:
            for d in diagnose_many(rows(), resolver=_healthy(), reader_thread=reader_thread):
                got.append(d.address)  # noqa: PERF401 - the rows before the error must be kept
        except BaseException as e:  # what the caller sees
            raised.append(e)

    worker = threading.Thread(target=consume, daemon=True)
    worker.start()
    worker.join(10)
    assert not worker.is_alive(), "the run hung"
    assert got == ["a@shop.example", "b@shop.example"]
    assert raised == [error]


def test_an_async_input_cancelled_upstream_ends_the_run_with_its_error() -> None:
    async def main() -> tuple[list[str], BaseException | None]:
        upstream: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        upstream.cancel()

        async def rows() -> AsyncIterator[str]:
            yield "a@shop.example"
            yield await upstream  # raises CancelledError, as an input fed by a cancelled task does

        got: list[str] = []
        try:
            async with asyncio.timeout(10):
                async for d in adiagnose_many(rows(), resolver=_healthy()):
                    got.append(d.address)  # noqa: PERF401 - the rows before the error must be kept
        except asyncio.CancelledError as e:
            return got, e
        return got, None

    got, error = asyncio.run(main())
    assert got == ["a@shop.example"]
    assert isinstance(error, asyncio.CancelledError)


def test_a_row_arriving_while_the_window_looks_is_never_lost() -> None:
    """The race a reader thread can win: the last row and the end arrive between the
    window's look at the buffer and its look at the end of the input."""
    from maildiag.bulk import _Rows, _Window

    class Racing(_Rows):
        def __init__(self) -> None:
            super().__init__(8)
            self.raced = False

        def take(self) -> list[object]:
            rows = super().take()
            if not self.raced:  # after an empty look, the reader adds its last row and ends
                self.raced = True
                self._buffer.append("late@shop.example")
                self.finished = True
            return rows

        def release(self) -> None:
            pass

        def close(self) -> list[asyncio.Task[None]]:
            return []

    async def main() -> list[str]:
        window = _Window(Racing(), lambda row: maildiag.diagnose(str(row), offline=True), None)
        out = []
        with contextlib.suppress(StopAsyncIteration):
            while True:
                out.append((await window.next()).address)
        return out

    assert asyncio.run(main()) == ["late@shop.example"]


@pytest.mark.parametrize("offline", [True, False])
def test_something_that_is_no_iterable_is_a_type_error_at_once(offline: bool) -> None:
    with pytest.raises(TypeError, match="iterable of addresses"):
        diagnose_many(5, offline=offline, resolver=None if offline else _healthy())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="iterable of addresses"):
        adiagnose_many(5, offline=offline)  # type: ignore[arg-type]
