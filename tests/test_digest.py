"""The digest: what it contains (thumbnails beside the registered image, highlighted marks,
price against MSRP, reasons, grouping, counts, trend), that listing text cannot inject
markup or spreadsheet formulas, and that CSV and JSON carry every entry."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from sqlmodel import select

from monitor.digest import (
    DigestData,
    DigestEntry,
    TrendDay,
    collect_digest,
    render_csv,
    render_html,
    render_json,
    safe_url,
    trend_chart_png,
    write_digest,
)
from monitor.models import Digest
from review_seed import DEMO_BRAND, FORMULA_TITLE, HOSTILE_TITLE, Seeded, seed, start_tags


@pytest.fixture()
def seeded(tmp_path: Path) -> Seeded:
    return seed(tmp_path)




def test_digest_content(seeded: Seeded) -> None:
    data = collect_digest(seeded.db, seeded.brand_id, "Norvik", registry=seeded.registry)
    assert data.last_digest_total is None and "The last digest had" not in render_html(data).html
    flagged = {lid for lid, cid in seeded.case_ids.items()
               if lid not in ("SH-3", "SH-4")}  # risk below 50 is not flagged
    assert {e.listing_id for e in data.entries} == flagged
    assert [e.risk for e in data.entries] == sorted((e.risk for e in data.entries), reverse=True)
    first = data.entries[0]
    assert first.listing_id == "BZ-1"
    assert first.msrp == "349.00" and first.msrp_currency == "EUR"
    assert first.price_ratio == pytest.approx(59 / 349)
    assert first.asset_key == "product:NV-PARKA-01:0" and first.asset_path and first.image_path
    # Grouped by platform then seller, the riskiest group first.
    groups = data.by_platform
    assert list(groups) == ["bazaar", "shoply"]
    assert next(iter(groups["bazaar"])) == "Cheap Gear"
    counts = data.counts()
    assert counts["total"] == len(flagged) == counts["high"] + counts["medium"] + counts["low"]
    assert counts["new"] == len(flagged) and counts["open"] == len(flagged)
    assert data.trend[-1].count == len(flagged) and len(data.trend) == 14

    rendered = render_html(data)
    html = rendered.html
    # The listing photo and the registered image it matched, embedded as data: URIs.
    row = html[html.index("N0rv1k"):][:50]
    assert "N0rv1k" in row
    images = [a["src"] for tag, a in start_tags(html) if tag == "img"]
    assert sum(1 for src in images if src and src.startswith("data:image/jpeg;base64,")) >= 3
    assert any(src and src.startswith("data:image/png;base64,") for src in images)  # the chart
    assert "registered: product:NV-PARKA-01:0" in html
    assert re.search(r'<span style="background:#ffe58a;[^"]*">N0rv1k</span>', html)
    assert "against MSRP 349.00 EUR" in html and "(<span" in html
    assert "price 59.00 EUR is 17% of the 349.00 EUR MSRP" in html
    assert 'href="http://127.0.0.1:9/bazaar/item/BZ-1"' in html


def test_hostile_listing_text_is_escaped(seeded: Seeded) -> None:
    data = collect_digest(seeded.db, seeded.brand_id, "Norvik", registry=seeded.registry)
    html = render_html(data).html
    assert "<script" not in html.lower()
    assert "&lt;script&gt;alert(" in html
    assert "onerror" not in [k for _, attrs in start_tags(html) for k in attrs]
    hrefs = [a.get("href") or "" for tag, a in start_tags(html) if tag == "a"]
    assert hrefs and not any(h.lower().startswith("javascript") for h in hrefs)
    assert all(h.startswith(("http://", "https://")) for h in hrefs)


def test_csv_and_json_carry_every_entry(seeded: Seeded, tmp_path: Path) -> None:
    data = collect_digest(seeded.db, seeded.brand_id, "Norvik", registry=seeded.registry)
    rows = list(csv.DictReader(io.StringIO(render_csv(data))))
    assert [int(r["case_id"]) for r in rows] == [e.case_id for e in data.entries]
    by_id = {r["listing_id"]: r for r in rows}
    assert by_id["BZ-4"]["title"] == "'" + FORMULA_TITLE  # a formula stays text in a spreadsheet
    assert by_id["BZ-2"]["title"] == HOSTILE_TITLE
    assert float(by_id["BZ-1"]["price_ratio"]) == pytest.approx(59 / 349, abs=1e-3)
    payload = json.loads(render_json(data))
    assert payload["counts"]["total"] == len(payload["entries"]) == len(rows)
    assert {e["title"] for e in payload["entries"]} >= {HOSTILE_TITLE, FORMULA_TITLE}
    assert [e["risk"] for e in payload["entries"]] == [int(r["risk"]) for r in rows]
    assert sum(d["count"] for d in payload["trend"]) == len(rows)

    files = write_digest(seeded.db, seeded.brand_id, data, tmp_path / "out")
    assert set(files) == {"html", "csv", "json"} and all(p.is_file() for p in files.values())
    assert seeded.db.count(Digest) == 1


def test_next_digest_holds_only_what_changed(seeded: Seeded, tmp_path: Path) -> None:
    first = collect_digest(seeded.db, seeded.brand_id, "Norvik", registry=seeded.registry)
    write_digest(seeded.db, seeded.brand_id, first, tmp_path / "out")
    assert collect_digest(seeded.db, seeded.brand_id, "Norvik").entries == ()
    # The same listing seen again at half the price: a changed match, with its change.
    from decimal import Decimal

    from monitor.db import ListingInput

    row = seeded.db.listing(seeded.listing_pks["BZ-3"])
    seeded.db.upsert_listing(ListingInput(platform="bazaar", listing_id="BZ-3", url=row.url, title=row.title,
                                          description=row.description, price=Decimal("60.00"),
                                          currency="EUR", seller_name=row.seller_name))
    seeded.db.record_assessment(seeded.brand_id, row.id, findings=[{"kind": "mark", "score": 0.9,
                                "reason": "title names the mark 'Norvik'", "evidence": "Norvik"}],
                                risk=80, level="high", reasons=["cheaper now"], flagged=True)
    second = collect_digest(seeded.db, seeded.brand_id, "Norvik", registry=seeded.registry)
    assert [e.listing_id for e in second.entries] == ["BZ-3"]
    assert second.last_digest_total == len(first.entries)
    assert f"The last digest had {len(first.entries)} ({1 - len(first.entries)} today)" in render_html(second).html
    entry = second.entries[0]
    assert entry.change == "changed" and "price 120 → 60" in entry.changes
    assert "price 120 → 60" in render_html(second).html


def test_cid_mode_references_only_images_it_returns(seeded: Seeded) -> None:
    data = collect_digest(seeded.db, seeded.brand_id, "Norvik", registry=seeded.registry)
    rendered = render_html(data, images="cid")
    cids = set(re.findall(r'src="cid:([^"]+)"', rendered.html))
    assert cids and cids == {image.cid for image in rendered.images}
    assert "data:image" not in rendered.html


def test_detail_limit_lists_the_rest_compactly(seeded: Seeded) -> None:
    data = collect_digest(seeded.db, seeded.brand_id, "Norvik", registry=seeded.registry)
    html = render_html(data, detail_limit=2).html
    assert f"{len(data.entries) - 2} more, lower in risk" in html
    assert html.count("case #") == 2  # full cards for two; BZ-2 has no link: javascript: is not one


title_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60)


@given(title_text, st.lists(st.tuples(st.integers(0, 70), st.integers(0, 70)), max_size=5))
def test_title_parts_cover_the_title_and_mark_the_spans(title: str, spans: list[tuple[int, int]]) -> None:
    spans = [(min(a, b), max(a, b)) for a, b in spans]
    entry = DigestEntry(
        case_id=1, listing_pk=1, state="new", risk=90, level="high", change="new", platform="p",
        listing_id="1", url="http://x", title=title, seller="s", price="", currency="", msrp="",
        msrp_currency="", price_ratio=None, image_url=None, image_path=None, asset_key=None,
        asset_path=None, reasons=(), marks=(), title_marks=tuple(spans), changes=())
    parts = entry.title_parts()
    assert "".join(p.text for p in parts) == title
    marked_chars = set()
    pos = 0
    for part in parts:
        if part.marked:
            marked_chars |= set(range(pos, pos + len(part.text)))
        pos += len(part.text)
    wanted = {i for a, b in spans for i in range(a, min(b, len(title)))}
    assert marked_chars == wanted


@given(st.text(max_size=80))
def test_safe_url_only_passes_web_links(url: str) -> None:
    result = safe_url(url)
    assert result is None or result.lower().startswith(("http:", "https:"))


@given(st.lists(st.integers(0, 10_000), min_size=1, max_size=30))
def test_trend_chart_is_a_png_of_the_asked_size(counts: list[int]) -> None:
    start = dt.date(2026, 1, 1)
    trend = [TrendDay(start + dt.timedelta(days=i), n) for i, n in enumerate(counts)]
    with Image.open(io.BytesIO(trend_chart_png(trend, width=300, height=80))) as im:
        assert im.format == "PNG" and im.size == (300, 80)
        # the last day's bar is drawn in red when it has any count
        rgb = im.convert("RGB")
        red = any(r > 150 and g < 80 and b < 80 for r, g, b in
                  (rgb.getpixel((x, y)) for x in range(0, 300) for y in range(0, 80, 2)))
        assert red == (counts[-1] > 0)


def test_list_limit_points_to_the_csv(seeded: Seeded) -> None:
    data = collect_digest(seeded.db, seeded.brand_id, "Norvik", registry=seeded.registry)
    html = render_html(data, detail_limit=1, list_limit=2).html
    hidden = len(data.entries) - 3
    assert f"{len(data.entries) - 1} more, lower in risk" in html
    assert f"and {hidden} more in the attached CSV" in html


def test_since_may_be_naive_utc(seeded: Seeded) -> None:
    aware = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    naive = aware.replace(tzinfo=None)
    got = collect_digest(seeded.db, seeded.brand_id, "Norvik", since=naive)
    assert [e.case_id for e in got.entries] == [
        e.case_id for e in collect_digest(seeded.db, seeded.brand_id, "Norvik", since=aware).entries]
    assert got.entries and all(e.change == "new" for e in got.entries)


# -- issue 11 -------------------------------------------------------------------------------


def test_a_rerun_in_the_same_second_never_overwrites_a_digest(seeded: Seeded, tmp_path: Path) -> None:
    """Item 4: two digests of one moment (the second one empty) keep two sets of files, and
    each digest row points at its own."""
    out = tmp_path / "out"
    first = collect_digest(seeded.db, seeded.brand_id, "Norvik", registry=seeded.registry)
    first_files = write_digest(seeded.db, seeded.brand_id, first, out)
    kept = {ext: p.read_text(encoding="utf-8") for ext, p in first_files.items()}
    again = collect_digest(seeded.db, seeded.brand_id, "Norvik", now=first.created_at)
    assert again.entries == ()
    again = type(again)(brand=again.brand, since=again.since, created_at=first.created_at)
    second_files = write_digest(seeded.db, seeded.brand_id, again, out)
    assert set(first_files.values()).isdisjoint(second_files.values())
    assert {ext: p.read_text(encoding="utf-8") for ext, p in first_files.items()} == kept
    assert len(json.loads(second_files["json"].read_text(encoding="utf-8"))["entries"]) == 0
    with seeded.db.session() as s:
        paths = [d.path for d in s.exec(select(Digest))]
    assert len(paths) == 2 and len(set(paths)) == 2
    assert set(paths) == {str(first_files["html"]), str(second_files["html"])}


def _entry(**changes: object) -> DigestEntry:
    values: dict[str, object] = dict(
        case_id=7, listing_pk=7, state="new", risk=90, level="high", change="new", platform="p",
        listing_id="L-7", url="http://127.0.0.1:9/item/7", title="Norvik parka", seller="s", price="",
        currency="", msrp="", msrp_currency="", price_ratio=None, image_url=None, image_path=None,
        asset_key=None, asset_path=None, reasons=("r",), marks=(), title_marks=(), changes=())
    values.update(changes)
    return DigestEntry(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize("stored", [None, "/dev/zero", "missing.jpg", "not-an-image"])
def test_the_digest_never_loads_images_from_listings_hosts(tmp_path: Path, stored: str | None) -> None:
    """Item 11: without a thumbnail of our own, a placeholder and the address as text, never
    an <img> at the listing's host (a beacon, or a bomb, in every reader's mail)."""
    if stored == "not-an-image":
        (tmp_path / "fake.jpg").write_text("<html>", encoding="utf-8")
        stored = str(tmp_path / "fake.jpg")
    elif stored == "missing.jpg":
        stored = str(tmp_path / stored)
    beacon = "http://tracker.example/beacon.gif?reader=1"
    data = DigestData(brand="Norvik", since=None, created_at=dt.datetime.now(dt.UTC),
                      entries=(_entry(image_url=beacon, image_path=stored),))
    for mode in ("data", "cid"):
        html = render_html(data, images=mode).html  # type: ignore[arg-type]
        sources = re.findall(r'<img[^>]*\bsrc="([^"]*)"', html)
        assert all(s.startswith(("data:", "cid:")) for s in sources), sources
        assert "tracker.example" in html and "no photo stored" in html


def test_a_stored_thumbnail_is_embedded(tmp_path: Path) -> None:
    photo = tmp_path / "p.png"
    Image.new("RGB", (300, 200), "red").save(photo)
    data = DigestData(brand="Norvik", since=None, created_at=dt.datetime.now(dt.UTC),
                      entries=(_entry(image_url="http://tracker.example/x.gif", image_path=str(photo)),))
    html = render_html(data).html
    assert 'alt="listing photo"' in html and "no photo stored" not in html


def test_digest_to_an_unwritable_folder_is_one_line_and_exit_2(seeded: Seeded, tmp_path: Path) -> None:
    """Item 9: `digest --out /proc/nope`."""
    from conftest import run_cli

    done = run_cli("digest", "--brand", str(DEMO_BRAND), "--db", str(tmp_path / "review.db"),
                   "--out", "/proc/nope", cwd=tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "cannot write the digest" in lines[0] and "/proc/nope" in lines[0]
    with seeded.db.session() as s:
        assert s.exec(select(Digest)).first() is None
