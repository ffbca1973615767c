"""A capped look at a domain's MX hosts never concludes "undeliverable" (issue 9.7)."""

from __future__ import annotations

from maildiag import Verdict, diagnose
from maildiag._core import MAX_MX_HOSTS, MAX_MX_LOOKUPS
from maildiag.testing import FakeResolver


def _domain_with(count: int, working: int | None) -> FakeResolver:
    """``count`` MX hosts in preference order; only host number ``working`` (1-based) has a public address."""
    fake = FakeResolver()
    for i in range(1, count + 1):
        host = f"mx{i}.big.example"
        fake.add("big.example", "MX", f"{i} {host}.")
        fake.address(host, "2001:20::25" if i == working else "10.0.0.25")
    return fake


def test_a_working_host_after_the_first_batch_is_found() -> None:
    fake = _domain_with(20, working=MAX_MX_HOSTS + 5)
    d = diagnose("jane@big.example", resolver=fake)
    # Mail gets through (the broken backups before it make it "risky", as always).
    assert d.verdict is Verdict.RISKY and not d.has("mx.no_usable_host"), d.codes
    assert f"mx{MAX_MX_HOSTS + 5}.big.example" in [h.host for h in d.mx]
    # Looked further one batch at a time, and stopped once a usable host was found.
    assert not fake.asked(f"mx{2 * MAX_MX_HOSTS + 1}.big.example")


def test_a_hundred_hosts_with_the_fiftieth_working_is_not_undeliverable() -> None:
    d = diagnose("jane@big.example", resolver=_domain_with(100, working=50))
    assert d.verdict is Verdict.UNKNOWN, d.codes
    assert d.has("mx.lookup_capped")
    capped = next(f for f in d.findings if f.code == "mx.lookup_capped")
    assert capped.params["looked"] == MAX_MX_LOOKUPS and capped.params["hosts"] == 100


def test_the_work_is_capped() -> None:
    fake = _domain_with(100, working=None)
    diagnose("jane@big.example", resolver=fake)
    asked_hosts = {name for name, rdtype in fake.queries if rdtype in ("A", "AAAA")}
    assert len(asked_hosts) == MAX_MX_LOOKUPS


def test_every_host_looked_at_and_none_works_is_undeliverable() -> None:
    d = diagnose("jane@big.example", resolver=_domain_with(MAX_MX_HOSTS + 3, working=None))
    assert d.verdict is Verdict.UNDELIVERABLE and d.has("mx.no_usable_host"), d.codes
