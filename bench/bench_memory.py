"""Memory: import plus a first diagnosis, and a long batch run, each in a fresh process.

    python bench/bench_memory.py

Targets: import + first diagnosis add <= 30 MB RSS (measured against a bare interpreter
that has imported email-validator's peer set-up: nothing); a batch of 200,000 diagnoses
over 20,000 domains runs in constant memory: RSS after 200k equals RSS after 50k, by which
point every bounded cache is full and churning.
"""

from __future__ import annotations

import json
import subprocess
import sys

from _util import table

PROBE = r"""
import json, sys
def rss():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
out = {"start": rss()}
mode = sys.argv[1]
if mode == "email_validator":
    import email_validator
    email_validator.validate_email("jane@gmail.com", check_deliverability=False)
    out["first"] = rss()
else:
    import maildiag
    out["import"] = rss()
    maildiag.diagnose("jane@gmial.com", offline=True)
    out["first"] = rss()
    if mode == "dns":
        from maildiag.testing import FakeResolver
        maildiag.diagnose("jane@gmial.com", resolver=FakeResolver().mx("gmial.com", "mx.gmial.com"))
        out["first_dns"] = rss()
    if mode == "batch":
        for i in range(200_000):
            maildiag.diagnose(f"user{i}@domain{i % 20_000}.example", offline=True)
            if i == 49_999:
                out["after_50k"] = rss()
        out["after_200k"] = rss()
print(json.dumps(out))
"""


def run(mode: str) -> dict[str, float]:
    result = subprocess.run([sys.executable, "-c", PROBE, mode], capture_output=True, text=True, check=True)
    data: dict[str, float] = json.loads(result.stdout)
    return data


def main() -> None:
    ev = run("email_validator")
    off = run("offline")
    dns = run("dns")
    batch = run("batch")
    rows: list[list[object]] = [
        ["email-validator: import + first validate_email", f"{ev['first'] - ev['start']:.1f} MB", "-"],
        ["maildiag: import", f"{off['import'] - off['start']:.1f} MB", "-"],
        ["maildiag: import + first diagnose (offline)", f"{off['first'] - off['start']:.1f} MB", "<= 30 MB"],
        ["maildiag: import + first diagnose (with DNS)", f"{dns['first_dns'] - dns['start']:.1f} MB", "<= 30 MB"],
        ["maildiag: batch, RSS growth from 50k to 200k diagnoses",
         f"{batch['after_200k'] - batch['after_50k']:+.1f} MB", "~0 (constant)"],
    ]
    print(f"Python {sys.version.split()[0]}\n")
    print(table(["what", "RSS added", "target"], rows))


if __name__ == "__main__":
    main()
