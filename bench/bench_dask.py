"""maildiag.dask.diagnose_frame on a LocalCluster of 1 and of 2 worker processes (issue 14).

    python bench/bench_dask.py [--rows 20000] [--domains 1000] [--partitions 16] [--concurrency 32]

The list is ``--rows`` distinct addresses over ``--domains`` domains with Zipf weights
(bench/bench_dns_cache.py: ``shop<N>.co.uk``, one MX host each), served by a real unbound on
127.0.0.1. For 1 and then 2 workers (one thread each, ``processes=True``) a fresh cluster
is started, every worker imports maildiag before the clock starts, and the frame (pandas,
``--partitions`` partitions) is diagnosed and collected with DNS and with ``offline=True``.
The same list through one :func:`maildiag.diagnose_many` in this process is the baseline.

Reported: wall seconds and rows/s, the speed-up of 2 workers over 1, and the DNS queries
unbound received (its own counters, ``unbound-control stats_noreset``) per unique domain.
The machine is shared, so the ratio is a fact about this run, not a constant.
"""

from __future__ import annotations

import argparse
import os
import time
from typing import Any

import dask.dataframe as dd
import distributed
import pandas as pd
from _util import table
from bench_dns_cache import Unbound, caching_resolver, domains, zipf_addresses

import maildiag
from maildiag.dask import diagnose_frame


def _warm() -> None:
    """What a worker pays once (imports, data tables), kept off the clock."""
    import maildiag.dask

    maildiag.diagnose("warm@example.org", offline=True)


def run_cluster(workers: int, frame: Any, port: int, concurrency: int, offline: bool) -> tuple[float, pd.DataFrame]:
    """Seconds to diagnose and collect ``frame`` on a fresh cluster of ``workers`` processes."""
    with distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                  dashboard_address=None, silence_logs=40) as cluster, \
            distributed.Client(cluster) as client:
        client.run(_warm)
        kwargs: dict[str, Any] = {"offline": True} if offline else {"nameserver": f"127.0.0.1:{port}"}
        start = time.perf_counter()
        result = client.compute(diagnose_frame(frame, "email", concurrency=concurrency, **kwargs)).result()
        return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--domains", type=int, default=1_000)
    parser.add_argument("--partitions", type=int, default=16)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    names = domains(args.domains)
    addresses = zipf_addresses(args.rows, names)
    pdf = pd.DataFrame({"id": range(args.rows), "email": addresses})
    frame = dd.from_pandas(pdf, npartitions=args.partitions)
    print(f"{args.rows:,} rows, {args.domains:,} domains (Zipf), {args.partitions} partitions, "
          f"concurrency {args.concurrency} per partition, loopback unbound; {os.cpu_count()} CPUs (shared)\n")

    rows: list[list[object]] = []
    seconds: dict[tuple[str, str], float] = {}
    verdicts: dict[str, Any] = {}
    for mode in ("DNS", "offline"):
        server = Unbound(names)
        try:
            maildiag.clear_dns_cache()
            before = server.queries()
            start = time.perf_counter()
            options = maildiag.Options(offline=mode == "offline",
                                       resolver=None if mode == "offline" else caching_resolver(server.port))
            base = [d.verdict.value for d in maildiag.diagnose_many(addresses, options=options,
                                                                      concurrency=args.concurrency)]
            took = time.perf_counter() - start
            sent = server.queries() - before
            seconds[(mode, "one process")] = took
            rows.append([mode, "diagnose_many, one process (no Dask)", f"{took:.1f}", f"{args.rows / took:,.0f}", "",
                         "-" if mode == "offline" else f"{sent / args.domains:.2f}"])
            for workers in (1, 2):
                before = server.queries()
                took, result = run_cluster(workers, frame, server.port, args.concurrency, mode == "offline")
                sent = server.queries() - before
                assert result["verdict"].tolist() == base, "the cluster disagrees with one process"
                verdicts[mode] = result["verdict"].value_counts().to_dict()
                seconds[(mode, str(workers))] = took
                ratio = "" if workers == 1 else f"{seconds[(mode, '1')] / took:.2f}x"
                rows.append([mode, f"diagnose_frame, LocalCluster {workers} worker{'s' if workers > 1 else ''}",
                             f"{took:.1f}", f"{args.rows / took:,.0f}", ratio,
                             "-" if mode == "offline" else f"{sent / args.domains:.2f}"])
        finally:
            server.close()
    print(table(["mode", "run", "seconds", "rows/s", "2 workers vs 1", "queries/domain"], rows))
    print(f"\nverdicts: {verdicts}")


if __name__ == "__main__":
    main()
