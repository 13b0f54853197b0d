"""The daily loop: `markwatch run` crawls the demo market, stores, assesses, writes the
digest and mails it to a real SMTP server on loopback; a rerun resumes rather than
repeats; the scheduler starts a run every day at the set time and survives a failed one."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
import re
import shutil
import threading
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from sqlmodel import select

from monitor.db import Database
from monitor.errors import MarkwatchError
from monitor.models import Listing
from monitor.schedule import STATE_FILE, next_run_time, parse_interval, parse_time, run_in_process, run_schedule
from conftest import DEMO_BRAND, run_cli
from review_seed import DEMO_BRAND, smtp_inbox


def _brand_with_mail(tmp_path: Path, port: int) -> Path:
    """The demo brand, copied, with settings.mail pointing at a loopback SMTP server."""
    folder = tmp_path / "brand"
    shutil.copytree(DEMO_BRAND.parent, folder)
    data = yaml.safe_load((folder / "brand.yaml").read_text(encoding="utf-8"))
    data["settings"]["mail"] = {"host": "127.0.0.1", "port": port, "starttls": False,
                                "from": "digest@norvik.example", "to": ["team@norvik.example"]}
    (folder / "brand.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return folder / "brand.yaml"


@pytest.mark.slow
def test_daily_run_end_to_end_and_resumed(tmp_path: Path, demo_market, browser_path: str) -> None:  # type: ignore[no-untyped-def]
    db_path = tmp_path / "mw.db"
    out = tmp_path / "out"
    env = {"MARKWATCH_CHROMIUM": browser_path}
    with smtp_inbox() as (inbox, port):
        brand = _brand_with_mail(tmp_path, port)
        args = ["run", "--brand", str(brand), "--db", str(db_path), "--out", str(out), "--base-url",
                demo_market.base_url, "--platform", "bazaar", "--limit", "30", "--delay", "0"]
        first = run_cli(*args, "--email", cwd=tmp_path, env=env)
        assert first.returncode == 0, first.stderr
        assert "30 listings seen" in first.stdout and "mailed to team@norvik.example" in first.stdout
        assert len(inbox.envelopes) == 1
        msg = email.message_from_bytes(inbox.envelopes[0].original_content, policy=email.policy.default)
        flagged = int(re.search(r"(\d+) listings to review", msg["Subject"])[1])
        assert flagged > 0
        html = msg.get_body(("html",)).get_content()
        assert html.count("case #") == flagged and 'src="cid:' in html
        state = json.loads((out / STATE_FILE).read_text())
        assert state["crawl_done"] and state["mailed"] == msg["Message-ID"]
        assert Path(state["digest"]).is_file()

        # The same day again: the finished crawl is not repeated, and nothing new to report.
        second = run_cli(*args, cwd=tmp_path, env=env)
        assert second.returncode == 0, second.stderr
        assert "crawl had already finished" in second.stdout and "digest of 0 matches" in second.stdout

    # An interrupted run: its crawl never finished and one listing was stored unassessed.
    state["crawl_done"] = None
    (out / STATE_FILE).write_text(json.dumps(state))
    db = Database(str(db_path))
    with db.session() as s:
        row = s.exec(select(Listing)).first()
        row.assessed_hash = None
        s.add(row)
        s.commit()
    third = run_cli(*args, cwd=tmp_path, env=env)
    assert third.returncode == 0, third.stderr
    assert "finished 1 assessments an interrupted run left" in third.stdout
    seen = re.search(r"30 listings seen \((\d+) new", third.stdout)
    assert seen, third.stdout
    # which 30 a capped crawl reaches first varies; nothing is stored twice
    assert db.count(Listing) == 30 + int(seen[1])
    with db.session() as s:
        assert all(r.assessed_hash == r.content_hash for r in s.exec(select(Listing)))


def test_a_failed_run_in_its_own_process_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(MarkwatchError, match="exited with code 2"):
        run_in_process(["--brand", str(tmp_path / "absent.yaml")])


class _Clock:
    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now


class _FastStop(threading.Event):
    """Waiting moves the fake clock instead of sleeping."""

    def __init__(self, clock: _Clock) -> None:
        super().__init__()
        self.clock = clock

    def wait(self, timeout: float | None = None) -> bool:
        self.clock.now += dt.timedelta(seconds=timeout or 0)
        return self.is_set()


def test_schedule_runs_daily_and_survives_a_failure() -> None:
    clock = _Clock(dt.datetime(2026, 3, 1, 23, 10, tzinfo=dt.UTC))
    stop = _FastStop(clock)
    started: list[dt.datetime] = []
    events: list[str] = []

    def job() -> str:
        started.append(clock.now)
        clock.now += dt.timedelta(minutes=40)  # a run takes a while
        if len(started) == 2:
            raise MarkwatchError("the marketplace was down")
        if len(started) == 4:
            stop.set()
        return "ok"

    runs = run_schedule(job, at=dt.time(6, 0), stop=stop, clock=clock,
                        on_event=lambda event, _data: events.append(event))
    assert runs == 4
    assert [t.date().isoformat() for t in started] == ["2026-03-02", "2026-03-03", "2026-03-04", "2026-03-05"]
    assert all(dt.time(6, 0) <= t.time() < dt.time(6, 6) for t in started)
    assert events.count("run-failed") == 1 and events.count("run-done") == 3


def test_schedule_now_runs_at_once() -> None:
    clock = _Clock(dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC))
    stop = _FastStop(clock)
    started: list[dt.datetime] = []

    def job() -> None:
        started.append(clock.now)
        stop.set()

    run_schedule(job, at=dt.time(6, 0), stop=stop, clock=clock, run_now=True)
    assert started == [dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)]


@given(st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2100, 1, 1)),
       st.times())
def test_next_run_time_is_the_next_occurrence(now: dt.datetime, at: dt.time) -> None:
    due = next_run_time(at, now)
    assert now < due <= now + dt.timedelta(days=1)
    assert due.time() == at.replace(microsecond=0)


def test_parse_time() -> None:
    assert parse_time("06:30") == dt.time(6, 30)
    with pytest.raises(MarkwatchError, match="HH:MM"):
        parse_time("half past six")


def test_schedule_every_interval_runs_from_now_and_skips_overrun_slots() -> None:
    clock = _Clock(dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC))
    stop = _FastStop(clock)
    started: list[dt.datetime] = []

    def job() -> None:
        started.append(clock.now)
        # The third run overruns two slots; the schedule skips them instead of piling up.
        clock.now += dt.timedelta(minutes=150 if len(started) == 3 else 10)
        if len(started) == 5:
            stop.set()

    runs = run_schedule(job, every=dt.timedelta(hours=1), stop=stop, clock=clock)
    assert runs == 5
    assert [t.strftime("%H:%M") for t in started] == ["12:00", "13:00", "14:00", "17:00", "18:00"]


@given(st.integers(0, 3), st.integers(0, 23), st.integers(0, 59))
def test_parse_interval(days: int, hours: int, minutes: int) -> None:
    text = "".join(f"{n}{unit}" for n, unit in ((days, "d"), (hours, "h"), (minutes, "m")) if n)
    expected = dt.timedelta(days=days, hours=hours, minutes=minutes)
    if not text or expected < dt.timedelta(minutes=1):
        with pytest.raises(MarkwatchError):
            parse_interval(text or "0m")
    else:
        assert parse_interval(text) == expected


def test_parse_interval_says_how_to_write_one() -> None:
    with pytest.raises(MarkwatchError, match="e.g. 1h, 30m"):
        parse_interval("hourly")


def test_schedule_needs_a_time_or_an_interval_not_both() -> None:
    result = run_cli("schedule", "--brand", str(DEMO_BRAND), "--at", "06:00", "--every", "1h")
    assert result.returncode == 2 and "not both" in result.stderr
    bad = run_cli("schedule", "--brand", str(DEMO_BRAND), "--every", "sometimes")
    assert bad.returncode == 2 and "is not an interval" in bad.stderr
