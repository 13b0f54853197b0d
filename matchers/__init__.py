"""Pure matching logic: marks in text, brand images in listing images, the brand's copy in
listing text, a patent's claims in listing text, registered designs' shapes in listing photos,
key frames of videos, counterfeit signals and the risk score that combines them. Imports
nothing else of markwatch."""

from __future__ import annotations

from matchers.claims import Claim, ClaimHit, ClaimIndex, Element, ElementMatch
from matchers.copy import CopyHit, CopyIndex
from matchers.design import DESIGN_THRESHOLD, DesignHit, DesignIndex
from matchers.errors import (
    ImageDecodeError,
    ImageError,
    ImageTooLargeError,
    MatcherError,
    ShapeNotFoundError,
    VideoError,
)
from matchers.image import ImageHit, ImageIndex, hash_image
from matchers.risk import FLAG_THRESHOLD, Risk, assess
from matchers.signals import Finding
from matchers.text import Mark, MarkHit, MarkMatcher
from matchers.video import FrameHit, KeyFrame, key_frames, match_frames

__all__ = [
    "Mark",
    "MarkHit",
    "MarkMatcher",
    "ImageIndex",
    "ImageHit",
    "hash_image",
    "CopyIndex",
    "CopyHit",
    "DesignIndex",
    "DesignHit",
    "DESIGN_THRESHOLD",
    "KeyFrame",
    "FrameHit",
    "key_frames",
    "match_frames",
    "Claim",
    "Element",
    "ClaimIndex",
    "ClaimHit",
    "ElementMatch",
    "Finding",
    "Risk",
    "assess",
    "FLAG_THRESHOLD",
    "MatcherError",
    "ImageError",
    "ImageDecodeError",
    "ImageTooLargeError",
    "ShapeNotFoundError",
    "VideoError",
]
