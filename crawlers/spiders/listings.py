"""The generic listing spider: search terms through a marketplace adapter, start URLs and
sitemaps; follows only listing links, within per-run caps, reading a seeded random sample of
all the listings the result pages name; reads every listing page with `extract_listing`, rendering it in a browser
when the site needs scripts (by setting, or when the page turns out to be an app shell)."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Iterable, Iterator
from functools import cached_property
from typing import Any

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Response
from scrapy.utils.reactor import CallLaterOnce
from scrapy.utils.sitemap import Sitemap, sitemap_urls_from_robots
from scrapy_playwright.page import PageMethod

from crawlers._videos import video_urls
from crawlers.browser import SETTLE_MAX_MS, SETTLE_QUIET_MS, render_trouble, settle_page
from crawlers.caps import ListingCap, RunPresence, wake_engine
from crawlers.failures import READ_KEY
from crawlers.middlewares import WAIT_KEY
from crawlers.extract import extract_listing, looks_like_app_shell
from crawlers.items import ListingItem
from crawlers.marketplaces import SearchAdapter, adapter_for, listing_id_from_url, looks_like_listing_url
from crawlers.spiders._accounting import PageAccounting

__all__ = ["ListingSpider"]

# Waiting on a shared frontier for another process's listings: how often to look (Scrapy's
# own heartbeat looks every 5 s, and a worker without listings waited that long).
_RUN_POLL = 0.5


def _browser_meta(settings: Any) -> dict[str, Any]:
    # Wait until the page's own requests settle: app shells fetch their data after load.
    settle = PageMethod(settle_page, quiet_ms=settings.getint("MARKWATCH_RENDER_QUIET_MS", SETTLE_QUIET_MS),
                        most_ms=settings.getint("MARKWATCH_RENDER_MAX_MS", SETTLE_MAX_MS))
    return {"playwright": True, "playwright_page_methods": [settle]}


class ListingSpider(PageAccounting, scrapy.Spider):
    name = "listings"
    _look_again: CallLaterOnce[None]

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
        self._candidates: dict[str, str] = {}   # listing id -> first URL seen, until sampled
        self._pages: dict[str, int] = {}        # result pages requested per chain
        self._chains = 1

    # -- requests --------------------------------------------------------------------

    def _meta(self, **meta: Any) -> dict[str, Any]:
        if self.javascript:
            meta.update(_browser_meta(self.settings))
        return meta

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> ListingSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider._on_idle, signal=signals.spider_idle)
        # waiting on a shared frontier: a look at it again in a moment (see _on_idle)
        spider._look_again = CallLaterOnce(wake_engine, crawler)
        crawler.signals.connect(spider._look_again.cancel, signal=signals.spider_closed)
        crawler.signals.connect(spider._on_response, signal=signals.response_received)
        spider._connect_accounting()
        return spider

    @cached_property
    def presence(self) -> RunPresence | None:
        """With a shared frontier: which processes of the run still have work."""
        return RunPresence.for_spider(self)

    def _on_response(self, response: Response, request: scrapy.Request, spider: scrapy.Spider) -> None:
        if self.presence is not None:
            self.presence.busy()

    @cached_property
    def cap(self) -> ListingCap:
        """The run's listing cap (made once the crawl's settings are known): shared by every
        process of a run on one Redis frontier."""
        return ListingCap.for_spider(self)

    async def start(self) -> AsyncIterator[scrapy.Request]:
        if self.sample_seed is None:
            self.sample_seed = self.settings.getint("MARKWATCH_SAMPLE_SEED", 0)
        if self.presence is not None:
            self.presence.busy(now=True)
        if self.search_terms and self.adapter is None:
            self.logger.error("no search adapter for platform %r; give start_urls instead", self.platform)
        terms = self.search_terms if self.adapter else []
        self._chains = len(terms) + sum(1 for url in self.seed_urls if not self._is_listing_url(url))
        for term in terms:
            request = self._results_request(self.adapter.search_url(term, base_url=self.base_url), f"term:{term}")
            if request is not None:
                request.meta["term"] = term
                yield request
        for url in self.seed_urls:
            if url.endswith(".xml") or url.endswith("robots.txt"):
                request = self._results_request(url, url, self.parse_sitemap)
            elif self._is_listing_url(url):
                # A listing named outright is read, within the cap, without sampling.
                request = self._listing_request(url)
            else:
                request = self._results_request(url, url, self.parse_any)
            if request is not None:
                yield request

    def _is_listing_url(self, url: str) -> bool:
        if self.adapter is not None:
            return self.adapter.is_listing(url)
        return looks_like_listing_url(url)

    def _listing_request(self, url: str) -> scrapy.Request | None:
        if not self._requestable(url):
            return None
        listing_id = listing_id_from_url(url, self.platform)
        if not self.cap.claim(listing_id):
            return None
        try:
            # The cap's claim already keeps a listing to one request; unfiltered, a redirect
            # loop ends at REDIRECT_MAX_TIMES and is counted, instead of vanishing as a
            # duplicate request.
            return scrapy.Request(url, callback=self.parse_listing, errback=self._failed,
                                  meta=self._meta(listing_id=listing_id), dont_filter=True)
        except ValueError:  # whatever urlsplit let through: one link lost, never the sample
            self._requestable("http://[")
            return None

    def _results_request(self, url: str, chain: str, callback: Any = None) -> scrapy.Request | None:
        """A result page (or sitemap) of one chain (a search term, a start URL): each chain
        gets an equal share of the page cap, so which pages are read does not depend on
        which chain the network answered first."""
        budget = max(1, self.max_pages // max(1, self._chains))
        if not self._requestable(url) or self._pages.get(chain, 0) >= budget:
            return None
        self._pages[chain] = self._pages.get(chain, 0) + 1
        meta = {"chain": chain} if callback == self.parse_sitemap else self._meta(chain=chain)
        return scrapy.Request(url, callback=callback or self.parse_results, errback=self._failed, meta=meta)

    def _add_candidates(self, urls: Iterable[str]) -> None:
        # A link that cannot be requested (javascript:, mailto:, a malformed URL) is counted
        # and skipped here, so it can never reach a Request() and end the sample.
        for url in urls:
            if self._requestable(url) and self._is_listing_url(url):
                self._candidates.setdefault(listing_id_from_url(url, self.platform), url)

    def sample(self) -> list[str]:
        """The listings to read: every candidate when under the cap, else a seeded random
        sample, the first `cap.remaining()` of `ranked()`."""
        return self.ranked()[: self.cap.remaining()]

    def ranked(self) -> list[str]:
        """Candidates not yet claimed here, in sampling order. Each listing's rank is a hash
        of (seed, platform, listing id), so the same seed picks the same listings whatever
        order the result pages arrived in."""
        def rank(listing_id: str) -> bytes:
            key = f"{self.sample_seed or 0}:{self.platform}:{listing_id}".encode()
            return hashlib.blake2b(key, digest_size=8).digest()

        ranked = sorted((lid for lid in self._candidates if lid not in self.cap), key=rank)
        return [self._candidates[lid] for lid in ranked]

    def _on_idle(self) -> None:
        # Every result page is in: the sample is drawn from all of them at once, lowest rank
        # first, until the cap (the run's, with a shared frontier) is reached.
        requests = []
        for url in self.ranked():  # other processes may claim some of them first
            if self.cap.remaining() == 0:
                break
            if (request := self._listing_request(url)) is not None:
                requests.append(request)
        self._candidates.clear()
        if requests:
            self.crawler.stats.inc_value("markwatch/listings_sampled", len(requests))
            if self.presence is not None:
                self.presence.busy(now=True)
            for request in requests:
                self.crawler.engine.crawl(request)
            raise DontCloseSpider
        if self.presence is not None and self.presence.others_busy():
            # Another process of the run is still reading result pages or listings: it may
            # queue listings for this one to share, so wait, looking at the frontier again
            # in a moment (each look that finds it empty signals idle, and comes back here).
            self.crawler.stats.inc_value("markwatch/waited_for_run")
            self._look_again.schedule(_RUN_POLL)
            raise DontCloseSpider

    # -- parsing -----------------------------------------------------------------------

    def _again(self, response: Response, why: str) -> scrapy.Request | None:
        """The page's request once more, after a growing wait, when the page came back
        without what it exists for (its results, its listing) and `why` says its data may
        not have arrived; None once MARKWATCH_EMPTY_PAGE_RETRIES are spent. A busy
        marketplace's data API stalls or fails a request now and then: read as it stood,
        one result page ended its whole chain without a word."""
        tries = response.meta.get("markwatch_empty_tries", 0)
        if tries >= self.settings.getint("MARKWATCH_EMPTY_PAGE_RETRIES", 2):
            return None
        self.crawler.stats.inc_value("markwatch/empty_page_retried")
        self.crawler.stats.inc_value(f"markwatch/empty_page_retried/{why}")
        self.crawler.stats.inc_value(READ_KEY, -1)  # read once it comes back whole
        meta = {**response.meta, "markwatch_empty_tries": tries + 1, WAIT_KEY: tries + 1}  # the backoff's n
        if response.meta.get("playwright"):
            meta.update(_browser_meta(self.settings))  # a fresh settle method for its result
        return response.request.replace(meta=meta, dont_filter=True)

    def parse_results(self, response: Response, *, counted: bool = False) -> Iterator[scrapy.Request]:
        if not counted:
            self._read()
        selector = self.adapter.result_links if self.adapter else "a::attr(href)"
        next_selector = self.adapter.next_page if self.adapter else "a[rel~=next]::attr(href)"
        links = response.css(selector).getall()
        next_url = response.css(next_selector).get()
        if not links and not next_url:
            # No results: a search with none, the end of a templated chain - or a page whose
            # data did not arrive (it is rendered and its data request failed or it did not
            # settle), or a page the previous one linked to that shows nothing.
            trouble = render_trouble(response.meta) if response.meta.get("playwright") else None
            linked = response.meta.get("via") == "link"
            if trouble or linked:
                if (again := self._again(response, trouble or "linked page empty")) is not None:
                    yield again
                    return
                if linked:
                    self.crawler.stats.inc_value(READ_KEY, -1)
                    self._count_failure("results page empty", response.url)
                    return
            self.crawler.stats.inc_value("markwatch/empty_result_pages")
        self.pages_seen += 1
        self.crawler.stats.inc_value("markwatch/result_pages")
        before = len(self._candidates)
        self._add_candidates(self._joined(response, links))
        next_url = next(iter(self._joined(response, [next_url])), None) if next_url else None
        term = response.meta.get("term")
        via = "link"
        if next_url is None and self.adapter and self.adapter.next_by_template and term and len(self._candidates) > before:
            page = response.meta.get("page", self.adapter.first_page) + 1
            next_url = self.adapter.search_url(term, page, base_url=self.base_url)
            via = "template"  # may well be past the last page: an empty one is no loss
        if next_url:
            request = self._results_request(next_url, response.meta.get("chain", response.url))
            if request is not None:
                request.meta["term"] = term
                request.meta["via"] = via
                request.meta["page"] = response.meta.get("page", self.adapter.first_page if self.adapter else 1) + 1
                yield request

    def parse_any(self, response: Response) -> Iterator[Any]:
        """A start URL: a listing page, or a page of listing links."""
        self._read()
        if self._is_listing_url(response.url):
            yield from self.parse_listing(response, counted=True)
        else:
            yield from self.parse_results(response, counted=True)

    def parse_sitemap(self, response: Response) -> Iterator[scrapy.Request]:
        self._read()
        chain = response.meta.get("chain", response.url)
        if response.url.endswith("robots.txt"):
            for url in sitemap_urls_from_robots(response.text, base_url=response.url):
                request = self._results_request(url, chain, self.parse_sitemap)
                if request is not None:
                    yield request
            return
        try:
            sitemap = Sitemap(response.body)
        except Exception:  # noqa: BLE001 - a broken sitemap is counted, the crawl goes on
            self.crawler.stats.inc_value(READ_KEY, -1)
            self._count_failure("parse error", response.url)
            return
        for entry in sitemap:
            url = next(iter(self._joined(response, [entry["loc"]])), None)
            if url is None:
                continue
            if sitemap.type == "sitemapindex":
                request = self._results_request(url, chain, self.parse_sitemap)
                if request is not None:
                    yield request
            else:
                self._add_candidates([url])

    def _joined(self, response: Response, hrefs: Iterable[str]) -> list[str]:
        urls = []
        for href in hrefs:
            try:
                urls.append(response.urljoin(href))
            except ValueError:
                self._requestable("http://[")  # counted as a malformed URL
        return urls

    def parse_listing(self, response: Response, *, counted: bool = False) -> Iterator[Any]:
        if not counted:
            self._read()
        rendered = bool(response.meta.get("playwright"))
        listing = extract_listing(response.body, response.url,
                                  encoding=getattr(response, "encoding", None))
        empty = listing.title is None and listing.price is None
        if empty and not rendered and looks_like_app_shell(response.body):
            # The page is an app shell: its data arrives only once scripts run.
            self.crawler.stats.inc_value("markwatch/app_shell_rendered")
            self.crawler.stats.inc_value(READ_KEY, -1)  # read once it is rendered
            yield response.request.replace(meta={**response.meta, **_browser_meta(self.settings)}, dont_filter=True)
            return
        if rendered and listing.price is None:
            # Rendered without its price: read again while its data may not have arrived
            # (a failed or unfinished data request), or when the page shows nothing at all.
            trouble = render_trouble(response.meta) or ("empty" if empty else None)
            if trouble and (again := self._again(response, trouble)) is not None:
                yield again
                return
        listing_id = response.meta.get("listing_id") or listing.listing_id or listing_id_from_url(response.url, self.platform)
        item = ListingItem(platform=self.platform, listing_id=listing_id, url=response.url,
                           listing=listing, rendered=rendered,
                           video_urls=video_urls(response.body, response.url, encoding=getattr(response, "encoding", None)))
        if empty:
            item.errors.append("no title or price could be read from the page")
        yield item
