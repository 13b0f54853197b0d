"""One run split over processes: `markwatch crawl --redis-url` (scrapy-redis frontier on a real
redis-server) into one PostgreSQL database, with 1 and then 2 processes, on the demo market.

    .venv/bin/python bench/redis_scale.py [--scale 1] [--platform bazaar] [--processes 1 2] [--rounds 1] [--no-pin]

Each process crawls, stores and assesses with one assessment worker (MARKWATCH_WORKERS=1),
and is held to a core of its own (with its worker and its Chromium: the CPU affinity set at
its start is inherited), so that N processes stand for N one-core machines. Unpinned, one
process's crawl, browser and worker already spread over both of this machine's cores, and a
second process could only take what the first left idle (`--no-pin` shows that). The demo
market, redis-server and PostgreSQL are not pinned: they stand for the marketplace and the
shared services, and in the one-process run they may use the core the process leaves free,
so the speed-up printed is a lower figure for N machines. Printed per
process count: wall time, the CPU time of all processes and their workers, listings stored,
how many each process read (together they must read each listing once) and the speed-up
over one process. redis-server and PostgreSQL are started on 127.0.0.1 from the OS
packages (as the tests do) and removed afterwards.

On N machines: run the same command on each, with the same --redis-url, --run-key and --db
(a PostgreSQL URL every machine reaches), and --images-dir on storage they share (or each
its own: a listing's images are fetched by the machine that reads the listing).
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from services import postgres_server, redis_server  # noqa: E402


def _database(admin_url: str, name: str) -> str:
    """A new, empty database on the cluster (schema made by markwatch), and its URL."""
    import sqlalchemy

    engine = sqlalchemy.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sqlalchemy.text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(sqlalchemy.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    url = admin_url.rsplit("/", 1)[0] + "/" + name
    from monitor.db import Database

    Database(url)  # migrate once, before the processes start
    return url


def _on_core(core: int):
    """A preexec_fn holding the child (and whatever it starts) to one core."""
    def pin() -> None:
        os.sched_setaffinity(0, {core})
    return pin


def _stored(url: str, platform: str) -> tuple[int, int, int]:
    """Rows stored for the platform, distinct listing ids among them, and rows assessed."""
    import sqlalchemy

    engine = sqlalchemy.create_engine(url)
    with engine.connect() as conn:
        rows, distinct = conn.execute(sqlalchemy.text(
            "select count(*), count(distinct listing_id) from listing where platform = :p"), {"p": platform}).one()
        assessed = conn.execute(sqlalchemy.text(
            "select count(*) from listing where platform = :p and assessed_hash = content_hash"), {"p": platform}).scalar()
    engine.dispose()
    return int(rows), int(distinct), int(assessed or 0)


def measure(*, scale: float = 1.0, platform: str = "bazaar",
            processes: tuple[int, ...] = (1, 2), pin: bool = True, rounds: int = 1) -> list[dict[str, float]]:
    """Print one row per run; return one per process count (empty when Redis or PostgreSQL
    cannot start). With several `rounds` the process counts take turns (1, 2, 1, 2, ...) and
    each count's figure is its median run (the lower of the middle two for an even count): this machine's speed drifts by a fifth within an
    hour, and one run of each, minutes apart, measured the drift as much as the scaling."""
    from monitor.browser import find_chromium
    from monitor.demo_market.catalog import default_brand_dir

    brand = default_brand_dir() / "brand.yaml"
    browser = find_chromium(install=False).path
    with redis_server() as (redis_url, why_redis), postgres_server() as (pg_url, why_pg):
        if redis_url is None or pg_url is None:
            print(f"cannot run: {why_redis if redis_url is None else why_pg}")
            return []
        cache: Path | None = None
        rows: list[dict[str, float]] = []
        cache_before = os.environ.get("MARKWATCH_CACHE_DIR")
        market = subprocess.Popen([sys.executable, "-m", "monitor.demo_market", "--scale", str(scale),
                                   "--until-stdin-closes"], cwd=ROOT, stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True)
        try:
            found = re.search(r"(http://\S+)", market.stdout.readline() if market.stdout else "")
            if not found:
                raise SystemExit("demo market did not start")
            base = found.group(1)
            cores = sorted(os.sched_getaffinity(0))
            pin = pin and len(cores) >= max(processes)
            print(f"demo market x{scale} at {base}; platform {platform}; redis-server and PostgreSQL on "
                  f"127.0.0.1; {len(cores)} cores; one assessment worker a process, "
                  f"{'each process on a core of its own' if pin else 'processes not pinned to cores'}\n")
            print(f"{'processes':>9}{'wall s':>9}{'CPU s':>9}{'stored':>8}{'distinct':>10}{'assessed':>10}{'read by each':>16}"
                  f"{'read in all':>13}{'listings/s':>12}{'speed-up':>10}")
            # The brand's image index is built once and cached, as on any day after the first:
            # the processes load it rather than each building it in the timed run.
            cache = Path(tempfile.mkdtemp(prefix="markwatch-bench-cache-"))
            os.environ["MARKWATCH_CACHE_DIR"] = str(cache)
            from monitor.assess import Assessor
            from monitor.registry import load_registry

            Assessor(load_registry(brand))
            runs: list[dict[str, float]] = []
            for i, n in enumerate(n for _ in range(max(1, rounds)) for n in processes):
                url = _database(pg_url, f"scale_{i}_{n}")  # a database of its own each run
                with tempfile.TemporaryDirectory() as tmp:
                    cmd = [sys.executable, "-m", "monitor.cli", "crawl", "--brand", str(brand), "--db", url,
                           "--base-url", base, "--platform", platform, "--delay", "0",
                           "--redis-url", redis_url, "--run-key", f"bench-{n}-{time.time_ns()}",
                           "--images-dir", str(Path(tmp) / "images")]
                    env = {**os.environ, "MARKWATCH_WORKERS": "1", "MARKWATCH_CHROMIUM": browser, "COLUMNS": "200"}
                    cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
                    t0 = time.perf_counter()
                    procs = [subprocess.Popen(cmd, cwd=tmp, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                              text=True, env=env, preexec_fn=_on_core(cores[i]) if pin else None)
                             for i in range(n)]
                    outputs = [p.communicate(timeout=7200) for p in procs]
                    wall = time.perf_counter() - t0
                    cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
                for p, (out, err) in zip(procs, outputs):
                    if p.returncode != 0:
                        raise SystemExit(f"a crawl process failed ({p.returncode}): {err[-1500:]}")
                seen = [int(m.group(1)) if (m := re.search(r"(\d+) listings seen", out)) else -1 for out, _ in outputs]
                stored, distinct, assessed = _stored(url, platform)
                cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
                if i % len(processes) == 0:
                    first = wall  # each row's speed-up is over its round's first run
                runs.append({"processes": n, "pinned": float(pin), "wall s": wall, "cpu s": cpu, "stored": stored,
                             "distinct": distinct, "read": sum(seen)})
                print(f"{n:>9}{wall:>9.1f}{cpu:>9.1f}{stored:>8}{distinct:>10}{assessed:>10}{'/'.join(map(str, seen)):>16}"
                      f"{sum(seen):>13}{stored / wall:>12.2f}{first / wall:>9.2f}x")
            for n in processes:
                mine = sorted((r for r in runs if r["processes"] == n), key=lambda r: r["wall s"])
                mid = mine[(len(mine) - 1) // 2]  # the median run (the lower one of an even count)
                # a listing read twice in any run shows in the figure kept
                twice = next((r for r in mine if not r["read"] == r["stored"] == r["distinct"]), mid)
                rows.append({**mid, "read": twice["read"], "stored": twice["stored"], "distinct": twice["distinct"],
                             "runs": float(len(mine))})
            for row in rows:
                row["speed-up"] = rows[0]["wall s"] / row["wall s"]
            if rounds > 1:
                print(f"\nmedian of {rounds} rounds: " + ", ".join(
                    f"{r['processes']:.0f} -> {r['wall s']:.1f} s (x{r['speed-up']:.2f})" for r in rows))
            print("\n(read in all = stored = distinct: no listing was read or stored twice; the CPU figure includes each process's start,"
                  " its loading of the cached brand index and its worker)")
        finally:
            if cache is not None:
                shutil.rmtree(cache, ignore_errors=True)
                if cache_before is None:
                    os.environ.pop("MARKWATCH_CACHE_DIR", None)
                else:
                    os.environ["MARKWATCH_CACHE_DIR"] = cache_before
            if market.stdin:
                market.stdin.close()
            market.terminate()
            market.wait(timeout=30)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="the demo market's catalogue, times the demo's")
    parser.add_argument("--platform", default="bazaar")
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--rounds", type=int, default=1,
                        help="run the process counts in turn this many times; each count's figure is its median run")
    parser.add_argument("--no-pin", dest="pin", action="store_false",
                        help="let every process use every core (one process then already uses both here)")
    args = parser.parse_args()
    return 0 if measure(scale=args.scale, platform=args.platform, processes=tuple(args.processes), pin=args.pin,
                            rounds=args.rounds) else 1


if __name__ == "__main__":
    raise SystemExit(main())
