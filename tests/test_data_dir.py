"""Paths in the database are relative to the data folder the database knows (issue 11
item 12): beside a SQLite file, or MARKWATCH_DATA_DIR. `serve` from any folder, or of a
folder moved whole, finds the photos and drafts; older rows (absolute, or relative to
where their crawl ran) stay readable."""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from PIL import Image

from monitor.db import Database, ListingInput
from monitor.models import Takedown
from monitor.registry import load_registry
from monitor.web import create_app
from review_seed import DEMO_BRAND, running


@contextmanager
def _cwd(folder: Path) -> Iterator[None]:
    before = Path.cwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(before)


def _crawl_like(folder: Path) -> tuple[int, int]:
    """What a crawl run in `folder` stores: a photo under ./markwatch-data (a relative path,
    as the crawler gives it) and a takedown draft."""
    (folder / "markwatch-data" / "images").mkdir(parents=True)
    Image.new("RGB", (40, 30), "red").save(folder / "markwatch-data" / "images" / "a.jpg")
    (folder / "drafts").mkdir()
    (folder / "drafts" / "notice.txt").write_text("Dear platform", encoding="utf-8")
    with _cwd(folder):
        registry = load_registry(DEMO_BRAND)
        db = Database("markwatch.db")
        brand = db.upsert_brand(registry.brand, marks=[m.model_dump(mode="json") for m in registry.marks])
        done = db.upsert_listing(ListingInput(
            platform="bazaar", listing_id="X-1", url="http://127.0.0.1:9/x", title="Norvik parka",
            image_urls=("http://127.0.0.1:9/a.jpg",),
            image_files=({"url": "http://127.0.0.1:9/a.jpg", "sha256": "0" * 64,
                          "path": "markwatch-data/images/a.jpg", "error": None},)))
        with db.session() as s:
            notice = Takedown(brand_id=brand.id, platform="bazaar", template="t",
                              path=str(Path("drafts/notice.txt").resolve()))
            s.add(notice)
            s.commit()
            notice_id = notice.id
        db.close()
    return done.listing_pk, notice_id


def test_paths_are_stored_relative_to_the_database_folder(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    listing_pk, notice_id = _crawl_like(site)
    raw = sqlite3.connect(site / "markwatch.db")
    stored = raw.execute("SELECT image_files FROM listing").fetchone()[0]
    draft = raw.execute("SELECT path FROM takedown").fetchone()[0]
    raw.close()
    assert '"markwatch-data/images/a.jpg"' in stored and draft == "drafts/notice.txt"
    # The folder moved whole, opened from somewhere else: every path still leads to its file.
    moved = tmp_path / "elsewhere" / "site"
    moved.parent.mkdir()
    shutil.move(site, moved)
    with _cwd(tmp_path):
        db = Database(str(moved / "markwatch.db"))
        photo = Path(db.listing(listing_pk).image_files[0]["path"])
        assert photo.is_file() and photo.is_relative_to(moved)
        with db.session() as s:
            assert Path(s.get(Takedown, notice_id).path).read_text(encoding="utf-8") == "Dear platform"
        assert db.file_path("drafts/notice.txt") == moved / "drafts" / "notice.txt"
        assert db.store_path(moved / "drafts" / "notice.txt") == "drafts/notice.txt"
        outside = tmp_path / "outside.txt"
        assert db.store_path(outside) == str(outside.resolve())


def test_serve_from_another_folder_shows_photos_and_drafts(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    listing_pk, notice_id = _crawl_like(site)
    other = tmp_path / "other"
    other.mkdir()
    with _cwd(other):
        db = Database(str(site / "markwatch.db"))
        app = create_app(db, load_registry(DEMO_BRAND), takedown_dir=other / "t", screenshots=False)
        with running(app) as url, httpx.Client(base_url=url, timeout=30) as http:
            photo = http.get(f"/media/listing/{listing_pk}/0")
            assert photo.status_code == 200 and photo.headers["content-type"] == "image/jpeg"
            page = http.get(f"/takedowns/{notice_id}")
            assert page.status_code == 200 and "Dear platform" in page.text
            assert "the draft file is gone" not in page.text


def test_older_rows_stay_readable(tmp_path: Path) -> None:
    """Rows written before: an absolute path, and one relative to the crawl's folder (which
    was not the database's)."""
    crawl_dir = tmp_path / "crawl"
    (crawl_dir / "img").mkdir(parents=True)
    Image.new("RGB", (10, 10)).save(crawl_dir / "img" / "b.jpg")
    db = Database(str(tmp_path / "db" / "markwatch.db"))
    absolute = str(crawl_dir / "img" / "b.jpg")
    for n, path in enumerate([absolute, "img/b.jpg"]):
        db.upsert_listing(ListingInput(platform="p", listing_id=str(n), url="http://x", title="t",
                                       image_files=({"url": "http://x", "sha256": "s", "path": path, "error": None},)))
    raw = sqlite3.connect(tmp_path / "db" / "markwatch.db")
    raw.execute("UPDATE listing SET image_files = json_replace(image_files, '$[0].path', 'img/b.jpg') "
                "WHERE listing_id = '1'")
    raw.commit()
    raw.close()
    rows = {r.listing_id: r for r in db.listings()}
    assert rows["0"].image_files[0]["path"] == absolute
    with _cwd(crawl_dir):
        assert Path(db.listing(rows["1"].id).image_files[0]["path"]).is_file()
