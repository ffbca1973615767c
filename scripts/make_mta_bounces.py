#!/usr/bin/env python3
"""Rebuild tests/corpora/mta-bounces: real bounces written by real MTAs on loopback.

    sudo python3 scripts/make_mta_bounces.py [--mta postfix,exim,opensmtpd,sendmail,dovecot,courier,nullmailer,dma] [--out DIR]

Debian 12, as root, with Debian's package mirror reachable (nothing else is needed: there is no
other network, and the system resolver may answer NXDOMAIN for every name, which this script
relies on for the "host not found" case). For each MTA, one after another (Debian installs one
mail-transport-agent at a time):

1. ``apt-get install`` the MTA (and ``vacation``), write a minimal configuration that delivers
   ``shop.example`` locally into Maildirs and sends every other domain either to a loopback
   "remote" server (aiosmtpd on 127.0.0.1:REMOTE_PORT, started by this script, which answers
   each recipient with the reply of its scenario), to a loopback port where nothing listens
   (connection refused), or through DNS (NXDOMAIN: host not found);
2. submit one message per scenario with ``sendmail -f shop@shop.example``;
3. wait for the bounces, delay warnings, delivery reports and auto-replies to land in the
   shop's Maildir (phase 1), then shorten the MTA's queue lifetime and flush so the deferred
   messages are given up (phase 2: "expired" bounces);
4. copy each message byte for byte into OUT as ``<mta>-<scenario>[-<phase>].eml`` and append
   its labels to ``manifest.tsv``. The labels come from the scenario table below (what was
   sent, to whom, and what the remote was told to answer), never from maildiag's output;
5. stop the MTA, purge every package this run installed, and delete the users it made.

The wording of every bounce is the MTA's own; only the remote server's SMTP replies (the
``REMOTE`` table) are ours.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime
import email
import email.policy
import os
import pwd
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "tests" / "corpora" / "mta-bounces"
REMOTE_PORT = 2591  # the loopback "remote" mail server (aiosmtpd, this script)
REFUSED_PORT = 2593  # nothing listens here: connection refused
SHOP = "shop@shop.example"
LOCAL_USERS = ("shop", "rosa")  # the shop (sender) and a customer with a vacation program
# The MTAs of the committed corpus ("dovecot" is Postfix delivering to Dovecot; it runs only
# the "-lmtp"/"-lda" scenarios).
MTAS = ("postfix", "exim", "opensmtpd", "sendmail", "dovecot", "courier", "nullmailer", "dma", "haraka")
PACKAGES = {
    "postfix": ["postfix"],
    "exim": ["exim4-daemon-light"],
    "opensmtpd": ["opensmtpd"],
    # procmail: sendmail's local mailer here, because it writes Maildirs (mail.local writes mbox)
    "sendmail": ["sendmail", "procmail"],
    "courier": ["courier-mta", "courier-authdaemon"],
    # Postfix hands the hosted mailboxes to Dovecot (LMTP, and the LDA through a pipe)
    "dovecot": ["postfix", "dovecot-core", "dovecot-lmtpd"],
    # a relay-only MTA: everything goes to one smarthost (the loopback remote), bounces too
    "nullmailer": ["nullmailer"],
    "dma": ["dma"],  # the DragonFly Mail Agent, here relay-only too (NULLCLIENT)
    "haraka": [],  # from npm (Node.js), not a Debian package: see Haraka.install
}
VERSION_OF = {"postfix": "postfix", "exim": "exim4-daemon-light", "opensmtpd": "opensmtpd",
              "sendmail": "sendmail-bin", "courier": "courier-mta", "dovecot": "dovecot-core",
              "nullmailer": "nullmailer", "dma": "dma"}

# What the loopback remote answers, by recipient; "rcpt" replies answer RCPT TO, "data" replies
# answer the end of DATA (the recipient was accepted, the message refused).
REMOTE: dict[str, tuple[str, str]] = {
    "amelia.hart@customers.example": (
        "rcpt", "550 5.1.1 <amelia.hart@customers.example>: no mailbox by that name is currently available"),
    "bruno.diaz@customers.example": (
        "rcpt", "552 5.2.2 <bruno.diaz@customers.example>: mailbox is over its storage quota"),
    "chen.wei@relay-closed.example": (
        "rcpt", "554 5.7.1 <chen.wei@relay-closed.example>: relaying denied, we do not accept mail for "
                "relay-closed.example from you"),
    "dana.kim@customers.example": (
        "data", "552 5.3.4 Message size exceeds the fixed limit of 10485760 bytes for this recipient"),
    "emil.novak@customers.example": (
        "data", "550 5.7.26 This message fails the DMARC policy of shop.example (p=reject): neither SPF "
                "nor DKIM are aligned with the From domain. Ask the sender's administrator to "
                "authenticate its mail."),
    "fatima.zahra@customers.example": (
        "data", "550 5.7.1 Message refused: our content filter scored it as spam (score 14.2, "
                "threshold 5.0). Ref: 8c1f2e"),
    "gus.olsen@customers.example": (
        "rcpt", "554 5.7.1 Service unavailable; client host [127.0.0.1] is listed on "
                "rbl.blocklist.example, see https://rbl.blocklist.example/query?ip=127.0.0.1"),
    "hana.sato@customers.example": (
        "rcpt", "451 4.3.0 <hana.sato@customers.example>: temporary system problem, please try again later"),
    "ivan.petrov@customers.example": (
        "rcpt", "452 4.2.2 <ivan.petrov@customers.example>: mailbox is full, try again later"),
    "liam.ortiz@customers.example": (
        "rcpt", "550 5.1.1 <liam.ortiz@customers.example>: no mailbox by that name is currently available"),
    "maya.roth@customers.example": (
        "rcpt", "552 5.2.2 <maya.roth@customers.example>: mailbox is over its storage quota"),
}


@dataclass(frozen=True)
class Label:
    """One recipient the bounce must name, as set up."""

    address: str
    reason: str  # Sisimai reason name (mapped by maildiag.bounce.reasons.sisimai_map)
    status: str  # the status the cause carries ("-" when the MTA makes it up)
    reply: str  # the SMTP reply code the remote gave, or "-"
    kind: str  # permanent / temporary (the cause), or delivered / autoreply / none


@dataclass(frozen=True)
class Scenario:
    """One message sent, and the labels of every message it makes come back."""

    name: str
    rcpts: tuple[str, ...]
    labels: tuple[Label, ...]  # the failures of the final report (phase 1, or 2 if delayed)
    delayed: tuple[Label, ...] = ()  # the recipients a delay warning names (phase 1)
    notify: str | None = None  # sendmail -N
    sender: str = SHOP
    note: str = ""
    extra: dict[str, str] = field(default_factory=dict)
    only: tuple[str, ...] = ()  # the MTAs that run it (empty: every MTA that is not ``own_only``)
    final_note: str = ""  # added to the notes of the final report of a delayed message


def _l(addr: str, reason: str, kind: str) -> Label:
    reply = REMOTE.get(addr, ("", "-"))[1].split(" ", 2)
    if len(reply) >= 2 and reply[0].isdigit():
        return Label(addr, reason, reply[1], reply[0], kind)
    return Label(addr, reason, "-", "-", kind)


_GIVEN_UP_NOTE = ("label expired until 2026-12-05 (after the first look): given up after a remote reply is "
                  "labelled by that reply (docs/bounces.md, section Given up after retries)")


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("user-unknown", ("amelia.hart@customers.example",),
             (_l("amelia.hart@customers.example", "userunknown", "permanent"),)),
    Scenario("mailbox-full", ("bruno.diaz@customers.example",),
             (_l("bruno.diaz@customers.example", "mailboxfull", "permanent"),)),
    Scenario("relay-denied", ("chen.wei@relay-closed.example",),
             (_l("chen.wei@relay-closed.example", "norelaying", "permanent"),)),
    Scenario("too-big", ("dana.kim@customers.example",),
             (_l("dana.kim@customers.example", "mesgtoobig", "permanent"),), note="refused at end of DATA"),
    Scenario("dmarc", ("emil.novak@customers.example",),
             (_l("emil.novak@customers.example", "authfailure", "permanent"),), note="refused at end of DATA"),
    Scenario("spam", ("fatima.zahra@customers.example",),
             (_l("fatima.zahra@customers.example", "spamdetected", "permanent"),), note="refused at end of DATA"),
    Scenario("blocklist", ("gus.olsen@customers.example",),
             (_l("gus.olsen@customers.example", "blocked", "permanent"),)),
    # Given up after retries: labelled by the last reply the remote gave (the dev corpus's
    # convention: qmail's "I'm not going to try again" after "450 4.2.2 Mailbox Full" is
    # mailboxfull there), and expired only when no server replied (connection-refused).
    Scenario("temp-failure", ("hana.sato@customers.example",),
             (_l("hana.sato@customers.example", "systemerror", "temporary"),),
             delayed=(_l("hana.sato@customers.example", "systemerror", "temporary"),),
             note="451 on every try: delay warning, then given up when the queue lifetime ends",
             final_note=_GIVEN_UP_NOTE),
    Scenario("full-temporary", ("ivan.petrov@customers.example",),
             (_l("ivan.petrov@customers.example", "mailboxfull", "temporary"),),
             delayed=(_l("ivan.petrov@customers.example", "mailboxfull", "temporary"),),
             note="452 on every try: delay warning, then given up when the queue lifetime ends",
             final_note=_GIVEN_UP_NOTE),
    Scenario("connection-refused", ("jules.martin@down.example",),
             (_l("jules.martin@down.example", "expired", "temporary"),),
             delayed=(_l("jules.martin@down.example", "networkerror", "temporary"),),
             note=f"routed to 127.0.0.1:{REFUSED_PORT}, where nothing listens"),
    Scenario("host-not-found", ("kira.bell@no-such-domain.example",),
             (_l("kira.bell@no-such-domain.example", "hostunknown", "permanent"),),
             note="the resolver answers NXDOMAIN"),
    Scenario("two-failures", ("liam.ortiz@customers.example", "maya.roth@customers.example",
                              "nora.quinn@customers.example"),
             (_l("liam.ortiz@customers.example", "userunknown", "permanent"),
              _l("maya.roth@customers.example", "mailboxfull", "permanent")),
             note="three recipients, one accepted"),
    Scenario("local-unknown", ("ghost@shop.example",),
             (_l("ghost@shop.example", "userunknown", "permanent"),), note="no such local user"),
    # Not bounces.
    Scenario("relayed-notice", ("olga.berg@customers.example",),
             (Label("olga.berg@customers.example", "delivered", "-", "-", "delivered"),), notify="success",
             note="NOTIFY=SUCCESS, accepted by the remote"),
    Scenario("vacation", ("rosa@shop.example",),
             (Label("rosa@shop.example", "vacation", "-", "-", "autoreply"),),
             note="auto-reply of vacation(1) from rosa's .forward"),
    Scenario("delivered-notice", ("rosa@shop.example",),
             (Label("rosa@shop.example", "delivered", "-", "-", "delivered"),), notify="success",
             note="NOTIFY=SUCCESS, delivered locally (vacation(1) answered rosa's previous message from the shop, so it stays silent)"),
    Scenario("customer-reply", (SHOP,), (Label("", "-", "-", "-", "none"),),
             sender="paul.white@customers.example", note="an ordinary message delivered to the shop"),
    # Dovecot's own rejections (appended: the order numbers above stay those of the committed
    # messages). The mailboxes are hosted by Dovecot with a quota smaller than one message.
    Scenario("quota-lmtp", ("petra.lund@customers.example",),
             (Label("petra.lund@customers.example", "mailboxfull", "-", "-", "permanent"),), only=("dovecot",),
             note="Postfix delivers by LMTP to Dovecot, whose quota (1 kB) the message exceeds"),
    Scenario("unknown-lmtp", ("quentin.rey@customers.example",),
             (Label("quentin.rey@customers.example", "userunknown", "-", "-", "permanent"),), only=("dovecot",),
             note="Postfix delivers by LMTP to Dovecot, which has no such user"),
    Scenario("quota-lda", ("sofia.lang@customers.example",),
             (Label("sofia.lang@customers.example", "mailboxfull", "-", "-", "permanent"),), only=("dovecot",),
             note="Postfix pipes to dovecot-lda, whose quota (1 kB) the message exceeds; the LDA sends its own "
                  "rejection"),
)

FIRST_ORDER = 1001


def order_number(scenario: Scenario) -> int:
    return FIRST_ORDER + SCENARIOS.index(scenario)


def message(scenario: Scenario) -> bytes:
    """The shop's message for a scenario (plain, realistic, identified by its Message-ID)."""
    n = order_number(scenario)
    if scenario.sender != SHOP:
        subject, body = f"Re: Your order #{n}", "Hello, can you tell me when my order will arrive?\n\nPaul\n"
        head = f"From: Paul White <{scenario.sender}>\nTo: Example Shop <{SHOP}>\n"
    else:
        subject = f"Your order #{n} has shipped"
        body = (f"Hello,\n\nyour order #{n} has shipped and should arrive within three days.\n"
                "Track it on https://shop.example/orders\n\nExample Shop\n")
        head = f"From: Example Shop <{SHOP}>\nTo: {', '.join(scenario.rcpts)}\n"
    if scenario.name == "too-big":
        # The remote refuses it at DATA by the reply above; an attachment makes it look the part.
        blob = "".join(f"{i:08d} invoice line, item {i % 97}, quantity {i % 7 + 1}\n" for i in range(2500))
        return (head + f"Subject: {subject}\nMessage-ID: <order-{n}@shop.example>\nMIME-Version: 1.0\n"
                "Content-Type: multipart/mixed; boundary=\"b1\"\n\n--b1\nContent-Type: text/plain\n\n"
                + body + "\n--b1\nContent-Type: text/plain; name=\"invoice.txt\"\n"
                "Content-Disposition: attachment; filename=\"invoice.txt\"\n\n" + blob + "--b1--\n").encode()
    return (head + f"Subject: {subject}\nMessage-ID: <order-{n}@shop.example>\nMIME-Version: 1.0\n"
            "Content-Type: text/plain; charset=utf-8\n\n" + body).encode()


# -- running things -------------------------------------------------------------------------------

def sh(cmd: str, check: bool = True, **kw: object) -> subprocess.CompletedProcess[str]:
    print("+", cmd, flush=True)
    return subprocess.run(cmd, shell=True, check=check, text=True, **kw)  # type: ignore[call-overload,no-any-return]


def installed_packages() -> set[str]:
    out = subprocess.run(["dpkg-query", "-W", "-f", "${Package} ${Status}\\n"], capture_output=True,
                         text=True, check=True).stdout
    return {line.split()[0] for line in out.splitlines() if line.endswith(" installed")}


def version(package: str) -> str:
    return subprocess.run(["dpkg-query", "-W", "-f", "${Version}", package], capture_output=True,
                          text=True, check=True).stdout


def port_free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


@contextlib.contextmanager
def remote_server() -> Iterator[None]:
    """The loopback "remote" mail server: answers each recipient with its scenario's reply."""
    from aiosmtpd.controller import Controller

    class Handler:
        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # type: ignore[no-untyped-def]
            stage, reply = REMOTE.get(address.lower(), ("", ""))
            if stage == "rcpt":
                return reply
            envelope.rcpt_tos.append(address)
            return "250 2.1.5 Recipient ok"

        async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
            for rcpt in envelope.rcpt_tos:
                stage, reply = REMOTE.get(rcpt.lower(), ("", ""))
                if stage == "data":
                    return reply
            for rcpt in envelope.rcpt_tos:
                local, _, domain = rcpt.lower().rpartition("@")
                if domain == "shop.example" and local in LOCAL_USERS:
                    # A relay-only MTA (nullmailer) sends everything here, its bounces to the
                    # shop too: deliver those as a final MTA does, with the Return-Path
                    # (RFC 5321 §4.4) that tells a bounce (<>) from a message.
                    sender = envelope.mail_from.strip("<>")  # aiosmtpd gives the null sender as "<>"
                    deliver(local, f"Return-Path: <{sender}>\r\n".encode() + envelope.original_content)
            return "250 2.0.0 Message accepted for delivery"

    if not port_free(REMOTE_PORT) or not port_free(REFUSED_PORT):
        raise SystemExit(f"port {REMOTE_PORT} or {REFUSED_PORT} is in use")
    controller = Controller(Handler(), hostname="127.0.0.1", port=REMOTE_PORT,
                            server_hostname="mx.customers.example", ready_timeout=10)
    controller.start()
    try:
        yield
    finally:
        controller.stop()


def deliver(user: str, raw: bytes) -> None:
    """Write ``raw`` into ``user``'s Maildir/new (tmp first, then rename: the Maildir way)."""
    maildir = Path(pwd.getpwnam(user).pw_dir) / "Maildir"
    name = f"{time.time_ns()}.{os.getpid()}.remote"
    (maildir / "tmp" / name).write_bytes(raw.replace(b"\r\n", b"\n"))
    os.rename(maildir / "tmp" / name, maildir / "new" / name)


def make_users() -> None:
    for user in LOCAL_USERS:
        with contextlib.suppress(KeyError):
            pwd.getpwnam(user)
            continue
        sh(f"useradd -m -s /bin/sh {user}")
    rosa = Path("/home/rosa")
    (rosa / ".forward").write_text('\\rosa, "|/usr/bin/vacation rosa"\n')
    (rosa / ".vacation.msg").write_text(
        "Subject: Out of office: $SUBJECT\n\nHello,\n\nI am away until Monday 14 December and read no mail "
        "until then.\nYour message will not be forwarded.\n\nRosa\n")
    sh("chown rosa:rosa /home/rosa/.forward /home/rosa/.vacation.msg && chmod 644 /home/rosa/.forward")
    sh("su rosa -c 'cd && /usr/bin/vacation -I'")
    for user in LOCAL_USERS:
        home = Path(pwd.getpwnam(user).pw_dir)
        for sub in ("cur", "new", "tmp"):
            (home / "Maildir" / sub).mkdir(parents=True, exist_ok=True)
        sh(f"chown -R {user}:{user} {home}/Maildir && chmod -R 700 {home}/Maildir")


def remove_users() -> None:
    for user in LOCAL_USERS:
        sh(f"userdel -r {user}", check=False, stderr=subprocess.DEVNULL)
        with contextlib.suppress(FileNotFoundError):
            os.remove(f"/var/mail/{user}")


def inbox() -> list[Path]:
    new = Path(pwd.getpwnam("shop").pw_dir) / "Maildir" / "new"
    return sorted(new.iterdir(), key=lambda p: (p.stat().st_mtime, p.name))


def wait_for(done: Callable[[list[Path]], bool], timeout: float, kick: str | None = None,
             every: float = 3.0) -> list[Path]:
    """Wait until ``done(files in the shop's Maildir)`` (or ``timeout`` s), running ``kick``."""
    end = time.monotonic() + timeout
    last_kick = 0.0
    while time.monotonic() < end:
        if done(inbox()):
            time.sleep(2)  # let a straggler (a second report) land too
            return inbox()
        if kick and time.monotonic() - last_kick > every:
            sh(kick, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            last_kick = time.monotonic()
        time.sleep(0.5)
    print(f"!! timeout with {len(inbox())} messages", flush=True)
    return inbox()


def reports(files: list[Path]) -> set[tuple[str, str]]:
    """(scenario name, report kind) of each message in ``files``."""
    out = set()
    for path in files:
        raw = path.read_bytes()
        scenario = scenario_of(raw)
        if scenario is not None:
            out.add((scenario.name, report_kind(raw)))
    return out


# -- the MTAs --------------------------------------------------------------------------------------

class MTA:
    name = ""
    kick: str | None = None  # a command that runs the queue
    own_only = False  # runs only the scenarios that name it (``Scenario.only``)
    refused_host = "127.0.0.1"  # where the connection-refused port is (see Sendmail)
    sendmail: tuple[str, ...] = ("/usr/sbin/sendmail",)  # the submission command
    warns = True  # sends delay warnings (phase 1 waits for them)
    given_up_as = "failure"  # the report kind of a message given up at the end of its lifetime
    skip: tuple[str, ...] = ()  # scenarios this MTA cannot run
    # Labels of this MTA's own behaviour, by scenario and report kind, where the scenario
    # table's do not describe what it did (set before the first look at its messages).
    relabel: dict[str, dict[str, tuple[Label, ...]]] = {}

    def runs(self, scenario: Scenario) -> bool:
        if scenario.name in self.skip:
            return False
        return self.name in scenario.only if (scenario.only or self.own_only) else True

    def install(self) -> None:
        sh("DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "
           + " ".join(PACKAGES[self.name]) + " vacation")

    def version_text(self) -> str:
        return version(VERSION_OF[self.name])

    def submit(self, scenario: Scenario) -> bool:
        """Submit the scenario's message; False when the MTA refused it at once (no bounce)."""
        args = [*self.sendmail, "-i", "-f", scenario.sender]
        if scenario.notify:
            args += ["-N", self.notify_word(scenario.notify)]
        args += list(scenario.rcpts)
        print("+", " ".join(args), flush=True)
        # Output to a file, not a pipe: an MTA that delivers in the background (Sendmail's
        # DeliveryMode=background) forks a child that keeps inherited pipes open until its
        # delivery ends, and waiting for the pipe to close would wait for the delivery.
        with tempfile.TemporaryFile() as output:
            done = subprocess.run(args, input=message(scenario), stdout=output, stderr=output)
            output.seek(0)
            print(output.read().decode(errors="replace"), end="", flush=True)
        return done.returncode == 0

    def notify_word(self, notify: str) -> str:
        return notify

    def configure(self) -> None: ...
    def start(self) -> None: ...
    def expire(self) -> None: ...
    def stop(self) -> None: ...


class Postfix(MTA):
    name = "postfix"
    kick = "postqueue -f"

    def install(self) -> None:
        sh("echo 'postfix postfix/main_mailer_type select No configuration' | debconf-set-selections")
        super().install()

    def configure(self) -> None:
        etc = Path("/etc/postfix")
        shutil.copy(etc / "master.cf.proto", etc / "master.cf")
        (etc / "main.cf").write_text(textwrap.dedent(f"""\
            compatibility_level = 3.6
            myhostname = mta.shop.example
            mydomain = shop.example
            myorigin = shop.example
            mydestination = shop.example, localhost
            inet_interfaces = loopback-only
            inet_protocols = ipv4
            mynetworks = 127.0.0.0/8
            home_mailbox = Maildir/
            alias_maps =
            alias_database =
            transport_maps = texthash:/etc/postfix/transport
            biff = no
            # short timers, so that delay warnings come within seconds (see README)
            delay_warning_time = 4s
            queue_run_delay = 2s
            minimal_backoff_time = 2s
            maximal_backoff_time = 3s
            maximal_queue_lifetime = 1d
            bounce_queue_lifetime = 1d
            smtp_connect_timeout = 5s
            """))
        (etc / "transport").write_text(
            f"customers.example smtp:[127.0.0.1]:{REMOTE_PORT}\n"
            f"relay-closed.example smtp:[127.0.0.1]:{REMOTE_PORT}\n"
            f"down.example smtp:[127.0.0.1]:{REFUSED_PORT}\n")
        # No SMTP listener (mail is submitted with sendmail), and no chroot (DNS lookups in a
        # chroot need copies of /etc files that Debian's init script would make).
        sh("postconf -MX smtp/inet && postconf -F '*/*/chroot = n'")
        sh("postfix check")

    def start(self) -> None:
        sh("postfix start")

    def expire(self) -> None:
        sh("postconf -e maximal_queue_lifetime=0 bounce_queue_lifetime=0 && postfix reload && sleep 1 "
           "&& postqueue -f")

    def stop(self) -> None:
        sh("postfix stop", check=False)
        time.sleep(2)


class Exim(MTA):
    name = "exim"
    kick = "exim4 -qf"

    def submit(self, scenario: Scenario) -> bool:
        if not scenario.notify:
            return super().submit(scenario)
        # Exim's -N means "do not deliver" (a debugging option), not DSN NOTIFY: ask for the
        # notice in an SMTP dialogue on stdin (exim -bs, a local SMTP submission; RFC 3461).
        notify = scenario.notify.upper()
        dialogue = (f"EHLO mta.shop.example\r\nMAIL FROM:<{scenario.sender}> RET=HDRS\r\n"
                    + "".join(f"RCPT TO:<{r}> NOTIFY={notify}\r\n" for r in scenario.rcpts)
                    + "DATA\r\n" + message(scenario).decode().replace("\n", "\r\n") + ".\r\nQUIT\r\n")
        print("+ exim4 -bs  # " + " ".join(scenario.rcpts), "NOTIFY=" + notify, flush=True)
        out = subprocess.run(["exim4", "-bs"], input=dialogue.encode(), capture_output=True, check=True)
        print(out.stdout.decode(errors="replace"), flush=True)
        return True

    def configure(self) -> None:
        Path("/etc/exim4/exim4.conf").write_text(textwrap.dedent(f"""\
            primary_hostname = mta.shop.example
            qualify_domain = shop.example
            domainlist local_domains = shop.example : localhost
            daemon_smtp_ports = {REFUSED_PORT + 1}
            local_interfaces = 127.0.0.1
            never_users = root
            host_lookup =
            rfc1413_hosts =
            ignore_bounce_errors_after = 1d
            timeout_frozen_after = 1d
            # short timers, so that delay warnings come within seconds (see README)
            delay_warning = 4s:1d
            # an empty item matches local SMTP (exim -bs): RFC 3461 DSN for it too
            dsn_advertise_hosts = : *
            # local SMTP submissions (exim -bs) need an RCPT ACL; without one every RCPT is refused
            acl_smtp_rcpt = accept

            begin routers
            to_remote:
              driver = manualroute
              domains = customers.example : relay-closed.example
              transport = remote_smtp
              route_list = * 127.0.0.1
              self = send
            to_down:
              driver = manualroute
              domains = down.example
              transport = down_smtp
              route_list = * 127.0.0.1
              self = send
            dnslookup:
              driver = dnslookup
              domains = ! +local_domains
              transport = remote_smtp
              no_more
            userforward:
              driver = redirect
              domains = +local_domains
              check_local_user
              file = $home/.forward
              allow_filter
              pipe_transport = address_pipe
              no_verify
              no_expn
              check_ancestor
            local_user:
              driver = accept
              domains = +local_domains
              check_local_user
              transport = maildir_home

            begin transports
            remote_smtp:
              driver = smtp
              port = {REMOTE_PORT}
              hosts_try_fastopen =
            down_smtp:
              driver = smtp
              port = {REFUSED_PORT}
              hosts_try_fastopen =
            maildir_home:
              driver = appendfile
              directory = $home/Maildir
              maildir_format
              delivery_date_add
              envelope_to_add
              return_path_add
              mode = 0600
            address_pipe:
              driver = pipe
              return_output

            begin retry
            *   *   F,1d,2s

            begin rewrite
            """))
        sh("exim4 -bV -C /etc/exim4/exim4.conf >/dev/null")

    def expire(self) -> None:
        conf = Path("/etc/exim4/exim4.conf")
        conf.write_text(conf.read_text().replace("*   *   F,1d,2s", "*   *   F,1s,1s"))
        time.sleep(2)
        sh("exim4 -qff", check=False)

    def stop(self) -> None:
        time.sleep(2)  # no daemon: queue runs (exim4 -qf) run in the foreground; let forks end


class OpenSMTPD(MTA):
    name = "opensmtpd"
    kick = "smtpctl schedule all"
    conf = Path("/etc/smtpd.conf")

    def configure(self) -> None:
        # The queue lifetime is written into each envelope when it is queued, so it cannot be
        # shortened afterwards as for the others: short from the start (warnings come first).
        self.conf.write_text(self.text("30s"))
        sh(f"smtpd -n -f {self.conf}")

    def text(self, ttl: str) -> str:
        return textwrap.dedent(f"""\
            # short timers, so that delay warnings come within seconds (see README)
            queue ttl {ttl}
            bounce warn-interval 4s
            smtp max-message-size 50M
            action "local" maildir
            action "remote" relay host smtp://127.0.0.1:{REMOTE_PORT} helo mta.shop.example
            action "down" relay host smtp://127.0.0.1:{REFUSED_PORT} helo mta.shop.example
            action "dns" relay helo mta.shop.example
            match from local for domain "shop.example" action "local"
            match from any for domain "shop.example" action "local"
            match from local for domain {{ "customers.example", "relay-closed.example" }} action "remote"
            match from local for domain "down.example" action "down"
            match from local for any action "dns"
            """)

    pid: int | None = None

    def notify_word(self, notify: str) -> str:
        # smtpd 6.8 answers "503 Unsupported option NOTIFY=success" to the lowercase word that
        # its own sendmail passes through (RFC 3461 §4.1 keywords are case-insensitive).
        return notify.upper()

    def start(self) -> None:
        # smtpd names itself (Reporting-MTA, MAILER-DAEMON@...) after /etc/mailname.
        Path("/etc/mailname").write_text("mta.shop.example\n")
        sh(f"smtpd -f {self.conf}")
        time.sleep(1)
        # smtpd daemonizes; its parent process is the one to stop (this Debian build's smtpctl
        # has no "stop" command).
        found = subprocess.run(["pgrep", "-o", "-f", f"^smtpd -f {self.conf}$"], capture_output=True, text=True)
        self.pid = int(found.stdout.split()[0]) if found.stdout.split() else None

    def expire(self) -> None:
        sh("smtpctl schedule all", check=False)  # the 30 s lifetime ends on its own

    def stop(self) -> None:
        if self.pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, 15)
            for _ in range(50):
                if not Path(f"/proc/{self.pid}").exists():
                    break
                time.sleep(0.1)
            self.pid = None


class Sendmail(MTA):
    name = "sendmail"
    # -Am: the MTA configuration (sendmail.cf), not Debian's submission one, which hands every
    # message to a daemon on port 25; this run starts no daemon at all.
    sendmail = ("/usr/sbin/sendmail", "-Am")
    # The second run flushes the submission queue (-Ac): vacation(1) submits its reply there,
    # and the MSP hands it to the daemon start() runs on 127.0.0.1:25.
    kick = "/usr/sbin/sendmail -Am -q; /usr/sbin/sendmail -Ac -q"
    pid_file = Path("/run/maildiag-sendmail.pid")
    # Sendmail remembers a host that refused a connection for the rest of the queue run, by
    # host, whatever the port: the refusing port is on 127.0.0.2 so the remote stays reachable.
    refused_host = "127.0.0.2"
    cf = Path("/etc/mail/sendmail.cf")

    def configure(self) -> None:
        etc = Path("/etc/mail")
        (etc / "maildiag.mc").write_text(textwrap.dedent(f"""\
            divert(-1)dnl
            include(`/usr/share/sendmail/cf/m4/cf.m4')dnl
            VERSIONID(`maildiag loopback corpus')dnl
            OSTYPE(`debian')dnl
            define(`confDOMAIN_NAME', `mta.shop.example')dnl
            define(`confCW_FILE', `-o /etc/mail/local-host-names')dnl
            define(`confDONT_PROBE_INTERFACES', `True')dnl
            dnl short timers, so that delay warnings come within seconds (see README)
            define(`confTO_QUEUEWARN', `4s')dnl
            define(`confTO_QUEUERETURN', `1d')dnl
            define(`confMIN_QUEUE_AGE', `0')dnl
            define(`confDELIVERY_MODE', `background')dnl
            define(`confTO_ICONNECT', `5s')dnl
            define(`confTO_CONNECT', `5s')dnl
            define(`ESMTP_MAILER_ARGS', `TCP $h {REMOTE_PORT}')dnl
            define(`RELAY_MAILER_ARGS', `TCP $h {REFUSED_PORT}')dnl
            FEATURE(`nocanonify')dnl
            FEATURE(`accept_unresolvable_domains')dnl
            FEATURE(`mailertable', `text -k0 -v1 /etc/mail/mailertable')dnl
            FEATURE(`local_procmail', `/usr/bin/procmail')dnl
            LOCAL_DOMAIN(`shop.example')dnl
            LOCAL_DOMAIN(`localhost')dnl
            MAILER(`local')dnl
            MAILER(`smtp')dnl
            MAILER(`procmail')dnl
            """))
        sh(f"m4 {etc}/maildiag.mc > {self.cf}")
        # Sendmail wants its own host name fully qualified at every start; when neither
        # /etc/hosts nor DNS (NXDOMAIN here) qualifies it, it logs "My unqualified host name
        # (...) unknown; sleeping for retry" and sleeps 60 s, on every submission and queue
        # run. A qualified alias in /etc/hosts (run_mta puts the file back) avoids that.
        short = socket.gethostname().split(".")[0]
        hosts = Path("/etc/hosts")
        hosts.write_text(f"127.0.1.1\t{short}.mta.shop.example {short}\n" + hosts.read_text())
        # Debian gives the queue and the map directory to smmta; root without CAP_DAC_OVERRIDE
        # (a container) cannot write there.
        sh("mkdir -p /var/lib/sendmail/host_status && chown root /var/spool/mqueue /var/lib/sendmail "
           "/var/lib/sendmail/host_status")
        (etc / "mailertable").write_text(
            "customers.example esmtp:[127.0.0.1]\n"
            "relay-closed.example esmtp:[127.0.0.1]\n"
            f"down.example relay:[{self.refused_host}]\n")
        # A text map: no makemap (Debian's refuses to write its .db here as root). Its value
        # column must be named (-v1 above): without it the lookup returns the key itself, and
        # every domain became "Host unknown".
        # procmail delivers into the Maildir when the path ends with a slash.
        Path("/etc/procmailrc").write_text("DEFAULT=$HOME/Maildir/\n")
        # Debian runs .forward programs through smrsh, which runs only what /etc/mail/smrsh has.
        smrsh = etc / "smrsh"
        smrsh.mkdir(exist_ok=True)
        with contextlib.suppress(FileExistsError):
            (smrsh / "vacation").symlink_to("/usr/bin/vacation")
        sh("/usr/sbin/sendmail -Am -bt -d0.1 < /dev/null | head -3", check=False)

    def expire(self) -> None:
        self.cf.write_text(self.cf.read_text().replace("O Timeout.queuereturn=1d", "O Timeout.queuereturn=1s"))
        time.sleep(2)
        sh(self.kick or "", check=False)

    def start(self) -> None:
        # A daemon only for the MSP's relay (Debian's submit.cf sends to [127.0.0.1]:25); the
        # scenarios' messages are submitted with -Am and delivered in the background.
        sh(f"/usr/sbin/sendmail -Am -bd -ODaemonPortOptions=Name=MTA,Addr=127.0.0.1,Port=25 "
           f"-OPidFile={self.pid_file}")

    def stop(self) -> None:
        time.sleep(2)  # deliveries run in the background from the submission; let them end
        if self.pid_file.exists():
            with contextlib.suppress(ValueError, ProcessLookupError):
                os.kill(int(self.pid_file.read_text().split()[0]), 15)
            self.pid_file.unlink(missing_ok=True)


class Dovecot(Postfix):
    """Postfix handing three hosted mailboxes to Dovecot: by LMTP, and through dovecot-lda.

    Runs only the scenarios that name it. Dovecot's quota is one byte, so every message is
    over it; its refusals and its LDA's rejection are Dovecot's own wording.
    """

    name = "dovecot"
    own_only = True
    lmtp_port = 2424
    home = Path("/var/tmp/maildiag-vmail")
    users = Path("/etc/dovecot/maildiag-users")

    def configure(self) -> None:
        super().configure()
        if "vmail" not in accounts()[0]:  # run_mta deletes the users the run made
            sh(f"useradd -r -d {self.home} -s /usr/sbin/nologin vmail")
        vmail = pwd.getpwnam("vmail")
        self.home.mkdir(parents=True, exist_ok=True)
        sh(f"chown vmail:vmail {self.home}")
        # The hosted mailboxes; quentin.rey has none (LMTP's unknown user).
        self.users.write_text("".join(
            f"{u}:{{PLAIN}}x:{vmail.pw_uid}:{vmail.pw_gid}::{self.home}/{u}::\n"
            for u in ("petra.lund@customers.example", "sofia.lang@customers.example")))
        Path("/etc/dovecot/dovecot.conf").write_text(textwrap.dedent(f"""\
            protocols = lmtp
            listen = 127.0.0.1
            ssl = no
            log_path = /var/log/maildiag-dovecot.log
            postmaster_address = postmaster@customers.example
            hostname = mx.customers.example
            mail_location = maildir:~/Maildir
            first_valid_uid = {vmail.pw_uid}
            passdb {{
              driver = passwd-file
              args = {self.users}
            }}
            userdb {{
              driver = passwd-file
              args = {self.users}
            }}
            mail_plugins = quota
            plugin {{
              quota = maildir:User quota
              quota_rule = *:storage=1B
            }}
            service lmtp {{
              inet_listener lmtp {{
                address = 127.0.0.1
                port = {self.lmtp_port}
              }}
            }}
            # The LDA runs as vmail (Postfix's pipe): a log and a stats socket it may write to.
            service stats {{
              unix_listener stats-writer {{
                mode = 0666
              }}
            }}
            protocol lda {{
              log_path = {self.home}/lda.log
              # The LDA mails its rejection through Postfix's sendmail.
              sendmail_path = /usr/sbin/sendmail
            }}
            """))
        etc = Path("/etc/postfix")
        with (etc / "master.cf").open("a") as fh:
            fh.write("dovecot-lda unix - n n - - pipe\n"
                     "  flags=DRhu user=vmail:vmail argv=/usr/lib/dovecot/dovecot-lda -f ${sender} "
                     "-a ${original_recipient} -d ${recipient}\n")
        (etc / "transport").write_text(
            f"petra.lund@customers.example lmtp:inet:127.0.0.1:{self.lmtp_port}\n"
            f"quentin.rey@customers.example lmtp:inet:127.0.0.1:{self.lmtp_port}\n"
            "sofia.lang@customers.example dovecot-lda:\n")
        sh("postconf -e dovecot-lda_destination_recipient_limit=1 && postfix check")

    def start(self) -> None:
        sh("dovecot")
        super().start()

    def stop(self) -> None:
        super().stop()
        sh("doveadm stop", check=False)
        time.sleep(1)


class Courier(MTA):
    name = "courier"
    kick = "courier flush"
    etc = Path("/etc/courier")

    def configure(self) -> None:
        control = {
            "me": "mta.shop.example",
            "defaultdomain": "shop.example",
            "locals": "shop.example\nmta.shop.example\nlocalhost",
            "esmtproutes": (f"customers.example: [127.0.0.1],{REMOTE_PORT}\n"
                            f"relay-closed.example: [127.0.0.1],{REMOTE_PORT}\n"
                            f"down.example: [127.0.0.1],{REFUSED_PORT}"),
            # short timers, so that delay warnings come within seconds (see README)
            # Courier fixes a message's expiry when it is queued (its control file keeps it), so
            # the queue lifetime cannot be shortened later as for the others: it is short from
            # the start, long enough for the delay warnings (phase 1) to come first.
            "warntime": "4s",
            "queuetime": "50s",
            "retryalpha": "2", "retrybeta": "3", "retrygamma": "2", "retrymaxdelta": "1",
        }
        for name, text in control.items():
            (self.etc / name).write_text(text + "\n")
        # Courier reads $HOME/.courier, not .forward: rosa keeps her copy and runs vacation(1),
        # through preline, which adds the "From " line vacation(1) wants (Courier gives none).
        rosa = Path(pwd.getpwnam("rosa").pw_dir)
        (rosa / ".courier").write_text("./Maildir\n| /usr/bin/preline /usr/bin/vacation rosa\n")
        sh("chown rosa:rosa /home/rosa/.courier && chmod 644 /home/rosa/.courier")
        sh("makealiases", check=False)

    def start(self) -> None:
        sh("authdaemond start", check=False)
        sh("courier start")

    def expire(self) -> None:
        sh("courier flush", check=False)  # queuetime (above) ends the deferred messages by itself

    def stop(self) -> None:
        sh("courier stop", check=False)
        sh("authdaemond stop", check=False)
        time.sleep(1)


#: What a relay-only MTA (one smarthost, no local delivery) cannot run: a second route, DNS, a
#: local mailbox.
RELAY_ONLY_SKIP = ("host-not-found", "connection-refused", "local-unknown", "relayed-notice", "vacation",
                   "delivered-notice", "customer-reply")


class Nullmailer(MTA):
    """A relay-only MTA: every message goes to one smarthost, which is the loopback remote.

    Nothing is delivered locally and there is one route, so the scenarios that need a local
    mailbox, a second route (connection refused) or DNS (host not found) do not run. A
    permanent refusal, or a message older than ``queuelifetime``, is bounced by
    nullmailer-dsn to the sender, through the same smarthost (the remote delivers it to the
    shop's Maildir).
    """

    name = "nullmailer"
    # No delay warning before the queue lifetime ends; then nullmailer-dsn writes the given-up
    # report as a delay notification (a 4.x.x status makes it one: Action: delayed, "a final
    # delivery status notification will be generated"), though the message is moved to the
    # failed queue and never tried again. That report is kept as it is: "-delay".
    warns = False
    given_up_as = "delay"
    # Its SMTP module gives a message up at the first refused RCPT TO: all three recipients of
    # "two-failures" come back failed with liam's "550 5.1.1 <liam...>" reply. The other two
    # mailboxes were never asked (the remote would have refused maya as full and taken nora),
    # so nothing is known about them: the cause is not theirs (undefined, not hard).
    relabel = {"two-failures": {"failure": (
        _l("liam.ortiz@customers.example", "userunknown", "permanent"),
        Label("maya.roth@customers.example", "undefined", "-", "-", "permanent"),
        Label("nora.quinn@customers.example", "undefined", "-", "-", "permanent"),
    )}}
    etc = Path("/etc/nullmailer")
    trigger = "/var/spool/nullmailer/trigger"
    kick = f"timeout 2 sh -c 'printf x > {trigger}'"
    skip = RELAY_ONLY_SKIP
    process: subprocess.Popen[bytes] | None = None

    def configure(self) -> None:
        Path("/etc/mailname").write_text("mta.shop.example\n")  # Debian's nullmailer reads it, not "me"
        control = {
            "remotes": f"127.0.0.1 smtp --port={REMOTE_PORT}",
            "defaultdomain": "shop.example",
            "adminaddr": "",  # else every local address is rewritten to it
            "pausetime": "2", "maxpause": "4",
            "queuelifetime": "3600",  # phase 1: temporary failures stay queued
        }
        for name, text in control.items():
            (self.etc / name).write_text(text + "\n")

    def start(self) -> None:
        self.process = subprocess.Popen(["setpriv", "--reuid=mail", "--regid=mail", "--init-groups",
                                         "/usr/sbin/nullmailer-send"])
        time.sleep(1)

    def expire(self) -> None:
        # Control files are reread each queue run. The lifetime must end for the deferred
        # messages (submitted a while ago) but not for the bounces it makes, which are queued
        # as new messages: a bounce older than the lifetime would be given up in turn, and a
        # bounce's bounce (null sender) goes nowhere.
        time.sleep(15)
        (self.etc / "queuelifetime").write_text("10\n")
        sh(self.kick, check=False)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None


class Dma(MTA):
    """The DragonFly Mail Agent, relay-only (NULLCLIENT) to the loopback remote, like nullmailer.

    It delivers each recipient in its own process, so "two-failures" would come back as two
    one-recipient bounces, the same as "user-unknown" and "mailbox-full": not run. It sends no
    delay warning and gives a message up when its queue file is older than five days
    (MAX_TIMEOUT, compiled in): ``expire`` ages the queue files by five days and flushes.
    """

    name = "dma"
    warns = False
    kick = "dma -q"
    skip = (*RELAY_ONLY_SKIP, "two-failures")

    def configure(self) -> None:
        Path("/etc/dma/dma.conf").write_text(
            f"SMARTHOST 127.0.0.1\nPORT {REMOTE_PORT}\nMAILNAME mta.shop.example\nNULLCLIENT\n")

    def expire(self) -> None:
        sh("find /var/spool/dma -type f -exec touch -d '6 days ago' {} +", check=False)
        sh("dma -q", check=False)

    def stop(self) -> None:
        sh("pkill -x dma", check=False)
        time.sleep(1)


HARAKA_VERSION = "3.3.4"


class Haraka(MTA):
    """Haraka (Node.js, from npm), relaying for loopback clients, routed by a small plugin.

    Not a Debian package: ``npm install Haraka`` into a scratch directory (the npm registry is
    the one network this needs besides Debian's). Submission is by SMTP; a plugin makes every
    client a relay client and routes every domain to the loopback remote, ``down.example`` to
    the refused port, and leaves ``no-such-domain.example`` to DNS (NXDOMAIN). Its bounces go
    out through the same route, to the remote, which delivers them to the shop's Maildir. No
    local delivery (so no vacation, receipts or local user), no delay warnings; temporary
    failures are retried twice, five seconds apart (its shortest interval), then bounced.
    """

    name = "haraka"
    warns = False
    skip = ("local-unknown", "relayed-notice", "vacation", "delivered-notice", "customer-reply")
    port = 2595
    home = Path("/var/tmp/maildiag-haraka")
    process: subprocess.Popen[bytes] | None = None

    def install(self) -> None:
        super().install()  # vacation, for make_users
        if shutil.which("npm") is None:
            sh("DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends nodejs npm")
        self.home.mkdir(parents=True, exist_ok=True)
        sh(f"npm install --no-audit --no-fund --prefix {self.home} Haraka@{HARAKA_VERSION}")

    def version_text(self) -> str:
        return HARAKA_VERSION + " (npm)"

    def configure(self) -> None:
        srv = self.home / "srv"
        sh(f"{self.home}/node_modules/.bin/haraka -i {srv}", stdout=subprocess.DEVNULL)
        (srv / "plugins" / "maildiag_loopback.js").write_text(textwrap.dedent(f"""\
            // Loopback routing for scripts/make_mta_bounces.py (maildiag).
            exports.hook_connect = function (next, connection) {{
                connection.relaying = true
                next()
            }}
            exports.hook_rcpt = function (next) {{
                next(OK)
            }}
            exports.hook_get_mx = function (next, hmail, domain) {{
                if (domain === 'down.example') return next(OK, {{ exchange: '127.0.0.1', port: {REFUSED_PORT} }})
                if (domain === 'no-such-domain.example') return next()
                return next(OK, {{ exchange: '127.0.0.1', port: {REMOTE_PORT} }})
            }}
            """))
        config = {"plugins": "maildiag_loopback", "smtp.ini": f"listen=127.0.0.1:{self.port}\nnodes=0",
                  "me": "mta.shop.example", "outbound.ini": "temp_fail_intervals=5s*2\nenable_tls=false"}
        for name, text in config.items():
            (srv / "config" / name).write_text(text + "\n")

    def start(self) -> None:
        self.process = subprocess.Popen([f"{self.home}/node_modules/.bin/haraka", "-c", str(self.home / "srv")],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        end = time.monotonic() + 30
        while port_free(self.port) and time.monotonic() < end:
            time.sleep(0.5)

    def submit(self, scenario: Scenario) -> bool:
        import smtplib

        print(f"+ SMTP to 127.0.0.1:{self.port}: {scenario.sender} -> {' '.join(scenario.rcpts)}", flush=True)
        with smtplib.SMTP("127.0.0.1", self.port, timeout=30) as client:
            # SMTP lines end in CRLF (RFC 5321 §2.3.8); Haraka refuses a bare LF.
            client.sendmail(scenario.sender, list(scenario.rcpts), message(scenario).replace(b"\n", b"\r\n"))
        return True

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None


MTA_CLASSES: dict[str, type[MTA]] = {"postfix": Postfix, "exim": Exim, "opensmtpd": OpenSMTPD,
                                    "sendmail": Sendmail, "dovecot": Dovecot, "courier": Courier,
                                    "nullmailer": Nullmailer, "dma": Dma, "haraka": Haraka}


# -- collecting -----------------------------------------------------------------------------------

MANIFEST_FIELDS = ["file", "expected_recipients", "expected_reason", "expected_status", "expected_replycode",
                   "expected_hardbounce", "expected_kind", "is_bounce", "mta", "scenario", "report",
                   "remote_reply", "notes"]
HARD = {"userunknown", "hostunknown"}


def scenario_of(raw: bytes) -> Scenario | None:
    text = raw.decode("latin-1")
    m = re.search(r"order-(\d{4})@shop\.example", text) or re.search(r"order #(\d{4})", text)
    if m is None:
        return None
    index = int(m.group(1)) - FIRST_ORDER
    return SCENARIOS[index] if 0 <= index < len(SCENARIOS) else None


def report_kind(raw: bytes) -> str:
    """What came back, from its envelope and DSN (to pick labels; never maildiag's reading)."""
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    text = raw.decode("latin-1")
    actions = {a.lower() for a in re.findall(r"(?im)^Action:\s*(\w+)", text)}
    if re.search(r"(?im)^From:.*\brosa@", text):
        return "autoreply" if "out of office" in (msg.get("Subject") or "").lower() else "message"
    # Sendmail's local delivery writes the null reverse-path as <MAILER-DAEMON>.
    if msg.get("Return-Path", "").strip() not in ("<>", "", "<MAILER-DAEMON>"):
        return "message"
    if actions & {"delivered", "relayed", "expanded"} and not actions & {"failed", "delayed"}:
        return "success"
    if not actions and re.search(r"(?i)\breturn receipt\b", msg.get("Subject") or ""):
        return "success"  # Sendmail's receipt for an alias it expanded has no recipient fields
    if actions == {"delayed"} or (not actions and re.search(r"(?i)delay", msg.get("Subject") or "")):
        return "delay"
    return "failure"


def labels_for(scenario: Scenario, report: str, phase: int) -> tuple[Label, ...]:
    if report == "delay":
        return scenario.delayed
    if report in ("success", "autoreply", "message"):
        return scenario.labels
    return scenario.labels


def collect(mta: MTA, files: list[Path], phase: int, out: Path, rows: list[dict[str, str]],
            seen: set[str], version_text: str) -> None:
    for path in files:
        raw = path.read_bytes()
        scenario = scenario_of(raw)
        report = report_kind(raw)
        if scenario is None:
            print(f"!! unidentified message {path.name}", flush=True)
            continue
        if report == "message" and scenario.name != "customer-reply":
            print(f"!! unexpected copy of {scenario.name} ({path.name}): skipped", flush=True)
            continue
        suffix = {"delay": "-delay", "failure": "-final" if scenario.delayed else ""}.get(report, "")
        name = f"{mta.name}-{scenario.name}{suffix}.eml"
        if name in seen:
            print(f"!! second {name}: skipped", flush=True)
            continue
        seen.add(name)
        (out / name).write_bytes(raw)
        labels = mta.relabel.get(scenario.name, {}).get(report) or labels_for(scenario, report, phase)
        kind = " ".join(lab.kind for lab in labels)
        failure = bool(labels) and labels[0].kind in ("permanent", "temporary")
        rows.append({
            "file": name,
            "expected_recipients": " ".join(lab.address for lab in labels if failure or lab.kind != "none"),
            "expected_reason": " ".join(lab.reason for lab in labels),
            "expected_status": " ".join(lab.status for lab in labels),
            "expected_replycode": " ".join(lab.reply for lab in labels),
            "expected_hardbounce": " ".join(
                "1" if lab.reason in HARD and lab.kind == "permanent" else "0" for lab in labels),
            "expected_kind": kind,
            "is_bounce": "0" if kind == "none" else "1",
            "mta": f"{mta.name} {version_text}",
            "scenario": scenario.name,
            "report": {"delay": "delay warning", "failure": "final bounce", "success": "success DSN",
                       "autoreply": "auto-reply", "message": "ordinary message"}[report],
            "remote_reply": " | ".join(REMOTE[a][1] for a in scenario.rcpts if a in REMOTE),
            "notes": "; ".join(filter(None, (
                scenario.note.replace("127.0.0.1:", f"{mta.refused_host}:"),
                scenario.final_note if suffix == "-final" else ""))),
        })


def accounts() -> tuple[set[str], set[str]]:
    users = {line.split(":")[0] for line in Path("/etc/passwd").read_text().splitlines() if line}
    groups = {line.split(":")[0] for line in Path("/etc/group").read_text().splitlines() if line}
    return users, groups


def run_mta(name: str, out: Path, rows: list[dict[str, str]], refusals: list[str]) -> str:
    mta = MTA_CLASSES[name]()
    before = installed_packages()
    users_before, groups_before = accounts()
    mailname = Path("/etc/mailname")
    mailname_before = mailname.read_bytes() if mailname.exists() else None
    hosts = Path("/etc/hosts")
    hosts_before = hosts.read_bytes()
    try:
        mta.install()
        version_text = mta.version_text()
        make_users()
        mta.configure()
        with remote_server():
            mta.start()
            sent = [s for s in SCENARIOS if mta.runs(s) and mta.submit(s)]
            for refused in (s for s in SCENARIOS if mta.runs(s) and s not in sent):
                # Refused at submission (the sendmail command failed). Sendmail refuses an unknown
                # local user this way (exit 67) and also mails the sender a bounce, which is kept.
                print(f"!! {name} refused {refused.name} at submission", flush=True)
                refusals.append(f"{name}: {refused.name}")
            # Phase 1: immediate bounces, delay warnings, notices, the auto-reply, the message.
            def phase1_done(files: list[Path]) -> bool:
                got = {name for name, _ in reports(files)}
                return all(s.name in got for s in sent if not s.delayed or mta.warns) and all(
                    (s.name, "delay") in reports(files) for s in sent if s.delayed and mta.warns)

            phase1 = wait_for(phase1_done, 90, mta.kick)
            seen: set[str] = set()
            collect(mta, phase1, 1, out, rows, seen, version_text)
            done = {p.name for p in phase1}
            # Phase 2: the queue lifetime ends, the deferred messages are given up.
            mta.expire()
            phase2 = [p for p in wait_for(
                lambda files: all((s.name, mta.given_up_as) in reports(files) for s in sent if s.delayed),
                90, mta.kick)
                if p.name not in done]
            collect(mta, phase2, 2, out, rows, seen, version_text)
            mta.stop()
        return version_text
    finally:
        mta.stop()
        remove_users()
        added = installed_packages() - before
        if added:
            sh("DEBIAN_FRONTEND=noninteractive apt-get purge -y -q " + " ".join(sorted(added)), check=False)
        # What purge leaves (queues, the configuration files this script wrote), only for the
        # MTA this run installed.
        leftovers = {"postfix": ("/etc/postfix", "/var/spool/postfix", "/var/lib/postfix"),
                     "exim": ("/etc/exim4", "/var/spool/exim4", "/var/log/exim4"),
                     "opensmtpd": ("/etc/smtpd.conf", "/var/spool/smtpd"),
                     "sendmail": ("/etc/mail", "/var/spool/mqueue", "/var/spool/mqueue-client",
                                  "/var/lib/sendmail", "/etc/procmailrc"),
                     "courier": ("/etc/courier", "/var/lib/courier", "/var/spool/courier", "/etc/authlib",
                                 "/run/courier"),
                     "dovecot": ("/etc/postfix", "/var/spool/postfix", "/var/lib/postfix", "/etc/dovecot",
                                 "/var/tmp/maildiag-vmail", "/var/log/maildiag-dovecot.log", "/var/lib/dovecot"),
                     "nullmailer": ("/etc/nullmailer", "/var/spool/nullmailer"),
                     "dma": ("/etc/dma", "/var/spool/dma"),
                     "haraka": (str(Haraka.home),)}
        if set(PACKAGES[name]) <= added:
            for leftover in map(Path, leftovers[name]):
                if leftover.is_dir():
                    shutil.rmtree(leftover, ignore_errors=True)
                elif leftover.exists():
                    leftover.unlink()
        hosts.write_bytes(hosts_before)  # Sendmail.configure adds a line
        # exim4-config and this script write /etc/mailname: put back what was there.
        if mailname_before is None:
            mailname.unlink(missing_ok=True)
        else:
            mailname.write_bytes(mailname_before)
        # Debian's purge keeps the system users a package made (Debian-exim, opensmtpd...).
        users_after, groups_after = accounts()
        for user in sorted(users_after - users_before):
            sh(f"userdel {user}", check=False)
        for group in sorted(accounts()[1] - groups_before):
            sh(f"groupdel {group}", check=False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--mta", default=",".join(MTAS),
                        help="comma-separated, in order (default: " + ", ".join(MTAS) + ")")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("run as root (it installs and removes Debian packages)")
    names = [n for n in args.mta.split(",") if n]
    args.out.mkdir(parents=True, exist_ok=True)
    for old in args.out.glob("*.eml"):
        if old.name.split("-", 1)[0] in names:
            old.unlink()
    manifest = args.out / "manifest.tsv"
    rows: list[dict[str, str]] = []
    if manifest.exists():
        with manifest.open(encoding="utf-8") as fh:
            rows = [r for r in csv.DictReader(fh, delimiter="\t") if r["mta"].split()[0] not in names]
    versions = {}
    refusals: list[str] = []
    for name in names:
        versions[name] = run_mta(name, args.out, rows, refusals)
    rows.sort(key=lambda r: r["file"])
    with manifest.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, MANIFEST_FIELDS, delimiter="\t", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"{datetime.date.today()}: {len(rows)} messages; " + ", ".join(f"{k} {v}" for k, v in versions.items()))
    if refusals:
        print("refused at submission (no bounce made): " + ", ".join(refusals))
    return 0


if __name__ == "__main__":
    sys.exit(main())
