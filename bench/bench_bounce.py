"""Bounce parsing: maildiag.bounce against flufl.bounce (and Sisimai) on a labelled corpus.

    python bench/bench_bounce.py [CORPUS_DIR] [--details]

Reads ``manifest.tsv`` of the corpus (default ``tests/corpora/bounces-dev``, vendored in this
repository), runs the parsers over the same messages in one run and prints a Markdown table.
Sisimai, the Perl library whose reason names the labels use, joins when Debian's
``libsisimai-perl`` (4.25) is installed (``bench/sisimai_dump.pl``, one Perl process; its
speed is its own loop's, best of three, with Perl's start-up left out).

Figures (micro-averaged over (message, address) pairs, addresses lowercased):
- recipients precision / recall on the failure messages (expected_kind permanent or
  temporary), strict: the final recipient must be found;
- reason agreement: maildiag's reason equals the corpus's Sisimai reason mapped through
  maildiag's documented mapping (``maildiag.bounce.reasons.sisimai_map``), over every
  expected failure recipient (a recipient not found counts as a disagreement);
- hard/soft agreement with the corpus's ``expected_hardbounce``, likewise;
- kind accuracy on the non-failure messages (ARF, auto-replies, delivered DSNs, non-bounces);
- messages per second, parsing bytes to a result, best of seven passes with the parsers
  alternating pass by pass (maildiag's bounded caches of addresses and diagnoses stay warm
  between passes, as in a batch where the same sender and daemon addresses recur); a second
  figure empties them before each pass.
Each figure is also given for even- and odd-numbered files (develop on one half, check the
other: a rule fitted to one half that does not hold on the other shows up here).
"""

from __future__ import annotations

import argparse
import csv
import email
import email.policy
import json
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from flufl.bounce import all_failures

from maildiag.bounce import BounceKind, parse_bounce, reasons

HERE = Path(__file__).resolve().parent
DEFAULT_CORPUS = HERE.parent / "tests" / "corpora" / "bounces-dev"
FAILURE_KINDS = {"permanent", "temporary"}
KIND_OF = {"feedback": BounceKind.COMPLAINT, "autoreply": BounceKind.AUTO_REPLY,
           "delivered": BounceKind.DELIVERED}


#: A parser's reading of one message: its kind, reason and hardness by failed address, and the
#: original recipient (RFC 3464 §2.3.1) of a failed address where it differs.
Found = tuple[str, dict[str, tuple[str, bool]], dict[str, str]]


@dataclass
class Row:
    file: str
    recipients: list[str]
    reasons: list[str]
    hard: list[bool | None]  # None: not labelled ("-")
    kind: str
    is_bounce: bool

    @property
    def half(self) -> str:
        m = re.search(r"(\d+)", self.file.rsplit("-", 1)[-1])
        return "even" if m and int(m.group(1)) % 2 == 0 else "odd"


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    reason_ok: int = 0
    hard_ok: int = 0
    rows: int = 0  # expected failure recipients with a reason label
    hard_rows: int = 0  # ... with a hard/soft label
    kind_ok: int = 0
    kind_n: int = 0
    misses: list[str] = field(default_factory=list)

    def pr(self) -> tuple[float, float]:
        p = self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0
        r = self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0
        return p, r


def load(corpus: Path) -> list[Row]:
    rows = []
    with (corpus / "manifest.tsv").open(encoding="utf-8") as fh:
        for rec in csv.DictReader(fh, delimiter="\t"):
            kinds = rec["expected_kind"].split()
            rows.append(Row(
                file=rec["file"],
                recipients=[a.lower() for a in rec["expected_recipients"].split()],
                reasons=rec["expected_reason"].split(),
                hard=[None if h == "-" else h == "1" for h in rec["expected_hardbounce"].split()],
                kind=kinds[0] if kinds else "",
                is_bounce=rec["is_bounce"] == "1",
            ))
    return rows


def run_maildiag(data: bytes) -> Found:
    report = parse_bounce(data)
    found = {r.recipient.lower(): (r.reason, r.hard) for r in report.failures}
    originals = {r.recipient.lower(): r.original_recipient.lower() for r in report.failures
                 if r.original_recipient and r.original_recipient.lower() != r.recipient.lower()}
    return report.kind.value, found, originals


def run_flufl(data: bytes) -> Found:
    msg = email.message_from_bytes(data, policy=email.policy.compat32)
    temporary, permanent = all_failures(msg)
    found: dict[str, tuple[str, bool]] = {}
    for addr in (*permanent, *temporary):
        text = addr.decode("utf-8", "replace") if isinstance(addr, bytes) else str(addr)
        found[text.lower()] = ("", False)
    return ("failure" if found else "not_a_bounce"), found, {}


SISIMAI = "Sisimai 4.25 (Perl)"




def sisimai_results(corpus: Path, rows: list[Row]) -> tuple[dict[str, Found], float] | None:
    """What Sisimai reports for every file, and its messages/s; None when it is not installed."""
    perl = shutil.which("perl")
    if perl is None or subprocess.run([perl, "-MSisimai", "-e", "1"], capture_output=True).returncode != 0:
        return None
    done = subprocess.run([perl, str(HERE / "sisimai_dump.pl"), *(str(corpus / r.file) for r in rows)],
                          capture_output=True, text=True, check=True)
    mapping = reasons.sisimai_map()
    out: dict[str, Found] = {}
    seconds = 0.0
    for line in done.stdout.splitlines():
        rec = json.loads(line)
        if "seconds" in rec:
            seconds = float(rec["seconds"])
            continue
        found = {str(a).lower(): (mapping.get(str(reason), str(reason)), bool(hard))
                 for a, reason, hard in rec["results"] if reason not in ("delivered", "vacation")}
        said = {str(reason) for _, reason, _ in rec["results"]}
        kind = ("failure" if found else BounceKind.DELIVERED.value if "delivered" in said
                else BounceKind.AUTO_REPLY.value if "vacation" in said else BounceKind.NOT_A_BOUNCE.value)
        out[Path(rec["file"]).name] = (kind, found, {})
    return out, (len(rows) / seconds if seconds else 0.0)


def score(rows: list[Row], datas: dict[str, bytes], fn: Callable[[bytes], Found],
          with_reasons: bool) -> dict[str, Score]:
    mapping = reasons.sisimai_map()
    scores = {"all": Score(), "even": Score(), "odd": Score()}
    for row in rows:
        kind, found, originals = fn(datas[row.file])
        expected = set(row.recipients)
        for final, original in originals.items():
            # A label may name the recipient as the sender wrote it (RFC 3464 §2.3.1
            # Original-Recipient, flufl.bounce's labels) or as the MTA last knew it (§2.3.2
            # Final-Recipient, Sisimai's): a parser that reports both is right under either.
            if final not in expected and original in expected and final in found:
                found[original] = found.pop(final)
        for key in ("all", row.half):
            s = scores[key]
            if row.kind in FAILURE_KINDS:
                s.tp += len(expected & set(found))
                s.fp += len(set(found) - expected)
                s.fn += len(expected - set(found))
                for addr, reason, hard in zip(row.recipients, row.reasons, row.hard, strict=False):
                    # A corpus whose labels give only addresses (flufl.bounce's) writes "-".
                    s.rows += reason != "-"
                    s.hard_rows += hard is not None
                    got = found.get(addr)
                    if got is not None and with_reasons:
                        if reason == "-":
                            pass
                        elif got[0] == mapping.get(reason):
                            s.reason_ok += 1
                        elif key == "all":
                            s.misses.append(f"{row.file}\t{addr}\texpected {reason}->"
                                            f"{mapping.get(reason)}\tgot {got[0]}")
                        if hard is not None and got[1] == hard:
                            s.hard_ok += 1
                        elif hard is not None and key == "all":
                            s.misses.append(f"{row.file}\t{addr}\texpected hard={hard}\tgot hard={got[1]}")
                    elif got is None and key == "all":
                        s.misses.append(f"{row.file}\t{addr}\tnot found; got {sorted(found)}")
                if key == "all":
                    s.misses.extend(f"{row.file}\t{a}\textra" for a in set(found) - expected)
            else:
                s.kind_n += 1
                want = KIND_OF.get(row.kind, BounceKind.NOT_A_BOUNCE).value
                # flufl.bounce has no kinds: it is right when it reports no failure.
                ok = (kind == want and set(found) <= set(row.recipients)) if with_reasons else not found
                if row.kind == "nofailure":
                    ok = not found  # a label that says only "no failed address" (flufl.bounce's)
                if ok:
                    s.kind_ok += 1
                elif key == "all":
                    s.misses.append(f"{row.file}\tkind {row.kind}: got {kind} {sorted(found)}")
    return scores


def speeds(rows: list[Row], datas: dict[str, bytes],
           fns: Sequence[Callable[[bytes], object]], passes: int = 7) -> list[float]:
    """Messages/s of each parser: best of ``passes`` passes, the parsers alternating pass by
    pass, so that a slow moment of a shared machine falls on both and not on one."""
    best = [float("inf")] * len(fns)
    for _ in range(passes):
        for i, fn in enumerate(fns):
            start = time.perf_counter()
            for row in rows:
                fn(datas[row.file])
            best[i] = min(best[i], time.perf_counter() - start)
    return [len(rows) / b for b in best]


def clear_value_caches() -> None:
    """Empty maildiag's bounded per-value caches (addresses, header values, diagnoses).

    The data tables (loaded once, unbounded ``functools.cache``) stay loaded.
    """
    from maildiag.bounce import _addresses, _mime, _parse, _records

    for module in (_parse, _mime, _addresses, _records, reasons):
        for obj in vars(module).values():
            info = getattr(obj, "cache_info", None)
            if info is not None and info().maxsize is not None:
                obj.cache_clear()


def cold_speed(rows: list[Row], datas: dict[str, bytes]) -> float:
    """One pass after emptying the per-value caches: every address is new, as in a batch of
    bounces for distinct customers (the best-of-three passes reuse them)."""
    best = float("inf")
    for _ in range(3):
        clear_value_caches()
        start = time.perf_counter()
        for row in rows:
            run_maildiag(datas[row.file])
        best = min(best, time.perf_counter() - start)
    return len(rows) / best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--details", action="store_true", help="list every miss of maildiag")
    args = parser.parse_args()
    rows = load(args.corpus)
    datas = {row.file: (args.corpus / row.file).read_bytes() for row in rows}

    ours_rate, flufl_rate = speeds(rows, datas, (run_maildiag, run_flufl))
    results = {
        "maildiag.bounce": (score(rows, datas, run_maildiag, True), ours_rate),
        "flufl.bounce 6.0.0": (score(rows, datas, run_flufl, False), flufl_rate),
    }
    sisimai = sisimai_results(args.corpus, rows)
    if sisimai is not None:
        said, rate = sisimai
        # score() reads each file's bytes through fn; Sisimai's results are keyed by file name.
        by_bytes = {datas[r.file]: said[r.file] for r in rows}
        results[SISIMAI] = (score(rows, datas, by_bytes.__getitem__, True), rate)
    with_reasons = {"maildiag.bounce", SISIMAI}
    n_fail = sum(1 for r in rows if r.kind in FAILURE_KINDS)
    print(f"Corpus: {args.corpus.name}, {len(rows)} messages ({n_fail} failure messages, "
          f"{len(rows) - n_fail} non-failure), Python {sys.version.split()[0]}\n")
    print("| parser | slice | recipients precision | recipients recall | reason agreement | "
          "hard/soft agreement | non-failure kind accuracy | messages/s |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, (scores, rate) in results.items():
        for key in ("all", "even", "odd"):
            s = scores[key]
            p, r = s.pr()
            reason = f"{s.reason_ok / s.rows:.3f}" if name in with_reasons and s.rows else "n/a"
            hard = f"{s.hard_ok / s.hard_rows:.3f}" if name in with_reasons and s.hard_rows else "n/a"
            kind = f"{s.kind_ok}/{s.kind_n}"
            rate_cell = f"{rate:.0f}" if key == "all" else ""
            print(f"| {name} | {key} | {p:.3f} | {r:.3f} | {reason} | {hard} | {kind} | {rate_cell} |")
    ours, theirs = results["maildiag.bounce"], results["flufl.bounce 6.0.0"]
    cold = cold_speed(rows, datas)
    print(f"\nSpeed ratio maildiag / flufl.bounce: {ours[1] / theirs[1]:.2f}x. With maildiag's "
          f"per-value caches emptied before each pass (all addresses new): {cold:.0f} messages/s, "
          f"{cold / theirs[1]:.2f}x. "
          "Reason and hard/soft are over every expected failure recipient (not found = wrong);"
          " flufl.bounce reports neither." + ("" if sisimai is not None else
          " Sisimai is not installed (apt-get install libsisimai-perl), so it is not in the table."))
    if args.details:
        print("\nmaildiag misses:")
        for line in ours[0]["all"].misses:
            print("  " + line)
        if sisimai is not None:
            print(f"\n{SISIMAI} misses:")
            for line in results[SISIMAI][0]["all"].misses:
                print("  " + line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
