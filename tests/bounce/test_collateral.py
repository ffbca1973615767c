"""A recipient failed by a reply about another recipient of the same report has no cause.

nullmailer gives a whole message up at the first refused RCPT TO and reports every recipient
with that reply (tests/corpora/mta-bounces/nullmailer-two-failures.eml, first look
2026-12-05). The reply names its own mailbox; when that is another recipient here, the
failure is not this recipient's: undetermined and never hard, so no good address is dropped.
"""

from __future__ import annotations

import pytest
from tests.bounce._reports import failed, report

from maildiag.bounce import parse_bounce

LIAM_UNKNOWN = "550 5.1.1 <liam@customers.example>: no mailbox by that name is currently available"


def bounce(*per_recipient: tuple[str, str, str]) -> bytes:
    names = "\n".join(f"\t<{r}>" for r, _, _ in per_recipient)
    return report("Returned mail: Could not send message",
                  "The message attached below could not be delivered to one or more of the intended "
                  f"recipients:\n\n{names}",
                  "".join(failed(status, f"SMTP; {diagnostic}", recipient=recipient)
                          for recipient, status, diagnostic in per_recipient))


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        pytest.param(
            bounce(("liam@customers.example", "5.1.1", LIAM_UNKNOWN),
                   ("maya@customers.example", "5.1.1", LIAM_UNKNOWN),
                   ("nora@customers.example", "5.1.1", LIAM_UNKNOWN)),
            [("user_unknown", True), ("undetermined", False), ("undetermined", False)],
            id="given-up-at-the-first-refusal",
        ),
        pytest.param(
            bounce(("liam@customers.example", "5.1.1", LIAM_UNKNOWN),
                   ("maya@customers.example", "5.2.2", "552 5.2.2 <maya@customers.example>: mailbox is full")),
            [("user_unknown", True), ("mailbox_full", False)],
            id="each-its-own-reply",
        ),
        pytest.param(
            # An alias whose forward target is gone: the reply names no recipient of this
            # report, so it is about this recipient's mail and keeps its reading.
            bounce(("sales@shop.example", "5.1.1", LIAM_UNKNOWN),
                   ("maya@customers.example", "5.2.2", "552 5.2.2 <maya@customers.example>: mailbox is full")),
            [("user_unknown", True), ("mailbox_full", False)],
            id="alias-forward-target",
        ),
        pytest.param(
            bounce(("LIAM@customers.example", "5.1.1", LIAM_UNKNOWN)),
            [("user_unknown", True)],
            id="own-address-in-another-case",
        ),
    ],
)
def test_a_reply_about_another_recipient_is_not_this_ones_cause(
    message: bytes, expected: list[tuple[str, bool]]
) -> None:
    assert [(r.reason, r.hard) for r in parse_bounce(message).failures] == expected
