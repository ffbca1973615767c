"""Messages an MTA gave up on after retrying: the reason is the last reply's cause, else expired.

Decided after the first look at tests/corpora/mta-bounces (docs/bounces.md, "Given up after
retries"): a support desk acts on why the message never went (a mailbox that stayed full, a
server that kept failing), so a report that quotes the last reply is read by that reply,
whatever giving-up words or status surround it (Sendmail's Status 4.4.7 and "could not be
delivered for", Exim's "retry timeout exceeded", Courier's 5.0.0). When no server replied (the
connection was refused or the host unreachable), giving up is all there is to say: expired,
as "connection timed out" given up already was. A delay report names the cause it has so far.
"""

from __future__ import annotations

import pytest
from tests.bounce._reports import report

from maildiag.bounce import parse_bounce

SENDMAIL_EXPLANATION = (
    "   ----- The following addresses had permanent fatal errors -----\nann@shop.example\n\n"
    "   ----- Transcript of session follows -----\nann@shop.example... Deferred: {said}\n"
    "Message could not be delivered for 5 days\nMessage will be deleted from queue"
)
EXIM_EXPLANATION = (
    "A message that you sent could not be delivered to one or more of its\n"
    "recipients. This is a permanent error. The following address(es) failed:\n\n"
    "  ann@shop.example\n    host mx.shop.example [192.0.2.7]\n    {said}:\n    retry timeout exceeded"
)
EXIM_TAIL = ": retry timeout exceeded"  # Exim's Diagnostic-Code ends with it too


def given_up(explanation: str, said: str, status: str, *, action: str = "failed",
             diagnostic: bool = True, tail: str = "") -> bytes:
    """A report on ann@shop.example's message, with ``said`` as the last thing that happened."""
    fields = f"\nFinal-Recipient: rfc822; ann@shop.example\nAction: {action}\nStatus: {status}\n"
    if diagnostic:
        fields += f"Diagnostic-Code: smtp; {said}{tail}\n"
    return report("Returned mail: see transcript for details", explanation.format(said=said), fields)


FULL = "452 4.2.2 <ann@shop.example>: mailbox is over its storage quota"
SYSTEM = "451 4.3.0 <ann@shop.example>: temporary system problem, please try again later"
REFUSED = "Connection refused by mx.shop.example."


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        # The last reply names why: that is the reason, under any giving-up status or words.
        pytest.param(given_up(SENDMAIL_EXPLANATION, FULL, "4.4.7"), "mailbox_full", id="sendmail-full"),
        pytest.param(given_up(SENDMAIL_EXPLANATION, SYSTEM, "4.4.7"), "receiver_error", id="sendmail-system"),
        pytest.param(given_up(EXIM_EXPLANATION, FULL, "5.0.0", tail=EXIM_TAIL), "mailbox_full", id="exim-full"),
        pytest.param(given_up(EXIM_EXPLANATION, SYSTEM, "5.0.0", tail=EXIM_TAIL), "receiver_error", id="exim-system"),
        # No server replied: the MTA gave up on the path itself.
        pytest.param(given_up(SENDMAIL_EXPLANATION, REFUSED, "4.4.7", diagnostic=False), "expired",
                     id="sendmail-refused"),
        pytest.param(given_up("<ann@shop.example>: connect to mx.shop.example[192.0.2.7]:25: Connection refused",
                              "connect to mx.shop.example[192.0.2.7]:25: Connection refused", "4.4.1"),
                     "expired", id="postfix-refused"),
        pytest.param(given_up("<ann@shop.example>:\n <<< Network is down", "Network is down", "5.0.0"),
                     "expired", id="courier-network-down"),
        pytest.param(given_up("Delivery has failed to these recipients",
                              "550 5.4.316 Message expired, connection refused", "5.4.316"),
                     "expired", id="office365-expired-refused"),
        pytest.param(given_up(SENDMAIL_EXPLANATION, "Connection timed out with mx.shop.example.", "4.4.7",
                              diagnostic=False), "expired", id="sendmail-timed-out"),
        # Still being tried: the cause so far, never "expired" for a refusal.
        pytest.param(given_up("<ann@shop.example>: connect to mx.shop.example[192.0.2.7]:25: Connection refused",
                              "connect to mx.shop.example[192.0.2.7]:25: Connection refused", "4.4.1",
                              action="delayed"), "network", id="postfix-refused-delayed"),
        pytest.param(given_up("Delivery to the following recipients has been delayed", FULL, "4.2.2",
                              action="delayed"), "mailbox_full", id="full-delayed"),
    ],
)
def test_given_up_reads_the_last_reply(message: bytes, reason: str) -> None:
    (failure,) = parse_bounce(message).failures
    assert failure.reason == reason
    # Given up or not, the cause was temporary: the address itself may well work.
    assert failure.hard is False


def test_the_reported_status_is_kept() -> None:
    (failure,) = parse_bounce(given_up(SENDMAIL_EXPLANATION, FULL, "4.4.7")).failures
    # The report's own status stays what it said (RFC 3464 §2.3.4); only the reason is read
    # from the reply it quotes.
    assert (failure.status, failure.reply_code) == ("4.4.7", 452)


def test_no_mx_took_the_connection_is_expired_whatever_the_status() -> None:
    # Haraka gives up a refused connection with "Status: 5.1.2 (550 Tried all MXs ...)": its
    # own X.1.2 (RFC 3463 §3.2, bad destination system) would read as a missing domain, a
    # hard bounce; the words say every MX was tried.
    fields = ("\nFinal-Recipient: rfc822;ann@shop.example\nAction: failed\n"
              "Status: 5.1.2 (550 Tried all MXs shop.example)\n")
    (failure,) = parse_bounce(report("Mail delivery failed", "", fields)).failures
    assert (failure.reason, failure.hard, failure.status) == ("expired", False, "5.1.2")
