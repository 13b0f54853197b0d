"""The review app answers complaints as `markwatch respond` does: the fitting answer with
its grounds, deadline and draft, saved beside the others and listed by deadline; mistakes
are one message on the form, kept as typed."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx

from monitor.web import create_app
from review_seed import running, seed

SELLER = {"name": "Alpine Basics Ltd", "address": "12 Harbour Road, Dublin 2, Ireland", "phone": "+353 1 555 0100",
          "email": "support@alpinebasics.example", "own_work": True}


def _csrf(page: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', page)[1]  # type: ignore[index]


def test_answers_are_drafted_listed_and_mistakes_are_one_line(tmp_path: Path) -> None:
    seeded = seed(tmp_path)
    app = create_app(seeded.db, seeded.registry, takedown_dir=tmp_path / "out" / "takedowns")
    trademark = {"platform": "amazon", "kind": "trademark", "received": "2026-11-30", "reference": "CASE-4411",
                 "complainant": {"name": "Norvik Outdoor AB"},
                 "rights": [{"type": "trademark", "office": "EUIPO", "number": "018234567", "mark": "Norvik"}],
                 "listing_url": "https://www.amazon.com/dp/B0TEST0001", "country": "US",  # url-ok
                 "listing": {"title": "Norvik Fjell Parka replica, waterproof jacket", "price": 49, "currency": "EUR"},
                 "seller": SELLER}
    dmca = {"platform": "shopify", "kind": "dmca", "received": "2026-11-30", "complainant": {"name": "Someone"},
            "listing_url": "https://shop.example/products/parka",
            "listing": {"title": "Our own winter parka", "description": "Photographed in our studio."},
            "seller": SELLER}
    with running(app) as url, httpx.Client(base_url=url, timeout=60) as http:
        page = http.get("/answers").text
        assert "No answers drafted yet" in page and 'href="/answers"' in page
        csrf = _csrf(page)
        # checked against the brand's registry: a replica under its mark is told to comply
        done = http.post("/answers", data={"csrf": csrf, "complaint": json.dumps(trademark), "check": "on"})
        assert done.status_code == 200, done.text
        assert "Answer: comply" in done.text and "replica" in done.text
        counter = http.post("/answers", data={"csrf": csrf, "complaint": json.dumps(dmca)})
        assert counter.status_code == 200, counter.text
        assert "Answer: counter-notice" in counter.text
        for element in ("penalty of perjury", "consent to the jurisdiction", "Alpine Basics Ltd", "+353 1 555 0100"):
            assert element in counter.text, element
        listed = http.get("/answers").text
        assert listed.count("<tr><td>") == 2 and "counter-notice" in listed and "comply" in listed
        assert len(list((tmp_path / "out" / "responses").glob("*/answer.txt"))) == 2
        # mistakes: one message, what was typed kept, nothing saved
        words = "From: Norvik Outdoor AB\nThe listing https://www.ebay.de/itm/1 sells counterfeit goods."  # url-ok
        for data, message in [({"complaint": "{not json"}, "not valid JSON"),
                              ({"complaint": words}, "needs the listing too"),
                              ({"complaint": words, "listing": "[1, 2]"}, "one JSON object"),
                              ({"complaint": "  "}, "paste the complaint")]:
            bad = http.post("/answers", data={"csrf": csrf, **data})
            assert bad.status_code == 400 and message in bad.text, (data, bad.text[-500:])
            assert "Traceback" not in bad.text
        kept = http.post("/answers", data={"csrf": csrf, "complaint": words})
        assert "sells counterfeit goods" in kept.text
        assert http.post("/answers", data={"complaint": json.dumps(dmca)}).status_code in (400, 403)
    assert len(list((tmp_path / "out" / "responses").glob("*/answer.txt"))) == 2
