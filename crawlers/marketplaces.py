"""Marketplace search adapters: how to turn a brand's search terms into search URLs, which
links on a result page lead to listings, how to find the next page, and how to read the
platform's listing id from a listing URL. Data, not code, so a new marketplace is a new entry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, quote_plus, urljoin, urlsplit

__all__ = ["SearchAdapter", "ADAPTERS", "adapter_for", "listing_id_from_url", "looks_like_listing_url"]


@dataclass(frozen=True, slots=True)
class SearchAdapter:
    platform: str
    base_url: str                 # scheme + host (+ path prefix) the templates are relative to
    search_path: str              # with {term} (URL-quoted) and {page}
    result_links: str             # CSS selector of links to listing pages on a result page
    listing_url: str              # regex a listing URL matches; group "id" is the listing id
    next_page: str = "a[rel~=next]::attr(href), link[rel~=next]::attr(href)"
    first_page: int = 1
    javascript: bool = False      # result and listing pages need a browser to render
    # How a term is written into the URL: "plus" (query string, "calvin+klein") or "dashed"
    # (a path segment, "calvin-klein", as AliExpress's /w/wholesale-calvin-klein.html).
    term_style: str = "plus"
    # The next page's URL is the search template's, page + 1, when the page's own pager is a
    # script (no link to follow); only while a page still names listings.
    next_by_template: bool = False

    def search_url(self, term: str, page: int | None = None, *, base_url: str | None = None) -> str:
        base = (base_url or self.base_url).rstrip("/") + "/"
        if self.term_style == "dashed":
            quoted = "-".join(quote(word, safe="") for word in term.lower().split())
        else:
            quoted = quote_plus(term)
        path = self.search_path.format(term=quoted, page=page or self.first_page)
        return urljoin(base, path.lstrip("/"))

    def listing_id(self, url: str) -> str | None:
        match = re.search(self.listing_url, url)
        return match.group("id") if match else None

    def is_listing(self, url: str) -> bool:
        return self.listing_id(url) is not None


ADAPTERS: dict[str, SearchAdapter] = {
    adapter.platform: adapter
    for adapter in (
        # The embedded demo marketplace's two searchable storefronts.
        SearchAdapter(
            platform="bazaar",
            base_url="http://127.0.0.1",
            search_path="/bazaar/search?q={term}&page={page}",
            result_links="a.result-link::attr(href)",
            listing_url=r"/bazaar/item/(?P<id>BZ-\d+)",
        ),
        SearchAdapter(
            platform="shoply",
            base_url="http://127.0.0.1",
            search_path="/shoply/search?q={term}&page={page}",
            result_links="a.result-link::attr(href)",
            listing_url=r"/shoply/item/(?P<id>SP-\d+)",
            javascript=True,
        ),
        # Real marketplaces. Result pages change often; the listing URL patterns do not.
        SearchAdapter(
            platform="amazon",
            base_url="https://www.amazon.com",
            search_path="/s?k={term}&page={page}",
            # The title link moved from inside <h2> to around it in 2024: any /dp/ link of a
            # result card; sponsored cards link through /sspa/click and are left out.
            result_links="div[data-component-type=s-search-result] a[href*='/dp/']::attr(href)",
            listing_url=r"/(?:dp|gp/product)/(?P<id>[A-Z0-9]{10})",
            next_page="a.s-pagination-next::attr(href)",
        ),
        SearchAdapter(
            platform="ebay",
            base_url="https://www.ebay.com",
            search_path="/sch/i.html?_nkw={term}&_pgn={page}",
            # s-item cards, and the s-card cards of the 2025 layout; the first card is a
            # placeholder whose /itm/123456 link has too short an id to count.
            result_links="ul.srp-results li a[href*='/itm/']::attr(href)",
            listing_url=r"/itm/(?:[^/?]+/)?(?P<id>\d{9,15})",
            next_page="a.pagination__next::attr(href), a[type=next]::attr(href)",
        ),
        SearchAdapter(
            platform="aliexpress",
            base_url="https://www.aliexpress.com",
            search_path="/w/wholesale-{term}.html?page={page}",
            result_links="#card-list a[href*='/item/']::attr(href), a.search-card-item::attr(href)",
            listing_url=r"/item/(?P<id>\d{6,20})\.html",
            javascript=True,
            term_style="dashed",
            next_by_template=True,
        ),
        SearchAdapter(
            platform="etsy",
            base_url="https://www.etsy.com",
            search_path="/search?q={term}&page={page}",
            result_links="[data-search-results-region] a.listing-link::attr(href), a.listing-link::attr(href)",
            listing_url=r"/listing/(?P<id>\d{6,15})",
            # The pager's last item is the "Next page" arrow; it has no rel=next.
            next_page="nav[aria-label*='agination'] li:last-child a::attr(href), a[rel~=next]::attr(href)",
        ),
        SearchAdapter(
            platform="walmart",
            base_url="https://www.walmart.com",
            search_path="/search?q={term}&page={page}",
            result_links="a[link-identifier][href*='/ip/']::attr(href), [data-item-id] a[href*='/ip/']::attr(href)",
            listing_url=r"/ip/(?:[^/?]+/)?(?P<id>\d{5,15})",
            next_page="a[data-testid=NextPage]::attr(href), a[aria-label='Next Page']::attr(href)",
        ),
        SearchAdapter(
            platform="dhgate",
            base_url="https://www.dhgate.com",
            search_path="/wholesale/search.do?act=search&searchkey={term}&pageNum={page}",
            result_links=".gallery-main a[href*='/product/']::attr(href), .gitem a[href*='/product/']::attr(href)",
            next_page="a.next::attr(href), a[rel~=next]::attr(href)",
            listing_url=r"/product/[^/]*/(?P<id>\d{6,15})\.html",
        ),
    )
}


def adapter_for(platform: str) -> SearchAdapter | None:
    return ADAPTERS.get(platform)


_GENERIC_ID_PATTERNS = (
    r"/(?:dp|gp/product)/(?P<id>[A-Z0-9]{10})",
    r"/itm/(?:[^/?]+/)?(?P<id>\d{9,15})",
    r"/item/(?P<id>[A-Za-z0-9-]{3,40})(?:\.html)?",
    r"/listing/(?P<id>\d{6,15})",
    r"/ip/(?:[^/?]+/)?(?P<id>\d{5,15})",
    r"/products?/(?P<id>[A-Za-z0-9_-]{2,120})",
)


def looks_like_listing_url(url: str) -> bool:
    """True when a URL has the shape of a listing on common shop software (/item/ID,
    /products/HANDLE, /dp/ASIN, ...): how a crawl without an adapter tells listings apart."""
    path = urlsplit(url).path
    return any(re.search(pattern, path) for pattern in _GENERIC_ID_PATTERNS)


def listing_id_from_url(url: str, platform: str | None = None) -> str:
    """The platform's listing id from a URL; else the URL's path (stable, if not pretty)."""
    adapter = ADAPTERS.get(platform or "")
    if adapter and (found := adapter.listing_id(url)):
        return found
    for pattern in _GENERIC_ID_PATTERNS:
        if match := re.search(pattern, url):
            return match.group("id")
    parts = urlsplit(url)
    return (parts.netloc + parts.path).rstrip("/")[:200]
