"""Tests for crawlers.extract: each source of listing data, their merge, encodings, hostile
pages, and (when ../shared is present) the real saved product pages."""

from __future__ import annotations

import gzip
import json
import re
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crawlers.errors import CrawlerError, ExtractionInputError
from crawlers.extract import Listing, Seller, extract_listing, looks_like_app_shell

PAGES = Path(__file__).parent / "pages"
SHARED_PAGES = Path(__file__).resolve().parents[2] / "shared" / "data" / "product-pages"


def page(body: str, head: str = "") -> str:
    return f"<!doctype html><html><head><meta charset='utf-8'>{head}</head><body>{body}</body></html>"


def json_ld(data: object) -> str:
    return f'<script type="application/ld+json">{json.dumps(data)}</script>'


# ---------------------------------------------------------------- JSON-LD

def test_json_ld_product_with_offer_list():
    html = page("", json_ld({
        "@context": "https://schema.org", "@type": "Product", "name": "Acme Bag",  # url-ok
        "image": ["/img/bag-main.jpg", "/img/bag-side.jpg"], "sku": "AB-1", "mpn": "M-77",
        "gtin13": "4006381333931", "brand": {"@type": "Brand", "name": "Acme"},
        "description": "A bag.",
        "offers": [
            {"@type": "Offer", "price": "129.90", "priceCurrency": "EUR",
             "availability": "https://schema.org/InStock",  # url-ok
             "seller": {"@type": "Organization", "name": "Shop One", "url": "/shops/one"}},
        ],
    }))
    listing = extract_listing(html, "https://shop.example.de/p/acme-bag")
    assert listing.title == "Acme Bag"
    assert listing.price == Decimal("129.90") and listing.currency == "EUR"
    assert listing.availability == "InStock"
    assert (listing.sku, listing.mpn, listing.gtin, listing.brand) == ("AB-1", "M-77", "4006381333931", "Acme")
    assert listing.images[:2] == ("https://shop.example.de/img/bag-main.jpg", "https://shop.example.de/img/bag-side.jpg")
    assert listing.seller == Seller(name="Shop One", id=None, url="https://shop.example.de/shops/one")
    assert listing.listing_id == "AB-1"


def test_json_ld_graph_and_aggregate_offer():
    html = page("", json_ld({
        "@context": "https://schema.org",  # url-ok
        "@graph": [
            {"@type": "WebSite", "name": "Shop"},
            {"@type": "BreadcrumbList", "itemListElement": []},
            {"@type": ["Product"], "name": "Graph Lamp", "productID": "LAMP-9",
             "offers": {"@type": "AggregateOffer", "lowPrice": 19.5, "highPrice": 30,
                        "priceCurrency": "GBP", "offerCount": 3}},
        ],
    }))
    listing = extract_listing(html, "https://lamps.example.co.uk/graph-lamp")
    assert listing.title == "Graph Lamp"
    assert listing.price == Decimal("19.5") and listing.currency == "GBP"
    assert listing.listing_id == "LAMP-9"


def test_product_group_picks_the_variant_named_in_the_url():
    group = {
        "@context": "https://schema.org", "@type": "ProductGroup", "name": "Tee", "brand": "Acme",  # url-ok
        "hasVariant": [
            {"@type": "Product", "sku": "TEE-S", "name": "Tee S", "image": "https://c.example/s.jpg",
             "offers": {"@type": "Offer", "price": "10.00", "priceCurrency": "USD",
                        "availability": "https://schema.org/OutOfStock"}},  # url-ok
            {"@type": "Product", "sku": "TEE-M", "name": "Tee M", "image": "https://c.example/m.jpg",
             "offers": {"@type": "Offer", "price": "12.00", "priceCurrency": "USD",
                        "availability": "https://schema.org/InStock"}},  # url-ok
        ],
    }
    chosen = extract_listing(page("", json_ld(group)), "https://shop.example/tee?variant=TEE-M")
    assert (chosen.price, chosen.sku, chosen.availability) == (Decimal("12.00"), "TEE-M", "InStock")
    assert chosen.images[0] == "https://c.example/m.jpg"
    assert chosen.title == "Tee" and chosen.brand == "Acme"
    default = extract_listing(page("", json_ld(group)), "https://shop.example/tee")
    assert default.sku == "TEE-S" and default.price == Decimal("10.00")


def test_broken_json_ld_is_repaired_or_skipped():
    broken = '<script type="application/ld+json">{"@type": "Product", "name": "Comma", "offers": ' \
             '{"price": "5.00", "priceCurrency": "USD",},}</script>'
    garbage = '<script type="application/ld+json">{{{ not json at all</script>'
    listing = extract_listing(page("", broken + garbage), "https://x.example/")
    assert listing.title == "Comma" and listing.price == Decimal("5.00")


def test_zero_price_in_markup_loses_to_a_visible_price():
    html = page('<h1>Zero Hat</h1><span class="price">$14.00</span>', json_ld(
        {"@type": "Product", "name": "Zero Hat", "offers": {"price": "0", "priceCurrency": "USD"}}))
    assert extract_listing(html, "https://x.example/").price == Decimal("14.00")


# ---------------------------------------------------------------- microdata, RDFa, meta tags

def test_microdata_product():
    html = page("""
    <div itemscope itemtype="http://schema.org/Product"> <!-- # url-ok: no request is made -->
      <h1 itemprop="name">Micro Kettle</h1>
      <img itemprop="image" src="/k.jpg">
      <span itemprop="brand" itemscope itemtype="http://schema.org/Brand"><span itemprop="name">Kett</span></span> <!-- # url-ok: no request is made -->
      <div itemprop="offers" itemscope itemtype="http://schema.org/Offer"> <!-- # url-ok: no request is made -->
        <meta itemprop="priceCurrency" content="USD"><span itemprop="price" content="39.95">$39.95</span>
        <link itemprop="availability" href="http://schema.org/OutOfStock"> <!-- # url-ok: no request is made -->
      </div>
    </div>""")
    listing = extract_listing(html, "https://k.example/item/5")
    assert listing.title == "Micro Kettle" and listing.brand == "Kett"
    assert listing.price == Decimal("39.95") and listing.currency == "USD"
    assert listing.availability == "OutOfStock"
    assert listing.images[0] == "https://k.example/k.jpg"


def test_rdfa_product():
    html = page("""
    <div vocab="https://schema.org/" typeof="Product"> <!-- # url-ok: no request is made -->
      <span property="name">Rdfa Chair</span>
      <img property="image" src="chair.png">
      <div property="offers" typeof="Offer">
        <span property="priceCurrency" content="EUR">€</span><span property="price" content="89.00">89,00</span>
      </div>
    </div>""")
    listing = extract_listing(html, "https://chairs.example/c/")
    assert listing.title == "Rdfa Chair"
    assert listing.price == Decimal("89.00") and listing.currency == "EUR"
    assert listing.images[0] == "https://chairs.example/c/chair.png"


def test_opengraph_product_tags():
    head = """<meta property="og:title" content="Meta Mug"><meta property="og:image" content="//cdn.example/mug.jpg">
    <meta property="product:price:amount" content="7.50"><meta property="product:price:currency" content="CAD">
    <meta property="product:availability" content="in stock"><meta property="product:brand" content="Mugs Inc">"""
    listing = extract_listing(page("<p>hello</p>", head), "https://mugs.example/mug")
    assert (listing.title, listing.price, listing.currency) == ("Meta Mug", Decimal("7.50"), "CAD")
    assert listing.availability == "InStock" and listing.brand == "Mugs Inc"
    assert listing.images == ("https://cdn.example/mug.jpg",)


def test_structured_data_outranks_dom_guesses():
    # The page writes both amounts; the DOM would guess the first, the declared one is shown too.
    html = page('<h1>Visible Name</h1><span class="price">$99.00</span><p>Members pay $79.00</p>', json_ld(
        {"@type": "Product", "name": "Visible Name", "offers": {"price": "79.00", "priceCurrency": "USD"}}))
    assert extract_listing(html, "https://x.example/").price == Decimal("79.00")


@pytest.mark.parametrize("declared_in", ["json-ld", "og"])
def test_a_declared_price_shown_nowhere_loses_to_the_price_beside_the_product(declared_in: str):
    head = (json_ld({"@type": "Product", "name": "Witch Hazel", "offers": {"price": "26.50", "priceCurrency": "USD"}})
            if declared_in == "json-ld" else
            '<meta property="og:price:amount" content="26.5000"><meta property="og:price:currency" content="USD">')
    body = ('<h1>Witch Hazel</h1><p class="old-price"><span class="price">$119.00</span></p>'
            '<p class="special-price"><span class="price" id="product-price-1">$94.00</span></p>'
            '<button>Add to Cart</button>')
    assert extract_listing(page(body, head), "https://x.example/p").price == Decimal("94.00")
    # Shown anywhere (here after a <meta> inside the price box), the declared price stays.
    shown = body.replace("<button>", '<p class="priceNow"><meta itemprop="x" content="y"> $26.50 </p><button>')
    assert extract_listing(page(shown, head), "https://x.example/p").price == Decimal("26.50")


def test_of_several_offers_the_shown_price_wins():
    html = page('<h1>Setting Spray</h1><div class="sku-price"><span class="price">$32.00</span></div>', json_ld(
        {"@type": "Product", "name": "Setting Spray", "offers": [
            {"@type": "Offer", "price": "15.0", "priceCurrency": "USD", "sku": "small"},
            {"@type": "Offer", "price": "32.0", "priceCurrency": "USD", "sku": "large"}]}))
    assert extract_listing(html, "https://x.example/p").price == Decimal("32.00")


def test_microdata_sale_price_beats_the_standard_price():
    html = page('<div itemscope itemtype="http://schema.org/Product"><h1 itemprop="name">Cardigan</h1>'  # url-ok
                '<div itemprop="offers" itemscope itemtype="http://schema.org/Offer">'  # url-ok
                '<span class="price-standard" itemprop="price">39.90</span>'
                '<span class="price-sales" itemprop="price">19.90</span>'
                '<meta itemprop="priceCurrency" content="USD"></div></div>')
    assert extract_listing(html, "https://x.example/p").price == Decimal("19.90")


def test_app_state_price_beats_a_layout_guess():
    state = '<script>window.__STATE__ = {"product": {"originalPrice": 79.99, "salePrice": 39.99}};</script>'
    body = '<h1>Shift Dress</h1><div class="badge">Only $7 shipping</div>' + state
    listing = extract_listing(page(body), "https://x.example/p")
    assert listing.price == Decimal("39.99")


def test_aliexpress_run_params():
    state = {"data": {
        "titleModule": {"subject": "Acme Watch Steel"},
        "priceModule": {"formatedActivityPrice": "US $12.34", "minActivityAmount": {"value": 12.34, "currency": "USD"}},
        "imageModule": {"imagePathList": ["https://ae01.alicdn.com/kf/Hmain.jpg", "https://ae01.alicdn.com/kf/H2.jpg"]},  # url-ok
        "storeModule": {"storeName": "Acme Fan Store", "storeNum": 912345, "storeURL": "//www.aliexpress.com/store/912345"},
        "actionModule": {"productId": 1005001234567890},
        "quantityModule": {"totalAvailQuantity": 0},
    }}
    html = page(f"<div id=root></div><script>window.runParams = {json.dumps(state)};\nvar x = 1;</script>")
    listing = extract_listing(html, "https://www.aliexpress.com/item/1005001234567890.html")  # url-ok
    assert listing.title == "Acme Watch Steel"
    assert listing.price == Decimal("12.34") and listing.currency == "USD"
    assert listing.images[0] == "https://ae01.alicdn.com/kf/Hmain.jpg"  # url-ok
    assert listing.seller == Seller(name="Acme Fan Store", id="912345", url="https://www.aliexpress.com/store/912345")  # url-ok
    assert listing.listing_id == "1005001234567890"
    assert listing.availability == "OutOfStock"


def test_walmart_next_data():
    data = {"props": {"pageProps": {"initialData": {"data": {"product": {
        "name": "Acme Blender 600W", "brand": "Acme", "usItemId": "123456789", "upc": "012345678905",
        "priceInfo": {"currentPrice": {"price": 49.88, "currencyUnit": "USD"}},
        "imageInfo": {"allImages": [{"url": "https://i5.walmartimages.com/asr/main.jpeg"}]},  # url-ok
        "sellerName": "Blend Outlet", "sellerId": "F00D", "availabilityStatus": "IN_STOCK",
    }}}}}}
    html = page(f'<div id="__next"></div><script id="__NEXT_DATA__" type="application/json">{json.dumps(data)}</script>')
    listing = extract_listing(html, "https://www.walmart.com/ip/acme-blender/123456789")  # url-ok
    assert (listing.title, listing.brand, listing.listing_id) == ("Acme Blender 600W", "Acme", "123456789")
    assert listing.price == Decimal("49.88") and listing.currency == "USD"
    assert listing.images[0] == "https://i5.walmartimages.com/asr/main.jpeg"  # url-ok
    assert listing.seller is not None and listing.seller.name == "Blend Outlet"
    assert listing.availability == "InStock"


def test_main_image_is_the_shown_rendition_of_the_declared_picture():
    head = '<meta property="og:image" content="https://cdn.example/images/2000x2000/acme_bag_1274705.jpg">'
    body = ('<h1>Acme Bag</h1><img src="https://cdn.example/img/logo.png" alt="logo">'
            '<img class="main-image" src="https://cdn.example/images/500x500/acme_bag_1274705.jpg" alt="Acme Bag">'
            '<img src="https://cdn.example/images/50x50/acme_bag_side_1274706.jpg">')
    listing = extract_listing(page(body, head), "https://x.example/p")
    assert listing.images[0] == "https://cdn.example/images/500x500/acme_bag_1274705.jpg"
    assert "https://cdn.example/images/2000x2000/acme_bag_1274705.jpg" in listing.images


def test_dom_images_read_srcset_picture_sources_and_lazy_attributes():
    body = ('<h1>Acme Lamp</h1><img src="data:image/gif;base64,R0lGOD" class="product-image" alt="Acme Lamp" '
            'data-srcset="/p/lamp-400.jpg 400w, /p/lamp-1200.jpg 1200w">'
            '<picture><source srcset="/p/chair-300.webp 300w"><img src="/img/spacer.gif" alt="x"></picture>')
    listing = extract_listing(page(body), "https://x.example/p")
    assert listing.images[0] == "https://x.example/p/lamp-1200.jpg"


@pytest.mark.parametrize(("a", "b", "same"), [
    ("https://c.example/images/images500x500/canon_5d_1274705.jpg", "https://c.example/images/images2000x2000/canon_5d_1274705.jpg", True),
    ("https://c.example/p/11880/chess_set__27842.145.1280.1280.jpg", "https://c.example/p/11880/chess_set__27842.145.500.350.jpg", True),
    ("https://c.example/u/510979876/lg.jpg", "https://c.example/u/510979876/320x426.jpg", True),
    ("https://c.example/u/510979876/lg.jpg", "https://c.example/u/510979877/lg.jpg", False),
    ("https://s7.example/is/image/Crate/Name17?$zoom$&wid=60", "https://s7.example/is/image/Crate/Name17/$hero$&/1706/name.jpg", True),
    ("https://i.example/imageService?profileId=1&itemID=44&recipeName=pdlg488x600",
     "https://i.example/imageService?profileId=1&itemID=44&recipeName=pdlg488x601", True),
    ("https://i.example/imageService?profileId=1&itemID=44", "https://i.example/imageService?profileId=1&itemID=45", False),
    ("https://c.example/tail_main-01.jpg?resize=540", "https://c.example/tail_main-30.jpg", False),
    ("https://c.example/products/bag_grande.jpg?v=1", "https://c.example/products/bag_large.jpg?v=2", True),
])
def test_renditions_of_one_picture(a: str, b: str, same: bool):
    from crawlers._pictures import picture_key, same_picture

    assert same_picture(picture_key(a), picture_key(b)) is same


@given(st.text(max_size=300))
@settings(max_examples=200)
def test_picture_key_takes_any_text(url: str):
    from crawlers._pictures import picture_key

    assert isinstance(picture_key(url), str)


# ---------------------------------------------------------------- platforms

def test_amazon_page_structure():
    listing = extract_listing((PAGES / "amazon_listing.html").read_bytes(), "https://www.amazon.com/dp/B0TEST1234")  # url-ok
    assert listing.title == "Acme Trail Runner Shoe"
    assert listing.price == Decimal("59.99") and listing.currency == "USD"
    assert listing.images[0] == "https://m.media-amazon.com/images/I/81abcDEF._SX522_.jpg"  # url-ok
    assert "https://m.media-amazon.com/images/I/81abcDEF._SL1500_.jpg" in listing.images  # url-ok
    assert listing.listing_id == "B0TEST1234"
    assert listing.brand == "Acme"
    assert listing.availability == "InStock"
    assert listing.seller is not None and listing.seller.name == "Trail Deals" and listing.seller.id == "A1B2C3D4E5"


def test_ebay_page_structure():
    listing = extract_listing((PAGES / "ebay_listing.html").read_bytes(),
                              "https://www.ebay.co.uk/itm/Acme-Watch/123456789012?hash=x")  # url-ok
    assert listing.title == "Acme Watch Replica Steel"
    assert listing.price == Decimal("24.50") and listing.currency == "GBP"
    assert listing.images[0] == "https://i.ebayimg.com/images/g/XYZ/s-l300.jpg"  # url-ok
    assert listing.listing_id == "123456789012"
    assert listing.seller == Seller(name="cheapwatches_uk", id="cheapwatches_uk",
                                    url="https://www.ebay.co.uk/usr/cheapwatches_uk")  # url-ok
    assert listing.ships_from == "Shenzhen, China"


def test_platform_rules_only_apply_on_their_host():
    html = (PAGES / "amazon_listing.html").read_text()
    elsewhere = extract_listing(html, "https://not-amazon.example/dp/B0TEST1234")
    assert elsewhere.listing_id is None


# ---------------------------------------------------------------- DOM heuristics

def test_dom_price_skips_struck_and_related_prices():
    html = page("""
    <div class="header"><span class="cart-total">$0.00</span></div>
    <h1>Plain Lamp</h1>
    <div class="product-info"><del class="price old">$80.00</del> <span class="price sale">$45.00</span>
    <button>Add to Cart</button></div>
    <div class="related-products"><span class="price">$10.00</span></div>""", "<title>Plain Lamp | Lamps</title>")
    listing = extract_listing(html, "https://lamps.example/plain")
    assert listing.title == "Plain Lamp"
    assert listing.price == Decimal("45.00") and listing.currency == "USD"


def test_dom_main_image_is_the_product_picture_not_the_logo():
    html = page("""
    <img src="/static/logo.png" class="logo" alt="Shop">
    <h1>Stone Vase</h1>
    <div class="product-gallery"><img src="/media/stone-vase-large.jpg" width="600" height="600" alt="Stone Vase"></div>
    <img src="/icons/star.gif" width="12" height="12">""")
    listing = extract_listing(html, "https://vases.example/stone")
    assert listing.images[0] == "https://vases.example/media/stone-vase-large.jpg"


def test_title_falls_back_to_page_title_without_site_name():
    listing = extract_listing(page("<p>no heading</p>", "<title>Blue Scarf | Scarves Ltd</title>"), "https://s.example/")
    assert listing.title == "Blue Scarf"


# ---------------------------------------------------------------- encodings

@pytest.mark.parametrize("codec", ["utf-8", "windows-1252", "iso-8859-15", "utf-16"])
def test_declared_encodings(codec: str):
    text = f'<html><head><meta charset="{codec}"><title>x</title></head><body><h1>Café Crème €5</h1></body></html>'
    body = text.encode(codec)
    assert extract_listing(body, "https://e.example/").title == "Café Crème €5"


def test_transport_encoding_argument_wins_over_sniffing():
    body = "<html><body><h1>Ñandú</h1></body></html>".encode("cp1252")
    assert extract_listing(body, "https://e.example/", encoding="cp1252").title == "Ñandú"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=40).filter(lambda s: s.strip()),
    codec=st.sampled_from(["utf-8", "utf-16", "gb18030", "shift_jis", "cp1251", "latin-1"]),
)
def test_title_survives_any_encoding_it_can_be_written_in(name: str, codec: str):
    try:
        body = page("", json_ld({"@type": "Product", "name": name})).replace("utf-8", codec).encode(codec)
    except UnicodeEncodeError:
        return
    expected = " ".join(name.split())
    got = extract_listing(body, "https://e.example/").title
    # Entities and invisible formatting characters are normalised away on purpose.
    assert got is not None
    assert re.sub(r"\W", "", got) == re.sub(r"\W", "", expected) or "&" in name or not re.sub(r"\W", "", expected)


# ---------------------------------------------------------------- hostile input

def test_wrong_argument_types_raise_a_named_error():
    with pytest.raises(ExtractionInputError):
        extract_listing(12345, "https://x.example/")  # type: ignore[arg-type]
    with pytest.raises(CrawlerError):
        extract_listing("<html></html>", None)  # type: ignore[arg-type]
    with pytest.raises(ExtractionInputError):
        extract_listing(b"<html></html>", "https://x.example/", encoding="no-such-codec")


@pytest.mark.parametrize("html", ["", b"", "   ", "\x00\x01\x02", b"\xff\xfe\x00", "<", "<html", "</html>" * 5,
                                  "<script type='application/ld+json'>" + "[" * 5000, "<?xml version='1.0' encoding='utf-8'?><a>"])
def test_degenerate_pages_give_an_empty_listing(html):
    listing = extract_listing(html, "https://x.example/")
    assert isinstance(listing, Listing) and listing.price is None


def test_five_megabytes_of_junk_and_deep_nesting():
    junk = "<div><span>lorem $ipsum</span>" * 170_000 + "<b>" * 50_000 + "&#0;\x00\x1b" * 1000
    assert len(junk) > 5_000_000
    listing = extract_listing(page(junk + "<h1>Deep Thing</h1>"), "https://x.example/")
    assert isinstance(listing, Listing)
    nested = "<div>" * 100_000 + "<h1>Bottom</h1>" + "</div>" * 100_000
    assert isinstance(extract_listing(nested, "https://x.example/"), Listing)
    for hostile in ('<div class="price">' * 60_000 + "$5", "<h1>" + "<span>a" * 60_000,
                    '<div itemscope itemtype="http://schema.org/Product">' + '<div itemprop="name">x' * 50_000,  # url-ok
                    '<img src="/a.jpg" alt="x">' * 20_000):
        assert isinstance(extract_listing(hostile, "https://x.example/"), Listing)
    nested_ld = json_ld({"@type": "Product", "name": "N"})[:-9] + "" + '{"a":' * 20000
    assert isinstance(extract_listing(page("", nested_ld), "https://x.example/"), Listing)


def test_text_fields_are_capped_and_stripped_of_control_characters():
    html = page("", json_ld({"@type": "Product", "name": "Evil\x00\x07\u202e Name " + "A" * 5000,
                             "description": "d" * 100_000, "image": "javascript:alert(1)"}))
    listing = extract_listing(html, "https://x.example/")
    assert listing.title is not None and len(listing.title) <= 1000
    assert not re.search(r"[\x00-\x1f\u202e]", listing.title)
    assert listing.description is not None and len(listing.description) <= 20_000
    assert listing.images == ()


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=3000) | st.text(max_size=3000))
def test_any_bytes_or_text_never_raise(html):
    listing = extract_listing(html, "https://x.example/")
    assert isinstance(listing, Listing)
    for image in listing.images:
        assert urlsplit(image).scheme in ("http", "https")


TAGS = st.sampled_from(["div", "span", "h1", "img", "script", "meta", "a", "del", "p", "table", "td"])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(TAGS, st.text(max_size=30), st.sampled_from(["", "class='price'", "itemprop='price'",
                                                                         "itemscope itemtype='http://schema.org/Product'",  # url-ok
                                                                         "property='og:image' content='x'"])),
                max_size=40))
def test_random_markup_never_raises(parts):
    html = "".join(f"<{tag} {attrs}>{text}" for tag, text, attrs in parts)
    listing = extract_listing(html, "https://x.example/")
    assert json.loads(json.dumps(listing.to_dict()))["url"] == "https://x.example/"


# ---------------------------------------------------------------- values and app shells

def test_to_dict_is_json_safe_and_complete():
    listing = extract_listing((PAGES / "amazon_listing.html").read_text(), "https://www.amazon.com/dp/B0TEST1234")  # url-ok
    data = json.loads(json.dumps(listing.to_dict()))
    assert data["price"] == "59.99" and Decimal(data["price"]) == listing.price
    assert data["seller"]["name"] == "Trail Deals"
    assert set(data) == set(Listing.__slots__)


def test_listing_is_frozen():
    listing = Listing(url="https://x.example/")
    with pytest.raises(AttributeError):
        listing.title = "changed"  # type: ignore[misc]


def test_app_shell_detection():
    shell = '<html><head><script src="/app.js"></script></head><body><div id="root"></div><script>boot()</script></body></html>'
    assert looks_like_app_shell(shell)
    assert looks_like_app_shell(shell.encode())
    assert not looks_like_app_shell((PAGES / "amazon_listing.html").read_bytes())
    assert not looks_like_app_shell("<html><body><p>plain static page without scripts</p></body></html>")


# ---------------------------------------------------------------- real saved pages

needs_shared = pytest.mark.skipif(not (SHARED_PAGES / "expected.json").exists(),
                                  reason="../shared/data/product-pages is not present (benchmark data, not shipped)")


@needs_shared
def test_real_pages_give_bounded_absolute_listings():
    expected = json.loads((SHARED_PAGES / "expected.json").read_text())
    priced = 0
    for site in sorted(expected):
        raw = gzip.decompress((SHARED_PAGES / f"{site}.html.gz").read_bytes())
        listing = extract_listing(raw, f"https://www.{site}.com/")  # url-ok
        assert all(urlsplit(u).scheme in ("http", "https") and urlsplit(u).netloc for u in listing.images), site
        assert listing.title is None or 0 < len(listing.title) <= 1000
        assert listing.currency is None or re.fullmatch(r"[A-Z]{3}", listing.currency)
        assert listing.price is None or listing.price >= 0
        priced += listing.price is not None
        assert not looks_like_app_shell(raw), site
    # Every one of these pages shows a price; finding almost none would mean extraction broke.
    assert priced >= len(expected) * 0.8


def test_shopify_embedded_product_json_in_cents():
    html = (PAGES / "shopify_listing.html").read_bytes()
    first = extract_listing(html, "https://outlet.example/products/norvik-field-jacket")
    assert first.title == "Norvik Field Jacket" and first.brand == "Norvik"
    assert first.price == Decimal("129.00") and first.currency == "USD"
    assert (first.sku, first.gtin, first.availability) == ("NFJ-S", "0012345678905", "OutOfStock")
    assert first.listing_id == "4321987654"
    assert first.images[0] == "https://cdn.shopify.com/s/files/1/0001/products/jacket.jpg?v=1"  # url-ok
    chosen = extract_listing(html, "https://outlet.example/products/norvik-field-jacket?variant=222")
    assert (chosen.price, chosen.sku, chosen.availability) == (Decimal("139.00"), "NFJ-M", "InStock")


def test_app_state_main_image_when_markup_declares_none():
    state = ('<script>var s = {"productStyleColors": [{"swatchImage": "/w/cn1-swatch.jpg", '
             '"largeImagePath": "/w/cn2-large.jpg"}]};</script>')
    body = ('<h1>Leggings</h1><img class="product-photo--image" src="/w/cn9.jpg" alt="product photo">'
            '<img class="product-photo--image" src="/w/cn2-large.jpg" alt="product photo">' + state)
    assert extract_listing(page(body), "https://x.example/p").images[0] == "https://x.example/w/cn2-large.jpg"


def test_a_picture_hidden_by_style_is_not_the_main_one():
    body = ('<h1>Cable Sweater</h1><div style="display: none"><img id="prod-img" class="main-image" '
            'src="/g/sweater_standard.jpg" alt="Cable Sweater"></div>'
            '<div><img class="main-image" src="/g/sweater_alternate.jpg" alt="Cable Sweater"></div>')
    assert extract_listing(page(body), "https://x.example/p").images[0] == "https://x.example/g/sweater_alternate.jpg"


@pytest.mark.parametrize(("slides", "main"), [
    (["30", "01", "20", "23", "30", "01"], "01"),  # clone of the last, the slides, clone of the first
    (["30", "01", "20", "23"], "30"),              # a gallery that does not loop keeps its order
])
def test_a_looping_carousels_leading_clone_is_not_the_main_image(slides: list[str], main: str):
    body = "<div itemscope itemtype='http://schema.org/Product'><h1 itemprop='name'>Mermaid Tail</h1>" + "".join(  # url-ok
        f"<img itemprop='image' src='/images/tail_main-{n}.jpg'>" for n in slides) + "</div>"
    listing = extract_listing(page(body), "https://x.example/p")
    assert listing.images[0] == f"https://x.example/images/tail_main-{main}.jpg"


def test_app_state_current_variant_image_beats_the_first_colour():
    state = ('<script>var p = {"productStyleColors": [{"colorName": "Gray", "largeImagePath": "/w/gray.jpg"}, '
             '{"colorName": "Black", "largeImagePath": "/w/black.jpg"}], "currentColorMainImage": "/w/black.jpg"};</script>')
    body = ('<h1>Cardi</h1><img class="product-photo--image" src="/w/gray-swatch.jpg" alt="Gray">'
            '<img class="product-photo--image" src="/w/black.jpg" alt="product photo">' + state)
    assert extract_listing(page(body), "https://x.example/p").images[0] == "https://x.example/w/black.jpg"


# ---------------------------------------------------------------- real marketplace failure kinds

def test_amazon_without_buy_box_reads_other_sellers_offer_brand_and_asin_as_sku():
    listing = extract_listing((PAGES / "amazon_de_listing.html").read_bytes(),
                              "https://www.amazon.de/dp/B0TESTDE12")  # url-ok
    # Not the variant swatch's price, nor the filter drop-down's, but the lowest offer.
    assert listing.price == Decimal("99.12") and listing.currency == "EUR"
    assert listing.brand == "Acme"
    assert listing.availability == "InStock"  # "Erhältlich bei diesen Anbietern", script text ignored
    assert listing.listing_id == listing.sku == "B0TESTDE12"
    assert listing.mpn == "HL 200"


def test_ebay_item_specifics_quantity_and_item_number():
    listing = extract_listing((PAGES / "ebay_specifics_listing.html").read_bytes(),
                              "https://www.ebay.fr/itm/293500000001")  # url-ok
    assert listing.sku == listing.listing_id == "293500000001"
    assert listing.availability == "InStock"  # not "Image not available"
    assert listing.brand == "Acme" and listing.mpn == "AC-24-AA" and listing.gtin == "4006381333931"
    assert listing.seller is not None and listing.seller.name == "piles_discount"
    assert listing.seller.id == "piles_discount"


@pytest.mark.parametrize(("words", "state"), [
    ("In Stock.", "InStock"), ("Disponibile.", "InStock"), ("Auf Lager.", "InStock"),
    ("Plus que 3 exemplaires en stock.", "InStock"), ("Nur noch 1 auf Lager", "InStock"),
    ("Habituellement expédié sous 3 à 4 jours.", "InStock"), ("More than 10 available", "InStock"),
    ("Currently unavailable.", "OutOfStock"), ("Non disponibile. Non sappiamo se o quando", "OutOfStock"),
    ("Derzeit nicht verfügbar.", "OutOfStock"), ("Actuellement indisponible.", "OutOfStock"),
    ("Agotado", "OutOfStock"), ("Нет в наличии", "OutOfStock"), ("在庫切れ", "OutOfStock"),
])
def test_availability_in_buy_box_words(words: str, state: str):
    html = page(f"""<h1>Acme Kettle</h1><div class="buybox"><span class="price">€ 20,00</span>
        <div class="stock"><span>{words}</span></div><button>Add to cart</button></div>""",
                "<title>Acme Kettle</title>")
    assert extract_listing(html, "https://shop.example/kettle").availability == state


def test_stock_words_about_images_are_not_availability():
    html = page("""<h1>Acme Kettle</h1><span class="note">Image not available</span>
        <span class="price">€ 20,00</span><button>Add to cart</button>""", "<title>Acme Kettle</title>")
    assert extract_listing(html, "https://shop.example/kettle").availability == "InStock"


@pytest.mark.parametrize(("shown", "brand"), [
    ("Marca: R.K.", "R.K."), ("Marque : KONMAY", "KONMAY"), ("Marke: Oceana", "Oceana"),
    ("Visit the Acme Store", "Acme"), ("Brand: Acme", "Acme"), ("Besuchen Sie den WELA-Store", "WELA"),
    ("Visiter la boutique PetCo", "PetCo"), ("$metabrand", None),
])
def test_brand_values_lose_their_label(shown: str, brand: str | None):
    html = page("<h1>Acme Kettle</h1>", json_ld({
        "@context": "https://schema.org", "@type": "Product", "name": "Acme Kettle", "brand": shown,  # url-ok: a literal for a pure function, never fetched
        "offers": {"@type": "Offer", "price": "20.00", "priceCurrency": "EUR"}}))
    assert extract_listing(html, "https://shop.example/kettle").brand == brand


@pytest.mark.parametrize(("label", "value"), [
    ("Item number:", "4711-A"), ("Art.-Nr.", "4711-A"), ("Réf. :", "4711-A"), ("商品編號：", "4711-A"),
    ("Artikelnummer", "4711-A"), ("SKU", "4711-A"),
])
def test_skus_stated_in_words(label: str, value: str):
    html = page(f"""<h1>Acme Kettle</h1><span class="price">€ 20,00</span>
        <table class="specs"><tr><th>{label}</th><td>{value}</td></tr></table>""", "<title>Acme Kettle</title>")
    assert extract_listing(html, "https://shop.example/kettle").sku == value


def test_a_shown_product_code_outranks_the_feeds_sku_but_not_a_marketplace_id():
    html = page("<h1>Acme Kettle</h1><p class='product-code'>Product code: 46286401</p>", json_ld({
        "@context": "https://schema.org", "@type": "Product", "name": "Acme Kettle", "sku": "236840879",  # url-ok: a literal for a pure function, never fetched
        "offers": {"@type": "Offer", "price": "20.00", "priceCurrency": "GBP"}}))
    assert extract_listing(html, "https://shop.example/kettle").sku == "46286401"
    amazon = page("<span id='productTitle'>Acme Kettle</span><ul><li><span>Artikelnummer : </span>"
                  "<span>HL 200</span></li></ul>", "<title>Acme Kettle</title>")
    assert extract_listing(amazon, "https://www.amazon.de/dp/B0TESTDE12").sku == "B0TESTDE12"  # url-ok


def test_sku_and_value_in_one_element_and_a_caption_is_not_an_sku():
    inline = page("<h1>Acme Kettle</h1><p>Art.-Nr.: 99812</p>", "<title>Acme Kettle</title>")
    assert extract_listing(inline, "https://shop.example/kettle").sku == "99812"
    no_colon = page("<h1>Acme Kettle</h1><div>Bestellnummer 106606</div>", "<title>Acme Kettle</title>")
    assert extract_listing(no_colon, "https://shop.example/kettle").sku == "106606"
    prose = page("<h1>Acme Kettle</h1><div>Since the year 2020</div>", "<title>Acme Kettle</title>")
    assert extract_listing(prose, "https://shop.example/kettle").sku is None
    caption = page("<h1>Acme Kettle</h1><dl><dt>Référence</dt><dd>Bouilloire électrique en acier</dd></dl>",
                   "<title>Acme Kettle</title>")
    assert extract_listing(caption, "https://shop.example/kettle").sku is None


@pytest.mark.parametrize(("url", "sku"), [
    ("https://shop.example/shop/prod/acme-kettle/418295.htm", "418295"),
    ("https://shop.example/kids/Acme_One-987929.html", "987929"),
    ("https://shop.example/store/122725?pid=260591", "260591"),
    ("https://shop.example/p/M67296549.htm", "M67296549"),
    ("https://shop.example/acme-kettle-1970s-style", None),
])
def test_sku_from_the_url_when_the_page_names_none(url: str, sku: str | None):
    html = page("<h1>Acme Kettle</h1><span class='price'>€ 20,00</span>", "<title>Acme Kettle</title>")
    assert extract_listing(html, url).sku == sku


def test_buy_box_price_not_per_unit_instalment_or_shipping():
    html = page("""<h1>Acme Coffee Beans 1 kg</h1>
        <div class="product-price"><span class="price-current">€ 24,90</span>
        <span class="unit-price">(€ 2,49 / 100 g)</span></div>
        <div class="installments">oder 3 x € 8,30 monthly</div>
        <div class="shipping-cost">Versand € 4,95</div><button>In den Warenkorb</button>""",
                "<title>Acme Coffee Beans 1 kg</title>")
    listing = extract_listing(html, "https://shop.example/coffee")
    assert listing.price == Decimal("24.90") and listing.currency == "EUR"


def test_locale_thousands_separator():
    html = page("""<h1>Acme Sofa</h1><div class="product-price"><span class="price">2.449 €</span></div>
        <button>Ajouter au panier</button>""", "<title>Acme Sofa</title>")
    assert extract_listing(html, "https://shop.example/sofa").price == Decimal("2449")


@pytest.mark.parametrize("raw", ["1e400", "-5", "-5.00", "€ -5", "NaN", "1e13", "Infinity"])
def test_non_finite_negative_and_absurd_prices_are_unreadable(raw: str, caplog: pytest.LogCaptureFixture):
    html = page("<h1>Acme Kettle</h1>", json_ld({
        "@context": "https://schema.org", "@type": "Product", "name": "Acme Kettle",  # url-ok: a literal for a pure function, never fetched
        "offers": {"@type": "Offer", "price": raw, "priceCurrency": "EUR"}}))
    with caplog.at_level("WARNING", logger="markwatch.crawlers.prices"):
        listing = extract_listing(html, "https://shop.example/kettle")
    assert listing.price is None and listing.currency is None
    assert any("unreadable" in record.getMessage() for record in caplog.records)


def test_json_numbers_out_of_range_are_unreadable():
    text = ('{"@context": "https://schema.org", "@type": "Product", "name": "Acme Kettle", '  # url-ok: a literal for a pure function, never fetched
             '"offers": {"@type": "Offer", "price": 1e400, "priceCurrency": "EUR"}}')
    html = page("<h1>Acme Kettle</h1>", f'<script type="application/ld+json">{text}</script>')
    assert extract_listing(html, "https://shop.example/kettle").price is None
    negative = page("<h1>Acme Kettle</h1>", json_ld({
        "@context": "https://schema.org", "@type": "Product", "name": "Acme Kettle",  # url-ok: a literal for a pure function, never fetched
        "offers": {"@type": "Offer", "price": -5, "priceCurrency": "EUR"}}))
    assert extract_listing(negative, "https://shop.example/kettle").price is None


def test_exponent_prices_in_range_are_read_as_plain_numbers():
    html = page("<h1>Acme Kettle</h1>", json_ld({
        "@context": "https://schema.org", "@type": "Product", "name": "Acme Kettle",  # url-ok: a literal for a pure function, never fetched
        "offers": {"@type": "Offer", "price": "1.5e2", "priceCurrency": "EUR"}}))
    assert extract_listing(html, "https://shop.example/kettle").price == Decimal("150")


@pytest.mark.parametrize(("button", "state"), [
    ("<button>Aggiungi al carrello</button>", "InStock"),
    ("<button>В корзину</button>", "InStock"),
    ("<button disabled>Add to cart</button>", None),
    ("<button class='btn btn--disabled'>Add to cart</button>", None),
])
def test_a_priced_page_with_an_enabled_buy_button_can_be_ordered(button: str, state: str | None):
    html = page(f"<h1>Acme Kettle</h1><span class='price'>€ 20,00</span>{button}", "<title>Acme Kettle</title>")
    assert extract_listing(html, "https://shop.example/kettle").availability == state


def test_stock_words_outrank_an_enabled_buy_button():
    html = page("<h1>Acme Kettle</h1><span class='price'>€ 20,00</span><p>Esaurito</p><button>Add to cart</button>",
                "<title>Acme Kettle</title>")
    assert extract_listing(html, "https://shop.example/kettle").availability == "OutOfStock"


@pytest.mark.parametrize(("buy_box", "ships_from", "seller"), [
    ("<div id='merchant-info'>Verkauf und Versand durch Amazon.</div>", "Amazon", "Amazon"),
    ("<div id='merchant-info'>Vendu par Acme Outlet et expédié par Amazon.</div>", "Amazon", "Acme Outlet"),
    ("""<div id='tabular-buybox'><table><tr><td><span class='tabular-buybox-label'>Ships from</span></td>
        <td><span class='tabular-buybox-text'>Shenzhen Depot</span></td></tr>
        <tr><td><span class='tabular-buybox-label'>Sold by</span></td>
        <td><span class='tabular-buybox-text'>Acme Outlet</span></td></tr></table></div>""",
     "Shenzhen Depot", "Acme Outlet"),
])
def test_amazon_buy_box_names_who_ships_and_who_sells(buy_box: str, ships_from: str, seller: str):
    html = page(f"<span id='productTitle'>Acme Kettle</span><span id='priceblock_ourprice'>20,00 €</span>{buy_box}",
                "<title>Acme Kettle</title>")
    listing = extract_listing(html, "https://www.amazon.de/dp/B0TESTDE12")  # url-ok
    assert listing.ships_from == ships_from
    assert listing.seller is not None and listing.seller.name == seller


def test_amazon_seller_link_keeps_its_id_and_storefront():
    listing = extract_listing((PAGES / "amazon_listing.html").read_bytes(), "https://www.amazon.com/dp/B0TEST1234")  # url-ok
    assert listing.seller is not None and listing.seller.id == "A1B2C3D4E5"
    assert listing.seller.url is not None and "seller=A1B2C3D4E5" in listing.seller.url
    assert listing.ships_from == "Trail Deals"
    assert listing.sku == "B0TEST1234"


@pytest.mark.parametrize(("shown", "host", "amount", "currency"), [
    ("30,000<sub>원~</sub>", "deals.example.kr", "30000", "KRW"),
    ("294 元", "shop.example.tw", "294", "TWD"),
    ("5 000 тг.", "shop.example.kz", "5000", "KZT"),
    ("199,99 Lei", "shop.example.ro", "199.99", "RON"),
    ("Rs 23,450", "ads.example.pk", "23450", "PKR"),
])
def test_currency_words_of_other_countries(shown: str, host: str, amount: str, currency: str):
    html = page(f"<h1>Acme Kettle</h1><p><strong>{shown}</strong></p><button>Add to cart</button>",
                "<title>Acme Kettle</title>")
    listing = extract_listing(html, f"https://{host}/kettle")  # url-ok
    assert (listing.price, listing.currency) == (Decimal(amount), currency)


@pytest.mark.parametrize("box", [
    "<div class='deal'>Now only $<span>99</span></div>",
    "<div class='deal'><b>99</b><span> USD</span></div>",
    "<div class='deal'>最低價$<span>99</span>元起</div>",
])
def test_a_currency_sign_beside_the_amounts_element(box: str):
    html = page(f"<h1>Acme Jerky</h1>{box}<button>Add to cart</button>"
                "<div class='footer'>Spend $<span>590</span> for a gift</div>", "<title>Acme Jerky</title>")
    assert extract_listing(html, "https://shop.example/jerky").price == Decimal("99")


def test_a_buy_button_named_by_its_id_anchors_the_price():
    # No product heading: the page's buy button, a picture named "buy_btn", is the anchor.
    filler = "".join(f"<p>note {i}</p>" for i in range(300))
    html = page(f"<div><span class='amount'>$ 15</span> gift cards</div>{filler}"
                "<div class='offer'><span class='amount'>$ 129</span>"
                "<a id='buy_btn' href='#'><img src='/buy.png'></a></div>", "<title>Acme Jerky</title>")
    listing = extract_listing(html, "https://shop.example/jerky")
    assert listing.price == Decimal("129") and listing.availability == "InStock"


def test_a_points_rate_is_not_a_price():
    html = page("<h1>Acme Goose Floss</h1><p>Pay with points (1點=1元)</p>"
                "<div class='now'><b>294</b><span>元</span></div><button>Add to cart</button>",
                "<title>Acme Goose Floss</title>")
    assert extract_listing(html, "https://shop.example.tw/floss").price == Decimal("294")


def test_og_price_meta_names_which_shown_price_is_the_products():
    html = page("<h1>Acme Diary</h1><p class='sell'><strong>30,000<sub>원~</sub></strong></p>"
                "<section class='price_selling'><span class='price_now'>7,500원</span></section>",
                "<title>Acme Diary</title><meta property='og:price' content='30,000원~'>")
    listing = extract_listing(html, "http://deals.example.kr/deal/1")
    assert (listing.price, listing.currency) == (Decimal("30000"), "KRW")


def test_json_ld_price_in_a_nested_object_and_loose_key_case():
    html = page("<h1>Acme Boots</h1>", json_ld({
        "@context": "https://schema.org", "@type": "Product", "name": "Acme Boots",  # url-ok: a literal for a pure function, never fetched
        "offers": {"@type": "AggregateOffer",
                   "lowprice": {"list": {"value": 5000}, "sales": {"value": 3499, "currency": "ARS"}},
                   "highprice": {"sales": {"value": 4059}}}}))
    assert extract_listing(html, "https://shop.example.ar/boots").price == Decimal("3499")


def test_a_shown_price_range_is_priced_from_its_low_end():
    # The heading below the prices: nearness alone would pick the range's high end.
    html = page("""<div class="prices"><span class="range">
        <span><span class="sales"><span class="value">$3.499</span></span></span> -
        <span><span class="sales"><span class="value">$4.059</span></span></span></span></div>
        <h1>Acme Boots</h1><button>Add to cart</button>""", "<title>Acme Boots</title>")
    assert extract_listing(html, "https://shop.example.ar/boots").price == Decimal("3499")


def test_markup_at_odds_with_itself_is_settled_by_the_shown_price():
    # A feed's starting bid in JSON-LD, the current bid in the price tags and the bidding box.
    html = page("<h1>Vintage Acme Bag</h1><p class='estimate'>Starting bid $90</p>"
                "<div class='bidding-box'><span class='price'>$400</span> 5 bids</div><button>Bid now</button>",
                "<title>Vintage Acme Bag</title><meta property='product:price:amount' content='400'>"
                "<meta property='product:price:currency' content='USD'>" + json_ld({
                    "@context": "https://schema.org", "@type": "Product", "name": "Vintage Acme Bag",  # url-ok: a literal for a pure function, never fetched
                    "offers": {"@type": "Offer", "price": 90, "priceCurrency": "USD"}}))
    assert extract_listing(html, "https://auctions.example/item/1").price == Decimal("400")


def test_a_deep_carousel_slides_price_loses_to_the_add_to_cart_boxs():
    slide = """<section class="products carousel"><ul class="row"><div class="slick-list"><div class="slick-track">
        <li class="col slick-slide"><div class="inner"><div class="col2"><h3><a href="/other">Acme Adapter</a></h3>
        <div class="table-wrap"><table class="price-wrap"><tbody><tr class="tax">
        <td class="price">30,48 €</td></tr></tbody></table></div></div></div></li></div></div></ul></section>"""
    html = page(f"""<h1>Acme Computer</h1><div class="cart-wrapper"><div class="price-wrap-detail">
        <span class="price">4386,00 €</span></div><button>Do košíka</button></div>{slide}""",
                "<title>Acme Computer</title>")
    assert extract_listing(html, "https://shop.example.sk/computer").price == Decimal("4386.00")


@pytest.mark.parametrize("button", [
    "<button type='button'>Add  to\n Trolley</button>",
    "<img id='addToCartButton' alt='Add to Cart' src='/i/cart.png'>",
    "<div class='buyBtn'><a href='javascript:buy()'>宅配免運</a></div>",
    "<button type='button' id='button-cart'>Naroči</button>",
    "<a id='bidBtn_btn' href='/bid' role='button'>Place bid</a>",
    "<a class='button' href='/reply'>Email User</a>",
    "<button class='contact-button'>Kontaktieren</button>",
])
def test_buy_bid_and_contact_buttons_of_many_shapes_mean_in_stock(button: str):
    html = page(f"<h1>Acme Kettle</h1><span class='price'>€ 20,00</span>{button}", "<title>Acme Kettle</title>")
    assert extract_listing(html, "https://shop.example/kettle").availability == "InStock"


@pytest.mark.parametrize("button", [
    "<a class='header-cart' href='/cart'>Cart</a>",  # the header's cart, on every page of a shop
    "<a href='/contact'>Kontakt</a>",  # the shop's contact page
])
def test_a_cart_link_or_contact_page_is_not_a_buy_button(button: str):
    html = page(f"{button}<h1>Acme Kettle</h1><span class='price'>€ 20,00</span>", "<title>Acme Kettle</title>")
    assert extract_listing(html, "https://shop.example/kettle").availability is None


def test_an_ended_auction_is_out_of_stock_despite_its_contact_link():
    html = page("<h1>Acme Kettle</h1><span class='price'>€ 20,00</span><p>This listing has ended.</p>"
                "<a href='/ask'>Contact seller</a>", "<title>Acme Kettle</title>")
    assert extract_listing(html, "https://shop.example/kettle").availability == "OutOfStock"


@pytest.mark.parametrize(("field", "label", "value"), [
    ("brand", "Výrobca", "Acme"), ("brand", "Hersteller:", "Acme"), ("brand", "Brand Name:", "Acme"),
    ("brand", "Proizvajalec:", "Acme"),
    ("sku", "Šifra:", "0638"), ("sku", "Cikkszám:", "0638"),
    ("mpn", "Ražotāja kods", "ECC-609"), ("mpn", "Kód výrobce:", "ECC-609"),
])
def test_spec_labels_of_more_languages(field: str, label: str, value: str):
    html = page(f"""<h1>Acme Kettle</h1><span class="price">€ 20,00</span>
        <ul class="specs"><li><span>{label}</span> <span>{value}</span></li></ul>""", "<title>Acme Kettle</title>")
    assert getattr(extract_listing(html, "https://shop.example/kettle"), field) == value


def test_a_spec_list_read_as_one_text_stops_at_the_next_label():
    html = page("""<h1>Acme Kettle</h1><span class="price">€ 20,00</span><div class="product-info">
        <ul><li><strong>Proizvajalec:</strong> <a href="/m/13">B&amp;S</a></li>
        <li><strong>Šifra:</strong> 0638</li><li><strong>Razpoložljivost:</strong> Dobavljivo</li></ul></div>""",
                "<title>Acme Kettle</title>")
    listing = extract_listing(html, "https://shop.example/kettle")
    assert (listing.brand, listing.sku) == ("B&S", "0638")


def test_an_mpn_that_repeats_the_sku_is_not_the_makers_part_number():
    def listing(mpn: str):
        html = page("<h1>Acme Kettle</h1>", json_ld({
            "@context": "https://schema.org", "@type": "Product", "name": "Acme Kettle",  # url-ok: a literal for a pure function, never fetched
            "sku": "238887908", "mpn": mpn, "offers": {"@type": "Offer", "price": "20.00", "priceCurrency": "GBP"}}))
        return extract_listing(html, "https://shop.example/kettle")
    assert (listing("238887908").sku, listing("238887908").mpn) == ("238887908", None)
    assert listing("HL-200/B").mpn == "HL-200/B"


def test_layout_words_far_above_the_price_are_page_structure_not_other_products():
    # A theme nests the product's own price deep in "grid" layout boxes.
    nested = "".join(f"<div class='{c}'>" for c in ("page-grid", "grid__item", "wrap", "col", "box",
                                                      "inner", "meta", "info"))
    html = page(f"""<h1>Acme Kettle</h1>{nested}<span class="price">€ 20,00</span>{'</div>' * 8}
        <button>Add to cart</button><div class="delivery"><span class="price">€ 4,95</span></div>""",
                "<title>Acme Kettle</title>")
    assert extract_listing(html, "https://shop.example/kettle").price == Decimal("20.00")


@pytest.mark.parametrize(("shown", "gtin"), [
    ("EAN: 5018479061991.", "5018479061991"),  # the sentence's full stop is not a digit
    ("EAN: 5018479061992", None),  # a check digit that does not hold
    ("EAN: 0000000000000", None),  # a placeholder
])
def test_gtins_are_read_through_punctuation_and_checked(shown: str, gtin: str | None):
    html = page(f"<h1>Acme Watch</h1><span class='price'>£ 11,99</span><ul><li>{shown}</li></ul>",
                "<title>Acme Watch</title>")
    assert extract_listing(html, "https://shop.example.co.uk/watch").gtin == gtin


def test_a_shop_keyed_by_barcode_gives_its_sku_as_the_gtin():
    isbn = page("<h1>The Acme Book</h1>", "<title>The Acme Book</title>"
                "<meta property='product:retailer_item_id' content='9780552173742'>")
    assert extract_listing(isbn, "https://books.example.pt/acme").gtin == "9780552173742"
    internal = page("<h1>The Acme Book</h1>", "<title>The Acme Book</title>"
                    "<meta property='product:retailer_item_id' content='9780552173743'>")
    assert extract_listing(internal, "https://books.example.pt/acme").gtin is None


def test_brand_label_in_estonian():
    html = page("""<h1>Acme Mower</h1><span class="price">1 099,00 €</span>
        <table><tr><td> Kaubamärk </td><td><a href="/c/acme">Acme</a></td></tr></table>""", "<title>Acme Mower</title>")
    assert extract_listing(html, "https://shop.example.ee/mower").brand == "Acme"


@pytest.mark.parametrize(("label", "value"), [("Product Code - ", "39139301"), ("קוד מוצר:", "144432")])
def test_sku_labels_with_a_dash_or_in_hebrew(label: str, value: str):
    html = page(f"""<h1>Acme Boot</h1><span class="price">£ 136.00</span>
        <ul><li data-cy="attribute"><strong>{label}</strong>{value}</li></ul>""", "<title>Acme Boot</title>")
    assert extract_listing(html, "https://shop.example.co.uk/boot").sku == value


def test_a_feeds_mpn_copied_from_its_sku_is_dropped_even_when_the_shown_code_wins():
    html = page("<h1>Acme Boot</h1><ul><li><strong>Product Code - </strong>39139301</li></ul>", json_ld({
        "@context": "https://schema.org", "@type": "Product", "name": "Acme Boot",  # url-ok: a literal for a pure function, never fetched
        "sku": "238887908", "mpn": "238887908",
        "offers": {"@type": "Offer", "price": "136.00", "priceCurrency": "GBP"}}))
    listing = extract_listing(html, "https://shop.example.co.uk/boot")
    assert (listing.sku, listing.mpn) == ("39139301", None)


def test_a_makers_number_label_is_not_the_maker():
    html = page("""<h1>Acme Chair</h1><span class="price">$ 99.99</span><table>
        <tr><td>Item #</td><td>101095</td></tr><tr><td>Manufacturer #</td><td>HS-MG-0174</td></tr>
        <tr><td>Manufacturer</td><td>Acme</td></tr></table>""", "<title>Acme Chair</title>")
    listing = extract_listing(html, "https://shop.example/chair")
    assert (listing.sku, listing.mpn, listing.brand) == ("101095", "HS-MG-0174", "Acme")


def test_a_code_the_shop_names_by_attribute_is_the_shown_sku():
    html = page("""<h1>Acme Dress</h1><span class="price">99.00 NZD</span><p class="product-color">
        <span class="_colorName">Silver</span> - <span data-qa-qualifier="product-reference">3697/272</span></p>""",
                "<title>Acme Dress</title>" + json_ld({
                    "@context": "https://schema.org", "@type": "Product", "name": "Acme Dress",  # url-ok: a literal for a pure function, never fetched
                    "sku": "83341420-808-1", "offers": {"@type": "Offer", "price": "99.00", "priceCurrency": "NZD"}}))
    assert extract_listing(html, "https://shop.example.nz/dress").sku == "3697/272"
    # A name without a code in it is not a code.
    named = page("<h1>Acme Dress</h1><span class='product-code'>Silver</span>", "<title>Acme Dress</title>")
    assert extract_listing(named, "https://shop.example.nz/dress").sku is None


def test_model_label_in_italian_is_the_mpn():
    html = page("""<span id="productTitle">Acme Drill</span><table class="prodDetTable">
        <tr><th> Brand </th><td> ACME </td></tr><tr><th> Modello </th><td> ACME001 </td></tr></table>""",
                "<title>Acme Drill</title>")
    assert extract_listing(html, "https://www.amazon.it/dp/B0TESTIT12").mpn == "ACME001"  # url-ok


def test_a_currency_sign_in_its_own_element_before_the_amount():
    html = page("<h1>Acme Jerky</h1><div class='deal'><span>$</span><span>99</span></div><button>Add to cart</button>",
                "<title>Acme Jerky</title>")
    assert extract_listing(html, "https://shop.example/jerky").price == Decimal("99")


@pytest.mark.parametrize(("host", "currency"), [("shop.example.it", "EUR"), ("shop.example.co.uk", "GBP"),
                                                ("shop.example.com", None)])
def test_a_price_with_no_sign_is_in_the_currency_of_the_shops_country(host: str, currency: str | None):
    html = page("<h1>Acme Book</h1>", json_ld({
        "@context": "https://schema.org", "@type": "Product", "name": "Acme Book",  # url-ok: a literal for a pure function, never fetched
        "offers": {"@type": "Offer", "price": "17.10"}}))
    listing = extract_listing(html, f"https://{host}/book")  # url-ok
    assert (listing.price, listing.currency) == (Decimal("17.10"), currency)
