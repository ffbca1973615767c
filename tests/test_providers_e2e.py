"""Providers, findings and checklists end to end, on the loopback unbound test zone.

tests/dns/test.zone gives several providers their real MX host names on loopback addresses;
``diagnose`` runs its real DNS path against it, then identifies the provider from the MX.
"""

from __future__ import annotations

import io

import dns.resolver
import pytest

import maildiag
from maildiag.checklist import checklist
from maildiag.cli import main
from maildiag.model import Diagnosis, Verdict

pytestmark = pytest.mark.dns_server


def run(address: str, resolver: dns.resolver.Resolver) -> Diagnosis:
    return maildiag.diagnose(address, resolver=resolver, allow_private_addresses=True)


@pytest.mark.parametrize(
    ("address", "providers", "codes", "verdict"),
    [
        pytest.param(
            "jane@yahoo.com",
            [("yahoo", "mx", "mta5.am0.yahoodns.net")],
            {"provider.strict_filtering", "flag.free_webmail"},
            Verdict.OK,
            id="yahoo",
        ),
        pytest.param(
            "jane@contoso-m365.example",
            [("microsoft365", "mx", "contoso-m365-example.mail.protection.outlook.com")],
            {"provider.workspace_quarantine", "provider.junk_folder"},
            Verdict.OK,
            id="microsoft-365",
        ),
        pytest.param(
            "jane@acme-pp.example",
            [("proofpoint", "mx", "mx0a-00112233.pphosted.com")],
            {"provider.gateway_quarantine"},
            Verdict.RISKY,
            id="proofpoint",
        ),
        pytest.param(
            "jane@mailinator.com",
            [("mailinator", "mx", "mail.mailinator.com")],
            {"flag.disposable"},
            Verdict.RISKY,
            id="disposable",
        ),
        pytest.param(
            "jane@workspace.example",
            [("google_workspace", "mx", "smtp.google.com")],
            {"provider.workspace_quarantine"},
            Verdict.OK,
            id="google-workspace",
        ),
        pytest.param(
            "jane@mimecast-co.example",
            [("mimecast", "mx", "eu-smtp-inbound-1.mimecast.com")],
            {"provider.gateway_quarantine"},
            Verdict.RISKY,
            id="mimecast",
        ),
        pytest.param(
            "jane@gmail.com",
            [("gmail", "mx", "gmail-smtp-in.l.google.com")],
            {"provider.gmail_tabs", "flag.free_webmail"},
            Verdict.OK,
            id="gmail",
        ),
        pytest.param(
            "jane@outlook.com",
            [("outlook_consumer", "mx", "outlook-com.olc.protection.outlook.com")],
            {"provider.strict_filtering", "provider.junk_folder", "flag.free_webmail"},
            Verdict.OK,
            id="outlook",
        ),
        pytest.param(
            # Walla's MX in the zone is not a known host: the domain still names the provider.
            "jane@walla.co.il",
            [("walla", "domain", "walla.co.il")],
            {"provider.maybe_filtered", "flag.free_webmail"},
            Verdict.OK,
            id="walla-by-domain",
        ),
    ],
)
def test_provider_findings_and_verdict(
    resolver: dns.resolver.Resolver,
    address: str,
    providers: list[tuple[str, str, str]],
    codes: set[str],
    verdict: Verdict,
) -> None:
    d = run(address, resolver)
    assert [(p.id, p.matched_by, p.matched) for p in d.providers] == providers
    assert codes <= set(d.codes)
    assert d.verdict is verdict
    assert d.data_versions["maildiag-providers"]


def test_identification_adds_no_dns_queries(resolver: dns.resolver.Resolver) -> None:
    d = run("jane@acme-pp.example", resolver)
    hosts = {m.host for m in d.mx}
    asked = {(a.name, a.rdtype) for a in d.dns}
    assert asked == {("acme-pp.example", "MX")} | {(h, t) for h in hosts for t in ("A", "AAAA")}


@pytest.mark.parametrize(
    ("address", "expected_steps", "en_words", "he_words"),
    [
        pytest.param(
            "jane@yahoo.com",
            ["check.spam_folder", "wait.delay", "check.filters", "allow.sender"],
            ["Spam", "Yahoo Mail", "4 hours"],
            ["ספאם", "4 שעות"],
            id="yahoo",
        ),
        pytest.param(
            "jane@contoso-m365.example",
            ["check.spam_folder", "check.other_tab", "check.quarantine_digest", "ask.it_release"],
            ["Junk Email", "Microsoft 365"],
            ["דואר זבל", "צוות המחשוב"],
            id="microsoft-365",
        ),
        pytest.param(
            "jane@acme-pp.example",
            ["check.quarantine_digest", "ask.it_release", "use.personal_address"],
            ["Proofpoint", "IT team", "personal email address"],
            ["Proofpoint", "צוות המחשוב", "כתובת דואר אישית"],
            id="proofpoint",
        ),
        pytest.param(
            "jane@mailinator.com",
            ["disposable.open_now", "use.permanent_address", "contact.shop"],
            ["temporary inbox", "permanent"],
            ["תיבת דואר זמנית", "כתובת קבועה"],
            id="disposable",
        ),
    ],
)
def test_checklist_a_customer_can_follow(
    resolver: dns.resolver.Resolver,
    address: str,
    expected_steps: list[str],
    en_words: list[str],
    he_words: list[str],
) -> None:
    d = run(address, resolver)
    for locale, words in (("en", en_words), ("he", he_words)):
        steps = checklist(d, locale)
        step_ids = [s.id for s in steps]
        # In order, though other steps may come between them.
        assert [i for i in step_ids if i in expected_steps] == expected_steps
        assert step_ids[-1] == "contact.shop"
        text = "\n".join(s.text for s in steps)
        for word in words:
            assert word in text, (locale, word)


@pytest.mark.parametrize("locale", ["en", "he"])
def test_cli_shows_provider_and_checklist(resolver: dns.resolver.Resolver, locale: str) -> None:
    out = io.StringIO()
    host, port = resolver.nameservers[0], resolver.port
    main(
        ["check", "jane@acme-pp.example", "--nameserver", f"{host}:{port}", "--allow-private", "--locale", locale],
        out=out,
    )
    text = out.getvalue()
    assert "provider: Proofpoint (security_gateway; mx mx0a-00112233.pphosted.com)" in text
    assert "provider.gateway_quarantine" in text
    steps = [s.text for s in checklist(run("jane@acme-pp.example", resolver), locale)]
    for step in steps:
        assert step in text
