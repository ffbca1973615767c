"""``maildiag bounce`` on the files a support desk really has (issues 9.4, 9.6, 10.4)."""

from __future__ import annotations

import csv
import io
import mailbox
import os
import re
import subprocess
import sys
from email.message import EmailMessage
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.bounce.test_parse import DSN, PLAIN

ROOT = Path(__file__).resolve().parents[2]


def bounce(*args: str, stdin: bytes = b"", timeout: float = 30) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "maildiag", "bounce", *args], input=stdin,
                          capture_output=True, timeout=timeout, check=False, cwd=ROOT)


def test_a_fifo_in_the_folder_is_reported_not_read(tmp_path: Path) -> None:
    (tmp_path / "a.eml").write_bytes(DSN)
    os.mkfifo(tmp_path / "pipe.eml")
    result = bounce(str(tmp_path), timeout=20)  # used to hang here forever
    out = result.stdout.decode()
    assert "pipe.eml" in out and "FIFO" in out
    assert "jane@gmial.com" in out  # the rest is still read
    assert b"Traceback" not in result.stderr


def test_a_symlink_loop_reads_each_file_once(tmp_path: Path) -> None:
    (tmp_path / "a.eml").write_bytes(DSN)
    (tmp_path / "loop").symlink_to(tmp_path)
    (tmp_path / "same.eml").symlink_to(tmp_path / "a.eml")
    result = bounce("--csv", str(tmp_path))
    rows = list(csv.DictReader(io.StringIO(result.stdout.decode())))
    assert len([r for r in rows if r["recipient"] == "jane@gmial.com"]) == 1, rows


def test_a_missing_path_is_one_row_and_the_others_are_read(tmp_path: Path) -> None:
    (tmp_path / "a.eml").write_bytes(DSN)
    (tmp_path / "b.eml").write_bytes(PLAIN)
    result = bounce("--csv", str(tmp_path / "a.eml"), str(tmp_path / "missing.eml"), str(tmp_path / "b.eml"))
    rows = list(csv.DictReader(io.StringIO(result.stdout.decode())))
    assert list(dict.fromkeys(Path(r["source"]).name for r in rows)) == ["a.eml", "missing.eml", "b.eml"]
    (missing,) = [r for r in rows if r["source"].endswith("missing.eml")]
    assert "no such file" in missing["message"].lower()
    assert result.returncode == 1  # a failure was found; the missing path has its row


def test_only_missing_paths_exit_2(tmp_path: Path) -> None:
    (tmp_path / "b.eml").write_bytes(PLAIN)
    assert bounce(str(tmp_path / "b.eml"), str(tmp_path / "missing.eml")).returncode == 2


def test_stdin_one_message() -> None:
    result = bounce("--csv", "-", stdin=DSN)
    rows = list(csv.DictReader(io.StringIO(result.stdout.decode())))
    assert {r["source"] for r in rows} == {"stdin"} and "jane@gmial.com" in [r["recipient"] for r in rows]


def test_stdin_an_mbox() -> None:
    envelope = b"From a@example.org Mon Jan  1 00:00:00 2024\n"
    box = envelope + DSN + b"\n" + envelope + PLAIN
    result = bounce("--csv", "-", stdin=box)
    rows = list(csv.DictReader(io.StringIO(result.stdout.decode())))
    assert list(dict.fromkeys(r["source"] for r in rows)) == ["stdin:1", "stdin:2"]
    assert rows[-1]["kind"] == "not_a_bounce"


def test_too_large_reports_the_real_size(tmp_path: Path) -> None:
    big = tmp_path / "big.eml"
    big.write_bytes(DSN + b"x" * 43_000)
    out = bounce("--max-bytes", "1000", str(big)).stdout.decode()
    assert str(big.stat().st_size) in out and "1001" not in out
    out = bounce("--max-bytes", "1000", "-", stdin=big.read_bytes()).stdout.decode()
    assert "over 1000" in out


def test_an_mbox_body_line_starting_with_from_does_not_split_the_message(tmp_path: Path) -> None:
    path = tmp_path / "box.mbox"
    box = mailbox.mbox(path)
    msg = EmailMessage()
    msg["From"] = "jane@example.org"
    msg["Subject"] = "hello"
    msg.set_content("Hi,\n\nFrom now on, write to me at my new address.\n")
    box.add(msg)
    box.add(mailbox.mboxMessage(DSN))
    box.close()
    rows = list(csv.DictReader(io.StringIO(bounce("--csv", str(path)).stdout.decode())))
    assert list(dict.fromkeys(r["source"].rsplit(":", 1)[1] for r in rows)) == ["1", "2"]
    assert rows[0]["kind"] == "not_a_bounce" and rows[1]["recipient"] == "jane@gmial.com"


# -- what reaches a spreadsheet and a terminal -------------------------------------------

def _dsn(recipient: str, diagnostic: str) -> bytes:
    return (
        "From: MAILER-DAEMON@mx.example.org\nTo: shop@example.net\nSubject: Undelivered Mail\n"
        "MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=B\n\n"
        "--B\nContent-Type: text/plain\n\nfailed\n--B\nContent-Type: message/delivery-status\n\n"
        "Reporting-MTA: dns; mx.example.org\n\n"
        f"Final-Recipient: rfc822; {recipient}\nAction: failed\nStatus: 5.1.1\n"
        f"Diagnostic-Code: smtp; 550 5.1.1 {diagnostic}\n--B--\n"
    ).encode("utf-8", "surrogateescape")


_FORMULA = re.compile(r"^[=+\-@\t\r]")


def test_formulas_are_neutralised_in_csv(tmp_path: Path) -> None:
    (tmp_path / "x.eml").write_bytes(_dsn("=1+2@example.org", '=HYPERLINK("http://evil.example","click")'))
    rows = list(csv.reader(io.StringIO(bounce("--csv", str(tmp_path / "x.eml")).stdout.decode())))
    for row in rows[1:]:
        for cell in row:
            assert not _FORMULA.match(cell), cell
    assert "'=1+2@example.org" in rows[1]  # shown as text, never evaluated


_field = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\n\r"), max_size=30)


@given(_field, _field)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_text_makes_well_formed_csv_and_a_safe_terminal(tmp_path: Path, local: str, diagnostic: str) -> None:
    path = tmp_path / "fuzz.eml"
    path.write_bytes(_dsn(f"{local.replace(' ', '')}x@example.org", diagnostic))
    from maildiag.cli import main

    csv_out, text_out = io.StringIO(), io.StringIO()
    main(["bounce", "--csv", str(path)], out=csv_out)
    main(["bounce", str(path)], out=text_out)
    rows = list(csv.reader(io.StringIO(csv_out.getvalue())))
    assert all(len(r) == len(rows[0]) for r in rows)
    assert not any(_FORMULA.match(cell) for r in rows[1:] for cell in r)
    for line in text_out.getvalue().splitlines():
        assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", line), repr(line)
