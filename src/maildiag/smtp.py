"""SMTP probing: the values the core and the shells exchange, and the one coroutine that talks.

The core (:mod:`maildiag._core`) decides *whether* and *whom* to probe and yields a
:class:`Probe`; a shell runs :func:`probe` (the async shell directly, the sync shell with
``asyncio.run`` in a pool thread) and sends back a :class:`ProbeResult`; the core reads it.
This module only talks SMTP: it interprets nothing.

The dialogue stops before DATA (RFC 5321 §3.3): EHLO, MAIL FROM, then RCPT TO for each
recipient on the one connection, then QUIT. No message is ever sent.

aiosmtplib is an optional extra (``pip install maildiag[smtp]``) and is imported only
when a probe runs; without it, the result says ``error="unavailable"``.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses

from maildiag._ip import is_public_unicast, is_unusable
from maildiag._replies import STATUS_AT_START

__all__ = ["Probe", "ProbeResult", "Reply", "address_allowed", "parse_reply", "probe"]


@dataclasses.dataclass(frozen=True, slots=True)
class Reply:
    """One SMTP reply: the basic code (RFC 5321 §4.2), the enhanced status (RFC 3463) or
    ``""``, and the text after them (truncated)."""

    code: int
    enhanced: str = ""
    text: str = ""

    def describe(self) -> str:
        """``"550 5.1.1 User unknown"``: for evidence."""
        return " ".join(x for x in (str(self.code), self.enhanced, self.text) if x)


@dataclasses.dataclass(frozen=True, slots=True)
class Probe:
    """One SMTP connection to make: to ``address`` (an IP) of MX ``host`` on ``port``.

    ``rcpts`` are asked in order on the one connection: the real address first, then a
    random local part on the same domain (catch-all detection). ``allow_private`` lets the
    prober connect to loopback and private addresses (tests, intranets).
    """

    host: str
    address: str
    port: int
    helo: str
    mail_from: str
    rcpts: tuple[str, ...]
    allow_private: bool = False


@dataclasses.dataclass(frozen=True, slots=True)
class ProbeResult:
    """What one probe got, as plain values.

    ``stage`` is the last stage *reached*: ``connect``, ``ehlo``, ``mail``, ``rcpt`` or
    ``done``. ``reply`` is the refusal that stopped the dialogue before RCPT (a 554 banner,
    a 5.7.1 on MAIL...); ``rcpts`` pairs each recipient asked with its reply. ``error`` is
    set when no SMTP reply ended the dialogue: ``refused``, ``timeout``, ``deadline``,
    ``disconnected``, ``not_allowed``, ``unavailable`` or ``error``; ``detail`` says more.
    """

    probe: Probe
    stage: str
    reply: Reply | None = None
    rcpts: tuple[tuple[str, Reply], ...] = ()
    error: str | None = None
    detail: str = ""


def address_allowed(ip: str, allow_private: bool) -> bool:
    """May a probe connect to ``ip``? Only global unicast addresses, unless private ones are allowed.

    "Global unicast" is IANA's special-purpose registries (``maildiag._ip``): private, shared,
    loopback, link-local, site-local, documentation, benchmarking, reserved and multicast
    blocks are refused, and so are IPv6 forms carrying such an IPv4 address (6to4, Teredo,
    NAT64, IPv4-mapped). Even with ``allow_private``, the unspecified, multicast and
    broadcast addresses are refused: no mail server listens there. The core asks this before
    it yields a probe, and :func:`probe` asks it again before it connects.
    """
    if is_unusable(ip):
        return False
    return allow_private or is_public_unicast(ip)


def parse_reply(code: int, message: str) -> Reply:
    """Split aiosmtplib's ``(code, message)`` into a :class:`Reply`."""
    text = " ".join(message.split())
    match = STATUS_AT_START.match(text)
    enhanced = ""
    if match and match.group(1) == str(code)[0]:
        # RFC 3463 §3: the enhanced class must agree with the basic code's first digit.
        enhanced = match.group(0)
        text = text[match.end():].strip()
    return Reply(code, enhanced, text[:300])


async def probe(request: Probe, timeout: float) -> ProbeResult:
    """Run one probe within ``timeout`` seconds; every failure becomes a value."""
    if not address_allowed(request.address, request.allow_private):
        return ProbeResult(request, "connect", error="not_allowed", detail=request.address)
    try:
        import aiosmtplib
    except ImportError:
        return ProbeResult(request, "connect", error="unavailable", detail="aiosmtplib is not installed")

    stage = "connect"
    replies: list[tuple[str, Reply]] = []
    client = aiosmtplib.SMTP(
        hostname=request.address,
        port=request.port,
        timeout=timeout,
        local_hostname=request.helo,
        # We never send DATA, so nothing is gained by STARTTLS; it would only add round trips.
        start_tls=False,
        use_tls=False,
    )
    try:
        async with asyncio.timeout(timeout):
            try:
                await client.connect()
                stage = "ehlo"
                await client.ehlo(hostname=request.helo)
                stage = "mail"
                await client.mail(request.mail_from)
                stage = "rcpt"
                for rcpt in request.rcpts:
                    try:
                        code, message = await client.rcpt(rcpt)
                    except aiosmtplib.SMTPRecipientRefused as refused:
                        code, message = refused.code, refused.message
                    replies.append((rcpt, parse_reply(code, message)))
                stage = "done"
                with contextlib.suppress(aiosmtplib.SMTPException):
                    # QUIT politely (RFC 5321 §4.1.1.10), within the same time limit.
                    await client.quit()
            except aiosmtplib.SMTPResponseException as refused:
                return ProbeResult(request, stage, reply=parse_reply(refused.code, refused.message),
                                   rcpts=tuple(replies))
            finally:
                if client.is_connected:
                    client.close()
    except TimeoutError as exc:
        return ProbeResult(request, stage, rcpts=tuple(replies), error="timeout", detail=str(exc)[:200])
    except aiosmtplib.SMTPTimeoutError as exc:
        return ProbeResult(request, stage, rcpts=tuple(replies), error="timeout", detail=str(exc)[:200])
    except aiosmtplib.SMTPServerDisconnected as exc:
        return ProbeResult(request, stage, rcpts=tuple(replies), error="disconnected", detail=str(exc)[:200])
    except (aiosmtplib.SMTPConnectError, OSError) as exc:
        return ProbeResult(request, stage, rcpts=tuple(replies), error="refused", detail=str(exc)[:200])
    except aiosmtplib.SMTPException as exc:
        return ProbeResult(request, stage, rcpts=tuple(replies), error="error",
                           detail=f"{type(exc).__name__}: {exc}"[:200])
    return ProbeResult(request, stage, rcpts=tuple(replies))
