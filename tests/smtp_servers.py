"""Loopback SMTP peers for the probe tests (aiosmtpd), and a server that never speaks."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

from aiosmtpd.controller import Controller


class ProbeHandler:
    """An aiosmtpd handler answering RCPT like a real server would.

    ``mode``: ``list`` accepts only ``users``; ``catchall`` accepts every recipient;
    ``greylist`` answers 451 4.7.1 to each (sender, recipient) first seen less than
    ``grey_secs`` ago, then behaves like ``list``; ``block`` refuses MAIL with 5.7.1.
    """

    def __init__(self, users: tuple[str, ...] = (), mode: str = "list", grey_secs: float = 0.0) -> None:
        self.users = {u.lower() for u in users}
        self.mode, self.grey_secs = mode, grey_secs
        self.first_seen: dict[tuple[str, str], float] = {}
        self.log: list[tuple[str, str, str]] = []  # (mail_from, rcpt, reply)
        self.helos: list[str] = []

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        self.helos.append(hostname)
        session.host_name = hostname
        return responses

    async def handle_MAIL(self, server: Any, session: Any, envelope: Any, address: str, options: list[str]) -> str:
        if self.mode == "block":
            return "550 5.7.1 Service unavailable; client host blocked using zen.spamhaus.org"
        envelope.mail_from = address
        return "250 2.1.0 OK"

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: list[str]) -> str:
        key = (str(envelope.mail_from), address.lower())
        if self.mode == "greylist":
            now, first = time.monotonic(), self.first_seen.get(key)
            if first is None or now - first < self.grey_secs:
                self.first_seen.setdefault(key, now)
                reply = f"451 4.7.1 <{address}>: Recipient address rejected: Greylisted, try again later"
                self.log.append((*key, reply))
                return reply
        if self.mode == "catchall" or address.lower() in self.users:
            envelope.rcpt_tos.append(address)
            reply = "250 2.1.5 OK"
        else:
            reply = f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        self.log.append((*key, reply))
        return reply

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raise AssertionError("a probe must never send DATA")


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        port: int = s.getsockname()[1]
        return port


def start(handler: ProbeHandler, host: str = "127.0.0.1") -> Controller:
    controller = Controller(
        handler, hostname=host, port=free_port(host), server_hostname="mx.test.invalid", ready_timeout=5
    )
    controller.start()
    return controller


class SilentServer:
    """Accepts TCP connections and never says a word (a tarpit): for deadline tests."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.sock = socket.socket()
        self.sock.bind((host, 0))
        self.sock.listen(16)
        self.host, self.port = host, self.sock.getsockname()[1]
        self.accepted: list[socket.socket] = []
        self._stop = threading.Event()
        self.sock.settimeout(0.05)
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.accepted.append(conn)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        for conn in self.accepted:
            conn.close()
        self.sock.close()
