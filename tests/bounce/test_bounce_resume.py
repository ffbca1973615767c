"""`maildiag bounce DIR -o OUT --resume`: a folder of bounces written once, whatever interrupts it.

A message is all its rows (a CSV row per recipient, or one JSON line); a cut output is
continued so that every message appears once, in order, and the finished file and its
summary by reason are byte for byte those of an uninterrupted run (issue 14, section 1).
"""

from __future__ import annotations

import json
import pathlib
import random
import shutil
import signal
import subprocess
import sys
import time

import pytest

from maildiag.cli import main

CORPUS = pathlib.Path(__file__).parent.parent / "corpora" / "bounces-dev"
# multi-recipient bounces (7, 4 and 3 recipients), a complaint, an ordinary one
SMALL = ["arf-16.eml", "lhost-v5sendmail-05.eml", "rfc3464-35.eml", "arf-01.eml", "lhost-x2-02.eml"]


def folder(tmp_path: pathlib.Path, names: list[str]) -> pathlib.Path:
    d = tmp_path / "bounces"
    d.mkdir()
    for name in names:
        shutil.copy(CORPUS / name, d / name)
    return d


def cuts(data: bytes, stride: int) -> list[int]:
    points = set(range(0, len(data) + 1, stride)) | {len(data)}
    for i, byte in enumerate(data):
        if byte == 0x0A:
            points |= {i - 1, i, i + 1}
    return sorted(p for p in points if 0 <= p <= len(data))


@pytest.mark.parametrize("out", ["out.csv", "out.jsonl", "out.csv.gz"])
def test_resume_from_any_cut_point_gives_the_uninterrupted_file(
    tmp_path: pathlib.Path, out: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    folder(tmp_path, SMALL)
    full_name = "full" + out.removeprefix("out")
    assert main(["bounce", "bounces", "-o", full_name, "--quiet", "--summary-json", "full.json"]) == 1
    full = (tmp_path / full_name).read_bytes()
    summary = json.loads((tmp_path / "full.json").read_text())
    assert summary["messages"] == len(SMALL) and summary["recipients"] >= 15
    # every line end, and a stride of bytes between (JSON lines are long: a wider stride)
    stride = 97 if out.endswith(".jsonl") else 13
    points = cuts(full, stride) if not out.endswith(".gz") else range(0, len(full) + 1, max(1, len(full) // 30))
    for cut in points:
        (tmp_path / out).write_bytes(full[:cut])
        assert main(["bounce", "bounces", "-o", out, "--resume", "--quiet", "--summary-json", "s.json"]) == 1, cut
        assert (tmp_path / out).read_bytes() == full, cut
        assert json.loads((tmp_path / "s.json").read_text()) == summary, cut


def test_the_summary_counts_messages_by_kind_and_recipients_by_reason(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    folder(tmp_path, SMALL)
    main(["bounce", "bounces", "-o", "out.csv", "--summary-json", "s.json"])
    err = capsys.readouterr().err
    data = json.loads((tmp_path / "s.json").read_text())
    rows = (tmp_path / "out.csv").read_text().splitlines()
    assert data["kinds"]["complaint"] >= 1
    assert sum(n for _, n in data["reasons"]) == data["recipients"]
    assert f"maildiag: {len(SMALL)} messages" in err and "by reason:" in err
    assert len(rows) >= 1 + data["recipients"]


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["bounce", "x", "--resume"], "-o OUT"),
        (["bounce", "x", "-o", "out.txt", "--resume"], "CSV or JSON Lines"),
        (["bounce", "x", "-o", "out.csv", "--resume", "--doctor"], "--doctor"),
    ],
)
def test_resume_usage_errors(argv: list[str], words: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    assert words in capsys.readouterr().err


def test_a_foreign_file_is_not_resumed(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    folder(tmp_path, SMALL[:1])
    (tmp_path / "out.csv").write_text("a,b\n1,2\n")
    assert main(["bounce", "bounces", "-o", "out.csv", "--resume", "--quiet"]) == 2
    assert (tmp_path / "out.csv").read_text() == "a,b\n1,2\n"


def test_killed_runs_over_a_folder_resume_to_the_same_bytes(tmp_path: pathlib.Path) -> None:
    d = tmp_path / "bounces"
    shutil.copytree(CORPUS, d, ignore=shutil.ignore_patterns("README*"))
    command = [sys.executable, "-m", "maildiag", "bounce", "bounces", "--quiet"]
    done = subprocess.run([*command, "-o", "whole.csv"], cwd=tmp_path, capture_output=True, timeout=300, check=False)
    assert done.returncode == 1, done.stderr
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    kills = 0
    while True:
        proc = subprocess.Popen([*command, "-o", "out.csv", "--resume"], cwd=tmp_path, stderr=subprocess.PIPE)
        if kills >= 10:
            _, err = proc.communicate(timeout=300)
            assert proc.returncode == 1, err
            break
        time.sleep(rng.uniform(0.3, 1.2))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        _, err = proc.communicate(timeout=300)
        assert b"Traceback" not in err
        if proc.returncode == 1 and kills < 10:
            (tmp_path / "out.csv").unlink()  # finished before the kill: start over
    assert (tmp_path / "out.csv").read_bytes() == (tmp_path / "whole.csv").read_bytes(), f"seed {seed}"


@pytest.mark.parametrize("flag", ["-o", "--summary-json"])
def test_an_unwritable_output_is_a_usage_error(
    tmp_path: pathlib.Path, flag: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    folder(tmp_path, SMALL[:1])
    assert main(["bounce", "bounces", flag, "no/such/dir/x.csv", "--quiet"]) == 2
    assert "no/such/dir/x.csv: No such file" in capsys.readouterr().err
