"""Every CSV that maildiag writes or tells you how to write neutralises formulas (issue 9.4)."""

from __future__ import annotations

import ast
import csv
import io
import json
import pathlib
import re
import shlex
import shutil
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
_FORMULA = re.compile(r"^[=+\-@\t\r]")


def _jq_recipe() -> list[str]:
    doc = ast.get_docstring(ast.parse((ROOT / "examples" / "support_check.py").read_text()))
    assert doc is not None
    start = doc.index("jq -r")
    end = doc.index("checked.jsonl", start)
    return shlex.split(doc[start:end].replace("\n", " "))


@pytest.mark.skipif(shutil.which("jq") is None, reason="jq is not installed")
def test_the_support_check_jq_recipe_writes_no_live_formula(tmp_path: pathlib.Path) -> None:
    hostile = ['=HYPERLINK("http://evil.example","x")', "+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "Dana"]
    lines = [json.dumps({"verdict": "fix", "row": {"name": v}, "address": v, "suggestion": "ok@example.org"})
             for v in hostile]
    (tmp_path / "checked.jsonl").write_text("\n".join(lines) + "\n")
    # Bytes, not text=True: universal newlines would turn a CR inside a cell into LF.
    done = subprocess.run([*_jq_recipe(), "checked.jsonl"], cwd=tmp_path, capture_output=True, check=True)
    rows = list(csv.reader(io.StringIO(done.stdout.decode(), newline="")))
    assert len(rows) == len(hostile)
    for value, row in zip(hostile, rows, strict=True):
        assert not any(_FORMULA.match(cell) for cell in row), row
        assert row[0] in (value, "'" + value)  # shown as text, nothing lost
