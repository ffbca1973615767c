"""The `maildiag` command line: output, exit status, streaming."""

from __future__ import annotations

import dataclasses
import io
import json
import os
import pathlib
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import tests.smtp_servers as smtp_servers
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from maildiag import catalog
from maildiag._safe_text import terminal
from maildiag.cli import main


def run(argv: list[str], stdin: str = "") -> tuple[int, str]:
    out = io.StringIO()
    code = main(argv, out=out, stdin=io.StringIO(stdin))
    return code, out.getvalue()


def test_offline_typo_shows_the_suggestion_and_exits_1() -> None:
    code, out = run(["check", "--offline", "jane@gmial.com"])
    assert code == 1
    assert "jane@gmial.com: fix" in out
    assert "suggestion: jane@gmail.com" in out
    assert "Did you mean jane@gmail.com?" in out


def test_hebrew_messages() -> None:
    code, out = run(["check", "--offline", "--locale", "he", "jane@gmial.com"])
    assert code == 1
    assert "האם התכוונת ל-jane@gmail.com?" in out


def test_json_lines_keep_every_input_row_in_order() -> None:
    rows = ["jane@gmail.com", "not an address", "jane@gmail.com", "bob@gmial.com"]
    code, out = run(["check", "--offline", "--json", "-"], stdin="\n".join(rows) + "\n")
    parsed = [json.loads(line) for line in out.splitlines()]
    assert [p["address"] for p in parsed] == rows  # nothing dropped, nothing merged
    assert parsed[3]["suggestion"] == "bob@gmail.com"
    assert parsed[3]["message"] == "Did you mean bob@gmail.com?"
    assert code == 1


def test_all_fine_exits_0(dns_server: tuple[str, int]) -> None:
    host, port = dns_server
    code, out = run(["check", "--nameserver", f"{host}:{port}", "--allow-private", "x@multi-mx.example"])
    assert code == 0, out
    assert "x@multi-mx.example: ok" in out
    assert "mx: 10 mx1.multi-mx.example, 20 mx2.multi-mx.example, 30 mx3.multi-mx.example" in out


def test_our_network_failing_exits_3(dns_server: tuple[str, int]) -> None:
    host, port = dns_server
    code, out = run(["check", "--json", "--nameserver", f"{host}:{port}", "x@x.servfail.example"])
    assert code == 3
    row = json.loads(out)
    assert row["verdict"] == "unknown"
    assert row["blame"] == "our_network"


def test_undeliverable_exits_1(dns_server: tuple[str, int]) -> None:
    host, port = dns_server
    code, out = run(["check", "--nameserver", f"{host}:{port}", "x@null-mx.example"])
    assert code == 1
    assert "mx.null" in out


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param([], id="no-command"),
        pytest.param(["check", "--nameserver", "dns.google", "x@y.example"], id="nameserver-not-an-ip"),
        pytest.param(["check", "--nameserver", "127.0.0.1:99999", "x@y.example"], id="bad-port"),
        pytest.param(["check", "--deadline", "0", "x@y.example"], id="bad-deadline"),
        pytest.param(["check", "--deadline", "nan", "x@y.example"], id="nan-deadline"),
        pytest.param(["check", "--deadline", "inf", "x@y.example"], id="inf-deadline"),
        pytest.param(["check", "--deadline", "1e12", "x@y.example"], id="huge-deadline"),
        pytest.param(["check", "--offline", "--smtp-port", "0", "x@y.example"], id="port-zero-without-probe"),
        pytest.param(["frobnicate"], id="unknown-command"),
        pytest.param(["check", "--concurrency", "0", "x@y.example"], id="zero-concurrency"),
        pytest.param(["check", "--concurrency", "many", "x@y.example"], id="concurrency-not-a-number"),
    ],
)
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, _ = run(argv)
    assert code == 2
    assert "usage:" in capsys.readouterr().err


def test_codes_lists_every_code() -> None:
    from maildiag import catalog

    code, out = run(["codes"])
    assert code == 0
    assert all(f"`{c}`" in out for c in catalog.codes())


def test_python_dash_m_works() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "maildiag", "check", "--offline", "--json", "jane@gmail.com"],
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["verdict"] == "ok"


def test_checklist_names_the_shop_when_told(dns_server: tuple[str, int]) -> None:
    host, port = dns_server
    code, out = run(["check", "--nameserver", f"{host}:{port}", "--allow-private",
                     "--sender-name", "Acme Shop", "--sender-address", "orders@acme.example", "dana@yahoo.com"])
    assert code == 0, out
    assert "provider: Yahoo" in out
    assert "Acme Shop" in out
    assert "orders@acme.example" in out


def test_json_carries_the_checklist() -> None:
    code, out = run(["check", "--offline", "--json", "--locale", "he", "dana@gmail.com"])
    assert code == 0
    row = json.loads(out)
    assert row["checklist"], row
    assert any("\u05d0" <= ch <= "\u05ea" for ch in row["checklist"][0])


def test_a_reader_leaving_early_is_not_a_crash() -> None:
    """`maildiag check - | head -1` must not print a traceback."""
    rows = "\n".join(f"user{i}@gmail.com" for i in range(300)) + "\n"  # < one pipe buffer
    proc = subprocess.Popen(
        [sys.executable, "-m", "maildiag", "check", "--offline", "--json", "-"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(rows.encode())
    proc.stdin.close()
    first = proc.stdout.readline()
    proc.stdout.close()  # the reader leaves
    assert proc.stderr is not None
    err = proc.stderr.read()
    proc.stderr.close()
    proc.wait(timeout=60)
    assert json.loads(first)["address"] == "user0@gmail.com"
    assert b"Traceback" not in err


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_no_address_on_a_terminal_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check"], out=io.StringIO(), stdin=_Terminal()) == 2
    assert "'-'" in capsys.readouterr().err


def test_a_row_in_a_wrong_encoding_neither_stops_nor_drops_the_batch() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "maildiag", "check", "--offline", "--json", "-"],
        input=b"a@gmail.com\n\xff@gmial.com\nb@x.com\n", capture_output=True, check=False,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )
    assert b"Traceback" not in result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 3
    rows = [json.loads(line.decode("utf-8")) for line in lines]  # every line is valid UTF-8 JSON
    # The row keeps its place and its text, each undecodable byte as U+FFFD: a Diagnosis
    # never holds lone surrogates, which JSON cannot carry losslessly (issue 9.5).
    assert rows[1]["address"] == "\ufffd@gmial.com"
    assert [f["code"] for f in rows[1]["findings"]] == ["syntax.unsafe_chars"]
    assert [r["address"] for r in (rows[0], rows[2])] == ["a@gmail.com", "b@x.com"]


def test_a_dash_among_addresses_reads_standard_input_there() -> None:
    out = io.StringIO()
    code = main(["check", "--offline", "--json", "a@gmail.com", "-", "b@gmail.com"], out=out,
                stdin=io.StringIO("x@gmail.com\ny@gmail.com\n"))
    assert code == 0
    assert [json.loads(line)["address"] for line in out.getvalue().splitlines()] == [
        "a@gmail.com", "x@gmail.com", "y@gmail.com", "b@gmail.com"]


def test_smtp_probe_from_the_command_line(dns_server: tuple[str, int], smtp_server: Any) -> None:
    host, port = dns_server
    _, smtp_port, _ = smtp_server(users=("alice@mx-loopback.example",))
    base = ["check", "--json", "--nameserver", f"{host}:{port}", "--allow-private", "--smtp-probe",
            "--helo", "probe.shop.example", "--mail-from", "bounces@shop.example", "--smtp-port", str(smtp_port)]
    code, out = run([*base, "alice@mx-loopback.example"])
    assert code == 0, out
    assert any(f["code"] == "smtp.accepted" for f in json.loads(out)["findings"])
    code, out = run([*base, "bob@mx-loopback.example"])
    assert code == 1
    assert json.loads(out)["verdict"] == "undeliverable"
    assert any(f["code"] == "smtp.mailbox_unknown" for f in json.loads(out)["findings"])


def test_probing_without_helo_and_sender_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _ = run(["check", "--smtp-probe", "x@shop.example"])
    assert code == 2
    assert "helo" in capsys.readouterr().err


# -- many rows: the bulk path (maildiag.bulk) --------------------------------------------


@pytest.mark.parametrize(
    ("rows", "status"),
    [
        pytest.param(["x@multi-mx.example", "x@null-mx.example", "x@x.servfail.example"], 1, id="a-problem-wins"),
        pytest.param(["x@multi-mx.example", "x@x.servfail.example", "y@multi-mx.example"], 3, id="only-unknown"),
        pytest.param(["x@multi-mx.example", "y@multi-mx.example"], 0, id="all-ok"),
    ],
)
@pytest.mark.parametrize("concurrency", ["1", "16"])
def test_many_rows_through_dns_keep_their_order_and_the_exit_status(
    dns_server: tuple[str, int], rows: list[str], status: int, concurrency: str
) -> None:
    host, port = dns_server
    rows = rows * 20
    code, out = run(["check", "--json", "--nameserver", f"{host}:{port}", "--allow-private",
                     "--concurrency", concurrency, "-"], stdin="\n".join(rows) + "\n")
    assert [json.loads(line)["address"] for line in out.splitlines()] == rows
    assert code == status


def test_many_addresses_as_arguments_keep_their_order(dns_server: tuple[str, int]) -> None:
    host, port = dns_server
    rows = ["x@null-mx.example", "x@multi-mx.example", "bad address", "x@x.servfail.example"]
    code, out = run(["check", "--nameserver", f"{host}:{port}", "--allow-private", *rows])
    heads = [line for line in out.splitlines() if not line.startswith(" ")]
    assert [h.partition(": ")[0] for h in heads] == rows
    assert code == 1


def test_a_row_in_a_wrong_encoding_passes_through_the_dns_path_too(dns_server: tuple[str, int]) -> None:
    host, port = dns_server
    result = subprocess.run(
        [sys.executable, "-m", "maildiag", "check", "--json", "--nameserver", f"{host}:{port}", "--allow-private",
         "-"],
        input=b"a@multi-mx.example\n\xff@multi-mx.example\nb@null-mx.example\n", capture_output=True,
        check=False, env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )
    assert b"Traceback" not in result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 3
    rows = [json.loads(line.decode("utf-8")) for line in lines]
    assert rows[1]["address"] == "\ufffd@multi-mx.example"
    assert rows[2]["verdict"] == "undeliverable"


def _readline_within(stream: Any, seconds: float) -> bytes:
    import threading

    line: list[bytes] = []
    reader = threading.Thread(target=lambda: line.append(stream.readline()), daemon=True)
    reader.start()
    reader.join(timeout=seconds)
    return line[0] if line else b""


def test_each_row_is_answered_before_the_next_is_written(dns_server: tuple[str, int]) -> None:
    """`tail -f bounced.log | maildiag check -`: reading ahead must not hold back an answer."""
    host, port = dns_server
    proc = subprocess.Popen(
        [sys.executable, "-m", "maildiag", "check", "--json", "--nameserver", f"{host}:{port}", "--allow-private",
         "-"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    assert proc.stdin is not None and proc.stdout is not None
    try:
        for address in ("x@multi-mx.example", "x@null-mx.example"):
            proc.stdin.write(address.encode() + b"\n")
            proc.stdin.flush()
            # generous: the answer needs no more input, only time
            line = _readline_within(proc.stdout, 20)
            assert line, f"no answer for {address} while the writer waits"
            assert json.loads(line)["address"] == address
        proc.stdin.close()
        assert proc.wait(timeout=20) == 1
    finally:
        proc.kill()
        proc.wait()
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


def test_a_reader_leaving_early_stops_the_dns_path_quietly(dns_server: tuple[str, int]) -> None:
    """`maildiag check - | head -1` on the bulk path: the run and its threads end, no traceback."""
    host, port = dns_server
    rows = "\n".join(f"user{i}@multi-mx.example" for i in range(300)) + "\n"
    proc = subprocess.Popen(
        [sys.executable, "-m", "maildiag", "check", "--json", "--nameserver", f"{host}:{port}", "--allow-private",
         "-"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    proc.stdin.write(rows.encode())
    proc.stdin.close()
    first = proc.stdout.readline()
    proc.stdout.close()  # the reader leaves
    err = proc.stderr.read()
    proc.stderr.close()
    assert proc.wait(timeout=60) == 0
    assert json.loads(first)["address"] == "user0@multi-mx.example"
    assert b"Traceback" not in err, err.decode(errors="replace")


def test_a_byte_order_mark_before_the_first_address_is_dropped() -> None:
    out = io.StringIO()
    assert main(["check", "--offline", "--json", "-"], out=out, stdin=io.StringIO("\ufeffjane@gmail.com\n")) == 0
    assert json.loads(out.getvalue())["address"] == "jane@gmail.com"


# -- blank lines of standard input (issue 10.4) -----------------------------------------


@pytest.mark.parametrize("mode", [[], ["--json"]], ids=["human", "json"])
def test_blank_lines_are_skipped_and_counted_on_stderr(mode: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    # `maildiag check - < customers.txt` with gaps (and a Windows line end) in the list.
    code, out = run(["check", "--offline", *mode, "-"], stdin="jane@gmail.com\n\n   \n\r\nbob@gmail.com\n\n")
    assert code == 0, out  # a clean list with gaps is a clean list
    heads = [line.partition(": ")[0] for line in out.splitlines() if not line.startswith(" ")]
    if mode:
        heads = [json.loads(line)["address"] for line in out.splitlines()]
    assert heads == ["jane@gmail.com", "bob@gmail.com"]
    assert capsys.readouterr().err == "maildiag: skipped 4 blank lines\n"


def test_only_blank_lines_give_no_rows_and_exit_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["check", "--offline", "--json", "-"], stdin="\n\n") == (0, "")
    assert "skipped 2 blank lines" in capsys.readouterr().err


def test_an_empty_argument_is_still_diagnosed(capsys: pytest.CaptureFixture[str]) -> None:
    # `maildiag check "$EMAIL"` with EMAIL unset must not pass as "nothing wrong".
    code, out = run(["check", "--offline", "--json", ""])
    assert code == 1
    assert json.loads(out)["verdict"] == "undeliverable"
    assert capsys.readouterr().err == ""


# -- control characters never reach a terminal (issue 9.4) ----------------------------

# C0 but newline, DEL, C1; bidi embeddings, overrides and isolates; line/paragraph
# separators; lone surrogates (written with surrogateescape they become raw bytes 0x80-0xff,
# the C1 range in 8-bit terminals).
_UNSAFE_ON_A_TERMINAL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029\ud800-\udfff]")

_ESCAPES = ("\x1b[2J", "\x1b]0;owned\x07", "\x1b]8;;http://evil.example\x1b\\", "\x9b31m", "\x07", "\r", "\n",
            "\t", "\x00", "\u202e", "\u2066", "\u2028", "\udcff", "\x7f")
_HOSTILE = st.lists(st.sampled_from(_ESCAPES) | st.text(st.characters(codec="utf-8"), max_size=4), max_size=6).map(
    "".join
)


@st.composite
def _hostile_diagnoses(draw: st.DrawFn) -> Any:
    from maildiag.model import MxHost, ProviderMatch
    from maildiag.testing.strategies import diagnoses

    d = draw(diagnoses())
    findings = tuple(
        dataclasses.replace(
            f,
            evidence=tuple(draw(st.lists(_HOSTILE, max_size=2))),
            params={k: draw(_HOSTILE) if isinstance(v, str) else v for k, v in f.params.items()},
        )
        for f in d.findings
    )
    return dataclasses.replace(
        d,
        address=draw(_HOSTILE),
        suggestion=draw(st.none() | _HOSTILE) if d.suggestion else None,
        findings=findings,
        mx=tuple(MxHost(m.preference, draw(_HOSTILE)) for m in d.mx),
        providers=tuple(
            ProviderMatch(p.id, draw(_HOSTILE), p.kind, p.matched_by, draw(_HOSTILE)) for p in d.providers
        ),
    )


def _human_output(diagnoses: list[Any], argv: list[str]) -> tuple[int, str]:
    def fake_many(addresses: Any, **kwargs: Any) -> Iterator[Any]:
        yield from diagnoses

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("maildiag.bulk.diagnose_many", fake_many)
        return run(["check", "--offline", *argv, "x@gmail.com"])


@given(d=_hostile_diagnoses(), locale=st.sampled_from(["en", "he"]), sender=_HOSTILE)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_human_output_never_carries_a_raw_control_character(d: Any, locale: str, sender: str) -> None:
    code, out = _human_output([d], ["--locale", locale, f"--sender-name={sender}", f"--sender-address={sender}"])
    assert code != 2
    unsafe = _UNSAFE_ON_A_TERMINAL.search(out)
    assert unsafe is None, f"raw {unsafe.group()!r} in {out!r}"
    # Newlines only end lines: the head row, then indented detail lines. A value's own
    # newline cannot forge a row.
    first, *rest = out.splitlines()
    assert first.startswith(terminal(d.address, keep_tab=False) + ": " + d.verdict.value)
    assert all(line.startswith("  ") for line in rest)
    assert out.endswith("\n")


def test_json_output_keeps_the_data_exact() -> None:
    from maildiag.model import Diagnosis, Verdict

    reply = "550 5.1.1 \x1b]0;owned\x07 user unknown"
    d = Diagnosis(address="jane\x1b[2J@example.org", normalized=None, verdict=Verdict.UNDELIVERABLE,
                  findings=(catalog.make("syntax.invalid", {"reason": reply}, [reply]),))
    _, out = _human_output([d], ["--json"])
    row = json.loads(out)
    assert row["address"] == d.address
    assert row["findings"][0]["evidence"] == [reply]


class _EscapingHandler(smtp_servers.ProbeHandler):
    """A mail server whose replies carry terminal escape sequences."""

    REPLY = "550 5.1.1 \x1b]0;pwned\x07\x1b[2J\x1b[1;1H<{address}>: \x1b[8mhidden\x1b[0m User unknown"

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: list[str]) -> str:
        return self.REPLY.format(address=address)


@pytest.mark.parametrize("locale", ["en", "he"])
def test_smtp_reply_escape_sequences_are_shown_escaped(dns_server: tuple[str, int], locale: str) -> None:
    host, port = dns_server
    controller = smtp_servers.start(_EscapingHandler())
    try:
        base = ["check", "--nameserver", f"{host}:{port}", "--allow-private", "--smtp-probe", "--locale", locale,
                "--helo", "probe.shop.example", "--mail-from", "bounces@shop.example",
                "--smtp-port", str(controller.port), "bob@mx-loopback.example"]
        code, human = run(base)
        _, as_json = run([*base, "--json"])
    finally:
        controller.stop()
    assert code == 1, human
    # The reply reached the output (escaped), and nothing of it acts on the terminal.
    assert "\\x1b]0;pwned\\x07\\x1b[2J\\x1b[1;1H" in human
    assert _UNSAFE_ON_A_TERMINAL.search(human) is None, human
    # JSON keeps the reply exactly as the server sent it.
    evidence = [e for f in json.loads(as_json)["findings"] for e in f["evidence"]]
    assert any("\x1b]0;pwned\x07\x1b[2J" in e for e in evidence), evidence


@pytest.mark.parametrize(
    "argv",
    [
        # argparse quotes most values with repr(), but not unrecognized arguments.
        pytest.param(["check", "x@y.example", "--\x1b]0;owned\x07"], id="unrecognized-argument"),
        pytest.param(["check", "--nameserver", "\x1b]0;owned\x07", "x@y.example"], id="bad-nameserver"),
    ],
)
def test_usage_errors_are_escaped_on_stderr(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert run(argv)[0] == 2
    err = capsys.readouterr().err
    assert "\\x1b]0;owned\\x07" in err
    assert _UNSAFE_ON_A_TERMINAL.search(err) is None, err


# -- Ctrl-C (issue 10.4) -------------------------------------------------------------------


def _interrupted_run(argv: list[str], rows: list[str], answered: int) -> tuple[int, bytes, bytes]:
    """Start `maildiag check ... -`, feed ``rows`` and keep standard input open (a person
    typing, or `tail -f`), wait for ``answered`` lines of output, then press Ctrl-C."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "maildiag", "check", *argv, "-"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    assert proc.stdin is not None and proc.stdout is not None
    try:
        proc.stdin.write("".join(row + "\n" for row in rows).encode())
        proc.stdin.flush()
        seen = b""
        for _ in range(answered):
            line = _readline_within(proc.stdout, 30)
            assert line, f"no answer in time; got {seen!r}"
            seen += line
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
        proc.wait()
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
    return proc.returncode, seen + out, err


def _assert_quiet_interrupt(code: int, err: bytes) -> None:
    assert code == 130
    assert b"Traceback" not in err, err.decode(errors="replace")
    assert b"Task was destroyed" not in err, err.decode(errors="replace")
    assert err == b"", err.decode(errors="replace")


def test_ctrl_c_offline_exits_130_quietly_after_whole_rows() -> None:
    rows = [f"user{i}@gmail.com" for i in range(5)]
    code, out, err = _interrupted_run(["--offline", "--json"], rows, answered=5)
    _assert_quiet_interrupt(code, err)
    assert out.endswith(b"\n")
    assert [json.loads(line)["address"] for line in out.splitlines()] == rows


@pytest.mark.parametrize("mode", [["--json"], []], ids=["json", "human"])
def test_ctrl_c_with_dns_in_flight_exits_130_quietly(dns_server: tuple[str, int], mode: list[str]) -> None:
    host, port = dns_server
    done = [f"u{i}@multi-mx.example" for i in range(3)]
    # Queries to *.timeout.example are dropped: these diagnoses are still waiting on DNS
    # (well within the deadline) when Ctrl-C comes.
    waiting = [f"u{i}@x{i}.timeout.example" for i in range(5)]
    argv = [*mode, "--nameserver", f"{host}:{port}", "--allow-private", "--deadline", "20"]
    # Human rows are several lines: wait for the first line of the row after the last done.
    code, out, err = _interrupted_run(argv, done + waiting, answered=3 if mode else 1)
    _assert_quiet_interrupt(code, err)
    assert out.endswith(b"\n")
    if mode:
        assert [json.loads(line)["address"] for line in out.splitlines()] == done
    else:
        heads = [line for line in out.decode().splitlines() if not line.startswith(" ")]
        assert heads[0] == f"{done[0]}: ok"
        assert all(h.partition(": ")[0] in done for h in heads)


def test_a_name_after_a_comma_does_not_become_a_top_level_domain() -> None:
    # Issue 10.4: this suggested jane@gmial.com.jane, an address on a TLD that does not exist.
    code, out = run(["check", "--offline", "jane@gmial.com,Jane"])
    assert code == 1
    assert "  suggestion: jane@gmail.com\n" in out
    assert ".jane" not in out.lower().replace("jane@gmial.com,jane", "")


def test_ctrl_c_while_a_row_waits_on_a_full_pipe_does_not_cut_the_row() -> None:
    """The reader stopped reading (a pager, a stalled consumer): the output pipe is full and a
    row is half written when Ctrl-C comes. The row is finished first; nothing is cut."""
    # Rows of about 4 kB: a pipe buffer (64 kB) ends inside one of them.
    rows = [f"Jane {'x' * 900} <jane{i}@gmial.com>" for i in range(40)]
    proc = subprocess.Popen(
        [sys.executable, "-m", "maildiag", "check", "--offline", "--json", "-"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    assert proc.stdin is not None
    try:
        proc.stdin.write("".join(row + "\n" for row in rows).encode())  # < one pipe buffer
        proc.stdin.flush()
        wchan = pathlib.Path(f"/proc/{proc.pid}/wchan")
        for _ in range(200):  # until the writer waits on the full pipe (Linux: pipe_write, anon_pipe_write)
            if not wchan.exists() or "pipe_write" in wchan.read_text():
                break
            threading.Event().wait(0.05)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
        proc.wait()
    _assert_quiet_interrupt(proc.returncode, err)
    assert out.endswith(b"\n"), out[-200:]
    lines = out.splitlines()
    assert 10 < len(lines) < len(rows)
    assert [json.loads(line)["address"] for line in lines] == rows[: len(lines)]
