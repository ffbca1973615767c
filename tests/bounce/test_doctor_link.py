"""A bounce that blames the sender points at the sending domain's own set-up (issue 15.8).

The bounces are real (tests/corpora/mta-bounces: Postfix and Exim refusing on a DMARC
failure and a blocklist); the sending domain's DNS is a fake one written here.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

import maildiag
from maildiag.bounce import BounceReport, parse_bounce
from maildiag.cli import main
from maildiag.testing import FakeResolver, fake_dns

MTA = Path(__file__).resolve().parents[1] / "corpora" / "mta-bounces"


def _shop_dns() -> FakeResolver:
    """shop.example with SPF that lets anyone send and no DMARC record."""
    return FakeResolver().mx("shop.example", "mx.shop.example").add("shop.example", "TXT", '"v=spf1 +all"')


@pytest.mark.parametrize("name", ["postfix-dmarc.eml", "exim-dmarc.eml", "postfix-blocklist.eml"])
def test_a_sender_side_bounce_names_the_sending_domain(name: str) -> None:
    report = parse_bounce(MTA / name)
    [finding] = [f for f in report.findings if f.code == "doctor.bounce.run_doctor"]
    assert finding.params["domain"] == "shop.example"  # the returned message's From
    assert finding.params["command"] == "maildiag doctor shop.example"
    assert report.doctor == ()  # parsing alone never uses the network


@pytest.mark.parametrize("name", ["postfix-user-unknown.eml", "exim-mailbox-full.eml", "postfix-vacation.eml"])
def test_a_bounce_about_the_recipient_does_not(name: str) -> None:
    report = parse_bounce(MTA / name, doctor=True)
    assert not any(f.code == "doctor.bounce.run_doctor" for f in report.findings)
    assert report.doctor == ()


def test_doctor_true_checks_the_sending_domain_once_and_round_trips() -> None:
    report = parse_bounce(MTA / "postfix-dmarc.eml", doctor=True, options=maildiag.Options(resolver=_shop_dns()))
    [checked] = report.doctor
    assert checked.domain == "shop.example"
    assert checked.has("doctor.spf.all_pass") and checked.has("doctor.dmarc.missing")
    assert BounceReport.from_dict(json.loads(json.dumps(report.to_dict()))) == report


def test_reports_saved_before_the_doctor_existed_still_load() -> None:
    data = parse_bounce(MTA / "postfix-dmarc.eml").to_dict()
    del data["doctor"]
    assert BounceReport.from_dict(data).doctor == ()


def test_the_cli_checks_each_blamed_domain_once() -> None:
    out = io.StringIO()
    paths = [str(MTA / "postfix-dmarc.eml"), str(MTA / "exim-dmarc.eml"), str(MTA / "postfix-user-unknown.eml")]
    with fake_dns(_shop_dns()):
        code = main(["bounce", "--json", "--doctor", *paths], out=out)
    assert code == 1  # failed recipients were found
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    doctors = [line["report"] for line in lines if line["kind"] == "doctor"]
    assert [d["domain"] for d in doctors] == ["shop.example"]  # two bounces blame it, one check
    assert "doctor.dmarc.missing" in [f["code"] for f in doctors[0]["findings"]]


def test_the_cli_refuses_a_nameserver_that_is_no_address(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["bounce", "--doctor", "--nameserver", "dns.example", str(MTA / "postfix-dmarc.eml")],
                out=io.StringIO())
    assert code == 2
    assert "--nameserver" in capsys.readouterr().err


def test_the_cli_prints_the_check_after_the_rows() -> None:
    out = io.StringIO()
    with fake_dns(_shop_dns()):
        main(["bounce", "--doctor", str(MTA / "postfix-dmarc.eml")], out=out)
    rows, _, check = out.getvalue().partition("\nmaildiag doctor ")
    assert "emil.novak@customers.example" in rows
    assert check.startswith("shop.example: problems found") and "doctor.dmarc.missing" in check
