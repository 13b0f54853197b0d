"""Run crawl jobs with Scrapy in this process and return their statistics. The
application passes a sink (a callable taking each `ListingItem`); nothing here knows
about storage. Scrapy's reactor runs once per process: call `run_crawl` once."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from scrapy.crawler import CrawlerProcess

from crawlers.items import ListingItem
from crawlers.settings import crawl_settings
from crawlers.spiders.listings import ListingSpider
from crawlers.spiders.shopify import ShopifySpider

__all__ = ["CrawlJob", "run_crawl"]


@dataclass(frozen=True, slots=True)
class CrawlJob:
    platform: str
    kind: str = "search"  # search | shopify | urls | sitemap
    search_terms: tuple[str, ...] = ()
    start_urls: tuple[str, ...] = ()
    base_url: str | None = None
    max_pages: int = 20
    max_listings: int = 200
    javascript: bool | None = None

    def spider(self) -> tuple[type, dict[str, Any]]:
        if self.kind == "shopify":
            return ShopifySpider, {"platform": self.platform, "start_urls": self.start_urls,
                                   "max_listings": self.max_listings, "max_pages": self.max_pages}
        return ListingSpider, {
            "platform": self.platform, "search_terms": self.search_terms,
            "start_urls": self.start_urls, "base_url": self.base_url,
            "max_pages": self.max_pages, "max_listings": self.max_listings,
            "javascript": self.javascript,
        }


def run_crawl(
    jobs: Sequence[CrawlJob],
    *,
    sink: Callable[[ListingItem], Any],
    busy: Callable[[], bool] | None = None,
    browser_path: str | None = None,
    images_dir: str | None = None,
    proxy: str | None = None,
    redis_url: str | None = None,
    run_key: str | None = None,
    overrides: dict[str, Any] | None = None,
) -> dict[str, dict[str, Any]]:
    """Crawl every job concurrently; block until all finish; stats per job platform. `busy`,
    when given, pauses the crawl while it answers True (crawlers.pipelines.SinkPipeline)."""
    settings = crawl_settings(browser_path=browser_path, proxy=proxy, redis_url=redis_url,
                              run_key=run_key, images_dir=images_dir, overrides=overrides)
    settings["MARKWATCH_SINK"] = sink
    if busy is not None:
        settings["MARKWATCH_SINK_BUSY"] = busy
    settings.setdefault("LOG_INSTALL_ROOT_HANDLER", False)
    process = CrawlerProcess(settings)
    crawlers = []
    for job in jobs:
        spider_cls, kwargs = job.spider()
        crawler = process.create_crawler(spider_cls)
        crawlers.append((job, crawler))
        process.crawl(crawler, **kwargs)
    process.start()
    return {job.platform: dict(crawler.stats.get_stats() or {}) for job, crawler in crawlers}
