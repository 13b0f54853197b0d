"""Copied product copy: recall and false alarms of `matchers.copy.CopyIndex`, and its speed.

Run: .venv/bin/python bench/copy_accuracy.py [--data ../shared/data] [--seed 1]

Real texts first: the product descriptions markwatch's extractor reads from the real
product pages in ../shared/data (product-pages and product-pages-peb). Half of them are
registered as a brand's copy; each is then placed in a listing the way copiers do
(verbatim, sentences shuffled, words added between sentences, half of it only, inside
another page's text); the other half's descriptions, unregistered, are the negatives (a
hit on one of them is a false alarm). Generated texts follow, for the same kinds of case
when ../shared is absent. Speed: listings per second against 100 and 1,000 registered texts.
"""

from __future__ import annotations

import argparse
import gzip
import random
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from matchers.copy import CopyIndex  # noqa: E402

MIN_WORDS = 40  # a description shorter than this is no product copy to protect


def real_descriptions(data: Path) -> list[str]:
    from crawlers.extract import extract_listing

    texts = []
    pages = sorted((data / "product-pages").glob("*.html.gz")) + sorted((data / "product-pages-peb" / "html").glob("*.html.gz"))
    for page in pages:
        try:
            listing = extract_listing(gzip.decompress(page.read_bytes()), "https://shop.example/item/1")
        except Exception:  # noqa: BLE001 - a page the extractor cannot read is no sample
            continue
        text = " ".join(filter(None, [listing.description]))
        if len(re.findall(r"\w+", text)) >= MIN_WORDS:
            texts.append(text[:20_000])
    return list(dict.fromkeys(texts))


def generated_descriptions(n: int, rng: random.Random) -> list[str]:
    from wordfreq import top_n_list

    vocab = top_n_list("en", 5000)[100:]
    return [". ".join(" ".join(rng.choice(vocab) for _ in range(rng.randint(8, 16)))
                      for _ in range(rng.randint(4, 9))) + "." for _ in range(n)]


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if s.strip()]


def transforms(other: Callable[[], str], rng: random.Random) -> dict[str, Callable[[str], str]]:
    def shuffled(t: str) -> str:
        s = _sentences(t)
        rng.shuffle(s)
        return " ".join(s)

    def added(t: str) -> str:
        return " ".join(f"{s} {rng.choice(['Top quality!', 'Free shipping.', 'Hot sale 2026.', 'Best price.'])}"
                        for s in _sentences(t))

    def half(t: str) -> str:
        words = t.split()
        return " ".join(words[: max(len(words) // 2, 1)])

    def inside(t: str) -> str:
        return f"{other()[:600]} {t} {other()[:600]}"

    return {"verbatim": lambda t: t, "sentences shuffled": shuffled, "words added": added,
            "half copied": half, "inside other text": inside}


def measure(name: str, texts: list[str], rng: random.Random) -> None:
    rng.shuffle(texts)
    registered, unregistered = texts[: len(texts) // 2], texts[len(texts) // 2:]
    index = CopyIndex()
    for i, text in enumerate(registered):
        index.add(f"text:{i}", text)
    kinds = transforms(lambda: rng.choice(unregistered), rng)
    print(f"\n{name}: {len(registered)} registered texts, {len(unregistered)} unregistered")
    print(f"  {'case':<22} {'recall':>7}  n")
    for kind, change in kinds.items():
        found = sum(any(h.key == f"text:{i}" for h in index.find(change(t)))
                    for i, t in enumerate(registered))
        print(f"  {kind:<22} {found / len(registered):>7.3f}  {len(registered)}")
    alarms = sum(bool(index.find(t)) for t in unregistered)
    print(f"  {'false alarms':<22} {alarms / max(1, len(unregistered)):>7.3f}  {len(unregistered)} unregistered texts")


def speed(rng: random.Random) -> None:
    texts = generated_descriptions(1_000, rng)
    listings = [" ".join(rng.sample(texts, 2))[:3000] for _ in range(2_000)]
    print("\nspeed (one core, CPU time), listings of about 3,000 characters:")
    for n in (100, 1_000):
        index = CopyIndex()
        start = time.process_time()
        for i, t in enumerate(texts[:n]):
            index.add(f"t{i}", t)
        built = time.process_time() - start
        start = time.process_time()
        for listing in listings:
            index.find(listing)
        spent = time.process_time() - start
        print(f"  {n:>5} registered texts: {len(listings) / spent:,.0f} listings/s "
              f"({1000 * spent / len(listings):.2f} ms each; index built in {built * 1000:.0f} ms)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    if args.data.is_dir():
        texts = real_descriptions(args.data)
        measure("real product descriptions (../shared/data product pages)", texts, rng)
    else:
        print(f"no real data at {args.data}: generated texts only")
    measure("generated texts", generated_descriptions(200, rng), rng)
    speed(rng)


if __name__ == "__main__":
    main()
