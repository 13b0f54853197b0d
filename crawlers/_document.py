"""Bytes or text of a page into one bounded, parsed lxml tree: encoding from the BOM, the
caller, the page's own declaration or a sniff, in that order, as a browser would."""

from __future__ import annotations

import codecs
import re

import lxml.etree
import lxml.html
from charset_normalizer import from_bytes
from w3lib.encoding import html_to_unicode

from .errors import ExtractionInputError

__all__ = ["MAX_HTML_CHARS", "decode_html", "parse_html"]

# Past a few megabytes a page is junk or an attack; the product data sits near the top.
MAX_HTML_CHARS = 8_000_000
_SNIFF_BYTES = 200_000
# XML 1.0 forbids these; lxml refuses strings that contain them.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _sniff(body: bytes) -> str | None:
    head = body[:_SNIFF_BYTES]
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        # A cut at the sniff boundary can split a multi-byte character: that still is UTF-8.
        if exc.start >= len(head) - 3 and len(body) > len(head):
            return "utf-8"
    best = from_bytes(head[:50_000]).best()
    return best.encoding if best is not None else None


def decode_html(html: str | bytes, *, encoding: str | None = None) -> str:
    """Text of the page; `encoding` is what the transport declared (HTTP header), if anything."""
    if isinstance(html, str):
        text = html
    elif isinstance(html, (bytes, bytearray, memoryview)):
        body = bytes(html[: MAX_HTML_CHARS * 2])
        if encoding is not None:
            try:
                codecs.lookup(encoding)
            except (LookupError, TypeError, ValueError) as exc:
                raise ExtractionInputError(f"unknown encoding {encoding!r}: pass a codec name such as 'utf-8'") from exc
        header = f"text/html; charset={encoding}" if encoding else None
        _, text = html_to_unicode(header, body, auto_detect_fun=_sniff)
    else:
        raise ExtractionInputError(f"html must be str or bytes, not {type(html).__name__}")
    if len(text) > MAX_HTML_CHARS:
        text = text[:MAX_HTML_CHARS]
    return _XML_ILLEGAL.sub("", text)


_PARSER = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True, no_network=True)


def parse_html(text: str) -> lxml.html.HtmlElement:
    """A tree for any text at all: an empty document rather than an exception."""
    try:
        root = lxml.etree.fromstring(text.encode("utf-8", "replace"), parser=_PARSER)
    except (lxml.etree.LxmlError, ValueError):
        root = None
    if root is None:
        root = lxml.html.fromstring("<html><head></head><body></body></html>")
    return root


def bounded_text(element: lxml.html.HtmlElement, limit: int) -> str:
    """An element's text, read only up to `limit` characters: text_content() on every node of
    a hostile, deeply nested page would be quadratic."""
    parts: list[str] = []
    size = 0
    try:
        for piece in element.itertext():
            parts.append(piece)
            size += len(piece)
            if size > limit:
                break
    except ValueError:
        return ""
    return "".join(parts)
