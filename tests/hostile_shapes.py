"""Adversarial input shapes of a given size, shared by tests/test_growth.py and bench/bench_growth.py.

Each builder returns about ``size`` bytes of one shape that has made a parser slow somewhere
(issue 9.1): one field folded over many lines, many MIME parts, deep nesting, one huge line,
many addresses, and the address-repair shape ``x<@@@...<``. None of them is a real bounce;
they only have to reach the code that reads such text.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable


def best_time(work: Callable[[], object], repeats: int = 3) -> float:
    """The least CPU time of ``repeats`` runs of ``work``, in seconds.

    CPU time of this process, not wall time: other processes on a shared machine (a CI
    runner, parallel jobs) then cost nothing here, and the minimum of a few runs drops what
    noise is left. The garbage collector is off while a run is timed, so that a collection
    triggered by earlier work is not charged to it.
    """
    best = float("inf")
    enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(repeats):
            start = time.process_time()
            work()
            best = min(best, time.process_time() - start)
    finally:
        if enabled:
            gc.enable()
    return best


_HEAD = (
    "From: MAILER-DAEMON@mx.example.org\n"
    "To: shop@example.net\n"
    "Subject: Undelivered Mail Returned to Sender\n"
    "MIME-Version: 1.0\n"
    'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\n\n'
)


def _repeat(unit: str, size: int) -> str:
    return unit * max(1, size // len(unit))


def folded_field(size: int) -> bytes:
    """A DSN whose Diagnostic-Code continues over ``size`` bytes of folded lines (RFC 5322 §2.2.3)."""
    dsn = (
        "--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.org\n\n"
        "Final-Recipient: rfc822; jane@example.org\nAction: failed\nStatus: 5.1.1\n"
        "Diagnostic-Code: smtp; 550 5.1.1 unknown user\n"
    )
    return (_HEAD + dsn + _repeat(" and the reply goes on and on here\n", size) + "--B--\n").encode()


def many_parts(size: int) -> bytes:
    part = "--B\nContent-Type: text/plain\n\n550 5.1.1 <jane@example.org>: user unknown\n"
    return (_HEAD + _repeat(part, size) + "--B--\n").encode()


def deep_nesting(size: int) -> bytes:
    levels = max(1, size // 60)
    opening = "".join(f'Content-Type: multipart/mixed; boundary="b{i}"\n\n--b{i}\n' for i in range(levels))
    return (_HEAD + "--B\n" + opening + "Content-Type: text/plain\n\n550 user unknown <jane@example.org>\n").encode()


def huge_line(size: int) -> bytes:
    return (_HEAD + "--B\nContent-Type: text/plain\n\n550 5.1.1 " + "a" * size + "\n--B--\n").encode()


def many_addresses(size: int) -> bytes:
    unit = "550 5.1.1 <user{}@example.org>: Recipient address rejected\n"
    count = max(1, size // len(unit))
    body = "".join(unit.format(i) for i in range(count))
    return (_HEAD + "--B\nContent-Type: text/plain\n\n" + body + "--B--\n").encode()


def at_signs(size: int) -> bytes:
    """The address-repair shape of issue 9.1: ``x<`` then many ``@`` then ``<``."""
    return (_HEAD + "--B\nContent-Type: text/plain\n\nx<" + "@" * size + "<\n--B--\n").encode()


def many_parameters(size: int) -> bytes:
    """A Content-Type with ``size`` bytes of parameters: the stdlib's parameter parser is
    quadratic, and it runs on every boundary and charset lookup."""
    params = _repeat(';\n a="b"', size)
    return (_HEAD.replace('boundary="B"', 'boundary="B"' + params)
            + "--B\nContent-Type: text/plain; charset=utf-8" + params
            + "\n\n550 5.1.1 <jane@example.org>: user unknown\n--B--\n").encode()


def encoded_subject(size: int) -> bytes:
    """RFC 2047 encoded words over ``size`` bytes, in the bounce's Subject and in the
    returned message's (the stdlib's decoder is quadratic in their number)."""
    words = _repeat("\n =?utf-8?q?caf=C3=A9?=", size // 2)
    return (_HEAD.replace("Subject: Undelivered Mail Returned to Sender", "Subject: Undelivered" + words)
            + "--B\nContent-Type: text/plain\n\n550 5.1.1 <jane@example.org>: user unknown\n"
            + "--B\nContent-Type: message/rfc822\n\nFrom: shop@example.net\nTo: jane@example.org\n"
            + "Subject: order" + words + "\nhello\n--B--\n").encode()


def long_address_header(size: int) -> bytes:
    """An X-Failed-Recipients (Exim) naming ``size`` bytes of addresses."""
    count = max(1, size // 20)
    names = ",\n ".join(f"u{i}@example.org" for i in range(count))
    return (_HEAD.replace("To: ", "X-Failed-Recipients: " + names + "\nTo: ")
            + "--B\nContent-Type: text/plain\n\n550 5.1.1 user unknown\n--B--\n").encode()


def many_dsn_recipients(size: int) -> bytes:
    """A delivery-status part with a recipient group per 60 bytes (RFC 3464 §2.3)."""
    unit = "Final-Recipient: rfc822; u{}@example.org\nAction: failed\nStatus: 5.1.1\n\n"
    count = max(1, size // len(unit))
    groups = "".join(unit.format(i) for i in range(count))
    return (_HEAD + "--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.org\n\n"
            + groups + "--B--\n").encode()


def nested_forwards(size: int) -> bytes:
    """A person's forward of a forward of a forward... of a notice, over ``size`` bytes: each
    level is unwrapped by decoders/forwarded.py, two levels at most."""
    level = ("\n---------- Forwarded message ---------\nFrom: Mail Delivery System <MAILER-DAEMON@mx.example.org>\n"
             "Subject: Fwd: Undelivered Mail Returned to Sender\nTo: shop@example.net\n\n")
    notice = "<jane@example.org>: host mx.example.org said: 550 5.1.1 user unknown\n"
    return ("From: Dana <dana@example.net>\nTo: help@example.net\nSubject: Fwd: bounce\n\n"
            + _repeat(level, size) + notice).encode()


def pasted_sender_lines(size: int) -> bytes:
    """A headerless body quoting ``size`` bytes of "From: Name <address>" lines on one line
    and on many, between recipients (each mention's line is read back, within a bound)."""
    unit = "  From: Example Shop <shop{}@example.net> To: u{}@example.org could not be delivered "
    count = max(1, size // len(unit))
    return "".join(unit.format(i, i) for i in range(count)).encode()


BOUNCE_SHAPES: dict[str, Callable[[int], bytes]] = {
    "folded field": folded_field,
    "many parts": many_parts,
    "deep nesting": deep_nesting,
    "one huge line": huge_line,
    "many addresses": many_addresses,
    "many @ signs": at_signs,
    "many Content-Type parameters": many_parameters,
    "encoded-word subjects": encoded_subject,
    "long address header": long_address_header,
    "many DSN recipients": many_dsn_recipients,
    "nested forwards": nested_forwards,
    "pasted sender lines": pasted_sender_lines,
}

#: Text shapes for the address repair steps (each step alone: diagnose() caps its input).
TEXT_SHAPES: dict[str, Callable[[int], str]] = {
    "x<@@@...<": lambda n: "x<" + "@" * n + "<",
    "<<<<...@": lambda n: "<" * n + "@",
    "a@ a@ a@ ...": lambda n: "a@ " * (n // 3),
    "name <...": lambda n: "j " * (n // 2) + "<jane@gmail.com",
    "dots and spaces": lambda n: "jane" + " . " * (n // 3) + "gmail.com",
    "trailing punctuation": lambda n: "jane@gmail.com" + "!@" * (n // 2) + "a",
    "quotes": lambda n: '"' * n + "@x.org",
    "commas": lambda n: "jane@" + ",," * (n // 2) + "com",
}
