"""Flags from maintained data sets (disposable, role, free webmail) and the shop's lists."""

from __future__ import annotations

import importlib.metadata

import disposable_email_domains
import pytest

import maildiag
from maildiag import catalog, flags
from maildiag.model import Verdict
from maildiag.options import Options

OPTS = Options()


def codes(address: str, options: Options = OPTS) -> list[str]:
    local, domain = address.rsplit("@", 1)
    return [f.code for f in flags.check(local, domain, options)]


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        pytest.param("jane@mailinator.com", ["flag.disposable"], id="listed"),
        pytest.param("jane@inbox.x.mailinator.com", ["flag.disposable"], id="subdomain-via-psl"),
        pytest.param("jane@MAILINATOR.COM", ["flag.disposable"], id="case"),
        pytest.param("jane@10minutemail.co.za", ["flag.disposable"], id="in-free-list-too-but-disposable"),
        pytest.param("jane@gmail.com", ["flag.free_webmail"], id="free"),
        pytest.param("jane@walla.co.il", ["flag.free_webmail"], id="free-from-provider-data"),
        pytest.param("jane@acme-shop.example", [], id="company"),
        pytest.param("postmaster@acme-shop.example", ["flag.role"], id="rfc2142"),
        pytest.param("Abuse+shop@acme-shop.example", ["flag.role"], id="rfc2142-tag-and-case"),
        pytest.param("newsletter@acme-shop.example", ["flag.role_possible"], id="wide-list"),
        pytest.param("info@gmail.com", ["flag.role_possible", "flag.free_webmail"], id="role-name-on-webmail"),
        pytest.param("postmaster@mailinator.com", ["flag.disposable", "flag.role_possible"], id="both"),
    ],
)
def test_flags(address: str, expected: list[str]) -> None:
    assert codes(address) == expected


def test_disposable_finding_names_the_listed_domain() -> None:
    (finding,) = flags.check("jane", "inbox.x.mailinator.com", OPTS)
    assert dict(finding.params) == {"domain": "inbox.x.mailinator.com", "listed": "mailinator.com"}
    assert catalog.info(finding.code).verdict is Verdict.RISKY


def test_disposable_is_the_maintained_list_not_ours() -> None:
    # Every listed domain hits (sampled), and the package's allowlist wins over its blocklist.
    for domain in sorted(disposable_email_domains.blocklist)[::500]:
        if domain not in disposable_email_domains.allowlist:
            assert flags.is_disposable(domain) == domain
    for domain in disposable_email_domains.allowlist:
        assert flags.is_disposable(domain) is None


def test_public_suffix_stops_the_walk() -> None:
    # "co.za" is a public suffix: a domain under it is never disposable because of "co.za".
    assert flags.is_disposable("jane-shop.co.za") is None


def test_shop_disposable_entry_counts() -> None:
    entry = {"id": "tmp", "name": "Tmp", "kind": "disposable", "domains": ["tmp-inbox.example"]}
    assert codes("jane@tmp-inbox.example", Options(extra_providers=(entry,))) == ["flag.disposable"]


@pytest.mark.parametrize(
    ("address", "allow", "deny", "expected"),
    [
        pytest.param("jane@mailinator.com", ["mailinator.com"], [], ["policy.allowed"], id="allow-domain"),
        pytest.param("jane@x.mailinator.com", ["mailinator.com"], [], ["policy.allowed"], id="allow-parent"),
        pytest.param("sales@acme.example", ["sales@acme.example"], [], ["policy.allowed"], id="allow-address"),
        pytest.param("jane@acme.example", ["sales@acme.example"], [], [], id="other-address-not-allowed"),
        pytest.param("jane@rival.example", [], ["rival.example"], ["policy.denied"], id="deny-domain"),
        pytest.param("jane@rival.example", [], ["@rival.example"], ["policy.denied"], id="deny-at-domain"),
        pytest.param("Jane@Rival.example", [], ["jane@rival.example"], ["policy.denied"], id="deny-address-case"),
        pytest.param("jane@notrival.example", [], ["rival.example"], [], id="deny-ends-on-label"),
        pytest.param("jane@rival.example", ["rival.example"], ["rival.example"], ["policy.allowed"], id="allow-wins"),
        pytest.param("jane@gmail.com", ["gmail.com"], [], ["policy.allowed", "flag.free_webmail"], id="free-stays"),
    ],
)
def test_shop_lists(address: str, allow: list[str], deny: list[str], expected: list[str]) -> None:
    assert codes(address, Options(allow=tuple(allow), deny=tuple(deny))) == expected


def test_denied_is_undeliverable_and_blocks() -> None:
    entry = catalog.info("policy.denied")
    assert (entry.verdict, entry.actor.value) == (Verdict.UNDELIVERABLE, "customer")


def test_data_versions_are_the_installed_ones() -> None:
    versions = flags.data_versions()
    assert versions["disposable-email-domains"] == importlib.metadata.version("disposable-email-domains")
    assert versions["publicsuffixlist"] == importlib.metadata.version("publicsuffixlist")
    assert versions["role-based-email-addresses"] == "3.1.0"
    assert versions["maildiag-providers"][:4].isdigit()


def test_role_lists_are_tiered() -> None:
    assert flags.role_of("hostmaster") == ("core", "hostmaster")
    assert flags.role_of("marketing-team") == ("wide", "marketing-team")
    assert flags.role_of("jane.doe") is None


@pytest.mark.parametrize("spelling", ["bücher.example", "BÜCHER.example", "xn--bcher-kva.example"])
def test_the_shops_lists_match_an_idn_domain_in_either_spelling(spelling: str) -> None:
    denied = maildiag.diagnose("jane@bücher.example", offline=True, deny=(spelling,))
    assert denied.has("policy.denied")
    allowed = maildiag.diagnose("postmaster@bücher.example", offline=True, allow=(f"@{spelling}",))
    assert allowed.has("policy.allowed") and not allowed.has("flag.role")
