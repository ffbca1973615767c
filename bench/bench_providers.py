"""Provider identification: how many real MX host names each tool recognises, and the cost.

Run: ``python bench/bench_providers.py``. Reads tests/data/mx_hosts.tsv (real MX host names
with the maildiag provider id expected) and prints Markdown tables.

Peers are run side by side in the same process, offline: PyPI ``mxsniff`` (its MX table,
``mxsniff.provider_mx``, the lookup its own ``mxsniff()`` does after the DNS query). Reacher
(Rust, AGPL) and AfterShip (Go) are not importable from Python; their MX knowledge is listed
from their source in docs/providers.md. Nothing here touches the network.
"""

from __future__ import annotations

import csv
import pathlib
import statistics
import sys
import timeit
from collections.abc import Callable
from typing import Any

from maildiag import providers
from maildiag.options import Options

TABLE = pathlib.Path(__file__).resolve().parent.parent / "tests" / "data" / "mx_hosts.tsv"

#: mxsniff provider ids that mean the same provider as ours (facts, to score correctness).
#: Where mxsniff does not split consumer from business, either of ours counts as correct.
MXSNIFF_SAME: dict[str, set[str]] = {
    "google-gmail": {"gmail"},
    "google-apps": {"google_workspace"},
    "outlook-hotmail": {"outlook_consumer"},
    "outlook-bizmail": {"microsoft365"},
    "yahoo-mail": {"yahoo"},
    "yahoo-smallbiz": {"yahoo_business"},
    "aol": {"aol"},
    "apple-icloud": {"icloud"},
    "protonmail": {"proton"},
    "zoho": {"zoho_workspace", "zoho_personal"},
    "fastmail": {"fastmail"},
    "gmx.com": {"gmx"},
    "mail.com": {"mail_com"},
    "1and1": {"ionos"},
    "yandex": {"yandex"},
    "yandex-hosted": {"yandex_360"},
    "qq": {"qq", "tencent_exmail"},
    "emailsrvr": {"rackspace"},
    "godaddy": {"godaddy"},
    "ovh": {"ovh"},
    "namecheap-privateemail": {"namecheap_privateemail"},
    "mimecast": {"mimecast"},
    "proofpoint": {"proofpoint"},
    "symantec-messagelabs": {"broadcom_symantec"},
    "forcepoint": {"forcepoint"},
    "spamexperts": {"spamexperts"},
    "prodigy": {"att"},
    "mailinator": {"mailinator"},
    "mailgun": {"mailgun_inbound"},
    "sendgrid": {"sendgrid_inbound"},
    "amazon-aws": {"amazon_ses_inbound"},
    "postmarkapp": {"postmark_inbound"},
    "migadu": {"migadu"},
}

#: The validation set of issue 12 (bench/data/README.md): documented host names.
VALIDATION = pathlib.Path(__file__).resolve().parent / "data" / "mx_validation.tsv"


def load() -> list[tuple[str, str, str]]:
    with TABLE.open(encoding="utf-8") as f:
        reader = csv.reader((line for line in f if not line.startswith("#")), delimiter="\t")
        return [(row[0], row[1], row[2]) for row in reader if row[0] != "mx_host"]


def maildiag_identify() -> Callable[[str], str | None]:
    options = Options()

    def run(host: str) -> str | None:
        matches = providers.identify("customer.example", [host], options)
        return matches[0].id if matches else None

    return run


def mxsniff_identify() -> Callable[[str], str | None] | None:
    try:
        import mxsniff
    except ImportError:
        return None
    table = mxsniff.provider_mx

    def run(host: str) -> str | None:
        found = table.get(host)
        return str(found) if found is not None else None

    return run


def score(
    run: Callable[[str], str | None], rows: list[tuple[str, str, str]], same: Callable[[str, str], bool]
) -> dict[str, object]:
    positives = [r for r in rows if r[1] != "-"]
    held = [r for r in positives if r[2] == "held_out"]
    negatives = [r for r in rows if r[1] == "-"]
    answers = {host: run(host) for host, _, _ in rows}
    ids = {a for a in answers.values() if a}
    return {
        "identified": sum(1 for h, _, _ in positives if answers[h]),
        "correct": sum(1 for h, e, _ in positives if answers[h] and same(answers[h] or "", e)),
        "held_correct": sum(1 for h, e, _ in held if answers[h] and same(answers[h] or "", e)),
        "false_pos": sum(1 for h, _, _ in negatives if answers[h]),
        "providers_seen": len(ids),
        "n": len(positives),
        "n_held": len(held),
        "n_neg": len(negatives),
    }


def cost_us(fn: Callable[[], object], number: int = 20000) -> float:
    runs = timeit.repeat(fn, number=number, repeat=5)
    return min(runs) / number * 1e6


def main() -> int:
    rows = load()
    ours = maildiag_identify()
    peer = mxsniff_identify()
    options = Options()
    # Warm the lazy data (both tools load their tables on first use / import).
    providers.identify("x.example", ["x"], options)

    results = [("maildiag", score(ours, rows, lambda got, exp: got == exp))]
    if peer is not None:
        results.append(("mxsniff 0.3.5", score(peer, rows, lambda got, exp: exp in MXSNIFF_SAME.get(got, set()))))

    n = results[0][1]["n"]
    print(f"### Provider identification on {len(rows)} real MX host names ({n} of known providers)\n")
    print("| tool | identified | correct (same provider, consumer/business split) | held-out correct "
          "| false positives (negatives) | distinct providers seen |")
    print("|---|---|---|---|---|---|")
    for name, r in results:
        print(
            f"| {name} | {r['identified']}/{r['n']} | {r['correct']}/{r['n']} | {r['held_correct']}/{r['n_held']} "
            f"| {r['false_pos']}/{r['n_neg']} | {r['providers_seen']} |"
        )
    if peer is None:
        print("\n(mxsniff not installed: `pip install mxsniff` to compare)")

    with VALIDATION.open(encoding="utf-8") as f:
        lines = [ln.rstrip("\n").split("\t") for ln in f if not ln.startswith("#")]
    vrows = [(r[0], r[1], "validation") for r in lines[1:]]
    tools: list[tuple[str, Callable[[str], str | None], Callable[[str, str], bool]]] = [
        ("maildiag", ours, lambda got, exp: got == exp)
    ]
    if peer is not None:
        tools.append(("mxsniff 0.3.5", peer, lambda got, exp: exp in MXSNIFF_SAME.get(got, set())))
    print(f"\n### Validation set: {len(vrows)} documented MX host names (bench/data/mx_validation.tsv)\n")
    print("| tool | identified | correct | wrong (named another provider) | false positives (negatives) |")
    print("|---|---|---|---|---|")
    for name, run, same in tools:
        r = score(run, vrows, same)
        wrong = sum(1 for h, e, _ in vrows if e != "-" and run(h) and not same(run(h) or "", e))
        counts = f"{r['identified']}/{r['n']} | {r['correct']}/{r['n']} | {wrong} | {r['false_pos']}/{r['n_neg']}"
        print(f"| {name} | {counts} |")

    # Cost: one identify() per diagnosis, with the domain's MX hosts (here 2, as most have).
    hosts = [r[0] for r in rows]
    pairs = [(hosts[i], hosts[(i + 7) % len(hosts)]) for i in range(len(hosts))]
    state = {"i": 0}

    def one_diagnosis() -> object:
        i = state["i"] = (state["i"] + 1) % len(pairs)
        return providers.identify("customer.example", pairs[i], options)

    gmail_mx = ("gmail-smtp-in.l.google.com", "alt1.gmail-smtp-in.l.google.com")

    def one_known_domain() -> object:
        return providers.identify("gmail.com", gmail_mx, options)

    def one_unknown() -> object:
        return providers.identify("acme.example", ("mx1.acme.example", "mx2.acme.example"), options)

    own = {"id": "own", "name": "Own", "kind": "security_gateway", "mx_suffixes": ["f.example"]}
    extra = Options(extra_providers=(own,))

    def with_extra() -> object:
        return providers.identify("acme.example", ("in.f.example",), extra)

    print("\n### Cost per identify() call (2 MX hosts + the domain; best of 5 x 20,000 calls)\n")
    print("| case | maildiag (us) | mxsniff table lookup, same hosts (us) | ratio |")
    print("|---|---|---|---|")
    cases = [
        ("mixed table hosts", one_diagnosis, pairs),
        ("gmail.com on Gmail MX", one_known_domain, [gmail_mx]),
        ("unknown company MX", one_unknown, [("mx1.acme.example", "mx2.acme.example")]),
        ("with a shop's extra entry", with_extra, [("in.f.example", "in.f.example")]),
    ]
    for label, fn, peer_pairs in cases:
        ours_us = cost_us(fn)
        if peer is not None:
            pstate = {"i": 0}

            def peer_fn(
                pp: list[tuple[str, str]] = peer_pairs,
                st: dict[str, int] = pstate,
                table: Any = sys.modules["mxsniff"].provider_mx,
            ) -> object:
                i = st["i"] = (st["i"] + 1) % len(pp)
                return [table.get(h) for h in pp[i]]

            peer_us = cost_us(peer_fn)
            print(f"| {label} | {ours_us:.2f} | {peer_us:.2f} | {ours_us / peer_us:.2f}x |")
        else:
            print(f"| {label} | {ours_us:.2f} | n/a | n/a |")
    per = [cost_us(one_diagnosis, 5000) for _ in range(3)]
    print(f"\nmaildiag median of 3 runs, mixed hosts: {statistics.median(per):.2f} us per identify() (budget: 10 us)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
