"""Turn marketplace pages into `Listing` values: page extraction, Scrapy spiders and
pipelines. May use `matchers`; never imports `monitor`."""

from __future__ import annotations

from crawlers.extract import Listing, Seller, extract_listing, looks_like_app_shell

__all__ = ["Listing", "Seller", "extract_listing", "looks_like_app_shell"]
