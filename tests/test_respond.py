"""Answers for sellers: each kind of complaint gets the answer that fits, the grounds come
from the complainant's own registration, and every answer carries its statutory elements
and its deadline."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from conftest import DEMO_BRAND, run_cli
from monitor.clearance import ClearanceListing
from monitor.errors import InputError
from monitor.registry import Registry, load_registry
from monitor.respond import (
    Complaint,
    answer_complaint,
    complaint_from_text,
    read_complaint,
    responses_due,
    write_response,
)

TODAY = dt.date(2026, 12, 1)
SELLER = {"name": "Alpine Basics Ltd", "address": "12 Harbour Road, Dublin 2, Ireland", "phone": "+353 1 555 0100",
          "email": "support@alpinebasics.example", "own_work": True}


def _complaint(**changes: object) -> Complaint:
    data: dict[str, object] = {
        "platform": "amazon", "kind": "trademark", "received": "2026-11-30", "reference": "CASE-4411",
        "complainant": {"name": "Norvik Outdoor AB"},
        "rights": [{"type": "trademark", "office": "EUIPO", "number": "018234567", "mark": "Norvik"}],
        "listing_url": "https://www.amazon.de/dp/B0TEST0001", "country": "DE",  # url-ok
        "listing": {"title": "Norvik Fjell Parka replica, waterproof jacket", "price": 49, "currency": "EUR"},
        "seller": SELLER,
    }
    data.update(changes)
    return Complaint.model_validate(data)


@pytest.fixture(scope="module")
def norvik() -> Registry:
    return load_registry(DEMO_BRAND)


def test_a_listing_that_uses_the_mark_is_told_to_comply_with_the_fix(norvik: Registry, tmp_path: Path) -> None:
    answer = answer_complaint(_complaint(), norvik, today=TODAY)
    assert answer.kind == "comply" and answer.problems and answer.fixes
    assert answer.deadline.due == dt.date(2026, 12, 7)
    text = (write_response(_complaint(), answer, tmp_path, today=TODAY) / "answer.txt").read_text()
    assert "COMPLY" in text and answer.fixes[0] in text and "CASE-4411" in text


def test_a_registration_that_does_not_cover_the_market_is_a_ground_to_appeal(norvik: Registry, tmp_path: Path) -> None:
    complaint = _complaint(country="JP", listing_url="https://www.amazon.co.jp/dp/B0TEST0002",  # url-ok: a literal for a pure function, never fetched
                           listing={"title": "Norvik Fjell Parka, waterproof jacket", "price": 320, "currency": "EUR"})
    answer = answer_complaint(complaint, norvik, today=TODAY)
    assert answer.kind == "appeal"
    assert any("does not cover JP" in g for g in answer.grounds)
    text = (write_response(complaint, answer, tmp_path, today=TODAY) / "answer.txt").read_text()
    for element in ("APPEAL", "does not cover JP", "Plan of action", "Root cause", "Corrective action",
                    "Preventive measures", "https://www.amazon.co.jp/dp/B0TEST0002"):  # url-ok: a literal for a pure function, never fetched
        assert element in text


def test_goods_offered_as_copies_are_never_appealed(norvik: Registry) -> None:
    answer = answer_complaint(_complaint(country="JP"), norvik, today=TODAY)  # a 'replica' at 14% of MSRP
    assert answer.kind == "comply" and any("replica" in p for p in answer.problems)


def test_a_lapsed_registration_is_a_ground_to_appeal(norvik: Registry) -> None:
    mark = norvik.marks[0]
    lapsed = tuple(r.model_copy(update={"expires": dt.date(2025, 1, 1)}) for r in mark.registrations)
    registry = norvik.model_copy(update={"marks": (mark.model_copy(update={"registrations": lapsed}),
                                                   *norvik.marks[1:])})
    listing = {"title": "Norvik Fjell Parka, waterproof jacket", "price": 320, "currency": "EUR"}
    answer = answer_complaint(_complaint(listing=listing), registry, today=TODAY)
    assert answer.kind == "appeal" and any("not in force" in g and "2025-01-01" in g for g in answer.grounds)


def test_nominative_use_is_a_ground_to_appeal(norvik: Registry) -> None:
    listing = {"title": "Replacement hood compatible with Norvik parkas", "price": 19, "currency": "EUR"}
    answer = answer_complaint(_complaint(listing=listing), norvik, today=TODAY)
    assert answer.kind == "appeal", answer
    assert any("nominative" in g or "no use" in g for g in answer.grounds)


@pytest.mark.parametrize("address,consent", [
    ("12 Harbour Road, Dublin 2, Ireland", "any judicial district in which the service provider may be found"),
    ("400 Pine St, Seattle, WA 98101, USA", "the judicial district in which my address is located"),
])
def test_dmca_counter_notice_carries_every_element_of_512g3(tmp_path: Path, address: str, consent: str) -> None:
    complaint = _complaint(kind="dmca", platform="etsy", rights=[{"type": "copyright", "work": "lookbook"}],
                           seller={**SELLER, "address": address})
    answer = answer_complaint(complaint, None, today=TODAY)
    assert answer.kind == "counter_notice"
    text = (write_response(complaint, answer, tmp_path, today=TODAY) / "answer.txt").read_text()
    elements = {
        "(A) signature": "/Alpine Basics Ltd/",
        "(B) the material and its location": complaint.listing_url,
        "(C) penalty of perjury, good faith, mistake": "under penalty of perjury, that I have a good faith belief "
                                                       "that the material identified above was removed or disabled "
                                                       "as a result of mistake or misidentification",
        "(D) name": "Name: Alpine Basics Ltd", "(D) address": address, "(D) phone": "+353 1 555 0100",
        "(D) consent to jurisdiction": consent,
        "(D) accepts service": "will accept service of process from the person who provided notification",
    }
    for element, needle in elements.items():
        assert needle in text, element
    assert answer.deadline.source == "17 U.S.C. 512(g)(2)(C)"
    assert (answer.deadline.due - TODAY).days >= 14  # 14 business days


def test_dmca_without_the_sellers_word_is_comply(tmp_path: Path) -> None:
    complaint = _complaint(kind="dmca", seller={**SELLER, "own_work": False})
    answer = answer_complaint(complaint, None, today=TODAY)
    assert answer.kind == "comply" and "512(f)" in answer.advice
    with pytest.raises(InputError, match="address and phone"):
        counter = answer_complaint(_complaint(kind="dmca", seller={"name": "X", "own_work": True}), None, today=TODAY)
        write_response(_complaint(kind="dmca", seller={"name": "X", "own_work": True}), counter, tmp_path)


def test_shopify_gives_two_days_and_status_lists_the_soonest_first(norvik: Registry, tmp_path: Path) -> None:
    shop = _complaint(platform="shopify", reference="SHOP-1")
    answer = answer_complaint(shop, norvik, today=TODAY)
    assert answer.deadline.due == dt.date(2026, 12, 2)
    write_response(shop, answer, tmp_path, today=TODAY)
    amazon = _complaint(reference="AMZ-1")
    write_response(amazon, answer_complaint(amazon, norvik, today=TODAY), tmp_path, today=TODAY)
    rows = responses_due(tmp_path)
    assert [r["reference"] for r in rows] == ["SHOP-1", "AMZ-1"]


def test_a_complaint_in_words_is_read() -> None:
    text = """From: Norvik Outdoor AB
Subject: Notice of claimed trademark infringement (eBay VeRO)
Date: 2026-11-28
We are the owner of EUIPO registration No. 018 234 567 for NORVIK.
The listing https://www.ebay.de/itm/1234567890 sells counterfeit goods."""
    complaint = complaint_from_text(text, ClearanceListing(title="Norvik parka"))
    assert complaint.kind == "counterfeit" and complaint.platform == "ebay"
    assert complaint.received == dt.date(2026, 11, 28)
    assert [(r.office, r.number) for r in complaint.rights] == [("EUIPO", "018234567")]
    assert complaint.listing_url == "https://www.ebay.de/itm/1234567890"  # url-ok
    assert complaint.complainant.name == "Norvik Outdoor AB"
    with pytest.raises(InputError, match="names no"):
        complaint_from_text("hello, please call me", ClearanceListing(title="x"))


def test_cli_respond_and_status(tmp_path: Path) -> None:
    path = tmp_path / "complaint.json"
    complaint = _complaint(country="JP", listing={"title": "Norvik Fjell Parka", "price": 320, "currency": "EUR"})
    path.write_text(json.dumps(complaint.model_dump(mode="json", by_alias=True)), encoding="utf-8")
    out = tmp_path / "answers"
    result = run_cli("respond", str(path), "--registry", str(DEMO_BRAND), "--out", str(out), "--json")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["kind"] == "appeal" and Path(payload["folder"], "answer.txt").is_file()
    status = run_cli("respond", "status", "--out", str(out))
    assert status.returncode == 0 and "appeal" in status.stdout and "CASE-4411" in status.stdout
    bad = tmp_path / "bad.json"
    bad.write_text('{"kind": "trademark"', encoding="utf-8")
    failed = run_cli("respond", str(bad), "--out", str(out))
    assert failed.returncode == 2 and "not valid JSON" in failed.stderr and "Traceback" not in failed.stderr


def test_read_complaint_names_the_field_at_fault(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"kind": "trademark", "received": "yesterday"}), encoding="utf-8")
    with pytest.raises(InputError, match="received"):
        read_complaint(path)
