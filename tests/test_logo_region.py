"""Where a logo was found: the finding keeps the listing photo and the box, the review page
shows that photo with the box drawn, and the evidence pack draws it beside the registered
logo."""

from __future__ import annotations

import html
from decimal import Decimal
from pathlib import Path

import httpx
import numpy as np
from PIL import Image

from conftest import DEMO_BRAND
from media import turned_logo
from monitor.assess import Assessor, ListingText
from monitor.db import Database, ListingInput
from monitor.evidence import EvidenceCollector
from monitor.models import Finding
from monitor.registry import load_registry
from monitor.web import create_app
from review_seed import running
from sqlmodel import select

LOGO = DEMO_BRAND.parent / "assets" / "logo.png"
PLACED = (420, 300)  # where the logo is pasted on the seller's photo


def _photos(folder: Path) -> tuple[Path, Path]:
    plain = folder / "plain.png"
    Image.new("RGB", (640, 480), (90, 120, 160)).save(plain)
    with_logo = folder / "with-logo.png"
    canvas = Image.new("RGB", (800, 600), (236, 236, 230))
    with Image.open(LOGO) as im:
        mark = im.convert("RGBA")
        mark.thumbnail((300, 300))
        canvas.paste(mark, PLACED, mark)
    canvas.save(with_logo)
    return plain, with_logo


def _red(image: Image.Image) -> int:
    rgb = np.asarray(image.convert("RGB")).astype(int)
    return int(((rgb[..., 0] > 200) & (rgb[..., 1] < 60) & (rgb[..., 2] < 60)).sum())


def test_a_logo_finding_knows_its_photo_and_box_and_the_evidence_draws_it(tmp_path: Path) -> None:
    registry = load_registry(DEMO_BRAND)
    plain, with_logo = _photos(tmp_path)
    assessment = Assessor(registry, image_cache=None).assess(
        ListingText(platform="bazaar", title="Outdoor parka", seller="Cheap Gear"), [str(plain), str(with_logo)])
    (logo,) = [f for f in assessment.findings if f.kind == "image" and f.evidence.startswith("logo:")]
    assert logo.photo == 1
    x0, y0, x1, y1 = logo.region
    assert abs(x0 - PLACED[0]) <= 25 and abs(y0 - PLACED[1]) <= 40 and x1 - x0 >= 200

    db = Database(str(tmp_path / "mw.db"))
    brand = db.upsert_brand(registry.brand, marks=[m.model_dump(mode="json") for m in registry.marks])
    db.upsert_asset(brand.id, key=logo.evidence, kind="logo", path=str(LOGO), sha256="x", phash=None, product_sku=None)
    files = tuple({"url": f"http://img.example/{p.name}", "sha256": p.name, "path": str(p), "error": None}
                  for p in (plain, with_logo))
    stored = db.upsert_listing(ListingInput(platform="bazaar", listing_id="BZ-9", url="https://bazaar.example/BZ-9",
                                            title="Outdoor parka", seller_name="Cheap Gear", price=Decimal("40"),
                                            currency="EUR", image_files=files))
    case = db.record_assessment(brand.id, stored.listing_pk, findings=assessment.finding_rows(),
                                risk=assessment.risk.score, level=assessment.risk.level,
                                reasons=list(assessment.risk.reasons), flagged=assessment.flagged)
    with db.session() as s:
        row = s.exec(select(Finding).where(Finding.kind == "image")).one()
    assert row.photo == 1 and row.region == list(logo.region)

    # the evidence pack: the side-by-side sheet has the box drawn on the listing's photo
    with EvidenceCollector(registry, tmp_path / "evidence") as collector:
        pack = collector.collect(db.listing(stored.listing_pk), [row])
    (sheet,) = [p for p in pack.files if p.name.startswith("image-")]
    with Image.open(sheet) as im:
        assert _red(im) > 200

    # the review page: the photo with the logo is shown boxed, the other plain
    app = create_app(db, registry, takedown_dir=tmp_path / "takedowns")
    with running(app) as url, httpx.Client(base_url=url, timeout=30) as http:
        page = http.get(f"/cases/{case.id}").text
        assert f'/media/listing/{stored.listing_pk}/1?box={row.id}' in page and "boxed in red" in page
        assert f'src="/media/listing/{stored.listing_pk}/0"' in page
        boxed = http.get(f"/media/listing/{stored.listing_pk}/1?box={row.id}")
        assert boxed.status_code == 200 and boxed.headers["content-type"] == "image/png"
        import io

        with Image.open(io.BytesIO(boxed.content)) as im:
            assert _red(im) > 200
        assert http.get(f"/media/listing/{stored.listing_pk}/0?box={row.id}").status_code == 404  # not its photo
        assert http.get(f"/media/listing/{stored.listing_pk}/1?box=99999").status_code == 404
        assert "logo 1 of the mark 'Norvik' boxed in red" in html.unescape(page)


def test_the_logo_search_is_spent_on_the_main_photo_and_on_listings_nothing_else_tied(tmp_path: Path) -> None:
    registry = load_registry(DEMO_BRAND)
    plain, _ = _photos(tmp_path)
    turned = tmp_path / "turned-logo.png"
    turned_logo(LOGO).save(turned)
    assessor = Assessor(registry, image_cache=None, ocr=False)

    def logo_photos(title: str, photos: list[Path]) -> list[int | None]:
        found = assessor.assess(ListingText(platform="bazaar", title=title, seller="Cheap Gear"),
                                [str(p) for p in photos])
        return [f.photo for f in found.findings if f.kind == "image" and f.evidence.startswith("logo:")]

    # the title names the mark: the main photo is still searched for the logo ...
    assert logo_photos("Norvik parka", [turned, plain]) == [0]
    # ... a later photo is not: the listing is the brand's business already ...
    assert logo_photos("Norvik parka", [plain, turned]) == []
    # ... unless nothing else tied the listing to the brand
    assert logo_photos("Outdoor parka", [plain, turned]) == [1]
    assert logo_photos("Outdoor parka", [plain, plain, turned]) == [2]
