"""Assessment in worker processes gives what assessment in this process gives, listing by
listing, and the workers stop with the run."""

from __future__ import annotations

import multiprocessing
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from conftest import DEMO_BRAND
from monitor._workers import _libc
from monitor.db import Database, ListingInput
from monitor.models import Case
from monitor.registry import load_registry
from monitor.run import Monitor
from sqlmodel import select

ASSETS = DEMO_BRAND.parent / "assets"
LISTINGS = [
    ("L-1", "Norvik Fjell Parka replica 1:1", "49", "parka.jpg"),
    ("L-2", "𝗡𝗢𝗥𝗩𝗜𝗞 hiking boots", "60", "boot.jpg"),
    ("L-3", "Plain winter gloves", "15", None),
    ("L-4", "Trail backpack 40 l", "80", "backpack.jpg"),
    ("L-5", "Insulated bottle, steel", "20", "bottle.jpg"),
    ("L-6", "Norvik compatible replacement laces", "8", None),
]


def _assessed(tmp_path: Path, workers: int) -> dict[str, tuple[int, bool, tuple[str, ...]]]:
    registry = load_registry(DEMO_BRAND)
    db = Database(str(tmp_path / f"w{workers}.db"))
    monitor = Monitor(registry, db, images_dir=tmp_path / "images", workers=workers)
    for listing_id, title, price, image in LISTINGS:
        files = ({"url": f"http://img.example/{listing_id}.jpg", "sha256": f"sha-{listing_id}",
                  "path": str(ASSETS / image), "error": None},) if image else ()
        db.upsert_listing(ListingInput(platform="bazaar", listing_id=listing_id, url=f"https://bazaar.example/{listing_id}",
                                       title=title, seller_name="Cheap Gear", price=Decimal(price), currency="EUR",
                                       image_files=files))
    assert monitor.assess_pending() == len(LISTINGS)
    assert monitor._pool is None  # the workers stopped with the work
    with db.session() as s:
        rows = s.exec(select(Case)).all()
        by_listing = {db.listing(c.listing_pk).listing_id: (c.risk, c.flagged, tuple(c.reasons)) for c in rows}
    return by_listing


def test_worker_processes_assess_as_this_process_does(tmp_path: Path) -> None:
    alone = _assessed(tmp_path, 1)
    pooled = _assessed(tmp_path, 2)
    assert pooled == alone
    assert any(flagged for _, flagged, _ in alone.values())
    assert not multiprocessing.active_children()


def test_workers_leave_when_their_parent_is_killed(tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys
    import time

    script = tmp_path / "parent.py"
    script.write_text(
        "import sys, time\n"
        f"sys.path.insert(0, {str(Path(__file__).resolve().parent.parent)!r})\n"
        "from monitor._workers import AssessPool\n"
        "from monitor.registry import load_registry\n"
        "if __name__ == '__main__':  # spawned workers import this file too\n"
        f"    pool = AssessPool({{'registry': load_registry({str(DEMO_BRAND)!r}), 'image_cache': None}}, 2)\n"
        "    pool._pool.submit(int, 1).result()\n"
        "    print(' '.join(str(p.pid) for p in pool._pool._processes.values()), flush=True)\n"
        "    time.sleep(600)\n", encoding="utf-8")
    parent = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout is not None
        workers = [int(p) for p in parent.stdout.readline().split()]  # started on demand: at least one
        assert workers
    finally:
        parent.send_signal(signal.SIGKILL)
        parent.wait(timeout=10)
    deadline = time.monotonic() + 20
    alive = workers
    while alive and time.monotonic() < deadline:
        time.sleep(0.5)
        alive = [p for p in workers if _running(p)]
    assert not alive, f"workers {alive} outlived their killed parent"


def _running(pid: int) -> bool:
    import os

    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie waiting for its reaper has left too
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            return fh.read().split(") ", 1)[1][0] != "Z"
    except OSError:
        return False


_BUFFERS = """
import resource, sys
import numpy as np
from monitor import _workers
if sys.argv[1] == "tuned":
    _workers._keep_freed_memory_for_reuse()
def rounds(n):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(n):  # a photo's worth of large buffers (a SIFT scale space), then freed
        held = [np.ones(1 << 20) for _ in range(12)]  # 12 x 8 MiB
        del held
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
faults = rounds(10)
kept = _workers._resident_bytes()
_workers._RESIDENT_LIMIT = 0  # past the limit: freed memory goes back at once
_workers._bound_resident_memory()
print(faults, kept, _workers._resident_bytes())
"""


def _buffers(mode: str) -> tuple[int, int, int]:
    out = subprocess.run([sys.executable, "-c", _BUFFERS, mode], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parent.parent)
    faults, kept, after = (int(v) for v in out.stdout.split())
    return faults, kept, after


def test_workers_reuse_freed_photo_buffers_and_bound_what_they_keep() -> None:
    if _libc() is None:
        pytest.skip("malloc tuning applies to glibc only")
    page_faults_default, _, _ = _buffers("default")
    page_faults_tuned, kept, after = _buffers("tuned")
    # 10 rounds of 96 MiB: by default glibc gives the memory back and faults it in again
    # each round (~24 k pages a round); tuned, the first round's pages are reused.
    assert page_faults_tuned * 3 < page_faults_default, (page_faults_tuned, page_faults_default)
    # and what a worker keeps goes back once it is past its resident limit
    assert kept - after > 64 << 20, (kept, after)


def test_every_worker_starts_when_the_pool_opens(tmp_path: Path) -> None:
    """The workers build their indexes when the pool opens (beside the crawl's own start),
    all of them, not one by one as the first listings arrive."""
    import time

    registry = load_registry(DEMO_BRAND)
    monitor = Monitor(registry, Database(str(tmp_path / "w.db")), images_dir=tmp_path / "images", workers=2)
    monitor.start_workers()
    try:
        deadline = time.monotonic() + 60
        while len(multiprocessing.active_children()) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(multiprocessing.active_children()) == 2, "the workers wait for the first listing"
    finally:
        monitor.close()
    assert not multiprocessing.active_children()
