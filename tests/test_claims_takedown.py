"""Notices for patents and copied text: an Amazon APEX request (patent number, the claim, the
ASINs with their element charts, the owner's statement), Walmart's patent claim type, eBay
VeRO's patent reason code with its patent field, a DMCA notice quoting the copied passages;
and the refusals: an expired patent, one not covering the marketplace, a claim not fully
shown, no signatory, no site code for eBay's patent reason."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest

from ipbrand import PATENT, SIZE_GUIDE, write_brand
from monitor.assess import Assessor, ListingText
from monitor.db import Database, ListingInput
from monitor.models import Takedown
from monitor.registry import Registry, load_registry
from monitor.takedown import draft_takedowns, render_notice

TODAY = dt.date(2026, 6, 1)
KNOCKOFF_TITLE = "Trekking pole, z-fold aluminium with flick lock, tungsten carbide tip, cork handle"
COPIED = "Best pole! " + SIZE_GUIDE + " Fast shipping."  # copies no claim's elements


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Registry:
    return load_registry(write_brand(tmp_path_factory.mktemp("ipbrand")))


@pytest.fixture(scope="module")
def assessor(registry: Registry) -> Assessor:
    return Assessor(registry, image_cache=None)


def _case(db: Database, assessor: Assessor, brand_id: int, platform: str, listing_id: str, *,
          title: str = KNOCKOFF_TITLE, description: str | None = None) -> int:
    result = db.upsert_listing(ListingInput(
        platform=platform, listing_id=listing_id, url=f"https://{platform}.example/item/{listing_id}",
        title=title, description=description, seller_name="Budget Trails", price=Decimal("19"),
        currency="USD"))
    a = assessor.assess(ListingText(platform=platform, title=title, description=description,
                                 seller="Budget Trails", price=Decimal("19"), currency="USD"))
    assert a.flagged, a.risk.reasons
    case = db.record_assessment(brand_id, result.listing_pk, findings=a.finding_rows(), risk=a.risk.score,
                                level=a.risk.level, reasons=list(a.risk.reasons), flagged=a.flagged)
    assert case is not None
    return db.set_case_state(case.id, "confirmed").id


def _db(tmp_path: Path, registry: Registry) -> tuple[Database, int]:
    db = Database(str(tmp_path / "mw.db"))
    brand = db.upsert_brand(registry.brand, marks=[m.model_dump(mode="json") for m in registry.marks])
    return db, brand.id


def _files(drafted) -> dict[str, str]:  # type: ignore[no-untyped-def]
    out: dict[str, str] = {}
    for d in drafted:
        for f in d.files:
            out.setdefault(f"{d.platform}:{f.name}", f.read_text(encoding="utf-8"))
    return out


@pytest.fixture(scope="module")
def drafts(tmp_path_factory: pytest.TempPathFactory, registry: Registry, assessor: Assessor) -> dict[str, str]:
    tmp = tmp_path_factory.mktemp("drafts")
    db, brand_id = _db(tmp, registry)
    for platform in ("amazon", "walmart", "ebay"):
        _case(db, assessor, brand_id, platform, f"{platform.upper()}-P1")
        _case(db, assessor, brand_id, platform, f"{platform.upper()}-C1", title="Walking pole", description=COPIED)
    drafted, refusals = draft_takedowns(db, registry, brand_id, tmp / "out", today=TODAY, letters=True,
                                        vero_reason_codes={"patent": "9101"})
    assert refusals == []
    return _files(drafted)


SIGNATURE = ["/Kari Nordmann/", "General Counsel", TODAY.isoformat()]
OWNER = ["Halvard Friluft AS", "Storgata 1, 0155 Oslo, Norway", "ip@halvard.example", "+47 22 00 00 00"]
CHART = ["lever lock: shown as \"flick lock\" (title)", "carbide tip: shown as \"carbide tip\" (title)",
         "cork grip: shown as \"cork handle\" (title)"]

ELEMENTS = [
    # Amazon Patent Evaluation Express
    ("amazon", "amazon_patent.txt", "patent owner and contact", ["Submitted by the patent owner"] + OWNER),
    ("amazon", "amazon_patent.txt", "patent number and office", [f"Patent number: {PATENT}", "USPTO (utility patent)",
                                                                "In force until: 2031-04-02"]),
    ("amazon", "amazon_patent.txt", "one claim", ["Claim asserted: claim 1"]),
    ("amazon", "amazon_patent.txt", "the ASINs within the limit", ["ASIN: AMAZON-P1", "https://amazon.example/item/AMAZON-P1",
                                                                  "at most 50 per request"]),
    ("amazon", "amazon_patent.txt", "element-by-element chart", CHART),
    ("amazon", "amazon_patent.txt", "owner's statement", ["meet every element of claim 1 of patent " + PATENT,
                                                         "Patent Evaluation Express", "good faith belief",
                                                         "under penalty of perjury"]),
    ("amazon", "amazon_patent.txt", "signature", SIGNATURE),
    # DMCA for copied text, quoting the passages
    ("amazon", "dmca.txt", "(ii) the copyrighted text", ["Copyright in the text \"Fjellstav size guide\""]),
    ("amazon", "dmca.txt", "(iii) where, and the passages quoted", ["https://amazon.example/item/AMAZON-C1",
                                                                    "> \"Choose a pole length that puts your elbow at a right angle"]),
    ("amazon", "dmca.txt", "(v) good faith", ["good faith belief"]),
    ("amazon", "dmca.txt", "(vi) under penalty of perjury", ["under penalty of perjury"]),
    ("amazon", "dmca.txt", "(i) signature", SIGNATURE),
    # Walmart: the patent claim type with the patent number
    ("walmart", "walmart.txt", "IP type", ["IP type: Copyright and Patent"]),
    ("walmart", "walmart.txt", "patent number", [f"Patent number: {PATENT} (claim 1)", "Utility patent " + PATENT]),
    ("walmart", "walmart.txt", "items and how", ["https://walmart.example/item/WALMART-P1", "meets every element of claim 1"]
     + CHART),
    ("walmart", "walmart.txt", "copied passages", ["WALMART-C1", "> \"Choose a pole length"]),
    ("walmart", "walmart.txt", "signature", SIGNATURE),
    # eBay NOCI with the patent reason and its number
    ("ebay", "ebay_noci.txt", "patent reason code and number", ["Reason code: 9101 — Patent",
                                                                f"Patent number: {PATENT}"]),
    ("ebay", "ebay_noci.txt", "copied text reason code", ["Reason code: 7052 — Copyright - listing(s) contains unlawful copy of copyrighted text"]),
    ("ebay", "ebay_noci.txt", "the patent", ["Utility patent " + PATENT]),
    ("ebay", "ebay_noci.txt", "signature", SIGNATURE),
    # the letter to the seller names the patent and the text
    ("amazon", "cease_and_desist.html", "rights named", ["Utility patent " + PATENT, "Copyright in the text"]),
]


@pytest.mark.parametrize(("platform", "filename", "element", "needles"), ELEMENTS,
                         ids=[f"{p}-{f.split('.')[0]}-{e.split(' ')[0]}" for p, f, e, _ in ELEMENTS])
def test_every_new_notice_has_every_required_element(drafts: dict[str, str], platform: str, filename: str,
                                                     element: str, needles: list[str]) -> None:
    text = drafts[f"{platform}:{filename}"]
    for needle in needles:
        assert needle in text, f"{filename} lacks {element}: {needle!r}"


def test_a_patent_only_case_is_not_in_amazons_trademark_report(drafts: dict[str, str]) -> None:
    assert "AMAZON-P1" not in drafts["amazon:amazon.txt"]
    assert "AMAZON-C1" in drafts["amazon:amazon.txt"] and "Copyright" in drafts["amazon:amazon.txt"]
    assert "AMAZON-C1" not in drafts["amazon:amazon_patent.txt"]
    assert "Trademark" not in drafts["amazon:amazon.txt"].split("3. The rights")[0].split("Rights type:")[1]


def test_the_vero_payload_carries_the_patent_field(drafts: dict[str, str]) -> None:
    items = json.loads(drafts["ebay:ebay_vero_api.json"])["reportItems"]
    patent = [i for i in items if i["itemId"] == "EBAY-P1"]
    assert [i["veroReasonCodeId"] for i in patent] == ["9101"] and patent[0]["patent"] == PATENT
    copied = [i for i in items if i["itemId"] == "EBAY-C1"]
    assert [i["veroReasonCodeId"] for i in copied] == ["7052"] and "patent" not in copied[0]


def _refused(tmp_path: Path, registry: Registry, assessor: Assessor, platform: str, *,
             draft_with: Registry | None = None, today: dt.date = TODAY, country: str | None = None,
             **kw: object) -> tuple[list, list[str], int]:
    db, brand_id = _db(tmp_path, registry)
    case_id = _case(db, assessor, brand_id, platform, "X-1")
    drafted, refusals = draft_takedowns(db, draft_with or registry, brand_id, tmp_path / "out", today=today,
                                        country=country, **kw)
    return drafted, refusals, case_id


def test_refuses_an_expired_patent(tmp_path: Path, registry: Registry, assessor: Assessor) -> None:
    drafted, refusals, case_id = _refused(tmp_path, registry, assessor, "amazon", today=dt.date(2031, 5, 1))
    assert drafted == [] and len(refusals) == 1
    assert f"case #{case_id}" in refusals[0] and PATENT in refusals[0] and "expired on 2031-04-02" in refusals[0]


def test_refuses_a_patent_not_covering_the_marketplace(tmp_path: Path, registry: Registry,
                                                       assessor: Assessor) -> None:
    # Found on amazon.com (US); the notice is asked for Amazon's German store.
    drafted, refusals, case_id = _refused(tmp_path, registry, assessor, "amazon", country="DE")
    assert drafted == [] and len(refusals) == 1 and f"case #{case_id}" in refusals[0]
    assert PATENT in refusals[0] and "in force in US, not in DE" in refusals[0]


def test_refuses_a_claim_not_fully_shown(tmp_path: Path, registry: Registry, assessor: Assessor) -> None:
    db, brand_id = _db(tmp_path, registry)
    title = "Folding trekking pole with flick lock and carbide tip"  # no cork grip
    case_id = _case(db, assessor, brand_id, "walmart", "W-2", title=title)
    drafted, refusals = draft_takedowns(db, registry, brand_id, tmp_path / "out", today=TODAY)
    assert drafted == [] and len(refusals) == 1
    assert f"case #{case_id}" in refusals[0] and "3 of the 4 elements" in refusals[0]
    assert "not shown: cork grip" in refusals[0] and "counsel" in refusals[0]


def test_refuses_ebay_patent_without_the_sites_reason_code(tmp_path: Path, registry: Registry,
                                                          assessor: Assessor) -> None:
    drafted, refusals, _ = _refused(tmp_path, registry, assessor, "ebay")
    assert drafted == [] and len(refusals) == 1 and "vero_reason_code" in refusals[0]


def test_refuses_a_platform_without_a_drafted_patent_form(tmp_path: Path, registry: Registry,
                                                          assessor: Assessor) -> None:
    drafted, refusals, _ = _refused(tmp_path, registry, assessor, "etsy")
    assert drafted == [] and "Etsy takes patent claims through its own patent form" in refusals[0]


def test_refuses_without_a_signatory(tmp_path: Path, registry: Registry, assessor: Assessor) -> None:
    broken = registry.model_copy(update={"signatory": None})
    drafted, refusals, _ = _refused(tmp_path, registry, assessor, "amazon", draft_with=broken)
    assert drafted == [] and len(refusals) == 1 and "signatory" in refusals[0]
    db = Database(str(tmp_path / "mw.db"))
    assert db.count(Takedown) == 0


def test_the_apex_template_is_strict(registry: Registry) -> None:
    from jinja2 import UndefinedError

    with pytest.raises(UndefinedError):
        render_notice("amazon_patent", {"patents": [{"number": PATENT}], "date": "2026-01-01"})


def test_the_digest_gives_the_patent_and_copy_reasons_in_words(tmp_path: Path, registry: Registry,
                                                               assessor: Assessor) -> None:
    from monitor.digest import collect_digest, render_csv, render_html

    db, brand_id = _db(tmp_path, registry)
    _case(db, assessor, brand_id, "amazon", "D-1")
    _case(db, assessor, brand_id, "amazon", "D-2", title="Walking pole", description=COPIED)
    data = collect_digest(db, brand_id, registry.brand, registry=registry)
    html = render_html(data).html
    assert f"every element of claim 1 of {PATENT}" in html and "expires 2031-04-02" in html
    assert "copies 100% of &#39;Fjellstav size guide&#39;" in html or "copies 100% of 'Fjellstav size guide'" in html
    assert f"claim 1 of {PATENT}" in render_csv(data)
