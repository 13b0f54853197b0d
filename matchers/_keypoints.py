"""ORB local features with RANSAC homography checks, for logos inside photos and for copies that
whole-image hashes miss (heavy crops, rotations by odd angles, perspective).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

__all__ = ["Features", "extract", "thumbnail", "KeypointPool", "verify"]

cv2.setNumThreads(1)  # the matcher runs one image per core; OpenCV's own threads only contend


@dataclass(slots=True)
class Features:
    xy: np.ndarray  # (n, 2) float32, in the coordinates of the image given to extract()
    desc: np.ndarray  # (n, 32) uint8
    size: tuple[int, int]  # (width, height) of that image
    thumb: np.ndarray | None = None  # small uint8 grayscale copy, to compare pixels after a fit


_THUMB_SIDE = 96


def thumbnail(gray: np.ndarray) -> np.ndarray:
    h, w = gray.shape
    f = min(1.0, _THUMB_SIDE / max(h, w))
    return cv2.resize(gray, (max(1, round(w * f)), max(1, round(h * f))), interpolation=cv2.INTER_AREA)


def _pixel_agreement(asset: Features, hom: np.ndarray, query_gray: np.ndarray, box: tuple[int, int, int, int]) -> float:
    """Correlation between the asset's pixels warped by the fitted homography and the query's.

    Keypoints can line up by chance (shared letters, repeated texture); a real copy also
    agrees pixel by pixel over the whole outline, whatever its brightness or contrast.
    """
    thumb = asset.thumb
    assert thumb is not None
    th, tw = thumb.shape
    x0, y0, x1, y1 = box
    f = min(1.0, 128.0 / max(x1 - x0, y1 - y0))
    size = (max(2, round((x1 - x0) * f)), max(2, round((y1 - y0) * f)))
    to_box = np.array([[f, 0, -x0 * f], [0, f, -y0 * f], [0, 0, 1]], dtype=np.float64)
    from_thumb = np.diag([asset.size[0] / tw, asset.size[1] / th, 1.0])
    warp = to_box @ hom @ from_thumb
    warped = cv2.warpPerspective(thumb, warp, size, flags=cv2.INTER_LINEAR)
    mask = cv2.warpPerspective(np.full_like(thumb, 255), warp, size, flags=cv2.INTER_NEAREST) > 0
    patch = cv2.resize(query_gray[y0:y1, x0:x1], size, interpolation=cv2.INTER_AREA)
    if mask.sum() < 50:
        return 0.0
    # Blur both: thin strokes misaligned by a pixel or two should still count as agreeing.
    a = cv2.GaussianBlur(warped.astype(np.float32), (0, 0), 1.5)[mask]
    b = cv2.GaussianBlur(patch.astype(np.float32), (0, 0), 1.5)[mask]
    a -= a.mean()
    b -= b.mean()
    denom = float(np.sqrt((a * a).sum() * (b * b).sum()))
    return float((a * b).sum() / denom) if denom > 0 else 0.0


def extract(gray: np.ndarray, nfeatures: int, *, levels: int = 8) -> Features:
    orb = cv2.ORB_create(nfeatures=nfeatures, scaleFactor=1.2, nlevels=levels, edgeThreshold=19, patchSize=19, fastThreshold=12)
    kps, desc = orb.detectAndCompute(gray, None)
    if desc is None or not kps:
        return Features(np.empty((0, 2), np.float32), np.empty((0, 32), np.uint8), (gray.shape[1], gray.shape[0]))
    xy = np.array([kp.pt for kp in kps], dtype=np.float32)
    return Features(xy, desc, (gray.shape[1], gray.shape[0]))


@dataclass(slots=True)
class KeypointPool:
    """All stored descriptors in one matrix so a query votes for assets in one pass."""

    desc: np.ndarray = field(default_factory=lambda: np.empty((0, 32), np.uint8))
    owner: np.ndarray = field(default_factory=lambda: np.empty(0, np.int32))
    pending: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)

    def add(self, owner: int, desc: np.ndarray) -> None:
        if len(desc):
            self.pending.append((desc, np.full(len(desc), owner, np.int32)))

    def consolidate(self) -> None:
        if self.pending:
            self.desc = np.concatenate([self.desc, *(d for d, _ in self.pending)])
            self.owner = np.concatenate([self.owner, *(o for _, o in self.pending)])
            self.pending.clear()

    def vote(self, query: np.ndarray, *, max_distance: int = 64, ratio: float = 0.85) -> dict[int, int]:
        """Number of query descriptors whose clear nearest neighbour belongs to each asset."""
        self.consolidate()
        if len(query) == 0 or len(self.desc) < 2:
            return {}
        # Brute force: on real ORB descriptors FLANN's LSH buckets fill unevenly and it was
        # slower than this in bench/image_speed.py.
        matcher = cv2.BFMatcher(cv2.NORM_HAMMING)
        votes: dict[int, int] = {}
        for pair in matcher.knnMatch(query, self.desc, k=2):
            if len(pair) < 2:
                continue
            best, second = pair
            if best.distance <= max_distance and best.distance < ratio * second.distance:
                o = int(self.owner[best.trainIdx])
                votes[o] = votes.get(o, 0) + 1
        return votes


def _convex(quad: np.ndarray) -> bool:
    signs = []
    for i in range(4):
        a, b, c = quad[i], quad[(i + 1) % 4], quad[(i + 2) % 4]
        signs.append(np.sign((b[0] - a[0]) * (c[1] - b[1]) - (b[1] - a[1]) * (c[0] - b[0])))
    return all(s > 0 for s in signs) or all(s < 0 for s in signs)


def verify(
    asset: Features,
    query: Features,
    *,
    min_inliers: int = 12,
    min_inlier_share: float = 0.0,
    min_area: float = 0.002,
    min_agreement: float = 0.0,
    allow_negative: bool = False,
    query_gray: np.ndarray | None = None,
    ratio: float = 0.8,
) -> tuple[int, tuple[float, float, float, float]] | None:
    """Inlier count and the asset's box in query coordinates, or None when geometry disagrees.

    `min_inlier_share` is the part of the descriptor matches the homography must explain
    (unless there are three times `min_inliers` inliers): a copy of a photo explains most of
    them, a chance alignment on a texture only a few.
    """
    if len(asset.desc) < min_inliers or len(query.desc) < min_inliers:
        return None
    pairs = cv2.BFMatcher(cv2.NORM_HAMMING).knnMatch(asset.desc, query.desc, k=2)
    good = [
        p[0] for p in pairs
        if len(p) == 2 and p[0].distance < ratio * p[1].distance and p[0].distance <= 70
    ]
    if len(good) < min_inliers:
        return None
    src = asset.xy[[m.queryIdx for m in good]]
    dst = query.xy[[m.trainIdx for m in good]]
    reproj = 0.012 * max(query.size)
    hom, mask = cv2.findHomography(src, dst, cv2.RANSAC, reproj, maxIters=2000, confidence=0.995)
    if hom is None or mask is None:
        return None
    inl = mask.ravel().astype(bool)
    n_in = int(inl.sum())
    if n_in < min_inliers or (n_in < 3 * min_inliers and n_in < min_inlier_share * len(good)):
        return None
    # Reject degenerate fits: matches bunched in one spot of the asset, or a warp that
    # folds, flips or squashes the asset; real copies and logos keep a sane shape.
    spread = cv2.contourArea(cv2.convexHull(src[inl]))
    if spread < 0.02 * asset.size[0] * asset.size[1]:
        return None
    w, h = asset.size
    corners = np.array([[[0, 0]], [[w, 0]], [[w, h]], [[0, h]]], dtype=np.float32)
    quad = cv2.perspectiveTransform(corners, hom).reshape(4, 2)
    if not np.all(np.isfinite(quad)) or not _convex(quad):
        return None
    area = cv2.contourArea(quad)
    q_area = query.size[0] * query.size[1]
    if area < 0.002 * q_area or area > 4.0 * q_area:
        return None
    sides = np.linalg.norm(quad - np.roll(quad, 1, axis=0), axis=1)
    if sides.min() < 0.15 * sides.max():
        return None
    x0, y0 = np.clip(quad.min(axis=0), 0, None)
    x1, y1 = np.minimum(quad.max(axis=0), query.size)
    # The visible part of the asset, as a share of the query: a copied photo fills a good
    # part of the listing image, a logo may be small.
    if x1 <= x0 or y1 <= y0 or (x1 - x0) * (y1 - y0) < min_area * q_area:
        return None
    if min_agreement > 0 and asset.thumb is not None and query_gray is not None:
        box = (int(x0), int(y0), int(np.ceil(x1)), int(np.ceil(y1)))
        agreement = _pixel_agreement(asset, hom, query_gray, box)
        # A logo may be printed in negative (light on a dark product): either sign agrees.
        if (abs(agreement) if allow_negative else agreement) < min_agreement:
            return None
    return n_in, (float(x0), float(y0), float(x1), float(y1))
