"""Shopify stores through their public `/products.json`, page by page: every product of a
store without fetching a page per product."""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import AsyncIterator, Iterable, Iterator
from decimal import Decimal, InvalidOperation
from functools import cached_property
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.crawler import Crawler
from scrapy.http import Response

from crawlers.caps import ListingCap
from crawlers.extract import Listing, Seller
from crawlers.failures import READ_KEY
from crawlers.items import ListingItem
from crawlers.spiders._accounting import PageAccounting

__all__ = ["ShopifySpider", "product_to_listing"]

_TAGS = re.compile(r"<[^>]+>")


def _text(html_text: str | None, limit: int = 20_000) -> str | None:
    if not html_text:
        return None
    text = " ".join(html_lib.unescape(_TAGS.sub(" ", html_text)).split())
    return text[:limit] or None


def product_to_listing(product: dict[str, Any], store_url: str, *, currency: str | None,
                       store_name: str) -> Listing | None:
    """A Shopify product object as a `Listing`; None when it is not a product at all."""
    if not isinstance(product, dict) or "id" not in product:
        return None
    variants = [v for v in product.get("variants") or [] if isinstance(v, dict)]
    prices = []
    for variant in variants:
        try:
            prices.append(Decimal(str(variant.get("price"))))
        except (InvalidOperation, ValueError):
            continue
    available = any(v.get("available") for v in variants) if variants else None
    images = [img.get("src") for img in product.get("images") or [] if isinstance(img, dict) and img.get("src")]
    images = [("https:" + src) if src.startswith("//") else src for src in images]
    handle = product.get("handle") or str(product["id"])
    return Listing(
        url=f"{store_url.rstrip('/')}/products/{handle}",
        title=(str(product.get("title") or "")[:1000]) or None,
        price=min(prices) if prices else None,
        currency=currency,
        availability=None if available is None else ("InStock" if available else "OutOfStock"),
        sku=next((str(v["sku"]) for v in variants if v.get("sku")), None),
        brand=product.get("vendor") or None,
        images=tuple(images),
        seller=Seller(name=store_name, id=store_name, url=store_url),
        description=_text(product.get("body_html")),
        listing_id=str(product["id"]),
    )


class ShopifySpider(PageAccounting, scrapy.Spider):
    name = "shopify"

    def __init__(self, platform: str = "shopify", *, start_urls: Iterable[str] = (),
                 max_listings: int = 500, page_limit: int = 250, max_pages: int = 100,
                 **kwargs: Any) -> None:
        super().__init__(name=f"shopify:{platform}", **kwargs)
        self.platform = platform
        self.stores = [u.rstrip("/") for u in start_urls]
        self.max_listings = max_listings
        self.page_limit = page_limit
        self.max_pages = max_pages

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> ShopifySpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider._connect_accounting()
        return spider

    @cached_property
    def cap(self) -> ListingCap:
        """The run's listing cap (made once the crawl's settings are known): shared by every
        process of a run on one Redis frontier."""
        return ListingCap.for_spider(self)

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for store in self.stores:
            if not self._requestable(store + "/"):
                continue
            # The storefront page says the shop's currency and name.
            yield scrapy.Request(store + "/", callback=self.parse_store, errback=self._failed,
                                 meta={"store": store})

    def parse_store(self, response: Response) -> Iterator[scrapy.Request]:
        self._read()
        store = response.meta["store"]
        currency = (
            response.css("meta[name=shop-currency]::attr(content)").get()
            or response.css("meta[property='og:price:currency']::attr(content)").get()
            or (re.search(r'"currency"\s*:\s*\{\s*"active"\s*:\s*"([A-Z]{3})"', response.text) or [None, None])[1]
        )
        name = (response.css("meta[property='og:site_name']::attr(content)").get()
                or urlsplit(store).path.rstrip("/").rsplit("/", 1)[-1] or urlsplit(store).netloc)
        yield self._page(store, 1, currency, name)

    def _page(self, store: str, page: int, currency: str | None, name: str) -> scrapy.Request:
        return scrapy.Request(
            f"{store}/products.json?limit={self.page_limit}&page={page}",
            callback=self.parse_products, errback=self._failed,
            meta={"store": store, "page": page, "currency": currency, "store_name": name},
        )

    def parse_products(self, response: Response) -> Iterator[Any]:
        self._read()
        meta = response.meta
        try:
            products = response.json().get("products") or []
        except (ValueError, AttributeError):
            self.crawler.stats.inc_value(READ_KEY, -1)
            self._count_failure("parse error", response.url)
            return
        for product in products:
            if self.cap.remaining() == 0:
                return
            listing = product_to_listing(product, meta["store"], currency=meta["currency"],
                                         store_name=meta["store_name"])
            if listing is None or not self.cap.claim(f"{meta['store']}#{listing.listing_id or listing.url}"):
                continue
            yield ListingItem(platform=self.platform, listing_id=listing.listing_id or listing.url,
                              url=listing.url, listing=listing)
        if products and meta["page"] < self.max_pages:
            yield self._page(meta["store"], meta["page"] + 1, meta["currency"], meta["store_name"])
