"""The demo marketplace's HTTP server: Bazaar (server-rendered, JSON-LD), Shoply (a JavaScript
single-page app over a JSON API) and Shopify-style stores (`/products.json`), plus generated
listing images, all on 127.0.0.1 from the standard library's threading HTTP server."""

from __future__ import annotations

import html
import json
import math
import re
import threading
import unicodedata
from collections.abc import Callable
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

from monitor.demo_market.catalog import STORES, Catalog, DemoListing, build_catalog, default_brand_dir, slug
from monitor._files import cache_dir
from monitor.demo_market.images import cached_render, render_video

__all__ = ["DemoMarket", "PAGE_SIZE", "serve_forever"]

PAGE_SIZE = 24                 # Bazaar and Shoply search results per page
SHOPIFY_DEFAULT_LIMIT = 30
SHOPIFY_MAX_LIMIT = 250
_PACKAGE = Path(__file__).resolve().parent
_SYMBOLS = {"EUR": "€", "USD": "US $", "GBP": "£", "CNY": "CN ¥"}


def photo_sources(catalog: Catalog) -> tuple[str, Path | None]:
    """Where a market of `catalog` draws its listing photos from (the brand's asset folder)
    and keeps them once drawn (the markwatch cache's demo-images folder; None: no cache)."""
    return str((catalog.brand_dir or default_brand_dir()) / "assets"), cache_dir("demo-images")


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def _display_price(price: Decimal, currency: str) -> str:
    symbol = _SYMBOLS.get(currency)
    return f"{symbol}{price}" if symbol else f"{price} {currency}"


def _json_ld(data: object) -> str:
    # listing text is hostile: keep "</script>" and friends from closing the block
    text = json.dumps(data, ensure_ascii=False, indent=1)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def _seller_slug(name: str) -> str:
    return slug(name) or "seller"


def _int_param(query: dict[str, list[str]], name: str, default: int, low: int, high: int) -> int:
    """A query-string integer, clamped; junk gives the default, as real shops do."""
    try:
        value = int(query.get(name, [""])[0])
    except ValueError:
        return default
    return max(low, min(high, value))


class _Response:
    __slots__ = ("status", "body", "content_type", "headers")

    def __init__(self, status: int, body: bytes | str, content_type: str = "text/html; charset=utf-8",
                 headers: dict[str, str] | None = None) -> None:
        self.status = status
        self.body = body.encode("utf-8") if isinstance(body, str) else body
        self.content_type = content_type
        self.headers = headers or {}


def _page(title: str, body: str, *, theme: str, head: str = "", home: str = "/", search: str | None = None) -> str:
    form = ""
    if search is not None:
        form = (f'<form action="{search}" method="get"><input type="search" name="q" aria-label="Search">'
                f'<button>Search</button></form>')
    return (
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<title>{_esc(title)}</title>\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<link rel=\"stylesheet\" href=\"/static/market.css\">\n{head}</head>\n"
        f"<body class=\"{theme}\">\n<header><a href=\"{home}\">{_esc(theme.capitalize() if theme != 'shopstore' else title.split(' – ')[-1])}</a>{form}</header>\n"
        f"<main>\n{body}\n</main>\n<footer>markwatch demo market – every listing here is fictional.</footer>\n"
        "</body>\n</html>\n"
    )


class DemoMarket:
    """The demo marketplace, served from a background thread; a context manager.

    Routes (ids and handles come from the catalog; anything else is 404):

    /robots.txt                          everything allowed but /admin/; names the sitemap
    /bazaar/search?q=&page=              24 results a page, a.result-link, a[rel=next] while more
    /bazaar/item/<BZ-id>                 h1, price, seller link; schema.org Product JSON-LD
                                         (a few pages use @graph or an offers list)
    /bazaar/seller/<slug>, /bazaar/sitemap.xml
    /shoply/search?q=&page=, /shoply/item/<SP-id>
                                         an app shell: shoply.js fetches the JSON below and
                                         renders results / microdata; no listing data without it
    /shoply/api/search?q=&page=          {"results": [...], "next": "/shoply/search?...", ...}
    /shoply/api/item/<SP-id>             the listing as JSON
    /shop/<store>/                       store home; <meta name="shop-currency" content="USD">
                                         is the currency of every price in that store
    /shop/<store>/products.json?page=&limit=   Shopify's format, limit 30 by default, 250 at most,
                                         prices as strings, an empty list past the end
    /shop/<store>/products/<handle>[.json]     product page with JSON-LD (or Shopify's JSON)
    /img/<listing id>/<n>.jpg            listing image n, drawn on first request and cached

    One Bazaar item answers 500 on its first request (the "http-500-once" quirk) and one
    Shoply image is a truncated JPEG ("corrupt-image"): see ListingExtras.quirks.
    """

    def __init__(self, catalog: Catalog | None = None, *, host: str = "127.0.0.1", port: int = 0,
                 log: Callable[[str], None] | None = None) -> None:
        self.catalog = catalog if catalog is not None else build_catalog()
        self.host = host
        self.port = port
        self.base_url = ""
        self._log = log
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._failed_once: set[str] = set()
        self._videos: dict[str, bytes] = {}  # rendered listing videos, by listing id
        self._assets_dir, self._image_cache = photo_sources(self.catalog)
        self._keys = self.catalog.by_key()
        self._position = {(x.platform, x.listing_id): i for i, x in enumerate(self.catalog.listings)}
        self._handles = {
            (x.store, self.catalog.extra(x).handle): x for x in self.catalog.listings if x.platform == "shopstores"
        }
        self._search_index = {
            x.listing_id: (_norm(x.title), frozenset(self.catalog.extra(x).keywords)) for x in self.catalog.listings
        }

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> str:
        if self._server is not None:
            return self.base_url
        market = self

        class Handler(_Handler):
            pass

        Handler.market = market
        server = _QuietServer((self.host, self.port), Handler)
        server.market = market
        server.daemon_threads = True
        self._server = server
        self.port = server.server_address[1]
        self.base_url = f"http://{self.host}:{self.port}"
        self._thread = threading.Thread(target=server.serve_forever, name="demo-market", daemon=True)
        self._thread.start()
        return self.base_url

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def url(self, path: str) -> str:
        if not self.base_url:
            raise RuntimeError("the demo market is not started; call start() first")
        return self.base_url + (path if path.startswith("/") else "/" + path)

    def __enter__(self) -> DemoMarket:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def _note(self, message: str) -> None:
        if self._log is not None:
            self._log(message)

    # -- search -------------------------------------------------------------------------------

    def search(self, platform: str, query: str) -> list[DemoListing]:
        """What a storefront's search returns for `query`, in result order (the backend index
        includes hidden keywords, so disguised listings come up for the mark too)."""
        q = _norm(query)
        tokens = q.split()
        out = []
        for listing in self.catalog.on(platform):
            title, keywords = self._search_index[listing.listing_id]
            if not q or q in keywords or q in title or all(t in title or t in keywords for t in tokens):
                out.append(listing)
        return out

    # -- routing ------------------------------------------------------------------------------

    def handle(self, path: str, query: dict[str, list[str]]) -> _Response:
        routes: list[tuple[str, Callable[..., _Response]]] = [
            (r"/", self._home),
            (r"/robots\.txt", self._robots),
            (r"/static/market\.css", self._css),
            (r"/img/([A-Za-z0-9-]+)/(\d+)\.jpg", self._image),
            (r"/video/([A-Za-z0-9-]+)/0\.mp4", self._video),
            (r"/bazaar/?", self._bazaar_home),
            (r"/bazaar/search", self._bazaar_search),
            (r"/bazaar/item/([A-Za-z0-9-]+)", self._bazaar_item),
            (r"/bazaar/seller/([a-z0-9-]+)", self._bazaar_seller),
            (r"/bazaar/sitemap\.xml", self._bazaar_sitemap),
            (r"/shoply/?", self._shoply_shell),
            (r"/shoply/search", self._shoply_shell),
            (r"/shoply/item/([A-Za-z0-9-]+)", self._shoply_item_shell),
            (r"/shoply/static/app\.js", self._shoply_js),
            (r"/shoply/api/search", self._shoply_api_search),
            (r"/shoply/api/item/([A-Za-z0-9-]+)", self._shoply_api_item),
            (r"/shop/([a-z0-9-]+)/?", self._shop_home),
            (r"/shop/([a-z0-9-]+)/products\.json", self._shop_products_json),
            (r"/shop/([a-z0-9-]+)/products/([a-z0-9-]+)\.json", self._shop_product_json),
            (r"/shop/([a-z0-9-]+)/products/([a-z0-9-]+)", self._shop_product_page),
        ]
        for pattern, view in routes:
            match = re.fullmatch(pattern, path)
            if match:
                return view(query, *match.groups())
        return self._not_found()

    def _not_found(self, what: str = "page") -> _Response:
        body = _page("Not found", f"<h1>Not found</h1><p>No such {_esc(what)}.</p>", theme="bazaar")
        return _Response(404, body)

    def _json(self, data: object, status: int = 200) -> _Response:
        return _Response(status, json.dumps(data, ensure_ascii=False), "application/json; charset=utf-8")

    # -- shared -------------------------------------------------------------------------------

    def _home(self, query: dict[str, list[str]]) -> _Response:
        stores = "".join(f'<li><a href="/shop/{slug}/">{_esc(name)}</a> (<code>/shop/{slug}/products.json</code>)</li>'
                         for slug, (name, _) in STORES.items())
        body = (
            "<h1>markwatch demo market</h1>"
            f"<p>{len(self.catalog.listings)} fictional listings for the demo brand, in three storefront styles.</p>"
            "<ul>"
            '<li><a href="/bazaar/search?q=norvik">Bazaar</a>: server-rendered pages with schema.org JSON-LD</li>'
            '<li><a href="/shoply/search?q=norvik">Shoply</a>: a JavaScript app; the listing data arrives by script</li>'
            f"<li>Shopify-style stores:<ul>{stores}</ul></li>"
            "</ul>"
        )
        return _Response(200, _page("markwatch demo market", body, theme="bazaar"))

    def _robots(self, query: dict[str, list[str]]) -> _Response:
        text = (f"User-agent: *\nDisallow: /admin/\nAllow: /\n\nSitemap: {self.url('/bazaar/sitemap.xml')}\n")
        return _Response(200, text, "text/plain; charset=utf-8")

    def _css(self, query: dict[str, list[str]]) -> _Response:
        return _Response(200, (_PACKAGE / "market.css").read_bytes(), "text/css; charset=utf-8",
                         {"Cache-Control": "max-age=3600"})

    def _image(self, query: dict[str, list[str]], listing_id: str, n: str) -> _Response:
        listing = self.catalog.find(listing_id)
        if listing is None:
            return self._not_found("image")
        recipes = self.catalog.extra(listing).image_recipes
        index = int(n)
        if index >= len(recipes):
            return self._not_found("image")
        data = cached_render(recipes[index], self._assets_dir, self._image_cache)
        return _Response(200, data, "image/jpeg", {"Cache-Control": "max-age=86400"})

    def _video(self, query: dict[str, list[str]], listing_id: str) -> _Response:
        listing = self.catalog.find(listing_id)
        video = self.catalog.extra(listing).video if listing is not None else None
        if video is None:
            return self._not_found("video")
        with self._lock:
            data = self._videos.get(listing_id)
        if data is None:
            data = render_video(video, sum(map(ord, listing_id)), self._assets_dir)
            with self._lock:
                self._videos[listing_id] = data
        return _Response(200, data, "video/mp4", {"Cache-Control": "max-age=86400"})

    def _abs_images(self, listing: DemoListing) -> list[str]:
        return [self.url(p) for p in listing.images]

    def _offer(self, listing: DemoListing, url: str, *, numeric_price: bool = False) -> dict[str, Any]:
        category = self.catalog.extra(listing).category
        return {
            "@type": "Offer",
            "url": url,
            "price": float(listing.price) if numeric_price else str(listing.price),
            "priceCurrency": listing.currency,
            "availability": f"https://schema.org/{listing.availability}",
            "itemCondition": "https://schema.org/UsedCondition" if category == "resale" else "https://schema.org/NewCondition",
            "seller": {"@type": "Organization", "name": listing.seller},
        }

    def _product_ld(self, listing: DemoListing, url: str) -> dict[str, Any]:
        data: dict[str, Any] = {"@context": "https://schema.org", "@type": "Product", "name": listing.title}
        if listing.sku:
            data["sku"] = listing.sku
        if self.catalog.extra(listing).category == "genuine":
            data["brand"] = {"@type": "Brand", "name": "Norvik"}
        data["image"] = self._abs_images(listing)
        if self.catalog.extra(listing).video is not None:
            data["video"] = {"@type": "VideoObject", "name": listing.title, "description": listing.description,
                             "thumbnailUrl": self._abs_images(listing)[0], "uploadDate": "2026-10-01",
                             "contentUrl": self.url(f"/video/{listing.listing_id}/0.mp4")}
        data["description"] = listing.description
        data["offers"] = self._offer(listing, url)
        return data

    # -- Bazaar -------------------------------------------------------------------------------

    def _bazaar_home(self, query: dict[str, list[str]]) -> _Response:
        body = ("<h1>Bazaar</h1><p>Search millions of (well, a few hundred) listings.</p>"
                '<p><a href="/bazaar/search?q=norvik">Popular: norvik</a></p>')
        return _Response(200, _page("Bazaar", body, theme="bazaar", home="/bazaar/", search="/bazaar/search"))

    def _paginate(self, query: dict[str, list[str]], results: list[DemoListing]) -> tuple[int, int, list[DemoListing]]:
        pages = max(1, math.ceil(len(results) / PAGE_SIZE))
        page = _int_param(query, "page", 1, 1, 10_000)
        return page, pages, results[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]

    def _bazaar_search(self, query: dict[str, list[str]]) -> _Response:
        q = query.get("q", [""])[0]
        results = self.search("bazaar", q)
        page, pages, shown = self._paginate(query, results)
        items = []
        for x in shown:
            items.append(
                f'<li class="result"><a class="result-link" href="/bazaar/item/{x.listing_id}">'
                f'<img src="{x.images[0]}" alt="" width="200" height="200" loading="lazy">'
                f'<span class="result-title">{_esc(x.title)}</span></a>'
                f'<span class="result-price">{_esc(_display_price(x.price, x.currency))}</span> '
                f'<span class="result-seller">{_esc(x.seller)}</span></li>'
            )
        nav = []
        if page > 1:
            nav.append(f'<a rel="prev" href="/bazaar/search?q={quote(q)}&amp;page={page - 1}">‹ Previous</a>')
        nav.append(f"<span>Page {page} of {pages}</span>")
        if page < pages:
            nav.append(f'<a rel="next" href="/bazaar/search?q={quote(q)}&amp;page={page + 1}">Next ›</a>')
        body = (f'<h1 class="summary">{len(results)} results for “{_esc(q)}”</h1>\n'
                f'<ul class="results">\n' + "\n".join(items) + "\n</ul>\n"
                f'<nav class="pagination">{" ".join(nav)}</nav>')
        return _Response(200, _page(f"{q} – Bazaar search", body, theme="bazaar", home="/bazaar/",
                                    search="/bazaar/search"))

    def _bazaar_item(self, query: dict[str, list[str]], listing_id: str) -> _Response:
        listing = self._keys.get(("bazaar", listing_id))
        if listing is None:
            return self._not_found("item")
        if "http-500-once" in self.catalog.extra(listing).quirks:
            with self._lock:
                first = listing_id not in self._failed_once
                self._failed_once.add(listing_id)
            if first:
                body = _page("Error", "<h1>Something went wrong</h1><p>Please try again.</p>", theme="bazaar")
                return _Response(500, body, headers={"Retry-After": "0"})
        url = self.url(f"/bazaar/item/{listing_id}")
        product = self._product_ld(listing, url)
        position = self._position[("bazaar", listing_id)]
        # a few pages shaped differently, as real marketplaces are: an @graph, an offers list
        if position % 9 == 4:
            context = product.pop("@context")
            ld: Any = {"@context": context, "@graph": [
                {"@type": "BreadcrumbList", "itemListElement": [
                    {"@type": "ListItem", "position": 1, "name": "Bazaar", "item": self.url("/bazaar/")},
                    {"@type": "ListItem", "position": 2, "name": listing.title, "item": url}]},
                product]}
        elif position % 7 == 3:
            first_offer = self._offer(listing, url, numeric_price=True)
            second = dict(first_offer, url=url + "#variant-2")
            product["offers"] = [first_offer, second]
            ld = product
        else:
            ld = product
        seller_slug = _seller_slug(listing.seller)
        gallery = "".join(f'<img src="{src}" alt="{_esc(listing.title) if i == 0 else ""}" width="400" height="400">'
                          for i, src in enumerate(listing.images))
        availability = "In stock" if listing.availability == "InStock" else "Out of stock"
        body = (
            f'<p class="breadcrumbs"><a href="/bazaar/">Bazaar</a> › item {listing_id}</p>\n'
            f'<h1 class="item-title">{_esc(listing.title)}</h1>\n'
            f'<div class="gallery">{gallery}</div>\n'
            f'<p class="price">{_esc(_display_price(listing.price, listing.currency))}</p>\n'
            f'<p class="availability">{availability}</p>\n'
            f'<p class="seller">Seller: <a href="/bazaar/seller/{seller_slug}">{_esc(listing.seller)}</a></p>\n'
            + (f'<p class="sku">Item number: {_esc(listing.sku)}</p>\n' if listing.sku else "")
            + f'<h2>Description</h2>\n<div class="description">{_esc(listing.description)}</div>'
        )
        head = (f'<link rel="canonical" href="{url}">\n'
                f'<meta property="og:title" content="{_esc(listing.title)}">\n'
                f'<meta property="og:image" content="{self.url(listing.images[0])}">\n'
                f'<script type="application/ld+json">\n{_json_ld(ld)}\n</script>\n')
        return _Response(200, _page(f"{listing.title} | Bazaar", body, theme="bazaar", head=head, home="/bazaar/",
                                    search="/bazaar/search"))

    def _bazaar_seller(self, query: dict[str, list[str]], slug: str) -> _Response:
        items = [x for x in self.catalog.on("bazaar") if _seller_slug(x.seller) == slug]
        if not items:
            return self._not_found("seller")
        rows = "".join(f'<li><a class="item-link" href="/bazaar/item/{x.listing_id}">{_esc(x.title)}</a> '
                       f'{_esc(_display_price(x.price, x.currency))}</li>' for x in items)
        body = f'<h1>{_esc(items[0].seller)}</h1><p>{len(items)} listings</p><ul>{rows}</ul>'
        return _Response(200, _page(f"{items[0].seller} | Bazaar", body, theme="bazaar", home="/bazaar/",
                                    search="/bazaar/search"))

    def _bazaar_sitemap(self, query: dict[str, list[str]]) -> _Response:
        urls = "".join(f"<url><loc>{_esc(self.url('/bazaar/item/' + x.listing_id))}</loc></url>\n"
                       for x in self.catalog.on("bazaar"))
        xml = ('<?xml version="1.0" encoding="UTF-8"?>\n'
               f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n{urls}</urlset>\n')
        return _Response(200, xml, "application/xml; charset=utf-8")

    # -- Shoply -------------------------------------------------------------------------------

    def _shell(self) -> _Response:
        # deliberately nothing about the listing here: a crawler must run the script to see it
        text = ("<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Shoply</title>\n"
                "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                "<link rel=\"stylesheet\" href=\"/static/market.css\">\n</head>\n<body class=\"shoply\">\n"
                "<header><a href=\"/shoply/\">Shoply</a><form action=\"/shoply/search\" method=\"get\">"
                "<input type=\"search\" name=\"q\" aria-label=\"Search\"><button>Search</button></form></header>\n"
                "<div id=\"app\"></div>\n<noscript>Shoply needs JavaScript.</noscript>\n"
                "<script src=\"/shoply/static/app.js\" defer></script>\n</body>\n</html>\n")
        return _Response(200, text)

    def _shoply_shell(self, query: dict[str, list[str]]) -> _Response:
        return self._shell()

    def _shoply_item_shell(self, query: dict[str, list[str]], listing_id: str) -> _Response:
        if ("shoply", listing_id) not in self._keys:
            return self._not_found("item")
        return self._shell()

    def _shoply_js(self, query: dict[str, list[str]]) -> _Response:
        return _Response(200, (_PACKAGE / "shoply.js").read_bytes(), "text/javascript; charset=utf-8")

    def _shoply_api_search(self, query: dict[str, list[str]]) -> _Response:
        q = query.get("q", [""])[0]
        results = self.search("shoply", q)
        page, pages, shown = self._paginate(query, results)

        def link(n: int) -> str | None:
            return f"/shoply/search?q={quote(q)}&page={n}" if 1 <= n <= pages else None

        return self._json({
            "query": q, "page": page, "pages": pages, "page_size": PAGE_SIZE, "total": len(results),
            "results": [{"id": x.listing_id, "title": x.title, "price": str(x.price), "currency": x.currency,
                         "image": x.images[0], "url": f"/shoply/item/{x.listing_id}"} for x in shown],
            "prev": link(page - 1) if page > 1 else None,
            "next": link(page + 1),
        })

    def _shoply_api_item(self, query: dict[str, list[str]], listing_id: str) -> _Response:
        listing = self._keys.get(("shoply", listing_id))
        if listing is None:
            return self._json({"error": "not found"}, 404)
        return self._json({
            "id": listing.listing_id, "title": listing.title, "description": listing.description,
            "price": str(listing.price), "currency": listing.currency, "images": list(listing.images),
            "seller": {"name": listing.seller},
            "sku": listing.sku, "availability": listing.availability,
        })

    # -- Shopify-style stores -----------------------------------------------------------------

    def _shop_home(self, query: dict[str, list[str]], store: str) -> _Response:
        info = STORES.get(store)
        if info is None:
            return self._not_found("store")
        name, currency = info
        rows = "".join(
            f'<li class="result"><a class="product-link" href="/shop/{store}/products/{self.catalog.extra(x).handle}">'
            f'<img src="{x.images[0]}" alt="" width="200" height="200" loading="lazy">'
            f'<span class="result-title">{_esc(x.title)}</span></a>'
            f'<span class="result-price">{_esc(_display_price(x.price, x.currency))}</span></li>'
            for x in self.catalog.on("shopstores", store))
        # the store's currency, for crawlers of products.json (whose prices carry none)
        head = f'<meta name="shop-currency" content="{currency}">\n'
        body = f'<h1>{_esc(name)}</h1>\n<ul class="results">{rows}</ul>'
        return _Response(200, _page(f"{name}", body, theme="shopstore", head=head, home=f"/shop/{store}/"))

    def _shopify_product(self, listing: DemoListing) -> dict[str, Any]:
        extra = self.catalog.extra(listing)
        pid = int(listing.listing_id)
        vendor = "Norvik" if extra.category in ("genuine", "resale") else STORES[listing.store or ""][0]
        variants = []
        for k, option in enumerate(extra.variants):
            variants.append({
                "id": 40_000_000_000_000 + (pid % 10_000_000_000) * 10 + k,
                "product_id": pid,
                "title": option,
                "option1": option,
                "price": str(listing.price),
                "sku": (f"{listing.sku}-{_seller_slug(option).upper()}" if listing.sku and option != "Default Title"
                        else (listing.sku or "")),
                "available": listing.availability == "InStock",
                "position": k + 1,
                "created_at": extra.created_at,
                "updated_at": extra.created_at,
            })
        return {
            "id": pid,
            "title": listing.title,
            "handle": extra.handle,
            "body_html": "<p>" + _esc(listing.description).replace("\n", "<br>") + "</p>",
            "published_at": extra.created_at,
            "created_at": extra.created_at,
            "updated_at": extra.created_at,
            "vendor": vendor,
            "product_type": extra.product_type,
            "tags": [],
            "variants": variants,
            "images": [{"id": pid * 100 + n, "product_id": pid, "position": n + 1, "src": self.url(src),
                        "created_at": extra.created_at, "updated_at": extra.created_at}
                       for n, src in enumerate(listing.images)],
            "options": [{"name": "Title" if extra.variants == ("Default Title",) else "Size", "position": 1,
                         "values": list(extra.variants)}],
        }

    def _shop_products_json(self, query: dict[str, list[str]], store: str) -> _Response:
        if STORES.get(store) is None:
            return self._json({"errors": "Not Found"}, 404)
        limit = _int_param(query, "limit", SHOPIFY_DEFAULT_LIMIT, 1, SHOPIFY_MAX_LIMIT)
        page = _int_param(query, "page", 1, 1, 100_000)
        items = self.catalog.on("shopstores", store)[(page - 1) * limit: page * limit]
        return self._json({"products": [self._shopify_product(x) for x in items]})

    def _shop_product_json(self, query: dict[str, list[str]], store: str, handle: str) -> _Response:
        listing = self._handles.get((store, handle))
        if listing is None:
            return self._json({"errors": "Not Found"}, 404)
        return self._json({"product": self._shopify_product(listing)})

    def _shop_product_page(self, query: dict[str, list[str]], store: str, handle: str) -> _Response:
        listing = self._handles.get((store, handle))
        if listing is None:
            return self._not_found("product")
        name, currency = STORES[store]
        url = self.url(f"/shop/{store}/products/{handle}")
        ld = self._product_ld(listing, url)
        options = "".join(f"<option>{_esc(v)}</option>" for v in self.catalog.extra(listing).variants)
        gallery = "".join(f'<img src="{src}" alt="" width="400" height="400">' for src in listing.images)
        body = (f'<h1 class="product-title">{_esc(listing.title)}</h1>\n<div class="gallery">{gallery}</div>\n'
                f'<p class="price">{_esc(_display_price(listing.price, listing.currency))}</p>\n'
                f'<form action="/shop/{store}/cart/add" method="post"><select name="id">{options}</select>'
                f'<button>Add to cart</button></form>\n'
                f'<div class="description">{_esc(listing.description)}</div>')
        head = (f'<meta name="shop-currency" content="{currency}">\n<link rel="canonical" href="{url}">\n'
                f'<script type="application/ld+json">\n{_json_ld(ld)}\n</script>\n')
        return _Response(200, _page(f"{listing.title} – {name}", body, theme="shopstore", head=head,
                                    home=f"/shop/{store}/"))


class _QuietServer(ThreadingHTTPServer):
    """Client hang-ups are routine for a crawled site: note them, never print tracebacks."""

    market: DemoMarket
    # socketserver's default backlog of 5 made the kernel drop connections (SYNs retried after
    # 1, 3, 7 s...) when a crawl's pages, photos and a storefront's data fetches arrived at
    # once, as a marketplace's front servers would not: a data fetch could outlast the render.
    request_queue_size = 256

    def handle_error(self, request: Any, client_address: Any) -> None:
        self.market._note(f"connection from {client_address} ended abruptly")


class _Handler(BaseHTTPRequestHandler):
    market: DemoMarket
    server_version = "DemoMarket/1.0"
    protocol_version = "HTTP/1.1"

    def _respond(self, head_only: bool) -> None:
        parts = urlsplit(self.path)
        try:
            path = unquote(parts.path)
            response = self.market.handle(path, parse_qs(parts.query, keep_blank_values=True))
        except Exception as exc:  # a server must answer; the traceback stays on this side
            self.market._note(f"error serving {self.path}: {exc!r}")
            response = _Response(500, "internal error\n", "text/plain; charset=utf-8")
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for key, value in response.headers.items():
            self.send_header(key, value)
        try:
            self.end_headers()
            if not head_only:
                self.wfile.write(response.body)
        except (BrokenPipeError, ConnectionResetError):
            # a browser that navigated away mid-image; nothing to answer any more
            self.close_connection = True

    def do_GET(self) -> None:  # noqa: N802 - the standard library's name
        self._respond(head_only=False)

    def do_HEAD(self) -> None:  # noqa: N802
        self._respond(head_only=True)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the standard library's name
        self.market._note(format % args)


def serve_forever(host: str = "127.0.0.1", port: int = 0, *,
                  on_ready: Callable[[str], None] | None = None,
                  catalog: Catalog | None = None,
                  stop: threading.Event | None = None) -> None:
    """Serve the demo market until interrupted (Ctrl-C) or `stop` is set; `on_ready` gets the
    base URL once the server is listening."""
    market = DemoMarket(catalog, host=host, port=port)
    market.start()
    stop = stop if stop is not None else threading.Event()
    try:
        if on_ready is not None:
            on_ready(market.base_url)
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        market.stop()
