"""Turn whatever a caller hands us (path, bytes, file object, PIL image) into a plain RGB image.

Every failure leaves as ImageDecodeError or ImageTooLargeError, never as a Pillow exception.
"""

from __future__ import annotations

import io
import os
import warnings
from typing import IO, Union

import numpy as np
from PIL import Image, ImageOps

from matchers.errors import ImageDecodeError, ImageTooLargeError

__all__ = ["ImageSource", "DEFAULT_MAX_PIXELS", "open_image"]

ImageSource = Union[str, os.PathLike, bytes, bytearray, memoryview, IO[bytes], Image.Image]

# Our own limit, well under Pillow's global bomb threshold (~89 Mpx), so we never depend on
# (or mutate) process-wide Pillow state that other code may have changed.
DEFAULT_MAX_PIXELS = 40_000_000


def _describe(source: object) -> str:
    if isinstance(source, (str, os.PathLike)):
        return os.fspath(source)
    return type(source).__name__


def _open(source: ImageSource) -> Image.Image:
    if isinstance(source, (bytes, bytearray, memoryview)):
        fp: IO[bytes] = io.BytesIO(bytes(source))
    elif isinstance(source, (str, os.PathLike)):
        try:
            with open(source, "rb") as fh:
                fp = io.BytesIO(fh.read())
        except OSError as exc:
            raise ImageDecodeError(f"cannot read image file {_describe(source)}: {exc.strerror or exc}") from exc
    elif hasattr(source, "read"):
        fp = source  # type: ignore[assignment]
    else:
        raise ImageDecodeError(f"not an image source: {type(source).__name__}")
    with warnings.catch_warnings():
        # Pillow only warns below twice its limit; we want a refusal, not a warning.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            return Image.open(fp)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise ImageTooLargeError(f"refused as a decompression bomb: {exc}") from exc
        except Exception as exc:  # Pillow raises many unrelated types for hostile bytes
            raise ImageDecodeError(f"not a decodable image ({_describe(source)}): {exc}") from exc


def _to_rgb(img: Image.Image) -> Image.Image:
    mode = img.mode
    if mode == "RGB":
        return img
    if mode == "P":
        img = img.convert("RGBA" if "transparency" in img.info else "RGB")
        mode = img.mode
    if mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        # Cut-out product shots are shown on white by every marketplace.
        rgba = img.convert("RGBA")
        canvas = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(canvas, rgba).convert("RGB")
    if mode.startswith("I") or mode == "F":
        # 16/32-bit and float samples have no fixed white level: stretch them to 8 bits.
        arr = np.asarray(img, dtype=np.float64)
        lo, hi = float(np.nanmin(arr)), float(np.nanmax(arr))
        scaled = (arr - lo) * (255.0 / (hi - lo)) if hi > lo else np.zeros_like(arr)
        img = Image.fromarray(np.nan_to_num(scaled).astype(np.uint8), "L")
    return img.convert("RGB")


def open_image(
    source: ImageSource,
    *,
    draft_size: int | None = None,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> Image.Image:
    """Decode `source` into an upright RGB image (first frame of animations).

    `draft_size` lets JPEG decode at 1/2, 1/4 or 1/8 scale while keeping both sides at
    least that many pixels: hashing needs far fewer pixels than the file holds.
    """
    if isinstance(source, Image.Image):
        img = source
    else:
        img = _open(source)
    width, height = img.size
    if width <= 0 or height <= 0:
        raise ImageDecodeError("image has no pixels")
    if width * height > max_pixels:
        raise ImageTooLargeError(
            f"image of {width}x{height} pixels is over the limit of {max_pixels} pixels"
        )
    try:
        if getattr(img, "is_animated", False):
            img.seek(0)
        if draft_size and img.format == "JPEG" and img.mode in ("RGB", "L", "CMYK", "YCbCr"):
            img.draft(img.mode if img.mode != "YCbCr" else "RGB", (draft_size, draft_size))
        img.load()
        try:
            img = ImageOps.exif_transpose(img) or img
        except Exception:  # a broken EXIF block should not cost us an otherwise good image
            pass
        return _to_rgb(img)
    except (ImageDecodeError, ImageTooLargeError):
        raise
    except Image.DecompressionBombError as exc:
        raise ImageTooLargeError(f"refused as a decompression bomb: {exc}") from exc
    except Exception as exc:
        raise ImageDecodeError(f"corrupt or truncated image ({_describe(source)}): {exc}") from exc
