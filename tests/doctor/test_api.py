"""The doctor's entry points: sync and async on the shells, the report value, the CLI, bounces."""

from __future__ import annotations

import importlib
import io
import json
import pathlib
import time
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.doctor._zone import GOOD, GOOD_IP, good_zone, run, txt
from tests.hostile_shapes import best_time

import maildiag
from maildiag._doctor import (
    DoctorReport,
    adoctor,
    bounce_finding,
    dkim,
    dmarc,
    doctor,
    message,
    plan,
    providers,
    spf,
)
from maildiag._doctor._flow import tags, txt_strings
from maildiag.cli import main
from maildiag.errors import DiagnosisDataError
from maildiag.model import DnsAnswer, DnsStatus


def test_exported_from_the_package() -> None:
    assert maildiag.doctor is doctor and maildiag.adoctor is adoctor and maildiag.DoctorReport is DoctorReport
    # The implementation's modules have their own (private) name: the function stays a function.
    importlib.import_module("maildiag._doctor.spf")
    assert maildiag.doctor is doctor
    assert maildiag.doctor(GOOD, resolver=good_zone()).domain == GOOD


async def test_async_twin_gives_the_same_report() -> None:
    kwargs = {"sending_ips": [GOOD_IP, "203.0.113.5"], "dkim_selectors": ["nope"]}
    sync = doctor(GOOD, resolver=good_zone(), **kwargs)  # type: ignore[arg-type]
    asynchronous = await adoctor(GOOD, resolver=good_zone(), **kwargs)  # type: ignore[arg-type]
    assert sync == asynchronous
    assert sync.has("doctor.spf.ip_not_permitted") and sync.has("doctor.dkim.missing")


def test_one_deadline_for_the_whole_report() -> None:
    fake = good_zone().slow(f"_dmarc.{GOOD}", 5.0)
    start = time.monotonic()
    report = doctor(GOOD, resolver=fake, deadline=0.3)
    assert time.monotonic() - start < 2.0
    failed = [f for f in report.findings if f.code == "doctor.dns_failed"]
    assert failed and not report.has("doctor.dmarc.missing")  # unknown, never "missing"


def test_core_yields_batches_and_shares_answers() -> None:
    flow = plan(GOOD)
    first = next(flow)
    assert [(q.name, q.rdtype) for q in first] == [(GOOD, "TXT")]
    fake = good_zone()
    run(fake, sending_ips=[GOOD_IP])
    assert len(fake.queries) == len(set(fake.queries))  # every question asked once


def test_report_round_trips_and_refuses_garbage() -> None:
    report = run(good_zone(), sending_ips=["203.0.113.5"], dkim_selectors=["x"])
    data = json.loads(json.dumps(report.to_dict()))
    assert DoctorReport.from_dict(data) == report
    assert data["findings"][0]["actor"] == "shop"
    with pytest.raises(DiagnosisDataError):
        DoctorReport.from_dict({"domain": 3})
    with pytest.raises(DiagnosisDataError):
        DoctorReport.from_dict({"domain": "x", "checklist": [{"provider": 1}]})


def test_messages_in_english_and_hebrew() -> None:
    report = run(good_zone(), sending_ips=["203.0.113.5"])
    english, hebrew = report.messages("en"), report.messages("he")
    assert len(english) == len(hebrew) == len(report.findings)
    assert all(e != h for e, h in zip(english, hebrew, strict=True))
    assert any("203.0.113.5" in h for h in hebrew)


def test_invalid_domain_is_a_finding_and_wrong_type_an_error() -> None:
    assert doctor("not a domain!", resolver=good_zone()).codes == ("doctor.domain.invalid",)
    with pytest.raises(TypeError):
        doctor(b"good.example", resolver=good_zone())  # type: ignore[arg-type]


def test_checklist_has_source_and_date_for_every_rule() -> None:
    table = providers.requirements()
    assert {p["name"] for p in table} == {"Gmail", "Yahoo", "Outlook.com"}
    for provider in table:
        assert provider["source"].startswith("https://") and provider["enforced"] and provider["recorded"]
    report = run(good_zone())
    statuses = {(r.provider, r.requirement): r.status for r in report.checklist}
    assert statuses[("Gmail", "spf")] == "met"
    assert statuses[("Gmail", "ptr")] == "unknown"  # no --ip given: unknown, not failed
    assert statuses[("Outlook.com", "dkim")] == "unknown"


def test_unmet_requirement_is_one_finding_naming_every_provider() -> None:
    fake = good_zone()
    fake._records.pop((f"_dmarc.{GOOD}", "TXT"))
    found = [f for f in run(fake).findings if f.code == "doctor.provider.requirement_not_met"]
    assert [f.params["requirement"] for f in found] == ["dmarc"]
    assert found[0].params["provider"] == "Gmail, Yahoo, Outlook.com"


@pytest.mark.parametrize(
    ("reason", "domain", "fires"),
    [
        ("auth_failure", "news@shop.example", True),
        ("blocked", "shop.example", True),
        ("sender_rejected", "shop.example", True),
        ("spam", "shop.example", True),
        ("user_unknown", "shop.example", False),  # the customer's side: no doctor
        ("auth_failure", None, False),
        ("auth_failure", "not a domain", False),
    ],
)
def test_bounce_finding(reason: str, domain: str | None, fires: bool) -> None:
    finding = bounce_finding(reason, domain, ["550 5.7.26 Unauthenticated email"])
    assert (finding is not None) is fires
    if finding is not None:
        assert finding.code == "doctor.bounce.run_doctor"
        assert finding.params["command"] == "maildiag doctor shop.example"
        assert "maildiag doctor shop.example" in finding.message("he")


def _cli(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(["doctor", *args], out=out, stdin=io.StringIO())
    return code, out.getvalue()


def test_cli_human_and_json(doctor_dns_server: tuple[str, int], tmp_path: pathlib.Path) -> None:
    ns = f"{doctor_dns_server[0]}:{doctor_dns_server[1]}"
    code, text = _cli("spf-plus-all.doctor.example", "--nameserver", ns)
    assert code == 1 and "doctor.spf.all_pass" in text
    code, text = _cli("spf-plus-all.doctor.example", "--nameserver", ns, "--json")
    data = json.loads(text)
    assert DoctorReport.from_dict(data).has("doctor.spf.all_pass")
    code, text = _cli("spf-plus-all.doctor.example", "--nameserver", ns, "--locale", "he")
    assert "+all" in text
    assert _cli(GOOD, "--eml", str(tmp_path / "missing.eml"))[0] == 2
    assert _cli(GOOD, "--nameserver", "not-an-ip")[0] == 2


def test_cli_escapes_control_characters() -> None:
    fake = good_zone()
    fake._records[(GOOD, "TXT")] = [txt("v=spf1 foo\x1b]0;pwned\x07 -all")]
    from maildiag.testing import fake_dns

    with fake_dns(fake):
        code, text = _cli(GOOD)
    assert code == 1 and "\x1b" not in text and "\x07" not in text


# -- record parsers never raise, on any text, in linear time ------------------------------

_TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=300)


@settings(max_examples=300, deadline=None)
@given(_TEXT)
def test_parsers_never_raise(text: str) -> None:
    spf.parse("v=spf1 " + text)
    dkim.parse(text)
    dmarc.parse("v=DMARC1; " + text)
    tags(text)
    txt_strings(DnsAnswer("x.example", "TXT", DnsStatus.OK, (text,)))


def test_spf_tree_of_a_hostile_record_is_bounded() -> None:
    fake = good_zone()
    fake._records[(GOOD, "TXT")] = [txt(*("v=spf1 " + " ".join(f"include:i{n}.example" for n in range(400)),))]
    for n in range(400):
        fake.add(f"i{n}.example", "TXT", txt("v=spf1 include:deeper.example -all"))
    report = run(fake)
    assert report.has("doctor.spf.too_many_lookups")
    assert len(fake.queries) < 80  # fetching stops once the limit is broken


@pytest.mark.parametrize(
    ("name", "parse", "unit"),
    [
        ("spf terms", lambda t: spf.parse("v=spf1 " + t), "ip4:192.0.2.1 a:x.example/24 "),
        ("spf macros", lambda t: spf.parse("v=spf1 " + t), "exists:%{i}%{" ),
        ("spf one long term", lambda t: spf.parse("v=spf1 include:" + t), "a."),
        ("dkim", dkim.parse, "k=rsa; p=AAAA"),
        ("dmarc", lambda t: dmarc.parse("v=DMARC1; p=none; rua=" + t), "mailto:a@b.example,"),
        ("auth-results words", lambda t: message.auth_results("mx; " + t), "a"),
        ("auth-results comments", lambda t: message.auth_results("mx; spf=pass " + t), "(("),
        ("auth-results parts", lambda t: message.auth_results("mx" + t), "; spf=pass x=y"),
        ("tags", tags, "a=b;"),
    ],
)
def test_parsers_take_linear_time(name: str, parse: Any, unit: str) -> None:
    """Hostile record text: 4x the size costs at most 10x the time (linear; quadratic is 16x).

    Sizes large enough that each run takes milliseconds, and the garbage collector off while
    timing: at sub-millisecond sizes the ratio is noise on a shared machine."""
    import gc

    small, large = unit * 10_000, unit * 40_000
    best_time(lambda: parse(small))  # warm up
    gc.disable()
    try:
        ratio = best_time(lambda: parse(large), 5) / max(best_time(lambda: parse(small), 5), 1e-6)
    finally:
        gc.enable()
    assert ratio < 10, (name, ratio)


def test_doctor_waits_longer_than_a_checkout_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[float] = []
    import maildiag._shells as shells

    real = shells.run_sync

    def spy(flow: Any, resolver: Any, deadline: float) -> Any:
        seen.append(deadline)
        return real(flow, resolver, deadline)

    monkeypatch.setattr(shells, "run_sync", spy)
    doctor(GOOD, resolver=good_zone())
    doctor(GOOD, resolver=good_zone(), deadline=1.5)
    doctor(GOOD, options=maildiag.Options(resolver=good_zone(), deadline=2.0))
    assert seen == [10.0, 1.5, 2.0]


def test_cli_dnsbl_flag_replaces_the_default_lists() -> None:
    fake = good_zone()
    fake.address("10.2.0.192.bl.test", "127.0.0.2")
    from maildiag.testing import fake_dns

    with fake_dns(fake):
        code, text = _cli(GOOD, "--ip", GOOD_IP, "--dnsbl", "bl.test", "--json")
    report = DoctorReport.from_dict(json.loads(text))
    assert code == 1 and [f.params["zone"] for f in report.findings if f.code == "doctor.ip.listed"] == ["bl.test"]
    assert not any(name.endswith("spamhaus.org") for name, _ in fake.queries)
