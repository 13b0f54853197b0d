"""The Playwright download handler, started only when a request first needs a browser:
scrapy-playwright starts its Node driver when the engine starts, which cost a static crawl
of the demo market about a second of its two shared cores (bench/crawl_speed.py).

It also keeps its pages: scrapy-playwright opens a page for every request and closes it
after, and opening one cost about as much as rendering a listing (bench/crawl_speed.py: the
same 200 listings at 250 pages/min on fresh pages, 400-490 on kept ones). Here each page
goes back to a pool when its response is read and the next rendered request navigates it;
a page is closed after `_PAGE_USES` pages, or at once when a request on it failed, so
memory stays bounded by the page cap (PLAYWRIGHT_MAX_PAGES_PER_CONTEXT); the context itself is
replaced after MARKWATCH_RENDER_CONTEXT_PAGES pages, its renderers' and cache's growth with it.

Rendered pages are read once they have settled (`settle_page`): the page's own fetches,
XHRs, added scripts and short timers have finished and its DOM has not changed for
`SETTLE_QUIET_MS` (MARKWATCH_RENDER_QUIET_MS), or `SETTLE_MAX_MS` after it started
(MARKWATCH_RENDER_MAX_MS) whatever its state.
Playwright's "networkidle" waits for 500 ms without a request, every page, which set the
rendered crawl's pace."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from typing import Any

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page
from playwright.async_api import TimeoutError as PlaywrightTimeoutError
from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy_playwright.handler import BrowserContextWrapper, ScrapyPlaywrightDownloadHandler

from crawlers.middlewares import AddressPolicy

__all__ = ["LazyPlaywrightDownloadHandler", "SETTLE_QUIET_MS", "SETTLE_MAX_MS", "render_trouble",
           "settle_page", "skip_unneeded_resource"]

# A kept page is closed after this many pages (a long-lived page's renderer holds memory).
_PAGE_USES = 50

SETTLE_QUIET_MS = 200
SETTLE_MAX_MS = 15_000

# Run in every page before its own scripts: counts the requests the page's scripts make
# (fetch, XHR, added <script src>/stylesheets/iframes) and notes the last DOM change.
_SETTLE_SCRIPT = """
(() => {
  if (window.__markwatchSettle) { return; }
  const state = { busy: 0, failed: 0, last: Date.now(), start: Date.now() };
  window.__markwatchSettle = state;
  const touch = () => { state.last = Date.now(); };
  const begin = () => { state.busy += 1; touch(); };
  const end = () => { state.busy = Math.max(0, state.busy - 1); touch(); };
  // A short timer is work about to happen (a script that fetches its data a moment after
  // load): counted until it fires or is cleared. Longer timers and intervals are not.
  const nativeSetTimeout = window.setTimeout;
  const nativeClearTimeout = window.clearTimeout;
  const timers = new Set();
  window.setTimeout = function (callback, delay, ...rest) {
    if (typeof callback !== "function" || !(Number(delay) <= 1000)) {
      return nativeSetTimeout.call(window, callback, delay, ...rest);
    }
    begin();
    const id = nativeSetTimeout.call(window, function (...args) {
      if (timers.delete(id)) { end(); }
      return callback.apply(this, args);
    }, delay, ...rest);
    timers.add(id);
    return id;
  };
  window.clearTimeout = function (id) {
    if (timers.delete(id)) { end(); }
    return nativeClearTimeout.call(window, id);
  };
  // A failed request is one answered with an error status, or one to the page's own origin
  // that got no answer (elsewhere that is mostly what the crawl itself blocked).
  const ownOrigin = (url) => {
    try { return new URL(String(url), location.href).origin === location.origin; } catch (err) { return false; }
  };
  const nativeFetch = window.fetch;
  if (typeof nativeFetch === "function") {
    window.fetch = function (...args) {
      begin();
      let pending;
      const own = ownOrigin(args[0] && typeof args[0] === "object" && "url" in args[0] ? args[0].url : args[0]);
      try { pending = nativeFetch.apply(this, args); } catch (err) { end(); throw err; }
      return Promise.resolve(pending).then(
        (res) => { if (res && res.status >= 400) { state.failed += 1; } return res; },
        (err) => { if (own) { state.failed += 1; } throw err; }).finally(end);
    };
  }
  if (window.XMLHttpRequest) {
    const nativeOpen = XMLHttpRequest.prototype.open;
    XMLHttpRequest.prototype.open = function (...args) {
      this.__markwatchOwn = ownOrigin(args[1]);
      return nativeOpen.apply(this, args);
    };
    const nativeSend = XMLHttpRequest.prototype.send;
    XMLHttpRequest.prototype.send = function (...args) {
      begin();
      this.addEventListener("loadend", () => {
        if (this.status >= 400 || (this.status === 0 && this.__markwatchOwn)) { state.failed += 1; }
        end();
      }, { once: true });
      try { return nativeSend.apply(this, args); } catch (err) { end(); throw err; }
    };
  }
  const loads = (node) => node.nodeType === 1 && (
    (node.tagName === "SCRIPT" && node.src) || node.tagName === "IFRAME" ||
    (node.tagName === "LINK" && /stylesheet/i.test(node.rel || "")));
  const watch = (node) => {
    begin();
    let done = false;
    const finish = () => { if (!done) { done = true; end(); } };
    node.addEventListener("load", finish, { once: true });
    node.addEventListener("error", finish, { once: true });
    nativeSetTimeout.call(window, finish, 10000);  // an element that never loads stops counting after 10 s
  };
  new MutationObserver((records) => {
    touch();
    for (const record of records) {
      for (const node of record.addedNodes) { if (loads(node)) { watch(node); } }
    }
  }).observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
  // Resolves once the page has settled: loaded, nothing counted in flight, no DOM change
  // for `quiet` ms; or `most` ms after the page started, whatever its state. Says which,
  // and how many of the page's own fetches and XHRs failed (an error status or no answer).
  state.settled = (quiet, most) => new Promise((resolve) => {
    const check = () => {
      const now = Date.now();
      const calm = document.readyState === "complete" && state.busy === 0 && now - state.last >= quiet;
      if (calm || now - state.start >= most) {
        resolve({ settled: calm, failed: state.failed });
      } else {
        nativeSetTimeout.call(window, check, Math.min(50, Math.max(5, quiet - (now - state.last))));
      }
    };
    check();
  });
})();
"""

_SETTLED = """
([quiet, most]) => window.__markwatchSettle ? window.__markwatchSettle.settled(quiet, most) : false
"""


async def settle_page(page: Page, quiet_ms: int = SETTLE_QUIET_MS, most_ms: int = SETTLE_MAX_MS) -> dict[str, Any]:
    """A PageMethod: wait until the page has settled (see the module docstring), or for
    `most_ms` from its start at most; a page that never settles is read as it stands.
    One call into the page (Playwright's wait_for_function polls from its injected script,
    which cost every rendered page about 15 ms of CPU more).

    Returns {"settled": whether it settled before the cap, "failed": how many of the page's
    own fetches and XHRs failed}: the spider reads a page that came back without its data
    once more when either says its data may not have arrived (`render_trouble`)."""
    for _ in range(3):
        try:
            state = await page.evaluate(_SETTLED, [quiet_ms, most_ms])
            if not state:
                # No settle script in the page (a handler other than ours opened it).
                try:
                    await page.wait_for_load_state("networkidle", timeout=most_ms)
                except PlaywrightTimeoutError:
                    return {"settled": False, "failed": 0}
                return {"settled": True, "failed": 0}
            return {"settled": bool(state.get("settled")), "failed": int(state.get("failed") or 0)}
        except PlaywrightError as exc:
            # The page navigated itself (a script redirect): settle the page it went to.
            if "context was destroyed" not in str(exc) and "navigat" not in str(exc):
                raise
            await page.wait_for_load_state()
    return {"settled": False, "failed": 0}


def render_trouble(meta: dict[str, Any]) -> str | None:
    """Why a rendered response may lack the data its page fetches (its settle_page result):
    "unsettled" (read at the cap, still busy), "data request failed", or None."""
    for method in meta.get("playwright_page_methods") or ():
        state = getattr(method, "result", None)
        if isinstance(state, dict):
            if state.get("failed"):
                return "data request failed"
            if state.get("settled") is False:
                return "unsettled"
    return None


class LazyPlaywrightDownloadHandler(ScrapyPlaywrightDownloadHandler):
    """Plain requests go straight to Scrapy's HTTP handler, as before; the first request with
    meta["playwright"] (a site set to need scripts, or a page found to be an app shell)
    starts Playwright, once. Rendered requests share a pool of kept pages."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        # A rendered page's own requests (its scripts, fetches, frames) meet the crawl's
        # address policy too, on top of PLAYWRIGHT_ABORT_REQUEST: a hostile page's script
        # must not make Chromium reach our network or the cloud's metadata service.
        self._addresses = AddressPolicy(crawler)
        self._skip = self.abort_request
        self.abort_request = self._abort
        self._driver_lock = asyncio.Lock()
        self._driver_started = False
        self._idle: dict[str, list[tuple[Page, int]]] = {}
        self._open: dict[str, int] = {}
        self._freed: dict[str, asyncio.Condition] = {}
        self._rendered: dict[str, int] = {}  # pages handed out since the context was opened
        self._context_pages = max(1, crawler.settings.getint("MARKWATCH_RENDER_CONTEXT_PAGES", 300))

    async def _abort(self, request: Any) -> bool:
        """Whether scrapy-playwright aborts one of a page's requests: what the page does not
        need (PLAYWRIGHT_ABORT_REQUEST, checked first: no name is resolved for it), then any
        address the crawl may not reach. (Playwright's route sees the first address of a
        redirect chain only: a redirect to such an address is not caught here.)"""
        if self._skip is not None:
            skip = self._skip(request)
            if inspect.isawaitable(skip):
                skip = await skip
            if skip:
                return True
        return await self._addresses.refused_soon(request.url) is not None

    async def _maybe_launch_in_thread(self) -> None:
        # Connected to engine_started by the parent: deliberately nothing at that point.
        return None

    async def _start_driver(self) -> None:
        async with self._driver_lock:
            if not self._driver_started:
                await self._maybe_future_from_coro(self._launch())
                self._driver_started = True

    async def download_request(self, request: Request) -> Response:  # type: ignore[override]
        if request.meta.get("playwright") and not self._driver_started:
            await self._start_driver()
        return await super().download_request(request)

    async def _create_browser_context(self, name: str, context_kwargs: dict | None,
                                      spider: Spider | None = None) -> BrowserContextWrapper:
        wrapper = await super()._create_browser_context(name, context_kwargs, spider)
        await wrapper.context.add_init_script(_SETTLE_SCRIPT)
        return wrapper

    async def _download_request(self, request: Request, spider: Spider | None = None) -> Response:
        if request.meta.get("playwright_include_page") or request.meta.get("playwright_page") is not None:
            return await super()._download_request(request, spider)  # the caller manages its page
        context = request.meta.setdefault("playwright_context", "default")
        page, uses = await self._take_page(context)
        request.meta["playwright_include_page"] = True
        if page is not None:
            request.meta["playwright_page"] = page
        kept = False
        try:
            response = await super()._download_request(request, spider)
            page = request.meta.get("playwright_page")
            kept = isinstance(page, Page) and not page.is_closed() and uses + 1 < _PAGE_USES
            return response
        finally:
            page = request.meta.pop("playwright_page", None)
            request.meta.pop("playwright_include_page", None)
            await self._give_back(context, page if isinstance(page, Page) else None, uses + 1, kept)

    async def _take_page(self, context: str) -> tuple[Page | None, int]:
        """An idle kept page (and how often it was used), or None when a new page may be
        opened; waits while the context has its full count of pages at work."""
        freed = self._freed.setdefault(context, asyncio.Condition())
        async with freed:
            while True:
                if self._rendered.get(context, 0) >= self._context_pages:
                    if await self._retire(context):
                        freed.notify_all()  # everyone waiting for the new context
                        continue
                    await freed.wait()  # the pages still at work finish in the old context
                    continue
                idle = self._idle.setdefault(context, [])
                while idle:
                    page, uses = idle.pop()
                    if not page.is_closed():
                        self._rendered[context] = self._rendered.get(context, 0) + 1
                        return page, uses
                    self._open[context] -= 1
                if self._open.get(context, 0) < self.config.max_pages_per_context:
                    self._open[context] = self._open.get(context, 0) + 1
                    self._rendered[context] = self._rendered.get(context, 0) + 1
                    return None, 0
                await freed.wait()

    async def _retire(self, context: str) -> bool:
        """Close the context once none of its pages is at work (its idle ones are closed
        first), so that the next page opens a fresh one; False while pages are at work.
        Called with the context's condition held. A persistent context is kept."""
        idle = self._idle.get(context, [])
        while idle:
            page, _uses = idle.pop()
            self._open[context] -= 1
            with contextlib.suppress(PlaywrightError):
                await page.close()
        if self._open.get(context, 0) > 0:
            return False
        self._rendered[context] = 0
        wrapper = self.context_wrappers.get(context)
        if wrapper is not None and not wrapper.persistent:
            # scrapy-playwright forgets the context (by name) when its "close" event comes:
            # wait for that event, so it cannot come after the new context took the name.
            closed = asyncio.Event()
            wrapper.context.once("close", lambda *_: closed.set())
            with contextlib.suppress(PlaywrightError):
                await wrapper.context.close()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(closed.wait(), 10)
            if self.context_wrappers.get(context) is wrapper:
                self.context_wrappers.pop(context)
            self.stats.inc_value("markwatch/playwright/contexts_retired")
        return True

    async def _give_back(self, context: str, page: Page | None, uses: int, keep: bool) -> None:
        keep = keep and self._rendered.get(context, 0) < self._context_pages
        if page is not None and not keep and not page.is_closed():
            try:
                await page.close()
            except PlaywrightError:
                pass
            self.stats.inc_value("playwright/page_count/closed")
        freed = self._freed[context]
        async with freed:
            if keep and page is not None:
                self._idle[context].append((page, uses))
            else:
                self._open[context] -= 1
            freed.notify()


# What the extractor never reads from a rendered page: pictures, fonts, audio and video are
# fetched (or not) by the pipelines from the addresses the page names, and stylesheets change
# nothing in the DOM it reads (a static page's HTML is read without its CSS); the browser
# fetching them only delays the page's settling and spends the cores the matchers need.
_UNNEEDED = frozenset({"image", "font", "media", "stylesheet"})


def skip_unneeded_resource(request) -> bool:  # type: ignore[no-untyped-def]
    """PLAYWRIGHT_ABORT_REQUEST: abort a rendered page's requests for images, fonts, media
    and stylesheets."""
    return request.resource_type in _UNNEEDED
