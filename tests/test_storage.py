"""Storage against real databases (SQLite, and PostgreSQL when a server can be started):
migrations match the models, re-storing a listing never duplicates it, every change is a
snapshot, review decisions survive re-assessment."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, text
from sqlmodel import SQLModel

from monitor.db import Database, ListingInput, resolve_db_url
from monitor.errors import StorageError
from monitor.models import Case, Listing, ListingSnapshot


@pytest.fixture(params=["sqlite", "postgres"])
def db(request: pytest.FixtureRequest, tmp_path) -> Database:  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        database = Database(str(tmp_path / "test.db"))
        yield database
        database.close()
        return
    base = request.getfixturevalue("pg_url")
    name = f"mw_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    database = Database(base.rsplit("/", 1)[0] + f"/{name}")
    yield database
    database.close()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE "{name}"'))
    admin.dispose()


def _item(listing_id: str = "BZ-1", **fields) -> ListingInput:  # type: ignore[no-untyped-def]
    base = dict(platform="bazaar", listing_id=listing_id, url=f"http://127.0.0.1/bazaar/item/{listing_id}",
                title="Norvik parka", price=Decimal("99.00"), currency="EUR", seller_name="Cheap Gear")
    base.update(fields)
    return ListingInput(**base)


def test_migrations_match_the_models(db: Database) -> None:
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diff == []


def test_migrating_twice_is_harmless(db: Database) -> None:
    db.upsert_listing(_item())
    db.migrate()
    assert db.count(Listing) == 1


def test_same_crawl_twice_stores_each_listing_once(db: Database) -> None:
    items = [_item(f"BZ-{i}", title=f"Listing {i}") for i in range(20)]
    first = [db.upsert_listing(i).kind for i in items]
    second = [db.upsert_listing(i).kind for i in items]
    assert first == ["created"] * 20 and second == ["unchanged"] * 20
    assert db.count(Listing) == 20
    assert db.count(ListingSnapshot) == 20  # one "created" snapshot each, nothing for re-seen


def test_changes_become_snapshots_with_old_and_new(db: Database) -> None:
    pk = db.upsert_listing(_item()).listing_pk
    result = db.upsert_listing(_item(price=Decimal("39.90"), title="N0RVIK parka"))
    assert result.kind == "changed"
    assert result.changes == {"title": ["Norvik parka", "N0RVIK parka"], "price": ["99", "39.9"]}
    assert db.mark_removed("bazaar", "BZ-1")
    assert db.upsert_listing(_item()).kind == "relisted"
    kinds = [s.kind for s in db.snapshots(pk)]
    assert kinds == ["created", "changed", "removed", "relisted"]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(versions=st.lists(st.tuples(st.sampled_from(["A", "B", "C"]), st.integers(1, 3)), min_size=1, max_size=12))
def test_snapshot_count_is_the_number_of_changes(db: Database, versions: list[tuple[str, int]]) -> None:
    listing_id = f"P-{uuid.uuid4().hex[:8]}"
    for title, price in versions:
        db.upsert_listing(_item(listing_id, title=title, price=Decimal(price)))
    changes = 1 + sum(1 for a, b in zip(versions, versions[1:]) if a != b)
    with db.session() as s:
        from sqlmodel import func, select

        pk = s.exec(select(Listing.id).where(Listing.listing_id == listing_id)).one()
        count = s.exec(select(func.count()).select_from(ListingSnapshot).where(ListingSnapshot.listing_pk == pk)).one()
    assert count == changes


def test_review_decision_survives_reassessment(db: Database) -> None:
    brand = db.upsert_brand("Norvik", marks=[{"text": "Norvik", "aliases": ["诺维克"]}])
    pk = db.upsert_listing(_item()).listing_pk
    case = db.record_assessment(brand.id, pk, findings=[{"kind": "mark", "score": 0.9, "reason": "r"}],
                                risk=80, level="high", reasons=["r"], flagged=True)
    db.set_case_state(case.id, "dismissed", note="licensed reseller")
    again = db.record_assessment(brand.id, pk, findings=[{"kind": "mark", "score": 0.9, "reason": "r2"}],
                                 risk=85, level="high", reasons=["r2"], flagged=True)
    assert again.id == case.id and again.state == "dismissed" and again.risk == 85
    assert db.count(Case) == 1
    assert [f.reason for f in db.findings(pk)] == ["r2"]


def test_hostile_text_is_stored_safely(db: Database) -> None:
    title = "<script>alert(1)</script> N\u200bORVIK \u202e𝐍𝐎𝐑𝐕𝐈𝐊 " + "x" * 10_000
    description = "\x00NUL\x07 and quotes: ' \" ; DROP TABLE listing; --"
    pk = db.upsert_listing(_item(title=title, description=description)).listing_pk
    row = db.listing(pk)
    # markup and odd Unicode are kept as written (escaping is the renderer's job) ...
    assert row.title == title[:2_000] and row.title.startswith("<script>")
    # ... control characters are dropped, since no database stores NUL reliably
    assert row.description == "NUL and quotes: ' \" ; DROP TABLE listing; --"
    assert db.count(Listing) == 1


def test_bad_database_urls_are_clear_errors(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(StorageError, match="not a database URL"):
        Database("nonsense://")
    with pytest.raises(StorageError, match="cannot open the database"):
        Database("postgresql+psycopg://nobody@127.0.0.1:1/none")
    assert resolve_db_url(str(tmp_path / "x.db")).startswith("sqlite:///")


def test_sqlite_database_is_in_wal_mode_without_a_sync_per_commit(tmp_path) -> None:
    """A run commits a few times a listing: WAL with synchronous=NORMAL (consistent through
    a crash; no fsync at each commit), on every connection the engine opens."""
    db = Database(f"sqlite:///{tmp_path / 'w.db'}")
    with db.engine.connect() as a, db.engine.connect() as b:
        for conn in (a, b):
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL
