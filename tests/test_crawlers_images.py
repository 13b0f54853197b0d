"""Listing images in a real crawl of a local site: each URL fetched once, identical bytes
stored once (content hash), an image over the size limit or missing becomes that image's
error on the item while the listing and its other images go through."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

from PIL import Image

from crawlsite import LocalSite, page, run_crawl_subprocess


def _png(colour: tuple[int, int, int], size: int = 32) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (size, size), colour).save(buffer, format="PNG")
    return buffer.getvalue()


RED, BLUE = _png((200, 30, 30)), _png((30, 30, 200))
BIG = b"\xff\xd8\xff" + bytes(300_000)  # a "JPEG" three times the test's limit
LIMIT = 100_000


def _product(images: list[str]):  # type: ignore[no-untyped-def]
    def route(path: str, count: int) -> tuple[int, dict[str, str], bytes]:
        name = "Acme Item " + path.rsplit("/", 1)[-1]
        data = {"@type": "Product", "name": name, "image": images,
                "offers": {"price": "10.00", "priceCurrency": "EUR"}}
        return page(body=f"<html><head><script type='application/ld+json'>{json.dumps(data)}</script></head>"
                         f"<body><h1>{name}</h1></body></html>")
    return route


def _image(body: bytes, kind: str):  # type: ignore[no-untyped-def]
    return lambda path, count: (200, {"Content-Type": kind}, body)


def test_images_are_fetched_once_deduplicated_and_size_limited(tmp_path: Path) -> None:
    site = LocalSite({
        "/robots.txt": lambda path, count: (200, {"Content-Type": "text/plain"}, b"User-agent: *\nAllow: /\n"),
        "/results": lambda path, count: page(body="<a href='/item/AC-1'>1</a><a href='/item/AC-2'>2</a>"),
        "/item/AC-1": _product(["/img/red.png", "/img/big.jpg", "/img/red-copy.png", "/img/gone.png"]),
        "/item/AC-2": _product(["/img/red.png", "/img/blue.png"]),
        "/img/red.png": _image(RED, "image/png"),
        "/img/red-copy.png": _image(RED, "image/png"),
        "/img/blue.png": _image(BLUE, "image/png"),
        "/img/big.jpg": _image(BIG, "image/jpeg"),
    })
    images_dir = tmp_path / "images"
    with site.serve():
        result = run_crawl_subprocess(
            tmp_path, [{"platform": "testshop", "start_urls": [site.url("/results")]}],
            images_dir=str(images_dir),
            overrides={"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "MARKWATCH_IMAGE_MAX_BYTES": LIMIT, "MARKWATCH_IMAGES_PER_LISTING": 4})
    assert result.returncode == 0, result.stderr
    items = {item["listing_id"]: item for item in result.items}
    assert set(items) == {"AC-1", "AC-2"}

    first = {image["url"].rsplit("/", 1)[-1]: image for image in items["AC-1"]["images"]}
    assert set(first) == {"red.png", "big.jpg", "red-copy.png", "gone.png"}
    assert first["big.jpg"]["sha256"] is None and "size limit" in first["big.jpg"]["error"]
    assert first["gone.png"]["sha256"] is None and "404" in first["gone.png"]["error"]
    assert any("big.jpg" in error for error in items["AC-1"]["errors"])
    # the same bytes under two URLs are one file, named by their hash
    assert first["red.png"]["sha256"] == first["red-copy.png"]["sha256"] == hashlib.sha256(RED).hexdigest()
    assert first["red.png"]["path"] == first["red-copy.png"]["path"]
    assert Path(first["red.png"]["path"]).read_bytes() == RED

    second = {image["url"].rsplit("/", 1)[-1]: image for image in items["AC-2"]["images"]}
    assert second["blue.png"]["sha256"] == hashlib.sha256(BLUE).hexdigest()
    assert not items["AC-2"]["errors"]

    # one download per URL in the whole crawl, though two listings show red.png
    assert site.paths().count("/img/red.png") == 1
    stored = sorted(p.name for p in images_dir.rglob("*") if p.is_file())
    assert stored == sorted({hashlib.sha256(RED).hexdigest(), hashlib.sha256(BLUE).hexdigest()})


def test_a_rendered_page_leaves_pictures_to_the_pipeline(tmp_path: Path, demo_market, browser_path: str) -> None:  # type: ignore[no-untyped-def]
    """Chromium renders a storefront's scripts but fetches none of its pictures, fonts or
    media: the image pipeline fetches the listings' photos, by the addresses the page names."""
    job = {"platform": "shoply", "search_terms": ["norvik"], "base_url": demo_market.base_url,
           "max_pages": 1, "max_listings": 4, "javascript": True}
    result = run_crawl_subprocess(tmp_path, [job], images_dir=str(tmp_path / "images"), browser_path=browser_path,
                                  overrides={"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False})
    assert result.returncode == 0, result.stderr
    assert len(result.items) == 4
    stats = result.stats["shoply"]
    assert stats.get("playwright/request_count/aborted", 0) >= 4, stats
    assert not stats.get("playwright/response_count/resource_type/image"), stats
    # every listing still has its photos, fetched and stored by the pipeline
    for item in result.items:
        assert item["images"] and all(image["sha256"] for image in item["images"]), item["images"]
