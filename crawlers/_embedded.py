"""Product data that storefront platforms embed as JSON inside scripts (Shopify's product
JSON and analytics `meta`), read without running any script."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import lxml.html

from ._normalize import MAX_LENGTHS, absolute_url, clean_text, normalize_gtin

__all__ = ["shopify_fields"]

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
