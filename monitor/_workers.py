"""Assessment in worker processes, so a run uses every core: image matching (hashes, local
features, reading words) is CPU work that a thread shares with the crawl under the GIL.

Each worker builds its own Assessor once (the brand's image index comes from the shared
cache), ignores Ctrl-C (the parent decides when to stop) and assesses one listing per call;
the parent stores the results, so the database is written from one process.
"""

from __future__ import annotations

import ctypes
import dataclasses
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


# glibc's mallopt parameters (malloc.h)
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_MMAP_AT = 1 << 20


def _hand_back_large_blocks() -> None:
    """glibc raises its mmap threshold each time a large block is freed (up to 32 MiB); past
    that, decoded photos and feature buffers come from the heap and stay there as fragments.
    A fixed 1 MiB threshold hands them back to the system when freed: a worker reading words
    in 80 photos peaked at 324 MiB rather than 376-386 (bench/daily_scale.py). Elsewhere than
    glibc, nothing to do."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(_M_MMAP_THRESHOLD, _MMAP_AT)
        libc.mallopt(_M_TRIM_THRESHOLD, _MMAP_AT)
    except (OSError, AttributeError):
        pass


def _start(settings: dict[str, Any]) -> None:
    global _assessor
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _hand_back_large_blocks()
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
    return _assessor.assess(text, list(images), list(videos))


class AssessPool:
    """`workers` processes assessing listings, each with an Assessor built from `settings`
    (its constructor's arguments) or like `assessor` (same registry and settings)."""

    def __init__(self, assessor: Assessor | dict[str, Any], workers: int) -> None:
        settings = (dict(assessor) if isinstance(assessor, dict)
                    else {f.name: getattr(assessor, f.name) for f in dataclasses.fields(assessor) if f.init})
        # spawn, not fork: the parent runs Twisted's reactor and Playwright's threads, which
        # a forked child would inherit half-held.
        self._pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                                         initializer=_start, initargs=(settings,))
        self.workers = workers

    def assess(self, text: ListingText, images: Sequence[str], videos: Sequence[str] = ()) -> Assessment:
        return self._pool.submit(_assess, text, tuple(images), tuple(videos)).result()

    def close(self, *, wait: bool = True) -> None:
        self._pool.shutdown(wait=wait, cancel_futures=True)
