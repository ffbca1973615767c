"""maildiag's pytest plugin (registered through the ``pytest11`` entry point ``maildiag``).

Fixtures for a shop's own tests, named with the ``maildiag_`` prefix so they do not
clash with other plugins (pytest-localserver owns ``smtpserver``):

- ``maildiag_dns``: a fresh :class:`maildiag.testing.FakeResolver`, pre-filled by the
  ``@pytest.mark.maildiag(dns={...})`` marker when present.
- ``maildiag_default_dns``: ``maildiag_dns``, also made the resolver of every maildiag
  call that passes none (:func:`maildiag.testing.fake_dns`), for code under test that
  calls ``maildiag.diagnose(email)`` itself.
- ``maildiag_scenarios``: :func:`maildiag.testing.addresses.scenario_resolver`, serving
  the reserved test addresses (``addresses.NULL_MX``...), plus the marker's ``dns``.
- ``maildiag_offline``: any attempt by maildiag to use the system's DNS resolver fails the
  test at once, even inside the code under test's ``except Exception:``.

The marker ``@pytest.mark.maildiag(dns=None, sane=True, offline=False)`` configures them;
``offline=True``, the ``--maildiag-offline`` option or the ``maildiag_offline = true`` ini
setting apply ``maildiag_offline`` to the marked test or to every test. A ``fake_dns()``
block a test enters and never leaves fails that test at teardown (and is removed), so it
cannot serve the tests after it.

Nothing here imports maildiag's resolver code or Hypothesis at load: the fixtures import
what they need when a test asks for them. ``-p no:maildiag`` turns the plugin off; with
plugin autoloading disabled, ``-p maildiag`` (the entry point's name) turns it on.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from maildiag.testing import FakeResolver

_MARKER_KWARGS = frozenset({"dns", "sane", "offline"})
_FAILURES = ("servfail", "refused", "timeout", "error")

_OFFLINE_MESSAGE = (
    "maildiag tried to use real DNS (the system resolver or a dnspython resolver), which "
    "maildiag_offline forbids. "
    "Pass resolver=maildiag_dns (or maildiag_scenarios, or a FakeResolver) to "
    "maildiag.diagnose()/adiagnose(), or offline=True to skip DNS; for code that passes no "
    "resolver, use the maildiag_default_dns fixture or maildiag.testing.fake_dns()."
)


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add ``--maildiag-offline`` and the ``maildiag_offline`` ini setting."""
    group = parser.getgroup("maildiag", "maildiag email diagnosis")
    group.addoption(
        "--maildiag-offline",
        action="store_true",
        default=False,
        help="fail any test in which maildiag uses the system DNS resolver (as the maildiag_offline fixture does).",
    )
    parser.addini(
        "maildiag_offline",
        type="bool",
        default=False,
        help="apply the maildiag_offline fixture to every test (same as --maildiag-offline).",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``maildiag`` marker."""
    config.addinivalue_line(
        "markers",
        "maildiag(dns=None, sane=True, offline=False): configure maildiag's fixtures. dns maps a "
        "domain to a list of MX hosts, to 'null-mx', or to a failure ('servfail', 'refused', "
        "'timeout', 'error'); sane=False leaves gmail.com/outlook.com out of maildiag_dns; "
        "offline=True forbids the system DNS resolver in this test.",
    )


def _marker_kwargs(request: pytest.FixtureRequest) -> dict[str, Any]:
    marker = request.node.get_closest_marker("maildiag")
    if marker is None:
        return {}
    if marker.args:
        raise pytest.UsageError(f"@pytest.mark.maildiag takes keyword arguments only, not {marker.args!r}")
    unknown = sorted(set(marker.kwargs) - _MARKER_KWARGS)
    if unknown:
        known = sorted(_MARKER_KWARGS)
        raise pytest.UsageError(f"@pytest.mark.maildiag got unknown arguments {unknown}; known: {known}")
    return dict(marker.kwargs)


def _apply_dns(fake: FakeResolver, spec: object) -> None:
    """Fill ``fake`` from the marker's ``dns={domain: hosts | 'null-mx' | failure}``.

    MX hosts are built by :meth:`FakeResolver.mx` with its default address, the one rule
    of the fake world: a domain the marker builds and one a test builds with
    ``maildiag_dns.mx(domain, host)`` are the same domain.
    """
    if spec is None:
        return
    if not isinstance(spec, Mapping):
        raise pytest.UsageError(f"@pytest.mark.maildiag(dns=...) must be a dict, not {spec!r}")
    for domain, hosts in spec.items():
        keyword = hosts.strip().lower().replace("_", "-") if isinstance(hosts, str) else None
        if keyword == "null-mx":
            fake.null_mx(domain)
        elif keyword in _FAILURES:
            fake.fail(domain, keyword)
        elif isinstance(hosts, str) and "." not in hosts.strip("."):
            # No MX host name is a single label: "SERVFIAL" is a misspelt keyword, not a host.
            raise pytest.UsageError(
                f"@pytest.mark.maildiag(dns=...): {domain!r} maps to {hosts!r}, neither a host name "
                f"nor 'null-mx' or one of {_FAILURES}"
            )
        elif isinstance(hosts, str):
            fake.mx(domain, hosts)
        elif isinstance(hosts, list | tuple) and hosts and all(isinstance(h, str) for h in hosts):
            fake.mx(domain, *hosts)
        else:
            raise pytest.UsageError(
                f"@pytest.mark.maildiag(dns=...): {domain!r} maps to {hosts!r}; expected MX host names, "
                f"'null-mx', or one of {_FAILURES}"
            )


@pytest.fixture
def maildiag_dns(request: pytest.FixtureRequest) -> FakeResolver:
    """An in-process fake DNS; pass it as ``resolver=`` to ``maildiag.diagnose``.

    MX hosts, given by the marker or by ``.mx()``, get the address
    :data:`maildiag.testing.addresses.MX_ADDRESS`, which maildiag's default options count as
    a usable mail server: a domain built either way takes mail.
    """
    from maildiag.testing import FakeResolver

    kwargs = _marker_kwargs(request)
    fake = FakeResolver(sane=bool(kwargs.get("sane", True)))
    _apply_dns(fake, kwargs.get("dns"))
    return fake


@pytest.fixture
def maildiag_default_dns(maildiag_dns: FakeResolver) -> Iterator[FakeResolver]:
    """``maildiag_dns``, made the resolver of every maildiag call that passes none.

    For code under test that calls ``maildiag.diagnose(email)`` itself: no ``resolver=`` to
    thread through. ``diagnose``, ``adiagnose``, ``diagnose_many``, ``adiagnose_many`` and
    the CLI run in-process use it, from any thread or asyncio task. The marker's ``dns=``
    and ``sane=`` apply; add more with ``.mx()``, ``.fail()``... Ends with the test; nest
    ``with fake_dns(...)`` inside it for a part of the test (see
    :func:`maildiag.testing.fake_dns` for the one-fake-per-process rule).
    """
    from maildiag.testing import fake_dns

    with fake_dns(maildiag_dns) as fake:
        yield fake


@pytest.fixture
def maildiag_scenarios(request: pytest.FixtureRequest) -> FakeResolver:
    """A fake DNS serving the reserved test addresses of :mod:`maildiag.testing.addresses`."""
    from maildiag.testing.addresses import scenario_resolver

    fake = scenario_resolver()
    _apply_dns(fake, _marker_kwargs(request).get("dns"))
    return fake


@pytest.fixture
def maildiag_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if anything reaches for real DNS through maildiag or dnspython, or
    probes a mail server that is not on loopback.

    maildiag's shared resolver builders (sync and async) and dnspython's own
    ``Resolver.resolve`` (sync and async, so also a resolver passed as ``resolver=``) are
    replaced for this test by one that calls ``pytest.fail``. ``pytest.fail`` raises an
    exception that ``except Exception`` does not catch, so a signup view that swallows errors
    cannot hide the leak. :class:`maildiag.testing.FakeResolver` keeps working.
    """
    import dns.asyncresolver
    import dns.resolver

    import maildiag._shells

    def forbidden(*args: Any, **kwargs: Any) -> Any:
        pytest.fail(_OFFLINE_MESSAGE)

    async def forbidden_async(*args: Any, **kwargs: Any) -> Any:
        pytest.fail(_OFFLINE_MESSAGE)

    monkeypatch.setattr(maildiag._shells, "default_resolver", forbidden)
    monkeypatch.setattr(maildiag._shells, "_default_async_resolver", forbidden)
    monkeypatch.setattr(dns.resolver.Resolver, "resolve", forbidden)
    monkeypatch.setattr(dns.asyncresolver.Resolver, "resolve", forbidden_async)

    # An SMTP probe is network too: only a test server on loopback may be probed.
    import ipaddress

    import maildiag.smtp

    real_probe = maildiag.smtp.probe

    async def loopback_probe_only(request: Any, timeout: float) -> Any:
        if not ipaddress.ip_address(request.address).is_loopback:
            pytest.fail(f"maildiag tried to probe {request.address} by SMTP, which maildiag_offline "
                        "forbids: only loopback test servers may be probed.")
        return await real_probe(request, timeout)

    monkeypatch.setattr(maildiag.smtp, "probe", loopback_probe_only)


@pytest.fixture(autouse=True)
def _maildiag_empty_dns_cache() -> None:
    """Start every test with an empty per-domain DNS cache: tests never see each other's
    answers (a domain kept from an earlier test's fake or server). Costs nothing unless
    maildiag's cache is loaded."""
    cache = sys.modules.get("maildiag._cache")
    if cache is not None:
        cache.CACHE.clear()


@pytest.fixture(autouse=True)
def _maildiag_fake_dns_left() -> Iterator[None]:
    """Fail a test that enters a ``fake_dns()`` block and never leaves it.

    The default resolver is process-wide: a block left open (``fake_dns().__enter__()``
    with no exit) would serve every later test from this test's fake, far from the cause.
    Costs nothing unless maildiag's shells are loaded.
    """
    shells = sys.modules.get("maildiag._shells")
    before = list(shells._overrides) if shells is not None else []
    yield
    shells = sys.modules.get("maildiag._shells")
    if shells is None:
        return
    with shells._overrides_lock:
        leaked = [entry for entry in shells._overrides if not any(entry is b for b in before)]
        for entry in leaked:
            shells._overrides.remove(entry)
    if leaked:
        pytest.fail(
            f"maildiag: {len(leaked)} fake_dns() block(s) entered in this test were never left "
            "(now removed); they would have served the next tests' DNS. Use `with fake_dns() as "
            "dns:` or the maildiag_default_dns fixture.",
            pytrace=False,
        )


@pytest.fixture(autouse=True)
def _maildiag_offline_when_asked(request: pytest.FixtureRequest) -> None:
    """Apply ``maildiag_offline`` where the marker, the option or the ini setting asks."""
    config = request.config
    # Checked on every marked test, whichever fixtures it asks for: a misspelt
    # @pytest.mark.maildiag(ofline=True) must fail, not silently drop the guard.
    kwargs = _marker_kwargs(request)
    if (
        kwargs.get("offline")
        or config.getoption("maildiag_offline")
        or config.getini("maildiag_offline")
    ):
        request.getfixturevalue("maildiag_offline")
