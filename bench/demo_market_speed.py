"""Speed of the embedded demo market: catalog build time, then a crawler's whole walk over HTTP
(every watch-term search page, item page, products.json page and listing image, images cold
then warm from the cache), with requests per second and bytes served.

    .venv/bin/python bench/demo_market_speed.py [--seed N] [--workers N]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from monitor.demo_market import DemoMarket, build_catalog  # noqa: E402
from monitor.demo_market.catalog import STORES  # noqa: E402


def get(url: str) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            return response.read()
    except urllib.error.HTTPError as err:  # the deliberate 500-once page
        return err.read()


def timed(label: str, urls: list[str], workers: int) -> list[bytes]:
    start = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        bodies = list(pool.map(get, urls))
    elapsed = time.perf_counter() - start
    size = sum(len(b) for b in bodies)
    print(f"{label:<28} {len(urls):>5} requests  {elapsed:7.2f} s  {len(urls) / elapsed:8.1f} req/s  "
          f"{size / 1e6:7.2f} MB")
    return bodies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workers", type=int, default=4, help="concurrent client threads")
    args = parser.parse_args()

    start = time.perf_counter()
    catalog = build_catalog(seed=args.seed)
    print(f"catalog: {len(catalog.listings)} listings built in {time.perf_counter() - start:.2f} s")
    print("  by category:", dict(Counter(catalog.extra(x).category for x in catalog.listings)))
    print("  by platform:", dict(Counter(x.platform for x in catalog.listings)))
    print(f"  infringing: {sum(catalog.truth().values())}")

    with DemoMarket(catalog) as market:
        search_urls = []
        for platform, terms in (("bazaar", ["norvik", "trailforge", "parka", "hiking boots", "backpack"]),
                                ("shoply", ["norvik", "trailforge", "outdoor"])):
            for term in terms:
                pages = max(1, -(-len(market.search(platform, term)) // 24))
                base = "/bazaar/search" if platform == "bazaar" else "/shoply/api/search"
                search_urls += [market.url(f"{base}?q={quote(term)}&page={n}") for n in range(1, pages + 1)]
        timed("search pages", search_urls, args.workers)

        item_urls = [market.url(f"/bazaar/item/{x.listing_id}") for x in catalog.on("bazaar")]
        item_urls += [market.url(f"/shoply/api/item/{x.listing_id}") for x in catalog.on("shoply")]
        item_urls += [market.url(f"/shop/{x.store}/products/{catalog.extra(x).handle}") for x in catalog.on("shopstores")]
        timed("item pages", item_urls, args.workers)

        json_urls = [market.url(f"/shop/{s}/products.json?limit=10&page={n}") for s in STORES for n in range(1, 6)]
        bodies = timed("products.json pages", json_urls, args.workers)
        print(f"  products listed: {sum(len(json.loads(b)['products']) for b in bodies)}")

        image_urls = [market.url(p) for x in catalog.listings for p in x.images]
        timed("images, cold", image_urls, args.workers)
        timed("images, warm (cached)", image_urls, args.workers)
        sitemap = get(market.url("/bazaar/sitemap.xml")).decode()
        print(f"sitemap URLs: {len(re.findall('<loc>', sitemap))}")


if __name__ == "__main__":
    main()
