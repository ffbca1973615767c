"""The in-process fake DNS (:class:`FakeResolver`); see :mod:`maildiag.testing`."""


from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Iterable, Iterator

from maildiag.model import DnsAnswer, DnsStatus
from maildiag.options import ascii_domain

__all__ = ["FakeResolver", "fake_dns"]

_FAILURES = {
    "servfail": DnsStatus.SERVFAIL,
    "refused": DnsStatus.REFUSED,
    "timeout": DnsStatus.TIMEOUT,
    "error": DnsStatus.ERROR,
}


#: An ORCHIDv2 address (2001:20::/28, RFC 7343). IANA's special-purpose registry marks the
#: block globally reachable, so maildiag counts a host there as a mail server; but ORCHIDs
#: are identifiers, "not routable at the IP layer" (RFC 7343 §2), so a connection to it can
#: reach no one. (It used to be 192.0.2.25 inside the NAT64 prefix, until maildiag learned
#: to judge a NAT64 address by the IPv4 address it carries.) Published as
#: maildiag.testing.addresses.MX_ADDRESS; the default address of FakeResolver.mx().
_GLOBAL_TEST_ADDRESS = "2001:20::25"


def _norm(name: str) -> str:
    # maildiag asks for the ASCII (IDNA) form of a name, as email-validator gives it: a zone
    # written with bücher.example must answer xn--bcher-kva.example.
    name = name.strip().rstrip(".").lower()
    return ascii_domain(name) or name


class FakeResolver:
    """An in-memory DNS with failure injection; no sockets, no threads of its own.

    Records are stored in presentation format (``"10 mx.example."`` for MX). Names are
    case-insensitive. A name exists if it owns a record or has a descendant that does
    (RFC 8020 empty non-terminals), so a missing type gives NODATA and a missing name
    NXDOMAIN, as a real server would answer.

    Attributes:
        queries: every ``(name, rdtype)`` asked, in order, for assertions.
    """

    def __init__(self, *, sane: bool = True) -> None:
        self._records: dict[tuple[str, str], list[str]] = {}
        self._names: set[str] = set()
        self._failures: dict[str, DnsStatus] = {}
        self._delays: dict[str, float] = {}
        self._sinkhole: str | None = None
        self._lock = threading.Lock()
        #: Bumped by every change of the zone: maildiag's per-domain cache keys on it, so
        #: answers given before a change are never served after it.
        self._maildiag_generation = 0
        self.queries: list[tuple[str, str]] = []
        if sane:
            # Usable with default options: a shop's test of jane@gmail.com must see "ok".
            self.mx("gmail.com", "gmail-smtp-in.l.google.com", address=_GLOBAL_TEST_ADDRESS)
            self.mx("outlook.com", "outlook-com.olc.protection.outlook.com", address=_GLOBAL_TEST_ADDRESS)

    # -- building the zone ---------------------------------------------------------------

    def add(self, name: str, rdtype: str, *records: str) -> FakeResolver:
        """Add records of ``rdtype`` to ``name``; returns ``self`` for chaining."""
        key = (_norm(name), rdtype.upper())
        self._maildiag_generation += 1
        self._records.setdefault(key, []).extend(records)
        labels = key[0].split(".")
        for i in range(len(labels)):
            self._names.add(".".join(labels[i:]))
        return self

    def mx(
        self, domain: str, *hosts: str, address: str | None = _GLOBAL_TEST_ADDRESS, preference: int = 10
    ) -> FakeResolver:
        """Give ``domain`` MX records to ``hosts`` (preference 10, 20, ...).

        Each host also gets an address record with ``address`` unless ``address`` is ``None``
        (then the host has no address, or you add one yourself). The default is
        :data:`maildiag.testing.addresses.MX_ADDRESS`, global in form but unreachable, so a
        domain built this way takes mail, as the marker's and the scenarios' domains do.
        Pass ``address="127.0.0.1"`` for a host on loopback (a real test server; then
        diagnose with ``allow_private_addresses=True``).
        """
        for i, host in enumerate(hosts):
            self.add(domain, "MX", f"{preference * (i + 1)} {_norm(host)}.")
            if address is not None:
                self.add(host, "AAAA" if ":" in address else "A", address)
        return self

    def null_mx(self, domain: str) -> FakeResolver:
        """Publish an RFC 7505 null MX (``0 .``): the domain accepts no mail."""
        return self.add(domain, "MX", "0 .")

    def address(self, name: str, *addresses: str) -> FakeResolver:
        """Give ``name`` A/AAAA records (by the form of each address)."""
        for a in addresses:
            self.add(name, "AAAA" if ":" in a else "A", a)
        return self

    def cname(self, name: str, target: str) -> FakeResolver:
        """Make ``name`` an alias of ``target``."""
        return self.add(name, "CNAME", _norm(target) + ".")

    def exists(self, name: str) -> FakeResolver:
        """Make ``name`` exist with no MX or address records (answers NODATA)."""
        return self.add(name, "TXT", '"exists"')

    def fail(self, name: str, how: str = "servfail") -> FakeResolver:
        """Make ``name`` and every name under it fail: servfail, refused, timeout or error."""
        try:
            self._failures[_norm(name)] = _FAILURES[how]
            self._maildiag_generation += 1
        except KeyError:
            raise ValueError(f"how must be one of {sorted(_FAILURES)}, not {how!r}") from None
        return self

    def sinkhole(self, address: str = "0.0.0.0") -> FakeResolver:  # noqa: S104 (an answer, not a bind)
        """Lie like a DNS filter or a wildcard sinkhole: every name not added here answers
        ``10 mx.<name>.`` for MX and ``address`` for A (or AAAA, by its form).

        For testing that a shop's code treats a lying resolver as *unknown, our network*
        (``dns.resolver_lying``), never as an undeliverable address.
        """
        self._sinkhole = address
        self._maildiag_generation += 1
        return self

    def slow(self, name: str, seconds: float) -> FakeResolver:
        """Answer queries for ``name`` (and below) only after ``seconds``: for deadline tests.

        If the caller's timeout is shorter, the fake waits that long and answers ``timeout``,
        as a dropped UDP query would.
        """
        self._delays[_norm(name)] = seconds
        self._maildiag_generation += 1
        return self

    # -- answering -----------------------------------------------------------------------

    def _policy(self, table: dict[str, DnsStatus] | dict[str, float], name: str) -> object:
        labels = name.split(".")
        for i in range(len(labels)):
            hit = table.get(".".join(labels[i:]))
            if hit is not None:
                return hit
        return None

    def answer(self, name: str, rdtype: str) -> DnsAnswer:
        """The answer to one query, without any waiting."""
        qname, qtype = _norm(name), rdtype.upper()
        with self._lock:
            self.queries.append((qname, qtype))
        failure = self._policy(self._failures, qname)
        if isinstance(failure, DnsStatus):
            return DnsAnswer(name, rdtype, failure, detail="injected by FakeResolver")
        current, canonical = qname, None
        for _ in range(8):  # follow a CNAME chain, as a recursive resolver does
            records = self._records.get((current, qtype))
            if records:
                return DnsAnswer(name, rdtype, DnsStatus.OK, tuple(sorted(records)), canonical_name=canonical)
            alias = self._records.get((current, "CNAME"))
            if not alias or qtype == "CNAME":
                break
            current = canonical = _norm(alias[0])
        if self._sinkhole is not None:
            lie = self._sinkhole_record(qname, qtype)
            if lie is not None:
                return DnsAnswer(name, rdtype, DnsStatus.OK, (lie,))
            return DnsAnswer(name, rdtype, DnsStatus.NODATA)
        status = DnsStatus.NODATA if current in self._names else DnsStatus.NXDOMAIN
        return DnsAnswer(name, rdtype, status)

    def _sinkhole_record(self, qname: str, qtype: str) -> str | None:
        assert self._sinkhole is not None
        if qtype == "MX":
            return f"10 mx.{qname}."
        if qtype == ("AAAA" if ":" in self._sinkhole else "A"):
            return self._sinkhole
        return None

    def _delay(self, name: str) -> float:
        delay = self._policy(self._delays, _norm(name))
        return float(delay) if isinstance(delay, float | int) else 0.0

    def lookup(self, name: str, rdtype: str, timeout: float) -> DnsAnswer:
        """Answer within ``timeout`` seconds (maildiag's sync resolver protocol)."""
        delay = self._delay(name)
        if delay:
            time.sleep(min(delay, timeout))
            if delay > timeout:
                return DnsAnswer(name, rdtype, DnsStatus.TIMEOUT, detail="slow name (FakeResolver)")
        return self.answer(name, rdtype)

    async def alookup(self, name: str, rdtype: str, timeout: float) -> DnsAnswer:
        """Answer within ``timeout`` seconds (maildiag's async resolver protocol)."""
        delay = self._delay(name)
        if delay:
            await asyncio.sleep(min(delay, timeout))
            if delay > timeout:
                return DnsAnswer(name, rdtype, DnsStatus.TIMEOUT, detail="slow name (FakeResolver)")
        return self.answer(name, rdtype)

    def asked(self, name: str, rdtype: str | None = None) -> bool:
        """True when ``name`` (and ``rdtype``, if given) was queried."""
        qname = _norm(name)
        return any(n == qname and (rdtype is None or t == rdtype.upper()) for n, t in self.queries)

    def names(self) -> Iterable[str]:
        """Every name that owns a record."""
        return sorted({n for n, _ in self._records})


@contextlib.contextmanager
def fake_dns(resolver: FakeResolver | None = None) -> Iterator[FakeResolver]:
    """Serve every maildiag call that passes no ``resolver=`` from a fake DNS, until exit.

    For testing code that calls ``maildiag.diagnose(email)`` itself, the way pytest-httpx
    and respx patch an HTTP transport::

        with fake_dns() as dns:
            dns.mx("shop-customer.example", "mx.shop-customer.example")
            assert signup("jane@shop-customer.example").ok   # your code, unchanged

    ``diagnose``, ``adiagnose``, ``diagnose_many``, ``adiagnose_many``, SMTP probing's MX
    lookups and the CLI run in-process all use it, from any thread or task: the override is
    process-wide, because the sync shell resolves on worker threads, bulk on an event loop
    thread, and a shop's code on threads of its own. A call that passes its own
    ``resolver=`` keeps it. Leaving the block restores what was there before, even on an
    exception.

    **One fake per process, unless nested.** A block may start while another is active only
    from the thread that entered it (or a task or thread that inherited its context, such
    as ``asyncio.to_thread``), or with the same ``FakeResolver``; then the inner one wins
    until it is left. Any other thread entering a block of its own raises ``RuntimeError``:
    that is two tests running at once in one process (a thread-parallel runner), which
    would otherwise silently serve one from the other's fake. pytest-xdist runs tests in
    separate processes, so each has its own.

    Args:
        resolver: the fake to serve; a fresh :class:`FakeResolver` when omitted.

    Raises:
        RuntimeError: another thread's block is active (see above).
        TypeError: ``resolver`` is not a :class:`FakeResolver`.
    """
    from maildiag._shells import default_resolver_override

    if resolver is not None and not isinstance(resolver, FakeResolver):
        # Caught here, not as a TypeError from the first diagnose() deep in the code under test.
        raise TypeError(f"fake_dns() takes a maildiag.testing.FakeResolver, not {type(resolver).__name__}")
    fake = resolver if resolver is not None else FakeResolver()
    with default_resolver_override(fake):
        yield fake
