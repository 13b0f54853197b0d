"""Clearance against other parties' patents and texts: a listing meeting every element of a
claim needs review (never a block on the patent alone) with counsel's opinion as the fix;
copying a brand's description is blocked with 'write your own', naming the paragraph; an
expired patent is a note. From Python, the CLI (single and batch) and over HTTP."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from conftest import run_cli
from ipbrand import DESCRIPTION, PATENT, SIZE_GUIDE, write_brand
from monitor.api import create_api_app
from monitor.clearance import Clearance, ClearanceListing
from test_clearance import _serve

KNOCKOFF = {"title": "Trekking pole", "platform": "amazon",
            "description": "Z-fold aluminium pole with a flick lock, tungsten carbide tip and cork handle."}
COPIED = {"title": "Walking pole", "description": "Our own words about the pole come first.\n\n" + DESCRIPTION}


@pytest.fixture(scope="module")
def brand_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_brand(tmp_path_factory.mktemp("clear-ip"))


@pytest.fixture(scope="module")
def clearance(brand_file: Path) -> Clearance:
    return Clearance.from_files([brand_file])


def _check(clearance: Clearance, data: dict) -> tuple[str, list]:
    result = clearance.check(ClearanceListing.from_mapping(data))
    return result.verdict, list(result.findings)


def test_every_element_met_is_review_with_counsels_opinion(clearance: Clearance) -> None:
    verdict, findings = _check(clearance, KNOCKOFF)
    assert verdict == "review"
    (f,) = [f for f in findings if f.kind == "patent_claim"]
    assert f.severity == "medium" and f.brand == "Halvard"
    assert f.message.startswith(f"the description meets every element of claim 1 of Halvard's patent {PATENT}")
    assert "expires 2031-04-02" in f.message and "'lever lock' by 'flick lock' (description)" in f.message
    assert f.fix.startswith("get counsel's opinion before listing")
    assert f.field == "description" and KNOCKOFF["description"][f.start:f.end]
    assert not [f for f in findings if f.severity == "high"]  # a patent alone never blocks


def test_most_elements_met_names_what_is_not_shown(clearance: Clearance) -> None:
    verdict, findings = _check(clearance, {"title": "Folding trekking pole with flick lock and carbide tip"})
    (f,) = [f for f in findings if f.kind == "patent_claim"]
    assert verdict == "review" and "3 of the 4 elements of claim 1" in f.message
    assert "not shown: 'cork grip'" in f.message and "'cork grip'" in f.fix


def test_an_expired_patent_is_a_note_that_passes(tmp_path: Path) -> None:
    expired = Clearance.from_files([write_brand(tmp_path / "old", expires="2020-01-01")])
    verdict, findings = _check(expired, KNOCKOFF)
    assert verdict == "pass"
    (f,) = findings
    assert f.kind == "patent_claim" and f.severity == "low" and "expired on 2020-01-01" in f.message


def test_a_copied_description_is_blocked_naming_the_paragraph(clearance: Clearance) -> None:
    verdict, findings = _check(clearance, COPIED)
    (f,) = [f for f in findings if f.kind == "copied_text"]
    assert verdict == "block" and f.severity == "high"
    assert f.message.startswith("the second paragraph of the description copies 100% of Halvard's "
                                "description of the Fjellstav pole")
    assert f.fix.startswith("write your own description")
    assert COPIED["description"][f.start:f.end].startswith("The Fjellstav pole folds")
    assert f.evidence and f.evidence.startswith("The Fjellstav pole folds")


def test_copied_bullets_and_own_words(clearance: Clearance) -> None:
    bullets = [s.strip() for s in SIZE_GUIDE.split(",")]
    verdict, findings = _check(clearance, {"title": "Pole", "bullets": bullets})
    (f,) = [f for f in findings if f.kind == "copied_text"]
    assert f.message.startswith("the bullet points copy ")
    assert "text 'Fjellstav size guide'" in f.message and verdict in ("review", "block")
    verdict, findings = _check(clearance, {"title": "Pole", "description": "A light folding pole I designed."})
    assert verdict == "pass" and findings == []


def test_an_unrelated_listing_passes(clearance: Clearance) -> None:
    verdict, findings = _check(clearance, {"title": "Ceramic coffee mug, 350 ml",
                                           "description": "Dishwasher safe with a comfortable handle."})
    assert verdict == "pass" and findings == []


def _cli(brand_file: Path, *args: str):  # type: ignore[no-untyped-def]
    return run_cli("clear", *args, "--registry", str(brand_file))


def test_cli_single_listing(tmp_path: Path, brand_file: Path) -> None:
    path = tmp_path / "listing.json"
    path.write_text(json.dumps(KNOCKOFF), encoding="utf-8")
    done = _cli(brand_file, str(path), "--json")
    assert done.returncode == 1, done.stderr
    result = json.loads(done.stdout)
    assert result["verdict"] == "review"
    assert any(f["kind"] == "patent_claim" and PATENT in f["message"] for f in result["findings"])
    human = _cli(brand_file, str(path))
    assert human.returncode == 1 and "REVIEW" in human.stdout and "counsel" in human.stdout


def test_cli_batch(tmp_path: Path, brand_file: Path) -> None:
    rows = [{"id": "A", **KNOCKOFF}, {"id": "B", **COPIED}, {"id": "C", "title": "Ceramic mug"}]
    path = tmp_path / "catalogue.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    done = _cli(brand_file, str(path), "--json")
    assert done.returncode == 1, done.stderr
    result = json.loads(done.stdout)
    assert result["verdict"] == "block"
    assert {i["id"]: i["verdict"] for i in result["items"]} == {"A": "review", "B": "block", "C": "pass"}


def test_http_clearance(clearance: Clearance) -> None:
    with _serve(create_api_app(clearance)) as url:
        response = httpx.post(f"{url}/api/clearance", json=KNOCKOFF, timeout=60)
        assert response.status_code == 200, response.text
        result = response.json()
        assert result["verdict"] == "review"
        assert [f["kind"] for f in result["findings"]] == ["patent_claim"]
        copied = httpx.post(f"{url}/api/clearance", json=COPIED, timeout=60).json()
        assert copied["verdict"] == "block" and copied["findings"][0]["kind"] == "copied_text"
