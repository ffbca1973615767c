"""`maildiag doctor` against checkdmarc (PyPI) on the same loopback zone, in one run.

    python bench/bench_doctor.py --checkdmarc-python /path/to/venv/bin/python

Starts a loopback unbound serving tests/dns/doctor.zone (the doctor's good domain and one
broken domain per rule), runs maildiag's doctor and checkdmarc's check_spf / check_dmarc on
every sending domain of the zone, and prints, per domain, each tool's SPF and DMARC verdict
(valid or not; the SPF lookup count; the DMARC policy), whether they agree, and the wall time
of each tool for the whole zone. checkdmarc runs in its own interpreter (a venv with
``pip install checkdmarc``), so its dependencies never enter maildiag's environment.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import subprocess
import sys
import time
from typing import Any

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

#: Findings that make an SPF record invalid (a permerror for receivers) or absent.
SPF_INVALID = {"doctor.spf.missing", "doctor.spf.multiple", "doctor.spf.syntax", "doctor.spf.too_many_lookups",
               "doctor.spf.too_many_void_lookups", "doctor.spf.include_loop", "doctor.spf.include_no_record"}
DMARC_INVALID = {"doctor.dmarc.missing", "doctor.dmarc.multiple", "doctor.dmarc.syntax"}

_CHECKDMARC = r"""
import json, sys, time
import dns.nameserver
from checkdmarc.spf import check_spf
from checkdmarc.dmarc import check_dmarc
host, port, domains = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
ns = [dns.nameserver.Do53Nameserver(host, port)]
out = {}
start = time.perf_counter()
for d in domains:
    spf = check_spf(d, nameservers=ns, timeout=2.0)
    dmarc = check_dmarc(d, nameservers=ns, timeout=2.0)
    tags = (dmarc.get("tags") or {})
    out[d] = {"spf_valid": bool(spf.get("valid")), "spf_lookups": spf.get("dns_lookups"),
              "spf_error": str(spf.get("error", ""))[:120],
              "dmarc_valid": bool(dmarc.get("valid")), "dmarc_p": (tags.get("p") or {}).get("value"),
              "dmarc_error": str(dmarc.get("error", ""))[:120]}
out["_seconds"] = time.perf_counter() - start
print(json.dumps(out))
"""


def _domains() -> list[str]:
    zone = (ROOT / "tests" / "dns" / "doctor.zone").read_text()
    return sorted({line.split()[0].rstrip(".") for line in zone.splitlines()
                   if " IN MX " in line and not line.startswith(";")})


def _maildiag(host: str, port: int, domains: list[str]) -> tuple[dict[str, dict[str, Any]], float]:
    import dns.resolver

    from maildiag._doctor import doctor

    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers, resolver.port, resolver.cache = [host], port, None
    out: dict[str, dict[str, Any]] = {}
    start = time.perf_counter()
    for domain in domains:
        report = doctor(domain, resolver=resolver, deadline=10.0)
        codes = set(report.codes)
        lookups = report.find("doctor.spf.too_many_lookups")
        policy = next((a.records for a in report.dns if a.name == f"_dmarc.{domain}" and a.records), ())
        p = None
        for text in policy:
            for part in text.strip('"').split(";"):
                name, _, value = part.strip().partition("=")
                if name == "p":
                    p = value
        out[domain] = {"spf_valid": not codes & SPF_INVALID,
                       "spf_lookups": lookups.params["count"] if lookups else None,
                       "dmarc_valid": not codes & DMARC_INVALID, "dmarc_p": p, "codes": sorted(codes)}
    return out, time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--checkdmarc-python", required=True, help="a Python with checkdmarc installed")
    args = parser.parse_args()
    from tests.conftest import _serve_zone

    server = _serve_zone(ROOT / "tests" / "dns" / "doctor.zone", "ns.doctor.example")
    host, port = next(server)
    try:
        domains = _domains()
        ours, our_seconds = _maildiag(host, port, domains)
        raw = subprocess.run([args.checkdmarc_python, "-c", _CHECKDMARC, host, str(port), *domains],
                             capture_output=True, text=True, check=True).stdout
        theirs = json.loads(raw)
    finally:
        next(server, None)
    print(f"{len(domains)} domains of tests/dns/doctor.zone\n")
    print("| domain | SPF valid (maildiag / checkdmarc) | DMARC valid | DMARC p | agree |")
    print("| --- | --- | --- | --- | --- |")
    agree = compared = 0
    for domain in domains:
        a, b = ours[domain], theirs[domain]
        same = a["spf_valid"] == b["spf_valid"] and a["dmarc_valid"] == b["dmarc_valid"] and (
            not (a["dmarc_valid"] and b["dmarc_valid"]) or a["dmarc_p"] == b["dmarc_p"])
        compared += 1
        agree += same
        print(f"| {domain} | {a['spf_valid']} / {b['spf_valid']} | {a['dmarc_valid']} / {b['dmarc_valid']} "
              f"| {a['dmarc_p']} / {b['dmarc_p']} | {'yes' if same else 'NO: ' + b['spf_error'] + b['dmarc_error']} |")
    print(f"\nagreement: {agree}/{compared} domains on every SPF and DMARC verdict both make")
    print(f"wall time: maildiag {our_seconds:.3f} s (all checks), checkdmarc {theirs['_seconds']:.3f} s (SPF + DMARC)")
    return 0 if agree == compared else 1


if __name__ == "__main__":
    sys.exit(main())
