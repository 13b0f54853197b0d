"""Downloader middlewares: retries that back off (exponentially, honouring Retry-After)
instead of hammering a host that answered 429 or 5xx, per-crawl proxy settings, and a guard
that refuses URLs resolving to loopback, link-local or private addresses."""

from __future__ import annotations

import asyncio
import ipaddress
import random
import socket
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Response

from crawlers.failures import RefusedAddress

__all__ = ["AddressGuardMiddleware", "AddressPolicy", "BackoffRetryMiddleware", "ProxyMiddleware", "WAIT_KEY",
           "address_kind"]


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


# A spider's own retry of a page (one that came back without its data) names which retry it
# is under this key; it waits before it is sent as that retry of a failed download would.
WAIT_KEY = "markwatch_wait"


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retry, but the n-th retry of a request waits base * 2**n seconds (with
    jitter, capped), or as long as the server's Retry-After asks, within the cap. A
    request whose meta[WAIT_KEY] is n (a spider's n-th retry) waits the same way first."""

    def __init__(self, settings) -> None:  # type: ignore[no-untyped-def]
        super().__init__(settings)
        self.base_delay = settings.getfloat("MARKWATCH_RETRY_BASE_DELAY", 0.5)
        self.max_delay = settings.getfloat("MARKWATCH_RETRY_MAX_DELAY", 60.0)

    def _delay(self, request: Request, response: Response | None = None, retries: int | None = None) -> float:
        retries = request.meta.get("retry_times", 0) if retries is None else retries
        delay = self.base_delay * (2**retries) * (1 + random.random() / 4)
        if response is not None:
            asked = _retry_after(response.headers.get(b"Retry-After"))
            if asked is not None:
                delay = max(delay, asked)
        return min(delay, self.max_delay)

    async def process_request(self, request: Request) -> None:
        again = request.meta.pop(WAIT_KEY, 0)
        if again:
            await asyncio.sleep(self._delay(request, retries=int(again)))

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


def address_kind(host: str) -> str | None:
    """"loopback", "link-local" or "private" when `host` (a name or an address) resolves to
    such an address, else None (public, or not resolvable: the download will say so)."""
    host = host.strip("[]")
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        try:
            infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
        except (OSError, UnicodeError):
            return None
        addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
    for address in addresses:
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        if address.is_loopback:
            return "loopback"
        if address.is_link_local:
            return "link-local"
        if address.is_private or address.is_reserved or address.is_unspecified or address.is_multicast:
            return "private"
    return None


class AddressPolicy:
    """Which addresses one crawl may reach: none on loopback, link-local or private addresses,
    unless the watch entry's own start or base URL is on that kind of address (the demo
    market, tests, an intranet shop). Names are resolved once a crawl and remembered."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self._kinds: dict[str, str | None] = {}
        self._allowed: set[str] | None = None

    def _kind(self, host: str) -> str | None:
        if host not in self._kinds:
            self._kinds[host] = address_kind(host)
        return self._kinds[host]

    def _allowed_kinds(self) -> set[str]:
        if self._allowed is None:
            spider = self.crawler.spider
            own = [*getattr(spider, "seed_urls", ()), *getattr(spider, "stores", ()),
                   getattr(spider, "base_url", None) or ""]
            hosts = {urlsplit(url).hostname for url in own if url and "://" in url}
            self._allowed = {kind for host in hosts if host and (kind := self._kind(host))}
        return self._allowed

    @staticmethod
    def _host(url: str) -> str | None:
        try:
            return urlsplit(url).hostname
        except ValueError:
            return None

    def refused(self, url: str) -> tuple[str, str] | None:
        """(host, kind) when `url` is on a kind of address this crawl may not reach, else None
        (counted as markwatch/refused_address/<kind>)."""
        return self._refused_host(self._host(url))

    def _refused_host(self, host: str | None) -> tuple[str, str] | None:
        if not host:
            return None
        kind = self._kind(host)
        if kind is None or kind in self._allowed_kinds():
            return None
        self.crawler.stats.inc_value(f"markwatch/refused_address/{kind}")
        return host, kind

    async def refused_soon(self, url: str) -> tuple[str, str] | None:
        """refused(), resolving a name not met before on a thread: a rendered page's requests
        are checked on the crawl's event loop, which a page naming many slow hosts must not
        stall."""
        host = self._host(url)
        if host and host not in self._kinds:
            await asyncio.to_thread(self._kind, host)
        return self._refused_host(host)


class AddressGuardMiddleware:
    """Refuses page and image URLs on loopback, link-local and private addresses (see
    AddressPolicy): a stranger's listing must not make us fetch (and re-serve) our own
    network, the cloud's metadata service or the review app. The requests a rendered page
    makes in Chromium are checked by the same policy (crawlers.browser).

    The check resolves the name before the download; a name that changes its answer between
    the check and the connection (DNS rebinding) is not caught here."""

    def __init__(self, crawler: Crawler) -> None:
        self.policy = AddressPolicy(crawler)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> AddressGuardMiddleware:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        refused = self.policy.refused(request.url)
        if refused is not None:
            host, kind = refused
            raise RefusedAddress(f"{host} is a {kind} address and this watch entry is not on one")
        return None
