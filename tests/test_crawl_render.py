"""Rendered pages in a real Chromium against a local site: a page is read once its own work
has settled (a timer that starts a slow fetch, a script the page adds), a page that never
settles is read after the cap as it stands, and pages are kept and reused (never more open
than the page cap) while a page that failed is replaced."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from crawlsite import LocalSite, page, run_crawl_subprocess

FAST = {"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "ROBOTSTXT_OBEY": False}


def _shell(script: str) -> str:
    return f"<!doctype html><html><head><title>Shop</title></head><body><div id='app'>Loading</div><script>{script}</script></body></html>"


def _json(body: str):  # type: ignore[no-untyped-def]
    return lambda path, count: (200, {"Content-Type": "application/json"}, body.encode())


def _js(body: str):  # type: ignore[no-untyped-def]
    return lambda path, count: (200, {"Content-Type": "text/javascript"}, body.encode())


# The title arrives from a fetch that starts 400 ms after load and takes 700 ms; the price from
# a script that data adds, which takes 500 ms to arrive: each gap is longer than the quiet
# window, so only counting the page's own work reads the finished page.
LATE = _shell("""
setTimeout(function () {
  fetch('/api/late').then(function (r) { return r.json(); }).then(function (d) {
    var app = document.getElementById('app');
    app.textContent = '';
    var h = document.createElement('h1'); h.textContent = d.title; app.appendChild(h);
    var s = document.createElement('script'); s.src = '/static/price.js'; document.body.appendChild(s);
  });
}, 400);
""")
PRICE_JS = """
var p = document.createElement('p'); p.className = 'price';
var span = document.createElement('span'); span.setAttribute('itemprop', 'price'); span.setAttribute('content', '129.00');
span.textContent = '€129.00'; p.appendChild(span);
var c = document.createElement('meta'); c.setAttribute('itemprop', 'priceCurrency'); c.setAttribute('content', 'EUR'); p.appendChild(c);
document.getElementById('app').appendChild(p);
"""

# Its title is there at once, but a ticker changes the page every 30 ms for ever.
RESTLESS = _shell("""
document.getElementById('app').innerHTML = '<h1>Restless Trail Jacket</h1><p class="price">€80.00</p><span id="t"></span>';
var n = 0; setInterval(function () { document.getElementById('t').textContent = String(n++); }, 30);
""")


def _plain(path: str, count: int) -> tuple[int, dict[str, str], bytes]:
    name = path.rsplit("/", 1)[-1]
    return page(body=_shell(f"document.getElementById('app').innerHTML = "
                            f"'<h1>Norvik Item {name}</h1><p class=\"price\">€{10 + len(name)}.00</p>';"))


def test_a_page_is_read_once_its_own_work_has_settled(tmp_path: Path, browser_path: str) -> None:
    site = LocalSite({"/item/late-1": lambda p, c: page(body=LATE), "/api/late": _json('{"title": "Norvik Late Parka"}'),
                      "/static/price.js": _js(PRICE_JS), "/item/restless-1": lambda p, c: page(body=RESTLESS)},
                     hold={"/api/late": 0.7, "/static/price.js": 0.5})
    with site.serve():
        job = {"platform": "testshop", "start_urls": [site.url("/item/late-1"), site.url("/item/restless-1")],
               "max_listings": 5, "javascript": True}
        result = run_crawl_subprocess(tmp_path, [job], browser_path=browser_path,
                                      overrides={**FAST, "MARKWATCH_RENDER_MAX_MS": 4000})
    assert result.returncode == 0, result.stderr
    by_id = {item["listing_id"]: item for item in result.items}
    assert set(by_id) == {"late-1", "restless-1"}, result.items
    late = by_id["late-1"]
    assert late["rendered"] and late["listing"]["title"] == "Norvik Late Parka", late
    assert str(late["listing"]["price"]).startswith("129"), late["listing"]
    # the page that never settles is read as it stands once the cap has passed, not lost
    restless = by_id["restless-1"]
    assert restless["listing"]["title"] == "Restless Trail Jacket" and not restless["errors"], restless


def test_rendered_pages_are_kept_and_a_failed_one_is_replaced(tmp_path: Path, browser_path: str) -> None:
    names = [f"k{i:02d}" for i in range(12)]
    routes = {f"/item/{name}": _plain for name in names}
    routes["/item/stuck"] = _plain
    site = LocalSite(routes, hold={"/item/stuck": 4.0})
    with site.serve():
        job = {"platform": "testshop", "start_urls": [site.url("/item/stuck")] + [site.url(f"/item/{n}") for n in names],
               "max_listings": 20, "javascript": True}
        result = run_crawl_subprocess(tmp_path, [job], browser_path=browser_path,
                                      overrides={**FAST, "PLAYWRIGHT_MAX_PAGES_PER_CONTEXT": 3, "RETRY_TIMES": 0,
                                                 "PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT": 1500})
    assert result.returncode == 0, result.stderr
    read = {item["listing_id"]: item["listing"]["title"] for item in result.items if item["listing"]["title"]}
    assert read == {name: f"Norvik Item {name}" for name in names}, result.items
    stats = result.stats["testshop"]
    # 13 rendered requests on at most 3 pages, plus the one that replaced the failed page
    assert stats["playwright/page_count"] <= 4, stats
    assert stats.get("playwright/page_count/max_concurrent", 0) <= 3, stats
    assert stats["playwright/page_count/closed"] >= 1, stats


# A storefront whose script reaches for the cloud's metadata service and a private address
# as well as its own data.
GREEDY = _shell("""
var app = document.getElementById('app');
function note(id, text) { var s = document.createElement('span'); s.id = id; s.textContent = text; app.appendChild(s); }
function probe(id, url) {
  return fetch(url).then(function () { note(id, 'reached'); }, function () { note(id, 'blocked'); });
}
Promise.all([probe('meta', 'http://169.254.169.254/latest/meta-data/'), probe('lan', 'http://10.255.255.1/admin'),
             fetch('/api/own').then(function (r) { return r.json(); }).then(function (d) {
               var h = document.createElement('h1'); h.textContent = d.title; app.appendChild(h); })]);
""")


def test_a_rendered_pages_requests_keep_to_the_crawls_addresses(tmp_path: Path, browser_path: str) -> None:
    """The crawl's address policy holds for what Chromium fetches for a page: the shop on
    127.0.0.1 may use loopback, so its own fetch goes through, but its script's fetches of
    a link-local and a private address are aborted before any connection and counted."""
    site = LocalSite({"/item/greedy-1": lambda p, c: page(body=GREEDY), "/api/own": _json('{"title": "Norvik Own Parka"}')})
    with site.serve():
        job = {"platform": "testshop", "start_urls": [site.url("/item/greedy-1")], "max_listings": 1, "javascript": True}
        result = run_crawl_subprocess(tmp_path, [job], browser_path=browser_path,
                                      overrides={**FAST, "MARKWATCH_RENDER_MAX_MS": 8000})
        paths = site.paths()
    assert result.returncode == 0, result.stderr
    assert [item["listing"]["title"] for item in result.items] == ["Norvik Own Parka"], result.items
    assert "/api/own" in paths
    stats = result.stats["testshop"]
    assert stats.get("markwatch/refused_address/link-local") == 1, stats
    assert stats.get("markwatch/refused_address/private") == 1, stats


def test_a_rendered_page_and_what_it_fetches_carry_the_crawls_user_agent(tmp_path: Path, browser_path: str) -> None:
    """The navigation is sent with the Scrapy request's headers; the page's script and its
    fetch keep the browser's own headers, which name the crawl as well (never
    HeadlessChrome): a site can tell who is reading it from every request."""
    from crawlers.settings import USER_AGENT

    shell = ("<!doctype html><html><head><title>Shop</title><script src='/static/app.js'></script></head>"
             "<body><div id='app'>Loading</div></body></html>")
    app = _js("fetch('/api/item').then(function (r) { return r.json(); }).then(function (d) {"
              " document.getElementById('app').innerHTML = '<h1>' + d.title + '</h1>'; });")
    site = LocalSite({"/item/ua-1": lambda p, c: page(body=shell), "/static/app.js": app,
                      "/api/item": _json('{"title": "Norvik Agent Parka"}')})
    with site.serve():
        job = {"platform": "testshop", "start_urls": [site.url("/item/ua-1")], "max_listings": 1, "javascript": True}
        result = run_crawl_subprocess(tmp_path, [job], browser_path=browser_path, overrides=FAST)
        hits = {hit.path: hit.headers for hit in site.hits}
    assert result.returncode == 0, result.stderr
    assert [item["listing"]["title"] for item in result.items] == ["Norvik Agent Parka"], result.items
    for path in ("/item/ua-1", "/static/app.js", "/api/item"):
        assert hits[path].get("user-agent") == USER_AGENT, (path, hits[path])
    # the page request is sent with Scrapy's headers (Chromium's own Accept names image types)
    from scrapy.settings.default_settings import DEFAULT_REQUEST_HEADERS

    assert hits["/item/ua-1"].get("accept") == DEFAULT_REQUEST_HEADERS["Accept"], hits["/item/ua-1"]
    assert hits["/api/item"].get("accept") != DEFAULT_REQUEST_HEADERS["Accept"], hits["/api/item"]


def test_the_browser_context_is_replaced_after_its_pages_and_nothing_is_lost(tmp_path: Path, browser_path: str) -> None:
    names = [f"c{i:02d}" for i in range(14)]
    site = LocalSite({f"/item/{name}": _plain for name in names})
    with site.serve():
        job = {"platform": "testshop", "start_urls": [site.url(f"/item/{n}") for n in names],
               "max_listings": 20, "javascript": True}
        result = run_crawl_subprocess(tmp_path, [job], browser_path=browser_path,
                                      overrides={**FAST, "PLAYWRIGHT_MAX_PAGES_PER_CONTEXT": 3,
                                                 "MARKWATCH_RENDER_CONTEXT_PAGES": 4})
    assert result.returncode == 0, result.stderr
    read = {item["listing_id"]: item["listing"]["title"] for item in result.items if item["listing"]["title"]}
    assert read == {name: f"Norvik Item {name}" for name in names}, result.items
    stats = result.stats["testshop"]
    # 14 pages, four to a context: the first three contexts retired, the fourth closed at the end
    assert stats["markwatch/playwright/contexts_retired"] == 3, stats
    assert stats["playwright/context_count"] == 4, stats
    assert stats.get("playwright/context_count/max_concurrent", 0) == 1, stats
    assert stats.get("playwright/page_count/max_concurrent", 0) <= 3, stats
    assert stats["playwright/page_count"] < len(names), stats  # pages are still kept within a context


# A storefront's search pages /s/1..3 and listings /item/<id> are app shells that fetch their
# data from /api/<own path>; the API can fail or stall on a request (`trouble` decides), as a
# busy marketplace's does. The shell shows an error (or "Loading") then, and no listings.
SHELL = _shell("""
fetch('/api' + location.pathname).then(function (r) { if (!r.ok) { throw new Error('HTTP ' + r.status); } return r.json(); })
  .then(function (d) {
    var app = document.getElementById('app'); app.textContent = '';
    if (d.title) { var h = document.createElement('h1'); h.textContent = d.title; app.appendChild(h);
                   var p = document.createElement('p'); p.className = 'price'; p.textContent = '€' + d.price; app.appendChild(p); }
    (d.items || []).forEach(function (id) { var a = document.createElement('a'); a.href = '/item/' + id; a.textContent = id; app.appendChild(a); });
    if (d.next) { var n = document.createElement('a'); n.rel = 'next'; n.href = d.next; n.textContent = 'Next'; app.appendChild(n); }
  })
  .catch(function (err) { document.getElementById('app').textContent = 'Something went wrong: ' + err.message; });
""")


def _troubled_shop(trouble: dict[str, str]) -> LocalSite:
    """Three search pages of four listings; `trouble` maps an API path to what its first
    request meets: "fail" (HTTP 503 the first time), "stall" (answers after 3 s the first
    time), "always" (503 every time)."""
    import json as _j
    import time as _t

    pages = {n: [f"t{n}{i}" for i in range(4)] for n in (1, 2, 3)}

    def api(path: str, count: int) -> tuple[int, dict[str, str], bytes]:
        path = path.split("?", 1)[0]
        what = trouble.get(path)
        if what == "always" or (what == "fail" and count == 0):
            return 503, {"Content-Type": "application/json"}, b"{}"
        if what == "stall" and count == 0:
            _t.sleep(3.0)
        if path.startswith("/api/s/"):
            n = int(path.rsplit("/", 1)[1])
            body = {"items": pages[n], "next": f"/s/{n + 1}" if n < 3 else None}
        else:
            body = {"title": f"Norvik Item {path.rsplit('/', 1)[1]}", "price": "20.00"}
        return 200, {"Content-Type": "application/json"}, _j.dumps(body).encode()

    routes: dict[str, Any] = {f"/s/{n}": (lambda p, c: page(body=SHELL)) for n in pages}
    routes.update({f"/api/s/{n}": api for n in pages})
    for ids in pages.values():
        for lid in ids:
            routes[f"/item/{lid}"] = lambda p, c: page(body=SHELL)
            routes[f"/api/item/{lid}"] = api
    return LocalSite(routes)


def test_a_rendered_page_whose_data_failed_or_stalled_is_read_again_not_lost(tmp_path: Path, browser_path: str) -> None:
    """A search page whose data request failed (page 3) or outlasted the settle cap (page 2),
    and a listing whose data request failed, come back without results or listing: each is
    requested again after a wait, so the chain of result pages goes on to its end and every
    listing is read, instead of the crawl ending early without a word."""
    site = _troubled_shop({"/api/s/2": "stall", "/api/s/3": "fail", "/api/item/t11": "fail"})
    with site.serve():
        job = {"platform": "testshop", "start_urls": [site.url("/s/1")], "max_listings": 50, "javascript": True}
        result = run_crawl_subprocess(tmp_path, [job], browser_path=browser_path,
                                      overrides={**FAST, "MARKWATCH_RENDER_MAX_MS": 1500})
    assert result.returncode == 0, result.stderr
    read = {item["listing_id"]: item["listing"]["title"] for item in result.items}
    assert read == {f"t{n}{i}": f"Norvik Item t{n}{i}" for n in (1, 2, 3) for i in range(4)}, result.items
    assert not any(item["errors"] for item in result.items), result.items
    stats = result.stats["testshop"]
    assert stats.get("markwatch/empty_page_retried") == 3, stats
    assert stats.get("markwatch/empty_page_retried/unsettled") == 1, stats
    assert stats.get("markwatch/empty_page_retried/data request failed") == 2, stats
    assert not any(key.startswith("markwatch/failed/") for key in stats), stats


def test_a_result_page_that_stays_empty_is_counted_as_not_read(tmp_path: Path, browser_path: str) -> None:
    """A follow-on result page (one the previous page linked to) that never shows results is
    retried, then counted as a page not read, so the crawl's health says it lost a chain."""
    site = _troubled_shop({"/api/s/2": "always"})
    with site.serve():
        job = {"platform": "testshop", "start_urls": [site.url("/s/1")], "max_listings": 50, "javascript": True}
        result = run_crawl_subprocess(tmp_path, [job], browser_path=browser_path,
                                      overrides={**FAST, "MARKWATCH_RENDER_MAX_MS": 1500,
                                                 "MARKWATCH_RETRY_BASE_DELAY": 0.1})
    assert result.returncode == 0, result.stderr
    assert {item["listing_id"] for item in result.items} == {f"t1{i}" for i in range(4)}, result.items
    stats = result.stats["testshop"]
    assert stats.get("markwatch/failed/results page empty") == 1, stats
    assert stats.get("markwatch/empty_page_retried") == 2, stats
    assert site.paths().count("/api/s/2") == 3


def test_a_rendered_page_that_timed_out_is_retried_and_a_dead_one_counted(tmp_path: Path, browser_path: str) -> None:
    """A rendered page whose navigation times out is asked for again, as a download that
    timed out is (a browser that stalled once at a run's start lost whole rendered sites);
    one that never answers in time is counted as a page not read, under "time-out"."""
    def stalls_once(path: str, count: int) -> tuple[int, dict[str, str], bytes]:
        if count == 0:
            time.sleep(3.0)  # past the navigation timeout below
        return _plain(path, count)

    def never(path: str, count: int) -> tuple[int, dict[str, str], bytes]:
        time.sleep(3.0)
        return _plain(path, count)

    site = LocalSite({"/item/slow-start": stalls_once, "/item/dead": never, "/item/fine": _plain})
    with site.serve():
        job = {"platform": "testshop", "start_urls": [site.url(f"/item/{n}") for n in ("slow-start", "dead", "fine")],
               "max_listings": 10, "javascript": True}
        result = run_crawl_subprocess(tmp_path, [job], browser_path=browser_path,
                                      overrides={**FAST, "RETRY_TIMES": 1, "MARKWATCH_RETRY_BASE_DELAY": 0.05,
                                                 "PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT": 1500})
    assert result.returncode == 0, result.stderr
    read = {item["listing_id"]: item["listing"]["title"] for item in result.items}
    assert read == {"slow-start": "Norvik Item slow-start", "fine": "Norvik Item fine"}, result.items
    assert site.paths().count("/item/slow-start") == 2 and site.paths().count("/item/dead") == 2
    stats = result.stats["testshop"]
    assert stats.get("markwatch/failed/time-out") == 1, stats
