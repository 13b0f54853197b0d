"""Helpers for the crawler tests: a small threaded site and a forward proxy on 127.0.0.1 that
record every request, and `run_crawl_subprocess` (this file is also the script it runs) that
crawls with `crawlers.runner.run_crawl` in a fresh process and returns the items."""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent

# A route answers (status, headers, body); it gets the path with its query and the number of
# earlier requests for that same path (so a route can fail twice, then succeed).
Route = Callable[[str, int], tuple[int, dict[str, str], bytes]]


def page(status: int = 200, body: str = "", **headers: str) -> tuple[int, dict[str, str], bytes]:
    return status, {"Content-Type": "text/html; charset=utf-8", **headers}, body.encode()


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a crawler hanging up on an oversized body is part of what is tested


@dataclass
class Hit:
    path: str
    headers: dict[str, str]
    at: float  # time.monotonic() when the request arrived


@dataclass
class LocalSite:
    """Routes by path (query ignored for routing); `hold` seconds before answering a path
    prefix lets the test see how many requests a crawler keeps in flight at once."""

    routes: dict[str, Route]
    hold: dict[str, float] = field(default_factory=dict)
    hits: list[Hit] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0
    base_url: str = ""

    def __post_init__(self) -> None:
        self._lock = threading.Lock()

    def paths(self) -> list[str]:
        with self._lock:
            return [hit.path for hit in self.hits]

    def url(self, path: str) -> str:
        return self.base_url + path

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 - the standard library's name
                import time

                path = urlsplit(self.path).path
                with site._lock:
                    count = sum(1 for h in site.hits if urlsplit(h.path).path == path)
                    site.hits.append(Hit(self.path, {k.lower(): v for k, v in self.headers.items()}, time.monotonic()))
                    site.in_flight += 1
                    site.max_in_flight = max(site.max_in_flight, site.in_flight)
                try:
                    for prefix, seconds in site.hold.items():
                        if path.startswith(prefix):
                            time.sleep(seconds)
                    route = site.routes.get(path)
                    status, headers, body = route(self.path, count) if route else page(404, "not found")
                    self.send_response(status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                finally:
                    with site._lock:
                        site.in_flight -= 1

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        return Handler

    @contextmanager
    def serve(self) -> Iterator[LocalSite]:
        server = _QuietServer(("127.0.0.1", 0), self._handler())
        server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{server.server_address[1]}"
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            server.shutdown()
            server.server_close()


@contextmanager
def forward_proxy() -> Iterator[tuple[str, list[str]]]:
    """A plain HTTP forward proxy: (its URL, the absolute URLs it was asked for)."""
    seen: list[str] = []

    class Proxy(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802
            seen.append(self.path)
            target = urlsplit(self.path)
            conn = http.client.HTTPConnection(target.hostname or "127.0.0.1", target.port or 80, timeout=30)
            headers = {k: v for k, v in self.headers.items()
                       if k.lower() not in ("proxy-connection", "connection", "proxy-authorization")}
            headers["Via"] = "1.1 markwatch-test-proxy"
            conn.request("GET", target.path + (f"?{target.query}" if target.query else ""), headers=headers)
            answer = conn.getresponse()
            body = answer.read()
            self.send_response(answer.status)
            for name, value in answer.getheaders():
                if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                    self.send_header(name, value)
            self.send_header("Via", "1.1 markwatch-test-proxy")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            conn.close()

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    server = _QuietServer(("127.0.0.1", 0), Proxy)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class CrawlResult:
    items: list[dict[str, Any]]
    stats: dict[str, dict[str, Any]]
    returncode: int
    stderr: str


def run_crawl_subprocess(tmp: Path, jobs: list[dict[str, Any]], *, timeout: float = 240,
                         **options: Any) -> CrawlResult:
    """Crawl `jobs` (CrawlJob fields) with run_crawl in a fresh process; `options` are
    run_crawl's keyword arguments (proxy, images_dir, overrides)."""
    config = tmp / f"crawl-{len(list(tmp.glob('crawl-*.json')))}.json"
    out = config.with_suffix(".jsonl")
    config.write_text(json.dumps({"jobs": jobs, "out": str(out), **options}))
    done = subprocess.run([sys.executable, str(Path(__file__).resolve()), str(config)], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout)
    items, stats = [], {}
    if out.exists():
        for line in out.read_text().splitlines():
            record = json.loads(line)
            if "stats" in record:
                stats = record["stats"]
            else:
                items.append(record)
    return CrawlResult(items, stats, done.returncode, done.stderr)


class ReportComponents:
    """An extension that records which components a crawl really ran with."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        from scrapy import signals

        crawler.signals.connect(self.closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Any) -> ReportComponents:
        return cls(crawler)

    def closed(self, spider: Any) -> None:
        engine = self.crawler.engine
        self.crawler.stats.set_value("test/extensions", sorted(type(m).__name__ for m in self.crawler.extensions.middlewares))
        self.crawler.stats.set_value("test/downloader_middlewares",
                                     sorted(type(m).__name__ for m in engine.downloader.middleware.middlewares))
        handler = engine.downloader.handlers._handlers.get("http")
        self.crawler.stats.set_value("test/http_handler", type(handler).__name__)
        self.crawler.stats.set_value("test/playwright_started", getattr(handler, "_driver_started", None))


def _main(config_path: str) -> int:
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from crawlers.runner import CrawlJob, run_crawl

    config = json.loads(Path(config_path).read_text())
    out = open(config["out"], "w", encoding="utf-8")  # noqa: SIM115 - closed below, after the crawl

    # {"after": N, "seconds": S}: the application says it is busy from its Nth item for S
    # seconds (crawlers.pipelines.SinkPipeline pauses the crawl meanwhile).
    hold = config.get("hold")
    arrived: list[float] = []

    def busy() -> bool:
        if len(arrived) < hold["after"]:
            return False
        return time.monotonic() < arrived[hold["after"] - 1] + hold["seconds"]

    def sink(item: Any) -> None:
        record = {"platform": item.platform, "listing_id": item.listing_id, "url": item.url,
                  "rendered": item.rendered, "listing": item.listing.to_dict(), "errors": item.errors,
                  "images": [{"url": i.url, "sha256": i.sha256, "path": i.path, "error": i.error} for i in item.images],
                  "video_urls": list(item.video_urls),
                  "videos": [{"url": v.url, "sha256": v.sha256, "path": v.path, "error": v.error} for v in item.videos],
                  "t": time.monotonic()}
        out.write(json.dumps(record) + "\n")
        out.flush()
        arrived.append(record["t"])

    if config.get("heartbeat"):
        # Scrapy's engine looks at its scheduler on its heartbeat (every 5 s) besides when a
        # download ends: a long heartbeat shows whether markwatch wakes it when it must.
        from scrapy.core.engine import ExecutionEngine

        ExecutionEngine._SLOT_HEARTBEAT_INTERVAL = float(config["heartbeat"])

    jobs = [CrawlJob(**{k: tuple(v) if isinstance(v, list) else v for k, v in job.items()}) for job in config["jobs"]]
    overrides = dict(config.get("overrides") or {})
    overrides.setdefault("EXTENSIONS", {"crawlsite.ReportComponents": 0})
    stats = run_crawl(jobs, sink=sink, busy=busy if hold else None, proxy=config.get("proxy"),
                      images_dir=config.get("images_dir"), redis_url=config.get("redis_url"),
                      run_key=config.get("run_key"), browser_path=config.get("browser_path"),
                      overrides=overrides)
    out.write(json.dumps({"stats": stats}, default=str) + "\n")
    out.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1]))
