"""One monitoring run for a brand: crawl its watch list, store every listing (upsert with
history), assess what is new or changed, and record findings and cases.

Each listing is stored and assessed on its own transaction as it arrives, and a listing
whose content changed since its last assessment is assessed again on the next run, so an
interrupted run resumes where it stopped.

A crawl that lost too many pages (more than the crawl setting MARKWATCH_MAX_FAILED_SHARE of
those it tried, or every page: the site went away) is recorded `incomplete`, with its
failures by reason in the run's stats; a run killed outright is found `running` by the next
run, which marks it `interrupted`.
"""

from __future__ import annotations

import hashlib
import logging
import os
import signal
import socket
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from crawlers.failures import crawl_health
from crawlers.items import ListingItem
from crawlers.runner import CrawlJob, run_crawl
from crawlers.settings import DEFAULTS as CRAWL_DEFAULTS
from matchers.errors import ImageError
from matchers.image import hash_image
from monitor.alerts import Alerter
from monitor._workers import AssessPool, assess_pool, default_workers
from monitor.assess import Assessment, Assessor, ListingText
from monitor.db import Database, ListingInput
from monitor.errors import CrawlError
from monitor.models import Listing, Run, utcnow
from monitor.registry import Registry
from monitor.takedown import open_relisting_case
from sqlmodel import select

__all__ = ["RunSummary", "Monitor"]

log = logging.getLogger(__name__)

# In a run shared over Redis, the listings a process may hold read but not yet assessed, per
# assessment worker, before its crawl stops taking pages from the shared frontier.
_SHARED_BACKLOG_PER_WORKER = 16

Progress = Callable[[str, dict[str, Any]], None]


@dataclass
class RunSummary:
    run_id: int | None = None
    seen: int = 0
    photos: int = 0       # listing photos downloaded and stored
    created: int = 0
    changed: int = 0
    unchanged: int = 0
    relisted: int = 0
    assessed: int = 0
    flagged: int = 0
    errors: list[str] = field(default_factory=list)
    alerts: dict[str, int] = field(default_factory=dict)  # alert outcomes: sent / failed
    crawl_stats: dict[str, Any] = field(default_factory=dict)
    pages_read: int = 0
    failed: dict[str, int] = field(default_factory=dict)         # pages not read, by reason
    skipped_links: dict[str, int] = field(default_factory=dict)  # links never requested, by reason
    incomplete: dict[str, str] = field(default_factory=dict)     # platform -> why its crawl is partial
    interrupted_runs: list[int] = field(default_factory=list)    # earlier runs found killed

    @property
    def status(self) -> str:
        return "incomplete" if self.incomplete else "finished"

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "crawl_stats"}

    def account(self, stats_by_job: dict[str, dict[str, Any]], *, max_failed_share: float) -> None:
        """Add each job's page accounting; a job that lost too much makes the run incomplete."""
        for platform, stats in stats_by_job.items():
            health = crawl_health(stats, max_failed_share=max_failed_share)
            self.pages_read += health.read
            for reason, n in health.failed.items():
                self.failed[reason] = self.failed.get(reason, 0) + n
            for reason, n in health.skipped.items():
                self.skipped_links[reason] = self.skipped_links.get(reason, 0) + n
            if health.incomplete:
                self.incomplete[platform] = health.why or "incomplete"


def _restore_ctrl_c() -> None:
    """Scrapy leaves its Ctrl-C handler installed after the crawl, where it does nothing (its
    reactor has stopped): from here on Ctrl-C raises KeyboardInterrupt again."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.default_int_handler)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's live process
    return True


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class Monitor:
    """A brand's registry and database, ready to run crawls and assessments."""

    def __init__(self, registry: Registry, db: Database, *, images_dir: str | Path,
                 progress: Progress | None = None, workers: int | None = None,
                 pool: AssessPool | None = None) -> None:
        self.registry = registry
        self.db = db
        self.images_dir = Path(images_dir)
        self.progress = progress or (lambda _event, _data: None)
        self.brand = self._sync_brand()
        self._assessor: Assessor | None = None
        # Processes that assess listings (1: in this process, on a thread beside the crawl).
        # `pool`: workers the caller started for this registry before building the rest (the
        # demo starts them first, so they load the matchers while it loads the crawler); the
        # Monitor closes them.
        self._pool: AssessPool | None = pool
        if pool is not None:
            workers = pool.workers
        self.workers = workers if workers is not None else default_workers()
        self.review_url: str | None = None  # linked from alerts when set
        self._alerter: Alerter | None = None

    @property
    def assessor(self) -> Assessor:
        """The assessor of this process, built on first use: a run with worker processes
        never builds one here (each worker builds its own, from the shared index cache), so
        this process does not hold a third copy of the brand's indexes."""
        if self._assessor is None:
            self._assessor = Assessor(self.registry)
        return self._assessor

    def _sync_brand(self):  # type: ignore[no-untyped-def]
        registry = self.registry
        source = registry.source
        brand = self.db.upsert_brand(
            registry.brand,
            marks=[m.model_dump(mode="json") for m in registry.marks],
            registry_path=str(source) if source else None,
            registry_sha256=_sha256(source) if source and source.is_file() else None,
        )
        for kind, key, path in registry.image_files():
            try:
                phash = hash_image(path)
            except ImageError:
                phash = None
            sku = key.split(":")[1] if kind == "product" else None
            self.db.upsert_asset(brand.id, key=key, kind=kind, path=str(path),
                                 sha256=_sha256(path), phash=phash, product_sku=sku)
        # Design figures are registered images too: the review shows them beside the photo.
        for key, design, path in registry.design_figures():
            self.db.upsert_asset(brand.id, key=key, kind="design", path=str(path),
                                 sha256=_sha256(path), product_sku=design.sku)
        return brand

    # -- crawling ------------------------------------------------------------------------

    def jobs(self, *, base_url: str | None = None, platforms: Sequence[str] | None = None,
             limit: int | None = None) -> list[CrawlJob]:
        jobs = []
        for entry in self.registry.watch:
            if platforms and entry.platform not in platforms:
                continue
            base = entry.base_url or base_url
            starts = []
            for url in entry.start_urls:
                if "://" not in url:
                    if not base:
                        raise CrawlError(
                            f"watch entry {entry.platform!r} has a relative start URL {url!r}; "
                            "give the entry a base_url or pass --base-url"
                        )
                    url = urljoin(base.rstrip("/") + "/", url.lstrip("/"))
                starts.append(url)
            jobs.append(CrawlJob(
                platform=entry.platform,
                kind="shopify" if entry.kind == "shopify" else "search",
                search_terms=entry.search_terms,
                start_urls=tuple(starts),
                base_url=base,
                max_pages=entry.max_pages,
                max_listings=min(entry.max_listings, limit) if limit else entry.max_listings,
                javascript=entry.javascript or None,
            ))
        if platforms and not jobs:
            known = ", ".join(e.platform for e in self.registry.watch) or "none"
            raise CrawlError(f"no watch entry for {', '.join(platforms)}; the brand watches: {known}")
        return jobs

    def crawl(self, *, base_url: str | None = None, platforms: Sequence[str] | None = None,
              limit: int | None = None, browser_path: str | None = None,
              proxy: str | None = None, redis_url: str | None = None,
              run_key: str | None = None,
              overrides: dict[str, Any] | None = None) -> RunSummary:
        """Crawl the watch list, storing and assessing listings as they arrive (in
        `workers` processes); the worker processes stop when it returns."""
        try:
            return self._crawl(base_url=base_url, platforms=platforms, limit=limit, browser_path=browser_path,
                               proxy=proxy, redis_url=redis_url, run_key=run_key, overrides=overrides)
        finally:
            self.close()

    def _crawl(self, *, base_url: str | None, platforms: Sequence[str] | None, limit: int | None,
               browser_path: str | None, proxy: str | None, redis_url: str | None, run_key: str | None,
               overrides: dict[str, Any] | None) -> RunSummary:
        jobs = self.jobs(base_url=base_url, platforms=platforms, limit=limit)
        summary = RunSummary()
        summary.interrupted_runs = self.mark_interrupted()
        with self.db.session() as s:
            run = Run(brand_id=self.brand.id, stats={"pid": os.getpid(), "host": socket.gethostname()})
            s.add(run)
            s.commit()
            summary.run_id = run.id

        if self.registry.settings.alerts is not None:
            self._alerter = Alerter(self.registry, self.db, self.brand.id, review_url=self.review_url)
        # Matching runs on a worker thread while Scrapy keeps crawling on this one: image
        # matching is mostly numpy and OpenCV, which release the GIL.
        pending: list[Future[None]] = []
        self._open_pool()
        # One thread per worker process, each handing its listing over and storing the result.
        with ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="markwatch-assess") as pool:
            # Shared over Redis, a process takes pages only while its own backlog is short:
            # the crawl reads far faster than matching goes, so without this whichever crawl
            # ran ahead held most of the run's matching while the other process sat idle.
            backlog, backlog_lock = [0], threading.Lock()

            def done(_: Future[None]) -> None:
                with backlog_lock:
                    backlog[0] -= 1

            def busy() -> bool:
                return backlog[0] > _SHARED_BACKLOG_PER_WORKER * self.workers

            def sink(item: ListingItem) -> None:
                try:
                    pk = self._store(item, summary)
                except Exception as exc:  # noqa: BLE001 - counted and named, the crawl goes on
                    log.exception("could not store listing %s/%s", item.platform, item.listing_id)
                    summary.errors.append(f"{item.platform}/{item.listing_id[:200]!r}: could not be stored: "
                                          f"{type(exc).__name__}: {exc}"[:500])
                    summary.failed["not stored"] = summary.failed.get("not stored", 0) + 1
                    return
                if pk is not None:
                    future = pool.submit(self._assess_safely, pk, summary)
                    pending.append(future)
                    with backlog_lock:
                        backlog[0] += 1
                    future.add_done_callback(done)

            self.progress("crawl-start", {"jobs": [j.platform for j in jobs]})
            interrupted = False
            try:
                summary.crawl_stats = run_crawl(
                    jobs, sink=sink, busy=busy if redis_url else None, browser_path=browser_path,
                    images_dir=str(self.images_dir), proxy=proxy, redis_url=redis_url, run_key=run_key,
                    overrides=overrides,
                )
                _restore_ctrl_c()
                # Scrapy's first Ctrl-C stops its crawlers gently ("shutdown"), the second at
                # once (no finish reason): either way the user asked us to stop.
                interrupted = any("start_time" in st and st.get("finish_reason") in (None, "shutdown")
                                  for st in summary.crawl_stats.values())
                if not interrupted:
                    self.progress("matching", {"left": sum(not f.done() for f in pending)})
                    wait(pending)
            except KeyboardInterrupt:
                interrupted = True
            if interrupted:
                # What is stored stays; what is not assessed yet the rerun assesses.
                for future in pending:
                    future.cancel()
        share = float((overrides or {}).get("MARKWATCH_MAX_FAILED_SHARE",
                                            CRAWL_DEFAULTS["MARKWATCH_MAX_FAILED_SHARE"]))
        summary.account(summary.crawl_stats, max_failed_share=share)
        if interrupted:
            self._finish_alerts(summary)
            self._close_run(summary, "interrupted")
            self.progress("interrupted", summary.as_dict())
            raise KeyboardInterrupt
        # Anything stored but not assessed (an earlier interrupted run) is done now.
        self.assess_pending(platforms=[j.platform for j in jobs], summary=summary)
        # Alerts went out while the crawl ran; what is still queued is sent now.
        self._finish_alerts(summary)
        self._close_run(summary, summary.status)
        self.progress("crawl-done", summary.as_dict())
        return summary

    def _close_run(self, summary: RunSummary, status: str) -> None:
        with self.db.session() as s:
            run = s.get(Run, summary.run_id)
            run.finished_at = utcnow()
            run.status = status
            run.stats = {**(run.stats or {}), **summary.as_dict()}
            s.add(run)
            s.commit()

    def mark_interrupted(self) -> list[int]:
        """Mark the brand's runs left `running` by a process that is gone (killed, or its
        machine restarted) as `interrupted`; their ids. A run of a live process on this
        host, or of another host, is left alone: it may still be crawling."""
        here = socket.gethostname()
        marked = []
        with self.db.session() as s:
            runs = s.exec(select(Run).where(Run.brand_id == self.brand.id, Run.status == "running")).all()
            for run in runs:
                stats = run.stats or {}
                pid, host = stats.get("pid"), stats.get("host")
                if host not in (None, here) or (isinstance(pid, int) and _alive(pid)):
                    continue
                run.status = "interrupted"
                run.finished_at = utcnow()
                s.add(run)
                marked.append(run.id)
            s.commit()
        if marked:
            log.warning("runs %s were left running by a process that is gone: marked interrupted",
                        ", ".join(map(str, marked)))
        return marked

    def _finish_alerts(self, summary: RunSummary) -> None:
        if self._alerter is None:
            return
        outcomes, self._alerter = self._alerter.close(), None
        for outcome in outcomes:
            summary.alerts[outcome.status] = summary.alerts.get(outcome.status, 0) + 1
            if outcome.status == "failed":
                summary.errors.append(f"alert for case {outcome.case_id} to {outcome.channel} failed "
                                      f"after {outcome.attempts} tries: {outcome.error}")

    def _store(self, item: ListingItem, summary: RunSummary) -> int | None:
        """Store one crawled listing; its primary key when it needs assessing."""
        listing = item.listing
        seller = listing.seller
        record = ListingInput(
            platform=item.platform,
            listing_id=item.listing_id[:200],
            url=item.url,
            title=listing.title,
            description=listing.description,
            price=listing.price,
            currency=listing.currency,
            availability=listing.availability,
            sku=listing.sku,
            brand_text=listing.brand,
            seller_name=seller.name if seller else None,
            seller_id=seller.id if seller else None,
            seller_url=seller.url if seller else None,
            image_urls=tuple(listing.images),
            image_files=tuple({"url": f.url, "sha256": f.sha256, "path": f.path, "error": f.error}
                              for f in item.images),
            errors=tuple(item.errors),
            video_urls=tuple(item.video_urls),
            video_files=tuple({"url": f.url, "sha256": f.sha256, "path": f.path, "error": f.error}
                              for f in item.videos),
        )
        result = self.db.upsert_listing(record)
        summary.seen += 1
        summary.photos += sum(1 for f in item.images if f.path)
        setattr(summary, result.kind, getattr(summary, result.kind) + 1)
        self.progress("listing", {"platform": item.platform, "kind": result.kind, "seen": summary.seen,
                                  "photos": summary.photos})
        return result.listing_pk if result.kind != "unchanged" else None

    def _assess_safely(self, listing_pk: int, summary: RunSummary) -> None:
        row = self.db.listing(listing_pk)
        if row is None or row.assessed_hash == row.content_hash:
            return
        try:
            self.assess_listing(row, summary)
        except Exception as exc:  # noqa: BLE001 - one listing's failure is recorded, the run goes on
            log.exception("assessing %s/%s failed", row.platform, row.listing_id)
            summary.errors.append(f"{row.platform}/{row.listing_id}: assessment failed: {exc}")
        self.progress("assessed", {"assessed": summary.assessed, "flagged": summary.flagged})

    # -- assessing -----------------------------------------------------------------------

    def assess_listing(self, row: Listing, summary: RunSummary | None = None) -> Assessment:
        seller = self.db.seller(row.seller_id) if row.seller_id else None
        text = ListingText(
            platform=row.platform, title=row.title, description=row.description,
            price=row.price, currency=row.currency, seller=row.seller_name,
            seller_id=seller.seller_key if seller else None, url=row.url, sku=row.sku,
        )
        paths = [f["path"] for f in row.image_files if f.get("path")]
        videos = [f["path"] for f in row.video_files or [] if f.get("path")]
        assessment = (self._pool.assess(text, paths, videos) if self._pool is not None
                      else self.assessor.assess(text, paths, videos))
        # A taken-down listing (or its images or seller) coming back opens a new linked case.
        open_relisting_case(self.db, self.brand.id, row.id, related=assessment.related)
        case = self.db.record_assessment(
            self.brand.id, row.id,
            findings=assessment.finding_rows() if assessment.related else [],
            risk=assessment.risk.score, level=assessment.risk.level,
            reasons=list(assessment.risk.reasons), flagged=assessment.flagged,
            allowlisted=assessment.allowlisted,
        )
        self.db.mark_assessed(row.id, row.content_hash)
        if self._alerter is not None:
            self._alerter.consider(case, row.id)
        if summary is not None:
            summary.assessed += 1
            summary.flagged += int(assessment.flagged)
            summary.errors += [f"{row.platform}/{row.listing_id}: {e}" for e in assessment.image_errors]
        return assessment

    def assess_pending(self, *, platforms: Sequence[str] | None = None,
                       summary: RunSummary | None = None) -> int:
        pending = self.db.unassessed(platforms)
        if not pending:
            return 0
        summary = summary or RunSummary()
        ours = self._pool is None and len(pending) > 1  # a crawl's pool is the crawl's to close
        if ours:
            self._open_pool()
        try:
            with ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="markwatch-assess") as pool:
                wait([pool.submit(self._assess_safely, row.id, summary) for row in pending])
        finally:
            if ours:
                self.close()
        return len(pending)

    def start_workers(self) -> None:
        """Start the assessment workers now (a crawl starts them itself), so they build their
        indexes while the caller readies the rest; `close()` stops them."""
        self._open_pool()

    def _open_pool(self) -> None:
        if self._pool is None:
            self._pool = assess_pool(self.registry, self.workers)

    def close(self, *, wait: bool = True) -> None:
        """Stop the worker processes (a Monitor may be used again: they start on demand);
        `wait=False` returns while they exit, their work being done."""
        if self._pool is not None:
            self._pool.close(wait=wait)
            self._pool = None
