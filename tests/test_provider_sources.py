"""Provenance of the shipped data: every provider fact cites a source a reader can obtain.

A citation of a file that exists only on the developers' machines or in the repository's test
tree (a research note, ``tests/corpora/...``) tells a user of the installed package nothing, so
the shipped data (``src/maildiag/data/**``) must name the public source itself: a URL, a
public repository and file, a vendor's document, or the published MX records of a domain.
Pointers to maildiag's own documentation (``docs/<page>.md``) are allowed when the page exists.
See docs/providers.md, "Sources".
"""

from __future__ import annotations

import dataclasses
import datetime
import pathlib
import re
import tomllib
from collections.abc import Iterator
from importlib import resources
from typing import Any

import pytest

DATA = pathlib.Path(str(resources.files("maildiag") / "data"))
PROVIDERS = sorted((DATA / "providers").glob("*.toml"))
REPO = pathlib.Path(__file__).resolve().parent.parent
DOCS = REPO / "docs"

#: A path that starts with one of the repository's folders that the package does not ship, or
#: a local absolute path. A path inside a URL or after a public repository's name
#: (``github.com/owner/repo/tests/...``) is preceded by ``/`` and is not matched.
_LOCAL_TREE = re.compile(
    r"(?<![\w./-])(?:tests|scripts|bench|examples|research|corpora)/"  # the repository's unshipped folders
    r"|(?:^|[\s(\"'])(?:/work|/tmp|/home|~)/"  # a path on someone's machine
)
#: A Markdown file named outside a URL: only an existing page of maildiag's docs/ may be cited.
_MARKDOWN = re.compile(r"(?<![\w./:-])((?:[\w.-]+/)*[\w.-]+\.md)\b")


def _local_citations(text: str, docs: pathlib.Path = DOCS) -> list[str]:
    """The citations in ``text`` of files a user of the installed package cannot read."""
    found = [m.group(0).strip() for m in _LOCAL_TREE.finditer(text)]
    for match in _MARKDOWN.finditer(text):
        name = match.group(1)
        folder, _, page = name.rpartition("/")
        if not (folder == "docs" and (docs / page).is_file()):
            found.append(name)
    return found


@pytest.mark.parametrize(
    ("text", "flagged"),
    [
        # What the data cited before it named the public source itself.
        ("provider-notes.md section 1 (AOL runs on mx-aol.mail.gm0.yahoodns.net)", ["provider-notes.md"]),
        ("# Source: https://x.example/; provider-notes.md section 2", ["provider-notes.md"]),
        ("real DoCoMo bounces in tests/corpora/bounces-dev", ["tests/"]),
        ("Reacher #1185, verification-anchors.md", ["verification-anchors.md"]),
        ("from /work/shared/research/provider-notes.md", ["/work/"]),
        ("see docs/no-such-page.md", ["docs/no-such-page.md"]),
        ("see README.md", ["README.md"]),
        # Public sources and maildiag's own documentation.
        ("https://help.yahoo.com/kb/SLN3434.html", []),
        ("https://github.com/x/y/blob/main/tests/data/z.md", []),
        ("Sisimai's public bounce fixtures (github.com/sisimai/set-of-emails, maildir/bsd/rhost-cox-01.eml)", []),
        ("Thunderbird ISPDB (github.com/thunderbird/autoconfig, ispdb/aol.com.xml)", []),
        ("Thunderbird ISPDB att.net.xml (domain list)", []),
        ("published MX records of cox.net (not re-resolved: no network in the build sandbox)", []),
        ("host names were not re-resolved on that date (see docs/providers.md).", []),
        ("suffix checked against publicsuffixlist (ICANN section)", []),
    ],
)
def test_local_citation_detector(text: str, flagged: list[str]) -> None:
    assert _local_citations(text) == flagged


def _data_files() -> list[pathlib.Path]:
    return sorted(p for p in DATA.rglob("*") if p.is_file() and p.suffix in {".toml", ".tsv", ".txt", ".json", ".csv"})


def test_data_files_are_found() -> None:
    names = {p.relative_to(DATA).as_posix() for p in _data_files()}
    assert {"providers/gmail.toml", "bounce_rules.toml", "domains.tsv"} <= names
    assert len(PROVIDERS) >= 30


@pytest.mark.parametrize("path", _data_files(), ids=lambda p: p.relative_to(DATA).as_posix())
def test_shipped_data_cites_no_unshipped_file(path: pathlib.Path) -> None:
    bad = [
        f"line {number}: {hit}"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        for hit in _local_citations(line)
    ]
    assert not bad, f"{path.name} cites files a user of the package cannot read: {bad}"


@dataclasses.dataclass(frozen=True)
class _Raw:
    id: str
    data: dict[str, Any]


def _raw_entries() -> list[_Raw]:
    return [_Raw(p.stem, tomllib.loads(p.read_text(encoding="utf-8"))) for p in PROVIDERS]


RAW = _raw_entries()


@pytest.mark.parametrize("entry", RAW, ids=[e.id for e in RAW])
def test_provider_entry_has_sources(entry: _Raw) -> None:
    sources = entry.data.get("source")
    assert isinstance(sources, list) and sources, "every entry says where its facts come from"
    assert all(isinstance(s, str) and s.strip() for s in sources)
    if entry.data.get("example_mx"):
        assert str(entry.data.get("example_mx_source", "")).strip(), "example MX hosts say where they come from"
    mailbox = entry.data.get("mailbox")
    if mailbox is not None:
        assert str(mailbox.get("source", "")).strip(), "the [mailbox] rules say which documentation they follow"


def _checked_values(node: Any, where: str) -> Iterator[tuple[str, Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "checked":
                yield where, value
            else:
                yield from _checked_values(value, f"{where}.{key}")
    elif isinstance(node, list):
        for number, item in enumerate(node):
            yield from _checked_values(item, f"{where}[{number}]")


def _checked_params() -> list[Any]:
    params = []
    for path in sorted(DATA.rglob("*.toml")):
        name = path.relative_to(DATA).as_posix()
        for where, value in _checked_values(tomllib.loads(path.read_text(encoding="utf-8")), name):
            params.append(pytest.param(value, id=where))
    return params


CHECKED = _checked_params()


def test_every_provider_entry_has_a_checked_date() -> None:
    assert {e.id for e in RAW} <= {param.id.removeprefix("providers/").removesuffix(".toml") for param in CHECKED}


@pytest.mark.parametrize("value", CHECKED)
def test_checked_is_a_date(value: Any) -> None:
    # A TOML local date (checked = 2026-11-23), not a string or a date-time: a quoted or
    # mistyped value would otherwise reach users as the "date" of the data.
    assert type(value) is datetime.date, f"checked must be a TOML date, not {value!r}"
    assert datetime.date(2020, 1, 1) <= value <= datetime.date.today()
