"""Procedural product photography for the demo marketplace: the Norvik brand's own assets,
the sellers' own photos, and the stolen-photo transforms counterfeiters apply to the brand's.
Everything is drawn with Pillow and numpy from explicit seeds, so the same recipe gives the same bytes."""

from __future__ import annotations

import hashlib
import io
import math
import os
import random
import shutil
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont, ImageOps

# One photo is drawn per request, beside the crawl and the matcher on the same cores: OpenCV's
# own threads would only contend (the matchers set the same).
cv2.setNumThreads(1)

__all__ = [
    "ASSET_FILES",
    "DRAWN_KINDS",
    "DESIGN_FIGURE",
    "DESIGN_SHAPES",
    "design_figure",
    "render_design_photo",
    "ImageRecipe",
    "STOLEN_TRANSFORMS",
    "brand_hue",
    "make_brand_assets",
    "cached_render",
    "render_image",
    "PRODUCT_VIDEO",
    "render_video",
]

ASSET_SIZE = 800
LISTING_SIZE = 640
JPEG_QUALITY = 88

# What a stolen photo may have been through; the catalog names them in `why` as "stolen-photo:<name>".
STOLEN_TRANSFORMS = ("resized", "cropped", "padded", "mirrored", "watermarked", "collaged", "rotated")


# --------------------------------------------------------------------------------------------
# Recipes


@dataclass(frozen=True, slots=True)
class ImageRecipe:
    """How one listing image is made; hashable, so rendered bytes can be cached by recipe.

    kind "asset": a transform chain over a brand asset file (`source` = "parka.jpg");
    kind "drawn": a fresh photo of a product kind (`source` = "parka", "mug", ...);
    kind "corrupt": a drawn photo whose JPEG bytes are cut short;
    kind "design": a seller's photo of a hatchet (`source` one of DESIGN_SHAPES).
    """

    kind: str
    source: str
    seed: int
    transforms: tuple[str, ...] = ()
    style: str = "studio"          # drawn: "studio" | "home" | "cheap"
    hue: float | None = None       # drawn: 0..1 colour override; None picks from the seed
    size: int = LISTING_SIZE


# --------------------------------------------------------------------------------------------
# Drawing primitives

_FONT_CACHE: dict[int, ImageFont.FreeTypeFont | ImageFont.ImageFont] = {}


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    # Pillow's bundled font, not a system one, so the drawings are the same on every machine.
    if size not in _FONT_CACHE:
        _FONT_CACHE[size] = ImageFont.load_default(size=size)
    return _FONT_CACHE[size]


def _hsv(h: float, s: float, v: float) -> tuple[int, int, int]:
    h = h % 1.0
    i = int(h * 6)
    f = h * 6 - i
    p, q, t = v * (1 - s), v * (1 - f * s), v * (1 - (1 - f) * s)
    r, g, b = [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)][i % 6]
    return int(r * 255), int(g * 255), int(b * 255)


@lru_cache(maxsize=8)
def _axis(size: int) -> np.ndarray:
    """Coordinates along one side in [0, 1), as float32; shared and read-only. The drawings
    below build their gradients from a row and a column of these, broadcast, rather than
    from full grids: the market draws each listing photo on request."""
    axis = np.arange(size, dtype=np.float32) / size
    axis.flags.writeable = False
    return axis


def _colour(rgb: tuple[int, int, int]) -> np.ndarray:
    return np.array(rgb, dtype=np.float32)


def _background(size: int, style: str, rng: random.Random) -> Image.Image:
    x = _axis(size)[None, :]  # a row
    y = _axis(size)[:, None]  # a column
    # Sellers' grounds are drawn on every request: one plane of factors, each channel one
    # OpenCV scale-and-saturate of it (a few times faster than numpy over three channels).
    if style == "home":
        # a wooden floor: planks of slightly different brown with grain, lit from one side
        plank = (y * rng.uniform(5, 8) + rng.random()).astype(np.int32)
        tone = 0.85 + 0.15 * np.sin(plank * 12.9898 + rng.random() * 6, dtype=np.float32) ** 2
        grain = 0.94 + 0.06 * np.sin(x * rng.uniform(40, 70) + np.sin(y * 30) * 0.4)
        base = _hsv(rng.uniform(0.06, 0.1), rng.uniform(0.45, 0.6), rng.uniform(0.5, 0.7))
        light = 0.8 + 0.3 * (1 - x)
        return _tinted(tone * grain * light, base)
    if style == "paper":
        # a seller's coloured paper sweep: not the brand's grey studio
        hue = rng.random()
        top = _hsv(hue, rng.uniform(0.15, 0.35), rng.uniform(0.85, 0.95))
        bottom = _hsv(hue, rng.uniform(0.25, 0.5), rng.uniform(0.6, 0.8))
        t = np.clip(y * 0.5 + x * 0.5, 0, 1)
        return Image.fromarray(cv2.merge([cv2.convertScaleAbs(t, alpha=b - a, beta=a) for a, b in zip(top, bottom)]), "RGB")
    if style == "cheap":
        # a flat white sweep, overexposed, the way bulk sellers shoot
        column = np.clip(246.0 - 10 * y, 0, 255).astype(np.uint8)[..., None]
        return Image.fromarray(np.ascontiguousarray(np.broadcast_to(column, (size, size, 3))), "RGB")
    # the brand's grey studio
    top = _colour(_hsv(rng.uniform(0.5, 0.65), rng.uniform(0.02, 0.08), rng.uniform(0.9, 0.97)))
    bottom = _colour(_hsv(rng.uniform(0.5, 0.65), rng.uniform(0.03, 0.1), rng.uniform(0.62, 0.75)))
    t = np.clip(y * 1.1, 0, 1)[..., None]
    vignette = 1 - 0.25 * (((x - 0.5) ** 2 + (y - 0.45) ** 2) * 2)[..., None]
    arr = (top * (1 - t) + bottom * t) * vignette
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "RGB")


def _tinted(factor: np.ndarray, rgb: tuple[int, int, int]) -> Image.Image:
    """An RGB image of `rgb` scaled by `factor` (a float32 plane, broadcast to a square if it
    is a row times a column), saturated to 0-255."""
    factor = np.ascontiguousarray(np.broadcast_to(factor, (max(factor.shape),) * 2), dtype=np.float32)
    return Image.fromarray(cv2.merge([cv2.convertScaleAbs(factor, alpha=float(c)) for c in rgb]), "RGB")


def _grain(img: Image.Image, rng: random.Random, amount: float, *, fast: bool = False) -> Image.Image:
    # half-resolution noise, upsampled: reads as sensor grain and keeps the JPEGs small
    w, h = img.size
    gen = np.random.default_rng(rng.getrandbits(32))
    if fast:
        # sellers' photos, drawn on request: float32 noise, resized and added (saturating) by
        # OpenCV, about 5x faster than the numpy path below (kept for the brand's assets)
        noise = gen.standard_normal((h // 2 + 1, w // 2 + 1), dtype=np.float32)
        noise *= amount
        noise = cv2.resize(noise, (w, h), interpolation=cv2.INTER_LINEAR)
        return Image.fromarray(cv2.add(np.asarray(img), cv2.merge((noise, noise, noise)), dtype=cv2.CV_8U), "RGB")
    noise = gen.normal(0, amount, (h // 2 + 1, w // 2 + 1)).astype(np.float32)
    noise_img = Image.fromarray(noise).resize((w, h), Image.BILINEAR)
    arr = np.asarray(img, dtype=np.float32)  # a copy: added to in place
    arr += np.asarray(noise_img)[..., None]
    return Image.fromarray(np.clip(arr, 0, 255, out=arr).astype(np.uint8), "RGB")


class _Canvas:
    """A product drawing in unit coordinates, placed by scale/offset/tilt, shaded part by part."""

    def __init__(self, base: Image.Image, rng: random.Random, *, scale: float, dx: float, dy: float,
                 tilt: float, mirror: bool, reshape: bool = False) -> None:
        self.img = base
        self.size = base.size[0]
        self.scale, self.dx, self.dy = scale, dx, dy
        self.tilt = math.radians(tilt)
        self.mirror = mirror
        # Another maker's product (or another photographer's shot) differs in cut and
        # perspective, not only in colour: stretch, bend and jitter the outline so that no
        # homography maps it onto the brand's photo.
        self.reshape = reshape
        if reshape:
            self.sx, self.sy = rng.uniform(0.78, 1.2), rng.uniform(0.8, 1.15)
            # (amplitude, cycles per unit, phase) for x then y: a broad bend and a finer ripple
            # straps, soles and caps of another maker come in other colours than the brand's black
            self.accent = _hsv(rng.random(), rng.uniform(0.3, 0.8), rng.uniform(0.35, 0.8))
            self.warp = [[(rng.uniform(0.025, 0.05), rng.uniform(0.8, 1.8), rng.random()),
                          (rng.uniform(0.008, 0.014), rng.uniform(3.0, 5.0), rng.random())] for _ in range(2)]
        x, y = _axis(self.size)[None, :], _axis(self.size)[:, None]
        self._light = (1.12 - 0.192 * x) - 0.256 * y  # 1.12 - 0.32 * (0.6 x + 0.8 y)
        if reshape and (fabric := _fabric(x, y, rng)) is not None:
            self._light = self._light * fabric

    def pt(self, x: float, y: float) -> tuple[float, float]:
        if self.mirror:
            x = 1 - x
        x, y = x - 0.5, y - 0.5
        if self.reshape:
            wx, wy = self.warp
            x, y = (x * self.sx + sum(a * math.sin(2 * math.pi * (f * y + p)) for a, f, p in wx),
                    y * self.sy + sum(a * math.sin(2 * math.pi * (f * x + p)) for a, f, p in wy))
        c, s = math.cos(self.tilt), math.sin(self.tilt)
        x, y = x * c - y * s, x * s + y * c
        return ((x * self.scale + 0.5 + self.dx) * self.size, (y * self.scale + 0.5 + self.dy) * self.size)

    def pts(self, points: list[tuple[float, float]]) -> list[tuple[float, float]]:
        return [self.pt(x, y) for x, y in points]

    def _outline(self, shape: str, geom: object) -> tuple[list[tuple[float, float]], int]:
        """A part's points on the canvas, and the pen's reach beyond them (a line's half width)."""
        if shape == "poly":
            return self.pts(geom), 1  # type: ignore[arg-type]
        if shape == "ellipse":
            cx, cy, rx, ry = geom  # type: ignore[misc]
            n = 48
            return self.pts([(cx + rx * math.cos(2 * math.pi * k / n), cy + ry * math.sin(2 * math.pi * k / n))
                             for k in range(n)]), 1
        if shape == "line":
            points, width = geom  # type: ignore[misc]
            return self.pts(points), max(1, int(width * self.size * self.scale))
        raise ValueError(f"unknown part shape {shape!r}")

    def _mask(self, shape: str, geom: object, region: tuple[int, int, int, int] | None = None) -> Image.Image:
        """The part's mask over `region` of the canvas (left, top, right, bottom; all of it by default)."""
        x0, y0, x1, y1 = region or (0, 0, self.size, self.size)
        mask = Image.new("L", (x1 - x0, y1 - y0), 0)
        draw = ImageDraw.Draw(mask)
        pts, pen = self._outline(shape, geom)
        if region is not None:
            pts = [(x - x0, y - y0) for x, y in pts]
        if shape == "line":
            draw.line(pts, fill=255, width=pen, joint="curve")
        else:
            draw.polygon(pts, fill=255)
        return mask

    def part(self, shape: str, geom: object, rgb: tuple[int, int, int], *, rim: float = 0.35,
             gloss: float = 0.0) -> None:
        if self.reshape and max(rgb) < 80:
            rgb = self.accent
        # shade only around the part: the blur needs a margin, the rest of the canvas does not change
        radius = self.size * 0.025
        margin = int(radius * 3) + 2
        if self.reshape:
            self._seller_part(shape, geom, rgb, rim=rim, gloss=gloss, radius=radius, margin=margin)
            return
        mask = self._mask(shape, geom)
        bbox = mask.getbbox()
        if bbox is None:
            return
        box = (max(0, bbox[0] - margin), max(0, bbox[1] - margin),
               min(self.size, bbox[2] + margin), min(self.size, bbox[3] + margin))
        local = mask.crop(box)
        blurred = local.filter(ImageFilter.GaussianBlur(radius))
        shade = self._shade(box, np.asarray(blurred, dtype=np.float32) / 255, rim, gloss)
        arr = np.array(rgb, dtype=np.float32)[None, None, :] * shade[..., None]
        fill = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "RGB")
        self.img.paste(fill, box[:2], local.filter(ImageFilter.GaussianBlur(0.8)))

    def _shade(self, box: tuple[int, int, int, int], blur: np.ndarray, rim: float, gloss: float) -> np.ndarray:
        """The light over `box`, darkened toward the part's rim (`blur`: its mask blurred,
        0-1) and, with `gloss`, a highlight where the mask is solid."""
        shade = self._light[box[1]:box[3], box[0]:box[2]] * (1 - rim + rim * blur)
        if gloss:
            shade += gloss * np.clip(blur - 0.8, 0, 1) * 2.5
        return shade

    def _seller_part(self, shape: str, geom: object, rgb: tuple[int, int, int], *, rim: float, gloss: float,
                     radius: float, margin: int) -> None:
        """part() for a seller's photo, drawn on request: the mask only over the part's reach,
        the shading blurred at a quarter size, and the blurs, resizes and colour by OpenCV
        (about twice as fast as Pillow and numpy for the brand's assets)."""
        pts, pen = self._outline(shape, geom)
        xs, ys = [x for x, _ in pts], [y for _, y in pts]
        reach = pen // 2 + 2 + margin
        region = (max(0, math.floor(min(xs)) - reach), max(0, math.floor(min(ys)) - reach),
                  min(self.size, math.ceil(max(xs)) + reach + 1), min(self.size, math.ceil(max(ys)) + reach + 1))
        if region[2] <= region[0] or region[3] <= region[1]:
            return
        mask = self._mask(shape, geom, region)
        bbox = mask.getbbox()
        if bbox is None:
            return
        box = (max(0, region[0] + bbox[0] - margin), max(0, region[1] + bbox[1] - margin),
               min(self.size, region[0] + bbox[2] + margin), min(self.size, region[1] + bbox[3] + margin))
        local = np.asarray(mask.crop((box[0] - region[0], box[1] - region[1], box[2] - region[0], box[3] - region[1])))
        h, w = local.shape
        small = cv2.resize(local, (max(1, w // 4), max(1, h // 4)), interpolation=cv2.INTER_AREA)
        small = cv2.GaussianBlur(small, (0, 0), radius / 4)
        blur = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR).astype(np.float32)
        blur *= 1 / 255
        shade = self._shade(box, blur, rim, gloss)
        fill = cv2.merge([cv2.convertScaleAbs(shade, alpha=float(c)) for c in rgb])
        edge = cv2.GaussianBlur(local, (0, 0), 0.8)
        self.img.paste(Image.fromarray(fill, "RGB"), box[:2], Image.fromarray(edge, "L"))

    def seam(self, points: list[tuple[float, float]], rgb: tuple[int, int, int], width: float = 0.006) -> None:
        draw = ImageDraw.Draw(self.img)
        draw.line(self.pts(points), fill=rgb, width=max(1, int(width * self.size * self.scale)), joint="curve")

    def shadow(self, cx: float, cy: float, rx: float, ry: float, strength: float = 0.35) -> None:
        # drawn and blurred around the ellipse only: the blur's reach is its margin
        x, y = self.pt(cx, cy)
        r = self.size * self.scale
        radius = self.size * 0.03
        margin = int(radius * 3) + 2
        ellipse = (x - rx * r, y - ry * r, x + rx * r, y + ry * r)
        box = (max(0, int(ellipse[0]) - margin), max(0, int(ellipse[1]) - margin),
               min(self.size, int(ellipse[2]) + margin + 1), min(self.size, int(ellipse[3]) + margin + 1))
        if box[2] <= box[0] or box[3] <= box[1]:
            return
        mask = Image.new("L", (box[2] - box[0], box[3] - box[1]), 0)
        ImageDraw.Draw(mask).ellipse((ellipse[0] - box[0], ellipse[1] - box[1], ellipse[2] - box[0], ellipse[3] - box[1]),
                                     fill=int(255 * strength))
        mask = mask.filter(ImageFilter.GaussianBlur(radius))
        self.img.paste(Image.new("RGB", mask.size, (20, 20, 25)), box[:2], mask)

    def logo(self, cx: float, cy: float, width: float, rgb: tuple[int, int, int], angle: float = 0.0) -> None:
        # rotate() returns a copy, so the cached logo is never drawn on
        mark = _logo_image(rgb, 400).rotate(-math.degrees(self.tilt) + angle, expand=True, resample=Image.BICUBIC)
        w = max(8, int(width * self.size * self.scale))
        mark = mark.resize((w, max(1, int(mark.height * w / mark.width))), Image.LANCZOS)
        if self.mirror:
            mark = ImageOps.mirror(mark)  # printed on the product, so it mirrors with the product
        x, y = self.pt(cx, cy)
        self.img.paste(mark, (int(x - mark.width / 2), int(y - mark.height / 2)), mark)


def _phase(w: np.ndarray) -> np.ndarray:
    """w % 1, as floor does it: numpy's float modulo is several times slower."""
    return w - np.floor(w)


def _fabric(x: np.ndarray, y: np.ndarray, rng: random.Random) -> np.ndarray | None:
    """A multiplicative fabric pattern (stripes, check or blotches) for a maker's own product,
    over a row `x` and a column `y` of coordinates; None for a plain one."""
    kind = rng.choice(["plain", "stripes", "check", "blotches", "stripes"])
    if kind == "plain":
        return None
    period = rng.uniform(0.04, 0.1)
    angle = rng.uniform(0, math.pi)
    u = x * math.cos(angle) + y * math.sin(angle)
    if kind == "stripes":
        return np.where(_phase(u / period) < rng.uniform(0.3, 0.6), 1.0, rng.uniform(0.6, 0.8)).astype(np.float32)
    if kind == "check":
        v = -x * math.sin(angle) + y * math.cos(angle)
        return np.where((_phase(u / period) < 0.5) ^ (_phase(v / period) < 0.5), 1.0, 0.75).astype(np.float32)
    # each term is a product of a wave across and a wave down: an outer product of two lines
    blot = sum(np.sin(2 * math.pi * (rng.uniform(2, 6) * x + rng.random()))
               * np.sin(2 * math.pi * (rng.uniform(2, 6) * y + rng.random())) for _ in range(3))
    return np.where(blot > 0.3, 0.7, 1.0).astype(np.float32)


def _props(img: Image.Image, rng: random.Random) -> None:
    """A thing or two beside the product, as in any photo not taken in a studio."""
    w = img.size[0]
    draw = ImageDraw.Draw(img)
    for _ in range(rng.choice([1, 1, 2])):
        colour = _hsv(rng.random(), rng.uniform(0.2, 0.7), rng.uniform(0.3, 0.9))
        x, y = rng.choice([0.04, 0.72]) * w, rng.uniform(0.05, 0.7) * w
        size = rng.uniform(0.14, 0.24) * w
        if rng.random() < 0.5:  # a box
            draw.polygon([(x, y + size * 0.3), (x + size * 0.6, y), (x + size, y + size * 0.3),
                          (x + size * 0.4, y + size * 0.6)], fill=_shift(colour, 1.2))
            draw.polygon([(x, y + size * 0.3), (x + size * 0.4, y + size * 0.6), (x + size * 0.4, y + size),
                          (x, y + size * 0.7)], fill=_shift(colour, 0.8))
            draw.polygon([(x + size * 0.4, y + size * 0.6), (x + size, y + size * 0.3), (x + size, y + size * 0.7),
                          (x + size * 0.4, y + size)], fill=_shift(colour, 0.6))
        else:  # a plant: pot and leaves
            draw.rectangle((x + size * 0.3, y + size * 0.6, x + size * 0.7, y + size), fill=colour)
            for k in range(5):
                a = math.pi * (0.15 + 0.7 * k / 4)
                draw.ellipse((x + size * 0.5 - size * 0.5 * math.cos(a) - size * 0.12, y + size * 0.55 - size * 0.5 * math.sin(a) - size * 0.06,
                              x + size * 0.5 - size * 0.5 * math.cos(a) + size * 0.12, y + size * 0.55 - size * 0.5 * math.sin(a) + size * 0.06),
                             fill=(40, rng.randrange(100, 160), 50))


def _shift(rgb: tuple[int, int, int], f: float) -> tuple[int, int, int]:
    return tuple(int(max(0, min(255, c * f))) for c in rgb)  # type: ignore[return-value]


# --------------------------------------------------------------------------------------------
# The logo


@lru_cache(maxsize=32)
def _logo_image(rgb: tuple[int, int, int], width: int) -> Image.Image:
    """The word NORVIK right of a two-peak mountain emblem, on transparency, `width` pixels wide."""
    u = 10
    font = _font(19 * u)
    text_box = font.getbbox("NORVIK", stroke_width=u)
    img = Image.new("RGBA", (int(42 * u + text_box[2]), 44 * u), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    fill = rgb + (255,)
    draw.polygon([(2 * u, 36 * u), (13 * u, 8 * u), (19 * u, 22 * u), (25 * u, 14 * u), (36 * u, 36 * u)], fill=fill)
    # the snow line is cut out of the peak, so the emblem reads on any background
    draw.line([(8.6 * u, 19 * u), (11 * u, 16.5 * u), (13 * u, 19 * u), (15 * u, 16.5 * u), (17.4 * u, 19 * u)],
              fill=(0, 0, 0, 0), width=int(1.4 * u))
    draw.line([(2 * u, 39.5 * u), (36 * u, 39.5 * u)], fill=fill, width=int(1.6 * u))
    draw.text((40 * u, 12 * u - text_box[1] + 6 * u), "NORVIK", font=font, fill=fill, stroke_width=u, stroke_fill=fill)
    img = img.crop(img.getbbox())
    return img.resize((width, max(1, round(img.height * width / img.width))), Image.LANCZOS)


# --------------------------------------------------------------------------------------------
# Products: each draws into a canvas in unit coordinates (0..1, the product centred near 0.5)


def _draw_parka(c: _Canvas, col: tuple[int, int, int], *, logo: bool) -> None:
    dark, light = _shift(col, 0.7), _shift(col, 1.25)
    c.shadow(0.5, 0.93, 0.3, 0.035)
    c.part("poly", [(0.22, 0.3), (0.1, 0.78), (0.18, 0.8), (0.3, 0.45)], dark)            # left sleeve
    c.part("poly", [(0.78, 0.3), (0.9, 0.78), (0.82, 0.8), (0.7, 0.45)], dark)            # right sleeve
    c.part("poly", [(0.3, 0.22), (0.7, 0.22), (0.8, 0.33), (0.76, 0.92), (0.24, 0.92), (0.2, 0.33)], col)
    c.part("ellipse", (0.5, 0.19, 0.15, 0.12), _shift(col, 0.9))                          # hood
    c.part("ellipse", (0.5, 0.21, 0.1, 0.075), (222, 214, 196), rim=0.6)                  # fur trim
    c.part("ellipse", (0.5, 0.22, 0.07, 0.05), (40, 36, 34), rim=0.2)                     # hood opening
    c.seam([(0.5, 0.28), (0.5, 0.92)], (30, 30, 30), 0.008)                               # zip
    for y in (0.6,):
        c.part("poly", [(0.28, y), (0.44, y), (0.44, y + 0.14), (0.28, y + 0.14)], light, rim=0.2)
        c.part("poly", [(0.56, y), (0.72, y), (0.72, y + 0.14), (0.56, y + 0.14)], light, rim=0.2)
    c.seam([(0.24, 0.5), (0.76, 0.5)], dark, 0.004)
    if logo:
        c.logo(0.64, 0.4, 0.1, (235, 235, 230))


def _draw_down(c: _Canvas, col: tuple[int, int, int], *, logo: bool) -> None:
    dark = _shift(col, 0.65)
    c.shadow(0.5, 0.86, 0.3, 0.03)
    c.part("poly", [(0.25, 0.28), (0.08, 0.7), (0.17, 0.73), (0.32, 0.42)], dark)
    c.part("poly", [(0.75, 0.28), (0.92, 0.7), (0.83, 0.73), (0.68, 0.42)], dark)
    c.part("poly", [(0.32, 0.22), (0.68, 0.22), (0.77, 0.3), (0.74, 0.84), (0.26, 0.84), (0.23, 0.3)], col, rim=0.25)
    for k in range(7):  # quilted baffles: the silhouette that tells a down jacket from a parka
        y = 0.27 + k * 0.082
        c.part("ellipse", (0.5, y + 0.04, 0.245, 0.036), col, rim=0.55, gloss=0.25)
    c.part("poly", [(0.4, 0.16), (0.6, 0.16), (0.63, 0.25), (0.37, 0.25)], _shift(col, 0.85))  # collar
    c.seam([(0.5, 0.2), (0.5, 0.84)], (25, 25, 30), 0.007)
    if logo:
        c.logo(0.62, 0.33, 0.09, (240, 240, 240))


def _draw_boot(c: _Canvas, col: tuple[int, int, int], *, logo: bool) -> None:
    sole, lace = (45, 40, 38), (214, 96, 30)
    c.shadow(0.5, 0.8, 0.38, 0.035)
    c.part("poly", [(0.3, 0.2), (0.52, 0.18), (0.56, 0.5), (0.84, 0.58), (0.88, 0.7), (0.2, 0.72), (0.24, 0.45)], col)
    c.part("poly", [(0.15, 0.7), (0.9, 0.68), (0.9, 0.77), (0.16, 0.79)], sole, rim=0.2)    # sole
    c.part("poly", [(0.66, 0.56), (0.84, 0.58), (0.88, 0.69), (0.64, 0.69)], _shift(col, 0.72))  # toe cap
    c.part("poly", [(0.2, 0.55), (0.32, 0.55), (0.3, 0.71), (0.19, 0.71)], _shift(col, 0.75))   # heel counter
    c.part("poly", [(0.29, 0.17), (0.53, 0.15), (0.54, 0.22), (0.3, 0.24)], (60, 55, 50), rim=0.3)  # collar
    for k in range(6):
        y = 0.24 + k * 0.055
        x = 0.47 + k * 0.025
        c.seam([(x - 0.05, y), (x + 0.05, y + 0.05)], lace, 0.012)
        c.seam([(x + 0.05, y), (x - 0.05, y + 0.05)], lace, 0.012)
    for k in range(9):  # tread lugs
        x = 0.18 + k * 0.08
        c.seam([(x, 0.78), (x + 0.03, 0.78)], (20, 20, 20), 0.012)
    if logo:
        c.logo(0.33, 0.45, 0.11, (235, 225, 205))


def _draw_backpack(c: _Canvas, col: tuple[int, int, int], *, logo: bool) -> None:
    dark, strap = _shift(col, 0.7), (40, 42, 46)
    c.shadow(0.5, 0.9, 0.28, 0.03)
    c.part("line", ([(0.24, 0.3), (0.18, 0.6), (0.24, 0.85)], 0.05), strap, rim=0.2)
    c.part("line", ([(0.76, 0.3), (0.82, 0.6), (0.76, 0.85)], 0.05), strap, rim=0.2)
    c.part("poly", [(0.3, 0.2), (0.7, 0.2), (0.76, 0.3), (0.74, 0.88), (0.26, 0.88), (0.24, 0.3)], col)
    c.part("ellipse", (0.5, 0.2, 0.22, 0.09), dark)                                        # lid
    c.part("poly", [(0.33, 0.52), (0.67, 0.52), (0.69, 0.84), (0.31, 0.84)], _shift(col, 1.15))  # front pocket
    c.part("poly", [(0.2, 0.7), (0.8, 0.7), (0.8, 0.77), (0.2, 0.77)], strap, rim=0.2)     # hip belt
    c.seam([(0.33, 0.52), (0.67, 0.52)], (20, 20, 20), 0.006)
    c.part("ellipse", (0.5, 0.11, 0.04, 0.025), strap)                                    # haul loop
    if logo:
        c.logo(0.5, 0.42, 0.16, (245, 240, 230))


def _draw_bottle(c: _Canvas, col: tuple[int, int, int], *, logo: bool) -> None:
    c.shadow(0.5, 0.9, 0.16, 0.025)
    c.part("poly", [(0.38, 0.26), (0.62, 0.26), (0.64, 0.32), (0.64, 0.86), (0.6, 0.89), (0.4, 0.89),
                    (0.36, 0.86), (0.36, 0.32)], col, rim=0.5, gloss=0.45)
    c.part("poly", [(0.41, 0.14), (0.59, 0.14), (0.6, 0.26), (0.4, 0.26)], (35, 35, 38), rim=0.4)  # cap
    c.part("ellipse", (0.5, 0.135, 0.05, 0.03), (35, 35, 38), rim=0.3)                      # loop
    c.part("poly", [(0.36, 0.7), (0.64, 0.7), (0.64, 0.75), (0.36, 0.75)], _shift(col, 0.7), rim=0.5)
    c.seam([(0.42, 0.34), (0.42, 0.82)], (255, 255, 255), 0.012)                             # highlight
    if logo:
        c.logo(0.5, 0.5, 0.17, (250, 250, 250), angle=0)


def _draw_tent(c: _Canvas, col: tuple[int, int, int], *, logo: bool) -> None:
    fly = _shift(col, 0.75)
    c.shadow(0.5, 0.8, 0.45, 0.04)
    c.part("poly", [(0.08, 0.78), (0.3, 0.38), (0.5, 0.3), (0.7, 0.38), (0.92, 0.78)], col, rim=0.3)
    c.part("poly", [(0.36, 0.78), (0.5, 0.42), (0.64, 0.78)], (50, 48, 46), rim=0.2)        # door
    c.part("poly", [(0.3, 0.38), (0.5, 0.3), (0.7, 0.38), (0.62, 0.44), (0.38, 0.44)], fly, rim=0.3)  # vent
    for (x0, x1) in ((0.08, 0.7), (0.92, 0.3)):
        c.seam([(x0, 0.78), ((x0 + x1) / 2, 0.36), (x1, 0.38)], (90, 90, 95), 0.006)        # poles
    c.seam([(0.08, 0.78), (0.02, 0.84)], (160, 160, 160), 0.003)                            # guy lines
    c.seam([(0.92, 0.78), (0.98, 0.84)], (160, 160, 160), 0.003)
    if logo:
        c.logo(0.76, 0.62, 0.1, (30, 30, 30))


def _draw_poles(c: _Canvas, col: tuple[int, int, int], *, logo: bool) -> None:
    c.shadow(0.5, 0.88, 0.25, 0.025)
    for x in (0.42, 0.58):
        c.part("line", ([(x - 0.05, 0.12), (x + 0.05, 0.88)], 0.022), col, rim=0.5, gloss=0.4)
        c.part("ellipse", (x - 0.05, 0.14, 0.03, 0.06), (30, 30, 30))                      # grip
        c.part("ellipse", (x + 0.045, 0.8, 0.035, 0.012), (30, 30, 30))                    # basket


def _draw_book(c: _Canvas, col: tuple[int, int, int], *, logo: bool) -> None:
    c.shadow(0.52, 0.86, 0.3, 0.03)
    c.part("poly", [(0.28, 0.14), (0.74, 0.16), (0.72, 0.86), (0.26, 0.84)], col, rim=0.15)
    c.part("poly", [(0.26, 0.14), (0.3, 0.14), (0.28, 0.85), (0.24, 0.84)], _shift(col, 0.6), rim=0.1)
    c.part("poly", [(0.34, 0.3), (0.68, 0.31), (0.67, 0.55), (0.33, 0.54)], (210, 220, 230), rim=0.1)
    c.part("poly", [(0.34, 0.46), (0.45, 0.36), (0.55, 0.45), (0.6, 0.4), (0.67, 0.5), (0.67, 0.55),
                    (0.33, 0.54)], (80, 100, 120), rim=0.1)
    for k in range(3):
        c.seam([(0.35, 0.62 + k * 0.05), (0.65, 0.625 + k * 0.05)], (245, 245, 240), 0.012)


def _draw_strap(c: _Canvas, col: tuple[int, int, int], *, logo: bool) -> None:
    c.shadow(0.5, 0.8, 0.35, 0.03)
    pts = [(0.12 + k * 0.04, 0.5 + 0.2 * math.sin(k * 0.55)) for k in range(20)]
    c.part("line", (pts, 0.06), col, rim=0.3)
    c.seam(pts, _shift(col, 1.3), 0.006)
    c.part("poly", [(0.86, 0.4), (0.93, 0.4), (0.93, 0.5), (0.86, 0.5)], (180, 180, 185), gloss=0.5)


def _draw_beanie(c: _Canvas, col: tuple[int, int, int], *, logo: bool) -> None:
    c.shadow(0.5, 0.78, 0.3, 0.03)
    c.part("ellipse", (0.5, 0.55, 0.28, 0.3), col, rim=0.45)
    c.part("poly", [(0.2, 0.6), (0.8, 0.6), (0.8, 0.76), (0.2, 0.76)], _shift(col, 0.8), rim=0.3)
    c.part("ellipse", (0.5, 0.22, 0.08, 0.07), _shift(col, 1.3), rim=0.6)                  # pompom
    for k in range(8):
        c.seam([(0.24 + k * 0.075, 0.61), (0.24 + k * 0.075, 0.75)], _shift(col, 0.6), 0.005)


def _draw_mug(c: _Canvas, col: tuple[int, int, int], *, logo: bool) -> None:
    c.shadow(0.5, 0.8, 0.26, 0.03)
    c.part("line", ([(0.68, 0.38), (0.8, 0.42), (0.8, 0.6), (0.68, 0.64)], 0.04), col, rim=0.4)
    c.part("poly", [(0.28, 0.3), (0.7, 0.3), (0.68, 0.78), (0.3, 0.78)], col, rim=0.45, gloss=0.3)
    c.part("ellipse", (0.49, 0.3, 0.21, 0.05), (40, 40, 40), rim=0.2)
    c.seam([(0.28, 0.31), (0.7, 0.31)], (20, 20, 30), 0.01)


def _draw_lamp(c: _Canvas, col: tuple[int, int, int], *, logo: bool) -> None:
    c.shadow(0.5, 0.75, 0.35, 0.03)
    c.part("line", ([(0.12, 0.55), (0.3, 0.45), (0.7, 0.45), (0.88, 0.55)], 0.05), (40, 40, 45), rim=0.2)
    c.part("poly", [(0.36, 0.36), (0.64, 0.36), (0.66, 0.62), (0.34, 0.62)], col, rim=0.4)
    c.part("ellipse", (0.5, 0.49, 0.09, 0.09), (235, 240, 250), rim=0.6, gloss=0.6)


def _draw_insole(c: _Canvas, col: tuple[int, int, int], *, logo: bool) -> None:
    c.shadow(0.5, 0.82, 0.3, 0.03)
    for x in (0.36, 0.64):
        c.part("ellipse", (x, 0.32, 0.1, 0.13), col, rim=0.4)
        c.part("ellipse", (x, 0.62, 0.085, 0.18), col, rim=0.4)
        c.part("poly", [(x - 0.09, 0.34), (x + 0.1, 0.34), (x + 0.08, 0.6), (x - 0.08, 0.6)], col, rim=0.3)


_DRAWERS: dict[str, Callable[..., None]] = {
    "parka": _draw_parka, "down-jacket": _draw_down, "boot": _draw_boot, "backpack": _draw_backpack,
    "bottle": _draw_bottle, "tent": _draw_tent, "poles": _draw_poles, "book": _draw_book,
    "strap": _draw_strap, "beanie": _draw_beanie, "mug": _draw_mug, "lamp": _draw_lamp,
    "insole": _draw_insole,
}
DRAWN_KINDS: tuple[str, ...] = tuple(_DRAWERS)

# The brand's house colours per product (hue, saturation, value): what makes its photos its own.
_BRAND_COLOURS: dict[str, tuple[float, float, float]] = {
    "parka": (0.40, 0.55, 0.38),        # forest green
    "boot": (0.08, 0.55, 0.6),          # tan leather
    "backpack": (0.02, 0.75, 0.75),     # signal red-orange
    "down-jacket": (0.62, 0.75, 0.62),  # royal blue
    "bottle": (0.5, 0.45, 0.6),         # steel teal
    "tent": (0.13, 0.8, 0.92),          # summit yellow
}


def brand_hue(kind: str) -> float | None:
    """The hue of the brand's house colour for a product kind (a reseller's own photo shares it)."""
    colour = _BRAND_COLOURS.get(kind)
    return colour[0] if colour else None


def _draw_product(kind: str, *, size: int, seed: int, style: str, hue: float | None, brand: bool) -> Image.Image:
    rng = random.Random(f"{kind}/{seed}/{style}")
    if brand:
        h, s, v = _BRAND_COLOURS[kind]
        layout = dict(scale=0.92, dx=0.0, dy=0.0, tilt=0.0, mirror=False)
    else:
        h = hue if hue is not None else rng.random()
        s, v = rng.uniform(0.35, 0.8), rng.uniform(0.45, 0.85)
        # a different shot, not a copy: own framing, angle and distance
        layout = dict(scale=rng.uniform(0.5, 0.85), dx=rng.uniform(-0.15, 0.15), dy=rng.uniform(-0.08, 0.1),
                      tilt=rng.uniform(-20, 20), mirror=rng.random() < 0.5)
    img = _background(size, "studio" if brand else ("paper" if style == "studio" else style), rng)
    if not brand and style == "home":
        _props(img, rng)
    canvas = _Canvas(img, rng, **layout, reshape=not brand)  # type: ignore[arg-type]
    _DRAWERS[kind](canvas, _hsv(h, s, v), logo=brand)
    if not brand and style == "cheap" and rng.random() < 0.7:
        _sale_banner(canvas.img, rng)
    return _grain(canvas.img, rng, 3.0) if brand else _grain(canvas.img, rng, 4.5, fast=True)


def _sale_banner(img: Image.Image, rng: random.Random) -> None:
    """The loud strip bulk sellers stamp on their photos."""
    w, h = img.size
    draw = ImageDraw.Draw(img)
    band = int(h * rng.uniform(0.1, 0.16))
    top = 0 if rng.random() < 0.5 else h - band
    colour = rng.choice([(220, 30, 40), (250, 200, 0), (20, 20, 20), (0, 120, 220), (240, 90, 0)])
    draw.rectangle((0, top, w, top + band), fill=colour)
    text = rng.choice(["HOT SALE", "FREE SHIPPING", "NEW 2026", "-70% TODAY", "BEST QUALITY", "FACTORY PRICE"])
    ink = (255, 255, 255) if colour != (250, 200, 0) else (20, 20, 20)
    draw.text((int(w * 0.05), top + band // 6), text, font=_font(int(band * 0.62)), fill=ink)
    if rng.random() < 0.5:  # and a price burst in a corner
        r = int(w * rng.uniform(0.09, 0.13))
        cx, cy = (w - r - 8, r + 8) if top != 0 else (w - r - 8, h - r - 8)
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=(230, 20, 30))
        draw.text((cx - r * 0.7, cy - r * 0.35), rng.choice(["SALE", "-50%", "HOT"]), font=_font(int(r * 0.6)), fill=(255, 255, 255))


def _draw_lookbook(size: int) -> Image.Image:
    """A landscape cover shot: mountains, a hiker in the parka, the season's headline."""
    rng = random.Random("lookbook")
    y = _axis(size)[:, None, None]  # a column: the sky changes only downwards
    sky = np.array([255, 176, 120]) * y + np.array([70, 110, 170]) * (1 - y)
    img = Image.fromarray(np.ascontiguousarray(np.broadcast_to(np.clip(sky, 0, 255).astype(np.uint8), (size, size, 3))), "RGB")
    draw = ImageDraw.Draw(img)
    s = size
    for layer, (col, base, amp) in enumerate([((92, 96, 128), 0.55, 0.3), ((60, 70, 96), 0.68, 0.22),
                                                ((38, 52, 60), 0.82, 0.12)]):
        pts = [(0, s)]
        x = 0.0
        while x <= 1.05:
            pts.append((x * s, (base - amp * abs(math.sin(x * (3 + layer) + layer * 1.7)) * rng.uniform(0.7, 1.0)) * s))
            x += 0.05
        pts.append((s, s))
        draw.polygon(pts, fill=col)
        if layer == 0:  # snow on the far ridge
            for (px, py) in pts[1:-1]:
                if py < (base - amp * 0.7) * s:
                    draw.polygon([(px - 0.03 * s, py + 0.04 * s), (px, py), (px + 0.03 * s, py + 0.04 * s)], fill=(240, 240, 245))
    canvas = _Canvas(img, rng, scale=0.42, dx=0.12, dy=0.22, tilt=0.0, mirror=False)
    canvas.part("line", ([(0.42, 0.85), (0.4, 1.2)], 0.07), (40, 40, 50))                   # legs
    canvas.part("line", ([(0.58, 0.85), (0.62, 1.2)], 0.07), (40, 40, 50))
    _draw_parka(canvas, _hsv(*_BRAND_COLOURS["parka"]), logo=True)
    canvas.part("ellipse", (0.5, 0.2, 0.06, 0.065), (225, 180, 150))                        # face
    draw = ImageDraw.Draw(canvas.img)
    draw.text((0.06 * s, 0.06 * s), "NORVIK", font=_font(int(0.12 * s)), fill=(255, 255, 255))
    draw.text((0.065 * s, 0.2 * s), "AUTUMN / WINTER", font=_font(int(0.045 * s)), fill=(255, 240, 225))
    return _grain(canvas.img, rng, 3.0)


# The brand asset files and what draws each.
ASSET_FILES: dict[str, str] = {
    "parka.jpg": "parka", "boot.jpg": "boot", "backpack.jpg": "backpack", "down-jacket.jpg": "down-jacket",
    "bottle.jpg": "bottle", "tent.jpg": "tent", "lookbook.jpg": "lookbook",
}

_AUTHORISATION_LETTER = """\
Norvik Outdoor AB
Sveavägen 44, 111 34 Stockholm, Sweden

Stockholm, 2 January 2026

To whom it may concern,

Norvik Outdoor AB, the owner of the NORVIK, TRAILFORGE and SUMMIT SERIES trade marks and of
the copyright in the Norvik product and lookbook photographs, hereby authorises
Lindqvist & Berg Advokatbyrå KB, Birger Jarlsgatan 12, 114 34 Stockholm, Sweden, to act on
its behalf in the enforcement of these rights, including sending notices of infringement and
takedown requests to online marketplaces, hosting providers and domain registrars.

This authorisation is valid until revoked in writing.

Ingrid Dahl
Head of Brand Protection, Norvik Outdoor AB
brand-protection@norvik.example
"""


def make_brand_assets(out_dir: Path) -> list[Path]:
    """Draw the demo brand's logo, product photos and lookbook into `out_dir`; return the paths.

    Deterministic: the committed files under examples/demo-brand/assets were made by this.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    logo = _logo_image((28, 58, 48), 600)
    logo_path = out_dir / "logo.png"
    logo.save(logo_path, optimize=True)
    written.append(logo_path)
    for name, kind in ASSET_FILES.items():
        if kind == "lookbook":
            img = _draw_lookbook(ASSET_SIZE)
        else:
            img = _draw_product(kind, size=ASSET_SIZE, seed=0, style="studio", hue=None, brand=True)
        path = out_dir / name
        img.save(path, "JPEG", quality=JPEG_QUALITY, optimize=True)
        written.append(path)
    letter = out_dir / "authorisation-letter.txt"
    letter.write_text(_AUTHORISATION_LETTER, encoding="utf-8")
    written.append(letter)
    figure = out_dir / DESIGN_FIGURE
    design_figure().save(figure, optimize=True)
    written.append(figure)
    with Image.open(out_dir / "bottle.jpg") as bottle:
        video = out_dir / PRODUCT_VIDEO
        video.write_bytes(_video_bytes(bottle.convert("RGB"), 0))
        written.append(video)
    return written


# --------------------------------------------------------------------------------------------
# Listing images


@lru_cache(maxsize=16)
def _load_asset(path: str) -> Image.Image:
    with Image.open(path) as img:
        return img.convert("RGB")


def _watermark(img: Image.Image, rng: random.Random) -> Image.Image:
    text = rng.choice(["TOP-QUALITY-STORE", "best.replica.example", "© OUTDOOR DEALS", "WHOLESALE 888",
                       "outdoor-factory.example"])
    w, h = img.size
    layer = Image.new("RGBA", img.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    font = _font(max(12, w // 14))
    if rng.random() < 0.5:  # tiled diagonally across the photo
        tile = Image.new("RGBA", (w, h // 5), (0, 0, 0, 0))
        ImageDraw.Draw(tile).text((10, 5), text, font=font, fill=(255, 255, 255, 110))
        for k in range(-1, 6):
            layer.alpha_composite(tile.rotate(25, expand=False), (0, k * h // 5))
    else:  # a corner stamp
        draw.text((int(w * 0.04), int(h * 0.88)), text, font=font, fill=(220, 30, 30, 190))
    out = img.convert("RGBA")
    out.alpha_composite(layer)
    return out.convert("RGB")


def _collage(img: Image.Image, rng: random.Random) -> Image.Image:
    # the stolen photo keeps at least a quarter of the collage, next to the seller's own shots
    size = img.size[0]
    out = Image.new("RGB", (size, size), (255, 255, 255))
    if rng.random() < 0.5:
        half = size // 2
        cells = [(0, 0), (half, 0), (0, half), (half, half)]
        own = rng.randrange(4)
        for k, (x, y) in enumerate(cells):
            if k == own:
                tile = img.resize((half, half), Image.LANCZOS)
            else:
                kind = rng.choice(DRAWN_KINDS)
                tile = _draw_product(kind, size=half, seed=rng.randrange(10**6), style="cheap", hue=None, brand=False)
            out.paste(tile, (x, y))
    else:
        big = int(size * 0.62)
        out.paste(img.resize((big, big), Image.LANCZOS), (0, (size - big) // 2))
        small = size - big
        for k in range(2):
            kind = rng.choice(DRAWN_KINDS)
            tile = _draw_product(kind, size=small, seed=rng.randrange(10**6), style="cheap", hue=None, brand=False)
            out.paste(tile, (big, k * small if k == 0 else size - small))
    return out


def _apply(img: Image.Image, name: str, rng: random.Random) -> Image.Image:
    w, h = img.size
    if name == "resized":
        f = rng.uniform(0.35, 0.9)
        return img.resize((max(32, int(w * f)), max(32, int(h * f))), Image.LANCZOS)
    if name == "recompress":  # what an authorised reseller's CMS does to the official photo
        return img.resize((LISTING_SIZE, LISTING_SIZE), Image.LANCZOS)
    if name == "cropped":
        box = (int(w * rng.uniform(0.03, 0.2)), int(h * rng.uniform(0.03, 0.2)),
               int(w * (1 - rng.uniform(0.03, 0.2))), int(h * (1 - rng.uniform(0.03, 0.2))))
        return img.crop(box)
    if name == "padded":
        f = rng.uniform(1.2, 1.6)
        canvas = Image.new("RGB", (int(w * f), int(h * rng.uniform(1.0, f))), _hsv(rng.random(), 0.1, rng.uniform(0.85, 1)))
        canvas.paste(img, (rng.randrange(canvas.width - w + 1), rng.randrange(canvas.height - h + 1)))
        return canvas
    if name == "mirrored":
        return ImageOps.mirror(img)
    if name == "watermarked":
        return _watermark(img, rng)
    if name == "collaged":
        return _collage(img, rng)
    if name == "rotated":
        angle = rng.choice([90, 270, rng.uniform(3, 12), -rng.uniform(3, 12)])
        return img.rotate(angle, expand=True, resample=Image.BICUBIC, fillcolor=(255, 255, 255))
    raise ValueError(f"unknown image transform {name!r}")


def _encode(img: Image.Image, quality: int) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality)
    return buf.getvalue()


@lru_cache(maxsize=2048)
def render_image(recipe: ImageRecipe, assets_dir: str) -> bytes:
    """The JPEG bytes of one listing image; cached in memory, since the crawler asks for the
    same ones often (cached_render keeps them on disk between runs)."""
    rng = random.Random(f"{recipe.kind}/{recipe.source}/{recipe.seed}")
    if recipe.kind == "asset":
        img = _load_asset(str(Path(assets_dir) / recipe.source)).copy()
        for name in recipe.transforms:
            img = _apply(img, name, rng)
        # sellers re-upload, so every stolen photo is re-encoded at the marketplace's own quality
        return _encode(img, rng.choice([75, 82, 90]))
    if recipe.kind in ("drawn", "corrupt"):
        img = _draw_product(recipe.source, size=recipe.size, seed=recipe.seed, style=recipe.style,
                            hue=recipe.hue, brand=False)
        data = _encode(img, 85)
        if recipe.kind == "corrupt":
            # an upload cut off mid-transfer: a valid header, then nothing
            return data[: len(data) * 2 // 5]
        return data
    if recipe.kind == "design":
        return render_design_photo(recipe.source, recipe.seed, recipe.size)
    raise ValueError(f"unknown image recipe kind {recipe.kind!r}")


@lru_cache(maxsize=1)
def _drawing_version() -> str:
    """Digest of what decides an image's pixels: this module's code and the libraries that
    draw, blur and encode."""
    digest = hashlib.sha256(Path(__file__).read_bytes())
    digest.update(f"{Image.__version__}/{np.__version__}".encode())
    return digest.hexdigest()[:16]


@lru_cache(maxsize=64)
def _file_digest(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def cached_render(recipe: ImageRecipe, assets_dir: str, cache: Path | None) -> bytes:
    """render_image's bytes, kept in `cache` (a folder) once drawn: drawing costs about 60 ms
    of CPU a photo, the demo's 626 photos most of a minute of a core, on every run. The key
    is the recipe, the asset file it transforms and the drawing code's version, so a changed
    recipe or drawing is drawn afresh. A cache that cannot be written is passed over."""
    if cache is None:
        return render_image(recipe, assets_dir)
    key = hashlib.sha256(repr(recipe).encode())
    if recipe.kind == "asset":
        key.update(_file_digest(str(Path(assets_dir) / recipe.source)).encode())
    path = cache / _drawing_version() / f"{key.hexdigest()}.img"
    try:
        return path.read_bytes()
    except OSError:
        pass
    data = render_image(recipe, assets_dir)
    try:
        if not path.parent.is_dir():
            # Photos drawn by other drawing code are never read again: a new version's first
            # photo clears them, so the folder holds one demo's photos (about 35 MB).
            for stale in cache.glob("*"):
                if stale.is_dir():
                    shutil.rmtree(stale, ignore_errors=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)  # whole or absent, also with two markets drawing at once
    except OSError:
        pass
    return data


# --------------------------------------------------------------------------------------------
# Product videos (issue 15): the brand's own video of the Kvist bottle, and listings' videos
# that copy it or show the seller's own product. A few seconds of frames drawn from a still,
# slowly zoomed and panned, encoded with PyAV (its wheels ship the encoders).

PRODUCT_VIDEO = "bottle-video.mp4"
_VIDEO_SIZE, _VIDEO_FPS, _VIDEO_FRAMES = 320, 8, 24


def _video_bytes(still: Image.Image, seed: int) -> bytes:
    import io

    import av

    rng = random.Random(seed)
    buf = io.BytesIO()
    # bitexact and one thread: the same frames give the same bytes (the committed asset).
    with av.open(buf, mode="w", format="mp4", options={"fflags": "+bitexact"}) as out:
        # FFmpeg's own MPEG-4 encoder (x264 threads its rate control and differs run to run).
        stream = out.add_stream("mpeg4", rate=_VIDEO_FPS, options={"threads": "1", "flags": "+bitexact"})
        stream.width = stream.height = _VIDEO_SIZE
        stream.pix_fmt = "yuv420p"
        stream.bit_rate = 600_000
        w, h = still.size
        dx, dy = rng.uniform(-0.05, 0.05), rng.uniform(-0.05, 0.05)
        for i in range(_VIDEO_FRAMES):
            zoom = 1.0 + 0.15 * i / _VIDEO_FRAMES
            cw, ch = w / zoom, h / zoom
            cx, cy = w / 2 + dx * w * i / _VIDEO_FRAMES, h / 2 + dy * h * i / _VIDEO_FRAMES
            box = (max(0, cx - cw / 2), max(0, cy - ch / 2), min(w, cx + cw / 2), min(h, cy + ch / 2))
            frame = still.crop(tuple(round(v) for v in box)).resize((_VIDEO_SIZE, _VIDEO_SIZE))
            for packet in stream.encode(av.VideoFrame.from_image(frame)):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return buf.getvalue()


def render_video(source: str, seed: int, assets_dir: str) -> bytes:
    """A listing's video: "asset:NAME" re-films the brand's photo NAME (a copy of its video),
    any other source is a drawn product of that kind (the seller's own)."""
    if source.startswith("asset:"):
        still = _load_asset(str(Path(assets_dir) / source.removeprefix("asset:"))).convert("RGB")
    else:
        still = _draw_product(source, size=ASSET_SIZE, seed=seed, style="studio", hue=None, brand=False)
    return _video_bytes(still, seed)


# --------------------------------------------------------------------------------------------
# A registered design (issue 15): the Norvik Hogg camp hatchet's shape, as the registration's
# line drawing and as sellers' photos of hatchets of that shape or of other proportions. Kept
# apart from the drawn kinds above, so the rest of the market's pictures are unchanged.

DESIGN_FIGURE = "design-hogg-hatchet.png"
# "hatchet" is the registered shape; the others are other makers' hatchets, close but not it.
DESIGN_SHAPES = ("hatchet", "hatchet-broad", "hatchet-long")


def _hatchet(shape: str) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
    """(head, handle) outlines in unit coordinates: a bearded head with a long toe, and a
    handle that flares into a hooked knob."""
    beard, length = {"hatchet": (1.0, 1.0), "hatchet-broad": (1.9, 0.8), "hatchet-long": (0.55, 1.35)}[shape]
    head = [(0.44, 0.1), (0.58, 0.1), (0.6, 0.2), (0.56, 0.24), (0.44, 0.24),
            (0.4, 0.24 + 0.09 * beard), (0.24, 0.3 + 0.12 * beard), (0.2, 0.19), (0.26, 0.12)]
    bottom = 0.1 + 0.82 * length if length <= 1.0 else 0.92
    top = 0.24
    span = bottom - top
    handle = [(0.47, top), (0.55, top), (0.56, top + 0.5 * span), (0.6, top + 0.9 * span),
              (0.66, bottom), (0.5, bottom), (0.49, top + 0.88 * span), (0.46, top + 0.5 * span)]
    return head, handle


def design_figure(size: int = ASSET_SIZE) -> Image.Image:
    """The registration's figure: the hatchet in black lines on white, with its bevel and the
    handle's grain drawn in."""
    img = Image.new("RGB", (size, size), "white")
    draw = ImageDraw.Draw(img)
    head, handle = _hatchet("hatchet")
    width = max(2, size // 220)
    for outline in (handle, head):
        pts = [(x * size, y * size) for x, y in outline]
        draw.polygon(pts, fill="white")
        draw.line(pts + pts[:1], fill="black", width=width)
    draw.line([(0.27 * size, 0.15 * size), (0.25 * size, 0.27 * size)], fill="black", width=max(1, width // 2))
    draw.line([(0.51 * size, 0.3 * size), (0.52 * size, 0.7 * size)], fill="black", width=max(1, width // 2))
    return img


def _draw_design(shape: str, *, size: int, seed: int) -> Image.Image:
    """A seller's photo of a hatchet of `shape`: its own framing, turn and ground."""
    rng = random.Random(f"design/{shape}/{seed}")
    layout = dict(scale=rng.uniform(0.6, 0.85), dx=rng.uniform(-0.08, 0.08), dy=rng.uniform(-0.05, 0.05),
                  tilt=rng.uniform(-12, 12), mirror=rng.random() < 0.5)
    img = _background(size, rng.choice(["paper", "cheap", "studio"]), rng)
    canvas = _Canvas(img, rng, **layout)  # type: ignore[arg-type]
    head, handle = _hatchet(shape)
    canvas.shadow(0.5, 0.9, 0.2, 0.025)
    canvas.part("poly", handle, _hsv(rng.uniform(0.05, 0.1), rng.uniform(0.4, 0.7), rng.uniform(0.45, 0.7)), rim=0.4)
    canvas.part("poly", head, _hsv(0.58, 0.05, rng.uniform(0.35, 0.55)), rim=0.5, gloss=0.4)
    return _grain(canvas.img, rng, 3.5)


def render_design_photo(shape: str, seed: int, size: int = LISTING_SIZE) -> bytes:
    """The JPEG bytes of a seller's photo of a hatchet of `shape` (one of DESIGN_SHAPES)."""
    if shape not in DESIGN_SHAPES:
        raise ValueError(f"unknown design shape {shape!r}")
    return _encode(_draw_design(shape, size=size, seed=seed), 85)
