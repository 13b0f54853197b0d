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
