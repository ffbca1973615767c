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
    args = parser.parse_args()
    rows = generate(args.seed)
    header = (
        "# Customer typos of mail domains and the domain meant (maildiag.typo's case table).\n"
        f"# Generated by bench/make_typo_cases.py --seed {args.seed} (see its docstring), 2026-11-23,\n"
        "# plus hand-picked typos seen in real sign-up forms (source hand-picked).\n"
        "typo\texpected\tsource\n"
    )
    args.out.write_text(header + "".join(f"{t}\t{e}\t{s}\n" for t, e, s in rows), "utf-8")
    print(f"{len(rows)} cases written to {args.out}")


if __name__ == "__main__":
    main()
