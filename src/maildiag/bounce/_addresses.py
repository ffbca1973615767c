"""Finding addresses in a bounce, and telling failed recipients from everyone else.

A bounce names many addresses: the sender, contacts, examples, display names, echoes. The
rules here decide which mentions name a recipient (RFC 5322 §3.4 for the address forms).
"""

from __future__ import annotations

import email
import email.message
import email.policy
import functools
import re
from collections.abc import Iterator
from email.utils import getaddresses, parseaddr

from maildiag.bounce._limits import MAX_ADDRESS_FIELD, MAX_ADDRESS_HEADER, MAX_RECIPIENTS
from maildiag.bounce._mime import block_headers

ADDR = re.compile(
    r"[A-Za-z0-9!#$%&'*+=?^_`{|}~/.-]{1,64}@[A-Za-z0-9\[](?:[A-Za-z0-9.-]{0,252})[A-Za-z0-9\]]"
)


def valid_address(candidate: str) -> str | None:
    """``candidate`` as a normalized address if it is a syntactically valid one, else None.

    Pipe commands, file paths, JSON fragments and bracketed IP literals are refused: a
    bounce recipient must be a mailbox someone can fix.
    """
    if len(candidate) > MAX_ADDRESS_FIELD:
        return None  # never an address (254 at most), and the cache keeps short keys only
    return _valid_address(candidate)


@functools.lru_cache(maxsize=4096)
def _valid_address(candidate: str) -> str | None:
    import email_validator

    text = candidate.strip().strip("<>\"'(),;:[]").rstrip(".")
    if not text or len(text) > 254 or text.count("@") != 1:
        return None
    local, _, domain = text.rpartition("@")
    if not local or local[0] in "|/\\" or "/" in local or '"' in local or "\\" in local:
        return None
    if "." not in domain or domain.startswith("[") or local.startswith(".") or ".." in local:
        return None
    tld = domain.rsplit(".", 1)[1]
    if not tld.isalpha() or len(tld) < 2:
        return None
    try:
        v = email_validator.validate_email(
            text, check_deliverability=False, allow_smtputf8=True, globally_deliverable=False
        )
    except email_validator.EmailNotValidError:
        if not domain.isascii() or tld.lower() not in email_validator.SPECIAL_USE_DOMAIN_NAMES:
            return None
        # A recipient at a special-use name (.test, .localhost, .local, .invalid: RFC 6761),
        # which shops' staging systems use, is still the recipient the bounce names (issue
        # 11.2). email-validator refuses these names whatever its options: the same check as
        # for the names a shop allows (Options.allow) reads them.
        from maildiag._validate import validate_special_use

        try:
            v = validate_special_use(text, True)
        except email_validator.EmailNotValidError:
            return None
    return f"{v.local_part}@{v.ascii_domain.lower()}"


#: An address-type prefix glued to an address: Exchange and X.400 gateways write the SMTP
#: address of a recipient as ``SMTP=user@example.com`` (an X.400 domain-defined attribute,
#: ``dda:SMTP=``) or ``smtp:user@example.com`` (a proxy address). ``=`` is a legal local-part
#: character (RFC 5322 §3.2.3 atext), so the prefix would otherwise read as part of the address.
_TYPE_PREFIX = re.compile(r"(?i)smtp[=:]")


def _address_matches(text: str) -> Iterator[re.Match[str]]:
    """``ADDR.finditer(text)``, the same matches, with the search started near each "@".

    The local part has no "@" and at most 64 characters, so a match starting at or after
    ``pos`` starts no earlier than 64 before the first "@" from ``pos``. Starting the search
    there skips what ``finditer`` would test in vain: at every letter of the prose, it reads
    the rest of the word before it gives up (half the cost of an explanation's address scan).
    """
    pos = 0
    while (at := text.find("@", pos)) >= 0:
        m = ADDR.search(text, max(pos, at - 64))
        if m is None:
            return
        yield m
        pos = m.end()  # never an empty match: the next search starts after it, as finditer's


def addresses_in(text: str) -> Iterator[tuple[int, str]]:
    for m in _address_matches(text):
        start, candidate = m.start(), m.group(0)
        prefix = _TYPE_PREFIX.match(candidate)
        if prefix is not None:
            start, candidate = start + prefix.end(), candidate[prefix.end() :]
        addr = valid_address(candidate)
        if addr is not None:
            yield start, addr


def first_address(text: str) -> str | None:
    """The first valid address of a one-address field, searched for near its start."""
    return next((a for _, a in addresses_in(text[:MAX_ADDRESS_FIELD])), None)


@functools.lru_cache(maxsize=256)
def from_address(value: str) -> str:
    """The address part of a From value (cached: bounces come from the same few daemons)."""
    try:
        return parseaddr(value[:MAX_ADDRESS_HEADER])[1]
    except Exception:  # RecursionError: the stdlib recurses once per "(" or ":"
        return ""


def address_pairs(value: str) -> list[tuple[str, str]]:
    """``getaddresses`` of one header value, bounded and guarded.

    The stdlib recurses once per nested comment ``(`` or group ``:``: a few thousand of them
    raise RecursionError, which must cost this one header, not the whole bounce. At most
    ``MAX_RECIPIENTS`` addresses are returned (each one is checked by email-validator).
    """
    try:
        return getaddresses([value[:MAX_ADDRESS_HEADER]])[:MAX_RECIPIENTS]
    except Exception:
        return []


def header_addresses(msg: email.message.Message, *names: str) -> set[str]:
    found: set[str] = set()
    for name in names:
        for value in msg.get_all(name) or ():
            found |= _value_addresses(str(value)[:MAX_ADDRESS_HEADER])
    return found


@functools.lru_cache(maxsize=1024)
def _value_addresses(value: str) -> frozenset[str]:
    """The valid addresses of one address header's value, lowercased.

    Cached: a batch of bounces repeats the same few values (the shop's own bounce address in
    To and Return-Path, its sender in the returned message's From), and the stdlib's address
    parser is one of the slowest steps of a parse.
    """
    if "@" not in value:
        return frozenset()  # no address can be valid without one (valid_address refuses it)
    found: set[str] = set()
    for _, addr in address_pairs(value):
        valid = valid_address(addr) if addr else None
        if valid:
            found.add(valid.lower())
    return frozenset(found)


def headers_block_addresses(text: str, *names: str, keys: bool = False) -> set[str]:
    """Addresses in ``Name:`` lines of a header block given as text (see ``header_keys``)."""
    wanted = {n.lower() for n in names}
    found: set[str] = set()
    for name, value in block_headers(text):
        if name in wanted:
            value = value[:MAX_ADDRESS_HEADER]
            found |= _value_keys(value) if keys else _value_addresses(value)
    return found


def header_keys(msg: email.message.Message, *names: str) -> set[str]:
    """The addresses of these headers as comparison keys, for sets that only *exclude*.

    A sender is never reported, only compared with candidates (which are fully validated), so
    an ASCII address needs no email-validator run: lower-cased, it is exactly the key
    ``valid_address`` gives. Non-ASCII ones still go through it (IDNA, NFC).
    """
    wanted = {n.lower() for n in names}
    found: set[str] = set()
    # One pass over the headers (get_all scans them all once per name, and a returned message
    # has dozens of Received lines); a value is fetched as get_all would (compat32 turns 8-bit
    # bytes into a Header) only when it is not plain ASCII.
    for name, raw in msg.raw_items():
        if name.lower() in wanted:
            value = raw if isinstance(raw, str) and raw.isascii() else msg.policy.header_fetch_parse(name, raw)
            found |= _value_keys(str(value)[:MAX_ADDRESS_HEADER])
    return found


@functools.lru_cache(maxsize=1024)
def _value_keys(value: str) -> frozenset[str]:
    if "@" not in value:
        return frozenset()
    if not value.isascii():
        return _value_addresses(value)
    found: set[str] = set()
    for _, addr in address_pairs(value):
        key = addr.strip().strip("<>\"'(),;:[]").rstrip(".").lower()
        if key.count("@") == 1:
            found.add(key)
    return frozenset(found)


def blocks_by_address(text: str, wanted: set[str] | None, senders: set[str]) -> dict[str, str]:
    """Each address's text: from its first mention to the next other address's first mention."""
    firsts: list[tuple[int, str]] = []
    seen: set[str] = set()
    contacts: set[str] = set()
    found = list(addresses_in(text))  # scanned once, read twice below
    for pos, addr in found:
        key = addr.lower()
        if key in seen or key in senders:
            continue
        if wanted is not None and key not in wanted:
            continue
        if not _recipient_context(text, pos):
            if wanted is None and _contact_context(text, pos):
                contacts.add(key)
            continue
        if wanted is None and _is_display_name(text, pos, key):
            # "a@example.com <b@example.net>": the first is only the display name of the
            # second (RFC 5322 §3.4 name-addr), wherever it is repeated.
            contacts.add(key)
            continue
        seen.add(key)
        firsts.append((pos, key))
        if len(firsts) >= MAX_RECIPIENTS:
            break
    # An address the explanation gives as a contact ("please contact <support@...>") is the
    # provider's helpdesk wherever else it is repeated (a translation of the same notice).
    firsts = [(pos, key) for pos, key in firsts if key not in contacts]
    keys = {key for _, key in firsts}
    mentions = [(pos, addr.lower()) for pos, addr in found if addr.lower() in keys]
    out: dict[str, str] = {}
    for i, (pos, key) in enumerate(firsts):
        end = firsts[i + 1][0] if i + 1 < len(firsts) else len(text)
        # A repeated notice (the same failure list told twice) names an earlier recipient
        # again: the text from there on is that recipient's, not this one's.
        end = min([end, *(p for p, k in mentions if p > pos and k != key)])
        # From the start of the line: a transcript's ">>> RCPT To:<address>" names the stage.
        start = max(text.rfind("\n", firsts[i - 1][0] if i else 0, pos) + 1, pos - 80)
        out[key] = text[start:end]
    return out


_NOT_RECIPIENT_BEFORE = (
    "mail from:", "mail from: ", "message-id:", "message-id: ", "from:", "from ", "sender:", "id ",
    "envelope-from ", "envelope-from", "reply-to:", "return-path:", "by ", "mailto:", "contact ",
    "please contact", "postmaster ", "smtp.mailfrom=", "header.from=", "originated by",
    "sent by ", "return-path: <", "<<< 250",
)


_NAME_ADDR_AFTER = re.compile(r"[^\s<>]{1,254}[ \t]{1,4}<([^\s<>]{1,254})>")


def _is_display_name(text: str, pos: int, key: str) -> bool:
    """True when the address at ``pos`` is followed by another one in angle brackets."""
    m = _NAME_ADDR_AFTER.match(text, pos)
    if m is None:
        return False
    other = valid_address(m.group(1))
    return other is not None and other.lower() != key


_NOT_RECIPIENT_BEFORE_STRIPPED = tuple(w.rstrip() for w in _NOT_RECIPIENT_BEFORE)


def _contact_context(text: str, pos: int) -> bool:
    """True when the words just before the address offer it as a contact."""
    before = text[max(0, pos - 24) : pos].lower().rstrip("<\"' ")
    return before.endswith(("contact", "mailto:"))


#: Words that introduce an address as an example or an alternative to try, not as one that
#: failed: "the standard form of address is ...", "e.g., ...", "try sending to ...".
_EXAMPLE_WORDS = ("e.g.", "for example", "for instance", "such as", "standard form")


#: An all-capitals local part is a template ("NAME@example.edu", "finger USER@host"): the
#: notice explains a form, it names nobody.
_PLACEHOLDER = re.compile(r"[A-Z]{3,12}@")


def _is_example(text: str, pos: int) -> bool:
    """True when the address at ``pos`` is a template or an example in the sentence before it."""
    if _PLACEHOLDER.match(text, pos) and text[pos : text.find("@", pos)] in _PLACEHOLDER_WORDS:
        return True
    window = text[max(0, pos - 60) : pos].lower()
    # Only the address's own sentence: after the last full stop that ends one ("e.g." does not).
    for end in (". ", ".\n", "\n\n"):
        cut = window.rfind(end)
        while cut >= 3 and window[cut - 3 : cut + 1] in ("e.g.", "i.e."):
            cut = window.rfind(end, 0, cut)
        if cut >= 0 and window[max(0, cut - 3) : cut + 1] not in ("e.g.", "i.e."):
            window = window[cut + len(end) :]
    return any(w in f" {window}" for w in _EXAMPLE_WORDS)


_PLACEHOLDER_WORDS = frozenset({"NAME", "USER", "USERNAME", "YOURNAME", "LOGIN", "ADDRESS", "EMAIL", "NICKNAME"})


#: Header lines that name the sender when a notice quotes the returned message's header
#: fields (RFC 5322 §3.6.2 originator fields), indented or ">"-quoted as they often are.
_SENDER_FIELDS = ("from:", "sender:", "reply-to:", "return-path:")


def _on_sender_line(text: str, pos: int) -> bool:
    """True when the address at ``pos`` is on a quoted originator line ("  From: Ann <a@x>"),
    whatever display name stands before it."""
    window = max(0, pos - 300)  # bounded: a line is read back at most this far
    newline = text.rfind("\n", window, pos)
    start = newline + 1 if newline >= 0 else window
    return text[start:pos].lstrip(" \t>").lower().startswith(_SENDER_FIELDS)


def _recipient_context(text: str, pos: int) -> bool:
    """False when the words just before the address show it is not a recipient."""
    before = text[max(0, pos - 24) : pos].lower().rstrip("<\"' ")
    before_full = text[max(0, pos - 24) : pos].lower()
    if before_full.endswith(("smtp=", "smtp:")):
        return True  # an address-type prefix (see _TYPE_PREFIX), not a URL parameter
    if _is_example(text, pos):
        return False
    if before.endswith(("://", "/")) or "=" in before_full[-2:]:
        return False
    if _on_sender_line(text, pos):
        return False
    # str.endswith takes a tuple: one C call each rather than a Python loop over the words.
    return not (before.endswith(_NOT_RECIPIENT_BEFORE_STRIPPED) or before_full.endswith(_NOT_RECIPIENT_BEFORE))


#: Local parts of the mail system's own mailboxes: a bounce's sender, never a recipient.
DAEMON_LOCALS = frozenset(
    {"mailer-daemon", "postmaster", "post_master", "mail-daemon", "maildaemon", "mailerdaemon", "mailer_daemon",
     "mdaemon", "mail.daemon", "bounce", "bounces"}
)
