"""A part whose charset or transfer encoding is garbage is read as well as it can be, and the
rest of the message still is: never ``malformed`` for one bad part (issue 9.5)."""

from __future__ import annotations

import base64

import pytest

from maildiag.bounce import BounceKind, parse_bounce

_HEAD = (b"From: MAILER-DAEMON@mx.example.org\nTo: shop@example.net\n"
         b"Subject: Undelivered Mail Returned to Sender\nMIME-Version: 1.0\n")
_REFUSAL = b"<jane@example.org>: host mx.example.org said: 550 5.1.1 User unknown \xe9\n"
_DSN = (b"Reporting-MTA: dns; mx.example.org\n\nFinal-Recipient: rfc822; jane@example.org\n"
        b"Action: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 User unknown \xe9\n")


def _report(text_ctype: bytes, dsn_ctype: bytes = b"message/delivery-status") -> bytes:
    return (_HEAD + b'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\n\n'
            b"--B\nContent-Type: " + text_ctype + b"\n\n" + _REFUSAL +
            b"--B\nContent-Type: " + dsn_ctype + b"\n\n" + _DSN + b"--B--\n")


CASES = {
    "NUL in a quoted charset": _HEAD + b'Content-Type: text/plain; charset="utf\x008"\n\n' + _REFUSAL,
    "NUL alone as charset": _HEAD + b"Content-Type: text/plain; charset=\x00\n\n" + _REFUSAL,
    "NUL in an RFC 2231 charset": _HEAD + b"Content-Type: text/plain; charset*=x\x00''a\n\n" + _REFUSAL,
    "unknown RFC 2231 charset": _HEAD + b"Content-Type: text/plain; charset*=no-such-charset''a\n\n" + _REFUSAL,
    "unknown charset": _HEAD + b"Content-Type: text/plain; charset=no-such-charset\n\n" + _REFUSAL,
    "bad charset in a report part": _report(b"text/plain; charset*=x\x00''a"),
    "bad charset on the DSN part": _report(b"text/plain", b"message/delivery-status; charset*=\x00''a"),
    "NUL in report-type": _report(b"text/plain").replace(b"report-type=delivery-status",
                                                         b"report-type*=\x00''delivery-status"),
    "broken base64": _HEAD + b"Content-Type: text/plain\nContent-Transfer-Encoding: base64\n\n"
                     + b"!!!" + _REFUSAL,
    "broken quoted-printable": _HEAD + b"Content-Type: text/plain\nContent-Transfer-Encoding: quoted-printable\n\n"
                               + b"=ZZ=\n" + _REFUSAL,
    # Labelled base64 but plain 8-bit text: read as text, and compat32 would decode it with
    # the charset parameter itself (ValueError for a NUL, TypeError for an RFC 2231 value).
    "NUL charset on base64-labelled text": _HEAD + b'Content-Type: text/plain; charset="utf\x008"\n'
                                           + b"Content-Transfer-Encoding: base64\n\n" + _REFUSAL,
    "RFC 2231 charset on base64-labelled text": _HEAD + b"Content-Type: text/plain; charset*=x\x00''a\n"
                                                + b"Content-Transfer-Encoding: base64\n\n" + _REFUSAL,
    "NUL charset on a multipart whose boundary never comes": (
        _HEAD + b'Content-Type: multipart/mixed; boundary="NOPE"; charset=\x00\n\n' + _REFUSAL),
    # A UTF-16 or UTF-32 label on bytes with no NUL: plainly not UTF-16, read as 8-bit text.
    "UTF-16 label on 8-bit text": _HEAD + b"Content-Type: text/plain; charset=utf-16\n\n" + _REFUSAL,
    "UTF-32 label on a report's text part": _report(b"text/plain; charset=UTF-32LE"),
    "no text encoding (rot13) as charset": _HEAD + b"Content-Type: text/plain; charset=rot13\n\n" + _REFUSAL,
}


@pytest.mark.parametrize("raw", CASES.values(), ids=CASES.keys())
def test_one_bad_part_does_not_hide_the_failure(raw: bytes) -> None:
    report = parse_bounce(raw)
    assert report.kind is BounceKind.FAILURE, report.findings
    assert [(r.recipient, r.reason) for r in report.failures] == [("jane@example.org", "user_unknown")]


def test_a_real_utf16_part_is_still_read_as_utf16() -> None:
    body = "<jane@example.org>: host mx.example.org said: 550 5.1.1 User unknown caf\u00e9\n"
    raw = (_HEAD + b"Content-Type: text/plain; charset=utf-16\nContent-Transfer-Encoding: base64\n\n"
           + base64.encodebytes(body.encode("utf-16")))
    (r,) = parse_bounce(raw).failures
    assert (r.recipient, r.reason) == ("jane@example.org", "user_unknown")
    assert r.diagnostic.endswith("caf\u00e9")


def test_latin1_text_with_a_bad_charset_keeps_its_letters() -> None:
    """A bad charset falls back to UTF-8 when the bytes are UTF-8, else to Latin-1."""
    raw = _HEAD + b"Content-Type: text/plain; charset=\x00\n\n" + _REFUSAL.replace(b"\xe9", b"caf\xe9")
    assert parse_bounce(raw).failures[0].diagnostic.endswith("caf\u00e9")
    raw = _HEAD + b"Content-Type: text/plain; charset=\x00\n\n" + _REFUSAL.replace(b"\xe9", "caf\u00e9".encode())
    assert parse_bounce(raw).failures[0].diagnostic.endswith("caf\u00e9")


def test_a_character_that_lengthens_when_lower_cased_does_not_shift_the_cut() -> None:
    # "İ".lower() is two characters: a cut found in the lower-cased text must still fall at
    # the start of the marker's line in the original (it fell 40 characters late).
    from maildiag.bounce._mime import cut_returned

    explanation = "İ" * 40 + "\nThe mail system could not deliver your message.\n"
    text = explanation + "----- Original message follows -----\nFrom: a@example.com\n"
    assert cut_returned(text) == explanation
