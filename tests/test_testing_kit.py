"""maildiag's testing kit as a shop uses it: strategies, reserved addresses, pytest plugin."""

from __future__ import annotations

import ipaddress
import json
import os
import pathlib
import re
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import email_validator
import Levenshtein
import pytest
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

import maildiag
from maildiag import Blame, Diagnosis, Finding, Verdict, catalog
from maildiag.testing import FakeResolver, addresses
from maildiag.testing import strategies as S

pytest_plugins = ["pytester"]

# Options for the inner pytest runs: no cache, and the asyncio scope pytest-asyncio asks for.
INNER = ("-p", "no:cacheprovider", "-o", "asyncio_default_fixture_loop_scope=function")

# find() settles for the first example that fits: shrinking it would only cost time.
FIND = settings(database=None, max_examples=2000, phases=[Phase.generate])

# -- strategies ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("idn", "smtputf8"), [(False, False), (True, False), (False, True), (True, True)]
)
def test_valid_emails_pass_email_validator_unchanged(idn: bool, smtputf8: bool) -> None:
    """Every draw is accepted by email-validator and is already in its normal form."""

    @settings(max_examples=150, database=None)
    @given(S.valid_emails(idn=idn, smtputf8=smtputf8))
    def check(address: str) -> None:
        v = email_validator.validate_email(address, check_deliverability=False)
        assert v.normalized == address
        assert v.domain.endswith(".example")  # reserved: nothing drawn can reach a real server
        if not smtputf8:
            assert v.local_part.isascii()
        if not idn:
            assert v.domain.isascii()

    check()


@pytest.mark.parametrize(
    ("kwargs", "wanted"),
    [
        pytest.param({}, lambda a: "." in a.partition("@")[0], id="dot-atom"),
        pytest.param({}, lambda a: "+" in a.partition("@")[0], id="plus-tag"),
        pytest.param({"smtputf8": True}, lambda a: not a.partition("@")[0].isascii(), id="smtputf8-local"),
        pytest.param({"idn": True}, lambda a: not a.partition("@")[2].isascii(), id="idn-domain"),
        pytest.param(
            {"idn": True}, lambda a: any("\u05d0" <= c <= "\u05ea" for c in a.partition("@")[2]), id="hebrew-domain"
        ),
    ],
)
def test_valid_emails_draw_what_st_emails_lacks(kwargs: dict[str, Any], wanted: Callable[[str], bool]) -> None:
    """Dot-atoms, +tags, non-ASCII local parts and IDN domains are all reachable."""
    found = find(S.valid_emails(**kwargs), wanted, settings=FIND)
    email_validator.validate_email(found, check_deliverability=False)


@given(S.valid_emails(domains=["shop.example", "bücher.example"]))
@settings(max_examples=100)
def test_valid_emails_use_the_given_domains(address: str) -> None:
    """With domains=..., only those domains are drawn."""
    assert address.partition("@")[2] in {"shop.example", "bücher.example"}


def _one_slip(typo: str, intended: str) -> bool:
    """True when ``typo`` is ``intended`` with one omission, doubling, swap, substitution or .con."""
    if intended.endswith(".com") and typo == intended[:-3] + "con":
        return True
    if Levenshtein.distance(typo, intended) == 1:
        return True
    diff = [i for i, (a, b) in enumerate(zip(typo, intended, strict=False)) if a != b]
    return (
        len(typo) == len(intended)
        and len(diff) == 2
        and diff[1] == diff[0] + 1
        and typo[diff[0]] == intended[diff[1]]
        and typo[diff[1]] == intended[diff[0]]
    )


@given(S.typo_emails())
@settings(max_examples=300)
def test_typo_emails_are_one_slip_from_the_intended_address(pair: tuple[str, str]) -> None:
    """The local part is kept; the domain differs by one realistic slip."""
    typo, intended = pair
    local, _, typo_domain = typo.rpartition("@")
    assert intended.startswith(local + "@")
    assert typo != intended
    assert _one_slip(typo_domain, intended.rpartition("@")[2]), pair
    email_validator.validate_email(typo, check_deliverability=False)


@given(S.typo_emails())
@settings(max_examples=300)
def test_maildiag_suggests_the_intended_address_for_typo_emails(pair: tuple[str, str]) -> None:
    """What a shop relies on: each realistic slip in a popular domain gets the right fix."""
    typo, intended = pair
    d = maildiag.diagnose(typo, offline=True)
    assert d.verdict is Verdict.FIX, (pair, d.codes)
    assert d.suggestion == intended


@pytest.mark.parametrize(
    ("kind", "example"),
    [
        pytest.param("omission", ("gmal.com", "gmail.com"), id="omission"),
        pytest.param("transposition", ("gmial.com", "gmail.com"), id="transposition"),
        pytest.param("doubling", ("gmaill.com", "gmail.com"), id="doubling"),
        pytest.param("adjacent_key", ("gnail.com", "gmail.com"), id="adjacent-key"),
        pytest.param("dot_con", ("gmail.con", "gmail.com"), id="dot-con"),
    ],
)
def test_typo_kinds(kind: str, example: tuple[str, str]) -> None:
    """Each kind makes its own slip, and can make the textbook example of it."""
    strategy = S.typo_emails(domains=["gmail.com"], kinds=[kind])
    found = find(strategy, lambda p: p[0].endswith("@" + example[0]), settings=FIND)
    assert found[1].endswith("@" + example[1])


def test_typo_emails_never_land_on_a_listed_domain() -> None:
    """hotmail.fr -> hotmail.de would be a real domain, not a typo: never drawn."""
    listed = {d for d, _ in S._known_domains()}
    for typo, intended in S._typo_table(("hotmail.fr", "gmail.com"), S.TYPO_KINDS):
        assert typo not in listed and intended in {"hotmail.fr", "gmail.com"}


@pytest.mark.parametrize("kind", S.FIXABLE_KINDS)
def test_fixable_inputs_are_repaired_to_the_clean_address(kind: str) -> None:
    """The messy input is invalid as it stands, and maildiag suggests exactly the clean one."""

    @settings(max_examples=60, database=None)
    @given(S.fixable_inputs(kinds=[kind]))
    def check(pair: tuple[str, str]) -> None:
        messy, clean = pair
        with pytest.raises(email_validator.EmailNotValidError):
            email_validator.validate_email(messy, check_deliverability=False)
        assert email_validator.validate_email(clean, check_deliverability=False).normalized == clean
        d = maildiag.diagnose(messy, offline=True)
        assert (d.verdict, d.suggestion) == (Verdict.FIX, clean), d.codes

    check()


@given(S.diagnoses())
@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
def test_diagnoses_are_shaped_like_maildiags(d: Diagnosis) -> None:
    """Catalog codes, a suggestion exactly with ``fix``, messages in every locale, JSON round trip."""
    known = catalog.codes()
    assert all(code in known and known[code].area != "bounce" for code in d.codes)
    assert (d.verdict is Verdict.FIX) == (d.suggestion is not None)
    for locale in ("en", "he"):
        assert all(isinstance(m, str) and m for m in d.messages(locale))
    assert Diagnosis.from_dict(json.loads(json.dumps(d.to_dict()))) == d


def test_from_type_uses_the_registered_strategies() -> None:
    """After the entry-point hook, st.from_type(Diagnosis) draws catalog-shaped diagnoses."""
    from maildiag.testing._hypothesis import _hypothesis_setup_hook

    _hypothesis_setup_hook()
    _hypothesis_setup_hook()  # registering twice is harmless

    @settings(max_examples=50, database=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.from_type(Diagnosis), st.from_type(Finding))
    def check(d: Diagnosis, f: Finding) -> None:
        assert all(code in catalog.codes() for code in (*d.codes, f.code))

    check()


def test_hypothesis_entry_point_registers_from_type(tmp_path: pathlib.Path) -> None:
    """Declared as a `hypothesis` entry point, the hook runs on `import hypothesis`, lazily and quietly."""
    dist = tmp_path / "maildiag_hook_probe-0.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: maildiag-hook-probe\nVersion: 0.0\n")
    (dist / "entry_points.txt").write_text(
        "[hypothesis]\n_ = maildiag.testing._hypothesis:_hypothesis_setup_hook\n"
    )
    code = (
        "import sys, hypothesis\n"
        "assert 'maildiag.testing.strategies' not in sys.modules  # nothing built at import\n"
        "from hypothesis import strategies as st\n"
        "import maildiag\n"
        "from maildiag import catalog\n"
        "from hypothesis import given, settings\n"
        "@settings(max_examples=20, database=None)\n"
        "@given(st.from_type(maildiag.Diagnosis))\n"
        "def check(d):\n"
        "    assert all(c in catalog.codes() for c in d.codes)\n"
        "check()\n"
    )
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    env.pop("HYPOTHESIS_NO_PLUGINS", None)
    # -W error: registering must not trip HypothesisSideeffectWarning during the import.
    subprocess.run([sys.executable, "-W", "error", "-c", code], check=True, env=env)


@pytest.mark.parametrize(
    ("call", "bad"),
    [
        pytest.param(lambda: S.valid_emails(domains="shop.example"), "'shop.example'", id="domains-str"),
        pytest.param(lambda: S.valid_emails(domains=[]), "[]", id="domains-empty"),
        pytest.param(lambda: S.valid_emails(domains=["no domain"]), "'no domain'", id="domains-invalid"),
        pytest.param(lambda: S.valid_emails(domains=[42]), "42", id="domains-not-str"),  # type: ignore[list-item]
        pytest.param(lambda: S.valid_emails(idn="yes"), "'yes'", id="idn-not-bool"),  # type: ignore[arg-type]
        pytest.param(lambda: S.valid_emails(idn=True, domains=["a.example"]), "idn=True", id="idn-with-domains"),
        pytest.param(lambda: S.typo_emails(kinds=["fat_finger"]), "fat_finger", id="typo-kind"),
        pytest.param(lambda: S.typo_emails(kinds="omission"), "'omission'", id="typo-kinds-str"),
        pytest.param(lambda: S.typo_emails(domains=["aol.com"], kinds=["omission"]), "aol.com", id="typo-none"),
        pytest.param(lambda: S.typo_emails(domains=["bücher.de"]), "bücher.de", id="typo-idn"),
        pytest.param(lambda: S.fixable_inputs(kinds=["rot13"]), "rot13", id="fixable-kind"),
    ],
)
def test_bad_arguments_raise_at_once(call: Callable[[], object], bad: str) -> None:
    """Like Hypothesis's own strategies: InvalidArgument at the call, naming the value."""
    with pytest.raises(InvalidArgument, match=".*" + bad.replace("[", r"\[").replace("]", r"\]")):
        call()


def test_importing_maildiag_and_its_testing_kit_does_not_import_hypothesis() -> None:
    """Hypothesis (over 100 ms to import) is loaded only by strategies.py."""
    code = (
        "import sys, maildiag, maildiag.testing, maildiag.testing.addresses, maildiag.testing.pytest_plugin\n"
        "import maildiag.testing._hypothesis\n"
        "assert 'hypothesis' not in sys.modules, 'hypothesis was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# -- reserved addresses ------------------------------------------------------------------

# The documented guarantees, restated here so that a change to the module cannot quietly
# change what the tests check: (constant, verdict, codes present, suggestion, blame).
GUARANTEES = [
    pytest.param("OK", Verdict.OK, (), None, Blame.NONE, id="OK"),
    pytest.param("IMPLICIT_MX", Verdict.OK, ("mx.implicit",), None, Blame.NONE, id="IMPLICIT_MX"),
    pytest.param("TYPO_GMAIL", Verdict.FIX, ("domain.typo",), "jane@gmail.com", Blame.ADDRESS, id="TYPO_GMAIL"),
    pytest.param(
        "TYPO_DOT_CON", Verdict.FIX, ("domain.typo",), "jane@hotmail.com", Blame.ADDRESS, id="TYPO_DOT_CON"
    ),
    pytest.param(
        "FIXABLE", Verdict.FIX, ("syntax.repaired.display_name",), "jane@ok.maildiag.example", Blame.ADDRESS,
        id="FIXABLE",
    ),
    pytest.param("INVALID", Verdict.UNDELIVERABLE, ("syntax",), None, Blame.ADDRESS, id="INVALID"),
    pytest.param("NULL_MX", Verdict.UNDELIVERABLE, ("mx.null",), None, Blame.DOMAIN, id="NULL_MX"),
    pytest.param("NO_DOMAIN", Verdict.UNDELIVERABLE, ("domain.not_found",), None, Blame.DOMAIN, id="NO_DOMAIN"),
    pytest.param(
        "NO_MX_NO_ADDRESS", Verdict.UNDELIVERABLE, ("domain.no_mail_route",), None, Blame.DOMAIN,
        id="NO_MX_NO_ADDRESS",
    ),
    pytest.param(
        "MX_HOST_MISSING", Verdict.UNDELIVERABLE, ("mx.host_not_found", "mx.no_usable_host"), None, Blame.DOMAIN,
        id="MX_HOST_MISSING",
    ),
    pytest.param(
        "MX_PRIVATE", Verdict.UNDELIVERABLE, ("mx.host_not_routable", "mx.no_usable_host"), None, Blame.DOMAIN,
        id="MX_PRIVATE",
    ),
    pytest.param("BACKUP_MX_MISSING", Verdict.RISKY, ("mx.host_not_found",), None, Blame.DOMAIN, id="BACKUP_MX"),
    pytest.param("DNS_TIMEOUT", Verdict.UNKNOWN, ("dns.timeout",), None, Blame.OUR_NETWORK, id="DNS_TIMEOUT"),
    pytest.param("DNS_SERVFAIL", Verdict.UNKNOWN, ("dns.servfail",), None, Blame.OUR_NETWORK, id="DNS_SERVFAIL"),
    pytest.param("DNS_REFUSED", Verdict.UNKNOWN, ("dns.refused",), None, Blame.OUR_NETWORK, id="DNS_REFUSED"),
    pytest.param("DISPOSABLE", Verdict.RISKY, ("flag.disposable",), None, Blame.ADDRESS, id="DISPOSABLE"),
    pytest.param("ROLE", Verdict.RISKY, ("flag.role",), None, Blame.ADDRESS, id="ROLE"),
]
COLUMNS = ("name", "verdict", "codes", "suggestion", "blame")


def _check_guarantee(
    d: Diagnosis, verdict: Verdict, codes: tuple[str, ...], suggestion: str | None, blame: Blame
) -> None:
    assert (d.verdict, d.suggestion, d.blame) == (verdict, suggestion, blame), d.to_dict()
    for code in codes:
        assert d.has(code), (code, d.codes)
    if verdict is Verdict.OK:
        assert not any(f.severity is not maildiag.Severity.INFO for f in d.findings), d.codes


@pytest.mark.parametrize(COLUMNS, GUARANTEES)
def test_reserved_address_sync(
    name: str, verdict: Verdict, codes: tuple[str, ...], suggestion: str | None, blame: Blame
) -> None:
    """maildiag.diagnose(ADDRESS, resolver=scenario_resolver()) gives the documented diagnosis."""
    d = maildiag.diagnose(getattr(addresses, name), resolver=addresses.scenario_resolver())
    _check_guarantee(d, verdict, codes, suggestion, blame)


@pytest.mark.parametrize(COLUMNS, GUARANTEES)
async def test_reserved_address_async(
    name: str, verdict: Verdict, codes: tuple[str, ...], suggestion: str | None, blame: Blame
) -> None:
    """adiagnose gives the same documented diagnosis."""
    d = await maildiag.adiagnose(getattr(addresses, name), resolver=addresses.scenario_resolver())
    _check_guarantee(d, verdict, codes, suggestion, blame)


def test_scenario_table_matches_the_guarantees() -> None:
    """SCENARIOS (what shops parametrize over) says what the tests check, row for row."""
    documented = [(s.name, s.address, s.verdict, s.codes, s.suggestion) for s in addresses.SCENARIOS]
    tested = [(p.values[0], getattr(addresses, str(p.values[0])), *p.values[1:4]) for p in GUARANTEES]
    assert documented == tested
    constants = {n for n in addresses.__all__ if n.isupper() and n not in {"SCENARIOS", "MX_ADDRESS"}}
    assert constants == {s.name for s in addresses.SCENARIOS}


def test_unknown_scenarios_never_block_a_customer() -> None:
    """raise_for_problems() lets our own DNS failures through."""
    dns = addresses.scenario_resolver()
    for address in (addresses.DNS_TIMEOUT, addresses.DNS_SERVFAIL, addresses.DNS_REFUSED):
        d = maildiag.diagnose(address, resolver=dns)
        assert d.raise_for_problems() is d
    with pytest.raises(maildiag.UndeliverableError):
        maildiag.diagnose(addresses.NULL_MX, resolver=dns).raise_for_problems()


def test_mx_address_is_a_mail_server_to_maildiag_but_reaches_no_one() -> None:
    """An ORCHIDv2 address: globally reachable per IANA, not routable at the IP layer (RFC 7343 §2)."""
    from maildiag._ip import is_public_unicast

    address = ipaddress.IPv6Address(addresses.MX_ADDRESS)
    assert is_public_unicast(addresses.MX_ADDRESS)
    assert address in ipaddress.IPv6Network("2001:20::/28")


def test_scenario_timeouts_do_not_wait() -> None:
    """The timeout scenario is answered at once: a shop's test suite does not sit out a deadline."""
    d = maildiag.diagnose(addresses.DNS_TIMEOUT, resolver=addresses.scenario_resolver(), deadline=30)
    assert d.find("dns.timeout") is not None
    assert d.dns[0].detail == "injected by FakeResolver"


# -- pytest plugin (run in a pytester sandbox) -------------------------------------------


def test_marker_configures_maildiag_dns(pytester: pytest.Pytester) -> None:
    """dns={domain: hosts | 'null-mx' | failure} fills the fake; MX hosts count as usable."""
    pytester.makepyfile(
        """
        import asyncio
        import pytest
        import maildiag

        @pytest.mark.maildiag(dns={"shop.example": ["mx1.shop.example", "mx2.shop.example"],
                                   "one.example": "mx.one.example",
                                   "gone.example": "null-mx", "slow.example": "timeout"})
        def test_zone(maildiag_dns):
            verdicts = {d: maildiag.diagnose("jane@" + d, resolver=maildiag_dns).verdict
                        for d in ("shop.example", "one.example", "gone.example", "slow.example", "nope.example")}
            assert verdicts == {"shop.example": "ok", "one.example": "ok", "gone.example": "undeliverable",
                                "slow.example": "unknown", "nope.example": "undeliverable"}
            d = asyncio.run(maildiag.adiagnose("jane@shop.example", resolver=maildiag_dns))
            assert d.verdict == "ok" and maildiag_dns.asked("mx1.shop.example")

        @pytest.mark.maildiag(sane=False)
        def test_insane(maildiag_dns):
            assert maildiag.diagnose("jane@gmail.com", resolver=maildiag_dns).has("dns.resolver_lying")

        def test_scenarios(maildiag_scenarios):
            from maildiag.testing import addresses
            assert maildiag.diagnose(addresses.NULL_MX, resolver=maildiag_scenarios).has("mx.null")
        """
    )
    pytester.runpytest(*INNER).assert_outcomes(passed=3)


def test_maildiag_offline_fails_loudly_even_inside_except_exception(pytester: pytest.Pytester) -> None:
    """A signup view that swallows errors cannot hide a real DNS lookup."""
    pytester.makepyfile(
        """
        import asyncio
        import maildiag

        def signup(email, resolver=None):
            try:
                return maildiag.diagnose(email, resolver=resolver).verdict
            except Exception:
                return "unknown"

        def test_sync_leak(maildiag_offline):
            signup("jane@shop.example")

        def test_async_leak(maildiag_offline):
            async def view():
                try:
                    await maildiag.adiagnose("jane@shop.example")
                except Exception:
                    pass
            asyncio.run(view())

        def test_explicit_dnspython_resolver_leak(maildiag_offline):
            import dns.resolver
            real = dns.resolver.Resolver(configure=False)
            real.nameservers = ["127.0.0.1"]
            signup("jane@shop.example", real)

        def test_fake_is_fine(maildiag_offline, maildiag_dns):
            assert signup("jane@shop.example", maildiag_dns) == "undeliverable"
            assert maildiag.diagnose("jane@shop.example", offline=True).verdict == "ok"
        """
    )
    result = pytester.runpytest(*INNER)
    result.assert_outcomes(passed=1, failed=3)
    result.stdout.fnmatch_lines(["*maildiag tried to use real DNS*"])


@pytest.mark.parametrize(
    ("args", "ini", "marker"),
    [
        pytest.param(["--maildiag-offline"], "", "", id="option"),
        pytest.param([], "[pytest]\nmaildiag_offline = true\n", "", id="ini"),
        pytest.param([], "", "@pytest.mark.maildiag(offline=True)", id="marker"),
    ],
)
def test_offline_everywhere(pytester: pytest.Pytester, args: list[str], ini: str, marker: str) -> None:
    """The option, the ini setting and the marker apply maildiag_offline without naming it."""
    if ini:
        pytester.makeini(ini)
    pytester.makepyfile(
        f"""
        import pytest
        import maildiag

        {marker}
        def test_leak():
            maildiag.diagnose("jane@shop.example")
        """
    )
    result = pytester.runpytest(*INNER, *args)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*maildiag_offline forbids*"])


def test_without_offline_the_guard_is_not_applied(pytester: pytest.Pytester) -> None:
    """By default the plugin changes nothing: the system resolver is maildiag's own business."""
    pytester.makepyfile(
        """
        import maildiag._shells

        def test_untouched():
            assert maildiag._shells.default_resolver.__name__ == "default_resolver"
        """
    )
    pytester.runpytest(*INNER).assert_outcomes(passed=1)


@pytest.mark.parametrize("fixture", ["maildiag_dns", "no fixture at all"])
@pytest.mark.parametrize("argument", ["dsn={'shop.example': ['mx.shop.example']}", "ofline=True"])
def test_unknown_marker_argument_is_a_usage_error(pytester: pytest.Pytester, fixture: str, argument: str) -> None:
    """A misspelt marker argument is reported, not ignored, even where no fixture reads it."""
    params = fixture if fixture.startswith("maildiag") else ""
    pytester.makepyfile(
        f"""
        import pytest

        @pytest.mark.maildiag({argument})
        def test_typo({params}):
            pass
        """
    )
    result = pytester.runpytest(*INNER)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([f"*unknown arguments*{argument.split('=')[0]}*"])


def test_marker_keywords_in_any_spelling_and_misspelt_ones(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import maildiag
        import pytest

        @pytest.mark.maildiag(dns={"a.example": "SERVFAIL", "b.example": "null_mx", "c.example": "Timeout"})
        def test_keywords(maildiag_dns):
            assert maildiag.diagnose("x@a.example", resolver=maildiag_dns).has("dns.servfail")
            assert maildiag.diagnose("x@b.example", resolver=maildiag_dns).has("mx.null")

        @pytest.mark.maildiag(dns={"a.example": "servfial"})
        def test_misspelt(maildiag_dns):
            pass
        """
    )
    result = pytester.runpytest(*INNER)
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*servfial*neither a host name*"])


def test_fake_resolver_answers_unicode_names_in_their_ascii_form() -> None:
    from maildiag.testing.addresses import MX_ADDRESS

    fake = FakeResolver().mx("bücher.example", "mx.bücher.example", address=MX_ADDRESS)
    d = maildiag.diagnose("jane@bücher.example", resolver=fake)
    assert d.verdict is maildiag.Verdict.OK, d.codes
    assert fake.asked("bücher.example") and fake.asked("xn--bcher-kva.example")


_USES_FIXTURE = """
def test_uses(maildiag_dns):
    assert maildiag_dns.names()
"""


def test_p_no_maildiag_disables_the_plugin(pytester: pytest.Pytester) -> None:
    """-p no:maildiag: the fixtures are gone (and so is the offline guard)."""
    pytester.makepyfile(_USES_FIXTURE)
    result = pytester.runpytest(*INNER, "-p", "no:maildiag")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*fixture 'maildiag_dns' not found*"])


def test_plugin_loads_by_module_name_without_autoload(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With PYTEST_DISABLE_PLUGIN_AUTOLOAD, -p maildiag.testing.pytest_plugin turns it on."""
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    pytester.makepyfile(_USES_FIXTURE)
    pytester.runpytest(*INNER).assert_outcomes(errors=1)
    pytester.runpytest(*INNER, "-p", "maildiag.testing.pytest_plugin").assert_outcomes(passed=1)



def test_docs_table_states_the_guarantees() -> None:
    """docs/testing.md lists each reserved address with the verdict and codes it is tested for."""
    text = (pathlib.Path(__file__).parent.parent / "docs" / "testing.md").read_text(encoding="utf-8")
    rows = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and re.fullmatch(r"`[A-Z_]+`", cells[0]):
            rows[cells[0].strip("`")] = cells
    assert set(rows) == {s.name for s in addresses.SCENARIOS}
    for s in addresses.SCENARIOS:
        _, address, verdict, codes, suggestion = rows[s.name]
        assert address == f"`{s.address}`" and verdict == s.verdict.value
        assert re.findall(r"`([a-z_.]+)`", codes) == list(s.codes)
        assert suggestion == (f"`{s.suggestion}`" if s.suggestion else "")


def test_maildiag_offline_forbids_probing_a_server_off_loopback(pytester: pytest.Pytester) -> None:
    """Only loopback test servers may be probed; nothing here ever opens a connection: the
    inner tests put a recording stub under the guard first."""
    pytester.makepyfile(
        """
        import asyncio
        import maildiag.smtp
        import pytest
        from maildiag.smtp import Probe

        calls = []

        @pytest.fixture
        def stub(monkeypatch):
            async def record(request, timeout):
                calls.append(request.address)
            monkeypatch.setattr(maildiag.smtp, "probe", record)

        def probe(address):
            request = Probe("mx.shop.example", address, 25, "probe.shop-mail.example",
                            "bounces@shop-mail.example", ("jane@shop.example",), False)
            asyncio.run(maildiag.smtp.probe(request, 1.0))

        def test_loopback_is_fine(stub, maildiag_offline):
            probe("127.0.0.1")
            probe("::1")
            assert calls == ["127.0.0.1", "::1"]

        def test_global_address_fails(stub, maildiag_offline):
            probe("8.8.4.4")
        """
    )
    result = pytester.runpytest(*INNER)
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*tried to probe 8.8.4.4 by SMTP*"])
