"""Pictures and videos the design and video tests make: a bottle's and a kettle's outline as
a registration's line drawing and as sellers' photos, busy scenes, and videos encoded with
PyAV. Nothing is fetched; the same arguments give the same pictures."""

from __future__ import annotations

import io
import math
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from PIL import Image, ImageDraw

SIDE = 400


def bottle(width: float = 1.0) -> list[tuple[float, float]]:
    """A bottle's outline in unit coordinates (y down): a neck, shoulders, a body, a base."""
    half = [(0.08, -1.0), (0.1, -0.7), (0.35 * width, -0.35), (0.38 * width, 0.9), (0.3 * width, 1.0)]
    return [(x, y) for x, y in half] + [(-x, y) for x, y in reversed(half)]


def kettle() -> list[tuple[float, float]]:
    return [(-0.9, 0.8), (-0.7, -0.3), (-0.2, -0.55), (0.1, -0.75), (0.25, -0.55), (0.6, -0.35),
            (1.0, -0.7), (0.75, 0.1), (0.85, 0.8)]


def placed(outline, *, scale=1.0, angle=0.0, mirror=False, dx=0.0):
    a = math.radians(angle)
    out = []
    for x, y in outline:
        x = -x if mirror else x
        xr, yr = x * math.cos(a) - y * math.sin(a), x * math.sin(a) + y * math.cos(a)
        out.append((SIDE / 2 + dx * SIDE + xr * SIDE * 0.4 * scale, SIDE / 2 + yr * SIDE * 0.4 * scale))
    return out


def drawing(outline) -> bytes:
    """A figure as registered: black lines on white, with a detail line across the body."""
    img = Image.new("RGB", (SIDE, SIDE), "white")
    d = ImageDraw.Draw(img)
    pts = placed(outline)
    d.line(pts + pts[:1], fill="black", width=2)
    d.line([(SIDE * 0.4, SIDE * 0.6), (SIDE * 0.6, SIDE * 0.6)], fill="black", width=1)
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def photo(outline, *, ground="plain", colour=(180, 40, 30), **kw) -> bytes:
    img = Image.new("RGB", (SIDE, SIDE), (235, 235, 230))
    if ground == "gradient":
        ramp = np.linspace(250, 120, SIDE)[:, None, None] * np.ones((1, SIDE, 3))
        img = Image.fromarray(ramp.astype(np.uint8))
    ImageDraw.Draw(img).polygon(placed(outline, **kw), fill=colour)
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=85)
    return buf.getvalue()


def scene(seed: int, size=(320, 240)) -> Image.Image:
    """A busy picture unlike any other seed's: random coloured ellipses and bars."""
    rng = np.random.default_rng(seed)
    img = Image.new("RGB", size, tuple(int(c) for c in rng.integers(0, 255, 3)))
    d = ImageDraw.Draw(img)
    for _ in range(14):
        x, y = int(rng.integers(0, size[0])), int(rng.integers(0, size[1]))
        box = [x, y, x + int(rng.integers(15, 120)), y + int(rng.integers(15, 90))]
        (d.ellipse if rng.random() < 0.5 else d.rectangle)(box, fill=tuple(int(c) for c in rng.integers(0, 255, 3)))
    return img


def encode(path: Path, pictures: list[Image.Image], *, codec="mpeg4", fps=10, seconds_each=1.0) -> Path:
    with av.open(str(path), "w") as out:
        stream = out.add_stream(codec, rate=fps)
        stream.width, stream.height = pictures[0].size
        stream.pix_fmt = "yuv420p"
        stream.time_base = Fraction(1, fps)
        for picture in pictures:
            for _ in range(round(fps * seconds_each)):
                for packet in stream.encode(av.VideoFrame.from_image(picture)):
                    out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


DESIGN_YAML = """
designs:
  - number: "015000123-0001"
    office: {office}
    expires: {expires}
    product: drinking bottle
    figures: [design/bottle-1.png]
"""


def brand_with_designs(demo_brand: Path, folder: Path, *, office: str = "EUIPO", expires: str = "2031-05-01",
                       video: bool = True) -> Path:
    """The demo brand copied into `folder` with a registered bottle design and, on its
    first product, a product video whose second scene is `scene(2)`; its brand.yaml."""
    import shutil

    shutil.copytree(demo_brand.parent, folder)
    (folder / "design").mkdir()
    (folder / "design" / "bottle-1.png").write_bytes(drawing(bottle()))
    path = folder / "brand.yaml"
    text = path.read_text(encoding="utf-8")
    if video:
        encode(folder / "assets" / "film.mp4", [scene(1), scene(2), scene(3)])
        first = "    images: [assets/parka.jpg]\n"
        assert first in text
        text = text.replace(first, first + "    videos: [assets/film.mp4]\n", 1)
    path.write_text(with_designs(text, DESIGN_YAML.format(office=office, expires=expires)), encoding="utf-8")
    return path


def with_designs(text: str, block: str) -> str:
    """A brand.yaml's text with the `designs:` entries of `block` first in its designs list
    (so they are design:0, design:1, ...), whether or not it had one."""
    entries = block.split("designs:\n", 1)[1]
    if "\ndesigns:\n" in text:
        return text.replace("\ndesigns:\n", "\ndesigns:\n" + entries, 1)
    return text + block


def turned_logo(logo: Path) -> Image.Image:
    """A registered logo turned a little on a seller's plain photo: the hashes miss it, local
    features find it."""
    canvas = Image.new("RGB", (800, 600), (236, 236, 230))
    with Image.open(logo) as im:
        mark = im.convert("RGBA")
        mark.thumbnail((220, 220))
        mark = mark.rotate(8, expand=True)
        canvas.paste(mark, (300, 200), mark)
    return canvas
