"""Registered designs in listing photos: does the product shown have the registered shape?

A design registration's figures are line drawings (or plain photos) and a listing shows a
photo, so pixels and keypoints do not carry over. Both sides are reduced to the object's
silhouette (the lines closed and filled, or the photo's foreground against its background,
with GrabCut where the background is busy), normalised for position, scale and orientation
by the silhouette's principal axes, and compared three ways: the overlap of the two
silhouettes under every mirror and half turn the axes leave open, the outline's centroid
distance Fourier descriptor (rotation, start point and mirror invariant) with Hu moments, and
the agreement of inner edges (the drawing's detail lines against the photo's seams).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from matchers._imageio import DEFAULT_MAX_PIXELS, ImageSource, open_image
from matchers.errors import MatcherConfigError, ShapeNotFoundError

__all__ = ["DesignHit", "DesignIndex", "Silhouette", "silhouette", "silhouettes", "compare", "DESIGN_THRESHOLD"]

# A listing photo scoring at least this against a figure shows the registered shape. Set with
# bench/design_accuracy.py on generated line drawings and photos: 97% of copies on plain and
# shaded grounds (scaled, turned up to 15 degrees, mirrored, JPEG) score above it, no unrelated
# shape does, and 5% of the same shapes in other proportions do. A product on a busy ground
# (shelves, a room) is seldom cut out whole: most such copies score below it.
DESIGN_THRESHOLD = 0.72

_SIDE = 256  # longest side images are worked at: outlines need no more
_CANVAS = 128  # side of the normalised silhouette
_GRABCUT_SIDE = 128  # longest side GrabCut works at
_ROOT_AREA = 34.0  # the normalised silhouette's square root of area, in canvas pixels
_HARMONICS = 16  # Fourier descriptors kept of the outline's centroid distance
_OUTLINE_POINTS = 256
_MIN_SHARE, _MAX_SHARE = 0.01, 0.92  # of the image an object's silhouette may cover
_ROUND = 1.25  # below this ratio of the principal axes the orientation is a guess: search it
_ROTATIONS_FINE = (-8.0, 0.0, 8.0)
_ROTATIONS_ROUND = tuple(float(a) for a in range(0, 180, 12))
# How the three comparisons make one score; overlap discriminates best (bench).
_WEIGHTS = {"overlap": 0.55, "outline": 0.3, "detail": 0.15}
# Overlaps of unrelated compact objects already sit near 0.55: only the part above counts.
_OVERLAP_FLOOR = 0.55


@dataclass(frozen=True, slots=True)
class DesignHit:
    """A registered figure whose shape a query photo shows.

    `score` in [0, 1] combines `overlap` (silhouette intersection over union after
    normalising, 1 for the same shape), `outline` (similarity of the outline descriptors)
    and `detail` (agreement of inner lines); `mirrored` is True when the photo shows the
    figure's mirror image.
    """

    key: str
    score: float
    overlap: float
    outline: float
    detail: float
    mirrored: bool


@dataclass(frozen=True, slots=True, eq=False)
class Silhouette:
    """One image reduced to its object's normalised silhouette and outline descriptors."""

    mask: np.ndarray  # bool, _CANVAS x _CANVAS, principal axis horizontal
    edges: np.ndarray  # bool, inner edges in the same frame, dilated
    fourier: np.ndarray  # float32, _HARMONICS magnitudes over the mean radius
    hu: np.ndarray  # float64, 7 log-scaled absolute Hu moments
    elongation: float  # ratio of the principal axes (>= 1)
    share: float  # of the image the object covers


def _fit(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The picture at the working size (longest side _SIDE) in colour and grey."""
    h, w = rgb.shape[:2]
    scale = _SIDE / max(h, w)
    if scale < 1.0:
        rgb = cv2.resize(rgb, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
    elif scale > 1.5:  # a tiny figure is enlarged so that closing gaps keeps its detail
        rgb = cv2.resize(rgb, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_CUBIC)
    return np.ascontiguousarray(rgb), cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)


def _closer(full: np.ndarray, rgb: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """The picture cropped around a small object, with a margin of ground, at the working
    size: gaps are closed relative to the object, so a hatchet shot from afar keeps the notch
    between its head and handle as its figure does."""
    ys, xs = np.nonzero(mask)
    h, w = mask.shape
    bw, bh = xs.max() - xs.min() + 1, ys.max() - ys.min() + 1
    if max(bw / w, bh / h) > 0.7:
        return None
    f = full.shape[1] / w
    margin = 0.15 * max(bw, bh)
    x0, x1 = max(0, int((xs.min() - margin) * f)), min(full.shape[1], int((xs.max() + 1 + margin) * f))
    y0, y1 = max(0, int((ys.min() - margin) * f)), min(full.shape[0], int((ys.max() + 1 + margin) * f))
    if x1 - x0 < 16 or y1 - y0 < 16:
        return None
    return _fit(full[y0:y1, x0:x1])


def _fill(mask: np.ndarray) -> np.ndarray:
    """The mask with every hole closed: what the border cannot reach is inside."""
    h, w = mask.shape
    padded = np.zeros((h + 2, w + 2), np.uint8)
    padded[1:-1, 1:-1] = mask
    flood = padded.copy()
    cv2.floodFill(flood, np.zeros((h + 4, w + 4), np.uint8), (0, 0), 1)
    return (padded[1:-1, 1:-1] | (1 - flood[1:-1, 1:-1])).astype(np.uint8)


def _object(mask: np.ndarray) -> np.ndarray:
    """The largest blob of a foreground mask, with blobs nearly as large (the parts of a
    product drawn apart), gaps closed and holes filled."""
    h, w = mask.shape
    k = max(3, round(0.025 * max(h, w)) | 1)
    closed = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    filled = _fill(closed)
    filled = cv2.morphologyEx(filled, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(filled, connectivity=8)
    if count <= 1:
        return np.zeros_like(filled)
    areas = stats[1:, cv2.CC_STAT_AREA]
    keep = 1 + np.flatnonzero(areas >= 0.3 * areas.max())
    return np.isin(labels, keep).astype(np.uint8)


def _border_mask(rgb: np.ndarray) -> np.ndarray:
    """Pixels unlike the ground: a plane of colour (plain or a gradient) fitted to the
    picture's border, so a shaded studio ground is ground everywhere."""
    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB).astype(np.float32)
    h, w = lab.shape[:2]
    b = max(2, min(h, w) // 40)
    ring = np.zeros((h, w), bool)
    ring[:b], ring[-b:], ring[:, :b], ring[:, -b:] = True, True, True, True
    ys, xs = np.nonzero(ring)
    design = np.column_stack([np.ones(len(xs), np.float32), xs.astype(np.float32) / w, ys.astype(np.float32) / h])
    coef, *_ = np.linalg.lstsq(design, lab[ring], rcond=None)
    # The plane is a row term plus a column term: subtracted by broadcasting, not built whole.
    across = (np.arange(w, dtype=np.float32) / w)[:, None] * coef[1]
    down = coef[0] + (np.arange(h, dtype=np.float32) / h)[:, None] * coef[2]
    diff = lab - down[:, None, :]
    diff -= across[None, :, :]
    dist = np.sqrt(np.einsum("ijk,ijk->ij", diff, diff))
    spread = float(np.percentile(dist[ring], 90))
    top = max(1.0, float(dist.max()))
    scaled = np.clip(dist * (255.0 / top), 0, 255).astype(np.uint8)
    otsu, _ = cv2.threshold(scaled, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    threshold = max(otsu * top / 255.0, spread * 1.5, 12.0)
    return (dist > threshold).astype(np.uint8)


def _grabcut(rgb: np.ndarray) -> np.ndarray:
    """Foreground by GrabCut from a frame just inside the picture: a product photographed on
    a busy ground, which no single ground colour separates. Cut at _GRABCUT_SIDE and the
    mask enlarged back: its cost grows with the pixels (0.6 s at 256 px, 0.09 s at 128 on
    this machine), and the outline it gives is then closed and compared at 128 px anyway
    (bench/design_accuracy.py: recall on cluttered grounds 8/40 at 128 px against 7/40)."""
    h, w = rgb.shape[:2]
    f = _GRABCUT_SIDE / max(h, w)
    small = rgb if f >= 1.0 else cv2.resize(
        rgb, (max(1, round(w * f)), max(1, round(h * f))), interpolation=cv2.INTER_AREA)
    sh, sw = small.shape[:2]
    mask = np.zeros((sh, sw), np.uint8)
    rect = (max(1, sw // 20), max(1, sh // 20), sw - 2 * max(1, sw // 20), sh - 2 * max(1, sh // 20))
    bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    cv2.setRNGSeed(0)
    try:
        cv2.grabCut(np.ascontiguousarray(small[:, :, ::-1]), mask, rect, bgd, fgd, 4, cv2.GC_INIT_WITH_RECT)
    except cv2.error:
        return np.zeros((h, w), np.uint8)
    fg = np.isin(mask, (cv2.GC_FGD, cv2.GC_PR_FGD)).astype(np.float32)
    if (sh, sw) == (h, w):
        return fg.astype(np.uint8)
    return (cv2.resize(fg, (w, h), interpolation=cv2.INTER_LINEAR) > 0.5).astype(np.uint8)


def _plausible(mask: np.ndarray) -> bool:
    share = float(mask.mean())
    if not _MIN_SHARE <= share <= _MAX_SHARE:
        return False
    # An object stands inside the picture: a mask hugging most of the frame is the ground.
    frame = np.concatenate([mask[0], mask[-1], mask[:, 0], mask[:, -1]])
    return float(frame.mean()) < 0.5


def _outline(mask: np.ndarray) -> np.ndarray:
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    return max(contours, key=cv2.contourArea).reshape(-1, 2).astype(np.float64)


def _fourier(contour: np.ndarray) -> np.ndarray:
    closed = np.vstack([contour, contour[:1]])
    steps = np.hypot(*np.diff(closed, axis=0).T)
    arc = np.concatenate([[0.0], np.cumsum(steps)])
    t = np.linspace(0, arc[-1], _OUTLINE_POINTS, endpoint=False)
    pts = np.column_stack([np.interp(t, arc, closed[:, 0]), np.interp(t, arc, closed[:, 1])])
    r = np.hypot(*(pts - pts.mean(axis=0)).T)
    spectrum = np.abs(np.fft.rfft(r))
    return (spectrum[1 : _HARMONICS + 1] / max(spectrum[0], 1e-9)).astype(np.float32)


def _warp(mask: np.ndarray, gray: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    m = cv2.moments(mask, binaryImage=True)
    cx, cy = m["m10"] / m["m00"], m["m01"] / m["m00"]
    mu20, mu02, mu11 = m["mu20"] / m["m00"], m["mu02"] / m["m00"], m["mu11"] / m["m00"]
    angle = 0.5 * math.degrees(math.atan2(2 * mu11, mu20 - mu02))
    spread = math.sqrt(((mu20 - mu02) / 2) ** 2 + mu11**2)
    major, minor = (mu20 + mu02) / 2 + spread, max((mu20 + mu02) / 2 - spread, 1e-9)
    scale = _ROOT_AREA / math.sqrt(m["m00"])
    rot = cv2.getRotationMatrix2D((cx, cy), angle, scale)
    rot[:, 2] += (_CANVAS / 2 - cx, _CANVAS / 2 - cy)
    size = (_CANVAS, _CANVAS)
    warped_mask = cv2.warpAffine(mask * 255, rot, size, flags=cv2.INTER_LINEAR) > 127
    # Inner edges: Canny inside the object, away from its outline (the outline is compared
    # already), on the grey image at the working size.
    edges = cv2.Canny(cv2.GaussianBlur(gray, (3, 3), 0), 50, 150)
    inner = cv2.erode(mask, np.ones((5, 5), np.uint8))
    edges = ((edges > 0) & (inner > 0)).astype(np.uint8) * 255
    warped_edges = cv2.warpAffine(edges, rot, size, flags=cv2.INTER_LINEAR) > 40
    warped_edges = cv2.dilate(warped_edges.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    return warped_mask, warped_edges, math.sqrt(major / minor)


def _describe(mask: np.ndarray, gray: np.ndarray, share: float | None = None) -> Silhouette:
    warped, edges, elongation = _warp(mask, gray)
    contour = _outline(mask)
    hu = cv2.HuMoments(cv2.moments(mask, binaryImage=True)).ravel()
    hu = -np.sign(hu) * np.log10(np.abs(hu) + 1e-30)
    share = float(mask.mean()) if share is None else share
    return Silhouette(warped, edges, _fourier(contour), np.abs(hu), elongation, share)


def silhouettes(image: ImageSource, *, max_pixels: int = DEFAULT_MAX_PIXELS, busy: bool = False) -> list[Silhouette]:
    """The object of `image` as normalised silhouettes: cut from a ground of one colour or
    gradient (line drawings closed and filled), and by GrabCut when that finds no object or
    with `busy` (a photo on a busy ground may fool the first cut while looking plausible;
    GrabCut costs about 0.09 s a photo).

    Raises ImageDecodeError or ImageTooLargeError for a bad image, ShapeNotFoundError when
    no object stands out of the background.
    """
    full = np.asarray(open_image(image, max_pixels=max_pixels))
    rgb, gray = _fit(full)
    if min(gray.shape) < 16:
        raise ShapeNotFoundError(f"image of {gray.shape[1]}x{gray.shape[0]} pixels is too small to show a shape")
    masks = [_object(_border_mask(rgb))]
    if busy or not _plausible(masks[0]):
        masks.append(_object(_grabcut(rgb)))
    out = []
    for mask in masks:
        if not _plausible(mask):
            continue
        if (near := _closer(full, rgb, mask)) is not None:
            closer = _object(_border_mask(near[0]))
            if _plausible(closer):
                out.append(_describe(closer, near[1], share=float(mask.mean())))
                continue
        out.append(_describe(mask, gray))
    if not out:
        raise ShapeNotFoundError("no object stands out of the background: nothing to compare with a design")
    return out


def silhouette(image: ImageSource, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> Silhouette:
    """The one silhouette of an image: its ground cut away, GrabCut only when that fails."""
    return silhouettes(image, max_pixels=max_pixels)[0]


def _variants(s: Silhouette) -> list[tuple[np.ndarray, np.ndarray, bool]]:
    """The silhouette under each orientation its principal axes leave open: the half turns
    and mirror images, and for a roundish object a search over rotations as well."""
    angles = _ROTATIONS_ROUND if s.elongation < _ROUND else _ROTATIONS_FINE
    centre = (_CANVAS / 2, _CANVAS / 2)
    out = []
    for mirrored in (False, True):
        mask = s.mask[:, ::-1] if mirrored else s.mask
        edges = s.edges[:, ::-1] if mirrored else s.edges
        for half in (False, True):
            m = mask[::-1, ::-1] if half else mask
            e = edges[::-1, ::-1] if half else edges
            for angle in angles:
                if angle == 0.0:
                    out.append((np.ascontiguousarray(m), np.ascontiguousarray(e), mirrored))
                    continue
                rot = cv2.getRotationMatrix2D(centre, angle, 1.0)
                size = (_CANVAS, _CANVAS)
                out.append((cv2.warpAffine(m.astype(np.uint8), rot, size) > 0,
                            cv2.warpAffine(e.astype(np.uint8), rot, size) > 0, mirrored))
    return out


def _detail(a: np.ndarray, b: np.ndarray) -> float:
    """F-score of inner edges of one side lying on inner edges of the other; a side with
    hardly any inner lines (a plain drawing, a flat photo) says nothing: 0.5."""
    na, nb = int(a.sum()), int(b.sum())
    if na < 20 or nb < 20:
        return 0.5
    near_b = cv2.dilate(b.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    near_a = cv2.dilate(a.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    precision = float((a & near_b).sum()) / na
    recall = float((b & near_a).sum()) / nb
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def _outline_similarity(a: Silhouette, b: Silhouette) -> float:
    fourier = float(np.linalg.norm(a.fourier - b.fourier))
    hu = float(np.abs(a.hu[:3] - b.hu[:3]).sum())
    return 0.7 * math.exp(-fourier / 0.06) + 0.3 * math.exp(-hu / 0.5)


class _Figure:
    __slots__ = ("key", "shape", "variants")

    def __init__(self, key: str, shape: Silhouette) -> None:
        self.key = key
        self.shape = shape
        self.variants = _variants(shape)


def _score(figure: _Figure, query: Silhouette) -> DesignHit:
    best_iou, best = -1.0, figure.variants[0]
    for variant in figure.variants:
        mask = variant[0]
        inter = np.count_nonzero(mask & query.mask)
        iou = inter / max(1, np.count_nonzero(mask | query.mask))
        if iou > best_iou:
            best_iou, best = iou, variant
    outline = _outline_similarity(figure.shape, query)
    detail = _detail(best[1], query.edges)
    overlap = min(1.0, max(0.0, (best_iou - _OVERLAP_FLOOR) / (1.0 - _OVERLAP_FLOOR)))
    score = _WEIGHTS["overlap"] * overlap + _WEIGHTS["outline"] * outline + _WEIGHTS["detail"] * detail
    # A silhouette that does not overlap is another shape, whatever its outline's statistics.
    if best_iou < 0.6:
        score = min(score, DESIGN_THRESHOLD - 0.05)
    return DesignHit(figure.key, round(float(score), 4), round(float(best_iou), 4),
                     round(float(outline), 4), round(float(detail), 4), best[2])


def compare(figure: ImageSource | Silhouette, photo: ImageSource | Silhouette, *, key: str = "figure") -> DesignHit:
    """How closely `photo` shows the shape of `figure` (either as an image or a silhouette)."""
    a = figure if isinstance(figure, Silhouette) else silhouette(figure)
    b = photo if isinstance(photo, Silhouette) else silhouette(photo)
    return _score(_Figure(key, a), b)


class DesignIndex:
    """A brand's design figures, searchable by listing photo (one hit per key, best view)."""

    def __init__(self, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> None:
        self.max_pixels = max_pixels
        self._figures: list[_Figure] = []

    def __len__(self) -> int:
        return len(self._figures)

    def keys(self) -> list[str]:
        return list(dict.fromkeys(f.key for f in self._figures))

    def add(self, key: str, image: ImageSource) -> None:
        """Register a figure (one view of a design) under `key`; several views may share one.

        Raises ImageDecodeError, ImageTooLargeError or ShapeNotFoundError for a figure that
        shows no object.
        """
        if not isinstance(key, str) or not key:
            raise MatcherConfigError("a design key must be a non-empty string")
        self._figures.append(_Figure(key, silhouette(image, max_pixels=self.max_pixels)))

    def query(
        self,
        image: ImageSource | Silhouette,
        *,
        score_cutoff: float | None = None,
        limit: int | None = 10,
    ) -> list[DesignHit]:
        """Designs whose shape `image` shows, best first; `score_cutoff` defaults to
        DESIGN_THRESHOLD. A photo with no object standing out of its ground returns [];
        a corrupt one raises ImageDecodeError or ImageTooLargeError."""
        cutoff = DESIGN_THRESHOLD if score_cutoff is None else score_cutoff
        if isinstance(image, Silhouette):
            queries = [image]
        else:
            try:
                queries = silhouettes(image, max_pixels=self.max_pixels)
            except ShapeNotFoundError:
                return []
        best: dict[str, DesignHit] = {}
        for figure in self._figures:
            for query in queries:
                hit = _score(figure, query)
                if hit.score >= cutoff and (figure.key not in best or hit.score > best[figure.key].score):
                    best[figure.key] = hit
        hits = sorted(best.values(), key=lambda h: -h.score)
        return hits[:limit] if limit is not None else hits

    def query_many(self, images: Sequence[ImageSource], *, score_cutoff: float | None = None,
                   limit: int | None = 10) -> list[DesignHit]:
        """The best hit per key over several photos of one listing; bad photos are skipped."""
        from matchers.errors import ImageError

        best: dict[str, DesignHit] = {}
        for image in images:
            try:
                hits = self.query(image, score_cutoff=score_cutoff, limit=None)
            except ImageError:
                continue
            for hit in hits:
                if hit.key not in best or hit.score > best[hit.key].score:
                    best[hit.key] = hit
        ranked = sorted(best.values(), key=lambda h: -h.score)
        return ranked[:limit] if limit is not None else ranked
