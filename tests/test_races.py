"""First use by several processes at once (issue 11 item 7): on a database nobody has
opened yet, concurrent processes migrate it and register the same brand and its images
without "table alembic_version already exists" or an IntegrityError, on SQLite and
PostgreSQL. Real processes, started together behind a barrier file."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from conftest import DEMO_BRAND
from monitor.db import Database
from monitor.models import Asset, Brand, MarkRow
from monitor.registry import load_registry

PROCESSES = 4

# What `markwatch crawl` does before crawling: open (and migrate) the database, then
# register the brand, its marks and every registered image.
FIRST_USE = textwrap.dedent("""
    import hashlib, os, sys, time
    from pathlib import Path

    go = Path(sys.argv[2])
    while not go.exists():
        time.sleep(0.005)
    from monitor.db import Database
    from monitor.registry import load_registry

    registry = load_registry(sys.argv[3])
    db = Database(sys.argv[1])
    brand = db.upsert_brand(registry.brand, marks=[m.model_dump(mode="json") for m in registry.marks])
    for kind, key, path in registry.image_files():
        db.upsert_asset(brand.id, key=key, kind=kind, path=str(path),
                        sha256=hashlib.sha256(path.read_bytes()).hexdigest())
    print("ok", brand.id)
""")


def _together(tmp_path: Path, spawn: Callable[..., subprocess.Popen[str]],
              args: Callable[[int], list[str]]) -> list[tuple[int, str, str]]:
    """Start PROCESSES processes waiting on a barrier file, release them at once, and
    return (exit code, stdout, stderr) of each."""
    go = tmp_path / "go"
    procs = [spawn([sys.executable, *args(i)], cwd=tmp_path, stdout=subprocess.PIPE,
                   stderr=subprocess.PIPE) for i in range(PROCESSES)]
    time.sleep(1.5)  # every interpreter started and polling (not a measurement)
    go.touch()
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=240)
        results.append((proc.returncode, out, err))
    return results


def _check(url: str, results: list[tuple[int, str, str]]) -> None:
    for code, out, err in results:
        assert code == 0 and out.startswith("ok"), err[-3000:]
        assert "Traceback" not in err
    assert len({out.split()[1] for _, out, _ in results}) == 1  # one brand, the same id for all
    db = Database(url)
    try:
        assert db.count(Brand) == 1
        assert db.count(MarkRow) == 3
        assert db.count(Asset) == sum(1 for _ in load_registry(DEMO_BRAND).image_files())
    finally:
        db.close()


def test_first_use_of_a_sqlite_file_by_several_processes(tmp_path: Path, spawn) -> None:
    url = f"sqlite:///{tmp_path / 'fresh' / 'markwatch.db'}"
    results = _together(tmp_path, spawn, lambda _i: ["-c", FIRST_USE, url, str(tmp_path / "go"), str(DEMO_BRAND)])
    _check(url, results)


@pytest.mark.postgres
def test_first_use_of_a_postgresql_database_by_several_processes(pg_url: str, tmp_path: Path, spawn) -> None:
    import psycopg

    base = make_url(pg_url)
    name = f"race_{uuid.uuid4().hex[:12]}"
    admin = base.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = base.set(database=name).render_as_string(hide_password=False)
    results = _together(tmp_path, spawn, lambda _i: ["-c", FIRST_USE, url, str(tmp_path / "go"), str(DEMO_BRAND)])
    _check(url, results)


def test_concurrent_cases_commands_on_a_fresh_database(tmp_path: Path, spawn) -> None:
    """`markwatch cases` several times at once on a database nobody has migrated (an empty
    file: read-only commands refuse a missing one)."""
    db = tmp_path / "markwatch.db"
    db.touch()
    waiting = textwrap.dedent("""
        import sys, time
        from pathlib import Path
        while not Path(sys.argv[1]).exists():
            time.sleep(0.005)
        sys.argv = ["markwatch", *sys.argv[2:]]
        from monitor.cli import main
        main()
    """)
    results = _together(tmp_path, spawn, lambda _i: ["-c", waiting, str(tmp_path / "go"), "cases", "--brand",
                                                     str(DEMO_BRAND), "--db", str(db)])
    # Each one migrates or waits for the one migrating, then reports the (empty) database
    # alike: no brand has run yet, which is not an error of the storage.
    for _code, _out, err in results:
        assert "Traceback" not in err and "cannot open the database" not in err, err[-3000:]
    assert len({code for code, _, _ in results}) == 1 and len({err for _, _, err in results}) == 1
