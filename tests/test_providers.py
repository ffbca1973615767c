"""Provider identification from MX host names and domains, and the known-trouble findings."""

from __future__ import annotations

import datetime
import pathlib
from typing import Any

import pytest

from maildiag import catalog, messages, providers
from maildiag.model import Actor, Verdict
from maildiag.options import Options

OPTS = Options()
ENTRIES = providers.entries()


def _example_params() -> list[object]:
    return [
        pytest.param(entry, host, id=f"{entry.id}:{host}")
        for entry in ENTRIES.values()
        for host in entry.example_mx
    ]


def test_enough_providers_of_every_kind() -> None:
    assert len(ENTRIES) >= 30
    kinds = {e.kind for e in ENTRIES.values()}
    assert {"consumer_webmail", "hosted_workspace", "security_gateway", "isp", "disposable"} <= kinds


@pytest.mark.parametrize("entry", list(ENTRIES.values()), ids=list(ENTRIES))
def test_entry_is_complete(entry: providers.Provider) -> None:
    assert entry.kind in providers.KINDS
    assert entry.source, "every entry says where its facts come from"
    datetime.date.fromisoformat(entry.checked)
    assert entry.mx_suffixes or entry.domains
    # An entry without an example MX must be one we recognise by domain only.
    assert entry.example_mx or not entry.mx_suffixes
    for code in entry.codes:
        assert catalog.info(code).area == "provider"
    for folder in entry.folders.values():
        assert folder.en and folder.he
    if entry.kind != "disposable":
        assert entry.folders, "the checklist needs at least one place to look in"


@pytest.mark.parametrize(("entry", "host"), _example_params())
def test_every_example_mx_identifies_its_entry(entry: providers.Provider, host: str) -> None:
    if entry.mx_suffixes:
        matches = providers.identify("customer.example", [host], OPTS)
        assert matches, f"{host} matched nothing"
        assert (matches[0].id, matches[0].matched_by, matches[0].matched) == (entry.id, "mx", host)
    else:
        # Brand on the address, mail run by someone else (verizon.net on AOL's MX).
        matches = providers.identify(entry.domains[0], [host], OPTS)
        assert (entry.id, "domain") in {(m.id, m.matched_by) for m in matches}


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        pytest.param("gmail-smtp-in.l.google.com", "gmail", id="gmail"),
        pytest.param("alt3.aspmx.l.google.com", "google_workspace", id="workspace-alt"),
        pytest.param("smtp.google.com", "google_workspace", id="workspace-single-mx"),
        pytest.param("hotmail-com.olc.protection.outlook.com", "outlook_consumer", id="outlook-consumer"),
        pytest.param("fabrikam-com.mail.protection.outlook.com", "microsoft365", id="m365"),
        pytest.param("fabrikam-com.b-v1.mx.microsoft", "microsoft365", id="m365-dane"),
        pytest.param("mta7.am0.yahoodns.net", "yahoo", id="yahoo"),
        pytest.param("mx-biz.mail.am0.yahoodns.net", "yahoo_business", id="yahoo-business"),
        pytest.param("mx-aol.mail.gm0.yahoodns.net", "aol", id="aol-on-yahoo"),
        pytest.param("mx2.qq.com", "qq", id="qq"),
        pytest.param("mxbiz2.qq.com", "tencent_exmail", id="exmail"),
        pytest.param("mx.yandex.ru", "yandex", id="yandex"),
        pytest.param("mx.yandex.net", "yandex_360", id="yandex-360"),
        pytest.param("smtpin2.zoho.com", "zoho_personal", id="zoho-personal"),
        pytest.param("mx2.zoho.eu", "zoho_workspace", id="zoho-business"),
        pytest.param("MX0B-ABCDEF.PPHOSTED.COM.", "proofpoint", id="case-and-trailing-dot"),
    ],
)
def test_consumer_and_business_are_told_apart(host: str, expected: str) -> None:
    (match,) = providers.identify("customer.example", [host], OPTS)
    assert match.id == expected


@pytest.mark.parametrize(
    "host",
    [
        pytest.param("mx.evilpphosted.com", id="suffix-must-end-on-a-label"),
        pytest.param("google.com", id="parent-of-a-suffix"),
        pytest.param("mx.customer.example", id="own-mx"),
        pytest.param("l.google.com", id="shorter-than-gmail-host"),
    ],
)
def test_unknown_hosts_match_nothing(host: str) -> None:
    assert providers.identify("customer.example", [host], OPTS) == ()


def test_gateway_and_brand_are_both_reported_mx_first() -> None:
    matches = providers.identify("verizon.net", ["mx-aol.mail.gm0.yahoodns.net"], OPTS)
    assert [(m.id, m.matched_by) for m in matches] == [("aol", "mx"), ("verizon", "domain")]


def test_every_mx_is_looked_at_in_preference_order() -> None:
    hosts = ["mx0a-00112233.pphosted.com", "mx0b-00112233.pphosted.com", "acme.mail.protection.outlook.com"]
    matches = providers.identify("acme.example", hosts, OPTS)
    assert [m.id for m in matches] == ["proofpoint", "microsoft365"]
    assert matches[0].matched == "mx0a-00112233.pphosted.com"


def test_offline_matches_by_domain_only() -> None:
    (match,) = providers.identify("Hotmail.co.il", (), OPTS)
    assert (match.id, match.matched_by, match.matched) == ("outlook_consumer", "domain", "hotmail.co.il")
    assert providers.identify("sub.gmail.com", (), OPTS) == ()


def test_domain_and_mx_of_the_same_provider_give_one_match() -> None:
    matches = providers.identify("gmail.com", ["gmail-smtp-in.l.google.com"], OPTS)
    assert [(m.id, m.matched_by) for m in matches] == [("gmail", "mx")]


def test_shop_adds_and_overrides_entries() -> None:
    own = {
        "id": "corp-filter",
        "name": "Corp filter",
        "kind": "security_gateway",
        "mx_suffixes": ["filter.corp.example"],
    }
    renamed = {"id": "gmail", "name": "Google Mail", "kind": "consumer_webmail", "domains": ["gmail.com"]}
    options = Options(extra_providers=(own, renamed))
    (match,) = providers.identify("corp.example", ["in1.filter.corp.example"], options)
    assert (match.id, match.kind) == ("corp-filter", "security_gateway")
    assert [f.code for f in providers.findings((match,), options)] == ["provider.gateway_quarantine"]
    # The override replaces the whole entry: its MX suffix is gone, its name is new.
    assert providers.identify("x.example", ["gmail-smtp-in.l.google.com"], options) == ()
    assert providers.identify("gmail.com", (), options)[0].name == "Google Mail"
    # The package data is untouched.
    assert providers.identify("gmail.com", (), OPTS)[0].name == "Gmail"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        pytest.param({"name": "x", "kind": "isp"}, "id", id="missing-id"),
        pytest.param({"id": "x", "name": "x", "kind": "bank"}, "unknown kind", id="bad-kind"),
        pytest.param({"id": "x", "name": "x", "kind": "isp", "domains": "x.example"}, "list", id="string-not-list"),
    ],
)
def test_bad_extra_entries_are_refused(raw: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        providers.parse_entry(raw)


def test_unknown_trouble_code_is_refused() -> None:
    with pytest.raises(catalog.UnknownCodeError):
        providers.parse_entry({"id": "x", "name": "x", "kind": "isp", "trouble": ["provider.typo"]})


@pytest.mark.parametrize(
    ("domain", "hosts", "codes"),
    [
        pytest.param("gmail.com", ["gmail-smtp-in.l.google.com"], ["provider.gmail_tabs"], id="gmail"),
        pytest.param("yahoo.com", ["mta5.am0.yahoodns.net"], ["provider.strict_filtering"], id="yahoo"),
        pytest.param(
            "outlook.com",
            ["outlook-com.olc.protection.outlook.com"],
            ["provider.strict_filtering", "provider.junk_folder"],
            id="outlook",
        ),
        pytest.param(
            "c.example",
            ["c-example.mail.protection.outlook.com"],
            ["provider.workspace_quarantine", "provider.junk_folder"],
            id="m365",
        ),
        pytest.param(
            "c.example",
            ["mx0a-1.pphosted.com", "c-example.mail.protection.outlook.com"],
            ["provider.gateway_quarantine", "provider.workspace_quarantine", "provider.junk_folder"],
            id="proofpoint-in-front-of-m365",
        ),
        pytest.param("walla.co.il", [], ["provider.maybe_filtered"], id="israeli-webmail"),
        pytest.param("verizon.net", ["mx-aol.mail.gm0.yahoodns.net"], ["provider.strict_filtering"], id="dedup"),
        pytest.param("protonmail.com", ["mail.protonmail.ch"], [], id="no-known-trouble"),
    ],
)
def test_findings_for_known_trouble(domain: str, hosts: list[str], codes: list[str]) -> None:
    found = providers.findings(providers.identify(domain, hosts, OPTS), OPTS)
    assert [f.code for f in found] == codes


def test_gateway_finding_says_who_acts_and_why() -> None:
    matches = providers.identify("acme.example", ["eu-smtp-inbound-1.mimecast.com"], OPTS)
    (finding,) = providers.findings(matches, OPTS)
    assert finding.actor is Actor.CUSTOMER_IT
    assert dict(finding.params) == {"provider": "Mimecast", "host": "eu-smtp-inbound-1.mimecast.com"}
    assert finding.evidence == ("mx eu-smtp-inbound-1.mimecast.com -> mimecast (security_gateway)",)
    assert catalog.info(finding.code).verdict is Verdict.RISKY
    assert "Mimecast" in finding.message("en")
    assert "Mimecast" in finding.message("he")


def test_folder_names_reach_both_languages() -> None:
    matches = providers.identify("outlook.com", ["outlook-com.olc.protection.outlook.com"], OPTS)
    junk = next(f for f in providers.findings(matches, OPTS) if f.code == "provider.junk_folder")
    assert "Junk Email" in junk.message("en")
    assert "דואר זבל" in junk.message("he")


def test_filtered_isp_entries_get_the_filter_finding() -> None:
    entry = {"id": "kosher-isp", "name": "Kosher ISP", "kind": "filtered_isp", "domains": ["kosher.example"]}
    options = Options(extra_providers=(entry,))
    found = providers.findings(providers.identify("kosher.example", (), options), options)
    assert [f.code for f in found] == ["provider.filtered_isp"]
    assert found[0].actor is Actor.CUSTOMER


@pytest.mark.parametrize(
    ("domain", "known"),
    [
        pytest.param("gmail.com", True, id="gmail"),
        pytest.param("YAHOO.COM.", True, id="case"),
        pytest.param("walla.co.il", True, id="walla"),
        pytest.param("mailinator.com", False, id="disposable-is-not-sure-to-exist"),
        pytest.param("example.com", False, id="unknown"),
    ],
)
def test_is_known_domain(domain: str, known: bool) -> None:
    assert providers.is_known_domain(domain) is known


@pytest.mark.parametrize("code", [c for c, i in catalog.codes().items() if i.area in ("provider", "flag")])
@pytest.mark.parametrize("locale", ["en", "he"])
def test_every_code_has_a_template_using_declared_params(code: str, locale: str) -> None:
    template = messages.templates(locale).get(code)
    assert template, f"{code} has no {locale} message"
    assert messages.placeholders(template) <= set(catalog.info(code).params)


def _mx_table() -> list[Any]:
    rows: list[Any] = []
    path = pathlib.Path(__file__).parent / "data" / "mx_hosts.tsv"
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith(("#", "mx_host\t")):
            continue
        host, expected, subset, _source = line.split("\t")
        rows.append(pytest.param(host, None if expected == "-" else expected, id=f"{subset}:{host}"))
    return rows


MX_TABLE = _mx_table()


def test_mx_table_is_big_enough() -> None:
    assert len(MX_TABLE) >= 100


@pytest.mark.parametrize(("host", "expected"), MX_TABLE)
def test_real_mx_host_table(host: str, expected: str | None) -> None:
    matches = providers.identify("customer.example", [host], OPTS)
    assert (matches[0].id if matches else None) == expected


# -- issue 12: the validation set of real MX host names (bench/data/mx_validation.tsv) --------

_MX_VALIDATION = pathlib.Path(__file__).resolve().parent.parent / "bench" / "data" / "mx_validation.tsv"


def _mx_validation_params() -> list[object]:
    lines = [ln for ln in _MX_VALIDATION.read_text("utf-8").splitlines() if ln and not ln.startswith("#")]
    return [pytest.param(host, expected, id=host) for host, expected, _ in (ln.split("\t") for ln in lines[1:])]


@pytest.mark.parametrize(("host", "expected"), _mx_validation_params())
def test_documented_mx_host_names_identify_their_provider(host: str, expected: str) -> None:
    # Numbered, regional, business, legacy and national-cloud hosts from the providers'
    # documentation; "-" rows are look-alikes that end outside the provider's domain.
    found = providers.identify("customer.example", [host], OPTS)
    assert (found[0].id if found else "-") == expected


@pytest.mark.parametrize(
    ("host", "not_expected"),
    [
        ("mx1.mail.yahoo.co.jp", "yahoo"),  # Yahoo! JAPAN is another company
        ("mx.mail.yahoo.com.example", "yahoo"),
        ("route1.mx.cloudflare.net.example", "cloudflare_email_routing"),
        ("inbound-smtp.us-east-1.amazonaws.com.example", "amazon_ses_inbound"),
    ],
)
def test_look_alike_hosts_are_not_named(host: str, not_expected: str) -> None:
    assert not_expected not in [m.id for m in providers.identify("customer.example", [host], OPTS)]
