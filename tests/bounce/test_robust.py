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


# parse_bounce turns any internal error into a "malformed" report, so the properties above
# cannot see a bug in the parser itself. These call the parser behind that safety net.

import email  # noqa: E402
import email.policy  # noqa: E402
import pathlib  # noqa: E402
import random  # noqa: E402

from maildiag.bounce._parse import parse_message  # noqa: E402

CORPUS = pathlib.Path(__file__).resolve().parents[1] / "corpora" / "bounces-dev"


def _parse_unguarded(raw: bytes) -> BounceReport:
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    try:
        return parse_message(msg, None)
    except RecursionError:  # deep MIME nesting is reported as such by parse_bounce
        return parse_bounce(raw)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=4000))
def test_the_parser_itself_never_raises_on_bytes(raw: bytes) -> None:
    assert isinstance(_parse_unguarded(raw), BounceReport)


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=2000), st.sampled_from([b"multipart/report; boundary=", b"message/rfc822", b"text/plain"]))
def test_the_parser_itself_never_raises_on_mangled_mime(body: str, ctype: bytes) -> None:
    raw = HEAD + ctype + b"\n\n" + body.encode("utf-8", "surrogatepass")
    assert isinstance(_parse_unguarded(raw), BounceReport)


def test_the_parser_itself_never_raises_on_mutated_real_bounces() -> None:
    """Real bounces with bytes flipped, cut or doubled: the kind of damage mail systems do."""
    files = sorted(CORPUS.glob("*.eml"))[::7]
    assert files, f"corpus not found at {CORPUS}"
    rng = random.Random(20261123)
    for path in files:
        data = path.read_bytes()
        for _ in range(8):
            raw = bytearray(data)
            for _ in range(rng.randint(1, 6)):
                i = rng.randrange(len(raw))
                choice = rng.random()
                if choice < 0.4:
                    raw[i] = rng.choice(b"\x00\xff<>@;=\"\n:")
                elif choice < 0.7:
                    del raw[i : i + rng.randint(1, 200)]
                else:
                    raw[i:i] = raw[i : i + rng.randint(1, 200)]
            _parse_unguarded(bytes(raw))


def test_junk_in_a_charset_name_does_not_spoil_the_report() -> None:
    raw = (CORPUS / "arf-01.eml").read_bytes()
    at = raw.index(b"charset=") + len(b"charset=")
    damaged = raw[:at] + b"\x00" + raw[at:]
    assert _parse_unguarded(damaged).kind.value == "complaint"
