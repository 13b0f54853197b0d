"""The `markwatch` command: a thin layer that parses arguments, calls the Python API and
prints. A user's mistake (bad brand file, bad database URL, no browser) is one line on
stderr and exit code 2, never a traceback."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
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

DbOption = Annotated[
    Optional[str],
    typer.Option("--db", help="Database: a SQLite file path or any SQLAlchemy URL "
                 "(default: $MARKWATCH_DB_URL, else ./markwatch.db)."),
]
BrandOption = Annotated[Path, typer.Option("--brand", "-b", help="The brand registry (brand.yaml).")]


def _progress_printer(show: bool) -> tuple[Callable[[str, dict[str, Any]], None], Any]:
    """A progress callback for runs: a live bar on a terminal, quiet otherwise."""
    if not show:
        return (lambda _e, _d: None), None
    progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                        TextColumn("{task.completed} listings"), TimeElapsedColumn(),
                        console=err, transient=True)
    task = progress.add_task("starting", total=None)

    def on_event(event: str, data: dict[str, Any]) -> None:
        if event == "browser":
            err.print(f"[dim]{data['text']}[/dim]")
        elif event == "market":
            err.print(f"[dim]demo market at {data['url']} ({data['listings']} listings)[/dim]")
        elif event == "crawl-start":
            progress.start()
            progress.update(task, description="crawling " + ", ".join(data["jobs"]))
        elif event == "listing":
            progress.update(task, completed=data["seen"])
        elif event == "crawl-done":
            progress.stop()

    return on_event, progress


@app.command()
def demo(
    out_dir: Annotated[Path, typer.Option("--out", help="Where the database, digest and drafts go.")] = Path("markwatch-demo"),
    as_json: Annotated[bool, typer.Option("--json", help="Print exactly one JSON object on stdout.")] = False,
) -> None:
    """Run the whole job on the embedded demo marketplace and score it against the truth."""
    from monitor.demo import run_demo

    on_event, _ = _progress_printer(err.is_terminal or not as_json)
    result = run_demo(out_dir, progress=on_event)
    if as_json:
        print(json.dumps(result.as_json()))
        return
    s = result.summary
    table = Table(title="markwatch demo", show_header=False)
    table.add_row("listings crawled", str(result.listings))
    table.add_row("new / changed / unchanged", f"{s.created} / {s.changed} / {s.unchanged}")
    table.add_row("flagged for review", str(result.flagged))
    table.add_row("precision / recall", f"{result.precision:.3f} / {result.recall:.3f}  "
                  f"(TP {result.confusion['true_positive']}, FP {result.confusion['false_positive']}, "
                  f"FN {result.confusion['false_negative']})")
    table.add_row("per-item errors recorded", str(len(s.errors)))
    table.add_row("digest", result.digest)
    table.add_row("takedown drafts", f"{len(result.takedowns)} in {Path(result.takedowns[0]).parent if result.takedowns else '-'}")
    table.add_row("database", result.db)
    table.add_row("time", f"{result.seconds:.1f} s")
    out.print(table)
    for refusal in result.refusals:
        err.print(f"[yellow]not drafted:[/yellow] {refusal}")


@app.command("demo-market")
def demo_market(
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port; 0 picks a free one.")] = 0,
) -> None:
    """Serve the embedded demo marketplace until interrupted."""
    from monitor.demo_market.server import serve_forever

    def ready(url: str) -> None:
        print(f"demo market serving at {url}  (Ctrl-C stops it)", flush=True)

    try:
        serve_forever(host=host, port=port, on_ready=ready)
    except KeyboardInterrupt:
        pass


@app.command("check-brand")
def check_brand(path: Annotated[Path, typer.Argument(help="The brand registry to validate.")]) -> None:
    """Validate a brand registry file; exit 2 with one line naming the problem if invalid."""
    from monitor.registry import load_registry

    registry = load_registry(path)
    regs = sum(len(m.registrations) for m in registry.marks)
    out.print(f"{path}: OK: {registry.brand}, {len(registry.marks)} marks ({regs} registrations), "
              f"{len(registry.products)} products, {len(registry.watch)} watch entries")


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
) -> None:
    """Crawl the brand's watch list, store listings and assess them."""
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
    if redis_url and not run_key:
        import datetime as dt

        run_key = dt.date.today().isoformat()
    summary = monitor.crawl(base_url=base_url, platforms=platform, limit=limit,
                            browser_path=browser.path, proxy=proxy, redis_url=redis_url,
                            run_key=run_key, overrides=overrides)
    out.print(f"{summary.seen} listings seen ({summary.created} new, {summary.changed} changed, "
              f"{summary.unchanged} unchanged); {summary.assessed} assessed, {summary.flagged} flagged; "
              f"{len(summary.errors)} per-item errors; database {database.display_url}")


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
    database = Database(db)
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
    outcome = run_once(registry, database, out_dir=out_dir, base_url=base_url, browser_path=browser.path,
                       overrides=overrides, email=email, review_url=review_url, fresh=fresh,
                       progress=on_event)
    if outcome.resumed_assessments:
        out.print(f"finished {outcome.resumed_assessments} assessments an interrupted run left")
    s = outcome.summary
    if s is None:
        out.print("today's crawl had already finished; digest only (--fresh crawls again)")
    else:
        out.print(f"{s.seen} listings seen ({s.created} new, {s.changed} changed); {s.assessed} assessed, "
                  f"{s.flagged} flagged; {len(s.errors)} per-item errors")
    out.print(f"digest of {outcome.entries} matches: {outcome.digest['html']}")
    if outcome.mailed:
        out.print(f"mailed to {', '.join(outcome.mailed.recipients)}")


@app.command()
def schedule(
    brand: BrandOption,
    at: Annotated[str, typer.Option(help="Time of day (local, HH:MM) for the daily run.")] = "06:00",
    now: Annotated[bool, typer.Option("--now", help="Also run once right away.")] = False,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for digests, images and the run state.")] = Path("markwatch-out"),
    base_url: Annotated[Optional[str], typer.Option(help="Base URL for relative watch URLs.")] = None,
    email: Annotated[bool, typer.Option("--email", help="Mail each digest with the brand's settings.mail.")] = False,
    review_url: Annotated[Optional[str], typer.Option(help="Address of `markwatch serve`, for links in the digest.")] = None,
    db: DbOption = None,
) -> None:
    """Run `markwatch run` every day at --at until stopped, without cron or systemd."""
    from monitor.browser import find_chromium
    from monitor.db import Database
    from monitor.registry import load_registry
    from monitor.schedule import parse_time, run_once, run_schedule

    when = parse_time(at)
    registry = load_registry(brand)
    if email and registry.settings.mail is None:
        raise MarkwatchError(f"{brand}: settings.mail is missing; add host, from and to to mail the digest")
    database = Database(db)
    browser = find_chromium()

    def job() -> object:
        fresh_registry = load_registry(brand)  # edits to brand.yaml apply from the next run
        return run_once(fresh_registry, database, out_dir=out_dir, base_url=base_url,
                        browser_path=browser.path, email=email, review_url=review_url)

    def on_event(event: str, data: dict[str, Any]) -> None:
        if event == "waiting":
            err.print(f"next run at {data['until']:%Y-%m-%d %H:%M %Z}", markup=False)
        elif event == "run-done":
            err.print(f"run done: digest of {data['result'].entries} matches at {data['result'].digest['html']}", markup=False)
        elif event == "run-failed":
            err.print(f"run failed (the next one goes ahead): {data['error']}", markup=False)

    run_schedule(job, at=when, run_now=now, on_event=on_event)


@app.command()
def serve(
    brand: BrandOption,
    host: Annotated[str, typer.Option(help="Address to bind; anything but loopback needs --token.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port; 0 picks a free one.")] = 8000,
    token: Annotated[Optional[str], typer.Option(envvar="MARKWATCH_TOKEN", help="Require this token on every request (default $MARKWATCH_TOKEN).")] = None,
    takedown_dir: Annotated[Path, typer.Option("--takedowns", help="Folder for takedown drafts.")] = Path("markwatch-out/takedowns"),
    db: DbOption = None,
) -> None:
    """Serve the review queue in the browser (127.0.0.1 by default)."""
    from monitor.db import Database
    from monitor.registry import load_registry
    from monitor.web import serve as serve_app

    registry = load_registry(brand)
    database = Database(db)

    def ready(url: str) -> None:
        print(f"review queue at {url}  (Ctrl-C stops it)", flush=True)

    try:
        serve_app(database, registry, host=host, port=port, token=token, takedown_dir=takedown_dir,
                  on_ready=ready)
    except KeyboardInterrupt:
        pass


@app.command()
def takedown(
    brand: BrandOption,
    platform: Annotated[Optional[str], typer.Option(help="Only this platform.")] = None,
    case: Annotated[Optional[list[int]], typer.Option("--case", help="Only these case ids (repeatable).")] = None,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the drafts.")] = Path("markwatch-out/takedowns"),
    include_flagged: Annotated[bool, typer.Option(help="Also draft flagged cases nobody has confirmed yet.")] = False,
    db: DbOption = None,
) -> None:
    """Draft takedown notices for confirmed cases."""
    from monitor.db import Database
    from monitor.registry import load_registry
    from monitor.takedown import draft_takedowns

    registry = load_registry(brand)
    database = Database(db)
    row = database.brand(registry.brand)
    if row is None:
        raise MarkwatchError(f"no runs yet for {registry.brand} in {database.display_url}; run `markwatch crawl` first")
    drafted, refusals = draft_takedowns(database, registry, row.id, out_dir, case_ids=case,
                                        include_flagged=include_flagged, platform=platform)
    for d in drafted:
        out.print(f"drafted {d.path} ({d.platform}, {len(d.case_ids)} listings)")
    for refusal in refusals:
        err.print(f"not drafted: {refusal}")


@app.command()
def cases(
    brand: BrandOption,
    state: Annotated[Optional[list[str]], typer.Option(help="Only cases in this state (repeatable).")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Include cases below the flag threshold.")] = False,
    limit: Annotated[int, typer.Option(help="At most this many rows.")] = 50,
    db: DbOption = None,
) -> None:
    """List review cases, highest risk first."""
    from monitor.db import Database
    from monitor.registry import load_registry

    registry = load_registry(brand)
    database = Database(db)
    row = database.brand(registry.brand)
    rows = database.cases(row.id, states=state, flagged_only=not all_, limit=limit) if row else []
    table = Table("case", "risk", "state", "listing", "reasons")
    for c in rows:
        listing = database.listing(c.listing_pk)
        table.add_row(str(c.id), str(c.risk), c.state, f"{listing.platform}/{listing.listing_id}",
                      "; ".join(c.reasons[:2]))
    out.print(table)


def main() -> None:
    try:
        app()
    except MarkwatchError as exc:
        err.print(f"markwatch: error: {exc}", markup=False, highlight=False, soft_wrap=True)
        sys.exit(2)
    except KeyboardInterrupt:
        err.print("markwatch: interrupted; everything stored so far is kept", markup=False)
        sys.exit(130)


if __name__ == "__main__":
    main()
