"""The per-run listing cap. In one process it is a set of listing ids; when processes share a
Redis frontier (scrapy-redis), the set lives in Redis and each claim is one atomic script, so
the cap holds for the run as a whole rather than once per process.

`RunPresence` keeps a process of such a run open while another still has work: the process
that reads a search's result pages queues the sampled listings only once the last page is
in, and a process that closed on finding the queue empty before then would leave all the
listings to the first (bench/redis_scale.py: 157 and 0 of 157 before this).

`wake_engine` has the crawl look at its frontier now: Scrapy's engine takes requests from its
scheduler when a download ends, a request is queued here or its heartbeat fires, every 5 s. A
crawl resumed after a hold with nothing in flight, or one waiting on the shared frontier for
another process's listings, sat until the heartbeat: each stall up to 5 s of a worker left
without listings."""

from __future__ import annotations

import time
import uuid
from typing import Any

__all__ = ["ListingCap", "RunPresence", "wake_engine"]

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


def wake_engine(crawler: Any) -> None:
    """Ask the crawl's engine to take what its scheduler holds now, not at its next heartbeat.
    Scrapy has no public call for this; the engine's own "next call" (what a finished
    download schedules) is used where it is there, and without it the heartbeat still comes
    (tests/test_crawl_backpressure.py fails if an upgrade takes it away)."""
    engine = getattr(crawler, "engine", None)
    nextcall = getattr(getattr(engine, "_slot", None), "nextcall", None)
    if nextcall is not None:
        nextcall.schedule()
