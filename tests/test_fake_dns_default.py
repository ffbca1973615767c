"""Testing code that calls maildiag without ``resolver=`` (issue 10.5), written as a shop would.

The "shop" below is ordinary application code: it calls ``maildiag.diagnose(email)`` and
knows nothing of tests. The fixture or the context manager serves it from the fake DNS.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import textwrap

import pytest

import maildiag
from maildiag.testing import FakeResolver, fake_dns

pytest_plugins = ["pytester"]


def shop_signup(email: str) -> str:
    """A shop's signup step: what it tells the customer."""
    d = maildiag.diagnose(email)
    return d.verdict.value


async def shop_signup_async(email: str) -> str:
    return (await maildiag.adiagnose(email)).verdict.value


def shop_clean_list(emails: list[str]) -> list[str]:
    return [d.verdict.value for d in maildiag.diagnose_many(emails)]


def test_the_fixture_serves_code_that_passes_no_resolver(maildiag_default_dns: FakeResolver) -> None:
    maildiag_default_dns.mx("shop-customer.example", "mx.shop-customer.example").null_mx("no-mail.example")
    assert shop_signup("jane@shop-customer.example") == "ok"  # a fixture-built domain takes mail
    assert shop_signup("jane@no-mail.example") == "undeliverable"
    assert maildiag_default_dns.asked("shop-customer.example", "MX")


@pytest.mark.maildiag(dns={"marked.example": "mx.marked.example"})
def test_the_marker_and_the_fixture_build_the_same_world(maildiag_default_dns: FakeResolver) -> None:
    maildiag_default_dns.mx("built.example", "mx.built.example")
    assert shop_signup("jane@marked.example") == shop_signup("jane@built.example") == "ok"


async def test_async_code_is_served_too(maildiag_default_dns: FakeResolver) -> None:
    maildiag_default_dns.fail("broken.example", "servfail")
    assert await shop_signup_async("jane@broken.example") == "unknown"


def test_bulk_and_worker_threads_are_served(maildiag_default_dns: FakeResolver) -> None:
    maildiag_default_dns.mx("a.example", "mx.a.example").null_mx("b.example")
    assert shop_clean_list(["x@a.example", "x@b.example"]) == ["ok", "undeliverable"]
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        assert list(pool.map(shop_signup, ["x@a.example"] * 8)) == ["ok"] * 8


def test_the_context_manager_restores_and_nests() -> None:
    outer = FakeResolver().mx("outer.example", "mx.outer.example")
    inner = FakeResolver(sane=False).sinkhole()
    with fake_dns(outer):
        assert shop_signup("jane@outer.example") == "ok"
        with fake_dns(inner):
            assert shop_signup("jane@outer.example") == "unknown"  # the lying one answers
        assert shop_signup("jane@outer.example") == "ok"
    with pytest.raises(RuntimeError), fake_dns(outer):
        raise RuntimeError("boom")
    from maildiag import _shells

    assert _shells._overrides == []


def test_a_resolver_passed_explicitly_still_wins() -> None:
    mine = FakeResolver().null_mx("x.example")
    with fake_dns() as dns:
        dns.mx("x.example", "mx.x.example")
        assert maildiag.diagnose("jane@x.example", resolver=mine).verdict.value == "undeliverable"
        assert shop_signup("jane@x.example") == "ok"


def test_concurrent_tasks_in_one_block_share_the_fake() -> None:
    async def many() -> list[str]:
        return list(await asyncio.gather(*(shop_signup_async(f"u{i}@t.example") for i in range(50))))

    with fake_dns() as dns:
        dns.mx("t.example", "mx.t.example")
        assert asyncio.run(many()) == ["ok"] * 50


def test_a_qa_engineers_project_uses_the_fixture(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(textwrap.dedent("""
        import maildiag
        import pytest

        def signup(email):
            return maildiag.diagnose(email).verdict.value

        @pytest.mark.maildiag(dns={"shop.example": "mx.shop.example"}, offline=True)
        def test_signup(maildiag_default_dns):
            maildiag_default_dns.fail("down.example", "timeout")
            assert signup("jane@shop.example") == "ok"
            assert signup("jane@down.example") == "unknown"
    """))
    result = pytester.runpytest("-p", "maildiag", "-q")
    result.assert_outcomes(passed=1)
