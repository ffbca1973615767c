"""`maildiag bulk`: a list in, the same rows out with maildiag's columns (issue 14, section 1).

What a support desk or a shop cleaning a list relies on: every input row comes out once, in
order, with its own columns first; the address column is found; formats and gzip follow the
file names; the mailbox key merges what a provider documents as one mailbox and nothing
else; the summary counts the whole file; and an interrupted output is continued exactly
(the exhaustive cut tests here, the kill tests in tests/test_bulk_resume.py).
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import pathlib
import pty
import subprocess
import sys

import pytest

from maildiag import Options, diagnose
from maildiag._lists.columns import COLUMNS, canonical
from maildiag.cli import main
from maildiag.testing import FakeResolver

OURS = list(COLUMNS)


def bulk(tmp_path: pathlib.Path, args: list[str], stdin: bytes = b"") -> tuple[int, bytes, str]:
    """Run ``maildiag bulk`` in a child process (as a user does): exit status, stdout, stderr."""
    proc = subprocess.run(
        [sys.executable, "-m", "maildiag", "bulk", *args], input=stdin, capture_output=True,
        cwd=tmp_path, timeout=120, check=False,
    )
    return proc.returncode, proc.stdout, proc.stderr.decode("utf-8", "replace")


def write(path: pathlib.Path, text: str) -> pathlib.Path:
    path.write_bytes(text.encode("utf-8"))
    return path


def csv_rows(data: bytes, delimiter: str = ",") -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8")), delimiter=delimiter))


# -- rows: every one, in order, with its own columns first -----------------------------------


def test_csv_rows_keep_their_columns_in_order_then_maildiags(tmp_path: pathlib.Path) -> None:
    write(tmp_path / "in.csv", "name,Email,city\nAnn,ann@gmial.com,Haifa\nBob,,Eilat\n\nDan,not-an-address,Acre\n")
    code, out, err = bulk(tmp_path, ["in.csv", "--offline"])
    assert code == 0, err
    rows = csv_rows(out)
    assert rows[0] == ["name", "Email", "city", *OURS]
    assert [r[:3] for r in rows[1:]] == [["Ann", "ann@gmial.com", "Haifa"], ["Bob", "", "Eilat"], ["", "", ""],
                                         ["Dan", "not-an-address", "Acre"]]
    by = [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]
    assert by[0]["verdict"] == "fix" and by[0]["suggestion"] == "ann@gmail.com"
    assert "domain.typo" in by[0]["codes"].split()
    assert by[0]["message"] == "Did you mean ann@gmail.com?"
    assert by[1]["verdict"] == "" and by[2]["verdict"] == ""  # passed through, not diagnosed
    assert by[3]["verdict"] == "undeliverable" and by[3]["blame"] == "address"
    assert "2 skipped" in err  # counted


@pytest.mark.parametrize(
    ("header", "column", "expected"),
    [
        ("id,E-Mail,x", None, "E-Mail"),
        ("id,email_address,x", None, "email_address"),
        ("id, Email ,x", None, " Email "),
        ("contact", None, "contact"),  # the only column
        ("id,work,home", "home", "home"),
        ("id,work,home", "HOME", "home"),
    ],
)
def test_the_address_column_is_found_by_name(
    tmp_path: pathlib.Path, header: str, column: str | None, expected: str
) -> None:
    names = header.split(",")
    row = ["ann@gmial.com" if n == expected else f"v{i}" for i, n in enumerate(names)]
    write(tmp_path / "in.csv", header + "\n" + ",".join(row) + "\n")
    code, out, err = bulk(tmp_path, ["in.csv", "--offline", *(["--column", column] if column else [])])
    assert code == 0, err
    got = dict(zip(csv_rows(out)[0], csv_rows(out)[1], strict=True))
    assert got["suggestion"] == "ann@gmail.com"


@pytest.mark.parametrize(("header", "args"), [("id,work,home", []), ("id,email", ["--column", "mail"])])
def test_no_address_column_is_a_usage_error_naming_the_columns(
    tmp_path: pathlib.Path, header: str, args: list[str]
) -> None:
    write(tmp_path / "in.csv", header + "\n1,a@b.example,c\n")
    code, out, err = bulk(tmp_path, ["in.csv", "--offline", *args])
    assert code == 2 and out == b""
    assert "'id'" in err and "Traceback" not in err


def test_semicolon_csv_and_a_byte_order_mark_as_spreadsheets_export_them(tmp_path: pathlib.Path) -> None:
    (tmp_path / "in.csv").write_bytes("\ufeffname;email\nAnn;ann@gmial.com\n".encode())
    code, out, _ = bulk(tmp_path, ["in.csv", "--offline"])
    assert code == 0
    rows = csv_rows(out, ";")
    assert rows[0] == ["name", "email", *OURS]  # no BOM in the first name; same delimiter
    assert rows[1][2] == "fix"


def test_ragged_rows_keep_every_cell(tmp_path: pathlib.Path) -> None:
    write(tmp_path / "in.csv", "email,a\nann@gmail.com\nbob@gmail.com,1,extra1,extra2\n")
    code, out, _ = bulk(tmp_path, ["in.csv", "--offline"])
    rows = csv_rows(out)
    assert code == 0
    assert rows[1][:2] == ["ann@gmail.com", ""] and len(rows[1]) == 2 + len(OURS)  # padded under the header
    assert rows[2][:2] == ["bob@gmail.com", "1"] and rows[2][-2:] == ["extra1", "extra2"]  # kept, after ours
    assert rows[2][2] == "ok"


def test_formulas_are_neutralised_in_every_cell_but_json_keeps_data_exact(tmp_path: pathlib.Path) -> None:
    write(tmp_path / "in.csv", 'email,note\n"=HYPERLINK(""http://x.example"")@x.example",+1 555\n')
    code, out, _ = bulk(tmp_path, ["in.csv", "--offline"])
    rows = csv_rows(out)
    assert code == 0
    assert rows[1][0].startswith("'=") and rows[1][1] == "'+1 555"
    assert not any(cell[:1] in "=+-@" for cell in rows[1] if cell)
    code, out, _ = bulk(tmp_path, ["in.csv", "--offline", "--format", "jsonl"])
    assert json.loads(out)["note"] == "+1 555"


def test_unreadable_rows_are_passed_through_and_counted(tmp_path: pathlib.Path) -> None:
    huge = "x" * (17 * 1024 * 1024)  # over the csv module's field limit
    write(tmp_path / "in.csv", f"email\nann@gmail.com\n\"{huge}\"\nbob@gmail.com\n")
    code, out, err = bulk(tmp_path, ["in.csv", "--offline"])
    rows = csv_rows(out)
    assert code == 0, err
    assert [r[0] for r in rows[1:]] == ["ann@gmail.com", "", "bob@gmail.com"]  # nothing lost, order kept
    assert "unreadable CSV row" in rows[2][1 + OURS.index("message")]
    assert "1 skipped" in err


def test_json_lines_rows_of_every_shape(tmp_path: pathlib.Path) -> None:
    lines = ['{"email": "ann@gmial.com", "id": 1}', "", "not json", "[1, 2]",
             '{"id": 5}', '{"Email": "bob@gmail.com", "verdict": "theirs"}']
    write(tmp_path / "in.jsonl", "\n".join(lines) + "\n")
    code, out, err = bulk(tmp_path, ["in.jsonl", "--offline"])
    got = [json.loads(line) for line in out.decode().splitlines()]
    assert code == 0, err
    assert len(got) == len(lines)
    assert got[0]["id"] == 1 and got[0]["verdict"] == "fix"
    assert got[1]["verdict"] is None
    assert got[2]["input"] == "not json" and got[2]["message"] == "not a JSON value"
    assert got[3]["input"] == [1, 2] and got[3]["message"] == "not a JSON object"
    assert got[4]["id"] == 5 and got[4]["verdict"] is None
    # the input's own "verdict" is kept; maildiag's columns of that row are prefixed
    assert got[5]["verdict"] == "theirs" and got[5]["maildiag_verdict"] == "ok"
    assert "4 skipped" in err


def test_a_colliding_csv_header_prefixes_maildiags_columns(tmp_path: pathlib.Path) -> None:
    write(tmp_path / "in.csv", "email,verdict\nann@gmail.com,vip\n")
    _, out, _ = bulk(tmp_path, ["in.csv", "--offline"])
    rows = csv_rows(out)
    assert rows[0] == ["email", "verdict", *("maildiag_" + c for c in OURS)]
    assert rows[1][:3] == ["ann@gmail.com", "vip", "ok"]


@pytest.mark.parametrize(
    ("infile", "content", "args", "check"),
    [
        ("in.txt", "ann@gmial.com\n\n", ["-o", "out.csv"], "csv"),
        ("in.csv", "email\nann@gmial.com\n\n", ["-o", "out.jsonl"], "jsonl"),
        ("in.csv", "email\nann@gmial.com\n\n", ["--format", "lines"], "lines"),
        ("in.txt", "ann@gmial.com\n\n", [], "lines"),
        ("in.jsonl", '{"email": "ann@gmial.com"}\n\n', ["-o", "out.txt"], "lines"),
    ],
)
def test_formats_follow_the_file_names(
    tmp_path: pathlib.Path, infile: str, content: str, args: list[str], check: str
) -> None:
    write(tmp_path / infile, content)
    code, out, err = bulk(tmp_path, [infile, "--offline", *args])
    assert code == 0, err
    data = (tmp_path / args[1]).read_bytes() if args[:1] == ["-o"] else out
    text = data.decode()
    if check == "csv":
        rows = csv_rows(data)
        assert rows[0] == ["email", *OURS] and rows[1][1] == "fix" and len(rows) == 3
    elif check == "jsonl":
        got = [json.loads(line) for line in text.splitlines()]
        assert got[0]["email"] == "ann@gmial.com" and got[0]["suggestion"] == "ann@gmail.com" and len(got) == 2
    else:
        lines = text.splitlines()
        assert len(lines) == 2
        fields = lines[0].split("\t")
        assert fields[:3] == ["ann@gmial.com", "fix", "ann@gmail.com"] and len(fields) == 1 + len(OURS)


def test_json_lines_into_csv_is_refused_clearly(tmp_path: pathlib.Path) -> None:
    write(tmp_path / "in.jsonl", '{"email": "a@gmail.com"}\n')
    code, _, err = bulk(tmp_path, ["in.jsonl", "--offline", "-o", "out.csv"])
    assert code == 2 and "JSON Lines" in err and "Traceback" not in err


def test_gzip_in_and_out_by_extension_and_the_same_bytes_every_run(tmp_path: pathlib.Path) -> None:
    with gzip.open(tmp_path / "in.csv.gz", "wt", encoding="utf-8") as f:
        f.write("email\nann@gmial.com\nbob@gmail.com\n")
    assert bulk(tmp_path, ["in.csv.gz", "--offline", "-o", "a.csv.gz"])[0] == 0
    os.utime(tmp_path / "in.csv.gz", (1, 1))  # a different time changes nothing
    assert bulk(tmp_path, ["in.csv.gz", "--offline", "-o", "b.csv.gz"])[0] == 0
    a, b = (tmp_path / "a.csv.gz").read_bytes(), (tmp_path / "b.csv.gz").read_bytes()
    assert a == b  # no file name, no time stamp in the gzip header
    assert gzip.decompress(a).decode().splitlines()[1].startswith("ann@gmial.com,fix,ann@gmail.com")


def test_undecodable_bytes_come_back_byte_for_byte(tmp_path: pathlib.Path) -> None:
    (tmp_path / "in.csv").write_bytes(b"email,name\nann@gmail.com,Jos\xe9\n")
    code, out, _ = bulk(tmp_path, ["in.csv", "--offline"])
    assert code == 0
    assert out.splitlines()[1].startswith(b"ann@gmail.com,Jos\xe9,ok")


def test_standard_input_and_output(tmp_path: pathlib.Path) -> None:
    code, out, _ = bulk(tmp_path, ["-", "--offline", "--input-format", "csv"], b"email\nann@gmial.com\n")
    assert code == 0 and csv_rows(out)[1][1] == "fix"


# -- the mailbox key and duplicates -------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("J.Doe+shop@GoogleMail.com", "jdoe@gmail.com"),  # Gmail: dots, +tags, case; googlemail = gmail
        ("jdoe@gmail.com", "jdoe@gmail.com"),
        ("Ann.Lee+news@Outlook.com", "ann.lee@outlook.com"),  # Outlook.com: +tags, case; dots count
        ("Ann.Lee@Example.COM", "Ann.Lee@example.com"),  # unknown provider: only the domain folds
        ("a+b@example.com", "a+b@example.com"),  # nobody documented + here
        ("not an address", ""),
    ],
)
def test_canonical_key_follows_what_providers_document(address: str, key: str) -> None:
    assert canonical(diagnose(address, options=Options(offline=True))) == key


def test_canonical_key_on_a_workspace_domain_drops_tags_but_keeps_dots() -> None:
    fake = FakeResolver().mx("corp.example", "smtp.google.com")
    d = diagnose("J.Doe+crm@Corp.Example", options=Options(resolver=fake))
    assert d.providers and d.providers[0].id == "google_workspace"
    assert canonical(d) == "j.doe@corp.example"


def test_duplicate_of_names_the_first_row_of_the_same_mailbox(tmp_path: pathlib.Path) -> None:
    rows = ["jdoe@gmail.com", "ann@example.com", "J.Doe+x@googlemail.com", "", "Ann@example.com", "jdoe@gmail.com"]
    write(tmp_path / "in.txt", "\n".join(rows) + "\n")
    code, _, err = bulk(tmp_path, ["in.txt", "--offline", "-o", "out.jsonl", "--summary-json", "s.json"])
    got = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert code == 0, err
    # row numbers count data rows from 1; the blank row is row 4
    assert [g["duplicate_of"] for g in got] == [None, None, 1, None, None, 1]
    summary = json.loads((tmp_path / "s.json").read_text())
    assert summary["rows"] == 6 and summary["skipped"] == 1 and summary["duplicates"] == 2
    assert summary["top_domains"][0] == ["gmail.com", 3]


def test_summary_counts_verdicts_codes_and_domains(tmp_path: pathlib.Path) -> None:
    write(tmp_path / "in.txt", "a@gmial.com\nb@gmial.com\nc@gmail.com\nbad\n\n")
    code, _, err = bulk(tmp_path, ["in.txt", "--offline", "-o", "out.csv", "--summary-json", "s.json"])
    summary = json.loads((tmp_path / "s.json").read_text())
    assert code == 0
    assert summary["verdicts"] == {"fix": 2, "ok": 1, "undeliverable": 1}
    assert ["domain.typo", 2] in summary["top_codes"]
    assert summary["top_domains"][0] == ["gmial.com", 2]
    assert "5 rows: 4 diagnosed, 1 skipped" in err and "fix 2" in err


def test_with_dns_the_rows_agree_with_diagnose(tmp_path: pathlib.Path, dns_server: tuple[str, int]) -> None:
    host, port = dns_server
    addresses = ["x@multi-mx.example", "y@null-mx.example", "z@no-such-domain.example", "w@gmail.com"]
    write(tmp_path / "in.txt", "\n".join(addresses) + "\n")
    code, _, err = bulk(tmp_path, ["in.txt", "-o", "out.jsonl", "--nameserver", f"{host}:{port}", "--allow-private"])
    assert code == 0, err
    got = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    from maildiag.cli import _resolver_for

    opts = Options(resolver=_resolver_for(f"{host}:{port}"), allow_private_addresses=True)
    for row, address in zip(got, addresses, strict=True):
        d = diagnose(address, options=opts)
        assert (row["verdict"], row["codes"]) == (d.verdict.value, " ".join(f.code for f in d.findings))


# -- resume: every cut point ---------------------------------------------------------------


CASES = {
    # multi-line quoted cells and a comma inside quotes: a cut inside them must not count
    "in.csv": 'email,note\nann@gmail.com,"line1\nline2"\n\nbob@gmial.com,"a,b"\nann@gmail.com,x\nz@y.example,\n',
    "in.jsonl": '{"email": "ann@gmail.com", "n": "a\\nb"}\n\n{"email": "bob@gmial.com"}\n{"email": "ann@gmail.com"}\n',
    "in.txt": "ann@gmail.com\n\nbob@gmial.com\nann@gmail.com\nz@y.example\n",
}


def cut_points(data: bytes) -> list[int]:
    """Every third byte, and both sides of every line break (where records end)."""
    points = set(range(0, len(data) + 1, 3)) | {len(data)}
    for i, byte in enumerate(data):
        if byte == 0x0A:
            points |= {i, i + 1, i + 2}
    return sorted(p for p in points if p <= len(data))


@pytest.mark.parametrize("infile", sorted(CASES))
def test_resume_from_any_cut_point_gives_the_uninterrupted_bytes(
    tmp_path: pathlib.Path, infile: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # in-process (hundreds of runs): the same code as the command
    suffix = pathlib.Path(infile).suffix
    write(tmp_path / infile, CASES[infile])
    assert main(["bulk", infile, "--offline", "--quiet", "-o", "full" + suffix, "--summary-json", "full.json"]) == 0
    full = (tmp_path / ("full" + suffix)).read_bytes()
    full_summary = (tmp_path / "full.json").read_bytes()
    for n, cut in enumerate(cut_points(full)):
        # a file system may leave zeros after a power cut
        for tail in (b"", b"\x00" * 7) if n % 4 == 0 else (b"",):
            (tmp_path / ("out" + suffix)).write_bytes(full[:cut] + tail)
            argv = ["bulk", infile, "--offline", "--quiet", "-o", "out" + suffix, "--resume",
                    "--summary-json", "s.json"]
            assert main(argv) == 0, cut
            assert (tmp_path / ("out" + suffix)).read_bytes() == full, cut
            assert (tmp_path / "s.json").read_bytes() == full_summary, cut


def test_resume_of_a_cut_gzip_output(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "in.txt", "".join(f"user{i}@gmail.com\n" for i in range(300)))
    assert main(["bulk", "in.txt", "--offline", "--quiet", "-o", "full.jsonl.gz"]) == 0
    full = (tmp_path / "full.jsonl.gz").read_bytes()
    for cut in range(0, len(full) + 1, max(1, len(full) // 60)):
        (tmp_path / "out.jsonl.gz").write_bytes(full[:cut])
        assert main(["bulk", "in.txt", "--offline", "--quiet", "-o", "out.jsonl.gz", "--resume"]) == 0
        assert (tmp_path / "out.jsonl.gz").read_bytes() == full, cut


def test_resume_refuses_a_file_with_another_header(tmp_path: pathlib.Path) -> None:
    write(tmp_path / "in.csv", "email\nann@gmail.com\n")
    write(tmp_path / "out.csv", "id,name\n1,x\n")
    code, _, err = bulk(tmp_path, ["in.csv", "--offline", "-o", "out.csv", "--resume"])
    assert code == 2 and "header" in err
    assert (tmp_path / "out.csv").read_text() == "id,name\n1,x\n"  # untouched


def test_resume_refuses_an_output_longer_than_the_input(tmp_path: pathlib.Path) -> None:
    write(tmp_path / "in.txt", "a@gmail.com\nb@gmail.com\n")
    assert bulk(tmp_path, ["in.txt", "--offline", "-o", "out.txt"])[0] == 0
    write(tmp_path / "in.txt", "a@gmail.com\n")
    code, _, err = bulk(tmp_path, ["in.txt", "--offline", "-o", "out.txt", "--resume"])
    assert code == 2 and "more than the input" in err


def test_resume_needs_an_output_file(tmp_path: pathlib.Path) -> None:
    code, _, err = bulk(tmp_path, ["-", "--offline", "--resume"], b"a@gmail.com\n")
    assert code == 2 and "-o OUT" in err


def test_resume_without_an_output_yet_starts_it(tmp_path: pathlib.Path) -> None:
    write(tmp_path / "in.txt", "a@gmail.com\n")
    assert bulk(tmp_path, ["in.txt", "--offline", "-o", "out.txt", "--resume"])[0] == 0
    assert (tmp_path / "out.txt").read_text().startswith("a@gmail.com\tok")


# -- progress and summary on the terminal ----------------------------------------------------


def _run_on_a_terminal(tmp_path: pathlib.Path, args: list[str]) -> str:
    leader, follower = pty.openpty()
    try:
        proc = subprocess.Popen([sys.executable, "-m", "maildiag", "bulk", *args], cwd=tmp_path, stderr=follower,
                                stdout=subprocess.DEVNULL)
        os.close(follower)
        chunks: list[bytes] = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        assert proc.wait(timeout=120) == 0
    finally:
        os.close(leader)
    return b"".join(chunks).decode("utf-8", "replace")


def test_a_progress_bar_on_a_terminal_and_none_on_a_pipe(tmp_path: pathlib.Path) -> None:
    write(tmp_path / "in.txt", "".join(f"user{i}@example.com\n" for i in range(40_000)))
    shown = _run_on_a_terminal(tmp_path, ["in.txt", "--offline", "-o", "out.txt"])
    assert "rows/s" in shown
    assert "maildiag: 40000 rows" in shown  # the summary
    _, _, err = bulk(tmp_path, ["in.txt", "--offline", "-o", "out2.txt"])
    assert "rows/s" not in err and "\r" not in err and "maildiag: 40000 rows" in err
    quiet = _run_on_a_terminal(tmp_path, ["in.txt", "--offline", "-o", "out3.txt", "--quiet"])
    assert quiet == ""


def test_in_process_main_runs_bulk(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "in.txt", "ann@gmial.com\n")
    monkeypatch.chdir(tmp_path)
    assert main(["bulk", "in.txt", "--offline", "-o", "out.txt", "--quiet"]) == 0
    assert (tmp_path / "out.txt").read_text().split("\t")[1] == "fix"



def test_the_message_column_speaks_the_locale(tmp_path: pathlib.Path) -> None:
    write(tmp_path / "in.txt", "jane@gmial.com\n")
    code, out, _ = bulk(tmp_path, ["in.txt", "--offline", "--locale", "he", "--format", "jsonl"])
    assert code == 0
    assert json.loads(out)["message"] == "האם התכוונת ל-jane@gmail.com?"


def test_columns_speak_the_options_locale_when_none_is_given() -> None:
    from maildiag._lists.columns import columns

    opts = Options(offline=True, locale="he")
    assert columns(diagnose("jane@gmial.com", options=opts), options=opts)["message"] == "האם התכוונת ל-jane@gmail.com?"
    assert columns(diagnose("jane@gmial.com", options=opts), "en", opts)["message"] == "Did you mean jane@gmail.com?"


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["missing.csv"], "cannot read missing.csv"),
        (["in.txt", "--nameserver", "dns.example"], "IPv4 or IPv6"),
        (["in.txt", "--concurrency", "0"], "positive integer"),
        (["in.txt", "--deadline", "-1"], "deadline"),
        (["in.txt", "-o", "no/such/dir/out.csv"], "no/such/dir/out.csv: No such file"),
        (["in.txt", "--summary-json", "no/such/dir/s.json"], "no/such/dir/s.json: No such file"),
    ],
)
def test_usage_errors_name_what_is_wrong_and_write_nothing(
    tmp_path: pathlib.Path, args: list[str], words: str
) -> None:
    write(tmp_path / "in.txt", "a@gmail.com\n")
    code, out, err = bulk(tmp_path, [*args, "--offline"] if "--nameserver" not in args else args)
    assert code == 2 and out == b""
    assert words in err and "Traceback" not in err
