"""Bounce values round-trip and refuse bad data with a typed error naming the field (issue 9.5)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import maildiag
from maildiag.bounce import BounceKind, BounceRecipient, BounceReport, parse_bounce
from maildiag.bounce.reasons import SMTP_COMMANDS, reason_names
from maildiag.errors import DiagnosisDataError

CORPUS = Path(__file__).resolve().parents[1] / "corpora" / "bounces-dev"


def _json_round_trip(report: BounceReport) -> BounceReport:
    return BounceReport.from_dict(json.loads(json.dumps(report.to_dict())))


def test_real_reports_round_trip_through_json() -> None:
    for path in sorted(CORPUS.glob("*.eml"))[::5]:
        report = parse_bounce(path.read_bytes(), source=path.name)
        again = _json_round_trip(report)
        assert again == report, path.name
        assert [r.diagnosis for r in again.recipients] == [r.diagnosis for r in report.recipients]


_text = st.text(max_size=30)
_recipients = st.builds(
    BounceRecipient,
    recipient=st.emails(),
    original_recipient=st.none() | st.emails(),
    action=st.sampled_from(["failed", "delayed", "delivered", "relayed", "expanded"]),
    status=st.none() | st.from_regex(r"\A[245]\.[0-9]{1,3}\.[0-9]{1,3}\Z"),
    reply_code=st.none() | st.integers(200, 599),
    diagnostic=_text,
    remote_mta=st.none() | _text,
    reason=st.sampled_from(reason_names()),
    hard=st.booleans(),
    permanent=st.booleans(),
    smtp_command=st.none() | st.sampled_from(SMTP_COMMANDS),
)
_reports = st.builds(
    BounceReport,
    kind=st.sampled_from(list(BounceKind)),
    recipients=st.lists(_recipients, max_size=3).map(tuple),
    decoder=_text,
    subject=_text,
    message_id=st.none() | _text,
    source=st.none() | _text,
    date=st.none() | _text,
    original_from=st.none() | _text,
    original_subject=st.none() | _text,
    original_message_id=st.none() | _text,
)


@given(_reports)
@settings(max_examples=150, deadline=None)
def test_any_report_round_trips_through_json(report: BounceReport) -> None:
    assert _json_round_trip(report) == report


# Any JSON value: what a queue, a database row or a hand-edited file may hold.
_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)


def _mutations(report: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """``report`` with one field, of the report or of its first recipient, replaced or removed."""
    recipient = report["recipients"][0]
    absent = object()

    def with_report(key: str, value: Any) -> dict[str, Any]:
        return {k: v for k, v in {**report, key: value}.items() if v is not absent}

    def with_recipient(key: str, value: Any) -> dict[str, Any]:
        changed = {k: v for k, v in {**recipient, key: value}.items() if v is not absent}
        return {**report, "recipients": [changed, *report["recipients"][1:]]}

    values = _json_values | st.just(absent)
    return st.builds(with_report, st.sampled_from(sorted(report)), values) | st.builds(
        with_recipient, st.sampled_from(sorted(recipient)), values
    )


_SAMPLE = parse_bounce((CORPUS / "lhost-postfix-04.eml").read_bytes()).to_dict()


def test_the_sample_names_every_field() -> None:
    """The mutations below reach every field only if the sample has them all."""
    assert _SAMPLE["recipients"] and _SAMPLE["recipients"][0]["smtp_command"]
    assert set(_SAMPLE) == set(BounceReport.__dataclass_fields__)
    fields = {f.lstrip("_") for f in BounceRecipient.__dataclass_fields__}
    assert set(_SAMPLE["recipients"][0]) == fields


@given(st.one_of(_json_values, _mutations(_SAMPLE)))
@settings(max_examples=300, deadline=None)
def test_from_dict_of_anything_is_a_report_or_a_typed_error(data: Any) -> None:
    try:
        report = BounceReport.from_dict(data)
    except DiagnosisDataError:
        return
    # What was accepted is usable: every recipient's diagnosis and message can be made.
    for r in report.recipients:
        assert r.message("he")
        assert r.diagnosis.findings


def _recipient_with(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(json.dumps(_SAMPLE))
    data["recipients"][0].update(changes)
    return data


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"reason": ""}, "recipients[0].reason"),
        ({"reason": "no_such_reason"}, "recipients[0].reason"),
        ({"reason": 5}, "recipients[0].reason"),
        ({"recipient": ""}, "recipients[0].recipient"),
        ({"recipient": None}, "recipients[0].recipient"),
        ({"status": "5.1"}, "recipients[0].status"),
        ({"reply_code": "550"}, "recipients[0].reply_code"),
        ({"reply_code": 99}, "recipients[0].reply_code"),
        ({"hard": "yes"}, "recipients[0].hard"),
        ({"action": ""}, "recipients[0].action"),
        ({"smtp_command": "RCPT TO"}, "recipients[0].smtp_command"),
        ({"smtp_command": ""}, "recipients[0].smtp_command"),
        ({"diagnosis": {**_SAMPLE["recipients"][0]["diagnosis"], "findings": []}}, "recipients[0].diagnosis.findings"),
        ({"diagnosis": "x"}, "diagnosis"),
    ],
)
def test_bad_fields_raise_a_typed_error_that_names_them(changes: dict[str, Any], named: str) -> None:
    with pytest.raises(DiagnosisDataError, match=named.replace("[", r"\[").replace("]", r"\]")):
        BounceReport.from_dict(_recipient_with(**changes))


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"date": 5}, "report.date"),
        ({"original_from": ["a"]}, "report.original_from"),
        ({"original_subject": {}}, "report.original_subject"),
        ({"original_message_id": 1.5}, "report.original_message_id"),
        ({"kind": ""}, "report.kind"),
        ({"findings": [{}]}, "report.findings[0]"),
        ({"recipients": {}}, "report.recipients"),
    ],
)
def test_bad_report_fields_raise_a_typed_error_that_names_them(changes: dict[str, Any], named: str) -> None:
    with pytest.raises(DiagnosisDataError, match=named.replace("[", r"\[").replace("]", r"\]")):
        BounceReport.from_dict({**_SAMPLE, **changes})


@pytest.mark.parametrize("data", [None, [], "report", 5, {"kind": "nope"}, {"recipients": [{}]}])
def test_from_dict_of_something_else_is_a_typed_error(data: Any) -> None:
    with pytest.raises(DiagnosisDataError):
        BounceReport.from_dict(data)


# -- lone surrogates: never held in a Diagnosis --------------------------------------------------

_any_char = st.characters(codec=None, categories=None)  # every code point, lone surrogates included


@given(st.text(_any_char, max_size=20), st.sampled_from(["", "@x.org", "@gmial.com", "@"]))
@settings(max_examples=300, deadline=None)
def test_any_input_diagnosis_round_trips_through_json(prefix: str, suffix: str) -> None:
    d = maildiag.diagnose(prefix + suffix, offline=True)
    assert maildiag.Diagnosis.from_dict(json.loads(json.dumps(d.to_dict()))) == d
    json.dumps(d.to_dict(), ensure_ascii=False).encode("utf-8")  # UTF-8 text, no lone surrogate


def test_the_reported_surrogate_address_round_trips_and_is_refused() -> None:
    d = maildiag.diagnose("\ud800\udcff@x.org", offline=True)
    assert d.verdict is maildiag.Verdict.UNDELIVERABLE and d.has("syntax.unsafe_chars")
    assert d.address == "\ufffd\ufffd@x.org"  # kept, each lone surrogate as U+FFFD
    assert maildiag.Diagnosis.from_dict(json.loads(json.dumps(d.to_dict()))) == d
