"""Claim coverage: recall and false alarms of `matchers.claims.ClaimIndex`, and its speed.

Run: nice -n 5 .venv/bin/python bench/claim_accuracy.py [--data ../shared/data] [--seed 1]

Claims are generated from product families (each element a phrase with the synonyms a
brand would register); listings are written the way sellers write: a synonym or another
form of the words ("folds"/"foldable", plurals), compounds joined or split, quantities in
other units, words between, elements in any order and field.

Real texts first: the product titles and descriptions markwatch's extractor reads from the
real pages in ../shared/data. (a) Every generated claim against each real listing as it is:
any claim met in full, or two thirds of it, is a false alarm (none of those products is a
walking pole or a dog harness). (b) Each real listing with one family's elements written
into it: recall of the claim met in full. Generated listings follow: all elements shown
(recall), one element missing or denied (a "complete" is a false alarm; "most" is right),
and unrelated products. Speed: listings per second against 40 claims, in CPU time.
"""

from __future__ import annotations

import argparse
import gzip
import random
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from matchers.claims import Claim, ClaimIndex, Element  # noqa: E402

MOST = 2 / 3


@dataclass(frozen=True)
class Family:
    """A product and its claim: per element, (registered phrase, synonyms, how sellers write it)."""

    name: str
    elements: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...]
    filler: tuple[str, ...]


FAMILIES = (
    Family("walking pole", (
        ("foldable sections joined by a tension cord", ("folding sections", "z-fold", "collapsible sections"),
         ("folds into three sections", "Z fold design", "collapsible sections", "foldable segments with cord",
          "folding section")),
        ("lever lock", ("flick lock", "quick lock", "locking lever"),
         ("FlickLock", "flick-lock", "quick-locking levers", "lever locks", "levers that lock")),
        ("carbide tip", ("tungsten tip", "carbide point"),
         ("tungsten carbide tips", "carbide-tipped", "carbide points", "tungsten tip")),
        ("cork grip", ("cork handle",), ("cork grips", "natural cork handle", "cork-handled")),
    ), ("trekking pole", "for hiking and walking", "lightweight aluminium", "pair")),
    Family("dog harness", (
        ("padded chest plate", ("padded chest", "cushioned chest plate"),
         ("padded chest plates", "cushioned chest plate", "chest padding plate")),
        ("two leash attachment points", ("2 leash rings", "dual clip points", "two leash clips"),
         ("two leash attachment points", "2 leash rings", "dual clip points")),
        ("reflective trim", ("reflective strips", "reflective piping"),
         ("reflective trims", "reflective strip", "reflecting piping")),
        ("quick release buckle", ("quick-release buckles", "side release buckle"),
         ("quick-release buckles", "quickrelease buckle", "side-release buckles")),
    ), ("no pull dog harness", "for small and large dogs", "adjustable", "breathable mesh")),
    Family("drink bottle", (
        ("double wall vacuum insulation", ("vacuum insulated", "double-walled insulation"),
         ("double-wall vacuum insulated", "vacuum-insulated", "double walled insulation")),
        ("capacity of at least 750 ml", ("at least 750 ml", "at least 0.75 l"),
         ("1 litre", "1000 ml", "0.8 L", "750ml", "32 fl oz")),
        ("leak proof lid", ("leakproof cap", "spill proof lid"),
         ("leakproof lid", "leak-proof lids", "spill-proof lid")),
        ("powder coated finish", ("powder coating",), ("powder-coated finish", "powder coated", "powdercoated finish")),
    ), ("stainless steel water bottle", "keeps drinks cold", "BPA free", "gym and travel")),
    Family("tent", (
        ("freestanding frame", ("free standing", "self supporting frame"),
         ("free-standing frame", "freestanding", "self-supporting frame")),
        ("two vestibules", ("2 vestibules", "dual vestibules"), ("two vestibules", "2 vestibules", "dual vestibule")),
        ("color coded poles", ("colour coded clips", "color-coded pole clips"),
         ("colour-coded poles", "color coded pole", "colour coded clips")),
        ("weight below 2 kg", ("under 2 kg", "less than 2 kg"), ("1.6 kg", "1450 g", "3.1 lbs", "1.9kg")),
    ), ("backpacking tent", "for 2 persons", "waterproof fly", "camping")),
    Family("headlamp", (
        ("rechargeable battery", ("usb rechargeable", "built-in battery"),
         ("rechargeable batteries", "USB-rechargeable", "builtin battery")),
        ("red light mode", ("red led", "red night vision mode"), ("red light modes", "red LEDs", "red night-vision mode")),
        ("motion sensor", ("wave sensor", "gesture control"), ("motion sensing", "wave-sensor", "motion sensors")),
        ("tilting head", ("adjustable angle", "pivoting head"), ("tilt head", "pivoting lamp head", "tilting heads")),
    ), ("LED headlamp", "for running and camping", "bright", "head torch")),
)

UNRELATED = (
    "Ceramic coffee mug, 350 ml, dishwasher safe, with a comfortable handle and a glossy glaze.",
    "Cotton bed sheet set, queen size, 400 thread count, deep pockets, four pieces.",
    "Wireless mouse with silent clicks, 2.4 GHz receiver, three DPI levels and a battery indicator.",
    "Kids' raincoat with a hood, taped seams and reflective details, machine washable.",
    "Cast iron skillet, 26 cm, pre-seasoned, oven safe, with a helper handle.",
    "Leather wallet with RFID blocking, eight card slots and a coin pocket.",
    "Yoga mat, 6 mm thick, non-slip surface, carrying strap included.",
    "Garden hose reel with a crank handle, 30 m capacity, rust-proof frame.",
    "Silicone phone case with a raised camera lip and a soft microfibre lining.",
    "Plush dog toy with a squeaker, machine washable, for small breeds.",
    "Insulated lunch bag with a shoulder strap and a leak-proof liner.",
    "Folding camping chair with a cup holder and a carry bag, steel frame.",
)


def claims_of(families: tuple[Family, ...]) -> list[tuple[Family, Claim]]:
    return [(f, Claim(f"P-{i}", 1, tuple(Element(p, s) for p, s, _ in f.elements))) for i, f in enumerate(families)]


def listing(family: Family, rng: random.Random, *, drop: int | None = None, deny: int | None = None) -> dict[str, str]:
    parts = []
    for i, (_phrase, _syn, written) in enumerate(family.elements):
        if i == drop:
            continue
        text = rng.choice(written)
        if i == deny:
            text = rng.choice(("without ", "no ", "not ")) + text
        parts.append(text)
    rng.shuffle(parts)
    filler = list(family.filler)
    rng.shuffle(filler)
    title = f"{filler[0].capitalize()}, {parts[0]}"
    bullets = parts[1:]
    return {"title": title, "bullet 1": " | ".join(bullets[:2]),
            "description": f"Great {filler[1]}. " + ". ".join(bullets[2:]) + f". {filler[2].capitalize()}."}


def real_texts(data: Path) -> list[dict[str, str]]:
    from crawlers.extract import extract_listing

    out = []
    pages = sorted((data / "product-pages").glob("*.html.gz")) + sorted((data / "product-pages-peb" / "html").glob("*.html.gz"))
    for page in pages:
        try:
            found = extract_listing(gzip.decompress(page.read_bytes()), "https://shop.example/item/1")
        except Exception:  # noqa: BLE001 - a page the extractor cannot read is no sample
            continue
        if found.title or found.description:
            out.append({"title": found.title or "", "description": (found.description or "")[:20_000]})
    return out


def _met(index: ClaimIndex, fields: dict[str, str]) -> tuple[set[str], set[str]]:
    hits = index.find(fields, score_cutoff=100 * MOST)
    return {h.key for h in hits if h.complete}, {h.key for h in hits if not h.complete and h.shown >= 2}


def _row(name: str, n: int, value: float, what: str) -> None:
    print(f"  {name:<52} {value:6.1%}  ({what}, n={n})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--n", type=int, default=400, help="generated listings per case")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    pairs = claims_of(FAMILIES)
    index = ClaimIndex()
    for _, claim in pairs:
        index.add(claim)
    key_of = {f.name: c.key for f, c in pairs}

    if args.data.is_dir():
        texts = real_texts(args.data)
        print(f"Real listings ({len(texts)} product pages from {args.data}):")
        complete = most = 0
        for fields in texts:
            full, part = _met(index, fields)
            complete += bool(full)
            most += bool(part)
        _row("false alarm: a claim met in full", len(texts), complete / max(1, len(texts)), "lower is better")
        _row("false alarm: two thirds of a claim met", len(texts), most / max(1, len(texts)), "lower is better")
        found = 0
        for fields in texts:
            family = rng.choice(FAMILIES)
            written = listing(family, rng)
            carried = {"title": fields["title"] + " " + written["title"],
                       "description": fields["description"][:3000] + "\n" + written["bullet 1"] + ". "
                       + written["description"]}
            full, _ = _met(index, carried)
            found += key_of[family.name] in full
        _row("recall: the elements written into a real listing", len(texts), found / max(1, len(texts)),
             "higher is better")
    else:
        print(f"Real listings: {args.data} not found; generated cases only")

    print(f"Generated listings ({args.n} per case, {len(FAMILIES)} claims of 4 elements):")
    n = args.n
    hit = sum(key_of[(f := rng.choice(FAMILIES)).name] in _met(index, listing(f, rng))[0] for _ in range(n))
    _row("recall: every element shown (paraphrased)", n, hit / n, "higher is better")
    wrong = right = 0
    for _ in range(n):
        family = rng.choice(FAMILIES)
        full, part = _met(index, listing(family, rng, drop=rng.randrange(4)))
        wrong += key_of[family.name] in full
        right += key_of[family.name] in part
    _row("false alarm: one element missing, called complete", n, wrong / n, "lower is better")
    _row("one element missing, found as most of the claim", n, right / n, "higher is better")
    wrong = 0
    for _ in range(n):
        family = rng.choice(FAMILIES)
        wrong += key_of[family.name] in _met(index, listing(family, rng, deny=rng.randrange(4)))[0]
    _row("false alarm: one element denied ('without ...'), complete", n, wrong / n, "lower is better")
    wrong = sum(bool(_met(index, {"title": t.split(",")[0], "description": t})[0] | _met(
        index, {"title": t.split(",")[0], "description": t})[1]) for t in UNRELATED)
    _row("false alarm: unrelated products (any hit)", len(UNRELATED), wrong / len(UNRELATED), "lower is better")

    # Speed: 40 distinct claims, the 5 families' and 35 mixing their elements (a portfolio
    # of claims in one field shares its words), against realistic listings.
    big = ClaimIndex()
    for _, claim in pairs:
        big.add(claim)
    pool = [Element(p, syn) for f in FAMILIES for p, syn, _ in f.elements]
    for i in range(35):
        big.add(Claim(f"M-{i}", 1, tuple(rng.sample(pool, 4))))
    sample = [listing(rng.choice(FAMILIES), rng) for _ in range(300)]
    sample += [{"title": t, "description": t * 20} for t in UNRELATED]
    groups = [("generated listings", sample)]
    if args.data.is_dir():
        groups.insert(0, ("real product pages", texts))
    rounds = 3
    for name, group in groups:
        start_cpu, start_wall = time.process_time(), time.perf_counter()
        for _ in range(rounds):
            for fields in group:
                big.find(fields)
        cpu = (time.process_time() - start_cpu) / (rounds * len(group))
        wall = (time.perf_counter() - start_wall) / (rounds * len(group))
        print(f"Speed against {len(big)} claims, {name} ({len(group)} x {rounds}): {cpu * 1e3:.2f} ms CPU "
              f"per listing ({1 / cpu:,.0f} listings/s CPU; {wall * 1e3:.2f} ms wall)")

if __name__ == "__main__":
    main()
