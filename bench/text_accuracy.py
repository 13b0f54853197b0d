"""Accuracy of the mark matcher: recall per disguise kind on variants of real brand names
made by other generators (dnstwist's permutation functions and glyph tables, Unicode's
own names for styled letters), and false positives on titles naming other real brands.
Then counterfeiters' own spellings (masked letters, swapped letters, a mark shortened to a
first name or word, the lone word of a two-word mark, styled fragments) on other marks,
real and invented, none of the shared data's brands; and real first names (the US
census lists of the `names` package) and real words (wordfreq) near those marks, which
must not count without context.

    .venv/bin/python bench/text_accuracy.py [--seed N] [--per-kind N]
"""

from __future__ import annotations

import argparse
import functools
import random
import sys
import unicodedata
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import dnstwist  # noqa: E402  (dev dependency: an independent variant generator)
import names  # noqa: E402  (dev dependency: the US census first-name lists)
from rapidfuzz import process  # noqa: E402
from rapidfuzz.distance import OSA  # noqa: E402
from wordfreq import top_n_list, zipf_frequency  # noqa: E402

from matchers.signals import MARK_SCORES, goods_words, mark_findings, mark_in_context  # noqa: E402
from matchers._words import LANGUAGES  # noqa: E402
from matchers.text import Mark, MarkMatcher  # noqa: E402

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "data"

# Registered marks for the benchmark, with registered CJK transliterations where the
# brand has well-known ones.
MARKS: dict[str, tuple[str, ...]] = {
    "Nike": ("耐克", "ナイキ"),
    "Adidas": ("阿迪达斯", "アディダス"),
    "Gucci": ("古驰", "グッチ"),
    "Chanel": ("香奈儿", "シャネル"),
    "Louis Vuitton": ("路易威登", "ルイヴィトン"),
    "Prada": ("普拉达", "プラダ"),
    "Hermès": ("爱马仕", "エルメス"),
    "Rolex": ("劳力士", "ロレックス"),
    "Samsung": ("三星",),
    "Puma": ("彪马",),
    "New Balance": ("新百伦",),
    "Burberry": ("博柏利",),
    "Dior": ("迪奥",),
    "Versace": ("范思哲",),
    "Armani": ("阿玛尼",),
    "Cartier": ("卡地亚",),
    "Omega": ("欧米茄",),
    "Moncler": ("盟可睐",),
    "Canada Goose": ("加拿大鹅",),
    "The North Face": ("北面",),
    "Converse": ("匡威",),
    "Vans": ("范斯",),
    "Under Armour": ("安德玛",),
    "Lego": ("乐高",),
    "Michael Kors": ("迈克高仕",),
    "Tiffany": ("蒂芙尼",),
    "Balenciaga": ("巴黎世家",),
    "Fendi": ("芬迪",),
    "Givenchy": ("纪梵希",),
    "Bvlgari": ("宝格丽",),
    "Ray-Ban": ("雷朋",),
    "Oakley": ("欧克利",),
    "Patagonia": (),
    "Timberland": (),
    "Lacoste": (),
    "Ralph Lauren": (),
    "Tommy Hilfiger": (),
    "Calvin Klein": (),
    "Levi's": (),
    "Wrangler": (),
    "Hugo Boss": (),
    "Valentino": (),
    "Ferragamo": (),
    "Bottega Veneta": (),
    "Saint Laurent": (),
    "Alexander McQueen": (),
    "Stone Island": (),
    "Off-White": (),
    "Supreme": (),
    "Yeezy": (),
    "Asics": (),
    "Reebok": (),
    "Skechers": (),
    "Crocs": (),
    "Birkenstock": (),
    "Dr. Martens": (),
    "UGG": (),
    "Swarovski": (),
    "Pandora": (),
    "Longines": (),
    "TAG Heuer": (),
    "Breitling": (),
    "Patek Philippe": (),
    "Audemars Piguet": (),
    "Hublot": (),
    "Tissot": (),
    "Casio": (),
    "Seiko": (),
    "Garmin": (),
    "Fitbit": (),
    "Sennheiser": (),
    "JBL": (),
    "Sony": (),
    "Nintendo": (),
    "PlayStation": (),
    "Xbox": (),
    "GoPro": (),
    "Canon": (),
    "Dyson": (),
    "Philips": (),
    "Gillette": (),
    "Maybelline": (),
    "L'Oréal": (),
    "Lancôme": (),
    "Estée Lauder": (),
    "Clinique": (),
    "Chloé": (),
    "Celine": (),
    "Loewe": (),
    "Balmain": (),
    "Kenzo": (),
    "Moschino": (),
    "Jimmy Choo": (),
    "Christian Louboutin": (),
    "Goyard": (),
    "Rimowa": (),
    "Montblanc": (),
    "Zippo": (),
    "Victorinox": (),
    "Leatherman": (),
    "Hydro Flask": (),
    "Arc'teryx": (),
    "Salomon": (),
    "Mammut": (),
    "Fjallraven": (),
    "Herschel": (),
    "Osprey": (),
    "Deuter": (),
    "Norvik": ("诺维克", "ノルヴィク"),
    "Trailforge": (),
}

# Other real brands, for titles that must not raise a hit.
def _other_brands() -> list[str]:
    multi = [
        "Urban Decay", "Bobbi Brown", "Old Navy", "Banana Republic", "Rip Curl", "O'Neill",
        "Hush Puppies", "Cole Haan", "Raymond Weil", "Maurice Lacroix", "Jack Wolfskin",
        "Mountain Hardwear", "Helly Hansen", "Black Diamond", "Kate Spade", "Tory Burch",
        "Marc Jacobs", "Vera Bradley", "Yves Rocher",
    ]
    single = """Nikon Sharp Panasonic Toshiba Hitachi Lenovo Dell Acer Asus Huawei Xiaomi Oppo
    OnePlus Motorola Nokia Ericsson Siemens Bosch Miele Whirlpool Electrolux Zara Uniqlo Mango
    Primark Benetton Esprit Abercrombie Hollister Aeropostale Quiksilver Billabong Volcom Hurley
    Fila Kappa Umbro Diadora Mizuno Brooks Saucony Hoka Merrell Keen Teva Clarks Ecco Geox Camper
    Florsheim Fossil Timex Swatch Invicta Bulova Movado Hamilton Rado Nautica Guess Mexx Desigual
    Superdry Vaude Haglofs Marmot Berghaus Rab Montane Petzl Thule Samsonite Tumi Delsey Eastpak
    JanSport Kipling Longchamp Furla Logitech Razer Corsair SteelSeries HyperX Anker Belkin
    Sandisk Kingston Seagate Nestle Danone Heinz Pepsi Lipton Nescafe Colgate Nivea Garnier
    Rimmel Revlon Bourjois Avon Clarins Kiehl's Tarte Smashbox""".split()
    return single + multi


OTHER_BRANDS = _other_brands()

PRODUCTS = """running shoes|sneakers|hiking boots|down jacket|parka|hoodie|t-shirt|polo shirt|
jeans|backpack|tote bag|crossbody bag|wallet|belt|sunglasses|watch|smartwatch|headphones|
earbuds|phone case|water bottle|cap|beanie|scarf|perfume|lipstick|foundation|sandals|
trail runners|rain jacket|fleece|leggings|sports bra|tracksuit|duffel bag|suitcase|
travel mug|camera strap|keychain|charger cable""".replace("\n", "").split("|")
ADJECTIVES = """new|men's|women's|kids|unisex|classic|vintage|limited edition|original|premium|
lightweight|waterproof|breathable|leather|slim fit|oversized|2024|summer|winter|outdoor|
genuine|sale|free shipping|hot""".replace("\n", "").split("|")
COLOURS = ["black", "white", "navy", "red", "olive", "grey", "beige", "pink", "blue", "green"]
SIZES = ["S", "M", "L", "XL", "XXL", "EU 42", "US 9", "UK 8", "38", "44", "One Size"]


def title_with(rng: random.Random, name: str) -> tuple[str, int]:
    """A listing title naming `name`; returns the title and where `name` starts."""
    adj, prod = rng.choice(ADJECTIVES), rng.choice(PRODUCTS)
    colour, size = rng.choice(COLOURS), rng.choice(SIZES)
    layouts = [
        ("", f" {adj} {prod} {colour} size {size}"),
        (f"{adj.title()} ", f" {prod} - {colour}, {size}"),
        (f"{adj} {prod} by ", f" ({colour})"),
        (f"{colour.title()} {prod} ", f" {size} {adj}"),
    ]
    before, after = rng.choice(layouts)
    return before + name + after, len(before)


def plain_title(rng: random.Random, brands: list[str]) -> str:
    adj, prod = rng.choice(ADJECTIVES), rng.choice(PRODUCTS)
    colour, size = rng.choice(COLOURS), rng.choice(SIZES)
    picks = rng.sample(brands, rng.choice([1, 1, 2]))
    name = " / ".join(picks)
    return rng.choice(
        [
            f"{name} {adj} {prod} {colour} size {size}",
            f"{adj.title()} {prod} {name} {colour}",
            f"{prod.title()} compatible with {name}, {colour}",
            f"{name} {prod} {size} - {adj}",
        ]
    )


# -- variant generators (none of them is markwatch's code) ------------------------------

_STYLES = ["BOLD", "ITALIC", "BOLD ITALIC", "SCRIPT", "BOLD SCRIPT", "FRAKTUR", "DOUBLE-STRUCK",
           "SANS-SERIF", "SANS-SERIF BOLD", "SANS-SERIF ITALIC", "MONOSPACE"]
_SEPARATORS = [" ", ".", "-", "_", "*", " . ", "·", "\u200b"]
_LEET = {"a": "4@", "e": "3", "i": "1!", "o": "0", "s": "5$", "t": "7", "l": "1", "b": "8", "g": "9"}
_TYPO_FUZZERS = ["addition", "bitsquatting", "insertion", "omission", "repetition",
                 "replacement", "transposition", "vowel_swap"]


def _styled_char(c: str, style: str) -> str:
    if not c.isascii() or not c.isalpha():
        return c
    case = "CAPITAL" if c.isupper() else "SMALL"
    names = {
        "fullwidth": f"FULLWIDTH LATIN {case} LETTER {c.upper()}",
        "circled": f"CIRCLED LATIN {case} LETTER {c.upper()}",
        "small caps": f"LATIN LETTER SMALL CAPITAL {c.upper()}",
    }
    name = names.get(style, f"MATHEMATICAL {style} {case} {c.upper()}")
    try:
        return unicodedata.lookup(name)
    except KeyError:
        return c


def styled(rng: random.Random, mark: str) -> str:
    style = rng.choice(_STYLES + ["fullwidth", "circled", "small caps"])
    return "".join(_styled_char(c, style) for c in mark)


def _fuzzer(label: str) -> dnstwist.Fuzzer:
    return dnstwist.Fuzzer(f"{label}.com")


def _label(mark: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", mark.lower()) if c.isascii() and c.isalnum())


def _substitute(rng: random.Random, mark: str, table: dict[str, tuple[str, ...] | str], count: int) -> str | None:
    positions = [i for i, c in enumerate(mark) if c.lower() in table]
    if not positions:
        return None
    chars = list(mark)
    for i in rng.sample(positions, min(count, len(positions))):
        options = table[chars[i].lower()]
        g = rng.choice(list(options))
        chars[i] = g.upper() if chars[i].isupper() and g.upper() != g and len(g.upper()) == 1 else g
    return "".join(chars)


def _glyph_tables() -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]]:
    accents: dict[str, list[str]] = defaultdict(list)
    lookalikes: dict[str, list[str]] = defaultdict(list)
    for letter, glyphs in dnstwist.Fuzzer.glyphs_unicode.items():
        if len(letter) != 1 or not letter.isalpha():
            continue
        for g in glyphs:
            base = unicodedata.normalize("NFD", g)[0]
            (accents if base == letter else lookalikes)[letter].append(g)
    for letter, g in dnstwist.Fuzzer.latin_to_cyrillic.items():
        lookalikes[letter].append(g)
    return ({k: tuple(v) for k, v in accents.items()}, {k: tuple(v) for k, v in lookalikes.items()})


_ACCENTS, _LOOKALIKES = _glyph_tables()


def variants(rng: random.Random, mark: str, aliases: tuple[str, ...], per_kind: int) -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    for _ in range(per_kind):
        out["exact"].append(mark)
        out["case"].append(rng.choice([mark.upper(), mark.lower(), mark.swapcase()]))
        v = _substitute(rng, mark, _ACCENTS, rng.choice([1, 2]))
        if v and v != mark:
            out["accent"].append(v)
        out["styled"].append(styled(rng, mark))
        v = _substitute(rng, mark, _LOOKALIKES, rng.choice([1, 2]))
        if v and v != mark:
            out["homoglyph"].append(v)
        v = _substitute(rng, mark, {k: tuple(s) for k, s in _LEET.items()}, rng.choice([1, 2]))
        if v and v != mark:
            out["leet"].append(v)
        letters = [c for c in mark if c.isalnum()]
        sep = rng.choice(_SEPARATORS)
        out["spacing"].append(sep.join(letters) if sep != "\u200b" else sep.join(letters[:2]) + "".join(letters[2:]))
        word = rng.choice(["Air", "Pro", "Max", "Sport", "Style", "Outlet"])
        out["glued"].append(rng.choice([mark.replace(" ", "") + word, word + mark.replace(" ", "")]))
    for alias in aliases:
        out["alias"].extend([alias] * per_kind)
    label = _label(mark)
    if len(label) >= 5:
        fuzzer = _fuzzer(label)
        for name in _TYPO_FUZZERS:
            made = sorted({v for v in getattr(fuzzer, "_" + name)() if v != label})
            for v in rng.sample(made, min(per_kind, len(made))):
                out[f"typo:{name}"].append(v if rng.random() < 0.5 else v.title())
    return out


def alias_title(rng: random.Random, alias: str) -> tuple[str, int]:
    if any("\u30a0" <= c <= "\u30ff" for c in alias):
        before, after = "【正規品】", rng.choice(["スニーカー メンズ 新品", "バッグ レディース", "財布 本物"])
    else:
        before, after = rng.choice(["正品", "2024新款", "官方"]), rng.choice(["男鞋运动鞋", "女士手提包", "手表男士", "冲锋衣户外"])
    return before + alias + after, len(before)


# -- counterfeiters' own spellings (issue 14) -------------------------------------------

_MASKS = "*#?_.•"
_FRAGMENT_SEPARATORS = [" ", "  ", " • ", "✦", " ~ ", "-", "/", " | ", "·", " ★ ", "_", " . ", "♥"]
# The goods of the benchmark's titles: every product word is some mark's goods.
BENCH_GOODS = goods_words([3, 9, 14, 18, 25, 28], PRODUCTS)
_NEUTRAL = [
    "{w}: a novel, paperback edition",
    "Birthday card for {w}, blank inside",
    "Poster {w} in Paris, A3 print",
    "{w} family history book (used)",
    "Audiobook read by {w}",
    "Wooden name sign {w} for the nursery",
]
_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def shared_brands() -> set[str]:
    """The brands of the shared benchmark sets (read, never written down here), kept out
    of the new rows so that their figures stay held out."""
    found: set[str] = set()

    def walk(x: object) -> None:
        if isinstance(x, dict):
            for k, v in x.items():
                if k == "brand" and isinstance(v, str):
                    found.add(v.casefold())
                else:
                    walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)

    if SHARED.is_dir():
        for path in SHARED.rglob("*.json"):
            try:
                walk(__import__("json").loads(path.read_text("utf-8")))
            except (OSError, ValueError):
                continue
        for path in SHARED.rglob("*.txt"):
            try:
                for line in path.read_text("utf-8").splitlines():
                    parts = line.split()
                    if len(parts) >= 2:
                        found.add(parts[1].casefold())
            except (OSError, UnicodeDecodeError):
                continue
    return found


def _common(word: str) -> bool:
    # The watched languages: a swap that makes a Dutch name is a name, not a disguise.
    return any(zipf_frequency(word, lang, wordlist="small") >= 3.0 for lang in LANGUAGES)


def coined(rng: random.Random, syllables: int) -> str:
    onsets = ["b", "br", "d", "f", "g", "k", "kr", "l", "m", "n", "p", "r", "s", "t", "tr", "v", "z"]
    vowels = ["a", "e", "i", "o", "u"]
    word = "".join(rng.choice(onsets) + rng.choice(vowels) for _ in range(syllables))
    return (word + rng.choice(["", "n", "r", "x", "k", "l"])).capitalize()


@functools.lru_cache(maxsize=1)
def first_names() -> tuple[str, ...]:
    base = Path(names.__file__).parent
    out: list[str] = []
    for name in ("dist.male.first", "dist.female.first"):
        for line in (base / name).read_text("ascii").splitlines()[:1200]:
            out.append(line.split()[0].capitalize())
    return tuple(out)


def spelling_marks(rng: random.Random, held_out: set[str]) -> dict[str, list[str]]:
    """Marks for each kind of spelling: real marks of the list above (not the shared
    sets' brands) and invented ones."""
    real = [m for m in MARKS if m.casefold() not in held_out and m.isascii()]
    out: dict[str, list[str]] = defaultdict(list)
    seen = {m.casefold() for m in MARKS} | {b.casefold() for b in OTHER_BRANDS}

    def fresh(name: str) -> bool:
        if name.casefold() in seen or _common(name):
            return False
        seen.add(name.casefold())
        return True

    single = [m for m in real if len(m.split()) == 1 and sum(c.isalpha() for c in m) >= 4]
    out["masked"] = single + [m for m in real if len(m.split()) == 2][:10]
    while len(out["masked"]) < len(single) + 60:
        name = coined(rng, rng.choice([2, 3]))
        if fresh(name):
            out["masked"].append(name)
    out["swap"] = [m for m in real if len(m) == 4 and m.isalpha()]
    while len(out["swap"]) < 60:
        name = coined(rng, 2)[:4]
        if len(name) == 4 and fresh(name):
            out["swap"].append(name)
    # A designer's or a founder's name mark whose last letter makes a first name or a
    # real word of it ("Valentino" -> "Valentin").
    pool = [n for n in first_names() if 5 <= len(n) <= 9 and _common(n)]
    pool += [w.capitalize() for w in top_n_list("it", 6000) + top_n_list("es", 6000)
             if 5 <= len(w) <= 9 and w.isalpha() and w.isascii()]
    rng.shuffle(pool)
    for base in pool:
        name = base + rng.choice("oaie")
        if fresh(name):
            out["shortened"].append(name)
        if len(out["shortened"]) >= 120:
            break
    two = [m for m in real if Mark(m).partial_words()]
    out["lone word"] = list(two)
    while len(out["lone word"]) < len(two) + 60:
        second = coined(rng, rng.choice([2, 3]))
        if not fresh(second):
            continue
        name = rng.choice(["Dr.", "Mr", coined(rng, 2), rng.choice(first_names())]) + " " + second
        if Mark(name).partial_words():
            out["lone word"].append(name)
    out["fragments"] = list(out["masked"])
    return out


def spelled(rng: random.Random, kind: str, mark: str) -> str | None:
    """One spelling of `mark` of `kind`, as counterfeiters write it."""
    if kind == "masked":
        chars = list(mark)
        inner = [i for i, c in enumerate(chars) if c.isalpha()]
        if rng.random() < 0.2:  # a symbol between every letter
            return rng.choice(".*_").join(c for c in mark if c.isalnum())
        count = 1 if len(inner) < 6 else rng.choice([1, 2])
        for i in rng.sample(inner[1:], count):
            chars[i] = rng.choice(_MASKS)
        if rng.random() < 0.3:
            chars = [c.upper() for c in chars]
        return "".join(chars)
    if kind == "swap":
        i = rng.choice([1, 2]) if len(mark) == 4 else rng.randrange(1, len(mark) - 1)
        swapped = mark[:i] + mark[i + 1] + mark[i] + mark[i + 2 :]
        if swapped.casefold() == mark.casefold() or _common(swapped):
            return None  # a real word: no disguise one can tell from the word itself
        return swapped
    if kind == "shortened":
        return mark[:-1]
    if kind == "lone word":
        return Mark(mark).partial_words()[0]
    if kind == "fragments":
        letters = [c for c in mark if c.isalnum()]
        cuts = sorted(rng.sample(range(1, len(letters)), min(len(letters) - 1, rng.choice([1, 1, 2]))))
        parts = ["".join(letters[a:b]) for a, b in zip([0, *cuts], [*cuts, len(letters)])]
        if rng.random() < 0.5:
            parts = [styled(rng, p) if rng.random() < 0.5 else p.upper() for p in parts]
        return rng.choice(_FRAGMENT_SEPARATORS).join(parts)
    raise ValueError(kind)


def counts(matcher: MarkMatcher, title: str, mark: str) -> tuple[bool, bool]:
    """(found at all, counts once the title's context is weighed)."""
    hits = matcher.find(title)
    findings = mark_in_context(mark_findings(hits), title, goods=BENCH_GOODS)
    mine = [f for h, f in zip(hits, findings) if h.mark == mark]
    return bool(mine), any(f.score > MARK_SCORES["partial"] for f in mine)


def near_words(marks: list[str], *, limit: int) -> list[str]:
    """Real first names and real words one or two edits from a mark, or the mark less its
    last letter: what an honest listing may well say."""
    vocab = {n.casefold() for n in first_names()}
    for lang in ("en", "de", "fr", "es", "it"):
        vocab |= {w for w in top_n_list(lang, 25000) if w.isalpha() and 4 <= len(w) <= 12}
    vocab_list = sorted(vocab)
    out: dict[str, None] = {}
    for mark in marks:
        for word in mark.split():
            key = "".join(c for c in unicodedata.normalize("NFD", word.casefold()) if c.isascii() and c.isalnum())
            if len(key) < 4:
                continue
            cutoff = 1 if len(key) <= 6 else 2
            for choice, dist, _ in process.extract(key, vocab_list, scorer=OSA.distance,
                                                   score_cutoff=cutoff, limit=6):
                plain = "".join(c for c in unicodedata.normalize("NFD", choice) if c.isascii())
                # "Céline" is the mark Celine itself, "Cliniques" its plural.
                if dist and plain not in (key, key + "s", key + "es"):
                    out[choice.capitalize()] = None
    words = list(out)
    return words[:limit]


def spelling_rows(rng: random.Random, per_kind: int) -> None:
    held_out = shared_brands()
    by_kind = spelling_marks(rng, held_out)
    all_marks = sorted({m for ms in by_kind.values() for m in ms} | set(MARKS))
    matcher = MarkMatcher([Mark(m, MARKS.get(m, ())) for m in all_marks])
    print()
    print(f"counterfeiters' spellings: {len(all_marks)} marks in the matcher "
          f"({len(held_out)} shared-set brands left out of these rows)")
    print(f"{'kind':<24}{'recall':>8}{'n':>7}  examples missed")
    for kind in ("masked", "swap", "shortened", "lone word", "fragments"):
        hit = n = 0
        weak_alone = 0
        missed: list[str] = []
        for mark in by_kind[kind]:
            for _ in range(per_kind):
                form = spelled(rng, kind, mark)
                if form is None:
                    continue
                title, _ = title_with(rng, form)
                _found, counted = counts(matcher, title, mark)
                n += 1
                hit += counted
                if not counted:
                    missed.append(form)
                if kind in ("shortened", "lone word"):
                    neutral = rng.choice(_NEUTRAL).format(w=form)
                    weak_alone += counts(matcher, neutral, mark)[1]
        label = kind + (" (goods)" if kind in ("shortened", "lone word") else "")
        examples = ", ".join(repr(m) for m in missed[:4])
        print(f"{label:<24}{hit / n:>8.3f}{n:>7}  {examples}{'  ok' if hit / n >= 0.95 else '  BELOW 0.95'}")
        if kind in ("shortened", "lone word"):
            print(f"{kind + ' (alone)':<24}{weak_alone / n:>8.3f}{n:>7}  counted without context"
                  f"{'  ok' if weak_alone == 0 else '  ABOVE 0'}")
    words = near_words(all_marks, limit=3000)
    fired = any_hit = 0
    examples = []
    for word in words:
        title = rng.choice(_NEUTRAL).format(w=word)
        hits = matcher.find(title)
        findings = mark_in_context(mark_findings(hits), title, goods=BENCH_GOODS)
        strong = [(h, f) for h, f in zip(hits, findings) if f.score > MARK_SCORES["partial"]]
        any_hit += bool(hits)
        fired += bool(strong)
        if strong and len(examples) < 6:
            examples.append(f"{title!r} -> {strong[0][0].mark} ({strong[0][0].reason})")
    print(f"real names and words near the marks, no context: {len(words)} titles, counted "
          f"{fired / len(words):.4f}, any hit {any_hit / len(words):.4f} (weak, reviewable)"
          f"{'  ok' if fired / len(words) <= 0.005 else '  ABOVE 0.005'}")
    for example in examples:
        print("   ", example)
    fp = 0
    fp_examples = []
    for _ in range(5000):
        title = plain_title(rng, OTHER_BRANDS)
        hits = matcher.find(title)
        fp += bool(hits)
        if hits and len(fp_examples) < 6:
            fp_examples.append(f"{title!r} -> {hits[0].mark} via {hits[0].matched!r} ({hits[0].reason})")
    print(f"false positives of these {len(all_marks)} marks on 5000 titles naming other brands: "
          f"{fp / 5000:.4f} (any hit){'  ok' if fp / 5000 <= 0.005 else '  ABOVE 0.005'}")
    for example in fp_examples:
        print("   ", example)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--per-kind", type=int, default=4, help="variants per mark and kind")
    parser.add_argument("--negatives", type=int, default=5000)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    marks = [Mark(text, aliases) for text, aliases in MARKS.items()]
    matcher = MarkMatcher(marks)

    found: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    misses: dict[str, list[str]] = defaultdict(list)
    for text, aliases in MARKS.items():
        for kind, forms in variants(rng, text, aliases, args.per_kind).items():
            for form in forms:
                title, _ = alias_title(rng, form) if kind == "alias" else title_with(rng, form)
                hit = any(h.mark == text for h in matcher.find(title))
                found[kind][1] += 1
                found[kind][0] += hit
                if not hit:
                    misses[kind].append(form)

    typo_total = [sum(v[0] for k, v in found.items() if k.startswith("typo:")),
                  sum(v[1] for k, v in found.items() if k.startswith("typo:"))]
    print(f"marks: {len(marks)}  variants per mark and kind: {args.per_kind}  seed: {args.seed}")
    print(f"{'kind':<24}{'recall':>8}{'n':>7}  examples missed")
    targets = {"exact": 0.99, "case": 0.99, "accent": 0.99, "styled": 0.99, "homoglyph": 0.99,
               "leet": 0.99, "spacing": 0.99, "alias": 0.99}
    for kind in sorted(found, key=lambda k: (k.startswith("typo:"), k)):
        hit, n = found[kind]
        target = targets.get(kind, 0.9 if kind.startswith("typo:") else None)
        mark = "" if target is None else ("  ok" if hit / n >= target else f"  BELOW {target}")
        examples = ", ".join(repr(m) for m in misses[kind][:4])
        print(f"{kind:<24}{hit / n:>8.3f}{n:>7}  {examples}{mark}")
    print(f"{'typo (all single edits)':<24}{typo_total[0] / typo_total[1]:>8.3f}{typo_total[1]:>7}"
          f"{'  ok' if typo_total[0] / typo_total[1] >= 0.9 else '  BELOW 0.9'}")

    fp = 0
    fp_strong = 0
    fp_examples: list[str] = []
    for _ in range(args.negatives):
        title = plain_title(rng, OTHER_BRANDS)
        hits = matcher.find(title)
        if hits:
            fp += 1
            if len(fp_examples) < 6:
                fp_examples.append(f"{title!r} -> {hits[0].mark} via {hits[0].matched!r} ({hits[0].reason})")
        fp_strong += any(h.score >= 70 for h in hits)
    print(f"false positives on {args.negatives} titles naming {len(OTHER_BRANDS)} other brands: "
          f"{fp / args.negatives:.4f} (any hit), {fp_strong / args.negatives:.4f} (score >= 70)"
          f"{'  ok' if fp / args.negatives <= 0.01 else '  ABOVE 0.01'}")
    for example in fp_examples:
        print("   ", example)
    spelling_rows(rng, args.per_kind)


if __name__ == "__main__":
    main()
