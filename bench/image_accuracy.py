"""Recall per transform and false-positive rate of matchers.image on real photos.

Registered assets are real photos (shared UKBench set, photos shipped in scikit-image's
wheel); copies are made with albumentations and Pillow, never with markwatch's own code.
Run: .venv/bin/python bench/image_accuracy.py [--seeds N]
"""

from __future__ import annotations

import argparse
import io
import random
import sys
import time
import zlib
from collections import defaultdict
from pathlib import Path

import albumentations as A
import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from matchers.errors import ImageError  # noqa: E402
from matchers.image import ImageIndex  # noqa: E402

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "images"


def real_photos() -> dict[str, np.ndarray]:
    """Name -> RGB uint8 array for every real photo available without a download."""
    photos: dict[str, np.ndarray] = {}
    for p in sorted((SHARED / "base_images").glob("*.jpg")):
        photos[p.stem] = np.asarray(Image.open(p).convert("RGB"))
    for name in ("baboon.pgm", "Iggy.1024.ppm", "marbles.pbm"):
        p = SHARED / "formats_images" / name
        if p.exists():
            photos[p.stem] = np.asarray(Image.open(p).convert("RGB"))
    try:
        import skimage.data as sd
    except ImportError:
        sd = None
    if sd is not None:
        for name in ("astronaut", "camera", "chelsea", "coffee", "coins", "rocket", "moon", "hubble_deep_field",
                     "retina", "immunohistochemistry", "clock", "brick", "grass", "gravel", "cell", "page"):
            try:
                arr = getattr(sd, name)()
            except Exception:  # some need a download: skip them
                continue
            if arr.ndim == 2:
                arr = np.stack([arr] * 3, axis=2)
            photos[name] = np.ascontiguousarray(arr[:, :, :3]).astype(np.uint8)
        try:
            left, _right, _disp = sd.stereo_motorcycle()
            photos["motorcycle"] = left
        except Exception:
            pass
    return photos


def jpeg(arr: np.ndarray, quality: int = 85) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def _font(size: int) -> ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def overlay_text(arr: np.ndarray, rng: random.Random, *, watermark: bool) -> np.ndarray:
    img = Image.fromarray(arr).convert("RGBA")
    layer = Image.new("RGBA", img.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    w, h = img.size
    words = ["BEST PRICE", "SALE -70%", "FREE SHIPPING", "ORIGINAL", "HOT DEAL", "shop4you.example"]
    if watermark:
        size = max(12, h // 8)
        for y in range(0, h, size * 2):
            draw.text((rng.randint(-w // 4, w // 8), y), rng.choice(words) * 2, font=_font(size), fill=(255, 255, 255, 90))
    else:
        size = max(10, h // 10)
        for _ in range(2):
            draw.text((rng.randint(0, w // 2), rng.randint(0, h - size)), rng.choice(words), font=_font(size),
                      fill=(rng.randint(0, 255), rng.randint(0, 255), 0, 255), stroke_width=2, stroke_fill=(0, 0, 0, 255))
    return np.asarray(Image.alpha_composite(img, layer).convert("RGB"))


def collage(arr: np.ndarray, others: list[np.ndarray], rng: random.Random) -> np.ndarray:
    """The asset in one cell of a 2x2 grid (a quarter of the image), other photos elsewhere."""
    cell = rng.choice([300, 320, 400])
    canvas = Image.new("RGB", (2 * cell, 2 * cell), (255, 255, 255))
    slot = rng.randrange(4)
    fill = rng.sample(others, 3)
    for n in range(4):
        src = arr if n == slot else fill.pop()
        tile = Image.fromarray(src)
        tile.thumbnail((cell - 6, cell - 6))
        canvas.paste(tile, ((n % 2) * cell + 3, (n // 2) * cell + 3))
    return np.asarray(canvas)


def transforms(others: list[np.ndarray]):
    """Name -> function(rgb, rng) making one altered copy."""
    c = cv2.BORDER_CONSTANT

    def alb(t):
        # A seeded Compose draws the same parameters on every run: figures are repeatable.
        pipeline = A.Compose([t], seed=1234)
        return lambda a, rng: pipeline(image=a)["image"]

    def pad(a, rng):
        colour = tuple(rng.randrange(256) for _ in range(3))
        return A.Compose([A.CropAndPad(percent=(0.1, 0.5), keep_size=False, sample_independently=True, fill=colour,
                                       border_mode=c, p=1.0)], seed=rng.randrange(2**31))(image=a)["image"]

    def stretch(a, rng):
        h, w = a.shape[:2]
        f = rng.uniform(1.3, 1.8)
        return A.Resize(h, int(w * f), p=1.0)(image=a)["image"] if rng.random() < 0.5 else \
            A.Resize(int(h * f), w, p=1.0)(image=a)["image"]

    return {
        "resize+jpeg": alb(A.Compose([A.LongestMaxSize(max_size=(160, 400), p=1.0),
                                      A.ImageCompression(quality_range=(25, 60), p=1.0)])),
        "crop<=20%/side": alb(A.CropAndPad(percent=(-0.2, -0.05), keep_size=False, sample_independently=True, p=1.0)),
        "pad": pad,
        "mirror": alb(A.HorizontalFlip(p=1.0)),
        "rotate<=10deg": alb(A.Rotate(limit=(-10, 10), border_mode=c, fill=0, p=1.0)),
        "rotate90s": alb(A.Compose([A.RandomRotate90(p=1.0)])),
        "text overlay": lambda a, rng: overlay_text(a, rng, watermark=False),
        "watermark": lambda a, rng: overlay_text(a, rng, watermark=True),
        "colour": alb(A.ColorJitter(brightness=0.3, contrast=0.3, saturation=0.6, hue=0.1, p=1.0)),
        "brightness/contrast": alb(A.RandomBrightnessContrast(brightness_limit=0.35, contrast_limit=0.35, p=1.0)),
        "grayscale": alb(A.ToGray(p=1.0)),
        "stretch": stretch,
        "collage 2x2": lambda a, rng: collage(a, others, rng),
    }


def make_logos() -> dict[str, np.ndarray]:
    """Distinct wordmark-and-emblem logos drawn with Pillow, plus scikit-image's real logo."""
    logos = {}
    specs = [("ZENTRAX", (200, 20, 30)), ("Kalvora", (20, 60, 160)), ("NORDHOLT", (20, 120, 40)), ("Quibble&Co", (90, 30, 120))]
    for n, (word, colour) in enumerate(specs):
        img = Image.new("RGB", (420, 180), (255, 255, 255))
        d = ImageDraw.Draw(img)
        if n == 0:  # disc with a cut-out triangle
            d.ellipse((10, 20, 150, 160), fill=colour)
            d.polygon([(80, 35), (135, 135), (25, 135)], fill=(255, 255, 255))
        elif n == 1:  # five-pointed star
            pts = [(80 + (70 if k % 2 == 0 else 28) * np.sin(k * np.pi / 5), 90 - (70 if k % 2 == 0 else 28) * np.cos(k * np.pi / 5)) for k in range(10)]
            d.polygon(pts, fill=colour)
        elif n == 2:  # stacked bars
            for k in range(5):
                d.rectangle((15 + 12 * k, 25 + 26 * k, 150 - 10 * k, 42 + 26 * k), fill=colour)
        else:  # rings
            for k, r in enumerate((70, 50, 30)):
                d.ellipse((80 - r, 90 - r, 80 + r, 90 + r), outline=colour, width=9 - 2 * k)
        d.text((165, 62 + 4 * n), word, font=_font(46 - 3 * n), fill=colour)
        logos[f"logo-{word}"] = np.asarray(img)
    try:
        import skimage.data as sd
        rgba = sd.logo()
        img = Image.alpha_composite(Image.new("RGBA", (rgba.shape[1], rgba.shape[0]), (255, 255, 255, 255)),
                                    Image.fromarray(rgba)).convert("RGB")
        logos["logo-skimage"] = np.asarray(img)
    except Exception:
        pass
    return logos


def logo_in_photo(logo: np.ndarray, photo: np.ndarray, rng: random.Random) -> np.ndarray:
    """The logo scaled to 15-35% of the photo's width, in perspective, partly hidden."""
    warped = A.Compose([A.Perspective(scale=(0.03, 0.08), keep_size=False, fit_output=True, border_mode=cv2.BORDER_CONSTANT,
                                      fill=(255, 255, 255), p=1.0)], seed=rng.randrange(2**31))(image=logo)["image"]
    base = Image.fromarray(photo).copy()
    if max(base.size) < 640:
        f = 640 / max(base.size)
        base = base.resize((round(base.size[0] * f), round(base.size[1] * f)))
    tw = int(base.size[0] * rng.uniform(0.15, 0.35))
    tile = Image.fromarray(warped)
    tile = tile.resize((tw, max(8, int(tile.size[1] * tw / tile.size[0]))))
    x = rng.randint(0, base.size[0] - tile.size[0])
    y = rng.randint(0, max(0, base.size[1] - tile.size[1]))
    base.paste(tile, (x, y))
    d = ImageDraw.Draw(base)  # something in front of the logo: a finger, a tag
    ox = x + rng.randint(0, tile.size[0] // 2)
    d.rectangle((ox, y + tile.size[1] // 2, ox + tile.size[0] // 6, y + tile.size[1] + 10), fill=(180, 140, 110))
    return np.asarray(base)


def distractor_images(photos: dict[str, np.ndarray], rng: random.Random) -> list[tuple[str, bytes]]:
    out = []
    for name, arr in photos.items():
        out.append((name, jpeg(arr)))
        h, w = arr.shape[:2]
        out.append((name + "/crop", jpeg(arr[h // 4: h - h // 8, w // 8: w - w // 4])))
        out.append((name + "/mirror+jpeg", jpeg(np.ascontiguousarray(arr[:, ::-1]), 50)))
        out.append((name + "/gray", jpeg(A.ToGray(p=1.0)(image=arr)["image"])))
    # Procedural images and the guards' cases: blank, uniform, gradient, placeholder.
    for n in range(12):
        img = Image.new("RGB", (400, 300), tuple(rng.randrange(256) for _ in range(3)))
        d = ImageDraw.Draw(img)
        for _ in range(rng.randint(0, 12)):
            x, y = rng.randrange(400), rng.randrange(300)
            d.rectangle((x, y, x + rng.randrange(20, 150), y + rng.randrange(20, 150)),
                        fill=tuple(rng.randrange(256) for _ in range(3)))
        out.append((f"shapes{n}", jpeg(np.asarray(img))))
    out.append(("white", jpeg(np.full((300, 300, 3), 255, np.uint8))))
    out.append(("gradient", jpeg(np.tile(np.linspace(0, 255, 400, dtype=np.uint8), (300, 1))[:, :, None].repeat(3, 2))))
    ph = Image.new("RGB", (400, 400), (238, 238, 238))
    d = ImageDraw.Draw(ph)
    d.rectangle((150, 140, 250, 220), outline=(190, 190, 190), width=6)
    d.text((120, 260), "No image available", font=_font(20), fill=(160, 160, 160))
    out.append(("placeholder", jpeg(np.asarray(ph))))
    return out


def filler_photos(n: int) -> dict[str, bytes]:
    """`n` made-up product shots (shapes, text and grain on a gradient), registered beside the
    real assets to try the matcher at a large brand's scale: more candidates for every query
    to confuse, and the photo vote past its exhaustive size."""
    rng = random.Random(99)
    out = {}
    for k in range(n):
        img = Image.new("RGB", (640, 480), tuple(rng.randrange(256) for _ in range(3)))
        d = ImageDraw.Draw(img)
        for _ in range(rng.randint(12, 30)):
            x, y = rng.randrange(640), rng.randrange(480)
            box = (x, y, x + rng.randrange(15, 200), y + rng.randrange(15, 200))
            colour = tuple(rng.randrange(256) for _ in range(3))
            shape = rng.randrange(3)
            if shape == 0:
                d.ellipse(box, fill=colour)
            elif shape == 1:
                d.rectangle(box, fill=colour)
            else:
                d.polygon([(x + rng.randrange(-80, 80), y + rng.randrange(-80, 80)) for _ in range(5)], fill=colour)
        d.text((rng.randrange(400), rng.randrange(400)), f"MODEL {rng.randrange(10**6)}", font=_font(rng.randint(20, 48)),
               fill=tuple(rng.randrange(256) for _ in range(3)))
        arr = np.asarray(img).astype(np.int16) + np.random.default_rng(k).integers(-12, 13, (480, 640, 3))
        out[f"filler-{k:04d}"] = jpeg(np.clip(arr, 0, 255).astype(np.uint8), 90)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=2, help="altered copies per asset and transform")
    ap.add_argument("--fillers", type=int, default=0,
                    help="also register this many made-up product photos (a large brand's index)")
    ap.add_argument("--exhaustive", action="store_true",
                    help="photo votes search every descriptor even past the inverted file's threshold (to compare)")
    ap.add_argument("--verbose", action="store_true", help="print every wrong-key hit")
    args = ap.parse_args()
    if args.exhaustive:
        import matchers._keypoints as kp

        kp.IVF_MIN_ROWS = 2**62
    rng = random.Random(7)
    photos = real_photos()
    names = sorted(photos)
    rng.shuffle(names)
    # The textures (grass, gravel, brick) and near-blank scientific images are better
    # distractors than brand assets; every other photo alternates between the two roles.
    textures = {"grass", "gravel", "brick", "page", "cell", "moon"}
    candidates = [n for n in names if n not in textures]
    assets = {n: photos[n] for n in candidates[::2]}
    distractors = {n: photos[n] for n in names if n not in assets}
    logos = make_logos()
    print(f"{len(photos)} real photos: {len(assets)} registered, {len(distractors)} distractors; {len(logos)} logos")

    index = ImageIndex()
    for name, arr in assets.items():
        index.add(name, jpeg(arr, 92))
    for name, arr in logos.items():
        index.add(name, jpeg(arr, 92), kind="logo")
    if args.fillers:
        t_fill = time.perf_counter()
        refused = index.add_many(filler_photos(args.fillers).items())
        print(f"{args.fillers - len(refused)} made-up product photos registered too "
              f"({len(refused)} refused as too plain; {time.perf_counter() - t_fill:.0f} s)")

    fill = list(distractors.values())
    results: dict[str, list[bool]] = defaultdict(list)
    wrong = 0
    t0 = time.perf_counter()
    queries = 0
    for tname, fn in transforms(fill).items():
        for name, arr in assets.items():
            for seed in range(args.seeds):
                r = random.Random(zlib.crc32(f"{tname}|{name}|{seed}".encode()))
                np.random.seed(r.randrange(2**31))
                copy = fn(arr, r)
                hits = index.query(jpeg(copy, 88))
                queries += 1
                results[tname].append(any(h.key == name for h in hits))
                if args.verbose and not results[tname][-1]:
                    print(f"  missed: {tname} of {name} (seed {seed}) -> {hits}")
                wrong += sum(h.key != name for h in hits)
                if args.verbose:
                    for h in hits:
                        if h.key != name:
                            print(f"  wrong-key hit: {tname} of {name} -> {h}")
    for tname, flip in (("logo in photo", False), ("mirrored logo in photo", True)):
        for name, logo in logos.items():
            for seed in range(args.seeds * 2):
                # The same scenes for both rows: only the mirroring differs.
                r = random.Random(seed * 31 + len(name))
                np.random.seed(r.randrange(2**31))
                photo = fill[r.randrange(len(fill))]
                shown = np.ascontiguousarray(logo[:, ::-1]) if flip else logo
                hits = index.query(jpeg(logo_in_photo(shown, photo, r), 88))
                queries += 1
                results[tname].append(any(h.key == name for h in hits))
                if args.verbose and not results[tname][-1]:
                    print(f"  missed: {tname} of {name} (seed {seed}) -> {hits}")
                wrong += sum(h.key != name for h in hits)
                if args.verbose:
                    for h in hits:
                        if h.key != name:
                            print(f"  wrong-key hit: {tname} of {name} -> {h}")

    dis = distractor_images(distractors, rng)
    false_hits = []
    for name, data in dis:
        try:
            hits = index.query(data)
        except ImageError:
            hits = []
        queries += 1
        if hits:
            false_hits.append((name, [(h.key, h.method, h.score) for h in hits]))
    elapsed = time.perf_counter() - t0

    total = [ok for v in results.values() for ok in v]
    print(f"{'transform':<22}{'recall':>8}{'n':>6}")
    for tname, oks in results.items():
        print(f"{tname:<22}{np.mean(oks):>8.3f}{len(oks):>6}")
    print(f"{'overall':<22}{np.mean(total):>8.3f}{len(total):>6}")
    print(f"wrong-key hits on altered copies: {wrong}")
    print(f"false-positive rate on distractors: {len(false_hits) / len(dis):.4f} ({len(false_hits)}/{len(dis)})")
    for name, hits in false_hits:
        print(f"  false hit: {name} -> {hits}")
    print(f"{queries} queries in {elapsed:.1f} s ({queries / elapsed:.1f} queries/s, index of {len(index)} assets)")


if __name__ == "__main__":
    main()
