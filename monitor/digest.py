"""The daily digest: new and changed matches since the last digest, ranked by risk and
grouped by platform and seller, as HTML that renders in mail clients, CSV and JSON."""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sqlmodel import select

from monitor.db import Database
from monitor.models import Case, Digest, Finding, Listing, utcnow

__all__ = ["DigestEntry", "DigestData", "collect_digest", "write_digest"]

TEMPLATES = Path(__file__).parent / "templates"


@dataclass(frozen=True, slots=True)
class DigestEntry:
    case_id: int
    state: str
    risk: int
    level: str
    platform: str
    listing_id: str
    url: str
    title: str
    seller: str
    price: str
    currency: str
    image_url: str | None
    reasons: tuple[str, ...]
    marks: tuple[str, ...]


@dataclass
class DigestData:
    brand: str
    since: dt.datetime | None
    created_at: dt.datetime
    entries: list[DigestEntry] = field(default_factory=list)

    @property
    def by_platform(self) -> dict[str, dict[str, list[DigestEntry]]]:
        grouped: dict[str, dict[str, list[DigestEntry]]] = defaultdict(lambda: defaultdict(list))
        for entry in self.entries:
            grouped[entry.platform][entry.seller].append(entry)
        return {p: dict(s) for p, s in sorted(grouped.items())}

    def counts(self) -> dict[str, int]:
        levels: dict[str, int] = defaultdict(int)
        for entry in self.entries:
            levels[entry.level] += 1
        return {"total": len(self.entries), **levels}


def collect_digest(db: Database, brand_id: int, brand_name: str, *,
                   since: dt.datetime | None = None, flagged_only: bool = True) -> DigestData:
    """Flagged cases created or updated since `since` (default: the last digest)."""
    with db.session() as s:
        if since is None:
            last = s.exec(select(Digest).where(Digest.brand_id == brand_id)
                          .order_by(Digest.created_at.desc())).first()
            since = last.created_at if last else None
        query = select(Case, Listing).join(Listing, Listing.id == Case.listing_pk).where(
            Case.brand_id == brand_id, Case.state.in_(("new", "confirmed")))
        if flagged_only:
            query = query.where(Case.flagged == True)  # noqa: E712 - SQL expression
        if since is not None:
            query = query.where(Case.updated_at >= since)
        rows = s.exec(query.order_by(Case.risk.desc(), Case.id)).all()
        marks_by_listing: dict[int, set[str]] = defaultdict(set)
        if rows:
            for finding in s.exec(select(Finding).where(
                    Finding.brand_id == brand_id, Finding.kind == "mark",
                    Finding.listing_pk.in_([listing.id for _, listing in rows]))):
                if finding.evidence:
                    marks_by_listing[finding.listing_pk].add(finding.evidence)
    entries = [
        DigestEntry(
            case_id=case.id, state=case.state, risk=case.risk, level=case.level,
            platform=listing.platform, listing_id=listing.listing_id, url=listing.url,
            title=(listing.title or "(no title)")[:300], seller=listing.seller_name or "(unknown seller)",
            price="" if listing.price is None else f"{listing.price:.2f}",
            currency=listing.currency or "",
            image_url=(listing.image_urls or [None])[0],
            reasons=tuple(case.reasons), marks=tuple(sorted(marks_by_listing.get(listing.id, ()))),
        )
        for case, listing in rows
    ]
    return DigestData(brand=brand_name, since=since, created_at=utcnow(), entries=entries)


def _environment() -> Environment:
    return Environment(loader=FileSystemLoader(TEMPLATES), undefined=StrictUndefined,
                       autoescape=select_autoescape(["html", "j2"]))


def write_digest(db: Database, brand_id: int, data: DigestData, out_dir: str | Path) -> dict[str, Path]:
    """Write digest.html, digest.csv and digest.json into out_dir and record the digest."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stamp = data.created_at.strftime("%Y-%m-%d")
    html_path, csv_path, json_path = (out / f"digest-{stamp}.{ext}" for ext in ("html", "csv", "json"))
    html_path.write_text(_environment().get_template("digest.html.j2").render(d=data), encoding="utf-8")
    with csv_path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["case_id", "risk", "level", "state", "platform", "listing_id", "seller",
                         "title", "price", "currency", "url", "reasons"])
        for e in data.entries:
            writer.writerow([e.case_id, e.risk, e.level, e.state, e.platform, e.listing_id, e.seller,
                             e.title, e.price, e.currency, e.url, " | ".join(e.reasons)])
    payload: dict[str, Any] = {
        "brand": data.brand, "since": data.since.isoformat() if data.since else None,
        "created_at": data.created_at.isoformat(), "counts": data.counts(),
        "entries": [asdict(e) for e in data.entries],
    }
    json_path.write_text(json.dumps(payload, ensure_ascii=False, indent=2), encoding="utf-8")
    with db.session() as s:
        s.add(Digest(brand_id=brand_id, created_at=data.created_at, since=data.since,
                     path=str(html_path), counts=data.counts()))
        s.commit()
    return {"html": html_path, "csv": csv_path, "json": json_path}
