"""Logos and brand words found in real photos of products (issue 12), per route.

Each brand registers N logo images cut from the annotated boxes of photos outside the test
list (the N largest boxes, one per photo), and its name as a word mark. Every test photo is
then queried: recall is the share of photos showing a registered brand's logo in which that
brand is named; a false alarm is a photo in which a brand is named whose logo it does not
show (photos of the other brands and photos with no logo are the negatives). Routes: local
features (matchers.image.ImageIndex with logos), words read in the photo fed to the mark
matcher (matchers.image.read_marks), and both together (words read only where local
features named nobody). CPU time is time.process_time per photo.

Run: nice -n 5 .venv/bin/python bench/logo_wild.py [--per-brand 1 3 5] [--curve 1 10 50 200]
     [--no-ocr] [--curve-photos 20]
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections import defaultdict
from pathlib import Path

from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from matchers.errors import ImageError, OcrUnavailableError  # noqa: E402
from matchers.image import ImageIndex, read_marks  # noqa: E402
from matchers.text import Mark, MarkMatcher  # noqa: E402

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "logos-wild"

Box = tuple[int, int, int, int]


def load() -> tuple[dict[str, list[tuple[str, Box]]], list[tuple[str, str]]]:
    """Training boxes per brand (largest first, one per photo, test photos left out) and the
    test photos with their brand ("none" for no logo)."""
    tests = [tuple(line.split()[:2]) for line in (DATA / "photos.txt").read_text().splitlines() if line.strip()]
    test_files = {f for f, _b in tests}
    seen: set[tuple[str, Box]] = set()
    per_brand: dict[str, list[tuple[int, str, Box]]] = defaultdict(list)
    for line in (DATA / "boxes.txt").read_text().splitlines():
        parts = line.split()
        if len(parts) < 7 or parts[0] in test_files:
            continue
        box = tuple(int(v) for v in parts[3:7])
        if (parts[0], box) in seen:  # the set lists a box once per subset it belongs to
            continue
        seen.add((parts[0], box))
        area = (box[2] - box[0]) * (box[3] - box[1])
        per_brand[parts[1]].append((area, parts[0], box))  # type: ignore[arg-type]
    ranked: dict[str, list[tuple[str, Box]]] = {}
    for brand, rows in per_brand.items():
        rows.sort(key=lambda r: (-r[0], r[1]))
        files: set[str] = set()
        firsts, rest = [], []
        for _area, f, box in rows:
            (rest if f in files else firsts).append((f, box))
            files.add(f)
        ranked[brand] = firsts + rest
    return ranked, tests  # type: ignore[return-value]


def crop(f: str, box: Box) -> Image.Image:
    img = Image.open(DATA / "images" / f).convert("RGB")
    x0, y0, x1, y1 = box
    return img.crop((max(0, x0), max(0, y0), min(img.width, x1), min(img.height, y1)))


def word_mark(brand: str) -> Mark:
    """The brand's name as a word mark: its label split where the case changes."""
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", brand)
    letters = sum(c.isalpha() for c in brand)
    return Mark(spaced, aliases=(brand,) if spaced != brand else (), distinctive=letters >= 4)


def build(ranked: dict[str, list[tuple[str, Box]]], n: int) -> tuple[ImageIndex, int]:
    index = ImageIndex()
    count = 0
    for brand in sorted(ranked):
        # One logo, several images; a box too small or plain to register is passed over.
        added = 0
        for f, box in ranked[brand]:
            if added == n:
                break
            try:
                index.add(brand, crop(f, box), kind="logo")
                added += 1
            except ImageError:
                continue
        count += added
    return index, count


def score(named: dict[str, set[str]], tests: list[tuple[str, str]]) -> tuple[float, float, int, int]:
    pos = [(f, b) for f, b in tests if b != "none"]
    hit = sum(b in named[f] for f, b in pos)
    alarms = sum(bool(named[f] - {b}) for f, b in tests)
    return hit / len(pos), alarms / len(tests), hit, alarms


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--per-brand", type=int, nargs="+", default=[3, 1, 5])
    ap.add_argument("--curve", type=int, nargs="*", default=[1, 10, 50, 200])
    ap.add_argument("--curve-photos", type=int, default=20)
    ap.add_argument("--no-ocr", action="store_true")
    args = ap.parse_args()
    if not DATA.exists():
        print(f"no data at {DATA}")
        return 1
    ranked, tests = load()
    brands = sorted(ranked)
    matcher = MarkMatcher([word_mark(b) for b in brands])
    mark_brand = {word_mark(b).text: b for b in brands}
    photos = {f: Image.open(DATA / "images" / f).convert("RGB") for f, _b in tests}
    for im in photos.values():
        im.load()
    print(f"logos-wild: {len(tests)} test photos ({sum(b != 'none' for _f, b in tests)} with a registered brand's logo), "
          f"{len(brands)} brands; training boxes per brand: {min(len(v) for v in ranked.values())}-{max(len(v) for v in ranked.values())}")

    # Words do not depend on the registered images: read once, reused for every N.
    ocr_named: dict[str, set[str]] = {}
    ocr_ms: dict[str, float] = {}
    ocr_ran: dict[str, bool] = {}
    if not args.no_ocr:
        try:
            t = time.process_time()
            read_marks(Image.new("RGB", (64, 64), "white"), matcher)  # loads the models, once a process
            print(f"OCR engine load: {(time.process_time() - t) * 1000:.0f} ms CPU, once per process")
            for f, _b in tests:
                t = time.process_time()
                found = read_marks(photos[f], matcher)
                ocr_ms[f] = (time.process_time() - t) * 1000
                ocr_ran[f] = found.ran
                ocr_named[f] = {mark_brand[h.key] for h in found.hits}
        except OcrUnavailableError as exc:
            print(f"OCR route skipped: {exc}")
            ocr_named = {}

    for n in args.per_brand:
        index, count = build(ranked, n)
        kp_named: dict[str, set[str]] = {}
        kp_ms: dict[str, float] = {}
        for f, _b in tests:
            t = time.process_time()
            hits = index.query(photos[f])
            kp_ms[f] = (time.process_time() - t) * 1000
            kp_named[f] = {h.key for h in hits}
        print(f"\n{n} registered logo image(s) per brand ({count} logo images):")
        rows = [("local features", kp_named, kp_ms)]
        if ocr_named:
            # Both together: words are read only in photos local features named nobody in.
            both = {f: kp_named[f] | (ocr_named[f] if not kp_named[f] else set()) for f, _b in tests}
            both_ms = {f: kp_ms[f] + (ocr_ms[f] if not kp_named[f] else 0.0) for f, _b in tests}
            rows += [("words read (OCR)", ocr_named, ocr_ms), ("combined", both, both_ms)]
        for name, named, ms in rows:
            recall, fa, hit, alarms = score(named, tests)
            mean = sum(ms.values()) / len(ms)
            print(f"  {name:18s} recall {recall:.2f} ({hit}/{sum(b != 'none' for _f, b in tests)})  "
                  f"false alarms {fa:.3f} ({alarms}/{len(tests)} photos)  CPU {mean:6.0f} ms/photo  "
                  f"(max {max(ms.values()):.0f})")
        if ocr_named and n == args.per_brand[0]:
            ran = [f for f in ocr_ran if ocr_ran[f]]
            where = sum(ocr_ms[f] for f in ran) / max(1, len(ran))
            print(f"  OCR ran its recogniser on {len(ran)}/{len(tests)} photos, {where:.0f} ms CPU each where it ran")

    if args.curve:
        print(f"\ncost of local features by registered logo images ({args.curve_photos} test photos, CPU ms/photo):")
        pool = [(b, fb) for rank in range(max(len(v) for v in ranked.values())) for b in brands
                for fb in ranked[b][rank:rank + 1]]
        sample = [f for f, _b in tests][:: max(1, len(tests) // args.curve_photos)][: args.curve_photos]
        for k in args.curve:
            index = ImageIndex()
            index.add_many(((b, crop(f, box)) for b, (f, box) in pool[:k]), kind="logo")
            index.query(photos[sample[0]])  # builds the shared structures once
            t = time.process_time()
            for f in sample:
                index.query(photos[f])
            print(f"  {k:4d} logo images: {(time.process_time() - t) * 1000 / len(sample):7.0f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
