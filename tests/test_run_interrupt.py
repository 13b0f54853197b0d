"""`markwatch run` in a pipe and under Ctrl-C: plain progress lines (a line per stage, one
every few seconds), and Ctrl-C stops the run, keeps what was stored, marks the run
interrupted and exits 130."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import DEMO_BRAND

pytestmark = pytest.mark.slow


@pytest.mark.timeout(300)
@pytest.mark.parametrize("presses", [1, 2], ids=["once", "twice"])
def test_ctrl_c_stops_the_run_keeps_what_was_stored_and_exits_130(tmp_path: Path, demo_market, spawn,  # type: ignore[no-untyped-def]
                                                                   browser_path: str, presses: int) -> None:
    """Once: the crawl stops gently (requests in flight finish). Twice: the second press stops
    at once, and the run is still marked interrupted with what was stored kept."""
    db = tmp_path / "mw.db"
    proc = spawn([sys.executable, "-m", "monitor.cli", "run", "--brand", str(DEMO_BRAND), "--db", str(db),
                  "--out", str(tmp_path / "out"), "--base-url", demo_market.base_url, "--platform", "bazaar",
                  "--delay", "0"], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                 env={**os.environ, "MARKWATCH_CHROMIUM": browser_path, "COLUMNS": "200",
                      "PYTHONFAULTHANDLER": "1"})  # a crash at exit shows every thread's stack
    assert proc.stderr is not None
    lines = []
    deadline = time.monotonic() + 200
    # wait for the first periodic line: the crawl is under way and some listings are stored
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        lines.append(line)
        if "listings stored (" in line:
            break
    assert any("markwatch: crawling bazaar" in x for x in lines), lines
    assert any("listings stored (" in x and " photos, " in x for x in lines), lines
    for _ in range(presses):
        os.killpg(proc.pid, signal.SIGINT)  # as a terminal's Ctrl-C does: the whole foreground group
        time.sleep(0.3)
    _, rest = proc.communicate(timeout=120)
    assert proc.returncode == 130, "".join(lines) + rest
    assert "interrupted" in rest and "Traceback" not in rest, rest
    with sqlite3.connect(db) as conn:
        statuses = [s for (s,) in conn.execute("select status from run")]
        (stored,) = conn.execute("select count(*) from listing").fetchone()
    assert statuses == ["interrupted"] and stored > 0
