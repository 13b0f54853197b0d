"""Why a page was not read, and which links could not be requested at all.

Every page request that fails is counted under one reason in the crawl's stats
(`markwatch/failed/<reason>`), every link skipped unrequested under
`markwatch/skipped_links/<reason>`, so a partial crawl says what it lost instead of
looking like a small success. `crawl_health` turns one job's stats into that verdict."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from playwright.async_api import TimeoutError as PlaywrightTimeoutError
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
    IgnoreRequest,
)

__all__ = ["FAILED_PREFIX", "SKIPPED_PREFIX", "READ_KEY", "RefusedAddress", "CrawlHealth",
           "failure_reason", "unrequestable", "crawl_health"]

FAILED_PREFIX = "markwatch/failed/"
SKIPPED_PREFIX = "markwatch/skipped_links/"
READ_KEY = "markwatch/pages_read"


class RefusedAddress(IgnoreRequest):
    """A URL whose host resolves to a loopback, link-local or private address the watch
    entry does not itself live on (server-side request forgery through a listing)."""


def unrequestable(url: str) -> str | None:
    """Why `url` cannot be requested (a reason to count), or None when it can."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        return "malformed URL"
    if parts.scheme.lower() not in ("http", "https"):
        return f"{parts.scheme.lower() or 'no'} scheme" if parts.scheme.isascii() else "malformed URL"
    if not parts.hostname or any(c.isspace() for c in url):
        return "malformed URL"
    return None


def failure_reason(exc: BaseException) -> str:
    """One short, stable reason for a failed request."""
    from scrapy.spidermiddlewares.httperror import HttpError
    from twisted.internet import error as tx

    if isinstance(exc, HttpError):
        return f"HTTP {exc.response.status}"
    if isinstance(exc, RefusedAddress):
        return "private address refused"
    if isinstance(exc, IgnoreRequest):
        text = str(exc)
        if "robots.txt" in text:
            return "robots.txt denied"
        if "redirect" in text:
            return "redirect loop"
        return "ignored"
    if isinstance(exc, (DownloadTimeoutError, tx.TimeoutError, tx.TCPTimedOutError, PlaywrightTimeoutError)):
        return "time-out"  # PlaywrightTimeoutError: a rendered page's navigation timed out
    if isinstance(exc, (CannotResolveHostError, tx.DNSLookupError)):
        return "DNS failure"
    if isinstance(exc, (DownloadConnectionRefusedError, tx.ConnectionRefusedError)):
        return "connection refused"
    if isinstance(exc, DownloadCancelledError) or "max size" in str(exc) or type(exc).__name__ == "CancelledError":
        return "over the size limit"
    name = type(exc).__name__
    if "Connection" in name or "ResponseNeverReceived" in name or "DataLoss" in name:
        return "connection lost"
    return name


@dataclass(frozen=True, slots=True)
class CrawlHealth:
    """One job's page accounting: pages read, failures and skipped links by reason."""

    read: int
    failed: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)
    incomplete: bool = False
    why: str | None = None

    @property
    def failed_total(self) -> int:
        return sum(self.failed.values())


def crawl_health(stats: dict[str, Any], *, max_failed_share: float = 0.2) -> CrawlHealth:
    """The verdict on one job: incomplete when more than `max_failed_share` of the pages it
    tried failed, or when it read nothing because every page failed (the site went away)."""
    failed = {k[len(FAILED_PREFIX):]: int(v) for k, v in stats.items() if k.startswith(FAILED_PREFIX)}
    skipped = {k[len(SKIPPED_PREFIX):]: int(v) for k, v in stats.items() if k.startswith(SKIPPED_PREFIX)}
    read = int(stats.get(READ_KEY, 0))
    total_failed = sum(failed.values())
    tried = read + total_failed
    why = None
    if total_failed and read == 0:
        why = f"no page could be read ({total_failed} failed)"
    elif tried and total_failed / tried > max_failed_share:
        why = f"{total_failed} of {tried} pages failed (more than {max_failed_share:.0%})"
    return CrawlHealth(read=read, failed=failed, skipped=skipped, incomplete=why is not None, why=why)
