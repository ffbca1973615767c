"""Bounce rows carry what support asks for next (issue 10.4): the bounce's date, the returned
message's sender, subject and Message-ID, the remote MTA and the refused SMTP command."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from maildiag.bounce import BounceReport, parse_bounce
from maildiag.cli import main

CORPUS = Path(__file__).resolve().parents[1] / "corpora" / "bounces-dev"
SENDMAIL = CORPUS / "lhost-sendmail-01.eml"


def test_a_sendmail_bounce_names_everything_support_needs() -> None:
    report = parse_bounce(SENDMAIL)
    assert report.date == "Wed, 16 Oct 2013 14:15:35 +0900"
    assert report.original_from == '"Kijitora Cat" <kijitora@example.org>'
    assert report.original_subject == "バウンスメールのテスト(日本語)"  # RFC 2047 decoded
    assert report.original_message_id == "<E1C50F1B-1C83-4820-BC36-AC6FBFBE8568@example.org>"
    (r,) = report.failures
    assert (r.remote_mta, r.smtp_command) == ("mx.bouncehammer.jp", "DATA")
    assert BounceReport.from_dict(json.loads(json.dumps(report.to_dict()))) == report


def test_the_csv_and_json_rows_carry_them() -> None:
    out = io.StringIO()
    main(["bounce", "--csv", str(SENDMAIL)], out=out)
    (row,) = csv.DictReader(io.StringIO(out.getvalue()))
    assert row["smtp_command"] == "DATA" and row["remote_mta"] == "mx.bouncehammer.jp"
    assert row["original_message_id"].startswith("<E1C50F1B") and row["date"].startswith("Wed, 16 Oct 2013")
    out = io.StringIO()
    main(["bounce", "--json", str(SENDMAIL)], out=out)
    data = json.loads(out.getvalue())
    assert data["original_subject"] == "バウンスメールのテスト(日本語)"
    assert data["recipients"][0]["smtp_command"] == "DATA"


def test_a_postfix_bounce_names_the_refused_command() -> None:
    commands = {r.smtp_command for p in sorted(CORPUS.glob("lhost-postfix-0*.eml"))
                for r in parse_bounce(p).failures}
    assert "RCPT" in commands
