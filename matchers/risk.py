"""The risk score: findings about one listing combined into 0-100 with the reasons in
plain words, strongest first.

How the score is made. Each kind of finding contributes ``WEIGHTS[kind] * score`` (the
strongest finding of that kind counts; repeats add nothing; an image score counts only
above ``IMAGE_FLOOR``, rescaled to 0-1), and two pairings that mean more together than
apart contribute as well:

- ``brand+price``: the brand is named or shown and the price is far below MSRP;
- ``image+seller``: a brand photo used by a seller the brand did not authorise.

Replica wording counts in full only when the brand is named or shown (``mark`` or
``image``); on its own it is half weight, since it may be about someone else's brand.
Compatibility wording ("case for Nike") marks the listing as an accessory naming the
mark nominatively: its plain mentions, its price and its seller are scaled by
``NOMINATIVE_DAMPING`` and ``brand+price`` does not apply (an accessory's price says
nothing against the MSRP of the product it fits, and third-party accessory makers are
never on the authorised list); disguised mentions, photos and replica wording count in
full.
A utility patent's claim met by the listing (``patent_claim``: every element 1.0, most of
them 0.6) and the brand's own copy copied into it (``copied_text``: the share copied) count
on their own, without the brand named: a knock-off need not name it. So does a registered
design's shape in a listing photo (``design``: 0.6 at the design matcher's threshold, 1.0 for
the same shape), which asks for review, not removal: infringement needs counsel. A frame of
the listing's video showing the brand's photo or logo (``video_frame``) counts like a photo,
above ``IMAGE_FLOOR``; the two pairings above do not take it in.
The contributions combine like independent evidence, ``1 - prod(1 - c)``, so no single
weak signal reaches the threshold and agreeing signals add up without passing 100.
``assess(..., authorised_seller=True)`` scales every contribution by
``AUTHORISED_DAMPING``: a brand's own reseller posting the official photo at MSRP is the
normal case, not a suspect one.

Calibration (checked by tests/test_signals_risk.py against the demo catalog's truth):
the mark named plainly by an unauthorised seller at a normal price scores 40 (not
flagged); a disguised mark alone 69-85; replica wording with the mark 73; a brand photo
(image score 1.0, 0.9, 0.8, 0.7) from an unauthorised seller 77, 65, 51, 34; the same
photo from an unknown seller alone 45; a price at a fifth of MSRP with the mark 76;
compatibility use with an unauthorised seller 14 (22 with a "low" price); an authorised
seller with the plain mark and the official photo 25. With the real image matcher on
the whole demo catalog (330 listings) precision was 1.0 and recall 0.985; the two
counterfeits missed carry only a cropped brand photo the image matcher scores below 0.85.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from .signals import KINDS, PLAIN_MARK_SCORE, Finding

__all__ = [
    "Risk",
    "FLAG_THRESHOLD",
    "WEIGHTS",
    "LEVELS",
    "NOMINATIVE_DAMPING",
    "AUTHORISED_DAMPING",
    "IMAGE_FLOOR",
    "assess",
]

FLAG_THRESHOLD: int = 50
# Score bands for `Risk.level`: below 30 low, below FLAG_THRESHOLD medium, else high.
LEVELS: Mapping[str, int] = MappingProxyType({"low": 0, "medium": 30, "high": FLAG_THRESHOLD})

WEIGHTS: Mapping[str, float] = MappingProxyType(
    {
        "mark": 1.0,  # the mark itself: plain 0.3, disguised 0.55-0.85 (signals.MARK_SCORES)
        "image": 0.45,  # a brand photo alone: resellers use them too
        "replica_wording": 0.6,  # halved when the brand is neither named nor shown
        "compatibility": 0.05,  # nominative use: barely a signal
        "price": 0.35,  # a low price alone could be a clearance sale of anything
        "seller": 0.5,  # an unauthorised seller alone (finding score 0.3): resale is legal
        "brand+price": 0.6,  # the brand at a fraction of its price
        "image+seller": 0.5,  # a brand photo in an unauthorised seller's listing
        # Every element of a claim shown scores 85, most of them 51: a reviewer's and
        # counsel's question, never a verdict (signals cannot judge infringement).
        "patent_claim": 0.85,
        "copied_text": 0.7,  # the brand's own description copied: 84% copied scores 59
        # A design's shape at the matcher's threshold scores 51, the same shape 85: review.
        "design": 0.85,
        "video_frame": 0.45,  # the brand's photo in a listing's video, weighed like a photo
    }
)
NOMINATIVE_DAMPING = 0.3
# Image matchers report resemblance as well as copies: a seller's own photo of a similar
# parka can score 0.5-0.8. Only the part of an image score above this floor counts,
# rescaled to 0-1, so a near-exact copy (0.95+) keeps nearly its full weight.
IMAGE_FLOOR = 0.6
AUTHORISED_DAMPING = 0.35


@dataclass(frozen=True, slots=True)
class Risk:
    """A listing's risk: `score` 0-100, its `level`, the `reasons` strongest first and
    the `findings` it was made from."""

    score: int
    level: str
    reasons: tuple[str, ...]
    findings: tuple[Finding, ...]

    @property
    def flagged(self) -> bool:
        return self.score >= FLAG_THRESHOLD


def _clamp(x: float) -> float:
    if x != x:  # NaN from a broken upstream scorer counts as nothing
        return 0.0
    return min(1.0, max(0.0, float(x)))


def _image_strength(score: float) -> float:
    return _clamp((_clamp(score) - IMAGE_FLOOR) / (1.0 - IMAGE_FLOOR))


def assess(findings: Iterable[Finding], *, authorised_seller: bool = False) -> Risk:
    """Combines a listing's findings into its risk (see the module docstring)."""
    kept = tuple(f for f in findings if isinstance(f, Finding) and f.kind in KINDS)
    best: dict[str, Finding] = {}
    for finding in kept:
        current = best.get(finding.kind)
        if current is None or _clamp(finding.score) > _clamp(current.score):
            best[finding.kind] = finding

    nominative = "compatibility" in best
    marks = [f for f in kept if f.kind == "mark"]
    mark_strength = 0.0
    mark_reason = None
    for f in marks:
        s = _clamp(f.score)
        if nominative and s <= PLAIN_MARK_SCORE:
            s *= NOMINATIVE_DAMPING
        if s > mark_strength:
            mark_strength, mark_reason = s, f.reason

    image = _image_strength(best["image"].score) if "image" in best else 0.0
    brand_present = bool(marks) or image > 0

    contributions: list[tuple[float, str]] = []
    if mark_reason is not None:
        contributions.append((WEIGHTS["mark"] * mark_strength, mark_reason))
    for kind in ("image", "replica_wording", "compatibility", "price", "seller"):
        f = best.get(kind)
        if f is None:
            continue
        weight = WEIGHTS[kind]
        if kind == "replica_wording" and not brand_present:
            weight /= 2
        if kind in ("price", "seller") and nominative:
            weight *= NOMINATIVE_DAMPING
        strength = image if kind == "image" else _clamp(f.score)
        contributions.append((weight * strength, f.reason))
    for kind in ("design", "video_frame"):
        f = best.get(kind)
        if f is not None:
            strength = _image_strength(f.score) if kind == "video_frame" else _clamp(f.score)
            contributions.append((WEIGHTS[kind] * strength, f.reason))
    for kind in ("patent_claim", "copied_text"):
        f = best.get(kind)
        if f is None:
            continue
        contributions.append((WEIGHTS[kind] * _clamp(f.score), f.reason))
    price_with_brand = "price" in best and brand_present and not nominative
    if price_with_brand:
        contributions.append(
            (
                WEIGHTS["brand+price"] * _clamp(best["price"].score),
                f"{best['price'].reason}, for goods that carry the brand",
            )
        )
    if "seller" in best and image > 0:
        contributions.append(
            (
                WEIGHTS["image+seller"] * image,
                "a brand photo is used by a seller the brand did not authorise",
            )
        )

    damping = AUTHORISED_DAMPING if authorised_seller else 1.0
    remaining = 1.0
    for c, _ in contributions:
        remaining *= 1.0 - _clamp(c * damping)
    score = int(round(100 * (1.0 - remaining)))
    level = "high" if score >= LEVELS["high"] else "medium" if score >= LEVELS["medium"] else "low"

    contributions.sort(key=lambda c: -c[0])
    reasons: list[str] = []
    for _, reason in contributions:
        # The price is said once: with the brand, its combination says it all.
        if price_with_brand and reason == best["price"].reason:
            continue
        if reason not in reasons:
            reasons.append(reason)
    if authorised_seller and reasons:
        reasons.append("the seller is authorised by the brand, which lowers the risk")
    return Risk(score=score, level=level, reasons=tuple(reasons), findings=kept)
