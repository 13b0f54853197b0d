"""The per-run listing cap. In one process it is a set of listing ids; when processes share a
Redis frontier (scrapy-redis), the set lives in Redis and each claim is one atomic script, so
the cap holds for the run as a whole rather than once per process.

`RunPresence` keeps a process of such a run open while another still has work: the process
that reads a search's result pages queues the sampled listings only once the last page is
in, and a process that closed on finding the queue empty before then would leave all the
listings to the first (bench/redis_scale.py: 157 and 0 of 157 before this).

`BacklogThrottle` keeps a process from taking listings off a shared frontier faster than it
can match them: one whose crawl outran its assessment workers went on pulling listings the
other processes were idle for (bench/redis_scale.py: 56 and 101 of 157)."""

from __future__ import annotations

import time
import uuid
from typing import Any

__all__ = ["BacklogThrottle", "ListingCap", "RunPresence"]

# KEYS[1]: the run's set of claimed listing ids; ARGV: listing id, cap.
# 1: claimed now; 0: already claimed (by any process); -1: the cap is reached.
_CLAIM = """
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1 then return 0 end
if redis.call('SCARD', KEYS[1]) >= tonumber(ARGV[2]) then return -1 end
redis.call('SADD', KEYS[1], ARGV[1])
return 1
"""


class ListingCap:
    """At most `limit` distinct listings per run; `claim` says whether this process reads one."""

    def __init__(self, limit: int, *, redis_url: str | None = None, key: str | None = None) -> None:
        self.limit = limit
        self._local: set[str] = set()
        self._redis: Any = None
        self._key = key
        if redis_url and key:
            import redis

            self._redis = redis.Redis.from_url(redis_url)
            self._claim = self._redis.register_script(_CLAIM)

    @classmethod
    def for_spider(cls, spider: Any) -> ListingCap:
        """The cap of `spider.max_listings`, shared through Redis when the crawl settings name
        a run key for it; a spider outside a crawl (no settings yet) gets a local one."""
        settings = getattr(spider, "settings", None)
        template = settings.get("MARKWATCH_LISTINGS_KEY") if settings is not None else None
        if not template:
            return cls(spider.max_listings)
        return cls(spider.max_listings, redis_url=settings.get("REDIS_URL"), key=template % {"spider": spider.name})

    def claim(self, listing_id: str) -> bool:
        if listing_id in self._local:
            return False
        if self._redis is not None:
            if int(self._claim(keys=[self._key], args=[listing_id, self.limit])) != 1:
                return False
        elif len(self._local) >= self.limit:
            return False
        self._local.add(listing_id)
        return True

    def __contains__(self, listing_id: object) -> bool:
        """Whether this process already claimed `listing_id`."""
        return listing_id in self._local

    def remaining(self) -> int:
        """How many more listings the run may read (across processes when shared)."""
        taken = int(self._redis.scard(self._key)) if self._redis is not None else len(self._local)
        return max(0, self.limit - taken)


class RunPresence:
    """The processes of one run that are at work, as a Redis sorted set of tokens scored by
    when their claim lapses: a process that stops without a word (killed, its machine gone)
    drops out after `ttl` seconds."""

    def __init__(self, redis_url: str, key: str, *, ttl: float = 60.0) -> None:
        import redis

        self._redis = redis.Redis.from_url(redis_url)
        self._key = key
        self._token = uuid.uuid4().hex
        self._ttl = ttl
        self._marked = 0.0

    @classmethod
    def for_spider(cls, spider: Any) -> RunPresence | None:
        """The run's presence set when the crawl shares a Redis frontier; else None."""
        template = spider.settings.get("MARKWATCH_LISTINGS_KEY")
        if not template or not spider.settings.get("REDIS_URL"):
            return None
        return cls(spider.settings.get("REDIS_URL"), template % {"spider": spider.name} + ":active")

    def busy(self, *, now: bool = False) -> None:
        """This process has work (at most one Redis call a second unless `now`)."""
        at = time.time()
        if now or at - self._marked >= 1.0:
            self._redis.zadd(self._key, {self._token: at + self._ttl})
            self._redis.expire(self._key, 86_400)
            self._marked = at

    def others_busy(self) -> bool:
        """This process has nothing left to do: whether another of the run still has work
        (and may queue more listings for every process to share)."""
        at = time.time()
        self._redis.zrem(self._key, self._token)
        self._marked = 0.0
        self._redis.zremrangebyscore(self._key, "-inf", at)
        return int(self._redis.zcard(self._key)) > 0


class BacklogThrottle:
    """A Scrapy extension that pauses the engine (no new requests leave the scheduler; those
    in flight finish) while the application's backlog, MARKWATCH_BACKLOG() listings handed
    over and not yet dealt with, is at MARKWATCH_MAX_BACKLOG or more, and resumes it once
    the backlog is below. Not configured without both settings."""

    def __init__(self, crawler: Any, backlog: Any, limit: int, *, every: float = 0.25) -> None:
        self.crawler = crawler
        self.backlog = backlog
        self.limit = limit
        self.every = every
        self._loop: Any = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> BacklogThrottle:
        from scrapy import signals
        from scrapy.exceptions import NotConfigured

        backlog = crawler.settings.get("MARKWATCH_BACKLOG")
        limit = crawler.settings.getint("MARKWATCH_MAX_BACKLOG", 0)
        if not callable(backlog) or limit <= 0:
            raise NotConfigured("no MARKWATCH_BACKLOG to throttle by")
        throttle = cls(crawler, backlog, limit)
        crawler.signals.connect(throttle._opened, signal=signals.spider_opened)
        crawler.signals.connect(throttle._closed, signal=signals.spider_closed)
        # Checked as each item is handed over, so the engine pauses on the one that fills
        # the backlog (only requests already in flight can add to it); the loop resumes it.
        crawler.signals.connect(throttle._handed_over, signal=signals.item_scraped)
        return throttle

    def _handed_over(self, item: Any, response: Any, spider: Any) -> None:
        self.check()

    def _opened(self, spider: Any) -> None:
        from twisted.internet import task

        self._loop = task.LoopingCall(self.check)
        self._loop.start(self.every, now=False)

    def _closed(self, spider: Any) -> None:
        if self._loop is not None and self._loop.running:
            self._loop.stop()

    def check(self) -> None:
        engine = self.crawler.engine
        if engine is None:
            return
        full = int(self.backlog()) >= self.limit
        if full and not engine.paused:
            engine.pause()
            self.crawler.stats.inc_value("markwatch/paused_for_backlog")
        elif not full and engine.paused:
            engine.unpause()
            # A paused engine skipped its scheduling rounds: start the next one now.
            slot = getattr(engine, "_slot", None)
            if slot is not None:
                slot.nextcall.schedule()
