"""A part whose charset or transfer encoding is garbage is read as well as it can be, and the
rest of the message still is: never ``malformed`` for one bad part (issue 9.5)."""

from __future__ import annotations

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
}


@pytest.mark.parametrize("raw", CASES.values(), ids=CASES.keys())
def test_one_bad_part_does_not_hide_the_failure(raw: bytes) -> None:
    report = parse_bounce(raw)
    assert report.kind is BounceKind.FAILURE, report.findings
    assert [(r.recipient, r.reason) for r in report.failures] == [("jane@example.org", "user_unknown")]
