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
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from monitor.assess import Assessment, Assessor, ListingText
    from monitor.registry import Registry

__all__ = ["default_workers", "AssessPool", "assess_pool"]

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


# glibc's malloc, tuned in each worker: a photo's matching allocates and frees large buffers
# (SIFT's scale space of a 720 px photo is about 90 MB, in 8 MB images), which glibc by default
# maps and unmaps, or trims off its heap, on every photo, so the next photo faults the pages
# in again. On 100 demo listings in one process: 2.0-2.8 M page faults and 4-7 s of system
# time (of ~35 s) by default or with a trim after each listing, 52-59 k and 0.2 s with these,
# at the same peak (464-471 MiB against 448-475).
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
_MMAP_THRESHOLD = 32 << 20  # glibc's largest on 64-bit: buffers below it come from the heap
_TRIM_THRESHOLD = 256 << 20  # free memory kept at the heap's top for the next photo
# A worker past this resident size after a listing hands its freed memory back, so the run's
# peak stays bounded when both workers sit at their high-water marks. bench/daily_scale.py at
# 1,010 listings (50 logo images): limit 768 MiB, 453 s wall and 1,945 MiB peak over the
# process tree; 480 MiB, 548 s and 1,789 MiB (trimming after every listing: 599 s, 1,686 MiB).
_RESIDENT_LIMIT = 480 << 20


@functools.cache
def _libc() -> Any:
    """glibc, or None elsewhere (musl, macOS, Windows), where none of this applies."""
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return None
    return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None


def _keep_freed_memory_for_reuse() -> None:
    libc = _libc()
    if libc is not None:
        libc.mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD)
        libc.mallopt(_M_TRIM_THRESHOLD, _TRIM_THRESHOLD)


def _resident_bytes() -> int:
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _bound_resident_memory() -> None:
    libc = _libc()
    if libc is not None and _resident_bytes() > _RESIDENT_LIMIT:
        libc.malloc_trim(0)


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
    _keep_freed_memory_for_reuse()
    from monitor.assess import Assessor  # here: a parent can start its pool before loading the matchers

    _assessor = Assessor(**settings)


def _ready() -> None:
    """Nothing: submitted once per worker when the pool opens, so every worker starts (and
    builds its Assessor) then, beside the crawl's own start, not when listings arrive."""


def _assess(text: ListingText, images: Sequence[str], videos: Sequence[str]) -> Assessment:
    assert _assessor is not None, "worker not started"
    try:
        return _assessor.assess(text, list(images), list(videos))
    finally:
        _bound_resident_memory()


class AssessPool:
    """`workers` processes assessing listings, each with an Assessor built from `settings`
    (its constructor's arguments)."""

    def __init__(self, settings: dict[str, Any], workers: int) -> None:
        # spawn, not fork: the parent runs Twisted's reactor and Playwright's threads, which
        # a forked child would inherit half-held.
        self._pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                                         initializer=_start, initargs=(settings,))
        self.workers = workers
        # The executor spawns a worker per task waiting for one: start them all now. Each
        # takes a few seconds (imports, the brand's indexes), which would otherwise fall on
        # the first listings, one worker after the other.
        for _ in range(workers):
            self._pool.submit(_ready)

    def assess(self, text: ListingText, images: Sequence[str], videos: Sequence[str] = ()) -> Assessment:
        return self._pool.submit(_assess, text, tuple(images), tuple(videos)).result()

    def close(self, *, wait: bool = True) -> None:
        self._pool.shutdown(wait=wait, cancel_futures=True)


def assess_pool(registry: Registry, workers: int) -> AssessPool | None:
    """`workers` processes assessing listings against `registry`, or None for one (a single
    worker assesses in the caller's process, on a thread beside the crawl)."""
    return AssessPool({"registry": registry}, workers) if workers > 1 else None
