"""Listing videos in a real crawl of a local site: found in JSON-LD VideoObjects, og:video
tags and <video>/<source> elements, fetched once each and size-limited like images; and the
same pages read without a crawl."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from crawlers._videos import video_urls
from crawlsite import LocalSite, page, run_crawl_subprocess
from media import encode, scene

PAGE_URL = "http://127.0.0.1:9/item/1"  # url-ok: resolved against, never fetched


def _ld(data: dict) -> str:
    return f"<script type='application/ld+json'>{json.dumps(data)}</script>"


def test_every_kind_of_video_markup_is_read_files_first() -> None:
    html = ("<html><head>"
            "<meta property='og:video:secure_url' content='https://cdn.test/og.mp4'>"
            "<meta property='og:video' content='https://cdn.test/og.mp4'>"
            + _ld({"@context": "https://schema.org", "@graph": [  # url-ok
                {"@type": "Product", "name": "Bottle", "video": {
                    "@type": "VideoObject", "contentUrl": "/media/ld.webm", "embedUrl": "https://player.test/e/9"}}]})
            + "</head><body><video src='v.mp4'><source src='/s.webm' type='video/webm'></video>"
            "<video><source src='javascript:alert(1)'></video><video src='data:video/mp4;base64,AAAA'></video>"
            "</body></html>")
    assert video_urls(html, PAGE_URL) == (
        "http://127.0.0.1:9/media/ld.webm", "https://cdn.test/og.mp4", "http://127.0.0.1:9/item/v.mp4",
        "http://127.0.0.1:9/s.webm", "https://player.test/e/9")
    assert video_urls(html, PAGE_URL, limit=2) == ("http://127.0.0.1:9/media/ld.webm", "https://cdn.test/og.mp4")
    assert video_urls("<html><body><p>no video</p></body></html>", PAGE_URL) == ()
    assert video_urls(b"\xff\xfe\x00garbage", PAGE_URL) == ()


def test_videos_are_fetched_once_and_size_limited(tmp_path: Path) -> None:
    small = encode(tmp_path / "small.mp4", [scene(1), scene(2)]).read_bytes()
    big = b"\x00\x00\x00\x18ftypmp42" + bytes(400_000)

    def product(videos: list[str], og: str | None = None):  # type: ignore[no-untyped-def]
        def route(path: str, count: int) -> tuple[int, dict[str, str], bytes]:
            name = "Acme Bottle " + path.rsplit("/", 1)[-1]
            data = {"@type": "Product", "name": name, "offers": {"price": "10.00", "priceCurrency": "EUR"},
                    "video": [{"@type": "VideoObject", "name": "demo", "contentUrl": v} for v in videos]}
            meta = f"<meta property='og:video' content='{og}'>" if og else ""
            return page(body=f"<html><head>{meta}{_ld(data)}</head><body><h1>{name}</h1></body></html>")
        return route

    site = LocalSite({
        "/robots.txt": lambda path, count: (200, {"Content-Type": "text/plain"}, b"User-agent: *\nAllow: /\n"),
        "/results": lambda path, count: page(body="<a href='/item/AC-1'>1</a><a href='/item/AC-2'>2</a>"),
        "/item/AC-1": product(["/v/small.mp4", "/v/big.mp4"]),
        "/item/AC-2": product([], og="/v/small.mp4"),
        "/v/small.mp4": lambda path, count: (200, {"Content-Type": "video/mp4"}, small),
        "/v/big.mp4": lambda path, count: (200, {"Content-Type": "video/mp4"}, big),
    })
    with site.serve():
        result = run_crawl_subprocess(
            tmp_path, [{"platform": "testshop", "start_urls": [site.url("/results")]}],
            images_dir=str(tmp_path / "files"),
            overrides={"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "MARKWATCH_VIDEO_MAX_BYTES": 200_000})
    assert result.returncode == 0, result.stderr
    items = {item["listing_id"]: item for item in result.items}
    first = {v["url"].rsplit("/", 1)[-1]: v for v in items["AC-1"]["videos"]}
    assert set(first) == {"small.mp4", "big.mp4"}
    assert first["small.mp4"]["sha256"] == hashlib.sha256(small).hexdigest()
    assert Path(first["small.mp4"]["path"]).read_bytes() == small
    assert first["big.mp4"]["path"] is None and "video size limit" in first["big.mp4"]["error"]
    assert any("big.mp4" in e for e in items["AC-1"]["errors"])
    assert [v["url"] for v in items["AC-2"]["videos"]] == [site.url("/v/small.mp4")]
    assert site.paths().count("/v/small.mp4") == 1  # one download for both listings


def test_a_stored_listing_video_is_assessed_by_the_run(tmp_path: Path) -> None:
    """What the crawl stored of a listing's videos reaches the assessor: the brand's photo in
    the video becomes a video_frame finding on the listing, with its time; the stored
    photos' and videos' paths survive the database's relative-path storage."""
    from PIL import Image

    from conftest import DEMO_BRAND
    from monitor.db import Database, ListingInput
    from monitor.registry import load_registry
    from monitor.run import Monitor, RunSummary

    registry = load_registry(DEMO_BRAND)
    parka = registry.resolve(registry.products[0].images[0])
    with Image.open(parka) as im:
        brand_photo = im.convert("RGB").resize((320, 320))
    (tmp_path / "data").mkdir()
    video = encode(tmp_path / "data" / "v.mp4", [scene(7, (320, 320)), brand_photo], seconds_each=1.0)
    db = Database(str(tmp_path / "data" / "mw.db"))
    monitor = Monitor(registry, db, images_dir=tmp_path / "data" / "images", workers=1)
    db.upsert_listing(ListingInput(
        "bazaar", "BZ-9", "http://127.0.0.1:9/bazaar/item/BZ-9", title="Warm winter parka", seller_name="Someone",
        video_urls=("http://127.0.0.1:9/v.mp4",),
        video_files=({"url": "http://127.0.0.1:9/v.mp4", "sha256": "x", "path": str(video), "error": None},)))
    summary = RunSummary()
    assert monitor.assess_pending(summary=summary) == 1
    assert summary.assessed == 1 and db.unassessed() == []
    frames = [f for f in db.findings(1) if f.kind == "video_frame"]
    assert frames and frames[0].evidence == f"product:{registry.products[0].sku}:0"
    assert "at 0:01" in frames[0].reason
