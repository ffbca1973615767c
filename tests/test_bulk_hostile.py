"""Hostile lists for `maildiag bulk`: odd shapes give rows, in linear time, never a traceback.

Each shape is something a customer export, a scraped list or an attacker's upload can hold;
each must come out as whole rows with the input kept, and cost in proportion to its size.
"""

from __future__ import annotations

import json
import pathlib
from collections.abc import Callable

import pytest
from tests.hostile_shapes import best_time

from maildiag.cli import main


def run(tmp_path: pathlib.Path, name: str, data: bytes, *extra: str) -> tuple[int, bytes]:
    (tmp_path / name).write_bytes(data)
    out = "out" + name[name.index("."):]
    code = main(["bulk", str(tmp_path / name), "--offline", "--quiet", "-o", str(tmp_path / out), *extra])
    return code, (tmp_path / out).read_bytes() if (tmp_path / out).exists() else b""


def test_an_unclosed_quote_keeps_the_rows_before_it(tmp_path: pathlib.Path) -> None:
    code, out = run(tmp_path, "in.csv", b'email,x\nann@gmail.com,1\nbob@gmail.com,"unclosed ' + b"y" * 100_000)
    lines = out.split(b"\n")
    assert code == 0
    assert lines[1].startswith(b"ann@gmail.com,1,ok,")
    assert lines[2].startswith(b"bob@gmail.com,unclosed yyy")  # the open quote ran to the end


def test_deep_json_nesting_is_a_row_saying_so(tmp_path: pathlib.Path) -> None:
    deep = b"[" * 200_000
    code, out = run(tmp_path, "in.jsonl", b'{"email":"a@gmail.com"}\n' + deep + b'\n{"email":"b@gmail.com"}\n')
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0
    assert [r["verdict"] for r in rows] == ["ok", None, "ok"]
    assert rows[1]["message"] == "not a JSON value"


def test_a_header_of_100000_columns(tmp_path: pathlib.Path) -> None:
    header = b",".join(b"c%d" % i for i in range(100_000)) + b",email\n"
    code, out = run(tmp_path, "in.csv", header + b"," * 100_000 + b"z@gmail.com\n")
    assert code == 0 and out.splitlines()[1].endswith(b"z@gmail.com,ok,,flag.free_webmail provider.gmail_tabs,none,"
                                                      b"gmail,,z@gmail.com,")


def test_zero_bytes_in_a_cell_do_not_stop_a_resume_from_finishing(tmp_path: pathlib.Path) -> None:
    data = b"email,x\nann@gmail.com,a" + b"\x00" * 20 + b"b\nbob@gmail.com,1\n"
    code, full = run(tmp_path, "in.csv", data)
    assert code == 0 and b"\x00" * 20 in full
    code, again = run(tmp_path, "in.csv", data, "--resume")  # the row with zeros is written again
    assert code == 0 and again == full


def test_zeros_in_the_middle_of_an_output_are_cut_off(tmp_path: pathlib.Path) -> None:
    # A power cut can leave a block of zeros where data was due, before data written later.
    rows = "".join(f"user{i}@gmail.com\n" for i in range(200)).encode()
    code, full = run(tmp_path, "in.txt", rows)
    assert code == 0
    middle = full.index(b"\n", len(full) // 2) - 10
    (tmp_path / "out.txt").write_bytes(full[:middle] + b"\x00" * 4096 + full[middle + 20:])
    code, again = run(tmp_path, "in.txt", rows, "--resume")
    assert code == 0 and again == full


SHAPES: dict[str, tuple[str, Callable[[int], bytes]]] = {
    "one huge line": ("in.txt", lambda n: b"x" * n),
    "one huge CSV cell": ("in.csv", lambda n: b"email\n\"" + b"y" * n + b'"\n'),
    "blank lines": ("in.txt", lambda n: b"\n" * (n // 100)),
    "carriage returns": ("in.csv", lambda n: b"email\n" + b"\r" * (n // 100)),
}


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_cost_grows_linearly(tmp_path: pathlib.Path, shape: str) -> None:
    name, build = SHAPES[shape]
    small, large = build(250_000), build(1_000_000)
    t_small = best_time(lambda: run(tmp_path, name, small), repeats=2)
    t_large = best_time(lambda: run(tmp_path, name, large), repeats=2)
    assert t_large <= 4 * max(t_small, 0.01) * 2.0, (t_small, t_large)  # 4x the bytes: at most ~8x the time
