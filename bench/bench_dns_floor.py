"""Where the bulk DNS target's time floor lies (issue 13): CPU per query and per address.

    python bench/bench_dns_floor.py [--domains 3000]

On a loopback unbound serving the same zone as ``bench_dns_cache.py``, in one process:

1. CPU per query of dnspython's asynchronous resolver (a new UDP socket per query), 64 at a
   time, as maildiag's bulk path uses it;
2. CPU per query of a bare one-socket client (every query on one UDP socket, answers matched
   by ID; dnspython builds and parses the messages): the cost without a socket per query;
3. CPU per query of dnspython's message work alone (``make_query`` + ``to_wire`` +
   ``from_wire`` of a real answer), which any client written on dnspython pays;
4. maildiag per address: offline, and with every domain's result already cached.

It prints the addresses/s each client would allow at the bulk bench's 20 addresses per
domain and 3 queries per domain, if nothing else cost anything.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import time
from collections.abc import Callable, Coroutine
from typing import Any

import dns.asyncresolver
import dns.exception
import dns.message
from bench_dns_cache import Unbound, caching_resolver, domains, zipf_addresses

from maildiag.bulk import diagnose_many


def queries(names: list[str]) -> list[tuple[str, str]]:
    # As maildiag asks them: the domain's MX, then its host's A (and AAAA).
    return [(n, "MX") for n in names] + [(f"mx.{n}", "A") for n in names]


async def via_resolver(port: int, qs: list[tuple[str, str]]) -> None:
    r = dns.asyncresolver.Resolver(configure=False)
    r.nameservers, r.port = ["127.0.0.1"], port
    sem = asyncio.Semaphore(64)

    async def one(name: str, rdtype: str) -> None:
        async with sem:
            with contextlib.suppress(dns.exception.DNSException):  # NODATA for the A queries
                await r.resolve(name, rdtype, lifetime=5)

    await asyncio.gather(*(one(n, t) for n, t in qs))


class _OneSocket(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.waiting: dict[int, asyncio.Future[bytes]] = {}

    def datagram_received(self, data: bytes, addr: object) -> None:
        fut = self.waiting.pop(int.from_bytes(data[:2], "big"), None) if len(data) >= 2 else None
        if fut is not None and not fut.done():
            fut.set_result(data)


async def via_one_socket(port: int, qs: list[tuple[str, str]]) -> None:
    loop = asyncio.get_running_loop()
    transport, proto = await loop.create_datagram_endpoint(_OneSocket, remote_addr=("127.0.0.1", port))
    sem = asyncio.Semaphore(64)

    async def one(name: str, rdtype: str) -> None:
        async with sem:
            q = dns.message.make_query(name, rdtype)
            while q.id in proto.waiting:
                q.id = random.getrandbits(16)
            fut: asyncio.Future[bytes] = loop.create_future()
            proto.waiting[q.id] = fut
            transport.sendto(q.to_wire())
            answer = dns.message.from_wire(await asyncio.wait_for(fut, 5))
            assert q.is_response(answer)

    try:
        await asyncio.gather(*(one(n, t) for n, t in qs))
    finally:
        transport.close()


def cpu_per(run: Callable[[], object], count: int) -> float:
    start = time.process_time()
    run()
    return (time.process_time() - start) / count * 1e6


def message_work(port: int, name: str) -> float:
    import dns.query

    q = dns.message.make_query(name, "MX")
    wire = dns.query.udp(q, "127.0.0.1", port=port, timeout=2).to_wire()
    n = 20_000

    def work() -> None:
        for _ in range(n):
            dns.message.make_query(name, "MX").to_wire()  # the query a client sends
            dns.message.from_wire(wire)  # and the real answer it parses

    return cpu_per(work, n)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--domains", type=int, default=3000)
    args = parser.parse_args()
    names = domains(2 * args.domains)
    server = Unbound(names)
    try:
        first, second = names[: args.domains], names[args.domains:]
        asyncio.run(via_one_socket(server.port, queries(names)))  # unbound answers from memory after this

        def timed(client: Callable[[int, list[tuple[str, str]]], Coroutine[Any, Any, None]],
                  part: list[str]) -> float:
            qs = queries(part)
            return cpu_per(lambda: asyncio.run(client(server.port, qs)), len(qs))

        resolver_us = min(timed(via_resolver, first), timed(via_resolver, second))
        one_socket_us = min(timed(via_one_socket, second), timed(via_one_socket, first))
        wire_us = message_work(server.port, names[0])

        addresses = zipf_addresses(40_000, names[:2000])
        res = caching_resolver(server.port)
        for _ in diagnose_many(addresses[:20_000], resolver=res, concurrency=64):
            pass  # every domain's result is cached after this
        start = time.process_time()
        for _ in diagnose_many(addresses[20_000:], resolver=res, concurrency=64):
            pass
        warm_us = (time.process_time() - start) / 20_000 * 1e6
        start = time.process_time()
        for _ in diagnose_many(addresses[20_000:], offline=True):
            pass
        offline_us = (time.process_time() - start) / 20_000 * 1e6
    finally:
        server.close()

    print("| cost | CPU µs | addresses/s allowed at 20 addresses and 3 queries per domain |")
    print("|---|---|---|")
    print(f"| maildiag per address, offline | {offline_us:.1f} | |")
    print(f"| maildiag per address, its domain's result cached | {warm_us:.1f} | {1e6 / warm_us:,.0f} |")
    for label, per_query in (("dnspython async resolver, per query", resolver_us),
                             ("one-socket client on dnspython messages, per query", one_socket_us),
                             ("dnspython message work alone, per query", wire_us)):
        per_address = warm_us + 3 * per_query / 20
        print(f"| {label} | {per_query:.0f} | {1e6 / per_address:,.0f} |")


if __name__ == "__main__":
    main()
