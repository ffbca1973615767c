#!/usr/bin/env python3
"""Rebuild tests/corpora/flufl-bounce: flufl.bounce's own test messages, labelled by its tests.

    python3 scripts/make_flufl_corpus.py [--sdist flufl_bounce-6.0.0.tar.gz] [--out DIR]

flufl.bounce (Apache-2.0; Mailman's bounce detectors) ships real bounces collected over twenty
years of Mailman in its source distribution (``tests/data``), and its test suite states which
addresses each detector must find and whether they are temporary (a warning) or permanent
(``DETECTORS`` in ``tests/test_detectors.py``). This script downloads the sdist from PyPI
(unless ``--sdist`` names one), reads that list without running it (``ast``), and writes:

- every message the list names, byte for byte;
- ``manifest.tsv`` in the columns of ``../bounces-dev/manifest.tsv``: the union of the
  addresses the list expects for the file (a file named twice, e.g. by GroupWise with none and
  by Exchange with one, expects the one), ``temporary`` when the list says the failure is
  temporary. The list gives no reasons and no hard/soft, so those are ``-`` (a temporary
  failure is never hard: ``0``). A file the list expects no address from is kept only when
  its own comment says it is not a bounce (kind ``nofailure``: right when no failure is
  reported); one "no addresses are detectable" bounce says nothing about the truth and is
  left out;
- the sdist's LICENSE.

The labels are flufl.bounce's maintainers', never maildiag's output.
"""

from __future__ import annotations

import argparse
import ast
import csv
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "tests" / "corpora" / "flufl-bounce"
VERSION = "6.0.0"
FIELDS = ["file", "expected_recipients", "expected_reason", "expected_status", "expected_replycode",
          "expected_hardbounce", "expected_kind", "is_bounce", "source", "notes"]
#: Files the list expects nothing from, and what the list's own comment says they are.
NOT_BOUNCES = {"groupwise_03.txt": "not a bounce (the list's comment)",
               "qmail_08.txt": "an auto-reply (Subject: Auto reply, Precedence: auto_reply)"}


def sdist(path: Path | None, work: Path) -> Path:
    if path is None:
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:",
                        "-d", str(work), f"flufl.bounce=={VERSION}"], check=True)
        path = next(work.glob("flufl*bounce-*.tar.gz"))
    with tarfile.open(path) as tar:
        tar.extractall(work, filter="data")
    return next(p for p in work.iterdir() if p.is_dir())


def detectors(test_file: Path) -> list[tuple[str, str, list[str], bool]]:
    """The ``DETECTORS`` list of the test file, as values (it is a literal)."""
    tree = ast.parse(test_file.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "DETECTORS"
                                                for t in node.targets):
            rows = ast.literal_eval(node.value)
            return [(m, f, [a.decode() for a in expected], temporary) for m, f, expected, temporary in rows]
    raise SystemExit("no DETECTORS list in " + str(test_file))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sdist", type=Path)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = sdist(args.sdist, Path(tmp))
        expected: dict[str, list[str]] = {}
        temporary: dict[str, bool] = {}
        for _module, name, addresses, temp in detectors(root / "tests" / "test_detectors.py"):
            seen = expected.setdefault(name, [])
            seen.extend(a for a in addresses if a not in seen)
            temporary[name] = temporary.get(name, False) or (temp and bool(addresses))
        args.out.mkdir(parents=True, exist_ok=True)
        rows = []
        for name in sorted(expected):
            addresses = expected[name]
            if not addresses and name not in NOT_BOUNCES:
                continue
            shutil.copyfile(root / "tests" / "data" / name, args.out / name)
            kind = "temporary" if temporary[name] else "permanent"
            n = len(addresses)
            rows.append({
                "file": name,
                "expected_recipients": " ".join(addresses),
                "expected_reason": " ".join(["-"] * n),
                "expected_status": " ".join(["-"] * n),
                "expected_replycode": " ".join(["-"] * n),
                "expected_hardbounce": " ".join(["0" if kind == "temporary" else "-"] * n),
                "expected_kind": " ".join([kind] * n) if n else "nofailure",
                "is_bounce": "1" if n else "0",
                "source": f"flufl.bounce {VERSION} sdist (PyPI): tests/data/{name}; labels tests/test_detectors.py",
                "notes": NOT_BOUNCES.get(name, ""),
            })
        shutil.copyfile(root / "LICENSE", args.out / "LICENSE")
    with (args.out / "manifest.tsv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, FIELDS, delimiter="\t", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"{len(rows)} messages written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
