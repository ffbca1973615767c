"""``maildiag doctor``: when the shop's own sending set-up is why mail does not arrive.

The public face is :func:`maildiag.doctor`, :func:`maildiag.adoctor` and
:class:`maildiag.DoctorReport` (exported by :mod:`maildiag`); this package is their
implementation, private so that the function and a module never share a name.

>>> from maildiag.testing import FakeResolver
>>> fake = FakeResolver().add("shop.example", "TXT", '"v=spf1 +all"')
>>> report = doctor("shop.example", resolver=fake)
>>> report.has("doctor.spf.all_pass")
True

One pure core (:func:`plan`, a generator of DNS query batches, like :func:`maildiag._core.plan`)
run by the same sync and async shells, resolver and deadline as :func:`maildiag.diagnose`.
Each family of checks lives in its own module: :mod:`.spf`, :mod:`.dkim`, :mod:`.dmarc`,
:mod:`.transport`, :mod:`.ips`, :mod:`.message`, :mod:`.providers`. See docs/doctor.md.
"""

from __future__ import annotations

import dataclasses
import os
import re
import time
from collections.abc import Generator, Iterable, Sequence
from typing import Any, cast

from maildiag import catalog
from maildiag._core import Query
from maildiag._doctor import dkim, dmarc, ips, message, mta_sts, providers, spf, transport
from maildiag._doctor._flow import Ctx
from maildiag._doctor._report import DoctorReport
from maildiag._doctor.ips import Dnsbl, default_dnsbls
from maildiag._doctor.providers import Requirement
from maildiag.model import DnsAnswer, Finding
from maildiag.options import Options, ascii_domain

__all__ = [
    "SENDER_REASONS",
    "Dnsbl",
    "DoctorReport",
    "Requirement",
    "adoctor",
    "bounce_finding",
    "default_dnsbls",
    "doctor",
    "plan",
]

DoctorFlow = Generator[tuple[Query, ...], tuple[DnsAnswer, ...], DoctorReport]
_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\Z")


def _domain(domain: object) -> str | None:
    if not isinstance(domain, str):
        raise TypeError(f"domain must be str, not {type(domain).__name__}")
    name = ascii_domain(domain.strip().lower().rstrip("."))
    if not name or len(name) > 253:
        return None
    labels = name.split(".")
    return name if len(labels) >= 2 and all(_LABEL.match(label) for label in labels) else None


def _eml_bytes(eml: bytes | str | os.PathLike[str] | None) -> bytes | None:
    if eml is None or isinstance(eml, bytes):
        return eml
    with open(eml, "rb") as handle:  # a path: a missing file is the caller's error (OSError)
        return handle.read(message.MAX_BYTES)


def plan(
    domain: str,
    *,
    dkim_selectors: Sequence[str] = (),
    sending_ips: Sequence[str] = (),
    eml: bytes | None = None,
    dnsbls: Sequence[Dnsbl] | None = None,
) -> DoctorFlow:
    """The pure core: yields DNS query batches, is sent their answers, returns the report."""
    name = _domain(domain)
    if name is None:
        return DoctorReport(str(domain), (catalog.make("doctor.domain.invalid", {"domain": str(domain)}),))
    ctx = Ctx(name)
    ips_given = tuple(str(ip) for ip in sending_ips)
    checks = ["spf", "dmarc", "transport"]
    # Each family asks its first batch in turn; the answers are shared through ctx.
    yield from spf.check(ctx, ips_given)
    yield from dmarc.check(ctx)
    yield from transport.check(ctx)
    if dkim_selectors:
        checks.append("dkim")
    yield from dkim.check(ctx, tuple(str(s).strip().lower() for s in dkim_selectors))
    if ips_given:
        checks.append("ips")
    yield from ips.check(ctx, ips_given, tuple(dnsbls) if dnsbls is not None else default_dnsbls())
    if eml is not None:
        checks.append("message")
        message.check(ctx, eml)
    checklist = providers.checklist(ctx)
    return DoctorReport(name, tuple(ctx.findings), checklist, tuple(checks), tuple(ctx.answers.values()))


#: The doctor's deadline when the caller gives none: a sending-domain audit follows SPF
#: include chains a round trip at a time and is no checkout page; 3 s (diagnose's default)
#: would turn a slow resolver's answers into "unknown".
DEFAULT_DEADLINE = 10.0


def _options(options: Options | None, overrides: dict[str, Any]) -> Options:
    if options is None and "deadline" not in overrides:
        overrides = {**overrides, "deadline": DEFAULT_DEADLINE}
    base = options if options is not None else Options()
    return base.replace(**overrides) if overrides else base


def doctor(
    domain: str,
    /,
    *,
    dkim_selectors: Sequence[str] = (),
    sending_ips: Sequence[str] = (),
    eml: bytes | str | os.PathLike[str] | None = None,
    dnsbls: Sequence[Dnsbl] | None = None,
    mta_sts_policy: bool = False,
    options: Options | None = None,
    **overrides: Any,
) -> DoctorReport:
    """Check the shop's sending domain: SPF, DKIM, DMARC, MX/MTA-STS/TLS-RPT, sending IPs,
    a received message, and the big providers' requirements.

    Args:
        domain: the domain the shop sends from (the From domain).
        dkim_selectors: the DKIM selectors the shop signs with (``s=`` of its signatures).
        sending_ips: the addresses its mail leaves from (PTR, FCrDNS, blocklists, SPF result).
        eml: a message the shop sent, as received (bytes, or a path to an ``.eml`` file).
        dnsbls: the blocklists to ask (default: :func:`default_dnsbls`).
        mta_sts_policy: also fetch the MTA-STS policy file over HTTPS (opt-in; within the
            same deadline) and check it against the domain's MX.
        options: :class:`~maildiag.Options`; ``resolver=`` and ``deadline=`` apply as for
            :func:`~maildiag.diagnose` (one deadline for all the DNS of the report).

    Returns:
        A :class:`DoctorReport`. Failed lookups are ``doctor.dns_failed`` findings (unknown),
        never a verdict about the domain.

    Raises:
        TypeError: ``domain`` is not a ``str``.
        OSError: ``eml`` is a path that cannot be read.
    """
    opts = _options(options, overrides)
    flow = plan(domain, dkim_selectors=dkim_selectors, sending_ips=sending_ips, eml=_eml_bytes(eml), dnsbls=dnsbls)
    from maildiag._shells import run_sync

    start = time.monotonic()
    report = cast(DoctorReport, run_sync(cast(Any, flow), opts.resolver, opts.deadline))
    if not mta_sts_policy or not _announces_sts(report):
        return report
    text, why = mta_sts.fetch(report.domain, opts.deadline - (time.monotonic() - start))
    return _with_policy(report, text, why)


async def adoctor(
    domain: str,
    /,
    *,
    dkim_selectors: Sequence[str] = (),
    sending_ips: Sequence[str] = (),
    eml: bytes | str | os.PathLike[str] | None = None,
    dnsbls: Sequence[Dnsbl] | None = None,
    mta_sts_policy: bool = False,
    options: Options | None = None,
    **overrides: Any,
) -> DoctorReport:
    """The asyncio twin of :func:`doctor`: same arguments, same rules, same report."""
    opts = _options(options, overrides)
    flow = plan(domain, dkim_selectors=dkim_selectors, sending_ips=sending_ips, eml=_eml_bytes(eml), dnsbls=dnsbls)
    from maildiag._shells import run_async

    start = time.monotonic()
    report = cast(DoctorReport, await run_async(cast(Any, flow), opts.resolver, opts.deadline))
    if not mta_sts_policy or not _announces_sts(report):
        return report
    import asyncio

    left = opts.deadline - (time.monotonic() - start)
    try:
        # On a thread (urllib blocks); the wait is bounded by the deadline whatever the socket does.
        text, why = await asyncio.wait_for(asyncio.to_thread(mta_sts.fetch, report.domain, left), max(left, 0.001))
    except TimeoutError:
        text, why = None, "deadline"
    return _with_policy(report, text, why)


def _announces_sts(report: DoctorReport) -> bool:
    """A valid ``_mta-sts`` TXT record was seen: only then is there a policy to fetch."""
    return "transport" in report.checks and not report.has("doctor.mta_sts.missing") and not report.has(
        "doctor.mta_sts.syntax") and not any(
        f.code == "doctor.dns_failed" and f.params.get("check") == "mta-sts" for f in report.findings)


def _with_policy(report: DoctorReport, text: str | None, why: str) -> DoctorReport:
    mx = next((a for a in report.dns if a.name == report.domain and a.rdtype == "MX"), None)
    hosts = [r.split()[-1].rstrip(".") for r in mx.records if len(r.split()) == 2] if mx else []
    found = mta_sts.findings(report.domain, text, why, [h for h in hosts if h])
    return dataclasses.replace(report, findings=report.findings + tuple(found),
                               checks=(*report.checks, "mta-sts-policy"))


#: Bounce reasons (maildiag.bounce.reasons) that are about the sender, not the recipient:
#: authentication (Gmail 5.7.26/5.7.27, Microsoft 5.7.515), blocklisting, reputation.
SENDER_REASONS = frozenset({"auth_failure", "blocked", "sender_rejected", "spam"})


def bounce_finding(reason: str, sending_domain: str | None, evidence: Iterable[str] = ()) -> Finding | None:
    """The "run doctor on your sending domain" finding for a bounce, or ``None``.

    ``reason`` is a bounce reason name (``BounceRecipient.reason``); ``sending_domain`` the
    domain of the bounced message's sender (its From or Return-Path). Only reasons in
    :data:`SENDER_REASONS` carry the finding; without a sending domain there is nothing to
    point the doctor at.
    """
    if reason not in SENDER_REASONS or not sending_domain:
        return None
    name = _domain(sending_domain.rsplit("@", 1)[-1])
    if name is None:
        return None
    return catalog.make("doctor.bounce.run_doctor", {"domain": name, "reason": reason,
                                                     "command": f"maildiag doctor {name}"}, evidence)
