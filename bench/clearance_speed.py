"""Pre-listing clearance and takedown drafting on the demo catalogue (figures, not a test).

Clearance: every listing of the demo market's catalogue (its truth says which infringe) is
checked as a seller's pre-listing submission, text only and then with its main photo;
prints verdict counts against the truth and listings per second. Takedown: drafts notices
for N confirmed cases on a scratch SQLite database (evidence packs without screenshots).

    .venv/bin/python bench/clearance_speed.py [--images 120] [--cases 300]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from monitor.assess import Assessor, ListingText  # noqa: E402
from monitor.clearance import Clearance, ClearanceListing  # noqa: E402
from monitor.db import Database, ListingInput  # noqa: E402
from monitor.demo_market.catalog import build_catalog  # noqa: E402
from monitor.demo_market.images import render_image  # noqa: E402
from monitor.registry import load_registry  # noqa: E402
from monitor.takedown import draft_takedowns  # noqa: E402

BRAND = ROOT / "examples" / "demo-brand" / "brand.yaml"
VALTORO = ROOT / "examples" / "clearance" / "brand-valtoro" / "brand.yaml"


def _as_submission(listing) -> ClearanceListing:  # type: ignore[no-untyped-def]
    return ClearanceListing(title=listing.title[:2000] or "-", description=listing.description[:100_000],
                            price=listing.price, currency=listing.currency, seller=listing.seller,
                            platform=listing.platform, sku=listing.sku)


def bench_clearance(n_images: int) -> None:
    catalog = build_catalog()
    with tempfile.TemporaryDirectory() as cache:
        registries = [load_registry(BRAND), load_registry(VALTORO)]
        images = sum(len(list(r.image_files())) for r in registries)
        for label in ("built", "loaded from the cache"):
            started = time.process_time()
            for registry in registries:
                Assessor(registry, image_cache=Path(cache))
            print(f"clearance: 2 registries' image indexes ({images} images) {label} in "
                  f"{(time.process_time() - started) * 1000:.0f} ms CPU")
    started = time.process_time()
    clearance = Clearance.from_files([BRAND, VALTORO])
    print(f"clearance: 2 registries loaded and indexed in {time.process_time() - started:.2f} s CPU")
    listings = [li for li in catalog.listings if li.title.strip()]
    table: Counter[tuple[bool, str]] = Counter()
    wall, cpu = time.perf_counter(), time.process_time()
    for li in listings:
        table[(li.infringing, clearance.check(_as_submission(li)).verdict)] += 1
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"text only: {len(listings)} listings in {wall:.2f} s wall, {cpu:.2f} s CPU "
          f"({len(listings) / cpu:.0f} listings/s on one core)")
    for infringing in (True, False):
        row = ", ".join(f"{v} {table[(infringing, v)]}" for v in ("pass", "review", "block"))
        print(f"  {'infringing' if infringing else 'legitimate'} listings: {row}")
    brand_dir = str(BRAND.parent / "assets")
    extras = catalog.extras
    sample = [li for li in listings if extras[(li.platform, li.listing_id)].image_recipes][:n_images]
    photos = {(li.platform, li.listing_id): render_image(extras[(li.platform, li.listing_id)].image_recipes[0],
                                                         brand_dir) for li in sample}
    table.clear()
    wall, cpu = time.perf_counter(), time.process_time()
    for li in sample:
        result = clearance.check(_as_submission(li), [("main.jpg", photos[(li.platform, li.listing_id)])])
        table[(li.infringing, result.verdict)] += 1
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"with the main photo: {len(sample)} listings in {wall:.2f} s wall, {cpu:.2f} s CPU "
          f"({len(sample) / cpu:.1f} listings/s on one core)")
    for infringing in (True, False):
        row = ", ".join(f"{v} {table[(infringing, v)]}" for v in ("pass", "review", "block"))
        print(f"  {'infringing' if infringing else 'legitimate'} listings: {row}")


def bench_takedown(n_cases: int) -> None:
    registry = load_registry(BRAND)
    assessor = Assessor(registry)
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(str(Path(tmp) / "bench.db"))
        brand = db.upsert_brand(registry.brand, marks=[m.model_dump(mode="json") for m in registry.marks])
        platforms = ("amazon", "ebay", "aliexpress", "walmart", "etsy", "bazaar")
        for i in range(n_cases):
            platform = platforms[i % len(platforms)]
            title = f"N0rvik parka replica {i}"
            result = db.upsert_listing(ListingInput(platform=platform, listing_id=f"L{i}",
                                                    url=f"https://{platform}.example/item/L{i}", title=title,
                                                    seller_name=f"seller {i % 17}", price=Decimal("39"),
                                                    currency="EUR"))
            a = assessor.assess(ListingText(platform=platform, title=title, seller=f"seller {i % 17}",
                                            price=Decimal("39"), currency="EUR"))
            case = db.record_assessment(brand.id, result.listing_pk, findings=a.finding_rows(), risk=a.risk.score,
                                        level=a.risk.level, reasons=list(a.risk.reasons), flagged=a.flagged)
            db.set_case_state(case.id, "confirmed")
        wall, cpu = time.perf_counter(), time.process_time()
        drafted, refusals = draft_takedowns(db, registry, brand.id, Path(tmp) / "out", letters=True)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        notices = [d for d in drafted if d.template != "cease_and_desist"]
        per = Counter(d.platform for d in notices)
        print(f"takedown: {n_cases} confirmed cases -> {len(notices)} notices "
              f"({', '.join(f'{p} {n}' for p, n in sorted(per.items()))}) and "
              f"{len(drafted) - len(notices)} cease-and-desist letters, {len(refusals)} refusals, "
              f"in {wall:.2f} s wall, {cpu:.2f} s CPU ({n_cases / cpu:.0f} cases/s on one core, "
              "evidence packs included)")
        db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=120, help="listings checked with their main photo")
    parser.add_argument("--cases", type=int, default=300, help="confirmed cases to draft notices for")
    args = parser.parse_args()
    bench_clearance(args.images)
    bench_takedown(args.cases)


if __name__ == "__main__":
    main()
