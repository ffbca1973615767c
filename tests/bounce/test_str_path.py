"""``parse_bounce("bounce.eml")`` reads the file; never a quiet ``malformed`` (issue 10.2)."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.bounce.test_parse import DSN

from maildiag.bounce import BounceKind, parse_bounce


def test_a_str_naming_a_file_reads_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "bounce.eml").write_bytes(DSN)
    monkeypatch.chdir(tmp_path)
    report = parse_bounce("bounce.eml")
    assert report.kind is BounceKind.FAILURE and report.source == "bounce.eml"
    assert parse_bounce(str(tmp_path / "bounce.eml")) == parse_bounce(tmp_path / "bounce.eml")


@pytest.mark.parametrize("name", ["bounce.eml", "mail/bounce-17", "C:\\mail\\bounce.msg", "./x.txt"])
def test_a_str_that_looks_like_a_missing_file_raises(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      name: str) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError, match=r"pathlib\.Path"):
        parse_bounce(name)


@pytest.mark.parametrize("text", ["Subject: a/b", "hello", "", "From: x@y.org\nSubject: hi\n\nbody/with/slashes.eml"])
def test_other_str_is_message_text(text: str) -> None:
    assert parse_bounce(text).kind in (BounceKind.MALFORMED, BounceKind.NOT_A_BOUNCE)


def test_message_text_is_still_message_text() -> None:
    assert parse_bounce(DSN.decode()).kind is BounceKind.FAILURE


def test_a_str_naming_a_folder_raises_and_points_at_iter_messages(tmp_path: Path) -> None:
    with pytest.raises(IsADirectoryError, match="iter_messages"):
        parse_bounce(str(tmp_path))
