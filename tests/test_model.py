"""The Diagnosis is a value: frozen, comparable, and round-trips through JSON unchanged."""

from __future__ import annotations

import copy
import dataclasses
import json
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import maildiag
from maildiag import (
    Actor,
    Blame,
    Diagnosis,
    DnsAnswer,
    DnsStatus,
    Finding,
    MxHost,
    ProviderMatch,
    Severity,
    Verdict,
    providers,
)
from maildiag.testing import FakeResolver

#: Every code point, lone surrogates (U+D800-U+DFFF), NUL and control characters included: what
#: a Python ``str`` can hold (``os.fsdecode`` of bad bytes, a JSON ``"\\ud800"``), not only
#: what UTF-8 can (Hypothesis's default alphabet leaves surrogates out); the rare ones drawn often.
any_char = st.one_of(
    st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF, categories=None),  # lone surrogates
    st.characters(max_codepoint=0x9F, categories=["Cc"]),  # NUL, C0 and C1 controls, DEL
    st.characters(codec=None, categories=None),
)


def _diagnoses(alphabet: st.SearchStrategy[str] | None = None) -> st.SearchStrategy[Diagnosis]:
    def text(max_size: int, min_size: int = 0) -> st.SearchStrategy[str]:
        if alphabet is None:
            return st.text(min_size=min_size, max_size=max_size)
        return st.text(alphabet, min_size=min_size, max_size=max_size)

    param_values = st.one_of(
        text(20), st.integers(-(10**6), 10**6), st.booleans(), st.none(),
        st.floats(allow_nan=False, allow_infinity=False, width=32),
        st.lists(text(10), max_size=3).map(tuple),
    )
    findings = st.builds(
        Finding,
        code=st.sampled_from(["domain.typo", "mx.null", "dns.timeout", "x.custom"]),
        severity=st.sampled_from(Severity),
        blame=st.sampled_from(Blame),
        actor=st.sampled_from(Actor),
        params=st.dictionaries(text(8, min_size=1), param_values, max_size=3),
        evidence=st.lists(text(30), max_size=3).map(tuple),
    )
    answers = st.builds(
        DnsAnswer,
        name=text(20), rdtype=st.sampled_from(["MX", "A", "AAAA"]), status=st.sampled_from(DnsStatus),
        records=st.lists(text(20), max_size=3).map(tuple),
        canonical_name=st.none() | text(10), detail=text(10),
    )
    return st.builds(
        Diagnosis,
        address=text(40),
        normalized=st.none() | text(40),
        verdict=st.sampled_from(Verdict),
        blame=st.sampled_from(Blame),
        confidence=st.floats(0, 1),
        suggestion=st.none() | text(40),
        findings=st.lists(findings, max_size=4).map(tuple),
        domain=st.none() | text(20),
        mx=st.lists(st.builds(MxHost, preference=st.integers(0, 65535), host=text(20),
                              addresses=st.lists(text(15), max_size=2).map(tuple),
                              implicit=st.booleans()), max_size=3).map(tuple),
        providers=st.lists(st.builds(ProviderMatch, id=text(8), name=text(8),
                                     kind=st.sampled_from(sorted(providers.KINDS)),
                                     matched_by=st.sampled_from(["mx", "domain"]), matched=text(8)),
                           max_size=2).map(tuple),
        dns=st.lists(answers, max_size=3).map(tuple),
        data_versions=st.dictionaries(text(8), text(8), max_size=2),
        checks=st.lists(st.sampled_from(["syntax", "typo", "dns"]) | text(8), max_size=3).map(tuple),
    )


diagnoses = _diagnoses()


@given(diagnoses)
@settings(max_examples=200)
def test_round_trip_through_json(d: Diagnosis) -> None:
    assert Diagnosis.from_dict(json.loads(json.dumps(d.to_dict()))) == d


@given(_diagnoses(any_char))
@settings(max_examples=300)
def test_a_diagnosis_of_any_text_round_trips_and_is_utf8(d: Diagnosis) -> None:
    # Issue 9.5: JSON writes a lone surrogate as "\\ud800" and reads an adjacent pair back as
    # one other character, and no UTF-8 text can hold one. A Diagnosis never holds one, in
    # any field (U+FFFD in its place), so every Diagnosis round-trips and encodes.
    assert Diagnosis.from_dict(json.loads(json.dumps(d.to_dict()))) == d
    json.dumps(d.to_dict(), ensure_ascii=False).encode("utf-8")


@given(diagnoses)
@settings(max_examples=100)
def test_to_dict_never_changes_the_object(d: Diagnosis) -> None:
    before = copy.deepcopy(d.to_dict())
    produced = d.to_dict()
    produced["findings"].append({"mutated": True})
    produced["data_versions"]["x"] = "y"
    assert d.to_dict() == before


def test_real_diagnoses_round_trip() -> None:
    fake = FakeResolver().mx("shop.example", "mx.shop.example").null_mx("null.example")
    for address in ("jane@gmial.com", "x@null.example", "x@shop.example", "not an address", "x@nope.example"):
        d = maildiag.diagnose(address, resolver=fake, allow_private_addresses=True)
        assert Diagnosis.from_dict(json.loads(json.dumps(d.to_dict()))) == d


_FAKE = FakeResolver().mx("shop.example", "mx.shop.example")


@given(st.text(any_char, max_size=24), st.sampled_from(["", "@", "@shop.example", "@gmial.com", "@x.org"]),
       st.booleans())
@settings(max_examples=300, deadline=None)
def test_a_diagnosis_of_any_input_round_trips_through_json(typed: str, suffix: str, online: bool) -> None:
    # Whatever a customer pastes (NUL, controls, lone surrogates from undecodable bytes), the
    # Diagnosis is a value that survives JSON: issue 9.5 reported '\\ud800\\udcff@x.org'.
    d = maildiag.diagnose(typed + suffix, offline=not online, resolver=_FAKE, allow_private_addresses=True)
    assert Diagnosis.from_dict(json.loads(json.dumps(d.to_dict()))) == d
    json.dumps(d.to_dict(), ensure_ascii=False).encode("utf-8")
    if re.search("[\ud800-\udfff]", typed):
        # Cannot be sent to: refused at the door, as syntax (email-validator refuses it too).
        assert d.verdict is Verdict.UNDELIVERABLE and d.has("syntax"), d.codes


def test_diagnosis_is_frozen() -> None:
    d = maildiag.diagnose("jane@gmial.com", offline=True)
    with pytest.raises(dataclasses.FrozenInstanceError):
        d.verdict = Verdict.OK  # type: ignore[misc]
    with pytest.raises(TypeError):
        d.findings[0].params["domain"] = "x"  # type: ignore[index]


def test_lists_in_params_are_stored_as_tuples() -> None:
    hosts: Any = ["a", "b"]  # a list, as callers pass; the model keeps params immutable
    f = Finding("mx.no_usable_host", Severity.ERROR, params={"hosts": hosts})
    assert f.params["hosts"] == ("a", "b")
    assert f.to_dict()["params"]["hosts"] == ["a", "b"]


@pytest.mark.parametrize("bad", [None, b"jane@gmail.com", 42, ["jane@gmail.com"]])
def test_non_str_input_is_a_type_error(bad: object) -> None:
    with pytest.raises(TypeError, match="address must be str"):
        maildiag.diagnose(bad)  # type: ignore[arg-type]


async def test_non_str_input_is_a_type_error_async() -> None:
    with pytest.raises(TypeError):
        await maildiag.adiagnose(b"x@y.z")  # type: ignore[arg-type]


def test_raise_for_problems() -> None:
    d = maildiag.diagnose("jane@gmial.com", offline=True)
    with pytest.raises(maildiag.UndeliverableError) as caught:
        d.raise_for_problems()
    assert caught.value.diagnosis is d
    unknown = maildiag.diagnose("x@broken.example", resolver=FakeResolver().fail("broken.example"))
    assert unknown.raise_for_problems() is unknown  # our failure never blocks a customer


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"deadline": 0}, ValueError), ({"deadline": -1}, ValueError), ({"deadline": float("nan")}, ValueError),
        ({"deadline": float("inf")}, ValueError), ({"deadline": True}, ValueError), ({"deadline": "3"}, ValueError),
        ({"deadline": 1e12}, ValueError), ({"deadline": 3600.5}, ValueError),
        ({"allow": "gmail.com"}, TypeError),
    ],
)
def test_bad_options_are_typed_errors(kwargs: dict[str, object], error: type[Exception]) -> None:
    with pytest.raises(error):
        maildiag.Options(**kwargs)  # type: ignore[arg-type]


def test_a_resolver_per_request_is_not_kept_alive_by_caches() -> None:
    import gc
    import weakref

    refs = []
    for i in range(50):
        resolver = FakeResolver()
        refs.append(weakref.ref(resolver))
        maildiag.diagnose(f"jane{i}@gmail.com", resolver=resolver)
    del resolver
    gc.collect()
    assert sum(1 for ref in refs if ref() is not None) == 0


def _serialized() -> dict[str, Any]:
    d = maildiag.diagnose("jane@gmial.com", resolver=FakeResolver().mx("gmial.com", "mx.gmial.com"))
    assert d.findings and d.mx and d.dns
    data: dict[str, Any] = json.loads(json.dumps(d.to_dict()))
    return data


def _with(path: str, value: object) -> dict[str, Any]:
    data = _serialized()
    *parents, last = path.split(".")
    node: Any = data
    for key in parents:
        node = node[int(key)] if key.isdigit() else node[key]
    if value is _DROP:
        del node[last]
    else:
        node[last] = value
    return data


_DROP = object()


@pytest.mark.parametrize(
    ("path", "value", "named"),
    [
        pytest.param("address", None, "diagnosis.address", id="address-null"),
        pytest.param("address", _DROP, "diagnosis.address: missing", id="address-missing"),
        pytest.param("checks", "dns", "diagnosis.checks", id="string-for-a-list"),
        pytest.param("confidence", 7, "diagnosis.confidence", id="confidence-out-of-range"),
        pytest.param("confidence", "high", "diagnosis.confidence", id="confidence-text"),
        pytest.param("normalized", 5, "diagnosis.normalized", id="normalized-number"),
        pytest.param("verdict", "maybe", "diagnosis.verdict", id="unknown-verdict"),
        pytest.param("findings", {"code": "x"}, "diagnosis.findings", id="findings-not-a-list"),
        pytest.param("findings.0.evidence", "abc", "diagnosis.findings[0].evidence", id="evidence-string"),
        pytest.param("findings.0.params", [1, 2], "diagnosis.findings[0].params", id="params-list"),
        pytest.param("findings.0.params.domain", {"a": 1}, "diagnosis.findings[0].params.domain",
                     id="param-value-object"),
        pytest.param("findings.0.severity", "fatal", "diagnosis.findings[0].severity", id="bad-severity"),
        pytest.param("mx", "abc", "diagnosis.mx", id="mx-string"),
        pytest.param("mx.0.preference", "10", "diagnosis.mx[0].preference", id="preference-text"),
        pytest.param("dns.0.status", "weird", "diagnosis.dns[0].status", id="dns-status"),
        pytest.param("data_versions", {"psl": 3}, "diagnosis.data_versions.psl", id="version-number"),
    ],
)
def test_from_dict_names_the_field_of_bad_data(path: str, value: object, named: str) -> None:
    with pytest.raises(maildiag.DiagnosisDataError, match=re.escape(named)):
        maildiag.Diagnosis.from_dict(_with(path, value))


@pytest.mark.parametrize("data", [[], "diagnosis", None, 42], ids=["list", "string", "null", "number"])
def test_from_dict_of_something_else_entirely_is_a_typed_error(data: object) -> None:
    with pytest.raises(maildiag.DiagnosisDataError) as info:
        maildiag.Diagnosis.from_dict(data)  # type: ignore[arg-type]
    assert isinstance(info.value, ValueError)  # callers catching ValueError keep working


def test_from_dict_keeps_a_code_this_version_does_not_know() -> None:
    # Data from a newer maildiag (a new code) must stay readable by an older one.
    data = _with("findings.0.code", "domain.some_future_code")
    d = maildiag.Diagnosis.from_dict(data)
    assert d.findings[0].code == "domain.some_future_code"
    assert d.to_dict() == data


@pytest.mark.parametrize(("field", "value"), [("kind", "webmail"), ("kind", ""), ("matched_by", "guess")])
def test_provider_match_from_dict_refuses_a_value_outside_its_closed_set(field: str, value: str) -> None:
    data = {"id": "gmail", "name": "Gmail", "kind": "consumer_webmail", "matched_by": "domain", "matched": "gmail.com"}
    assert ProviderMatch.from_dict(data).kind == "consumer_webmail"
    with pytest.raises(maildiag.errors.DiagnosisDataError, match=field):
        ProviderMatch.from_dict({**data, field: value})
