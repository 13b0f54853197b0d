"""Tests for matchers.image: each kind of altered copy is found, each guard holds.

Real photos come from scikit-image's wheel (and ../shared when present); the alterations
are made here with Pillow/numpy, independently of the matcher's code.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw, ImageFont

from matchers.errors import (
    ImageBlankError,
    ImageDecodeError,
    ImageError,
    ImageTooLargeError,
    MatcherConfigError,
    OcrUnavailableError,
)
from matchers.image import ImageHit, ImageIndex, hash_distance, hash_image, read_marks, read_text

skdata = pytest.importorskip("skimage.data", reason="scikit-image (dev extra) ships the real test photos")

SHARED_IMAGES = Path(__file__).resolve().parents[2] / "shared" / "data" / "images"
needs_shared = pytest.mark.skipif(not SHARED_IMAGES.is_dir(), reason="../shared/data/images is not present")

SLOW = settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _rgb(arr: np.ndarray) -> Image.Image:
    if arr.ndim == 2:
        arr = np.stack([arr] * 3, axis=2)
    return Image.fromarray(np.ascontiguousarray(arr[:, :, :3]).astype(np.uint8))


ASSETS = {name: _rgb(getattr(skdata, name)()) for name in ("astronaut", "chelsea", "coffee", "rocket", "camera")}
DISTRACTORS = {name: _rgb(getattr(skdata, name)()) for name in ("coins", "hubble_deep_field", "immunohistochemistry", "clock", "grass")}


def _jpeg(img: Image.Image, quality: int = 85) -> bytes:
    buf = io.BytesIO()
    img.convert("RGB").save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def _logo() -> Image.Image:
    img = Image.new("RGB", (420, 180), "white")
    d = ImageDraw.Draw(img)
    d.ellipse((10, 20, 150, 160), fill=(200, 20, 30))
    d.polygon([(80, 35), (135, 135), (25, 135)], fill="white")
    d.text((165, 62), "ZENTRAX", font=ImageFont.load_default(size=46), fill=(200, 20, 30))
    return img


@pytest.fixture(scope="module")
def index() -> ImageIndex:
    idx = ImageIndex()
    for name, img in ASSETS.items():
        idx.add(name, _jpeg(img, 92))
    idx.add("zentrax-logo", _logo(), kind="logo")
    return idx


def keys(hits: list[ImageHit]) -> list[str]:
    return [h.key for h in hits]


# -- altered copies are found ------------------------------------------------------------

@pytest.mark.parametrize("name", list(ASSETS))
def test_exact_copy_is_the_best_hit_with_whole_image_region(index: ImageIndex, name: str) -> None:
    hits = index.query(_jpeg(ASSETS[name]))
    assert hits and hits[0].key == name and hits[0].method == "phash"
    assert hits[0].region == (0, 0, *ASSETS[name].size)
    assert all(0.0 <= h.score <= 1.0 for h in hits)


@SLOW
@given(name=st.sampled_from(list(ASSETS)), side=st.integers(64, 400), quality=st.integers(20, 90))
def test_resized_and_recompressed(index: ImageIndex, name: str, side: int, quality: int) -> None:
    img = ASSETS[name].copy()
    img.thumbnail((side, side))
    assert name in keys(index.query(_jpeg(img, quality)))


@SLOW
@given(name=st.sampled_from(list(ASSETS)), cuts=st.tuples(*[st.floats(0.0, 0.2)] * 4))
def test_crop_up_to_a_fifth_per_side(index: ImageIndex, name: str, cuts: tuple[float, ...]) -> None:
    img = ASSETS[name]
    w, h = img.size
    box = (round(cuts[0] * w), round(cuts[1] * h), w - round(cuts[2] * w), h - round(cuts[3] * h))
    assert name in keys(index.query(_jpeg(img.crop(box))))


@SLOW
@given(name=st.sampled_from(list(ASSETS)), grow=st.floats(1.1, 1.8), fx=st.floats(0, 1), fy=st.floats(0, 1),
       colour=st.tuples(*[st.integers(0, 255)] * 3))
def test_padded_onto_a_larger_canvas(index: ImageIndex, name: str, grow: float, fx: float, fy: float,
                                     colour: tuple[int, int, int]) -> None:
    img = ASSETS[name]
    canvas = Image.new("RGB", (round(img.width * grow), round(img.height * grow)), colour)
    canvas.paste(img, (round(fx * (canvas.width - img.width)), round(fy * (canvas.height - img.height))))
    assert name in keys(index.query(_jpeg(canvas)))


@pytest.mark.parametrize("op", [Image.Transpose.FLIP_LEFT_RIGHT, Image.Transpose.ROTATE_90,
                                Image.Transpose.ROTATE_180, Image.Transpose.ROTATE_270, Image.Transpose.FLIP_TOP_BOTTOM])
def test_mirror_and_right_angle_rotations(index: ImageIndex, op: Image.Transpose) -> None:
    for name, img in ASSETS.items():
        assert name in keys(index.query(_jpeg(img.transpose(op))))


@SLOW
@given(name=st.sampled_from(list(ASSETS)), angle=st.floats(-10, 10))
def test_small_rotation(index: ImageIndex, name: str, angle: float) -> None:
    assert name in keys(index.query(_jpeg(ASSETS[name].rotate(angle, resample=Image.Resampling.BILINEAR))))


@pytest.mark.parametrize("name", list(ASSETS))
def test_text_and_watermark_overlays(index: ImageIndex, name: str) -> None:
    img = ASSETS[name].convert("RGBA")
    layer = Image.new("RGBA", img.size, (0, 0, 0, 0))
    d = ImageDraw.Draw(layer)
    size = img.height // 9
    for y in range(0, img.height, size * 2):
        d.text((0, y), "SALE  -70%  SALE", font=ImageFont.load_default(size=size), fill=(255, 255, 255, 110))
    d.text((10, 10), "BEST PRICE", font=ImageFont.load_default(size=size), fill=(255, 230, 0, 255))
    assert name in keys(index.query(_jpeg(Image.alpha_composite(img, layer))))


@SLOW
@given(name=st.sampled_from(list(ASSETS)), gain=st.floats(0.6, 1.4), bias=st.floats(-50, 50),
       channels=st.permutations([0, 1, 2]))
def test_colour_brightness_contrast(index: ImageIndex, name: str, gain: float, bias: float, channels: list[int]) -> None:
    arr = np.asarray(ASSETS[name]).astype(np.float32)[:, :, channels]
    arr = np.clip((arr - 128) * gain + 128 + bias, 0, 255).astype(np.uint8)
    assert name in keys(index.query(_jpeg(Image.fromarray(arr))))


@pytest.mark.parametrize("name", list(ASSETS))
def test_grayscale(index: ImageIndex, name: str) -> None:
    assert name in keys(index.query(_jpeg(ASSETS[name].convert("L"))))


@SLOW
@given(name=st.sampled_from(list(ASSETS)), stretch=st.floats(1.2, 1.8), horizontal=st.booleans())
def test_stretched_aspect_ratio(index: ImageIndex, name: str, stretch: float, horizontal: bool) -> None:
    img = ASSETS[name]
    size = (round(img.width * stretch), img.height) if horizontal else (img.width, round(img.height * stretch))
    assert name in keys(index.query(_jpeg(img.resize(size))))


@pytest.mark.parametrize("slot", range(4))
def test_collage_quarter_with_region_in_its_cell(index: ImageIndex, slot: int) -> None:
    names = list(ASSETS)
    name = names[slot]
    fill = iter(DISTRACTORS.values())
    canvas = Image.new("RGB", (640, 640), "white")
    for n in range(4):
        tile = (ASSETS[name] if n == slot else next(fill)).copy()
        tile.thumbnail((314, 314))
        canvas.paste(tile, ((n % 2) * 320 + 3, (n // 2) * 320 + 3))
    hits = [h for h in index.query(_jpeg(canvas)) if h.key == name]
    assert hits, f"{name} not found in cell {slot}"
    x0, y0, x1, y1 = hits[0].region
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    assert (int(cx // 320), int(cy // 320)) == (slot % 2, slot // 2)
    assert set(keys(index.query(_jpeg(canvas)))) <= set(ASSETS)


@SLOW
@given(scale=st.floats(0.2, 0.35), fx=st.floats(0, 1), fy=st.floats(0, 1), photo=st.sampled_from(list(DISTRACTORS)),
       skew=st.floats(0.0, 0.08))
def test_logo_inside_product_photo(index: ImageIndex, scale: float, fx: float, fy: float, photo: str, skew: float) -> None:
    base = DISTRACTORS[photo].copy()
    base = base.resize((800, round(800 * base.height / base.width)))
    logo = _logo()
    w, h = logo.size
    # Perspective: pull the right edge in vertically (a coefficient map for Image.transform).
    dy = skew * h
    quad = (0, 0, 0, h, w, h + dy, w, -dy)
    logo = logo.transform((w, h), Image.Transform.QUAD, quad, fillcolor="white")
    tw = round(base.width * scale)
    logo = logo.resize((tw, round(h * tw / w)))
    x, y = round(fx * (base.width - logo.width)), round(fy * (base.height - logo.height))
    base.paste(logo, (x, y))
    ImageDraw.Draw(base).rectangle((x + tw // 2, y + logo.height // 2, x + tw // 2 + tw // 8, y + logo.height + 20),
                                   fill=(180, 140, 110))  # something in front of it
    hits = [h for h in index.query(_jpeg(base)) if h.key == "zentrax-logo"]
    # Found, and where; by keypoints as a rule, though a logo that fills a corner window can
    # also be found by that window's hash, which is as good an answer.
    assert hits and hits[0].region is not None
    rx0, ry0, rx1, ry1 = hits[0].region
    assert rx0 < x + logo.width and x < rx1 and ry0 < y + logo.height and y < ry1


Box = tuple[int, int, int, int]


def _logo_in_photo(logo: Image.Image, photo: str, scale: float, fx: float, fy: float) -> tuple[Image.Image, Box]:
    base = DISTRACTORS[photo].copy()
    base = base.resize((800, round(800 * base.height / base.width)))
    tw = round(base.width * scale)
    logo = logo.resize((tw, round(logo.height * tw / logo.width)))
    x, y = round(fx * (base.width - logo.width)), round(fy * (base.height - logo.height))
    base.paste(logo, (x, y))
    return base, (x, y, x + logo.width, y + logo.height)


def _overlaps(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


@SLOW
@given(scale=st.floats(0.2, 0.35), fx=st.floats(0, 1), fy=st.floats(0, 1), photo=st.sampled_from(list(DISTRACTORS)))
def test_mirrored_logo_inside_product_photo(index: ImageIndex, scale: float, fx: float, fy: float, photo: str) -> None:
    # ORB descriptors are not mirror-invariant: a flipped logo is found through its own features.
    query, box = _logo_in_photo(_logo().transpose(Image.Transpose.FLIP_LEFT_RIGHT), photo, scale, fx, fy)
    hits = [h for h in index.query(_jpeg(query)) if h.key == "zentrax-logo"]
    # Found, and where (by keypoints as a rule; a corner window's hash is as good an answer).
    assert hits and hits[0].region is not None and _overlaps(hits[0].region, box)


def test_mirrored_logo_survives_save_and_load(index: ImageIndex, tmp_path: Path) -> None:
    index.save(tmp_path / "brand.npz")
    loaded = ImageIndex.load(tmp_path / "brand.npz")
    query, box = _logo_in_photo(_logo().transpose(Image.Transpose.FLIP_LEFT_RIGHT), "coins", 0.3, 0.4, 0.5)
    hits = loaded.query(_jpeg(query))
    assert hits == index.query(_jpeg(query))
    assert "zentrax-logo" in keys(hits)


def _wordmark(word: str, colour: tuple[int, int, int], emblem: str) -> Image.Image:
    img = Image.new("RGB", (420, 180), "white")
    d = ImageDraw.Draw(img)
    if emblem == "bars":
        for k in range(5):
            d.rectangle((15 + 12 * k, 25 + 26 * k, 150 - 10 * k, 42 + 26 * k), fill=colour)
    else:
        d.regular_polygon((80, 90, 70), 6, fill=colour)
    d.text((165, 62), word, font=ImageFont.load_default(size=44), fill=colour)
    return img


@SLOW
@given(scale=st.floats(0.2, 0.35), fx=st.floats(0, 1), fy=st.floats(0, 1), photo=st.sampled_from(list(DISTRACTORS)),
       mirror=st.booleans())
def test_logo_sharing_a_typeface_is_not_mistaken_for_another(
    scale: float, fx: float, fy: float, photo: str, mirror: bool
) -> None:
    # Same typeface, colour and layout, several shared capitals: only the logo shown may be named.
    idx = ImageIndex()
    idx.add("nordholt", _wordmark("NORDHOLT", (20, 120, 40), "bars"), kind="logo")
    idx.add("tornado", _wordmark("TORNADO", (20, 120, 40), "hexagon"), kind="logo")
    logo = _wordmark("NORDHOLT", (20, 120, 40), "bars")
    if mirror:
        logo = logo.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    query, box = _logo_in_photo(logo, photo, scale, fx, fy)
    found = idx.query(_jpeg(query))
    assert "tornado" not in keys(found)
    assert "nordholt" in keys(found)


def _house_names(n: int) -> list[str]:
    """Made-up marks of 6-9 capitals, drawn from a few letters so that they share many."""
    rng = np.random.default_rng(17)
    letters, out = list("AEIORNSTLDKMV"), []
    while len(out) < n:
        word = "".join(rng.choice(letters, rng.integers(6, 10)))
        if word not in out:
            out.append(word)
    return out


def _house_wordmark(word: str) -> Image.Image:
    """A plain wordmark in the house typeface and colour: nothing but its letters tells it apart."""
    img = Image.new("RGB", (600, 140), "white")
    ImageDraw.Draw(img).text((18, 20), word, font=ImageFont.load_default(size=80), fill=(30, 30, 90),
                             stroke_width=3, stroke_fill=(30, 30, 90))
    return img


HOUSE = _house_names(40)


@pytest.fixture(scope="module")
def house_index() -> ImageIndex:
    idx = ImageIndex()
    for word in HOUSE:
        idx.add(word, _house_wordmark(word), kind="logo")
    return idx


@SLOW
@given(shown=st.sampled_from(HOUSE), scale=st.floats(0.3, 0.45), fx=st.floats(0, 1), fy=st.floats(0, 1),
       angle=st.floats(-8, 8), photo=st.sampled_from(list(DISTRACTORS)))
def test_one_of_many_logos_in_a_house_typeface_is_found_and_named_alone(
    house_index: ImageIndex, shown: str, scale: float, fx: float, fy: float, angle: float, photo: str
) -> None:
    # A brand's many wordmarks set in one typeface share their letters: the one printed
    # (turned a little, as on goods) is found, and the others, which fit some of its
    # letters, are not named.
    logo = _house_wordmark(shown).rotate(angle, expand=True, fillcolor="white")
    query, box = _logo_in_photo(logo, photo, scale, fx, fy)
    logo_hits = [h for h in house_index.query(_jpeg(query)) if h.key in HOUSE]
    assert [h.key for h in logo_hits] == [shown]
    assert logo_hits[0].region is not None and _overlaps(logo_hits[0].region, box)


@pytest.mark.parametrize("name", list(DISTRACTORS))
def test_unrelated_photos_match_nothing(index: ImageIndex, name: str) -> None:
    img = DISTRACTORS[name]
    for variant in (img, img.transpose(Image.Transpose.FLIP_LEFT_RIGHT), img.crop((0, 0, img.width // 2, img.height))):
        assert index.query(_jpeg(variant)) == []


@needs_shared
def test_shared_mixed_images(tmp_path: Path) -> None:
    idx = ImageIndex()
    assert idx.add_many((p.stem, p) for p in sorted((SHARED_IMAGES / "base_images").glob("*.jpg"))) == []
    for suffix in ("hflip", "resize", "rotation"):
        assert "ukbench00120" in keys(idx.query(SHARED_IMAGES / "mixed_images" / f"ukbench00120_{suffix}.jpg"))
    assert "ukbench00120" in keys(idx.query(SHARED_IMAGES / "ukbench00120_gray.jpg"))
    for p in sorted((SHARED_IMAGES / "formats_images").glob("ukbench09380.*")):
        assert keys(idx.query(p))[:1] == ["ukbench09380"], p.name
    results = idx.query_many([SHARED_IMAGES / "mixed_images" / "ukbench09268_corrupt.jpg",
                              SHARED_IMAGES / "mixed_images" / "ukbench09268.jpg"])
    assert isinstance(results[0].error, ImageDecodeError) and results[0].hits == ()
    assert results[1].error is None and keys(list(results[1].hits))[:1] == ["ukbench09268"]


# -- guards --------------------------------------------------------------------------------

def _placeholder() -> Image.Image:
    img = Image.new("RGB", (400, 400), (238, 238, 238))
    d = ImageDraw.Draw(img)
    d.rectangle((150, 140, 250, 220), outline=(190, 190, 190), width=6)
    d.text((120, 260), "No image available", font=ImageFont.load_default(size=20), fill=(160, 160, 160))
    return img


@pytest.mark.parametrize("make", [
    lambda: Image.new("RGB", (300, 300), "white"),
    lambda: Image.new("RGB", (500, 200), (12, 80, 200)),
    lambda: Image.fromarray((np.random.default_rng(0).normal(128, 2, (300, 300))).clip(0, 255).astype(np.uint8)),
    _placeholder,
    lambda: ASSETS["astronaut"].resize((16, 16)),
])
def test_blank_uniform_placeholder_and_tiny_match_nothing(index: ImageIndex, make) -> None:
    img = make()
    assert index.query(_jpeg(img)) == []
    with pytest.raises(ImageBlankError):
        ImageIndex().add("x", img)


def test_plain_backgrounds_with_strong_content_are_not_placeholders() -> None:
    # A wordmark or a small product on white is mostly background, like a placeholder,
    # but drawn in strong contrast: it must register and be found.
    idx = ImageIndex()
    wordmark = Image.new("RGB", (420, 120), "white")
    ImageDraw.Draw(wordmark).text((10, 25), "Kalvora", font=ImageFont.load_default(size=40), fill=(20, 60, 160))
    product = Image.new("RGB", (800, 800), "white")
    ImageDraw.Draw(product).ellipse((330, 300, 470, 520), fill=(30, 30, 30))
    ImageDraw.Draw(product).rectangle((385, 250, 415, 300), fill=(200, 40, 40))
    idx.add("wordmark", wordmark, kind="logo")
    idx.add("bottle", product)
    assert keys(idx.query(_jpeg(wordmark.resize((300, 86)))))[:1] == ["wordmark"]
    assert keys(idx.query(_jpeg(product.resize((500, 500)))))[:1] == ["bottle"]


def test_formats_modes_and_first_gif_frame(index: ImageIndex) -> None:
    img = ASSETS["chelsea"]
    cmyk = io.BytesIO()
    img.convert("CMYK").save(cmyk, "JPEG")
    palette = io.BytesIO()
    img.convert("P", palette=Image.Palette.ADAPTIVE).save(palette, "PNG")
    rgba = img.convert("RGBA")
    rgba.putalpha(255)
    gif = io.BytesIO()
    frames = [img.convert("P"), DISTRACTORS["coins"].resize(img.size).convert("P")]
    frames[0].save(gif, "GIF", save_all=True, append_images=frames[1:], duration=100)
    deep = Image.fromarray(np.asarray(img.convert("L")).astype(np.uint16) * 257)  # 16-bit grayscale
    for data in (cmyk.getvalue(), palette.getvalue(), rgba, gif.getvalue(), img.convert("LA"), deep):
        assert keys(index.query(data))[:1] == ["chelsea"]


def test_transparent_cutout_is_flattened_on_white() -> None:
    cut = Image.new("RGBA", (300, 300), (0, 0, 0, 0))
    cut.paste(ASSETS["coffee"].resize((200, 200)), (50, 50))
    on_white = Image.new("RGB", (300, 300), "white")
    on_white.paste(ASSETS["coffee"].resize((200, 200)), (50, 50))
    assert hash_distance(hash_image(cut), hash_image(on_white)) <= 2


def test_exif_orientation_is_applied() -> None:
    upright = ASSETS["rocket"]
    stored = upright.transpose(Image.Transpose.ROTATE_90)  # pixels as a camera stores them for orientation 6
    exif = Image.Exif()
    exif[0x0112] = 6
    buf = io.BytesIO()
    stored.save(buf, "JPEG", exif=exif.tobytes(), quality=90)
    assert hash_distance(hash_image(buf.getvalue()), hash_image(upright)) <= 4
    assert hash_distance(hash_image(_jpeg(stored)), hash_image(upright)) > 16


@pytest.mark.parametrize("data", [b"", b"not an image at all", _jpeg(ASSETS["camera"])[:600], b"\x89PNG\r\n\x1a\n" + b"\0" * 40])
def test_corrupt_and_truncated_files_raise_a_named_error(index: ImageIndex, data: bytes) -> None:
    with pytest.raises(ImageDecodeError):
        index.query(data)
    with pytest.raises(ImageDecodeError):
        hash_image(data)


def test_missing_file_and_wrong_type_raise_a_named_error(index: ImageIndex, tmp_path: Path) -> None:
    with pytest.raises(ImageDecodeError):
        index.query(tmp_path / "absent.jpg")
    with pytest.raises(ImageDecodeError):
        index.query(12345)  # type: ignore[arg-type]


def test_batch_records_per_image_errors_and_goes_on(index: ImageIndex) -> None:
    good = _jpeg(ASSETS["coffee"])
    results = index.query_many([good[:500], good, b"junk", good])
    assert [type(r.error) for r in results] == [ImageDecodeError, type(None), ImageDecodeError, type(None)]
    assert [keys(list(r.hits))[:1] for r in results] == [[], ["coffee"], [], ["coffee"]]
    failed = ImageIndex().add_many([("a", good), ("b", b"junk"), ("c", Image.new("RGB", (99, 99)))])
    assert [(k, type(e)) for k, e in failed] == [("b", ImageDecodeError), ("c", ImageBlankError)]


def test_decompression_bomb_is_refused() -> None:
    buf = io.BytesIO()
    Image.new("1", (12_000, 12_000)).save(buf, "PNG")  # 144 Mpx that compress to a few KB
    assert len(buf.getvalue()) < 100_000
    with pytest.raises(ImageTooLargeError):
        hash_image(buf.getvalue())
    with pytest.raises(ImageTooLargeError):
        ImageIndex(max_pixels=50_000).query(_jpeg(ASSETS["camera"]))  # 512x512 over a tight limit


def test_bad_keys_and_kinds_are_config_errors() -> None:
    with pytest.raises(MatcherConfigError):
        ImageIndex().add("", ASSETS["camera"])
    with pytest.raises(MatcherConfigError):
        ImageIndex().add("k", ASSETS["camera"], kind="banner")  # type: ignore[arg-type]


def test_every_image_error_is_an_image_error() -> None:
    assert issubclass(ImageDecodeError, ImageError) and issubclass(ImageTooLargeError, ImageError)
    assert issubclass(ImageBlankError, ImageError)


# -- hashing, persistence, OCR -------------------------------------------------------------

def test_hash_image_agrees_with_imagehash_phash() -> None:
    imagehash = pytest.importorskip("imagehash")
    for img in [*ASSETS.values(), *DISTRACTORS.values()]:
        ours = hash_image(_jpeg(img))
        assert len(ours) == 16
        assert hash_distance(ours, str(imagehash.phash(img))) <= 8


def test_hash_distance_properties() -> None:
    hashes = [hash_image(img) for img in [*ASSETS.values(), *DISTRACTORS.values()]]
    for a in hashes:
        assert hash_distance(a, a) == 0
        for b in hashes:
            assert hash_distance(a, b) == hash_distance(b, a) <= 64
    assert min(hash_distance(a, b) for i, a in enumerate(hashes) for b in hashes[i + 1:]) > 12


def test_save_and_load_round_trip(index: ImageIndex, tmp_path: Path) -> None:
    path = tmp_path / "brand.npz"
    index.save(path)
    loaded = ImageIndex.load(path)
    assert loaded.keys() == index.keys() and len(loaded) == len(index)
    in_photo = DISTRACTORS["coins"].resize((800, 631))
    in_photo.paste(_logo().resize((240, 103)), (300, 200))
    queries = (ASSETS["coffee"].transpose(Image.Transpose.FLIP_LEFT_RIGHT), ASSETS["rocket"].crop((60, 40, 600, 400)), in_photo)
    for img in queries:
        assert loaded.query(_jpeg(img)) == index.query(_jpeg(img))
    assert "zentrax-logo" in keys(loaded.query(_jpeg(in_photo)))


def test_load_rejects_a_file_that_is_not_an_index(tmp_path: Path) -> None:
    bogus = tmp_path / "x.npz"
    bogus.write_bytes(b"PK\x03\x04 definitely not numpy")
    with pytest.raises(MatcherConfigError):
        ImageIndex.load(bogus)
    with pytest.raises(MatcherConfigError):
        ImageIndex.load(tmp_path / "absent.npz")


def test_empty_index_finds_nothing_but_still_rejects_bad_input() -> None:
    assert ImageIndex().query(_jpeg(ASSETS["camera"])) == []
    with pytest.raises(ImageDecodeError):
        ImageIndex().query(b"junk")


def test_limit_and_score_cutoff(index: ImageIndex) -> None:
    canvas = Image.new("RGB", (640, 640), "white")
    for n, name in enumerate(["astronaut", "chelsea", "coffee", "rocket"]):
        tile = ASSETS[name].copy()
        tile.thumbnail((314, 314))
        canvas.paste(tile, ((n % 2) * 320 + 3, (n // 2) * 320 + 3))
    hits = index.query(_jpeg(canvas), limit=None)
    assert len(hits) >= 3 and [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert index.query(_jpeg(canvas), limit=2) == hits[:2]
    cut = hits[1].score
    assert all(h.score >= cut for h in index.query(_jpeg(canvas), score_cutoff=cut))


def test_ocr_reads_brand_words() -> None:
    pytest.importorskip("rapidocr_onnxruntime", reason="the OCR extra is not installed")
    img = ASSETS["coffee"].copy()
    ImageDraw.Draw(img).text((40, 60), "ZENTRAX", font=ImageFont.load_default(size=72), fill="white",
                             stroke_width=3, stroke_fill="black")
    words = read_text(_jpeg(img))
    found = [(t, box) for t, box in words if "ZENTRAX" in t.upper().replace(" ", "")]
    assert found
    x0, y0, x1, y1 = found[0][1]
    assert 0 <= x0 < 120 and 30 <= y1 and x1 > 200


def test_words_route_names_the_mark_with_its_region() -> None:
    pytest.importorskip("rapidocr_onnxruntime", reason="the OCR extra is not installed")
    from matchers.text import MarkMatcher

    img = ASSETS["coffee"].copy()
    draw = ImageDraw.Draw(img)
    draw.text((40, 60), "ZENTRAX", font=ImageFont.load_default(size=72), fill="white", stroke_width=3, stroke_fill="black")
    # A mark inside an e-mail address is a mailbox's name, not the product's mark.
    draw.text((40, 330), "shop@norvik.example", font=ImageFont.load_default(size=40), fill="white",
              stroke_width=2, stroke_fill="black")
    found = read_marks(_jpeg(img), MarkMatcher(["Zentrax", "Norvik"]))
    assert found.ran and any("norvik" in w.lower() for w, _box in found.words)
    assert [(h.key, h.method) for h in found.hits] == [("Zentrax", "words")]
    x0, y0, x1, y1 = found.hits[0].region
    assert x0 < 120 and y0 < 140 and y1 > 60 and x1 > 200
    assert read_marks(_jpeg(ASSETS["camera"]), MarkMatcher(["Zentrax"])).hits == ()


@pytest.mark.parametrize("photo", ["coins", "clock", "grass"])
def test_logo_views_share_one_key_and_the_inverted_file_finds_them(
        photo: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Several images of one logo are views of it, not rivals; past LOGO_IVF_MIN_ROWS the
    shared descriptor index is an inverted file, and it finds the same logo, with its region."""
    import matchers._keypoints as kp

    def build() -> ImageIndex:
        idx = ImageIndex()
        idx.add("nordholt", _wordmark("NORDHOLT", (20, 120, 40), "bars"), kind="logo")
        idx.add("nordholt", _wordmark("NORDHOLT", (20, 120, 40), "bars").rotate(8, fillcolor="white"), kind="logo")
        idx.add("tornado", _wordmark("TORNADO", (20, 120, 40), "hexagon"), kind="logo")
        idx.add("zentrax-logo", _logo(), kind="logo")
        return idx

    query, box = _logo_in_photo(_wordmark("NORDHOLT", (20, 120, 40), "bars"), photo, 0.3, 0.3, 0.6)
    flat = build()
    assert not isinstance(flat._bank.index(), kp.faiss.IndexIVF)
    monkeypatch.setattr(kp, "LOGO_IVF_MIN_ROWS", 64)
    ivf = build()
    assert isinstance(ivf._bank.index(), kp.faiss.IndexIVF)
    for idx in (flat, ivf):
        hits = idx.query(_jpeg(query))
        assert keys(hits) == ["nordholt"]
        assert hits[0].method == "keypoints" and hits[0].region is not None and _overlaps(hits[0].region, box)


def test_logo_too_plain_for_local_features_is_refused() -> None:
    plain = Image.new("RGB", (200, 100), "white")
    ImageDraw.Draw(plain).rectangle((0, 0, 99, 99), fill="black")
    with pytest.raises(ImageBlankError):
        ImageIndex().add("square", plain, kind="logo")


def test_ocr_absent_gives_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    import matchers.image as image_module

    monkeypatch.setattr(image_module, "_ocr_engine", None)
    monkeypatch.setitem(sys.modules, "rapidocr_onnxruntime", None)
    with pytest.raises(OcrUnavailableError, match=r"needs rapidocr-onnxruntime.*ocr: false"):
        read_text(_jpeg(ASSETS["camera"]))


def test_photo_votes_through_an_inverted_file_find_what_exhaustive_votes_find(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A large brand's photo votes search an inverted file rather than every descriptor; on
    copies only keypoints can find (rotated and cropped past what hashes survive) it finds
    the same assets, and a saved index keeps its cells."""
    import matchers._keypoints as kp

    queries = []
    for img in ASSETS.values():
        w, h = img.size
        turned = img.rotate(25, expand=True, fillcolor=(255, 255, 255))
        queries.append(_jpeg(turned.crop((int(w * 0.2), int(h * 0.2), int(w * 0.9), int(h * 0.85)))))

    def build() -> ImageIndex:
        idx = ImageIndex()
        for name, img in ASSETS.items():
            idx.add(name, _jpeg(img, 92))
        return idx

    exhaustive = build()
    assert type(exhaustive._pool.index()).__name__ == "IndexBinaryFlat"  # built now, while the brand is small
    monkeypatch.setattr(kp, "IVF_MIN_ROWS", 500)  # this brand's ~1000 pooled rows count as large
    inverted = build()
    assert type(inverted._pool.index()).__name__ == "IndexBinaryIVF"
    found = [exhaustive.query(q) for q in queries]
    assert sum(any(h.method == "keypoints" for h in hits) for hits in found) >= 3  # the vote is what finds them
    assert [inverted.query(q) for q in queries] == found
    inverted.save(tmp_path / "big.npz")
    loaded = ImageIndex.load(tmp_path / "big.npz")
    cells = inverted._pool.centroids()
    assert len(cells) > 1 and np.array_equal(loaded._pool.centroids(), cells)  # reused, not retrained
    assert [loaded.query(q) for q in queries] == found
