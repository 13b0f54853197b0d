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
