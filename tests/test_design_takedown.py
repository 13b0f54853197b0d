"""Takedowns for registered designs: the design claim types on Walmart, eBay VeRO (NOCI and
API, with the design number), Amazon's design patent report and the EU DSA notice, each
rendered with StrictUndefined and holding every element; the figure beside the photo in the
evidence; and the refusals: expired, no jurisdiction, no design form, no eBay code, no signatory."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from conftest import DEMO_BRAND
from media import bottle, drawing, photo, with_designs
from monitor.assess import Assessor, ListingText
from monitor.db import Database, ListingInput
from monitor.models import Case
from monitor.registry import Registry, load_registry
from monitor.takedown import draft_takedowns

TODAY = dt.date(2026, 6, 1)
DESIGNS = """
designs:
  - number: "015000123-0001"
    office: EUIPO
    expires: 2031-05-01
    product: drinking bottle
    figures: [design/bottle-1.png]
  - number: D987,654
    office: USPTO
    expires: {us_expires}
    product: drinking bottle
    figures: [design/bottle-1.png]
"""


def _registry(folder: Path, *, us_expires: str = "2038-01-02") -> Registry:
    shutil.copytree(DEMO_BRAND.parent, folder)
    (folder / "design").mkdir()
    (folder / "design" / "bottle-1.png").write_bytes(drawing(bottle()))
    path = folder / "brand.yaml"
    path.write_text(with_designs(path.read_text(encoding="utf-8"), DESIGNS.format(us_expires=us_expires)), encoding="utf-8")
    return load_registry(path)


def _case(db: Database, assessor: Assessor, brand_id: int, platform: str, listing_id: str, image: Path) -> Case:
    title = "Insulated drinking bottle 750 ml"
    files = ({"url": f"http://img.example/{listing_id}.jpg", "sha256": "x", "path": str(image), "error": None},)
    result = db.upsert_listing(ListingInput(
        platform=platform, listing_id=listing_id, url=f"https://{platform}.example/item/{listing_id}",
        title=title, seller_name="Bottle Barn", price=Decimal("9"), currency="EUR", image_files=files))
    a = assessor.assess(ListingText(platform=platform, title=title, seller="Bottle Barn"), [image])
    assert any(f.kind == "design" for f in a.findings), a.ip_notes
    case = db.record_assessment(brand_id, result.listing_pk, findings=a.finding_rows(), risk=a.risk.score,
                                level=a.risk.level, reasons=list(a.risk.reasons), flagged=a.flagged)
    assert case is not None
    return db.set_case_state(case.id, "confirmed")


def _setup(tmp: Path, platforms: list[str], **kw):  # type: ignore[no-untyped-def]
    registry = _registry(tmp / "brand", **kw)
    assessor = Assessor(registry, image_cache=None)
    db = Database(str(tmp / "mw.db"))
    brand_id = db.upsert_brand(registry.brand, marks=[m.model_dump(mode="json") for m in registry.marks]).id
    image = tmp / "bottle.jpg"
    image.write_bytes(photo(bottle(), scale=0.75, angle=4))
    cases = {p: _case(db, assessor, brand_id, p, f"{p.upper()}-77", image) for p in platforms}
    return registry, db, brand_id, cases


@pytest.fixture(scope="module")
def drafted(tmp_path_factory):  # type: ignore[no-untyped-def]
    tmp = tmp_path_factory.mktemp("designs")
    registry, db, brand_id, cases = _setup(tmp, ["amazon", "ebay", "walmart", "bazaar"])
    drafts, refusals = draft_takedowns(db, registry, brand_id, tmp / "out", today=TODAY,
                                       vero_reason_codes={"design": "4242"})
    assert refusals == []
    texts = {f"{d.platform}:{f.name}": f.read_text(encoding="utf-8") for d in drafts for f in d.files
             if not f.name.startswith("authorisation-")}
    evidence = [p for d in drafts for p in d.evidence]
    return texts, evidence


US = ["D987,654", "USPTO design patent D987,654", "drinking bottle", "2038-01-02", "figure 1",
      "listing photo 1", "silhouette", "AMAZON-77"]
ELEMENTS = [
    ("amazon", "amazon.txt", ["Rights type: Patent — design patent", "Design patent D987,654 (USPTO)",
                              "Infringement concern", *US[1:-1], "AMAZON-77", "/Ingrid Dahl/"]),
    ("walmart", "walmart.txt", ["IP type: Patent (design)", "Patent number: D987,654 (design: design patent, USPTO)",
                                *US[1:-1], "WALMART-77", "penalty of perjury"]),
    ("ebay", "ebay_noci.txt", ["Reason code: 4242 — Design", "Design / design patent number: D987,654",
                               "Design patent D987,654 (USPTO)", *US[1:-1], "EBAY-77", "Item number: EBAY-77"]),
    ("bazaar", "dsa.txt", ["ARTICLE 16", "Registered Community design 015000123-0001 (EUIPO)",
                           "Article 19 of Regulation (EC) No 6/2002", "in force until 2031-05-01; covers SE",
                           "listing photo 1", "figure 1", "BAZAAR-77", "bona fide"]),
]


@pytest.mark.parametrize(("platform", "name", "words"), ELEMENTS, ids=[e[0] for e in ELEMENTS])
def test_every_design_notice_holds_every_element(drafted, platform: str, name: str, words: list[str]) -> None:
    texts, _ = drafted
    text = texts[f"{platform}:{name}"]
    for word in words:
        assert word in text, f"{platform} {name} lacks {word!r}"
    # the trademark sentence is not claimed for a design-only notice
    assert "Article 9 of Regulation (EU) 2017/1001" not in text


def test_the_vero_api_payload_carries_the_design_number(drafted) -> None:
    texts, _ = drafted
    payload = json.loads(texts["ebay:ebay_vero_api.json"])
    (report,) = payload["reportItems"]
    assert report["veroReasonCodeId"] == "4242" and report["patent"] == "D987,654"
    assert "design patent D987,654" in report["detailedMessage"]


def test_the_figure_is_beside_the_listing_photo_in_the_evidence(drafted) -> None:
    _, evidence = drafted
    pairs = [p for p in evidence if p.name.startswith("design-design-")]
    assert pairs and all(p.is_file() for p in pairs)
    from PIL import Image

    with Image.open(pairs[0]) as im:
        assert im.width > im.height  # two panels side by side


@pytest.mark.parametrize(("platform", "today", "country", "words"), [
    ("amazon", dt.date(2038, 1, 3), None, ["design D987,654 expired on 2038-01-02", "in force"]),
    ("walmart", TODAY, "CA", ["design D987,654 is in force in US, not in CA where Walmart Marketplace sells"]),
    ("etsy", TODAY, None, ["Etsy takes design claims through its own form"]),
    ("ebay", TODAY, None, ["eBay's design reason code id is site-specific", "vero_reason_codes"]),
], ids=["expired", "no jurisdiction", "no design form", "no ebay code"])
def test_refusals(tmp_path: Path, platform: str, today: dt.date, country: str | None, words: list[str]) -> None:
    registry, db, brand_id, cases = _setup(tmp_path, [platform])
    drafts, refusals = draft_takedowns(db, registry, brand_id, tmp_path / "out", today=today, country=country)
    assert drafts == []
    assert len(refusals) == 1 and refusals[0].startswith(f"case #{cases[platform].id}:")
    for word in words:
        assert word in refusals[0]


def test_no_signatory_no_design_notice(tmp_path: Path) -> None:
    registry, db, brand_id, _ = _setup(tmp_path, ["walmart"])
    drafts, refusals = draft_takedowns(db, registry.model_copy(update={"signatory": None}), brand_id,
                                       tmp_path / "out", today=TODAY)
    assert drafts == [] and "signatory" in refusals[0]


def test_a_listing_video_showing_the_brands_video_is_a_copyright_notice(tmp_path: Path) -> None:
    """A video_frame finding (a frame of the brand's own product video in the listing's video)
    makes a DMCA notice naming the product video, beside the platform's own notice."""
    from media import brand_with_designs, encode, scene

    registry = load_registry(brand_with_designs(DEMO_BRAND, tmp_path / "brand", video=True))
    assessor = Assessor(registry, image_cache=None)
    db = Database(str(tmp_path / "mw.db"))
    brand_id = db.upsert_brand(registry.brand, marks=[m.model_dump(mode="json") for m in registry.marks]).id
    copied = encode(tmp_path / "copied.webm", [scene(50), scene(2)], codec="libvpx", seconds_each=1.5)
    result = db.upsert_listing(ListingInput(platform="etsy", listing_id="ETSY-5", url="https://etsy.example/5",
                                            title="Handmade bottle", seller_name="Bottle Barn"))
    a = assessor.assess(ListingText(platform="etsy", title="Handmade bottle", seller="Bottle Barn"), [], [copied])
    assert [f.kind for f in a.findings][:1] == ["video_frame"]
    case = db.record_assessment(brand_id, result.listing_pk, findings=a.finding_rows(), risk=a.risk.score,
                                level=a.risk.level, reasons=list(a.risk.reasons), flagged=a.flagged)
    db.set_case_state(case.id, "confirmed")
    drafts, refusals = draft_takedowns(db, registry, brand_id, tmp_path / "out", today=TODAY)
    assert refusals == []
    texts = {d.template: d.path.read_text(encoding="utf-8") for d in drafts}
    sku = registry.products[0].sku
    for name in ("etsy", "dmca"):
        assert "The listing's video shows images owned by the rights owner" in texts[name]
        assert "frame at 0:0" in texts[name] and f"of video 1 of the {registry.products[0].name} ({sku})" in texts[name]
    assert f"Copyright in the video 1 of the {registry.products[0].name} ({sku})" in texts["dmca"]
    assert f"our reference video:{sku}:0)" in texts["dmca"]


def test_the_digest_gives_the_design_reason_in_words(tmp_path: Path) -> None:
    from monitor.digest import collect_digest, render_csv, render_html

    registry, db, brand_id, _ = _setup(tmp_path, ["walmart"])
    data = collect_digest(db, brand_id, registry.brand, registry=registry)
    html = render_html(data).html
    reason = "listing photo 1 shows the shape of USPTO design patent D987,654"
    assert reason in html and "expires 2038-01-02: silhouette overlap" in html
    assert reason in render_csv(data)
