"""Page accounting shared by the spiders: every page read and every page that failed (by
reason, `crawlers.failures`), so a crawl that lost pages says so."""

from __future__ import annotations

from typing import Any

from scrapy import signals
from scrapy.http import Response
from twisted.python.failure import Failure

from crawlers.failures import FAILED_PREFIX, READ_KEY, SKIPPED_PREFIX, failure_reason, unrequestable

__all__ = ["PageAccounting"]


class PageAccounting:
    """Mixed into a `scrapy.Spider`: give page requests `errback=self._failed` and call
    `self._read()` first thing in each page callback."""

    crawler: Any
    logger: Any

    def _connect_accounting(self) -> None:
        self.crawler.signals.connect(self._on_spider_error, signal=signals.spider_error)

    def _read(self) -> None:
        self.crawler.stats.inc_value(READ_KEY)

    def _count_failure(self, reason: str, url: str) -> None:
        self.crawler.stats.inc_value(FAILED_PREFIX + reason)
        self.logger.warning("page not read (%s): %s", reason, url[:300])

    def _failed(self, failure: Failure) -> None:
        request = getattr(failure, "request", None)
        self._count_failure(failure_reason(failure.value), request.url if request is not None else "?")

    def _on_spider_error(self, failure: Failure, response: Response, spider: Any) -> None:
        if spider is not self:
            return
        # The callback counted the page as read before it raised: it was not.
        self.crawler.stats.inc_value(READ_KEY, -1)
        self._count_failure("parse error", response.url)

    def _requestable(self, url: str) -> bool:
        """False (and the link counted by reason) when `url` cannot be requested at all."""
        reason = unrequestable(url)
        if reason is None:
            return True
        self.crawler.stats.inc_value(SKIPPED_PREFIX + reason)
        return False
