"""The item every spider yields: one listing as read from its page, plus what the
pipelines add (downloaded images and videos, per-item errors)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from crawlers.extract import Listing

__all__ = ["ImageFile", "ListingItem"]


@dataclass(frozen=True, slots=True)
class ImageFile:
    url: str
    sha256: str | None = None   # None when the download failed
    path: str | None = None     # content-addressed file under the crawl's image folder
    error: str | None = None


@dataclass(slots=True)
class ListingItem:
    platform: str
    listing_id: str
    url: str
    listing: Listing
    rendered: bool = False                      # read from a browser-rendered page
    images: list[ImageFile] = field(default_factory=list)
    # The page's videos (crawlers._videos) and the ones downloaded (ImageFile: any fetched file).
    video_urls: tuple[str, ...] = ()
    videos: list[ImageFile] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
