"""The embedded demo marketplace: a realistic, deterministic market with three storefront styles
that markwatch serves itself, so a newcomer can run the whole job with no account and no internet."""

from __future__ import annotations

from monitor.demo_market.catalog import Catalog, DemoListing, ListingExtras, build_catalog
from monitor.demo_market.images import make_brand_assets
from monitor.demo_market.server import DemoMarket, serve_forever

__all__ = [
    "Catalog",
    "DemoListing",
    "DemoMarket",
    "ListingExtras",
    "build_catalog",
    "make_brand_assets",
    "serve_forever",
]
