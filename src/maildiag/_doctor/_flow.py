"""The doctor's shared plumbing: the answer cache every family asks through, and TXT decoding.

Each family (``spf``, ``dkim``, ``dmarc``, ``transport``, ``ips``) is a generator in the
manner of :func:`maildiag._core.plan`: it yields batches of :class:`~maildiag._core.Query`
through :meth:`Ctx.ask` and is sent their :class:`~maildiag.model.DnsAnswer` values, so the
same sync and async shells (and the same deadline) drive it. A query asked twice (the
domain's MX by SPF's ``mx`` and by the transport check) is sent once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Generator, Iterable, Sequence
from typing import Any

from maildiag import catalog
from maildiag._core import Query
from maildiag.model import DnsAnswer, DnsStatus, Finding

__all__ = ["Ctx", "DnsFlow", "failed", "txt_strings"]

#: A family's flow: yields query batches, is sent their answers, returns what it computed.
DnsFlow = Generator[tuple[Query, ...], tuple[Any, ...], Any]

_FAILED = frozenset({DnsStatus.TIMEOUT, DnsStatus.SERVFAIL, DnsStatus.REFUSED, DnsStatus.NO_RESOLVER,
                     DnsStatus.ERROR})


def failed(answer: DnsAnswer) -> bool:
    """The query itself failed (our network, or the zone's servers): nothing is known."""
    return answer.status in _FAILED


@dataclasses.dataclass
class Ctx:
    """What one doctor run has gathered (private, mutable, never leaves the package)."""

    domain: str
    answers: dict[Query, DnsAnswer] = dataclasses.field(default_factory=dict)
    findings: list[Finding] = dataclasses.field(default_factory=list)
    #: Facts the provider checklist reads: True met, False not met, None unknown.
    facts: dict[str, bool | None] = dataclasses.field(default_factory=dict)
    _reported_failures: set[Query] = dataclasses.field(default_factory=set)

    def ask(self, queries: Sequence[Query]) -> DnsFlow:
        """Answers to ``queries`` (in order); only those not asked before are yielded, as one batch."""
        need = tuple(dict.fromkeys(q for q in queries if q not in self.answers))
        if need:
            got = yield need
            for query, answer in zip(need, got, strict=True):
                if not isinstance(answer, DnsAnswer):  # the doctor never probes SMTP
                    answer = DnsAnswer(query.name, query.rdtype, DnsStatus.ERROR, detail="not a DNS answer")
                self.answers[query] = answer
        return [self.answers[q] for q in queries]

    def add(self, code: str, params: dict[str, object] | None = None, evidence: Iterable[str] = ()) -> None:
        self.findings.append(catalog.make(code, params, evidence))

    def dns_failed(self, answer: DnsAnswer, check: str) -> None:
        """Say once per query that ``check`` could not be made: unknown, never a verdict."""
        query = Query(answer.name, answer.rdtype)
        if query in self._reported_failures:
            return
        self._reported_failures.add(query)
        self.add("doctor.dns_failed", {"name": answer.name, "rdtype": answer.rdtype, "check": check},
                 [answer.describe()])


def txt_strings(answer: DnsAnswer) -> list[str]:
    """Each TXT record of ``answer`` as one text: its character-strings joined (RFC 7208 §3.3).

    Records come in presentation format (``"v=spf1 " "-all"``); dnspython's own TXT parser
    reads them. A record it cannot read is kept as its raw text, so a hostile answer is a
    finding about its content, never an exception.
    """
    if answer.status is not DnsStatus.OK:
        return []
    import dns.exception
    import dns.rdata
    import dns.rdataclass
    import dns.rdatatype

    texts = []
    for record in answer.records:
        try:
            rdata = dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.TXT, record)
            raw = b"".join(rdata.strings)  # type: ignore[attr-defined]
            texts.append(raw.decode("utf-8", "replace"))
        except (dns.exception.DNSException, ValueError):
            texts.append(record.strip('"'))
    return texts


def tags(text: str) -> dict[str, str] | None:
    """A ``tag=value; tag=value`` list (DKIM RFC 6376 §3.2, DMARC RFC 7489 §6.4, MTA-STS, TLS-RPT).

    Names are lower-cased, values stripped; ``None`` when a part has no ``=`` or a tag is
    given twice (RFC 6376 §3.2: "Tags with duplicate names MUST NOT occur").
    """
    found: dict[str, str] = {}
    for part in text.split(";"):
        if not part.strip():
            continue
        name, sep, value = part.partition("=")
        name = name.strip().lower()
        if not sep or not name or name in found:
            return None
        found[name] = value.strip()
    return found
