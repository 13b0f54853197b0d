"""Heuristics over the visible page when no markup names the fields: the product title is
the main heading, its price sits near it and near the buy button, its main image is the
large picture beside it. Scores are additive hints; weights were tuned on the train pages."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

import lxml.html

from ._document import bounded_text
from ._normalize import MAX_LENGTHS, absolute_url, clean_text, parse_price

__all__ = ["DomFacts", "read_dom", "stock_from_text", "strip_site_name"]

_MAX_ELEMENTS = 60_000
_MAX_IMAGES_SCORED = 2_000
_PRICE_HINT = re.compile(r"price|prc|cost|amount|sale|offer", re.I)
_PRICE_GOOD = re.compile(r"sale|current|now|final|our|actual|special|main|product|selling|buy|offer|deal|pdp|hero", re.I)
_PRICE_BAD = re.compile(
    r"old|was|strike|list|regular|standard|compare|orig|msrp|rrp|save|saving|discount|percent|per-|unit|ship|tax|"
    r"min|max|total|cart|bag|basket|related|recommend|similar|carousel|upsell|cross|also|filter|range|"
    r"slider|review|rating|shipping|installment|monthly|finance|klarna|afterpay|reward|points|member|club|"
    # a variant picker's prices belong to the other variants
    r"swatch|twister",
    re.I,
)
# Widgets of other products, looked for further up: a carousel's slide nests its price
# deep (a tile, a table, a cell), where layout words like "grid" or "list" are page structure.
_OTHER_PRODUCTS = re.compile(r"related|recommend|similar|carousel|upsell|cross-?sell|slick-|swiper-|owl-", re.I)
_CONTEXT_BAD = re.compile(
    r"related|recommend|similar|carousel|upsell|cross-?sell|also|minicart|mini-cart|"
    # a cart's drawer or summary, not the add-to-cart box the price sits in
    r"cart-(?:drawer|flyout|popup|overlay|preview|items?|summary|total|dropdown|content)|header|footer|"
    r"nav|menu|breadcrumb|sidebar|promo|banner|review|recently|viewed|compare|bundle|accessor|tile|grid|list|"
    # recommendation widgets by vendor: their prices belong to other products
    r"certona|monetate|richrelevance|\brr-|bloomreach|nosto|criteo|product-item\b|"
    # slider libraries: their slides are other products
    r"slick-|swiper-|owl-",
    re.I,
)
_IMAGE_GOOD = re.compile(r"main|hero|primary|product|zoom|large|big|featured|landing|gallery|detail|pdp|mainimage|photo|slide|magnif|image", re.I)
_IMAGE_BAD = re.compile(
    r"logo|icon|sprite|banner|avatar|thumb|swatch|badge|flag|rating|star|spacer|pixel|blank|loader|loading|"
    r"placeholder|transparent|promo|social|facebook|twitter|pinterest|payment|paypal|visa|arrow|btn|button|"
    r"close|play|video|rss|qr|captcha|tracking|beacon|1x1|trans\.gif|clear\.gif|/ads?/|advert|cart|header|footer|nav",
    re.I,
)
# The shop's own name for its main picture ("main-image", "hero-img", "primary_photo").
_IMAGE_MAIN = re.compile(r"(main|hero|primary|featured|landing)[-_]?(image|img|photo|picture|pic)", re.I)
_IMAGE_EXT = re.compile(r"\.(jpe?g|png|webp|avif|gif)(\?|$|;)|/is/image/|/image|imageservice|images?/", re.I)
# The shown picture first; lazy-loading and zoom attributes when `src` is a placeholder.
_IMAGE_ATTRS = ("src", "data-src", "data-original", "data-lazy-src", "data-old-hires", "data-zoom-image", "data-large-image")
_PLACEHOLDER = re.compile(r"^data:|blank|spacer|placeholder|transparent|loading|lazy|1x1|pixel|grey\.gif|clear\.gif", re.I)
_BUY_TEXT = re.compile(
    r"add to (cart|bag|basket)|buy (it )?now|add to trolley|in den warenkorb|ajouter au panier|"
    r"aggiungi al carrello|añadir a la cesta|añadir al carrito|agregar al carrito|comprar ahora|"
    r"adicionar ao carrinho|in (?:de )?winkelwagen|do koszyka|do košíka|do košíku|в корзину|"
    r"カートに入れる|加入購物車|加入购物车|장바구니|lisää ostoskoriin|kosárba|adaugă în coș|sepete ekle|"
    r"lägg i varukorgen|læg i kurv|legg i handlekurven|sofort-kaufen|achat immédiat|compralo subito|"
    r"我要購買|立即購買|立即购买|马上购买|直接購買|今すぐ購入|購入手続き|구매하기|바로구매|купить|kúpiť|koupit|kup teraz|"
    r"kosárba tesz|cumpără|satın al|naroči|v košarico|"
    # an auction's bid button: the lot can still be had
    r"place (?:a )?bid|submit (?:a )?bid|bid now|gebot abgeben|bieten|enchérir|fai un'offerta|pujar|licitar",
    re.I,
)
# A buy button named so by its id or class, whatever its label (often a picture): "buy_btn",
# "addToCartButton", "button-cart" (OpenCart's), "<div class=buyBtn><a ...>".
_BUY_ID = re.compile(
    r"^(?:add[-_]?to[-_]?(?:cart|bag|basket|trolley)|buy[-_]?(?:now|btn|button|box)?|button[-_]cart)(?:[-_]?(?:btn|button))?$",
    re.I)
_BUY_CLASS = re.compile(r"(?:^|\s)(?:buy[-_]?(?:btn|button|now)|add[-_]?to[-_]?(?:cart|bag|basket|trolley)(?:[-_]?(?:btn|button))?)(?:\s|$)",
                        re.I)
# A classified ad is bought by writing to its seller: a live ad with a price can be had.
_ASK_TEXT = re.compile(
    r"^(?:contact (?:the )?(?:seller|advertiser|owner)|e-?mail (?:the )?(?:user|seller|advertiser)|reply to (?:this )?ad|"
    r"send (?:a )?message|kontaktieren|verkäufer kontaktieren|nachricht senden|anbieter kontaktieren|"
    r"contacter (?:le vendeur|l'annonceur)|contatta (?:il venditore|l'inserzionista)|contactar (?:al )?vendedor)$",
    re.I)
_BUTTON_TAGS = frozenset({"button", "input", "a", "img"})


def _button_kind(element: lxml.html.HtmlElement) -> str | None:
    """"buy" for an add-to-cart or buy (or bid) button, "ask" for a classified's contact button."""
    if element.tag == "input":
        label = element.get("value") or element.get("alt")
    elif element.tag == "img":
        label = element.get("alt") or element.get("title")
    else:
        label = bounded_text(element, 80)
    label = " ".join(label.split()) if label and len(label) < 200 else ""
    if (label and len(label) < 80 and _BUY_TEXT.search(label)) or _BUY_ID.search(element.get("id") or ""):
        return "buy"
    if element.tag != "img":
        parent = element.getparent()
        classes = (element.get("class") or "") + " " + ((parent.get("class") or "") if parent is not None else "")
        if _BUY_CLASS.search(classes):
            return "buy"
    if label and _ASK_TEXT.match(label):
        return "ask"
    return None
_SITE_SEPARATORS = re.compile(r"\s+(?:[|\-–—:•·»]|at|by|on)\s+")
_HEADING_BAD = re.compile(r"logo|brand|site-?name|masthead", re.I)
# Stock stated in words, as buy boxes do, in the languages marketplaces are read in. The
# negative forms are tried first: most of them contain a positive word ("non disponibile").
_OUT_OF_STOCK_WORDS = re.compile(
    r"out of stock|sold out|currently unavailable|temporarily unavailable|no longer available|not available|"
    r"(?:listing|bidding|auction) (?:has )?ended|angebot (?:wurde )?beendet|enchère terminée|inserzione terminata|"
    r"unavailable|nicht (?:auf lager|verfügbar|lieferbar|vorrätig|erhältlich)|ausverkauft|vergriffen|"
    r"(?:actuellement |temporairement )?(?:indisponible|épuisé|en rupture)|rupture de stock|"
    r"non disponibile|esaurito|non (?:è )?disponibile|agotado|sin stock|no disponible|agotada|"
    r"esgotado|indisponível|niet (?:op voorraad|leverbaar|beschikbaar)|uitverkocht|"
    r"brak w magazynie|niedostępny|wyprzedan|nedostupn|vyprodáno|нет в наличии|не в наличии|нет на складе|"
    r"распродан|在庫切れ|売り切れ|缺货|已售完|無庫存|售完|품절|slutsåld|ikke på lager|udsolgt|loppu",
    re.I,
)
_IN_STOCK_WORDS = re.compile(
    r"\bin stock\b|\bonly \d+ left|\b\d+ available\b|more than \d+ available|last one\b|available now|"
    r"available from|ships? (?:today|tomorrow|within)|usually (?:ships|dispatched) within|"
    r"auf lager|nur noch \d+|sofort lieferbar|lieferbar|verfügbar|vorrätig|erhältlich|versandfertig in|"
    r"en stock|plus que \d+|disponible|disponibile|expédié sous|généralement expédié|spedito (?:entro|in)|"
    r"se envía en|solo \d+|rimast|in magazzino|disponível|em estoque|"
    r"quedan? \d+|op voorraad|leverbaar|na stanie|dostępn|skladem|na sklade|в наличии|"
    r"在庫あり|有货|有現貨|현재 구매 가능|på lager|i lager|varastossa",
    re.I,
)


# "Image not available", "Video nicht verfügbar": words about the page, not the stock.
_NOT_STOCK_SUBJECT = re.compile(r"image|photo|picture|bild|foto|video|vidéo|imagen|immagine|zoom|review|bewertung", re.I)


def stock_from_text(text: str | None) -> str | None:
    """"InStock" or "OutOfStock" from a buy box's words ("Auf Lager.", "Non disponibile",
    "Plus que 3 exemplaires", "More than 10 available"); None when they say neither."""
    if not text:
        return None
    text = " ".join(text.split())[:300]
    if _NOT_STOCK_SUBJECT.search(text):
        return None
    if _OUT_OF_STOCK_WORDS.search(text):
        return "OutOfStock"
    if _IN_STOCK_WORDS.search(text):
        return "InStock"
    return None


# Label words of spec tables and detail lists, per field: "Item number: 1234", "<th>Marke</th>
# <td>Oceana</td>", "Art.-Nr. 4711", "Réf. : AB12", "商品編號：M123".
_LABELS: dict[str, re.Pattern[str]] = {
    "sku": re.compile(
        r"^(?:sku|item (?:number|no\.?|#)|article number|art(?:ikel)?\.?\s*-?\s*nr\.?|artikelnummer|artikel-?nummer|"
        r"réf(?:érence)?\.?|ref(?:erence)?\.?|product (?:code|number|no\.?|id)|product-?id|item code|código|"
        r"cod(?:ice)?\.? (?:articolo|prodotto)|codice|kod produktu|numer produktu|katalógové číslo|kód produktu|"
        r"код(?: товара)?|артикул|kód|kood|tootekood|code (?:produit|article)|商品編號|商品编号|商品番号|货号|品番|asin|numéro d'article|n° d'article|"
        r"artículo|referencia|item id|bestellnummer|bestell-?nr\.?|order (?:number|no\.?|code)|"
        r"šifra(?: (?:artikla|izdelka|proizvoda))?|kataloški broj|cikkszám|termékkód|kod towaru|varenummer|"
        r"artikelnr\.?|artikkelnummer|tuotenumero|tuotekoodi|prekės kodas|preces kods|ürün kodu|מק\"ט|קוד מוצר|"
        r"رمز المنتج|رقم المنتج|кат\. номер|mã sản phẩm|รหัสสินค้า)$",
        re.I,
    ),
    # The maker named in a spec list is the brand a shopper sees ("Hersteller", "Výrobca").
    "brand": re.compile(
        r"^(?:brand(?: name)?|marke|marca|marque|merk|märke|marka|бренд|品牌|ブランド|브랜드|manufacturer|hersteller|"
        r"kaubamärk|zīmols|prekės ženklas|značka|znamka|márka|merkki|marchio|varemerke|varumärke|mærke|μάρκα|марка|"
        r"מותג|العلامة التجارية|ยี่ห้อ|thương hiệu|merek|"
        r"fabricant|produttore|fabricante|producent|proizvajalec|proizvođač|výrobca|výrobce|gyártó|ražotājs|tootja|"
        r"gamintojas|valmistaja|tillverkare|производитель|производител|виробник|制造商|メーカー|제조사)$",
        re.I),
    "mpn": re.compile(
        r"^(?:mpn|(?:item )?model (?:number|no\.?)|modellnummer|herstellernummer|hersteller-?artikelnummer|"
        r"(?:manufacturer )?part number|numéro du modèle de l'article|numero modello articolo|"
        r"número de modelo del producto|référence fabricant|modelo|model|ražotāja kods|tootja kood|gamintojo kodas|"
        r"kód výrobce|kód výrobcu|kod producenta|código (?:del )?fabricante|codice produttore|fabrikantcode|"
        r"valmistajan koodi|tillverkarens artikelnummer|herstellerartikelnummer|part no\.?|"
        r"(?:manufacturer|mfr\.?|mfg\.?|model|part) #|modello|modell|modèle|numéro de modèle|modelnummer)$",
        re.I,
    ),
    "gtin": re.compile(r"^(?:ean|ean-?13|upc|gtin(?:-?1[234])?|isbn-?13|barcode|código de barras)$", re.I),
}
# "Brand:", "Brand", "Product Code -" alone (the value follows), or "Brand: Acme" in one text.
_LABEL_SPLIT = re.compile(r"^\s*([^:：]{2,40}?)\s*(?:[:：#]|\s[-–])?\s*$|^\s*([^:：]{2,40}?)\s*[:：]\s*(\S.{0,120}?)\s*$")
_LABEL_TAGS = frozenset({"th", "td", "dt", "dd", "span", "b", "strong", "label", "li", "div", "p", "em", "h3", "h4"})


_LABEL_AND_ID = re.compile(r"^\s*(\D{2,40}?)\s+(\w[\w./-]{2,39})\s*$")


def _label_field(text: str) -> tuple[str, str | None] | None:
    match = _LABEL_SPLIT.match(text)
    if match:
        label = (match.group(1) or match.group(2) or "").strip().rstrip(".:：").strip()
        # "Manufacturer #" is the maker's number, not the maker.
        numbered = match.group(1) is not None and re.search(r"#\s*[:：]?\s*$", text) is not None
        for name, pattern in _LABELS.items():
            if numbered and name == "brand":
                continue
            if pattern.match(label) or pattern.match(label + ".") or (numbered and pattern.match(label + " #")):
                return name, match.group(3)
    # "Art.-Nr. 4711", "Bestellnummer 106606": a label, no colon, one id-like word.
    bare = _LABEL_AND_ID.match(text)
    if bare and re.search(r"\d", bare.group(2)) and ":" not in text:
        found = _label_field(bare.group(1) + ":")
        if found is not None and found[0] in ("sku", "mpn", "gtin"):
            return found[0], bare.group(2)
    return None


_NEXT_LABEL = re.compile(r"\s+[^\W\d][^\s:：]{1,30}[:：]\s")


def _following_text(element: lxml.html.HtmlElement) -> str | None:
    """The value beside a label: its tail, else the next sibling's text, else the parent's next
    sibling's (a <th> in its own cell, a label <span> in its own <div>)."""
    tail = (element.tail or "").strip(" :：\t\n")
    if tail:
        return tail
    for node in (element, element.getparent()):
        if node is None:
            continue
        sibling = node.getnext()
        while sibling is not None and not isinstance(sibling.tag, str):
            sibling = sibling.getnext()
        if sibling is not None:
            text = bounded_text(sibling, 200).strip(" :：\t\n")
            if text:
                return text
    return None


def labelled_values(elements: list[lxml.html.HtmlElement]) -> dict[str, str]:
    """sku, brand, mpn and gtin as spec tables and detail lists state them in words."""
    out: dict[str, str] = {}
    for element in elements:
        if element.tag not in _LABEL_TAGS:
            continue
        own = element.text
        if not own or not own.strip() or len(own) > 160 or len(element) > 3:
            continue
        if len(element):
            own = bounded_text(element, 160)
        found = _label_field(" ".join(own.split()))
        if found is None:
            continue
        name, value = found
        if name in out:
            continue
        value = value or _following_text(element)
        # "B&S Šifra: 0638": a list read as one text runs on into the next label.
        value = clean_text(_NEXT_LABEL.split(value, 1)[0], MAX_LENGTHS[name]) if value else None
        if value and len(value) <= 120 and not _label_field(value):
            out[name] = value
        if len(out) == len(_LABELS):
            break
    if "sku" not in out:
        shown = _named_code(elements)
        if shown:
            out["sku"] = shown
    return out


# An element the shop names as the product's code ("product-reference", "product-sku"),
# holding the code alone: shown to shoppers as a label's value is.
_CODE_NAME = re.compile(r"product[-_]?(?:reference|ref|code|sku|number)|\bsku[-_]?(?:value|number|code)\b|"
                        r"item[-_]?(?:number|code)|article[-_]?(?:number|code)", re.I)
_CODE_VALUE = re.compile(r"^(?=[^\s]*\d)[A-Za-z0-9][\w./-]{2,30}$")


def _named_code(elements: list[lxml.html.HtmlElement]) -> str | None:
    for element in elements:
        if element.tag not in ("span", "div", "p", "dd", "td", "strong", "b", "em", "small", "li"):
            continue
        names = " ".join(v for k, v in element.attrib.items() if k in ("class", "id") or k.startswith("data-"))
        if not names or not _CODE_NAME.search(names) or len(element):
            continue
        text = (element.text or "").strip()
        if _CODE_VALUE.match(text):
            return text
    return None


@dataclass(frozen=True, slots=True)
class DomFacts:
    title: str | None  # the main heading, when it looks like the product's name
    page_title: str | None
    price: Decimal | None
    currency: str | None
    images: tuple[str, ...]
    image_scores: tuple[float, ...]  # one per image: how strongly it looks like the main one
    availability: str | None
    # Every amount the page shows as a price, with the best score any element showing it got.
    shown_prices: tuple[tuple[Decimal, float], ...] = ()
    # Every amount written with a currency anywhere in the page's text, scored or not.
    written_prices: frozenset[Decimal] = frozenset()
    # Every image URL the page shows (src, lazy-load attributes, srcset, <picture> sources),
    # with its element's score: another rendition of a declared image is found here.
    shown_images: tuple[tuple[str, float], ...] = ()
    # sku, brand, mpn, gtin as the page states them beside a label word.
    labelled: dict[str, str] = field(default_factory=dict)
    # A priced page with an enabled buy button: it can be ordered, whatever its words say.
    buyable: bool = False


def strip_site_name(page_title: str | None, host: str = "") -> str | None:
    """The product part of a <title>: pieces between separators, minus the site's name (the
    piece naming the host, else the last one), longest first."""
    if not page_title:
        return None
    pieces = [p.strip() for p in _SITE_SEPARATORS.split(page_title) if p.strip()]
    if len(pieces) <= 1:
        return page_title
    labels = [label for label in host.lower().split(".") if len(label) > 3 and label not in ("www", "shop", "store")]
    rest = [p for p in pieces if not any(label in re.sub(r"\W", "", p.lower()) for label in labels)]
    if len(rest) == len(pieces):
        rest = pieces[:-1]
    return max(rest or pieces, key=len)


def _heading_text(element: lxml.html.HtmlElement) -> str | None:
    """A heading's text without the prices and badges some shops nest inside it."""
    parts: list[str] = [element.text or ""]
    size = 0
    stack = list(reversed([c for c in element if isinstance(c.tag, str)]))
    while stack and size < MAX_LENGTHS["title"] and len(parts) < 2_000:
        child = stack.pop()
        if child.tag not in ("script", "style") and not _PRICE_HINT.search(_attr_text(child)):
            parts.append(child.text or "")
            stack.extend(reversed([c for c in child if isinstance(c.tag, str)]))
        # A tail belongs to the parent's flow, so it is kept even after a skipped child.
        parts.append(child.tail or "")
        size += len(parts[-1]) + len(parts[-2])
    return clean_text(" ".join(parts), MAX_LENGTHS["title"])


def _attr_text(element: lxml.html.HtmlElement) -> str:
    parts = [element.get("id") or "", element.get("class") or "", element.get("itemprop") or ""]
    parts += [f"{k}" for k in element.attrib if k.startswith("data-")]
    return " ".join(parts)


def _context_text(element: lxml.html.HtmlElement, levels: int = 6) -> str:
    parts = []
    parent = element.getparent()
    while parent is not None and levels > 0:
        if isinstance(parent.tag, str):
            parts.append(parent.tag if parent.tag in ("header", "footer", "nav", "aside") else "")
            parts.append(parent.get("id") or "")
            parts.append(parent.get("class") or "")
        parent = parent.getparent()
        levels -= 1
    return " ".join(parts)


_RANGE_JOIN = re.compile(r"^(?:[-–—~]|to|bis|à|a|al|до|から|至)$", re.I)


def _range_high_end(element: lxml.html.HtmlElement) -> bool:
    """The second amount of a range ("<span>$3.499</span> - <span>$4.059</span>"): a range is
    priced from its low end."""
    node, levels = element, 0
    while node is not None and levels < 4:
        before = node.getprevious()
        if before is not None:
            return bool(_RANGE_JOIN.match((before.tail or "").strip()))
        if (node.getparent() is not None and (node.getparent().text or "").strip()):
            return False
        node, levels = node.getparent(), levels + 1
    return False


def _in_struck(element: lxml.html.HtmlElement) -> bool:
    parent, levels = element, 0
    while parent is not None and levels < 4:
        if parent.tag in ("del", "s", "strike"):
            return True
        if "line-through" in (parent.get("style") or ""):
            return True
        parent = parent.getparent()
        levels += 1
    return False


def _int_attr(element: lxml.html.HtmlElement, name: str) -> int:
    match = re.match(r"\s*(\d{1,5})", element.get(name) or "")
    return int(match.group(1)) if match else 0


def _tokens(text: str | None) -> set[str]:
    return {t for t in re.findall(r"\w{3,}", (text or "").lower())}


def read_dom(root: lxml.html.HtmlElement, base: str, host: str) -> DomFacts:
    """Title, price, images and stock state read from the visible page alone."""
    title_element = root.find(".//title")
    page_title = clean_text(bounded_text(title_element, MAX_LENGTHS["title"]) if title_element is not None else None,
                            MAX_LENGTHS["title"])

    elements: list[lxml.html.HtmlElement] = []
    headings: list[tuple[int, str]] = []
    buy_index: int | None = None
    buy_enabled = False
    can_ask = False
    for element in root.iter():
        if not isinstance(element.tag, str) or element.tag in ("script", "style", "noscript", "template", "svg"):
            continue
        elements.append(element)
        index = len(elements) - 1
        if element.tag == "h1" and len(headings) < 20 and not _HEADING_BAD.search(_attr_text(element)):
            text = _heading_text(element)
            if text and 2 <= len(text) <= 400:
                headings.append((index, text))
        if buy_index is None and element.tag in _BUTTON_TAGS:
            kind = _button_kind(element)
            if kind == "buy":
                buy_index = index
                buy_enabled = element.get("disabled") is None and not re.search(
                    r"disabled|inactive|unavailable", element.get("class") or "", re.I)
            elif kind == "ask" and element.get("disabled") is None:
                can_ask = True
        if len(elements) >= _MAX_ELEMENTS:
            break
    # The product's heading shares words with the <title>; others are banners and sections.
    title_words = _tokens(page_title)
    matching = [h for h in headings if not _tokens(h[1]).isdisjoint(title_words)]
    if matching:
        h1_index, h1_text = matching[0]
    elif headings and len(title_words) < 2:
        h1_index, h1_text = headings[0]
    else:
        h1_index, h1_text = None, None
    anchor = h1_index if h1_index is not None else buy_index
    title = h1_text

    price, currency, shown_prices = _best_price(elements, anchor, buy_index, host)
    images, image_scores, shown_images = _best_images(
        elements, anchor, base, title or strip_site_name(page_title, host))
    availability = None
    if anchor is not None:
        # The buy box's words near the product's heading and its buy button.
        window = elements[max(0, anchor - 50): anchor + 400]
        if buy_index is not None:
            window = elements[max(0, buy_index - 60): buy_index + 10] + window
        for element in window:
            if element.tag in ("option", "script", "style", "a", "button") or _CONTEXT_BAD.search(_attr_text(element)):
                continue
            text = element.text if element.text and len(element.text) < 120 else ""
            availability = stock_from_text(text)
            if availability:
                break
    return DomFacts(title, page_title, price, currency, images, image_scores, availability, shown_prices,
                    _written_prices(elements, host), shown_images, labelled_values(elements),
                    buyable=(buy_enabled or buy_index is None and can_ask) and price is not None)


# A currency sign or word beside digits, as shops write them in many countries ("30,000원",
# "294 元", "5 000 тг.", "Rs 23,450", "199 Lei").
_MONEY_SIGN = (
    r"(?:[$€£¥₹₩₽₺₪₫฿₱₴₦₸]|(?<![^\W\d_])(?:zł|kr|Kč|Ft|[Ll]ei|лв|руб|грн|тг|원|元|円|TL|Rs\.?|R\$|S/|"
    r"CHF|EUR|USD|GBP|CAD|AUD|RON|PLN|CZK|HUF|SEK|NOK|DKK|RUB|INR|JPY|CNY|KRW|TWD|BRL|MXN|ARS|CLP|PKR)(?![^\W\d_]))"
)
_MONEY_TEXT = re.compile(rf"{_MONEY_SIGN}\s*\d|\d\s*{_MONEY_SIGN}")
_BARE_AMOUNT = re.compile(r"^\d{1,3}(?:[.,\s]\d{3})*(?:[.,]\d{1,2})?$|^\d{1,9}(?:[.,]\d{1,2})?$")
_SIGN_BEFORE = re.compile(rf"({_MONEY_SIGN})[\s:：]*$")
_SIGN_AFTER = re.compile(rf"^\s*({_MONEY_SIGN})")
# Amounts that are not the price: savings, per-unit and monthly amounts, a rate or a points
# value ("1點=1元"), an aside in brackets.
_DISCOUNT_TEXT = re.compile(
    r"\bsav(?:e|ings?)\b|\boff\b|^\s*-\s*\D{0,3}\d|\bper\b|/\s*(?:mo|month|oz|lb|kg|count|ct)\b|=|^\s*[(（]", re.I)


def _written_prices(elements: list[lxml.html.HtmlElement], host: str) -> frozenset[Decimal]:
    """Amounts the page's visible text writes as money (text and tails alike: shops often
    put the price after a <meta> or an icon inside the price element)."""
    found: set[Decimal] = set()
    for element in elements:
        if element.tag in ("meta", "input", "link", "option", "title"):
            continue
        for piece in (element.text, element.tail):
            if not piece or len(piece) > 200 or not _MONEY_TEXT.search(piece):
                continue
            amount, _ = parse_price(piece, host=host, quiet=True)
            if amount is not None and amount > 0:
                found.add(amount)
            if len(found) > 5_000:
                return frozenset(found)
    return frozenset(found)


def _split_price(element: lxml.html.HtmlElement, own: str) -> str | None:
    """An amount whose currency sign is its neighbour, not its own text ("$<span>99</span>",
    "<b>294</b><span>元</span>", "30,000<sub>원</sub>"): the two read together, or None."""
    if len(element):
        inner = bounded_text(element, 40) if len(element) <= 2 else ""
        return inner if len(inner) <= 40 and _MONEY_TEXT.search(inner) else None
    before, parent = element.getprevious(), element.getparent()
    if before is not None:
        before_text = before.tail or ""
        if not before_text.strip() and isinstance(before.tag, str) and not len(before):
            before_text = before.text or ""  # "<span>$</span><span>99</span>"
    else:
        before_text = (parent.text if parent is not None else None) or ""
    sign = _SIGN_BEFORE.search(before_text[-40:])
    if sign:
        return f"{sign.group(1)} {own}"
    after_text = element.tail or ""
    if not after_text.strip():
        after = element.getnext()
        after_text = (after.text or "") if after is not None and isinstance(after.tag, str) else ""
    sign = _SIGN_AFTER.match(after_text[:40])
    return f"{own} {sign.group(1)}" if sign else None


def _in_price_container(element: lxml.html.HtmlElement) -> bool:
    """An unmarked amount inside a price box ("<div class=price><span><span>$49</span>")."""
    parent, levels = element.getparent(), 0
    while parent is not None and levels < 2:
        if _PRICE_HINT.search(_attr_text(parent)) and not _PRICE_BAD.search(_attr_text(parent)):
            return True
        parent, levels = parent.getparent(), levels + 1
    return False


def _best_price(
    elements: list[lxml.html.HtmlElement], anchor: int | None, buy_index: int | None, host: str
) -> tuple[Decimal | None, str | None, tuple[tuple[Decimal, float], ...]]:
    best: tuple[float, Decimal, str | None] | None = None
    shown: dict[Decimal, float] = {}
    for index, element in enumerate(elements):
        attrs = _attr_text(element)
        hinted = bool(_PRICE_HINT.search(attrs))
        own = (element.text or "").strip()
        if not hinted and element.tag == "option":
            # A drop-down's amounts are filters ("Less than 10€") or other variants.
            continue
        split_text = None
        if not hinted and not _MONEY_TEXT.search(own[:40]):
            split_text = _split_price(element, own) if own and len(own) < 16 and _BARE_AMOUNT.match(own) else None
            if split_text is None:
                continue
        content = element.get("content") if hinted else None
        text = content or split_text or bounded_text(element, 61)
        if not content and element.find(".//sup") is not None:
            # Cents set as a superscript ("173<sup>34</sup> Lei"): kept apart, read as cents.
            text = " ".join(piece.strip() for piece in element.itertext())[:61]
        if not text or len(text) > 60 or not re.search(r"\d", text):
            continue
        amount, currency = parse_price(text, host=host, quiet=True)
        if amount is None or amount <= 0:
            continue
        score = 0.0
        if hinted:
            score += 3 if re.search(r"price", element.get("id") or "", re.I) else 2
            if element.get("itemprop") == "price":
                score += 2
        if currency:
            score += 1.5
        elif not hinted:
            continue
        if not hinted and _in_price_container(element):
            score += 1.5
        if _PRICE_GOOD.search(attrs):
            score += 1
        if _PRICE_BAD.search(attrs):
            score -= 2.5
        if _CONTEXT_BAD.search(_context_text(element)) or _OTHER_PRODUCTS.search(_context_text(element, 10)):
            score -= 1.5
        if _in_struck(element):
            score -= 4
        if _range_high_end(element):
            score -= 2
        if _DISCOUNT_TEXT.search(text):
            score -= 2.5
        if anchor is not None:
            distance = index - anchor
            score -= min(abs(distance), 600) / 120 + (1.0 if distance < -40 else 0)
        else:
            score -= index / 2000
        if buy_index is not None:
            score -= min(abs(index - buy_index), 600) / 300
        # Nested hinted elements hold the same price: prefer the innermost, tightest text.
        score -= len(text) / 60
        if best is None or score > best[0]:
            best = (score, amount, currency)
        # Hidden inputs and <meta> carry markup, not what a shopper sees.
        if element.tag not in ("meta", "input", "link", "option") and score > shown.get(amount, -1e9):
            shown[amount] = score
    if best is None:
        return None, None, ()
    return best[1], best[2], tuple(shown.items())


_DISPLAY_NONE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)


def _hidden(element: lxml.html.HtmlElement, levels: int = 6) -> bool:
    """Inside an element styled invisible: a stored page keeps what scripts had hidden."""
    while element is not None and levels >= 0:
        if _DISPLAY_NONE.search(element.get("style") or ""):
            return True
        element, levels = element.getparent(), levels - 1
    return False


def _srcset_urls(value: str | None) -> list[str]:
    """URLs of a srcset, the largest candidate first ("a.jpg 300w, b.jpg 800w" -> b, a)."""
    if not value or len(value) > 20_000:
        return []
    sized: list[tuple[float, int, str]] = []
    for position, part in enumerate(value.split(",")[:40]):
        pieces = part.split()
        if not pieces or _PLACEHOLDER.search(pieces[0]):
            continue
        size = 0.0
        if len(pieces) > 1:
            match = re.match(r"(\d+(?:\.\d+)?)([wx])$", pieces[1])
            if match:
                size = float(match.group(1)) * (1 if match.group(2) == "w" else 1000)
        sized.append((-size, position, pieces[0]))
    return [url for _, _, url in sorted(sized)]


def _renditions(element: lxml.html.HtmlElement) -> list[str]:
    """Every URL an <img> may show: `src` first unless it is a placeholder, then lazy-load and
    zoom attributes, its srcset and its <picture>'s <source> sets."""
    urls: list[str] = []
    for attr in _IMAGE_ATTRS:
        value = (element.get(attr) or "").strip()
        if value and not _PLACEHOLDER.search(value):
            urls.append(value)
    for attr in ("srcset", "data-srcset", "data-lazy-srcset"):
        urls += _srcset_urls(element.get(attr))
    parent = element.getparent()
    if parent is not None and parent.tag == "picture":
        for source in parent.iterchildren("source"):
            urls += _srcset_urls(source.get("srcset") or source.get("data-srcset"))
    return urls[:20]


_URL_SIZE = re.compile(r"(?<!\d)(\d{2,4})x(\d{2,4})(?!\d)|[?&;](?:wid|w|width|maxwidth|sw)=(\d{2,4})", re.I)


def _url_size(url: str) -> int:
    """The width a rendition's URL asks for ("/images/50x50/", "?wid=458"), else 0."""
    match = _URL_SIZE.search(url)
    if not match:
        return 0
    return int(match.group(1) or match.group(3) or 0)


def _best_images(
    elements: list[lxml.html.HtmlElement], anchor: int | None, base: str, title: str | None
) -> tuple[tuple[str, ...], tuple[float, ...], tuple[tuple[str, float], ...]]:
    title_tokens = _tokens(title)
    scored: list[tuple[float, str]] = []
    shown: dict[str, float] = {}
    seen = 0
    for index, element in enumerate(elements):
        if element.tag != "img":
            continue
        seen += 1
        if seen > _MAX_IMAGES_SCORED:
            break
        urls = [u for u in (absolute_url(raw, base) for raw in _renditions(element)) if u]
        if not urls:
            continue
        url = urls[0]
        attrs = _attr_text(element) + " " + (element.get("alt") or "")
        score = 0.0
        if _IMAGE_GOOD.search(attrs):
            score += 2
        if _IMAGE_MAIN.search((element.get("id") or "") + " " + (element.get("class") or "")):
            score += 1
        if _hidden(element):
            score -= 2
        if _IMAGE_BAD.search(attrs) or _IMAGE_BAD.search(url):
            score -= 3
        if _CONTEXT_BAD.search(_context_text(element, 4)):
            score -= 1.5
        if not _IMAGE_EXT.search(url):
            score -= 1
        if url.lower().endswith((".svg", ".gif")):
            score -= 1.5
        width, height = _int_attr(element, "width"), _int_attr(element, "height")
        # A size baked into the URL is as good a hint as the attributes when they are absent.
        width = width or _url_size(url)
        if width and height and width * height < 90 * 90 or 0 < width < 90:
            score -= 3
        elif width >= 250 or height >= 250:
            score += 1.5
        if title_tokens:
            overlap = len(title_tokens & _tokens(element.get("alt"))) / len(title_tokens)
            score += 2.5 * overlap
        if anchor is not None:
            score -= min(abs(index - anchor), 1500) / 250
        else:
            score -= index / 1500
        scored.append((score, url))
        # The element's own `src` is the rendition shown; its other sizes rank just below it.
        for position, rendition in enumerate(urls):
            rendition_score = score - 0.001 * position
            if rendition_score > shown.get(rendition, -1e9):
                shown[rendition] = rendition_score
    scored.sort(key=lambda pair: -pair[0])
    out: list[str] = []
    scores: list[float] = []
    for score, url in scored:
        if url not in out:
            out.append(url)
            scores.append(score)
        if len(out) >= 10:
            break
    return tuple(out), tuple(scores), tuple(shown.items())
