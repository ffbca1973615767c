"""The MTA-STS policy file (RFC 8461 §3.2, §3.3, §4.1): opt-in fetch, pure rules."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from typing import ClassVar

import pytest
from tests.doctor._zone import GOOD, good_zone, run

from maildiag._doctor import adoctor, mta_sts

GOOD_POLICY = "version: STSv1\nmode: enforce\nmx: *.good.example\nmax_age: 86400\n"


@pytest.mark.parametrize(
    ("policy", "code"),
    [
        (None, "doctor.mta_sts.policy_unreachable"),
        ("version: STSv2\nmode: enforce\nmx: mx.good.example\nmax_age: 86400\n", "doctor.mta_sts.policy_invalid"),
        ("version: STSv1\nmode: strict\nmx: mx.good.example\nmax_age: 86400\n", "doctor.mta_sts.policy_invalid"),
        ("version: STSv1\nmode: enforce\nmx: mx.good.example\nmax_age: 99999999\n", "doctor.mta_sts.policy_invalid"),
        ("version: STSv1\nmode: enforce\nmax_age: 86400\n", "doctor.mta_sts.policy_invalid"),  # no mx
        ("<html>", "doctor.mta_sts.policy_invalid"),
        ("version: STSv1\nmode: enforce\nmx: mx.other.example\nmax_age: 86400\n", "doctor.mta_sts.mx_mismatch"),
        # §4.1: a wildcard matches one label only
        ("version: STSv1\nmode: enforce\nmx: *.example\nmax_age: 86400\n", "doctor.mta_sts.mx_mismatch"),
        ("version: STSv1\nmode: testing\nmx: *.good.example\nmax_age: 86400\n", "doctor.mta_sts.testing"),
    ],
)
def test_policy_rules(monkeypatch: pytest.MonkeyPatch, policy: str | None, code: str) -> None:
    monkeypatch.setattr(mta_sts, "fetch", lambda domain, timeout, context=None: (policy, "HTTP 404"))
    report = run(good_zone(), mta_sts_policy=True)
    assert report.has(code), report.codes
    assert "mta-sts-policy" in report.checks


def test_good_policy_is_clean_and_fetch_is_opt_in(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[str] = []

    def fake_fetch(domain: str, timeout: float, context: object = None) -> tuple[str, str]:
        asked.append(domain)
        assert 0 < timeout <= 10.0  # what is left of the same deadline
        return GOOD_POLICY, ""

    monkeypatch.setattr(mta_sts, "fetch", fake_fetch)
    assert run(good_zone()).ok and asked == []  # not asked for: no HTTPS at all
    report = run(good_zone(), mta_sts_policy=True)
    assert report.ok and asked == [GOOD]
    fake = good_zone()
    fake._records.pop((f"_mta-sts.{GOOD}", "TXT"))
    run(fake, mta_sts_policy=True)
    assert asked == [GOOD]  # no record announces a policy: nothing fetched


async def test_async_fetch_keeps_the_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    def slow(domain: str, timeout: float, context: object = None) -> tuple[str, str]:
        time.sleep(2)
        return GOOD_POLICY, ""

    monkeypatch.setattr(mta_sts, "fetch", slow)
    start = time.monotonic()
    report = await adoctor(GOOD, resolver=good_zone(), deadline=0.5, mta_sts_policy=True)
    assert time.monotonic() - start < 1.5
    finding = report.find("doctor.mta_sts.policy_unreachable")
    assert finding is not None and finding.params["detail"] == "deadline"


class _Handler(http.server.BaseHTTPRequestHandler):
    routes: ClassVar[dict[str, tuple[int, dict[str, str], bytes]]] = {}

    def do_GET(self) -> None:
        status, headers, body = self.routes[self.path]
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def http_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, tuple[int, dict[str, str], bytes]]]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    # The real URL is https://mta-sts.<domain>/...; the loopback server speaks plain HTTP.
    monkeypatch.setattr(mta_sts, "policy_url", lambda domain: f"{base}/{domain}")
    routes: dict[str, tuple[int, dict[str, str], bytes]] = {}
    _Handler.routes = routes
    yield routes
    server.shutdown()
    server.server_close()


def test_fetch_reads_the_policy_and_refuses_redirects_and_huge_files(
    http_server: dict[str, tuple[int, dict[str, str], bytes]],
) -> None:
    http_server["/ok.example"] = (200, {"Content-Type": "text/plain"}, GOOD_POLICY.encode())
    http_server["/moved.example"] = (301, {"Location": "/ok.example"}, b"")
    http_server["/gone.example"] = (404, {}, b"")
    http_server["/huge.example"] = (200, {}, b"x" * (mta_sts.MAX_BYTES + 10))
    assert mta_sts.fetch("ok.example", 2.0) == (GOOD_POLICY, "")
    assert mta_sts.fetch("moved.example", 2.0) == (None, "HTTP 301")  # §3.3: never followed
    assert mta_sts.fetch("gone.example", 2.0) == (None, "HTTP 404")
    assert mta_sts.fetch("huge.example", 2.0)[0] is None
    assert mta_sts.fetch("ok.example", 0) == (None, "deadline")
