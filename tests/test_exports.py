"""The public surface: exactly these names, and importing maildiag is cheap."""

from __future__ import annotations

import importlib
import pathlib
import re
import subprocess
import sys

import pytest

import maildiag

PUBLIC = [
    "Actor", "Blame", "Diagnosis", "DiagnosisDataError", "DnsAnswer", "DnsStatus", "Finding", "MaildiagError",
    "MxHost", "Options", "ProviderMatch", "Severity", "UndeliverableError", "Verdict", "__version__",
    "adiagnose", "adiagnose_many", "diagnose", "diagnose_many",
    "clear_dns_cache",  # the per-domain DNS cache (docs/design.md)
    "DoctorReport", "adoctor", "doctor",  # maildiag doctor (docs/doctor.md)
]


def test_all_is_the_sorted_public_api() -> None:
    assert sorted(maildiag.__all__) == sorted(PUBLIC)
    for name in PUBLIC:
        assert getattr(maildiag, name) is not None


def test_unknown_attribute_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no_such_name"):
        maildiag.no_such_name  # noqa: B018


def test_importing_the_package_or_the_pytest_plugin_loads_no_dns_or_validator() -> None:
    """pytest loads the plugin in every test run of every project that installed maildiag."""
    code = (
        "import sys, maildiag, maildiag.testing.pytest_plugin; "
        "print(sorted(m for m in ('dns.resolver', 'email_validator', 'hypothesis', 'maildiag.api') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# -- every public module's surface, as docs/api.md lists it --------------------------------

API_DOC = pathlib.Path(__file__).resolve().parents[1] / "docs" / "api.md"

#: Modules whose row in docs/api.md names its names one by one (testing.addresses is a family
#: of constants, checked by its own tests).
SURFACE: dict[str, list[str]] = {
    "maildiag.bounce": ["DEFAULT_MAX_BYTES", "BounceKind", "BounceRecipient", "BounceReport", "iter_messages",
                        "parse_bounce", "reasons"],
    "maildiag.bounce.reasons": ["FAILURE_REASONS", "NON_FAILURE_REASONS", "SMTP_COMMANDS", "Phrase", "Reason",
                                "classify", "code_reason", "get", "is_hard", "reason_names", "reasons",
                                "sisimai_map", "text_reason"],
    "maildiag.bulk": ["COLUMNS", "DEFAULT_CONCURRENCY", "adiagnose_many", "columns", "diagnose_many"],
    "maildiag.catalog": ["CodeInfo", "UnknownCodeError", "codes", "info", "make"],
    "maildiag.checklist": ["AUDIENCES", "STEP_IDS", "Checklist", "Step", "checklist"],
    "maildiag.errors": ["DiagnosisDataError", "MaildiagError", "UndeliverableError"],
    "maildiag.messages": ["available_locales", "negotiate", "placeholders", "render", "templates"],
    "maildiag.providers": ["KINDS", "PROBE_POLICIES", "Folder", "Mailbox", "Provider", "entries", "findings", "get",
                           "identify", "is_known_domain", "parse_entry"],
    "maildiag.smtp": ["Probe", "ProbeResult", "Reply", "address_allowed", "parse_reply", "probe"],
    "maildiag.typo": ["TypoSuggestion", "is_known_domain", "suggest", "tld_exists", "weighted_distance"],
    "maildiag.pydantic": ["ACCEPT_AS_TYPED_CONTEXT_KEY", "ERROR_TYPES", "LOCALE_CONTEXT_KEY", "DiagEmail",
                          "MaildiagEmail", "diag_email", "localize_errors"],
    "maildiag.django": ["DEFAULT_FORM_DEADLINE", "ERROR_CODES", "MaildiagEmailField", "MaildiagEmailValidator"],
    "maildiag.testing": ["FakeResolver", "fake_dns"],
    "maildiag.testing.strategies": ["FIXABLE_KINDS", "TYPO_KINDS", "diagnoses", "dns_answers", "findings",
                                    "fixable_inputs", "mx_hosts", "provider_matches", "typo_emails", "valid_emails"],
    "maildiag.cli": ["main"],
    "maildiag.dask": ["diagnose_frame", "parse_bounces"],
}


def _doc_row(module: str) -> set[str]:
    for line in API_DOC.read_text(encoding="utf-8").splitlines():
        if line.startswith(f"| `{module}` |"):
            return set(re.findall(r"`([A-Za-z_][A-Za-z0-9_]*)`", line.split("|")[2]))
    raise AssertionError(f"docs/api.md has no row for {module}")


@pytest.mark.parametrize("module", sorted(SURFACE))
def test_each_public_module_exports_what_docs_api_lists(module: str) -> None:
    mod = importlib.import_module(module)
    assert sorted(mod.__all__) == sorted(SURFACE[module]), "update docs/api.md and the CHANGELOG"
    assert set(SURFACE[module]) <= _doc_row(module)
    for name in SURFACE[module]:
        assert hasattr(mod, name), name


def test_the_top_level_row_of_docs_api_is_maildiag_all() -> None:
    assert _doc_row("maildiag") == set(PUBLIC)
