"""Product data that storefront platforms embed as JSON inside scripts (Shopify's product
JSON and analytics `meta`, AliExpress `runParams`, Next.js `__NEXT_DATA__` as on Walmart, and
the price keys of client-side app state), read without running any script."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import lxml.html

from ._normalize import (
    MAX_LENGTHS,
    absolute_url,
    clean_text,
    normalize_availability,
    normalize_currency,
    normalize_gtin,
    parse_price,
)

__all__ = ["shopify_fields", "state_price", "state_image", "aliexpress_fields", "next_data_fields"]

_SHOPIFY_META = re.compile(r"var\s+meta\s*=\s*(?=\{\s*\"product\")")
_MAX_JSON_CHARS = 2_000_000


def _decode_at(text: str, start: int) -> Any:
    while start < len(text) and text[start].isspace():
        start += 1
    try:
        value, _ = json.JSONDecoder(strict=False).raw_decode(text[start: start + _MAX_JSON_CHARS])
    except (ValueError, RecursionError):
        return None
    return value


def _product_json(root: lxml.html.HtmlElement, text: str) -> dict[str, Any] | None:
    for script in root.iter("script"):
        script_id = script.get("id") or ""
        if script_id.startswith("ProductJson") or script.get("data-product-json") is not None:
            data = _decode_at(script.text or "", 0) if script.text else None
            if isinstance(data, dict):
                return data.get("product") if isinstance(data.get("product"), dict) else data
    match = _SHOPIFY_META.search(text)
    if match:
        data = _decode_at(text, match.end())
        if isinstance(data, dict) and isinstance(data.get("product"), dict):
            return data["product"]
    return None


def shopify_fields(root: lxml.html.HtmlElement, text: str, page_url: str) -> dict[str, Any]:
    """Fields from a Shopify store's embedded product JSON; prices there are in cents."""
    product = _product_json(root, text)
    if not product:
        return {}
    variants = [v for v in product.get("variants") or [] if isinstance(v, dict)][:500]
    wanted = parse_qs(urlsplit(page_url).query).get("variant", [None])[0] if page_url else None
    variant = next((v for v in variants if wanted and str(v.get("id")) == wanted), variants[0] if variants else {})
    out: dict[str, Any] = {
        "title": clean_text(product.get("title"), MAX_LENGTHS["title"]),
        "brand": clean_text(product.get("vendor"), MAX_LENGTHS["brand"]),
        "listing_id": clean_text(product.get("id"), MAX_LENGTHS["listing_id"]),
        "sku": clean_text(variant.get("sku"), MAX_LENGTHS["sku"]),
        "gtin": normalize_gtin(variant.get("barcode")),
    }
    price = variant.get("price", product.get("price"))
    if isinstance(price, int) and not isinstance(price, bool) and 0 < price < 10**12:
        out["price"] = Decimal(price) / 100
    elif isinstance(price, str) and re.fullmatch(r"\d{1,10}(\.\d{1,2})?", price):
        # The storefront `product.json` writes decimal strings, not cents.
        out["price"] = Decimal(price)
    available = variant.get("available", product.get("available"))
    if isinstance(available, bool):
        out["availability"] = "InStock" if available else "OutOfStock"
    images = []
    for image in [variant.get("featured_image"), product.get("featured_image"), *(product.get("images") or [])[:20]]:
        url = absolute_url(image.get("src") if isinstance(image, dict) else image, page_url)
        if url and url not in images:
            images.append(url)
    out["images"] = images
    return {k: v for k, v in out.items() if v not in (None, "", [])}


# App state that client-side shops ship in a script: the key says which price is current.
_STATE_PRICE = re.compile(
    r'"(?:salePrice|currentPrice|currentMinPrice|localizedCurrentPrice|finalPrice|nowPrice|sellingPrice|'
    r'offerPrice|specialPrice|price_now|priceNow)"\s*:\s*'
    r'(?:\{[^{}]{0,120}?"(?:price|value|amount)"\s*:\s*)?("[^"\\]{1,30}"|\d{1,9}(?:\.\d{1,4})?)'
)
_MAX_STATE_SCRIPTS_CHARS = 6_000_000


def _scripts(root: lxml.html.HtmlElement) -> Iterator[lxml.html.HtmlElement]:
    total = 0
    for script in root.iter("script"):
        kind = (script.get("type") or "").lower()
        if "ld+json" in kind or not script.text:
            continue
        total += len(script.text)
        if total > _MAX_STATE_SCRIPTS_CHARS:
            return
        yield script


def state_price(root: lxml.html.HtmlElement, *, host: str = "") -> tuple[Decimal | None, str | None]:
    """The first current-price key of a script's app state ("salePrice": 39.99), if any."""
    for script in _scripts(root):
        for match in _STATE_PRICE.finditer(script.text or ""):
            amount, currency = parse_price(match.group(1).strip('"'), host=host)
            if amount is not None and amount > 0:
                return amount, currency
    return None, None


_STATE_IMAGE = re.compile(
    r'"(?:largeImagePath|mainImage|mainImageUrl|primaryImage|primaryImageUrl|heroImage|heroImageUrl|'
    r'productImage|productImageUrl|mainImagePath|imageLarge|largeImage)"\s*:\s*'
    r'(?:\{[^{}]{0,200}?"(?:url|src|large|path)"\s*:\s*)?"([^"\\]{4,400})"'
)


# Keys that name the image of the variant shown now: they beat the first colour's image.
_STATE_CURRENT_IMAGE = re.compile(
    r'"(?:current|selected|active)\w{0,20}(?:Image|ImageUrl|ImagePath)"\s*:\s*"([^"\\]{4,400})"', re.I)


def state_image(root: lxml.html.HtmlElement, page_url: str) -> str | None:
    """The main image a script's app state names: the current variant's when a key says so
    ("currentColorMainImage"), else the first main-image key ("largeImagePath")."""
    for pattern in (_STATE_CURRENT_IMAGE, _STATE_IMAGE):
        for script in _scripts(root):
            for match in pattern.finditer(script.text or ""):
                url = absolute_url(match.group(1).replace("\\/", "/"), page_url)
                if url and re.search(r"\.(jpe?g|png|webp|avif)(\?|$)|/is/image/", url, re.I):
                    return url
    return None


def _assigned_json(text: str, name: str) -> Any:
    """The object literal assigned to `name` in a script ("window.runParams = {...}")."""
    match = re.search(re.escape(name) + r"\s*=\s*(?=\{)", text)
    return _decode_at(text, match.end()) if match else None


def _dig(value: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def aliexpress_fields(root: lxml.html.HtmlElement, page_url: str, *, host: str = "") -> dict[str, Any]:
    """Fields from AliExpress's `window.runParams = {data: {...Module}}` (the item page's state)."""
    for script in _scripts(root):
        if "runParams" not in (script.text or ""):
            continue
        params = _assigned_json(script.text or "", "runParams")
        data = params.get("data") if isinstance(params, dict) else None
        if not isinstance(data, dict):
            continue
        price_module = data.get("priceModule") if isinstance(data.get("priceModule"), dict) else {}
        amount = currency = None
        for key in ("minActivityAmount", "minAmount"):
            money = price_module.get(key)
            if isinstance(money, dict):
                amount, currency = parse_price(money.get("value"), host=host)
                currency = normalize_currency(money.get("currency"), host=host) or currency
                if amount:
                    break
        if not amount:
            for key in ("formatedActivityPrice", "formatedPrice"):
                amount, currency = parse_price(price_module.get(key), host=host)
                if amount:
                    break
        store = data.get("storeModule") if isinstance(data.get("storeModule"), dict) else {}
        images = [absolute_url(u, page_url) for u in (_dig(data, "imageModule", "imagePathList") or [])[:20]
                  if isinstance(u, str)]
        out: dict[str, Any] = {
            "title": clean_text(_dig(data, "titleModule", "subject"), MAX_LENGTHS["title"]),
            "price": amount if amount else None,
            "currency": currency,
            "images": [u for u in images if u],
            "listing_id": clean_text(_dig(data, "actionModule", "productId") or _dig(data, "commonModule", "productId"),
                                     MAX_LENGTHS["listing_id"]),
        }
        name, number, url = store.get("storeName"), store.get("storeNum"), store.get("storeURL")
        if name or number or url:
            out["seller"] = {"name": clean_text(name, MAX_LENGTHS["seller_name"]),
                             "id": clean_text(number, MAX_LENGTHS["seller_id"]),
                             "url": absolute_url(url, page_url)}
        stock = _dig(data, "quantityModule", "totalAvailQuantity")
        if isinstance(stock, int) and not isinstance(stock, bool):
            out["availability"] = "InStock" if stock > 0 else "OutOfStock"
        return {k: v for k, v in out.items() if v not in (None, "", [], {})}
    return {}


def next_data_fields(root: lxml.html.HtmlElement, page_url: str, *, host: str = "") -> dict[str, Any]:
    """Fields from a Next.js page's `__NEXT_DATA__` product (Walmart's item page:
    props.pageProps.initialData.data.product, priceInfo.currentPrice, imageInfo.allImages)."""
    script = next((s for s in root.iter("script") if s.get("id") == "__NEXT_DATA__"), None)
    if script is None or not script.text or len(script.text) > _MAX_JSON_CHARS:
        return {}
    data = _decode_at(script.text, 0)
    product = _dig(data, "props", "pageProps", "initialData", "data", "product")
    if not isinstance(product, dict):
        return {}
    current = _dig(product, "priceInfo", "currentPrice")
    amount, currency = parse_price(current.get("price") if isinstance(current, dict) else None, host=host)
    if isinstance(current, dict):
        currency = normalize_currency(current.get("currencyUnit"), host=host) or currency
    images = []
    for image in (_dig(product, "imageInfo", "allImages") or [])[:20]:
        url = absolute_url(image.get("url") if isinstance(image, dict) else image, page_url)
        if url and url not in images:
            images.append(url)
    thumbnail = absolute_url(_dig(product, "imageInfo", "thumbnailUrl"), page_url)
    if not images and thumbnail:
        images.append(thumbnail)
    status = product.get("availabilityStatus")
    out: dict[str, Any] = {
        "title": clean_text(product.get("name"), MAX_LENGTHS["title"]),
        "brand": clean_text(product.get("brand"), MAX_LENGTHS["brand"]),
        "price": amount if amount else None,
        "currency": currency,
        "images": images,
        "listing_id": clean_text(product.get("usItemId") or product.get("id"), MAX_LENGTHS["listing_id"]),
        "availability": normalize_availability(status.replace("_", " ") if isinstance(status, str) else None),
        "gtin": normalize_gtin(product.get("upc")),
    }
    if product.get("sellerName") or product.get("sellerId"):
        out["seller"] = {"name": clean_text(product.get("sellerName"), MAX_LENGTHS["seller_name"]),
                         "id": clean_text(product.get("sellerId"), MAX_LENGTHS["seller_id"]), "url": None}
    return {k: v for k, v in out.items() if v not in (None, "", [], {})}
