"""Assess one listing against one brand: marks in its text, the brand's images in its
photos, replica and compatibility wording, price against MSRP, the seller's authorisation;
then the risk score. The crawl pipeline and the clearance check both use it.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import re
import warnings
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

from PIL import Image

import matchers.image
from matchers import risk as risk_mod
from matchers import signals
from matchers.errors import ImageError, MatcherConfigError, OcrUnavailableError
from matchers.image import ImageIndex, open_image, read_text, words_as_text
from matchers.claims import Claim, ClaimHit, ClaimIndex, Element
from matchers.copy import CopyHit, CopyIndex
from matchers.design import DESIGN_THRESHOLD, DesignHit, DesignIndex
from matchers.errors import VideoError
from matchers.video import FrameHit, key_frames, match_frames
from matchers.text import Mark, MarkHit, MarkMatcher
from monitor._files import cache_dir, held
from monitor.platforms import PLATFORM_JURISDICTION
from monitor.registry import Product, Registry, video_of_frame

__all__ = ["ListingText", "Assessment", "Assessor", "default_image_cache", "claim_index", "copy_index",
           "claim_evidence",
           "parse_claim_evidence"]

_TEXT_LIMIT = 50_000  # characters of a listing's text that are matched
_CACHE_KEEP = 32  # image indexes kept in the cache folder, newest first
_BUILD_WAIT = 600.0  # seconds a process waits for another building the same index
OCR_PHOTOS = 2    # photos of a listing whose words are read, main first
# What each route found in a photo, kept by the photo's content for the next listing that
# shows it (a seller's size chart or shop banner, a network's shared photos, a stolen photo
# re-uploaded under another address). A few hundred bytes an entry.
PHOTO_MEMO = 4096
_T = TypeVar("_T")
# A listing's photos are decoded once for all the routes that look at them (image matching,
# reading words, design shapes), up to this many pixels a photo and in all: larger photos
# are left to each route, which decodes a JPEG at the fraction of its size it needs.
SHARED_PHOTO_PIXELS = 4_000_000
SHARED_LISTING_PIXELS = 16_000_000
# A claim most of whose elements are shown is worth a look: two thirds of them, at least two.
MOST_ELEMENTS = 2 / 3
MOST_SCORE = 0.6  # the finding score of such a claim (all elements: 1.0)
# A listing that names or shows the brand may be of the genuine patented product, whose
# resale the patent does not reach (exhaustion): its claim findings score this much less.
EXHAUSTION_DAMPING = 0.3


def default_image_cache() -> Path | None:
    """Where built image indexes are kept: $MARKWATCH_CACHE_DIR, or the user's cache folder
    (~/.cache/markwatch on Linux); MARKWATCH_CACHE_DIR=off turns the cache off."""
    return cache_dir("image-index")


def _content_digest(image: Any) -> str | None:
    """A digest of a photo's bytes (a file's or a buffer's), or None for what has no bytes
    to read here (a decoded image, a stream, a file that cannot be opened: the matcher then
    says why)."""
    if isinstance(image, (bytes, bytearray, memoryview)):
        return hashlib.blake2b(image, digest_size=16).hexdigest()
    if isinstance(image, (str, os.PathLike)):
        try:
            with open(image, "rb") as fh:
                return hashlib.file_digest(fh, lambda: hashlib.blake2b(digest_size=16)).hexdigest()
        except OSError:
            return None
    return None


def _photo_error(index: int, image: Any, exc: Exception) -> str:
    """One line for a listing photo that could not be read: which photo, its file's name
    (the run's images folder is named once, in the run's summary) and why, the path not
    repeated from the decoder's own message."""
    text = str(exc)
    if isinstance(image, (str, os.PathLike)):
        path = os.fspath(image)
        text = text.replace(f" ({path})", "").replace(path, Path(path).name)
        return f"photo {index + 1} ({Path(path).name}): {text}"
    return f"photo {index + 1}: {text}"


class _Photo:
    """One listing photo as the routes see it: its bytes' digest taken once, and its pixels
    decoded once for every route while they fit the listing's budget (`budget`, pixels
    left, shared by its photos). A photo that cannot be decoded raises the same error to
    each route, so each records it as it did with the file."""

    __slots__ = ("source", "_digest", "_decoded", "_error", "_budget", "_max_pixels")

    def __init__(self, source: Any, budget: list[int], max_pixels: int) -> None:
        self.source = source
        self._digest: str | None | bool = False  # False: not taken yet
        self._decoded: Any = None
        self._error: ImageError | None = None
        self._budget = budget
        self._max_pixels = max_pixels

    @property
    def digest(self) -> str | None:
        if self._digest is False:
            self._digest = _content_digest(self.source)
        return self._digest  # type: ignore[return-value]

    def pixels(self) -> Any:
        """The decoded photo, or its source for a route to decode itself (a photo too large
        to keep, or one this cannot open: the route then says why)."""
        if self._error is not None:
            raise self._error
        if self._decoded is not None:
            return self._decoded
        if not isinstance(self.source, (str, os.PathLike)):
            return self.source
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                with Image.open(self.source) as header:  # reads the size only
                    width, height = header.size
        except (OSError, ValueError, Image.DecompressionBombError):
            return self.source
        if width * height > min(SHARED_PHOTO_PIXELS, self._budget[0]):
            return self.source
        try:
            decoded = open_image(self.source, max_pixels=self._max_pixels)
        except ImageError as exc:
            self._error = exc
            raise
        self._budget[0] -= width * height
        self._decoded = decoded
        return decoded


@functools.cache
def _matcher_version() -> str:
    """Digest of the image matcher's code and OpenCV's version: an index built by other code
    (other hashes, other keypoints) is never loaded."""
    import cv2

    digest = hashlib.sha256(cv2.__version__.encode())
    for path in sorted(Path(matchers.image.__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _file_digest(path: Path) -> str:
    try:
        with path.open("rb") as fh:
            return hashlib.file_digest(fh, "sha256").hexdigest()
    except OSError as exc:
        return f"unreadable: {exc.strerror}"


def claim_index(registry: Registry) -> ClaimIndex:
    """The registry's patent claims, compiled for `ClaimIndex.find` (keyed by patent number)."""
    index = ClaimIndex()
    for patent in registry.patents:
        for claim in patent.claims:
            index.add(Claim(patent.number, claim.number, tuple(
                Element(e.phrase, e.synonyms) for e in claim.elements)))
    return index


def copy_index(registry: Registry) -> CopyIndex:
    """The brand's own texts, shingled for `CopyIndex.find` (keyed as `copy_sources` says)."""
    index = CopyIndex()
    for key, _title, text in registry.copy_sources():
        index.add(key, text)
    return index


def claim_evidence(number: str, claim: int) -> str:
    """A patent_claim finding's evidence: the patent and claim, as a reader writes them
    (the elements met are in its reason, and found again from the listing's text)."""
    return f"{number} claim {claim}"


_CLAIM_EVIDENCE = re.compile(r"^(?P<number>.+) claim (?P<claim>\d+)$")


def parse_claim_evidence(evidence: str | None) -> tuple[str, int] | None:
    m = _CLAIM_EVIDENCE.match(evidence or "")
    return (m["number"], int(m["claim"])) if m else None


@dataclass(frozen=True, slots=True)
class ListingText:
    """The parts of a listing the assessor reads."""

    platform: str
    title: str | None = None
    description: str | None = None
    bullets: tuple[str, ...] = ()
    price: Decimal | None = None
    currency: str | None = None
    seller: str | None = None
    seller_id: str | None = None
    url: str | None = None
    sku: str | None = None


@dataclass(frozen=True, slots=True)
class Assessment:
    findings: tuple[signals.Finding, ...]
    risk: risk_mod.Risk
    related: bool                 # the listing involves the brand (its marks, images, patents or texts)
    authorised: bool              # sold by an authorised seller
    allowlisted: bool
    product_sku: str | None       # the registered product it appears to be
    image_errors: tuple[str, ...] = ()
    mark_hits: tuple[tuple[str, MarkHit], ...] = ()   # (field, hit)
    image_hits: tuple[Any, ...] = ()
    # Claims met and texts copied (the rights beside the mark), and what was met but
    # gives no finding: a patent expired, or not in force where the marketplace sells.
    claim_hits: tuple[ClaimHit, ...] = ()
    copy_hits: tuple[tuple[str, CopyHit], ...] = ()   # (field, hit)
    ip_notes: tuple[str, ...] = ()
    # Registered designs whose shape a listing photo shows, as (photo index, hit), and the
    # brand's images found in frames of the listing's videos.
    design_hits: tuple[tuple[int, DesignHit], ...] = ()
    frame_hits: tuple[FrameHit, ...] = ()
    design_notes: tuple[str, ...] = ()  # shapes shown of designs expired or not in force there

    @property
    def flagged(self) -> bool:
        return self.related and not self.allowlisted and self.risk.score >= risk_mod.FLAG_THRESHOLD

    def finding_rows(self) -> list[dict[str, Any]]:
        return [
            {"kind": f.kind, "score": float(f.score), "reason": f.reason, "evidence": f.evidence or None,
             "field": f.field, "start": f.start, "end": f.end, "photo": f.photo,
             "region": list(f.region) if f.region else None}
            for f in self.findings
        ]


@dataclass
class Assessor:
    """Built once per brand (marks compiled, images indexed), then applied per listing."""

    registry: Registry
    ocr: bool | None = None  # read text in images; None: as the registry's settings say
    # The marketplace's country for patents (ISO 3166); None: the platform's home country.
    country: str | None = None
    # Built image indexes are saved here, keyed by the assets' contents, so a brand's images
    # are hashed once rather than on every run or clearance check; None turns that off.
    image_cache: Path | None = field(default_factory=default_image_cache)
    # Search every photo for logos, even once the listing is tied to the brand: a clearance
    # check tells the seller each photo to change; a monitoring run needs what ties the
    # listing to the brand and the main photo's evidence.
    every_photo: bool = False
    matcher: MarkMatcher = field(init=False)
    images: ImageIndex = field(init=False)
    asset_errors: list[str] = field(init=False, default_factory=list)
    images_from_cache: bool = field(init=False, default=False)
    photo_memo_hits: int = field(init=False, default=0)
    _photo_memo: OrderedDict[tuple[str, str], Any] = field(init=False, repr=False, default_factory=OrderedDict)

    def __post_init__(self) -> None:
        self.matcher = MarkMatcher(
            [Mark(m.text, aliases=m.aliases, distinctive=m.distinctive) for m in self.registry.marks]
        )
        if self.ocr is None:
            # MARKWATCH_OCR=off (or on) decides for one run or machine, over brand.yaml.
            env = os.environ.get("MARKWATCH_OCR", "").strip().lower()
            self.ocr = {"off": False, "0": False, "false": False, "on": True, "1": True,
                        "true": True}.get(env, self.registry.settings.ocr)
        files = list(self.registry.image_files())
        stem = self._cache_stem(files + [("video", k, p) for k, p in self.registry.video_files()])
        if stem is None:
            self._build_images(files)
            return
        with self._building(stem):
            if self._load_images(stem):
                self.images_from_cache = True
                return
            self._build_images(files)
            self._save_images(stem)

    @staticmethod
    @contextlib.contextmanager
    def _building(stem: Path) -> Iterator[None]:
        """One process at a time builds a brand's index (a run's worker processes start
        together): the first builds and saves it, the others then read it from the cache.
        A cache folder that cannot hold the lock, or a lock held too long, means building
        without it."""
        with contextlib.suppress(OSError):
            stem.parent.mkdir(parents=True, exist_ok=True)
        with held(f"{stem}.lock", _BUILD_WAIT):
            yield

    def _build_images(self, files: list[tuple[str, str, Path]]) -> None:
        self.images = ImageIndex()
        for kind, key, path in files:
            try:
                if kind == "logo":
                    self.images.add(key, path, kind="logo")
                else:
                    self.images.add(key, path)
            except ImageError as exc:
                self.asset_errors.append(f"{path}: {exc}")
        self._add_video_frames()

    def _add_video_frames(self) -> None:
        """The brand's own videos' key frames, as images keyed "video:SKU:N@SECONDS": a
        listing's photo or video that copies a frame is found like a copied photo."""
        for key, path in self.registry.video_files():
            try:
                frames = key_frames(path)
            except VideoError as exc:
                self.asset_errors.append(f"{path}: {exc}")
                continue
            for frame in frames:
                try:
                    self.images.add(f"{key}@{frame.time:g}", frame.image)
                except ImageError:
                    continue  # a blank frame (a fade, a title card on black) shows nothing

    # -- the image index cache -----------------------------------------------------------

    def _cache_stem(self, files: list[tuple[str, str, Path]]) -> Path | None:
        if self.image_cache is None:
            return None
        key = json.dumps([_matcher_version(), [(kind, k, str(path), _file_digest(path)) for kind, k, path in files]])
        return self.image_cache / hashlib.sha256(key.encode()).hexdigest()[:32]

    def _load_images(self, stem: Path) -> bool:
        """The cached index and the asset errors it was built with; False when absent or
        unreadable (a cache is only a shortcut: anything wrong with it means a rebuild)."""
        try:
            errors = json.loads(stem.with_suffix(".json").read_text(encoding="utf-8"))["asset_errors"]
            self.images = ImageIndex.load(stem.with_suffix(".npz"))
        except (OSError, ValueError, KeyError, TypeError, MatcherConfigError):
            return False
        self.asset_errors = [str(e) for e in errors]
        with contextlib.suppress(OSError):
            os.utime(stem.with_suffix(".npz"))  # recently used: kept when the folder is pruned
        return True

    def _save_images(self, stem: Path) -> None:
        tmp = stem.with_name(f".{stem.name}.{os.getpid()}.tmp.npz")
        try:
            stem.parent.mkdir(parents=True, exist_ok=True)
            stem.with_suffix(".json").write_text(json.dumps({"asset_errors": self.asset_errors}), encoding="utf-8")
            self.images.save(tmp)
            os.replace(tmp, stem.with_suffix(".npz"))  # atomic: a reader sees the whole file or none
            kept = sorted((p for p in stem.parent.glob("*.npz") if not p.name.startswith(".")),
                          key=lambda p: p.stat().st_mtime, reverse=True)
            for old in kept[_CACHE_KEEP:]:
                old.unlink(missing_ok=True)
                old.with_suffix(".json").unlink(missing_ok=True)
                old.with_suffix(".lock").unlink(missing_ok=True)
        except OSError:  # a read-only or full cache folder: the run goes on without it
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)

    # -- pieces --------------------------------------------------------------------------

    @functools.cached_property
    def claims(self) -> ClaimIndex:
        return claim_index(self.registry)

    @functools.cached_property
    def copies(self) -> CopyIndex:
        return copy_index(self.registry)

    @functools.cached_property
    def _copy_titles(self) -> dict[str, str]:
        return {key: title for key, title, _ in self.registry.copy_sources()}

    def _marketplace_country(self, platform: str) -> str | None:
        if self.country:
            return self.country.upper()
        return self.registry.watch_country(platform) or PLATFORM_JURISDICTION.get(platform)

    def _claim_findings(self, item: ListingText, *, brand_named: bool = False,
                        ) -> tuple[list[signals.Finding], list[ClaimHit], list[str]]:
        """A finding for each claim the listing meets in full or mostly, when its patent is
        in force where the marketplace sells; a note for one met that is not."""
        if not len(self.claims):
            return [], [], []
        fields = {"title": item.title, **{f"bullet {i + 1}": b for i, b in enumerate(item.bullets)},
                  "description": item.description}
        fields = {k: v[:_TEXT_LIMIT] for k, v in fields.items() if v}
        country = self._marketplace_country(item.platform)
        findings: list[signals.Finding] = []
        hits: list[ClaimHit] = []
        notes: list[str] = []
        for hit in self.claims.find(fields, score_cutoff=100 * MOST_ELEMENTS):
            if hit.shown < 2 and not hit.complete:
                continue
            patent = self.registry.patent(hit.key)
            if patent is None:
                continue
            hits.append(hit)
            what = (f"every element of claim {hit.claim} of {patent.number}" if hit.complete
                    else f"{hit.shown} of the {hit.total} elements of claim {hit.claim} of {patent.number}")
            if (why := patent.why_not_in_force()) is not None:
                notes.append(f"the listing meets {what}, but the patent {why}: no infringement to report")
                continue
            if country is not None and not patent.covers(country):
                notes.append(f"the listing meets {what}, but the patent is in force only in "
                             f"{', '.join(sorted(patent.territories))}, not in {country} where {item.platform} sells")
                continue
            where = "" if country else f"; in force in {', '.join(sorted(patent.territories))}"
            reason = (f"the listing meets {what} ('{patent.title}', expires {patent.expires.isoformat()}"
                      f"{where}): {hit.describe()}; whether it infringes is for counsel")
            score = 1.0 if hit.complete else MOST_SCORE
            if brand_named:
                score *= EXHAUSTION_DAMPING
                reason += f" (the listing names {self.registry.brand}: genuine goods exhaust the patent)"
            first = next(e for e in hit.elements if e.shown)
            findings.append(signals.Finding(
                kind="patent_claim", score=score, reason=reason,
                evidence=claim_evidence(patent.number, hit.claim), field=first.field,
                start=first.start, end=first.end))
        return findings, hits, notes

    def _copy_findings(self, item: ListingText) -> tuple[list[signals.Finding], list[tuple[str, CopyHit]]]:
        """A finding for each of the brand's texts copied into the description or bullets."""
        if not len(self.copies):
            return [], []
        fields = [("description", item.description), ("bullets", "\n".join(item.bullets))]
        findings: list[signals.Finding] = []
        hits: list[tuple[str, CopyHit]] = []
        for name, text in fields:
            if not text:
                continue
            text = text[:_TEXT_LIMIT]
            for hit in self.copies.find(text, limit=3):
                hits.append((name, hit))
                title = self._copy_titles.get(hit.key, hit.key)
                findings.append(signals.Finding(
                    kind="copied_text", score=round(hit.score / 100, 3),
                    reason=f"{name} {hit.reason(title)}", evidence=hit.key,
                    field=name, start=hit.spans[0][0], end=hit.spans[-1][1]))
        return findings, hits

    @functools.cached_property
    def designs(self) -> DesignIndex:
        """The registered designs' figures; a figure that cannot be used is an asset error."""
        index = DesignIndex()
        for key, _design, path in self.registry.design_figures():
            try:
                index.add(key, path)
            except ImageError as exc:
                self.asset_errors.append(f"{path}: {exc}")
        return index

    def _design_findings(self, item: ListingText, images: Sequence[_Photo], *, brand_named: bool = False,
                         ) -> tuple[list[signals.Finding], list[tuple[int, DesignHit]], list[str]]:
        """A finding for each registered design whose shape a listing photo shows, when the
        design is in force where the marketplace sells; a note for one that is not."""
        if not len(self.designs) or not images:
            return [], [], []
        best: dict[Any, tuple[int, DesignHit]] = {}
        for n, image in enumerate(images):
            try:
                hits = self._photo(image, "designs", lambda: tuple(self.designs.query(image.pixels(), limit=None)))
            except ImageError:
                continue  # the image matcher has already recorded why
            for hit in hits:
                found = self.registry.design_of(hit.key)
                if found is None:
                    continue
                design = found[0]
                if design.number not in best or hit.score > best[design.number][1].score:
                    best[design.number] = (n, hit)
        country = self._marketplace_country(item.platform)
        findings: list[signals.Finding] = []
        kept: list[tuple[int, DesignHit]] = []
        notes: list[str] = []
        for n, hit in sorted(best.values(), key=lambda nh: -nh[1].score):
            design, figure = self.registry.design_of(hit.key)  # type: ignore[misc]
            what = f"photo {n + 1} shows the shape of {design.label} ('{design.product}', figure {figure})"
            if (why := design.why_not_in_force()) is not None:
                notes.append(f"{what}, but the design {why}: no infringement to report")
                continue
            if country is not None and not design.covers(country):
                notes.append(f"{what}, but the design is in force only in {', '.join(sorted(design.territories))}, "
                             f"not in {country} where {item.platform} sells")
                continue
            kept.append((n, hit))
            score = 0.6 + 0.4 * max(0.0, hit.score - DESIGN_THRESHOLD) / (1.0 - DESIGN_THRESHOLD)
            reason = (f"listing {what}, expires {design.expires.isoformat()}: silhouette overlap "
                      f"{hit.overlap:.0%}, outline {hit.outline:.0%}{', mirrored' if hit.mirrored else ''}; "
                      "whether it infringes is for counsel")
            if brand_named:
                score *= EXHAUSTION_DAMPING
                reason += f" (the listing names or shows {self.registry.brand}: it may be the genuine product)"
            findings.append(signals.Finding(kind="design", score=round(min(1.0, score), 3), reason=reason,
                                            evidence=hit.key, field="image", photo=n))
        return findings, kept, notes

    def _video_findings(self, videos: Sequence[Any]) -> tuple[list[signals.Finding], list[FrameHit], list[str]]:
        """The brand's photos, logos and video frames in the key frames of listing videos."""
        findings: list[signals.Finding] = []
        frame_hits: list[FrameHit] = []
        errors: list[str] = []
        for n, video in enumerate(videos):
            try:
                frames = key_frames(video)
            except VideoError as exc:
                label = Path(str(video)).name if isinstance(video, (str, Path)) else f"video {n + 1}"
                errors.append(f"{label}: {exc}")
                continue
            # A re-upload of one of the brand's videos matches several of its key frames: one
            # finding for each thing copied (a photo, a logo, one of the brand's videos), at
            # its best frame, saying how many more of that video's frames it shows.
            copied: dict[str, list[FrameHit]] = {}
            for hit in match_frames(self.images, frames, limit=20):  # best first
                copied.setdefault(video_of_frame(hit.key) or hit.key, []).append(hit)
            for group in list(copied.values())[:5]:
                hit = group[0]
                frame_hits.extend(group)
                at = f"{int(hit.time // 60)}:{hit.time % 60:04.1f}"
                more = (f"; {len(group) - 1} more of that video's key frames too" if len(group) > 1 else "")
                findings.append(signals.Finding(
                    kind="video_frame", score=round(hit.score, 3),
                    reason=(f"the listing's video {n + 1} shows the brand's {self.registry.image_label(hit.key)} "
                            f"at {at} ({hit.method} {hit.score:.0%}){more}"),
                    evidence=hit.key, field="video"))
        return findings, frame_hits, errors

    @functools.cached_property
    def _goods(self) -> frozenset[str]:
        classes = {c for m in self.registry.marks for r in m.registrations for c in r.classes}
        keywords = [w for p in self.registry.products for w in (p.name, *p.keywords)]
        return signals.goods_words(classes, keywords)

    def _text_findings(self, item: ListingText) -> tuple[list[signals.Finding], list[tuple[str, MarkHit]]]:
        findings: list[signals.Finding] = []
        hits_by_field: list[tuple[str, MarkHit]] = []
        fields = [("title", item.title), ("description", item.description)]
        fields += [(f"bullet {i + 1}", b) for i, b in enumerate(item.bullets)]
        for name, text in fields:
            if not text:
                continue
            text = text[:_TEXT_LIMIT]
            hits = self.matcher.find(text)
            hits_by_field += [(name, h) for h in hits]
            findings += signals.mark_findings(hits, field=name)
            findings += signals.compatibility_wording(text, hits, field=name)
            findings += signals.replica_wording(text, field=name)
        return findings, hits_by_field

    def _photo(self, image: _Photo, route: str, compute: Callable[[], _T]) -> _T:
        """`compute()` for this photo and route, or what it gave for a photo of the same
        bytes earlier: the same photo on many listings is matched once. A photo that
        cannot be read raises each time, so every listing records its own error."""
        digest = image.digest
        if digest is None:
            return compute()
        key = (digest, route)
        if key in self._photo_memo:
            self._photo_memo.move_to_end(key)
            self.photo_memo_hits += 1
            return self._photo_memo[key]  # type: ignore[no-any-return]
        value = compute()
        self._photo_memo[key] = value
        while len(self._photo_memo) > PHOTO_MEMO:
            self._photo_memo.popitem(last=False)
        return value

    def _image_findings(self, images: Iterable[_Photo], *, tied: bool = False,
                        ) -> tuple[list[signals.Finding], list[Any], list[str]]:
        """Registered images in the listing's photos. The logo search (SIFT, about half of a
        photo's matching cost) runs on the main photo, and on a later photo only while
        nothing has tied the listing to the brand: `tied` (its text names a mark outright)
        or a hit in an earlier photo (`every_photo` searches them all). A listing already
        tied keeps its logo evidence from the main photo, and every photo is still searched
        for copies of registered ones. On the demo's 626 photos: 489 -> 327 logo searches,
        the same findings for every listing."""
        hits: list[Any] = []
        errors: list[str] = []
        photo_of: dict[int, int] = {}  # id(hit) -> index of the listing photo it is in
        for index, image in enumerate(images):
            try:
                logos = self.every_photo or index == 0 or not (tied or hits)
                found = self._photo(image, f"images/{logos}",
                                    lambda: tuple(self.images.query(image.pixels(), limit=5, logos=logos)))
                for h in found:  # a photo shown twice is cited where it is first
                    photo_of.setdefault(id(h), index)
                hits += found
            except ImageError as exc:
                errors.append(_photo_error(index, image.source, exc))
        best: dict[str, Any] = {}
        for hit in hits:
            if hit.key not in best or hit.score > best[hit.key].score:
                best[hit.key] = hit
        ranked = sorted(best.values(), key=lambda h: -h.score)
        labels = {h.key: self.registry.image_label(h.key) for h in ranked}
        return (signals.image_findings(ranked, labels=labels, photos=[photo_of.get(id(h)) for h in ranked]),
                ranked, errors)

    @staticmethod
    def _names_a_mark(mark_hits: Sequence[tuple[str, MarkHit]]) -> bool:
        """A mark named outright, not a word of one that needs context."""
        return any(not h.needs_context for _field, h in mark_hits)

    @classmethod
    def _explained(cls, mark_hits: Sequence[tuple[str, MarkHit]], image_hits: Sequence[Any]) -> bool:
        """The listing is already tied to the brand: its text names a mark outright or a
        photo matched a registered image."""
        return bool(image_hits) or cls._names_a_mark(mark_hits)

    def _ocr_findings(self, images: Sequence[_Photo]) -> tuple[list[signals.Finding], list[tuple[str, MarkHit]], list[str]]:
        """Marks printed in the images: OCR words fed to the same text matcher, photo by
        photo until one names a mark outright (the listing is then tied to the brand)."""
        findings: list[signals.Finding] = []
        hits_found: list[tuple[str, MarkHit]] = []
        errors: list[str] = []
        for index, image in enumerate(images):
            if self._names_a_mark(hits_found):
                break
            try:
                words = self._photo(image, "words", lambda: tuple(read_text(image.pixels())))
            except OcrUnavailableError as exc:
                self.ocr = False  # say it once, then carry on without OCR
                return findings, hits_found, [str(exc)]
            except ImageError:
                continue  # the image matcher has already recorded why
            text, boxes = words_as_text(words)
            for hit in self.matcher.find(text):
                box = next((b for start, end, b in boxes if start <= hit.start < end), None)
                for finding in signals.mark_findings([hit], field="image text"):
                    where = f" at {box}" if box else ""
                    findings.append(signals.Finding(
                        kind=finding.kind, score=finding.score, reason=finding.reason + where,
                        evidence=finding.evidence, field=finding.field, start=finding.start,
                        end=finding.end, photo=index, region=signals.box_of(box)))
                hits_found.append(("image text", hit))
        return findings, hits_found, errors

    def _product(self, item: ListingText, image_hits: Sequence[Any]) -> Product | None:
        for hit in image_hits:
            if hit.key.startswith("product:"):
                if product := self.registry.product(hit.key.split(":")[1]):
                    return product
        if item.sku and (product := self.registry.product(item.sku)):
            return product
        title = (item.title or "").casefold()
        best, best_score = None, 0
        for product in self.registry.products:
            words = [product.name.casefold(), *(k.casefold() for k in product.keywords)]
            score = sum(len(w) for w in words if w and w in title)
            if score > best_score:
                best, best_score = product, score
        return best

    # -- the whole assessment ------------------------------------------------------------

    def assess(self, item: ListingText, images: Iterable[Any] = (), videos: Iterable[Any] = ()) -> Assessment:
        budget = [SHARED_LISTING_PIXELS]
        images = [_Photo(image, budget, self.images.max_pixels) for image in images]
        findings, mark_hits = self._text_findings(item)
        image_found, image_hits, image_errors = self._image_findings(
            images, tied=self._names_a_mark(mark_hits))
        findings += image_found
        video_found, frame_hits, video_errors = self._video_findings(list(videos))
        findings += video_found
        image_errors += video_errors
        if self.ocr and images and not self._explained(mark_hits, image_hits):
            # Reading words costs 0.2-0.5 s a photo: spent on the photos that show the goods
            # (the first few) of a listing nothing cheaper has tied to the brand.
            ocr_found, ocr_hits, ocr_errors = self._ocr_findings(images[:OCR_PHOTOS])
            findings += ocr_found
            mark_hits += ocr_hits
            image_errors += ocr_errors
        related = bool(mark_hits or image_hits or frame_hits)
        authorised = self.registry.is_authorised(item.platform, item.seller, item.seller_id)
        allowlisted = self.registry.is_allowlisted(item.seller, item.url)
        product = self._product(item, image_hits) if related else None
        # "Strap compatible with Norvik packs" is not priced like the pack: no MSRP test
        # when the mark is only used to say what the product fits.
        nominative = any(f.kind == "compatibility" for f in findings) and not image_hits
        if related and product is not None and item.price is not None and not nominative:
            anomaly = signals.price_anomaly(
                item.price, item.currency, product.msrp.amount, product.msrp.currency,
                rates=self.registry.settings.currency_rates,
                threshold=self.registry.settings.price_threshold,
            )
            if anomaly is not None:
                findings.append(anomaly)
        if related and not authorised:
            authorised_names = self.registry.authorised_sellers.get(item.platform, ())
            seller_finding = signals.unauthorised_seller(item.seller, authorised_names)
            if seller_finding is not None:
                findings.append(seller_finding)
        if not related:
            # Replica wording about some other product is not this brand's business.
            findings = []
        elif any(h.needs_context for _f, h in mark_hits):
            # A shortened name or a lone word of the mark counts only beside the brand.
            text = " ".join(t for t in (item.title, item.description, *item.bullets) if t)
            findings = signals.mark_in_context(findings, text, goods=self._goods, photos=bool(image_hits))
        claim_found, claim_hits, ip_notes = self._claim_findings(item, brand_named=related)
        copy_found, copy_hits = self._copy_findings(item)
        findings += claim_found + copy_found
        related = related or bool(claim_found or copy_found)
        design_found, design_hits, design_notes = self._design_findings(
            item, images, brand_named=bool(mark_hits or image_hits or frame_hits))
        findings += design_found
        related = related or bool(design_found)
        risk = risk_mod.assess(findings, authorised_seller=authorised)
        return Assessment(
            findings=tuple(risk.findings),
            risk=risk,
            related=related,
            authorised=authorised,
            allowlisted=allowlisted,
            product_sku=product.sku if product else None,
            image_errors=tuple(image_errors),
            mark_hits=tuple(mark_hits),
            image_hits=tuple(image_hits),
            design_hits=tuple(design_hits),
            frame_hits=tuple(frame_hits),
            design_notes=tuple(design_notes),
            claim_hits=tuple(claim_hits),
            copy_hits=tuple(copy_hits),
            ip_notes=tuple(ip_notes),
        )
