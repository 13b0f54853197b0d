"""Pure matching logic: marks in text, brand images in listing images, the brand's copy in
listing text, a patent's claims in listing text, counterfeit signals and the risk score that combines them. Imports nothing else of markwatch."""

from __future__ import annotations

from matchers.claims import Claim, ClaimHit, ClaimIndex, Element, ElementMatch
from matchers.copy import CopyHit, CopyIndex
from matchers.errors import ImageDecodeError, ImageError, ImageTooLargeError, MatcherError
from matchers.image import ImageHit, ImageIndex, hash_image
from matchers.risk import FLAG_THRESHOLD, Risk, assess
from matchers.signals import Finding
from matchers.text import Mark, MarkHit, MarkMatcher

__all__ = [
    "Mark",
    "MarkHit",
    "MarkMatcher",
    "ImageIndex",
    "ImageHit",
    "hash_image",
    "CopyIndex",
    "CopyHit",
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
]
