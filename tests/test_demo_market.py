"""Tests of the embedded demo marketplace: the catalog's truth and determinism, and every
storefront over real HTTP against a DemoMarket on port 0."""

from __future__ import annotations

import io
import json
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

import imagehash
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from monitor.demo_market import DemoMarket, build_catalog, make_brand_assets, serve_forever
from monitor.demo_market.catalog import CATEGORIES, STORES, Catalog, DemoListing, default_brand_dir
from monitor.demo_market.images import ASSET_FILES, STOLEN_TRANSFORMS, ImageRecipe, cached_render, render_image
from monitor.errors import RegistryError

BRAND_DIR = default_brand_dir()
BRAND = yaml.safe_load((BRAND_DIR / "brand.yaml").read_text(encoding="utf-8"))
RATES = {k: Decimal(str(v)) for k, v in BRAND["settings"]["currency_rates"].items()}
MSRP = {p["sku"]: Decimal(str(p["msrp"]["amount"])) / RATES[p["msrp"]["currency"]] for p in BRAND["products"]}
WATCH = {w["platform"]: w for w in BRAND["watch"]}
DISGUISES = {"homoglyph-mark", "styled-mark", "leetspeak-mark", "spaced-mark", "misspelled-mark",
             "transliterated-mark", "glued-mark", "zero-width-mark"}


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return build_catalog()


@pytest.fixture(scope="module")
def market(catalog: Catalog) -> Iterator[DemoMarket]:
    with DemoMarket(catalog) as m:
        yield m


def fetch(url: str) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers.get("Content-Type", ""), err.read()


def eur_ratio(listing: DemoListing) -> Decimal:
    assert listing.product_sku is not None
    return listing.price / RATES[listing.currency] / MSRP[listing.product_sku]


def category(catalog: Catalog, listing: DemoListing) -> str:
    return catalog.extra(listing).category


# -- the catalog ----------------------------------------------------------------------------------


def test_same_seed_same_catalog_and_other_seed_differs(catalog: Catalog) -> None:
    assert build_catalog(seed=7) == catalog
    other = build_catalog(seed=8)
    assert other != catalog
    assert [x.title for x in other.listings] != [x.title for x in catalog.listings]


def check_catalog_invariants(cat: Catalog) -> None:
    listings = cat.listings
    assert len(listings) >= 300
    assert len(cat.by_key()) == len(listings), "listing keys must be unique"
    assert len({x.listing_id for x in listings}) == len(listings)
    counts = {c: sum(1 for x in listings if category(cat, x) == c) for c in CATEGORIES}
    assert all(n > 0 for n in counts.values()), counts
    assert counts["counterfeit"] / len(listings) >= 0.3
    assert set(cat.truth().values()) == {True, False}
    authorised = BRAND["authorised_sellers"]
    for x in listings:
        cat_name = category(cat, x)
        assert x.why, x
        assert x.infringing == (cat_name == "counterfeit"), x
        assert x.currency in RATES and x.price > 0
        assert x.availability in ("InStock", "OutOfStock")
        assert x.images and all(re.fullmatch(rf"/img/{re.escape(x.listing_id)}/\d+\.jpg", p) for p in x.images)
        assert len(cat.extra(x).image_recipes) == len(x.images)
        if x.platform == "shopstores":
            assert x.store in STORES and x.seller == x.store and x.listing_id.isdigit()
            assert x.currency == STORES[x.store][1]
        else:
            assert x.store is None and x.listing_id.startswith({"bazaar": "BZ-", "shoply": "SP-"}[x.platform])
        is_authorised = x.seller in authorised.get(x.platform, [])
        if cat_name == "genuine":
            assert is_authorised and x.why == ("genuine",)
            assert Decimal("0.85") <= eur_ratio(x) <= Decimal("1.15"), (x.title, x.price, x.currency)
        elif cat_name == "counterfeit" and x.why in (("registered-design",), ("copied-video",)):
            # a copy of the brand's registered shape or of its video, not a product it sells
            # under its mark: no MSRP to compare
            assert not is_authorised and x.product_sku is None
        elif cat_name == "counterfeit":
            assert not is_authorised
            assert x.product_sku is not None
            if "low-price" in x.why:
                assert Decimal("0.10") <= eur_ratio(x) <= Decimal("0.35"), (x.title, x.price, x.currency)
            else:
                assert eur_ratio(x) > Decimal("0.4")
        elif cat_name == "resale":
            assert not is_authorised and x.why == ("resale",)
            assert Decimal("0.70") <= eur_ratio(x) <= Decimal("1.0"), (x.title, x.price, x.currency)
        else:
            assert x.why == (cat_name,) and x.product_sku is None


def test_catalog_invariants(catalog: Catalog) -> None:
    check_catalog_invariants(catalog)
    platforms = {p: sum(1 for x in catalog.listings if x.platform == p) for p in ("bazaar", "shoply", "shopstores")}
    assert min(platforms.values()) >= 80, platforms
    assert {x.store for x in catalog.listings if x.platform == "shopstores"} == set(STORES)


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(min_value=0, max_value=2**31))
def test_catalog_invariants_hold_for_any_seed(seed: int) -> None:
    check_catalog_invariants(build_catalog(seed=seed))


def test_gallery_adds_own_shots_and_keeps_the_listings_and_their_truth(catalog: Catalog) -> None:
    grown = build_catalog(photos=5)
    assert grown.truth() == catalog.truth()
    assert [(li.platform, li.listing_id, li.title, li.price) for li in grown.listings] == \
        [(li.platform, li.listing_id, li.title, li.price) for li in catalog.listings]
    added = 0
    for listing in catalog.listings:
        before = catalog.extra(listing).image_recipes
        after = grown.extras[(listing.platform, listing.listing_id)].image_recipes
        assert after[:len(before)] == before  # the photos the demo shows stay first, unchanged
        for recipe in after[len(before):]:
            assert recipe.kind == "drawn"  # the seller's own shots: no brand asset, no logo
        added += len(after) - len(before)
    shown = [len(li.images) for li in grown.listings]
    assert added > len(catalog.listings) and sum(shown) / len(shown) >= 4.5
    # a seller's stock shot recurs on its listings of the same kind, and only there
    shown_on: dict[ImageRecipe, set[tuple[str, str]]] = {}
    for listing in grown.listings:
        for recipe in grown.extras[(listing.platform, listing.listing_id)].image_recipes:
            shown_on.setdefault(recipe, set()).add((listing.seller, recipe.source))
    shared = {r: who for r, who in shown_on.items() if r.kind == "drawn" and
              sum(1 for li in grown.listings if r in grown.extras[(li.platform, li.listing_id)].image_recipes) > 1}
    assert shared and all(len(who) == 1 for who in shared.values())
    # the corrupt photo stays the one broken photo of its listing
    assert sum(r.kind == "corrupt" for e in grown.extras.values() for r in e.image_recipes) == \
        sum(r.kind == "corrupt" for e in catalog.extras.values() for r in e.image_recipes)
    with pytest.raises(ValueError, match="photos"):
        build_catalog(photos=13)


def test_market_serves_the_added_photos(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MARKWATCH_CACHE_DIR", str(tmp_path))
    grown = build_catalog(scale=0.1, photos=5)
    listing = next(li for li in grown.listings if category(grown, li) == "counterfeit" and len(li.images) >= 5)
    with DemoMarket(grown) as m:
        status, kind, body = fetch(m.url(listing.images[4]))
    assert status == 200 and kind == "image/jpeg"
    with Image.open(io.BytesIO(body)) as img:
        img.load()
        assert min(img.size) >= 200


def test_counterfeits_mix_the_signals_the_issue_names(catalog: Catalog) -> None:
    fakes = [x for x in catalog.listings if x.infringing]
    reasons = {w for x in fakes for w in x.why}
    assert DISGUISES - {"zero-width-mark"} <= reasons
    assert {f"stolen-photo:{t}" for t in STOLEN_TRANSFORMS} <= reasons
    assert {"replica-wording", "low-price", "plain-mark"} <= reasons
    photo_only = [x for x in fakes if all(w.startswith("stolen-photo:") for w in x.why)]
    mark_only = [x for x in fakes if len(x.why) == 1 and x.why[0] in DISGUISES]
    assert len(photo_only) >= 0.1 * len(fakes) and mark_only
    multi = [x for x in fakes if len(x.why) >= 2]
    assert len(multi) >= 0.5 * len(fakes)
    # a title with a disguised mark does not also carry the plain mark it disguises
    for x in fakes:
        if "plain-mark" not in x.why and not x.why[0].startswith("stolen"):
            assert not re.search(r"\bnorvik\b", x.title.casefold()) or "zero-width-mark" in x.why, x.title
    for x in photo_only:
        assert "norvik" not in x.title.casefold() and "trailforge" not in x.title.casefold()


def test_stolen_photo_reasons_match_the_image_recipes(catalog: Catalog) -> None:
    for x in catalog.listings:
        recipes = catalog.extra(x).image_recipes
        stolen = {f"stolen-photo:{t}" for r in recipes if r.kind == "asset" and x.infringing for t in r.transforms}
        assert stolen == {w for w in x.why if w.startswith("stolen-photo:")}, x
        if category(catalog, x) in ("resale", "unrelated", "compatible-accessory"):
            assert all(r.kind != "asset" for r in recipes), "own photos are never the brand's"
        if category(catalog, x) == "genuine":
            assert recipes[0].kind == "asset"


def test_bad_brand_dir_is_a_named_error(tmp_path: Path) -> None:
    with pytest.raises(RegistryError, match="brand.yaml"):
        build_catalog(tmp_path)
    (tmp_path / "brand.yaml").write_text("brand: [unclosed", encoding="utf-8")
    with pytest.raises(RegistryError, match="YAML"):
        build_catalog(tmp_path)
    (tmp_path / "brand.yaml").write_text("brand: X\nmarks: []\n", encoding="utf-8")
    with pytest.raises(RegistryError, match="products"):
        build_catalog(tmp_path)


def test_brand_dir_needs_its_assets_and_fresh_ones_give_the_same_catalog(tmp_path: Path, catalog: Catalog) -> None:
    (tmp_path / "brand.yaml").write_bytes((BRAND_DIR / "brand.yaml").read_bytes())
    with pytest.raises(RegistryError, match="make_brand_assets"):
        build_catalog(tmp_path)
    make_brand_assets(tmp_path / "assets")
    assert build_catalog(tmp_path) == catalog


# -- reachability through the watch list ------------------------------------------------------------


def crawl_search(market: DemoMarket, platform: str, term: str) -> list[str]:
    """Follow a search's rel=next links as a crawler would; return result listing ids in order."""
    ids: list[str] = []
    if platform == "bazaar":
        url: str | None = market.url(f"/bazaar/search?q={quote(term)}")
        while url:
            status, _, body = fetch(url)
            assert status == 200
            page = body.decode()
            ids += re.findall(r'<a class="result-link" href="/bazaar/item/(BZ-\d+)"', page)
            nxt = re.search(r'<a rel="next" href="([^"]+)"', page)
            url = market.url(nxt.group(1).replace("&amp;", "&")) if nxt else None
    else:
        api: str | None = market.url(f"/shoply/api/search?q={quote(term)}&page=1")
        while api:
            status, ctype, body = fetch(api)
            assert status == 200 and ctype.startswith("application/json")
            data = json.loads(body)
            assert len(data["results"]) <= 24
            ids += [r["id"] for r in data["results"]]
            api = market.url(data["next"].replace("/shoply/search", "/shoply/api/search")) if data["next"] else None
    return ids


@pytest.mark.parametrize("platform", ["bazaar", "shoply"])
def test_every_listing_is_reachable_from_the_watch_terms(market: DemoMarket, platform: str) -> None:
    found: set[str] = set()
    for term in WATCH[platform]["search_terms"]:
        ids = crawl_search(market, platform, term)
        assert len(ids) == len(set(ids)), f"duplicates across pages of {term!r}"
        assert ids == [x.listing_id for x in market.search(platform, term)]
        found |= set(ids)
    assert found == {x.listing_id for x in market.catalog.on(platform)}


def test_search_pages_are_24_and_past_the_end_is_empty(market: DemoMarket) -> None:
    total = len(market.search("bazaar", "norvik"))
    assert total > 24
    _, _, first = fetch(market.url("/bazaar/search?q=norvik&page=1"))
    assert first.decode().count('class="result-link"') == 24
    assert 'rel="prev"' not in first.decode()
    last_page = (total + 23) // 24
    _, _, last = fetch(market.url(f"/bazaar/search?q=norvik&page={last_page}"))
    assert 'rel="next"' not in last.decode() and 'rel="prev"' in last.decode()
    status, _, beyond = fetch(market.url(f"/bazaar/search?q=norvik&page={last_page + 1}"))
    assert status == 200 and 'class="result-link"' not in beyond.decode()
    status, _, junk = fetch(market.url("/bazaar/search?q=norvik&page=abc"))
    assert status == 200 and junk.decode().count('class="result-link"') == 24


@pytest.mark.parametrize("store", sorted(STORES))
@pytest.mark.parametrize("limit", [1, 7, 30, 250])
def test_products_json_pagination_covers_each_store(market: DemoMarket, store: str, limit: int) -> None:
    seen: list[int] = []
    page = 1
    while True:
        status, ctype, body = fetch(market.url(f"/shop/{store}/products.json?page={page}&limit={limit}"))
        assert status == 200 and ctype.startswith("application/json")
        products = json.loads(body)["products"]
        assert len(products) <= limit
        if not products:
            break
        for p in products:
            assert isinstance(p["id"], int) and p["handle"] and p["variants"] and p["images"]
            assert all(isinstance(v["price"], str) and re.fullmatch(r"\d+\.\d\d", v["price"]) for v in p["variants"])
            assert all(i["src"].startswith(market.base_url + "/img/") for i in p["images"])
        seen += [p["id"] for p in products]
        page += 1
    assert len(seen) == len(set(seen))
    assert {str(i) for i in seen} == {x.listing_id for x in market.catalog.on("shopstores", store)}


def test_products_json_limit_default_and_cap(market: DemoMarket) -> None:
    n = len(market.catalog.on("shopstores", "alpine-deals"))
    _, _, default = fetch(market.url("/shop/alpine-deals/products.json"))
    assert len(json.loads(default)["products"]) == min(30, n)
    _, _, capped = fetch(market.url("/shop/alpine-deals/products.json?limit=100000"))
    assert len(json.loads(capped)["products"]) == min(250, n)


def test_store_home_declares_its_currency_and_product_pages_carry_json_ld(market: DemoMarket) -> None:
    for store, (_, currency) in STORES.items():
        _, _, home = fetch(market.url(f"/shop/{store}"))
        assert f'<meta name="shop-currency" content="{currency}">' in home.decode()
        listing = market.catalog.on("shopstores", store)[0]
        status, _, page = fetch(market.url(f"/shop/{store}/products/{market.catalog.extra(listing).handle}"))
        assert status == 200
        ld = json_ld(page.decode())[0]
        assert ld["name"] == listing.title and ld["offers"]["priceCurrency"] == currency


# -- pages ----------------------------------------------------------------------------------------


def json_ld(page: str) -> list[dict]:
    return [json.loads(m) for m in re.findall(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)]


def product_of(ld: dict) -> dict:
    if "@graph" in ld:
        return next(node for node in ld["@graph"] if node["@type"] == "Product")
    return ld


def test_bazaar_item_pages_carry_the_listing_in_json_ld(market: DemoMarket) -> None:
    shapes = set()
    for listing in market.catalog.on("bazaar"):
        if "http-500-once" in market.catalog.extra(listing).quirks:
            continue
        status, _, body = fetch(market.url(f"/bazaar/item/{listing.listing_id}"))
        assert status == 200
        page = body.decode()
        [ld] = json_ld(page)
        shapes.add("graph" if "@graph" in ld else "list" if isinstance(ld.get("offers"), list) else "plain")
        product = product_of(ld)
        offers = product["offers"] if isinstance(product["offers"], list) else [product["offers"]]
        assert product["name"] == listing.title and product["description"] == listing.description
        assert Decimal(str(offers[0]["price"])) == listing.price
        assert offers[0]["priceCurrency"] == listing.currency
        assert offers[0]["seller"] == {"@type": "Organization", "name": listing.seller}
        assert product["image"] == [market.url(p) for p in listing.images]
        assert ("brand" in product) == (market.catalog.extra(listing).category == "genuine")
        assert "/bazaar/seller/" in page
    assert shapes == {"graph", "list", "plain"}


def test_hostile_listings_are_escaped_and_served(market: DemoMarket) -> None:
    quirks = {q: x for x in market.catalog.listings for q in market.catalog.extra(x).quirks}
    assert set(quirks) == {"script-title", "huge-description", "odd-unicode", "http-500-once", "corrupt-image"}
    scripted = quirks["script-title"]
    _, _, body = fetch(market.url(f"/bazaar/item/{scripted.listing_id}"))
    page = body.decode()
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page
    assert product_of(json_ld(page)[0])["name"] == scripted.title
    huge = quirks["huge-description"]
    assert len(huge.description) >= 300_000
    status, _, body = fetch(market.url(f"/bazaar/item/{huge.listing_id}"))
    assert status == 200 and len(body) > 300_000
    odd = quirks["odd-unicode"]
    _, _, api = fetch(market.url(f"/shoply/api/item/{odd.listing_id}"))
    assert json.loads(api)["title"] == odd.title


def test_item_page_fails_once_then_recovers(catalog: Catalog) -> None:
    [flaky] = [x for x in catalog.listings if "http-500-once" in catalog.extra(x).quirks]
    with DemoMarket(catalog) as fresh:
        url = fresh.url(f"/bazaar/item/{flaky.listing_id}")
        assert fetch(url)[0] == 500
        assert fetch(url)[0] == 200
        assert fetch(url)[0] == 200


def test_shoply_html_has_no_listing_data_without_scripts(market: DemoMarket) -> None:
    _, _, search = fetch(market.url("/shoply/search?q=norvik"))
    assert 'id="app"' in search.decode() and "result-link" not in search.decode()
    for listing in market.catalog.on("shoply"):
        status, _, body = fetch(market.url(f"/shoply/item/{listing.listing_id}"))
        page = body.decode()
        assert status == 200 and '<div id="app"></div>' in page and "<script" in page
        assert listing.title not in page and str(listing.price) not in page
        status, _, api = fetch(market.url(f"/shoply/api/item/{listing.listing_id}"))
        data = json.loads(api)
        assert data["title"] == listing.title and data["price"] == str(listing.price)
    script = fetch(market.url("/shoply/static/app.js"))[2].decode()
    # the rendered DOM is what a generic extractor reads: microdata, and a rel=next link
    for needle in ('"itemprop": "name"', '"itemprop": "price"', '"itemprop": "priceCurrency"', '"itemprop": "image"',
                   '"itemprop": "description"', '"itemprop": "seller"', '"rel": "next"', '"class": "result-link"'):
        assert needle in script
    assert "innerHTML" not in script


def test_robots_and_sitemap(market: DemoMarket) -> None:
    _, ctype, robots = fetch(market.url("/robots.txt"))
    text = robots.decode()
    assert ctype.startswith("text/plain") and "Disallow: /admin/" in text
    assert f"Sitemap: {market.url('/bazaar/sitemap.xml')}" in text
    _, _, sitemap = fetch(market.url("/bazaar/sitemap.xml"))
    locs = re.findall(r"<loc>([^<]+)</loc>", sitemap.decode())
    assert sorted(locs) == sorted(market.url(f"/bazaar/item/{x.listing_id}") for x in market.catalog.on("bazaar"))


@pytest.mark.parametrize("path", [
    "/nope", "/admin/", "/bazaar/item/BZ-1", "/bazaar/item/SP-200001", "/shoply/item/BZ-1", "/shoply/api/item/nope",
    "/shop/no-such-store/products.json", "/shop/alpine-deals/products/no-such-handle", "/img/BZ-1/0.jpg",
    "/bazaar/seller/nobody", "/img/../../etc/passwd", "/bazaar/search/extra",
])
def test_unknown_paths_are_404(market: DemoMarket, path: str) -> None:
    assert fetch(market.url(path))[0] == 404


def test_image_index_past_the_end_is_404(market: DemoMarket, catalog: Catalog) -> None:
    listing = catalog.listings[0]
    assert fetch(market.url(f"/img/{listing.listing_id}/{len(listing.images)}.jpg"))[0] == 404


# -- images ---------------------------------------------------------------------------------------


def decode(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    img.load()
    return img


def test_listing_images_are_valid_jpegs(market: DemoMarket, catalog: Catalog) -> None:
    # one listing per (category, recipe shape): every drawing path and transform, not all 700 images
    sample: dict[tuple[str, str, tuple[str, ...]], str] = {}
    for x in catalog.listings:
        for n, recipe in enumerate(catalog.extra(x).image_recipes):
            key = (catalog.extra(x).category, recipe.kind + ":" + recipe.source, recipe.transforms)
            sample.setdefault(key, x.images[n])
    for path in sample.values():
        status, ctype, data = fetch(market.url(path))
        assert status == 200
        if path.startswith(f"/img/{corrupt_listing(catalog).listing_id}/0"):
            assert ctype == "image/jpeg" and data[:2] == b"\xff\xd8"
            with pytest.raises(OSError):
                decode(data)
            continue
        assert ctype == "image/jpeg"
        img = decode(data)
        assert img.format == "JPEG" and min(img.size) >= 32


def corrupt_listing(catalog: Catalog) -> DemoListing:
    [x] = [x for x in catalog.listings if "corrupt-image" in catalog.extra(x).quirks]
    return x


def test_corrupt_image_is_truncated_jpeg(market: DemoMarket, catalog: Catalog) -> None:
    x = corrupt_listing(catalog)
    status, ctype, data = fetch(market.url(x.images[0]))
    assert status == 200 and ctype == "image/jpeg" and data.startswith(b"\xff\xd8") and not data.endswith(b"\xff\xd9")
    with pytest.raises(OSError):
        decode(data)


@settings(max_examples=6, deadline=None)
@given(seed=st.integers(0, 10**6), transform=st.sampled_from(STOLEN_TRANSFORMS),
       asset=st.sampled_from(sorted(ASSET_FILES)))
def test_stolen_photo_rendering_is_deterministic(seed: int, transform: str, asset: str) -> None:
    recipe = ImageRecipe("asset", asset, seed, (transform,))
    first = render_image(recipe, str(BRAND_DIR / "assets"))
    render_image.cache_clear()
    assert render_image(recipe, str(BRAND_DIR / "assets")) == first
    decode(first)


def test_brand_assets_are_committed_distinct_and_small() -> None:
    assets = BRAND_DIR / "assets"
    files = ["logo.png", *ASSET_FILES]
    assert sum((assets / f).stat().st_size for f in files) < 1_000_000
    hashes = {f: imagehash.phash(Image.open(assets / f)) for f in ASSET_FILES}
    for a in hashes:
        for b in hashes:
            if a < b:
                assert hashes[a] - hashes[b] > 12, (a, b)
    assert Image.open(assets / "logo.png").mode == "RGBA"
    assert "Lindqvist & Berg" in (assets / "authorisation-letter.txt").read_text(encoding="utf-8")
    for p in BRAND["products"]:
        assert (BRAND_DIR / p["images"][0]).is_file()


def test_make_brand_assets_is_deterministic(tmp_path: Path) -> None:
    first = make_brand_assets(tmp_path / "a")
    second = make_brand_assets(tmp_path / "b")
    assert [p.name for p in first] == [p.name for p in second]
    for a, b in zip(first, second):
        assert a.read_bytes() == b.read_bytes()
        if a.suffix == ".jpg":
            assert decode(a.read_bytes()).size == (800, 800)


def test_sellers_own_photos_are_not_the_brands(catalog: Catalog) -> None:
    hashes = {f: imagehash.phash(Image.open(BRAND_DIR / "assets" / f)) for f in ASSET_FILES}
    # a reseller photographs the same product: a different picture of it, far from the brand's photo
    resale = [x for x in catalog.listings if catalog.extra(x).category == "resale"][:12]
    for x in resale:
        for recipe in catalog.extra(x).image_recipes:
            own = imagehash.phash(decode(render_image(recipe, str(BRAND_DIR / "assets"))))
            assert own - hashes[f"{recipe.source}.jpg"] > 12, x.title
    resized = next(r for x in catalog.listings for r in catalog.extra(x).image_recipes
                   if r.kind == "asset" and r.transforms == ("resized",))
    stolen = imagehash.phash(decode(render_image(resized, str(BRAND_DIR / "assets"))))
    assert stolen - hashes[resized.source] <= 4, "a resized stolen photo stays recognisable"


# -- the JavaScript storefront in a real browser ----------------------------------------------------


@pytest.mark.browser
def test_shoply_renders_listings_when_scripts_run(market: DemoMarket, browser_path: str) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=browser_path, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.goto(market.url("/shoply/search?q=outdoor"))
            page.wait_for_selector("a.result-link")
            hrefs = [a.get_attribute("href") for a in page.query_selector_all("a.result-link")]
            assert hrefs == [f"/shoply/item/{x.listing_id}" for x in market.search("shoply", "outdoor")[:24]]
            assert page.get_attribute("a[rel=next]", "href") == "/shoply/search?q=outdoor&page=2"
            listing = next(x for x in market.catalog.on("shoply") if "script" not in x.title)
            page.goto(market.url(f"/shoply/item/{listing.listing_id}"))
            page.wait_for_selector("[itemprop=name]")
            assert page.inner_text("h1[itemprop=name]") == listing.title
            assert page.get_attribute("[itemprop=price]", "content") == str(listing.price)
            assert page.get_attribute("[itemprop=priceCurrency]", "content") == listing.currency
            assert page.inner_text("[itemprop=seller] [itemprop=name]") == listing.seller
            assert len(page.query_selector_all("img[itemprop=image]")) == len(listing.images)
        finally:
            browser.close()


def test_serve_forever_reports_its_url_and_stops(catalog: Catalog) -> None:
    import threading

    urls: list[str] = []
    ready, stop = threading.Event(), threading.Event()

    def on_ready(url: str) -> None:
        urls.append(url)
        ready.set()

    thread = threading.Thread(target=serve_forever, kwargs={"on_ready": on_ready, "catalog": catalog, "stop": stop},
                              daemon=True)
    thread.start()
    assert ready.wait(30)
    [url] = urls
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", url) and not url.endswith(":0")
    assert fetch(url + "/robots.txt")[0] == 200
    stop.set()
    thread.join(30)
    assert not thread.is_alive()
    with pytest.raises(OSError):
        urllib.request.urlopen(url + "/robots.txt", timeout=5)


def test_drawn_photos_are_kept_on_disk_between_runs(tmp_path: Path) -> None:
    stale = tmp_path / "drawn-by-older-code"
    stale.mkdir()
    (stale / "old.img").write_bytes(b"old")
    recipe = ImageRecipe("drawn", "parka", 7, style="home")
    assets = str(BRAND_DIR / "assets")
    drawn = cached_render(recipe, assets, tmp_path)
    assert drawn == render_image(recipe, assets)
    [kept] = list(tmp_path.rglob("*.img"))
    assert kept.read_bytes() == drawn
    kept.write_bytes(b"kept bytes")  # a second run reads the kept file, not a new drawing
    assert cached_render(recipe, assets, tmp_path) == b"kept bytes"
    other = ImageRecipe("drawn", "parka", 8, style="home")
    assert cached_render(other, assets, tmp_path) == render_image(other, assets)
    assert len(list(tmp_path.rglob("*.img"))) == 2
    assert not stale.exists()  # photos of other drawing code are cleared, not kept forever


def test_a_cache_that_cannot_be_written_is_passed_over(tmp_path: Path) -> None:
    blocked = tmp_path / "cache"
    blocked.write_text("a file where the cache folder would be")
    recipe = ImageRecipe("asset", sorted(ASSET_FILES)[0], 3, (STOLEN_TRANSFORMS[0],))
    assets = str(BRAND_DIR / "assets")
    assert cached_render(recipe, assets, blocked) == render_image(recipe, assets)
    assert cached_render(recipe, assets, None) == render_image(recipe, assets)
