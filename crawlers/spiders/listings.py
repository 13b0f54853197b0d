"""The generic listing spider: search terms through a marketplace adapter, start URLs and
sitemaps; follows only listing links, within per-run caps, sampling result pages
reproducibly; reads every listing page with `extract_listing`, rendering it in a browser
when the site needs scripts (by setting, or when the page turns out to be an app shell)."""

from __future__ import annotations

import random
import zlib
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any

import scrapy
from scrapy.http import Response
from scrapy.utils.sitemap import Sitemap, sitemap_urls_from_robots
from scrapy_playwright.page import PageMethod

from crawlers.extract import extract_listing, looks_like_app_shell
from crawlers.items import ListingItem
from crawlers.marketplaces import SearchAdapter, adapter_for, listing_id_from_url, looks_like_listing_url

__all__ = ["ListingSpider"]


def _browser_meta() -> dict[str, Any]:
    # Wait until the page's own requests settle: app shells fetch their data after load.
    return {
        "playwright": True,
        "playwright_page_methods": [PageMethod("wait_for_load_state", "networkidle")],
    }


class ListingSpider(scrapy.Spider):
    name = "listings"

    def __init__(
        self,
        platform: str,
        *,
        search_terms: Iterable[str] = (),
        start_urls: Iterable[str] = (),
        base_url: str | None = None,
        max_pages: int = 20,
        max_listings: int = 200,
        javascript: bool | None = None,
        sample_seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(name=f"listings:{platform}", **kwargs)
        self.platform = platform
        self.adapter: SearchAdapter | None = adapter_for(platform)
        self.search_terms = list(search_terms)
        self.seed_urls = list(start_urls)
        self.base_url = base_url
        self.max_pages = max_pages
        self.max_listings = max_listings
        self.javascript = bool(javascript if javascript is not None else (self.adapter and self.adapter.javascript))
        self.sample_seed = sample_seed
        self.pages_seen = 0
        self.listings_scheduled = 0
        self._scheduled_ids: set[str] = set()

    # -- requests --------------------------------------------------------------------

    def _meta(self, **meta: Any) -> dict[str, Any]:
        if self.javascript:
            meta.update(_browser_meta())
        return meta

    async def start(self) -> AsyncIterator[scrapy.Request]:
        if self.sample_seed is None:
            self.sample_seed = self.settings.getint("MARKWATCH_SAMPLE_SEED", 0)
        if self.search_terms and self.adapter is None:
            self.logger.error("no search adapter for platform %r; give start_urls instead", self.platform)
        for term in self.search_terms if self.adapter else ():
            url = self.adapter.search_url(term, base_url=self.base_url)
            yield scrapy.Request(url, callback=self.parse_results, meta=self._meta(term=term))
        for url in self.seed_urls:
            if url.endswith(".xml") or url.endswith("robots.txt"):
                yield scrapy.Request(url, callback=self.parse_sitemap)
            else:
                yield scrapy.Request(url, callback=self.parse_any, meta=self._meta())

    def _is_listing_url(self, url: str) -> bool:
        if self.adapter is not None:
            return self.adapter.is_listing(url)
        return looks_like_listing_url(url)

    def _listing_request(self, url: str) -> scrapy.Request | None:
        listing_id = listing_id_from_url(url, self.platform)
        if listing_id in self._scheduled_ids or self.listings_scheduled >= self.max_listings:
            return None
        self._scheduled_ids.add(listing_id)
        self.listings_scheduled += 1
        return scrapy.Request(url, callback=self.parse_listing, meta=self._meta(listing_id=listing_id))

    def _sample(self, links: list[str], key: str) -> list[str]:
        """A reproducible order for one result page: the same seed and page give the same
        sample on every run, so a capped crawl is repeatable."""
        rng = random.Random((self.sample_seed or 0) ^ zlib.crc32(key.encode()))
        links = list(dict.fromkeys(links))
        rng.shuffle(links)
        return links

    # -- parsing -----------------------------------------------------------------------

    def parse_results(self, response: Response) -> Iterator[scrapy.Request]:
        self.pages_seen += 1
        selector = self.adapter.result_links if self.adapter else "a::attr(href)"
        links = [response.urljoin(href) for href in response.css(selector).getall()]
        links = [u for u in links if self._is_listing_url(u)]
        for url in self._sample(links, response.url):
            request = self._listing_request(url)
            if request is not None:
                yield request
        if self.pages_seen >= self.max_pages or self.listings_scheduled >= self.max_listings:
            return
        next_selector = self.adapter.next_page if self.adapter else "a[rel~=next]::attr(href)"
        next_href = response.css(next_selector).get()
        if next_href:
            yield scrapy.Request(response.urljoin(next_href), callback=self.parse_results,
                                 meta=self._meta(term=response.meta.get("term")))

    def parse_any(self, response: Response) -> Iterator[Any]:
        """A start URL: a listing page, or a page of listing links."""
        if self._is_listing_url(response.url):
            yield from self.parse_listing(response)
        else:
            yield from self.parse_results(response)

    def parse_sitemap(self, response: Response) -> Iterator[scrapy.Request]:
        if response.url.endswith("robots.txt"):
            for url in sitemap_urls_from_robots(response.text, base_url=response.url):
                yield scrapy.Request(url, callback=self.parse_sitemap)
            return
        try:
            sitemap = Sitemap(response.body)
        except Exception:  # noqa: BLE001 - a broken sitemap is logged, the crawl goes on
            self.logger.warning("unreadable sitemap %s", response.url)
            return
        for entry in sitemap:
            url = response.urljoin(entry["loc"])
            if sitemap.type == "sitemapindex":
                yield scrapy.Request(url, callback=self.parse_sitemap)
            elif self._is_listing_url(url):
                request = self._listing_request(url)
                if request is not None:
                    yield request

    def parse_listing(self, response: Response) -> Iterator[Any]:
        rendered = bool(response.meta.get("playwright"))
        listing = extract_listing(response.body, response.url,
                                  encoding=getattr(response, "encoding", None))
        empty = listing.title is None and listing.price is None
        if empty and not rendered and looks_like_app_shell(response.body):
            # The page is an app shell: its data arrives only once scripts run.
            self.crawler.stats.inc_value("markwatch/app_shell_rendered")
            yield response.request.replace(meta={**response.meta, **_browser_meta()}, dont_filter=True)
            return
        listing_id = response.meta.get("listing_id") or listing.listing_id or listing_id_from_url(response.url, self.platform)
        item = ListingItem(platform=self.platform, listing_id=listing_id, url=response.url,
                           listing=listing, rendered=rendered)
        if empty:
            item.errors.append("no title or price could be read from the page")
        yield item
