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

    from crawlers.settings import CHROMIUM_ARGS

    seeded = seed(tmp_path)
    case_id = seeded.case_ids["BZ-1"]
    app = create_app(seeded.db, seeded.registry, takedown_dir=tmp_path / "takedowns")
    dialogs: list[str] = []
    with running(app) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=browser_path, headless=True, args=list(CHROMIUM_ARGS))
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
