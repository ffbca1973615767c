"""Testing code that calls maildiag without ``resolver=`` (issue 10.5), written as a shop would.

The "shop" below is ordinary application code: it calls ``maildiag.diagnose(email)`` and
knows nothing of tests. The fixture or the context manager serves it from the fake DNS.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import textwrap
from collections.abc import Callable
from typing import Any, TypeVar

import pytest

import maildiag
from maildiag.testing import FakeResolver, fake_dns

pytest_plugins = ["pytester"]

T = TypeVar("T")


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


# -- the one rule of the fake world ------------------------------------------------------


@pytest.mark.maildiag(dns={"one.example": "mx.one.example", "two.example": ["mx1.two.example", "mx2.two.example"]})
def test_the_marker_builds_with_the_fixtures_builder(maildiag_dns: FakeResolver) -> None:
    built = FakeResolver().mx("one.example", "mx.one.example").mx("two.example", "mx1.two.example", "mx2.two.example")
    for name, rdtype in [("one.example", "MX"), ("mx.one.example", "AAAA"), ("mx.one.example", "A"),
                         ("two.example", "MX"), ("mx2.two.example", "AAAA")]:
        assert maildiag_dns.answer(name, rdtype) == built.answer(name, rdtype), (name, rdtype)


@pytest.mark.parametrize("shell", ["sync", "async"])
def test_a_fixture_built_domain_takes_mail_under_default_options(shell: str) -> None:
    """The bug of issue 10.5: ``maildiag_dns.mx(d, h)`` used to give mx.no_usable_host (loopback)."""
    fake = FakeResolver().mx("shop.example", "mx.shop.example")
    if shell == "sync":
        d = maildiag.diagnose("jane@shop.example", resolver=fake)
    else:
        d = asyncio.run(maildiag.adiagnose("jane@shop.example", resolver=fake))
    assert d.verdict.value == "ok", [f.code for f in d.findings]
    assert not d.has("mx")


def test_the_test_can_still_say_otherwise() -> None:
    with fake_dns() as dns:
        dns.mx("loopback.example", "mx.loopback.example", address="127.0.0.1")
        d = maildiag.diagnose("jane@loopback.example")
        assert d.verdict.value == "undeliverable" and d.has("mx.no_usable_host")
        assert maildiag.diagnose("jane@loopback.example", allow_private_addresses=True).verdict.value == "ok"


# -- every path without resolver= -------------------------------------------------------


async def test_adiagnose_many_is_served() -> None:
    with fake_dns() as dns:
        dns.mx("a.example", "mx.a.example").null_mx("b.example")
        verdicts = [d.verdict.value async for d in maildiag.adiagnose_many(["x@a.example", "x@b.example"])]
    assert verdicts == ["ok", "undeliverable"]


def test_diagnose_many_reading_an_iterator_on_its_own_thread_is_served() -> None:
    with fake_dns() as dns:
        dns.mx("a.example", "mx.a.example")
        rows = (f"u{i}@a.example" for i in range(20))  # an iterator: read on a thread of bulk's
        assert {d.verdict.value for d in maildiag.diagnose_many(rows)} == {"ok"}
        assert dns.asked("a.example", "MX")


def test_the_cli_run_in_process_is_served() -> None:
    import io
    import json

    from maildiag.cli import main

    out = io.StringIO()
    with fake_dns() as dns:
        dns.mx("shop.example", "mx.shop.example").null_mx("no-mail.example")
        code = main(["check", "--json", "jane@shop.example", "jane@no-mail.example"], out=out)
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [r["verdict"] for r in rows] == ["ok", "undeliverable"]
    assert code == 1  # an undeliverable row, as the CLI documents


def test_smtp_probings_mx_lookups_are_served(smtp_server: Any) -> None:
    host, port, handler = smtp_server(users=("jane@probe.example",))
    with fake_dns() as dns:
        dns.mx("probe.example", "mx.probe.example", address=host)
        d = maildiag.diagnose(
            "jane@probe.example", smtp_probe=True, helo="probe.shop-mail.example",
            mail_from="bounces@shop-mail.example", allow_private_addresses=True,
            smtp_port_overrides=((host, port),), deadline=5.0,
        )
    assert d.has("smtp.accepted"), [f.code for f in d.findings]
    assert dns.asked("probe.example", "MX") and handler.log


# -- restoring, nesting, threads and tasks -----------------------------------------------


def test_an_exception_in_a_nested_block_restores_the_outer_one() -> None:
    from maildiag import _shells

    def failing_part() -> None:
        with fake_dns() as inner:
            inner.null_mx("x.example")
            assert shop_signup("jane@x.example") == "undeliverable"
            raise ValueError("boom")

    with fake_dns() as outer:
        outer.mx("x.example", "mx.x.example")
        with pytest.raises(ValueError, match="boom"):
            failing_part()
        assert shop_signup("jane@x.example") == "ok"
    assert _shells._overrides == []


def _in_a_thread(fn: Callable[[], T]) -> T:
    """Run ``fn`` on a plain thread (no copied context) and return or raise what it did."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(fn).result()


def test_another_thread_cannot_put_its_own_fake_over_an_active_one() -> None:
    """Two tests at once in one process would silently share a fake: refused, loudly."""

    def other_test() -> str:
        with fake_dns() as mine:
            mine.null_mx("x.example")
            return shop_signup("jane@x.example")

    with fake_dns() as dns:
        dns.mx("x.example", "mx.x.example")
        with pytest.raises(RuntimeError, match="one test at a time per process"):
            _in_a_thread(other_test)
        assert shop_signup("jane@x.example") == "ok"  # the refused block left nothing behind
    assert _in_a_thread(other_test) == "undeliverable"  # once the first has ended, it may


def test_any_thread_may_enter_the_same_fake() -> None:
    dns = FakeResolver().mx("x.example", "mx.x.example")

    def worker() -> str:
        with fake_dns(dns):
            return shop_signup("jane@x.example")

    with fake_dns(dns):
        assert _in_a_thread(worker) == "ok"
        assert shop_signup("jane@x.example") == "ok"


async def test_a_thread_that_inherits_the_context_may_nest() -> None:
    def nested() -> str:  # asyncio.to_thread copies the context: this block is nested
        with fake_dns() as inner:
            inner.null_mx("x.example")
            return shop_signup("jane@x.example")

    with fake_dns() as outer:
        outer.mx("x.example", "mx.x.example")
        assert await asyncio.to_thread(nested) == "undeliverable"
        assert await shop_signup_async("jane@x.example") == "ok"


def test_many_threads_entering_and_leaving_the_same_fake_keep_the_stack_sound() -> None:
    from maildiag import _shells

    dns = FakeResolver().mx("x.example", "mx.x.example")

    def worker(i: int) -> str:
        with fake_dns(dns):
            return shop_signup(f"u{i}@x.example")

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        assert list(pool.map(worker, range(64))) == ["ok"] * 64
    assert _shells._overrides == []


def test_fake_dns_takes_only_a_fake() -> None:
    with pytest.raises(TypeError, match="FakeResolver"), fake_dns("8.8.8.8"):  # type: ignore[arg-type]
        pass  # pragma: no cover


# -- a QA engineer's own project, run with pytester --------------------------------------

# Options for the inner pytest runs: no cache, and the asyncio scope pytest-asyncio asks for.
INNER = ("-p", "no:cacheprovider", "-o", "asyncio_default_fixture_loop_scope=function")

SHOP = '''
import concurrent.futures
import maildiag

def signup(email):
    d = maildiag.diagnose(email)
    return "rejected" if d.verdict == "undeliverable" else "accepted"

async def signup_async(email):
    d = await maildiag.adiagnose(email)
    return "rejected" if d.verdict == "undeliverable" else "accepted"

def import_customers(emails):
    # a shop's own thread pool, as an import job might have
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        return list(pool.map(signup, emails))
'''


def test_a_qa_project_with_async_threaded_and_nested_tests(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(shop=SHOP)
    pytester.makepyfile(test_shop='''
        import pytest
        from maildiag.testing import fake_dns
        from shop import import_customers, signup, signup_async

        @pytest.mark.maildiag(dns={"shop.example": "mx.shop.example", "gone.example": "null-mx"})
        def test_sync(maildiag_default_dns):
            assert signup("jane@shop.example") == "accepted"
            assert signup("jane@gone.example") == "rejected"

        def test_built_in_the_test(maildiag_default_dns):
            maildiag_default_dns.mx("built.example", "mx.built.example")
            assert signup("jane@built.example") == "accepted"

        @pytest.mark.asyncio
        async def test_async(maildiag_default_dns):
            maildiag_default_dns.null_mx("gone.example").fail("down.example", "timeout")
            assert await signup_async("jane@gone.example") == "rejected"
            assert await signup_async("jane@down.example") == "accepted"  # unknown never blocks

        def test_threads(maildiag_default_dns):
            maildiag_default_dns.mx("shop.example", "mx.shop.example").null_mx("gone.example")
            emails = ["a@shop.example", "b@gone.example"] * 10
            assert import_customers(emails) == ["accepted", "rejected"] * 10

        def test_nested(maildiag_default_dns):
            maildiag_default_dns.mx("shop.example", "mx.shop.example")
            with fake_dns() as outage:
                outage.null_mx("shop.example")
                assert signup("jane@shop.example") == "rejected"
            assert signup("jane@shop.example") == "accepted"

        @pytest.mark.maildiag(offline=True)
        def test_nothing_is_left_for_the_next_test():
            with pytest.raises(pytest.fail.Exception, match="maildiag_default_dns"):
                signup("jane@shop.example")
    ''')
    result = pytester.runpytest(*INNER, "-q")
    result.assert_outcomes(passed=6)


def test_a_block_never_left_fails_its_test_not_the_next_ones(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(shop=SHOP)
    pytester.makepyfile(test_leak='''
        import pytest
        from maildiag.testing import fake_dns
        from shop import signup

        kept = []

        def test_forgets_to_leave():
            block = fake_dns()
            kept.append(block)  # entered, kept alive, never left
            block.__enter__().null_mx("shop.example")
            assert signup("jane@shop.example") == "rejected"

        @pytest.mark.maildiag(offline=True)
        def test_after_it():
            with pytest.raises(pytest.fail.Exception, match="maildiag_offline"):
                signup("jane@shop.example")
    ''')
    result = pytester.runpytest(*INNER, "-q")
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(["*fake_dns() block(s) entered in this test were never left*"])


def test_the_examples_of_docs_testing_md_pass(pytester: pytest.Pytester) -> None:
    """The section's code blocks, each headed by the file it is, run as a shop's project."""
    import pathlib
    import re

    doc = (pathlib.Path(__file__).parents[1] / "docs" / "testing.md").read_text(encoding="utf-8")
    section = doc.split("### Code that passes no resolver", 1)[1].split("\n### ", 1)[0]
    files = {}
    for block in re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL):
        header = re.match(r"# ([\w/]+\.py)", block)
        assert header, f"every example of the section names its file:\n{block}"
        files[header.group(1)] = block
    assert set(files) == {"shop/signup.py", "tests/test_signup.py", "tests/test_signup_more.py"}
    for name, text in files.items():
        path = pytester.path / name
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (pytester.path / "shop" / "__init__.py").write_text("", encoding="utf-8")
    result = pytester.runpytest(*INNER, "-q", "-o", "pythonpath=.", "tests")
    result.assert_outcomes(passed=5)


def test_the_reserved_test_addresses_can_be_the_default() -> None:
    from maildiag.testing import addresses

    with fake_dns(addresses.scenario_resolver()):
        for scenario in addresses.SCENARIOS:
            d = maildiag.diagnose(scenario.address)
            assert d.verdict.value == scenario.verdict, scenario.name
