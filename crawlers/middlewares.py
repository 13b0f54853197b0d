"""Downloader middlewares: retries that back off (exponentially, honouring Retry-After)
instead of hammering a host that answered 429 or 5xx, and per-crawl proxy settings."""

from __future__ import annotations

import asyncio
import random
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Response

__all__ = ["BackoffRetryMiddleware", "ProxyMiddleware"]


def _retry_after(header: bytes | None) -> float | None:
    """Seconds a Retry-After header asks for: delta-seconds or an HTTP date (RFC 9110)."""
    if not header:
        return None
    text = header.decode("latin-1", "replace").strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retry, but the n-th retry of a request waits base * 2**n seconds (with
    jitter, capped), or as long as the server's Retry-After asks, within the cap."""

    def __init__(self, settings) -> None:  # type: ignore[no-untyped-def]
        super().__init__(settings)
        self.base_delay = settings.getfloat("MARKWATCH_RETRY_BASE_DELAY", 0.5)
        self.max_delay = settings.getfloat("MARKWATCH_RETRY_MAX_DELAY", 60.0)

    def _delay(self, request: Request, response: Response | None = None) -> float:
        retries = request.meta.get("retry_times", 0)
        delay = self.base_delay * (2**retries) * (1 + random.random() / 4)
        if response is not None:
            asked = _retry_after(response.headers.get(b"Retry-After"))
            if asked is not None:
                delay = max(delay, asked)
        return min(delay, self.max_delay)

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        retry = self._retry(request, f"HTTP {response.status}")
        if retry is None:
            return response
        await asyncio.sleep(self._delay(request, response))
        return retry

    async def process_exception(self, request: Request, exception: Exception) -> Request | Response | None:
        if not isinstance(exception, self.exceptions_to_retry) or request.meta.get("dont_retry", False):
            return None
        retry = self._retry(request, exception)
        if retry is not None:
            await asyncio.sleep(self._delay(request))
        return retry


class ProxyMiddleware:
    """Route every request through MARKWATCH_PROXY (Scrapy's HttpProxyMiddleware does the rest)."""

    def __init__(self, proxy: str | None) -> None:
        self.proxy = proxy

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ProxyMiddleware:
        return cls(crawler.settings.get("MARKWATCH_PROXY"))

    def process_request(self, request: Request) -> None:
        if self.proxy and "proxy" not in request.meta:
            request.meta["proxy"] = self.proxy
