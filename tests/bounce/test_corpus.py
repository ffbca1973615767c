"""Table-driven over the labelled dev corpus (../shared/corpora/bounces-dev/manifest.tsv).

Each message's failed recipients must equal the labels. Known misses are listed explicitly
in KNOWN_RECIPIENT_MISSES (strict xfail: a fixed one must be removed from the list).
Reasons are checked in aggregate against a floor (the per-message reason misses are many:
see docs/bounces.md), so a regression in classification fails the suite.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest

from maildiag.bounce import parse_bounce, reasons

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpora" / "bounces-dev"
pytestmark = pytest.mark.skipif(
    not (CORPUS / "manifest.tsv").exists() and not os.environ.get("CI"),
    reason="dev corpus not present",
)

# Measured misses on 2026-11-23 (about 5% of the failure messages): formats whose text names
# no recipient, or extra addresses picked up from the explanation. Shrink it; never grow it.
KNOWN_RECIPIENT_MISSES: frozenset[str] = frozenset({
    "lhost-amazonses-09.eml",
    "lhost-amazonses-10.eml",
    "lhost-amazonworkmail-02.eml",
    "lhost-apachejames-01.eml",
    "lhost-domino-03.eml",
    "lhost-einsundeins-03.eml",
    "lhost-exchange2003-03.eml",
    "lhost-exim-03.eml",
    "lhost-exim-52.eml",
    "lhost-fml-02.eml",
    "lhost-fml-03.eml",
    "lhost-imailserver-06.eml",
    "lhost-messagingserver-03.eml",
    "lhost-office365-04.eml",
    "lhost-postfix-07.eml",
    "lhost-postfix-32.eml",
    "lhost-postfix-49.eml",
    "lhost-postfix-50.eml",
    "lhost-postfix-75.eml",
    "lhost-qmail-08.eml",
    "lhost-sendmail-14.eml",
    "lhost-sendmail-54.eml",
    "lhost-v5sendmail-01.eml",
    "lhost-verizon-02.eml",
    "lhost-x5-01.eml",
    "rfc3464-04.eml",
    "rfc3464-06.eml",
    "rhost-franceptt-04.eml",
    "rhost-franceptt-07.eml",
    "rhost-google-02.eml",
})


def _rows() -> list[dict[str, str]]:
    if not (CORPUS / "manifest.tsv").exists():
        return []
    with (CORPUS / "manifest.tsv").open(encoding="utf-8") as fh:
        return [r for r in csv.DictReader(fh, delimiter="\t")
                if r["expected_kind"].split()[:1] in (["permanent"], ["temporary"])]


def _param(row: dict[str, str]) -> object:
    marks = [pytest.mark.xfail(strict=True, reason="known miss")] if row["file"] in KNOWN_RECIPIENT_MISSES else []
    return pytest.param(row, id=row["file"], marks=marks)


@pytest.mark.parametrize("row", [_param(r) for r in _rows()])
def test_recipients(row: dict[str, str]) -> None:
    report = parse_bounce((CORPUS / row["file"]).read_bytes())
    found = sorted({r.recipient.lower() for r in report.failures})
    assert found == sorted({a.lower() for a in row["expected_recipients"].split()})


def test_reason_agreement_floor() -> None:
    rows = _rows()
    mapping = reasons.sisimai_map()
    agree = total = 0
    for row in rows:
        got = {r.recipient.lower(): r.reason for r in parse_bounce((CORPUS / row["file"]).read_bytes()).failures}
        for addr, reason in zip(row["expected_recipients"].split(), row["expected_reason"].split(), strict=False):
            total += 1
            agree += got.get(addr.lower()) == mapping[reason]
    assert total > 500
    assert agree / total >= 0.58
