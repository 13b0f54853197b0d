"""Read one marketplace page into a `Listing`: a pure function of (html, url) that merges
structured data, per-platform page structures and DOM heuristics by confidence, and never
raises on a broken or hostile page (what it cannot find stays None)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import lxml.html
from parsel import Selector

from ._document import decode_html, parse_html
from ._embedded import aliexpress_fields, next_data_fields, shopify_fields, state_image, state_price
from ._dom import DomFacts, read_dom, stock_from_text, strip_site_name
from ._normalize import (
    MAX_LENGTHS,
    absolute_url,
    clean_text,
    country_currency,
    normalize_availability,
    normalize_currency,
    normalize_gtin,
    parse_price,
)
from ._pictures import picture_key, same_picture
from ._platforms import Platform, amazon_merchant, platforms_for
from ._structured import json_ld_items, meta_fields, microdata_items, pick_product, product_fields, rdfa_items
from .errors import ExtractionInputError

__all__ = ["Seller", "Listing", "extract_listing", "looks_like_app_shell"]

_MAX_IMAGES = 20

# How far each source is trusted, per field. A platform's own page structure is curated
# knowledge of that site; JSON-LD is what the shop tells search engines; the DOM is a guess.
_CONFIDENCE: dict[str, float] = {
    "platform": 0.95,
    "json-ld": 0.9,
    "embedded": 0.88,
    "microdata": 0.85,
    "rdfa": 0.8,
    "meta": 0.7,
    "shown-sku": 0.92,
    "labelled": 0.5,
    "state": 0.45,
    "dom": 0.4,
    "page-title": 0.2,
}


@dataclass(frozen=True, slots=True)
class Seller:
    name: str | None = None
    id: str | None = None
    url: str | None = None


@dataclass(frozen=True, slots=True)
class Listing:
    url: str
    title: str | None = None
    price: Decimal | None = None
    currency: str | None = None
    availability: str | None = None
    sku: str | None = None
    gtin: str | None = None
    mpn: str | None = None
    brand: str | None = None
    images: tuple[str, ...] = ()
    seller: Seller | None = None
    description: str | None = None
    ships_from: str | None = None
    listing_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: the price as a decimal string, images as a list, the seller as a dict."""
        return {
            "url": self.url,
            "title": self.title,
            "price": str(self.price) if self.price is not None else None,
            "currency": self.currency,
            "availability": self.availability,
            "sku": self.sku,
            "gtin": self.gtin,
            "mpn": self.mpn,
            "brand": self.brand,
            "images": list(self.images),
            "seller": (
                {"name": self.seller.name, "id": self.seller.id, "url": self.seller.url}
                if self.seller is not None else None
            ),
            "description": self.description,
            "ships_from": self.ships_from,
            "listing_id": self.listing_id,
        }


class _Candidates:
    """Per field, the value of the most trusted source that had one."""

    def __init__(self) -> None:
        self.best: dict[str, tuple[float, Any]] = {}
        self.images: dict[str, list[str]] = {}
        self.titles: list[tuple[float, str]] = []
        self.price_options: dict[float, list[Decimal]] = {}
        self.prices: list[tuple[float, Decimal]] = []

    def offer(self, field: str, value: Any, confidence: float) -> None:
        if value in (None, "", (), [], {}):
            return
        if field == "title":
            self.titles.append((confidence, value))
        elif field == "price":
            self.prices.append((confidence, value))
        current = self.best.get(field)
        if current is None or confidence > current[0]:
            self.best[field] = (confidence, value)

    def offer_images(self, urls: list[str] | tuple[str, ...], source: str) -> None:
        self.images.setdefault(source, [])
        self.images[source].extend(u for u in urls if u not in self.images[source])

    def get(self, field: str) -> Any:
        entry = self.best.get(field)
        return entry[1] if entry else None

    def corroborated_title(self, page_title: str | None) -> str | None:
        """The most trusted title that the page's own <title> repeats; sources disagree on
        names (a feed name, a heading with a badge), and the tab title is what shoppers see."""
        shown = _words(page_title)
        for _, title in sorted(self.titles, key=lambda item: -item[0]):
            words = _words(title)
            if words.strip() and shown.strip() and words in shown and title != page_title:
                return title
        return self.get("title")

    def ordered_images(self, dom: DomFacts) -> tuple[str, ...]:
        """Main image first. The main picture is the platform's own gallery's first, else
        microdata's first, else a declared picture (JSON-LD, embedded, RDFa, meta, app state)
        that the page also shows, else the picture the layout makes main, else the first
        declared. It is given in the rendition the page shows (declared images are often
        another size of the same photo)."""
        shown: dict[str, list[tuple[str, float]]] = {}
        for url, score in dom.shown_images:
            shown.setdefault(picture_key(url), []).append((url, score))
        platform = list(self.images.get("platform", []))
        declared = [u for source in _DECLARED_IMAGE_SOURCES for u in self.images.get(source, [])]
        top_dom = dom.image_scores[0] if dom.images and dom.image_scores else None
        main: str | None = None
        microdata = self.images.get("microdata", [])
        if platform:
            main = platform[0]
        elif microdata:
            # Microdata's image property sits on the shown picture (or names it on purpose).
            main = microdata[0]
        else:
            # A declared picture the page shows; the layout's score decides among several, and
            # each further source naming the same picture is a vote for it.
            votes: dict[str, int] = {}
            for source in _DECLARED_IMAGE_SOURCES:
                for key in {picture_key(u) for u in self.images.get(source, [])}:
                    votes[key] = votes.get(key, 0) + 1
            best: tuple[float, float, str] | None = None
            for position, url in enumerate(declared[:60]):
                match = _shown_match(picture_key(url), shown)
                if match is None:
                    continue
                placed = max(score for _, score in shown[match])
                rank = placed + 0.5 * votes.get(picture_key(url), 1) - 0.001 * position
                if best is None or rank > best[0]:
                    best = (rank, placed, url)
            if best is not None and (top_dom is None or top_dom - best[1] < _LAYOUT_OVERRULES):
                main = best[2]
            elif top_dom is not None and top_dom >= 0:
                main = dom.images[0]
            elif declared:
                main = declared[0]
        order: list[str] = []
        if main is not None:
            match = _shown_match(picture_key(main), shown)
            if match is not None:
                # The best-placed rendition; a declared URL shown as such is what the shop meant.
                exact = set(declared) | set(platform)
                order.append(max(shown[match], key=lambda pair: pair[1] + (0.5 if pair[0] in exact else 0))[0])
            order.append(main)
        order += platform + declared + list(dom.images)
        out: list[str] = []
        for url in order:
            if url not in out:
                out.append(url)
            if len(out) >= _MAX_IMAGES:
                break
        return tuple(out)


_DECLARED_IMAGE_SOURCES = ("microdata", "json-ld", "embedded", "rdfa", "meta", "state")
# A declared picture shown only as a thumbnail loses to a picture the layout makes far more
# prominent (a share image of another view, a feed image of another colour).
_LAYOUT_OVERRULES = 2.5


def _shown_match(key: str, shown: dict[str, list[tuple[str, float]]]) -> str | None:
    """The shown picture that is `key` in another rendition, the best-placed if several."""
    if key in shown:
        return key
    matches = [k for k in list(shown)[:300] if same_picture(key, k)]
    return max(matches, key=lambda k: max(score for _, score in shown[k])) if matches else None


def _words(text: str | None) -> str:
    return " " + " ".join(re.sub(r"[\W_]+", " ", (text or "").casefold()).split()) + " "


def _image_identity(url: str) -> str:
    parts = urlsplit(url)
    return (parts.hostname or "").removeprefix("www.") + parts.path


def extract_listing(html: str | bytes, url: str, *, encoding: str | None = None) -> Listing:
    """The listing shown on a page. `url` is where the page was fetched (to resolve links and
    recognise the platform); `encoding` is the transport's declared charset, if any.

    Raises `ExtractionInputError` only when the arguments are not a page at all.
    """
    if not isinstance(url, str):
        raise ExtractionInputError(f"url must be str, not {type(url).__name__}")
    page_url = clean_text(url, MAX_LENGTHS["url"]) or ""
    text = decode_html(html, encoding=encoding)
    try:
        root = parse_html(text)
        return _extract(root, text, page_url)
    except RecursionError:
        # Pathologically nested markup: nothing trustworthy can be read from it.
        return Listing(url=page_url)


def _extract(root: lxml.html.HtmlElement, text: str, page_url: str) -> Listing:
    base = _base_url(root, page_url)
    host = (urlsplit(base).hostname or "") if base else ""
    found = _Candidates()

    for source, items in (
        ("json-ld", json_ld_items(root)),
        ("microdata", microdata_items(root, base)),
        ("rdfa", rdfa_items(root, base)),
    ):
        node = pick_product(items, page_url)
        if node is None:
            continue
        _offer_fields(found, product_fields(node, base, host), source)

    meta = meta_fields(root)
    _offer_meta(found, meta, base, host)

    for platform in platforms_for(host, text[:300_000]):
        _offer_fields(found, _platform_fields(root, platform, page_url, base, host), "platform")
        if platform.name == "amazon":
            # After the selectors: a seller link (name, id, storefront) beats the sentence.
            _offer_fields(found, amazon_merchant(root), "platform")
        if platform.name == "shopify":
            _offer_fields(found, shopify_fields(root, text, base), "embedded")
        elif platform.name == "aliexpress":
            _offer_fields(found, aliexpress_fields(root, base, host=host), "embedded")
    if "__NEXT_DATA__" in text:
        _offer_fields(found, next_data_fields(root, base, host=host), "embedded")
    # A client-side shop's state names its current price: better than a guess from the layout.
    found.offer_images([u for u in [state_image(root, base)] if u], "state")
    state_amount, state_currency = state_price(root, host=host)
    found.offer("price", state_amount, _CONFIDENCE["state"])
    if state_amount is not None and found.get("price") == state_amount:
        found.offer("currency", state_currency, _CONFIDENCE["state"])

    dom = read_dom(root, base, host)
    found.offer("title", dom.title, _CONFIDENCE["dom"] + 0.2)
    found.offer("title", strip_site_name(dom.page_title, host), _CONFIDENCE["page-title"])
    if dom.price is not None:
        found.offer("price", dom.price, _CONFIDENCE["dom"])
        if found.get("price") == dom.price:
            found.offer("currency", dom.currency, _CONFIDENCE["dom"])
    found.offer("availability", dom.availability, _CONFIDENCE["dom"])
    if dom.buyable:
        found.offer("availability", "InStock", _CONFIDENCE["page-title"])
    for name, value in dom.labelled.items():
        if name == "gtin":
            value = normalize_gtin(value)
        elif name in ("sku", "mpn") and (value.count(" ") > 1 or len(value) > 40):
            # Identifiers are one word or two; a phrase beside the label is a caption.
            continue
        # The code a page shows beside its label is the one shoppers and the shop quote; a feed's
        # sku is often an internal variant id. Other labelled fields stay below the markup.
        # On a marketplace the platform's own id names the listing; labels there are the seller's.
        shown_sku = name == "sku" and found.best.get("listing_id", (0.0, None))[0] < _CONFIDENCE["platform"]
        found.offer(name, value, _CONFIDENCE["shown-sku"] if shown_sku else _CONFIDENCE["labelled"])
    _reconcile_price(found, dom)

    # A marketplace's own id names the listing uniquely on the site: the SKU when the seller
    # gives none. Read from the platform's structure (or the page's markup) above all labels.
    listing_id = found.get("listing_id")
    sku = found.get("sku")
    if listing_id and found.best.get("sku", (0.0, None))[0] < _CONFIDENCE["json-ld"] and (
        found.best.get("listing_id", (0.0, None))[0] >= _CONFIDENCE["platform"] or sku is None
    ):
        sku = listing_id
    if sku is None:
        sku = _url_id(page_url)
    gtin = found.get("gtin")
    if gtin is None and sku and len(sku) >= 12:
        # A shop that keys its catalogue by barcode (books by ISBN): the SKU is the GTIN too.
        gtin = normalize_gtin(sku)
    mpn = found.get("mpn")
    if mpn is not None and mpn == sku:
        # A feed that copies its own id into every identifier field: the maker's part
        # number is another code, and this one is already the SKU.
        mpn = None
    seller = found.get("seller")
    return Listing(
        url=page_url,
        title=found.corroborated_title(dom.page_title),
        price=found.get("price"),
        # A price with no sign anywhere is in the currency of the shop's country, if it has one.
        currency=(found.get("currency") or country_currency(host)) if found.get("price") is not None else None,
        availability=found.get("availability"),
        sku=sku,
        gtin=gtin,
        mpn=mpn,
        brand=_clean_brand(found.get("brand")),
        images=found.ordered_images(dom),
        seller=Seller(**seller) if seller and any(seller.values()) else None,
        description=found.get("description"),
        ships_from=found.get("ships_from"),
        listing_id=found.get("listing_id"),
    )


def _reconcile_price(found: _Candidates, dom: DomFacts) -> None:
    """Let the page say which declared price it shows. Offers for several sizes name several
    prices: the one shown wins. A declared price shown nowhere (a stale feed price, another
    variant's) loses to a price the layout places confidently beside the product."""
    best = found.best.get("price")
    if best is None or best[0] <= _CONFIDENCE["dom"]:
        return
    confidence, declared = best
    shown = dict(dom.shown_prices)
    options = [o for o in found.price_options.get(confidence, []) if o in shown]
    if len(found.price_options.get(confidence, [])) > 1 and options:
        chosen = max(options, key=lambda o: shown[o])
        if chosen != declared:
            found.best["price"] = (confidence, chosen)
        return
    rivals = {value for c, value in found.prices if c > _CONFIDENCE["dom"] and value != declared}
    if dom.price in rivals and shown.get(dom.price, -1e9) - shown.get(declared, -1e9) >= _DOM_PRICE_OVERRULES:
        # The markup disagrees with itself (a feed's starting bid, the tags' current bid): the
        # page shows one of the two far more prominently, and that one is the price.
        found.best["price"] = (confidence, dom.price)
        return
    if declared in shown or declared in dom.written_prices or dom.price is None or dom.price == declared:
        return
    if confidence < _CONFIDENCE["meta"]:
        # App state is read because the price is drawn by scripts: not being shown is expected.
        return
    if shown.get(dom.price, -1e9) >= _DOM_PRICE_OVERRULES:
        found.best["price"] = (confidence, dom.price)
        if dom.currency:
            found.best["currency"] = (confidence, dom.currency)


_DOM_PRICE_OVERRULES = 1.5

# A brand value that kept its label or its storefront link's words: "Marca: R.K.", "Marque :
# KONMAY", "Visit the X Store", "Besuchen Sie den X-Store", "Visiter la boutique X".
_BRAND_WRAPPERS = (
    re.compile(r"^(?:brand|marca|marque|marke|merk|märke|marka|бренд|品牌|ブランド|브랜드)\s*[:：]\s*(.+)$", re.I),
    re.compile(r"^visit the (.+?) store$", re.I),
    re.compile(r"^besuchen sie den (.+?)[- ]store$", re.I),
    re.compile(r"^visiter la boutique (?:de |d')?(.+)$", re.I),
    re.compile(r"^visita (?:lo store|la tienda|a loja) (?:di |de |da )?(.+)$", re.I),
    re.compile(r"^bezoek de (.+?)[- ]winkel$", re.I),
    re.compile(r"^(.+?)のストアを表示$"),
)
# Template placeholders a page shipped unrendered ("$metabrand", "{{ product.vendor }}").
_PLACEHOLDER = re.compile(r"^\$\w+$|\{\{|\}\}|^%\w+%$")


def _clean_brand(value: str | None) -> str | None:
    if not value:
        return None
    for pattern in _BRAND_WRAPPERS:
        match = pattern.match(value.strip())
        if match:
            value = match.group(1).strip()
            break
    if not value or _PLACEHOLDER.search(value):
        return None
    return value


_ID_QUERY_KEYS = ("sku", "pid", "productid", "product_id", "products_id", "itemid", "item_id", "item", "id")
_ID_TOKEN = re.compile(r"^(?=(?:\D*\d){5})[A-Za-z]?\d[\dA-Z]{3,19}$")


def _url_id(page_url: str) -> str | None:
    """The shop's product id as its URL spells it, when the page names none: a query value
    keyed as an id, else the last id-like token of the path ("/p/418295.htm",
    "/BabyBjorn_One-987929.html", "/M67296549.htm"). Shop URLs are built from the id."""
    try:
        parts = urlsplit(page_url)
    except ValueError:
        return None
    query = {k.lower(): v for k, _, v in (pair.partition("=") for pair in parts.query.split("&")) if v}
    for key in _ID_QUERY_KEYS:
        if key in query and _ID_TOKEN.match(query[key]):
            return query[key]
    segments = [s for s in parts.path.split("/") if s]
    for segment in reversed(segments[-2:]):
        stem = re.sub(r"\.(?:html?|php|aspx?|jsp)$", "", segment, flags=re.I)
        for token in reversed(re.split(r"[-_.,;+]", stem)):
            if _ID_TOKEN.match(token):
                return token
    return None


def _base_url(root: lxml.html.HtmlElement, page_url: str) -> str:
    """The page URL, or the page's own <base href> when it is absolute or resolvable."""
    base_element = root.find(".//base[@href]")
    if base_element is not None:
        resolved = absolute_url(base_element.get("href"), page_url)
        if resolved:
            return resolved
    return page_url if absolute_url(page_url, "") else ""


def _offer_fields(found: _Candidates, fields: dict[str, Any], source: str) -> None:
    confidence = _CONFIDENCE[source]
    if fields.get("mpn") is not None and fields.get("mpn") == fields.get("sku"):
        # The source copied its own id into both fields (see the same rule in _extract).
        fields = {k: v for k, v in fields.items() if k != "mpn"}
    price = fields.get("price")
    if isinstance(price, Decimal) and price == 0:
        # A zero price in markup is nearly always a placeholder: trust it only if nothing else.
        confidence_price = 0.05
    else:
        confidence_price = confidence
    for name, value in fields.items():
        if name == "images":
            found.offer_images(value, source)
        elif name == "price_options":
            found.price_options.setdefault(confidence_price, list(value))
        elif name == "price":
            found.offer("price", value, confidence_price)
        elif name == "currency":
            # The currency travels with the price it was written beside.
            found.offer("currency", value, confidence_price if price is not None else confidence - 0.3)
        else:
            found.offer(name, value, confidence)


def _offer_meta(found: _Candidates, meta: dict[str, str], base: str, host: str) -> None:
    price, currency = parse_price(meta.get("sale_price") or meta.get("price"), host=host)
    _offer_fields(found, {
        "price": price,
        "currency": normalize_currency(meta.get("currency"), host=host) or currency,
        "availability": normalize_availability(meta.get("availability")),
        "brand": clean_text(meta.get("brand"), MAX_LENGTHS["brand"]),
        "sku": clean_text(meta.get("sku"), MAX_LENGTHS["sku"]),
        "gtin": normalize_gtin(meta.get("gtin")),
        "mpn": clean_text(meta.get("mpn"), MAX_LENGTHS["mpn"]),
        "description": clean_text(meta.get("description"), MAX_LENGTHS["description"], multiline=True),
    }, "meta")
    # og:title usually carries the site name too: below the page's heading, above <title>.
    found.offer("title", clean_text(meta.get("title"), MAX_LENGTHS["title"]), _CONFIDENCE["dom"] + 0.1)
    image = absolute_url(meta.get("image"), base)
    if image:
        found.offer_images([image], "meta")


def _select(selector: Selector, queries: tuple[str, ...]) -> str | None:
    for query in queries:
        try:
            values = selector.css(query)
        except Exception:  # cssselect raises several types on selectors it cannot translate
            continue
        for value in values[:5]:
            raw = value.get()
            if "::" not in query:
                raw = " ".join(value.xpath(".//text()[not(ancestor::script) and not(ancestor::style)]").getall())
            text = clean_text(raw, MAX_LENGTHS["description"], multiline="::" not in query)
            if text:
                return text
    return None


def _platform_fields(
    root: lxml.html.HtmlElement, platform: Platform, page_url: str, base: str, host: str
) -> dict[str, Any]:
    selector = Selector(root=root, type="html")
    rules = platform.selectors
    out: dict[str, Any] = {}

    title = _select(selector, rules.get("title", ()))
    for prefix in platform.title_prefixes:
        if title and title.startswith(prefix):
            title = title[len(prefix):].strip()
    out["title"] = clean_text(title, MAX_LENGTHS["title"])

    price_text = _select(selector, rules.get("price", ()))
    price, currency = parse_price(price_text, host=host)
    if price is not None and price > 0:
        out["price"], out["currency"] = price, currency

    images = []
    for query in rules.get("images", ()):
        try:
            values = selector.css(query).getall()
        except Exception:
            continue
        for value in values[:3]:
            image = absolute_url(value, base)
            if image and not image.lower().endswith((".gif", ".svg")) and image not in images:
                images.append(image)
    out["images"] = images

    for name in ("sku", "mpn", "description", "ships_from"):
        out[name] = clean_text(_select(selector, rules.get(name, ())), MAX_LENGTHS[name])
    out["gtin"] = normalize_gtin(_select(selector, rules.get("gtin", ())))
    stock_text = _select(selector, rules.get("availability", ()))
    out["availability"] = normalize_availability(stock_text) or stock_from_text(stock_text)

    brand = _select(selector, rules.get("brand", ()))
    for pattern in platform.brand_patterns:
        match = pattern.match(brand or "")
        if match:
            brand = match.group(1)
            break
    out["brand"] = clean_text(brand, MAX_LENGTHS["brand"])

    listing_id = None
    for pattern in platform.listing_id_from_url:
        match = pattern.search(page_url)
        if match:
            listing_id = match.group(1)
            break
    out["listing_id"] = clean_text(listing_id or _select(selector, rules.get("listing_id", ())), MAX_LENGTHS["listing_id"])

    seller_url = absolute_url(_select(selector, rules.get("seller_url", ())), base)
    seller_id = None
    for pattern in platform.seller_id_from_url:
        match = pattern.search(seller_url or "")
        if match:
            seller_id = match.group(1)
            break
    seller_name = clean_text(_select(selector, rules.get("seller_name", ())), MAX_LENGTHS["seller_name"])
    if seller_name or seller_url:
        out["seller"] = {"name": seller_name, "id": clean_text(seller_id, MAX_LENGTHS["seller_id"]), "url": seller_url}
    return {k: v for k, v in out.items() if v not in (None, "", [], {})}


_MOUNT_POINT = re.compile(r"^(root|app|__next|__nuxt|main-app|react-root|svelte)$", re.I)


def looks_like_app_shell(html: str | bytes) -> bool:
    """True when a page is scripts around an empty mount point: its listing appears only after
    JavaScript runs, so the spider should fetch it again with a browser."""
    try:
        text = decode_html(html)
    except ExtractionInputError:
        return False
    root = parse_html(text)
    if json_ld_items(root):
        return False
    scripts = 0
    visible = 0
    mount_empty = False
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        parent = element.getparent()
        if parent is not None and parent.tag not in ("head", "html"):
            visible += len((element.tail or "").strip())
        if element.tag == "script":
            scripts += 1
            continue
        if element.tag in ("style", "noscript", "template", "title", "head", "meta", "link"):
            continue
        visible += len((element.text or "").strip())
        if _MOUNT_POINT.match(element.get("id") or "") and len(element) == 0 and not (element.text or "").strip():
            mount_empty = True
        if visible > 2_000:
            return False
    if scripts == 0:
        return False
    return visible < 200 or (mount_empty and visible < 1_000)
