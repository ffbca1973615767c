"""flufl.bounce's own test messages (tests/corpora/flufl-bounce), labelled by its tests.

Reads the committed files. Every labelled address is reported (as the final or the original
recipient, RFC 3464 §2.3.1-2), no other is, a temporary failure is never hard, and the two
non-bounces report no failure. Known misses are strict xfails (maildiag has seen these
messages since issue 5: docs/bounces.md, "Held-out check").
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from maildiag.bounce import parse_bounce

CORPUS = Path(__file__).resolve().parents[1] / "corpora" / "flufl-bounce"

# Measured 2026-12-05 (docs/bounces.md, "flufl.bounce's messages, vendored"): file -> what
# maildiag reported.
# Fixed since: AOL's bare "screenname" (aol_01), two warnings read as permanent failures
# (simple_22, simple_35; tests/bounce/test_text_notices.py).
KNOWN_MISSES = frozenset({
    # Yale's "userx  No matches to nameserver query" from mr2.its.yale.edu: maildiag reports
    # userx@yale.edu (the daemon's organisational domain); the label also wants
    # userx@cs.yale.edu, Yale's own second directory, which the notice does not name.
    "yale_01.txt",
})
KNOWN_TEMPORARY_MISSES: frozenset[str] = frozenset()


def _rows() -> list[dict[str, str]]:
    with (CORPUS / "manifest.tsv").open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


ROWS = _rows()


def _param(row: dict[str, str]) -> object:
    marks = [pytest.mark.xfail(strict=True, reason="known miss")] if row["file"] in KNOWN_MISSES else []
    return pytest.param(row, id=row["file"], marks=marks)


def test_the_corpus_is_whole() -> None:
    assert len(ROWS) == 113
    assert all((CORPUS / r["file"]).exists() for r in ROWS)


@pytest.mark.parametrize("row", [_param(r) for r in ROWS if r["expected_kind"] != "nofailure"])
def test_every_labelled_address_and_no_other(row: dict[str, str]) -> None:
    failures = parse_bounce(CORPUS / row["file"]).failures
    expected = {a.lower() for a in row["expected_recipients"].split()}
    reported = {r.recipient.lower() for r in failures}
    originals = {(r.original_recipient or r.recipient).lower() for r in failures}
    assert expected in (reported, originals)


def _temporary_param(row: dict[str, str]) -> object:
    marks = ([pytest.mark.xfail(strict=True, reason="known miss")]
             if row["file"] in KNOWN_TEMPORARY_MISSES else [])
    return pytest.param(row, id=row["file"], marks=marks)


@pytest.mark.parametrize("row", [r for r in ROWS if r["expected_kind"].startswith("temporary")],
                         ids=lambda r: r["file"])
def test_a_temporary_failure_is_never_hard(row: dict[str, str]) -> None:
    assert not any(r.hard for r in parse_bounce(CORPUS / row["file"]).failures)


@pytest.mark.parametrize("row", [_temporary_param(r) for r in ROWS if r["expected_kind"].startswith("temporary")])
def test_a_temporary_failure_is_temporary(row: dict[str, str]) -> None:
    assert not any(r.permanent for r in parse_bounce(CORPUS / row["file"]).failures)


@pytest.mark.parametrize("row", [r for r in ROWS if r["expected_kind"] == "nofailure"], ids=lambda r: r["file"])
def test_non_bounces_report_no_failure(row: dict[str, str]) -> None:
    assert not parse_bounce(CORPUS / row["file"]).failures
