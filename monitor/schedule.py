"""`markwatch run`: crawl, match, store and digest in one go, resumable after an
interruption; `markwatch schedule`: the same every day at a set time, without cron.

Resuming rests on two things: every listing is stored and assessed on its own commit
(so the database keeps what an interrupted run got), and `run-state.json` in the output
folder records which steps of the day's run finished, so a rerun skips a finished crawl."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from monitor.db import Database
from monitor.digest import collect_digest, write_digest
from monitor.errors import MarkwatchError
from monitor.mail import SentMail, send_digest
from monitor.models import utcnow
from monitor.registry import Registry
from monitor.run import Monitor, Progress, RunSummary

__all__ = ["STATE_FILE", "RunOutcome", "run_once", "run_in_process", "next_run_time", "run_schedule",
           "parse_time", "parse_interval"]

log = logging.getLogger(__name__)

STATE_FILE = "run-state.json"


@dataclass(frozen=True, slots=True)
class RunOutcome:
    day: dt.date
    summary: RunSummary | None        # None when the day's crawl had already finished
    resumed_assessments: int          # listings an earlier, interrupted run left unassessed
    digest: dict[str, Path]
    entries: int
    mailed: SentMail | None


def _read_state(path: Path) -> dict[str, Any]:
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return state if isinstance(state, dict) else {}


def _write_state(path: Path, state: dict[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, indent=1), encoding="utf-8")
    tmp.replace(path)  # atomic: a kill mid-write leaves the old state, never half a file


def run_once(
    registry: Registry,
    db: Database,
    *,
    out_dir: str | Path,
    images_dir: str | Path | None = None,
    base_url: str | None = None,
    platforms: Sequence[str] | None = None,
    limit: int | None = None,
    browser_path: str | None = None,
    overrides: dict[str, Any] | None = None,
    email: bool = False,
    review_url: str | None = None,
    fresh: bool = False,
    progress: Progress | None = None,
    now: dt.datetime | None = None,
) -> RunOutcome:
    """One day's run: finish what an interrupted run left, crawl (unless today's crawl
    already finished and `fresh` is false), write the digest, and mail it if asked.

    Scrapy's reactor runs once per process, so a process crawls once: a long-lived caller
    (the scheduler) starts each run with `run_in_process`."""
    progress = progress or (lambda _event, _data: None)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    day = (now or utcnow()).date()
    state_path = out / STATE_FILE
    state = _read_state(state_path)
    if state.get("day") != day.isoformat() or fresh:
        state = {"day": day.isoformat()}
    monitor = Monitor(registry, db, images_dir=images_dir or out / "images", progress=progress)
    resumed = monitor.assess_pending(platforms=platforms)
    if resumed:
        progress("resumed", {"assessed": resumed})
    summary = None
    if not state.get("crawl_done"):
        state["crawl_started"] = utcnow().isoformat()
        _write_state(state_path, state)
        summary = monitor.crawl(base_url=base_url, platforms=platforms, limit=limit,
                                browser_path=browser_path, overrides=overrides)
        state["run_id"] = summary.run_id
        if summary.incomplete:
            # Not done: the rerun crawls again, and what this crawl stored stays unchanged.
            state["crawl_incomplete"] = summary.incomplete
        else:
            state.pop("crawl_incomplete", None)
            state["crawl_done"] = utcnow().isoformat()
        _write_state(state_path, state)
    else:
        progress("skipped-crawl", {"finished": state["crawl_done"]})
    brand_id = monitor.brand.id
    progress("digest", {})
    data = collect_digest(db, brand_id, registry.brand, registry=registry, now=now)
    files = write_digest(db, brand_id, data, out, review_url=review_url)
    state["digest"] = str(files["html"])
    _write_state(state_path, state)
    mailed = None
    if email:
        mailed = send_digest(data, registry.settings.mail, attachments=files, review_url=review_url)
        state["mailed"] = mailed.message_id
        _write_state(state_path, state)
    return RunOutcome(day=day, summary=summary, resumed_assessments=resumed, digest=files,
                      entries=len(data.entries), mailed=mailed)


def run_in_process(args: Sequence[str], *, timeout: float | None = None) -> int:
    """`markwatch run ARGS` in a child process (its output goes to ours); a failure is a
    `MarkwatchError` with the exit code."""
    done = subprocess.run([sys.executable, "-m", "monitor.cli", "run", *args], timeout=timeout,
                          check=False)
    if done.returncode:
        raise MarkwatchError(f"markwatch run exited with code {done.returncode}")
    return done.returncode


def parse_time(text: str) -> dt.time:
    """'06:30' -> 06:30; a clear error for anything else."""
    try:
        return dt.time.fromisoformat(text.strip())
    except ValueError:
        raise MarkwatchError(f"--at {text!r} is not a time of day; write it as HH:MM, e.g. 06:30") from None


_INTERVAL = re.compile(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?")


def parse_interval(text: str) -> dt.timedelta:
    """'1h', '30m', '2h30m', '1d' -> a timedelta of at least a minute; a clear error otherwise."""
    match = _INTERVAL.fullmatch(text.strip().lower())
    if not match or not any(match.groups()):
        raise MarkwatchError(f"--every {text!r} is not an interval; write it as e.g. 1h, 30m, 2h30m or 1d")
    days, hours, minutes = (int(g or 0) for g in match.groups())
    every = dt.timedelta(days=days, hours=hours, minutes=minutes)
    if every < dt.timedelta(minutes=1):
        raise MarkwatchError(f"--every {text!r} is shorter than a minute")
    return every


def next_run_time(at: dt.time, now: dt.datetime) -> dt.datetime:
    """The first moment at `at` (in now's timezone) strictly after `now`."""
    candidate = now.replace(hour=at.hour, minute=at.minute, second=at.second, microsecond=0)
    return candidate if candidate > now else candidate + dt.timedelta(days=1)


def run_schedule(
    job: Callable[[], object],
    *,
    at: dt.time | None = None,
    every: dt.timedelta | None = None,
    stop: threading.Event | None = None,
    run_now: bool = False,
    clock: Callable[[], dt.datetime] = lambda: dt.datetime.now().astimezone(),
    on_event: Callable[[str, dict[str, Any]], None] | None = None,
) -> int:
    """Call `job` every day at `at` (local time), or once every `every` from now, until
    `stop` is set; a failed run is reported and the next one goes ahead. A run that takes
    longer than the interval skips the slots it overran (runs never overlap). Returns how
    many runs were started."""
    if (at is None) == (every is None):
        raise ValueError("give either a time of day (at) or an interval (every)")
    stop = stop or threading.Event()
    on_event = on_event or (lambda _event, _data: None)
    runs = 0
    def following(previous: dt.datetime) -> dt.datetime:
        if every is None:
            return next_run_time(at, clock())  # type: ignore[arg-type]
        due = previous + every
        while due <= clock():
            due += every
        return due

    start = clock()
    due = start if run_now or every is not None else next_run_time(at, start)  # type: ignore[arg-type]
    while not stop.is_set():
        wait = (due - clock()).total_seconds()
        if wait > 0:
            on_event("waiting", {"until": due})
            # Sleep in slices so a changed wall clock (suspend, DST) is noticed.
            stop.wait(min(wait, 300))
            continue
        runs += 1
        on_event("run-start", {"at": clock()})
        try:
            result = job()
        except MarkwatchError as exc:
            on_event("run-failed", {"error": str(exc)})
        except Exception as exc:  # noqa: BLE001 - a bad day must not end the schedule
            log.exception("scheduled run failed")
            on_event("run-failed", {"error": f"{type(exc).__name__}: {exc}"})
        else:
            on_event("run-done", {"result": result})
        due = following(due)
    return runs
