"""The `maildiag` command line: output, exit status, streaming."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from typing import Any

import pytest

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
    rows = ["jane@gmail.com", "", "not an address", "jane@gmail.com", "bob@gmial.com"]
    code, out = run(["check", "--offline", "--json", "-"], stdin="\n".join(rows) + "\n")
    parsed = [json.loads(line) for line in out.splitlines()]
    assert [p["address"] for p in parsed] == rows  # nothing dropped, nothing merged
    assert parsed[4]["suggestion"] == "bob@gmail.com"
    assert parsed[4]["message"] == "Did you mean bob@gmail.com?"
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
    # The row comes back as it was read: its bytes are recoverable with surrogateescape.
    assert rows[1]["address"].encode("utf-8", "surrogateescape") == b"\xff@gmial.com"
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
    assert rows[1]["address"].encode("utf-8", "surrogateescape") == b"\xff@multi-mx.example"
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
