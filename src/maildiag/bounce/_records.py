"""From what a decoder found to a :class:`BounceRecipient`: status, reply, stage and reason.

A decoder yields :class:`Record` values (one per failed recipient); :func:`finish` reads the
status code (RFC 3463), the reply code (RFC 5321 §4.2), the SMTP stage and the remote host out
of their text and classifies the reason once, with :func:`maildiag.bounce.reasons.classify`.
"""

from __future__ import annotations

import dataclasses
import functools
import re

from maildiag import _replies as reasons
from maildiag import catalog
from maildiag._replies import REPLY_WITH_STATUS, STATUS_IN_TEXT
from maildiag.bounce import _provider_rules
from maildiag.bounce._limits import MAX_COMMAND_TEXT, MAX_DIAGNOSTIC, MAX_TEXT
from maildiag.bounce._model import BounceRecipient
from maildiag.model import Diagnosis, Verdict


@dataclasses.dataclass(slots=True)
class Record:
    """One recipient as a decoder found it (private, mutable while decoding)."""

    recipient: str
    original: str | None = None
    action: str = "failed"
    status: str | None = None
    reply_code: int | None = None
    diagnostic: str = ""
    remote_mta: str | None = None
    reason: str | None = None  # set by decoders that know it (ARF, SES, auto-reply)
    context: str = ""  # extra text for classification only
    scope: str = ""  # the recipient's part of the explanation: read for the SMTP stage only
    diagnostic_type: str = ""  # RFC 3464 §2.3.6 diagnostic-type (smtp, x-unix...)
    explanation: str = ""  # the whole explanation, read for the reason when the rest says none
    reporting_mta: str | None = None  # RFC 3464 §2.2.2 Reporting-MTA: the MTA that wrote the report


#: A reply code (RFC 5321 §4.2) at the start of a line or after a space or punctuation.
#: That test is a look back written after the first digit, so that the pattern starts with a
#: character class the regex engine skips to (3x faster than trying every position).
_REPLY = re.compile(r"([245](?<![^\s:;(<'\"=\]][245])[0-5]\d)(?=[ -]|$)", re.MULTILINE)


_REMOTE_HOST = re.compile(
    r"(?:host|server|mx)\s{1,4}([A-Za-z0-9][A-Za-z0-9.-]{0,252}\.[A-Za-z]{2,24})\.?\s{0,4}\[",
    re.IGNORECASE,
)


_SMTP_CONT = re.compile(r"(?m)^\s{0,8}[245]\d\d-(?:[245]\.\d{1,3}\.\d{1,3}\s)?")


#: Where a bounce names the SMTP command that was refused: Postfix "(in reply to RCPT TO
#: command)", Exim "after RCPT TO:" / "after end of data", Sendmail's transcript ">>> DATA",
#: qmail-style "during RCPT", and the like. Case matters: commands are upper case on the wire.
#: Each lead-in is written with its own copy of the command group, so that every alternative
#: starts with a letter the regex engine can skip to; "(?:lead|lead...)(command)" matches the
#: same (the alternatives are tried in the same order) at twice the cost. The command is the
#: match's last group.
_COMMAND_LEADS = (
    r"in reply to (?:the )?(?:end of )?", r"after (?:the )?", r">>>>? ?", r"during ", r"while sending ",
    r"did not like our ", r"for ", r"at ", r"SMTP command ", r"command:? ", r"command was ", r"error on ",
    r"SMTP:", r"\[",
)
_COMMAND_GROUP = (
    r"(HELO|EHLO|STARTTLS|AUTH|MAIL FROM|MAIL From|MAIL|RCPT TO|RCPT To|RCPT_TO|RCPT|DATA|"
    r"end of data|initial connection|greeting|connect(?:ion)?)\b"
)
_COMMAND_RE = re.compile(
    "|".join(lead + _COMMAND_GROUP for lead in _COMMAND_LEADS) + r"|does not like (recipient|sender)\b"
)


_COMMAND_WORDS = ("RCPT", "DATA", "MAIL", "HELO", "EHLO", "STARTTLS", "AUTH", "connect",
                  "end of data", "greeting", "does not like")


_COMMAND_NAMES = {"MAIL FROM": "MAIL", "MAIL From": "MAIL", "RCPT TO": "RCPT", "RCPT To": "RCPT",
                  "RCPT_TO": "RCPT", "recipient": "RCPT", "sender": "MAIL",
                  "end of data": "DATA", "initial connection": "CONN", "greeting": "CONN",
                  "connect": "CONN", "connection": "CONN"}


def _one_line(text: str) -> str:
    text = _SMTP_CONT.sub("", text)
    return " ".join(text.split())[:MAX_DIAGNOSTIC]


def finish(rec: Record) -> BounceRecipient:
    diagnostic = _one_line(rec.diagnostic)
    context = _one_line(rec.context) if rec.context else ""
    text = diagnostic or context
    # Status and reply code: the DSN's own fields first, then the text.
    status = rec.status
    reply = rec.reply_code
    m = REPLY_WITH_STATUS.search(text)
    # The status the reason is read from: the reported one, unless that says nothing.
    cause_status: str | None = None
    if m:
        reply = reply or int(m.group(1))
        found = m.group(2)
        if status is None or (status.endswith(".0.0") and found[0] == status[0]):
            status = found
        elif status.endswith(".0.0") and not found.endswith(".0.0"):
            # A transient reply given up on (Courier: Status 5.0.0 for "451 4.3.0 ..."): the
            # report's X.0.0 says nothing, and the reply's subject and detail mean the same in
            # either class (RFC 3463 §3), so the reason is read from 5.3.0. The reported status
            # stays the report's own.
            cause_status = status[0] + found[1:]
    if status is None:
        sm = STATUS_IN_TEXT.search(text)
        if sm:
            status = ".".join(sm.groups())
    if reply is None:
        rm = _REPLY.search(text)
        if rm:
            reply = int(rm.group(1))
    if status is None and reply is not None:
        status = f"{str(reply)[0]}.0.0"
    remote = rec.remote_mta
    if remote is None and "[" in text:  # the pattern ends in "[": most texts have none
        hm = _REMOTE_HOST.search(text)
        if hm:
            remote = hm.group(1).lower()
    if not diagnostic:
        diagnostic = context
    command = _smtp_command(rec.diagnostic, rec.context, rec.scope)
    if rec.reason is not None:
        reason = rec.reason
    else:
        said = read = " ".join((rec.diagnostic, rec.context))  # read: the words the reason is from
        reason = reasons.classify(cause_status or status, said, command=command, action=rec.action,
                                  reply_code=reply)
        if reason == "undetermined" and rec.explanation:
            read = rec.explanation
            reason = reasons.classify(cause_status or status, read, command=command,
                                      action=rec.action, reply_code=reply)
        if (
            rec.diagnostic_type == "x-unix"
            and reason in _LOCAL_MAILER_REASONS
            and not (reason == "user_unknown" and reply is not None and (status or "")[1:] == ".1.1")
        ):
            # RFC 3464 §2.3.6: an X-Unix diagnostic is the exit status or output of the local
            # delivery program (procmail, a pipe). Unless it names a cause (quota, virus...),
            # the receiving system's mailer failed, whatever words it printed ("procmail:
            # Couldn't create ...: No such user" comes with 5.1.1 too). An SMTP reply with a
            # X.1.1 status ("550 5.1.1 User unknown", RFC 3463 §3.2) is the MTA's own verdict:
            # Sendmail writes it when no local user has the name.
            reason = "receiver_error"
        if reason == "domain_not_found" and _serves_domain(rec.reporting_mta, rec.recipient):
            # The MTA that wrote the report is a host of the recipient's own domain, so that
            # domain exists: it found no route for the mailbox (Exim's "Unrouteable address"
            # for a local domain), which is a missing user.
            reason = "user_unknown"
        elif (
            reason == "filtered"
            and command is None
            and rec.remote_mta is None
            and _serves_domain(rec.reporting_mta, rec.recipient)
            and reasons.text_reason(said) == "user_unknown"
        ):
            # classify() reads a "user unknown" said at no SMTP stage as a filter's answer
            # (a relay that does not tell when). Here no relay answered: the recipient's own
            # domain's MTA wrote the report about its local delivery (Courier's "550 User
            # <ghost> unknown"), so the mailbox does not exist.
            reason = "user_unknown"
        reason = _given_up(reason, read, rec.action, reply, m.group(2) if m else None)
        # A receiving provider's own reading of its refusals (data/bounce_rules.toml).
        reason = _provider_rules.apply(reason, status, rec.recipient, rec.remote_mta or remote)
    delayed = _is_delay_warning(rec.action, context)
    permanent = _permanent(status, reply, delayed, context)
    # A delay warning is never hard, whatever text it quotes: the message is still being
    # tried and the address may well work (issue 11.3).
    hard = (
        reason not in reasons.NON_FAILURE_REASONS
        and not delayed
        and reasons.is_hard(reason, status)
    )
    recipient = rec.recipient
    return BounceRecipient(
        recipient=recipient,
        original_recipient=rec.original,
        action=rec.action,
        status=status,
        reply_code=reply,
        diagnostic=diagnostic,
        remote_mta=remote,
        reason=reason,
        hard=hard,
        permanent=permanent,
        smtp_command=command,
    )


#: The mailbox a reply is about, as it names it first ("550 5.1.1 <liam@example.org>: ...").
_NAMED_MAILBOX = re.compile(r"<([^<>\s@]{1,64}@[^<>\s@]{1,255})>")


def not_theirs(recipients: tuple[BounceRecipient, ...]) -> tuple[BounceRecipient, ...]:
    """Recipients failed by a reply about *another* recipient of the same report: no cause.

    An MTA that gives a whole message up at the first refused RCPT TO (nullmailer) reports
    every recipient failed with that one reply ("550 5.1.1 <liam@...>: no mailbox" for maya
    and nora too). The reply names its own mailbox (RFC 5321 §4.2 replies commonly quote it):
    when that is another recipient of this report, the cause is not this recipient's, so its
    reason is undetermined and it is not hard, and a shop does not drop a good address. A
    reply naming an address that is no recipient here (an alias's forward target) stays.
    """
    if len(recipients) < 2:
        return recipients
    addresses = {r.recipient.lower() for r in recipients}
    out = []
    for r in recipients:
        m = _NAMED_MAILBOX.search(r.diagnostic or "")
        named = m.group(1).lower() if m else None
        if named is not None and named != r.recipient.lower() and named in addresses and r.is_failure:
            r = dataclasses.replace(r, reason="undetermined", hard=False)
        out.append(r)
    return tuple(out)


def _serves_domain(host: str | None, address: str) -> bool:
    """True when ``host`` is the address's domain or a host under it (mta.shop.example)."""
    domain = address.rpartition("@")[2].lower()
    return host is not None and "." in domain and (host == domain or host.endswith("." + domain))


def _given_up(reason: str, read: str, action: str, reply: int | None, quoted_status: str | None) -> str:
    """The reason of a message given up after retries (docs/bounces.md, "Given up after
    retries"): the last reply's cause, else ``expired``.

    - A refused or unreachable host gave no SMTP reply, and a connection failure is transient
      (RFC 5321 §4.5.4.1: the client retries), so a report that the message *failed* because
      of one means the MTA gave up retrying: ``expired``, as "connection timed out" given up
      reads in the reason table. A delay report (RFC 3464 §2.3.3 ``delayed``) stays
      ``network``.
    - An ``expired`` read from giving-up words or status (X.4.7, "retry timeout exceeded",
      "could not be delivered for 5 days") yields to the last reply the report quotes with
      its own status: that reply is why it never went (a mailbox that stayed full, a system
      that kept failing), as for a report that quotes it without the giving-up words. A reply
      about the path (X.4.x) says no more than "given up".
    """
    if reason == "network" and action == "failed" and reply is None and _NO_CONNECTION.search(read):
        return "expired"
    if reason == "expired" and quoted_status is not None:
        by_reply = reasons.code_reason(quoted_status)
        if by_reply is not None and by_reply[0] not in _NO_CAUSE:
            return by_reply[0]
    return reason


#: Wording of a connection that was never made (no SMTP reply came; RFC 5321 §4.5.4.1).
_NO_CONNECTION = re.compile(
    r"connection refused|no route to host|network is (?:unreachable|down)|host unreachable",
    re.IGNORECASE,
)

#: Readings of a quoted reply's status that name no cause a given-up message could be
#: blamed on: none at all, or the path to the server (RFC 3463 §3.5, X.4.x: a connection
#: that failed is what "given up" already says; Office 365's "550 5.4.316 Message expired,
#: connection refused").
_NO_CAUSE = frozenset({"expired", "undetermined", "delivered", "network"})

#: Reasons that an X-Unix (local delivery program) diagnostic turns into a mailer error.
_LOCAL_MAILER_REASONS = frozenset({"undetermined", "protocol", "user_unknown", "filtered"})


def _smtp_command(*texts: str) -> str | None:
    """The SMTP command a failure answered, as the bounce's text reports it (last one said)."""
    scanned = None
    for text in texts:
        if text is scanned:
            continue  # the same text again (a lone recipient's context is its scope): no stage
        # The cheap test first: most texts name no stage at all. (A loop, not any() over a
        # generator: this runs for every text of every recipient.)
        for word in _COMMAND_WORDS:
            if word in text:
                break
        else:
            continue
        scanned = text
        found = None
        for m in _COMMAND_RE.finditer(" ".join(text[:MAX_COMMAND_TEXT].split())):
            found = m.group(m.lastindex) if m.lastindex else None
        if found is not None:
            return _COMMAND_NAMES.get(found, found)
    return None


#: The wording of a delay warning (Exim "has not yet been delivered ... attempts will
#: continue", Sendmail "could not send message for past 4 hours ... Will keep trying",
#: Postfix "Delayed Mail (still being retried)"): the message is still queued, so the
#: failure is temporary whatever codes the text quotes (issue 11.3).
_DELAY_WORDING = (
    "has not yet been delivered", "attempts will continue", "will keep trying", "still being retried",
    "could not send message for past", "message still undelivered", "this is a warning message only",
    "delivery has been delayed", "delivery is delayed", "will be retried", "continue to try",
    "has been postponed",
)


def _is_delay_warning(action: str, context: str) -> bool:
    """A warning that the message is still queued (RFC 3464 ``Action: delayed``, or the wording)."""
    if action == "delayed":
        return True
    lowered = context[:MAX_TEXT].lower()  # plain substring tests: one C scan per phrase
    return any(p in lowered for p in _DELAY_WORDING)


def _permanent(status: str | None, reply: int | None, delayed: bool, context: str) -> bool:
    if delayed:
        return False
    if status:
        return status.startswith("5")
    if reply:
        return str(reply).startswith("5")
    return "temporary" not in context.lower()


@functools.lru_cache(maxsize=2048)
def _base_diagnosis(address: str) -> Diagnosis:
    from maildiag.api import diagnose

    try:
        return diagnose(address, offline=True)
    except Exception:
        # diagnose() promises not to raise on any string; should a bug in another check
        # break that promise, the bounce's own finding must still reach support.
        return Diagnosis(address=address, normalized=address, verdict=Verdict.UNKNOWN,
                         domain=address.rpartition("@")[2], checks=("syntax",))


def recipient_diagnosis(r: BounceRecipient) -> Diagnosis:
    """The offline diagnosis of ``r``'s address, led by the bounce's own finding."""
    return _diagnosis(r.recipient, r.reason, r.status, r.reply_code, r.diagnostic, r.remote_mta)


def _diagnosis(
    address: str, reason: str, status: str | None, reply: int | None, diagnostic: str,
    remote: str | None,
) -> Diagnosis:
    """The address's offline diagnosis, led by the bounce's own finding."""
    base = _base_diagnosis(address)
    code = f"bounce.{reason}"
    evidence = [e for e in (f"status {status}" if status else "", f"reply {reply}" if reply else "",
                            f"remote {remote}" if remote else "", diagnostic[:300]) if e]
    finding = catalog.make(
        code,
        {"address": address, "domain": address.rpartition("@")[2], "status": status or ""},
        evidence,
    )
    # A typo'd address that bounced: the correction is the fix. When the remote server
    # answered about the mailbox or the message instead (full, blocked, spam...), the domain
    # is real, and a correction would send the customer away from it.
    if catalog.info(code).blame.value not in ("address", "domain") and base.suggestion is not None:
        fixes = [f for f in base.findings if catalog.info(f.code).verdict is Verdict.FIX]
        base = dataclasses.replace(
            base, suggestion=None, findings=tuple(f for f in base.findings if f not in fixes)
        )
    from maildiag._core import redecide

    return redecide(base, (finding,), check="bounce", suggestion=base.suggestion)
