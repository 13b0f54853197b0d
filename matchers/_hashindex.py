"""Perceptual hashes computed in batches, and a table of them searched by Hamming radius.

pHash (DCT) finds candidates; dHash (gradients) on the same window confirms them. The search
is exhaustive and exact, run by FAISS's binary flat index (SIMD popcount over packed codes):
a query of ~40 windows against a million stored hashes takes a few milliseconds, where numpy
broadcasting, bound by its temporaries, took ~40.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field

import cv2
import faiss
import numpy as np

# One query is a few dozen hashes: OpenMP threads would cost more to wake than they save, and
# idle ones spin on a core the crawler is using. markwatch runs queries one per worker.
if "OMP_NUM_THREADS" not in os.environ:
    faiss.omp_set_num_threads(1)

__all__ = [
    "THUMB",
    "thumbs",
    "phash_batch",
    "dhash_batch",
    "informative",
    "dihedral",
    "HashTable",
]

THUMB = 32


def _dct_matrix(n: int, keep: int) -> np.ndarray:
    k = np.arange(keep)[:, None]
    i = np.arange(n)[None, :]
    mat = np.cos(np.pi * (2 * i + 1) * k / (2 * n)) * np.sqrt(2.0 / n)
    mat[0] /= np.sqrt(2.0)
    return mat.astype(np.float32)


_DCT8 = _dct_matrix(THUMB, 8)
_BIT_WEIGHTS = (np.uint64(1) << np.arange(63, -1, -1, dtype=np.uint64)).astype(np.uint64)


def _pack(bits: np.ndarray) -> np.ndarray:
    """(K, 64) bool -> (K,) uint64, most significant bit first (imagehash's hex order)."""
    return (bits.astype(np.uint64) * _BIT_WEIGHTS).sum(axis=1, dtype=np.uint64)


def thumbs(gray: np.ndarray, boxes: np.ndarray, size: tuple[int, int] = (THUMB, THUMB)) -> np.ndarray:
    """Area-resample each (x0, y0, x1, y1) box of a float32 grayscale image to `size` (w, h):
    what cv2.resize(..., INTER_AREA) gives for the box, for all boxes at once.

    A query cuts ~40 overlapping windows from one image; resizing each read its pixels again
    (a third of the hash stage). A shrinking box's thumbnail is instead read off the image's
    integral: each thumbnail pixel is the mean over a box with fractional edges, and the
    integral of a piecewise-constant image is bilinear inside each pixel, so bilinear
    interpolation of the integral at those edges gives the area sums exactly (to float64
    rounding). A box smaller than `size` (OpenCV interpolates then) is resized as before."""
    w_out, h_out = size
    boxes = np.asarray(boxes, dtype=np.int64).reshape(-1, 4)
    out = np.empty((len(boxes), h_out, w_out), dtype=np.float32)
    widths, heights = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    shrink = (widths >= w_out) & (heights >= h_out)
    for n in np.flatnonzero(~shrink):
        x0, y0, x1, y1 = (int(v) for v in boxes[n])
        out[n] = cv2.resize(gray[y0:y1, x0:x1], size, interpolation=cv2.INTER_AREA)
    if shrink.any():
        b = boxes[shrink].astype(np.float64)
        integral = cv2.integral(np.ascontiguousarray(gray, dtype=np.float32), sdepth=cv2.CV_64F)
        xs = b[:, 0:1] + (b[:, 2:3] - b[:, 0:1]) * (np.arange(w_out + 1) / w_out)  # (K, w + 1) edges
        ys = b[:, 1:2] + (b[:, 3:4] - b[:, 1:2]) * (np.arange(h_out + 1) / h_out)
        at = _integral_at(integral, ys, xs)  # (K, h + 1, w + 1)
        sums = at[:, 1:, 1:] - at[:, :-1, 1:]
        sums -= at[:, 1:, :-1]
        sums += at[:, :-1, :-1]
        sums /= ((widths[shrink] / w_out) * (heights[shrink] / h_out))[:, None, None]  # the cells' areas
        if shrink.all():
            return sums.astype(np.float32)
        out[shrink] = sums
    return out


def _integral_at(integral: np.ndarray, ys: np.ndarray, xs: np.ndarray) -> np.ndarray:
    """The (H + 1, W + 1) integral image at fractional rows ys (K, m) x columns xs (K, n),
    bilinearly interpolated: (K, m, n)."""
    h, w = integral.shape[0] - 1, integral.shape[1] - 1
    y0 = np.minimum(ys.astype(np.int64), h - 1)  # edges are >= 0: truncation is floor
    x0 = np.minimum(xs.astype(np.int64), w - 1)
    fy, fx = (ys - y0)[:, :, None], (xs - x0)[:, None, :]
    # flat offsets of each (row, column) corner: one take per corner is several times faster
    # than 2-D fancy indexing with broadcast row and column arrays
    flat = integral.ravel()
    at = (y0 * (w + 1))[:, :, None] + x0[:, None, :]
    top, top_right = flat.take(at), flat.take(at + 1)
    bottom, bottom_right = flat.take(at + (w + 1)), flat.take(at + (w + 2))
    top += (top_right - top) * fx
    bottom += (bottom_right - bottom) * fx
    top += (bottom - top) * fy
    return top


def phash_batch(small: np.ndarray) -> np.ndarray:
    """pHash of (K, 32, 32) thumbnails: low 8x8 DCT block against its median (without DC)."""
    low = np.einsum("ai,kij,bj->kab", _DCT8, small, _DCT8, optimize=True).reshape(len(small), 64)
    med = np.median(low[:, 1:], axis=1, keepdims=True)
    return _pack(low > med)


def dhash_batch(small: np.ndarray) -> np.ndarray:
    """dHash from (K, 32, 32) thumbnails, reduced to 8 rows x 9 columns first."""
    rows = small.reshape(len(small), 8, 4, THUMB).mean(axis=2)  # (K, 8, 32)
    cols = np.stack([rows[:, :, round(c * 32 / 9): round((c + 1) * 32 / 9)].mean(axis=2) for c in range(9)], axis=2)
    return _pack((cols[:, :, 1:] > cols[:, :, :-1]).reshape(len(small), 64))


def informative(small: np.ndarray, *, min_std: float = 6.0) -> np.ndarray:
    """Which thumbnails hold enough structure for a hash to mean anything.

    A flat or nearly flat window hashes to noise, and noise matches noise: blank and
    placeholder images must never match, so they are dropped before any comparison.
    """
    flat = small.reshape(len(small), -1)
    std = flat.std(axis=1)
    # Placeholders ("no image" icons) are mostly background with a faint drawing; a small
    # product or a wordmark on white is mostly background too, but drawn in strong contrast.
    med = np.median(flat, axis=1, keepdims=True)
    deviation = np.abs(flat - med)
    structured = std >= min_std
    # Only a structured window that is mostly background can be a placeholder: the drawing's
    # strength (99th percentile) is computed for those alone, which few windows of a photo are.
    suspect = structured & ((deviation < 4.0).mean(axis=1) >= 0.8)
    if suspect.any():
        faint = np.percentile(deviation[suspect], 99, axis=1) < 70.0
        structured[np.flatnonzero(suspect)[faint]] = False
    return structured


def dihedral(small: np.ndarray) -> np.ndarray:
    """The 8 rotations/mirrors of each (K, 32, 32) thumbnail, shape (K*8, 32, 32)."""
    out = []
    for t in small:
        m = t[:, ::-1]
        out.extend([t, np.rot90(t, 1), np.rot90(t, 2), np.rot90(t, 3), m, np.rot90(m, 1), np.rot90(m, 2), np.rot90(m, 3)])
    return np.ascontiguousarray(np.stack(out))


@dataclass(slots=True)
class HashTable:
    """Parallel arrays: one row per stored hash, `owner` the asset's row in the index."""

    phash: np.ndarray  # uint64
    dhash: np.ndarray  # uint64
    owner: np.ndarray  # int32
    variant: np.ndarray  # int16: 0-7 dihedral of the whole image, >= 8 an inner crop

    @classmethod
    def empty(cls) -> HashTable:
        return cls(
            np.empty(0, np.uint64), np.empty(0, np.uint64), np.empty(0, np.int32), np.empty(0, np.int16)
        )

    pending: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=list)
    # FAISS binary index over `phash`, built on the first search and extended as rows arrive.
    _index: faiss.IndexBinaryFlat | None = field(default=None, repr=False, compare=False)
    # Queries may come from several threads (the clearance API): the first ones fold pending
    # rows in and build the index, once.
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False, compare=False)

    def extend(self, phash: np.ndarray, dhash: np.ndarray, owner: int, variant: np.ndarray) -> None:
        # Buffered: concatenating on every add would make bulk loading quadratic.
        self.pending.append(
            (phash.astype(np.uint64), dhash.astype(np.uint64), np.full(len(phash), owner, np.int32), variant.astype(np.int16))
        )

    def consolidate(self) -> None:
        with self._lock:
            if self.pending:
                parts = list(zip(*self.pending))
                self.phash = np.concatenate([self.phash, *parts[0]])
                self.dhash = np.concatenate([self.dhash, *parts[1]])
                self.owner = np.concatenate([self.owner, *parts[2]])
                self.variant = np.concatenate([self.variant, *parts[3]])
                self.pending.clear()

    def __len__(self) -> int:
        self.consolidate()
        return len(self.phash)

    def _codes(self) -> faiss.IndexBinaryFlat:
        with self._lock:
            self.consolidate()
            if self._index is None:
                self._index = faiss.IndexBinaryFlat(64)
            done = self._index.ntotal
            if done < len(self.phash):
                self._index.add(_as_codes(self.phash[done:]))
            return self._index

    def search(self, queries: np.ndarray, max_distance: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """All (query row, stored row, pHash distance) with distance <= max_distance, exactly."""
        index = self._codes()
        queries = np.asarray(queries, dtype=np.uint64)
        if not len(queries) or not index.ntotal:
            empty = np.empty(0, np.int64)
            return empty, empty, np.empty(0, np.uint8)
        # FAISS's radius is exclusive for binary codes: distances < radius are returned.
        lims, dist, rows = index.range_search(_as_codes(queries), max_distance + 1)
        q_rows = np.repeat(np.arange(len(queries)), np.diff(lims.astype(np.int64)))
        return q_rows, rows.astype(np.int64), dist.astype(np.uint8)


def _as_codes(hashes: np.ndarray) -> np.ndarray:
    """(K,) uint64 -> (K, 8) uint8 codes for FAISS (Hamming distance ignores byte order)."""
    return np.ascontiguousarray(hashes, dtype=np.uint64).view(np.uint8).reshape(-1, 8)

