"""Domain typo suggestions: ``gmial.com`` → ``gmail.com``, ``shop.con`` → ``shop.com``.

The customer typed a domain; did they mean a different one? Three kinds of answer
(:attr:`TypoSuggestion.kind`):

``"domain"``
    The whole domain is a near miss of a common mail domain from the shipped list
    (``data/domains.tsv``) or of the shop's own ``extra_domains``: ``gmial.com``,
    ``hotmail.con``, ``gmailcom``, ``wala.co.il``, and ``gmail.co.il`` (Gmail hands out
    no address outside ``gmail.com``).
``"tld"``
    The last label is no top-level domain at all (per the Public Suffix List), and a popular
    suffix (``data/suffixes.tsv``) is one slip away: ``shop.con`` → ``shop.com``,
    ``firm.co.ukk`` → ``firm.co.uk``. A *real* suffix is never replaced this way: ``.co``
    (Colombia), ``.om`` (Oman) and ``.cm`` (Cameroon) are left alone unless the label is a
    known provider's (``gmail.co`` → ``gmail.com`` is a ``"domain"`` answer).
``"sld"``
    The second level of a two-label public suffix is garbled: ``shop.co.li`` → ``shop.co.il``,
    ``shop.cmo.br`` → ``shop.com.br``.

Rules that keep false suggestions rare (see docs/typos.md for the measurements):

- a listed domain, one of ``extra_domains``, or a subdomain of either is never corrected;
- the cost of an edit is weighted: a keyboard-neighbour substitution, a swap of two
  adjacent characters, a doubled or dropped double letter and a missing dot cost 0.5, other
  edits 1 (:func:`weighted_distance`);
- how much a provider's label may be changed depends on its length (a 3-letter label such as
  ``gmx`` or ``aol`` not at all, a 4-letter one only by a swap or a doubled letter, longer
  ones by 1 to 1.5) and on its popularity (rarely used domains get less slack);
- ties are broken by popularity, then alphabetically: the answer never depends on hash order.

Candidates are found by a symmetric-delete index over provider labels (every string obtained
by deleting up to two characters points back to its labels), so a lookup costs a few dict
probes whatever the size of the list.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib.resources
import re
from collections.abc import Iterable, Iterator, Mapping
from types import MappingProxyType
from typing import Literal

import email_validator
import Levenshtein
from publicsuffixlist import PublicSuffixList

__all__ = ["TypoSuggestion", "is_known_domain", "suggest", "tld_exists", "weighted_distance"]

#: Longest domain considered (RFC 1035 §2.3.4: 255 octets on the wire, 253 in text form).
_MAX_DOMAIN = 253
#: An ASCII (IDNA) domain as email-validator hands it over: labels of letters, digits and
#: hyphens joined by single dots (no label checks beyond that: this is no validator).
_DOMAIN_RE = re.compile(r"[a-z0-9-]+(?:\.[a-z0-9-]+)*")
#: Labels longer than this are only looked up as they are (no provider label is that long).
_MAX_FUZZY_LABEL = 24
#: Generic top-level domains often cut short (``gmail.co``, ``yahoo.cm``, ``bezeqint.ne``).
_SHORTENED_GTLDS = frozenset({"com", "net", "org"})
#: Real country codes that are also ".com"/".net" cut short: "gmail.co", "yahoo.cm".
_SHORTENED_GTLD_TYPOS = frozenset({"co", "cm", "om", "ne", "nt", "or"})
#: Generic second-level labels some registries use under their country code; which of them
#: exist under a given country is read from the Public Suffix List (_country_second_levels).
_SECOND_LEVELS = (
    "com", "co", "net", "org", "edu", "gov", "ac", "ne", "or", "go", "gob", "mil", "nom", "ltd", "plc", "sch",
)
#: RFC 2606 section 3: second-level names reserved for documentation.
_EXAMPLE_DOMAINS = frozenset({"example.com", "example.net", "example.org"})
#: Shortest label searched for two substitutions (two slips in five letters is a new name).
_MIN_TWO_SUBSTITUTIONS = 6
#: Endings of file names and web pages that get pasted after an address ("jane@shop.com.pdf").
_FILE_EXTENSIONS = frozenset(
    {"txt", "pdf", "doc", "docx", "xls", "xlsx", "csv", "htm", "html", "php", "asp", "aspx", "jsp",
     "jpg", "jpeg", "png", "gif", "zip"}
)
#: Weight of a country second level that suffixes.tsv does not rank.
_SLD_WEIGHT = 10
#: Weight given to the shop's own ``extra_domains`` (a popular provider's).
_EXTRA_WEIGHT = 60
#: Unit edits a candidate label may be from the typed one, by the candidate's length (7 for
#: 7 and more): the label budgets of _label_budget with every edit at its cheapest (0.5, a
#: swap counting as two unit edits). Only a pre-check: the weighted price decides.
_RAW_LIMIT = {1: 0, 2: 0, 3: 1, 4: 2, 5: 2, 6: 2, 7: 3}
#: Below this popularity a target gets half a point less slack.
_RARE_WEIGHT = 20

# QWERTY rows; the offsets between rows give the usual neighbour pattern.
_ROWS = ("1234567890-", "qwertyuiop", "asdfghjkl", "zxcvbnm")
# Pairs that are neighbours on QWERTZ (de) and AZERTY (fr) keyboards, and look-alikes.
_EXTRA_NEIGHBOURS = (("y", "z"), ("q", "a"), ("w", "z"), ("m", "l"), ("0", "o"), ("1", "l"), ("1", "i"))


@dataclasses.dataclass(frozen=True, slots=True)
class TypoSuggestion:
    """A suggested correction of a mistyped domain.

    Attributes:
        domain: the domain as given (ASCII/IDNA form, lower case).
        suggestion: the domain the customer most likely meant.
        kind: ``"domain"`` (a near miss of a common mail domain or of one of the shop's own),
            ``"tld"`` (a non-existent top-level domain replaced by a popular one) or ``"sld"``
            (the second level of a two-label public suffix fixed, ``co.li`` → ``co.il``).
        distance: the weighted edit distance between the two (see :func:`weighted_distance`).
    """

    domain: str
    suggestion: str
    kind: Literal["domain", "tld", "sld"]
    distance: float


@dataclasses.dataclass(frozen=True, slots=True)
class _Target:
    """A domain that may be suggested."""

    domain: str
    label: str  # the label right before the public suffix ("gmail")
    suffix: str  # the public suffix ("com", "co.il")
    weight: int
    sole: bool  # the brand has no mailbox under any other suffix


@dataclasses.dataclass(frozen=True, slots=True)
class _Index:
    """Known domains and a symmetric-delete index of the targets' labels."""

    known: frozenset[str]
    by_label: Mapping[str, tuple[_Target, ...]]
    # label minus up to 2 characters -> labels; a plain dict (private, never mutated after
    # construction): it is probed a dozen times per lookup and a proxy costs 4x a dict probe.
    deletes: dict[str, tuple[str, ...]]
    joined: Mapping[str, tuple[_Target, ...]]  # "gmailcom" -> gmail.com (dots left out)
    # (length, third, the letters of that third) -> labels: two substitutions leave one of
    # three thirds untouched, so three probes find every label two keys away.
    thirds: dict[tuple[int, int, str], tuple[str, ...]]


@dataclasses.dataclass(frozen=True, slots=True)
class _Split:
    """A typed domain cut at its public suffix."""

    prefix: tuple[str, ...]  # labels before the registrable label (subdomains)
    label: str
    suffix: str
    suffix_known: bool  # the suffix is a real public suffix


# -- data ---------------------------------------------------------------------------------


def _data_lines(name: str) -> Iterator[list[str]]:
    text = importlib.resources.files("maildiag.data").joinpath(name).read_text("utf-8")
    for line in text.splitlines():
        if line.strip() and not line.startswith("#"):
            yield line.split("\t")


@functools.cache
def _psl() -> PublicSuffixList:
    # ICANN section only: a private suffix such as blogspot.com is a registrable domain to a
    # mail user. accept_unknown=False tells a non-existent TLD ("con") from a real one.
    return PublicSuffixList(only_icann=True, accept_unknown=False)


@functools.cache
def _suffix_weights() -> Mapping[str, int]:
    return MappingProxyType({row[0]: int(row[1]) for row in _data_lines("suffixes.tsv")})


@functools.cache
def _shipped() -> tuple[frozenset[str], tuple[tuple[str, int, bool], ...]]:
    """The listed domains, and the (domain, weight, sole) rows that are typo targets."""
    known: set[str] = set()
    targets: list[tuple[str, int, bool]] = []
    for row in _data_lines("domains.tsv"):
        domain, weight, flags = row[0], int(row[1]), row[3]
        known.add(domain)
        if flags != "protect" and weight > 0:
            targets.append((domain, weight, flags == "sole"))
    return frozenset(known), tuple(targets)


def _deletions(word: str, depth: int) -> set[str]:
    """``word`` and every string made by deleting up to ``depth`` characters from it."""
    found = {word}
    frontier = {word}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1 :] for w in frontier for i in range(len(w))}
        found |= frontier
    return found


def _build_index(known: Iterable[str], targets: Iterable[tuple[str, int, bool]]) -> _Index:
    by_label: dict[str, list[_Target]] = {}
    for domain, weight, sole in targets:
        split = _split(domain)
        if split is None or split.prefix or not split.suffix_known:
            continue  # subdomain entries (nc.rr.com) stay known but are no fuzzy target
        by_label.setdefault(split.label, []).append(
            _Target(domain, split.label, split.suffix, weight, sole)
        )
    deletes: dict[str, set[str]] = {}
    joined: dict[str, list[_Target]] = {}
    thirds: dict[tuple[int, int, str], set[str]] = {}
    for label, ts in by_label.items():
        if len(label) >= _MIN_TWO_SUBSTITUTIONS:
            for key in _thirds(label):
                thirds.setdefault(key, set()).add(label)
        # As deep as the label's budget can reach (see _label_budget): short labels change
        # little, and their short deletion variants would otherwise match half of all input.
        depth = 0 if len(label) <= 3 else 1 if len(label) == 4 else 2
        for variant in _deletions(label, depth):
            deletes.setdefault(variant, set()).add(label)
        for t in ts:
            joined.setdefault(t.domain.replace(".", ""), []).append(t)

    def ranked(ts: list[_Target]) -> tuple[_Target, ...]:
        return tuple(sorted(ts, key=lambda t: (-t.weight, t.domain)))

    return _Index(
        known=frozenset(known),
        by_label=MappingProxyType({label: ranked(ts) for label, ts in by_label.items()}),
        deletes={k: tuple(sorted(v)) for k, v in deletes.items()},
        joined=MappingProxyType({k: ranked(ts) for k, ts in joined.items()}),
        thirds={k: tuple(sorted(v)) for k, v in thirds.items()},
    )


def _thirds(label: str) -> list[tuple[int, int, str]]:
    n = len(label)
    cuts = (0, n // 3, 2 * n // 3, n)
    return [(n, i, label[cuts[i] : cuts[i + 1]]) for i in range(3)]


@functools.cache
def _shipped_index() -> _Index:
    known, targets = _shipped()
    return _build_index(known, targets)


@functools.lru_cache(maxsize=64)
def _extra_index(extra_domains: tuple[str, ...]) -> _Index:
    cleaned = sorted({d for d in (_clean(x) for x in extra_domains) if d is not None})
    return _build_index(cleaned, ((d, _EXTRA_WEIGHT, False) for d in cleaned))


# -- distance -----------------------------------------------------------------------------


@functools.cache
def _neighbours() -> frozenset[tuple[str, str]]:
    pairs: set[tuple[str, str]] = set()
    for r, row in enumerate(_ROWS):
        for c, key in enumerate(row):
            near = [(r, c - 1), (r, c + 1), (r - 1, c), (r - 1, c + 1), (r + 1, c - 1), (r + 1, c)]
            for rr, cc in near:
                if 0 <= rr < len(_ROWS) and 0 <= cc < len(_ROWS[rr]):
                    pairs.add((key, _ROWS[rr][cc]))
    pairs.update(_EXTRA_NEIGHBOURS)
    pairs.update((b, a) for a, b in list(pairs))
    return frozenset(pairs)


def _costs(typed: str, target: str) -> list[tuple[float, int, str]]:
    """The cheaper of the two pricings of :func:`_aligned_costs`: aligned from the left and
    from the right. Levenshtein's alignment is one of several of equal unit cost, and may
    hide a swap or a doubled letter ("oultok" for "outlook" is a swap and an "o" typed once,
    but aligned from the left it reads as an insertion and a substitution)."""
    forward = _aligned_costs(typed, target)
    total = sum(c for c, _, _ in forward)
    if total <= 0.5:
        return forward
    n = len(target)
    backward = [
        (c, n - pos if kind == "delete" else n - 1 - pos, kind)
        for c, pos, kind in _aligned_costs(typed[::-1], target[::-1])
    ]
    return backward if sum(c for c, _, _ in backward) < total else forward


def _aligned_costs(typed: str, target: str) -> list[tuple[float, int, str]]:
    """The weighted edits turning ``typed`` into ``target``: (cost, target position, kind).

    The alignment is Levenshtein's (unit costs); the edits are then priced by how a hand
    slips on a keyboard. A swap of two adjacent characters shows up as an insert and a
    delete of the same character next to each other, or as two crossed replacements, and
    is priced once.
    """
    near = _neighbours()
    ops = Levenshtein.editops(typed, target)
    out: list[tuple[float, int, str]] = []
    i = 0
    while i < len(ops):
        op, s, d = ops[i]
        if i + 1 < len(ops):
            op2, s2, d2 = ops[i + 1]
            swapped = (
                (op, op2) == ("insert", "delete") and s2 == s + 1 and typed[s2] == target[d]
            ) or (
                (op, op2) == ("delete", "insert") and s2 == s + 2 and typed[s] == target[d2]
            ) or (
                (op, op2) == ("replace", "replace")
                and s2 == s + 1
                and d2 == d + 1
                and typed[s] == target[d2]
                and typed[s2] == target[d]
            )
            if swapped:
                out.append((0.5, d, "swap"))
                i += 2
                continue
        if i + 1 < len(ops):
            op2, s2, d2 = ops[i + 1]
            # A letter typed one place too late or too early (a rotation of three letters,
            # "exitce" for "excite"): the same character deleted and inserted two apart.
            moved = (
                (op, op2) == ("delete", "insert") and s2 - s <= 3 and typed[s] == target[d2]
            ) or ((op, op2) == ("insert", "delete") and s2 - s <= 2 and typed[s2] == target[d])
            if moved:
                out.append((0.75, d, "move"))
                i += 2
                continue
        if op == "replace":
            pair = (typed[s], target[d])
            # A hyphen typed as a dot or the reverse ("t.online.de"): the same separator key
            # in the customer's mind, priced as a neighbouring key.
            cheap = pair in near or pair in (("-", "."), (".", "-"))
            out.append((0.5 if cheap else 1.0, d, "replace"))
        elif op == "delete":
            # An extra character in what was typed: a doubled key, or a fat finger.
            c = typed[s]
            around = typed[s - 1 : s] + typed[s + 1 : s + 2]
            if c in around:
                cost = 0.5
            elif any((c, x) in near for x in around):
                cost = 0.75
            else:
                cost = 1.0
            out.append((cost, d, "delete"))
        else:
            # A character missing from what was typed: a double letter typed once, a dot.
            c = target[d]
            cost = 0.5 if c in ".-" or c in target[d - 1 : d] + target[d + 1 : d + 2] else 1.0
            out.append((cost, d, "insert"))
        i += 1
    return out


@functools.lru_cache(maxsize=4096)
def _label_slip_cost(typed: str, target: str) -> float:
    """The cheapest keyboard-weighted way from one name to the other, by dynamic programming
    (optimal string alignment: substitutions, insertions, deletions, adjacent swaps).

    Priced as :func:`_aligned_costs` prices edits, except that a far-key substitution is
    not allowed at all (two slips with a far key are refused anyway, see _score). Only
    called for a candidate that already passed the index and the raw pre-check, names of
    at most _MAX_FUZZY_LABEL characters: at most a few hundred cells.
    """
    near = _neighbours()
    inf = 99.0
    n, m = len(typed), len(target)
    d = [[inf] * (m + 1) for _ in range(n + 1)]
    d[0][0] = 0.0
    for i in range(n + 1):
        for j in range(m + 1):
            here = d[i][j]
            if i > 0:  # typed[i-1] is extra: doubled 0.5, next to a neighbour 0.75, else 1
                c = typed[i - 1]
                around = typed[i - 2 : i - 1] + typed[i : i + 1]
                cost = 0.5 if c in around else 0.75 if any((c, x) in near for x in around) else 1.0
                here = min(here, d[i - 1][j] + cost)
            if j > 0:  # target[j-1] left out: a double letter typed once 0.5, else 1
                c = target[j - 1]
                cost = 0.5 if c in "-." or c in target[j - 2 : j - 1] + target[j : j + 1] else 1.0
                here = min(here, d[i][j - 1] + cost)
            if i > 0 and j > 0:
                a, b = typed[i - 1], target[j - 1]
                cost = 0.0 if a == b else 0.5 if (a, b) in near else inf
                here = min(here, d[i - 1][j - 1] + cost)
                if i > 1 and j > 1 and a == target[j - 2] and typed[i - 2] == b and a != b:
                    here = min(here, d[i - 2][j - 2] + 0.5)
            d[i][j] = here
    return d[n][m]


def weighted_distance(typed: str, target: str) -> float:
    """The keyboard-weighted edit distance from ``typed`` to ``target``.

    Substituting a neighbouring key (QWERTY, plus the QWERTZ/AZERTY pairs ``y``/``z``,
    ``q``/``a``, ``w``/``z``), swapping two adjacent characters, doubling a character,
    typing a double letter once and leaving out a dot cost 0.5; an extra key next to the
    intended one 0.75; any other insertion, deletion or substitution 1.
    """
    return sum(c for c, _, _ in _costs(typed, target))


# -- splitting ----------------------------------------------------------------------------


def _clean(domain: object) -> str | None:
    if not isinstance(domain, str):
        return None
    d = domain.strip().lower().rstrip(".")
    if len(d) > _MAX_DOMAIN or _DOMAIN_RE.fullmatch(d) is None:
        return None
    return d


@functools.lru_cache(maxsize=4096)
def _public_suffix(tail: str) -> str | None:
    return _psl().publicsuffix(tail)


def _split(domain: str) -> _Split | None:
    labels = domain.split(".")
    # The public suffix depends on the labels right of the registrable one; looking it up
    # on "_." + those labels lets the cache serve every domain under the same suffix ("_"
    # is no label of any rule; "x" would be: x.se is a public suffix). A domain that is
    # itself a public suffix (co.il, x.se) is then split as if registrable: harmless, as no
    # provider label is "co" or "x", and such a domain is no mailbox anyway.
    key = "_." + ".".join(labels[1:][-3:]) if len(labels) > 1 else domain
    suffix = _public_suffix(key)
    if suffix is not None and suffix.count(".") >= 3:
        suffix = _psl().publicsuffix(domain)  # a rule deeper than the key (rare)
    if suffix is None:
        # The top-level domain does not exist ("con", "cmo", or no dot at all).
        if len(labels) < 2:
            return None
        return _Split(tuple(labels[:-2]), labels[-2], labels[-1], False)
    n = suffix.count(".") + 1
    if len(labels) <= n:
        return None
    return _Split(tuple(labels[: -n - 1]), labels[-n - 1], suffix, True)


# -- the three routes ---------------------------------------------------------------------


def _brand_domains(label: str) -> int:
    """How many shipped domains share this provider label (live: live.com, live.fr...)."""
    return len(_shipped_index().by_label.get(label, ()))


def _label_budget(target: _Target) -> float:
    """How much the provider label may be changed, by its length and popularity."""
    n = len(target.label)
    if n <= 3:
        return 0.0  # gmx, aol, bk, qq: every 1-edit neighbour is somebody's real domain
    if n == 4:
        return 0.5
    budget = 1.0 if n <= 6 else 1.5
    if _brand_weight(target.label) < _RARE_WEIGHT:
        # The slip is in the brand's name: yahoo.ro is rarely used, but "yaoo" is a slip
        # of a name customers type all day. Rare brands get less slack.
        budget -= 0.5
    return budget


@functools.lru_cache(maxsize=1024)
def _brand_weight(label: str) -> int:
    """The popularity of a provider name: its most popular shipped domain's."""
    return max((t.weight for t in _shipped_index().by_label.get(label, ())), default=_EXTRA_WEIGHT)


#: Popularity a 4-letter (3-letter) provider name needs before a slip in it is corrected.
_SHORT_WEIGHT = {4: 40, 3: 50}


def _short_slip(typed: str, target: _Target) -> bool:
    """One slip in a very short, popular provider name that real names rarely make.

    Every one-letter change of ``live``, ``mail`` or ``aol`` is somebody's real domain
    (``life.com``, ``maid.com``, ``aon.com``), so only slips that rarely spell a name count:
    a digit for the letter below it (``l9ve``), a neighbouring key pressed too inside the
    name (``licve``, ``mwail``; not at its ends, where ``olive``, ``mails`` are words), or a
    doubled letter (``aoll``). Popularity decides who gets this: the name must be popular.
    """
    n = len(target.label)
    if _brand_weight(target.label) < _SHORT_WEIGHT.get(n, 101):
        return False
    ops = Levenshtein.editops(typed, target.label)
    if len(ops) != 1:
        return False
    op, s, d = ops[0]
    if op == "delete":
        c, around = typed[s], typed[s - 1 : s] + typed[s + 1 : s + 2]
        if c in around:
            return True  # a doubled letter
        inside = 0 < s < len(typed) - 1
        return inside and n == 4 and any((c, x) in _neighbours() for x in around)
    if op == "replace" and n == 4:
        return typed[s].isdigit() and (typed[s], target.label[d]) in _neighbours()
    return False


def _score(domain: str, split: _Split | None, target: _Target) -> float | None:
    """The weighted distance to ``target`` if it is within the target's budget, else None."""
    label_end = len(target.label)
    label_cost = suffix_cost = 0.0
    label_replaced = suffix_replaced = False
    label_edits: list[tuple[float, str]] = []
    for cost, pos, kind in _costs(domain, target.domain):
        in_suffix = pos > label_end or (pos == label_end and kind in ("insert", "replace"))
        if in_suffix:
            if kind == "insert" and target.suffix in _SHORTENED_GTLDS:
                cost = 0.5  # "gmail.co", "yahoo.cm": the last key not pressed
            suffix_cost += cost
            suffix_replaced = suffix_replaced or kind == "replace"
        else:
            label_cost += cost
            label_replaced = label_replaced or kind == "replace"
            label_edits.append((cost, kind))
    budget = _label_budget(target)
    if (
        label_cost > budget
        and len(target.label) >= 6
        and split is not None
        and not split.prefix
        and split.suffix == target.suffix
    ):
        # Both alignments of Levenshtein may still miss the cheapest reading of two slips
        # ("oultok": a swap and an "o" typed once); price the names alone, exactly.
        exact = _label_slip_cost(split.label, target.label)
        if exact < label_cost:
            label_cost, label_edits, label_replaced = exact, [(exact, "osa")], False
    if len(target.label) <= 4 and split is not None and not split.prefix and _short_slip(split.label, target):
        budget = max(budget, label_cost)
        if suffix_cost > 0:
            return None  # a slip in a very short name and another in its suffix: a guess
    elif label_cost > budget or (len(target.label) == 4 and label_replaced):
        return None
    far_key = any(c >= 1.0 and k == "replace" for c, k in label_edits)
    if far_key and len(target.label) <= 5:
        # A key far from the intended one in a name of five letters: "amail", "qmail",
        # "cmail" are other services' names, not slips of gmail (the keyboard decides).
        return None
    if len(label_edits) >= 2 and far_key:
        # Two slips, one of them a key far from the intended one: as often another name
        # ("yopmail", "joymail" are not hotmail) as a typo. A far key alone, or a dropped
        # letter with a swap ("hotmal", "hotamil"), is still a slip.
        return None
    if (
        split is not None
        and split.suffix_known
        and label_cost == 0
        and suffix_replaced
        and not target.sole
        and _brand_domains(target.label) > 1
        and split.suffix not in _SHORTENED_GTLD_TYPOS
        and split.suffix.count(".") == target.suffix.count(".")
    ):
        # The provider's name under another real country code ("yahoo.nl", "live.cn",
        # "mail.by"): a regional domain the list may not have, not a slip to correct.
        return None
    if suffix_cost > 1.0:
        return None
    if split is not None and split.suffix_known and split.suffix != target.suffix and suffix_cost > 0.5:
        # The customer typed a real suffix: only a single slip away from the target's counts.
        return None
    total = label_cost + suffix_cost
    return total if total <= max(budget, 0.5) + 0.5 else None


def _domain_candidates(domain: str, split: _Split | None, index: _Index) -> list[tuple[float, int, str]]:
    found: list[tuple[float, int, str]] = []
    looked_up: list[str] = []
    if split is not None and not split.prefix:
        looked_up.append(split.label)
    elif split is not None and split.suffix_known and len(split.prefix) == 1:
        # A hyphen typed as a dot ("t.online.de" for t-online.de): the two labels joined.
        looked_up.append(f"{split.prefix[0]}-{split.label}")
        looked_up.append(domain.partition(".")[0])
    elif domain.count(".") >= 2:
        # The public suffix itself may be the typo: "netvision.net.li" splits as a subdomain
        # of "net.li"; look the first label up, the whole-domain distance still decides.
        looked_up.append(domain.partition(".")[0])
    typed_suffix = split.suffix if split is not None and not split.prefix else None
    for label in looked_up:
        # Symmetric delete: the index holds every target label minus up to two characters,
        # the typed label is looked up minus up to one. That finds every single slip and
        # every double slip that includes a left-out letter, in a dozen dict probes however
        # long the list; two substitutions in one name (rarer, and more often a different
        # name than a typo) are not searched for.
        variants = _deletions(label, 1) if len(label) <= _MAX_FUZZY_LABEL else {label}
        labels = {hit for v in variants for hit in index.deletes.get(v, ())}
        if _MIN_TWO_SUBSTITUTIONS <= len(label) <= _MAX_FUZZY_LABEL:
            # Two keys hit wrong, no letter left out ("hotnaik"): same length, one third intact.
            labels.update(
                hit
                for key in _thirds(label)
                for hit in index.thirds.get(key, ())
                if Levenshtein.hamming(label, hit) <= 2
            )
        for candidate in sorted(labels):
            if candidate != label and Levenshtein.distance(label, candidate) > _RAW_LIMIT.get(
                min(len(candidate), 7), 3
            ):
                continue  # cheap (C) pre-check of the label budget, before the pricing below
            same_suffix = typed_suffix is not None and any(
                x.suffix == typed_suffix for x in index.by_label[candidate]
            )
            for target in index.by_label[candidate]:
                if target.domain == domain:
                    continue
                if same_suffix and target.suffix != typed_suffix:
                    # The brand has a domain under the suffix typed ("yayhoo.se": yahoo.se):
                    # the slip is in the name, never also in a suffix that was right.
                    continue
                if typed_suffix is not None and Levenshtein.distance(typed_suffix, target.suffix) > (
                    2 if split is not None and split.suffix_known else 3
                ):
                    # A real suffix typed is only ever one slip from the target's, a made-up
                    # one at most two (see _score): hotmial.com is not priced against
                    # hotmail.co.jp.
                    score = None
                else:
                    score = _score(domain, split, target)
                if score is not None:
                    found.append((score, target.weight, target.domain))
                elif (
                    target.sole
                    and split is not None
                    and not split.prefix
                    and candidate == label
                    and split.suffix != target.suffix
                ):
                    # gmail.co.il, icloud.de: the brand has no mailbox under that suffix.
                    found.append((1.0, target.weight, target.domain))
                elif (
                    split is not None
                    and split.suffix_known
                    and not split.prefix
                    and candidate == label
                    and not same_suffix
                ):
                    wrong_ending = _wrong_ending(split.suffix, target)
                    if wrong_ending is not None:
                        found.append((wrong_ending, target.weight, target.domain))
    if split is not None and not split.suffix_known and "." in domain:
        # The dot moved into or next to the ending ("gmailco.m", "bellsouthne.t",
        # "gmai.lcom"): the same letters, one dot in another place.
        found.extend((0.5, t.weight, t.domain) for t in index.joined.get(domain.replace(".", ""), ())
                     if t.domain.count(".") == domain.count("."))
    if "." not in domain:
        # No dot at all: "gmailcom", "hotmailcouk" (each missing dot costs 0.5), or a bare
        # brand, "gmail" (its most popular domain).
        found.extend((0.5 * t.domain.count("."), t.weight, t.domain) for t in index.joined.get(domain, ()))
        brand = index.by_label.get(domain, ())
        if brand and len(domain) >= 5:
            found.append((1.0, brand[0].weight, brand[0].domain))
    return found


#: Generic endings a provider's name is typed under by habit ("hotmail.net").
_GENERIC = frozenset({"com", "net", "org"})
#: Popularity a brand needs before its name under another generic ending is corrected.
_WRONG_ENDING_WEIGHT = 60


def _wrong_ending(typed_suffix: str, target: _Target) -> float | None:
    """The provider's name typed right under an ending the provider does not run.

    ``hotmail.uk``, ``yahoo.br``: the country's second level left out (the brand has
    ``hotmail.co.uk``): 0.5. ``hotmail.net``, ``outlook.org``: another generic ending for a
    popular brand whose mail domain is generic too: 1.0 (``yahoo.net`` exists, but is no
    mailbox domain). A brand under another country code is left alone (see _score).
    """
    if "." not in typed_suffix and target.suffix.endswith("." + typed_suffix) and target.suffix.count(".") == 1:
        return 0.5
    if typed_suffix in _GENERIC and target.suffix in _GENERIC and target.weight >= _WRONG_ENDING_WEIGHT:
        return 1.0
    return None


def _best(found: list[tuple[float, int, str]]) -> tuple[float, str] | None:
    if not found:
        return None
    # Deterministic: lowest distance, then most popular, then alphabetical.
    cost, _, domain = min(found, key=lambda f: (f[0], -f[1], f[2]))
    return cost, domain


def _tld_fix(domain: str, split: _Split) -> tuple[float, str] | None:
    """A non-existent top-level domain replaced by the nearest popular suffix."""
    found: list[tuple[float, int, str]] = []
    head = domain[: len(domain) - len(split.suffix) - 1]
    if not head:
        return None
    if head in _SECOND_LEVELS or not _plausible_head(head):
        return None  # "co.c" is no company's domain cut short: nothing to guess from
    for suffix, weight in _suffix_weights().items():
        cost = _suffix_cost(split.suffix, suffix)
        if cost <= 1.0:
            found.append((cost, weight, f"{head}.{suffix}"))
    typed = split.suffix
    for sl in _SECOND_LEVELS:
        # "shop.combr", "shop.couk": the dot before the country code left out, for a second
        # level the country's registry has (per the Public Suffix List).
        cc = typed[len(sl) :]
        if typed.startswith(sl) and cc and sl in _country_second_levels(cc):
            found.append((0.5, _SLD_WEIGHT, f"{head}.{sl}.{cc}"))
    half = len(typed) // 2
    if len(typed) % 2 == 0 and typed[:half] == typed[half:] and typed[:half] in _suffix_weights():
        found.append((0.5, _suffix_weights()[typed[:half]], f"{head}.{typed[:half]}"))  # "shop.comcom"
    last_dot = head.rfind(".")
    for cut in (1, 2, 3):
        # "shopco.m", "shopne.t": the dot typed a few letters early.
        if len(typed) < 3 and cut < len(head) - last_dot - 1:
            moved = head[-cut:] + typed
            if _suffix_weights().get(moved, 0) >= _RARE_WEIGHT:
                found.append((0.5, _suffix_weights()[moved], f"{head[:-cut]}.{moved}"))
    return _best(found)


def _plausible_head(head: str) -> bool:
    """A registrable name could be this: not a bare second level, not one letter."""
    return len(head.rpartition(".")[2]) >= 2


@functools.lru_cache(maxsize=512)
def _country_second_levels(cc: str) -> frozenset[str]:
    """The generic second levels (com, co, net, org, edu, gov, ac...) that the Public Suffix
    List records under the top-level domain ``cc``: learnt from the list, not a hand table."""
    if not cc.isalpha() or len(cc) != 2:
        return frozenset()
    psl = _psl()
    return frozenset(sl for sl in _SECOND_LEVELS if psl.publicsuffix(f"_.{sl}.{cc}") == f"{sl}.{cc}")


def _suffix_cost(typed: str, suffix: str) -> float:
    if abs(len(typed) - len(suffix)) > 2:
        return 9.0
    cost = 0.0
    for c, _, kind in _costs(typed, suffix):
        cost += 0.5 if kind == "insert" and suffix in _SHORTENED_GTLDS else c
    return cost


def _sld_fix(domain: str, split: _Split) -> tuple[float, str] | None:
    """``shop.cmo.br`` → ``shop.com.br``, ``shop.co.br`` → ``shop.com.br``,
    ``shop.com.uk`` → ``shop.co.uk``: the second level under a country code is garbled, or
    is one the country's registry does not have (the Public Suffix List decides which exist).
    """
    labels = domain.split(".")
    if "." in split.suffix or len(labels) < 3 or len(labels[-2]) > 5 or not split.prefix:
        return None
    typed, cc = labels[-2], labels[-1]
    if split.suffix_known and split.suffix != cc:
        return None
    head = ".".join(labels[:-2])
    if not _plausible_head(head):
        return None
    found: list[tuple[float, int, str]] = []
    existing = _country_second_levels(cc)
    for sl in existing:
        # co for com (or the reverse) where the registry has only the other: half a point.
        cost = 0.5 if {typed, sl} == {"co", "com"} else _suffix_cost(typed, sl)
        if cost <= 0.75:  # one slip, a neighbouring key pressed too at most
            found.append((cost, _suffix_weights().get(f"{sl}.{cc}", _SLD_WEIGHT), f"{head}.{sl}.{cc}"))
    tail = f"{typed}.{cc}"
    for suffix, weight in _suffix_weights().items():
        # Letters swapped across the dot ("co.li", "net.li"): the popular two-label suffixes.
        if suffix.count(".") == 1 and weight >= _RARE_WEIGHT and _suffix_cost(tail, suffix) <= 0.5:
            found.append((_suffix_cost(tail, suffix), weight, f"{head}.{suffix}"))
    if not found:
        return None
    best = min(c for c, _, _ in found)
    if len({d for c, _, d in found if c == best}) > 1:
        return None  # two second levels as near: ambiguous, stay silent
    return _best(found)


def _doubled_suffix(domain: str, indexes: tuple[_Index, ...]) -> str | None:
    """``gmail.com.com`` → ``gmail.com``: the suffix typed twice (an autocomplete, or habit).

    Only when what is left is a listed domain: priced as an edit it would be four deletions,
    far past any budget, yet nobody means a subdomain of ``com.com``.
    """
    head, _, last = domain.rpartition(".")
    if last in _FILE_EXTENSIONS and "." in head and tld_exists(head) and not tld_exists(domain):
        return head  # "shop.com.pdf", "gmail.com.html": a file name's ending pasted after it
    if not any(head in index.known for index in indexes):
        return None
    if head.endswith("." + last) or not tld_exists(domain):
        return head  # "gmail.com.com"; "gmail.com.txt", "yahoo.com.1": junk after the ending
    # Another ending after the right one ("yahoo.com.org", "hotmail.com.net"): only when
    # the two endings together are no public suffix ("yahoo.com.br" is Yahoo's, and
    # "x.com.co" a Colombian name; a sole brand there is caught by the domain route).
    head_suffix = head.partition(".")[2]
    if not tld_exists(domain):
        return None
    if _psl().publicsuffix(f"_.{head_suffix}.{last}") != f"{head_suffix}.{last}":
        return head
    # "excite.com.co": the two endings make a country's suffix, but the brand runs no
    # country domain anywhere (every listed domain of it is under a generic TLD).
    label = head.partition(".")[0]
    brand = [t for index in indexes for t in index.by_label.get(label, ())]
    if brand and all("." not in t.suffix and len(t.suffix) >= 3 for t in brand):
        return head
    return None


# -- public API -----------------------------------------------------------------------------


def _separator_swapped(domain: str, indexes: tuple[_Index, ...]) -> str | None:
    """``t.online.de`` → ``t-online.de``, ``orange-fr`` → ``orange.fr``: one hyphen typed as
    a dot or the reverse, landing on a listed target. Checked before the subdomain rule:
    ``t.online.de`` is under the listed ``online.de``, yet nobody has a mailbox there."""
    if any(domain in index.known for index in indexes):
        return None
    for i, ch in enumerate(domain):
        if ch in ".-":
            other = domain[:i] + ("-" if ch == "." else ".") + domain[i + 1 :]
            for index in indexes:
                if any(t.domain == other for t in index.joined.get(other.replace(".", ""), ())):
                    return other
    return None


def is_known_domain(domain: str) -> bool:
    """True for a domain in the shipped list of common mail domains (it surely exists).

    The list also holds a few real company domains that sit next to big providers
    (``verizon.com``, ``laposte.fr``...): they exist too, and are never "corrected".
    """
    d = _clean(domain)
    return d is not None and d in _shipped()[0]


def tld_exists(domain: str) -> bool:
    """True when the last label of ``domain`` (ASCII/IDNA form) is a top-level domain that
    exists: one in the ICANN section of the Public Suffix List (``com``, ``il``,
    ``xn--p1ai``; not ``jane``, ``con``, ``example``).
    """
    tld = domain.rstrip(".").rpartition(".")[2].lower()
    # "_." + the TLD: the answer is the TLD's own rule, and every domain under the same TLD
    # shares one cache entry of _public_suffix.
    return bool(tld) and _public_suffix("_." + tld) is not None


def _is_protected(domain: str, indexes: tuple[_Index, ...]) -> bool:
    """A listed domain or a subdomain of one (``mail.walla.co.il``) is left alone."""
    labels = domain.split(".")
    for i in range(len(labels) - 1):
        tail = ".".join(labels[i:])
        if any(tail in index.known for index in indexes):
            return True
    return False


def suggest(domain: str, *, extra_domains: tuple[str, ...] = ()) -> TypoSuggestion | None:
    """The intended domain, if ``domain`` looks like a typo of a common one.

    Args:
        domain: the ASCII (IDNA) domain of an address, as email-validator returns it.
        extra_domains: the shop's own known-good domains: they are typo targets, and are
            never corrected themselves.

    Returns:
        A :class:`TypoSuggestion`, or ``None`` when the domain is known or nothing near it is
        likely. Suggestions are made whether or not the typed domain resolves: typo-squatters
        register ``gmial.com`` and friends. Never raises on a string.
    """
    cleaned = _clean(domain)
    if cleaned is None:
        return None
    if not extra_domains:
        return _suggest(cleaned, ())
    extras = tuple(sorted({e for e in (_clean(x) for x in extra_domains) if e is not None}))
    return _suggest(cleaned, extras)


def _reserved(domain: str) -> bool:
    """A name no customer's mailbox can be at: RFC 6761 special-use names (email-validator's
    list) and the RFC 2606 section 3 example domains (their null MX makes maildiag call them
    undeliverable, so suggesting one would invent an address maildiag itself rejects)."""
    labels = domain.split(".")
    return (
        labels[-1] in email_validator.SPECIAL_USE_DOMAIN_NAMES
        or labels[-1] == "example"
        or ".".join(labels[-2:]) in _EXAMPLE_DOMAINS
    )


@functools.lru_cache(maxsize=4096)
def _suggest(domain: str, extras: tuple[str, ...]) -> TypoSuggestion | None:
    hit = _suggest_any(domain, extras)
    # A suggestion must be an address maildiag itself accepts (issue 12, item 8).
    return None if hit is None or _reserved(hit.suggestion) else hit


def _suggest_any(domain: str, extras: tuple[str, ...]) -> TypoSuggestion | None:
    # Same domains recur all day long (the cache); the answer is a pure function of the input.
    indexes = (_shipped_index(), _extra_index(extras)) if extras else (_shipped_index(),)
    swapped = _separator_swapped(domain, indexes)
    if swapped is not None:
        return TypoSuggestion(domain, swapped, "domain", 0.5)
    if _is_protected(domain, indexes):
        return None
    doubled = _doubled_suffix(domain, indexes)
    if doubled is not None:
        return TypoSuggestion(domain, doubled, "tld", 1.0)
    split = _split(domain)
    found = [c for index in indexes for c in _domain_candidates(domain, split, index)]
    best = _best(found)
    if best is not None:
        return TypoSuggestion(domain, best[1], "domain", best[0])
    if split is None:
        return None
    kind: Literal["sld", "tld"]
    if split.suffix_known or _country_second_levels(split.suffix):
        # A country whose registry only has second levels (za: co.za, org.za...) has no
        # rule of its own in the list: its garbled second level is an "sld" slip too.
        fix, kind = _sld_fix(domain, split), "sld"
    else:
        fix, kind = _tld_fix(domain, split), "tld"
    if fix is None:
        return None
    return TypoSuggestion(domain, fix[1], kind, fix[0])
