"""Delivery reports written by hand for the bounce tests: one builder, many MTAs' wording."""

from __future__ import annotations


def report(subject: str, explanation: str, fields: str, *, reporting: str = "mta.shop.example",
           returned: str = "") -> bytes:
    """A multipart/report: the explanation, then the delivery-status part (its per-message
    Reporting-MTA, then ``fields``), then ``returned`` parts."""
    return (
        "Return-Path: <MAILER-DAEMON>\nFrom: Mail Delivery Subsystem <MAILER-DAEMON@mta.shop.example>\n"
        f"To: orders@shop.example\nSubject: {subject}\nMIME-Version: 1.0\n"
        "Content-Type: multipart/report; report-type=delivery-status; boundary=B\n\n"
        f"--B\n\n{explanation}\n\n"
        f"--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; {reporting}\n{fields}"
        f"{returned}--B--\n"
    ).encode()


def failed(status: str, diagnostic: str, *, remote: str = "", recipient: str = "ann@shop.example") -> str:
    """The delivery-status fields of ``recipient``'s failure."""
    return (f"\nFinal-Recipient: RFC822; {recipient}\nAction: failed\nStatus: {status}\n{remote}"
            f"Diagnostic-Code: {diagnostic}\n")
