"""Item pipelines, one job each: drop repeated listings, fetch each listing's images and
videos once (content-addressed, size-limited), and hand the finished item to the application's sink."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from pathlib import Path
from typing import Any, Callable

import scrapy
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, NotConfigured
from twisted.internet import task

from crawlers.caps import wake_engine
from crawlers.items import ImageFile, ListingItem

__all__ = ["DedupePipeline", "ImageFetchPipeline", "VideoFetchPipeline", "SinkPipeline"]

log = logging.getLogger(__name__)


class DedupePipeline:
    """A listing reached twice in one crawl (two search terms, two pages) is kept once."""

    def __init__(self) -> None:
        self.seen: set[tuple[str, str]] = set()

    def process_item(self, item: ListingItem) -> ListingItem:
        key = (item.platform, item.listing_id)
        if key in self.seen:
            raise DropItem(f"duplicate listing {key}")
        self.seen.add(key)
        return item


class ImageFetchPipeline:
    """Downloads the first few images of each listing into a content-addressed folder.

    A URL is fetched once per crawl, identical bytes are stored once, an image over the
    size limit or a failed download becomes a per-image error on the item.
    """

    what = "image"

    def __init__(self, crawler: Crawler, folder: Path, max_bytes: int, per_listing: int) -> None:
        self.crawler = crawler
        self.folder = folder
        self.max_bytes = max_bytes
        self.per_listing = per_listing
        self.by_url: dict[str, ImageFile] = {}
        self.pending: dict[str, asyncio.Future[ImageFile]] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ImageFetchPipeline:
        folder = crawler.settings.get("MARKWATCH_IMAGES_DIR")
        if not folder:
            raise NotConfigured("no MARKWATCH_IMAGES_DIR: images are not fetched")
        return cls(crawler, Path(folder), crawler.settings.getint("MARKWATCH_IMAGE_MAX_BYTES"),
                   crawler.settings.getint("MARKWATCH_IMAGES_PER_LISTING"))

    async def _fetch(self, url: str) -> ImageFile:
        if url in self.by_url:
            return self.by_url[url]
        if url in self.pending:
            # Another listing is downloading this URL right now: share its result.
            return await asyncio.shield(self.pending[url])
        waiting: asyncio.Future[ImageFile] = asyncio.get_running_loop().create_future()
        self.pending[url] = waiting
        try:
            result = await self._download(url)
        except BaseException:
            waiting.cancel()
            raise
        finally:
            del self.pending[url]
        self.by_url[url] = result
        waiting.set_result(result)
        return result

    async def _download(self, url: str) -> ImageFile:
        request = scrapy.Request(url, meta={"download_maxsize": self.max_bytes}, dont_filter=True)
        try:
            response = await self.crawler.engine.download_async(request)
        except Exception as exc:  # noqa: BLE001 - any download failure is this image's error
            if type(exc).__name__ == "CancelledError" or "max size" in str(exc):
                # Scrapy cancels a download whose declared or received size passes the limit.
                result = ImageFile(url=url, error=f"over the {self.what} size limit of {self.max_bytes} bytes")
            else:
                result = ImageFile(url=url, error=f"download failed: {type(exc).__name__}: {exc}"[:300])
        else:
            if len(response.body) > self.max_bytes:
                result = ImageFile(url=url, error=f"over the {self.what} size limit of {self.max_bytes} bytes")
            elif response.status != 200:
                result = ImageFile(url=url, error=f"HTTP {response.status}")
            elif not response.body:
                result = ImageFile(url=url, error="empty response")
            else:
                digest = hashlib.sha256(response.body).hexdigest()
                path = self.folder / digest[:2] / digest
                if not path.exists():
                    path.parent.mkdir(parents=True, exist_ok=True)
                    tmp = path.with_suffix(".part")
                    tmp.write_bytes(response.body)
                    tmp.replace(path)
                result = ImageFile(url=url, sha256=digest, path=str(path))
        return result

    async def process_item(self, item: ListingItem) -> ListingItem:
        for url in item.listing.images[: self.per_listing]:
            if not url.startswith(("http://", "https://")):
                continue
            image = await self._fetch(url)
            item.images.append(image)
            if image.error:
                item.errors.append(f"image {url}: {image.error}")
        return item


class VideoFetchPipeline(ImageFetchPipeline):
    """Downloads the first few videos of each listing, as images are (one fetch per URL,
    content-addressed, size-limited); decoding them is the matcher's job, not the crawl's."""

    what = "video"

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> VideoFetchPipeline:
        folder = crawler.settings.get("MARKWATCH_IMAGES_DIR")
        per_listing = crawler.settings.getint("MARKWATCH_VIDEOS_PER_LISTING")
        if not folder or per_listing <= 0:
            raise NotConfigured("no MARKWATCH_IMAGES_DIR or MARKWATCH_VIDEOS_PER_LISTING: videos are not fetched")
        return cls(crawler, Path(folder), crawler.settings.getint("MARKWATCH_VIDEO_MAX_BYTES"), per_listing)

    async def process_item(self, item: ListingItem) -> ListingItem:
        for url in item.video_urls[: self.per_listing]:
            if not url.startswith(("http://", "https://")):
                continue
            video = await self._fetch(url)
            item.videos.append(video)
            if video.error:
                item.errors.append(f"video {url}: {video.error}")
        return item


class SinkPipeline:
    """Hands each finished item to MARKWATCH_SINK, the application's callable; a sink that
    fails on one item records the error and the crawl goes on.

    MARKWATCH_SINK_BUSY, when set, is a callable the application answers True while it holds
    more items than it can use soon: the crawl then stops taking requests (its engine pauses;
    what is in flight finishes) until the answer is False again. In a run shared over Redis
    the pages not taken stay in the shared frontier for a process with room."""

    _POLL = 0.2  # seconds between asking a paused crawl's application whether it has room

    def __init__(self, crawler: Crawler, sink: Callable[[ListingItem], Any],
                 busy: Callable[[], bool] | None = None) -> None:
        self.crawler = crawler
        self.sink = sink
        self.busy = busy
        self._poll: Any = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SinkPipeline:
        sink = crawler.settings.get("MARKWATCH_SINK")
        if sink is None:
            raise NotConfigured("no MARKWATCH_SINK")
        return cls(crawler, sink, crawler.settings.get("MARKWATCH_SINK_BUSY"))

    def process_item(self, item: ListingItem) -> ListingItem:
        try:
            self.sink(item)
        except Exception:  # noqa: BLE001 - one bad item must not end the crawl
            log.exception("could not store listing %s/%s", item.platform, item.listing_id)
        self._hold_while_busy()
        return item

    def _hold_while_busy(self) -> None:
        if self.busy is None or self._poll is not None or not self.busy():
            return
        self.crawler.engine.pause()
        self.crawler.stats.inc_value("markwatch/held")
        self._poll = task.LoopingCall(self._release_when_free)
        self._poll.start(self._POLL, now=False)

    def _release_when_free(self) -> None:
        assert self.busy is not None  # the poll starts only with it
        if not self.busy():
            self._stop_polling()
            self.crawler.engine.unpause()
            wake_engine(self.crawler)  # with nothing in flight, it would wait for its heartbeat

    def _stop_polling(self) -> None:
        if self._poll is not None:
            if self._poll.running:
                self._poll.stop()
            self._poll = None

    def close_spider(self) -> None:
        self._stop_polling()
