"""Digest and review-queue speed with 10,000 flagged cases (a figure, not a test).

Seeds a scratch SQLite database through the storage API (brand, registered images) and
bulk inserts (listings with distinct photos, findings, cases), then times the digest
(collect, HTML with thumbnails, CSV, JSON) and queue pages served by uvicorn.

    .venv/bin/python bench/digest_speed.py [--cases 10000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import random
import shutil
import sys
import tempfile
import threading
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import uvicorn  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402
from sqlalchemy import insert  # noqa: E402

from monitor.db import Database  # noqa: E402
from monitor.digest import collect_digest, render_csv, render_html, render_json  # noqa: E402
from monitor.models import Case, Finding, Listing, ListingSnapshot, Seller, utcnow  # noqa: E402
from monitor.registry import load_registry  # noqa: E402
from monitor.web import create_app  # noqa: E402

BRAND = ROOT / "examples" / "demo-brand" / "brand.yaml"
PLATFORMS = ("bazaar", "shoply", "shopstores", "ebay", "amazon")


def _photos(folder: Path, n: int, rng: random.Random) -> list[dict[str, str]]:
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for i in range(n):
        im = Image.new("RGB", (640, 640), tuple(rng.randrange(256) for _ in range(3)))
        draw = ImageDraw.Draw(im)
        for _ in range(12):
            x, y = rng.randrange(600), rng.randrange(600)
            draw.ellipse((x, y, x + rng.randrange(40, 200), y + rng.randrange(40, 200)),
                         fill=tuple(rng.randrange(256) for _ in range(3)))
        path = folder / f"photo-{i:04d}.jpg"
        im.save(path, "JPEG", quality=85)
        files.append({"url": f"http://img.example/{i}.jpg", "path": str(path),
                      "sha256": hashlib.sha256(path.read_bytes()).hexdigest(), "error": None})
    return files


def seed(db: Database, n: int, folder: Path) -> int:
    rng = random.Random(7)
    registry = load_registry(BRAND)
    brand = db.upsert_brand(registry.brand, marks=[m.model_dump(mode="json") for m in registry.marks])
    for kind, key, path in registry.image_files():
        db.upsert_asset(brand.id, key=key, kind=kind, path=str(path),
                        sha256=hashlib.sha256(path.read_bytes()).hexdigest())
    photos = _photos(folder, 400, rng)
    now = utcnow()
    with db.engine.begin() as conn:
        sellers = [{"platform": PLATFORMS[i % 5], "seller_key": f"seller-{i}", "name": f"Outdoor Deals {i}",
                    "first_seen": now, "last_seen": now} for i in range(800)]
        conn.execute(insert(Seller), sellers)
        listings = []
        for i in range(n):
            platform = PLATFORMS[i % 5]
            title = f"N0rv1k Fjell Parka {i} waterproof replica <b>1:1</b>"
            listings.append({
                "platform": platform, "listing_id": f"L{i:06d}", "url": f"https://{platform}.example/item/{i}",
                "title": title, "description": f"Contact seller{i % 97}@mail.example",
                "price": Decimal(f"{20 + i % 200}.00"), "currency": "EUR", "seller_id": 1 + (i * 7) % 800,
                "seller_name": f"Outdoor Deals {(i * 7) % 800}", "image_urls": [f"http://img.example/{i}.jpg"],
                "image_files": [photos[i % len(photos)]], "content_hash": f"{i:064x}", "status": "active",
                "first_seen": now, "last_seen": now, "errors": [], "assessed_hash": f"{i:064x}"})
        conn.execute(insert(Listing), listings)
        conn.execute(insert(ListingSnapshot), [
            {"listing_pk": i + 1, "seen_at": now, "kind": "created", "changes": {}, "content_hash": f"{i:064x}"}
            for i in range(n)])
        findings, cases = [], []
        for i in range(n):
            pk = i + 1
            findings += [
                {"listing_pk": pk, "brand_id": brand.id, "kind": "mark", "score": 0.9,
                 "reason": "title writes the mark 'Norvik' as 'N0rv1k' (leetspeak)", "evidence": "N0rv1k",
                 "field": "title", "start": 0, "end": 6, "created_at": now},
                {"listing_pk": pk, "brand_id": brand.id, "kind": "image", "score": 0.93,
                 "reason": "listing photo matches the brand's image 'product:NV-PARKA-01:0'",
                 "evidence": "product:NV-PARKA-01:0", "field": "image", "start": None, "end": None,
                 "created_at": now},
                {"listing_pk": pk, "brand_id": brand.id, "kind": "price", "score": 0.8,
                 "reason": f"price {20 + i % 200}.00 EUR is far below the 349.00 EUR MSRP",
                 "evidence": f"{20 + i % 200} EUR vs MSRP 349 EUR", "field": "price", "start": None,
                 "end": None, "created_at": now},
            ]
            risk = 50 + rng.randrange(50)
            cases.append({"brand_id": brand.id, "listing_pk": pk, "state": "new", "risk": risk,
                          "level": "high" if risk >= 75 else "medium", "flagged": True,
                          "reasons": ["title writes the mark 'Norvik' as 'N0rv1k' (leetspeak)",
                                      "listing photo matches the brand's image", "price far below MSRP"],
                          "created_at": now, "updated_at": now})
        conn.execute(insert(Finding), findings)
        conn.execute(insert(Case), cases)
    return brand.id


def timed(label: str, fn, repeat: int = 1):  # type: ignore[no-untyped-def]
    best = float("inf")
    result = None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t)
    print(f"  {label:<44} {best * 1000:9.1f} ms")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--keep", type=Path, help="keep the scratch folder here")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="mw-digest-bench-"))
    try:
        db = Database(f"sqlite:///{work / 'bench.db'}")
        t = time.perf_counter()
        brand_id = seed(db, args.cases, work / "images")
        print(f"seeded {args.cases} flagged cases in {time.perf_counter() - t:.1f} s ({db.display_url})")
        registry = load_registry(BRAND)

        print(f"digest of {args.cases} matches:")
        t0 = time.perf_counter()
        data = timed("collect (queries, MSRP, changes)", lambda: collect_digest(
            db, brand_id, registry.brand, registry=registry))
        rendered = timed("HTML, data: thumbnails (200 detailed)", lambda: render_html(data))
        timed("CSV", lambda: render_csv(data))
        timed("JSON", lambda: render_json(data))
        total = time.perf_counter() - t0
        print(f"  {'total: collect + HTML + CSV + JSON':<44} {total * 1000:9.1f} ms"
              f"   ({'under' if total < 10 else 'OVER'} the 10 s budget)")
        cid = timed("HTML for mail, cid: images", lambda: render_html(data, images="cid"))
        print(f"  HTML {len(rendered.html) / 1e6:.1f} MB with data: URIs; "
              f"{len(cid.html) / 1e6:.1f} MB + {len(cid.images)} inline images for mail")

        app = create_app(db, registry, takedown_dir=work / "takedowns")
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning",
                                               lifespan="off"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.02)
        url = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
        print(f"review queue pages with {args.cases} cases (best of 5, uvicorn + httpx):")
        with httpx.Client(base_url=url, timeout=60) as http:
            for label, path in [
                ("queue, first page", "/"),
                ("queue, page 100", "/?page=100"),
                ("queue, last page", f"/?page={args.cases // 50}"),
                ("queue, sorted by price", "/?sort=price"),
                ("queue, newest first", "/?sort=newest"),
                ("queue, platform filter", "/?platform=shoply"),
                ("queue, seller substring", "/?seller=deals+12"),
                ("queue, title search", "/?q=parka+99"),
                ("queue, high risk only", "/?level=high&min_risk=90"),
                ("case evidence page", "/cases/5000"),
                ("listing history", "/listings/5000/history"),
                ("seller clusters", "/sellers"),
            ]:
                response = timed(f"{label}", lambda path=path: http.get(path), repeat=5)
                assert response.status_code == 200, (path, response.status_code)
        server.should_exit = True
        thread.join(timeout=10)
        db.close()
    finally:
        if args.keep:
            shutil.copytree(work, args.keep, dirs_exist_ok=True)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
