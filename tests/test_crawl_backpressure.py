"""The crawl holds while the application is busy: with MARKWATCH_SINK_BUSY answering True the
crawl's engine stops taking requests (what is in flight still arrives), and takes them again
once the answer is False, so nothing is lost. A run shared over Redis relies on this to leave
pages in the shared frontier for a process with room."""
from __future__ import annotations

from pathlib import Path

from crawlsite import LocalSite, page, run_crawl_subprocess

FAST = {"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "ROBOTSTXT_OBEY": False, "CONCURRENT_REQUESTS": 2,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 2}
ITEMS = 40


def _item(path: str, count: int) -> tuple[int, dict[str, str], bytes]:
    name = path.rsplit("-", 1)[-1]
    return page(body=f"<html><head><title>Norvik Item {name}</title></head><body><h1>Norvik Item {name}</h1>"
                     f"<p class='price'>€{10 + int(name)}.00</p></body></html>")


def test_the_crawl_pauses_while_the_application_is_busy_and_loses_nothing(tmp_path: Path) -> None:
    site = LocalSite({f"/item/held-{n}": _item for n in range(ITEMS)})
    after, seconds = 3, 2.0
    with site.serve():
        job = {"platform": "testshop", "start_urls": [site.url(f"/item/held-{n}") for n in range(ITEMS)],
               "max_listings": ITEMS + 10}
        result = run_crawl_subprocess(tmp_path, [job], overrides=FAST, hold={"after": after, "seconds": seconds})
    assert result.returncode == 0, result.stderr
    assert sorted(item["listing_id"] for item in result.items) == sorted(f"held-{n}" for n in range(ITEMS))
    times = sorted(item["t"] for item in result.items)
    start = times[after - 1]
    during = [t for t in times[after:] if t < start + seconds - 0.1]
    # Only what was already requested may arrive while the crawl holds: at most the two
    # concurrent requests and a response being parsed. Unpaused, the whole site is read in
    # well under the hold.
    assert len(during) <= FAST["CONCURRENT_REQUESTS"] + 1, (len(during), [round(t - start, 2) for t in times])
    assert result.stats["testshop"].get("markwatch/held", 0) >= 1


def test_a_crawl_held_with_nothing_in_flight_takes_requests_again_at_once(tmp_path: Path) -> None:
    """Released, the crawl asks its engine for requests itself: Scrapy's engine otherwise
    looks at its scheduler only when a download ends or on its heartbeat (every 5 s, here
    set to 10 minutes), and a crawl held with nothing in flight would sit until then."""
    site = LocalSite({f"/item/held-{n}": _item for n in range(ITEMS)})
    after, seconds = 3, 1.0
    with site.serve():
        job = {"platform": "testshop", "start_urls": [site.url(f"/item/held-{n}") for n in range(ITEMS)],
               "max_listings": ITEMS + 10}
        result = run_crawl_subprocess(tmp_path, [job], overrides=FAST, hold={"after": after, "seconds": seconds},
                                      heartbeat=600, timeout=120)
    assert result.returncode == 0, result.stderr
    assert sorted(item["listing_id"] for item in result.items) == sorted(f"held-{n}" for n in range(ITEMS))
    assert result.stats["testshop"].get("markwatch/held", 0) >= 1
