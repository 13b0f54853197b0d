"""Pre-listing clearance for sellers: before a listing goes up, check its title, description,
bullet points and photos against the marks, logos and photographs in one or more brands'
registries, with `monitor.assess.Assessor` doing the matching, and say pass, review or block.

Every finding names its evidence (a text span or an image region) and a concrete fix.
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
import json
import re
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from PIL import Image, UnidentifiedImageError
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from matchers import risk as risk_mod
from matchers import signals
from monitor._files import megabytes, read_capped
from monitor.assess import Assessment, Assessor, ListingText
from monitor.errors import InputError
from monitor.registry import Registry, load_registry

__all__ = [
    "VERDICTS",
    "Verdict",
    "SEVERITIES",
    "ClearanceListing",
    "ClearanceFinding",
    "ClearanceResult",
    "BatchRow",
    "Clearance",
    "load_listing",
    "read_catalogue",
    "decode_images",
    "worst_verdict",
]

VERDICTS = ("pass", "review", "block")
Verdict = Literal["pass", "review", "block"]
SEVERITIES = ("low", "medium", "high")
_VERDICT_OF = {"high": "block", "medium": "review", "low": "pass"}

_MAX_IMAGES = 20
_MAX_IMAGE_BYTES = 15_000_000
_MAX_PIXELS = 40_000_000
_MAX_CATALOGUE_ROWS = 100_000
# A listing JSON may carry its images as data: URIs: as much as `serve` accepts as a body.
_MAX_LISTING_BYTES = 60_000_000
_MAX_CATALOGUE_BYTES = 200_000_000
_MAX_ROW_BYTES = 20_000_000
# A copy of a registered photograph scores near 1; a seller's own photo of a similar
# product can reach ~0.8. Below the risk model's floor an image hit is resemblance only.
_COPY_SCORE = 0.85
_SURROGATES = re.compile("[\ud800-\udfff]")
_IP_KINDS = frozenset({"patent_claim", "copied_text", "design"})
# A copy of at least this share of a text, or this many words, is no quotation: blocked.
_COPY_BLOCK_SHARE = 0.5
_COPY_BLOCK_WORDS = 40
_ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth")
_DISGUISES = frozenset({"accent", "spacing", "glued", "masked", "leet", "styled-unicode", "homoglyph"})


class ClearanceListing(BaseModel):
    """The listing a seller is about to publish (JSON object, CSV row or JSON line)."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True, populate_by_name=True)

    id: str | None = Field(default=None, max_length=200, description="The seller's own reference.")
    title: str = Field(min_length=1, max_length=2_000)
    description: str | None = Field(default=None, max_length=100_000)
    bullets: list[str] = Field(default_factory=list, max_length=50, alias="bullet_points",
                               description="Bullet points (also accepted as `bullets`).")
    price: Decimal | None = Field(default=None, ge=0, le=Decimal("1e12"))
    currency: str | None = Field(default=None, max_length=3, description="ISO 4217 code.")
    seller: str | None = Field(default=None, max_length=300)
    seller_id: str | None = Field(default=None, max_length=300)
    platform: str = Field(default="any", max_length=50,
                          description="Where it will be listed; authorisation is per platform.")
    sku: str | None = Field(default=None, max_length=200)
    images: list[str] = Field(default_factory=list, max_length=_MAX_IMAGES,
                              description="Image paths relative to the JSON file (command line "
                                          "only) or data: URIs with base64 content.")

    @model_validator(mode="before")
    @classmethod
    def _no_lone_surrogates(cls, data: Any) -> Any:
        # "\ud800" from JSON is no text any encoder takes: dropped, as the crawler drops it.
        if isinstance(data, Mapping):
            return {k: _SURROGATES.sub("", v) if isinstance(v, str) else
                    [_SURROGATES.sub("", x) if isinstance(x, str) else x for x in v] if isinstance(v, list) else v
                    for k, v in data.items()}
        return data

    @field_validator("id", "sku", mode="before")
    @classmethod
    def _number_as_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) else value

    @field_validator("bullets", mode="before")
    @classmethod
    def _bullet_text(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [b.strip() for b in value.split("|") if b.strip()]
        return value

    @field_validator("images", mode="before")
    @classmethod
    def _image_list(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [v.strip() for v in value.split(";") if v.strip()]
        return value

    @field_validator("currency")
    @classmethod
    def _upper(cls, value: str | None) -> str | None:
        return value.upper() if value else None

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> ClearanceListing:
        """Accept `bullets` as well as `bullet_points`."""
        if "bullets" in data and "bullet_points" not in data:
            data = {**data, "bullet_points": data["bullets"]}
        return cls.model_validate(data)


@dataclass(frozen=True, slots=True)
class ClearanceFinding:
    kind: str            # mark | image | replica_wording | price | seller | compatibility | risk | patent_claim | copied_text | design
    severity: str        # low | medium | high
    brand: str | None
    message: str
    fix: str
    field: str | None = None
    start: int | None = None
    end: int | None = None
    evidence: str | None = None
    image: str | None = None
    region: tuple[int, int, int, int] | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "severity": self.severity, "brand": self.brand,
                "message": self.message, "fix": self.fix, "field": self.field,
                "start": self.start, "end": self.end, "evidence": self.evidence,
                "image": self.image, "region": list(self.region) if self.region else None}


@dataclass(frozen=True, slots=True)
class ClearanceResult:
    verdict: str
    findings: tuple[ClearanceFinding, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"verdict": self.verdict, "findings": [f.as_dict() for f in self.findings]}


@dataclass(frozen=True, slots=True)
class BatchRow:
    """One catalogue row: its result, or the error that made it unusable."""

    line: int
    id: str | None
    title: str | None
    result: ClearanceResult | None = None
    error: str | None = None

    @property
    def verdict(self) -> str:
        return self.result.verdict if self.result else "error"


def worst_verdict(verdicts: Sequence[str]) -> str:
    return max(verdicts, key=VERDICTS.index, default="pass")


# -- input ---------------------------------------------------------------------------------


def _validation_line(source: str, exc: ValidationError) -> str:
    err = exc.errors(include_url=False)[0]
    loc = ".".join(str(p) for p in err["loc"]) or "(top level)"
    loc = loc.replace("bullet_points", "bullets")
    msg = err["msg"]
    if err["type"] == "missing":
        msg = "missing; add it"
    elif err["type"] == "string_too_short":
        msg = "is empty; write the listing's text there"
    return f"{source}: {loc}: {msg}"


def _parse(source: str, data: Any) -> ClearanceListing:
    if not isinstance(data, dict):
        raise InputError(f"{source}: a listing must be a JSON object with at least a title")
    try:
        return ClearanceListing.from_mapping(data)
    except ValidationError as exc:
        raise InputError(_validation_line(source, exc)) from None


def _json_failure(source: str, exc: RecursionError | ValueError) -> InputError:
    """One line for each way json.loads fails: deep nesting and numbers of thousands of
    digits raise RecursionError and ValueError, not JSONDecodeError."""
    if isinstance(exc, json.JSONDecodeError):
        return InputError(f"{source}: malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}")
    if isinstance(exc, RecursionError):
        return InputError(f"{source}: JSON nested too deeply; a listing is one object of fields")
    # int(): "Exceeds the limit (4300 digits) for integer string conversion: ..."
    return InputError(f"{source}: unreadable JSON value ({str(exc).split(':')[0][:100]}); "
                      "write prices and numbers as sensible values")


def _json(source: str, text: str) -> Any:
    try:
        return json.loads(text)
    except (RecursionError, ValueError) as exc:
        raise _json_failure(source, exc) from None


def load_listing(path: str | Path) -> ClearanceListing:
    """Read one listing JSON file; raise `InputError` with one line naming the problem."""
    path = Path(path)
    try:
        text = read_capped(path, _MAX_LISTING_BYTES, what="listing JSON file", error=InputError).decode("utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: cannot be read ({exc}); save it as UTF-8 JSON") from None
    try:
        return _parse(str(path), _json(str(path), text))
    except RecursionError:
        raise InputError(f"{path}: JSON nested too deeply; a listing is one object of fields") from None


def read_catalogue(path: str | Path) -> Iterator[tuple[int, ClearanceListing | None, str | None]]:
    """(line, listing, error) for every row of a CSV or JSON-lines catalogue. A bad row is
    an error on its own line; a file that cannot be read at all raises `InputError`."""
    path = Path(path)
    try:
        raw = read_capped(path, _MAX_CATALOGUE_BYTES, what="catalogue", error=InputError)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text; export the catalogue as UTF-8") from None
    if path.suffix.lower() == ".csv":
        reader = csv.DictReader(io.StringIO(text, newline=""))
        if not reader.fieldnames or "title" not in [f.strip().lower() for f in reader.fieldnames]:
            raise InputError(f"{path}: the CSV needs a header row with a `title` column "
                             "(and optionally description, bullets, price, currency, seller, platform, images)")
        rows = enumerate(reader)
        while True:
            try:
                count, row = next(rows)
            except StopIteration:
                break
            except csv.Error as exc:  # a field over csv's 128 kB limit, a NUL byte, ...
                raise InputError(f"{path}:{reader.line_num}: unreadable CSV ({exc}); "
                                 "the rows after it were not checked") from None
            if count >= _MAX_CATALOGUE_ROWS:
                raise InputError(f"{path}: more than {_MAX_CATALOGUE_ROWS} rows; split the catalogue")
            line = reader.line_num
            data = {(k or "").strip().lower(): (v.strip() if isinstance(v, str) else v)
                    for k, v in row.items() if k is not None}
            data = {k: v for k, v in data.items() if v not in ("", None)}
            try:
                yield line, _parse(f"{path}:{line}", data), None
            except InputError as exc:
                yield line, None, str(exc)
        return
    for line, chunk in enumerate(text.splitlines(), start=1):
        if line > _MAX_CATALOGUE_ROWS:
            raise InputError(f"{path}: more than {_MAX_CATALOGUE_ROWS} lines; split the catalogue")
        if not chunk.strip():
            continue
        if len(chunk) > _MAX_ROW_BYTES:
            yield line, None, f"{path}:{line}: a row of over {megabytes(_MAX_ROW_BYTES)}; give images as file paths"
            continue
        try:
            data = json.loads(chunk)
        except json.JSONDecodeError as exc:
            yield line, None, f"{path}:{line}: malformed JSON at column {exc.colno}: {exc.msg}"
            continue
        except (RecursionError, ValueError) as exc:
            yield line, None, str(_json_failure(f"{path}:{line}", exc))
            continue
        try:
            yield line, _parse(f"{path}:{line}", data), None
        except InputError as exc:
            yield line, None, str(exc)


def _check_image(label: str, data: bytes) -> bytes:
    if len(data) > _MAX_IMAGE_BYTES:
        raise InputError(f"{label}: image larger than {_MAX_IMAGE_BYTES // 1_000_000} MB")
    try:
        with Image.open(io.BytesIO(data)) as img:
            if img.width * img.height > _MAX_PIXELS:
                raise InputError(f"{label}: image of {img.width}x{img.height} pixels is too large")
            img.load()
    except InputError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise InputError(f"{label}: not a readable image (corrupt, truncated or an unsupported format)") from None
    return data


def decode_images(refs: Sequence[str], *, base_dir: Path | None = None,
                  allow_paths: bool = True) -> list[tuple[str, bytes]]:
    """(label, bytes) for each image reference: a data: URI, or (when `allow_paths`) a file
    path relative to `base_dir`. Any unusable image raises `InputError`."""
    out: list[tuple[str, bytes]] = []
    for i, ref in enumerate(refs[:_MAX_IMAGES]):
        if ref.startswith("data:"):
            label = f"images[{i}]"
            header, _, payload = ref.partition(",")
            if ";base64" not in header:
                raise InputError(f"{label}: a data: URI must be base64 (data:image/jpeg;base64,...)")
            if len(payload) * 3 // 4 > _MAX_IMAGE_BYTES:
                raise InputError(f"{label}: image larger than {_MAX_IMAGE_BYTES // 1_000_000} MB")
            try:
                data = base64.b64decode(payload, validate=True)
            except (binascii.Error, ValueError):
                raise InputError(f"{label}: the data: URI is not valid base64") from None
        elif not allow_paths:
            raise InputError(f"images[{i}]: send images as data: URIs (data:image/jpeg;base64,...), "
                             "not file paths")
        else:
            path = Path(ref)
            if not path.is_absolute() and base_dir is not None:
                path = base_dir / path
            label = str(path)
            try:
                data = read_capped(path, _MAX_IMAGE_BYTES, what="image", error=InputError)
            except FileNotFoundError:
                raise InputError(f"{path}: image not found") from None
        out.append((label, _check_image(label, data)))
    return out


# -- the check -----------------------------------------------------------------------------


def _fields(listing: ClearanceListing) -> dict[str, str]:
    fields = {"title": listing.title, "description": listing.description or ""}
    fields.update({f"bullet {i + 1}": b for i, b in enumerate(listing.bullets)})
    return fields


def _nominative(listing: ClearanceListing, a: Assessment) -> set[tuple[str, int, int]]:
    """Mark hits used only to say what a product fits: those inside a compatibility phrase,
    and the marks chained right after one ("for Norvik Trailforge boots": both marks)."""
    texts = _fields(listing)
    compat = [(f.field, f.start or 0, f.end or 0) for f in a.findings if f.kind == "compatibility"]
    found: set[tuple[str, int, int]] = set()
    for fld, hit in sorted(a.mark_hits, key=lambda fh: (fh[0], fh[1].start)):
        inside = any(cf == fld and cs <= hit.start and hit.end <= ce for cf, cs, ce in compat)
        text = texts.get(fld, "")
        chained = any(f == fld and e <= hit.start and not text[e:hit.start].strip(" -–")
                      for f, _s, e in found)
        if (inside or chained) and hit.reason not in _DISGUISES:
            found.add((fld, hit.start, hit.end))
    return found


def _merge_replica(findings: list[ClearanceFinding]) -> list[ClearanceFinding]:
    """Replica wording is one problem however many brands it touches: one finding per span."""
    out: list[ClearanceFinding] = []
    seen: dict[tuple[Any, ...], int] = {}
    for f in findings:
        key = (f.kind, f.field, f.start, f.end)
        if f.kind != "replica_wording" or key not in seen:
            seen.setdefault(key, len(out))
            out.append(f)
            continue
        first = out[seen[key]]
        brands = f"{first.brand}, {f.brand}"
        out[seen[key]] = ClearanceFinding(
            first.kind, first.severity, brands,
            first.message.replace(f"{first.brand}'s mark or images", f"the marks or images of {brands}"),
            f"remove '{_quote(first.evidence or '')}'; replicas cannot be listed at all",
            first.field, first.start, first.end, first.evidence)
    return out


def _paragraph(text: str, field: str, spans: Sequence[tuple[int, int]]) -> tuple[str, int, int]:
    """Where copied spans lie, in words ("the second paragraph of the description"), and
    their extent."""
    start, end = spans[0][0], spans[-1][1]
    paragraphs = [m.span() for m in re.finditer(r"\S(?:.*?\S)?(?=\s*\n\s*\n|\s*$)", text, re.S)]
    if len(paragraphs) > 1:
        inside = [i for i, (a, b) in enumerate(paragraphs) if a <= start and end <= b]
        if inside and inside[0] < len(_ORDINALS):
            return f"the {_ORDINALS[inside[0]]} paragraph of the {field}", start, end
    return f"the {field}", start, end


def _quote(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class Clearance:
    """One `Assessor` per registry, built once; `check` is safe to call from many threads."""

    def __init__(self, registries: Sequence[Registry]) -> None:
        if not registries:
            raise InputError("clearance needs at least one brand registry (--registry FILE)")
        self.registries = tuple(registries)
        # Every photo searched for logos: the seller is told each photo to change.
        self.assessors = [Assessor(r, every_photo=True) for r in self.registries]
        # The matchers keep caches that are not meant for concurrent writers.
        self._lock = threading.Lock()

    @classmethod
    def from_files(cls, paths: Sequence[str | Path]) -> Clearance:
        return cls([load_registry(p) for p in paths])

    def check(self, listing: ClearanceListing, images: Sequence[tuple[str, bytes]] = ()) -> ClearanceResult:
        """The verdict for one listing and its (already decoded) images."""
        text = ListingText(platform=listing.platform, title=listing.title,
                           description=listing.description, bullets=tuple(listing.bullets),
                           price=listing.price, currency=listing.currency, seller=listing.seller,
                           seller_id=listing.seller_id, sku=listing.sku)
        findings: list[ClearanceFinding] = []
        covered: set[tuple[str | None, int | None, int | None]] = set()
        with self._lock:
            for assessor in self.assessors:
                assessment = assessor.assess(text, [data for _, data in images])
                if assessment.image_errors:
                    raise InputError(assessment.image_errors[0])
                if not assessment.related and not assessment.ip_notes and not assessment.design_notes:
                    continue
                per_image = self._attribute(assessor, assessment, images)
                findings += self._brand_findings(assessor.registry, listing, assessment, per_image, covered)
                findings += self._ip_findings(assessor.registry, listing, assessment)
                findings += self._design_findings(assessor.registry, assessment, images)
        findings = _merge_replica(findings)
        findings += self._replica_without_brand(listing, covered)
        order = {s: i for i, s in enumerate(reversed(SEVERITIES))}
        findings.sort(key=lambda f: (order[f.severity], f.brand or "", f.field or "", f.start or 0))
        verdict = worst_verdict([_VERDICT_OF[f.severity] for f in findings])
        return ClearanceResult(verdict, tuple(findings))

    # -- pieces --------------------------------------------------------------------------

    @staticmethod
    def _attribute(assessor: Assessor, assessment: Assessment,
                   images: Sequence[tuple[str, bytes]]) -> list[tuple[str, Any]]:
        """(image label, hit) pairs: which image each hit was found in, with its region."""
        if not assessment.image_hits:
            return []
        if len(images) == 1:
            return [(images[0][0], hit) for hit in assessment.image_hits]
        wanted = {h.key for h in assessment.image_hits}
        pairs: list[tuple[str, Any]] = []
        for label, data in images:
            for hit in assessor.images.query(data, limit=5):
                if hit.key in wanted:
                    pairs.append((label, hit))
        return pairs

    @staticmethod
    def _ip_findings(registry: Registry, listing: ClearanceListing, a: Assessment) -> list[ClearanceFinding]:
        """Claims of the registry's patents the listing meets, and its texts the listing
        copies, each with a fix; a claim met under a patent not in force is a note."""
        from monitor.assess import parse_claim_evidence

        brand = registry.brand
        texts = _fields(listing)
        hits = {(h.key, h.claim): h for h in a.claim_hits}
        out: list[ClearanceFinding] = []
        for f in a.findings:
            if f.kind != "patent_claim" or (pc := parse_claim_evidence(f.evidence)) is None:
                continue
            patent, hit = registry.patent(pc[0]), hits.get(pc)
            if patent is None or hit is None:
                continue
            fields = {e.field for e in hit.elements if e.shown}
            where = f"the {next(iter(fields))}" if len(fields) == 1 else "the listing"
            what = (f"every element of claim {hit.claim}" if hit.complete
                    else f"{hit.shown} of the {hit.total} elements of claim {hit.claim}")
            shown = "; ".join(f"'{e.element}' by '{_quote(e.phrase or '', 40)}' ({e.field})"
                              for e in hit.elements if e.shown)
            message = (f"{where} meets {what} of {brand}'s patent {patent.number} ('{patent.title}', "
                       f"expires {patent.expires.isoformat()}; in force in {', '.join(sorted(patent.territories))}): "
                       f"{shown}")
            if hit.complete:
                fix = "get counsel's opinion before listing; a patent is infringed by the product, not its wording"
            else:
                message += f"; not shown: {', '.join(repr(m) for m in hit.missing)}"
                fix = ("get counsel's opinion before listing if your product also has "
                       + " and ".join(repr(m) for m in hit.missing))
            out.append(ClearanceFinding("patent_claim", "medium", brand, message, fix,
                                        f.field, f.start, f.end, f"{patent.number} claim {hit.claim}"))
        for note in a.ip_notes:
            out.append(ClearanceFinding("patent_claim", "low", brand, f"{note[:1].upper()}{note[1:]} ({brand}'s patent)",
                                        "nothing to change for this patent"))
        titles = {key: title for key, title, _ in registry.copy_sources()}
        for fld, hit in a.copy_hits:
            title = titles.get(hit.key, hit.key)
            label = title.removeprefix("the ") if hit.key.startswith("description:") else f"text '{title}'"
            if fld == "bullets":
                where, start, end = "the bullet points", None, None
                text = "\n".join(listing.bullets)
            else:
                text = texts.get(fld, "")
                where, start, end = _paragraph(text, fld, hit.spans)
            severity = ("high" if hit.source_share >= _COPY_BLOCK_SHARE or hit.copied_words >= _COPY_BLOCK_WORDS
                        else "medium")
            first = text[hit.spans[0][0]:hit.spans[0][1]]
            out.append(ClearanceFinding(
                "copied_text", severity, brand,
                f"{where} {'copy' if fld == 'bullets' else 'copies'} {hit.source_share:.0%} of {brand}'s "
                f"{label} ({hit.copied_words} words)",
                f"write your own {('bullet points' if fld == 'bullets' else 'description')}: {brand} owns the "
                "copyright in its text and marketplaces remove copied listings",
                fld if fld != "bullets" else "bullets", start, end, _quote(first, 120)))
        return out

    @staticmethod
    def _design_findings(registry: Registry, a: Assessment,
                         images: Sequence[tuple[str, bytes]]) -> list[ClearanceFinding]:
        """The registry's designs whose shape a photo shows, for review with a fix; a design
        shown that is expired or not in force where the listing sells is a note."""
        brand = registry.brand
        out: list[ClearanceFinding] = []
        ok_seller = a.authorised or a.allowlisted
        for n, hit in a.design_hits:
            found = registry.design_of(hit.key)
            if found is None:
                continue
            design, figure = found
            label = images[n][0] if n < len(images) else f"image {n + 1}"
            message = (f"{label} shows the shape of {brand}'s {design.label} for '{design.product}' "
                       f"(figure {figure}; expires {design.expires.isoformat()}; in force in "
                       f"{', '.join(sorted(design.territories))}): silhouette overlap {hit.overlap:.0%}, "
                       f"outline {hit.outline:.0%}{', mirrored' if hit.mirrored else ''}")
            if ok_seller:
                severity, fix = "low", "nothing to change; authorised sellers offer the brand's own design"
            else:
                severity = "medium"
                fix = ("get counsel's opinion before listing: a product with the appearance of a registered "
                       "design infringes it whatever the listing says; sell a product of your own shape, "
                       "or only where the design is not in force")
            out.append(ClearanceFinding("design", severity, brand, message, fix, "image", None, None,
                                        hit.key, label))
        for note in a.design_notes:
            out.append(ClearanceFinding("design", "low", brand, f"{note[:1].upper()}{note[1:]} ({brand}'s design)",
                                        "nothing to change for this design"))
        return out

    def _brand_findings(self, registry: Registry, listing: ClearanceListing, a: Assessment,
                        per_image: Sequence[tuple[str, Any]],
                        covered: set[tuple[str | None, int | None, int | None]]) -> list[ClearanceFinding]:
        brand = registry.brand
        ok_seller = a.authorised or a.allowlisted
        out: list[ClearanceFinding] = []
        nominative_hits = _nominative(listing, a)
        # A listing that says what it fits ("insoles for Norvik boots") may name the brand
        # again in its description and disclaimers; the risk model damps it the same way.
        says_what_it_fits = bool(nominative_hits)
        for fld, hit in a.mark_hits:
            span = (fld, hit.start, hit.end)
            covered.add(span)
            shown = _quote(hit.matched)
            nominative = span in nominative_hits or (says_what_it_fits and fld != "title"
                                                     and hit.reason not in _DISGUISES)
            if hit.reason in _DISGUISES:
                out.append(ClearanceFinding(
                    "mark", "high", brand,
                    f"{fld} writes {brand}'s mark '{hit.mark}' in disguise as '{shown}' ({hit.reason}), "
                    "which reads as dodging the brand's searches",
                    f"remove '{shown}' from the {fld}; if the product only fits {hit.mark} products, "
                    f"write the mark plainly as 'compatible with {hit.mark}'",
                    fld, hit.start, hit.end, hit.matched))
            elif ok_seller:
                out.append(ClearanceFinding(
                    "mark", "low", brand,
                    f"{fld} names '{hit.mark}'; you are an authorised {brand} seller on {listing.platform}",
                    "nothing to change; keep your authorisation on file", fld, hit.start, hit.end, hit.matched))
            elif nominative:
                out.append(ClearanceFinding(
                    "compatibility", "low", brand,
                    f"{fld} uses '{hit.mark}' only to say what the product fits",
                    f"keep it in that form ('compatible with {hit.mark}'); do not use {brand}'s logo "
                    "or photos, or imply the product is made by them",
                    fld, hit.start, hit.end, hit.matched))
            else:
                severity = "medium"
                out.append(ClearanceFinding(
                    "mark", severity, brand,
                    f"{fld} uses {brand}'s registered mark '{hit.mark}' (as '{shown}') and you are not "
                    f"an authorised {brand} seller on {listing.platform}",
                    f"remove '{shown}' from the {fld}, or use it only as 'compatible with {hit.mark}'; "
                    f"if these are genuine {brand} goods, keep the invoice from an authorised source",
                    fld, hit.start, hit.end, hit.matched))
        for f in a.findings:
            if f.kind == "replica_wording":
                covered.add((f.field, f.start, f.end))
                out.append(ClearanceFinding(
                    "replica_wording", "high", brand,
                    f"{f.field} offers the goods as a copy ('{_quote(f.evidence or '')}') alongside {brand}'s mark or images",
                    f"remove '{_quote(f.evidence or '')}'; replicas of {brand} goods cannot be listed at all",
                    f.field, f.start, f.end, f.evidence))
            elif f.kind == "price" and not ok_seller:
                out.append(ClearanceFinding(
                    "price", "medium", brand, f.reason[:1].upper() + f.reason[1:],
                    "a price this far below the genuine product's reads as a counterfeit; check the "
                    "goods are genuine and price them accordingly, or drop the brand from the listing",
                    "price", None, None, f.evidence))
            elif f.kind == "seller" and not ok_seller:
                out.append(ClearanceFinding(
                    "seller", "low", brand,
                    f"you are not on {brand}'s list of authorised sellers for {listing.platform}",
                    f"resale of genuine goods is lawful, but {brand} may still report the listing: "
                    "keep proof of where the goods came from",
                    "seller", None, None, f.evidence))
        for label, hit in per_image:
            if hit.score < risk_mod.IMAGE_FLOOR:
                continue
            region = tuple(int(v) for v in hit.region) if hit.region else None
            kind = hit.key.split(":")[0]
            if ok_seller:
                severity, fix = "low", "nothing to change; authorised sellers may use the brand's images"
            elif kind == "logo":
                severity = "medium"
                fix = (f"{brand}'s logo is visible in this image: unless these are genuine {brand} goods "
                       "(keep the invoice), do not list them; otherwise crop or cover the logo")
            elif hit.score >= _COPY_SCORE:
                severity = "high"
                fix = f"this is {brand}'s own photograph: replace it with a photo you took of your product"
            else:
                severity = "medium"
                fix = (f"this photo closely resembles {brand}'s registered photograph: use your own "
                       "photo of your own product")
            what = {"logo": "the logo", "product": "a product photograph",
                    "copyright": "a copyrighted photograph"}.get(kind, "an image")
            out.append(ClearanceFinding(
                "image", severity, brand,
                f"{label} matches {what} of {brand} ('{hit.key}', {hit.method}, {hit.score:.0%})",
                fix, "image", None, None, hit.key, label, region))
        # Patents and copied text are weighed on their own (`_ip_findings`): a patent alone
        # never blocks, so the brand's monitoring verdict here counts the other findings only.
        brand_only = risk_mod.assess([f for f in a.findings if f.kind not in _IP_KINDS],
                                     authorised_seller=a.authorised)
        if brand_only.flagged and not ok_seller and not any(f.severity == "high" for f in out):
            reasons = "; ".join(brand_only.reasons[:3])
            out.append(ClearanceFinding(
                "risk", "high", brand,
                f"{brand}'s own monitoring would flag this listing (risk {brand_only.score}/100): {reasons}",
                "fix the findings above; together they read as a counterfeit offer"))
        return out

    @staticmethod
    def _replica_without_brand(listing: ClearanceListing,
                               covered: set[tuple[str | None, int | None, int | None]]) -> list[ClearanceFinding]:
        """Replica wording is banned by marketplaces whatever the brand, so it needs review
        even when no registry's brand is named."""
        fields = [("title", listing.title), ("description", listing.description)]
        fields += [(f"bullet {i + 1}", b) for i, b in enumerate(listing.bullets)]
        out = []
        for name, text in fields:
            for f in signals.replica_wording(text or "", field=name):
                if (f.field, f.start, f.end) in covered:
                    continue
                out.append(ClearanceFinding(
                    "replica_wording", "medium", None,
                    f"{name} uses replica wording '{_quote(f.evidence or '')}'",
                    f"remove '{_quote(f.evidence or '')}': marketplaces remove listings that offer copies, "
                    "whatever the brand", f.field, f.start, f.end, f.evidence))
        return out

    # -- files -----------------------------------------------------------------------------

    def check_file(self, path: str | Path, *, extra_images: Sequence[str | Path] = ()) -> ClearanceResult:
        """Check a listing JSON file; its image paths are relative to the file."""
        path = Path(path)
        listing = load_listing(path)
        images = decode_images(listing.images, base_dir=path.parent)
        images += decode_images([str(p) for p in extra_images], base_dir=Path.cwd())
        return self.check(listing, images)

    def check_catalogue(self, path: str | Path, *,
                        progress: Callable[[BatchRow], None] | None = None) -> list[BatchRow]:
        """Check every row of a CSV or JSON-lines catalogue; image paths are relative to it.
        A bad row is recorded with its error and the rest go on."""
        path = Path(path)
        rows: list[BatchRow] = []
        for line, listing, error in read_catalogue(path):
            if listing is None:
                row = BatchRow(line, None, None, error=error)
            else:
                try:
                    images = decode_images(listing.images, base_dir=path.parent)
                    row = BatchRow(line, listing.id, listing.title, self.check(listing, images))
                except InputError as exc:
                    row = BatchRow(line, listing.id, listing.title, error=f"{path}:{line}: {exc}")
            rows.append(row)
            if progress is not None:
                progress(row)
        return rows

