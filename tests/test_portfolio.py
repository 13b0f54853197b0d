"""Portfolio health: renewal deadlines per office, lapsed and grace states, and whether the
markets with flagged listings are covered by a live registration for their goods."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import DEMO_BRAND, run_cli
from monitor.db import Database, ListingInput
from monitor.portfolio import OFFICE_RULES, country_of, nice_classes_of, portfolio, renewals
from monitor.registry import OFFICES, Registration, Registry, load_registry

TODAY = dt.date(2026, 12, 1)


_BASE = load_registry(DEMO_BRAND)


def _registry(*registrations: dict[str, object]) -> Registry:
    base = _BASE
    mark = base.marks[0].model_copy(update={"registrations": tuple(Registration(**r) for r in registrations)})
    return base.model_copy(update={"marks": (mark,), "watch": (), "patents": (), "designs": ()})


def test_renewal_window_grace_and_lapse_follow_the_office_rule() -> None:
    registry = _registry(
        {"office": "EUIPO", "number": "1", "classes": [25], "expires": "2027-02-01"},   # window open, 62 days
        {"office": "EUIPO", "number": "2", "classes": [25], "expires": "2026-10-01"},   # expired 2 months ago
        {"office": "EUIPO", "number": "3", "classes": [25], "expires": "2025-01-01"},   # grace long over
        {"office": "EUIPO", "number": "4", "classes": [25], "expires": "2031-01-01"},   # nothing due
    )
    rows = {r.number: r for r in renewals(registry, TODAY)}
    assert rows["1"].next_deadline.state(TODAY) == "window open"
    assert "due on 2027-02-01" in rows["1"].attention
    assert rows["2"].next_deadline.state(TODAY) == "in grace period"
    assert "surcharge until 2027-04-01" in rows["2"].attention
    assert rows["3"].status == "lapsed" and rows["3"].next_deadline is None
    assert rows["4"].attention is None and rows["4"].status == "registered"
    # Sorted by what is due first: the overdue one leads, the far one comes last of the dated.
    order = [r.number for r in renewals(registry, TODAY)]
    assert order.index("2") < order.index("1") < order.index("4")


def test_uspto_declaration_of_use_falls_due_between_the_fifth_and_sixth_year() -> None:
    registered = dt.date(2021, 6, 1)  # 5.5 years before TODAY
    registry = _registry({"office": "USPTO", "number": "6,123,456", "classes": [25],
                          "registered": registered.isoformat(), "expires": "2031-06-01"})
    (row,) = renewals(registry, TODAY)
    assert row.next_deadline.act == "declaration of use"
    assert row.next_deadline.opens == dt.date(2026, 6, 1) and row.next_deadline.due == dt.date(2027, 6, 1)
    assert row.next_deadline.state(TODAY) == "window open"
    assert "declaration of use" in row.rule
    # A year later, with no declaration filed, the right is in its grace period, then lapses.
    (late,) = renewals(registry, dt.date(2027, 8, 1))
    assert late.next_deadline.act == "declaration of use" and late.next_deadline.state(dt.date(2027, 8, 1)) == "in grace period"
    (gone,) = renewals(registry, dt.date(2028, 1, 2))
    assert gone.status == "lapsed"


def test_every_office_says_which_rule_applies() -> None:
    for office in OFFICES:
        registry = _registry({"office": office, "number": "9", "classes": [25], "expires": "2030-01-01",
                              **({"designations": ["US"]} if office == "WIPO" else {})})
        (row,) = renewals(registry, TODAY)
        assert row.rule.startswith(f"{office}: ")
        assert (office in OFFICE_RULES) != ("general rule" in row.rule)


@given(expires=st.dates(dt.date(2000, 1, 1), dt.date(2060, 12, 31)),
       today=st.dates(dt.date(2000, 1, 1), dt.date(2060, 12, 31)),
       office=st.sampled_from(sorted(o for o in OFFICES if o != "WIPO")))
def test_deadlines_are_ordered_and_states_follow_the_calendar(expires: dt.date, today: dt.date, office: str) -> None:
    registry = _registry({"office": office, "number": "1", "classes": [25], "expires": expires.isoformat()})
    (row,) = renewals(registry, today)
    if row.next_deadline is None:
        assert row.status == "lapsed" and today > expires
        return
    d = row.next_deadline
    assert d.opens < d.due == expires < d.grace_ends
    assert (d.state(today) == "window open") == (d.opens <= today <= d.due)
    assert (row.attention is not None) == (today > d.due or (d.due - today).days <= 90 or today >= d.opens)


def test_listing_words_name_nice_classes_and_hosts_name_countries() -> None:
    assert 25 in nice_classes_of("Norvik Fjell Parka, waterproof jacket")
    assert 18 in nice_classes_of("travel backpack 40L")
    assert nice_classes_of("item 4411") == frozenset()
    home = {"amazon": "US"}
    assert country_of("https://www.amazon.co.jp/dp/B0X", "amazon", home) == "JP"  # url-ok: a literal for a pure function, never fetched
    assert country_of("https://www.ebay.co.uk/itm/1", "ebay", home) == "GB"  # url-ok: a literal for a pure function, never fetched
    assert country_of("https://www.amazon.com/dp/B0X", "amazon", home) == "US"  # url-ok: a literal for a pure function, never fetched
    assert country_of("http://127.0.0.1:8000/item/1", "nosuch", home) is None


def _flagged(db: Database, brand_id: int, url: str, platform: str, title: str, n: int) -> None:
    for i in range(n):
        r = db.upsert_listing(ListingInput(platform=platform, listing_id=f"{platform}-{url}-{i}", url=f"{url}/{i}",
                                           title=title, price=Decimal("20"), currency="EUR"))
        db.record_assessment(brand_id, r.listing_pk, findings=[{"kind": "mark", "score": 90.0, "reason": "uses the mark 'Norvik'"}],
                             risk=90, level="high", reasons=["uses the mark"], flagged=True)


def test_coverage_names_the_market_no_live_registration_covers(tmp_path: Path) -> None:
    registry = _registry(
        {"office": "EUIPO", "number": "018234567", "classes": [25], "expires": "2033-03-14"},
        {"office": "USPTO", "number": "7,000,001", "classes": [18], "expires": "2033-03-14"},
    )
    db = Database(str(tmp_path / "mw.db"))
    brand = db.upsert_brand(registry.brand, marks=[m.model_dump(mode="json") for m in registry.marks])
    _flagged(db, brand.id, "https://www.amazon.co.jp/dp", "amazon", "Norvik parka jacket", 3)  # url-ok: a literal for a pure function, never fetched
    _flagged(db, brand.id, "https://www.amazon.de/dp", "amazon", "Norvik parka jacket", 2)  # url-ok
    _flagged(db, brand.id, "https://www.amazon.com/dp", "amazon", "Norvik winter jacket", 1)  # url-ok: a literal for a pure function, never fetched
    report = portfolio(registry, db, brand.id, TODAY)
    markets = {m.market: m for m in report.markets}
    assert not markets["www.amazon.co.jp"].covered
    assert "3 flagged listings on www.amazon.co.jp; no registration in force covers JP" == markets["www.amazon.co.jp"].reason
    assert markets["www.amazon.de"].covered and markets["www.amazon.de"].covering == ("EUIPO 018234567",)
    # The US registration is for bags (class 18); the listing sells a jacket (class 25).
    assert not markets["www.amazon.com"].covered and "not class 25" in markets["www.amazon.com"].reason
    assert report.markets[0].market == "www.amazon.co.jp"  # uncovered, most listings first
    assert any("no registration in force covers JP" in line for line in report.attention)


def test_a_lapsed_registration_does_not_cover(tmp_path: Path) -> None:
    registry = _registry({"office": "EUIPO", "number": "5", "classes": [25], "expires": "2024-01-01"})
    db = Database(str(tmp_path / "mw.db"))
    brand = db.upsert_brand(registry.brand, marks=[m.model_dump(mode="json") for m in registry.marks])
    _flagged(db, brand.id, "https://shop.example.de/p", "shopstores", "Norvik jacket", 1)
    (market,) = portfolio(registry, db, brand.id, TODAY).markets
    assert not market.covered and market.country == "DE"


@pytest.mark.parametrize("with_db", [False, True])
def test_cli_portfolio_json_and_table(tmp_path: Path, with_db: bool) -> None:
    db_path = tmp_path / "mw.db"
    if with_db:
        Database(str(db_path))
    result = run_cli("portfolio", "--brand", str(DEMO_BRAND), "--db", str(db_path), "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    numbers = {r["number"] for r in report["rights"]}
    registry = load_registry(DEMO_BRAND)
    assert numbers == ({reg.number for m in registry.marks for reg in m.registrations}
                       | {p.number for p in registry.patents} | {d.number for d in registry.designs})
    assert {r["kind"] for r in report["rights"]} == {"mark", "patent", "design"}
    assert db_path.exists() == with_db  # a read command never creates a database
    table = run_cli("portfolio", "--brand", str(DEMO_BRAND), "--db", str(db_path))
    assert table.returncode == 0 and "marks, patents and designs" in table.stdout
    assert "EUIPO: renewal within the 6 months before expiry" in table.stdout


def test_digest_and_review_queue_lead_with_what_needs_attention(tmp_path: Path) -> None:
    from starlette.testclient import TestClient

    from monitor.digest import collect_digest, render_json, write_digest
    from monitor.web import create_app

    registry = _registry({"office": "EUIPO", "number": "018234567", "classes": [25],
                          "expires": (dt.date.today() + dt.timedelta(days=45)).isoformat()})
    db = Database(str(tmp_path / "mw.db"))
    brand = db.upsert_brand(registry.brand, marks=[m.model_dump(mode="json") for m in registry.marks])
    _flagged(db, brand.id, "https://www.amazon.co.jp/dp", "amazon", "Norvik parka", 2)  # url-ok: a literal for a pure function, never fetched
    data = collect_digest(db, brand.id, registry.brand, registry=registry)
    assert any("renewal due on" in line and "018234567" in line for line in data.attention)
    assert any("no registration in force covers JP" in line for line in data.attention)
    html = write_digest(db, brand.id, data, tmp_path / "out")["html"].read_text(encoding="utf-8")
    assert "Portfolio: needs attention" in html and "covers JP" in html
    assert json.loads(render_json(data))["attention"] == list(data.attention)
    page = TestClient(create_app(db, registry, takedown_dir=tmp_path / "td"), base_url="http://127.0.0.1").get("/")
    assert page.status_code == 200 and "needs attention" in page.text and "covers JP" in page.text


def _with_rights(*, patents: list[dict[str, object]] = (), designs: list[dict[str, object]] = ()) -> Registry:  # type: ignore[assignment]
    from monitor.registry import Design, Patent

    claim = [{"number": 1, "elements": [{"phrase": "magnetic lid"}]}]
    figure = DEMO_BRAND.parent / "assets" / "bottle.jpg"
    return _BASE.model_copy(update={
        "patents": tuple(Patent(**{"title": "a bottle", "claims": claim, **p}) for p in patents),
        "designs": tuple(Design(**{"product": "bottle", "figures": [figure], **d}) for d in designs),
        "watch": ()})


def test_patents_show_their_next_fee_and_designs_their_renewal_or_term() -> None:
    registry = _with_rights(
        patents=[{"number": "US 10,123,456", "office": "USPTO", "expires": "2038-01-10", "granted": "2023-05-01"},
                 {"number": "US 11,000,001", "office": "USPTO", "expires": "2040-01-10"},
                 {"number": "EP 3 912 345 B1", "office": "EPO", "jurisdictions": ["DE"], "expires": "2039-05-14",
                  "filed": "2019-01-20"},
                 {"number": "EP 1 234 567 B1", "office": "EPO", "jurisdictions": ["DE"], "expires": "2026-01-01",
                  "filed": "2006-01-01"}],
        designs=[{"number": "015004321-0001", "office": "EUIPO", "expires": "2027-01-15"},
                 {"number": "D912,345", "office": "USPTO", "expires": "2027-02-20"}])
    rows = {r.number: r for r in renewals(registry, TODAY)}
    # USPTO: maintenance fees 3.5 years after grant (payable from 3 years), not yet open
    us = rows["US 10,123,456"]
    assert us.kind == "patent" and us.next_deadline.act == "maintenance fee"
    assert us.next_deadline.due == dt.date(2026, 11, 1) and us.next_deadline.state(TODAY) == "in grace period"
    assert "overdue since 2026-11-01" in us.attention and "2027-05-01" in us.attention
    assert "add `granted:`" in rows["US 11,000,001"].attention
    # EPO: the annuity on the filing date's anniversary, within 90 days
    ep = rows["EP 3 912 345 B1"]
    assert ep.next_deadline.due == dt.date(2027, 1, 20) and "renewal fee (annuity) due on 2027-01-20" in ep.attention
    assert ep.territories == ("DE",)
    assert rows["EP 1 234 567 B1"].status == "expired" and rows["EP 1 234 567 B1"].attention is None
    # designs: a Community design is renewed; a US design patent only ends
    rcd = rows["015004321-0001"]
    assert rcd.kind == "design" and rcd.next_deadline.act == "renewal" and "due on 2027-01-15" in rcd.attention
    usd = rows["D912,345"]
    assert usd.next_deadline is None and "cannot be renewed" in usd.attention and "no renewal" in usd.rule
    # what is due first comes first, marks, patents and designs together
    dues = [r.next_deadline.due for r in renewals(registry, TODAY) if r.next_deadline]
    assert dues == sorted(dues)


@given(st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2030, 12, 31)),
       st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2035, 12, 31)))
def test_the_next_annuity_is_the_first_anniversary_still_payable(filed: dt.date, today: dt.date) -> None:
    from monitor.portfolio import _add_months, _next_anniversary

    until = _add_months(filed, 12 * 20)
    due = _next_anniversary(filed, today, until)
    if due is None:
        assert _add_months(until, 6) < today or until < today
        return
    assert (due.month, due.day) == (filed.month, filed.day) or filed.day > 28
    assert _add_months(due, 6) >= today and due <= until
    earlier = _add_months(due, -12)
    assert earlier <= filed or _add_months(earlier, 6) < today
