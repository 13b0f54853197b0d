"""Takedown drafting: every template renders for a sample case with StrictUndefined and holds
every element its platform requires; per-notice limits; each refusal; evidence packs;
status tracking; re-listing detection; the CLI."""

from __future__ import annotations

import datetime as dt
import http.server
import json
import math
import re
import shutil
import threading
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jinja2 import UndefinedError
from PIL import Image

from conftest import DEMO_BRAND, run_cli
from monitor.assess import Assessor, ListingText
from monitor.db import Database, ListingInput
from monitor.errors import InputError, TakedownRefused
from monitor.evidence import highlight_segments, side_by_side
from monitor.models import Case, Listing, Takedown
from monitor.registry import Registry, load_registry
from monitor.takedown import (
    TRANSITIONS,
    PLATFORMS,
    draft_takedowns,
    notice_report,
    render_notice,
    set_notice_status,
)

PARKA = DEMO_BRAND.parent / "assets" / "parka.jpg"
TODAY = dt.date(2026, 6, 1)


@pytest.fixture(scope="module")
def registry() -> Registry:
    return load_registry(DEMO_BRAND)


@pytest.fixture(scope="module")
def assessor(registry: Registry) -> Assessor:
    return Assessor(registry)


def _copy_of_parka(folder: Path) -> Path:
    """A seller's copy of the brand's parka photo: cropped, scaled, re-encoded."""
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / "copied-parka.jpg"
    with Image.open(PARKA) as im:
        w, h = im.size
        im.convert("RGB").crop((30, 20, w - 20, h - 25)).resize((560, 560)).save(out, quality=85)
    return out


def add_case(db: Database, assessor: Assessor, brand_id: int, platform: str, listing_id: str, *,
             title: str = "Norvik Fjell Parka replica 1:1", seller: str = "Cheap Gear",
             price: str = "49", image: Path | None = None, state: str = "confirmed") -> Case:
    files = ({"url": f"http://img.example/{listing_id}.jpg", "sha256": f"sha-{image.name}",
              "path": str(image), "error": None},) if image else ()
    result = db.upsert_listing(ListingInput(
        platform=platform, listing_id=listing_id, url=f"https://{platform}.example/item/{listing_id}",
        title=title, seller_name=seller, price=Decimal(price), currency="EUR", image_files=files))
    a = assessor.assess(ListingText(platform=platform, title=title, seller=seller, price=Decimal(price),
                                    currency="EUR"), [str(image)] if image else [])
    case = db.record_assessment(brand_id, result.listing_pk, findings=a.finding_rows(), risk=a.risk.score,
                                level=a.risk.level, reasons=list(a.risk.reasons), flagged=a.flagged)
    assert case is not None
    return db.set_case_state(case.id, state)


def new_db(tmp_path: Path, registry: Registry) -> tuple[Database, int]:
    db = Database(str(tmp_path / "mw.db"))
    brand = db.upsert_brand(registry.brand, marks=[m.model_dump(mode="json") for m in registry.marks])
    return db, brand.id


# -- every template, every element ----------------------------------------------------------


@pytest.fixture(scope="module")
def drafts(tmp_path_factory: pytest.TempPathFactory, registry: Registry,
           assessor: Assessor) -> dict[str, str]:
    """One sample case per platform (with a copied photo, so the DMCA notice is drafted too),
    drafted with letters; template name -> rendered text."""
    tmp = tmp_path_factory.mktemp("drafts")
    db, brand_id = new_db(tmp, registry)
    image = _copy_of_parka(tmp / "images")
    for platform in ("amazon", "ebay", "aliexpress", "etsy", "shopify", "walmart", "bazaar"):
        add_case(db, assessor, brand_id, platform, f"{platform.upper()}-1001", image=image,
                 seller=f'Cheap "Gear" <b>{platform}</b>')
    drafted, refusals = draft_takedowns(db, registry, brand_id, tmp / "out", letters=True, today=TODAY)
    assert refusals == []
    texts: dict[str, str] = {}
    for d in drafted:
        for f in d.files:
            if not f.name.startswith("authorisation-"):
                texts.setdefault(f"{d.platform}:{f.name}", f.read_text(encoding="utf-8"))
    return texts


def _text(drafts: dict[str, str], platform: str, filename: str) -> str:
    return drafts[f"{platform}:{filename}"]


OWNER = ["Norvik Outdoor AB", "Sveavägen 44, 111 34 Stockholm, Sweden", "brand-protection@norvik.example",
         "+46 8 555 012 00"]
SIGNATURE = ["/Ingrid Dahl/", "Head of Brand Protection, Norvik Outdoor AB", TODAY.isoformat()]
US_MARK = ["6123456", "USPTO"]

# platform, file, element, what must appear (every string)
ELEMENTS: list[tuple[str, str, str, list[str]]] = [
    # 17 U.S.C. § 512(c)(3)(A)(i)-(vi)
    ("amazon", "dmca.txt", "(i) physical or electronic signature", SIGNATURE),
    ("amazon", "dmca.txt", "(ii) the copyrighted work", ["Copyright in the photograph", "Norvik Fjell Parka"]),
    ("amazon", "dmca.txt", "(iii) the infringing material and where it is",
     ["https://amazon.example/item/AMAZON-1001", "AMAZON-1001"]),
    ("amazon", "dmca.txt", "(iv) contact information", OWNER),
    ("amazon", "dmca.txt", "(v) good-faith statement",
     ["good faith belief that use of the material in the manner complained of is not authorized by the "
      "copyright owner, its agent, or the law"]),
    ("amazon", "dmca.txt", "(vi) accuracy, under penalty of perjury, authority",
     ["information in this notification is accurate, and under penalty of perjury",
      "authorized to act on behalf of the owner of an exclusive right that is allegedly infringed"]),
    # DSA Article 16(2)(a)-(d)
    ("bazaar", "dsa.txt", "(a) substantiated explanation why the content is illegal",
     ["Explanation of the reasons", "018234567", "EUIPO", "not genuine Norvik products"]),
    ("bazaar", "dsa.txt", "(b) exact electronic location", ["https://bazaar.example/item/BAZAAR-1001"]),
    ("bazaar", "dsa.txt", "(c) name and email of the submitter", ["Lindqvist & Berg Advokatbyrå KB",
                                                                  "ip@lindqvistberg.example"]),
    ("bazaar", "dsa.txt", "(d) bona fide statement",
     ["bona fide belief that the information and allegations contained in this notice are accurate and complete"]),
    # Amazon Report Infringement
    ("amazon", "amazon.txt", "reporter is owner or agent", ["agent authorised by the rights owner", "Norvik Outdoor AB"]),
    ("amazon", "amazon.txt", "brand name", ["Brand name: Norvik"]),
    ("amazon", "amazon.txt", "registration number and office", US_MARK),
    ("amazon", "amazon.txt", "ASINs or URLs within the limit", ["AMAZON-1001", "https://amazon.example/item/AMAZON-1001",
                                                                "at most 50"]),
    ("amazon", "amazon.txt", "kind of infringement", ["counterfeit goods"]),
    ("amazon", "amazon.txt", "explanation from the evidence", ["replica"]),
    ("amazon", "amazon.txt", "good faith statement", ["good faith belief"]),
    ("amazon", "amazon.txt", "accuracy under penalty of perjury", ["under penalty of perjury", "correct and accurate"]),
    ("amazon", "amazon.txt", "signature and contact", SIGNATURE + ["ip@lindqvistberg.example"]),
    # eBay VeRO Notice of Claimed Infringement
    ("ebay", "ebay_noci.txt", "rights owner", ["Name of the intellectual property rights owner: Norvik Outdoor AB"]),
    ("ebay", "ebay_noci.txt", "item numbers with reason codes", ["Item number: EBAY-1001", "Reason code:", "counterfeit"]),
    ("ebay", "ebay_noci.txt", "registration and jurisdiction", US_MARK + ["covers US"]),
    ("ebay", "ebay_noci.txt", "good faith statement", ["good faith belief that the listing(s) identified above"]),
    ("ebay", "ebay_noci.txt", "accuracy under penalty of perjury",
     ["information in this notice is accurate", "under penalty of perjury",
      "agent authorized to act on behalf of the owner"]),
    ("ebay", "ebay_noci.txt", "signature, name, title, company, address, phone, email, date",
     SIGNATURE + ["Company: Lindqvist & Berg Advokatbyrå KB", "Telephone:", "Email: ip@lindqvistberg.example"]),
    # Alibaba IP Protection Platform
    ("aliexpress", "alibaba_ipp.txt", "complainant identity and authorisation",
     ["agent of the rights holder", "letter of authorization", "authorisation-letter.txt"]),
    ("aliexpress", "alibaba_ipp.txt", "IPR registration covering China", ["CNIPA", "56789012", "covers CN"]),
    ("aliexpress", "alibaba_ipp.txt", "listing URLs within the limit",
     ["https://aliexpress.example/item/ALIEXPRESS-1001", "at most 300"]),
    ("aliexpress", "alibaba_ipp.txt", "complaint reason and description", ["Complaint reason: counterfeit goods",
                                                                           "Infringement description:"]),
    ("aliexpress", "alibaba_ipp.txt", "declaration and signature", ["true, accurate and complete"] + SIGNATURE),
    # Etsy
    ("etsy", "etsy.txt", "reporter, relationship and contact", ["Your name: Ingrid Dahl", "authorised agent of Norvik Outdoor AB"] + OWNER),
    ("etsy", "etsy.txt", "IP type and registration", ["Type of intellectual property: Trademark"] + US_MARK),
    ("etsy", "etsy.txt", "listings and how they infringe", ["https://etsy.example/item/ETSY-1001", "Where and how the listing infringes"]),
    ("etsy", "etsy.txt", "statements", ["good faith belief", "under penalty of perjury"]),
    ("etsy", "etsy.txt", "electronic signature", ["Electronic signature"] + SIGNATURE),
    # Shopify
    ("shopify", "shopify.txt", "reporter and role", ["Full name: Ingrid Dahl", "Role: authorised agent"]),
    ("shopify", "shopify.txt", "rights and jurisdiction", US_MARK + ["Jurisdiction: US"]),
    ("shopify", "shopify.txt", "store and product URLs", ["https://shopify.example/item/SHOPIFY-1001"]),
    ("shopify", "shopify.txt", "statements and signature", ["good faith belief", "under penalty of perjury"] + SIGNATURE),
    # Walmart
    ("walmart", "walmart.txt", "rights owner and brand", ["Rights owner name: Norvik Outdoor AB", "Brand: Norvik"]),
    ("walmart", "walmart.txt", "IP type and registration", ["IP type: Trademark"] + US_MARK),
    ("walmart", "walmart.txt", "item URLs within the limit", ["https://walmart.example/item/WALMART-1001", "at most 10"]),
    ("walmart", "walmart.txt", "infringement type", ["Infringement type: counterfeit goods"]),
    ("walmart", "walmart.txt", "statements and signature", ["good faith belief", "under penalty of perjury"] + SIGNATURE),
    # Cease and desist
    ("amazon", "cease_and_desist.html", "addressed to the seller", ["To: Cheap &#34;Gear&#34; &lt;b&gt;amazon&lt;/b&gt;"]),
    ("amazon", "cease_and_desist.html", "the rights", US_MARK + ["Norvik"]),
    ("amazon", "cease_and_desist.html", "the listings", ["https://amazon.example/item/AMAZON-1001"]),
    ("amazon", "cease_and_desist.html", "the demands and deadline", ["cease offering", "ten (10) days", "remove the listings"]),
    ("amazon", "cease_and_desist.html", "signature", ["/Ingrid Dahl/", "Head of Brand Protection"]),
]


@pytest.mark.parametrize(("platform", "filename", "element", "needles"), ELEMENTS,
                         ids=[f"{p}-{f.split('.')[0]}-{e.split(' ')[0]}" for p, f, e, _ in ELEMENTS])
def test_every_template_has_every_required_element(drafts: dict[str, str], platform: str, filename: str,
                                                   element: str, needles: list[str]) -> None:
    text = _text(drafts, platform, filename)
    for needle in needles:
        assert needle in text, f"{filename} lacks {element}: {needle!r}"


def test_every_template_file_is_drafted_and_tested(drafts: dict[str, str]) -> None:
    templates = {p.name.split(".")[0] for p in (Path(__file__).parent.parent / "takedown_templates").glob("*.j2")}
    drafted = {key.split(":")[1].split(".")[0] for key in drafts}
    # evidence is the evidence page, notice the fallback for platforms without their own form
    # amazon_patent is drafted and tested in test_claims_takedown.py (a patent case)
    assert templates - drafted == {"_macros", "evidence", "notice", "amazon_patent"}
    tested = {f.split(".")[0] for _, f, _, _ in ELEMENTS}
    assert drafted - tested == {"ebay_vero_api"}  # checked as JSON below


def test_ebay_vero_api_payload_is_json_with_reason_codes(drafts: dict[str, str]) -> None:
    payload = json.loads(_text(drafts, "ebay", "ebay_vero_api.json"))
    items = payload["reportItems"]
    assert items and {i["itemId"] for i in items} == {"EBAY-1001"}
    codes = {i["veroReasonCodeId"] for i in items}
    assert codes == {"9052", "7052"}  # a trademark and a copyright reason for the one item
    for item in items:
        assert item["brand"] == "Norvik" and item["copyEmailToRightsOwner"] is True
        assert 0 < len(item["messageToSeller"]) <= 1000 and 0 < len(item["detailedMessage"]) <= 1000


def test_the_fallback_notice_renders_for_an_unknown_platform(tmp_path: Path, registry: Registry,
                                                             assessor: Assessor) -> None:
    db, brand_id = new_db(tmp_path, registry)
    add_case(db, assessor, brand_id, "newmarket", "N-1")
    drafted, refusals = draft_takedowns(db, registry, brand_id, tmp_path / "out", today=TODAY)
    assert refusals == [] and [d.template for d in drafted] == ["notice"]
    text = drafted[0].path.read_text(encoding="utf-8")
    assert "under penalty of perjury" in text and "6123456" in text and "/Ingrid Dahl/" in text


@settings(max_examples=40, deadline=None)
@given(title=st.text(min_size=1, max_size=200))
def test_listing_text_cannot_break_the_vero_payload_or_the_letter(registry: Registry, title: str) -> None:
    from markupsafe import escape

    from monitor.takedown import notice_context

    item = {"case_id": 1, "url": "https://ebay.example/item/1", "listing_id": title, "seller": title,
            "title": title, "price": "", "currency": "", "kinds": ["mark"],
            "kind_text": "misuse", "marks": ["Norvik"], "reasons": [title], "explanation": title,
            "copyrights": [], "vero": [{"kind": "mark", "code": "9052", "text": "Trademark"}],
            "evidence": [], "rights": [], "rights_text": title}
    ctx = notice_context(registry, PLATFORMS["ebay"], [item], [], today=TODAY)
    payload = json.loads(render_notice("ebay_vero_api", ctx))
    assert payload["reportItems"][0]["itemId"] == title
    letter = render_notice("cease_and_desist", ctx)
    assert str(escape(title)) in letter


def test_templates_are_strict_about_missing_names(registry: Registry) -> None:
    with pytest.raises(UndefinedError):
        render_notice("dmca", {"date": "2026-01-01"})


def test_html_templates_escape_listing_text(drafts: dict[str, str]) -> None:
    letter = _text(drafts, "amazon", "cease_and_desist.html")
    assert "<b>amazon</b>" not in letter and "&lt;b&gt;amazon&lt;/b&gt;" in letter


# -- per-notice limits --------------------------------------------------------------------


@pytest.mark.parametrize(("platform", "count"), [("walmart", 23), ("amazon", 51), ("aliexpress", 301)])
def test_cases_are_grouped_within_each_platforms_limit(tmp_path: Path, registry: Registry,
                                                       assessor: Assessor, platform: str, count: int) -> None:
    db, brand_id = new_db(tmp_path, registry)
    ids = [add_case(db, assessor, brand_id, platform, f"L{i}", title="Trailforge boots replica").id
           for i in range(count)]
    drafted, refusals = draft_takedowns(db, registry, brand_id, tmp_path / "out", evidence=False, today=TODAY)
    limit = PLATFORMS[platform].items_per_notice
    assert refusals == []
    assert len(drafted) == math.ceil(count / limit)
    assert all(len(d.case_ids) <= limit for d in drafted)
    assert sorted(c for d in drafted for c in d.case_ids) == sorted(ids)
    listed = drafted[-1].path.read_text(encoding="utf-8")
    assert all(f"L{i}" not in listed.split() for i in range(limit))  # the first notice's, not this one's


# -- refusals -------------------------------------------------------------------------------


def _edited_registry(tmp_path: Path, old: str, new: str) -> Registry:
    folder = tmp_path / "brand"
    shutil.copytree(DEMO_BRAND.parent, folder)
    path = folder / "brand.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    return load_registry(path)


def test_refuses_an_expired_registration(tmp_path: Path, registry: Registry, assessor: Assessor) -> None:
    expired = _edited_registry(tmp_path, "expires: 2031-09-20", "expires: 2025-09-20")
    db, brand_id = new_db(tmp_path, registry)
    case = add_case(db, assessor, brand_id, "amazon", "A-1")
    drafted, refusals = draft_takedowns(db, expired, brand_id, tmp_path / "out", today=TODAY)
    assert drafted == []
    assert len(refusals) == 1 and f"case #{case.id}" in refusals[0]
    assert "6123456" in refusals[0] and "expired on 2025-09-20" in refusals[0]
    # the same case with the registration in force is drafted
    assert draft_takedowns(db, registry, brand_id, tmp_path / "out2", today=TODAY)[0]


def test_refuses_without_a_registration_covering_the_marketplace(tmp_path: Path, registry: Registry,
                                                                 assessor: Assessor) -> None:
    db, brand_id = new_db(tmp_path, registry)
    # "Summit Series" is registered at the EUIPO only: nothing covers Amazon's US
    case = add_case(db, assessor, brand_id, "amazon", "A-2", title="Summit Series tent replica")
    drafted, refusals = draft_takedowns(db, registry, brand_id, tmp_path / "out", today=TODAY)
    assert drafted == [] and len(refusals) == 1
    assert f"case #{case.id}" in refusals[0] and "no registration of 'Summit Series' covers US" in refusals[0]
    # on an EU marketplace the EUIPO registration covers it
    add_case(db, assessor, brand_id, "bazaar", "B-2", title="Summit Series tent replica")
    drafted, _ = draft_takedowns(db, registry, brand_id, tmp_path / "out", platform="bazaar", today=TODAY)
    assert len(drafted) == 1 and "018456789" in drafted[0].path.read_text(encoding="utf-8")


def test_a_marketplace_country_override_changes_the_registration_needed(tmp_path: Path, registry: Registry,
                                                                       assessor: Assessor) -> None:
    db, brand_id = new_db(tmp_path, registry)
    add_case(db, assessor, brand_id, "amazon", "A-DE", title="Summit Series tent replica")
    assert draft_takedowns(db, registry, brand_id, tmp_path / "us", today=TODAY)[0] == []
    drafted, refusals = draft_takedowns(db, registry, brand_id, tmp_path / "de", country="de", today=TODAY)
    assert refusals == [] and "covers DE" in drafted[0].path.read_text(encoding="utf-8")


@pytest.mark.parametrize(("update", "words"), [
    ("no signatory", ["signatory"]),
    ("no owner email", ["owner's email"]),
    ("no agent letter", ["authorisation letter"]),
])
def test_refuses_without_signatory_or_contact(tmp_path: Path, registry: Registry, assessor: Assessor,
                                              update: str, words: list[str]) -> None:
    if update == "no signatory":
        broken = registry.model_copy(update={"signatory": None})
    elif update == "no owner email":
        broken = registry.model_copy(update={"owner": registry.owner.model_copy(update={"email": ""})})
    else:
        broken = _edited_registry(tmp_path, "  authorisation_letter: assets/authorisation-letter.txt\n", "")
    db, brand_id = new_db(tmp_path, registry)
    add_case(db, assessor, brand_id, "amazon", "A-3")
    drafted, refusals = draft_takedowns(db, broken, brand_id, tmp_path / "out", today=TODAY)
    assert drafted == [] and len(refusals) == 1
    for word in words:
        assert word in refusals[0]
    assert db.count(Takedown) == 0


def test_refuses_an_authorised_seller(tmp_path: Path, registry: Registry, assessor: Assessor) -> None:
    db, brand_id = new_db(tmp_path, registry)
    case = add_case(db, assessor, brand_id, "bazaar", "B-3", seller="Fjällsport AB", title="Norvik parka")
    other = add_case(db, assessor, brand_id, "bazaar", "B-4")
    drafted, refusals = draft_takedowns(db, registry, brand_id, tmp_path / "out", today=TODAY)
    assert [d.case_ids for d in drafted] == [(other.id,)]
    assert refusals == [f"case #{case.id}: Fjällsport AB is an authorised bazaar seller; not an infringement to report"]


def test_refuses_a_seller_authorised_by_its_platform_id(tmp_path: Path, registry: Registry,
                                                        assessor: Assessor) -> None:
    db, brand_id = new_db(tmp_path, registry)
    case = add_case(db, assessor, brand_id, "shopstores", "S-1", seller="Norvik Flagship Shop")
    # the crawl learns the shop's platform id, which brand.yaml lists as authorised
    db.upsert_listing(ListingInput(platform="shopstores", listing_id="S-1", url="https://shopstores.example/item/S-1",
                                   title="Norvik Fjell Parka replica 1:1", seller_name="Norvik Flagship Shop",
                                   seller_id="norvik-official", price=Decimal("49"), currency="EUR"))
    drafted, refusals = draft_takedowns(db, registry, brand_id, tmp_path / "out", evidence=False, today=TODAY)
    assert drafted == []
    assert refusals == [f"case #{case.id}: Norvik Flagship Shop is an authorised shopstores seller; "
                        "not an infringement to report"]


def test_refuses_a_listing_already_gone(tmp_path: Path, registry: Registry, assessor: Assessor) -> None:
    db, brand_id = new_db(tmp_path, registry)
    case = add_case(db, assessor, brand_id, "ebay", "E-9")
    assert db.mark_removed("ebay", "E-9")
    drafted, refusals = draft_takedowns(db, registry, brand_id, tmp_path / "out", today=TODAY)
    assert drafted == [] and len(refusals) == 1
    assert f"case #{case.id}" in refusals[0] and "already gone" in refusals[0]


def test_refuses_a_case_already_in_an_open_notice(tmp_path: Path, registry: Registry, assessor: Assessor) -> None:
    db, brand_id = new_db(tmp_path, registry)
    case = add_case(db, assessor, brand_id, "walmart", "W-2")
    (first,), _ = draft_takedowns(db, registry, brand_id, tmp_path / "out", evidence=False, today=TODAY)
    drafted, refusals = draft_takedowns(db, registry, brand_id, tmp_path / "out", evidence=False, today=TODAY)
    assert drafted == [] and refusals == [
        f"case #{case.id}: already in notice #{first.takedown_id} (drafted); review and submit that notice "
        f"(`markwatch takedown mark {first.takedown_id} submitted`); a platform rejects duplicates"]
    set_notice_status(db, first.takedown_id, "submitted")
    set_notice_status(db, first.takedown_id, "rejected", note="missing registration certificate")
    drafted, refusals = draft_takedowns(db, registry, brand_id, tmp_path / "out", evidence=False, today=TODAY)
    assert refusals == [] and [d.case_ids for d in drafted] == [(case.id,)]


def test_nothing_to_draft_says_so(tmp_path: Path, registry: Registry, assessor: Assessor) -> None:
    db, brand_id = new_db(tmp_path, registry)
    add_case(db, assessor, brand_id, "ebay", "E-10", state="new")
    assert draft_takedowns(db, registry, brand_id, tmp_path / "out")[1][0].startswith("no cases to draft")
    assert len(draft_takedowns(db, registry, brand_id, tmp_path / "out", include_flagged=True)[0]) == 1


# -- evidence -------------------------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(text=st.text(max_size=80),
       spans=st.lists(st.tuples(st.integers(-5, 90), st.integers(-5, 90), st.sampled_from(["a", "b"])), max_size=6))
def test_highlight_pieces_join_back_to_the_text(text: str, spans: list[tuple[int, int, str]]) -> None:
    pieces = highlight_segments(text, spans)
    assert "".join(p["text"] for p in pieces) == text
    pos = 0
    for p in pieces:
        if p["mark"]:
            inside = [(a, b) for a, b, _ in spans if a < b and max(a, 0) < pos + len(p["text"]) and min(b, len(text)) > pos]
            assert inside, "a highlighted piece must come from a span"
        pos += len(p["text"])
    marked = {i for a, b, _ in spans if a < b for i in range(max(a, 0), min(b, len(text)))}
    pos = 0
    for p in pieces:
        chars = set(range(pos, pos + len(p["text"])))
        assert (chars <= marked) if p["mark"] else not (chars & marked)
        pos += len(p["text"])


def test_evidence_pack_has_photo_beside_asset_and_highlighted_text(tmp_path: Path, registry: Registry,
                                                                   assessor: Assessor) -> None:
    db, brand_id = new_db(tmp_path, registry)
    image = _copy_of_parka(tmp_path / "images")
    add_case(db, assessor, brand_id, "bazaar", "B-5", image=image,
             title="<script>alert(1)</script> N0rvik parka replica")
    drafted, _ = draft_takedowns(db, registry, brand_id, tmp_path / "out", today=TODAY)
    files = {p.name: p for p in drafted[0].evidence}
    pair = next(p for name, p in files.items() if name.startswith("image-product"))
    with Image.open(pair) as sheet, Image.open(image) as left:
        assert sheet.width > sheet.height  # two panels side by side
        assert sheet.height >= 420 and left.width > 0
    html = files["text.html"].read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    assert re.search(r"<mark[^>]*>N0rvik</mark>", html) and re.search(r"<mark[^>]*>replica</mark>", html)
    record = json.loads(files["evidence.json"].read_text(encoding="utf-8"))
    assert record["url"].endswith("B-5") and any(f["kind"] == "image" for f in record["findings"])


def test_side_by_side_keeps_both_images(tmp_path: Path) -> None:
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    Image.new("RGB", (300, 100), "red").save(a)
    Image.new("RGB", (100, 400), "blue").save(b)
    out = side_by_side(a, b, tmp_path / "pair.jpg", labels=("listing", "asset"))
    with Image.open(out) as sheet:
        assert sheet.format == "JPEG"
        rgb = sheet.convert("RGB")
        colours = {rgb.getpixel((x, sheet.height // 2)) for x in range(sheet.width)}

    def near(c: tuple[int, int, int], want: tuple[int, int, int]) -> bool:
        return max(abs(p - q) for p, q in zip(c, want)) <= 6  # JPEG's rounding, not a blend

    assert any(near(c, (255, 0, 0)) for c in colours) and any(near(c, (0, 0, 255)) for c in colours)


class _Pages(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        if self.path.startswith("/gone"):
            self.send_response(404)
            body = b"<html><body><h1>This listing has ended</h1></body></html>"
        else:
            self.send_response(200)
            body = b"<html><body><h1>Norvik parka replica</h1><p>49 EUR</p></body></html>"
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def pages() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Pages)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.browser
def test_screenshot_in_the_pack_and_a_404_page_is_refused_as_gone(tmp_path: Path, registry: Registry,
                                                                  assessor: Assessor, browser_path: str,
                                                                  pages: str) -> None:
    db, brand_id = new_db(tmp_path, registry)
    live = add_case(db, assessor, brand_id, "bazaar", "live")
    gone = add_case(db, assessor, brand_id, "bazaar", "gone")
    with db.session() as s:
        for case, path in ((live, "/item/live"), (gone, "/gone/1")):
            listing = s.get(Listing, case.listing_pk)
            listing.url = pages + path
            s.add(listing)
        s.commit()
    drafted, refusals = draft_takedowns(db, registry, brand_id, tmp_path / "out", browser_path=browser_path,
                                        today=TODAY)
    assert [d.case_ids for d in drafted] == [(live.id,)]
    assert len(refusals) == 1 and f"case #{gone.id}" in refusals[0] and "HTTP 404" in refusals[0]
    shot = next(p for p in drafted[0].evidence if p.name == "screenshot.png")
    with Image.open(shot) as im:
        assert im.format == "PNG" and im.width == 1280
    assert drafted[0].notes == ()


@pytest.mark.browser
def test_a_page_that_will_not_load_is_drafted_with_a_note_not_refused(tmp_path: Path, registry: Registry,
                                                                      assessor: Assessor, browser_path: str) -> None:
    db, brand_id = new_db(tmp_path, registry)
    case = add_case(db, assessor, brand_id, "bazaar", "down")
    with db.session() as s:
        listing = s.get(Listing, case.listing_pk)
        listing.url = "http://127.0.0.1:9/item/down"  # the discard port: the connection is refused
        s.add(listing)
        s.commit()
    drafted, refusals = draft_takedowns(db, registry, brand_id, tmp_path / "out", browser_path=browser_path,
                                        today=TODAY)
    assert refusals == [] and [d.case_ids for d in drafted] == [(case.id,)]
    assert len(drafted[0].notes) == 1 and "http://127.0.0.1:9/item/down: no screenshot" in drafted[0].notes[0]
    assert not any(p.name == "screenshot.png" for p in drafted[0].evidence)
    # Chromium that will not start: every listing says why it has no screenshot.
    db2, brand2 = new_db(tmp_path / "second", registry)
    cases = [add_case(db2, assessor, brand2, "bazaar", name) for name in ("a", "b")]
    drafted, refusals = draft_takedowns(db2, registry, brand2, tmp_path / "out2", browser_path=str(tmp_path / "no-chromium"),
                                        today=TODAY)
    notes = [n for d in drafted for n in d.notes]
    assert refusals == [] and len(notes) == len(cases) and all("Chromium did not start" in n for n in notes)


# -- status and re-listing -------------------------------------------------------------------


def test_status_changes_are_timestamped_and_checked(tmp_path: Path, registry: Registry, assessor: Assessor) -> None:
    db, brand_id = new_db(tmp_path, registry)
    add_case(db, assessor, brand_id, "ebay", "E-1")
    add_case(db, assessor, brand_id, "walmart", "W-1")
    drafted, _ = draft_takedowns(db, registry, brand_id, tmp_path / "out", evidence=False, today=TODAY)
    by = {d.platform: d.takedown_id for d in drafted if d.template != "dmca"}
    with pytest.raises(TakedownRefused, match="drafted; it can become submitted, not removed"):
        set_notice_status(db, by["ebay"], "removed")
    with pytest.raises(InputError, match="unknown notice status"):
        set_notice_status(db, by["ebay"], "won")
    with pytest.raises(InputError, match="no takedown notice #999"):
        set_notice_status(db, 999, "submitted")
    set_notice_status(db, by["ebay"], "submitted")
    notice = set_notice_status(db, by["ebay"], "removed", note="eBay ended the item")
    assert [h["status"] for h in notice.history] == ["drafted", "submitted", "removed"]
    assert notice.submitted_at is not None and notice.resolved_at >= notice.submitted_at
    assert db.listings("ebay")[0].status == "removed"
    set_notice_status(db, by["ebay"], "counter-noticed", at=dt.datetime(2026, 6, 5, 12, tzinfo=dt.UTC))
    (open_notice,) = [n for n in notice_report(db, brand_id).open_notices if n["id"] == by["ebay"]]
    assert open_notice["next"] == "file suit by 2026-06-19 or the listing may be restored"  # 10 business days
    set_notice_status(db, by["walmart"], "submitted")
    set_notice_status(db, by["walmart"], "rejected")
    report = notice_report(db, brand_id)
    rates = {p.platform: p.success_rate for p in report.platforms}
    assert rates == {"ebay": 0.0, "walmart": 0.0}  # a counter-noticed removal is not a success (yet)
    set_notice_status(db, by["ebay"], "removed")
    rates = {p.platform: p.success_rate for p in notice_report(db, brand_id).platforms}
    assert rates["ebay"] == 1.0
    assert {n["id"] for n in notice_report(db, brand_id).open_notices} == set()


def test_a_removed_listing_coming_back_opens_a_linked_case(tmp_path: Path, registry: Registry) -> None:
    from monitor.run import Monitor

    db = Database(str(tmp_path / "mw.db"))
    monitor = Monitor(registry, db, images_dir=tmp_path / "img")
    brand_id = monitor.brand.id

    photo = _copy_of_parka(tmp_path / "a")
    reupload = tmp_path / "b" / "reupload.jpg"
    reupload.parent.mkdir()
    with Image.open(photo) as im:
        im.resize((500, 500)).save(reupload, quality=70)  # re-encoded: other bytes, same photo
    other_photo = tmp_path / "b" / "boot.jpg"
    shutil.copy(DEMO_BRAND.parent / "assets" / "boot.jpg", other_photo)

    def crawl(listing_id: str, title: str, seller: str, image: Path | None = None) -> Listing:
        import hashlib

        files = ({"url": f"https://img.example/{listing_id}.jpg", "path": str(image), "error": None,
                  "sha256": hashlib.sha256(image.read_bytes()).hexdigest()},) if image else ()
        result = db.upsert_listing(ListingInput(platform="ebay", listing_id=listing_id,
                                                url=f"https://ebay.example/{listing_id}", title=title,
                                                seller_name=seller, seller_id=seller.lower(),
                                                price=Decimal("39"), currency="EUR", image_files=files))
        row = db.listing(result.listing_pk)
        monitor.assess_listing(row)
        return row

    first = crawl("E-1", "N0rvik parka replica", "FakeHouse", photo)
    case = db.cases(brand_id)[0]
    db.set_case_state(case.id, "confirmed")
    notice = draft_takedowns(db, registry, brand_id, tmp_path / "out", evidence=False, today=TODAY)[0][0]
    set_notice_status(db, notice.takedown_id, "submitted")
    set_notice_status(db, notice.takedown_id, "removed")

    crawl("E-1", "N0rvik parka replica, back again", "FakeHouse", photo)  # the same listing returns
    crawl("E-2", "Norvik boots 1:1", "FakeHouse")                      # same seller, new listing
    crawl("E-3", "Plain camping mug", "FakeHouse")                     # same seller, unrelated
    crawl("E-4", "Norvik boots replica", "SomeoneElse")                # someone else
    crawl("E-5", "Winter parka", "ThirdShop", reupload)                # the photo, re-encoded
    crawl("E-6", "Norvik boots, used", "FourthShop", other_photo)      # another photo
    cases = {db.listing(c.listing_pk).listing_id: c for c in db.cases(brand_id)
             if c.id != case.id}
    assert cases["E-1"].previous_case_id == case.id and cases["E-1"].listing_pk == first.id
    assert cases["E-2"].previous_case_id == case.id and "same seller" in (cases["E-2"].note or "")
    assert "E-3" not in cases
    assert cases["E-4"].previous_case_id is None
    assert cases["E-5"].previous_case_id == case.id and "re-encoded" in (cases["E-5"].note or "")
    assert cases["E-6"].previous_case_id is None
    assert db.count(Case) == 6


# -- CLI ------------------------------------------------------------------------------------


def test_cli_drafts_shows_status_and_records_changes(tmp_path: Path, registry: Registry, assessor: Assessor) -> None:
    db, brand_id = new_db(tmp_path, registry)
    add_case(db, assessor, brand_id, "walmart", "W-7")
    url = str(tmp_path / "mw.db")
    done = run_cli("takedown", "--brand", str(DEMO_BRAND), "--db", url, "--out", str(tmp_path / "out"),
                   "--no-screenshots", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    notice_id = int(re.search(r"drafted notice #(\d+)", done.stdout).group(1))
    done = run_cli("takedown", "mark", str(notice_id), "submitted", "--db", url, cwd=tmp_path)
    assert done.returncode == 0 and "now submitted" in done.stdout
    done = run_cli("takedown", "mark", str(notice_id), "counter-noticed", "--db", url, cwd=tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert len([x for x in done.stderr.splitlines() if x.strip()]) == 1
    done = run_cli("takedown", "status", "--db", url, "--json", cwd=tmp_path)
    report = json.loads(done.stdout)
    assert done.returncode == 0 and [n["status"] for n in report["open"]] == ["submitted"]
    assert report["platforms"][0]["counts"]["submitted"] == 1


def test_advice_for_a_case_already_in_a_notice_is_a_step_the_status_rules_allow() -> None:
    from monitor.takedown import _ALREADY_IN

    for status, advice in _ALREADY_IN.items():
        named = re.findall(r"takedown mark \{id\} ([a-z-]+)|`([a-z-]+)`", advice)
        steps = {a or b for a, b in named}
        assert steps <= {t.replace("_", "-") for t in TRANSITIONS[status]}, (status, steps)
    assert set(_ALREADY_IN) == {s for s in TRANSITIONS if s != "rejected"}  # a rejected notice is no obstacle


def test_the_authorisation_letter_the_notice_names_is_the_file_beside_it(tmp_path: Path, registry: Registry,
                                                                         assessor: Assessor) -> None:
    db, brand_id = new_db(tmp_path, registry)
    add_case(db, assessor, brand_id, "walmart", "W-5")
    (notice,), _ = draft_takedowns(db, registry, brand_id, tmp_path / "out", evidence=False, today=TODAY)
    text = notice.path.read_text(encoding="utf-8")
    named = re.search(r"attached \(([^)]+)\)", text)
    assert named, text
    assert (notice.path.parent / named[1]).is_file()
    assert "authorisation-authorisation" not in named[1]
