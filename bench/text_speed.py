"""Speed of the mark matcher: 500 marks against 100,000 realistic listing titles on one
core; prints titles per second, build time and peak memory.

    .venv/bin/python bench/text_speed.py [--titles N] [--marks N] [--seed N] [--against REV]

`--against REV` also times the mark matcher of git revision REV on the same titles, in
the same process, in alternating chunks, and prints the ratio: on a shared machine two
separate runs differ by up to 40% between themselves, which hides a 20% change.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import random
import resource
import string
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from text_accuracy import (  # noqa: E402
    ADJECTIVES,
    COLOURS,
    MARKS,
    OTHER_BRANDS,
    PRODUCTS,
    SIZES,
    styled,
)

from matchers.text import Mark, MarkMatcher  # noqa: E402

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "product-pages"

_ONSETS = ["b", "br", "c", "d", "dr", "f", "fl", "g", "gr", "h", "k", "kr", "l", "m", "n",
           "p", "pr", "r", "s", "st", "t", "tr", "v", "z", "sk", "th", "ch", "j", "w", "y"]
_VOWELS = ["a", "e", "i", "o", "u", "ai", "ea", "io", "ou", "y"]
_CODAS = ["", "", "n", "r", "s", "x", "k", "l", "m", "nt", "rk", "ss", "th", "ve", "do"]


def coined(rng: random.Random) -> str:
    """A pronounceable invented brand name, like most registered marks."""
    syllables = rng.choice([2, 2, 3, 3, 4])
    word = "".join(rng.choice(_ONSETS) + rng.choice(_VOWELS) for _ in range(syllables))
    return (word + rng.choice(_CODAS)).capitalize()


def make_marks(rng: random.Random, count: int) -> list[Mark]:
    marks = [Mark(text, aliases) for text, aliases in MARKS.items()]
    seen = {m.text.lower() for m in marks} | {b.lower() for b in OTHER_BRANDS}
    while len(marks) < count:
        name = coined(rng)
        if rng.random() < 0.15:
            name += " " + rng.choice(["Outdoor", "Studio", "Labs", "Collection", coined(rng)])
        if name.lower() in seen:
            continue
        seen.add(name.lower())
        marks.append(Mark(name, distinctive=rng.random() > 0.1))
    return marks[:count]


def real_titles() -> list[str]:
    path = SHARED / "expected.json"
    if not path.exists():
        return []
    data = json.loads(path.read_text("utf-8"))
    return [v["page_title"] for v in data.values() if isinstance(v, dict) and v.get("page_title")]


def model_code(rng: random.Random) -> str:
    letters = "".join(rng.choices(string.ascii_uppercase, k=rng.choice([2, 3])))
    return f"{letters}-{rng.randint(10, 9999)}" if rng.random() < 0.5 else f"{letters}{rng.randint(100, 999)}{rng.choice(['', 'X', 'LL/A'])}"


def make_titles(rng: random.Random, marks: list[Mark], count: int) -> list[str]:
    seeds = real_titles()
    titles: list[str] = []
    for _ in range(count):
        roll = rng.random()
        if seeds and roll < 0.1:
            titles.append(rng.choice(seeds))
            continue
        parts = [rng.choice(ADJECTIVES).title(), rng.choice(PRODUCTS)]
        if roll < 0.25:
            name = rng.choice(marks).text
            name = rng.choice([name, name.upper(), styled(rng, name), name.replace("o", "0"),
                               " ".join(name), name + rng.choice(["Air", "Pro"])])
            parts.insert(rng.randint(0, 2), name)
        else:
            parts.insert(rng.randint(0, 2), rng.choice(OTHER_BRANDS))
        parts += [rng.choice(COLOURS), model_code(rng), "size " + rng.choice(SIZES)]
        if rng.random() < 0.3:
            parts.append(rng.choice(["free shipping", "fast delivery", "100% authentic",
                                     "with box", "gift for him", "2 pack", "new with tags"]))
        titles.append(" ".join(parts))
    return titles


ROOT = Path(__file__).resolve().parent.parent


def baseline_matcher(rev: str, marks: list[Mark], tmp: str):  # type: ignore[no-untyped-def]
    """A MarkMatcher of revision `rev`: its `matchers/` unpacked as package `matchers_<rev>`
    (the text matcher's own imports are relative, so it runs its own helpers)."""
    name = "matchers_" + "".join(c for c in rev if c.isalnum())
    dest = Path(tmp) / name
    dest.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "matchers"], check=True,
                             capture_output=True).stdout
    subprocess.run(["tar", "-x", "--strip-components=1", "-C", str(dest)], input=archive, check=True)
    sys.path.insert(0, tmp)
    text = importlib.import_module(f"{name}.text")
    return text.MarkMatcher([text.Mark(m.text, m.aliases, m.distinctive, m.partials) for m in marks])


def against(rev: str, marks: list[Mark], titles: list[str], *, rounds: int = 3, chunk: int = 5000) -> None:
    """CPU seconds of this matcher and of `rev`'s over the titles, in alternating chunks."""
    with tempfile.TemporaryDirectory() as tmp:
        ours, theirs = MarkMatcher(marks), baseline_matcher(rev, marks, tmp)
        for title in titles[:chunk]:  # warm both caches' code paths and lazy imports
            ours.find(title)
            theirs.find(title)
        spent = {"ours": 0.0, "theirs": 0.0}
        for r in range(rounds):
            for k, s in enumerate(range(0, len(titles), chunk)):
                part = titles[s: s + chunk]
                pair = [("ours", ours), ("theirs", theirs)]
                for label, m in pair if (k + r) % 2 else pair[::-1]:
                    c = time.process_time()
                    for title in part:
                        m.find(title)
                    spent[label] += time.process_time() - c
        ratio = spent["ours"] / spent["theirs"]
        print(f"against {rev}: {rounds} passes in alternating chunks of {chunk}: this matcher "
              f"{spent['ours']:.2f} s, {rev} {spent['theirs']:.2f} s of CPU -> {ratio:.3f}x "
              f"({(ratio - 1) * 100:+.0f}%){'  ok' if ratio <= 1.2 else '  MORE THAN 20% SLOWER'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--titles", type=int, default=100_000)
    parser.add_argument("--marks", type=int, default=500)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--against", metavar="REV", help="also time revision REV's matcher, interleaved")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    rng = random.Random(args.seed)
    marks = make_marks(rng, args.marks)
    titles = make_titles(rng, marks, args.titles)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    t0 = time.perf_counter()
    matcher = MarkMatcher(marks)
    t1 = time.perf_counter()
    c1 = time.process_time()
    hits = 0
    with_hits = 0
    for title in titles:
        found = matcher.find(title)
        hits += len(found)
        with_hits += bool(found)
    t2 = time.perf_counter()
    cpu = time.process_time() - c1
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    print(f"marks: {len(marks)}  titles: {len(titles)}  (seed {args.seed}, one core, "
          f"{sum(map(len, titles)) / len(titles):.0f} characters a title)")
    print(f"build: {t1 - t0:.2f} s")
    # CPU time is the one-core figure; wall time also counts waiting for a busy machine.
    print(f"match: {cpu:.2f} s of CPU  ->  {len(titles) / cpu:,.0f} titles/s on one core"
          f"{'  ok' if len(titles) / cpu >= 20_000 else '  BELOW 20,000'}"
          f"  (wall {t2 - t1:.2f} s, {len(titles) / (t2 - t1):,.0f} titles/s)")
    print(f"titles with a hit: {with_hits} ({with_hits / len(titles):.1%}), hits: {hits}")
    print(f"peak memory (max RSS): {rss_after / 1024:.0f} MiB "
          f"(titles and marks alone: {rss_before / 1024:.0f} MiB)")
    if args.against:
        against(args.against, marks, titles)


if __name__ == "__main__":
    main()
