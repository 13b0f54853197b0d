"""The `markwatch` command: a thin layer that parses arguments, calls the Python API and
prints. A user's mistake (bad brand file, bad database URL, no browser) is one line on
stderr and exit code 2, never a traceback."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from monitor.errors import MarkwatchError

__all__ = ["app", "main"]

app = typer.Typer(
    name="markwatch",
    help="Find counterfeit and infringing marketplace listings for a brand, review them, "
    "and draft takedown notices.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True)
out = Console()


def _show_version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            print(f"markwatch {version('markwatch')}")
        except PackageNotFoundError:  # run from a source tree that was never installed
            print("markwatch (not installed)")
        raise typer.Exit()


@app.callback()
def _options(
    show_version: Annotated[bool, typer.Option("--version", callback=_show_version, is_eager=True,
                                               help="Print the version and exit.")] = False,
) -> None:
    pass  # the app's help says what markwatch is; this callback only adds --version

DbOption = Annotated[
    Optional[str],
    typer.Option("--db", help="Database: a SQLite file path or any SQLAlchemy URL "
                 "(default: $MARKWATCH_DB_URL, else ./markwatch.db)."),
]
BrandOption = Annotated[Path, typer.Option("--brand", "-b", help="The brand registry (brand.yaml).")]


# How often a pipe or log file gets a line during long work (like Scrapy's log stats).
PROGRESS_EVERY = 5.0


class _PlainProgress:
    """Progress for output that is not a terminal: a line per stage, and one every
    PROGRESS_EVERY seconds of long work with counts and rate."""

    def __init__(self) -> None:
        import threading
        import time

        self._clock = time.monotonic
        self._lock = threading.Lock()
        self._stage_started = self._clock()
        self._last = 0.0
        self.stored = self.photos = self.assessed = self.flagged = 0
        self.matching_total: int | None = None
        self._matched_at_stage = 0  # matched when the crawl ended, for the matching rate

    def line(self, text: str) -> None:
        err.print(f"markwatch: {text}", markup=False, highlight=False, soft_wrap=True)

    def stage(self, text: str) -> None:
        self._stage_started = self._last = self._clock()
        self.line(text)

    def tick(self) -> None:
        with self._lock:
            now = self._clock()
            if now - self._last < PROGRESS_EVERY:
                return
            self._last = now
            elapsed = max(now - self._stage_started, 1e-9)
            if self.matching_total is None:  # crawling: the rate of storing
                stored, matched = f"{self.stored} listings stored ({self.stored / elapsed:.1f}/s)", f"{self.assessed} matched"
            else:  # the crawl is done: the rate of matching what is left
                done = self.assessed - self._matched_at_stage
                stored = f"{self.stored} listings stored"
                matched = (f"{self.assessed} matched ({done / elapsed:.1f}/s), "
                           f"{self.matching_total - self.assessed} left")
            self.line(f"... {stored}, {self.photos} photos, {matched}, "
                      f"{self.flagged} flagged, {now - self._stage_started:.0f} s")


def _grouped_refusals(refusals: list[str], *, show: int = 5) -> list[str]:
    """Refusals for the same reason on one line: "cases #3, #12, #14, #17, #18 and 6 more:
    no registration of 'Norvik' covers AU; ..." rather than a line per case."""
    import re

    by_reason: dict[str, list[str]] = {}
    for refusal in refusals:
        m = re.fullmatch(r"case #(\d+): (.*)", refusal, flags=re.DOTALL)
        if m is None:
            by_reason.setdefault(refusal, [])
            continue
        # the same reason apart from the listing's own address
        reason = re.sub(r"https?://\S+", "its listing", m.group(2))
        by_reason.setdefault(reason, []).append(m.group(1))
    lines = []
    for reason, ids in by_reason.items():
        if not ids:
            lines.append(reason)
        elif len(ids) == 1:
            lines.append(next(r for r in refusals if r.startswith(f"case #{ids[0]}: ")))
        else:
            more = f" and {len(ids) - show} more" if len(ids) > show else ""
            lines.append(f"cases {', '.join('#' + i for i in ids[:show])}{more}: {reason}")
    return lines


@contextlib.contextmanager
def _count_progress(what: str, unit: str) -> Iterator[Callable[[int, int], None]]:
    """Progress of `done of total` work: a bar on a terminal; in a pipe a line every
    PROGRESS_EVERY seconds ("... gathering evidence: 12 of 40 cases, 0.8/s, 15 s")."""
    import time

    started = time.monotonic()
    if err.is_terminal:
        bar = Progress(SpinnerColumn(), TextColumn(what), BarColumn(), TextColumn("{task.completed}/{task.total} " + unit),
                       TimeElapsedColumn(), console=err, transient=True)
        task = bar.add_task(what, total=None)
        with bar:
            yield lambda done, total: bar.update(task, completed=done, total=total)
        return
    last = started

    def line(done: int, total: int) -> None:
        nonlocal last
        now = time.monotonic()
        if now - last >= PROGRESS_EVERY or done == total:
            last = now
            elapsed = now - started
            err.print(f"markwatch: ... {what}: {done} of {total} {unit}, {done / max(elapsed, 1e-9):.1f}/s, "
                      f"{elapsed:.0f} s", markup=False, highlight=False, soft_wrap=True)

    yield line


def _progress_printer(show: bool) -> tuple[Callable[[str, dict[str, Any]], None], Any]:
    """A progress callback for runs: on a terminal a live bar per stage (crawl, matching,
    digest), each with its own count and rate; otherwise plain lines (see _PlainProgress)."""
    if not show:
        return (lambda _e, _d: None), None
    if not err.is_terminal:
        plain = _PlainProgress()

        def on_plain(event: str, data: dict[str, Any]) -> None:
            if event == "browser":
                plain.line(data["text"])
            elif event == "market":
                plain.line(f"demo market at {data['url']} ({data['listings']} listings)")
            elif event == "crawl-start":
                plain.stage(f"crawling {', '.join(data['jobs'])} (listings are stored and matched as they come)")
            elif event == "listing":
                plain.stored, plain.photos = data["seen"], data.get("photos", 0)
                plain.tick()
            elif event == "assessed":
                plain.assessed, plain.flagged = data["assessed"], data["flagged"]
                plain.tick()
            elif event == "matching":
                plain.matching_total = plain.assessed + data["left"]
                plain._matched_at_stage = plain.assessed
                plain.stage(f"crawl done: {plain.stored} listings and {plain.photos} photos stored; "
                            f"matching the {data['left']} left")
            elif event == "crawl-done":
                plain.line(f"matching done: {data['assessed']} assessed, {data['flagged']} flagged")
            elif event == "interrupted":
                plain.line(f"interrupted: {data['seen']} listings stored, {data['assessed']} matched")
            elif event == "resumed":
                plain.line(f"finished {data['assessed']} assessments an interrupted run left")
            elif event == "digest":
                plain.stage("writing the digest")

        return on_plain, None

    from rich.progress import TaskID

    progress = Progress(SpinnerColumn(), TextColumn("{task.description:<10}"), BarColumn(),
                        TextColumn("{task.completed} {task.fields[unit]}"),
                        TextColumn("{task.fields[rate]}"), TimeElapsedColumn(),
                        console=err, transient=True)
    tasks: dict[str, TaskID] = {}
    started: dict[str, float] = {}

    def advance(name: str, completed: int, unit: str, total: int | None = None) -> None:
        import time

        if name not in tasks:
            tasks[name] = progress.add_task(name, total=total, unit=unit, rate="")
            started[name] = time.monotonic()
        elapsed = time.monotonic() - started[name]
        rate = f"{completed / elapsed:.1f}/s" if elapsed > 1 else ""
        progress.update(tasks[name], completed=completed, rate=rate,
                        **({"total": total} if total is not None else {}))

    def on_event(event: str, data: dict[str, Any]) -> None:
        if event == "browser":
            err.print(f"[dim]{data['text']}[/dim]")
        elif event == "market":
            err.print(f"[dim]demo market at {data['url']} ({data['listings']} listings)[/dim]")
        elif event == "crawl-start":
            progress.start()
            err.print(f"[dim]crawling {', '.join(data['jobs'])}[/dim]")
            advance("crawl", 0, "listings stored")
            advance("photos", 0, "photos stored")
            advance("matching", 0, "matched")
        elif event == "listing":
            advance("crawl", data["seen"], "listings stored")
            advance("photos", data.get("photos", 0), "photos stored")
        elif event == "assessed":
            advance("matching", data["assessed"], "matched")
        elif event == "matching":
            for stage in ("crawl", "photos"):
                if (task := tasks.get(stage)) is not None:
                    progress.update(task, total=progress.tasks[task].completed)
            done = progress.tasks[tasks["matching"]].completed if "matching" in tasks else 0
            advance("matching", int(done), "matched", total=int(done) + data["left"])
        elif event in ("crawl-done", "interrupted"):
            progress.stop()
        elif event == "digest":
            err.print("[dim]writing the digest[/dim]")

    return on_event, progress


def _print_failures(errors: list[str], *, keep: Path | None = None, shown: int = 5) -> None:
    """The items that failed, by name: the first few on stderr, every one in `keep` if given."""
    if not errors:
        return
    err.print(f"{len(errors)} items failed (stored without what failed):", markup=False, highlight=False)
    for line in errors[:shown]:
        err.print(f"  {line}", markup=False, highlight=False, soft_wrap=True)
    if len(errors) > shown:
        if keep is not None:
            keep.write_text("\n".join(errors) + "\n", encoding="utf-8")
            err.print(f"  ... and {len(errors) - shown} more, all listed in:", markup=False)
            err.print(f"  {keep}", markup=False, highlight=False, soft_wrap=True)
        else:
            err.print(f"  ... and {len(errors) - shown} more", markup=False)


# `crawl` and `run` exit 3 when a crawl is incomplete: too many pages failed or the site went
# away. What it read is stored; rerunning the same command resumes it.
EXIT_INCOMPLETE = 3


def _crawl_health(summary: Any) -> None:
    """Pages that failed and links skipped, by reason, and crawls left incomplete."""
    def by_reason(counts: dict[str, int]) -> str:
        return ", ".join(f"{n} {reason}" for reason, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))

    if summary.failed:
        err.print(f"{sum(summary.failed.values())} pages failed ({summary.pages_read} read): "
                  f"{by_reason(summary.failed)}", markup=False, highlight=False, soft_wrap=True)
    if summary.skipped_links:
        err.print(f"{sum(summary.skipped_links.values())} links skipped, not requestable: "
                  f"{by_reason(summary.skipped_links)}", markup=False, highlight=False, soft_wrap=True)
    if summary.interrupted_runs:
        err.print(f"runs {', '.join(map(str, summary.interrupted_runs))} had been killed: marked interrupted",
                  markup=False, highlight=False)
    for platform, why in summary.incomplete.items():
        err.print(f"crawl of {platform} is incomplete: {why}; rerun the same command to resume it",
                  markup=False, highlight=False, soft_wrap=True)


def _print_paths(label: str, paths: list[str]) -> None:
    """Paths whole, each on its own line: a table would cut them at the terminal's width."""
    out.print(f"{label}:", markup=False, highlight=False)
    for path in paths:
        out.print(f"  {path}", markup=False, highlight=False, soft_wrap=True)


@app.command()
def demo(
    out_dir: Annotated[Path, typer.Option("--out", help="Where the database, digest and drafts go.")] = Path("markwatch-demo"),
    as_json: Annotated[bool, typer.Option("--json", help="Print exactly one JSON object on stdout.")] = False,
    small: Annotated[bool, typer.Option("--small", help="The small catalogue: a third of the listings, every kind of case (a quicker look).")] = False,
) -> None:
    """Run the whole job on the embedded demo marketplace and score it against the truth."""
    from monitor.demo import run_demo

    on_event, _ = _progress_printer(True)
    result = run_demo(out_dir, progress=on_event, small=small)
    if as_json:
        print(json.dumps(result.as_json()))
        return
    s = result.summary
    table = Table(title="markwatch demo", show_header=False)
    table.add_row("listings crawled", str(result.listings))
    table.add_row("new / changed / unchanged", f"{s.created} / {s.changed} / {s.unchanged}")
    table.add_row("flagged for review", str(result.flagged))
    table.add_row("precision / recall", f"{result.precision:.3f} / {result.recall:.3f}")
    table.add_row("TP / FP / FN", f"{result.confusion['true_positive']} / {result.confusion['false_positive']} / "
                  f"{result.confusion['false_negative']}")
    table.add_row("items that failed", str(len(s.errors)))
    table.add_row("takedown drafts", str(len(result.takedowns)))
    table.add_row("time", f"{result.seconds:.1f} s")
    out.print(table)
    _print_paths("digest", [result.digest])
    if result.takedowns:
        _print_paths("takedown drafts in", [str(Path(result.takedowns[0]).parent.parent)])
    _print_paths("database", [result.db])
    _print_failures(s.errors, keep=Path(out_dir).resolve() / "failed-items.txt")
    for refusal in _grouped_refusals(result.refusals):
        err.print(f"not drafted: {refusal}", markup=False, highlight=False, soft_wrap=True)


@app.command("demo-market")
def demo_market(
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port; 0 picks a free one.")] = 0,
    small: Annotated[bool, typer.Option("--small", help="The small catalogue: a third of the listings, "
                                        "every kind of case still there (`markwatch demo --small`).")] = False,
    scale: Annotated[float | None, typer.Option(min=0.001, max=100, help="A catalogue X times the demo's "
                                                "(bench/daily_scale.py serves 3 for about 1,000 listings).")] = None,
    photos: Annotated[int, typer.Option(min=0, max=12, help="Each listing shows at least N photos; "
                                        "0 keeps the demo's 1 to 4.")] = 0,
) -> None:
    """Serve the embedded demo marketplace until interrupted."""
    from monitor.demo_market.catalog import SMALL_SCALE, build_catalog
    from monitor.demo_market.server import serve_forever

    if small and scale is not None:
        raise MarkwatchError("--small and --scale both set the catalogue's size: give one")
    catalog = (build_catalog(scale=SMALL_SCALE if small else scale or 1.0, photos=photos)
               if small or scale is not None or photos else None)

    def ready(url: str) -> None:
        listings = f" ({len(catalog.listings):,} listings)" if catalog is not None else ""
        print(f"demo market serving at {url}{listings}  (Ctrl-C stops it)", flush=True)

    try:
        serve_forever(host=host, port=port, on_ready=ready, catalog=catalog)
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        raise MarkwatchError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


@app.command("check-brand")
def check_brand(path: Annotated[Path, typer.Argument(help="The brand registry to validate.")]) -> None:
    """Validate a brand registry file; exit 2 with one line naming the problem if invalid."""
    from monitor.registry import load_registry

    registry = load_registry(path)
    regs = sum(len(m.registrations) for m in registry.marks)
    others = [f"{n} {what}{'s' if n != 1 else ''}" for n, what in (
        (len(registry.patents), "patent"), (len(registry.designs), "design"),
        (sum(len(p.videos) for p in registry.products), "product video"),
        (len(registry.copy_texts), "product text")) if n]
    out.print(f"{path}: OK: {registry.brand}, {len(registry.marks)} marks ({regs} registrations), "
              f"{len(registry.products)} products, {', '.join(others) + ', ' if others else ''}"
              f"{len(registry.watch)} watch entries")


@app.command()
def crawl(
    brand: BrandOption,
    platform: Annotated[Optional[list[str]], typer.Option("--platform", "-p", help="Only this platform (repeatable).")] = None,
    limit: Annotated[Optional[int], typer.Option(help="At most this many listings per platform.")] = None,
    base_url: Annotated[Optional[str], typer.Option(help="Base URL for relative watch URLs (e.g. a running demo market).")] = None,
    db: DbOption = None,
    images_dir: Annotated[Path, typer.Option(help="Where downloaded listing images are kept.")] = Path("markwatch-data/images"),
    proxy: Annotated[Optional[str], typer.Option(help="HTTP proxy for every request.")] = None,
    redis_url: Annotated[Optional[str], typer.Option(help="Share the crawl frontier through Redis (scrapy-redis), so several processes or machines crawl one run.")] = None,
    run_key: Annotated[Optional[str], typer.Option(help="With --redis-url: the run's name every process shares (default: today's date).")] = None,
    delay: Annotated[Optional[float], typer.Option(help="Seconds between requests to one site (default 0.25, adaptive); 0 for your own test servers.")] = None,
    seed: Annotated[Optional[int], typer.Option(help="Seed of the listing sample when results exceed a cap: the same seed reads the same listings.")] = None,
    timeout: Annotated[Optional[float], typer.Option(help="Seconds a page may take to download before it counts as a time-out (default 30).")] = None,
) -> None:
    """Crawl the brand's watch list, store listings and assess them; exit 3 when a crawl is
    incomplete (too many pages failed, or the site went away): rerun it to resume."""
    from monitor.browser import find_chromium
    from monitor.db import Database
    from monitor.registry import load_registry
    from monitor.run import Monitor

    registry = load_registry(brand)
    database = Database(db)
    browser = find_chromium()
    err.print(f"[dim]{browser.describe()}[/dim]")
    on_event, _ = _progress_printer(True)
    monitor = Monitor(registry, database, images_dir=images_dir, progress=on_event)
    overrides: dict[str, Any] = {}
    if delay is not None:
        overrides = {"DOWNLOAD_DELAY": max(delay, 0.0), "AUTOTHROTTLE_ENABLED": delay > 0}
        if delay == 0:
            overrides["CONCURRENT_REQUESTS_PER_DOMAIN"] = 16
    if seed is not None:
        overrides["MARKWATCH_SAMPLE_SEED"] = seed
    if timeout is not None:
        overrides["DOWNLOAD_TIMEOUT"] = max(timeout, 0.1)
    if redis_url and not run_key:
        import datetime as dt

        run_key = dt.date.today().isoformat()
    summary = monitor.crawl(base_url=base_url, platforms=platform, limit=limit,
                            browser_path=browser.path, proxy=proxy, redis_url=redis_url,
                            run_key=run_key, overrides=overrides)
    out.print(f"{summary.seen} listings seen ({summary.created} new, {summary.changed} changed, "
              f"{summary.unchanged} unchanged); {summary.assessed} assessed, {summary.flagged} flagged; "
              f"{len(summary.errors)} items failed", markup=False, highlight=False)
    _print_paths("database", [database.display_url])
    _print_failures(summary.errors, shown=20)
    _crawl_health(summary)
    if summary.incomplete:
        raise typer.Exit(EXIT_INCOMPLETE)


@app.command()
def digest(
    brand: BrandOption,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for digest.html/.csv/.json.")] = Path("markwatch-out"),
    since: Annotated[Optional[str], typer.Option(help="Matches new or changed since this date or time (ISO, UTC; default: the last digest).")] = None,
    email: Annotated[bool, typer.Option("--email", help="Also mail it, with the brand's settings.mail.")] = False,
    review_url: Annotated[Optional[str], typer.Option(help="Address of `markwatch serve`, for links to each case.")] = None,
    db: DbOption = None,
) -> None:
    """Write the digest of flagged matches since the last digest; --email sends it."""
    import datetime as dt

    from monitor.db import Database
    from monitor.digest import collect_digest, write_digest
    from monitor.mail import send_digest
    from monitor.registry import load_registry

    registry = load_registry(brand)
    if email and registry.settings.mail is None:
        raise MarkwatchError(f"{brand}: settings.mail is missing; add host, from and to to mail the digest")
    start = None
    if since:
        try:
            start = dt.datetime.fromisoformat(since)
        except ValueError:
            raise MarkwatchError(f"--since {since!r} is not a date; write it as YYYY-MM-DD or YYYY-MM-DDTHH:MM") from None
        start = start if start.tzinfo else start.replace(tzinfo=dt.UTC)
    database = Database(db, must_exist=True)
    row = database.brand(registry.brand)
    if row is None:
        raise MarkwatchError(f"no runs yet for {registry.brand} in {database.display_url}; run `markwatch crawl` first")
    data = collect_digest(database, row.id, registry.brand, since=start, registry=registry)
    files = write_digest(database, row.id, data, out_dir, review_url=review_url)
    out.print(f"digest of {len(data.entries)} matches written: " + ", ".join(str(p) for p in files.values()))
    if email:
        sent = send_digest(data, registry.settings.mail, attachments=files, review_url=review_url)
        out.print(f"mailed to {', '.join(sent.recipients)} ({sent.size // 1024} KiB)")


@app.command()
def run(
    brand: BrandOption,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the digest, downloaded images and the run state.")] = Path("markwatch-out"),
    base_url: Annotated[Optional[str], typer.Option(help="Base URL for relative watch URLs (e.g. a running demo market).")] = None,
    email: Annotated[bool, typer.Option("--email", help="Mail the digest with the brand's settings.mail.")] = False,
    review_url: Annotated[Optional[str], typer.Option(help="Address of `markwatch serve`, for links in the digest.")] = None,
    fresh: Annotated[bool, typer.Option("--fresh", help="Crawl again even if today's crawl already finished.")] = False,
    platform: Annotated[Optional[list[str]], typer.Option("--platform", "-p", help="Only this platform (repeatable).")] = None,
    limit: Annotated[Optional[int], typer.Option(help="At most this many listings per platform.")] = None,
    delay: Annotated[Optional[float], typer.Option(help="Seconds between requests to one site (default 0.25, adaptive); 0 for your own test servers.")] = None,
    db: DbOption = None,
) -> None:
    """Crawl, match, store and write the digest in one go; rerun it to resume after an interruption."""
    from monitor.browser import find_chromium
    from monitor.db import Database
    from monitor.registry import load_registry
    from monitor.schedule import run_once

    registry = load_registry(brand)
    if email and registry.settings.mail is None:
        raise MarkwatchError(f"{brand}: settings.mail is missing; add host, from and to to mail the digest")
    database = Database(db)
    browser = find_chromium()
    err.print(f"[dim]{browser.describe()}[/dim]")
    on_event, _ = _progress_printer(True)
    overrides: dict[str, Any] = {}
    if delay is not None:
        overrides = {"DOWNLOAD_DELAY": max(delay, 0.0), "AUTOTHROTTLE_ENABLED": delay > 0}
    outcome = run_once(registry, database, out_dir=out_dir, base_url=base_url, platforms=platform,
                       limit=limit, browser_path=browser.path,
                       overrides=overrides, email=email, review_url=review_url, fresh=fresh,
                       progress=on_event)
    if outcome.resumed_assessments:
        out.print(f"finished {outcome.resumed_assessments} assessments an interrupted run left")
    s = outcome.summary
    if s is None:
        out.print("today's crawl had already finished; digest only (--fresh crawls again)")
    else:
        out.print(f"{s.seen} listings seen ({s.created} new, {s.changed} changed); {s.assessed} assessed, "
                  f"{s.flagged} flagged; {len(s.errors)} items failed", markup=False, highlight=False)
        _print_failures(s.errors, keep=Path(out_dir).resolve() / "failed-items.txt")
        _crawl_health(s)
    _print_paths(f"digest of {outcome.entries} matches", [str(outcome.digest["html"])])
    if outcome.mailed:
        out.print(f"mailed to {', '.join(outcome.mailed.recipients)}")
    if s is not None and s.incomplete:
        raise typer.Exit(EXIT_INCOMPLETE)


@app.command()
def schedule(
    brand: BrandOption,
    at: Annotated[Optional[str], typer.Option(help="Time of day (local, HH:MM) for the daily run (default 06:00).")] = None,
    every: Annotated[Optional[str], typer.Option(help="Run at this interval instead, from now (e.g. 1h, 30m, 1d); each run crawls afresh.")] = None,
    platform: Annotated[Optional[list[str]], typer.Option("--platform", "-p", help="Only this platform's watch entries (repeatable): e.g. hourly for the riskiest marketplaces, daily for the rest.")] = None,
    now: Annotated[bool, typer.Option("--now", help="Also run once right away (with --every, the first run is at once).")] = False,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for digests, images and the run state.")] = Path("markwatch-out"),
    base_url: Annotated[Optional[str], typer.Option(help="Base URL for relative watch URLs.")] = None,
    email: Annotated[bool, typer.Option("--email", help="Mail each digest with the brand's settings.mail.")] = False,
    review_url: Annotated[Optional[str], typer.Option(help="Address of `markwatch serve`, for links in the digest.")] = None,
    db: DbOption = None,
) -> None:
    """Run `markwatch run` every day at --at, or every --every, until stopped, without cron or systemd."""
    from monitor.registry import load_registry
    from monitor.schedule import parse_interval, parse_time, run_in_process, run_schedule

    if at is not None and every is not None:
        raise MarkwatchError("give --at (a daily time) or --every (an interval), not both")
    interval = parse_interval(every) if every is not None else None
    when = parse_time(at or "06:00") if interval is None else None
    registry = load_registry(brand)
    if email and registry.settings.mail is None:
        raise MarkwatchError(f"{brand}: settings.mail is missing; add host, from and to to mail the digest")
    args = ["--brand", str(brand), "--out", str(out_dir)]
    args += ["--base-url", base_url] if base_url else []
    args += ["--email"] if email else []
    args += ["--review-url", review_url] if review_url else []
    args += ["--db", db] if db else []
    for name in platform or []:
        args += ["--platform", name]
    # The run state is per day; a run at an interval crawls again each time.
    args += ["--fresh"] if interval is not None else []

    def job() -> object:
        # Each day's run in a fresh process: Twisted's reactor (Scrapy) runs once per
        # process, and brand.yaml edits apply from the next run.
        return run_in_process(args)

    def on_event(event: str, data: dict[str, Any]) -> None:
        if event == "waiting":
            err.print(f"next run at {data['until']:%Y-%m-%d %H:%M %Z}", markup=False)
        elif event == "run-done":
            err.print("run done", markup=False)
        elif event == "run-failed":
            err.print(f"run failed (the next one goes ahead): {data['error']}", markup=False)

    run_schedule(job, at=when, every=interval, run_now=now, on_event=on_event)


@app.command()
def serve(
    brand: Annotated[Optional[Path], typer.Option("--brand", "-b", help="The brand registry (default: the one brand the database knows, from its registry file).")] = None,
    host: Annotated[str, typer.Option(help="Address to bind; anything but loopback needs --token.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port; 0 picks a free one.")] = 8000,
    token: Annotated[Optional[str], typer.Option(envvar="MARKWATCH_TOKEN", help="Require this token on every request (default $MARKWATCH_TOKEN).")] = None,
    takedown_dir: Annotated[Path, typer.Option("--takedowns", help="Folder for takedown drafts.")] = Path("markwatch-out/takedowns"),
    screenshots: Annotated[bool, typer.Option(help="Screenshot each listing with Chromium when drafting takedowns (a page that answers 404/410 is refused as gone).")] = True,
    allowed_host: Annotated[Optional[list[str]], typer.Option("--allowed-host", envvar="MARKWATCH_ALLOWED_HOSTS", help="Another name the queue is reached by, e.g. review.example.org or *.example.org (repeatable; default $MARKWATCH_ALLOWED_HOSTS, space-separated). Requests naming any other host get 400: loopback names and --host are always accepted.")] = None,
    db: DbOption = None,
) -> None:
    """Serve the review queue in the browser (127.0.0.1 by default)."""
    from monitor.db import Database
    from monitor.registry import load_registry
    from monitor.web import serve as serve_app

    database = Database(db, must_exist=True)
    if brand is None:
        known = database.brands()
        if len(known) != 1:
            names = ", ".join(b.name for b in known) or "none yet"
            raise MarkwatchError(f"give the brand registry with --brand FILE (the database has brands: {names})")
        if not known[0].registry_path or not Path(known[0].registry_path).is_file():
            raise MarkwatchError(f"give the brand registry with --brand FILE (the database has {known[0].name} "
                                 f"but not its registry file: {known[0].registry_path or 'never recorded'})")
        brand = Path(known[0].registry_path)
        err.print(f"brand registry from the database: {brand}", markup=False, highlight=False)
    registry = load_registry(brand)

    def ready(url: str) -> None:
        print(f"review queue at {url}  (Ctrl-C stops it)", flush=True)

    try:
        serve_app(database, registry, host=host, port=port, token=token, takedown_dir=takedown_dir,
                  screenshots=screenshots, on_ready=ready, allowed_hosts=allowed_host or ())
    except KeyboardInterrupt:
        pass


takedown_app = typer.Typer(help="Draft takedown notices for confirmed cases, track their status.",
                           no_args_is_help=False)
app.add_typer(takedown_app, name="takedown")


def _brand_row(brand: Path, db: Optional[str]) -> tuple[Any, Any, Any]:
    """The registry, the database (which must exist: these commands read it) and the brand's row."""
    from monitor.db import Database
    from monitor.registry import load_registry

    registry = load_registry(brand)
    database = Database(db, must_exist=True)
    row = database.brand(registry.brand)
    if row is None:
        raise MarkwatchError(f"no runs yet for {registry.brand} in {database.display_url}; run `markwatch crawl` first")
    return registry, database, row


@takedown_app.callback(invoke_without_command=True)
def takedown(
    ctx: typer.Context,
    brand: Annotated[Optional[Path], typer.Option("--brand", "-b", help="The brand registry (brand.yaml).")] = None,
    platform: Annotated[Optional[str], typer.Option(help="Only this platform.")] = None,
    case: Annotated[Optional[list[int]], typer.Option("--case", help="Only these case ids (repeatable).")] = None,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the drafts.")] = Path("markwatch-out/takedowns"),
    include_flagged: Annotated[bool, typer.Option(help="Also draft flagged cases nobody has confirmed yet.")] = False,
    letters: Annotated[bool, typer.Option(help="Also draft a cease-and-desist letter to each seller.")] = False,
    screenshots: Annotated[bool, typer.Option(help="Screenshot each listing with Chromium for the evidence pack (a page that answers 404/410 is refused as gone).")] = True,
    country: Annotated[Optional[str], typer.Option(help="The marketplace's country when not its home one (e.g. DE for amazon.de): registrations must cover it.")] = None,
    vero_code: Annotated[Optional[list[str]], typer.Option("--vero-code", help="Your eBay site's VeRO reason code id for a kind of claim, as KIND=ID (kinds: counterfeit, mark, image, copied_text, patent, design; repeatable). Patent and design codes are site-specific and needed for those claims.")] = None,
    db: DbOption = None,
) -> None:
    """Draft takedown notices for confirmed cases (without a subcommand), per platform and within
    each platform's per-notice limit, each with an evidence pack; refusals say why."""
    if ctx.invoked_subcommand is not None:
        return
    if brand is None:
        raise MarkwatchError("give the brand registry with --brand FILE")
    from monitor.takedown import draft_takedowns

    registry, database, row = _brand_row(brand, db)
    if platform is not None:
        _known_platform(database, row.id, platform)
    if case:
        missing = sorted(set(case) - set(database.case_ids(row.id, case)))
        if missing:
            raise MarkwatchError(f"--case: no case {', '.join(map(str, missing[:10]))} for {registry.brand} "
                                 f"in {database.display_url} (`markwatch cases` lists them)")
    browser_path = None
    if screenshots:
        from monitor.browser import screenshot_browser

        browser_path, why_not = screenshot_browser()
        if why_not:
            err.print(why_not, markup=False, highlight=False)
    # Drafting takes a while with screenshots: say so, in a pipe as on a terminal.
    err.print(f"markwatch: drafting notices for {'cases ' + ', '.join(map(str, case)) if case else 'the confirmed cases'}"
              f"{' and the flagged ones' if include_flagged else ''}"
              f"{' with screenshots' if browser_path else ''} into {out_dir}", markup=False, highlight=False,
              soft_wrap=True)
    codes: dict[str, str] = {}
    from monitor.takedown import VERO_REASON_CODES

    for given in vero_code or ():
        kind, sep, code = given.partition("=")
        if not sep or kind.strip() not in VERO_REASON_CODES or not code.strip().isdigit():
            raise MarkwatchError(f"--vero-code {given!r}: write KIND=ID with KIND one of "
                                 f"{', '.join(VERO_REASON_CODES)} and ID eBay's number, e.g. patent=9061")
        codes[kind.strip()] = code.strip()
    with _count_progress("gathering evidence", "cases") as on_case:
        drafted, refusals = draft_takedowns(database, registry, row.id, out_dir, case_ids=case,
                                            include_flagged=include_flagged, platform=platform,
                                            letters=letters, browser_path=browser_path, country=country,
                                            vero_reason_codes=codes or None, progress=on_case)
    for d in drafted:
        out.print(f"drafted notice #{d.takedown_id} ({d.platform}, {d.template}, "
                  f"{len(d.case_ids)} listings, {len(d.evidence)} evidence files):", markup=False, highlight=False)
        out.print(f"  {d.path}", markup=False, highlight=False, soft_wrap=True)
        for note in d.notes:
            err.print(f"  note: {note}", markup=False, highlight=False)
    for refusal in _grouped_refusals(refusals):
        err.print(f"not drafted: {refusal}", markup=False, highlight=False, soft_wrap=True)


@takedown_app.command("status")
def takedown_status(
    brand: Annotated[Optional[Path], typer.Option("--brand", "-b", help="The brand registry (default: every brand).")] = None,
    platform: Annotated[Optional[str], typer.Option(help="Only this platform.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print exactly one JSON object on stdout.")] = False,
    db: DbOption = None,
) -> None:
    """Show open notices and the success rate per platform."""
    from rich.markup import escape

    from monitor.db import Database
    from monitor.takedown import notice_report

    if brand is not None:
        _, database, row = _brand_row(brand, db)
        report = notice_report(database, row.id, platform=platform)
    else:
        report = notice_report(Database(db, must_exist=True), None, platform=platform)
    if as_json:
        print(json.dumps({"open": list(report.open_notices),
                          "platforms": [{"platform": p.platform, "counts": dict(p.counts), "open": p.open,
                                         "success_rate": p.success_rate} for p in report.platforms]}))
        return
    from rich import box

    # Narrow columns only, so the table reads at 80 columns; next steps and files follow on
    # lines of their own, paths whole.
    table = Table("notice", "platform", "template", "status", "listings", "since",
                  title="open notices", box=box.SIMPLE_HEAD)
    for n in report.open_notices:
        table.add_row(f"#{n['id']}", escape(n["platform"]), escape(n["template"]), n["status"].replace("_", "-"),
                      str(n["listings"]), n["since"][:16].replace("T", " "))
    out.print(table)
    for n in report.open_notices:
        step = n["next"].replace(" ID ", f" {n['id']} ")
        out.print(f"#{n['id']} next: {step}", markup=False, highlight=False)
        if n["path"]:
            out.print(f"   {n['path']}", markup=False, highlight=False, soft_wrap=True)
    stats = Table("platform", "drafted", "submitted", "removed", "rejected", "countered", "success",
                  title="per platform", box=box.SIMPLE_HEAD)
    for p in report.platforms:
        c = p.counts
        stats.add_row(p.platform, *(str(c[s]) for s in ("drafted", "submitted", "removed", "rejected", "counter_noticed")),
                      f"{p.success_rate:.0%}" if p.success_rate is not None else "-")
    out.print(stats)


@takedown_app.command("mark")
def takedown_mark(
    notice: Annotated[int, typer.Argument(help="The notice id (see `markwatch takedown status`).")],
    status: Annotated[str, typer.Argument(help="submitted, removed, rejected or counter-noticed.")],
    note: Annotated[Optional[str], typer.Option(help="A note kept in the notice's history.")] = None,
    db: DbOption = None,
) -> None:
    """Record a notice's status change (submitted, removed, rejected, counter-noticed), timestamped."""
    from monitor.db import Database
    from monitor.takedown import set_notice_status

    row = set_notice_status(Database(db, must_exist=True), notice, status, note=note)
    out.print(f"notice #{row.id} ({row.platform}) is now {row.status.replace('_', '-')}")


def _known_platform(database: Any, brand_id: int, platform: str) -> None:
    known = database.platforms(brand_id)
    if platform not in known:
        raise MarkwatchError(f"--platform {platform!r}: no cases on it; the database has "
                             f"{', '.join(known) or 'no listings yet'}")


def _where(f: Any) -> str:
    if f.region:
        return f"{f.image} region {tuple(f.region)}"
    if f.image:
        return str(f.image)
    if f.start is not None and f.end is not None:
        return f"{f.field}[{f.start}:{f.end}]"
    return f.field or "-"


@app.command()
def clear(
    listing: Annotated[Path, typer.Argument(help="The listing JSON file; a .csv or .jsonl catalogue runs batch mode.")],
    registry: Annotated[Optional[list[Path]], typer.Option("--registry", "-r", help="A brand registry to check against (repeatable; default ./brand.yaml).")] = None,
    image: Annotated[Optional[list[Path]], typer.Option("--image", help="An image of the listing (repeatable).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print exactly one JSON object on stdout.")] = False,
) -> None:
    """Check a listing before publishing it: pass, review or block, with findings and fixes.
    Exit code 0 on pass, 1 on review or block, 2 on bad input."""
    from rich.markup import escape

    from monitor.clearance import Clearance, worst_verdict

    registries = list(registry or [])
    if not registries:
        if not Path("brand.yaml").is_file():
            raise MarkwatchError(f"no brand.yaml in {Path.cwd()} (the default registry); "
                                 "give one with --registry FILE")
        registries = [Path("brand.yaml")]
    checker = Clearance.from_files(registries)
    if listing.suffix.lower() in (".csv", ".jsonl", ".ndjson"):
        progress = Progress(SpinnerColumn(), TextColumn("checking {task.description}"), BarColumn(),
                            TextColumn("{task.completed} listings"), TimeElapsedColumn(),
                            console=err, transient=True, disable=as_json and not err.is_terminal)
        with progress:
            task = progress.add_task(listing.name, total=None)
            rows = checker.check_catalogue(listing, progress=lambda _row: progress.advance(task))
        worst = worst_verdict([r.verdict for r in rows if r.result])
        if as_json:
            findings = [{**f.as_dict(), "line": r.line, "id": r.id} for r in rows if r.result
                        for f in r.result.findings]
            print(json.dumps({"verdict": worst, "findings": findings,
                              "items": [{"line": r.line, "id": r.id, "title": r.title, "verdict": r.verdict,
                                         "error": r.error} for r in rows]}, ensure_ascii=False))
        else:
            summary = Table("verdict", "listings", title=f"clearance of {listing.name}")
            for verdict in ("pass", "review", "block", "error"):
                summary.add_row(verdict, str(sum(r.verdict == verdict for r in rows)))
            out.print(summary)
            detail = Table("line", "id", "title", "verdict", "first finding or error")
            for r in rows:
                if r.verdict == "pass":
                    continue
                first = r.error or (r.result.findings[0].message if r.result and r.result.findings else "")
                detail.add_row(str(r.line), escape(r.id or "-"), escape((r.title or "-")[:50]), r.verdict,
                               escape(first[:120]))
            if detail.row_count:
                out.print(detail)
        errors = [r.error for r in rows if r.error]
        if errors:
            for e in errors[:5]:
                err.print(f"markwatch: bad row: {e}", markup=False, highlight=False)
            raise typer.Exit(2)
        raise typer.Exit(0 if worst == "pass" else 1)
    result = checker.check_file(listing, extra_images=image or [])
    if as_json:
        print(json.dumps(result.as_dict(), ensure_ascii=False))
    else:
        colour = {"pass": "green", "review": "yellow", "block": "red"}[result.verdict]
        out.print(f"[bold {colour}]{result.verdict.upper()}[/bold {colour}]  {escape(str(listing))}")
        if result.findings:
            table = Table("severity", "kind", "brand", "where", "finding", "suggested fix")
            for f in result.findings:
                # Listing text is a stranger's: never let it be read as Rich markup.
                table.add_row(*(escape(str(v)) for v in (f.severity, f.kind, f.brand or "-", _where(f),
                                                         f.message, f.fix)))
            out.print(table)
    raise typer.Exit(0 if result.verdict == "pass" else 1)


cases_app = typer.Typer(help="List review cases; confirm, dismiss or allowlist them (as the review app does).",
                        no_args_is_help=False)
app.add_typer(cases_app, name="cases")


def _states(state: Optional[list[str]]) -> Optional[list[str]]:
    from monitor.models import CASE_STATES

    for s in state or []:
        if s not in CASE_STATES:
            raise MarkwatchError(f"--state {s!r} is not a case state; use one of {', '.join(CASE_STATES)}")
    return state


@cases_app.callback(invoke_without_command=True)
def cases(
    ctx: typer.Context,
    brand: Annotated[Optional[Path], typer.Option("--brand", "-b", help="The brand registry (brand.yaml).")] = None,
    state: Annotated[Optional[list[str]], typer.Option(help="Only cases in this state (repeatable).")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Include cases below the flag threshold.")] = False,
    limit: Annotated[int, typer.Option(help="At most this many rows.")] = 50,
    db: DbOption = None,
) -> None:
    """List review cases, highest risk first (without a subcommand)."""
    if ctx.invoked_subcommand is not None:
        return
    from rich.markup import escape

    if brand is None:
        raise MarkwatchError("give the brand registry with --brand FILE")
    states = _states(state)
    _, database, row = _brand_row(brand, db)
    rows = database.cases(row.id, states=states, flagged_only=not all_, limit=limit)
    total = database.count_cases(row.id, states=states, flagged_only=not all_)
    table = Table("case", "risk", "state", "listing", "reasons")
    for c in rows:
        listing = database.listing(c.listing_pk)
        table.add_row(str(c.id), str(c.risk), c.state, escape(f"{listing.platform}/{listing.listing_id}"),
                      escape("; ".join(c.reasons[:2])))
    out.print(table)
    shown = f"{len(rows)} of {total} cases" if total > len(rows) else f"{total} cases"
    more = f" (--limit {total} shows them all)" if total > len(rows) else ""
    out.print(f"{shown}{more}", markup=False, highlight=False)


def _decide(action: str, ids: Optional[list[int]], brand: Path, note: Optional[str], state: Optional[list[str]],
            platform: Optional[str], min_risk: Optional[int], all_: bool, db: Optional[str]) -> None:
    from monitor.web import ACTIONS

    registry, database, row = _brand_row(brand, db)
    states = _states(state)
    if ids:
        if states or platform or min_risk is not None:
            raise MarkwatchError("give case ids or a filter (--state, --platform, --min-risk), not both")
        chosen = list(dict.fromkeys(ids))
    else:
        if not (states or platform or min_risk is not None):
            raise MarkwatchError(f"give the case ids to {action}, or a filter: --state, --platform, --min-risk")
        if platform is not None:
            _known_platform(database, row.id, platform)
        chosen = [c.id for c in database.cases(row.id, states=states, flagged_only=not all_)
                  if (min_risk is None or c.risk >= min_risk)
                  and (platform is None or database.listing(c.listing_pk).platform == platform)]
    changed = database.set_case_states(row.id, chosen, ACTIONS[action], note=note)
    missing = sorted(set(chosen) - set(changed))
    if missing:
        raise MarkwatchError(f"no case {', '.join(map(str, missing[:10]))} for {registry.brand} in "
                             f"{database.display_url}; nothing changed" if not changed else
                             f"{len(changed)} cases {ACTIONS[action]}, but no case "
                             f"{', '.join(map(str, missing[:10]))} for {registry.brand}")
    out.print(f"{len(changed)} cases {ACTIONS[action]}" + (f": {', '.join(map(str, changed))}" if len(changed) <= 20 else ""),
              markup=False, highlight=False)


def _decision_command(action: str, doc: str) -> None:
    def command(
        ids: Annotated[Optional[list[int]], typer.Argument(help="Case ids (see `markwatch cases`).")] = None,
        brand: BrandOption = Path("brand.yaml"),
        note: Annotated[Optional[str], typer.Option(help="A note kept on each case.")] = None,
        state: Annotated[Optional[list[str]], typer.Option(help="Filter: every flagged case in this state (repeatable).")] = None,
        platform: Annotated[Optional[str], typer.Option(help="Filter: every flagged case on this platform.")] = None,
        min_risk: Annotated[Optional[int], typer.Option(help="Filter: every flagged case of at least this risk.")] = None,
        all_: Annotated[bool, typer.Option("--all", help="With a filter: include cases below the flag threshold.")] = False,
        db: DbOption = None,
    ) -> None:
        _decide(action, ids, brand, note, state, platform, min_risk, all_, db)

    command.__doc__ = doc
    cases_app.command(action)(command)


_decision_command("confirm", "Confirm cases (by id, or every case a filter picks): they can be taken down.")
_decision_command("dismiss", "Dismiss cases (by id, or by filter): not infringing.")
_decision_command("allowlist", "Allowlist cases (by id, or by filter): an authorised seller or listing.")


@app.command()
def portfolio(
    brand: BrandOption,
    as_json: Annotated[bool, typer.Option("--json", help="Print exactly one JSON object on stdout.")] = False,
    db: DbOption = None,
) -> None:
    """Every mark's, patent's and design's status, renewal window or fee and next deadline (what
    falls due first at the top), and whether each market with flagged listings is covered by a
    live registration."""
    from sqlalchemy.engine import make_url

    from monitor.db import Database, resolve_db_url
    from monitor.portfolio import portfolio as build_portfolio
    from monitor.registry import load_registry

    registry = load_registry(brand)
    url = make_url(resolve_db_url(db))
    database = row = None
    # A portfolio reads the database when there is one; it never creates one.
    if url.get_backend_name() != "sqlite" or (url.database and Path(url.database).expanduser().exists()):
        database = Database(db)
        row = database.brand(registry.brand)
    report = build_portfolio(registry, database, row.id if row else None)
    if as_json:
        print(json.dumps(report.as_dict()))
        return
    from rich.markup import escape

    if report.attention:
        out.print("[bold]needs attention[/bold]")
        for line in report.attention:
            out.print(f"- {escape(line)}")
        out.print()
    from rich import box

    def window(d: Any) -> str:
        state = d.state(report.today)
        if state == "not yet open":
            return f"opens {d.opens.isoformat()}"
        return "open now" if state == "window open" else f"late until {d.grace_ends.isoformat()}"

    out.print("[bold]marks, patents and designs[/bold], what falls due first at the top")
    for r in report.rights:
        nxt = r.next_deadline
        ends = f"term ends {r.expires.isoformat()}" if r.expires else "no expiry on file"
        when = f"{nxt.due.isoformat()}  {nxt.act} ({window(nxt)})" if nxt else f"{'-':10}  {r.status}, {ends}"
        status = "" if r.status in ("registered", "granted") or nxt is None else f" [{r.status}]"
        what = "" if r.kind == "mark" else f"{r.kind}: "
        out.print(f"{escape(when)}  {what}{escape(r.name)}, {escape(r.office)} {escape(r.number)}{escape(status)}",
                  highlight=False)
    for rule in sorted({r.rule for r in report.rights}):
        out.print(escape(rule), highlight=False)
    if database is None:
        out.print("no database yet: run `markwatch crawl` to see which markets have listings", highlight=False)
        return
    markets = Table("market", "country", "flagged", "covered by", title="coverage", box=box.SIMPLE)
    for m in report.markets:
        markets.add_row(escape(m.market), m.country or "?", str(m.listings),
                        escape(", ".join(m.covering)) if m.covered else "[bold red]not covered[/bold red]")
    out.print(markets)
    for m in report.markets:
        if not m.covered:
            out.print(f"- {escape(m.reason)}", highlight=False)


@app.command()
def respond(
    complaint: Annotated[str, typer.Argument(help="The complaint received (COMPLAINT.json, or the e-mail as .txt), or `status` to list the answers drafted and their deadlines.")],
    registry: Annotated[Optional[Path], typer.Option("--registry", help="The complainant's brand registry, to check their registration against the listing.")] = None,
    listing: Annotated[Optional[Path], typer.Option("--listing", help="The listing JSON (as for `markwatch clear`), when the complaint is text or lacks it.")] = None,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the drafted answers.")] = Path("markwatch-responses"),
    as_json: Annotated[bool, typer.Option("--json", help="Print exactly one JSON object on stdout.")] = False,
) -> None:
    """For a seller who received a takedown complaint: check it and draft the answer that fits
    (a DMCA counter-notification, an appeal with a plan of action, or the advice to comply)."""
    from dataclasses import asdict

    from monitor.respond import answer_complaint, read_complaint, responses_due, write_response

    if complaint == "status":
        rows = responses_due(out_dir)
        if as_json:
            print(json.dumps({"responses": rows}))
            return
        if not rows:
            out.print(f"no answers drafted in {out_dir}", markup=False, highlight=False)
        for r in rows:
            d = r["deadline"]
            out.print(f"{d.get('due') or '-':10}  {r['answer'].replace('_', '-'):14}  {r['platform']} {r['kind']}"
                      f" {r.get('reference') or ''}", markup=False, highlight=False)
            out.print(f"            {d['what']}", markup=False, highlight=False, soft_wrap=True)
            out.print(f"            {r['folder']}", markup=False, highlight=False, soft_wrap=True)
        return
    from monitor.clearance import decode_images
    from monitor.registry import load_registry

    parsed = read_complaint(complaint, listing=listing)
    brand = load_registry(registry) if registry else None
    base = (listing or Path(complaint)).parent
    images = decode_images(parsed.listing.images, base_dir=base) if brand else []
    answer = answer_complaint(parsed, brand, images=images)
    folder = write_response(parsed, answer, out_dir)
    if as_json:
        print(json.dumps({**asdict(answer), "deadline": {**asdict(answer.deadline),
                          "due": answer.deadline.due.isoformat() if answer.deadline.due else None},
                          "folder": str(folder)}))
        return
    out.print(f"answer: {answer.kind.replace('_', '-')}: {answer.advice}", markup=False, highlight=False)
    for ground in answer.grounds:
        out.print(f"  ground: {ground}", markup=False, highlight=False)
    for problem in answer.problems:
        out.print(f"  infringes: {problem}", markup=False, highlight=False)
    out.print(f"deadline: {answer.deadline.due} ({answer.deadline.what}; {answer.deadline.source})",
              markup=False, highlight=False)
    _print_paths("drafted", [str(folder / "answer.txt")])


def main() -> None:
    try:
        app()
    except MarkwatchError as exc:
        err.print(f"markwatch: error: {exc}", markup=False, highlight=False, soft_wrap=True)
        sys.exit(2)
    except KeyboardInterrupt:
        err.print("markwatch: interrupted; everything stored so far is kept (run the command again to resume)",
                  markup=False)
        sys.exit(130)


if __name__ == "__main__":
    main()
