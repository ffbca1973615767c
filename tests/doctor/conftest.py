"""A loopback unbound serving tests/dns/doctor.zone (the doctor's good and broken domains)."""

from __future__ import annotations

from collections.abc import Iterator

import dns.resolver
import pytest
from tests.conftest import HERE, _serve_zone


@pytest.fixture(scope="session")
def doctor_dns_server() -> Iterator[tuple[str, int]]:
    """unbound on 127.0.0.1:<random port> with tests/dns/doctor.zone as the root zone."""
    yield from _serve_zone(HERE / "dns" / "doctor.zone", "ns.doctor.example")


@pytest.fixture
def doctor_resolver(doctor_dns_server: tuple[str, int]) -> dns.resolver.Resolver:
    r = dns.resolver.Resolver(configure=False)
    r.nameservers = [doctor_dns_server[0]]
    r.port = doctor_dns_server[1]
    r.timeout, r.lifetime = 0.5, 1.0
    r.cache = None
    return r
