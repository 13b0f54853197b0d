"""Accuracy of the mark matcher: recall per disguise kind on variants of real brand names
made by other generators (dnstwist's permutation functions and glyph tables, Unicode's
own names for styled letters), and false positives on titles naming other real brands.

    .venv/bin/python bench/text_accuracy.py [--seed N] [--per-kind N]
"""

from __future__ import annotations

import argparse
import random
import sys
import unicodedata
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import dnstwist  # noqa: E402  (dev dependency: an independent variant generator)

from matchers.text import Mark, MarkMatcher  # noqa: E402

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


if __name__ == "__main__":
    main()
