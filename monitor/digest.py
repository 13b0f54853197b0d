"""The daily digest: new and changed matches since the last digest, ranked by risk and
grouped by platform and seller, with thumbnails, highlighted marks, price against MSRP,
reasons, counts and a trend chart; HTML that renders in mail clients, CSV and JSON."""

from __future__ import annotations

import base64
import csv
import datetime as dt
import hashlib
import io
import json
import re
import stat
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote, urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from PIL import Image, ImageDraw, UnidentifiedImageError
from sqlalchemy.orm import defer
from sqlmodel import select

from monitor.db import Database
from monitor.errors import MarkwatchError
from monitor.models import Asset, Case, Digest, Finding, Listing, ListingSnapshot, utcnow
from monitor.portfolio import portfolio
from monitor.registry import Registry

__all__ = [
    "TEMPLATES",
    "DETAIL_LIMIT",
    "LIST_LIMIT",
    "TitlePart",
    "DigestEntry",
    "TrendDay",
    "DigestData",
    "InlineImage",
    "RenderedDigest",
    "collect_digest",
    "render_html",
    "render_csv",
    "render_json",
    "trend_chart_png",
    "write_digest",
    "safe_url",
    "plain_number",
]

TEMPLATES = Path(__file__).parent / "templates"
# Full cards for the highest-risk entries; the rest are one table row each (and every
# entry is in the CSV and JSON), so a 10,000-match day stays a mail people can open.
DETAIL_LIMIT = 200
# Rows of the compact list after the cards; beyond it the mail points to the CSV (mail
# clients clip or refuse messages of several megabytes).
LIST_LIMIT = 800
THUMB_SIZE = 96
# A stored photo larger than this is no thumbnail source (the crawl caps downloads lower).
_MAX_THUMB_SOURCE_BYTES = 50_000_000
_MAX_THUMB_PIXELS = 40_000_000
_MSRP_EVIDENCE = re.compile(r"^([\d.,]+) ([A-Z]{3}) vs MSRP ([\d.,]+) ([A-Z]{3})$")
_LEVEL_ORDER = {"high": 0, "medium": 1, "low": 2}


@dataclass(frozen=True, slots=True)
class TitlePart:
    text: str
    marked: bool


@dataclass(frozen=True, slots=True)
class DigestEntry:
    case_id: int
    listing_pk: int
    state: str
    risk: int
    level: str
    change: str                    # new | changed
    platform: str
    listing_id: str
    url: str
    title: str
    seller: str
    price: str
    currency: str
    msrp: str
    msrp_currency: str
    price_ratio: float | None      # price / MSRP in one currency, when both are known
    image_url: str | None          # the listing's main photo online
    image_path: str | None         # ... and as the crawl downloaded it
    asset_key: str | None          # the registered image it matched, if any
    asset_path: str | None
    reasons: tuple[str, ...]
    marks: tuple[str, ...]
    title_marks: tuple[tuple[int, int], ...]   # character spans of marks in the title
    changes: tuple[str, ...]       # what changed since the last digest, in words

    def title_parts(self) -> list[TitlePart]:
        """The title cut into plain and marked runs (overlapping spans merged)."""
        parts: list[TitlePart] = []
        pos = 0
        for start, end in sorted(self.title_marks):
            start, end = max(start, pos), min(end, len(self.title))
            if start >= end:
                continue
            if start > pos:
                parts.append(TitlePart(self.title[pos:start], False))
            parts.append(TitlePart(self.title[start:end], True))
            pos = end
        if pos < len(self.title):
            parts.append(TitlePart(self.title[pos:], False))
        return parts


@dataclass(frozen=True, slots=True)
class TrendDay:
    day: dt.date
    count: int


@dataclass(frozen=True, slots=True)
class DigestData:
    brand: str
    since: dt.datetime | None
    created_at: dt.datetime
    entries: tuple[DigestEntry, ...] = ()
    trend: tuple[TrendDay, ...] = ()   # flagged cases opened per day, oldest first
    open_cases: int = 0                # flagged cases nobody has decided yet, all days
    last_digest_total: int | None = None  # entries in the previous digest, if any
    # Portfolio health to act on (a renewal due within 90 days, a lapsed right, a market
    # with flagged listings that no live registration covers), most urgent first.
    attention: tuple[str, ...] = ()

    @property
    def by_platform(self) -> dict[str, dict[str, list[DigestEntry]]]:
        """platform -> seller -> entries; riskiest platform and seller first."""
        grouped: dict[str, dict[str, list[DigestEntry]]] = defaultdict(lambda: defaultdict(list))
        for entry in self.entries:
            grouped[entry.platform][entry.seller].append(entry)

        def top(entries: Iterable[DigestEntry]) -> int:
            return max(e.risk for e in entries)

        return {
            platform: dict(sorted(sellers.items(), key=lambda kv: (-top(kv[1]), kv[0])))
            for platform, sellers in sorted(
                grouped.items(), key=lambda kv: (-top(e for es in kv[1].values() for e in es), kv[0]))
        }

    def counts(self) -> dict[str, int]:
        levels = Counter(e.level for e in self.entries)
        changes = Counter(e.change for e in self.entries)
        return {"total": len(self.entries), "high": levels["high"], "medium": levels["medium"],
                "low": levels["low"], "new": changes["new"], "changed": changes["changed"],
                "open": self.open_cases}

    def platform_counts(self) -> dict[str, int]:
        return dict(Counter(e.platform for e in self.entries).most_common())

    def previous_total(self) -> int | None:
        """Flagged cases opened the day before the last one of the trend."""
        return self.trend[-2].count if len(self.trend) >= 2 else None


@dataclass(frozen=True, slots=True)
class InlineImage:
    cid: str
    data: bytes
    subtype: str  # png | jpeg


@dataclass(frozen=True, slots=True)
class RenderedDigest:
    html: str
    images: tuple[InlineImage, ...]


def safe_url(url: str | None) -> str | None:
    """Only http(s) links from listings: a `javascript:` URL stays text."""
    if not url:
        return None
    try:
        scheme = urlsplit(url.strip()).scheme.lower()
    except ValueError:
        return None
    return url.strip() if scheme in ("http", "https") else None


def _decimal(text: str) -> Decimal | None:
    try:
        return Decimal(text.replace(",", ""))
    except InvalidOperation:
        return None


def _msrp(listing: Listing, findings: Sequence[Any], registry: Registry | None,
          ) -> tuple[str, str, float | None]:
    """MSRP and price/MSRP: the price finding's own figures first, else the registry's
    product (by matched product photo, then by the listing's SKU)."""
    for f in findings:
        if f.kind == "price" and f.evidence and (m := _MSRP_EVIDENCE.match(f.evidence)):
            amount, cur, ref, ref_cur = _decimal(m[1]), m[2], _decimal(m[3]), m[4]
            ratio = None
            if amount is not None and ref and cur == ref_cur:
                ratio = float(amount / ref)
            elif amount is not None and ref and registry is not None:
                rates = registry.settings.currency_rates
                if cur in rates and ref_cur in rates:
                    ratio = float(amount) / rates[cur] * rates[ref_cur] / float(ref)
            return (f"{ref:.2f}" if ref is not None else m[3]), ref_cur, ratio
    if registry is None:
        return "", "", None
    product = None
    for f in findings:
        if f.kind == "image" and f.evidence and f.evidence.startswith("product:"):
            product = registry.product(f.evidence.split(":")[1])
            if product:
                break
    product = product or registry.product(listing.sku)
    if product is None:
        return "", "", None
    msrp = product.msrp
    ratio = None
    if listing.price is not None and listing.currency:
        rates = registry.settings.currency_rates
        cur = listing.currency.upper()
        if cur == msrp.currency:
            ratio = float(Decimal(listing.price) / msrp.amount)
        elif cur in rates and msrp.currency in rates:
            ratio = float(listing.price) / rates[cur] * rates[msrp.currency] / float(msrp.amount)
    return f"{msrp.amount:.2f}", msrp.currency, ratio


def plain_number(value: object) -> str:
    """'1.2E+2' (how a normalised Decimal prints) as '120'; anything else unchanged."""
    if value is None:
        return "—"
    try:
        return format(Decimal(str(value)), "f")
    except InvalidOperation:
        return str(value)


def _describe_changes(snapshots: Iterable[ListingSnapshot]) -> tuple[str, ...]:
    words: list[str] = []
    for snap in snapshots:
        if snap.kind in ("removed", "relisted"):
            words.append(snap.kind)
            continue
        if snap.kind != "changed":
            continue
        for name, pair in sorted(snap.changes.items()):
            if name == "price" and isinstance(pair, list) and len(pair) == 2:
                words.append(f"price {plain_number(pair[0])} → {plain_number(pair[1])}")
            else:
                words.append(f"{name.replace('_', ' ')} changed")
    return tuple(dict.fromkeys(words))[:6]


def collect_digest(
    db: Database,
    brand_id: int,
    brand_name: str,
    *,
    since: dt.datetime | None = None,
    flagged_only: bool = True,
    registry: Registry | None = None,
    trend_days: int = 14,
    now: dt.datetime | None = None,
) -> DigestData:
    """Flagged cases opened or updated since `since` (default: the last digest), ranked by
    risk, with their evidence; plus per-day counts of flagged cases for the trend."""
    now = now or utcnow()
    with db.session() as s:
        previous = s.exec(select(Digest).where(Digest.brand_id == brand_id)
                          .order_by(Digest.created_at.desc())).first()
        if since is None and previous is not None:
            since = previous.created_at
        since = _aware(since) if since is not None else None
        conditions = [Case.brand_id == brand_id, Case.state.in_(("new", "confirmed"))]
        if flagged_only:
            conditions.append(Case.flagged == True)  # noqa: E712 - SQL expression
        if since is not None:
            conditions.append(Case.updated_at >= since)
        # Descriptions (up to 100 kB each) are not in the digest: not loaded.
        rows = s.exec(select(Case, Listing).join(Listing, Listing.id == Case.listing_pk)
                      .options(defer(Listing.description))
                      .where(*conditions).order_by(Case.risk.desc(), Case.id)).all()
        findings: dict[int, list[Any]] = defaultdict(list)
        snapshots: dict[int, list[ListingSnapshot]] = defaultdict(list)
        if rows:
            # One joined query each rather than an IN list of thousands of ids; findings as
            # plain rows of the columns used (ORM objects cost a third of a 10,000 digest).
            for f in s.exec(select(Finding.listing_pk, Finding.kind, Finding.score, Finding.evidence,
                                   Finding.field, Finding.start, Finding.end)
                            .join(Case, Case.listing_pk == Finding.listing_pk)
                            .where(Finding.brand_id == brand_id, *conditions)):
                findings[f.listing_pk].append(f)
            if since is not None:
                for snap in s.exec(select(ListingSnapshot)
                                   .join(Case, Case.listing_pk == ListingSnapshot.listing_pk)
                                   .where(ListingSnapshot.seen_at >= since, *conditions)
                                   .order_by(ListingSnapshot.seen_at)):
                    snapshots[snap.listing_pk].append(snap)
        assets = {a.key: a.path for a in s.exec(select(Asset).where(Asset.brand_id == brand_id))}
        start = (now - dt.timedelta(days=trend_days - 1)).replace(hour=0, minute=0, second=0,
                                                                  microsecond=0)
        opened = s.exec(select(Case.created_at).where(
            Case.brand_id == brand_id, Case.flagged == True, Case.created_at >= start)).all()  # noqa: E712
        open_cases = len(s.exec(select(Case.id).where(
            Case.brand_id == brand_id, Case.flagged == True, Case.state == "new")).all())  # noqa: E712
    per_day = Counter(_aware(t).date() for t in opened)
    trend = tuple(TrendDay(start.date() + dt.timedelta(days=i),
                           per_day.get(start.date() + dt.timedelta(days=i), 0))
                  for i in range(trend_days))
    entries = []
    for case, listing in rows:
        found = sorted(findings.get(listing.id, ()), key=lambda f: -f.score)
        title = (listing.title or "(no title)")[:300]
        spans = tuple((f.start, f.end) for f in found
                      if f.kind == "mark" and f.field == "title" and f.start is not None
                      and f.end is not None and listing.title and f.end <= 300)
        image = next((f for f in found if f.kind == "image" and f.evidence), None)
        main = next((f for f in listing.image_files or () if f.get("path") and not f.get("error")), None)
        msrp, msrp_cur, ratio = _msrp(listing, found, registry)
        created = _aware(case.created_at)
        entries.append(DigestEntry(
            case_id=case.id, listing_pk=listing.id, state=case.state, risk=case.risk,
            level=case.level,
            change="new" if since is None or created >= since else "changed",
            platform=listing.platform, listing_id=listing.listing_id, url=listing.url,
            title=title, seller=listing.seller_name or "(unknown seller)",
            price="" if listing.price is None else f"{listing.price:.2f}",
            currency=listing.currency or "", msrp=msrp, msrp_currency=msrp_cur, price_ratio=ratio,
            image_url=(listing.image_urls or [None])[0],
            image_path=main["path"] if main else None,
            asset_key=image.evidence if image else None,
            asset_path=assets.get(image.evidence) if image and image.evidence else None,
            reasons=tuple(case.reasons),
            marks=tuple(sorted({f.evidence for f in found if f.kind == "mark" and f.evidence})),
            title_marks=spans,
            changes=_describe_changes(snapshots.get(listing.id, ())),
        ))
    attention = portfolio(registry, db, brand_id, today=now.date()).attention if registry else ()
    return DigestData(brand=brand_name, since=since, created_at=now, entries=tuple(entries),
                      trend=trend, open_cases=open_cases,
                      last_digest_total=(previous.counts or {}).get("total") if previous else None,
                      attention=attention)


def _aware(moment: dt.datetime) -> dt.datetime:
    # SQLite hands datetimes back naive; they were stored as UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


# -- images ------------------------------------------------------------------------------


class _Images:
    """Small JPEG thumbnails, made once per file and referenced as data: URIs or as
    cid: parts of a mail."""

    def __init__(self, mode: Literal["data", "cid"]) -> None:
        self.mode = mode
        self._by_path: dict[str, str | None] = {}
        self.inline: dict[str, InlineImage] = {}

    def _add(self, data: bytes, subtype: str) -> str:
        cid = hashlib.sha256(data).hexdigest()[:24] + "@markwatch"
        if self.mode == "cid":
            self.inline.setdefault(cid, InlineImage(cid, data, subtype))
            return f"cid:{cid}"
        return f"data:image/{subtype};base64,{base64.b64encode(data).decode('ascii')}"

    def thumbnail(self, path: str | None) -> str | None:
        if not path:
            return None
        if path not in self._by_path:
            self._by_path[path] = self._make(path)
        return self._by_path[path]

    def _make(self, path: str) -> str | None:
        try:
            info = Path(path).stat()
            if not stat.S_ISREG(info.st_mode) or info.st_size > _MAX_THUMB_SOURCE_BYTES:
                return None
            with Image.open(path) as im:
                if im.width * im.height > _MAX_THUMB_PIXELS:
                    return None
                im.draft("RGB", (THUMB_SIZE * 2, THUMB_SIZE * 2))  # JPEG: decode at a reduced scale
                im = im.convert("RGB")
                im.thumbnail((THUMB_SIZE, THUMB_SIZE))
                buf = io.BytesIO()
                im.save(buf, "JPEG", quality=70)
        except (OSError, UnidentifiedImageError, ValueError, Image.DecompressionBombError):
            return None
        return self._add(buf.getvalue(), "jpeg")

    def png(self, data: bytes) -> str:
        return self._add(data, "png")


def trend_chart_png(trend: Sequence[TrendDay], *, width: int = 420, height: int = 90) -> bytes:
    """A bar chart of flagged cases per day (the last bar, today, in red) as PNG bytes."""
    im = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(im)
    if trend:
        top = max(max(d.count for d in trend), 1)
        slot = width / len(trend)
        base = height - 14
        for i, day in enumerate(trend):
            # A day with any finding gets a visible bar, however tall the busiest day.
            h = max(2, round((base - 4) * day.count / top)) if day.count else 0
            x0 = round(i * slot + slot * 0.15)
            x1 = max(x0 + 1, round((i + 1) * slot - slot * 0.15))
            colour = "#c0392b" if i == len(trend) - 1 else "#7f9cc0"
            if h:
                draw.rectangle((x0, base - h, x1, base), fill=colour)
            if i in (0, len(trend) - 1):
                label = day.day.strftime("%d %b")
                x = x0 if i == 0 else min(x0, width - 2 - draw.textlength(label))
                draw.text((x, base + 2), label, fill="#5b6473")
        draw.line((0, base, width, base), fill="#c9ced6")
    buf = io.BytesIO()
    im.save(buf, "PNG", optimize=True)
    return buf.getvalue()


# -- rendering ---------------------------------------------------------------------------


def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), undefined=StrictUndefined,
                      autoescape=select_autoescape(["html", "j2"]), trim_blocks=True,
                      lstrip_blocks=True)
    env.filters["safe_url"] = safe_url
    return env


_ENV: Environment | None = None


def render_html(data: DigestData, *, images: Literal["data", "cid"] = "data",
                detail_limit: int = DETAIL_LIMIT, list_limit: int = LIST_LIMIT,
                review_url: str | None = None) -> RenderedDigest:
    """The digest as one HTML document with inline CSS. `images="cid"` references the
    thumbnails and the chart as `cid:` parts (returned alongside) for a mail; `"data"`
    embeds them, for a file opened in a browser."""
    global _ENV
    _ENV = _ENV or _environment()
    pics = _Images(images)
    detailed = {e.case_id for e in data.entries[:max(detail_limit, 0)]}
    review = review_url.rstrip("/") if review_url and safe_url(review_url) else None
    html = _ENV.get_template("digest.html.j2").render(
        d=data, counts=data.counts(), platforms=data.platform_counts(),
        chart=pics.png(trend_chart_png(data.trend)) if data.trend else None,
        thumb=pics.thumbnail, detailed=detailed, detail_limit=detail_limit,
        review=review, quote=quote,
        rest=[e for e in data.entries if e.case_id not in detailed][:max(list_limit, 0)],
        unlisted=max(0, len(data.entries) - len(detailed) - max(list_limit, 0)),
    )
    return RenderedDigest(html=html, images=tuple(pics.inline.values()))


CSV_FIELDS = ("case_id", "risk", "level", "change", "state", "platform", "seller", "listing_id",
              "title", "marks", "price", "currency", "msrp", "msrp_currency", "price_ratio",
              "asset_key", "url", "reasons", "changes")


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    # A cell starting with = + - @ is a formula to a spreadsheet: listing text is hostile.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def render_csv(data: DigestData) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(CSV_FIELDS)
    for e in data.entries:
        writer.writerow([_cell(v) for v in (
            e.case_id, e.risk, e.level, e.change, e.state, e.platform, e.seller, e.listing_id,
            e.title, " | ".join(e.marks), e.price, e.currency, e.msrp, e.msrp_currency,
            "" if e.price_ratio is None else f"{e.price_ratio:.3f}", e.asset_key, e.url,
            " | ".join(e.reasons), " | ".join(e.changes))])
    return buf.getvalue()


def _entry_json(e: DigestEntry) -> dict[str, Any]:
    out = asdict(e)
    out["title_marks"] = [list(span) for span in e.title_marks]
    out.pop("image_path")
    out.pop("asset_path")
    return out


def render_json(data: DigestData) -> str:
    payload: dict[str, Any] = {
        "brand": data.brand,
        "since": data.since.isoformat() if data.since else None,
        "created_at": data.created_at.isoformat(),
        "counts": data.counts(),
        "last_digest_total": data.last_digest_total,
        "platforms": data.platform_counts(),
        "trend": [{"day": d.day.isoformat(), "count": d.count} for d in data.trend],
        "attention": list(data.attention),
        "entries": [_entry_json(e) for e in data.entries],
    }
    return json.dumps(payload, ensure_ascii=False, indent=1)


def _claim(out: Path, stamp: str) -> dict[str, Path]:
    """Three new file names for one digest: digest-DATE-HHMMSS[-N].ext, the html one created
    exclusively, so neither a rerun nor a concurrent run ever overwrites another's digest."""
    for n in range(1, 10_000):
        stem = f"digest-{stamp}" if n == 1 else f"digest-{stamp}-{n}"
        paths = {ext: out / f"{stem}.{ext}" for ext in ("html", "csv", "json")}
        if paths["csv"].exists() or paths["json"].exists():
            continue
        try:
            paths["html"].open("x").close()
        except FileExistsError:
            continue
        return paths
    raise MarkwatchError(f"{out}: 10,000 digests of the same second; clean the folder")


def write_digest(db: Database, brand_id: int, data: DigestData, out_dir: str | Path, *,
                 review_url: str | None = None, record: bool = True) -> dict[str, Path]:
    """Write digest-DATE-HHMMSS.html, .csv and .json (a new name each run) into out_dir and
    record the digest, so the next one starts where this one ends."""
    out = Path(out_dir)
    stamp = _aware(data.created_at).astimezone(dt.UTC).strftime("%Y-%m-%d-%H%M%S")
    try:
        out.mkdir(parents=True, exist_ok=True)
        paths = _claim(out, stamp)
        paths["html"].write_text(render_html(data, review_url=review_url).html, encoding="utf-8")
        paths["csv"].write_text(render_csv(data), encoding="utf-8", newline="")
        paths["json"].write_text(render_json(data), encoding="utf-8")
    except OSError as exc:
        where = exc.filename or out
        raise MarkwatchError(f"cannot write the digest to {where}: {exc.strerror or exc}; "
                             "give a folder you can write to with --out") from None
    if record:
        with db.session() as s:
            s.add(Digest(brand_id=brand_id, created_at=data.created_at, since=data.since,
                         path=str(paths["html"]), counts=data.counts()))
            s.commit()
    return paths
