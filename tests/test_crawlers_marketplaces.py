"""Marketplace search adapters against hand-written result pages in each platform's real
structure (cards, sponsored and placeholder links, pagers), served on 127.0.0.1 and crawled
in one fresh process: the search URL is built from a mark, listing links are found, the next
page is followed, and listing ids are read from the URLs."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from crawlers.marketplaces import ADAPTERS, adapter_for, listing_id_from_url
from crawlsite import LocalSite, page, run_crawl_subprocess

MARK = "Acme Watch"


def _listing(path: str, count: int) -> tuple[int, dict[str, str], bytes]:
    data = {"@type": "Product", "name": f"{MARK} listing {path}", "offers": {"price": "9.99", "priceCurrency": "USD"}}
    return page(body=f"<html><head><script type='application/ld+json'>{json.dumps(data)}</script></head>"
                     f"<body><h1>{MARK}</h1></body></html>")


def _amazon(page_no: int) -> str:
    asins = ["B0ACME0001", "B0ACME0002"] if page_no == 1 else ["B0ACME0003"]
    cards = "".join(f"""
      <div data-asin="{a}" data-index="{i}" data-component-type="s-search-result" class="sg-col-4-of-24 s-result-item s-asin">
        <div class="s-product-image-container"><span data-component-type="s-product-image">
          <a class="a-link-normal s-no-outline" href="/Acme-Watch-Steel/dp/{a}/ref=sr_1_{i}?keywords=acme+watch&amp;qid=1">
          <img class="s-image" src="https://m.media-amazon.com/images/I/{a}._AC_UL320_.jpg"></a></span></div>
        <a class="a-link-normal s-line-clamp-2 s-link-style a-text-normal" href="/Acme-Watch-Steel/dp/{a}/ref=sr_1_{i}">
          <h2 aria-label="Acme Watch Steel" class="a-size-medium a-spacing-none a-color-base a-text-normal"><span>Acme Watch Steel</span></h2></a>
        <span class="a-price"><span class="a-offscreen">$9.99</span></span>
      </div>""" for i, a in enumerate(asins, 1))
    sponsored = """<div data-component-type="s-search-result" class="AdHolder"><a class="a-link-normal s-no-outline"
        href="/sspa/click?ie=UTF8&amp;spc=MTo&amp;url=%2FOther-Watch%2Fdp%2FB0OTHER999%2F">ad</a></div>"""
    pager = ('<span class="s-pagination-strip"><a href="/s?k=acme+watch&amp;page=2&amp;ref=sr_pg_1" '
             'class="s-pagination-item s-pagination-next s-pagination-button s-pagination-separator">Next</a></span>'
             if page_no == 1 else '<span class="s-pagination-item s-pagination-next s-pagination-disabled">Next</span>')
    return f"<html><body><div class='s-main-slot s-result-list'>{sponsored}{cards}</div>{pager}<a href='/gp/help/customer/display.html'>Help</a></body></html>"


def _ebay(page_no: int) -> str:
    ids = ["204512345678", "204512345679"] if page_no == 1 else ["304512345670"]
    placeholder = ('<li class="s-item s-item__pl-on-bottom"><div class="s-item__wrapper clearfix"><div class="s-item__info clearfix">'
                   '<a class="s-item__link" href="https://ebay.com/itm/123456?itmmeta=x"><div class="s-item__title"><span role="heading">'  # url-ok
                   'Shop on eBay</span></div></a></div></div></li>')
    cards = "".join(f"""<li class="s-item s-item__pl-on-bottom" data-viewport="{{}}"><div class="s-item__wrapper clearfix">
        <div class="s-item__image-section"><div class="s-item__image"><a tabindex="-1" href="/itm/{n}?hash=item2f9:g:abc&amp;amdata=enc">
        <img src="https://i.ebayimg.com/thumbs/images/g/x/s-l140.jpg"></a></div></div>
        <div class="s-item__info clearfix"><a class="s-item__link" href="/itm/{n}?hash=item2f9:g:abc&amp;amdata=enc">
        <div class="s-item__title"><span role="heading" aria-level="3">Acme Watch Steel</span></div></a>
        <div class="s-item__details clearfix"><span class="s-item__price">$9.99</span></div></div></div></li>""" for n in ids)
    pager = ('<nav class="pagination" role="navigation"><a type="next" href="/sch/i.html?_nkw=acme+watch&amp;_pgn=2" '
             'class="pagination__next icon-link" aria-label="Go to next search page">next</a></nav>'
             if page_no == 1 else '<nav class="pagination"><button class="pagination__next" aria-disabled="true">next</button></nav>')
    return f"<html><body><div id='srp-river-results'><ul class='srp-results srp-list clearfix'>{placeholder}{cards}</ul></div>{pager}</body></html>"


def _aliexpress(page_no: int) -> str:
    ids = {1: ["1005006000000001", "1005006000000002"], 2: ["1005006000000003"]}.get(page_no, [])
    cards = "".join(f"""<div class="search-item-card-wrapper-gallery"><a class="multi--container--1UZxxHY cards--card--3PJxwBm search-card-item"
        href="/item/{n}.html?algo_pvid=abc&amp;pdp_npi=4" target="_blank">
        <div class="multi--title--G7dOCj3"><h3 class="multi--titleText--nXeOvyr">Acme Watch Steel</h3></div></a></div>""" for n in ids)
    # The pager is a script widget: buttons, no links.
    pager = '<ul class="comet-pagination"><li class="comet-pagination-next"><button class="comet-pagination-item-link">&gt;</button></li></ul>'
    return f"<html><body><div id='card-list' class='list--gallery--C2f2tvm'>{cards}</div>{pager}</body></html>"


def _etsy(page_no: int) -> str:
    ids = ["1234567890", "1234567891"] if page_no == 1 else ["1234567892"]
    cards = "".join(f"""<li class="wt-list-unstyled wt-grid__item-xs-6"><div class="js-merch-stash-check-listing v2-listing-card" data-listing-id="{n}">
        <a class="listing-link wt-display-inline-block" data-listing-id="{n}"
        href="/listing/{n}/acme-watch-vintage-steel?ga_order=most_relevant&amp;ref=search_grid-1">
        <h3 class="v2-listing-card__title">Acme Watch vintage</h3></a></div></li>""" for n in ids)
    pager = ("""<nav aria-label="Pagination of listing results"><ul class="wt-action-group wt-list-inline">
        <li class="wt-action-group__item-container"><a class="wt-btn" href="/search?q=acme+watch&amp;ref=pagination&amp;page=1" data-page="1">1</a></li>
        <li class="wt-action-group__item-container"><a class="wt-btn" href="/search?q=acme+watch&amp;ref=pagination&amp;page=2" data-page="2">2</a></li>
        <li class="wt-action-group__item-container"><a class="wt-btn wt-btn--icon" href="/search?q=acme+watch&amp;ref=pagination&amp;page=2" data-page="2">
        <span class="wt-screen-reader-only">Next page</span></a></li></ul></nav>""" if page_no == 1 else
             """<nav aria-label="Pagination of listing results"><ul class="wt-action-group wt-list-inline">
        <li class="wt-action-group__item-container"><a class="wt-btn" href="/search?q=acme+watch&amp;ref=pagination&amp;page=1" data-page="1">1</a></li>
        <li class="wt-action-group__item-container"><span class="wt-btn wt-is-disabled"><span class="wt-screen-reader-only">Next page</span></span></li></ul></nav>""")
    return (f"<html><body><div data-search-results-region><ol class='wt-grid wt-grid--block'>{cards}</ol></div>"
            f"<a href='/shop/AcmeShop'>shop</a>{pager}</body></html>")


def _walmart(page_no: int) -> str:
    ids = ["5123456789", "5123456790"] if page_no == 1 else ["5123456791"]
    cards = "".join(f"""<div role="group" data-item-id="{n}" class="mb0 ph0-xl pt0-xl bb b--near-white w-25 pb3-m ph1">
        <div class="h-100 pb1-xl pr4-xl pv1 ph1"><a link-identifier="{n}" class="absolute w-100 h-100 z-1 hide-sibling-opacity"
        href="/ip/Acme-Watch-Steel/{n}?classType=REGULAR&amp;from=/search"><span class="w_iUH7">Acme Watch Steel</span></a></div></div>""" for n in ids)
    pager = ('<nav aria-label="pagination" class="sans-serif"><ul class="list flex"><li><a data-testid="NextPage" aria-label="Next Page" '
             'href="/search?q=acme+watch&amp;page=2&amp;affinityOverride=default">next</a></li></ul></nav>' if page_no == 1 else
             '<nav aria-label="pagination"><ul class="list flex"><li><span aria-label="Next Page" aria-disabled="true">next</span></li></ul></nav>')
    return f"<html><body><div id='__next'><section><div data-testid='item-stack'>{cards}</div></section>{pager}</div></body></html>"


def _dhgate(page_no: int) -> str:
    ids = ["912345601", "912345602"] if page_no == 1 else ["912345603"]
    cards = "".join(f"""<div class="gitem" itemcode="{n}"><div class="photo-wrap"><a class="pic" target="_blank"
        href="/product/acme-watch-steel-mens/{n}.html#s1-1-1b;searl|0"><img src="https://img.dhgate.com/x.jpg"></a></div>
        <h3><a class="subject" href="/product/acme-watch-steel-mens/{n}.html">Acme Watch Steel</a></h3></div>""" for n in ids)
    pager = ('<div class="page"><a class="next" href="/wholesale/search.do?act=search&amp;searchkey=acme+watch&amp;pageNum=2">Next</a></div>'
             if page_no == 1 else '<div class="page"><span class="next-disabled">Next</span></div>')
    return f"<html><body><div class='gallery-main'><div class='gallery-con'>{cards}</div></div>{pager}</body></html>"


def _page_of(path: str, key: str) -> int:
    values = parse_qs(urlsplit(path).query).get(key, ["1"])
    return int(values[0]) if values[0].isdigit() else 1


SITES = {
    # platform: (search path on the site, page parameter, result page, listing URLs' path pattern)
    "amazon": ("/s", "page", _amazon, "/Acme-Watch-Steel/dp/{id}/ref={rest}"),
    "ebay": ("/sch/i.html", "_pgn", _ebay, "/itm/{id}"),
    "aliexpress": ("/w/wholesale-acme-watch.html", "page", _aliexpress, "/item/{id}.html"),
    "etsy": ("/search", "page", _etsy, "/listing/{id}/acme-watch-vintage-steel"),
    "walmart": ("/search", "page", _walmart, "/ip/Acme-Watch-Steel/{id}"),
    "dhgate": ("/wholesale/search.do", "pageNum", _dhgate, "/product/acme-watch-steel-mens/{id}.html"),
}
EXPECTED = {
    "amazon": {"B0ACME0001", "B0ACME0002", "B0ACME0003"},
    "ebay": {"204512345678", "204512345679", "304512345670"},
    "aliexpress": {"1005006000000001", "1005006000000002", "1005006000000003"},
    "etsy": {"1234567890", "1234567891", "1234567892"},
    "walmart": {"5123456789", "5123456790", "5123456791"},
    "dhgate": {"912345601", "912345602", "912345603"},
}


class _AnyListing(dict):  # type: ignore[type-arg]
    """Routes every path that is not the search page to a listing page."""

    def __init__(self, search_path: str, search) -> None:  # type: ignore[no-untyped-def]
        super().__init__({"/robots.txt": lambda p, c: (200, {"Content-Type": "text/plain"}, b"User-agent: *\nAllow: /\n"),
                          search_path: search})

    def get(self, key, default=None):  # type: ignore[no-untyped-def]
        return super().get(key) or _listing


def test_every_adapter_against_its_result_pages(tmp_path: Path) -> None:
    sites = {}
    for platform, (search_path, param, render, _) in SITES.items():
        search = (lambda render, param: lambda path, count: page(body=render(_page_of(path, param))))(render, param)
        sites[platform] = LocalSite(_AnyListing(search_path, search))  # type: ignore[arg-type]
    contexts = [site.serve() for site in sites.values()]
    for context in contexts:
        context.__enter__()
    try:
        jobs = [{"platform": platform, "search_terms": [MARK], "base_url": site.base_url, "javascript": False,
                 "max_pages": 4, "max_listings": 50} for platform, site in sites.items()]
        result = run_crawl_subprocess(tmp_path, jobs, overrides={"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False})
    finally:
        for context in contexts:
            context.__exit__(None, None, None)
    assert result.returncode == 0, result.stderr
    for platform, site in sites.items():
        search_path, param, _, _ = SITES[platform]
        searches = [p for p in site.paths() if urlsplit(p).path == search_path]
        # the first search is the adapter's own URL for the mark; the next page was followed
        assert searches, f"{platform}: no search request"
        first = parse_qs(urlsplit(searches[0]).query)
        assert searches[0].startswith(urlsplit(ADAPTERS[platform].search_url(MARK)).path), platform
        assert any("acme" in v.lower() for values in first.values() for v in values) or "acme" in searches[0], platform
        assert {_page_of(p, param) for p in searches} >= {1, 2}, f"{platform}: next page not followed: {searches}"
        got = {item["listing_id"] for item in result.items if item["platform"] == platform}
        assert got == EXPECTED[platform], platform
        # nothing but the search pages and listings was fetched (no ads, help or shop pages)
        others = [p for p in site.paths() if urlsplit(p).path not in (search_path, "/robots.txt")]
        assert len(others) == len(EXPECTED[platform]), f"{platform}: {others}"


@pytest.mark.parametrize(("platform", "url", "listing_id"), [
    ("amazon", "https://www.amazon.co.uk/Acme-Watch/dp/B0ACME0001/ref=sr_1_1?keywords=x", "B0ACME0001"),  # url-ok
    ("amazon", "https://www.amazon.com/gp/product/B0ACME0002", "B0ACME0002"),  # url-ok
    ("ebay", "https://www.ebay.de/itm/Acme-Watch-Steel/204512345678?hash=x", "204512345678"),  # url-ok
    ("ebay", "https://www.ebay.com/itm/204512345678", "204512345678"),  # url-ok
    ("aliexpress", "https://www.aliexpress.com/item/1005006000000001.html?spm=a2g0o", "1005006000000001"),  # url-ok
    ("etsy", "https://www.etsy.com/listing/1234567890/acme-watch", "1234567890"),  # url-ok
    ("walmart", "https://www.walmart.com/ip/Acme-Watch/5123456789?classType=REGULAR", "5123456789"),  # url-ok
    ("dhgate", "https://www.dhgate.com/product/acme-watch/912345601.html#s1", "912345601"),  # url-ok
])
def test_listing_ids_from_real_url_shapes(platform: str, url: str, listing_id: str) -> None:
    adapter = adapter_for(platform)
    assert adapter is not None and adapter.listing_id(url) == listing_id
    assert listing_id_from_url(url, platform) == listing_id


@pytest.mark.parametrize("mark", ["Calvin Klein", "Ray-Ban", "Dolce & Gabbana", "Café Noir", "50% off"])
def test_search_urls_keep_the_mark_intact(mark: str) -> None:
    from urllib.parse import unquote, unquote_plus

    for platform, adapter in ADAPTERS.items():
        url = adapter.search_url(mark)
        parts = urlsplit(url)
        assert parts.scheme in ("http", "https") and parts.netloc
        if adapter.term_style == "dashed":
            assert unquote(parts.path).endswith("-".join(mark.lower().split()) + ".html"), url
        else:
            values = [v for vs in parse_qs(parts.query).values() for v in vs]
            assert mark in values, (platform, url)
            assert unquote_plus(url).count(mark) == 1
