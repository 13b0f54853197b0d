"""Where each marketplace puts a listing's fields, as data: host pattern -> CSS selectors per
field (parsel syntax, `::text` / `::attr(name)`), plus URL patterns for the platform's own id.
To add a platform, add one `Platform(...)` entry; earlier selectors win."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import lxml.html

__all__ = ["Platform", "PLATFORMS", "amazon_merchant", "platforms_for"]


@dataclass(frozen=True, slots=True)
class Platform:
    name: str
    # Matched against the lower-cased host; None means "recognised by page markers only".
    host: re.Pattern[str] | None
    # field -> selectors tried in order. Fields: title, price, currency, availability, sku, gtin,
    # mpn, brand, images, seller_name, seller_url, seller_id, description, ships_from, listing_id.
    selectors: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Regexes over the page URL whose first group is the platform's listing id.
    listing_id_from_url: tuple[re.Pattern[str], ...] = ()
    # Regexes over the seller URL whose first group is the seller's id.
    seller_id_from_url: tuple[re.Pattern[str], ...] = ()
    # Substrings of the HTML that identify the platform when the host does not (own domains).
    markers: tuple[str, ...] = ()
    # Text removed from the title ("Details about  ..." on eBay).
    title_prefixes: tuple[str, ...] = ()
    brand_patterns: tuple[re.Pattern[str], ...] = ()


def _re(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.I)


PLATFORMS: tuple[Platform, ...] = (
    Platform(
        name="amazon",
        host=_re(r"(^|\.)amazon\.[a-z.]+$"),
        selectors={
            "title": ("#productTitle::text", "#title span::text", "#btAsinTitle::text"),
            "price": (
                "#priceblock_ourprice::text", "#priceblock_dealprice::text", "#priceblock_saleprice::text",
                "#corePrice_feature_div .a-offscreen::text", "#corePriceDisplay_desktop_feature_div .a-offscreen::text",
                "#apex_desktop .a-price .a-offscreen::text", "#price_inside_buybox::text", "#newBuyBoxPrice::text",
                "#buybox .a-color-price::text",
                # No buy box: the lowest of the other sellers' offers ("New & used from ...").
                "#olp-upd-new-used .a-color-price::text", "#olp_feature_div .a-color-price::text",
            ),
            "images": (
                "#landingImage::attr(src)", "#landingImage::attr(data-old-hires)", "#imgBlkFront::attr(src)",
                "#ebooksImgBlkFront::attr(src)", "#main-image::attr(src)",
            ),
            "listing_id": ("#ASIN::attr(value)", "input[name='ASIN']::attr(value)"),
            "brand": ("#bylineInfo::text", "#brand::text"),
            "availability": ("#availability span::text", "#availability::text"),
            "seller_name": ("#sellerProfileTriggerId::text", "#merchant-info a::text"),
            "seller_url": ("#sellerProfileTriggerId::attr(href)", "#merchant-info a::attr(href)"),
            "ships_from": (
                "#tabular-buybox [tabular-attribute-name='Ships from'] .tabular-buybox-text span::text",
            ),
            "description": ("#productDescription", "#feature-bullets"),
        },
        listing_id_from_url=(_re(r"/(?:dp|gp/product|gp/aw/d|ASIN)/([A-Z0-9]{10})(?:[/?]|$)"),),
        seller_id_from_url=(_re(r"[?&](?:seller|me)=([A-Z0-9]+)"),),
        brand_patterns=(_re(r"^(?:brand:\s*)?(?:visit the\s+)?(.+?)(?:\s+store)?$"),),
    ),
    Platform(
        name="ebay",
        host=_re(r"(^|\.)ebay\.[a-z.]+$"),
        selectors={
            "title": ("#itemTitle::text", "h1.x-item-title__mainTitle span::text", "h1[itemprop='name']::text"),
            "price": (
                "#prcIsum::text", "#mm-saleDscPrc::text", "#prcIsum_bidPrice::text",
                ".x-price-primary span::text", ".x-bin-price__content span::text",
            ),
            "images": ("#icImg::attr(src)", ".ux-image-carousel-item.active img::attr(src)",
                       ".ux-image-carousel-item img::attr(data-zoom-src)"),
            "listing_id": ("#descItemNumber::text",),
            "availability": ("#qtySubTxt", ".d-quantity__availability", "#w1-19-_msg", ".vi-qty-pur-lnk"),
            "seller_name": (".mbg-nw::text", ".x-sellercard-atf__info__about-seller a span::text"),
            "seller_url": (".mbg a::attr(href)", ".x-sellercard-atf__info__about-seller a::attr(href)"),
            "ships_from": ("[itemprop='availableAtOrFrom']::text", ".ux-labels-values--itemLocation .ux-textspans::text"),
        },
        listing_id_from_url=(_re(r"/itm/(?:[^/?#]+/)?(\d{9,15})(?:[/?#]|$)"), _re(r"[?&]item=(\d{9,15})")),
        seller_id_from_url=(_re(r"/usr/([^/?#]+)"), _re(r"/str/([^/?#]+)")),
        title_prefixes=("Details about",),
    ),
    Platform(
        name="aliexpress",
        host=_re(r"(^|\.)aliexpress\.(com|us|ru)$"),
        selectors={
            "title": (".product-title-text::text", "h1[data-pl='product-title']::text", "h1::text"),
            "price": (".product-price-value::text", ".uniform-banner-box-price::text",
                      "[class*='price--currentPriceText']::text", "[class*='price--current'] span::text"),
            "images": (".magnifier-image::attr(src)", "[class*='magnifier--image']::attr(src)",
                       ".image-view-magnifier-wrap img::attr(src)"),
            "seller_name": (".shop-name a::text", "[class*='store-header--storeName']::text"),
            "seller_url": (".shop-name a::attr(href)", "[class*='store-header--storeName']::attr(href)"),
        },
        listing_id_from_url=(_re(r"/item/(?:[^/]+/)?(\d{6,20})\.html"),),
        seller_id_from_url=(_re(r"/store/(\d+)"),),
    ),
    Platform(
        name="etsy",
        host=_re(r"(^|\.)etsy\.com$"),
        selectors={
            "title": ("h1[data-buy-box-listing-title]::text", "#listing-page-cart h1::text", "h1[itemprop='name']::text"),
            "price": ("[data-buy-box-region='price'] p.wt-text-title-larger::text",
                      "[data-buy-box-region='price'] p::text", "#listing-price .currency-value::text",
                      "#listing-price::text",
                      "span.currency-value::text"),
            "images": ("ul.carousel-pane-list img::attr(src)", "img[data-index='0']::attr(src)",
                       "#image-main img::attr(src)"),
            "seller_name": ("[data-shop-name]::attr(data-shop-name)", "#shop-info a span::text",
                            "a[href*='/shop/'] span::text"),
            "seller_url": ("a[href*='/shop/']::attr(href)",),
        },
        listing_id_from_url=(_re(r"/listing/(\d+)"),),
        seller_id_from_url=(_re(r"/shop/([^/?#]+)"),),
    ),
    Platform(
        name="walmart",
        host=_re(r"(^|\.)walmart\.(com|ca)$"),
        selectors={
            "title": ("h1.prod-ProductTitle::text", "h1[itemprop='name']::text", "h1#main-title::text"),
            "price": (".prod-PriceHero .price-characteristic::attr(content)", "[itemprop='price']::attr(content)",
                      ".prod-PriceHero .visuallyhidden::text", "span[itemprop='price']::text"),
            "images": (".prod-hero-image img::attr(src)", "img.prod-hero-image-image::attr(src)",
                       "[data-testid='hero-image-container'] img::attr(src)"),
            "seller_name": ("a.seller-name::text", "[data-testid='product-seller-info'] a::text"),
            "seller_url": ("a.seller-name::attr(href)",),
        },
        listing_id_from_url=(_re(r"/ip/(?:[^/?#]+/)?(\d{5,15})(?:[/?#]|$)"),),
        seller_id_from_url=(_re(r"/seller/(\d+)"),),
    ),
    Platform(
        name="dhgate",
        host=_re(r"(^|\.)dhgate\.com$"),
        selectors={
            "title": ("h1::text",),
            "price": ("#js-shipto-price::text", ".js-price::text", "#proPrice::text", ".price-range::text"),
            "images": (".bimg-inner img::attr(src)", "#bigpic img::attr(src)", ".masterMap img::attr(src)"),
            "seller_name": (".store-name a::text", ".storeName a::text"),
            "seller_url": (".store-name a::attr(href)", ".storeName a::attr(href)"),
        },
        listing_id_from_url=(_re(r"/product/[^/]+/(\d+)\.html"),),
        seller_id_from_url=(_re(r"/store/(\d+)"),),
    ),
    Platform(
        name="lightinthebox",
        host=_re(r"(^|\.)lightinthebox\.com$"),
        selectors={
            "title": ("h1::text",),
            "price": ("#sale-price::text", ".sale-price::text", "strong.sale-price::text"),
            "images": (".viewport img::attr(src)", "#main-image::attr(src)"),
        },
        listing_id_from_url=(_re(r"_p(\d+)\.html"),),
    ),
    Platform(
        name="target",
        host=_re(r"(^|\.)target\.com$"),
        selectors={
            "title": ("h1[data-test='product-title'] span::text", "h1[data-test='product-title']::text"),
            "price": ("[data-test='product-price']::text",),
            "images": ("[data-test='image-gallery-item-0'] img::attr(src)",),
        },
        listing_id_from_url=(_re(r"/-/A-(\d+)"),),
    ),
    Platform(
        name="newegg",
        host=_re(r"(^|\.)newegg\.(com|ca)$"),
        selectors={
            "title": ("h1#grpDescrip_h span::text", "h1.product-title::text"),
            "price": (".product-price .price-current::text", "li.price-current::text"),
            "images": ("#synopsis .mainSlide img::attr(src)", ".product-view-img-original::attr(src)"),
        },
        listing_id_from_url=(_re(r"[?&]Item=([A-Z0-9]+)"), _re(r"/p/([A-Z0-9-]+)")),
    ),
    Platform(
        name="rakuten",
        host=_re(r"(^|\.)rakuten\.(com|co\.jp|fr|de)$"),
        selectors={
            "seller_name": (".seller-name a::text", "a[href*='/shop/'] b::text"),
            "seller_url": (".seller-name a::attr(href)",),
        },
        seller_id_from_url=(_re(r"/shop/([^/?#]+)"),),
    ),
    Platform(
        name="shopify",
        host=None,
        selectors={
            "title": ("h1.product-single__title::text", "h1.product__title::text", "h1.product_title::text",
                      ".product__title h1::text"),
            "price": (".product-single__price::text", ".price-item--sale::text", ".product__price::text",
                      "#ProductPrice::text", "[data-product-price]::text"),
            "images": (".product-single__photo img::attr(src)", ".product-featured-img::attr(src)",
                       ".product__media img::attr(src)", "#ProductPhotoImg::attr(src)"),
        },
        listing_id_from_url=(),
        markers=("cdn.shopify.com", "Shopify.shop"),
    ),
)


def platforms_for(host: str, html_head: str) -> list[Platform]:
    """Platforms that apply to a page: by host first, then by markers in the page."""
    host = host.lower().removeprefix("www.")
    found = [p for p in PLATFORMS if p.host is not None and p.host.search(host)]
    found += [p for p in PLATFORMS if p.host is None and any(m in html_head for m in p.markers)]
    return found


# Amazon's buy box names who ships and who sells: as a table ("Ships from | Amazon", "Sold by |
# Gothamite") or as one sentence in the page's language ("Verkauf und Versand durch Amazon.",
# "Vendu par X et expédié par Amazon.").
_SHIPS_LABEL = _re(r"^(ships from|dispatched from|expédié par|expéditeur|versand(?: durch)?|spedito da|"
                   r"spedizione|enviado por|envío desde|verzonden door)$")
_SOLD_LABEL = _re(r"^(sold by|vendu par|vendeur|verkauf durch|verkäufer|venduto da|venditore|vendido por|"
                  r"vendedor|verkocht door)$")
_BOTH_SENTENCE = _re(
    r"^(?:ships from and sold by|dispatched from and sold by|expédié et vendu par|verkauf und versand durch|"
    r"venduto e spedito da|vendido y enviado por|verkocht en verzonden door)\s+(.+?)\.?$")
_SPLIT_SENTENCE = _re(
    r"^(?:sold by|vendu par|verkauf durch|venduto da|vendido por|verkocht door)\s+(.+?)\s+(?:and|et|und|e|y|en)\s+"
    r"(?:fulfilled|shipped|dispatched|expédié|versand|spedito|enviado|verzonden)\s+(?:by|par|durch|da|por|door)\s+"
    r"(.+?)\.?$")


def _texts(element: lxml.html.HtmlElement) -> str:
    return " ".join(" ".join(element.xpath(".//text()[not(ancestor::script) and not(ancestor::style)]")).split())


def amazon_merchant(root: lxml.html.HtmlElement) -> dict[str, Any]:
    """ships_from and the seller's name from Amazon's buy box (who ships, who sells)."""
    ships = sold = None
    for row in root.xpath("//*[@id='tabular-buybox']//tr")[:10]:
        labels = row.xpath(".//*[contains(concat(' ', @class, ' '), ' tabular-buybox-label ')]")
        values = row.xpath(".//*[contains(concat(' ', @class, ' '), ' tabular-buybox-text ')]")
        if not labels or not values:
            continue
        label, value = _texts(labels[0]).rstrip(":… "), _texts(values[0])
        if _SHIPS_LABEL.match(label):
            ships = ships or value
        elif _SOLD_LABEL.match(label):
            sold = sold or value
    if ships is None and sold is None:
        for info in root.xpath("//*[@id='merchant-info']")[:1]:
            sentence = _texts(info)[:300]
            both = _BOTH_SENTENCE.match(sentence)
            split = _SPLIT_SENTENCE.match(sentence)
            if both:
                ships = sold = both.group(1)
            elif split:
                sold, ships = split.group(1), split.group(2)
    ships = ships.strip(" .") if ships else None
    sold = sold.strip(" .") if sold else None
    out: dict[str, Any] = {}
    if ships:
        out["ships_from"] = ships[:300]
    if sold:
        out["seller"] = {"name": sold[:300], "id": None, "url": None}
    return out
