"""The review queue in a real Chromium (Playwright): load the queue, open a case, confirm
it, draft its takedown and read the notice; a hostile title shows as text and runs no
script. Skips when no Chromium is installed."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select

from monitor.models import Case, Takedown, TakedownItem
from monitor.web import create_app
from review_seed import HOSTILE_TITLE, running, seed

pytestmark = pytest.mark.browser


def test_confirm_a_case_and_draft_its_takedown(browser_path: str, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    from crawlers.settings import chromium_args

    seeded = seed(tmp_path)
    case_id = seeded.case_ids["BZ-1"]
    app = create_app(seeded.db, seeded.registry, takedown_dir=tmp_path / "takedowns")
    dialogs: list[str] = []
    with running(app) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=browser_path, headless=True, args=chromium_args())
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.goto(url + "/")
            rows = page.locator("tr.case")
            assert rows.count() == len(seeded.db.cases(seeded.brand_id, flagged_only=True))
            # The hostile title is shown as text, and its script never ran.
            assert page.get_by_text(HOSTILE_TITLE[:40], exact=False).count() == 1

            page.click(f"#case-{case_id} td.title a")
            page.wait_for_url(f"**/cases/{case_id}")
            assert page.locator("h1 mark").inner_text() == "N0rv1k"
            page.click("button.confirm")
            page.wait_for_load_state()
            assert page.locator("#case-state").inner_text() == "confirmed"

            page.click("button.draft")
            page.wait_for_load_state()
            notice = page.locator("pre.notice-text")
            assert notice.count() == 1
            text = notice.inner_text()
            assert "http://127.0.0.1:9/bazaar/item/BZ-1" in text and "BZ-1" in text
            assert page.locator("h1").inner_text() == "1 takedown draft"

            # Bulk: select every case on the page with the header checkbox, dismiss them.
            page.goto(url + "/?state=new")
            page.check("#select-all")
            page.click("button[value=dismiss]")
            page.wait_for_load_state()
            assert page.locator("tr.case").count() == 0
        finally:
            browser.close()
    assert dialogs == []
    with seeded.db.session() as s:
        assert s.get(Case, case_id).state == "confirmed"
        notice_row = s.exec(select(Takedown)).one()
        assert s.exec(select(TakedownItem.case_id).where(TakedownItem.takedown_id == notice_row.id)).all() == [case_id]
        states = {c.state for c in s.exec(select(Case).where(Case.flagged == True))}  # noqa: E712
    assert states == {"confirmed", "dismissed"}
    assert Path(notice_row.path).is_file()


def test_takedown_drafted_in_the_web_app_carries_a_screenshot(browser_path: str, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    import httpx
    from PIL import Image

    from crawlsite import LocalSite, page
    from monitor.models import Listing

    monkeypatch.setenv("MARKWATCH_CHROMIUM", browser_path)
    seeded = seed(tmp_path)
    marker = "Genuine-looking N0rv1k parka page"
    site = LocalSite({"/item/BZ-1": lambda *_: page(200, f"<html><body style='background:#c0392b'><h1>{marker}</h1></body></html>"),
                      "/item/BZ-3": lambda *_: page(410, "<html><body>This listing was removed</body></html>")})
    with site.serve(), running(create_app(seeded.db, seeded.registry, takedown_dir=tmp_path / "t")) as url:
        with seeded.db.session() as s:
            for lid, path in (("BZ-1", "/item/BZ-1"), ("BZ-3", "/item/BZ-3")):
                listing = s.exec(select(Listing).where(Listing.listing_id == lid)).one()
                listing.url = site.url(path)
                s.add(listing)
            s.commit()
        with httpx.Client(base_url=url, timeout=120) as http:
            csrf = http.get("/").text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
            ids = [str(seeded.case_ids[k]) for k in ("BZ-1", "BZ-3", "SH-1")]
            for case_id in ids:
                http.post(f"/cases/{case_id}/state", data={"csrf": csrf, "action": "confirm"})
            drafted = http.post("/takedowns", data={"csrf": csrf, "case_id": ids}).text
    # The live page is photographed; the one that answers 410 is refused as gone; the one that
    # will not load is drafted without a screenshot, and the page says so.
    assert "already gone (the page answered HTTP 410)" in drafted
    assert "screenshot.png" in drafted
    assert "http://127.0.0.1:9/shoply/p/SH-1: no screenshot" in drafted
    shots = {path.parent.name for path in (tmp_path / "t").rglob("screenshot.png")}
    assert "bazaar-BZ-1" in shots and "shoply-SH-1" not in shots
    with Image.open(tmp_path / "t" / "evidence" / "bazaar-BZ-1" / "screenshot.png") as img:
        assert img.convert("RGB").getpixel((img.width - 5, img.height // 2)) == (0xC0, 0x39, 0x2B)
    assert any(path == "/item/BZ-1" for path in site.paths())
