"""Scrapy settings for markwatch's crawls, in one commented module.

Polite by default: robots.txt obeyed, AutoThrottle on, a few requests per domain at a
time, an identifying user agent, retries with backoff on 429 and 5xx. `crawl_settings()`
layers a run's own choices (caps, browser, proxy, Redis) on top.
"""

from __future__ import annotations

import logging
import os
from functools import cache
from pathlib import Path
from typing import Any

from scrapy.settings import default_settings

__all__ = ["USER_AGENT", "DEFAULTS", "CHROMIUM_ARGS", "chromium_args", "sandbox_unavailable", "crawl_settings"]

log = logging.getLogger(__name__)

USER_AGENT = "markwatch/0.1 (brand-protection crawler; +https://markwatch.example/bot)"

DEFAULTS: dict[str, Any] = {
    "BOT_NAME": "markwatch",
    "USER_AGENT": USER_AGENT,
    # Politeness: the site's robots.txt decides, and we never hammer a host.
    "ROBOTSTXT_OBEY": True,
    "CONCURRENT_REQUESTS": 16,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 4,
    # Scrapy's downloader, but counting a download from the moment it leaves the queue (under
    # the asyncio reactor Scrapy 2.19 let a whole domain queue out at once with no delay).
    "DOWNLOADER": "crawlers.downloader.PoliteDownloader",
    "DOWNLOAD_DELAY": 0.25,
    "AUTOTHROTTLE_ENABLED": True,
    "AUTOTHROTTLE_START_DELAY": 0.25,
    "AUTOTHROTTLE_MAX_DELAY": 30.0,
    "AUTOTHROTTLE_TARGET_CONCURRENCY": 2.0,
    # 429 and 5xx are retried; crawlers.middlewares.BackoffRetryMiddleware waits longer
    # each time (and honours Retry-After) instead of retrying at once.
    "RETRY_ENABLED": True,
    "RETRY_TIMES": 3,
    "RETRY_HTTP_CODES": [429, 500, 502, 503, 504, 522, 524, 408],
    # A rendered page that does not load within the navigation timeout is retried too, as a
    # download that timed out is: Scrapy's list does not know Playwright's TimeoutError, so a
    # browser that stalled for a moment (a busy machine at a run's start) lost the first page
    # of each search term, and with them a whole rendered site (bench/daily_scale.py,
    # 2026-12-07: shoply "0 of 823", its three first result pages timed out, never retried).
    "RETRY_EXCEPTIONS": [*default_settings.RETRY_EXCEPTIONS, "playwright.async_api.TimeoutError"],
    "DOWNLOADER_MIDDLEWARES": {
        "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
        "crawlers.middlewares.BackoffRetryMiddleware": 550,
        "crawlers.middlewares.ProxyMiddleware": 740,
        # Before robots.txt (100) so a private address is never fetched even for robots.txt.
        "crawlers.middlewares.AddressGuardMiddleware": 50,
    },
    "DOWNLOAD_TIMEOUT": 30,
    # A listing page or image larger than this is refused rather than read into memory.
    "DOWNLOAD_MAXSIZE": 16 * 1024 * 1024,
    "DOWNLOAD_WARNSIZE": 4 * 1024 * 1024,
    "COOKIES_ENABLED": False,
    "TELNETCONSOLE_ENABLED": False,
    "LOG_LEVEL": "WARNING",
    # Scrapy's check that a callback generator returns no value parses the callback's source
    # on every response: its cache is keyed by the bound method, a new object each time.
    # About 1.7 ms a page (0.8 s of the demo's own process); our callbacks are tested instead.
    "WARN_ON_GENERATOR_RETURN_VALUE": False,
    # Playwright only renders requests that ask for it (meta["playwright"]); its driver and
    # the browser start on the first such request, so static crawls never launch them.
    "DOWNLOAD_HANDLERS": {
        "http": "crawlers.browser.LazyPlaywrightDownloadHandler",
        "https": "crawlers.browser.LazyPlaywrightDownloadHandler",
    },
    "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
    "PLAYWRIGHT_BROWSER_TYPE": "chromium",
    "PLAYWRIGHT_MAX_CONTEXTS": 1,
    # Eight pages rendering at once keep both cores busy while each waits for its network
    # to settle; the browser skips what the extractor never reads (bench/crawl_speed.py:
    # 118-142 pages/min with 4 pages and everything fetched, 171-173 so).
    "PLAYWRIGHT_MAX_PAGES_PER_CONTEXT": 8,
    "PLAYWRIGHT_ABORT_REQUEST": "crawlers.browser.skip_unneeded_resource",
    # A fresh browser context after this many rendered pages (the old one closed once its
    # pages are done): a context's two renderer processes and in-memory cache keep growing
    # over a long crawl however often its pages are replaced. bench/crawl_speed.py's browser
    # over 776 rendered pages: 893-943 MiB at its peak in one context, 706 MiB so.
    "MARKWATCH_RENDER_CONTEXT_PAGES": 300,
    "PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT": 30_000,
    # Items: drop repeats, fetch images once, then hand each listing to the application.
    "ITEM_PIPELINES": {
        "crawlers.pipelines.DedupePipeline": 100,
        "crawlers.pipelines.ImageFetchPipeline": 300,
        "crawlers.pipelines.VideoFetchPipeline": 350,
        "crawlers.pipelines.SinkPipeline": 900,
    },
    "MARKWATCH_IMAGE_MAX_BYTES": 8 * 1024 * 1024,
    "MARKWATCH_IMAGES_PER_LISTING": 4,
    # Product videos run to a few megabytes; a listing's first two are matched.
    "MARKWATCH_VIDEO_MAX_BYTES": 60 * 1024 * 1024,
    "MARKWATCH_VIDEOS_PER_LISTING": 2,
    "MARKWATCH_SAMPLE_SEED": 20261121,
    # A crawl job is incomplete (`crawl` and `run` exit 3) when more than this share of the
    # pages it tried failed, or when every page failed (the site went away).
    "MARKWATCH_MAX_FAILED_SHARE": 0.2,
}

# Flags for Chromium in a closed network: no background connections to Google's services
# (they fail here and slow every start). The sandbox stays on: see chromium_args().
CHROMIUM_ARGS = [
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


# The crawl's browser only: it draws no pictures (the extractor reads their addresses from
# the DOM and the pipelines fetch the photos), and its pages share two renderer processes
# rather than one each: on two cores eight renderers cost about 15% more CPU a page in
# switching between them (bench/crawl_speed.py). Its script engine keeps a small heap
# (V8's --optimize-for-size: collected sooner, no hard limit a heavy page could hit): the
# browser's peak over 329 rendered pages fell from 1,097-1,103 MiB to 907-920 MiB, pages a
# minute within the run-to-run spread (372/436 as before, 422/366 so).
CRAWL_CHROMIUM_ARGS = ["--blink-settings=imagesEnabled=false", "--renderer-process-limit=2",
                       "--js-flags=--optimize-for-size"]


def _read_int(path: str) -> int | None:
    try:
        return int(Path(path).read_text().strip())
    except (OSError, ValueError):
        return None


def sandbox_unavailable(*, euid: int | None = None) -> str | None:
    """Why Chromium's sandbox cannot run for this process, or None when it can. Chromium
    refuses to start sandboxed as root; otherwise it needs unprivileged user namespaces (or
    a setuid chrome-sandbox helper)."""
    euid = os.geteuid() if euid is None and hasattr(os, "geteuid") else euid
    if euid == 0:
        return "running as root (Chromium refuses its sandbox for root)"
    clone = _read_int("/proc/sys/kernel/unprivileged_userns_clone")
    limit = _read_int("/proc/sys/user/max_user_namespaces")
    restricted = _read_int("/proc/sys/kernel/apparmor_restrict_unprivileged_userns")
    if clone != 0 and limit != 0 and restricted != 1:
        return None
    for helper in ("/usr/lib/chromium/chrome-sandbox", "/opt/google/chrome/chrome-sandbox"):
        try:
            st = os.stat(helper)
        except OSError:
            continue
        if st.st_uid == 0 and st.st_mode & 0o4000:
            return None
    return "no unprivileged user namespaces and no setuid chrome-sandbox"


@cache
def _sandbox_off() -> bool:
    why = sandbox_unavailable()
    if why is not None:
        # Said once per process: pages from strangers are rendered without Chromium's sandbox.
        log.warning("Chromium runs without its sandbox: %s; run markwatch as an unprivileged "
                    "user with user namespaces to keep it on", why)
    return why is not None


def chromium_args() -> list[str]:
    """CHROMIUM_ARGS, plus --no-sandbox only where the sandbox cannot run (said once)."""
    return [*CHROMIUM_ARGS, "--no-sandbox"] if _sandbox_off() else list(CHROMIUM_ARGS)


def crawl_settings(
    *,
    browser_path: str | None = None,
    proxy: str | None = None,
    redis_url: str | None = None,
    run_key: str | None = None,
    images_dir: str | None = None,
    overrides: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The settings of one crawl: DEFAULTS plus this run's browser, proxy and Redis."""
    settings = dict(DEFAULTS)
    launch: dict[str, Any] = {"headless": True, "args": [*chromium_args(), *CRAWL_CHROMIUM_ARGS]}
    if browser_path:
        launch["executable_path"] = browser_path
    if proxy:
        # Scrapy's HttpProxyMiddleware reads meta["proxy"]; Playwright its own option.
        settings["MARKWATCH_PROXY"] = proxy
        launch["proxy"] = {"server": proxy}
    settings["PLAYWRIGHT_LAUNCH_OPTIONS"] = launch
    if images_dir:
        settings["MARKWATCH_IMAGES_DIR"] = images_dir
    if redis_url:
        # scrapy-redis: a shared scheduler queue and duplicate filter, so several
        # processes (or machines) crawl one frontier and no URL is fetched twice.
        # Keys are namespaced by run, so processes of one run share a frontier and the
        # next run starts afresh; they persist so one process finishing early does not
        # clear the queue under the others.
        key = f"markwatch:{run_key or 'default'}:%(spider)s"
        settings.update(
            {
                "SCHEDULER": "scrapy_redis.scheduler.Scheduler",
                "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
                "SCHEDULER_PERSIST": True,
                "SCHEDULER_QUEUE_KEY": key + ":requests",
                "SCHEDULER_DUPEFILTER_KEY": key + ":dupefilter",
                # The listing cap is the run's, not each process's (crawlers.caps).
                "MARKWATCH_LISTINGS_KEY": key + ":listings",
                "REDIS_URL": redis_url,
            }
        )
    settings.update(overrides or {})
    return settings
