"""Find a brand's registered photos and logos in listing images, however they were altered.

Whole-image and sub-window perceptual hashes find copies fast; ORB keypoints with a RANSAC
homography confirm shortlisted candidates. Logos printed inside product photos are found with
RootSIFT descriptors of every logo image in one shared index and a perspective-tolerant
homography; words printed in photos are read (optional OCR) and handed to the mark matcher.
"""

from __future__ import annotations

import functools
import json
import os
import threading
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import product
from typing import TYPE_CHECKING, Literal

import cv2
import numpy as np
from PIL import Image

from matchers._hashindex import HashTable, dhash_batch, dihedral, informative, phash_batch, thumbs
from matchers._imageio import DEFAULT_MAX_PIXELS, ImageSource, open_image
from matchers._keypoints import SIFT_DIM, Features, Fit, LogoBank, KeypointPool, extract, fit_logo, sift, thumbnail, verify
from matchers.errors import (
    ImageBlankError,
    ImageDecodeError,
    ImageError,
    MatcherConfigError,
    OcrUnavailableError,
)

if TYPE_CHECKING:
    from matchers.text import MarkMatcher

__all__ = [
    "ImageHit",
    "ImageResult",
    "ImageIndex",
    "hash_image",
    "hash_distance",
    "read_text",
    "read_marks",
    "words_as_text",
    "WordsRead",
    "AssetKind",
]

AssetKind = Literal["photo", "logo"]
Box = tuple[int, int, int, int]

_HASH_SIDE = 256  # longest side of the grayscale image that windows are cut from
_KP_SIDE_QUERY = 1024
_KP_SIDE_ASSET = 480
_FORMAT = 2  # of saved indexes: 2 holds SIFT features for logos (1 held ORB ones)
_MIN_SIDE = 24  # images smaller than this carry no usable detail (icons, tracking pixels)

# Thresholds on 64-bit hashes, tuned with bench/image_accuracy.py. Unrelated photos sit
# around 32 bits apart; sub-windows get stricter limits because each query tries many.
_SHORTLIST = 15
_ACCEPT_FULL = (10, 14)  # (pHash, dHash) for the whole query image
_ACCEPT_WINDOW = (9, 12)
_SHORTLIST_KP = 14
_MIN_VOTES = 4
# Photo votes use the strongest keypoints on both sides (a copied photo fills a good part of
# the query, so its strong corners are among the query's strong ones): brute-force voting
# costs the product of the two counts.
_VOTE_ROWS_ASSET = 200
_VOTE_ROWS_QUERY = 1500
_QUERY_FEATURES = 4000
_MAX_VERIFY = 3
_MIN_INLIER_SHARE = 0.35
_MIN_INLIERS = 14
_MIN_AGREEMENT = 0.25  # pixel correlation of the warped asset with the query region
# Logos: SIFT on the logo at a working size (a logo cut from a photo may be 60 px wide, a
# logo file 2000), and on the query enlarged so that a small printed logo keeps detail.
_LOGO_SIDE = (240, 480)
_LOGO_FEATURES = 500
# The query's working side for logos, enlarged or shrunk to it. 720 px finds what 800 px
# found (bench/logo_wild.py, real photos: combined 25/27/26 of 45 at 1/3/5 logo images a
# brand, both; bench/image_accuracy.py logo in photo 0.70 / mirrored 0.65 against 0.65 /
# 0.60) for 0.81x the pixels of an enlarged small photo, and caps a large one's (SIFT's cost
# grows with pixels); at 640 px the generated logos fell to 0.55 / 0.35.
_LOGO_QUERY_SIDE = 720
_LOGO_QUERY_FEATURES = 2500
_LOGO_MATCHES = 6  # ratio-test matches a logo image needs before its geometry is checked
_LOGO_VERIFY = 6  # logo images checked per query, the most-matched first: a bounded cost
_MIN_INLIERS_LOGO = 6  # distinct spots of the logo: two more than a homography needs
_LOGO_EXPLAINED = 0.5  # share of a logo fit's query spots inside a better fit's outline that drops it

# Window shapes (fractions of the query's width, height) tried at a few positions each;
# collage tiles and padded content on a plain background are also found as blobs.
_WINDOW_SHAPES = [(0.5, 0.5), (0.7, 0.7), (0.85, 0.85), (0.5, 1.0), (1.0, 0.5), (0.7, 1.0), (1.0, 0.7), (0.85, 1.0), (1.0, 0.85)]

# Inner crops stored per asset, as (left, top, right, bottom) fractions cut away: a listing
# that crops the photo then hashes like one of these.
_CROP_INSETS = [c for c in product((0.0, 0.1, 0.2), repeat=4) if any(c)]


@dataclass(frozen=True, slots=True)
class ImageHit:
    """A registered asset found in a query image.

    `score` is a confidence in [0, 1]; `method` says which evidence found it ("phash",
    "crop", "keypoints", or "words" from read_marks, whose `key` is then the mark); `region`
    is (x0, y0, x1, y1) in the query image's pixels: where the logo, copy or word sits.
    """

    key: str
    score: float
    method: str
    region: Box | None = None


@dataclass(frozen=True, slots=True)
class ImageResult:
    """The outcome for one image of a batch: its hits, or the error that stopped it."""

    source: int
    hits: tuple[ImageHit, ...] = ()
    error: ImageError | None = None


def hash_distance(a: str, b: str) -> int:
    """Hamming distance between two hashes from hash_image()."""
    return int(bin(int(a, 16) ^ int(b, 16)).count("1"))


def _gray(img: Image.Image, max_side: int) -> np.ndarray:
    rgb = np.asarray(img)
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    h, w = gray.shape
    scale = max_side / max(h, w)
    if scale < 1.0:
        gray = cv2.resize(gray, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
    return gray


def hash_image(image: ImageSource, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> str:
    """Hex of the 64-bit perceptual hash (pHash) of the whole image, for storing per asset.

    Raises ImageDecodeError, ImageTooLargeError, or ImageBlankError for an image with no
    structure to hash.
    """
    img = open_image(image, draft_size=64, max_pixels=max_pixels)
    gray = _gray(img, 128).astype(np.float32)
    small = thumbs(gray, np.array([[0, 0, gray.shape[1], gray.shape[0]]]))
    if not informative(small)[0]:
        raise ImageBlankError("image is blank or nearly uniform: nothing to hash")
    return f"{int(phash_batch(small)[0]):016x}"


def _trim_box(gray: np.ndarray) -> Box | None:
    """The box left after cutting away a uniform border (padding onto a plain canvas)."""
    frame = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]]).astype(np.float32)
    bg = float(np.median(frame))
    diff = np.abs(gray.astype(np.float32) - bg) > 12
    rows = np.flatnonzero(diff.mean(axis=1) > 0.02)
    cols = np.flatnonzero(diff.mean(axis=0) > 0.02)
    if len(rows) == 0 or len(cols) == 0:
        return None
    box = (int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1)
    h, w = gray.shape
    if box == (0, 0, w, h) or box[2] - box[0] < 16 or box[3] - box[1] < 16:
        return None
    return box


def _content_boxes(gray: np.ndarray) -> list[Box]:
    """Boxes of the separate blobs of content on a plain background (the tiles of a collage)."""
    frame = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    mask = (np.abs(gray - float(np.median(frame))) > 12).astype(np.uint8)
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    count, _labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    h, w = gray.shape
    boxes = []
    for x, y, bw, bh, _area in stats[1:count]:
        if bw * bh >= 0.04 * w * h and (bw, bh) != (w, h):
            boxes.append((int(x), int(y), int(x + bw), int(y + bh)))
    return boxes


def _query_windows(gray: np.ndarray) -> tuple[list[Box], int]:
    """Whole image first, then the trimmed content and collage tiles, then sub-windows where
    a pasted asset (padding, collage of up to four) would sit; and how many leading boxes
    stand for the whole picture (the image, and its content without a plain border)."""
    h, w = gray.shape
    boxes: list[Box] = [(0, 0, w, h)]
    trimmed = _trim_box(gray)
    if trimmed:
        boxes.append(trimmed)
    n_full = len(boxes)
    boxes.extend(_content_boxes(gray)[:16])
    boxes.extend(_sub_windows(w, h))
    return boxes[:n_full] + [b for b in boxes[n_full:] if b[2] - b[0] >= 8 and b[3] - b[1] >= 8], n_full


@functools.lru_cache(maxsize=64)
def _sub_windows(w: int, h: int) -> tuple[Box, ...]:
    """Where a pasted asset would sit in a w x h image: each of _WINDOW_SHAPES stepped by a
    quarter. The same for every image of one size (most queries are shrunk to one of a few),
    so computed once a size: it was a quarter of the hash stage's own work."""
    boxes = []
    for fw, fh in _WINDOW_SHAPES:
        for fx in np.linspace(0.0, 1.0 - fw, 1 + int(np.ceil((1.0 - fw) / 0.25))):
            for fy in np.linspace(0.0, 1.0 - fh, 1 + int(np.ceil((1.0 - fh) / 0.25))):
                x0, y0 = round(fx * w), round(fy * h)
                boxes.append((x0, y0, min(w, x0 + round(fw * w)), min(h, y0 + round(fh * h))))
    return tuple(boxes)


def _iou(a: Box, b: Box) -> float:
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union else 0.0


def _inside(a: Box, b: Box) -> float:
    """The share of box a that lies inside box b."""
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    area = (a[2] - a[0]) * (a[3] - a[1])
    return ix * iy / area if area else 0.0


def _suppress_overlaps(best: dict[int, ImageHit], logos: set[int]) -> None:
    """One place in the picture holds one mark: when keypoint hits for different assets
    cover the same region, only the best-supported one is kept (logos share letters). A
    logo's keypoint fit that holds another logo's hit, or lies within it, rests on a few
    glyphs the two share; a hash hit is never dropped."""

    def clash(o: int, k: int) -> bool:
        a, b = best[o].region, best[k].region
        if a is None or b is None:
            return False
        if best[k].method == "keypoints" and _iou(a, b) > 0.4:
            return True
        return o in logos and k in logos and max(_inside(a, b), _inside(b, a)) > 0.6

    kept: list[int] = []
    for o in sorted(best, key=lambda o: (best[o].method == "keypoints", -best[o].score)):
        if best[o].method == "keypoints" and any(clash(o, k) for k in kept):
            del best[o]
        else:
            kept.append(o)


_COPY_COVER = 0.5  # share of the query a copied photo's region covers for "mostly a copy"


def _mostly_copy(best: dict[int, ImageHit], logos: Sequence[int], size: tuple[int, int]) -> bool:
    """A registered photo (not a logo) found over at least half of the query."""
    area = size[0] * size[1]
    logo_set = set(logos)
    return any(o not in logo_set and hit.region is not None
               and (hit.region[2] - hit.region[0]) * (hit.region[3] - hit.region[1]) >= _COPY_COVER * area
               for o, hit in best.items())


@dataclass(slots=True)
class _Prepared:
    size: tuple[int, int]  # original (width, height)
    gray_hash: np.ndarray  # float32, longest side <= _HASH_SIDE
    gray_kp: np.ndarray  # uint8, longest side <= _KP_SIDE_*


class ImageIndex:
    """A brand's registered images, searchable by listing image.

    One key may be added with several images (views of one product); hits are reported once
    per key, best evidence first.
    """

    def __init__(self, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> None:
        self.max_pixels = max_pixels
        self._keys: list[str] = []
        self._kinds: list[str] = []
        # Whole-image hashes (8 rotations/mirrors per asset) apart from the inner-crop ones:
        # query sub-windows are compared with the small whole-image table only.
        self._whole = HashTable.empty()
        self._crops = HashTable.empty()
        self._pool = KeypointPool()
        self._features: list[Features] = []  # ORB, for photos (empty for logos)
        self._logo_features: dict[int, Features] = {}  # owner -> SIFT features of a logo image
        self._bank = LogoBank()
        self._logos: list[int] = []

    # -- building -------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._keys)

    def keys(self) -> list[str]:
        """Distinct keys, in the order they were first added."""
        return list(dict.fromkeys(self._keys))

    def _prepare(self, image: ImageSource, kp_side: int) -> _Prepared:
        img = open_image(image, draft_size=kp_side, max_pixels=self.max_pixels)
        gray_kp = _gray(img, kp_side)
        h, w = gray_kp.shape
        scale = _HASH_SIDE / max(h, w)
        gray_hash = gray_kp if scale >= 1.0 else cv2.resize(
            gray_kp, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA
        )
        return _Prepared(img.size, gray_hash.astype(np.float32), gray_kp)

    def add(self, key: str, image: ImageSource, *, kind: AssetKind = "photo") -> None:
        """Register `image` under `key`.

        `kind="logo"` marks a mark meant to be found inside other photos (small, partly
        hidden, in perspective), so it is searched for with local features in every query
        that is not a whole copy of a registered photo. All logos share one descriptor index:
        a query searches it once, and checks the geometry of the few logo images it matched
        best, so many logos cost little more than a few.
        Raises ImageDecodeError, ImageTooLargeError, or ImageBlankError for an image too
        small or too plain to be recognised without false alarms.
        """
        if not isinstance(key, str) or not key:
            raise MatcherConfigError("an image key must be a non-empty string")
        if kind not in ("photo", "logo"):
            raise MatcherConfigError(f"kind must be 'photo' or 'logo', not {kind!r}")
        prep = self._prepare(image, _KP_SIDE_ASSET)
        if min(prep.size) < _MIN_SIDE:
            raise ImageBlankError(f"image of {prep.size[0]}x{prep.size[1]} pixels is too small to register")
        g = prep.gray_hash
        h, w = g.shape
        full = thumbs(g, np.array([[0, 0, w, h]]))
        if not informative(full)[0]:
            raise ImageBlankError("image is blank or nearly uniform: it would match noise")
        crop_boxes = np.array(
            [[round(l * w), round(t * h), w - round(r * w), h - round(b * h)] for l, t, r, b in _CROP_INSETS]
        )
        crops = thumbs(g, crop_boxes)
        keep = informative(crops)
        variants = np.concatenate([dihedral(full), crops[keep]])
        variant_ids = np.concatenate([np.arange(8), 8 + np.flatnonzero(keep)])
        owner = len(self._keys)
        ph, dh = phash_batch(variants), dhash_batch(variants)
        self._whole.extend(ph[:8], dh[:8], owner, variant_ids[:8])
        self._crops.extend(ph[8:], dh[8:], owner, variant_ids[8:])
        gray_kp = prep.gray_kp
        if kind == "logo":
            side = max(gray_kp.shape)
            f = min(max(1.0, _LOGO_SIDE[0] / side), _LOGO_SIDE[1] / side)
            if f != 1.0:
                gray_kp = cv2.resize(gray_kp, (max(1, round(gray_kp.shape[1] * f)), max(1, round(gray_kp.shape[0] * f))),
                                     interpolation=cv2.INTER_CUBIC if f > 1 else cv2.INTER_AREA)
            logo = sift(gray_kp, _LOGO_FEATURES)
            if len(logo.desc) < _MIN_INLIERS_LOGO:
                raise ImageBlankError(f"logo image holds {len(logo.desc)} local features, too few to be found in photos")
            feats = Features(np.empty((0, 2), np.float32), np.empty((0, 32), np.uint8), logo.size)
            # SIFT is not mirror-invariant, and a flipped listing photo shows the logo
            # mirrored: the mirror image's features go in the bank as a view of the same logo.
            self._add_logo(2 * owner, key, logo)
            self._add_logo(2 * owner + 1, key, sift(np.ascontiguousarray(gray_kp[:, ::-1]), _LOGO_FEATURES))
        else:
            feats = extract(gray_kp, 400)
            self._pool.add(owner, feats.desc[:_VOTE_ROWS_ASSET])
        feats.thumb = thumbnail(gray_kp)
        self._features.append(feats)
        self._keys.append(key)
        self._kinds.append(kind)

    def _add_logo(self, view: int, key: str, logo: Features) -> None:
        """One view of a logo (2 * owner as registered, 2 * owner + 1 its mirror image)."""
        self._logo_features[view] = logo
        self._bank.add(view, logo.desc)
        if view // 2 not in self._logos:
            self._logos.append(view // 2)

    def add_many(
        self, items: Iterable[tuple[str, ImageSource]], *, kind: AssetKind = "photo"
    ) -> list[tuple[str, ImageError]]:
        """Register many images; a bad one is skipped and reported, the rest go in."""
        failed: list[tuple[str, ImageError]] = []
        for key, image in items:
            try:
                self.add(key, image, kind=kind)
            except ImageError as exc:
                failed.append((key, exc))
        return failed

    # -- searching ------------------------------------------------------------------------

    def query(
        self,
        image: ImageSource,
        *,
        score_cutoff: float | None = None,
        limit: int | None = 10,
        logos: bool = True,
    ) -> list[ImageHit]:
        """Registered assets found in `image`, best first, one hit per key.

        Only what the index judges to be a match is returned: blank, placeholder and tiny
        images return []. Raises ImageDecodeError or ImageTooLargeError for a bad image.
        `logos=False` leaves out the logo search (SIFT, the costliest route): for a caller
        that already knows the image's context, e.g. a listing's later photos once the
        listing is tied to the brand.
        """
        if not self._keys:
            open_image(image, draft_size=64, max_pixels=self.max_pixels)  # still report bad input
            return []
        prep = self._prepare(image, _KP_SIDE_QUERY)
        if min(prep.size) < _MIN_SIDE:
            return []
        g = prep.gray_hash
        if not informative(thumbs(g, np.array([[0, 0, g.shape[1], g.shape[0]]])))[0]:
            return []  # blank, uniform or placeholder: anything found in it would be chance
        best: dict[int, ImageHit] = {}
        shortlist: dict[int, int] = {}
        self._hash_search(prep, best, shortlist)
        # A whole-image copy of a registered photo is the listing's image: whatever logo it
        # shows is the brand's own photo's, so the costly keypoint search is skipped.
        if not any(hit.method == "phash" for hit in best.values()):
            self._keypoint_search(prep, best, shortlist, logos=logos)
        _suppress_overlaps(best, set(self._logos))
        by_key: dict[str, ImageHit] = {}
        for owner, hit in best.items():
            key = self._keys[owner]
            if key not in by_key or hit.score > by_key[key].score:
                by_key[key] = hit
        hits = sorted(by_key.values(), key=lambda h: -h.score)
        if score_cutoff is not None:
            hits = [h for h in hits if h.score >= score_cutoff]
        return hits[:limit] if limit is not None else hits

    def query_many(
        self,
        images: Sequence[ImageSource],
        *,
        score_cutoff: float | None = None,
        limit: int | None = 10,
    ) -> list[ImageResult]:
        """Query each image; a corrupt or refused one is recorded and the batch goes on."""
        results = []
        for n, image in enumerate(images):
            try:
                hits = self.query(image, score_cutoff=score_cutoff, limit=limit)
                results.append(ImageResult(n, tuple(hits)))
            except ImageError as exc:
                results.append(ImageResult(n, (), exc))
        return results

    def _hash_search(self, prep: _Prepared, best: dict[int, ImageHit], shortlist: dict[int, int]) -> None:
        g = prep.gray_hash
        windows, n_full = _query_windows(g)
        boxes = np.array(windows)
        small = thumbs(g, boxes)
        keep = informative(small)
        if not keep[0]:
            return  # a blank or placeholder image: its windows would only match by chance
        n_full = int(keep[:n_full].sum())
        boxes, small = boxes[keep], small[keep]
        ph, dh = phash_batch(small), dhash_batch(small)
        # The whole query (and its trimmed content) may be a crop of an asset; a sub-window
        # is only compared with whole assets (a crop of a crop is left to keypoints).
        found = []
        for table, rows in ((self._whole, slice(None)), (self._crops, slice(0, n_full))):
            qi, si, pd = table.search(ph[rows], _SHORTLIST)
            if len(qi):
                found.append((qi, pd, np.bitwise_count(dh[qi] ^ table.dhash[si]), table.owner[si], table.variant[si]))
        if not found:
            return
        qi, pd, dd, owners, variants = (np.concatenate(parts) for parts in zip(*found))
        sx, sy = prep.size[0] / g.shape[1], prep.size[1] / g.shape[0]
        for q, o, v, p, d in zip(qi, owners, variants, pd, dd):
            o = int(o)
            whole = q == 0 and v < 8
            limit_p, limit_d = _ACCEPT_FULL if whole else _ACCEPT_WINDOW
            if p <= limit_p and d <= limit_d:
                score = max(0.0, 1.0 - (int(p) + int(d)) / 64.0)
                if o not in best or score > best[o].score:
                    x0, y0, x1, y1 = boxes[q]
                    region = (round(x0 * sx), round(y0 * sy), round(x1 * sx), round(y1 * sy))
                    best[o] = ImageHit(self._keys[o], round(score, 4), "phash" if whole else "crop", region)
            else:
                shortlist[o] = min(shortlist.get(o, 99), int(p))

    def _keypoint_search(self, prep: _Prepared, best: dict[int, ImageHit], shortlist: dict[int, int], *,
                         logos: bool = True) -> None:
        if not self._features:
            return
        native = prep.gray_kp
        # A copied photo fills a good part of the query: its strongest keypoints, at the
        # query's own scale, suffice.
        photos = len(self._logos) < len(self._keys)
        photo_query = extract(native, _VOTE_ROWS_QUERY) if photos else None
        # Candidates, the only photos whose geometry (RANSAC) is checked: when hashes found
        # no copy, the photos the query's descriptors voted for most; and the closest hash
        # near-misses.
        ranked: list[int] = []
        if photo_query is not None and not best and len(photo_query.desc) >= _MIN_INLIERS:
            votes = self._pool.vote(photo_query.desc)
            ranked += sorted((o for o, n in votes.items() if n >= _MIN_VOTES), key=lambda o: -votes[o])[:_MAX_VERIFY]
        ranked += sorted((o for o in shortlist if shortlist[o] <= _SHORTLIST_KP), key=lambda o: shortlist[o])[:2]
        seen: set[int] = set()
        for o in ranked:
            if o in seen or o in best or self._kinds[o] == "logo":
                continue
            seen.add(o)
            assert photo_query is not None
            # A copied photo explains most of its matches and agrees pixel by pixel once
            # warped into place; a texture's chance alignment does neither.
            found = verify(
                self._features[o], photo_query, min_inliers=_MIN_INLIERS, min_inlier_share=_MIN_INLIER_SHARE,
                min_area=0.04, min_agreement=_MIN_AGREEMENT, query_gray=native,
            )
            if found is None:
                continue
            sx, sy = prep.size[0] / native.shape[1], prep.size[1] / native.shape[0]
            x0, y0, x1, y1 = found.box
            region = (round(x0 * sx), round(y0 * sy), round(x1 * sx), round(y1 * sy))
            score = round(found.inliers / (found.inliers + _MIN_INLIERS), 4)  # 0.5 at the photo floor
            best[o] = ImageHit(self._keys[o], score, "keypoints", region)
        # The logo search (SIFT, about half of a photo's matching cost) after the photos: a
        # query that is mostly a copy of a registered photo shows that photo's logo, as a
        # whole-image copy does.
        if logos and self._logos and not _mostly_copy(best, self._logos, prep.size):
            self._logo_search(prep, best)

    def _logo_search(self, prep: _Prepared, best: dict[int, ImageHit]) -> None:
        """Logos printed in the query: its SIFT descriptors search the shared bank once; the
        logo images with most ratio-test matches get a perspective-tolerant geometric check."""
        gray = prep.gray_kp
        f = _LOGO_QUERY_SIDE / max(gray.shape)
        if f != 1.0:
            # Enlarged: a logo is often 50-100 px wide in a listing photo, and SIFT then finds
            # the blobs of its letters and strokes at scales the registered logo has them.
            # Shrunk: SIFT's cost grows with the pixels (it doubles the image for its first
            # octave), so a large photo is searched at the working size of a small one.
            gray = cv2.resize(gray, (round(gray.shape[1] * f), round(gray.shape[0] * f)),
                              interpolation=cv2.INTER_LINEAR if f > 1.0 else cv2.INTER_AREA)
        query = sift(gray, _LOGO_QUERY_FEATURES)
        if len(query.desc) < _MIN_INLIERS_LOGO:
            return
        matched = self._bank.matches(query.desc)
        ranked = sorted((o for o, p in matched.items() if len(p) >= _LOGO_MATCHES), key=lambda o: -len(matched[o]))
        sx, sy = prep.size[0] / gray.shape[1], prep.size[1] / gray.shape[0]
        found_keys = {hit.key for hit in best.values()}
        fits: list[tuple[int, Fit]] = []
        for view in ranked[:_LOGO_VERIFY]:
            o = view // 2
            if o in best or self._keys[o] in found_keys:
                continue
            found = fit_logo(self._logo_features[view], query, matched[view], min_inliers=_MIN_INLIERS_LOGO)
            if found is not None:
                fits.append((o, found))
        # Logos that share a typeface share letters, and where one is printed another may
        # fit a few of its letters too: a fit whose spots in the query lie mostly inside a
        # better-supported fit's outline is explained by that logo, and dropped.
        taken: list[tuple[float, float, float, float]] = []
        for o, found in sorted(fits, key=lambda f: -f[1].inliers):
            if self._keys[o] in found_keys:  # its mirror view, or another image of its key
                continue
            xy = query.xy[found.pairs[:, 1]]
            inside = np.zeros(len(xy), bool)
            for bx0, by0, bx1, by1 in taken:
                inside |= (xy[:, 0] >= bx0) & (xy[:, 0] <= bx1) & (xy[:, 1] >= by0) & (xy[:, 1] <= by1)
            if inside.mean() >= _LOGO_EXPLAINED:
                continue
            x0, y0, x1, y1 = found.box
            region = (round(x0 * sx), round(y0 * sy), round(x1 * sx), round(y1 * sy))
            score = round(found.inliers / (found.inliers + _MIN_INLIERS_LOGO), 4)
            best[o] = ImageHit(self._keys[o], score, "keypoints", region)
            found_keys.add(self._keys[o])
            taken.append(found.box)

    # -- persistence ----------------------------------------------------------------------

    def save(self, path: str | os.PathLike) -> None:
        """Write the index to an .npz file (plain arrays, no pickle)."""
        self._whole.consolidate()
        self._crops.consolidate()
        self._pool.consolidate()
        counts = np.array([len(f.desc) for f in self._features], np.int64)
        logos = sorted(self._logo_features)
        np.savez_compressed(
            path,
            format=np.array([_FORMAT]),
            meta=np.frombuffer(json.dumps({"keys": self._keys, "kinds": self._kinds}).encode(), np.uint8),
            phash=np.concatenate([self._whole.phash, self._crops.phash]),
            dhash=np.concatenate([self._whole.dhash, self._crops.dhash]),
            owner=np.concatenate([self._whole.owner, self._crops.owner]),
            variant=np.concatenate([self._whole.variant, self._crops.variant]),
            kp_counts=counts,
            kp_sizes=np.array([f.size for f in self._features], np.int64).reshape(-1, 2),
            kp_xy=np.concatenate([f.xy for f in self._features]) if self._features else np.empty((0, 2), np.float32),
            kp_desc=np.concatenate([f.desc for f in self._features]) if self._features else np.empty((0, 32), np.uint8),
            thumb_shapes=np.array([f.thumb.shape if f.thumb is not None else (0, 0) for f in self._features], np.int64).reshape(-1, 2),
            thumb_pixels=np.concatenate([f.thumb.ravel() for f in self._features if f.thumb is not None] or [np.empty(0, np.uint8)]),
            # SIFT features of logo images.
            logo_owner=np.array(logos, np.int64),
            logo_counts=np.array([len(self._logo_features[o].desc) for o in logos], np.int64),
            logo_sizes=np.array([self._logo_features[o].size for o in logos], np.int64).reshape(-1, 2),
            logo_xy=np.concatenate([self._logo_features[o].xy for o in logos] or [np.empty((0, 2), np.float32)]),
            logo_desc=np.concatenate([self._logo_features[o].desc for o in logos] or [np.empty((0, SIFT_DIM), np.uint8)]),
            # The cells of the photo-vote index when it is an inverted file (optional too).
            pool_centroids=self._pool.centroids(),
        )

    @classmethod
    def load(cls, path: str | os.PathLike, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> ImageIndex:
        """Read an index written by save(). Raises MatcherConfigError if the file is not one."""
        try:
            with np.load(path, allow_pickle=False) as data:
                if int(data["format"][0]) != _FORMAT:
                    raise MatcherConfigError(f"{os.fspath(path)}: unknown image index format")
                meta = json.loads(bytes(data["meta"]).decode())
                arrays = {name: data[name] for name in data.files}
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
            raise MatcherConfigError(f"{os.fspath(path)} is not a saved image index: {exc}") from exc
        n_assets = len(meta.get("keys", []))
        n_hashes = len(arrays["phash"])
        if (
            len(meta.get("kinds", [])) != n_assets
            or any(len(arrays[k]) != n_hashes for k in ("dhash", "owner", "variant"))
            or (n_hashes and not 0 <= int(arrays["owner"].min()) <= int(arrays["owner"].max()) < n_assets)
            or len(arrays["kp_counts"]) != n_assets
            or len(arrays["kp_sizes"]) != n_assets
            or int(arrays["kp_counts"].sum()) != len(arrays["kp_desc"])
            or len(arrays["kp_desc"]) != len(arrays["kp_xy"])
            or len(arrays.get("thumb_shapes", ())) != n_assets
            or int(arrays["thumb_shapes"].prod(axis=1).sum()) != len(arrays["thumb_pixels"])
        ):
            raise MatcherConfigError(f"{os.fspath(path)}: the saved image index is inconsistent")
        logo_owner = arrays.get("logo_owner", np.empty(0, np.int64))
        logo_counts = arrays.get("logo_counts", np.empty(0, np.int64))
        logo_sizes = arrays.get("logo_sizes", np.empty((0, 2), np.int64))
        logo_xy = arrays.get("logo_xy", np.empty((0, 2), np.float32))
        logo_desc = arrays.get("logo_desc", np.empty((0, SIFT_DIM), np.uint8))
        if (
            len(logo_counts) != len(logo_owner)
            or len(logo_sizes) != len(logo_owner)
            or int(logo_counts.sum()) != len(logo_desc)
            or len(logo_desc) != len(logo_xy)
            or (len(logo_desc) and logo_desc.shape[1:] != (SIFT_DIM,))
            or sorted({int(v) // 2 for v in logo_owner}) != [n for n, kind in enumerate(meta["kinds"]) if kind == "logo"]
        ):
            raise MatcherConfigError(f"{os.fspath(path)}: the saved image index is inconsistent")
        index = cls(max_pixels=max_pixels)
        index._keys = list(meta["keys"])
        index._kinds = list(meta["kinds"])
        whole = arrays["variant"] < 8
        index._whole = HashTable(*(arrays[k][whole] for k in ("phash", "dhash", "owner", "variant")))
        index._crops = HashTable(*(arrays[k][~whole] for k in ("phash", "dhash", "owner", "variant")))
        offsets = np.concatenate([[0], np.cumsum(arrays["kp_counts"])])
        thumb_offsets = np.concatenate([[0], np.cumsum(arrays["thumb_shapes"].prod(axis=1))])
        for n, (w, h) in enumerate(arrays["kp_sizes"]):
            a, b = offsets[n], offsets[n + 1]
            feats = Features(arrays["kp_xy"][a:b], arrays["kp_desc"][a:b], (int(w), int(h)))
            th, tw = (int(v) for v in arrays["thumb_shapes"][n])
            if th * tw:
                feats.thumb = arrays["thumb_pixels"][thumb_offsets[n]: thumb_offsets[n] + th * tw].reshape(th, tw)
            index._features.append(feats)
            if index._kinds[n] == "photo":
                index._pool.add(n, feats.desc[:_VOTE_ROWS_ASSET])
        logo_offsets = np.concatenate([[0], np.cumsum(logo_counts)])
        for n, owner in enumerate(logo_owner):
            a, b = logo_offsets[n], logo_offsets[n + 1]
            w, h = (int(v) for v in logo_sizes[n])
            logo = Features(logo_xy[a:b].astype(np.float32), logo_desc[a:b].astype(np.uint8), (w, h))
            index._add_logo(int(owner), index._keys[int(owner) // 2], logo)
        if len(arrays.get("pool_centroids", ())):
            index._pool.use_centroids(arrays["pool_centroids"])
        return index


# -- OCR ---------------------------------------------------------------------------------

_ocr_engine = None
_ocr_lock = threading.Lock()
# The text detector is most of OCR's cost and grows with the pixels it sees: at a short side
# of 544 px it costs about a third of RapidOCR's default (736), and photos' brand words are
# rarely thinner than what it still finds (bench/logo_wild.py prints the route's recall).
_OCR_DET_SIDE = 544
_OCR_MAX_SIDE = 1600
_OCR_MAX_WORDS = 12  # text boxes recognised per image, the largest first: a size budget
_OCR_MIN_SCORE = 0.5


def _engine():  # noqa: ANN202 (the engine's type lives in the optional package)
    global _ocr_engine
    with _ocr_lock:
        if _ocr_engine is None:
            try:
                from rapidocr_onnxruntime import RapidOCR
            except ImportError as exc:
                raise OcrUnavailableError(
                    "reading text in images needs rapidocr-onnxruntime, a markwatch dependency: reinstall markwatch "
                    "(pip install markwatch), or set `ocr: false` in brand.yaml's settings"
                ) from exc
            # One thread, as the rest of the matcher: images are matched one per core.
            _ocr_engine = RapidOCR(intra_op_num_threads=1, inter_op_num_threads=1)
        return _ocr_engine


def read_text(image: ImageSource, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> list[tuple[str, Box]]:
    """Words printed in the image with their boxes, for the text matcher to check for marks.

    The detector finds the text-like regions; only the largest few are read. Needs the
    rapidocr-onnxruntime (a dependency); raises OcrUnavailableError saying so when it is
    absent, and ImageDecodeError / ImageTooLargeError for a bad image.
    """
    engine = _engine()
    img = open_image(image, draft_size=_OCR_DET_SIDE, max_pixels=max_pixels)
    if min(img.size) < _MIN_SIDE:
        return []
    scale = min(_OCR_DET_SIDE / min(img.size), _OCR_MAX_SIDE / max(img.size))
    if scale < 1.0:
        img = img.resize((max(1, round(img.size[0] * scale)), max(1, round(img.size[1] * scale))), Image.Resampling.LANCZOS)
    else:
        scale = 1.0
    bgr = np.ascontiguousarray(np.asarray(img)[:, :, ::-1])
    try:
        with _ocr_lock:  # the engine keeps per-call state (its detector's scale)
            det = engine.text_det
            det.limit_type, det.limit_side_len = "min", _OCR_DET_SIDE
            boxes, _ = det(bgr)
            if boxes is None or len(boxes) == 0:
                return []
            boxes = sorted(boxes, key=lambda q: -cv2.contourArea(np.asarray(q, np.float32)))[:_OCR_MAX_WORDS]
            crops = engine.get_crop_img_list(bgr, [np.asarray(q, np.float32) for q in boxes])
            read, _ = engine.text_rec(crops)
    except Exception as exc:  # the OCR engine's failures on odd inputs are per-image errors
        raise ImageDecodeError(f"OCR failed on this image: {exc}") from exc
    words: list[tuple[str, Box]] = []
    for quad, rec in zip(boxes, read):
        text, conf = str(rec[0]), float(rec[1])
        if not text.strip() or conf < _OCR_MIN_SCORE:
            continue
        pts = np.asarray(quad, dtype=np.float32) / scale
        x0, y0 = pts.min(axis=0)
        x1, y1 = pts.max(axis=0)
        words.append((text, (int(x0), int(y0), int(np.ceil(x1)), int(np.ceil(y1)))))
    # Reading order (top to bottom, then left to right), so a mark split over two boxes
    # on one line is read as one phrase.
    words.sort(key=lambda w: (round(w[1][1] / max(1, w[1][3] - w[1][1])), w[1][0]))
    return words


@dataclass(frozen=True, slots=True)
class WordsRead:
    """What reading the words in one image found: the marks (as hits whose `key` is the
    mark, `method` "words" and `region` the word's box), the words read, and whether the
    recogniser ran at all (it is skipped where nothing looks like print)."""

    hits: tuple[ImageHit, ...]
    words: tuple[tuple[str, Box], ...]
    ran: bool


def words_as_text(words: Sequence[tuple[str, Box]]) -> tuple[str, list[tuple[int, int, Box]]]:
    """The words read in an image as one text for the mark matcher, with each word's
    (start, end, box) in it; e-mail addresses (a photographer's credit) are left out."""
    text, spans = "", []
    for word, box in words:
        if "@" in word:
            continue
        spans.append((len(text), len(text) + len(word), box))
        text += word + " "
    return text, spans


def read_marks(image: ImageSource, matcher: MarkMatcher, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> WordsRead:
    """Marks of `matcher` in the words printed in the image, each with the word's box.

    Raises OcrUnavailableError without rapidocr-onnxruntime, ImageDecodeError / ImageTooLargeError
    for a bad image.
    """
    words = read_text(image, max_pixels=max_pixels)
    text, spans = words_as_text(words)
    best: dict[str, ImageHit] = {}
    for hit in matcher.find(text):
        box = next((b for start, end, b in spans if start <= hit.start < end), None)
        score = round(hit.score / 100.0, 4)
        if hit.mark not in best or score > best[hit.mark].score:
            best[hit.mark] = ImageHit(hit.mark, score, "words", box)
    return WordsRead(tuple(sorted(best.values(), key=lambda h: -h.score)), tuple(words), True)
