"""The marketplaces markwatch files notices on: where each sells (a registration must cover
that country), how many listings one notice may carry, and which templates make its notice.
A module of its own, with no imports of the drafting code, so that the assessment workers
can read a marketplace's country without loading the takedown module (Jinja, the database).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Platform", "PLATFORMS", "PLATFORM_JURISDICTION"]


@dataclass(frozen=True, slots=True)
class Platform:
    """What one marketplace's notice needs: where it sells (the registration must cover
    it), how many listings one notice may carry, and which templates make the notice."""

    name: str
    label: str
    country: str
    items_per_notice: int
    templates: tuple[str, ...]
    # A DMCA notice goes beside the platform's own for copied photos on US platforms.
    dmca: bool = False


# Per-notice limits are the platforms' own: Amazon's Report Infringement form takes 50
# ASINs/URLs, Alibaba IPP 300 links per complaint, Walmart 10 URLs per claim, eBay's
# createVeroReport 150 items per call. Etsy and Shopify publish no limit; 50 keeps a notice
# reviewable.
PLATFORMS: dict[str, Platform] = {
    "amazon": Platform("amazon", "Amazon", "US", 50, ("amazon",), dmca=True),
    "ebay": Platform("ebay", "eBay", "US", 150, ("ebay_noci", "ebay_vero_api"), dmca=True),
    "aliexpress": Platform("aliexpress", "AliExpress", "CN", 300, ("alibaba_ipp",)),
    "alibaba": Platform("alibaba", "Alibaba.com", "CN", 300, ("alibaba_ipp",)),
    "taobao": Platform("taobao", "Taobao", "CN", 300, ("alibaba_ipp",)),
    "etsy": Platform("etsy", "Etsy", "US", 50, ("etsy",), dmca=True),
    "shopify": Platform("shopify", "Shopify", "US", 50, ("shopify",), dmca=True),
    "walmart": Platform("walmart", "Walmart Marketplace", "US", 10, ("walmart",), dmca=True),
    # The demo market sells in Sweden: an EU hosting service takes DSA Article 16 notices.
    "bazaar": Platform("bazaar", "Bazaar", "SE", 100, ("dsa",)),
    "shoply": Platform("shoply", "Shoply", "SE", 100, ("dsa",)),
    "shopstores": Platform("shopstores", "Shopify-style stores", "SE", 50, ("shopify", "dsa")),
}
PLATFORM_JURISDICTION = {name: p.country for name, p in PLATFORMS.items()}
