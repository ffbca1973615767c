"""The per-domain DNS result cache (issue 13): hits cost no I/O machinery, TTLs are kept,
failures do not stick, concurrent askers share one lookup, deadlines hold for waiters too."""

from __future__ import annotations

import asyncio
import textwrap
import threading
import time
from collections.abc import Iterator

import dns.resolver
import pytest

import maildiag
from maildiag import _cache, _shells
from maildiag._cache import Await, DomainCache, Lead
from maildiag._core import Query, plan
from maildiag._mx import DomainResult
from maildiag.model import DnsAnswer, DnsStatus, Verdict
from maildiag.options import Options
from maildiag.testing import FakeResolver
from maildiag.testing.addresses import MX_ADDRESS

pytest_plugins = ["pytester"]


def shop() -> FakeResolver:
    return FakeResolver().mx("shop.io", "mx.shop.io", address=MX_ADDRESS)


def mx_asked(fake: FakeResolver, domain: str = "shop.io") -> int:
    return sum(1 for q in fake.queries if q == (domain, "MX"))


class Clock:
    """The cache's monotonic clock, moved by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    c = Clock()
    monkeypatch.setattr(time, "monotonic", c)  # the clock _cache reads
    return c


# -- a hit never touches a thread, an event loop or the deadline --------------------------------


def test_a_second_address_at_a_domain_yields_no_query() -> None:
    fake = shop()
    opts = Options(resolver=fake)
    first = maildiag.diagnose("jane@shop.io", options=opts)
    flow = plan("john@shop.io", opts)
    with pytest.raises(StopIteration) as done:
        next(flow)  # answered before anything is yielded: nothing for a shell to run
    second = done.value.value
    assert second.verdict is first.verdict is Verdict.OK
    assert second.address == "john@shop.io" and second.mx == first.mx and second.dns == first.dns
    assert mx_asked(fake) == 1


def test_a_sync_hit_starts_no_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = shop()
    maildiag.diagnose("jane@shop.io", resolver=fake)

    def no_thread(fn: object) -> None:
        raise AssertionError("a cache hit handed work to a thread")

    monkeypatch.setattr(_shells._workers, "submit", no_thread)
    assert maildiag.diagnose("john@shop.io", resolver=fake).verdict is Verdict.OK


def test_an_async_hit_never_suspends() -> None:
    fake = shop()
    maildiag.diagnose("jane@shop.io", resolver=fake)
    coro = maildiag.adiagnose("john@shop.io", resolver=fake)
    with pytest.raises(StopIteration) as done:
        coro.send(None)  # ran to its end at once: no await reached the event loop
    assert done.value.value.verdict is Verdict.OK


def test_sync_async_and_bulk_share_one_cache() -> None:
    fake = shop()
    maildiag.diagnose("jane@shop.io", resolver=fake)
    asyncio.run(maildiag.adiagnose("john@shop.io", resolver=fake))
    assert [d.verdict for d in maildiag.diagnose_many(["a@shop.io", "b@shop.io"], resolver=fake)] == [Verdict.OK] * 2
    assert mx_asked(fake) == 1


# -- what is kept, and for how long -------------------------------------------------------------


class Timed:
    """A resolver whose answers carry a TTL, and may fail."""

    def __init__(self, ttl: float | None, status: DnsStatus = DnsStatus.OK) -> None:
        self.ttl, self.status, self.asked = ttl, status, 0

    def lookup(self, name: str, rdtype: str, timeout: float) -> DnsAnswer:
        self.asked += 1
        if self.status is not DnsStatus.OK:
            return DnsAnswer(name, rdtype, self.status, ttl=self.ttl)
        if rdtype == "MX":
            return DnsAnswer(name, rdtype, DnsStatus.OK, (f"10 mx.{name}.",), ttl=self.ttl)
        if rdtype == "AAAA":
            return DnsAnswer(name, rdtype, DnsStatus.OK, (MX_ADDRESS,), ttl=self.ttl)
        # (a NODATA without a TTL is kept only seconds; its TTL here never decides)
        return DnsAnswer(name, rdtype, DnsStatus.NODATA, ttl=3600 if self.ttl is None else self.ttl)


def lookups_after(resolver: Timed, clock: Clock, seconds: float) -> int:
    maildiag.diagnose("jane@shop.io", resolver=resolver, sanity_domains=())
    before = resolver.asked
    clock.now += seconds
    maildiag.diagnose("john@shop.io", resolver=resolver, sanity_domains=())
    return resolver.asked - before


@pytest.mark.parametrize(
    ("ttl", "status", "seconds", "asked_again"),
    [
        (30.0, DnsStatus.OK, 29, False),  # within the shortest TTL
        (30.0, DnsStatus.OK, 31, True),  # past it
        (None, DnsStatus.OK, 59, False),  # no TTL given: kept a minute
        (None, DnsStatus.OK, 61, True),
        (0.0, DnsStatus.OK, 0, True),  # TTL 0: not kept at all
        (99999.0, DnsStatus.OK, 3599, False),  # capped at an hour
        (99999.0, DnsStatus.OK, 3601, True),
        (300.0, DnsStatus.SERVFAIL, 4, False),  # a failure: a few seconds...
        (300.0, DnsStatus.SERVFAIL, 6, True),  # ...never longer, whatever TTL
        (300.0, DnsStatus.REFUSED, 6, True),
        (None, DnsStatus.NXDOMAIN, 4, False),  # negative without an SOA: seconds only
        (None, DnsStatus.NXDOMAIN, 6, True),
        (None, DnsStatus.NODATA, 6, True),
        (60.0, DnsStatus.NXDOMAIN, 59, False),  # with its RFC 2308 TTL: that long
        (300.0, DnsStatus.TIMEOUT, 0, True),  # a timeout: never kept
        (300.0, DnsStatus.ERROR, 0, True),
    ],
)
def test_results_are_kept_as_long_as_their_answers_allow(
    clock: Clock, ttl: float | None, status: DnsStatus, seconds: float, asked_again: bool
) -> None:
    assert bool(lookups_after(Timed(ttl, status), clock, seconds)) is asked_again


def test_the_shortest_ttl_of_a_result_decides() -> None:
    result = DomainResult((), (DnsAnswer("a", "MX", DnsStatus.OK, ("10 b.",), ttl=300),
                                      DnsAnswer("b", "A", DnsStatus.OK, ("192.0.2.1",), ttl=20)), (), ())
    assert _cache.keep_for(result) == 20


def test_negative_answers_carry_the_rfc2308_ttl(resolver: dns.resolver.Resolver) -> None:
    # tests/dns/test.zone: SOA TTL 60, MINIMUM 60; RFC 2308 §5: min(SOA TTL, MINIMUM).
    nx = maildiag.diagnose("jane@nope.example", resolver=resolver, sanity_domains=())
    nodata = maildiag.diagnose("jane@empty.example", resolver=resolver, sanity_domains=())
    nx_ttl, nodata_ttl = nx.dns[0].ttl, nodata.dns[0].ttl
    assert nx.dns[0].status is DnsStatus.NXDOMAIN and nodata.dns[0].status is DnsStatus.NODATA
    assert nx_ttl is not None and 50 < nx_ttl <= 60
    assert nodata_ttl is not None and 50 < nodata_ttl <= 60
    ok = maildiag.diagnose("jane@multi-mx.example", resolver=resolver, allow_private_addresses=True)
    assert all(a.ttl is not None and 50 < a.ttl <= 60 for a in ok.dns)  # $TTL 60


def test_the_cache_is_bounded() -> None:
    cache = DomainCache(maxsize=3)
    result = DomainResult((), (), (), ())
    for key in "abcd":
        found = cache.lookup(key)
        assert isinstance(found, Lead)
        cache.finish(key, found, result)
    assert len(cache) == 3 and isinstance(cache.lookup("a"), Lead)  # the oldest went first


def test_memory_stays_bounded_over_many_domains(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_cache.CACHE, "maxsize", 50)
    fake = FakeResolver()
    for i in range(200):
        fake.mx(f"shop{i}.io", f"mx.shop{i}.io", address=MX_ADDRESS)
    for d in maildiag.diagnose_many([f"jane@shop{i}.io" for i in range(200)], resolver=fake):
        assert d.verdict is Verdict.OK
    assert len(_cache.CACHE) == 50


# -- keys: the resolver asked and the options that change conclusions --------------------------


def test_two_fakes_never_see_each_other() -> None:
    good = shop()
    dead = FakeResolver().null_mx("shop.io")
    assert maildiag.diagnose("jane@shop.io", resolver=good).verdict is Verdict.OK
    assert maildiag.diagnose("jane@shop.io", resolver=dead).has("mx.null")


def test_a_fake_changed_after_a_diagnosis_is_asked_again() -> None:
    fake = FakeResolver()
    assert maildiag.diagnose("jane@shop.io", resolver=fake).verdict is not Verdict.OK
    fake.mx("shop.io", "mx.shop.io", address=MX_ADDRESS)
    assert maildiag.diagnose("jane@shop.io", resolver=fake).verdict is Verdict.OK


def test_options_that_change_the_conclusion_are_part_of_the_key() -> None:
    fake = FakeResolver().mx("shop.io", "mx.shop.io", address="127.0.0.1")
    assert maildiag.diagnose("jane@shop.io", resolver=fake).verdict is Verdict.UNDELIVERABLE
    assert maildiag.diagnose("jane@shop.io", resolver=fake, allow_private_addresses=True).verdict is Verdict.OK


def test_dnspython_resolvers_made_per_request_share_results(dns_server: tuple[str, int]) -> None:
    def fresh() -> dns.resolver.Resolver:
        r = dns.resolver.Resolver(configure=False)
        r.nameservers, r.port, r.cache = [dns_server[0]], dns_server[1], None
        return r

    maildiag.diagnose("jane@multi-mx.example", resolver=fresh(), allow_private_addresses=True)
    with pytest.raises(StopIteration):
        next(plan("john@multi-mx.example", Options(resolver=fresh(), allow_private_addresses=True)))


def test_a_dead_resolvers_id_never_serves_its_answers_to_a_new_one() -> None:
    key = _cache.key_for("shop.io", Options(resolver=shop()))  # that fake is gone at once
    assert key is not None and key != _cache.key_for("shop.io", Options(resolver=shop()))


# -- the switch and the clear function ----------------------------------------------------------


def test_dns_cache_false_asks_every_time() -> None:
    fake = shop()
    for name in ("jane", "john", "joan"):
        maildiag.diagnose(f"{name}@shop.io", resolver=fake, dns_cache=False)
    assert mx_asked(fake) == 3


def test_clear_dns_cache_forgets() -> None:
    fake = shop()
    maildiag.diagnose("jane@shop.io", resolver=fake)
    maildiag.clear_dns_cache()
    maildiag.diagnose("john@shop.io", resolver=fake)
    assert mx_asked(fake) == 2


def test_the_testing_kit_starts_each_test_with_an_empty_cache(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(textwrap.dedent("""
        import maildiag
        from maildiag.testing import FakeResolver

        def test_one(maildiag_default_dns):
            maildiag_default_dns.mx("shop.io", "mx.shop.io")
            assert maildiag.diagnose("jane@shop.io").verdict.value == "ok"

        def test_two(maildiag_default_dns):
            # same domain, another test's fake: must not be served test_one's answer
            maildiag_default_dns.null_mx("shop.io")
            assert maildiag.diagnose("jane@shop.io").has("mx.null")

        def test_three():
            fake = FakeResolver().mx("shop.io", "mx.shop.io")
            maildiag.diagnose("jane@shop.io", resolver=fake)
            from maildiag import _cache
            assert len(_cache.CACHE) == 1

        def test_four():
            from maildiag import _cache
            assert len(_cache.CACHE) == 0
    """))
    result = pytester.runpytest("-p", "maildiag", "-q", "-p", "no:randomly")
    result.assert_outcomes(passed=4)


# -- single flight ---------------------------------------------------------------------------


def test_concurrent_sync_askers_share_one_lookup() -> None:
    fake = shop().slow("shop.io", 0.2)
    results: list[Verdict] = []
    threads = [threading.Thread(target=lambda i=i: results.append(
        maildiag.diagnose(f"a{i}@shop.io", resolver=fake).verdict)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert results == [Verdict.OK] * 20
    assert mx_asked(fake) == 1


def test_concurrent_async_askers_share_one_lookup() -> None:
    fake = shop().slow("shop.io", 0.2)

    async def main() -> list[maildiag.Diagnosis]:
        return await asyncio.gather(*(maildiag.adiagnose(f"a{i}@shop.io", resolver=fake) for i in range(50)))

    assert [d.verdict for d in asyncio.run(main())] == [Verdict.OK] * 50
    assert mx_asked(fake) == 1


def test_an_abandoned_lookup_sends_its_waiters_to_ask_themselves() -> None:
    opts = Options(resolver=shop())
    leader, waiter = plan("jane@shop.io", opts), plan("john@shop.io", opts)
    assert next(leader) == (Query("shop.io", "MX"),)
    (wait,) = next(waiter)
    assert isinstance(wait, Await) and wait.future is not None and not wait.future.done()
    leader.close()  # a cancelled task, a closed generator
    assert wait.future.done() and wait.future.result() is None
    assert waiter.send((None,)) == (Query("shop.io", "MX"),)


def test_a_lookup_cut_by_its_askers_deadline_is_not_shared_with_waiters_who_have_time() -> None:
    fake = shop().slow("shop.io", 0.3)
    out: dict[str, maildiag.Diagnosis] = {}
    hurried = threading.Thread(target=lambda: out.setdefault(
        "hurried", maildiag.diagnose("a@shop.io", resolver=fake, deadline=0.1)))
    hurried.start()
    time.sleep(0.02)
    patient = maildiag.diagnose("b@shop.io", resolver=fake, deadline=2)
    hurried.join(5)
    assert out["hurried"].verdict is Verdict.UNKNOWN and out["hurried"].has("dns.timeout")
    assert patient.verdict is Verdict.OK


# -- deadlines hold for every asker: hung and slow resolvers, 200 at once ------------------------


class Hung:
    """Ignores its timeout until released (a wedged library)."""

    def __init__(self) -> None:
        self.release = threading.Event()

    def lookup(self, name: str, rdtype: str, timeout: float) -> DnsAnswer:
        self.release.wait(30)
        return DnsAnswer(name, rdtype, DnsStatus.TIMEOUT)

    async def alookup(self, name: str, rdtype: str, timeout: float) -> DnsAnswer:
        await asyncio.sleep(30)
        return DnsAnswer(name, rdtype, DnsStatus.TIMEOUT)


@pytest.fixture
def hung() -> Iterator[Hung]:
    h = Hung()
    yield h
    h.release.set()


def _sync_200(resolver: object, domains: int) -> tuple[float, list[maildiag.Diagnosis]]:
    results: list[maildiag.Diagnosis] = []
    lock = threading.Lock()

    def one(i: int) -> None:
        d = maildiag.diagnose(f"a{i}@shop{i % domains}.io", resolver=resolver, deadline=0.3)
        with lock:
            results.append(d)

    threads = [threading.Thread(target=one, args=(i,), daemon=True) for i in range(200)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    return time.monotonic() - start, results


def _async_200(resolver: object, domains: int) -> tuple[float, list[maildiag.Diagnosis]]:
    async def main() -> list[maildiag.Diagnosis]:
        return await asyncio.gather(*(
            maildiag.adiagnose(f"a{i}@shop{i % domains}.io", resolver=resolver, deadline=0.3) for i in range(200)
        ))

    start = time.monotonic()
    results = asyncio.run(main())
    return time.monotonic() - start, results


@pytest.mark.parametrize("shell", [_sync_200, _async_200], ids=["sync", "async"])
@pytest.mark.parametrize("domains", [1, 200], ids=["one-domain", "200-domains"])
def test_200_concurrent_diagnoses_keep_their_deadline_with_a_hung_resolver(
    hung: Hung, shell: object, domains: int
) -> None:
    assert callable(shell)
    elapsed, results = shell(hung, domains)
    assert len(results) == 200
    assert all(d.verdict is Verdict.UNKNOWN and d.has("dns.timeout") for d in results)
    assert elapsed < 3  # 0.3 s each, all at once: never 200 x 0.3 s, never the 30 s hang
    assert len(_cache.CACHE) == 0  # a timeout is never kept


@pytest.mark.parametrize("shell", [_sync_200, _async_200], ids=["sync", "async"])
def test_200_concurrent_diagnoses_at_a_slow_domain(shell: object) -> None:
    fake = FakeResolver()
    for i in range(4):
        fake.mx(f"shop{i}.io", f"mx.shop{i}.io", address=MX_ADDRESS)
    fake.slow("shop0.io", 5)  # slower than every deadline
    fake.slow("shop1.io", 0.05)  # slow, but in time
    assert callable(shell)
    elapsed, results = shell(fake, 4)
    by_domain: dict[str | None, set[Verdict]] = {}
    for d in results:
        by_domain.setdefault(d.domain, set()).add(d.verdict)
    assert by_domain == {"shop0.io": {Verdict.UNKNOWN}, "shop1.io": {Verdict.OK}, "shop2.io": {Verdict.OK},
                         "shop3.io": {Verdict.OK}}
    assert elapsed < 3
    assert mx_asked(fake, "shop1.io") == 1 and mx_asked(fake, "shop2.io") == 1


def test_a_deferred_lead_claims_nothing_until_its_shell_is_ready() -> None:
    # bulk: a row queued behind the concurrency bound must not make others wait for it
    opts = Options(resolver=shop())
    queued = plan("jane@shop.io", opts, defer_lead=True)
    assert next(queued) == (Await(None),)
    checkout = plan("john@shop.io", opts)
    assert next(checkout) == (Query("shop.io", "MX"),)  # leads at once, waits for no one
    (wait,) = queued.send((None,))  # the row got its slot: the lookup is in flight now
    assert isinstance(wait, Await) and wait.future is not None


def test_sync_diagnose_on_an_event_loop_thread_does_not_wait_for_that_loop() -> None:
    fake = shop()

    async def view() -> maildiag.Diagnosis:
        leader = plan("jane@shop.io", Options(resolver=fake))
        next(leader)  # a lookup in flight that only this loop could finish
        start = time.monotonic()
        d = maildiag.diagnose("john@shop.io", resolver=fake, deadline=2)
        assert time.monotonic() - start < 1  # asked itself; did not block the loop 2 s
        leader.close()
        return d

    assert asyncio.run(view()).verdict is Verdict.OK


def test_bulk_rows_do_not_wait_for_a_lookup_queued_behind_the_bound() -> None:
    # concurrency 1: every other domain's row waits for the slot; a checkout at one of those
    # domains meanwhile is answered within its own deadline, never "unknown" for lack of time
    fake = FakeResolver()
    for i in range(6):
        fake.mx(f"shop{i}.io", f"mx.shop{i}.io", address=MX_ADDRESS)
    for i in range(5):
        fake.slow(f"shop{i}.io", 0.3)  # shop5's row gets the slot after 1.5 s at the earliest
    rows = maildiag.diagnose_many([f"a@shop{i}.io" for i in range(6)], resolver=fake, concurrency=1, lookahead=8)
    first = next(rows)  # shop0 took the slot; shop1..5 queue behind it
    checkout = maildiag.diagnose("jane@shop5.io", resolver=fake, deadline=1)
    assert checkout.verdict is Verdict.OK
    assert first.verdict is Verdict.OK and [d.verdict for d in rows] == [Verdict.OK] * 5


def test_bulk_typo_rows_look_the_suggested_domain_up_once_and_agree_with_diagnose() -> None:
    # the typed domain and the suggested one are two per-domain results; bulk claims both late
    fake = shop()
    rows = [f"jane{i}@gmial.com" for i in range(20)]
    bulk = list(maildiag.diagnose_many(rows, resolver=fake, concurrency=4))
    # each domain's MX once for 20 rows (gmail.com is also the lying-resolver check's sanity
    # name; the run shares that identical query)
    assert mx_asked(fake, "gmial.com") == 1 and mx_asked(fake, "gmail.com") == 1
    maildiag.clear_dns_cache()
    one = [maildiag.diagnose(r, resolver=fake) for r in rows]
    assert bulk == one and {d.verdict for d in bulk} == {Verdict.FIX}
    assert mx_asked(fake, "gmial.com") == 2
