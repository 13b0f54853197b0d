"""Structured data embedded in a page (JSON-LD, microdata, RDFa, OpenGraph and product meta
tags) read into one shape, and the schema.org Product reader shared by all of them."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import lxml.html

from ._document import bounded_text
from ._normalize import (
    MAX_LENGTHS,
    absolute_url,
    clean_text,
    first,
    normalize_availability,
    normalize_currency,
    normalize_gtin,
    parse_price,
)

__all__ = ["json_ld_items", "microdata_items", "rdfa_items", "meta_fields", "product_fields", "pick_product"]

_MAX_SCRIPT_CHARS = 3_000_000
_MAX_NODES = 20_000
_MAX_DEPTH = 40
_PRODUCT_TYPES = frozenset({
    "product", "productgroup", "productmodel", "individualproduct", "somproducts", "book",
    "vehicle", "car", "motorcycle", "creativework", "dietarysupplement", "drug",
})
# A CreativeWork is a product only when it carries an offer (books, prints, software).
_WEAK_PRODUCT_TYPES = frozenset({"creativework"})


def type_names(node: dict[str, Any]) -> set[str]:
    """Lower-cased local names of a node's @type ("http://schema.org/Product" -> "product")."""
    raw = node.get("@type")
    names = raw if isinstance(raw, list) else [raw]
    out = set()
    for name in names:
        if isinstance(name, str) and name:
            out.add(re.split(r"[/#:]", name.strip())[-1].lower())
    return out


# ---------------------------------------------------------------- JSON-LD

_JS_LINE_COMMENT = re.compile(r"(?m)^\s*//.*$")
_JS_BLOCK_COMMENT = re.compile(r"/\*.*?\*/", re.S)
_TRAILING_COMMA = re.compile(r",\s*([\]}])")


def _loads_lenient(text: str) -> Any:
    text = text.strip()
    if text.startswith("<!--"):
        text = text[4:]
    if text.endswith("-->"):
        text = text[:-3]
    text = text.replace("<![CDATA[", "").replace("]]>", "").strip().rstrip(";")
    if not text:
        return None
    try:
        return json.loads(text, strict=False)
    except ValueError:
        pass
    repaired = _TRAILING_COMMA.sub(r"\1", _JS_BLOCK_COMMENT.sub("", _JS_LINE_COMMENT.sub("", text)))
    try:
        return json.loads(repaired, strict=False)
    except ValueError:
        pass
    # Several objects pasted into one script, or junk after the first: keep what parses.
    decoder = json.JSONDecoder(strict=False)
    values, index = [], 0
    while index < len(repaired) and len(values) < 50:
        start = min((i for i in (repaired.find("{", index), repaired.find("[", index)) if i >= 0), default=-1)
        if start < 0:
            break
        try:
            value, index = decoder.raw_decode(repaired, start)
            values.append(value)
        except ValueError:
            index = start + 1
    return values or None


def json_ld_items(root: lxml.html.HtmlElement) -> list[dict[str, Any]]:
    """Every JSON-LD node in document order, @graph and arrays flattened one level."""
    items: list[dict[str, Any]] = []
    for script in root.iter("script"):
        kind = (script.get("type") or "").lower()
        if "ld+json" not in kind:
            continue
        text = script.text or ""
        if len(text) > _MAX_SCRIPT_CHARS:
            continue
        try:
            data = _loads_lenient(text)
        except RecursionError:
            continue
        stack = [data]
        while stack and len(items) < _MAX_NODES:
            value = stack.pop(0)
            if isinstance(value, list):
                stack[:0] = value
            elif isinstance(value, dict):
                graph = value.get("@graph")
                if isinstance(graph, (list, dict)):
                    stack[:0] = graph if isinstance(graph, list) else [graph]
                    rest = {k: v for k, v in value.items() if k not in ("@graph", "@context")}
                    if rest.get("@type"):
                        items.append(rest)
                else:
                    items.append(value)
    return items


# ---------------------------------------------------------------- microdata and RDFa

def _element_value(element: lxml.html.HtmlElement, base: str, vocab_attr: str) -> Any:
    if element.get("content") is not None:
        return element.get("content")
    tag = element.tag if isinstance(element.tag, str) else ""
    for attrs in (
        ("src", "data-src") if tag in ("img", "audio", "embed", "iframe", "source", "track", "video") else (),
        ("href",) if tag in ("a", "area", "link") else (),
        ("data",) if tag == "object" else (),
        ("value",) if tag in ("data", "meter", "input") else (),
        ("datetime",) if tag == "time" else (),
        ("resource",) if vocab_attr == "property" else (),
    ):
        for attr in attrs:
            if element.get(attr):
                return element.get(attr)
    return bounded_text(element, MAX_LENGTHS["description"] * 2)


def _local_name(prop: str) -> str:
    return re.split(r"[/#:]", prop.strip())[-1]


def _scoped_items(
    root: lxml.html.HtmlElement, base: str, *, scope_attr: str, type_attr: str, prop_attr: str
) -> list[dict[str, Any]]:
    """Items marked by `scope_attr`, properties by `prop_attr`: microdata and RDFa Lite alike."""
    # Keyed by the element itself: holding the proxy keeps lxml from handing out a new one.
    built: dict[lxml.html.HtmlElement, dict[str, Any]] = {}
    top: list[dict[str, Any]] = []
    count = 0

    def owner_of(element: lxml.html.HtmlElement) -> dict[str, Any] | None:
        parent = element.getparent()
        depth = 0
        while parent is not None and depth < 400:
            if parent.get(scope_attr) is not None:
                return built.get(parent)
            parent = parent.getparent()
            depth += 1
        return None

    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        is_scope = element.get(scope_attr) is not None
        props = (element.get(prop_attr) or "").split()
        if not is_scope and not props:
            continue
        count += 1
        if count > _MAX_NODES:
            break
        item: dict[str, Any] | None = None
        if is_scope:
            item = {"@type": [t for t in (element.get(type_attr) or "").split()]}
            if element.get("itemid") or element.get("resource"):
                item["@id"] = element.get("itemid") or element.get("resource")
            built[element] = item
        if props:
            owner = owner_of(element)
            value = item if item is not None else _element_value(element, base, prop_attr)
            if owner is not None:
                for prop in props:
                    owner.setdefault(_local_name(prop), []).append(value)
            elif item is not None:
                top.append(item)
        elif item is not None:
            owner = owner_of(element)
            if owner is None:
                top.append(item)
    # Items nested without a property (loose markup) still count as top-level candidates.
    return top


def microdata_items(root: lxml.html.HtmlElement, base: str) -> list[dict[str, Any]]:
    return _scoped_items(root, base, scope_attr="itemscope", type_attr="itemtype", prop_attr="itemprop")


def rdfa_items(root: lxml.html.HtmlElement, base: str) -> list[dict[str, Any]]:
    return _scoped_items(root, base, scope_attr="typeof", type_attr="typeof", prop_attr="property")


# ---------------------------------------------------------------- OpenGraph and product meta tags

_META_FIELDS: dict[str, str] = {
    "og:title": "title",
    "twitter:title": "title",
    "og:image": "image",
    "og:image:url": "image",
    "og:image:secure_url": "image",
    "twitter:image": "image",
    "twitter:image:src": "image",
    "og:description": "description",
    "description": "description",
    "product:price:amount": "price",
    "og:price:amount": "price",
    "og:price": "price",
    "product:sale_price:amount": "sale_price",
    "product:price:currency": "currency",
    "og:price:currency": "currency",
    "product:availability": "availability",
    "og:availability": "availability",
    "product:brand": "brand",
    "og:brand": "brand",
    "product:retailer_item_id": "sku",
    "product:upc": "gtin",
    "product:ean": "gtin",
    "product:isbn": "gtin",
    "product:gtin": "gtin",
    "product:mfr_part_no": "mpn",
    "og:url": "url",
    "og:type": "og_type",
    "og:site_name": "site_name",
}


def meta_fields(root: lxml.html.HtmlElement) -> dict[str, str]:
    """First value of each product-relevant <meta> tag, keyed by our field names."""
    out: dict[str, str] = {}
    head_seen = 0
    for meta in root.iter("meta"):
        head_seen += 1
        if head_seen > 5_000:
            break
        key = (meta.get("property") or meta.get("name") or "").strip().lower()
        field = _META_FIELDS.get(key)
        content = meta.get("content")
        if field and content and field not in out:
            out[field] = content
    return out


# ---------------------------------------------------------------- schema.org Product

def _walk(value: Any, depth: int = 0) -> Iterator[tuple[dict[str, Any], int]]:
    """Dict nodes under `value`, not descending into products (their parts are read directly)."""
    if depth > _MAX_DEPTH:
        return
    if isinstance(value, list):
        for item in value[:500]:
            yield from _walk(item, depth + 1)
    elif isinstance(value, dict):
        yield value, depth
        if type_names(value) & _PRODUCT_TYPES:
            return
        for key, item in value.items():
            if isinstance(item, (dict, list)) and key not in ("@context",):
                yield from _walk(item, depth + 1)


def _is_product(node: dict[str, Any]) -> bool:
    names = type_names(node)
    if not names & _PRODUCT_TYPES:
        return False
    if names <= _WEAK_PRODUCT_TYPES:
        return bool(node.get("offers"))
    return True


def pick_product(items: list[dict[str, Any]], page_url: str) -> dict[str, Any] | None:
    """The page's own product among structured items: its URL, an offer, then document order."""
    page = _url_key(page_url)
    best: tuple[float, dict[str, Any]] | None = None
    seen = 0
    for item in items:
        for node, depth in _walk(item):
            seen += 1
            if seen > _MAX_NODES:
                break
            if not _is_product(node):
                continue
            score = -0.01 * seen - 0.5 * depth
            if node.get("offers") or node.get("hasVariant"):
                score += 2
            if node.get("name"):
                score += 1
            if node.get("image"):
                score += 0.5
            if page and page in {_url_key(first(node.get("url"))), _url_key(node.get("@id"))}:
                score += 3
            if best is None or score > best[0]:
                best = (score, node)
    return best[1] if best else None


def _url_key(value: Any) -> str:
    if not isinstance(value, str) or not value:
        return ""
    try:
        parts = urlsplit(value.strip())
    except ValueError:
        return ""
    return (parts.netloc.lower().removeprefix("www.") + parts.path.rstrip("/")) if parts.netloc else ""


def _offers(node: dict[str, Any]) -> list[dict[str, Any]]:
    raw = node.get("offers")
    raw = raw if isinstance(raw, list) else [raw]
    out: list[dict[str, Any]] = []
    for offer in raw[:200]:
        if not isinstance(offer, dict):
            continue
        inner = offer.get("offers")
        if "aggregateoffer" in type_names(offer) and inner:
            nested = [o for o in (inner if isinstance(inner, list) else [inner]) if isinstance(o, dict)]
            out.extend(nested[:200])
        out.append(offer)
    return out


def _key(node: dict[str, Any], name: str) -> Any:
    """node[name], else the key spelled in another case ("lowprice", "Price"): hand-written
    JSON-LD is loose about case."""
    if name in node:
        return node[name]
    lower = name.lower()
    return next((value for key, value in list(node.items())[:100] if key.lower() == lower), None)


_PRICE_KEYS = ("@value", "value", "price", "amount", "decimalPrice")
_CURRENT_KEY = re.compile(r"sale|current|final|now", re.I)
_FORMER_KEY = re.compile(r"list|original|regular|was|old|strike|msrp", re.I)


def _price_value(raw: Any, depth: int = 0) -> Any:
    """A price where a shop nests it in an object of its own ({"sales": {"value": 3499},
    "list": null}): the current amount, never the list price."""
    if not isinstance(raw, dict) or depth > 2 or any(raw.get(k) not in (None, "") for k in _PRICE_KEYS):
        return raw
    nested = [(k, v) for k, v in list(raw.items())[:20] if isinstance(v, dict) and not _FORMER_KEY.search(k)]
    nested.sort(key=lambda pair: not _CURRENT_KEY.search(pair[0]))
    return _price_value(nested[0][1], depth + 1) if nested else raw


def _offer_price(offer: dict[str, Any], host: str) -> tuple[Any, Any]:
    price, currency = parse_price(_price_value(_key(offer, "price")), host=host)
    if price is None:
        price, currency = parse_price(_price_value(_key(offer, "lowPrice")), host=host)
    spec = first(offer.get("priceSpecification"))
    if price is None and isinstance(spec, dict):
        price, currency = parse_price(spec.get("price"), host=host)
        currency = normalize_currency(spec.get("priceCurrency"), host=host) or currency
    currency = normalize_currency(offer.get("priceCurrency"), host=host) or currency
    return price, currency


def _pick_variant(node: dict[str, Any], page_url: str) -> dict[str, Any] | None:
    variants = [v for v in (node.get("hasVariant") or []) if isinstance(v, dict)] if isinstance(
        node.get("hasVariant"), list) else [node.get("hasVariant")] if isinstance(node.get("hasVariant"), dict) else []
    if not variants:
        return None
    query = urlsplit(page_url).query if page_url else ""
    wanted = dict(pair.split("=", 1) for pair in query.split("&") if "=" in pair).get("variant")
    for variant in variants:
        ids = {str(first(variant.get(k)) or "") for k in ("sku", "productID", "@id", "url")}
        if wanted and any(i.endswith(wanted) for i in ids if i):
            return variant
        if page_url and _url_key(page_url) and _url_key(first(variant.get("url"))) == _url_key(page_url) and (
            not query or query in str(first(variant.get("url")))
        ):
            return variant
    return variants[0]


def product_fields(node: dict[str, Any], base: str, host: str) -> dict[str, Any]:
    """Our fields from one schema.org Product (or ProductGroup, Book, ...) node."""
    variant = _pick_variant(node, base)
    group = node.get("isVariantOf") if isinstance(node.get("isVariantOf"), dict) else None

    def get(key: str) -> Any:
        for source in (node, variant, group):
            if isinstance(source, dict) and first(source.get(key)) not in (None, ""):
                return source.get(key)
        return None

    out: dict[str, Any] = {}
    out["title"] = clean_text(get("name"), MAX_LENGTHS["title"])
    out["description"] = clean_text(get("description"), MAX_LENGTHS["description"], multiline=True)
    brand = first(get("brand")) or first(get("manufacturer"))
    out["brand"] = clean_text(brand.get("name") if isinstance(brand, dict) else brand, MAX_LENGTHS["brand"])
    out["sku"] = clean_text(get("sku"), MAX_LENGTHS["sku"])
    out["mpn"] = clean_text(get("mpn"), MAX_LENGTHS["mpn"])
    for key in ("gtin13", "gtin12", "gtin14", "gtin8", "gtin", "isbn", "productID"):
        gtin = normalize_gtin(get(key))
        if gtin:
            out["gtin"] = gtin
            break
    pid = first(get("productID"))
    out["listing_id"] = clean_text(pid if pid and not normalize_gtin(pid) else get("sku"), MAX_LENGTHS["listing_id"])

    images: list[str] = []
    for source in (variant, node, group):
        raw = source.get("image") if isinstance(source, dict) else None
        urls = [u for u in (absolute_url(image, base) for image in (raw if isinstance(raw, list) else [raw])[:50]) if u]
        if len(urls) >= 3 and urls[0] in urls[2:]:
            # A looping carousel marked up slide by slide opens with a clone of its last
            # slide (and ends with one of its first): the real first slide is the second.
            urls = urls[1:] + urls[:1]
        for url in urls:
            if url not in images:
                images.append(url)
    out["images"] = images

    offers = _offers(variant) if variant and variant.get("offers") else []
    offers += _offers(node)
    chosen: dict[str, Any] | None = None
    for offer in offers:
        price, currency = _offer_price(offer, host)
        if price is None:
            continue
        if chosen is None or (
            normalize_availability(offer.get("availability")) == "InStock"
            and chosen.get("availability") != "InStock"
        ):
            chosen = {"price": price, "currency": currency, "offer": offer,
                      "availability": normalize_availability(offer.get("availability"))}
    # Every price the offers name, so the page can say which one it shows (one offer per size).
    options: list[Any] = []
    for offer in offers[:200]:
        raw_prices = offer.get("price")
        for raw_price in (raw_prices if isinstance(raw_prices, list) else [raw_prices])[:20]:
            amount, _ = parse_price(raw_price, host=host)
            if amount is not None and amount > 0 and amount not in options:
                options.append(amount)
    out["price_options"] = options
    if chosen:
        out["price"], out["currency"] = chosen["price"], chosen["currency"]
        offer = chosen["offer"]
    else:
        offer = offers[0] if offers else {}
    out["availability"] = normalize_availability(offer.get("availability")) or next(
        (a for a in (normalize_availability(o.get("availability")) for o in offers) if a), None)
    if not out.get("currency"):
        out["currency"] = next((c for c in (normalize_currency(o.get("priceCurrency"), host=host) for o in offers) if c), None)

    seller = first(offer.get("seller")) or first(get("seller"))
    if isinstance(seller, dict):
        out["seller"] = {
            "name": clean_text(seller.get("name"), MAX_LENGTHS["seller_name"]),
            "id": clean_text(seller.get("@id") or seller.get("identifier"), MAX_LENGTHS["seller_id"]),
            "url": absolute_url(seller.get("url"), base),
        }
    elif isinstance(seller, str):
        out["seller"] = {"name": clean_text(seller, MAX_LENGTHS["seller_name"]), "id": None, "url": None}

    shipping = first(offer.get("shippingDetails"))
    origin = first(shipping.get("shippingOrigin")) if isinstance(shipping, dict) else None
    if isinstance(origin, dict):
        out["ships_from"] = clean_text(origin.get("addressCountry") or origin.get("name"), MAX_LENGTHS["ships_from"])
    return {k: v for k, v in out.items() if v not in (None, "", [], {})}
