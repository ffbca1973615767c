"""The reply texts every mail administrator meets, read as the reason they state.

Table-driven: the stock reject texts of Postfix, Exim, Sendmail and qmail, and the published
error texts of Exchange / Office 365, Gmail, Yahoo and Outlook.com, each as its MTA or
provider writes it (the wording, not a paraphrase), with the reason it states. One reply
classifier reads them for the bounce parser and the SMTP prober alike (maildiag._replies).

Left out on purpose, as arguable: a mail loop (RFC 3463 X.4.6 is a routing subject: network),
qmail's "wasn't able to establish an SMTP connection" (labelled both network and expired in
real corpora), and "virus or spam content".
"""

from __future__ import annotations

import pytest

from maildiag._replies import STATUS_IN_TEXT
from maildiag.bounce import reasons

REPLIES = [
    ('550 5.1.1 <a@b.example>: Recipient address rejected: User unknown in local recipient table', 'user_unknown'),
    ('554 5.7.1 <a@b.example>: Relay access denied', 'policy'),
    ('450 4.7.1 Client host rejected: cannot find your hostname, [192.0.2.1]', 'blocked'),
    ('550 5.7.1 Client host rejected: cannot find your reverse hostname, [192.0.2.1]', 'blocked'),
    ('553 5.1.8 <shop@shop.example>: Sender address rejected: Domain not found', 'sender_rejected'),
    (
        '450 4.2.0 <a@b.example>: Recipient address rejected: Greylisted, see '
        'http://postgrey.schweikert.ch/',
        'rate_limited',
    ),
    ('552 5.3.4 Message size exceeds fixed limit', 'message_too_large'),
    ('554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org', 'blocked'),
    ('550 Unrouteable address', 'domain_not_found'),
    ('550 relay not permitted', 'policy'),
    ('550-Verification failed for <shop@shop.example> 550 Sender verify failed', 'sender_rejected'),
    ('552 Message size exceeds maximum permitted', 'message_too_large'),
    ('retry timeout exceeded', 'expired'),
    ("all hosts for 'b.example' have been failing for a long time (and retry time not reached)", 'expired'),
    ('550 5.1.1 <a@b.example>... User unknown', 'user_unknown'),
    ('550 5.7.1 <a@b.example>... Relaying denied', 'policy'),
    ('553 5.1.2 <a@b.example>... Host unknown (Name server: b.example: host not found)', 'domain_not_found'),
    ('552 5.2.3 Message size exceeds fixed maximum message size (10485760)', 'message_too_large'),
    ('452 4.2.2 <a@b.example>... Mailbox full', 'mailbox_full'),
    ('Sorry, no mailbox here by that name. (#5.1.1)', 'user_unknown'),
    ("Sorry, I couldn't find any host named b.example. (#5.1.2)", 'domain_not_found'),
    ('550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup', 'user_unknown'),
    ('550 5.4.1 Recipient address rejected: Access denied. AS(201806281)', 'user_unknown'),
    ('550 5.7.708 Service unavailable. Access denied, traffic not accepted from this IP.', 'blocked'),
    (
        "552 5.2.2 This message is larger than the current system limit or the recipient's "
        'mailbox is full.',
        'mailbox_full',
    ),
    ('550 5.7.606 Access denied, banned sending IP [192.0.2.1].', 'blocked'),
    ('550 5.4.316 Message expired, connection refused', 'expired'),
    (
        '550-5.1.1 The email account that you tried to reach does not exist. Please try '
        "double-checking the recipient's email address for typos",
        'user_unknown',
    ),
    (
        '552-5.2.2 The email account that you tried to reach is over quota. Please direct the '
        'recipient to',
        'mailbox_full',
    ),
    ('550-5.2.1 The email account that you tried to reach is disabled.', 'mailbox_disabled'),
    (
        '550-5.7.1 Our system has detected that this message is likely unsolicited mail. To '
        'reduce the amount of spam sent to Gmail, this message has been blocked.',
        'spam',
    ),
    ('421-4.7.0 This message is suspicious due to the very low reputation of the sending IP address.', 'blocked'),
    (
        '550-5.7.26 This mail has been blocked because the sender is unauthenticated. Gmail '
        'requires all senders to authenticate with either SPF or DKIM.',
        'auth_failure',
    ),
    ('452-4.2.2 The email account that you tried to reach is over quota.', 'mailbox_full'),
    ('550-5.4.5 Daily user sending limit exceeded.', 'rate_limited'),
    ('552 1 Requested mail action aborted, mailbox not found', 'user_unknown'),
    (
        "554 delivery error: dd This user doesn't have a yahoo.com account (a@yahoo.com) [0] - "
        'mta1.mail.example',
        'user_unknown',
    ),
    (
        '421 4.7.0 [TSS04] Messages from 192.0.2.1 temporarily deferred due to unexpected volume '
        'or user complaints - 4.16.55.1',
        'blocked',
    ),
    (
        '553 5.7.2 [TSS09] All messages from 192.0.2.1 will be permanently deferred; Retrying '
        'will NOT succeed.',
        'blocked',
    ),
    ('550 5.5.0 Requested action not taken: mailbox unavailable (S2017062302).', 'user_unknown'),
    (
        "550 5.7.1 Unfortunately, messages from [192.0.2.1] weren't sent. Please contact your "
        'Internet service provider since part of their network is on our block list (S3140).',
        'blocked',
    ),
    ('554 5.7.1 [CS01] Message rejected due to local policy.', 'policy'),
    ('550 5.7.1 Message rejected as spam by Content Filtering.', 'spam'),
    ('550 5.7.1 SPF check failed', 'auth_failure'),
    ('550 5.7.1 DMARC policy violation', 'auth_failure'),
    ('421 4.7.0 Too many connections from your IP', 'rate_limited'),
    ('550 5.1.1 Mailbox does not exist', 'user_unknown'),
    ('550 Requested action not taken: mailbox unavailable', 'user_unknown'),
    ('550 5.2.1 Mailbox disabled, not accepting messages', 'mailbox_disabled'),
    ('550 No such user here', 'user_unknown'),
    (
        '550 5.1.1 Recipient address rejected: undeliverable address: host '
        'mx.b.example[192.0.2.1] said: 550 5.1.1 unknown user',
        'user_unknown',
    ),
    ('554 5.7.1 Rejected by content filter: attachment type not allowed', 'content'),
    ('550 5.7.1 Message contains a virus', 'content'),
    ('554 5.7.9 Message not accepted for policy reasons.', 'policy'),
    ('550 5.7.350 Remote server returned message detected as spam -> 554 5.7.1', 'spam'),
    ('554 5.6.0 Message could not be delivered: header too long', 'content'),
]


@pytest.mark.parametrize(("text", "reason"), REPLIES, ids=[t[:60] for t, _ in REPLIES])
def test_a_standard_reply_states_its_reason(text: str, reason: str) -> None:
    found = STATUS_IN_TEXT.search(text)
    assert reasons.classify(found.group(0) if found else None, text, command="RCPT") == reason
