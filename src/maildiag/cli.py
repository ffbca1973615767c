"""The ``maildiag`` command line.

``maildiag check ADDR... [--json] [--offline] [--nameserver HOST[:PORT]] [--locale he]
[--concurrency N]`` diagnoses addresses (``-`` or no address reads one per line from
standard input, streamed: one output row per address, in order, none dropped). Blank lines
of standard input are no addresses: they are skipped, and their number is said on standard
error at the end (``maildiag: skipped 2 blank lines``), in JSON mode too, so that standard
output stays one row per address. An empty argument (``maildiag check ""``) is diagnosed.
Rows are diagnosed ``N`` at a time through :func:`maildiag.bulk.diagnose_many` (default 32;
one at a time when probing SMTP), so a long list does not wait on every DNS round trip in
series. ``maildiag bounce PATH...`` parses bounce messages (see :mod:`maildiag.bounce.cli`).

Human output shows every value (the input, DNS names, a mail server's reply) with control
characters escaped (:func:`maildiag._safe_text.terminal`), so none can act on the terminal;
``--json`` keeps the data exact.

Exit status: 0 when every address is ``ok``; 1 when any has a problem (``fix``,
``risky``, ``undeliverable``); 3 when none has a problem but some could not be checked
(``unknown``: our network); 2 on usage errors; 130 when interrupted by Ctrl-C (the rows
written until then are whole and flushed; no traceback).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
import threading
import warnings
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, NoReturn, TextIO, cast

from maildiag._version import __version__

__all__ = ["main"]

EXIT_OK, EXIT_PROBLEM, EXIT_USAGE, EXIT_UNKNOWN = 0, 1, 2, 3
#: Interrupted by Ctrl-C (SIGINT): 128 + signal number, as shells report it.
EXIT_INTERRUPTED = 128 + signal.SIGINT


def _resolver_for(spec: str) -> Any:
    """A dnspython resolver for ``HOST``, ``HOST:PORT`` or ``[V6]:PORT``."""
    import ipaddress

    import dns.resolver

    host, port = spec, 53
    if spec.startswith("["):
        host, _, rest = spec[1:].partition("]")
        if rest.startswith(":"):
            port = int(rest[1:])
    elif spec.count(":") == 1:
        host, _, port_text = spec.partition(":")
        port = int(port_text)
    ipaddress.ip_address(host)  # a nameserver must be an address: no lookup to find DNS
    if not 0 < port < 65536:
        raise ValueError(f"port out of range: {port}")
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = [host]
    resolver.port = port
    resolver.cache = dns.resolver.LRUCache(10_000)
    return resolver


def _addresses(given: Sequence[str], stdin: TextIO, skipped: _Skipped) -> Iterator[str]:
    # Each "-" stands for the lines of standard input, where it is (as cat does).
    for item in given or ["-"]:
        if item == "-":
            for i, line in enumerate(stdin):
                # A file saved by Windows Notepad starts with a byte-order mark: not part of
                # the first address.
                text = (line.removeprefix("\ufeff") if i == 0 else line).rstrip("\r\n")
                if text.isspace() or not text:
                    # A blank line in a list is a gap, not a customer: diagnosing it would
                    # add an "undeliverable" row and exit status 1 to a clean list.
                    skipped.count += 1
                    continue
                yield text
        else:
            # An address given as an argument is always diagnosed, even "": a script
            # passing an empty variable must hear that it is no address.
            yield item


def _shown(d: Any) -> Any:
    """``d`` with every text it carries escaped for a terminal (:func:`maildiag._safe_text.terminal`).

    The values are escaped, not the rendered lines: messages and checklist steps are then
    rendered from escaped values by maildiag's own templates, which keep their own marks
    (the Hebrew templates use U+200E to place ".com"). Going through ``to_dict`` reaches
    every field, including any added later; JSON output is never escaped.
    """
    from maildiag.model import Diagnosis

    return Diagnosis.from_dict(_escaped(d.to_dict()))


def _escaped(value: Any) -> Any:
    from maildiag._safe_text import terminal

    if isinstance(value, str):
        # Tabs too: one value, one field of one line.
        return terminal(value, keep_tab=False)
    if isinstance(value, dict):
        return {_escaped(k): _escaped(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_escaped(v) for v in value]
    return value


def _human(d: Any, args: argparse.Namespace) -> str:
    """The human-readable row of one diagnosis: every value escaped for a terminal.

    A mail server's reply, a DNS answer or the customer's input may hold ESC, BEL or OSC
    sequences (issue 9.4): written raw they could retitle the window, hide text or move the
    cursor over earlier rows. Returned whole, so the row is written with one call.
    """
    from maildiag.checklist import checklist

    locale = args.locale
    d = _shown(d)
    lines: list[str] = []
    head = f"{d.address}: {d.verdict.value}"
    if d.verdict.value != "ok":
        head += f" (blame: {d.blame.value}, confidence {d.confidence:.2f})"
    lines.append(head)
    if d.suggestion:
        lines.append(f"  suggestion: {d.suggestion}")
    lines.extend(f"  > {message}" for message in dict.fromkeys(d.messages(locale)))
    lines.extend(
        f"  - {f.code} [{f.severity.value}]" + (f": {'; '.join(f.evidence)}" if f.evidence else "") for f in d.findings
    )
    lines.extend(f"  provider: {p.name} ({p.kind}; {p.matched_by} {p.matched})" for p in d.providers)
    if d.mx:
        lines.append("  mx: " + ", ".join(f"{m.preference} {m.host}" for m in d.mx))
    steps = checklist(
        d, locale, sender_name=_escaped(args.sender_name), sender_address=_escaped(args.sender_address)
    )
    if steps:
        lines.append("  what the customer can do:")
        lines.extend(f"    {i}. {step.text}" for i, step in enumerate(steps, 1))
    return "".join(line + "\n" for line in lines)


def _options_from(args: argparse.Namespace) -> Any:
    """The ``Options`` of ``maildiag check`` and ``maildiag bulk``; raises ValueError/TypeError
    on bad flags. ``bulk`` has no SMTP probing flags: absent, probing stays off."""
    import maildiag

    return maildiag.Options(
        offline=args.offline,
        deadline=args.deadline,
        resolver=_resolver_for(args.nameserver) if args.nameserver else None,
        allow_private_addresses=args.allow_private,
        locale=args.locale,
        smtp_probe=getattr(args, "smtp_probe", False),
        helo=getattr(args, "helo", None),
        mail_from=getattr(args, "mail_from", None),
        smtp_ports=tuple(getattr(args, "smtp_port", None) or (25,)),
    )


class _Skipped:
    """Blank lines of standard input, skipped (issue 10.4): a blank line is no address."""

    def __init__(self) -> None:
        self.count = 0


def _check(args: argparse.Namespace, out: TextIO, stdin: TextIO) -> int:
    options = args.options  # built and checked by main() before any address is read
    from maildiag.bulk import DEFAULT_CONCURRENCY, diagnose_many

    concurrency = args.concurrency
    if concurrency is None:
        # Probing many mailboxes at once from one IP gets it blocklisted (docs/bulk.md):
        # one probe at a time, as before bulk existed, unless asked for more.
        concurrency = 1 if args.smtp_probe else DEFAULT_CONCURRENCY
    seen: set[str] = set()
    skipped = _Skipped()
    results = diagnose_many(
        _addresses(args.addresses, stdin, skipped), options=options, concurrency=concurrency,
        allow_smtp_probe=args.smtp_probe,
        # Standard input may be a person typing: answer each line while the next is awaited.
        reader_thread=not args.addresses or "-" in args.addresses,
    )
    interrupts: _Interrupts = args.interrupts
    # closing: a reader leaving early (BrokenPipeError) or Ctrl-C stops the run and its
    # threads at once.
    with contextlib.closing(results):
        for d in results:
            seen.add(d.verdict.value)
            row = _json_row(d, args) if args.json else _human(d, args)
            with interrupts.deferred():
                # One write and a flush per row, Ctrl-C held off meanwhile: what was
                # written is whole rows, also when the run is interrupted.
                out.write(row)
                out.flush()
    if skipped.count:
        # On standard error, so that standard output stays one row per address (JSON Lines).
        sys.stderr.write(f"maildiag: skipped {skipped.count} blank line{'s' if skipped.count > 1 else ''}\n")
    return _exit_code(seen)


def _json_row(d: Any, args: argparse.Namespace) -> str:
    from maildiag.checklist import checklist

    row = d.to_dict()
    row["message"] = d.message(args.locale)
    row["checklist"] = [
        step.text
        for step in checklist(d, args.locale, sender_name=args.sender_name, sender_address=args.sender_address)
    ]
    text = json.dumps(row, ensure_ascii=False)
    try:
        text.encode("utf-8")  # in C: a per-character scan here would cost every row
    except UnicodeEncodeError:
        # Undecodable input bytes arrive as lone surrogates (surrogateescape): written
        # raw they would make the line invalid UTF-8, which JSON must be (RFC 8259 §8.1).
        # Escaped, the line is valid and json.loads gives the same string back.
        text = json.dumps(row)
    return text + "\n"


class _Interrupts:
    """Ctrl-C (SIGINT) in ``maildiag check``: stop after whole rows, exit 130, no traceback.

    While a row is being written, SIGINT is held until the row is out, so an interrupted
    run's output is whole rows (a JSON line cut in two would break its reader). Once one
    SIGINT has arrived, the next one gets the default action: a second Ctrl-C ends the
    process at once, even if it is stuck writing to a pipe nobody reads.
    """

    def __init__(self) -> None:
        self._writing = False
        self._pending = False
        self._previous: Any = None
        self._installed = False

    def install(self) -> None:
        """Take over SIGINT (main thread of the real command only; see :func:`main`)."""
        self._previous = signal.signal(signal.SIGINT, self._handle)
        self._installed = True

    def uninstall(self) -> None:
        if self._installed:
            signal.signal(signal.SIGINT, self._previous)
            self._installed = False

    def _handle(self, signum: int, frame: object) -> None:
        signal.signal(signal.SIGINT, signal.SIG_DFL)  # the second Ctrl-C is not held
        if self._writing:
            self._pending = True
            return
        raise KeyboardInterrupt

    @contextlib.contextmanager
    def deferred(self) -> Iterator[None]:
        # SIGINT is also blocked for this thread meanwhile (POSIX): a signal that interrupts
        # a write(2) on a full pipe after part of the row went out ends the write early, and
        # the row would be cut even though the handler only takes note (seen in testing).
        # Blocked, it arrives when the row is out.
        mask = getattr(signal, "pthread_sigmask", None) if self._installed else None
        self._writing = True
        blocked = mask(signal.SIG_BLOCK, {signal.SIGINT}) if mask is not None else None
        try:
            yield
        finally:
            if mask is not None and blocked is not None:
                mask(signal.SIG_SETMASK, blocked)
            self._writing = False
        if self._pending:
            self._pending = False
            raise KeyboardInterrupt


def _codes(args: argparse.Namespace, out: TextIO, stdin: TextIO) -> int:
    from maildiag.catalog import markdown

    out.write(markdown())
    return EXIT_OK


def _exit_code(verdicts: Iterable[str]) -> int:
    found = set(verdicts)
    if found & {"fix", "risky", "undeliverable"}:
        return EXIT_PROBLEM
    if "unknown" in found:
        return EXIT_UNKNOWN
    return EXIT_OK


def _tolerate_any_bytes() -> None:
    """Read and write undecodable bytes as they are (PEP 383 surrogate escapes).

    A bulk job fed one row in a wrong encoding must neither stop nor drop the rows after it:
    the row comes back out byte for byte, diagnosed as the text it is.
    """
    for stream in (sys.stdin, sys.stdout):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="surrogateescape")


class _Parser(argparse.ArgumentParser):
    """argparse, with its error messages escaped for the terminal they are written to.

    argparse quotes the offending argument ("invalid int value: '...'"); whatever it holds
    must not reach a terminal raw (issue 9.4). Subcommand parsers are of this class too.
    """

    def error(self, message: str) -> NoReturn:
        from maildiag._safe_text import terminal

        super().error(terminal(message, keep_tab=False))


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for documentation and tests)."""
    parser = _Parser(
        prog="maildiag", description="Why an email to a customer will not arrive, and what to do."
    )
    parser.add_argument("--version", action="version", version=f"maildiag {__version__}")
    # Subcommand parsers are _Parser too (argparse makes them of the parent's class).
    sub = cast(
        "argparse._SubParsersAction[argparse.ArgumentParser]", parser.add_subparsers(dest="command", required=True)
    )

    check = sub.add_parser(
        "check", help="diagnose addresses",
        description="Diagnose addresses: why mail to each will not arrive, and what to do.",
        epilog=(
            "Standard input is read one address per line; blank lines are skipped and counted on "
            "standard error at the end (also with --json: standard output stays one row per address). "
            "Human output shows control characters escaped; --json keeps the data exact. "
            "Exit status: 0 all ok, 1 a problem (fix, risky, undeliverable), 3 some could not be "
            "checked (unknown), 2 usage error, 130 interrupted (Ctrl-C; rows written so far are whole)."
        ),
    )
    check.add_argument(
        "addresses", nargs="*", metavar="ADDR",
        help="addresses; '-' or none reads stdin, one per line (blank lines skipped)",
    )
    check.add_argument("--json", action="store_true", help="one JSON object per address (JSON Lines)")
    check.add_argument("--offline", action="store_true", help="no DNS: syntax, typos and flags only")
    check.add_argument("--nameserver", metavar="HOST[:PORT]", help="ask this DNS server (an IP address)")
    check.add_argument("--deadline", type=float, default=3.0, help="seconds for DNS per address (default 3)")
    check.add_argument("--locale", default="en", help="language of messages: en, he (default en)")
    check.add_argument(
        "--concurrency", type=int, metavar="N",
        help="addresses diagnosed at once; output keeps input order (default 32; 1 with --smtp-probe)",
    )
    check.add_argument(
        "--allow-private", action="store_true", help="count loopback/private MX addresses as usable"
    )
    check.add_argument("--sender-name", help="the name the shop's emails come from (for the checklist)")
    check.add_argument("--sender-address", help="the address the shop's emails come from (for the checklist)")
    probe = check.add_argument_group("SMTP probing (opt-in; see docs/smtp.md)")
    probe.add_argument("--smtp-probe", action="store_true", help="ask the MX whether it accepts the mailbox")
    probe.add_argument("--helo", help="the host name to greet with: a real name of yours (required to probe)")
    probe.add_argument("--mail-from", help="the envelope sender: an address of yours (required to probe)")
    probe.add_argument("--smtp-port", type=int, action="append", metavar="PORT", help="port(s) to try (default 25)")
    check.set_defaults(handler=_check)

    codes = sub.add_parser("codes", help="list every finding code (Markdown)")
    codes.set_defaults(handler=_codes)

    try:
        from maildiag.bounce import cli as bounce_cli
    except ImportError:  # pragma: no cover - the bounce package ships with maildiag
        pass
    else:
        bounce_cli.register(sub)
    from maildiag._doctor import cli as doctor_cli
    from maildiag._lists import cli as lists_cli

    lists_cli.register(sub)

    doctor_cli.register(sub)
    return parser


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None, stdin: TextIO | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    try:
        if args.command == "check" and args.concurrency is not None and args.concurrency < 1:
            raise ValueError("--concurrency must be a positive integer")
        if args.command == "check":
            # Every flag checked before any address is read: a bad --nameserver, --deadline,
            # --smtp-port, HELO or sender is a usage error (exit 2), never a traceback.
            try:
                args.options = _options_from(args)
            except TypeError as error:
                raise ValueError(str(error)) from error
        if args.command == "check" and not args.addresses and (stdin or sys.stdin).isatty():
            # Nothing given and nobody piping: waiting for typed input would look like a hang.
            raise ValueError("give addresses, or '-' to read them from standard input")
    except ValueError as error:
        from maildiag._safe_text import terminal

        parser.print_usage(sys.stderr)
        # The message may quote a flag's value: escaped, as every line written to a terminal.
        sys.stderr.write(f"maildiag: error: {terminal(str(error), keep_tab=False)}\n")
        return EXIT_USAGE
    interrupts = args.interrupts = _Interrupts()
    if stdin is None and out is None:
        _tolerate_any_bytes()
        if threading.current_thread() is threading.main_thread():
            interrupts.install()  # the real command only: a caller's own SIGINT handler stays
    try:
        result: int = args.handler(args, out or sys.stdout, stdin or sys.stdin)
    except BrokenPipeError:
        # `maildiag ... | head`: the reader left. Not an error of ours; stay quiet, as
        # Unix tools do (and keep Python from complaining while it flushes stdout at exit).
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except KeyboardInterrupt:
        # Ctrl-C: the rows written so far are whole and flushed (see _Interrupts); the run
        # and its threads were stopped on the way out. Quiet, as Unix tools are: a step the
        # interrupt landed between (a coroutine made, not yet handed to the loop) is
        # abandoned on purpose, and Python's "never awaited" warning about it is noise.
        warnings.filterwarnings("ignore", message="coroutine .* was never awaited", category=RuntimeWarning)
        with contextlib.suppress(OSError):
            (out or sys.stdout).flush()
        return EXIT_INTERRUPTED
    finally:
        interrupts.uninstall()
    return result


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
