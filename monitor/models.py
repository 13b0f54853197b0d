"""The database tables (SQLModel): brands and their registered marks and assets, listings
with their change history, findings, review cases, takedown notices, sellers and runs.

Times are UTC and timezone-aware. JSON columns hold small lists and mappings only.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Column, Index, Numeric, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

__all__ = [
    "CASE_STATES",
    "TAKEDOWN_STATES",
    "utcnow",
    "Brand",
    "MarkRow",
    "Asset",
    "Seller",
    "Listing",
    "ListingSnapshot",
    "Finding",
    "Case",
    "Takedown",
    "TakedownItem",
    "Run",
    "Digest",
    "Alert",
]

CASE_STATES = ("new", "confirmed", "dismissed", "allowlisted")
TAKEDOWN_STATES = ("drafted", "submitted", "removed", "rejected", "counter_noticed")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# The JSON columns' empty defaults come from Python functions rather than the `list` and
# `dict` builtins: pydantic reads a default factory's signature on every instance it builds,
# and a builtin's signature is parsed from its text each time (about 0.4 ms a Listing of
# its six list columns, a run's storing being one Listing a crawled listing).
def empty_list() -> list[Any]:
    return []


def empty_dict() -> dict[str, Any]:
    return {}


class Brand(SQLModel, table=True):
    __tablename__ = "brand"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True, unique=True, max_length=200)
    registry_path: str | None = None
    registry_sha256: str | None = Field(default=None, max_length=64)
    created_at: dt.datetime = Field(default_factory=utcnow)
    updated_at: dt.datetime = Field(default_factory=utcnow)


class MarkRow(SQLModel, table=True):
    __tablename__ = "mark"
    __table_args__ = (UniqueConstraint("brand_id", "text"),)
    id: int | None = Field(default=None, primary_key=True)
    brand_id: int = Field(foreign_key="brand.id", index=True)
    text: str = Field(max_length=200)
    aliases: list[str] = Field(default_factory=empty_list, sa_column=Column(JSON, nullable=False))
    distinctive: bool = True
    registrations: list[dict[str, Any]] = Field(
        default_factory=empty_list, sa_column=Column(JSON, nullable=False)
    )


class Asset(SQLModel, table=True):
    """A registered image (logo, product photo, other copyrighted image) with its hashes."""

    __tablename__ = "asset"
    __table_args__ = (UniqueConstraint("brand_id", "key"),)
    id: int | None = Field(default=None, primary_key=True)
    brand_id: int = Field(foreign_key="brand.id", index=True)
    key: str = Field(max_length=300)
    kind: str = Field(max_length=20)  # logo | product | copyright
    path: str
    sha256: str = Field(max_length=64)
    phash: str | None = Field(default=None, max_length=64)
    product_sku: str | None = Field(default=None, max_length=100)


class Seller(SQLModel, table=True):
    __tablename__ = "seller"
    __table_args__ = (UniqueConstraint("platform", "seller_key"),)
    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=50, index=True)
    seller_key: str = Field(max_length=300)  # the platform's seller id, else the folded name
    name: str = Field(max_length=300)
    url: str | None = None
    first_seen: dt.datetime = Field(default_factory=utcnow)
    last_seen: dt.datetime = Field(default_factory=utcnow)


class Listing(SQLModel, table=True):
    __tablename__ = "listing"
    __table_args__ = (
        UniqueConstraint("platform", "listing_id"),
        Index("ix_listing_last_seen", "last_seen"),
    )
    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=50)
    listing_id: str = Field(max_length=200)
    url: str
    title: str | None = Field(default=None, sa_column=Column(Text))
    description: str | None = Field(default=None, sa_column=Column(Text))
    price: Decimal | None = Field(default=None, sa_column=Column(Numeric(18, 4)))
    currency: str | None = Field(default=None, max_length=3)
    availability: str | None = Field(default=None, max_length=20)
    sku: str | None = Field(default=None, max_length=200)
    brand_text: str | None = Field(default=None, max_length=300)
    seller_id: int | None = Field(default=None, foreign_key="seller.id", index=True)
    seller_name: str | None = Field(default=None, max_length=300)
    image_urls: list[str] = Field(default_factory=empty_list, sa_column=Column(JSON, nullable=False))
    content_hash: str = Field(max_length=64)
    status: str = Field(default="active", max_length=20)  # active | removed
    first_seen: dt.datetime = Field(default_factory=utcnow)
    last_seen: dt.datetime = Field(default_factory=utcnow)
    # What the crawl downloaded: [{"url", "sha256", "path", "error"}], main image first.
    image_files: list[dict[str, Any]] = Field(default_factory=empty_list, sa_column=Column(JSON, nullable=False))
    # The page's videos and what the crawl downloaded of them, as image_files.
    video_urls: list[str] = Field(default_factory=empty_list, sa_column=Column(JSON, nullable=False, server_default="[]"))
    video_files: list[dict[str, Any]] = Field(default_factory=empty_list,
                                              sa_column=Column(JSON, nullable=False, server_default="[]"))
    errors: list[str] = Field(default_factory=empty_list, sa_column=Column(JSON, nullable=False))
    # content_hash at the last assessment: a listing whose hash differs still needs one,
    # which is how an interrupted run resumes.
    assessed_hash: str | None = Field(default=None, max_length=64)


class ListingSnapshot(SQLModel, table=True):
    """One observed change of a listing: which fields changed, from what, to what."""

    __tablename__ = "listing_snapshot"
    id: int | None = Field(default=None, primary_key=True)
    listing_pk: int = Field(foreign_key="listing.id", index=True)
    seen_at: dt.datetime = Field(default_factory=utcnow)
    kind: str = Field(default="changed", max_length=20)  # created | changed | removed | relisted
    changes: dict[str, Any] = Field(default_factory=empty_dict, sa_column=Column(JSON, nullable=False))
    content_hash: str = Field(max_length=64)


class Finding(SQLModel, table=True):
    __tablename__ = "finding"
    id: int | None = Field(default=None, primary_key=True)
    listing_pk: int = Field(foreign_key="listing.id", index=True)
    brand_id: int = Field(foreign_key="brand.id", index=True)
    kind: str = Field(max_length=30)  # mark | image | replica_wording | compatibility | price | seller
    score: float
    reason: str = Field(sa_column=Column(Text, nullable=False))
    evidence: str | None = Field(default=None, sa_column=Column(Text))
    field: str | None = Field(default=None, max_length=30)
    start: int | None = None
    end: int | None = None
    # Image findings: which of the listing's photos (0 = main), and where in it (x0, y0, x1,
    # y1 in that photo's pixels), so the evidence can draw the logo's box on it.
    photo: int | None = None
    region: list[int] | None = Field(default=None, sa_column=Column(JSON))
    created_at: dt.datetime = Field(default_factory=utcnow)


class Case(SQLModel, table=True):
    """A listing under review for a brand. One open case per (brand, listing)."""

    __tablename__ = "case"
    __table_args__ = (
        Index("ix_case_brand_state_risk", "brand_id", "state", "risk"),
        Index("ix_case_listing", "listing_pk"),
    )
    id: int | None = Field(default=None, primary_key=True)
    brand_id: int = Field(foreign_key="brand.id")
    listing_pk: int = Field(foreign_key="listing.id")
    state: str = Field(default="new", max_length=20)
    risk: int = 0
    level: str = Field(default="low", max_length=10)
    flagged: bool = False
    reasons: list[str] = Field(default_factory=empty_list, sa_column=Column(JSON, nullable=False))
    previous_case_id: int | None = Field(default=None, foreign_key="case.id")
    note: str | None = Field(default=None, sa_column=Column(Text))
    created_at: dt.datetime = Field(default_factory=utcnow)
    updated_at: dt.datetime = Field(default_factory=utcnow, index=True)


class Takedown(SQLModel, table=True):
    __tablename__ = "takedown"
    id: int | None = Field(default=None, primary_key=True)
    brand_id: int = Field(foreign_key="brand.id", index=True)
    platform: str = Field(max_length=50)
    template: str = Field(max_length=50)
    status: str = Field(default="drafted", max_length=20)
    path: str | None = None
    created_at: dt.datetime = Field(default_factory=utcnow)
    submitted_at: dt.datetime | None = None
    resolved_at: dt.datetime | None = None
    history: list[dict[str, Any]] = Field(default_factory=empty_list, sa_column=Column(JSON, nullable=False))


class TakedownItem(SQLModel, table=True):
    __tablename__ = "takedown_item"
    takedown_id: int = Field(foreign_key="takedown.id", primary_key=True)
    case_id: int = Field(foreign_key="case.id", primary_key=True)


class Run(SQLModel, table=True):
    __tablename__ = "run"
    id: int | None = Field(default=None, primary_key=True)
    brand_id: int = Field(foreign_key="brand.id", index=True)
    started_at: dt.datetime = Field(default_factory=utcnow)
    finished_at: dt.datetime | None = None
    status: str = Field(default="running", max_length=20)  # running | finished | failed
    stats: dict[str, Any] = Field(default_factory=empty_dict, sa_column=Column(JSON, nullable=False))


class Digest(SQLModel, table=True):
    __tablename__ = "digest"
    id: int | None = Field(default=None, primary_key=True)
    brand_id: int = Field(foreign_key="brand.id", index=True)
    created_at: dt.datetime = Field(default_factory=utcnow)
    since: dt.datetime | None = None
    path: str | None = None
    counts: dict[str, Any] = Field(default_factory=empty_dict, sa_column=Column(JSON, nullable=False))


class Alert(SQLModel, table=True):
    """One announcement of a high-risk case on one channel ("mail", or "webhook:URL"):
    claimed once per (case, channel), so a case is announced once however often it is
    assessed, and its outcome is kept."""

    __tablename__ = "alert"
    __table_args__ = (UniqueConstraint("case_id", "channel"),)
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    channel: str = Field(max_length=500)
    status: str = Field(default="pending", max_length=20)  # pending | sent | failed
    attempts: int = 0
    error: str | None = Field(default=None, sa_column=Column(Text))
    created_at: dt.datetime = Field(default_factory=utcnow)
    sent_at: dt.datetime | None = None
