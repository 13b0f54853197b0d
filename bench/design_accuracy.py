"""Recall and false alarms of design similarity (line drawing against listing photo) and of
video key-frame matching, on generated cases; speed per photo and per video second.

    nice -n 5 .venv/bin/python bench/design_accuracy.py [--shapes 40] [--videos 8]

No real set of registered designs with listing photos is in ../shared/data (its images are
UKBench objects and logos, not design figures): that is said first, and the video rows use
the real UKBench photos as the brand's photos when they are there.
"""

from __future__ import annotations

import argparse
import io
import math
import random
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from matchers.design import DESIGN_THRESHOLD, DesignIndex  # noqa: E402
from matchers.image import ImageIndex  # noqa: E402
from matchers.video import key_frames, match_frames  # noqa: E402

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
SIDE = 480


# -- shapes -----------------------------------------------------------------------------------


def product_outline(rng: random.Random, n: int = 180) -> np.ndarray:
    """A closed outline like a product's (bottle, lamp, chair back, shoe): a radial function
    of a few random harmonics, stretched, with a flat base; unit scale around the origin."""
    harmonics = [(k, rng.uniform(0, 0.22) / k**0.6, rng.uniform(0, 2 * math.pi)) for k in range(2, 7)]
    stretch = rng.uniform(1.0, 2.2)
    pts = []
    for i in range(n):
        t = 2 * math.pi * i / n
        r = 1.0 + sum(a * math.cos(k * t + p) for k, a, p in harmonics)
        x, y = r * math.cos(t), r * math.sin(t) * stretch
        pts.append((x, min(y, 0.85 * stretch)))  # the flat base a product stands on
    pts = np.array(pts)
    pts -= pts.mean(axis=0)
    return pts / np.abs(pts).max()


def reproportioned(outline: np.ndarray, rng: random.Random) -> np.ndarray:
    """The same kind of product with other proportions: close, but not the registered shape."""
    f = rng.choice([0.65, 0.72, 1.4, 1.55])
    out = outline * np.array([f, 1.0])
    return out / np.abs(out).max()


def _place(outline: np.ndarray, side: int, scale: float, angle: float, mirror: bool, shift: tuple[float, float]) -> list[tuple[float, float]]:
    pts = outline * np.array([-1.0 if mirror else 1.0, 1.0])
    a = math.radians(angle)
    rot = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    pts = pts @ rot.T * (side * 0.38 * scale) + np.array([side / 2 + shift[0] * side, side / 2 + shift[1] * side])
    return [tuple(p) for p in pts]


def line_drawing(outline: np.ndarray, rng: random.Random) -> Image.Image:
    """A registration's figure: black outline, a few inner detail lines and shading strokes."""
    img = Image.new("RGB", (SIDE, SIDE), "white")
    d = ImageDraw.Draw(img)
    pts = _place(outline, SIDE, 1.0, 0.0, False, (0, 0))
    d.line(pts + pts[:1], fill="black", width=2)
    inner = _place(outline * 0.8, SIDE, 1.0, 0.0, False, (0, 0))
    d.line(inner[len(inner) // 6 : len(inner) // 2], fill="black", width=1)
    xs = [p[0] for p in pts]
    ys = [p[1] for p in pts]
    y = min(ys) + (max(ys) - min(ys)) * rng.uniform(0.3, 0.6)
    d.line([(min(xs) + 20, y), (max(xs) - 20, y)], fill="black", width=1)
    return img


def _ground(kind: str, rng: random.Random) -> Image.Image:
    if kind == "plain":
        return Image.new("RGB", (SIDE, SIDE), tuple(rng.randint(215, 250) for _ in range(3)))
    yy = np.linspace(0, 1, SIDE)[:, None, None]
    if kind == "gradient":
        a = np.array([rng.randint(150, 255) for _ in range(3)], float)
        b = np.array([rng.randint(60, 200) for _ in range(3)], float)
        arr = a * (1 - yy) + b * yy
        return Image.fromarray(np.broadcast_to(arr, (SIDE, SIDE, 3)).astype(np.uint8))
    # cluttered: a room of soft blocks (a shelf, a wall, a table)
    img = Image.new("RGB", (SIDE, SIDE), tuple(rng.randint(120, 200) for _ in range(3)))
    d = ImageDraw.Draw(img)
    for _ in range(14):
        x0, y0 = rng.randint(-50, SIDE), rng.randint(-50, SIDE)
        d.rectangle([x0, y0, x0 + rng.randint(40, 220), y0 + rng.randint(40, 220)],
                    fill=tuple(rng.randint(80, 230) for _ in range(3)))
    return img.filter(ImageFilter.GaussianBlur(3))


def photo(outline: np.ndarray, rng: random.Random, *, scale: float, angle: float, mirror: bool, ground: str) -> bytes:
    """A seller's photo of a product of that outline: a shaded colour body with a seam."""
    img = _ground(ground, rng)
    shift = (rng.uniform(-0.06, 0.06), rng.uniform(-0.06, 0.06))
    pts = _place(outline, SIDE, scale, angle, mirror, shift)
    mask = Image.new("L", (SIDE, SIDE), 0)
    ImageDraw.Draw(mask).polygon(pts, fill=255)
    colour = np.array([rng.randint(20, 200) for _ in range(3)], float)
    xx = np.linspace(0.75, 1.25, SIDE)[None, :, None]
    body = Image.fromarray(np.clip(np.broadcast_to(colour * xx, (SIDE, SIDE, 3)), 0, 255).astype(np.uint8))
    shadow = mask.filter(ImageFilter.GaussianBlur(8)).point(lambda v: v // 3)
    img.paste(Image.new("RGB", img.size, (40, 40, 40)), (6, 8), shadow)
    img.paste(body, (0, 0), mask)
    seam = _place(outline * 0.8, SIDE, scale, angle, mirror, shift)
    ImageDraw.Draw(img).line(seam[len(seam) // 6 : len(seam) // 2], fill=tuple(int(c * 0.6) for c in colour), width=2)
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=rng.choice([70, 85, 92]))
    return buf.getvalue()


# -- videos ---------------------------------------------------------------------------------


def encode_video(frames: list[Image.Image], path: Path, *, fps: int = 12, seconds_each: float = 1.0) -> None:
    import av

    with av.open(str(path), "w") as out:
        stream = out.add_stream("mpeg4", rate=fps)
        stream.width, stream.height = frames[0].size
        stream.pix_fmt = "yuv420p"
        stream.time_base = Fraction(1, fps)
        for image in frames:
            for _ in range(round(fps * seconds_each)):
                frame = av.VideoFrame.from_image(image)
                for packet in stream.encode(frame):
                    out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)


def brand_photos(n: int, rng: random.Random) -> tuple[list[Image.Image], str]:
    """n distinct photos: the real UKBench ones first (base and mixed sets, one per object,
    the corrupt file skipped), generated ones for the rest."""
    real = SHARED / "images"
    files: dict[str, Path] = {}
    for folder in ("base_images", "mixed_images"):
        for p in sorted((real / folder).glob("ukbench*.jpg")) if (real / folder).is_dir() else []:
            if p.stem.removeprefix("ukbench").isdigit():
                files.setdefault(p.stem, p)
    photos = []
    for p in files.values():
        try:
            photos.append(Image.open(p).convert("RGB").resize((320, 240)))
        except OSError:
            continue
        if len(photos) == n:
            break
    found = len(photos)
    where = f"{found} real UKBench photos from {real}" if found else "no real photos (../shared/data is absent)"
    for i in range(n - found):
        img = _ground("cluttered", random.Random(1000 + i)).resize((320, 240))
        d = ImageDraw.Draw(img)
        for _ in range(6):
            x, y = rng.randint(0, 300), rng.randint(0, 220)
            d.ellipse([x, y, x + rng.randint(20, 90), y + rng.randint(20, 90)], fill=tuple(rng.randint(0, 255) for _ in range(3)))
        photos.append(img)
    return photos, f"{where}, {n - found} generated"


# -- running --------------------------------------------------------------------------------


def design_rows(n: int) -> None:
    cases = {k: [0, 0] for k in ("scale", "rotation", "mirror", "plain", "gradient", "cluttered")}
    scores_true, scores_unrelated, scores_close = [], [], []
    cpu = wall = 0.0
    photos_timed = 0
    for i in range(n):
        rng = random.Random(i)
        outline = product_outline(rng)
        index = DesignIndex()
        index.add("fig", _png(line_drawing(outline, rng)))
        variants = [
            ("scale", dict(scale=rng.uniform(0.55, 1.1), angle=0, mirror=False, ground="plain")),
            ("rotation", dict(scale=0.9, angle=rng.uniform(-15, 15), mirror=False, ground="plain")),
            ("mirror", dict(scale=0.9, angle=0, mirror=True, ground="plain")),
            ("plain", dict(scale=0.85, angle=rng.uniform(-5, 5), mirror=False, ground="plain")),
            ("gradient", dict(scale=0.85, angle=rng.uniform(-5, 5), mirror=rng.random() < 0.5, ground="gradient")),
            ("cluttered", dict(scale=0.85, angle=rng.uniform(-5, 5), mirror=False, ground="cluttered")),
        ]
        for name, kw in variants:
            data = photo(outline, rng, **kw)
            t0, c0 = time.perf_counter(), time.process_time()
            hits = index.query(data, score_cutoff=0.0)
            wall += time.perf_counter() - t0
            cpu += time.process_time() - c0
            photos_timed += 1
            score = hits[0].score if hits else 0.0
            scores_true.append(score)
            cases[name][0] += score >= DESIGN_THRESHOLD
            cases[name][1] += 1
        other = product_outline(random.Random(10_000 + i))
        for ground in ("plain", "cluttered"):
            hits = index.query(photo(other, rng, scale=0.85, angle=0, mirror=False, ground=ground), score_cutoff=0.0)
            scores_unrelated.append(hits[0].score if hits else 0.0)
        hits = index.query(photo(reproportioned(outline, rng), rng, scale=0.85, angle=0, mirror=False, ground="plain"), score_cutoff=0.0)
        scores_close.append(hits[0].score if hits else 0.0)
    true_hits = sum(s >= DESIGN_THRESHOLD for s in scores_true)
    print(f"design similarity, {n} generated designs, threshold {DESIGN_THRESHOLD}")
    print(f"  recall {true_hits}/{len(scores_true)} = {true_hits / len(scores_true):.3f}")
    for name, (ok, total) in cases.items():
        print(f"    {name:<10} {ok}/{total}")
    fa_u = sum(s >= DESIGN_THRESHOLD for s in scores_unrelated)
    fa_c = sum(s >= DESIGN_THRESHOLD for s in scores_close)
    print(f"  false alarms: unrelated shapes {fa_u}/{len(scores_unrelated)}, reproportioned (close) {fa_c}/{len(scores_close)}")
    print(f"  score quantiles: copies p5 {np.percentile(scores_true, 5):.3f} p50 {np.median(scores_true):.3f}; "
          f"unrelated p95 {np.percentile(scores_unrelated, 95):.3f} max {max(scores_unrelated):.3f}; "
          f"close p95 {np.percentile(scores_close, 95):.3f} max {max(scores_close):.3f}")
    print(f"  speed: {1000 * cpu / photos_timed:.1f} ms CPU, {1000 * wall / photos_timed:.1f} ms wall per photo against 1 figure")
    # Per listing: a brand with 12 figures, a listing with 4 photos.
    index = DesignIndex()
    for i in range(12):
        index.add(f"fig{i}", _png(line_drawing(product_outline(random.Random(500 + i)), random.Random(i))))
    listing = [photo(product_outline(random.Random(900 + j)), random.Random(j), scale=0.8, angle=0, mirror=False, ground="gradient") for j in range(4)]
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(3):
        index.query_many(listing)
    print(f"  per listing (4 photos, 12 figures): {1000 * (time.process_time() - c0) / 3:.0f} ms CPU, "
          f"{1000 * (time.perf_counter() - t0) / 3:.0f} ms wall")


def _png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def video_rows(n: int) -> None:
    rng = random.Random(7)
    photos, where = brand_photos(n * 2, rng)
    print(f"video key frames, {n} listing videos showing a brand photo for 1.5 s between title cards, "
          f"and {n} of unrelated photos; photos: {where}")
    index = ImageIndex()
    for i, p in enumerate(photos[:n]):
        index.add(f"photo:{i}", p)
    found = total = false = unrelated = 0
    cpu = wall = seconds = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(n):
            # A seller's video: an intro card, the brand's photo i shown for 2 s, an outro.
            card = _ground("gradient", random.Random(50 + i)).resize((320, 240))
            path = Path(tmp) / f"copy{i}.mp4"
            encode_video([card, photos[i], card.rotate(180)], path, seconds_each=1.5)
            t0, c0 = time.perf_counter(), time.process_time()
            frames = key_frames(path)
            hits = match_frames(index, frames)
            wall += time.perf_counter() - t0
            cpu += time.process_time() - c0
            seconds += 4.5
            total += 1
            found += any(h.key == f"photo:{i}" for h in hits)
            false += any(h.key != f"photo:{i}" for h in hits)
            # A video of unrelated photos: nothing of the brand's should be found in it.
            path = Path(tmp) / f"other{i}.mp4"
            encode_video([photos[n + i], card], path, seconds_each=1.5)
            unrelated += bool(match_frames(index, key_frames(path)))
    print(f"  recall {found}/{total}; wrong photo named {false}/{total}; false alarms on unrelated videos {unrelated}/{n}")
    print(f"  speed: {cpu / seconds * 1000:.0f} ms CPU, {wall / seconds * 1000:.0f} ms wall per video second "
          f"(key frames and matching, {len(index)} brand photos)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shapes", type=int, default=40)
    parser.add_argument("--videos", type=int, default=8)
    args = parser.parse_args()
    print("real data: ../shared/data holds no registered designs with listing photos "
          "(product pages, UKBench photos, logos in the wild): design figures below are generated")
    design_rows(args.shapes)
    video_rows(args.videos)


if __name__ == "__main__":
    main()
