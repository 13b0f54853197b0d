"""Politeness by default, against a local site on 127.0.0.1 crawled in a fresh process:
robots.txt obeyed, retries that back off on 429 (honouring Retry-After) and 5xx, an
identifying user agent, per-domain concurrency, proxy settings passed through, AutoThrottle."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crawlers.middlewares import BackoffRetryMiddleware
from crawlers.settings import DEFAULTS, USER_AGENT, crawl_settings
from crawlsite import LocalSite, forward_proxy, page, run_crawl_subprocess

ROBOTS = "User-agent: *\nDisallow: /private/\n"


def _product(path: str, count: int) -> tuple[int, dict[str, str], bytes]:
    name = "Acme Item " + path.rstrip("/").rsplit("/", 1)[-1]
    data = {"@type": "Product", "name": name, "offers": {"price": "19.99", "priceCurrency": "EUR"}}
    return page(body=f"<html><head><title>{name}</title><script type='application/ld+json'>"
                     f"{json.dumps(data)}</script></head><body><h1>{name}</h1></body></html>")


def _results(links: list[str]) -> tuple[int, dict[str, str], bytes]:
    return page(body="<html><body>" + "".join(f"<a href='{u}'>{u}</a>" for u in links) + "</body></html>")


def _site(items: int = 6) -> LocalSite:
    links = [f"/item/AC-{n}" for n in range(1, items + 1)] + ["/private/item/AC-99", "/flaky/item/AC-7", "/oops/item/AC-8"]
    routes = {
        "/robots.txt": lambda path, count: (200, {"Content-Type": "text/plain"}, ROBOTS.encode()),
        "/results": lambda path, count: _results(links),
        "/private/item/AC-99": _product,
        # 429 twice (asking for a second's pause), then the page.
        "/flaky/item/AC-7": lambda path, count: page(429, "slow down", **{"Retry-After": "1"}) if count < 2 else _product(path, count),
        # A 503 once, then the page.
        "/oops/item/AC-8": lambda path, count: page(503, "try later") if count < 1 else _product(path, count),
    }
    routes.update({f"/item/AC-{n}": _product for n in range(1, items + 1)})
    return LocalSite(routes)


def _job(site: LocalSite) -> dict[str, object]:
    return {"platform": "testshop", "kind": "urls", "start_urls": [site.url("/results")], "max_listings": 50}


FAST = {"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_START_DELAY": 0, "MARKWATCH_RETRY_BASE_DELAY": 0.05}


def test_defaults_are_polite() -> None:
    settings = crawl_settings()
    assert settings["ROBOTSTXT_OBEY"] is True
    assert settings["AUTOTHROTTLE_ENABLED"] is True
    assert 0 < settings["CONCURRENT_REQUESTS_PER_DOMAIN"] <= 8
    assert {429, 500, 502, 503, 504} <= set(settings["RETRY_HTTP_CODES"])
    assert "markwatch" in USER_AGENT and "+http" in USER_AGENT
    assert DEFAULTS["USER_AGENT"] == USER_AGENT


def test_crawl_obeys_robots_retries_and_identifies_itself(tmp_path: Path) -> None:
    with _site().serve() as site:
        result = run_crawl_subprocess(tmp_path, [_job(site)], overrides=FAST)
    assert result.returncode == 0, result.stderr
    paths = site.paths()
    assert "/robots.txt" in paths
    assert not any(p.startswith("/private/") for p in paths), "a path robots.txt disallows was fetched"
    got = {item["listing"]["title"] for item in result.items}
    assert got == {f"Acme Item AC-{n}" for n in (1, 2, 3, 4, 5, 6, 7, 8)}
    # the 429 page was asked for three times and the 503 page twice: retried, not dropped
    assert paths.count("/flaky/item/AC-7") == 3 and paths.count("/oops/item/AC-8") == 2
    # Retry-After: 1 was honoured between attempts (a lower bound: it cannot flake by load)
    flaky = [hit.at for hit in site.hits if hit.path == "/flaky/item/AC-7"]
    assert all(later - earlier >= 0.95 for earlier, later in zip(flaky, flaky[1:]))
    # every request, robots.txt included, says who is asking and where to read about it
    assert {hit.headers.get("user-agent") for hit in site.hits} == {USER_AGENT}
    stats = result.stats["testshop"]
    assert "AutoThrottle" in stats["test/extensions"]
    assert {"BackoffRetryMiddleware", "RobotsTxtMiddleware", "ProxyMiddleware"} <= set(stats["test/downloader_middlewares"])
    assert "RetryMiddleware" not in stats["test/downloader_middlewares"]
    # Playwright's handler is installed (an app shell could turn up) but never started
    assert stats["test/http_handler"] == "LazyPlaywrightDownloadHandler"
    assert stats["test/playwright_started"] is False


def test_per_domain_concurrency_is_capped(tmp_path: Path) -> None:
    site = _site(items=10)
    site.hold["/item/"] = 0.4  # slow pages: a crawler that ignored the cap would pile up
    with site.serve():
        result = run_crawl_subprocess(tmp_path, [_job(site)], overrides={
            **FAST, "AUTOTHROTTLE_ENABLED": False, "CONCURRENT_REQUESTS": 16, "CONCURRENT_REQUESTS_PER_DOMAIN": 2})
    assert result.returncode == 0, result.stderr
    assert len(result.items) == 10  # AC-7 and AC-8 are also reached by their other paths: kept once
    assert site.max_in_flight == 2


def test_proxy_setting_is_passed_through(tmp_path: Path) -> None:
    with _site(items=3).serve() as site, forward_proxy() as (proxy_url, proxied):
        result = run_crawl_subprocess(tmp_path, [_job(site)], proxy=proxy_url, overrides=FAST)
    assert result.returncode == 0, result.stderr
    assert len(result.items) == 5
    # every request the site saw came through the proxy, robots.txt and listings alike
    assert site.hits and all(hit.headers.get("via") == "1.1 markwatch-test-proxy" for hit in site.hits)
    assert site.url("/robots.txt") in proxied and site.url("/item/AC-1") in proxied


@pytest.mark.parametrize(("header", "retries", "expected"), [
    (None, 0, (0.5, 0.625)),
    (None, 2, (2.0, 2.5)),
    (b"7", 0, (7.0, 7.0)),
    (b"600", 0, (60.0, 60.0)),        # capped
    (b"soon", 1, (1.0, 1.25)),        # junk header: the backoff
])
def test_backoff_delay(header: bytes | None, retries: int, expected: tuple[float, float]) -> None:
    from scrapy import Request
    from scrapy.http import Response
    from scrapy.settings import Settings

    middleware = BackoffRetryMiddleware(Settings(crawl_settings()))
    request = Request("http://127.0.0.1/x", meta={"retry_times": retries})
    response = Response("http://127.0.0.1/x", status=429, headers={"Retry-After": header} if header else {})
    low, high = expected
    assert low <= middleware._delay(request, response) <= high


def test_backoff_honours_an_http_date_retry_after() -> None:
    from email.utils import format_datetime
    from datetime import datetime, timedelta, timezone

    from scrapy import Request
    from scrapy.http import Response
    from scrapy.settings import Settings

    middleware = BackoffRetryMiddleware(Settings(crawl_settings()))
    when = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=20), usegmt=True)
    response = Response("http://127.0.0.1/x", status=503, headers={"Retry-After": when})
    assert 15 <= middleware._delay(Request("http://127.0.0.1/x"), response) <= 21
