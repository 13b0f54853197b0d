"""`markwatch demo`: the whole job on the embedded demo marketplace. Starts the market,
loads the demo brand, crawls it with the real crawlers (Playwright for the JavaScript
storefront), matches, stores, writes the digest and takedown drafts, and scores itself
against the catalog's truth."""

from __future__ import annotations

import functools
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from monitor._workers import assess_pool, default_workers
from monitor.browser import Browser, find_chromium
from monitor.demo_market.catalog import SMALL_SCALE, build_catalog, default_brand_dir
from monitor.errors import MarkwatchError
from monitor.registry import load_registry

if TYPE_CHECKING:
    from monitor.run import Progress, RunSummary

# The crawler, database, digest and drafting modules are imported in run_demo, once the
# assessment workers and the market have started: they load the matchers and the catalogue
# while this process loads the rest (about 2 s on one core otherwise).

__all__ = ["DEMO_CRAWL_SETTINGS", "DemoResult", "run_demo"]

# The demo market is our own server on loopback: no need to pace requests as we do for
# real marketplaces, and the demo should finish in well under three minutes.
DEMO_CRAWL_SETTINGS: dict[str, Any] = {
    "DOWNLOAD_DELAY": 0,
    "AUTOTHROTTLE_ENABLED": False,
    "CONCURRENT_REQUESTS": 32,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
    "MARKWATCH_RETRY_BASE_DELAY": 0.1,
}


@contextmanager
def market_process(*, small: bool = False) -> Iterator[Callable[[], str]]:
    """The demo market in a process of its own (so serving it does not compete with the
    crawler for one interpreter); yields a function that waits for it to listen and gives
    its base URL, so the caller readies the rest while the market starts. The market stops
    when its stdin closes, so it goes with us even when we are killed."""
    log = tempfile.TemporaryFile(mode="w+")
    args = [sys.executable, "-m", "monitor.demo_market", "--until-stdin-closes"] + (["--small"] if small else [])
    proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, text=True)

    @functools.cache
    def base_url() -> str:
        line = proc.stdout.readline() if proc.stdout else ""
        found = re.search(r"https?://[\w.:\[\]-]+", line)
        if not found:
            proc.wait(timeout=10)
            log.seek(0)
            problem = log.read().strip().splitlines()[-1:] or [line]
            raise MarkwatchError(f"the demo market did not start: {problem[0][-300:]}")
        return found.group(0)

    try:
        yield base_url
    finally:
        log.close()
        if proc.stdin:
            proc.stdin.close()
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@dataclass
class DemoResult:
    listings: int
    flagged: int
    precision: float
    recall: float
    digest: str
    takedowns: list[str]
    db: str
    seconds: float
    browser: str
    summary: RunSummary
    confusion: dict[str, int] = field(default_factory=dict)
    refusals: list[str] = field(default_factory=list)
    digest_files: dict[str, str] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"listings": self.listings, "flagged": self.flagged,
                "precision": round(self.precision, 4), "recall": round(self.recall, 4),
                "digest": self.digest, "takedowns": self.takedowns, "db": self.db}


def run_demo(out_dir: str | Path, *, progress: Progress | None = None,
             browser: Browser | None = None, db_url: str | None = None,
             small: bool = False) -> DemoResult:
    """The whole job on the demo market; `small` uses the small catalogue (a third of the
    listings, every kind of case still there)."""
    started = time.monotonic()
    out = Path(out_dir).resolve()
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as exc:
        raise MarkwatchError(f"cannot write to {out}: {exc.strerror or exc}") from None
    registry = load_registry(default_brand_dir() / "brand.yaml")
    browser = browser or find_chromium()
    if progress:
        progress("browser", {"text": browser.describe()})
    pool = assess_pool(registry, default_workers())
    monitor = None
    try:
        with market_process(small=small) as market_url:
            from monitor.db import Database
            from monitor.run import Monitor

            catalog = build_catalog(scale=SMALL_SCALE if small else 1.0)
            db = Database(db_url or f"sqlite:///{out / 'markwatch.db'}")
            monitor = Monitor(registry, db, images_dir=out / "images", progress=progress, pool=pool)
            base_url = market_url()
            if progress:
                progress("market", {"url": base_url, "listings": len(catalog.listings)})
            summary = monitor.crawl(base_url=base_url, browser_path=browser.path,
                                    overrides=DEMO_CRAWL_SETTINGS)
    finally:
        # Every listing is assessed once the crawl returns: the workers exit (a few tenths of
        # a second) while this process writes the digest and the drafts.
        if monitor is not None:
            monitor.close(wait=False)
        elif pool is not None:
            pool.close(wait=False)
    from sqlmodel import select

    from monitor.digest import collect_digest, write_digest
    from monitor.models import Case, Listing
    from monitor.takedown import draft_takedowns

    brand_id = monitor.brand.id
    truth = catalog.truth()
    with db.session() as s:
        rows = s.exec(select(Listing, Case).join(Case, (Case.listing_pk == Listing.id)
                                                  & (Case.brand_id == brand_id), isouter=True)
                      .where(Listing.platform.in_(("bazaar", "shoply", "shopstores")))).all()
    predicted = {(li.platform, li.listing_id): bool(case and case.flagged) for li, case in rows}
    tp = sum(1 for k, flag in predicted.items() if flag and truth.get(k))
    fp = sum(1 for k, flag in predicted.items() if flag and not truth.get(k))
    fn = sum(1 for k, bad in truth.items() if bad and not predicted.get(k))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    if progress:
        progress("digest", {})
    digest_files = write_digest(db, brand_id, collect_digest(db, brand_id, registry.brand, registry=registry), out)
    drafted, refusals = draft_takedowns(db, registry, brand_id, out / "takedowns", include_flagged=True)
    return DemoResult(
        listings=len(predicted), flagged=sum(predicted.values()), precision=precision, recall=recall,
        digest=str(digest_files["html"]), takedowns=[str(d.path) for d in drafted], db=db.display_url,
        seconds=time.monotonic() - started, browser=browser.describe(), summary=summary,
        confusion={"true_positive": tp, "false_positive": fp, "false_negative": fn},
        refusals=refusals, digest_files={k: str(v) for k, v in digest_files.items()},
    )
