"""The review queue over real HTTP (uvicorn on port 0, httpx): filters, sorting and
pages, one-by-one and bulk decisions, CSRF refusal, the token off loopback, escaping of
hostile listings, evidence, history, seller clusters and takedown drafting."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlmodel import select

from monitor.db import ListingInput
from monitor.errors import MarkwatchError
from monitor.models import Case, Takedown
from monitor.web import QueueFilter, create_app, is_loopback, serve
from review_seed import DEMO_BRAND, HOSTILE_TITLE, Seeded, running, seed, start_tags

CASE_ROW = re.compile(r'<tr class="case [a-z]+" id="case-(\d+)">')


@pytest.fixture()
def seeded(tmp_path: Path) -> Seeded:
    return seed(tmp_path, extra=12)


@pytest.fixture()
def client(seeded: Seeded, tmp_path: Path) -> Iterator[httpx.Client]:
    app = create_app(seeded.db, seeded.registry, takedown_dir=tmp_path / "takedowns", page_size=5)
    with running(app) as url, httpx.Client(base_url=url, timeout=30) as http:
        yield http


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "the page has a form with a CSRF field"
    return found[1]


def _all_ids(client: httpx.Client, query: str) -> list[int]:
    ids: list[int] = []
    for page in range(1, 50):
        html = client.get(f"/?{query}&page={page}").text
        found = [int(i) for i in CASE_ROW.findall(html)]
        ids += found
        if 'rel="next"' not in html:
            return ids
    raise AssertionError("pagination never ends")




def _states(seeded: Seeded) -> dict[int, str]:
    with seeded.db.session() as s:
        return {c.id: c.state for c in s.exec(select(Case))}


def test_queue_filters_sorts_and_pages(client: httpx.Client, seeded: Seeded) -> None:
    flagged = [c for c in seeded.db.cases(seeded.brand_id, flagged_only=True)]
    ids = _all_ids(client, "state=new")
    assert sorted(ids) == sorted(c.id for c in flagged)
    risks = {c.id: c.risk for c in seeded.db.cases(seeded.brand_id)}
    assert [risks[i] for i in ids] == sorted((risks[i] for i in ids), reverse=True)
    ascending = _all_ids(client, "state=new&sort=risk-asc")
    assert [risks[i] for i in ascending] == sorted(risks[i] for i in ascending)
    shoply = _all_ids(client, "state=new&platform=shoply")
    assert sorted(shoply) == sorted(seeded.case_ids[k] for k in ("SH-1", "SH-2"))
    with_unflagged = _all_ids(client, "state=new&platform=shoply&flagged=all")
    assert sorted(with_unflagged) == sorted(seeded.case_ids[k] for k in ("SH-1", "SH-2", "SH-3", "SH-4"))
    assert _all_ids(client, "state=new&min_risk=90") == [seeded.case_ids["BZ-1"], seeded.case_ids["BZ-2"]]
    assert _all_ids(client, "state=new&seller=cheap+gear") == [seeded.case_ids["BZ-1"], seeded.case_ids["SH-1"]]
    assert _all_ids(client, "state=new&q=tent") == [seeded.case_ids["BZ-3"]]
    # LIKE wildcards in a search are literal characters
    assert _all_ids(client, "state=new&q=%25") == []
    assert _all_ids(client, "state=confirmed") == []
    first = client.get("/?state=new")
    assert f"<strong id=\"total\">{len(flagged)}</strong>" in first.text
    assert len(CASE_ROW.findall(first.text)) == 5  # the page size


def test_bulk_and_single_decisions(client: httpx.Client, seeded: Seeded) -> None:
    page = client.get("/")
    token = _csrf(page.text)
    chosen = [seeded.case_ids["BZ-1"], seeded.case_ids["SH-1"]]
    done = client.post("/cases/bulk", data={"csrf": token, "case_id": [str(i) for i in chosen],
                                             "action": "confirm", "next": "/?state=confirmed"})
    assert done.status_code == 303 and done.headers["location"] == "/?state=confirmed"
    states = _states(seeded)
    assert [states[i] for i in chosen] == ["confirmed", "confirmed"]
    assert sum(1 for s in states.values() if s == "confirmed") == 2
    assert sorted(_all_ids(client, "state=confirmed")) == sorted(chosen)
    one = seeded.case_ids["BZ-3"]
    done = client.post(f"/cases/{one}/state", data={"csrf": token, "action": "allowlist",
                                                   "note": "licensed reseller"})
    assert done.status_code == 303
    with seeded.db.session() as s:
        case = s.get(Case, one)
        assert case.state == "allowlisted" and case.note == "licensed reseller"
    client.post("/cases/bulk", data={"csrf": token, "case_id": [str(one)], "action": "dismiss"})
    assert _states(seeded)[one] == "dismissed"
    assert client.post("/cases/bulk", data={"csrf": token, "case_id": [str(one)],
                                            "action": "delete"}).status_code == 400
    assert client.post("/cases/999999/state", data={"csrf": token, "action": "confirm"}).status_code == 404
    for bad in ("12abc", str(2**70)):
        done = client.post("/cases/bulk", data={"csrf": token, "case_id": [bad], "action": "confirm"})
        assert done.status_code in (303, 400)


def test_forms_without_the_session_token_are_refused(client: httpx.Client, seeded: Seeded,
                                                     tmp_path: Path) -> None:
    target = seeded.case_ids["BZ-1"]
    before = _states(seeded)
    token = _csrf(client.get("/").text)
    # no field, a wrong field, and the right field from another browser (no cookie)
    assert client.post("/cases/bulk", data={"case_id": [str(target)], "action": "dismiss"}).status_code == 403
    assert client.post("/cases/bulk", data={"csrf": token[:-2] + "xx", "case_id": [str(target)],
                                            "action": "dismiss"}).status_code == 403
    with httpx.Client(base_url=str(client.base_url), timeout=30) as stranger:
        refused = stranger.post("/cases/bulk", data={"csrf": token, "case_id": [str(target)],
                                                     "action": "dismiss"})
        assert refused.status_code == 403
    assert client.post("/cases/bulk", headers={"Origin": "http://evil.example"},
                       data={"csrf": token, "case_id": [str(target)], "action": "dismiss"}).status_code == 403
    assert client.post("/takedowns", data={"case_id": [str(target)]}).status_code == 403
    assert _states(seeded) == before
    assert seeded.db.count(Takedown) == 0
    cookie = next(c for c in client.cookies.jar if c.name == "markwatch_csrf")
    assert cookie.has_nonstandard_attr("HttpOnly")
    raw = client.get("/", headers={"Cookie": ""}).headers["set-cookie"].lower()
    assert "samesite=strict" in raw and "httponly" in raw


def test_hostile_listing_is_escaped_everywhere(client: httpx.Client, seeded: Seeded) -> None:
    case_id = seeded.case_ids["BZ-2"]
    for url in ("/?state=new", f"/cases/{case_id}", f"/listings/{seeded.listing_pks['BZ-2']}/history",
                "/sellers"):
        tags = start_tags(client.get(url).text)
        assert [a.get("src") for tag, a in tags if tag == "script"] == ["/static/app.js"]
        assert not [name for _, a in tags for name in a if name.startswith("on")]
        assert not [a for tag, a in tags if tag == "img" and a.get("src") == "x"]
    page = client.get(f"/cases/{case_id}").text
    assert "&lt;script&gt;alert(" in page
    assert 'href="javascript' not in page.lower()
    assert "script-src 'self'" in client.get("/").headers["content-security-policy"]
    # a forged redirect target stays on this site
    token = _csrf(page)
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        done = client.post("/cases/bulk", data={"csrf": token, "case_id": [str(case_id)],
                                                 "action": "reopen", "next": target})
        assert done.headers["location"] == "/"


def test_evidence_history_images_and_clusters(client: httpx.Client, seeded: Seeded) -> None:
    pk = seeded.listing_pks["BZ-1"]
    row = seeded.db.listing(pk)
    seeded.db.upsert_listing(ListingInput(platform="bazaar", listing_id="BZ-1", url=row.url, title=row.title,
                                          description=row.description, price=Decimal("39.00"), currency="EUR",
                                          seller_name=row.seller_name, image_urls=tuple(row.image_urls),
                                          image_files=tuple(row.image_files)))
    seeded.db.mark_removed("bazaar", "BZ-1")
    page = client.get(f"/cases/{seeded.case_ids['BZ-1']}").text
    assert "<mark>N0rv1k</mark>" in page
    assert "registered: Norvik Fjell Parka (NV-PARKA-01)" in page  # the product, not the asset key
    assert re.search(r"price: <del>59</del> → <ins>39</ins>", page)
    assert '<tr class="removed">' in page
    image = client.get(f"/media/listing/{pk}/0")
    assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"
    assert image.content == Path(row.image_files[0]["path"]).read_bytes()
    assert client.get(f"/media/listing/{pk}/7").status_code == 404
    assert client.get("/cases/424242").status_code == 404
    clusters = client.get("/sellers").text
    # Cheap Gear (bazaar) and Cheap Gear Store (shoply): same photo, same mail address.
    section = next(s for s in clusters.split('<section class="cluster">') if "Cheap Gear Store" in s)
    assert "bazaar: Cheap Gear<" in section and "image" in section and "contact" in section


def test_takedown_drafted_from_confirmed_cases(client: httpx.Client, seeded: Seeded) -> None:
    token = _csrf(client.get("/").text)
    case_id = seeded.case_ids["BZ-1"]
    nothing = client.post("/takedowns", data={"csrf": token, "case_id": [str(case_id)]})
    assert "0 takedown drafts" in nothing.text and "Not drafted" in nothing.text
    client.post(f"/cases/{case_id}/state", data={"csrf": token, "action": "confirm"})
    drafted = client.post("/takedowns", data={"csrf": token, "case_id": [str(case_id)]})
    assert drafted.status_code == 200 and "1 takedown draft" in drafted.text
    assert "http://127.0.0.1:9/bazaar/item/BZ-1" in drafted.text
    with seeded.db.session() as s:
        notice = s.exec(select(Takedown)).one()
    listing = client.get("/takedowns").text
    assert f'href="/takedowns/{notice.id}"' in listing
    assert "BZ-1" in client.get(f"/takedowns/{notice.id}").text


def test_token_is_required_off_loopback(seeded: Seeded, tmp_path: Path) -> None:
    app = create_app(seeded.db, seeded.registry, token="tok-123", takedown_dir=tmp_path / "t")
    with running(app) as url, httpx.Client(base_url=url, timeout=30) as http:
        assert http.get("/").status_code == 401
        assert http.get("/static/app.css").status_code == 401
        assert http.get("/?token=wrong").status_code == 401
        assert http.get("/", headers={"Authorization": "Bearer tok-123"}).status_code == 200
        assert http.get("/?token=tok-123").status_code == 200
        assert http.get("/").status_code == 200  # the cookie the first visit set
    with pytest.raises(MarkwatchError, match="--token"):
        serve(seeded.db, seeded.registry, host="0.0.0.0", port=0)
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.2")


def test_app_needs_a_brand_with_runs(tmp_path: Path, seeded: Seeded) -> None:
    from monitor.db import Database

    with pytest.raises(MarkwatchError, match="no runs yet"):
        create_app(Database(str(tmp_path / "empty.db")), seeded.registry)


@given(st.dictionaries(st.sampled_from(["state", "level", "platform", "seller", "q", "min_risk",
                                        "flagged", "sort", "page"]), st.text(max_size=30)))
def test_any_query_string_gives_a_valid_filter(params: dict[str, str]) -> None:
    f = QueueFilter.from_query(params)
    assert f.state in ("new", "confirmed", "dismissed", "allowlisted", "all")
    assert 0 <= f.min_risk <= 100 and f.page >= 1
    assert QueueFilter.from_query(dict(re.findall(r"([^&=]+)=([^&]*)",
                                                  f.query_string()))).sort == f.sort


def test_hostile_title_constant_is_hostile() -> None:
    assert "<script>" in HOSTILE_TITLE  # the escaping tests above rely on it


def test_clearance_api_is_served_when_installed(client: httpx.Client) -> None:
    pytest.importorskip("monitor.api", reason="monitor.api (POST /api/clearance) is not installed")
    done = client.post("/api/clearance", json={"title": "N0rv1k parka replica 1:1", "platform": "bazaar"})
    assert done.status_code == 200
    assert done.json()["verdict"] in ("review", "block")
    assert any(f["kind"] == "mark" for f in done.json()["findings"])


def test_busy_port_is_one_clear_error(seeded: Seeded, tmp_path: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        with pytest.raises(MarkwatchError, match=f"cannot listen on 127.0.0.1:{port}"):
            serve(seeded.db, seeded.registry, port=port, takedown_dir=tmp_path / "t")


@pytest.mark.postgres
def test_queue_and_digest_on_postgresql(pg_url: str, tmp_path: Path) -> None:
    import uuid

    from sqlalchemy import create_engine, text

    from monitor.digest import collect_digest, render_html

    name = f"mw_{uuid.uuid4().hex[:12]}"
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        seeded = seed(tmp_path, extra=6, url=pg_url.rsplit("/", 1)[0] + f"/{name}")
        app = create_app(seeded.db, seeded.registry, takedown_dir=tmp_path / "t", page_size=4)
        with running(app) as url, httpx.Client(base_url=url, timeout=30) as http:
            assert _all_ids(http, "state=new&seller=CHEAP+gear") == [seeded.case_ids["BZ-1"], seeded.case_ids["SH-1"]]
            assert _all_ids(http, "state=new&q=%25") == []
            ids = _all_ids(http, "state=new&sort=price")
            assert len(ids) == len(seeded.db.cases(seeded.brand_id, flagged_only=True))
            token = _csrf(http.get("/").text)
            http.post("/cases/bulk", data={"csrf": token, "case_id": [str(i) for i in ids[:3]], "action": "confirm"})
            assert sorted(_all_ids(http, "state=confirmed")) == sorted(ids[:3])
            assert "Cheap Gear Store" in http.get("/sellers").text
        data = collect_digest(seeded.db, seeded.brand_id, "Norvik", registry=seeded.registry)
        assert len(data.entries) == len(ids) and "&lt;script&gt;" in render_html(data).html
        seeded.db.close()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.mark.parametrize("path", ["/cases/{big}", "/listings/{big}/history", "/media/listing/{big}/0",
                                  "/media/asset/{big}", "/takedowns/{big}", "/media/listing/1/{big}",
                                  "/cases/-1", "/cases/abc"])
def test_impossible_ids_are_client_errors(client: httpx.Client, path: str) -> None:
    assert client.get(path.format(big=2**70)).status_code in (404, 422)


def test_contact_details_normalise_what_sellers_write() -> None:
    from monitor.sellers import contact_details

    a = contact_details("Mail DEALS@Cheap.example or call +46 (70) 123-45-67, WhatsApp: cheapgear88")
    b = contact_details("contact deals@cheap.example · tel +46 70 123 45 67 · whatsapp @CheapGear88")
    assert a == b == {"deals@cheap.example", "tel:46701234567", "handle:cheapgear88"}
    assert contact_details("Size 42, 1200 mm waterproof, model 2024") == set()


@given(st.text(max_size=300))
def test_contact_details_take_any_text(text: str) -> None:
    from monitor.sellers import contact_details

    assert all(isinstance(d, str) and d for d in contact_details(text))


def test_sellers_link_by_name_image_and_contact() -> None:
    from monitor.sellers import link_sellers

    sellers = [(1, "Norvik Outlet Store"), (2, "norvik  outlet-store"), (3, "Alpine Books"), (4, "Zed")]
    links = link_sellers(sellers, images={3: {"f" * 64}, 4: {"f" * 64}}, contacts={1: {"a@b.example"},
                                                                                   3: {"a@b.example"}})
    kinds = {(link.a, link.b, link.kind) for link in links}
    assert (1, 2, "name") in kinds and (3, 4, "image") in kinds and (1, 3, "contact") in kinds
    assert not any(link.kind == "name" and {link.a, link.b} & {3, 4} for link in links)
    assert all(link.a < link.b for link in links)
    assert len(link_sellers(sellers, {}, {}, score_cutoff=100)) == 0


# -- issue 11: DNS rebinding (item 5) and one body limit (item 6) --------------------------


def test_a_foreign_host_header_is_refused(client: httpx.Client, seeded: Seeded) -> None:
    """A rebinding page reaches us under its own name: Host and Origin both say evil.example,
    so the Origin check alone would pass it. Loopback names are answered."""
    page = client.get("/")
    token = _csrf(page.text)
    port = client.base_url.port
    before = _states(seeded)
    forged = {"Host": f"evil.example:{port}", "Origin": f"http://evil.example:{port}"}
    assert client.get("/", headers=forged).status_code == 400
    assert client.get("/cases/1", headers=forged).status_code == 400
    ids = [str(i) for i in seeded.case_ids.values()]
    done = client.post("/cases/bulk", headers=forged,
                       data={"csrf": token, "case_id": ids, "action": "allowlist"})
    assert done.status_code == 400
    assert client.post("/api/clearance", headers=forged, json={"title": "Norvik"}).status_code == 400
    assert _states(seeded) == before
    for name in (f"localhost:{port}", f"127.0.0.1:{port}", "localhost", f"app.localhost:{port}"):
        assert client.get("/healthz", headers={"Host": name}).status_code == 200, name


def test_serve_accepts_its_host_and_the_allowed_list_only(seeded: Seeded, tmp_path: Path, spawn) -> None:
    import sys

    proc = spawn([sys.executable, "-m", "monitor.cli", "serve", "--brand", str(DEMO_BRAND), "--db",
                  str(tmp_path / "review.db"), "--port", "0", "--no-screenshots",
                  "--allowed-host", "review.example.org", "--allowed-host", "*.corp.example"],
                 cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    line = proc.stdout.readline()
    found = re.search(r"(http://127\.0\.0\.1:\d+)/", line)
    assert found, line + proc.stderr.read()
    with httpx.Client(base_url=found[1], timeout=30) as http:
        assert http.get("/healthz").status_code == 200
        for ok in ("review.example.org", "review.example.org:8443", "team.corp.example"):
            assert http.get("/healthz", headers={"Host": ok}).status_code == 200, ok
        for bad in ("evil.example", "review.example.org.evil.example", "corp.example.evil", "0.0.0.0"):
            assert http.get("/", headers={"Host": bad}).status_code == 400, bad


def test_every_body_reading_route_has_one_limit_and_never_echoes(seeded: Seeded, tmp_path: Path) -> None:
    """The review forms and /api/clearance mounted in `serve` share one body limit (413,
    declared or streamed), and a 422 does not send the body back."""
    app = create_app(seeded.db, seeded.registry, takedown_dir=tmp_path / "t", max_body_bytes=10_000,
                     screenshots=False)
    big = b"x" * 20_000

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(big), 1_000):
            yield big[start:start + 1_000]

    with running(app) as url, httpx.Client(base_url=url, timeout=30) as http:
        token = _csrf(http.get("/").text)
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        for path in ("/cases/bulk", "/cases/1/state", "/takedowns", "/api/clearance"):
            declared = http.post(path, content=big, headers=form)
            streamed = http.post(path, content=chunks(), headers=form)
            assert declared.status_code == 413 and streamed.status_code == 413, path
            assert "xxxxxxxxxx" not in declared.text + streamed.text
        # Under the limit the routes work as before.
        case = seeded.case_ids["BZ-1"]
        assert http.post(f"/cases/{case}/state", data={"csrf": token, "action": "confirm"}).status_code == 303
        marker = "MARKER" + "y" * 8_000
        invalid = http.post("/api/clearance", json={"title": marker, "price": "not a price"})
        assert invalid.status_code == 422 and "MARKER" not in invalid.text
        assert "price" in invalid.text
        unparsable = http.post("/api/clearance", content=b'{"title": "' + b"z" * 8_000,
                               headers={"Content-Type": "application/json"})
        assert unparsable.status_code == 422 and "zzzzzzzz" not in unparsable.text
