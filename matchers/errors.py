"""Exceptions raised by the matchers.

    MatcherError
    ├── ImageError            an image could not be used (per-image; the batch goes on)
    │   ├── ImageDecodeError      corrupt, truncated or not an image at all
    │   ├── ImageTooLargeError    refused as a decompression bomb or over the pixel limit
    │   ├── ImageBlankError       too small or too plain to register without false alarms
    │   └── ShapeNotFoundError    no object outline to compare as a design (matchers.design)
    ├── VideoError            a video could not be used: corrupt, hostile, over a limit
    ├── OcrUnavailableError   reading text in images needs rapidocr-onnxruntime
    └── MatcherConfigError    a matcher was built from invalid input (e.g. an empty mark)
"""

from __future__ import annotations

__all__ = [
    "MatcherError",
    "ImageError",
    "ImageDecodeError",
    "ImageTooLargeError",
    "ImageBlankError",
    "ShapeNotFoundError",
    "VideoError",
    "OcrUnavailableError",
    "MatcherConfigError",
]


class MatcherError(Exception):
    """Base of every error the matchers raise."""


class ImageError(MatcherError):
    """An image could not be used."""


class ImageDecodeError(ImageError):
    """The bytes are not a decodable image (corrupt, truncated, unknown format)."""


class ImageTooLargeError(ImageError):
    """The image was refused: a decompression bomb or over the pixel limit."""


class ImageBlankError(ImageError):
    """The image is blank, uniform, a placeholder or tiny: it cannot be registered."""


class ShapeNotFoundError(ImageError):
    """No single object stands out of the image's background: it has no outline to compare."""


class VideoError(MatcherError):
    """The bytes are not a video we decode (corrupt, truncated, another format), or the video
    is over a size, pixel or decoding limit."""


class OcrUnavailableError(MatcherError):
    """OCR was asked for but its optional dependency is not installed."""


class MatcherConfigError(MatcherError):
    """A matcher was built from invalid input."""
