"""Local features with RANSAC homography checks: ORB for copies that whole-image hashes miss
(heavy crops, rotations by odd angles, perspective), RootSIFT in one shared index for logos
printed inside photos.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field

import cv2
import faiss
import numpy as np

__all__ = [
    "Features", "Fit", "extract", "thumbnail", "KeypointPool", "verify",
    "sift", "root_sift", "LogoBank", "fit_logo", "SIFT_DIM",
]

cv2.setNumThreads(1)  # the matcher runs one image per core; OpenCV's own threads only contend


@dataclass(slots=True)
class Features:
    xy: np.ndarray  # (n, 2) float32, in the coordinates of the image given to extract()
    desc: np.ndarray  # (n, 32) uint8
    size: tuple[int, int]  # (width, height) of that image
    thumb: np.ndarray | None = None  # small uint8 grayscale copy, to compare pixels after a fit


_THUMB_SIDE = 96


@dataclass(frozen=True, slots=True)
class Fit:
    """A geometric fit of an asset in a query: inlier count, the asset's box in query
    coordinates, and the matched descriptor pairs (asset row, query row) that agree with it."""

    inliers: int
    box: tuple[float, float, float, float]
    pairs: np.ndarray  # (inliers, 2) int: asset descriptor row, query descriptor row


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
    # Strongest first, so that a prefix of the rows is a cheap probe of the whole set.
    order = np.argsort([-kp.response for kp in kps], kind="stable")
    xy = cv2.KeyPoint_convert(kps).astype(np.float32).reshape(-1, 2)[order]
    return Features(xy, np.ascontiguousarray(desc[order]), (gray.shape[1], gray.shape[0]))


def _binary_index(desc: np.ndarray) -> faiss.IndexBinaryFlat:
    """An exact Hamming index over (n, 32) ORB descriptors.

    FAISS's SIMD popcount finds the nearest descriptors about five times faster than
    OpenCV's brute-force matcher (bench/image_speed.py), with the same distances.
    """
    index = faiss.IndexBinaryFlat(desc.shape[1] * 8)
    if len(desc):
        index.add(np.ascontiguousarray(desc, dtype=np.uint8))
    return index


def _knn(queries: np.ndarray, index: faiss.IndexBinary, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Distances and rows of the k nearest stored descriptors for each query row, nearest
    first; a missing neighbour (fewer than k stored) has row -1 and distance 256."""
    if not len(queries) or not index.ntotal:
        return np.full((len(queries), k), 256, np.int32), np.full((len(queries), k), -1, np.int64)
    dist, rows = index.search(np.ascontiguousarray(queries, dtype=np.uint8), k)
    dist = np.where(rows >= 0, dist, 256)
    return dist, rows


# Past this many pooled descriptors (~100 registered photos at 200 each) the vote searches
# an inverted-file index (k-means cells over the descriptors) instead of every row: at 1000
# photos, ~17x less work, and the ratio-test matches that vote are nearly all still found
# (bench/image_speed.py prints both). Below it, exhaustive search is cheap and exact.
IVF_MIN_ROWS = 20_000
_IVF_ROWS_PER_CELL = 700
_IVF_PROBES = 8


def _ivf_index(desc: np.ndarray, centroids: np.ndarray | None = None) -> faiss.IndexBinaryIVF:
    """An inverted file over `desc`: its cells are `centroids` when given (as saved from an
    earlier index), else trained by k-means (FAISS's fixed seed: the same rows give the same
    cells)."""
    bits = desc.shape[1] * 8
    quantizer = faiss.IndexBinaryFlat(bits)
    if centroids is not None:
        quantizer.add(np.ascontiguousarray(centroids, np.uint8))
        index = faiss.IndexBinaryIVF(quantizer, bits, len(centroids))
        index.is_trained = True
    else:
        # k-means wants ~40 rows per cell or more; past that, ~700 keeps a probe cheap.
        cells = min(4096, max(64, len(desc) // _IVF_ROWS_PER_CELL), max(1, len(desc) // 40))
        index = faiss.IndexBinaryIVF(quantizer, bits, cells)
        index.train(desc)
    index.add(desc)
    index.nprobe = _IVF_PROBES
    return index


@dataclass(slots=True)
class KeypointPool:
    """All stored descriptors in one matrix so a query votes for assets in one pass."""

    desc: np.ndarray = field(default_factory=lambda: np.empty((0, 32), np.uint8))
    owner: np.ndarray = field(default_factory=lambda: np.empty(0, np.int32))
    pending: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)
    _index: faiss.IndexBinary | None = field(default=None, repr=False, compare=False)
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False, compare=False)
    _centroids: np.ndarray | None = field(default=None, repr=False, compare=False)  # saved cells to reuse

    def add(self, owner: int, desc: np.ndarray) -> None:
        if len(desc):
            self.pending.append((desc, np.full(len(desc), owner, np.int32)))

    def consolidate(self) -> None:
        with self._lock:  # the first queries may arrive together from several threads
            if self.pending:
                self.desc = np.concatenate([self.desc, *(d for d, _ in self.pending)])
                self.owner = np.concatenate([self.owner, *(o for _, o in self.pending)])
                self.pending.clear()
                self._index = None
                self._centroids = None

    def index(self) -> faiss.IndexBinary:
        """The search structure over every pooled row, built on first use: exhaustive for a
        small pool, an inverted file past IVF_MIN_ROWS (its k-means takes about a second per
        100k rows, unless cells saved with the index are given back by `use_centroids`)."""
        with self._lock:
            self.consolidate()
            if self._index is None:
                if len(self.desc) >= IVF_MIN_ROWS:
                    self._index = _ivf_index(self.desc, self._centroids)
                else:
                    self._index = _binary_index(self.desc)
            return self._index

    def centroids(self) -> np.ndarray:
        """The inverted file's cells, (n, 32) uint8, to save with the index; empty for a
        small pool. Plain arrays: FAISS's own serializer is not meant for untrusted files."""
        index = self.index()
        if not isinstance(index, faiss.IndexBinaryIVF):
            return np.empty((0, self.desc.shape[1]), np.uint8)
        return index.quantizer.reconstruct_n(0, index.nlist).reshape(index.nlist, -1)

    def use_centroids(self, centroids: np.ndarray) -> None:
        """Cells saved by `centroids()`, to skip training; ignored unless they fit the pool."""
        with self._lock:
            self.consolidate()
            ok = (centroids.ndim == 2 and centroids.dtype == np.uint8 and centroids.shape[1] == self.desc.shape[1]
                  and 0 < len(centroids) <= len(self.desc))
            self._centroids = np.ascontiguousarray(centroids) if ok else None
            self._index = None

    def vote(self, query: np.ndarray, *, max_distance: int = 64, ratio: float = 0.85) -> dict[int, int]:
        """Number of query descriptors whose clear nearest neighbour belongs to each asset."""
        with self._lock:  # the index and the owners of its rows, of one moment
            index, owner = self.index(), self.owner
        if len(query) == 0 or index.ntotal < 2:
            return {}
        # FLANN's LSH buckets fill unevenly on real ORB descriptors and were slower than
        # brute force (bench/image_speed.py); FAISS's inverted file is not.
        dist, rows = _knn(query, index, 2)
        clear = (rows[:, 1] >= 0) & (dist[:, 0] <= max_distance) & (dist[:, 0] < ratio * dist[:, 1])
        owners, counts = np.unique(owner[rows[clear, 0]], return_counts=True)
        return {int(o): int(n) for o, n in zip(owners, counts)}


def _convex(quad: np.ndarray) -> bool:
    signs = []
    for i in range(4):
        a, b, c = quad[i], quad[(i + 1) % 4], quad[(i + 2) % 4]
        signs.append(np.sign((b[0] - a[0]) * (c[1] - b[1]) - (b[1] - a[1]) * (c[0] - b[0])))
    return all(s > 0 for s in signs) or all(s < 0 for s in signs)


def _sane(
    asset: Features, query: Features, hom: np.ndarray, mask: np.ndarray, src: np.ndarray, *, rigid: bool,
    min_spread: float | None = None,
) -> tuple[np.ndarray, int, np.ndarray, np.ndarray] | None:
    """The fit, its inlier count and the asset's outline in the query, unless degenerate: matches
    bunched in one spot of the asset, or a warp that folds, flips or squashes the asset.

    `rigid` (logos) also refuses a mirror image (mirrored logos have their own features), a
    stretched aspect ratio and skew beyond mild perspective: chance fits of shared letters
    between two wordmarks almost always distort the outline, a printed logo keeps its shape.
    """
    inl = mask.ravel().astype(bool)
    n_in = int(inl.sum())
    if n_in < 4:
        return None
    spread = cv2.contourArea(cv2.convexHull(src[inl]))
    if min_spread is None:
        min_spread = 0.03 if rigid else 0.02
    if spread < min_spread * asset.size[0] * asset.size[1]:
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
    if rigid and not _keeps_shape(quad, asset.size):
        return None
    return hom, n_in, quad, inl


def _keeps_shape(quad: np.ndarray, size: tuple[int, int]) -> bool:
    w, h = size
    x, y = quad[:, 0], quad[:, 1]
    if float(np.dot(x, np.roll(y, -1)) - np.dot(np.roll(x, -1), y)) <= 0:
        return False  # corners run the other way round: a mirror image
    across = (np.linalg.norm(quad[1] - quad[0]) + np.linalg.norm(quad[2] - quad[3])) / (2 * w)
    down = (np.linalg.norm(quad[3] - quad[0]) + np.linalg.norm(quad[2] - quad[1])) / (2 * h)
    if not 0.6 <= across / down <= 1.65:
        return False
    for i in range(4):
        a, b = quad[i - 1] - quad[i], quad[(i + 1) % 4] - quad[i]
        cos = float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))
        if abs(cos) > 0.9:  # a corner sharper than ~25 degrees
            return False
    return True


_RANSAC_MISS = 1e-4  # chance that the homography's RANSAC misses the weakest fit verify accepts
_MIN_ITERS = 100  # and never fewer draws: inliers are noisy, a better draw may explain more of them


def _homography_iters(n_matches: int, min_inliers: int, min_inlier_share: float, cap: int = 2000) -> int:
    """RANSAC iterations enough to find the weakest fit `verify` would accept among
    `n_matches` ratio-test matches, all but `_RANSAC_MISS` of the time, capped at `cap`.

    A fit is accepted with at least `min_inliers` inliers and, below three times that, at
    least `min_inlier_share` of the matches: among few matches that is a large share, which
    a few hundred draws of 4 find, while RANSAC over chance matches (most queries: nothing
    fits) would otherwise spend all `cap` draws looking for a consensus that is not there."""
    need = max(min_inliers, min(3 * min_inliers, math.ceil(min_inlier_share * n_matches)))
    share = need / max(n_matches, 1)
    if share >= 1.0:
        return _MIN_ITERS
    hit = share ** 4  # a draw of four matches, all inliers
    return max(_MIN_ITERS, min(cap, math.ceil(math.log(_RANSAC_MISS) / math.log1p(-hit))))


def verify(
    asset: Features,
    query: Features,
    *,
    min_inliers: int = 12,
    min_inlier_share: float = 0.0,
    min_area: float = 0.002,
    min_agreement: float = 0.0,
    allow_negative: bool = False,
    rigid: bool = False,
    query_gray: np.ndarray | None = None,
    ratio: float = 0.8,
) -> Fit | None:
    """The asset's fit in the query (inliers, box, matched pairs), or None when geometry disagrees.

    `min_inlier_share` is the part of the descriptor matches the homography must explain
    (unless there are three times `min_inliers` inliers): a copy of a photo explains most of
    them, a chance alignment on a texture only a few.
    """
    if len(asset.desc) < min_inliers or len(query.desc) < min_inliers:
        return None
    dist, rows = _knn(asset.desc, _binary_index(query.desc), 2)
    # Lowe's ratio test: a tie for nearest is no match, whichever of the two is listed first.
    good = np.flatnonzero((rows[:, 1] >= 0) & (dist[:, 0] < ratio * dist[:, 1]) & (dist[:, 0] <= 70))
    if len(good) < min_inliers:
        return None
    src = asset.xy[good]
    dst = query.xy[rows[good, 0]]
    reproj = 0.012 * max(query.size)
    fit = None
    # A cheap affine RANSAC first: when even a loose affine map explains few matches, the
    # homography (a hundred times dearer on chance matches) would not find enough either.
    _aff, gate = cv2.estimateAffine2D(src, dst, method=cv2.RANSAC, ransacReprojThreshold=2 * reproj, maxIters=500)
    if gate is None or int(gate.sum()) < min_inliers // 2:
        return None
    iters = _homography_iters(len(good), min_inliers, min_inlier_share)
    hom, mask = cv2.findHomography(src, dst, cv2.RANSAC, reproj, maxIters=iters, confidence=0.995)
    if hom is not None and mask is not None:
        fit = _sane(asset, query, hom, mask, src, rigid=rigid)
    if fit is None:
        # Matches bunched on one part of the asset (the rest hidden or out of frame) leave a
        # homography free to fold the unseen corners; an affine map cannot, and a similarity
        # (for logos, whose perspective on a product is mild) cannot even stretch.
        estimate = cv2.estimateAffinePartial2D if rigid else cv2.estimateAffine2D
        aff, mask = estimate(src, dst, method=cv2.RANSAC, ransacReprojThreshold=reproj, maxIters=2000, confidence=0.995)
        # A similarity fit rests on less evidence than a homography that holds a perspective
        # together: for logos it is taken only near upright, where chance fits of a few shared
        # glyphs at odd angles cannot pass for the logo.
        upright = aff is not None and (not rigid or abs(np.degrees(np.arctan2(aff[1, 0], aff[0, 0]))) <= 40)
        if aff is not None and mask is not None and upright:
            fit = _sane(asset, query, np.vstack([aff, [0.0, 0.0, 1.0]]), mask, src, rigid=rigid)
    if fit is None:
        return None
    hom, n_in, quad, inl = fit
    if n_in < min_inliers or (n_in < 3 * min_inliers and n_in < min_inlier_share * len(good)):
        return None
    q_area = query.size[0] * query.size[1]
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
    pairs = np.stack([good, rows[good, 0]], axis=1).astype(np.int64)[inl]
    return Fit(n_in, (float(x0), float(y0), float(x1), float(y1)), pairs)


# -- logos: RootSIFT in one shared index ------------------------------------------------------

SIFT_DIM = 128


def sift(gray: np.ndarray, nfeatures: int, *, contrast: float = 0.03) -> Features:
    """SIFT keypoints, strongest first, with descriptors kept as uint8 (OpenCV's are whole
    numbers 0-255, so nothing is lost and a saved index stays small).

    SIFT rather than ORB for logos: printed marks are small, low in contrast and seen at an
    angle; SIFT's gradient histograms over a scale-space blob hold up where ORB's binary
    tests on a fixed patch do not (bench/logo_wild.py prints both routes' recall)."""
    det = cv2.SIFT_create(nfeatures=nfeatures, contrastThreshold=contrast)
    kps, desc = det.detectAndCompute(gray, None)
    size = (gray.shape[1], gray.shape[0])
    if desc is None or not kps:
        return Features(np.empty((0, 2), np.float32), np.empty((0, SIFT_DIM), np.uint8), size)
    order = np.argsort([-kp.response for kp in kps], kind="stable")
    xy = cv2.KeyPoint_convert(kps).astype(np.float32).reshape(-1, 2)[order]
    return Features(xy, np.ascontiguousarray(np.clip(desc[order], 0, 255).astype(np.uint8)), size)


def root_sift(desc: np.ndarray) -> np.ndarray:
    """RootSIFT (Arandjelovic & Zisserman 2012): L1-normalise, then square-root. Euclidean
    distance between these is the Hellinger kernel on the histograms, which compares
    gradient histograms better than plain L2 does."""
    d = desc.astype(np.float32)
    d /= d.sum(axis=1, keepdims=True) + 1e-7
    return np.ascontiguousarray(np.sqrt(d))


# Past this many logo descriptors (~40 logo images) the bank searches an inverted file:
# each query descriptor is compared with the rows of a few cells, not every row, so the
# cost grows far slower than the number of logos (bench/logo_wild.py prints the curve).
LOGO_IVF_MIN_ROWS = 16_000
_LOGO_ROWS_PER_CELL = 256
_LOGO_PROBES = 6


@dataclass(slots=True)
class LogoBank:
    """Every registered logo image's RootSIFT descriptors in one index, so that a query's
    descriptors find their nearest logo rows in one search whatever the number of logos.
    `owner` of a row is the logo image (view) it belongs to, `row` its place there."""

    desc: np.ndarray = field(default_factory=lambda: np.empty((0, SIFT_DIM), np.float32))
    owner: np.ndarray = field(default_factory=lambda: np.empty(0, np.int32))
    row: np.ndarray = field(default_factory=lambda: np.empty(0, np.int32))
    pending: list[tuple[np.ndarray, int]] = field(default_factory=list)
    _index: faiss.Index | None = field(default=None, repr=False, compare=False)
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False, compare=False)

    def add(self, owner: int, desc: np.ndarray) -> None:
        if len(desc):
            self.pending.append((desc, owner))

    def __len__(self) -> int:
        with self._lock:
            return len(self.desc) + sum(len(d) for d, _o in self.pending)

    def _consolidate(self) -> None:
        if self.pending:
            self.desc = np.concatenate([self.desc, *(root_sift(d) for d, _o in self.pending)])
            self.owner = np.concatenate([self.owner, *(np.full(len(d), o, np.int32) for d, o in self.pending)])
            self.row = np.concatenate([self.row, *(np.arange(len(d), dtype=np.int32) for d, _o in self.pending)])
            self.pending.clear()
            self._index = None

    def index(self) -> faiss.Index:
        with self._lock:
            self._consolidate()
            if self._index is None:
                if len(self.desc) >= LOGO_IVF_MIN_ROWS:
                    cells = max(16, len(self.desc) // _LOGO_ROWS_PER_CELL)
                    index = faiss.IndexIVFFlat(faiss.IndexFlatL2(SIFT_DIM), SIFT_DIM, cells)
                    # k-means on a fixed sample with FAISS's fixed seed: the same logos give
                    # the same cells.
                    index.train(self.desc[:: max(1, len(self.desc) // (cells * 64))])
                    index.add(self.desc)
                    index.nprobe = _LOGO_PROBES
                else:
                    index = faiss.IndexFlatL2(SIFT_DIM)
                    index.add(self.desc)
                self._index = index
            return self._index

    def matches(self, query: np.ndarray, *, k: int = 6, ratio: float = 0.8) -> dict[int, np.ndarray]:
        """Per logo image, the (logo row, query row) pairs of query descriptors whose nearest
        row of that image is clearly nearer than its next one (Lowe's ratio test, image by
        image, among the `k` nearest rows of the shared bank).

        The test is not run against other logos' rows: logos that share a typeface share
        their letters, and a letter found in two logos is evidence for both; the geometric
        check that follows tells which arrangement of letters the query shows. When an
        image's next row is not among the `k` nearest, the k-th distance stands in for it (a
        lower bound, so the test only gets stricter); an image whose first row is the k-th
        has no such bound and is left out."""
        with self._lock:
            index, owner, row = self.index(), self.owner, self.row
        if not len(query) or index.ntotal < 1:
            return {}
        k = min(k, index.ntotal)
        dist, rows = index.search(root_sift(query), k)
        valid = rows >= 0
        own = np.where(valid, owner[np.where(valid, rows, 0)], -1)
        r2 = ratio * ratio  # squared distances: the ratio applies to their square roots
        out: dict[int, list[np.ndarray]] = {}
        for j in range(max(1, k - 1)):
            first = valid[:, j].copy()
            for i in range(j):
                first &= own[:, i] != own[:, j]
            if k == 1:  # one row in the bank: no rival, only the absolute bound
                bound = np.full(len(query), np.inf, np.float32)
            else:
                bound = dist[:, k - 1].copy()
                for i in range(k - 1, j, -1):  # the same image's next row, when among the k
                    bound = np.where(valid[:, i] & (own[:, i] == own[:, j]), dist[:, i], bound)
            good = first & (dist[:, j] < r2 * bound) & (dist[:, j] < 0.5)
            q_rows = np.flatnonzero(good)
            if not len(q_rows):
                continue
            owners = own[q_rows, j]
            pairs = np.stack([row[rows[q_rows, j]], q_rows], axis=1).astype(np.int64)
            for o in np.unique(owners):
                out.setdefault(int(o), []).append(pairs[owners == o])
        return {o: np.concatenate(p) for o, p in out.items()}


_LOGO_SPREAD = 0.01


def fit_logo(asset: Features, query: Features, pairs: np.ndarray, *, min_inliers: int) -> Fit | None:
    """The logo's outline in the query from matched pairs: a homography (a printed logo on a
    can, a shoe or a car is seen in perspective and slightly curved, so the reprojection
    tolerance is loose), refused when it folds, mirrors, or distorts the logo's shape
    beyond perspective."""
    if len(pairs) < min_inliers:
        return None
    src = asset.xy[pairs[:, 0]]
    dst = query.xy[pairs[:, 1]]
    reproj = max(3.0, 0.01 * max(query.size))
    hom, mask = cv2.findHomography(src, dst, cv2.USAC_MAGSAC, reproj, maxIters=2000, confidence=0.995)
    fit = None
    # A wordmark's letters fill a thin band of its image: the inliers' spread is judged
    # against a lower floor than a photo's, the distinct points below make up for it.
    if hom is not None and mask is not None:
        fit = _sane(asset, query, hom, mask, src, rigid=True, min_spread=_LOGO_SPREAD)
    if fit is None:
        aff, mask = cv2.estimateAffinePartial2D(src, dst, method=cv2.RANSAC, ransacReprojThreshold=reproj, maxIters=2000)
        if aff is not None and mask is not None:
            fit = _sane(asset, query, np.vstack([aff, [0.0, 0.0, 1.0]]), mask, src, rigid=True, min_spread=_LOGO_SPREAD)
    if fit is None:
        return None
    _hom, _n, quad, inl = fit
    # SIFT puts several keypoints (one per dominant orientation) on one spot: inliers are
    # counted as distinct spots of the logo, so a few repeated ones do not pass for a fit.
    n_in = len(np.unique(np.round(src[inl] / 2.0), axis=0))
    if n_in < min_inliers:
        return None
    x0, y0 = np.clip(quad.min(axis=0), 0, None)
    x1, y1 = np.minimum(quad.max(axis=0), query.size)
    if x1 <= x0 or y1 <= y0:
        return None
    return Fit(n_in, (float(x0), float(y0), float(x1), float(y1)), pairs[inl])
