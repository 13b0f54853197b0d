"""The Playwright download handler, started only when a request first needs a browser:
scrapy-playwright starts its Node driver when the engine starts, which cost a static crawl
of the demo market about a second of its two shared cores (bench/crawl_speed.py)."""

from __future__ import annotations

import asyncio

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler

__all__ = ["LazyPlaywrightDownloadHandler", "skip_unneeded_resource"]


class LazyPlaywrightDownloadHandler(ScrapyPlaywrightDownloadHandler):
    """Plain requests go straight to Scrapy's HTTP handler, as before; the first request with
    meta["playwright"] (a site set to need scripts, or a page found to be an app shell)
    starts Playwright, once."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self._driver_lock = asyncio.Lock()
        self._driver_started = False

    async def _maybe_launch_in_thread(self) -> None:
        # Connected to engine_started by the parent: deliberately nothing at that point.
        return None

    async def _start_driver(self) -> None:
        async with self._driver_lock:
            if not self._driver_started:
                await self._maybe_future_from_coro(self._launch())
                self._driver_started = True

    async def download_request(self, request: Request) -> Response:  # type: ignore[override]
        if request.meta.get("playwright") and not self._driver_started:
            await self._start_driver()
        return await super().download_request(request)


# What the extractor never reads from a rendered page: pictures, fonts, audio and video are
# fetched (or not) by the pipelines from the addresses the page names; the browser fetching
# them too only delays "network idle" and spends the cores the matchers need.
_UNNEEDED = frozenset({"image", "font", "media"})


def skip_unneeded_resource(request) -> bool:  # type: ignore[no-untyped-def]
    """PLAYWRIGHT_ABORT_REQUEST: abort a rendered page's requests for images, fonts, media."""
    return request.resource_type in _UNNEEDED
