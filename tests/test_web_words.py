"""The case page in a reviewer's words: registered images by product name (never the
internal asset key), and only the decisions that change the case (no Reopen on a new case)."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from monitor.web import create_app
from review_seed import running, seed


def test_case_page_names_products_and_offers_only_real_changes(tmp_path: Path) -> None:
    seeded = seed(tmp_path)
    parka = next(p for p in seeded.registry.products if p.sku == "NV-PARKA-01")
    app = create_app(seeded.db, seeded.registry, takedown_dir=tmp_path / "takedowns")
    case_id = seeded.case_ids["BZ-1"]
    with running(app) as url, httpx.Client(base_url=url, timeout=30) as http:
        page = http.get(f"/cases/{case_id}").text
        assert "product:NV-PARKA-01" not in page
        assert f"registered: {parka.name} (NV-PARKA-01)" in page
        assert f"matches &#39;{parka.name} (NV-PARKA-01)&#39;" in page or f"matches '{parka.name}" in page
        buttons = set(re.findall(r'name="action" value="([a-z]+)"', page))
        assert buttons == {"confirm", "dismiss", "allowlist"}
        seeded.db.set_case_states(seeded.brand_id, [case_id], "confirmed")
        page = http.get(f"/cases/{case_id}").text
        assert set(re.findall(r'name="action" value="([a-z]+)"', page)) == {"reopen", "dismiss", "allowlist"}


def test_takedown_page_marks_the_notice_status(tmp_path: Path) -> None:
    from monitor.models import Takedown
    from monitor.takedown import draft_takedowns

    seeded = seed(tmp_path)
    seeded.db.set_case_states(seeded.brand_id, [seeded.case_ids["BZ-1"]], "confirmed")
    (drafted,), refusals = draft_takedowns(seeded.db, seeded.registry, seeded.brand_id, tmp_path / "takedowns")
    app = create_app(seeded.db, seeded.registry, takedown_dir=tmp_path / "takedowns")
    with running(app) as url, httpx.Client(base_url=url, timeout=30) as http:
        page = http.get(f"/takedowns/{drafted.takedown_id}").text
        assert re.findall(r'name="status" value="([a-z_]+)"', page) == ["submitted"]
        csrf = re.search(r'name="csrf" value="([^"]+)"', page)[1]
        done = http.post(f"/takedowns/{drafted.takedown_id}/status",
                         data={"csrf": csrf, "status": "submitted", "note": "sent by the form"})
        assert done.status_code == 303
        page = http.get(f"/takedowns/{drafted.takedown_id}").text
        assert re.findall(r'name="status" value="([a-z_]+)"', page) == ["removed", "rejected"]
        # the status rules hold here as on the command line
        refused = http.post(f"/takedowns/{drafted.takedown_id}/status",
                            data={"csrf": csrf, "status": "counter_noticed"})
        assert refused.status_code == 409
        without_csrf = http.post(f"/takedowns/{drafted.takedown_id}/status", data={"status": "removed"})
        assert without_csrf.status_code in (400, 403)
    with seeded.db.session() as s:
        assert s.get(Takedown, drafted.takedown_id).status == "submitted"


def test_authorised_sellers_are_not_clustered_with_unauthorised_ones(tmp_path: Path) -> None:
    from monitor.db import ListingInput

    seeded = seed(tmp_path)
    bz1 = seeded.db.listing(seeded.listing_pks["BZ-1"])
    # the brand's own store shows the same registered photo as the counterfeiter, by right
    own = seeded.db.upsert_listing(ListingInput(
        platform="bazaar", listing_id="BZ-OWN", url="http://127.0.0.1:9/bazaar/item/BZ-OWN",
        title="Norvik Fjell Parka", description="contact deals@cheap.example", seller_name="Norvik Official Store",
        image_urls=tuple(bz1.image_urls), image_files=tuple(bz1.image_files)))
    seeded.db.record_assessment(seeded.brand_id, own.listing_pk, findings=[], risk=60, level="medium",
                                reasons=["title names the mark"], flagged=True)
    app = create_app(seeded.db, seeded.registry, takedown_dir=tmp_path / "takedowns")
    with running(app) as url, httpx.Client(base_url=url, timeout=30) as http:
        page = http.get("/sellers").text
    assert "Cheap Gear" in page  # the unauthorised sellers sharing the photo are still linked
    assert "Norvik Official Store" not in page
