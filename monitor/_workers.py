"""Assessment in worker processes, so a run uses every core: image matching (hashes, local
features, reading words) is CPU work that a thread shares with the crawl under the GIL.

Each worker builds its own Assessor once (the brand's image index comes from the shared
cache), ignores Ctrl-C (the parent decides when to stop) and assesses one listing per call;
the parent stores the results, so the database is written from one process.
"""

from __future__ import annotations

import ctypes
import functools
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from monitor.assess import Assessment, Assessor, ListingText

__all__ = ["default_workers", "AssessPool"]

_assessor: Assessor | None = None


def default_workers() -> int:
    """$MARKWATCH_WORKERS, else one per core this process may use (at most 8)."""
    configured = os.environ.get("MARKWATCH_WORKERS", "").strip()
    if configured.isdigit() and int(configured) >= 1:
        return int(configured)
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return max(1, min(cores, 8))


@functools.cache
def _malloc_trim() -> Any:
    """glibc's malloc_trim, or None elsewhere (musl, macOS, Windows)."""
    try:
        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None


def _hand_back_freed_memory() -> None:
    """After a listing, the freed photo and feature buffers that glibc keeps in its heaps
    go back to the system: a worker reading words in 60 photos peaked at 311 MiB rather than
    360-365, with CPU within the spread of repeats (35.2/38.9 s against 34.8/37.1 s). A fixed
    1 MiB mmap threshold saved as much but cost 17-30% more CPU in page faults."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


def _start(settings: dict[str, Any]) -> None:
    global _assessor
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = os.getppid()

    def leave_with_parent() -> None:
        # A parent killed outright (SIGKILL, OOM) cannot stop its pool: go with it rather
        # than wait forever on a queue nobody writes to.
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=leave_with_parent, name="markwatch-parent-watch", daemon=True).start()
    _assessor = Assessor(**settings)


def _assess(text: ListingText, images: Sequence[str], videos: Sequence[str]) -> Assessment:
    assert _assessor is not None, "worker not started"
    try:
        return _assessor.assess(text, list(images), list(videos))
    finally:
        _hand_back_freed_memory()


class AssessPool:
    """`workers` processes assessing listings, each with an Assessor built from `settings`
    (its constructor's arguments)."""

    def __init__(self, settings: dict[str, Any], workers: int) -> None:
        # spawn, not fork: the parent runs Twisted's reactor and Playwright's threads, which
        # a forked child would inherit half-held.
        self._pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                                         initializer=_start, initargs=(settings,))
        self.workers = workers

    def assess(self, text: ListingText, images: Sequence[str], videos: Sequence[str] = ()) -> Assessment:
        return self._pool.submit(_assess, text, tuple(images), tuple(videos)).result()

    def close(self, *, wait: bool = True) -> None:
        self._pool.shutdown(wait=wait, cancel_futures=True)
