"""Shared fixtures: a real unbound on loopback serving tests/dns/test.zone as the root zone.

The server is the whole "internet" of the tests: names not in the zone get an
authoritative NXDOMAIN; ``*.servfail.example``, ``*.refused.example`` and
``*.timeout.example`` fail as their names say. Nothing ever leaves 127.0.0.1.

Without unbound installed, tests that need it are skipped on a developer's machine but
**fail** when ``CI`` is set, so a missing install step cannot hide behind a skip.
"""

from __future__ import annotations

import os
import pathlib
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator

import dns.message
import dns.query
import dns.resolver
import pytest

HERE = pathlib.Path(__file__).parent


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _unbound() -> str | None:
    return shutil.which("unbound") or (
        "/usr/sbin/unbound" if os.path.exists("/usr/sbin/unbound") else None
    )


def _serve_zone(zone: pathlib.Path, probe_name: str) -> Iterator[tuple[str, int]]:
    """Run unbound on 127.0.0.1:<random port> serving ``zone`` as the root zone."""
    exe = _unbound()
    if exe is None:
        message = "unbound is not installed (apt-get install -y unbound)"
        if os.environ.get("CI"):
            pytest.fail(message + " -- under CI a missing test server is a failure", pytrace=False)
        pytest.skip(message)
    workdir = tempfile.mkdtemp(prefix="maildiag-unbound-")
    port = _free_port()
    conf = (
        (HERE / "dns" / "unbound.conf.in")
        .read_text()
        .replace("@PORT@", str(port))
        .replace("@DIR@", workdir)
        .replace("@ZONE@", str(zone))
    )
    conf_path = pathlib.Path(workdir) / "unbound.conf"
    conf_path.write_text(conf)
    log_path = pathlib.Path(workdir) / "unbound.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen([exe, "-d", "-c", str(conf_path)], stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 15
    while True:
        try:
            query = dns.message.make_query(probe_name, "A")
            dns.query.udp(query, "127.0.0.1", port=port, timeout=0.2)
            break
        except Exception:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail("unbound did not start:\n" + log_path.read_text(), pytrace=False)
    yield ("127.0.0.1", port)
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
    shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="session")
def dns_server() -> Iterator[tuple[str, int]]:
    """A real unbound on 127.0.0.1:<random port>; yields (host, port)."""
    yield from _serve_zone(HERE / "dns" / "test.zone", "ns.maildiag.example")


@pytest.fixture(scope="session")
def sinkhole_dns_server() -> Iterator[tuple[str, int]]:
    """A second unbound whose whole internet is a wildcard sinkhole (tests/dns/sinkhole.zone)."""
    yield from _serve_zone(HERE / "dns" / "sinkhole.zone", "ns.sinkhole-ns")


@pytest.fixture
def resolver(dns_server: tuple[str, int]) -> dns.resolver.Resolver:
    """A dnspython resolver pointed at the loopback unbound, without a cache."""
    r = dns.resolver.Resolver(configure=False)
    r.nameservers = [dns_server[0]]
    r.port = dns_server[1]
    r.timeout, r.lifetime = 0.5, 1.0
    r.cache = None
    return r


# -- SMTP probe peers (tests/smtp_servers.py) ------------------------------------------

from collections.abc import Callable  # noqa: E402
from typing import Any  # noqa: E402

import tests.smtp_servers as smtp_servers  # noqa: E402


@pytest.fixture
def smtp_server() -> Iterator[Callable[..., tuple[str, int, Any]]]:
    """``smtp_server(users=(...), mode="list"|"catchall"|"greylist"|"block", host=...)``
    starts a loopback aiosmtpd server and returns ``(host, port, handler)``."""
    started: list[Any] = []

    def make(users: tuple[str, ...] = (), mode: str = "list", host: str = "127.0.0.1",
             grey_secs: float = 0.0) -> tuple[str, int, Any]:
        handler = smtp_servers.ProbeHandler(users=users, mode=mode, grey_secs=grey_secs)
        controller = smtp_servers.start(handler, host=host)
        started.append(controller)
        return host, controller.port, handler

    yield make
    for controller in started:
        controller.stop()


@pytest.fixture
def silent_smtp_server() -> Iterator[Any]:
    """A loopback socket that accepts connections and never answers (a tarpit)."""
    server = smtp_servers.SilentServer()
    yield server
    server.stop()


# -- every finding code fires somewhere in the suite ---------------------------------------------
# A code declared, translated and documented but never produced is dead API. The check: every
# call of catalog.make made by maildiag's own modules (not by a test building a finding by
# hand, not by the testing kit) is recorded, and a whole-suite run fails when a catalog code was
# never made. Partial runs (file arguments, -k, -m) skip the check.

_FIRED: set[str] = set()


def pytest_configure(config: pytest.Config) -> None:
    import sys

    from maildiag import catalog

    make = catalog.make

    def recording_make(code: str, *args: object, **kwargs: object) -> object:
        caller = sys._getframe(1).f_globals.get("__name__", "")
        if caller.startswith("maildiag.") and not caller.startswith("maildiag.testing"):
            _FIRED.add(code)
        return make(code, *args, **kwargs)  # type: ignore[arg-type]

    catalog.make = recording_make  # type: ignore[assignment]


def _whole_suite(session: pytest.Session) -> bool:
    config = session.config
    return (
        config.args_source is pytest.Config.ArgsSource.TESTPATHS
        and not config.option.keyword
        and not config.option.markexpr
        and session.testscollected > 1000
    )


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if exitstatus != 0 or not _whole_suite(session):
        return
    from maildiag import catalog

    never = sorted(set(catalog.codes()) - _FIRED)
    if never:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(
                f"FAILED every code fires: {len(never)} catalog code(s) never made by maildiag in this run: "
                + ", ".join(never),
                red=True,
            )
