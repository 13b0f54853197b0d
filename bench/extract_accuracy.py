"""Extraction accuracy on real product pages, two sets, the benchmark set first.

1. The Zyte product-extraction benchmark's pages (`../shared/data/product-pages-peb`: 70 real
   pages, ground truth, and what Zyte, Diffbot and extruct returned for them). Scored with the
   benchmark's own rule (its evaluate.py): per page and attribute, no prediction is a false
   negative when the truth has a value; a prediction is a true positive when it is one of the
   accepted values (the price compared as a number), else a false positive, and also a false
   negative when the truth has a value. Precision = tp / (tp + fp), over pages where the system
   returned a value; recall = tp / (tp + fn), over pages where the truth has one; F1 per
   attribute over all pages. Availability is scored as returned (no value filled in). The
   currency truth is a symbol ("€", "$"): a code is a hit when the symbol reads as that code
   with the page's host (so "$" on a .ca page is CAD). markwatch's pages/s is CPU time of
   `extract_listing` on one core.
2. The fathom-products pages: precision, recall and F1 per field for markwatch's
   `extract_listing` beside extruct alone, on the test split and on all pages.

Run: nice -n 5 .venv/bin/python bench/extract_accuracy.py [--data ../shared/data/product-pages]
     [--peb ../shared/data/product-pages-peb] [--show-misses SPLIT] [--show-peb-misses]

Fathom set details.

Data: `SITE.html.gz` pages and `expected.json` (page title, displayed price, main image URL,
train/test split). No page URL is stored, so each page is given its own absolute
`<link rel=canonical>` as URL (else https://www.SITE.com/), the same for both extractors.

Scoring, per field: precision = hits / pages where the extractor gave a value; recall =
hits / pages with an expected value; F1 their harmonic mean. A hit is:
- title: the extracted title, normalised (NFKC, entities decoded, case-folded, runs of
  non-alphanumerics made one space), is non-empty and contained in (or equal to) the
  expected page <title> normalised the same way.
- price: equal as numbers. The expected display string is parsed with price-parser, except
  "$ 31 57" (digits, a space, two digits, no separator: cents shown as a superscript),
  read as 31.57. A range ("38.17 - 48.27") counts as its first number.
- image: entities decoded, scheme ignored, host compared case-insensitively without
  "www.", path compared exactly (so another size baked into the path is a miss). The query
  is ignored (on image CDNs it only picks a rendition: size, crop, format) unless the path
  is a generic handler whose query names the image: a server script (.asp, .aspx, .php,
  .jsp, .ashx, .cgi) or a last path segment without a dot that holds no image id (such as
  imageService, hmprod, compositor). An expected URL without a host (relative in the page)
  matches on its path alone, as a suffix when it has no leading "/".
- image (any size): the same, or the same picture in another rendition: hosts equal but
  for a CDN shard number ("litbimg3" and "litbimg4") and equal picture keys
  (`crawlers._pictures.picture_key`: the file name without size words, with its id-like
  folder), so ".../510979876/1348x1796.jpg" is a hit for ".../510979876/lg.jpg". For
  finding stolen photos any rendition of the main picture serves; both rules are printed.
"""

from __future__ import annotations

import argparse
import gzip
import html
import json
import re
import sys
import time
import unicodedata
import warnings
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from price_parser import Price  # noqa: E402

from crawlers._pictures import picture_key, same_picture  # noqa: E402
from crawlers._normalize import normalize_currency  # noqa: E402
from crawlers.extract import extract_listing  # noqa: E402

FIELDS = ("title", "price", "image", "image (any size)")
_GENERIC_HANDLER = re.compile(r"\.(aspx?|php|jsp|ashx|cgi)$|^(imageservice|hmprod|compositor|imagehandler)$", re.I)


def norm_title(text: str | None) -> str:
    text = unicodedata.normalize("NFKC", html.unescape(text or "")).casefold()
    return " ".join(re.sub(r"[\W_]+", " ", text).split())


def expected_price(text: str) -> Decimal | None:
    superscript = re.match(r"^\D*?(\d{1,7})\s+(\d{2})\D*$", text.strip())
    if superscript and not re.search(r"[.,]", text):
        return Decimal(f"{superscript.group(1)}.{superscript.group(2)}")
    return Price.fromstring(text).amount


def image_key(url: str) -> tuple[str, str, str]:
    url = html.unescape(url.strip())
    if url.startswith("//"):
        url = "http:" + url
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().removeprefix("www.")
    path = unquote(parts.path)
    query = unquote(parts.query) if _GENERIC_HANDLER.search(path.rstrip("/").rsplit("/", 1)[-1]) else ""
    return host, path, query


def image_hit(got: str | None, expected: str) -> bool:
    if not got:
        return False
    g_host, g_path, g_query = image_key(got)
    e_host, e_path, e_query = image_key(expected)
    if e_host:
        return (g_host, g_path, g_query) == (e_host, e_path, e_query)
    path_ok = g_path == e_path if e_path.startswith("/") else g_path.endswith("/" + e_path)
    return path_ok and g_query == e_query


def _shard_free(host: str) -> str:
    first, _, rest = host.partition(".")
    return re.sub(r"\d+$", "", first) + "." + rest


def rendition_hit(got: str | None, expected: str) -> bool:
    if image_hit(got, expected):
        return True
    if not got:
        return False
    g_host, e_host = image_key(got)[0], image_key(expected)[0]
    if e_host and _shard_free(g_host) != _shard_free(e_host):
        return False
    return same_picture(picture_key(html.unescape(got)), picture_key(html.unescape(expected)))


def page_url(raw: bytes, site: str) -> str:
    match = re.search(rb"<link[^>]+rel=[\"']canonical[\"'][^>]*href=[\"']([^\"']+)", raw)
    if match and match.group(1).startswith((b"http://", b"https://")):
        return html.unescape(match.group(1).decode("utf-8", "replace"))
    return f"https://www.{site}.com/"


def markwatch_pick(raw: bytes, url: str) -> dict[str, Any]:
    listing = extract_listing(raw, url)
    return {"title": listing.title, "price": listing.price, "image": listing.images[0] if listing.images else None}


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, list) and value else value


def extruct_pick(raw: bytes, url: str) -> dict[str, Any]:
    """The naive use of extruct: first Product in JSON-LD, then microdata, then OpenGraph."""
    import extruct

    out: dict[str, Any] = {"title": None, "price": None, "image": None}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            data = extruct.extract(raw, base_url=url, syntaxes=["json-ld", "microdata", "opengraph"],
                                   uniform=True, errors="ignore")
    except Exception:  # extruct raises on some pages: that is part of what is measured
        return out
    for syntax in ("json-ld", "microdata"):
        for item in data.get(syntax, []):
            kind = str(item.get("@type", ""))
            if "Product" not in kind:
                continue
            out["title"] = out["title"] or _first(item.get("name"))
            offer = _first(item.get("offers")) or {}
            if isinstance(offer, dict) and out["price"] is None:
                price = _first(offer.get("price")) or _first(offer.get("lowPrice"))
                out["price"] = Price.fromstring(str(price)).amount if price is not None else None
            image = _first(item.get("image"))
            if isinstance(image, dict):
                image = image.get("url")
            out["image"] = out["image"] or (urljoin(url, image) if isinstance(image, str) else None)
    for item in data.get("opengraph", []):
        out["title"] = out["title"] or _first(item.get("og:title"))
        if out["price"] is None:
            price = _first(item.get("og:price:amount") or item.get("product:price:amount"))
            out["price"] = Price.fromstring(str(price)).amount if price else None
        image = _first(item.get("og:image"))
        out["image"] = out["image"] or (urljoin(url, image) if isinstance(image, str) else None)
    if isinstance(out["title"], str):
        out["title"] = out["title"].strip()
    return out


def hit(field: str, got: Any, expected: dict[str, Any]) -> bool:
    if got in (None, ""):
        return False
    if field == "title":
        return bool(norm_title(got)) and norm_title(got) in norm_title(expected["page_title"])
    if field == "price":
        want = expected_price(expected["price"])
        return want is not None and Decimal(got) == want
    if field == "image":
        return image_hit(got, expected["image"])
    return rendition_hit(got, expected["image"])


def scores(rows: list[tuple[dict[str, Any], dict[str, Any]]], field: str) -> tuple[float, float, float]:
    predicted = sum(1 for got, _ in rows if got[field] not in (None, ""))
    hits = sum(1 for got, want in rows if hit(field, got[field], want))
    relevant = len(rows)
    precision = hits / predicted if predicted else 0.0
    recall = hits / relevant if relevant else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


PEB_ATTRIBUTES = ("price", "currency", "availability", "sku", "brand", "gtin", "mpn")
PEB_SYSTEMS = ("Zyte", "Diffbot", "extruct")


def peb_value(listing: Any, attribute: str) -> str | None:
    value = getattr(listing, attribute)
    return None if value in (None, "") else str(value)


def peb_hit(attribute: str, accepted: list[str], got: str, host: str) -> bool:
    if attribute == "price":
        try:
            return Decimal(got) in {Decimal(a) for a in accepted}
        except ArithmeticError:
            return False
    if attribute == "currency":
        return got in accepted or got in {normalize_currency(a, host=host) for a in accepted}
    return got in accepted


def peb_counts(attribute: str, truth: dict[str, Any], got: str | None) -> tuple[int, int, int]:
    accepted = truth.get(attribute) or []
    if got is None:
        return 0, 0, int(bool(accepted))
    if peb_hit(attribute, accepted, got, urlsplit(truth["url"]).hostname or ""):
        return 1, 0, 0
    return 0, 1, int(bool(accepted))


def peb_f1(counts: list[tuple[int, int, int]]) -> tuple[float, float, float]:
    tp, fp, fn = (sum(c[i] for c in counts) for i in range(3))
    # evaluate.py's conventions: nothing to find and nothing claimed is perfect.
    precision = 1.0 if fp == fn == 0 else (tp / (tp + fp) if tp + fp else 0.0)
    recall = 1.0 if fp == fn == 0 else (tp / (tp + fn) if tp + fn else 0.0)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def _peb_pick(got: dict[str, Any], attribute: str) -> str | None:
    if attribute == "availability*":
        return got.get("availability") or "InStock"
    return got.get(attribute)


def peb_bench(root: Path, *, show_misses: bool) -> None:
    truth = json.loads((root / "ground-truth.json").read_text())
    others = {name: json.loads((root / "output" / f"{name}.json").read_text()) for name in PEB_SYSTEMS}
    ours: dict[str, dict[str, str | None]] = {}
    cpu = 0.0
    for key in sorted(truth):
        raw = gzip.decompress((root / "html" / f"{key}.html.gz").read_bytes())
        started = time.process_time()
        listing = extract_listing(raw, truth[key]["url"])
        cpu += time.process_time() - started
        ours[key] = {a: peb_value(listing, a) for a in PEB_ATTRIBUTES}
    print(f"Zyte product-extraction benchmark, shared half ({len(truth)} pages), F1 (precision/recall)")
    systems = ("markwatch",) + PEB_SYSTEMS
    print(f"{'attribute':<13} {'support':>7} " + " ".join(f"{name:>17}" for name in systems))
    for attribute in PEB_ATTRIBUTES + ("availability*",):
        support = sum(1 for t in truth.values() if t.get(attribute.rstrip("*")))
        cells = []
        for name in systems:
            got = ours if name == "markwatch" else others[name]
            counts = [peb_counts(attribute.rstrip("*"), truth[k], _peb_pick(got.get(k) or {}, attribute))
                      for k in truth]
            p, r, f = peb_f1(counts)
            cells.append(f"{f:.3f} ({p:.2f}/{r:.2f})")
        print(f"{attribute:<13} {support:>7} " + " ".join(f"{c:>17}" for c in cells))
    print("availability*: the benchmark's README rule, an empty availability counted as InStock")
    print(f"markwatch speed: {len(truth) / cpu:.1f} pages/s on one core "
          f"({1000 * cpu / len(truth):.0f} ms CPU per page)")
    if show_misses:
        for key in sorted(truth):
            for attribute in PEB_ATTRIBUTES:
                tp, fp, fn = peb_counts(attribute, truth[key], ours[key][attribute])
                if fp or fn:
                    # Zyte's value beside ours tells a miss of ours from a doubtful truth.
                    zyte = (others["Zyte"].get(key) or {}).get(attribute)
                    print(f"  {key[:8]} {urlsplit(truth[key]['url']).hostname:<24} {attribute:<12} "
                          f"got {str(ours[key][attribute])[:50]!r} want {truth[key].get(attribute)} "
                          f"(Zyte {str(zyte)[:30]!r})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    shared = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
    parser.add_argument("--data", type=Path, default=shared / "product-pages")
    parser.add_argument("--peb", type=Path, default=shared / "product-pages-peb")
    parser.add_argument("--show-misses", choices=("train", "test", "all"), default=None,
                        help="list markwatch's misses on this split")
    parser.add_argument("--show-peb-misses", action="store_true",
                        help="list markwatch's misses on the benchmark set")
    args = parser.parse_args()
    if (args.peb / "ground-truth.json").exists():
        peb_bench(args.peb, show_misses=args.show_peb_misses)
    else:
        print(f"no benchmark data at {args.peb} (ground-truth.json missing)", file=sys.stderr)
    expected_path = args.data / "expected.json"
    if not expected_path.exists():
        print(f"no benchmark data at {args.data} (expected.json missing)", file=sys.stderr)
        return 2
    expected = json.loads(expected_path.read_text())

    results: dict[str, list[tuple[str, dict[str, Any], dict[str, Any]]]] = {"markwatch": [], "extruct": []}
    elapsed = {"markwatch": 0.0, "extruct": 0.0}
    for site, want in sorted(expected.items()):
        raw = gzip.decompress((args.data / f"{site}.html.gz").read_bytes())
        url = page_url(raw, site)
        for name, pick in (("markwatch", markwatch_pick), ("extruct", extruct_pick)):
            started = time.perf_counter()
            got = pick(raw, url)
            got["image (any size)"] = got["image"]
            elapsed[name] += time.perf_counter() - started
            results[name].append((site, got, want))

    for split in ("test", "all"):
        count = sum(1 for _, _, want in results["markwatch"] if split == "all" or want["split"] == split)
        print(f"\n{split} split ({count} pages)")
        print(f"{'field':<16} {'extractor':<10} {'precision':>9} {'recall':>7} {'F1':>6}")
        for field in FIELDS:
            for name in ("markwatch", "extruct"):
                rows = [(got, want) for _, got, want in results[name] if split == "all" or want["split"] == split]
                p, r, f = scores(rows, field)
                print(f"{field:<16} {name:<10} {p:9.3f} {r:7.3f} {f:6.3f}")
    pages = len(expected)
    print(f"\ntime per page: markwatch {1000 * elapsed['markwatch'] / pages:.0f} ms, "
          f"extruct {1000 * elapsed['extruct'] / pages:.0f} ms (2 shared cores: noisy)")

    if args.show_misses:
        print(f"\nmarkwatch misses ({args.show_misses}):")
        for site, got, want in results["markwatch"]:
            if args.show_misses != "all" and want["split"] != args.show_misses:
                continue
            for field in FIELDS:
                if not hit(field, got[field], want):
                    shown = want["page_title"] if field == "title" else want.get(field, want["image"])
                    print(f"  {site:<20} {field:<16} got {str(got[field])[:70]!r} want {str(shown)[:70]!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
