"""`maildiag bulk` on a customer list, side by side with email-validator (issue 14).

    python bench/bench_bulk_cli.py [--rows 100000] [--domains 5000] [--concurrency 64]

The list is a CSV (id, email, name) of ``--rows`` distinct addresses over ``--domains``
domains with Zipf weights, served by a real unbound on 127.0.0.1 (the zone of
bench/bench_dns_cache.py: one MX host per domain). Each contestant runs as a command in its
own process, as a shop runs it, and writes a CSV with a result column:

- ``maildiag bulk in.csv -o out.csv --nameserver ... --concurrency N``;
- the same with ``--offline`` (no DNS: the cost of the file handling and the offline rules);
- ``maildiag check --json --concurrency N -`` on the addresses alone (the streaming command
  without columns, summary or resume);
- an email-validator script: the CSV read with the csv module, ``validate_email(...,
  check_deliverability=True)`` one row at a time with its caching resolver, the CSV written
  with the result (what a support desk writes today).

Reported: rows/s, the ratio to email-validator, peak RSS (the process's own, from wait4),
DNS queries unbound received per unique domain. Then the resume overhead: a run killed
(SIGKILL) half-way and continued with ``--resume``, against the uninterrupted time (the
seconds of work done twice: start-up, reading back the output, the rows in flight).
"""

from __future__ import annotations

import argparse
import os
import pathlib
import signal
import subprocess
import sys
import tempfile
import time

from _util import table
from bench_dns_cache import Unbound, domains, zipf_addresses

EV_SCRIPT = r'''
import csv, sys
import dns.resolver
import email_validator
r = dns.resolver.Resolver(configure=False)
r.nameservers, r.port = ["127.0.0.1"], int(sys.argv[3])
r.cache = dns.resolver.LRUCache(100_000)
with open(sys.argv[1], newline="") as f, open(sys.argv[2], "w", newline="") as g:
    rows = csv.reader(f)
    out = csv.writer(g)
    out.writerow(next(rows) + ["result"])
    for row in rows:
        try:
            email_validator.validate_email(row[1], check_deliverability=True, dns_resolver=r)
            result = "ok"
        except email_validator.EmailNotValidError as e:
            result = str(e)
        out.writerow(row + [result])
'''


def timed(cmd: list[str], cwd: pathlib.Path, stdin: pathlib.Path | None = None) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of one command."""
    start = time.perf_counter()
    with open(stdin or os.devnull, "rb") as feed:
        proc = subprocess.Popen(cmd, cwd=cwd, stdin=feed, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    assert os.waitstatus_to_exitcode(status) in (0, 1, 3), proc.stderr.read() if proc.stderr else status
    if proc.stderr:
        proc.stderr.close()
    return seconds, usage.ru_maxrss


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--domains", type=int, default=5_000)
    parser.add_argument("--concurrency", type=int, default=64)
    args = parser.parse_args()
    names = domains(args.domains)
    addresses = zipf_addresses(args.rows, names)
    server = Unbound(names)
    work = pathlib.Path(tempfile.mkdtemp(prefix="maildiag-bench-bulk-"))
    try:
        with open(work / "in.csv", "w") as f:
            f.write("id,email,name\n")
            for i, a in enumerate(addresses):
                f.write(f"{i},{a},Customer {i}\n")
        (work / "in.txt").write_text("\n".join(addresses) + "\n")
        (work / "ev.py").write_text(EV_SCRIPT)
        me = [sys.executable, "-m", "maildiag"]
        n = str(args.concurrency)

        def commands(port: int) -> dict[str, tuple[list[str], pathlib.Path | None]]:
            ns = f"127.0.0.1:{port}"
            return {
                "email-validator script (one at a time, caching resolver)":
                    ([sys.executable, "ev.py", "in.csv", "ev.csv", str(port)], None),
                f"maildiag bulk --concurrency {n}":
                    ([*me, "bulk", "in.csv", "-o", "out.csv", "--nameserver", ns, "--quiet", "--concurrency", n], None),
                "maildiag bulk --offline":
                    ([*me, "bulk", "in.csv", "-o", "off.csv", "--offline", "--quiet"], None),
                f"maildiag check --json --concurrency {n} -":
                    ([*me, "check", "--json", "--nameserver", ns, "--concurrency", n, "-"], work / "in.txt"),
            }

        results: dict[str, tuple[float, int, float | None]] = {}
        for label in commands(0):
            server.close()  # a fresh server each: no contestant profits from another's cache
            server = Unbound(names)
            cmd, feed = commands(server.port)[label]
            before = server.queries()
            seconds, rss = timed(cmd, work, feed)
            sent = server.queries() - before
            results[label] = (seconds, rss, sent / args.domains if "offline" not in label else None)
        base = args.rows / results[next(iter(results))][0]
        rows: list[list[object]] = [
            [label, f"{args.rows / s:,.0f}", f"{(args.rows / s) / base:.2f}x", f"{rss / 1024:.0f} MiB",
             "-" if q is None else f"{q:.2f}"]
            for label, (s, rss, q) in results.items()
        ]
        print(f"{args.rows:,} rows, {args.domains:,} domains (Zipf), loopback unbound\n")
        print(table(["contestant", "rows/s", "vs email-validator", "peak RSS", "queries/domain"], rows))

        # Resume overhead: kill half-way, resume, compare with the uninterrupted time.
        full = results[f"maildiag bulk --concurrency {args.concurrency}"][0]
        cmd = [*me, "bulk", "in.csv", "-o", "resumed.csv", "--nameserver", f"127.0.0.1:{server.port}", "--quiet",
               "--concurrency", str(args.concurrency), "--resume"]
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(full / 2)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        killed_at = time.perf_counter() - start
        written = (work / "resumed.csv").stat().st_size
        seconds, _ = timed(cmd, work)
        same = (work / "resumed.csv").read_bytes() == (work / "out.csv").read_bytes()
        print(f"\nresume: killed at {killed_at:.1f} s ({written / (work / 'out.csv').stat().st_size:.0%} of the "
              f"output written), resumed run {seconds:.1f} s; total {killed_at + seconds:.1f} s against "
              f"{full:.1f} s uninterrupted: {killed_at + seconds - full:+.1f} s redone; output identical: {same}")
    finally:
        server.close()
        subprocess.run(["rm", "-rf", str(work)], check=False)


if __name__ == "__main__":
    main()
