"""Where maildiag's plain text meets a page, a terminal or a spreadsheet: one rule for each.

maildiag's messages, findings and report fields are *plain text*: they carry what a customer
typed, what a DNS server answered and what a mail server replied, unchanged. Whoever shows
them in a medium that interprets text must escape them for it. These are the three media
maildiag itself writes to or offers a rendering for:

- HTML (:func:`html`): ``& < > " '`` become entities, as :func:`html.escape` with
  ``quote=True`` does, so a value is safe in element text and in a quoted attribute.
- A terminal (:func:`terminal`): C0 and C1 control characters (ESC, BEL, the CSI/OSC
  introducers), DEL and the Unicode bidi and line/paragraph separators are shown as
  ``\\x1b``-style escapes, so a mail server's reply cannot move the cursor, set the window
  title, hide text or reorder a line; so are lone surrogates (undecodable input bytes).
  Tab stays (columns use it) unless ``keep_tab=False``.
- A CSV cell (:func:`csv_cell`): OWASP's CSV-injection rule. A cell that starts with
  ``= + - @``, a tab or a carriage return is read as a formula by Excel, LibreOffice and
  Google Sheets; it is prefixed with a single quote, which those programs show as text.
  JSON output is never touched: it keeps the data exact.
"""

from __future__ import annotations

import html as _html
import re
from typing import Any

__all__ = ["csv_cell", "html", "terminal"]


def html(text: str) -> str:
    """``text`` escaped for HTML element content and quoted attribute values."""
    return _html.escape(text, quote=True)


# C0 controls but tab/newline handled below, DEL, C1 controls; the bidi embedding, override
# and isolate controls (Trojan Source, CVE-2021-42574) and U+2028/U+2029, which some
# terminals and viewers treat as line breaks; lone surrogates, which is how undecodable
# input bytes arrive (PEP 383): written back with surrogateescape they are raw bytes
# 0x80-0xff, the C1 controls of an 8-bit terminal (0x9b is CSI).
_TERMINAL_UNSAFE = re.compile(
    "[\x00-\x08\x0a-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\ud800-\udfff]"
)
_TERMINAL_UNSAFE_NO_TAB = re.compile(
    "[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\ud800-\udfff]"
)


def _escape_char(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal(text: str, *, keep_tab: bool = True) -> str:
    """``text`` with every control character that a terminal would act on shown as an escape.

    One linear pass (a regular expression with a single character class). Printable text in
    every script, Hebrew included, is unchanged; a newline inside a value is escaped too, so
    one value stays on one line.
    """
    pattern = _TERMINAL_UNSAFE if keep_tab else _TERMINAL_UNSAFE_NO_TAB
    return pattern.sub(_escape_char, text)


#: First characters that make a spreadsheet read a cell as a formula (OWASP, "CSV Injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """``value`` safe to write as one CSV cell: a string that would start a formula gets ``'``.

    Non-strings (numbers, ``None``) are returned unchanged: the csv module writes them as
    digits, which no spreadsheet evaluates.
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value
