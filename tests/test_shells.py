"""The shells keep their promises whatever the resolver does, and whoever else is waiting.

A checkout server runs many diagnoses at once, from threads and from event loops, some of
them against a resolver that misbehaves. These tests hold the shells to: no exception from
a resolver's failure (it is ``unknown``, our network), no request made ``unknown`` by
another request's hung lookups, a working pool after ``fork()``, the deadline counted from
the first query, and the same answers from sync and async whatever kind of resolver is given.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time
from typing import Any

import dns.asyncresolver
import dns.resolver
import pytest

import maildiag
from maildiag import DnsAnswer, DnsStatus, Verdict
from maildiag.testing import FakeResolver
from maildiag.testing.addresses import MX_ADDRESS


def healthy() -> FakeResolver:
    return FakeResolver().mx("shop.io", "mx.shop.io", address=MX_ADDRESS)


# -- a failing resolver is our network's failure, never an exception ----------------------


class Raising:
    def lookup(self, name: str, rdtype: str, timeout: float) -> DnsAnswer:
        raise RuntimeError("boom")

    async def alookup(self, name: str, rdtype: str, timeout: float) -> DnsAnswer:
        raise RuntimeError("boom")


class Garbage:
    def lookup(self, name: str, rdtype: str, timeout: float) -> Any:
        return "10 mx.shop.io."

    async def alookup(self, name: str, rdtype: str, timeout: float) -> Any:
        return None


class DottedNames:
    """Answers about ``name.`` (with the root dot): the core must pair answers by position."""

    def __init__(self) -> None:
        self.fake = FakeResolver().mx("shop.io", "mx.shop.io", address=MX_ADDRESS)

    def lookup(self, name: str, rdtype: str, timeout: float) -> DnsAnswer:
        a = self.fake.answer(name, rdtype)
        return DnsAnswer(name + ".", a.rdtype, a.status, a.records)

    async def alookup(self, name: str, rdtype: str, timeout: float) -> DnsAnswer:
        return self.lookup(name, rdtype, timeout)


@pytest.mark.parametrize(
    ("resolver", "verdict", "code"),
    [
        pytest.param(Raising(), Verdict.UNKNOWN, "dns.error", id="lookup-raises"),
        pytest.param(Garbage(), Verdict.UNKNOWN, "dns.error", id="lookup-returns-garbage"),
        pytest.param(DottedNames(), Verdict.OK, None, id="answer-names-with-root-dot"),
    ],
)
@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_misbehaving_resolver_is_never_an_exception(resolver: Any, verdict: Verdict, code: str | None,
                                                      mode: str) -> None:
    if mode == "sync":
        d = maildiag.diagnose("jane@shop.io", resolver=resolver, deadline=1)
    else:
        d = asyncio.run(maildiag.adiagnose("jane@shop.io", resolver=resolver, deadline=1))
    assert d.verdict is verdict, d.codes
    if code is not None:
        assert d.has(code)
        assert d.blame is maildiag.Blame.OUR_NETWORK


@pytest.mark.parametrize("thing", [object(), "8.8.8.8", 42])
def test_something_that_is_no_resolver_is_a_clear_type_error(thing: object) -> None:
    with pytest.raises(TypeError, match="resolver must be"):
        maildiag.diagnose("jane@shop.io", resolver=thing)
    with pytest.raises(TypeError, match="resolver must be"):
        asyncio.run(maildiag.adiagnose("jane@shop.io", resolver=thing))


# -- every kind of resolver works in both shells --------------------------------------------


class SyncOnly:
    def __init__(self) -> None:
        self.fake = healthy()
        self.threads: set[str] = set()

    def lookup(self, name: str, rdtype: str, timeout: float) -> DnsAnswer:
        self.threads.add(threading.current_thread().name)
        return self.fake.lookup(name, rdtype, timeout)


class AsyncOnly:
    def __init__(self) -> None:
        self.fake = healthy()

    async def alookup(self, name: str, rdtype: str, timeout: float) -> DnsAnswer:
        return await self.fake.alookup(name, rdtype, timeout)


@pytest.mark.parametrize("kind", [SyncOnly, AsyncOnly])
def test_sync_only_and_async_only_resolvers_work_in_both_shells(kind: type) -> None:
    sync = maildiag.diagnose("jane@shop.io", resolver=kind(), deadline=1)
    asynchronous = asyncio.run(maildiag.adiagnose("jane@shop.io", resolver=kind(), deadline=1))
    assert sync.verdict is asynchronous.verdict is Verdict.OK
    assert sync.to_dict() == asynchronous.to_dict()


def test_a_sync_only_resolver_never_blocks_the_event_loop() -> None:
    resolver = SyncOnly()
    asyncio.run(maildiag.adiagnose("jane@shop.io", resolver=resolver, deadline=1))
    assert resolver.threads and threading.main_thread().name not in resolver.threads


@pytest.mark.parametrize("kind", [dns.resolver.Resolver, dns.asyncresolver.Resolver])
def test_either_dnspython_resolver_works_in_both_shells(kind: type, dns_server: tuple[str, int]) -> None:
    def make() -> Any:
        r = kind(configure=False)
        r.nameservers, r.port = [dns_server[0]], dns_server[1]
        r.timeout, r.lifetime = 0.5, 1.0
        return r

    # The test zone's MX hosts are on loopback addresses.
    sync = maildiag.diagnose("a@multi-mx.example", resolver=make(), allow_private_addresses=True)
    asynchronous = asyncio.run(
        maildiag.adiagnose("a@multi-mx.example", resolver=make(), allow_private_addresses=True)
    )
    assert sync.verdict is asynchronous.verdict is Verdict.OK
    assert [h.host for h in sync.mx] == [h.host for h in asynchronous.mx]
    assert len(sync.mx) > 1


# -- one request's hung lookups do not starve the others --------------------------------------


class Hung:
    """A resolver that ignores its timeout until released (a wedged library, a dead socket)."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.entered = threading.Semaphore(0)

    def lookup(self, name: str, rdtype: str, timeout: float) -> DnsAnswer:
        self.entered.release()
        self.release.wait(30)
        return DnsAnswer(name, rdtype, DnsStatus.TIMEOUT)


def test_hung_lookups_of_other_requests_do_not_make_a_healthy_address_unknown() -> None:
    hung = Hung()
    # Forty domains: diagnoses at one domain share one lookup (the per-domain cache's single
    # flight), so each hung lookup that holds a worker thread is another domain's.
    stuck = [
        threading.Thread(target=maildiag.diagnose, args=(f"a@hung{i}.io",),
                         kwargs={"resolver": hung, "deadline": 0.2}, daemon=True)
        for i in range(40)
    ]
    try:
        for t in stuck:
            t.start()
        for _ in stuck:  # every one of them holds a worker thread, far past its deadline
            assert hung.entered.acquire(timeout=5)
        for t in stuck:
            t.join(5)
        d = maildiag.diagnose("jane@shop.io", resolver=healthy(), deadline=1)
        assert d.verdict is Verdict.OK, d.codes
    finally:
        hung.release.set()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork() is POSIX")
def test_diagnose_works_in_a_forked_child() -> None:
    # gunicorn --preload: the parent warmed up (its worker threads exist), then forked.
    assert maildiag.diagnose("jane@shop.io", resolver=healthy(), deadline=1).verdict is Verdict.OK
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through the pipe
        try:
            d = maildiag.diagnose("jane@shop.io", resolver=healthy(), deadline=1)
            os.write(write, d.verdict.value.encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        reported = pipe.read().decode()
    os.waitpid(pid, 0)
    assert reported == "ok"


# -- the deadline is DNS time ------------------------------------------------------------------

COLD_PROCESS = """
import sys, threading
import maildiag
from maildiag.testing import FakeResolver
from maildiag.testing.addresses import MX_ADDRESS
fake = FakeResolver().mx("shop.io", "mx.shop.io", address=MX_ADDRESS)
results = []
def one():
    # dns_cache=False: each thread makes its own lookups (with the cache they share one)
    results.append(maildiag.diagnose("jane@shop.io", resolver=fake, deadline=float(sys.argv[1]),
                                     dns_cache=False).verdict.value)
threads = [threading.Thread(target=one) for _ in range(8)]
for t in threads: t.start()
for t in threads: t.join()
print(" ".join(results), len(fake.queries))
"""


def test_first_call_loading_the_data_tables_does_not_eat_the_dns_deadline() -> None:
    # A fresh process: eight threads at once load the data files on their first diagnosis
    # (tens of milliseconds); a 50 ms DNS deadline still leaves the fake's answers in time.
    out = subprocess.run([sys.executable, "-c", COLD_PROCESS, "0.05"], capture_output=True, text=True,
                         check=True, timeout=60).stdout.split()
    assert out[:8] == ["ok"] * 8
    assert int(out[8]) >= 8


def test_the_deadline_still_bounds_dns() -> None:
    fake = healthy().slow("shop.io", 5)
    start = time.monotonic()
    d = maildiag.diagnose("jane@shop.io", resolver=fake, deadline=0.1)
    assert time.monotonic() - start < 0.3
    assert d.verdict is Verdict.UNKNOWN and d.has("dns.timeout")


def test_when_no_thread_can_start_the_lookup_is_an_error_not_a_hang(monkeypatch: pytest.MonkeyPatch) -> None:
    from maildiag import _shells

    monkeypatch.setattr(_shells, "_workers", _shells._Workers())  # none idle: each lookup starts one

    def refuse(self: threading.Thread) -> None:
        raise RuntimeError("can't start new thread")

    monkeypatch.setattr(threading.Thread, "start", refuse)
    start = time.monotonic()
    d = maildiag.diagnose("jane@shop.io", resolver=healthy(), deadline=2)
    assert time.monotonic() - start < 1  # answered at once, not at the deadline
    assert d.verdict is Verdict.UNKNOWN and d.has("dns.error")
