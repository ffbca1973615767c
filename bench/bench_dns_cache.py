"""The DNS path on a loopback unbound, side by side with email-validator (issue 13).

    python bench/bench_dns_cache.py [--addresses 100000] [--domains 5000] [--concurrency 64]

A real unbound (``apt-get install unbound``) serves a generated zone as the root zone on
127.0.0.1 (nothing leaves loopback): ``shop<N>.co.uk`` with one MX host each, whose only
address is 2001:db9::25 (global in form, so maildiag counts it usable; it is only ever
answered here, never connected to). Every contestant gets
a dnspython resolver *with a cache* pointed at it, as email-validator's docs recommend
(``caching_resolver``). Each bulk contestant runs in a fresh process (clean caches; peak RSS
is its own); unbound's own counters give the queries each one sent.

1. warm: one address at a time, every answer already cached: ``diagnose`` against
   ``validate_email(check_deliverability=True)`` on the same 2,000 distinct addresses over
   40 domains (target: ratio <= 1.5).
2. bulk: ``--addresses`` distinct addresses over ``--domains`` domains, Zipf weights (1/rank):
   email-validator one at a time, ``diagnose_many`` and ``maildiag check --json -`` (in
   process); addresses/s, ratio, queries sent per unique domain, peak RSS (targets: >= 20,000
   addresses/s and >= 2.5x email-validator).
3. cold: query batches (round trips) a new domain costs (target: <= 2).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import pathlib
import random
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable

import dns.message
import dns.query
import dns.resolver

#: Global in form (so maildiag counts the MX host usable), in 2001::/23 space IANA has not
#: assigned; only ever answered by the loopback server, never connected to.
MX_ADDRESS = "2001:db9::25"
HERE = pathlib.Path(__file__).parent

CONF = """server:
    interface: 127.0.0.1@{port}
    port: {port}
    do-ip6: no
    do-daemonize: no
    username: ""
    chroot: ""
    directory: "{dir}"
    pidfile: "{dir}/unbound.pid"
    use-syslog: no
    logfile: ""
    verbosity: 0
    num-threads: 1
    access-control: 127.0.0.0/8 allow
    module-config: "iterator"
    trust-anchor-signaling: no
    root-key-sentinel: no
    outgoing-interface: 127.0.0.1
    statistics-cumulative: yes
remote-control:
    control-enable: yes
    control-interface: "{dir}/control.sock"
    control-use-cert: no
auth-zone:
    name: "."
    zonefile: "{dir}/root.zone"
    for-downstream: yes
    for-upstream: no
    fallback-enabled: no
"""


def domains(count: int) -> list[str]:
    return [f"shop{i}.co.uk" for i in range(count)]


def write_zone(path: pathlib.Path, names: list[str]) -> None:
    lines = [
        "$ORIGIN .", "$TTL 3600",
        "@ IN SOA ns.bench.example. hostmaster.bench.example. 1 3600 600 86400 300",
        "@ IN NS ns.bench.example.", "ns.bench.example. IN A 127.0.0.1",
    ]
    for name in names:
        lines += [f"{name}. IN MX 10 mx.{name}.", f"mx.{name}. IN AAAA {MX_ADDRESS}"]
    path.write_text("\n".join(lines) + "\n")


class Unbound:
    """unbound on 127.0.0.1:<free port> serving the generated zone."""

    def __init__(self, names: list[str]) -> None:
        exe = shutil.which("unbound") or "/usr/sbin/unbound"
        self.dir = tempfile.mkdtemp(prefix="maildiag-bench-unbound-")
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind(("127.0.0.1", 0))
            self.port = int(s.getsockname()[1])
        write_zone(pathlib.Path(self.dir) / "root.zone", names)
        self.conf = pathlib.Path(self.dir) / "unbound.conf"
        self.conf.write_text(CONF.format(port=self.port, dir=self.dir))
        self.log = open(pathlib.Path(self.dir) / "log", "w")  # noqa: SIM115
        self.proc = subprocess.Popen([exe, "-d", "-c", str(self.conf)], stdout=self.log, stderr=subprocess.STDOUT)
        stop = time.monotonic() + 15
        while True:
            try:
                dns.query.udp(dns.message.make_query("ns.bench.example", "A"), "127.0.0.1", port=self.port,
                              timeout=0.2)
                break
            except Exception:
                if self.proc.poll() is not None or time.monotonic() > stop:
                    raise RuntimeError((pathlib.Path(self.dir) / "log").read_text()) from None

    def queries(self) -> int:
        out = subprocess.run(["unbound-control", "-c", str(self.conf), "stats_noreset"],
                             capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            if line.startswith("total.num.queries="):
                return int(line.split("=")[1])
        raise RuntimeError(out)

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def caching_resolver(port: int) -> dns.resolver.Resolver:
    r = dns.resolver.Resolver(configure=False)
    r.nameservers, r.port = ["127.0.0.1"], port
    r.cache = dns.resolver.LRUCache(100_000)
    return r


def zipf_addresses(count: int, names: list[str], seed: int = 13) -> list[str]:
    rng = random.Random(seed)
    weights = [1 / rank for rank in range(1, len(names) + 1)]
    picked = rng.choices(names, weights, k=count)
    # every domain at least once, so "per unique domain" is over all of them
    picked[: len(names)] = names
    rng.shuffle(picked)
    return [f"customer{i}@{d}" for i, d in enumerate(picked)]


# -- contestants, each in its own process --------------------------------------------------


def run_one(kind: str, port: int, addresses: list[str], concurrency: int) -> dict[str, object]:
    import email_validator

    import maildiag

    maildiag.diagnose("warm.up@gmail.com", offline=True)  # data tables load once per process
    resolver = caching_resolver(port)
    start = time.perf_counter()
    outcome: dict[str, int] = {}
    if kind == "email-validator":
        for a in addresses:
            try:
                email_validator.validate_email(a, check_deliverability=True, dns_resolver=resolver)
                outcome["ok"] = outcome.get("ok", 0) + 1
            except email_validator.EmailNotValidError:
                outcome["refused"] = outcome.get("refused", 0) + 1
    elif kind == "diagnose_many":
        from maildiag.bulk import diagnose_many

        for d in diagnose_many(addresses, resolver=resolver, concurrency=concurrency):
            outcome[d.verdict.value] = outcome.get(d.verdict.value, 0) + 1
    elif kind == "cli":
        from maildiag.cli import main as cli_main

        out = io.StringIO()
        status = cli_main(["check", "--json", "--nameserver", f"127.0.0.1:{port}", "--concurrency",
                           str(concurrency), "-"], out=out, stdin=io.StringIO("\n".join(addresses) + "\n"))
        outcome = {f"exit {status}, rows": len(out.getvalue().splitlines())}
    elif kind == "diagnose":
        for a in addresses:
            d = maildiag.diagnose(a, resolver=resolver)
            outcome[d.verdict.value] = outcome.get(d.verdict.value, 0) + 1
    seconds = time.perf_counter() - start
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": seconds, "outcome": outcome, "rss_mb": rss_mb}


def warm(port: int) -> list[list[object]]:
    import email_validator

    import maildiag

    names = domains(40)
    addresses = [f"jane.{i}@{names[i % len(names)]}" for i in range(2000)]
    r_ev, r_md = caching_resolver(port), caching_resolver(port)
    for a in addresses:  # fill both caches (and maildiag's own)
        email_validator.validate_email(a, check_deliverability=True, dns_resolver=r_ev)
        d = maildiag.diagnose(a, resolver=r_md)
        assert d.verdict is maildiag.Verdict.OK, d.to_dict()
    t_ev: list[float] = []
    t_md: list[float] = []
    for round_ in range(7):
        pair: list[tuple[list[float], Callable[[], object]]] = [
            (t_ev, lambda: [email_validator.validate_email(a, check_deliverability=True, dns_resolver=r_ev)
                            for a in addresses]),
            (t_md, lambda: [maildiag.diagnose(a, resolver=r_md) for a in addresses]),
        ]
        for times, fn in pair if round_ % 2 else reversed(pair):
            start = time.perf_counter()
            fn()
            times.append((time.perf_counter() - start) / len(addresses))
    ev, md = statistics.median(t_ev), statistics.median(t_md)
    return [["one address, warm cache (caching resolver each)", f"{md * 1e6:.0f} µs", f"{ev * 1e6:.0f} µs",
             f"{md / ev:.2f}x", "≤ 1.5x"]]


def cold_round_trips(port: int) -> int:
    """Query batches a new domain's diagnosis yields (each batch is one round trip)."""
    from maildiag import _core, _shells
    from maildiag._core import Query
    from maildiag.options import Options

    resolver = caching_resolver(port)
    opts = Options(resolver=resolver)
    if hasattr(opts, "dns_cache"):
        opts = opts.replace(dns_cache=False)
    flow = _core.plan("jane@shop1.co.uk", opts)
    lookup = _shells._sync_lookup(resolver)
    batches = 0
    try:
        batch = next(flow)
        while True:
            batches += 1
            assert all(isinstance(q, Query) for q in batch), "the cache is off: only DNS queries"
            batch = flow.send(tuple(_shells._execute_sync(lookup, q, 3.0) for q in batch if isinstance(q, Query)))
    except StopIteration as done:
        verdict = done.value.verdict.value
    if verdict != "ok":
        raise RuntimeError(f"the bench domain should be ok, not {verdict}")
    return batches


def profile(names: list[str], args: argparse.Namespace) -> None:
    import asyncio
    import cProfile
    import pstats

    import maildiag
    from maildiag.bulk import adiagnose_many

    async def run(addresses: list[str], resolver: dns.resolver.Resolver) -> None:
        # adiagnose_many: the event loop runs on this thread, where cProfile looks
        async for _ in adiagnose_many(addresses, resolver=resolver, concurrency=args.concurrency):
            pass

    server = Unbound(names)
    try:
        addresses = zipf_addresses(args.addresses, names)
        maildiag.diagnose("warm.up@gmail.com", offline=True)
        resolver = caching_resolver(server.port)
        profiler = cProfile.Profile()
        profiler.enable()
        asyncio.run(run(addresses, resolver))
        profiler.disable()
        stats = pstats.Stats(profiler, stream=sys.stdout)
        stats.sort_stats("tottime").print_stats(15)
        stats.sort_stats("cumulative").print_stats("maildiag|dns/|email_validator", 25)
    finally:
        server.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--addresses", type=int, default=100_000)
    parser.add_argument("--domains", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--skip", action="append", default=[], help="contestant to leave out")
    parser.add_argument("--profile", action="store_true",
                        help="cProfile diagnose_many over the addresses; print the top 15 by own time")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    names = domains(args.domains)
    if args.profile:
        profile(names, args)
        return
    if args.one:
        addresses = zipf_addresses(args.addresses, names)
        print(json.dumps(run_one(args.one, args.port, addresses, args.concurrency)))
        return

    import email_validator

    import maildiag

    server = Unbound(names)
    try:
        print(f"Python {sys.version.split()[0]}, maildiag {maildiag.__version__}, "
              f"email-validator {email_validator.__version__}, dnspython {dns.version.version}, "
              f"unbound on 127.0.0.1:{server.port}\n")
        print("| path | maildiag | email-validator | ratio | goal |\n|---|---|---|---|---|")
        for row in warm(server.port):
            print("| " + " | ".join(map(str, row)) + " |")
        print(f"\ncold: round trips (query batches) for a new domain: {cold_round_trips(server.port)} (goal ≤ 2)\n")
        print(f"bulk: {args.addresses:,} distinct addresses over {args.domains:,} domains (Zipf), "
              f"concurrency {args.concurrency}\n")
        print("| contestant | seconds | addresses/s | vs email-validator | queries | per domain | peak RSS | outcome |")
        print("|---|---|---|---|---|---|---|---|")
        base = None
        for kind in ("email-validator", "diagnose_many", "cli"):
            if kind in args.skip:
                continue
            before = server.queries()
            out = subprocess.run(
                [sys.executable, __file__, "--one", kind, "--port", str(server.port), "--addresses",
                 str(args.addresses), "--domains", str(args.domains), "--concurrency", str(args.concurrency)],
                capture_output=True, text=True, check=True, env={**os.environ},
            ).stdout
            result = json.loads(out.strip().splitlines()[-1])
            sent = server.queries() - before
            rate = args.addresses / result["seconds"]
            base = base or (rate if kind == "email-validator" else None)
            ratio = f"{rate / base:.2f}x" if base else "-"
            print(f"| {kind} | {result['seconds']:.2f} | {rate:,.0f} | {ratio} | {sent:,} | "
                  f"{sent / args.domains:.2f} | {result['rss_mb']:.0f} MB | {result['outcome']} |")
    finally:
        server.close()


if __name__ == "__main__":
    main()
