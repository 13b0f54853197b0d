"""`markwatch demo` end to end, as a newcomer runs it: the real crawlers against the
embedded market (Chromium for the JavaScript storefront), matching, storage, digest and
takedown drafts, scored against the catalog's truth."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from conftest import run_cli
from monitor.demo_market.catalog import SMALL_SCALE, build_catalog

pytestmark = pytest.mark.slow


# The small catalogue (every kind of case, a third of the listings) keeps a wide margin under
# the test's timeout on a loaded 2-core machine; `markwatch demo` itself serves the full one.
SMALL = build_catalog(scale=SMALL_SCALE)


@pytest.mark.timeout(600)
def test_demo_json_end_to_end(tmp_path: Path, browser_path: str) -> None:
    # as a newcomer runs it: a worker process per core, words in photos read
    done = run_cli("demo", "--small", "--json", "--out", str(tmp_path / "out"), cwd=tmp_path,
                   env={"MARKWATCH_CHROMIUM": browser_path, "MARKWATCH_WORKERS": "", "MARKWATCH_OCR": ""},
                   timeout=480)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout)  # stdout is exactly one JSON object
    assert set(result) == {"listings", "flagged", "precision", "recall", "digest", "takedowns", "db"}
    assert result["listings"] == len(SMALL.listings)
    assert 0 < result["flagged"] < result["listings"]
    # The demo must catch most counterfeits without burying them in false alarms.
    assert result["recall"] >= 0.8 and result["precision"] >= 0.5, result
    digest = Path(result["digest"])
    html = digest.read_text(encoding="utf-8")
    assert "Norvik" in html and "<script>alert(1)</script>" not in html
    assert digest.with_suffix(".csv").exists()
    # the digest opens with what needs attention: the demo brand's JPO renewal falls due within
    # 90 days, and its Shopify-style stores sell in Australia, where no registration covers it
    attention = json.loads(digest.with_suffix(".json").read_text(encoding="utf-8"))["attention"]
    assert any("JPO 6012345" in a and "renewal" in a for a in attention), attention
    assert any("shopstores" in a and "covers AU" in a for a in attention), attention
    assert result["takedowns"] and all(Path(p).exists() for p in result["takedowns"])
    notice = Path(result["takedowns"][0]).read_text(encoding="utf-8")
    # the demo market sells in Sweden: notices rest on the EU registration and are signed
    assert "018234567" in notice and "Ingrid Dahl" in notice
    db = Path(result["db"].removeprefix("sqlite:///"))
    with sqlite3.connect(db) as conn:
        (listings,) = conn.execute("select count(*) from listing").fetchone()
        (flagged,) = conn.execute("select count(*) from \"case\" where flagged").fetchone()
        platforms = {p for (p,) in conn.execute("select distinct platform from listing")}
    assert listings == result["listings"] and flagged == result["flagged"]
    assert platforms == {"bazaar", "shoply", "shopstores"}
