"""The optional SMTP probe: pure interpretation, safety, and real probes of loopback servers.

Every server here is aiosmtpd (or a silent socket) on 127.0.0.1 / 127.0.0.2; MX records
come from FakeResolver, so nothing leaves the machine.
"""

from __future__ import annotations

import asyncio
import builtins
import time
from typing import Any

import pytest

from maildiag import Options, Verdict, _core, adiagnose, diagnose
from maildiag._core import Probe, ProbeResult, Query, classify, interpret, plan
from maildiag.model import Blame, DnsAnswer, DnsStatus
from maildiag.smtp import Reply, address_allowed, parse_reply, probe
from maildiag.testing import FakeResolver

DOMAIN = "acme-widgets.example"
PROBING = {"smtp_probe": True, "helo": "probe.shop-mail.example", "mail_from": "bounces@shop-mail.example"}


def codes(diagnosis: Any) -> set[str]:
    return {f.code for f in diagnosis.findings}


def options_for(resolver: FakeResolver, *servers: tuple[str, int], **extra: Any) -> Options:
    return Options(
        resolver=resolver,
        allow_private_addresses=True,
        smtp_port_overrides=tuple(servers),
        deadline=extra.pop("deadline", 5.0),
        **{**PROBING, **extra},
    )


# -- options -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("helo", "mail_from"),
    [
        pytest.param(None, "bounces@shop-mail.example", id="no-helo"),
        pytest.param("probe.shop-mail.example", None, id="no-mail-from"),
        pytest.param("localhost", "bounces@shop-mail.example", id="helo-localhost"),
        pytest.param("gmail.com", "bounces@shop-mail.example", id="helo-gmail"),
        pytest.param("probe", "bounces@shop-mail.example", id="helo-not-fqdn"),
        pytest.param("probe.shop-mail.example", "someone@gmail.com", id="sender-gmail"),
        pytest.param("probe.shop-mail.example", "nobody", id="sender-no-domain"),
    ],
)
def test_probing_needs_our_own_helo_and_sender(helo: str | None, mail_from: str | None) -> None:
    with pytest.raises(ValueError, match="smtp_probe=True"):
        Options(smtp_probe=True, helo=helo, mail_from=mail_from)


def test_probing_options_stay_hashable() -> None:
    a = Options(**PROBING, smtp_port_overrides=[("127.0.0.1", 2525)])  # type: ignore[arg-type]
    b = Options(**PROBING, smtp_port_overrides=(("127.0.0.1", 2525),))  # type: ignore[arg-type]
    assert a == b and hash(a) == hash(b)
    assert a.data_view().smtp_port_overrides == (("127.0.0.1", 2525),)
    with pytest.raises(ValueError, match="ports"):
        Options(smtp_ports=(0,))


def test_probing_is_off_by_default() -> None:
    resolver = FakeResolver().mx(DOMAIN, f"mx.{DOMAIN}", address="127.0.0.1")
    d = diagnose(f"jane@{DOMAIN}", resolver=resolver, allow_private_addresses=True)
    assert not any(c.startswith("smtp.") for c in codes(d))
    assert "smtp" not in d.checks


@pytest.fixture
def no_connections(monkeypatch: pytest.MonkeyPatch) -> None:
    import aiosmtplib

    async def forbidden(self: Any, *args: Any, **kwargs: Any) -> Any:
        pytest.fail("the prober connected to an address it must refuse")

    monkeypatch.setattr(aiosmtplib.SMTP, "connect", forbidden)


# -- the pure interpretation -------------------------------------------------------------

#: A globally routable address for the pure tests, which never connect anywhere.
GLOBAL_IP = "93.184.216.34"

P = Probe(f"mx.{DOMAIN}", GLOBAL_IP, 25, "probe.shop-mail.example", "b@shop-mail.example",
          (f"jane@{DOMAIN}", f"mdrandom@{DOMAIN}"))


def rcpts(*replies: Reply) -> tuple[tuple[str, Reply], ...]:
    return tuple(zip(P.rcpts, replies, strict=False))


OK = Reply(250, "2.1.5", "OK")
UNKNOWN = Reply(550, "5.1.1", "User unknown")


@pytest.mark.parametrize(
    ("result", "code"),
    [
        pytest.param(ProbeResult(P, "done", rcpts=rcpts(OK, UNKNOWN)), "smtp.accepted", id="accepted"),
        pytest.param(ProbeResult(P, "done", rcpts=rcpts(OK, OK)), "smtp.catch_all", id="catch-all"),
        pytest.param(ProbeResult(P, "done", rcpts=rcpts(OK, Reply(451, "4.7.1", "Greylisted"))),
                     "smtp.accepted", id="no-catch-all-from-4xx"),
        pytest.param(ProbeResult(P, "done", rcpts=rcpts(OK, Reply(452, "4.5.3", "Too many recipients"))),
                     "smtp.accepted", id="no-catch-all-from-452"),
        pytest.param(ProbeResult(P, "done", rcpts=rcpts(UNKNOWN, UNKNOWN)), "smtp.mailbox_unknown", id="5.1.1"),
        pytest.param(ProbeResult(P, "done", rcpts=rcpts(Reply(550, "", "No such user here"))),
                     "smtp.mailbox_unknown", id="550-text"),
        pytest.param(ProbeResult(P, "done", rcpts=rcpts(Reply(552, "5.2.2", "Mailbox full"))),
                     "smtp.mailbox_full", id="5.2.2"),
        pytest.param(ProbeResult(P, "done", rcpts=rcpts(Reply(452, "4.2.2", "Over quota"))),
                     "smtp.mailbox_full", id="4.2.2"),
        pytest.param(ProbeResult(P, "done", rcpts=rcpts(Reply(451, "4.7.1", "Greylisted, try again later"))),
                     "smtp.greylisted", id="greylist"),
        pytest.param(ProbeResult(P, "done", rcpts=rcpts(Reply(450, "", "greylisted for 300 seconds"))),
                     "smtp.greylisted", id="greylist-text"),
        pytest.param(ProbeResult(P, "done", rcpts=rcpts(Reply(451, "4.3.0", "Temporary lookup failure"))),
                     "smtp.deferred", id="deferred"),
        pytest.param(ProbeResult(P, "done", rcpts=rcpts(Reply(550, "5.7.1", "User unknown or blocked"))),
                     "smtp.blocked", id="5.7.1-beats-text"),
        pytest.param(ProbeResult(P, "done", rcpts=rcpts(Reply(554, "", "Client host blocked by Spamhaus"))),
                     "smtp.blocked", id="blocklist-text"),
        pytest.param(ProbeResult(P, "done", rcpts=rcpts(Reply(553, "5.1.3", "Bad address syntax"))),
                     "smtp.mailbox_unknown", id="bad-mailbox-syntax"),  # RFC 3463 X.1.3: a bad address
        pytest.param(ProbeResult(P, "done", rcpts=rcpts(Reply(501, "5.5.4", "Invalid command arguments"))),
                     "smtp.rejected", id="other-5xx"),
        pytest.param(ProbeResult(P, "mail", reply=Reply(550, "5.7.1", "Listed at zen.spamhaus.org")),
                     "smtp.blocked", id="blocked-at-mail"),
        pytest.param(ProbeResult(P, "connect", reply=Reply(554, "", "No SMTP service here")),
                     "smtp.blocked", id="blocked-banner"),
        pytest.param(ProbeResult(P, "connect", error="refused", detail="Connection refused"),
                     "smtp.unreachable", id="refused"),
        pytest.param(ProbeResult(P, "connect", error="timeout"), "smtp.unreachable", id="port-25-blocked"),
        pytest.param(ProbeResult(P, "connect", error="deadline"), "smtp.unreachable", id="deadline"),
        pytest.param(ProbeResult(P, "connect", error="unavailable"), "smtp.unavailable", id="no-aiosmtplib"),
    ],
)
def test_interpretation(result: ProbeResult, code: str) -> None:
    assert [f.code for f in interpret(result)] == [code]


def test_greylisting_says_when_to_retry() -> None:
    (finding,) = interpret(ProbeResult(P, "done", rcpts=rcpts(Reply(451, "4.7.1", "Greylisted"))))
    # RFC 6647 §2.1: greylists hold for minutes; retrying at once only proves it again.
    assert int(str(finding.params["retry_after_seconds"])) >= 300


@pytest.mark.parametrize(
    ("code", "message", "expected"),
    [
        pytest.param(550, "5.1.1 <x@y>: User unknown", Reply(550, "5.1.1", "<x@y>: User unknown"), id="enhanced"),
        pytest.param(550, "User unknown", Reply(550, "", "User unknown"), id="plain"),
        pytest.param(550, "4.1.1 mismatched class", Reply(550, "", "4.1.1 mismatched class"), id="class-mismatch"),
    ],
)
def test_parse_reply(code: int, message: str, expected: Reply) -> None:
    assert parse_reply(code, message) == expected


def test_the_prober_reads_replies_as_the_bounce_parser_does() -> None:
    """One classifier of SMTP replies (maildiag._replies): a specific status code beats a
    catch-all word, a specific phrase beats a generic code (X.7.1, X.0.0), and the prober
    and the bounce parser agree on every reply."""
    assert classify(Reply(550, "5.1.1", "blocked")) == "unknown"
    assert classify(Reply(550, "5.7.1", "user unknown")) == "unknown"
    assert classify(Reply(550, "5.7.1", "Service unavailable, client host blocked")) == "blocked"
    assert classify(Reply(550, "", "Requested action not taken: mailbox unavailable")) == "unknown"
    assert classify(Reply(552, "", "Requested mail action aborted")) == "full"  # RFC 5321 §4.2.3
    assert classify(Reply(450, "4.7.1", "Greylisted, please try again later")) == "greylisted"
    assert classify(Reply(452, "4.2.2", "Mailbox full")) == "full"
    assert classify(Reply(451, "4.3.0", "Temporary local problem")) == "deferred"


@pytest.mark.parametrize(
    ("reply", "kind"),
    [
        (Reply(550, "5.1.1", "<jane@example.com>: Recipient address rejected: User unknown"), "unknown"),
        (Reply(550, "5.2.1", "The email account that you tried to reach is disabled."), "unknown"),
        (Reply(552, "5.2.2", "The email account that you tried to reach is over quota."), "full"),
        (Reply(554, "5.7.1", "Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org"),
         "blocked"),
        (Reply(550, "5.7.26", "Unauthenticated email from example.com is not accepted due to domain's DMARC policy"),
         "blocked"),
    ],
)
def test_probe_and_bounce_agree(reply: Reply, kind: str) -> None:
    """The same reply quoted in a bounce gets the reason the prober's answer stands for."""
    from maildiag.bounce import reasons

    assert classify(reply) == kind
    reason = reasons.classify(reply.enhanced, reply.text, command="RCPT", reply_code=reply.code)
    assert _core._PROBE_KIND.get(reason, "rejected") == kind


def drive_to_probe(address: str, options: Options, mx_ip: str) -> tuple[Any, Any]:
    """Run the core by hand through DNS up to its probe batch."""
    flow = plan(address, options)
    domain = address.rpartition("@")[2]
    assert next(flow) == (Query(domain, "MX"),)
    flow.send((DnsAnswer(domain, "MX", DnsStatus.OK, (f"10 mx.{domain}.",)),))
    batch = flow.send((DnsAnswer(f"mx.{domain}", "A", DnsStatus.OK, (mx_ip,)),
                       DnsAnswer(f"mx.{domain}", "AAAA", DnsStatus.NODATA)))
    return flow, batch


def test_core_asks_real_address_first_then_a_random_one() -> None:
    flow, batch = drive_to_probe(f"jane@{DOMAIN}", Options(**PROBING), GLOBAL_IP)  # type: ignore[arg-type]
    (p,) = batch
    assert isinstance(p, Probe)
    assert (p.host, p.address, p.port, p.helo) == (f"mx.{DOMAIN}", GLOBAL_IP, 25, "probe.shop-mail.example")
    assert p.rcpts[0] == f"jane@{DOMAIN}"
    assert p.rcpts[1].endswith(f"@{DOMAIN}") and p.rcpts[1] != p.rcpts[0]
    with pytest.raises(StopIteration) as done:
        flow.send((ProbeResult(p, "done", rcpts=((p.rcpts[0], UNKNOWN), (p.rcpts[1], UNKNOWN))),))
    d = done.value.value
    assert d.verdict is Verdict.UNDELIVERABLE and d.blame is Blame.ADDRESS
    assert "smtp" in d.checks


def test_core_tries_the_next_port_only_when_unreachable() -> None:
    options = Options(**PROBING, smtp_ports=(25, 587))  # type: ignore[arg-type]
    flow, (p25,) = drive_to_probe(f"jane@{DOMAIN}", options, GLOBAL_IP)
    (p587,) = flow.send((ProbeResult(p25, "connect", error="timeout"),))
    assert p587.port == 587
    with pytest.raises(StopIteration) as done:
        flow.send((ProbeResult(p587, "done", rcpts=((p587.rcpts[0], OK), (p587.rcpts[1], UNKNOWN))),))
    assert done.value.value.verdict is Verdict.OK
    assert done.value.value.confidence >= 0.9


@pytest.mark.parametrize(
    ("mx_host", "reason"),
    [
        pytest.param("acme-widgets-example.mail.protection.outlook.com", "accepts_all", id="m365"),
        pytest.param("gmail-smtp-in.l.google.com", "blocks", id="gmail"),
        pytest.param("mx1.acme.pphosted.com", "hides_mailbox", id="proofpoint"),
    ],
)
@pytest.mark.usefixtures("no_connections")
def test_providers_whose_answers_mean_nothing_are_not_probed(mx_host: str, reason: str) -> None:
    resolver = FakeResolver().mx(DOMAIN, mx_host, address="127.0.0.1")
    d = diagnose(f"jane@{DOMAIN}", options=options_for(resolver, ("127.0.0.1", 9)))
    skipped = [f for f in d.findings if f.code == "smtp.skipped"]
    assert [f.params["reason"] for f in skipped] == [reason]
    assert "smtp" not in d.checks


def test_undeliverable_domain_is_not_probed() -> None:
    resolver = FakeResolver().null_mx(DOMAIN)
    d = diagnose(f"jane@{DOMAIN}", options=Options(resolver=resolver, **PROBING))  # type: ignore[arg-type]
    assert d.verdict is Verdict.UNDELIVERABLE
    assert not any(c.startswith("smtp.") for c in codes(d))


# -- safety ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ip", "allowed", "allowed_private"),
    [
        pytest.param("8.8.8.8", True, True, id="global"),
        pytest.param("10.0.0.25", False, True, id="private"),
        pytest.param("127.0.0.1", False, True, id="loopback"),
        pytest.param("169.254.1.1", False, True, id="link-local"),
        pytest.param("240.0.0.1", False, True, id="reserved"),
        pytest.param("224.0.0.1", False, False, id="multicast"),
        pytest.param("0.0.0.0", False, False, id="unspecified"),
        pytest.param("fe80::1", False, True, id="v6-link-local"),
        pytest.param("not-an-ip", False, False, id="garbage"),
    ],
)
def test_address_allowed(ip: str, allowed: bool, allowed_private: bool) -> None:
    assert address_allowed(ip, False) is allowed
    assert address_allowed(ip, True) is allowed_private


@pytest.mark.usefixtures("no_connections")
def test_a_private_mx_is_never_connected_to() -> None:
    resolver = FakeResolver().mx(DOMAIN, f"mx.{DOMAIN}", address="10.0.0.25")
    d = diagnose(f"jane@{DOMAIN}", options=Options(resolver=resolver, **PROBING))  # type: ignore[arg-type]
    assert "mx.no_usable_host" in codes(d)
    assert "smtp" not in d.checks


@pytest.mark.usefixtures("no_connections")
async def test_the_prober_itself_refuses_private_addresses() -> None:
    request = Probe("mx.x.example", "10.0.0.25", 25, "probe.shop-mail.example", "b@shop-mail.example", ("a@x",))
    result = await probe(request, 1.0)
    assert result.error == "not_allowed"


def test_without_aiosmtplib_probing_is_a_finding(monkeypatch: pytest.MonkeyPatch, smtp_server: Any) -> None:
    host, port, handler = smtp_server(users=(f"jane@{DOMAIN}",))
    real_import = builtins.__import__

    def no_aiosmtplib(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "aiosmtplib":
            raise ImportError("No module named 'aiosmtplib'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_aiosmtplib)
    resolver = FakeResolver().mx(DOMAIN, f"mx.{DOMAIN}", address=host)
    d = diagnose(f"jane@{DOMAIN}", options=options_for(resolver, (host, port)))
    assert "smtp.unavailable" in codes(d)
    assert d.verdict is Verdict.OK
    assert handler.log == []


# -- real probes of loopback servers -----------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "local", "code", "verdict"),
    [
        pytest.param("list", "jane", "smtp.accepted", Verdict.OK, id="list-known"),
        pytest.param("list", "bob", "smtp.mailbox_unknown", Verdict.UNDELIVERABLE, id="list-unknown"),
        pytest.param("catchall", "jane", "smtp.catch_all", Verdict.UNKNOWN, id="catch-all"),
        pytest.param("greylist", "jane", "smtp.greylisted", Verdict.UNKNOWN, id="greylist"),
        pytest.param("block", "jane", "smtp.blocked", Verdict.UNKNOWN, id="blocked"),
    ],
)
async def test_probe_of_a_loopback_server_sync_and_async_agree(
    smtp_server: Any, mode: str, local: str, code: str, verdict: Verdict
) -> None:
    host, port, handler = smtp_server(users=(f"jane@{DOMAIN}",), mode=mode, grey_secs=600)
    resolver = FakeResolver().mx(DOMAIN, f"mx.{DOMAIN}", address=host)
    options = options_for(resolver, (host, port))
    sync = await asyncio.to_thread(diagnose, f"{local}@{DOMAIN}", options=options)
    handler.first_seen.clear()  # a fresh greylist for the second run
    async_ = await adiagnose(f"{local}@{DOMAIN}", options=options)
    assert code in codes(sync)
    assert sync.verdict is async_.verdict is verdict
    assert [f.code for f in sync.findings] == [f.code for f in async_.findings]
    assert handler.helos == ["probe.shop-mail.example"] * 2
    if mode != "block":
        # The real address is asked first on each connection, then a random one.
        asked = [rcpt for _, rcpt, _ in handler.log]
        assert asked[0] == asked[2] == f"{local}@{DOMAIN}".lower()
        assert asked[1] != asked[0] and asked[1].endswith(f"@{DOMAIN}")


async def test_the_most_preferred_usable_mx_is_probed(smtp_server: Any) -> None:
    host1, port1, first = smtp_server(users=(f"jane@{DOMAIN}",), host="127.0.0.1")
    host2, port2, second = smtp_server(users=(), host="127.0.0.2")
    resolver = FakeResolver().mx(DOMAIN, f"mx1.{DOMAIN}", address=host1)
    resolver.add(DOMAIN, "MX", f"20 mx2.{DOMAIN}.").address(f"mx2.{DOMAIN}", host2)
    d = await adiagnose(f"jane@{DOMAIN}", options=options_for(resolver, (host1, port1), (host2, port2)))
    assert "smtp.accepted" in codes(d)
    assert first.log and not second.log


async def test_unreachable_port_is_our_network(smtp_server: Any) -> None:
    from tests.smtp_servers import free_port

    resolver = FakeResolver().mx(DOMAIN, f"mx.{DOMAIN}", address="127.0.0.1")
    d = await adiagnose(f"jane@{DOMAIN}", options=options_for(resolver, ("127.0.0.1", free_port())))
    assert "smtp.unreachable" in codes(d)
    assert d.verdict is Verdict.UNKNOWN and d.blame is Blame.OUR_NETWORK


@pytest.mark.parametrize("run", ["sync", "async"])
async def test_deadline_covers_a_server_that_never_answers(silent_smtp_server: Any, run: str) -> None:
    server = silent_smtp_server
    resolver = FakeResolver().mx(DOMAIN, f"mx.{DOMAIN}", address=server.host)
    options = options_for(resolver, (server.host, server.port), deadline=0.3)
    started = time.monotonic()
    if run == "sync":
        d = await asyncio.to_thread(diagnose, f"jane@{DOMAIN}", options=options)
    else:
        d = await adiagnose(f"jane@{DOMAIN}", options=options)
    elapsed = time.monotonic() - started
    # Not a timing test: a generous bound that a probe ignoring the deadline (aiosmtplib's
    # own default timeout is 60 s) could never meet.
    assert elapsed < 5
    assert "smtp.unreachable" in codes(d)
    assert d.verdict is Verdict.UNKNOWN


async def test_a_shop_can_declare_its_gateway_reliable(smtp_server: Any) -> None:
    host, port, handler = smtp_server(users=())
    resolver = FakeResolver().mx(DOMAIN, f"mx.gw.{DOMAIN}", address=host)
    gateway = {"id": "our-gw", "name": "Our gateway", "kind": "security_gateway", "mx_suffixes": [f"gw.{DOMAIN}"]}
    skipped = await adiagnose(f"jane@{DOMAIN}", options=options_for(resolver, (host, port), extra_providers=(gateway,)))
    assert [f.params["reason"] for f in skipped.findings if f.code == "smtp.skipped"] == ["hides_mailbox"]
    assert handler.log == []
    reliable = {**gateway, "probe": "reliable"}
    probed = await adiagnose(f"jane@{DOMAIN}", options=options_for(resolver, (host, port), extra_providers=(reliable,)))
    assert "smtp.mailbox_unknown" in codes(probed)


def test_unknown_probe_policy_is_refused() -> None:
    from maildiag.providers import parse_entry

    with pytest.raises(ValueError, match="probe policy"):
        parse_entry({"id": "x", "name": "X", "kind": "hosting", "probe": "sometimes"})
