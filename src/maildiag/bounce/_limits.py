"""Bounds on what one bounce costs to read: sizes, parts, recipients, text per field.

Every step of the parser reads at most these many bytes, parts or addresses, so a
hostile message costs time linear in its size (issue 9.1).
"""

from __future__ import annotations

#: Messages larger than this are not parsed (finding ``bounce.too_large``). Real bounces are
#: small; a bounce that returns a huge original only needs its first part anyway.
DEFAULT_MAX_BYTES = 10 * 1024 * 1024


#: At most this many MIME parts and recipients are looked at: beyond that a message is
#: a mail bomb, not a bounce.
MAX_PARTS = 200


MAX_RECIPIENTS = 500


#: Human-readable text considered per message and per recipient.
MAX_TEXT = 64 * 1024


MAX_DIAGNOSTIC = 1000


#: The SMTP stage is named near the failure; a returned message quoted further on is not read.
MAX_COMMAND_TEXT = 8 * 1024


#: Header text read per header (its first 300 characters are shown): RFC 5322 §2.1.1 limits
#: a line to 998 characters, and the stdlib's RFC 2047 decoder is quadratic in the number of
#: encoded words, so a header folded over megabytes is read for its start only (issue 9.1).
MAX_HEADER = 4 * 1024


#: Content-Type text read for its parameters. The stdlib's parameter parser is quadratic in
#: their number; a boundary is at most 70 characters (RFC 2046 §5.1.1) and a charset name
#: 40 (RFC 2978 §2.3), so the parameters a bounce needs are near the start.
MAX_PARAMS = 4 * 1024


#: Characters of an address header (To, X-Failed-Recipients...) given to the address parser,
#: and of a one-address field (Final-Recipient) searched for its address: an address is at
#: most 254 characters (RFC 5321 §4.5.3.1.3).
MAX_ADDRESS_HEADER = MAX_TEXT


MAX_ADDRESS_FIELD = 1024
