"""Scrapy's downloader with its per-domain concurrency enforced under the asyncio reactor:
Scrapy 2.19 starts each download as an asyncio task and counts it only once the task runs,
so with no download delay a whole queue for one domain went out at once."""

from __future__ import annotations

from time import monotonic

from scrapy.core.downloader import Downloader, Slot

try:  # private helpers of Scrapy 2.19's downloader; without them Scrapy's own queue runs
    from scrapy.utils.asyncio import call_later
    from scrapy.utils.defer import _schedule_coro
except ImportError:  # pragma: no cover - another Scrapy version
    call_later = _schedule_coro = None  # type: ignore[assignment]

__all__ = ["PoliteDownloader"]


class PoliteDownloader(Downloader):
    """Reserves a request's transfer slot when it leaves the queue, not when its task starts."""

    def _process_queue(self, slot: Slot) -> None:
        if _schedule_coro is None or not hasattr(self, "_wait_for_download"):
            super()._process_queue(slot)
            return
        if slot.latercall:
            return
        now = monotonic()
        delay = slot.download_delay()
        if delay:
            penalty = delay - now + slot.lastseen
            if penalty > 0:
                slot.latercall = call_later(penalty, self._latercall, slot)
                return
        while slot.queue and slot.free_transfer_slots() > 0:
            slot.lastseen = now
            request, queue_dfd = slot.queue.popleft()
            # Counted now: Scrapy's `_download` adds it again (a set) and removes it when done.
            slot.transferring.add(request)
            _schedule_coro(self._wait_for_download(slot, request, queue_dfd))
            if delay:
                self._process_queue(slot)
                break
