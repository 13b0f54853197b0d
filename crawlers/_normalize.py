"""Field normalisers shared by every extraction source: hostile text made safe and bounded,
prices and currencies, availability, identifiers and URLs."""

from __future__ import annotations

import html
import logging
import re
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urljoin, urlsplit

from price_parser import Price
from price_parser._currencies import CURRENCIES, CURRENCY_CODES

__all__ = [
    "MAX_LENGTHS",
    "clean_text",
    "parse_price",
    "normalize_currency",
    "country_currency",
    "normalize_availability",
    "normalize_gtin",
    "absolute_url",
    "first",
]

# Listings are written by strangers: every text field is bounded before it leaves us.
MAX_LENGTHS: dict[str, int] = {
    "title": 1_000,
    "description": 20_000,
    "brand": 300,
    "sku": 200,
    "gtin": 20,
    "mpn": 200,
    "listing_id": 200,
    "ships_from": 300,
    "seller_name": 300,
    "seller_id": 300,
    "url": 4_000,
}

# Unpaired surrogates too ("\ud800" in JSON-LD): no encoder takes them, so the listing could not be hashed or stored.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff\ud800-\udfff]")
_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_NEWLINES = re.compile(r"\s*\n\s*")


def first(value: Any) -> Any:
    """The first non-empty element of a list (JSON-LD and microdata allow lists anywhere)."""
    if isinstance(value, (list, tuple)):
        for item in value:
            if item not in (None, "", [], {}):
                return item
        return None
    return value


def clean_text(value: Any, limit: int, *, multiline: bool = False) -> str | None:
    """Strip control characters, unescape stray entities, collapse whitespace, cap the length."""
    value = first(value)
    if isinstance(value, dict):
        value = value.get("name") or value.get("@value")
    if value is None or isinstance(value, (dict, list, bool)):
        return None
    text = str(value)
    if len(text) > limit * 4:
        text = text[: limit * 4]
    if "&" in text:
        # Some shops double-escape JSON-LD strings ("&amp;quot;"): one more round is enough.
        text = html.unescape(html.unescape(text))
    text = _CONTROL.sub("", text)
    if multiline:
        text = _SPACES.sub(" ", text)
        text = _NEWLINES.sub("\n", text).strip()
    else:
        text = " ".join(text.split())
    if not text:
        return None
    return text[:limit].rstrip()


_CURRENCY_SYMBOLS: dict[str, str] = {
    "$": "USD", "us$": "USD", "usd": "USD", "€": "EUR", "eur": "EUR", "£": "GBP", "gbp": "GBP",
    "¥": "JPY", "jp¥": "JPY", "円": "JPY", "cn¥": "CNY", "rmb": "CNY", "元": "CNY", "₹": "INR",
    "rs": "INR", "rs.": "INR", "₩": "KRW", "₽": "RUB", "руб": "RUB", "₺": "TRY", "₪": "ILS",
    "₫": "VND", "฿": "THB", "₱": "PHP", "zł": "PLN", "kč": "CZK", "r$": "BRL", "a$": "AUD",
    "au$": "AUD", "c$": "CAD", "ca$": "CAD", "cad": "CAD", "nz$": "NZD", "hk$": "HKD",
    "s$": "SGD", "mx$": "MXN", "chf": "CHF", "kr": "SEK", "₴": "UAH", "₦": "NGN", "rm": "MYR",
    # Words shops write that price-parser's table lacks or shares between currencies.
    "원": "KRW", "₩": "KRW", "руб.": "RUB", "р.": "RUB", "lei": "RON", "лв": "BGN", "лв.": "BGN",
    "грн": "UAH", "грн.": "UAH", "тг": "KZT", "тг.": "KZT", "₸": "KZT", "nt$": "TWD", "nt": "TWD",
}
_ISO_CODES = frozenset(code for code in CURRENCY_CODES if len(code) == 3 and code.isalpha())


def _one_currency_symbols() -> dict[str, str]:
    """Symbols in price-parser's table that name a single currency ("Ft", "Kč", "ر.س")."""
    codes: dict[str, set[str]] = {}
    for code, info in CURRENCIES.items():
        for key in ("s", "sn"):
            symbol = str(info.get(key) or "").lower().strip(". \u200f")
            if symbol and not any(c.isdigit() for c in symbol):
                codes.setdefault(symbol, set()).add(code)
    return {symbol: next(iter(found)) for symbol, found in codes.items() if len(found) == 1}


_LIBRARY_SYMBOLS = _one_currency_symbols()
# The same sign names another currency by country ("$" on a .cl shop is pesos).
_BY_HOST: dict[str, dict[str, str]] = {
    "元": {"tw": "TWD", "hk": "HKD", "mo": "MOP"},
    "¥": {"cn": "CNY"},
    "rs": {"pk": "PKR", "lk": "LKR", "np": "NPR"},
    "rs.": {"pk": "PKR", "lk": "LKR", "np": "NPR"},
}


def normalize_currency(value: Any, *, host: str = "") -> str | None:
    """An ISO 4217 code from a code or a symbol; a bare "$" or "kr" is read with the host's TLD."""
    value = first(value)
    if value is None:
        return None
    text = str(value).strip()[:10]
    if text.upper() in _ISO_CODES:
        return text.upper()
    key = text.lower().replace(" ", "").rstrip("~")
    code = _CURRENCY_SYMBOLS.get(key) or _LIBRARY_SYMBOLS.get(key.strip("."))
    tld = host.rsplit(".", 1)[-1] if host else ""
    if code == "USD" and key == "$":
        code = _dollar_for_host(host)
    elif code == "SEK":
        code = {"no": "NOK", "dk": "DKK"}.get(tld, "SEK")
    elif key in _BY_HOST:
        code = _BY_HOST[key].get(tld, code)
    return code


def _dollar_for_host(host: str) -> str:
    tld = host.rsplit(".", 1)[-1] if host else ""
    return {"ca": "CAD", "au": "AUD", "nz": "NZD", "sg": "SGD", "hk": "HKD", "mx": "MXN", "tw": "TWD",
            "ar": "ARS", "cl": "CLP", "uy": "UYU"}.get(tld, "USD")


# The currency of a country's own shops, for a price written with no sign at all.
_TLD_CURRENCY: dict[str, str] = {
    **dict.fromkeys(("de", "fr", "it", "es", "nl", "at", "be", "ie", "fi", "pt", "gr", "sk", "si", "lv", "lt", "ee",
                     "lu", "mt", "cy", "hr"), "EUR"),
    "uk": "GBP", "pl": "PLN", "cz": "CZK", "hu": "HUF", "ro": "RON", "bg": "BGN", "se": "SEK", "dk": "DKK",
    "no": "NOK", "ch": "CHF", "ru": "RUB", "ua": "UAH", "by": "BYN", "kz": "KZT", "tr": "TRY", "il": "ILS",
    "jp": "JPY", "kr": "KRW", "cn": "CNY", "tw": "TWD", "hk": "HKD", "in": "INR", "pk": "PKR", "th": "THB",
    "vn": "VND", "id": "IDR", "my": "MYR", "ph": "PHP", "sg": "SGD", "au": "AUD", "nz": "NZD", "ca": "CAD",
    "mx": "MXN", "br": "BRL", "ar": "ARS", "cl": "CLP", "co": "COP", "pe": "PEN", "za": "ZAR", "sa": "SAR",
    "ae": "AED", "eg": "EGP",
}


def country_currency(host: str) -> str | None:
    """The currency a country-code host's shop sells in ("x.it" -> EUR), or None (".com")."""
    return _TLD_CURRENCY.get(host.rsplit(".", 1)[-1].lower()) if host else None


_CURRENCY_TOKEN = re.compile(r"[^\d\s,:;()\-–/*~]+")


def _currency_in(text: str, host: str) -> str | None:
    """A currency word price-parser did not report ("294 元", "5 000 тг."), from the words
    around the amount. A code counts only in capitals: "top" and "all" are words."""
    for token in _CURRENCY_TOKEN.findall(text[:60]):
        if token.upper() in _ISO_CODES and not token.isupper():
            continue
        code = normalize_currency(token, host=host)
        if code:
            return code
    return None


_SUPERSCRIPT_CENTS = re.compile(r"^\D*?(\d{1,7})\s+(\d{2})\D*$")
_MAX_PRICE = Decimal("1e12")


# A sign or an exponent in a price string: price-parser would read "-5" as 5 and "1e400" as 1.
_SIGNED = re.compile(r"^\D{0,6}?[-\u2212]\s*\d")
_EXPONENT = re.compile(r"^\s*[-+]?(?:\d+\.?\d*|\.\d+)[eE][-+]?\d+\s*$")
_NON_FINITE = re.compile(r"^\s*[-+]?(?:nan|inf|infinity)\s*$", re.I)
_price_log = logging.getLogger("markwatch.crawlers.prices")


def _unreadable(value: Any, reason: str, quiet: bool) -> tuple[None, None]:
    if not quiet:
        _price_log.warning("price %r is unreadable (%s): left out, so it gives no price signal",
                           str(value)[:40], reason)
    return None, None


def _bounded(amount: Decimal, value: Any, quiet: bool) -> Decimal | None:
    if not amount.is_finite():
        _unreadable(value, "not a finite number", quiet)
        return None
    if amount < 0:
        _unreadable(value, "negative", quiet)
        return None
    if amount >= _MAX_PRICE:
        _unreadable(value, f"absurd, {_MAX_PRICE:,.0f} or more", quiet)
        return None
    return amount


def parse_price(value: Any, *, host: str = "", quiet: bool = False) -> tuple[Decimal | None, str | None]:
    """(amount, ISO currency) from a number or a displayed price string; (None, None) if absent.

    "$ 31 57" (cents shown as a superscript) is read as 31.57; a range gives its low end.
    Non-finite ("1e400", NaN), negative ("-5") and absurd amounts are unreadable: (None, None),
    with a warning on the "markwatch.crawlers.prices" logger unless `quiet` (layout guesses,
    where a "-20%" badge is expected).
    """
    value = first(value)
    if isinstance(value, dict):
        value = value.get("@value") or value.get("value") or value.get("price")
    if value is None or isinstance(value, (bool, list, dict)):
        return None, None
    if isinstance(value, (int, float)):
        try:
            amount = Decimal(str(value))
        except InvalidOperation:
            return _unreadable(value, "not a number", quiet)
        bounded = _bounded(amount, value, quiet)
        return (bounded, None) if bounded is not None else (None, None)
    text = clean_text(value, 200)
    if not text:
        return None, None
    if _NON_FINITE.match(text):
        return _unreadable(value, "not a finite number", quiet)
    if _EXPONENT.match(text):
        try:
            amount = Decimal(text.strip())
        except InvalidOperation:
            return _unreadable(value, "not a number", quiet)
        bounded = _bounded(amount, value, quiet)
        return (Decimal(format(bounded, "f")), None) if bounded is not None else (None, None)
    if _SIGNED.match(text):
        return _unreadable(value, "negative", quiet)
    match = _SUPERSCRIPT_CENTS.match(text)
    if match and not re.search(r"[.,]", text):
        amount: Decimal | None = Decimal(f"{match.group(1)}.{match.group(2)}")
        currency_text = re.sub(r"[\d\s]+", " ", text).strip() or None
    else:
        try:
            parsed = Price.fromstring(text)
        except Exception:  # price-parser is third-party code fed hostile text
            return None, None
        amount, currency_text = parsed.amount, parsed.currency
    if amount is None:
        return None, None
    if _bounded(amount, value, quiet) is None:
        return None, None
    currency = normalize_currency(currency_text, host=host) if currency_text else None
    return amount, currency or _currency_in(text, host)


_AVAILABLE = {
    "instock", "in_stock", "in stock", "limitedavailability", "onlineonly", "instoreonly",
    "preorder", "presale", "backorder", "available", "true", "1",
}
_UNAVAILABLE = {
    "outofstock", "out_of_stock", "out of stock", "soldout", "sold out", "discontinued",
    "unavailable", "oos", "false", "0",
}


def normalize_availability(value: Any) -> str | None:
    """"InStock" when the item can be ordered (also pre-order, back-order), "OutOfStock", or None."""
    value = first(value)
    if isinstance(value, bool):
        return "InStock" if value else "OutOfStock"
    if value is None or isinstance(value, (dict, list)):
        return None
    text = str(value).strip()[:100]
    key = re.split(r"[/#:]", text)[-1].strip().lower()
    if key in _AVAILABLE:
        return "InStock"
    if key in _UNAVAILABLE:
        return "OutOfStock"
    low = text.lower()
    if "out of stock" in low or "sold out" in low or "unavailable" in low:
        return "OutOfStock"
    if "in stock" in low:
        return "InStock"
    return None


def normalize_gtin(value: Any) -> str | None:
    """Digits of a GTIN-8/12/13/14 (ISBN-13 included), or None when it is not one: its check
    digit must hold, and a row of zeros is a placeholder ("EAN: 5018479061991." is read)."""
    value = first(value)
    if value is None or isinstance(value, (dict, list, bool)):
        return None
    digits = re.sub(r"[\s-]", "", str(value)[:40]).rstrip(".,;")
    if digits.isdigit() and len(digits) in (8, 12, 13, 14) and digits.strip("0") and _check_digit_holds(digits):
        return digits
    return None


def _check_digit_holds(digits: str) -> bool:
    """GS1's mod-10 check: weights 3 and 1 alternate from the digit before the check digit."""
    body = [int(c) for c in reversed(digits[:-1])]
    total = sum(value * (3 if position % 2 == 0 else 1) for position, value in enumerate(body))
    return (10 - total % 10) % 10 == int(digits[-1])


def absolute_url(value: Any, base: str) -> str | None:
    """An absolute http(s) URL resolved against the page, or None for data:, javascript: etc."""
    value = first(value)
    if isinstance(value, dict):
        value = first(value.get("url") or value.get("contentUrl") or value.get("@id"))
    if value is None or isinstance(value, (dict, list, bool)):
        return None
    text = _CONTROL.sub("", html.unescape(str(value))).strip()
    if not text or len(text) > MAX_LENGTHS["url"] or any(c in text for c in "\n<>\"'"):
        return None
    text = text.replace(" ", "%20")
    try:
        resolved = urljoin(base, text) if base else text
        if resolved.startswith("//"):
            resolved = "https:" + resolved
        parts = urlsplit(resolved)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return resolved
