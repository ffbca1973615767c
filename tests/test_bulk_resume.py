"""`maildiag bulk --resume` after real kills: the issue-14 proof.

One run of a list is killed at random moments (SIGKILL, and a few Ctrl-C), at least 20
times, each time continued with ``--resume``; the finished file must be byte for byte the
file an uninterrupted run writes (no row lost, repeated or reordered; a cut last row
discarded). Offline, and with DNS from the loopback unbound server. The moments are random
but seeded (the seed is in the failure message), so a failure can be replayed.
"""

from __future__ import annotations

import pathlib
import random
import signal
import subprocess
import sys
import time

import pytest

KILLS = 20


def _command(args: list[str]) -> list[str]:
    return [sys.executable, "-m", "maildiag", "bulk", *args, "--quiet"]


def _kill_and_resume(tmp_path: pathlib.Path, args: list[str], out: str, seed: int) -> tuple[int, int]:
    """Kill runs at random moments until ``KILLS`` kills landed mid-run, then finish.

    Returns (kills, runs). A kill lands when the process was still running when signalled.
    """
    rng = random.Random(seed)
    kills = runs = 0
    while True:
        runs += 1
        proc = subprocess.Popen(_command([*args, "-o", out, "--resume"]), cwd=tmp_path,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if kills >= KILLS:
            _, err = proc.communicate(timeout=600)
            assert proc.returncode == 0, err.decode(errors="replace")
            return kills, runs
        how = signal.SIGINT if rng.random() < 0.15 else signal.SIGKILL
        if how is signal.SIGINT:
            # Ctrl-C while rows are being written (one during Python's own start-up gets
            # Python's traceback, before any code of ours runs): wait for the file to grow.
            _wait_for_growth(tmp_path / out, proc)
        time.sleep(rng.uniform(0.05, 0.9))
        if proc.poll() is None:
            proc.send_signal(how)
            kills += 1
        _, err = proc.communicate(timeout=600)
        assert b"Traceback" not in err, err.decode(errors="replace")
        # -SIGINT: the Ctrl-C landed in the last moments of the interpreter's exit, after the
        # run had finished and Python had put back the default action (seen once in CI).
        assert proc.returncode in (0, -signal.SIGKILL, 130, -signal.SIGINT), (proc.returncode, err)
        if proc.returncode == 0 and kills < KILLS:
            # Finished before the signal: start over so the remaining kills land mid-run.
            (tmp_path / out).unlink()


def _wait_for_growth(path: pathlib.Path, proc: subprocess.Popen[bytes]) -> None:
    before = path.stat().st_size if path.exists() else -1
    while proc.poll() is None and (path.stat().st_size if path.exists() else -1) <= before:
        time.sleep(0.01)


def _list(path: pathlib.Path, rows: int, domains: list[str]) -> None:
    rng = random.Random(14)
    with path.open("w", encoding="utf-8") as f:
        f.write("id,email,note\n")
        for i in range(rows):
            r = rng.random()
            if r < 0.02:
                f.write(f"{i},,no address\n")
            elif r < 0.06:  # a quoted cell with a line break: records are not lines
                f.write(f'{i},u{rng.randint(0, 3000)}@{rng.choice(domains)},"two\nlines, {i}"\n')
            else:
                f.write(f"{i},{rng.choice(['ann', 'b.o.b', 'c+d'])}{rng.randint(0, 3000)}@{rng.choice(domains)},n{i}\n")


@pytest.mark.parametrize("out", ["out.csv", "out.jsonl.gz"])
def test_killed_offline_runs_resume_to_the_same_bytes(tmp_path: pathlib.Path, out: str) -> None:
    domains = [f"shop{i}.example" for i in range(200)] + ["gmail.com", "gmial.com", "googlemail.com", "outlook.com"]
    _list(tmp_path / "in.csv", 90_000, domains)
    whole = "whole" + out.removeprefix("out")
    done = subprocess.run(_command(["in.csv", "--offline", "-o", whole]), cwd=tmp_path, capture_output=True,
                          timeout=600, check=False)
    assert done.returncode == 0, done.stderr
    seed = random.randrange(1 << 30)
    kills, runs = _kill_and_resume(tmp_path, ["in.csv", "--offline"], out, seed)
    assert kills >= KILLS
    assert (tmp_path / out).read_bytes() == (tmp_path / whole).read_bytes(), f"seed {seed}, {runs} runs"


def test_killed_runs_with_dns_resume_to_the_same_bytes(tmp_path: pathlib.Path, dns_server: tuple[str, int]) -> None:
    host, port = dns_server
    # Domains of the loopback zone (MX, null MX, no MX, CNAME...) and names it does not have.
    zone = ["multi-mx.example", "null-mx.example", "mx-nxhost.example", "mx-noaddr.example", "half-broken.example",
            "mx-loopback.example", "mx-cname.example", "empty.example", "gmail.com", "outlook.com",
            "workspace.example", "contoso-m365.example"]
    domains = zone + [f"absent{i}.example" for i in range(300)]
    _list(tmp_path / "in.csv", 30_000, domains)
    args = ["in.csv", "--nameserver", f"{host}:{port}", "--allow-private"]
    done = subprocess.run(_command([*args, "-o", "whole.csv"]), cwd=tmp_path, capture_output=True, timeout=600,
                          check=False)
    assert done.returncode == 0, done.stderr
    seed = random.randrange(1 << 30)
    kills, runs = _kill_and_resume(tmp_path, args, "out.csv", seed)
    assert kills >= KILLS
    assert (tmp_path / "out.csv").read_bytes() == (tmp_path / "whole.csv").read_bytes(), f"seed {seed}, {runs} runs"
