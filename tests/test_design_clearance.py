"""Clearance against other parties' registered designs: a seller's photo of a product with a
design's shape needs review (never a block on its own), with the design, its expiry and a fix;
an expired design is a note; in Python, the CLI (one listing and a catalogue) and over HTTP."""

from __future__ import annotations

import base64
import csv
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import uvicorn

from conftest import DEMO_BRAND, run_cli
from media import bottle, brand_with_designs, kettle, photo
from monitor.api import create_api_app
from monitor.clearance import Clearance, ClearanceListing
from monitor.registry import load_registry


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:  # type: ignore[no-untyped-def]
    tmp = tmp_path_factory.mktemp("clear")
    brand_with_designs(DEMO_BRAND, tmp / "brand", video=False)
    brand_with_designs(DEMO_BRAND, tmp / "old", video=False, expires="2021-01-01")
    (tmp / "bottle.jpg").write_bytes(photo(bottle(), scale=0.8, angle=-5, ground="gradient"))
    (tmp / "kettle.jpg").write_bytes(photo(kettle()))
    (tmp / "bottle.json").write_text(json.dumps({"title": "Steel drinking bottle 750 ml", "platform": "bazaar",
                                                 "images": ["bottle.jpg"]}), encoding="utf-8")
    (tmp / "kettle.json").write_text(json.dumps({"title": "Kettle 1.5 l", "platform": "bazaar",
                                                 "images": ["kettle.jpg"]}), encoding="utf-8")
    with (tmp / "catalogue.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "title", "platform", "images"])
        writer.writerow(["B-1", "Steel drinking bottle", "bazaar", "bottle.jpg"])
        writer.writerow(["K-1", "Kettle", "bazaar", "kettle.jpg"])
    return tmp


@pytest.fixture(scope="module")
def clearance(folder: Path) -> Clearance:
    return Clearance([load_registry(folder / "brand" / "brand.yaml")])


def test_a_photo_of_the_design_needs_review_with_a_fix(clearance: Clearance, folder: Path) -> None:
    result = clearance.check_file(folder / "bottle.json")
    assert result.verdict == "review"
    (f,) = [f for f in result.findings if f.kind == "design"]
    assert f.severity == "medium" and f.image.endswith("bottle.jpg") and f.evidence == "design:0:0"
    for words in ("EUIPO registered Community design 015000123-0001", "drinking bottle", "expires 2031-05-01",
                  "silhouette overlap"):
        assert words in f.message
    assert "counsel" in f.fix and "shape" in f.fix
    assert clearance.check_file(folder / "kettle.json").verdict == "pass"


def test_an_expired_design_is_a_note_and_passes(folder: Path) -> None:
    old = Clearance([load_registry(folder / "old" / "brand.yaml")])
    result = old.check_file(folder / "bottle.json")
    assert result.verdict == "pass"
    (f,) = result.findings
    assert f.kind == "design" and f.severity == "low" and "expired on 2021-01-01" in f.message


def test_cli_one_listing_and_a_catalogue(folder: Path) -> None:
    registry = str(folder / "brand" / "brand.yaml")
    done = run_cli("clear", str(folder / "bottle.json"), "--registry", registry, "--json")
    assert done.returncode == 1, done.stderr
    result = json.loads(done.stdout)
    assert result["verdict"] == "review" and [f["kind"] for f in result["findings"]] == ["design"]
    done = run_cli("clear", str(folder / "catalogue.csv"), "--registry", registry, "--json")
    assert done.returncode == 1, done.stderr
    items = {i["id"]: i["verdict"] for i in json.loads(done.stdout)["items"]}
    assert items == {"B-1": "review", "K-1": "pass"}


@contextmanager
def _serve(app: object) -> Iterator[str]:
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(400):
        if srv.started:
            break
        time.sleep(0.05)
    assert srv.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{srv.servers[0].sockets[0].getsockname()[1]}"
    finally:
        srv.should_exit = True
        thread.join(timeout=10)


def test_http_gives_the_design_finding(clearance: Clearance, folder: Path) -> None:
    data = base64.b64encode((folder / "bottle.jpg").read_bytes()).decode()
    body = {"title": "Steel drinking bottle", "platform": "bazaar", "images": [f"data:image/jpeg;base64,{data}"]}
    with _serve(create_api_app(clearance)) as url:
        result = httpx.post(f"{url}/api/clearance", json=body, timeout=60).json()
    assert result["verdict"] == "review"
    assert [f["kind"] for f in result["findings"]] == ["design"]
    assert "015000123-0001" in result["findings"][0]["message"]
    assert ClearanceListing.model_validate(body).title == "Steel drinking bottle"
