"""A hostile marketplace on loopback, crawled as a user crawls it (`markwatch crawl` in a fresh
process): links that cannot be requested, a lone surrogate in JSON-LD, pages that fail every
way a page can fail, listing photos on private addresses, a market that goes away mid-crawl,
and a run killed outright. Every readable listing is stored, every failure is counted by
reason, and the exit status tells the truth (3: incomplete)."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from conftest import DEMO_BRAND, run_cli
from crawlsite import LocalSite, page

pytestmark = pytest.mark.slow

GOOD = [f"good{i}" for i in range(1, 7)]


def _listing(name: str, *, images: tuple[str, ...] = ()) -> str:
    data = {"@context": "https://schema.org", "@type": "Product", "name": name,  # url-ok: a literal for a pure function, never fetched
            "image": list(images), "offers": {"@type": "Offer", "price": "49.00", "priceCurrency": "EUR"}}
    # ensure_ascii keeps "\ud800" as the six characters a hostile page would send
    return ("<html><head><script type='application/ld+json'>"
            f"{json.dumps(data, ensure_ascii=True)}</script></head><body><h1>x</h1></body></html>")


# Over Scrapy's DOWNLOAD_MAXSIZE (16 MiB in crawlers.settings)
_HUGE = _listing("Huge") + " " * (17 * 1024 * 1024)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _site(gone_port: int) -> LocalSite:
    links = [f"/item/{g}" for g in GOOD] + [
        "javascript:alert(1)//item/XSS01", "mailto:a@b.example/item/MAIL01", "http://[bad/item/V6BAD",
        "/item/missing", "/item/loop", "/item/huge", "/item/private", "/item/slow",
        f"http://127.0.0.1:{gone_port}/item/gone", "/item/surrogate", "/item/ssrf",
    ]
    results = "<html><body>" + "".join(f'<a href="{h}">x</a>' for h in links) + "</body></html>"
    routes = {
        "/robots.txt": lambda _p, _n: (200, {"Content-Type": "text/plain"}, b"User-agent: *\nDisallow: /item/private\n"),
        "/results": lambda _p, _n: page(body=results),
        "/item/missing": lambda _p, _n: page(404, "gone"),
        "/item/loop": lambda _p, _n: page(302, "", Location="/item/loop"),
        "/item/huge": lambda _p, _n: page(body=_HUGE),
        "/item/slow": lambda _p, _n: page(body=_listing("Slow")),
        "/item/surrogate": lambda _p, _n: page(body=_listing("Norvik parka \ud800 lone")),
        # The review app's /healthz, a cloud metadata service, an intranet host: never fetched.
        "/item/ssrf": lambda _p, _n: page(body=_listing("Photo elsewhere", images=(
            "http://169.254.169.254/latest/meta-data/photo.jpg", "http://10.255.255.1/photo.jpg"))),  # url-ok
    }
    for g in GOOD:
        routes[f"/item/{g}"] = lambda _p, _n, g=g: page(body=_listing(f"Trail jacket {g}"))
    return LocalSite(routes, hold={"/item/slow": 4.0})


def _brand(tmp: Path, start: str) -> Path:
    data = yaml.safe_load(DEMO_BRAND.read_text(encoding="utf-8"))
    data["watch"] = [{"platform": "hostile", "start_urls": [start], "max_pages": 5, "max_listings": 50}]
    root = DEMO_BRAND.parent
    # Registry paths are relative to the file: point them back at the demo brand's folder.
    text = yaml.safe_dump(data, allow_unicode=True)
    brand_dir = tmp / "brand"
    brand_dir.mkdir(exist_ok=True)
    for child in root.iterdir():
        target = brand_dir / child.name
        if child.name != "brand.yaml" and not target.exists():
            target.symlink_to(child)
    path = brand_dir / "brand.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _crawl_args(brand: Path, db: Path) -> list[str]:
    return ["crawl", "--brand", str(brand), "--db", str(db), "--images-dir", str(db.parent / "images"),
            "--delay", "0"]


def _rows(db: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


def test_hostile_market_stores_every_readable_listing_and_counts_every_failure(tmp_path: Path, browser_path: str) -> None:
    with _site(_closed_port()).serve() as site:
        brand = _brand(tmp_path, site.url("/results"))
        db = tmp_path / "mw.db"
        done = run_cli(*_crawl_args(brand, db), "--timeout", "2",
                       cwd=tmp_path, env={"MARKWATCH_CHROMIUM": browser_path})
        paths = site.paths()
    stored = {lid for (lid,) in _rows(db, "select listing_id from listing")}
    # every readable listing, the lone surrogate one included (cleaned, not lost)
    assert stored == {*GOOD, "surrogate", "ssrf"}, done.stderr
    title = _rows(db, "select title from listing where listing_id = 'surrogate'")[0][0]
    assert title == "Norvik parka lone"
    # nothing was requested from the links that cannot be requested, nor from robots-denied pages
    assert not any("XSS01" in p or "MAIL01" in p or "V6BAD" in p or "private" in p for p in paths)
    # the refused photos are recorded with the reason, not fetched
    files = json.loads(_rows(db, "select image_files from listing where listing_id = 'ssrf'")[0][0])
    assert len(files) == 2 and all("link-local" in f["error"] or "private" in f["error"] for f in files), files
    # the summary names every failure by reason, and the run row keeps them
    err = done.stderr
    for reason in ("1 HTTP 404", "1 redirect loop", "1 over the size limit", "1 robots.txt denied",
                   "1 time-out", "1 connection refused"):
        assert reason in err, err
    assert "3 links skipped" in err and "1 javascript scheme" in err and "1 mailto scheme" in err and "1 malformed URL" in err
    status, stats = _rows(db, "select status, stats from run")[0]
    stats = json.loads(stats)
    assert stats["failed"] == {"HTTP 404": 1, "redirect loop": 1, "over the size limit": 1,
                               "robots.txt denied": 1, "time-out": 1, "connection refused": 1}
    assert stats["skipped_links"] == {"javascript scheme": 1, "mailto scheme": 1, "malformed URL": 1}
    # 6 of 15 pages failed: more than the 20% an honest crawl may lose
    assert status == "incomplete" and done.returncode == 3, (done.returncode, err)
    assert "crawl of hostile is incomplete" in err


def test_bad_links_and_a_lone_surrogate_lose_nothing_and_a_few_failures_exit_0(tmp_path: Path, browser_path: str) -> None:
    # A link that cannot be requested used to raise inside the idle handler and drop the
    # whole sample; a lone surrogate used to make the listing unstorable.
    site = _site(_closed_port())
    listing_links = "".join(f'<a href="/item/{g}">x</a>' for g in [*GOOD, "surrogate", "missing"])
    site.routes["/results"] = lambda _p, _n: page(body=f"<html><body>{listing_links}"
                                                        "<a href='javascript:void(0)//item/JSX01'>x</a>"
                                                        "<a href='mailto:x@y.example/item/MAIL02'>x</a></body></html>")
    with site.serve():
        brand = _brand(tmp_path, site.url("/results"))
        db = tmp_path / "mw.db"
        done = run_cli(*_crawl_args(brand, db), cwd=tmp_path, env={"MARKWATCH_CHROMIUM": browser_path})
    assert done.returncode == 0, done.stderr
    assert {lid for (lid,) in _rows(db, "select listing_id from listing")} == {*GOOD, "surrogate"}
    assert _rows(db, "select title from listing where listing_id = 'surrogate'") == [("Norvik parka lone",)]
    # 1 of 9 pages failed: within the share
    assert "1 pages failed (8 read): 1 HTTP 404" in done.stderr
    assert "2 links skipped, not requestable: 1 javascript scheme, 1 mailto scheme" in done.stderr
    assert _rows(db, "select status from run") == [("finished",)]


def test_market_failing_mid_crawl_is_incomplete_and_the_rerun_resumes(tmp_path: Path, browser_path: str) -> None:
    site = _site(_closed_port())
    many = [f"n{i:03d}" for i in range(40)]
    site.routes["/results"] = lambda _p, _n: page(body="<html><body>" + "".join(
        f'<a href="/item/{g}">x</a>' for g in many) + "</body></html>")
    for g in many:
        site.routes[f"/item/{g}"] = lambda _p, _n, g=g: page(body=_listing(f"Trail jacket {g}"))
    out = tmp_path / "out"
    db = tmp_path / "mw.db"
    with site.serve() as served:
        brand = _brand(tmp_path, served.url("/results"))
        port = int(served.base_url.rsplit(":", 1)[1])
        # The market answers the result page and five listings, then fails every page.
        original = dict(site.routes)
        for g in many[5:]:
            site.routes[f"/item/{g}"] = lambda _p, _n: page(500, "down")
        args = ["run", "--brand", str(brand), "--db", str(db), "--out", str(out), "--delay", "0"]
        first = run_cli(*args, cwd=tmp_path, env={"MARKWATCH_CHROMIUM": browser_path})
        assert first.returncode == 3, first.stderr
        assert "crawl of hostile is incomplete" in first.stderr
        assert "HTTP 500" in first.stderr
        assert _rows(db, "select status from run") == [("incomplete",)]
        kept = _rows(db, "select count(*) from listing")[0][0]
        assert kept == 5, first.stderr + first.stdout
        # The market is back: the rerun crawls again (it does not say the day's crawl had
        # finished) and stores what the first one lost, without duplicates.
        site.routes.update(original)
        second = run_cli(*args, cwd=tmp_path, env={"MARKWATCH_CHROMIUM": browser_path})
        assert port  # the same market, at the same address
    assert second.returncode == 0, second.stderr
    assert "already finished" not in second.stdout
    assert _rows(db, "select count(*), count(distinct listing_id) from listing") == [(40, 40)]
    assert [s for (s,) in _rows(db, "select status from run order by id")] == ["incomplete", "finished"]


def test_a_killed_run_is_marked_interrupted_by_the_next(tmp_path: Path, browser_path: str) -> None:
    site = _site(_closed_port())
    many = [f"k{i:03d}" for i in range(30)]
    site.routes["/results"] = lambda _p, _n: page(body="<html><body>" + "".join(
        f'<a href="/item/{g}">x</a>' for g in many) + "</body></html>")
    for g in many:
        site.routes[f"/item/{g}"] = lambda _p, _n, g=g: page(body=_listing(f"Trail jacket {g}"))
    site.hold["/item/k"] = 1.5
    db = tmp_path / "mw.db"
    with site.serve() as served:
        brand = _brand(tmp_path, served.url("/results"))
        cmd = [sys.executable, "-m", "monitor.cli", *_crawl_args(brand, db)]
        proc = subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                env={**os.environ, "MARKWATCH_CHROMIUM": browser_path})
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.2)
            try:
                if _rows(db, "select count(*) from listing")[0][0] >= 2:
                    break
            except sqlite3.OperationalError:
                continue
        assert proc.poll() is None, "the crawl finished before it could be killed"
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert _rows(db, "select status from run") == [("running",)]
        site.hold.clear()
        again = run_cli(*_crawl_args(brand, db), cwd=tmp_path, env={"MARKWATCH_CHROMIUM": browser_path})
    assert again.returncode == 0, again.stderr
    assert [s for (s,) in _rows(db, "select status from run order by id")] == ["interrupted", "finished"]
    assert "had been killed: marked interrupted" in again.stderr


def test_chromium_keeps_its_sandbox_unless_it_cannot_run(caplog: pytest.LogCaptureFixture) -> None:
    from crawlers import settings

    userns = Path("/proc/sys/user/max_user_namespaces")
    if not userns.exists():
        pytest.skip("no /proc/sys/user/max_user_namespaces: not Linux")
    clone = Path("/proc/sys/kernel/unprivileged_userns_clone")
    enabled = int(userns.read_text()) > 0 and (not clone.exists() or clone.read_text().strip() != "0")
    # An unprivileged user with user namespaces keeps the sandbox; root never can (Chromium refuses).
    if enabled:
        assert settings.sandbox_unavailable(euid=65534) is None
    assert "root" in (settings.sandbox_unavailable(euid=0) or "")
    settings._sandbox_off.cache_clear()
    with caplog.at_level("WARNING", logger="crawlers.settings"):
        first, second = settings.chromium_args(), settings.chromium_args()
    off = os.geteuid() == 0 or settings.sandbox_unavailable() is not None
    assert ("--no-sandbox" in first) == off and first == second
    assert "--no-sandbox" not in settings.CHROMIUM_ARGS
    # said once per process, not per launch
    assert sum("without its sandbox" in r.getMessage() for r in caplog.records) == (1 if off else 0)


def test_clearance_checks_a_listing_with_lone_surrogates() -> None:
    from fastapi.testclient import TestClient

    from monitor.api import create_api_app
    from monitor.clearance import Clearance

    client = TestClient(create_api_app(Clearance.from_files([str(DEMO_BRAND)])), raise_server_exceptions=False)
    body = '{"title": "Norvik parka \\ud800 x", "description": "a \\udfff b", "bullet_points": ["c \\ud800"]}'
    response = client.post("/api/clearance", content=body, headers={"content-type": "application/json"})
    # checked like any listing (the mark is found), not refused as undecodable nor a 500
    assert response.status_code == 200, response.text[:300]
    assert any(f["kind"] == "mark" for f in response.json()["findings"])


@pytest.mark.parametrize(("read", "failed", "incomplete"), [
    (10, {}, False), (8, {"HTTP 404": 2}, False), (7, {"time-out": 2, "HTTP 500": 1}, True),
    (0, {"connection refused": 1}, True), (0, {}, False),
])
def test_crawl_health_share_and_site_gone(read: int, failed: dict[str, int], incomplete: bool) -> None:
    from crawlers.failures import FAILED_PREFIX, READ_KEY, crawl_health

    stats = {READ_KEY: read, **{FAILED_PREFIX + k: v for k, v in failed.items()}}
    health = crawl_health(stats, max_failed_share=0.2)
    assert health.incomplete is incomplete and health.failed == failed and health.read == read


def test_market_gone_is_incomplete_with_exit_3(tmp_path: Path, browser_path: str) -> None:
    # The result page names listings on a market that has gone away (nothing listens there).
    gone = _closed_port()
    site = _site(gone)
    site.routes["/results"] = lambda _p, _n: page(body="<html><body>" + "".join(
        f'<a href="http://127.0.0.1:{gone}/item/{g}">x</a>' for g in GOOD) + "</body></html>")
    with site.serve() as served:
        brand = _brand(tmp_path, served.url("/results"))
        db = tmp_path / "mw.db"
        done = run_cli(*_crawl_args(brand, db), cwd=tmp_path, env={"MARKWATCH_CHROMIUM": browser_path})
    assert done.returncode == 3, done.stderr
    assert f"{len(GOOD)} pages failed (1 read): {len(GOOD)} connection refused" in done.stderr
    status, stats = _rows(db, "select status, stats from run")[0]
    assert status == "incomplete" and json.loads(stats)["failed"] == {"connection refused": len(GOOD)}
