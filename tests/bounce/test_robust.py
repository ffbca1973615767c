"""parse_bounce never raises on content, and stays fast on adversarial text (no timing here:
a super-linear regex would make these tests hang, which the CI time limit catches)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from maildiag.bounce import BounceReport, parse_bounce

HEAD = b"From: MAILER-DAEMON@mx.example.org\nSubject: Undelivered Mail\nContent-Type: "


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=4000))
def test_arbitrary_bytes_never_raise(raw: bytes) -> None:
    assert isinstance(parse_bounce(raw), BounceReport)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=2000), st.sampled_from([b"multipart/report; boundary=", b"message/rfc822", b"text/plain"]))
def test_mangled_mime_never_raises(body: str, ctype: bytes) -> None:
    raw = HEAD + ctype + b"\n\n" + body.encode("utf-8", "surrogatepass")
    assert isinstance(parse_bounce(raw), BounceReport)


def test_one_megabyte_of_adversarial_text_is_parsed() -> None:
    patterns = ["a" * 1000 + "@", "a@" * 500, "5.5." * 500, "<" * 1000, "host " * 300 + "[",
                "550-" * 300, "x.y" * 400]
    body = "\n".join(patterns * 60)[: 1024 * 1024]
    report = parse_bounce(HEAD + b"text/plain\n\n" + body.encode())
    assert all("@" in r.recipient for r in report.recipients)
