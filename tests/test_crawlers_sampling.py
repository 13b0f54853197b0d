"""Per-platform caps and seeded sampling, crawling the demo marketplace in fresh processes:
the same seed reads the same listings whatever order result pages arrive in, another seed
reads others, and the caps on result pages and listings hold."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawlsite import run_crawl_subprocess
from monitor.demo_market.catalog import build_catalog

pytestmark = pytest.mark.slow

BAZAAR = {li.listing_id for li in build_catalog().listings if li.platform == "bazaar"}


def _crawl(tmp_path: Path, market, *, seed: int, max_listings: int, max_pages: int):  # type: ignore[no-untyped-def]
    job = {"platform": "bazaar", "search_terms": ["norvik", "parka", "backpack"], "base_url": market.base_url,
           "max_listings": max_listings, "max_pages": max_pages}
    result = run_crawl_subprocess(tmp_path, [job], overrides={
        "MARKWATCH_SAMPLE_SEED": seed, "DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False})
    assert result.returncode == 0, result.stderr
    return result


def test_same_seed_same_sample_other_seed_other_sample(tmp_path: Path, demo_market) -> None:  # type: ignore[no-untyped-def]
    runs = [_crawl(tmp_path, demo_market, seed=seed, max_listings=8, max_pages=6) for seed in (7, 7, 8)]
    samples = [{item["listing_id"] for item in run.items} for run in runs]
    assert all(len(sample) == 8 for sample in samples)
    assert all(sample <= BAZAAR for sample in samples)
    assert samples[0] == samples[1]
    assert samples[0] != samples[2]
    stats = runs[0].stats["bazaar"]
    assert stats["markwatch/listings_sampled"] == 8
    assert stats["markwatch/result_pages"] <= 6


def test_page_cap_is_shared_between_search_terms(tmp_path: Path, demo_market) -> None:  # type: ignore[no-untyped-def]
    run = _crawl(tmp_path, demo_market, seed=1, max_listings=500, max_pages=3)
    # three terms, three pages: one result page each, and every listing they name is read
    assert run.stats["bazaar"]["markwatch/result_pages"] == 3
    assert len(run.items) == run.stats["bazaar"]["markwatch/listings_sampled"] > 0
    assert len({item["listing_id"] for item in run.items}) == len(run.items)


def test_sitemap_from_robots_txt_is_sampled_within_the_cap(tmp_path: Path, demo_market) -> None:  # type: ignore[no-untyped-def]
    job = {"platform": "bazaar", "kind": "urls", "start_urls": [demo_market.base_url + "/robots.txt"], "max_listings": 6}
    overrides = {"MARKWATCH_SAMPLE_SEED": 3, "DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False}
    runs = [run_crawl_subprocess(tmp_path, [job], overrides=overrides) for _ in range(2)]
    assert all(run.returncode == 0 for run in runs), runs[0].stderr
    samples = [{item["listing_id"] for item in run.items} for run in runs]
    assert len(samples[0]) == 6 and samples[0] <= BAZAAR and samples[0] == samples[1]
    assert all(item["listing"]["title"] and item["listing"]["price"] for item in runs[0].items)


def test_processes_sharing_a_redis_frontier_keep_to_the_run_cap(tmp_path: Path, redis_url: str) -> None:
    """Two processes of one run split the result pages between them (one request at a time
    each, every page held a moment): each sees its own candidates, yet together they read
    the run's cap of listings, each listing once. A process waiting on the shared frontier
    looks at it again itself: the engines' heartbeat is set to 10 minutes here."""
    from concurrent.futures import ThreadPoolExecutor

    from crawlsite import LocalSite, page

    def results(n: int):  # type: ignore[no-untyped-def]
        links = "".join(f'<a href="/item/L{n}-{i:02d}">listing {i}</a>' for i in range(10))
        return lambda *_: page(200, f"<html><body>{links}</body></html>")

    def listing(path: str, _count: int):  # type: ignore[no-untyped-def]
        return page(200, f"<html><head><title>Norvik parka {path}</title></head><body><h1>Norvik parka</h1>"
                         f"<p class=price>EUR 49.00</p></body></html>")

    routes = {f"/list/{n}": results(n) for n in range(6)}
    routes.update({f"/item/L{n}-{i:02d}": listing for n in range(6) for i in range(10)})
    site = LocalSite(routes, hold={"/list/": 0.6})
    with site.serve():
        job = {"platform": "testshop", "kind": "urls", "start_urls": [site.url(f"/list/{n}") for n in range(6)],
               "max_listings": 12, "max_pages": 6}
        overrides = {"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "CONCURRENT_REQUESTS": 1,
                     "ROBOTSTXT_OBEY": False}
        folders = [tmp_path / f"process-{n}" for n in range(2)]
        for folder in folders:
            folder.mkdir()
        with ThreadPoolExecutor(2) as pool:
            runs = list(pool.map(lambda folder: run_crawl_subprocess(
                folder, [job], redis_url=redis_url, run_key="test-shared-cap", overrides=overrides,
                heartbeat=600, timeout=120), folders))
    assert all(run.returncode == 0 for run in runs), [run.stderr[-800:] for run in runs]
    read = [[item["listing_id"] for item in run.items] for run in runs]
    pages = [run.stats["testshop"].get("markwatch/result_pages", 0) for run in runs]
    assert all(pages), f"one process parsed every result page ({pages}): the test did not split the work"
    assert len(read[0]) + len(read[1]) == 12, f"read {len(read[0])} + {len(read[1])}: the cap was applied per process"
    assert not set(read[0]) & set(read[1])
