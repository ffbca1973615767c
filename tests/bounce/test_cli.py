"""The ``bounce`` subcommand, through its own register() and through ``python -m maildiag``."""

from __future__ import annotations

import argparse
import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from tests.bounce.test_parse import DSN, PLAIN, VACATION

from maildiag.bounce import cli


@pytest.fixture
def mixed(tmp_path: Path) -> Path:
    (tmp_path / "dsn.eml").write_bytes(DSN)
    (tmp_path / "plain.eml").write_bytes(PLAIN)
    (tmp_path / "vacation.eml").write_bytes(VACATION)
    (tmp_path / "garbage.eml").write_bytes(b"\x00\x01\x02 not mail")
    (tmp_path / "box.mbox").write_bytes(b"From x@example.org Mon Jan  1 00:00:00 2024\n" + DSN)
    return tmp_path


def _run(argv: list[str]) -> tuple[int, str]:
    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers())
    args = parser.parse_args(["bounce", *argv])
    out = io.StringIO()
    return cli.run(args, out), out.getvalue()


def test_mixed_directory_text(mixed: Path) -> None:
    code, out = _run([str(mixed)])
    assert code == 1
    lines = out.splitlines()
    assert any("jane@gmial.com\tuser_unknown" in line for line in lines)
    assert any("box.mbox:1\tjane@gmial.com" in line for line in lines)
    assert any("garbage.eml\tmalformed" in line for line in lines)
    assert any("plain.eml\tnot_a_bounce" in line for line in lines)


def test_csv_rows(mixed: Path) -> None:
    code, out = _run(["--csv", str(mixed)])
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 1
    jane = [r for r in rows if r["recipient"] == "jane@gmial.com"]
    assert jane and jane[0]["suggestion"] == "jane@gmail.com" and jane[0]["hard"] == "hard"


def test_json_lines_and_no_failure_exit_code(mixed: Path) -> None:
    code, out = _run(["--json", "--locale", "he", str(mixed / "plain.eml"), str(mixed / "vacation.eml")])
    kinds = [json.loads(line)["kind"] for line in out.splitlines()]
    assert (code, kinds) == (0, ["not_a_bounce", "auto_reply"])


def test_a_missing_path_alone_exits_2_with_its_row(tmp_path: Path) -> None:
    code, out = _run([str(tmp_path / "nope.eml")])
    assert code == 2
    assert out.startswith(f"{tmp_path / 'nope.eml'}\tmalformed") and "No such file" in out


def test_python_m_maildiag_bounce(mixed: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "maildiag", "bounce", str(mixed / "dsn.eml")],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 1, done.stderr
    assert "jane@gmial.com" in done.stdout
