"""Seed a database for the review-workflow tests through the storage API, the way a run
would: the demo brand with its registered images, listings with downloaded photos,
findings and cases. Some listings are hostile (script tags, javascript: links)."""

from __future__ import annotations

import hashlib
import shutil
import threading
import time
from html.parser import HTMLParser
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from monitor.db import Database, ListingInput
from monitor.registry import Registry, load_registry

ROOT = Path(__file__).resolve().parent.parent
DEMO_BRAND = ROOT / "examples" / "demo-brand" / "brand.yaml"
HOSTILE_TITLE = "Norvik parka <script>alert('pwned')</script> & <b>bold</b>"
FORMULA_TITLE = "=HYPERLINK(\"http://evil.example\",\"Norvik\")"


@dataclass(frozen=True, slots=True)
class Seeded:
    db: Database
    registry: Registry
    brand_id: int
    case_ids: dict[str, int]        # listing_id -> case id
    listing_pks: dict[str, int]     # listing_id -> listing pk


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def seed(tmp: Path, *, extra: int = 0, url: str | None = None) -> Seeded:
    """Eight hand-made listings on two platforms (plus `extra` plain ones on bazaar), in
    SQLite under `tmp` unless a database `url` is given."""
    registry = load_registry(DEMO_BRAND)
    db = Database(url or f"sqlite:///{tmp / 'review.db'}")
    brand = db.upsert_brand(registry.brand, marks=[m.model_dump(mode="json") for m in registry.marks])
    for kind, key, path in registry.image_files():
        sku = key.split(":")[1] if kind == "product" else None
        db.upsert_asset(brand.id, key=key, kind=kind, path=str(path), sha256=_sha(path), product_sku=sku)
    images = tmp / "images"
    images.mkdir(exist_ok=True)
    parka = images / "parka-copy.jpg"
    shutil.copy(registry.resolve(Path("assets/parka.jpg")), parka)
    tent = images / "tent-own.jpg"
    shutil.copy(registry.resolve(Path("assets/tent.jpg")), tent)
    parka_file = {"url": "http://img.example/parka.jpg", "sha256": _sha(parka), "path": str(parka), "error": None}
    tent_file = {"url": "http://img.example/tent.jpg", "sha256": _sha(tent), "path": str(tent), "error": None}

    specs = [
        # listing_id, platform, title, price, currency, seller, url, risk, level, image, description
        ("BZ-1", "bazaar", "N0rv1k Fjell Parka replica", "59.00", "EUR", "Cheap Gear",
         "http://127.0.0.1:9/bazaar/item/BZ-1", 97, "high", parka_file, "mail us: deals@cheap.example"),
        ("BZ-2", "bazaar", HOSTILE_TITLE, "45.00", "EUR", "Evil <img src=x onerror=alert(1)>",
         "javascript:alert(document.cookie)", 91, "high", parka_file, "<script>alert(2)</script>"),
        ("BZ-3", "bazaar", "Norvik tent 2 person", "120.00", "EUR", "Tent World",
         "http://127.0.0.1:9/bazaar/item/BZ-3", 72, "medium", tent_file, "WhatsApp: +46 70 123 45 67"),
        ("BZ-4", "bazaar", FORMULA_TITLE, "30.00", "EUR", "Formula Shop",
         "http://127.0.0.1:9/bazaar/item/BZ-4", 66, "medium", None, ""),
        ("SH-1", "shoply", "NORVIK Vidde backpack 1:1", "19.00", "USD", "Cheap Gear Store",
         "http://127.0.0.1:9/shoply/p/SH-1", 88, "high", parka_file, "contact deals@cheap.example"),
        ("SH-2", "shoply", "Norvik boots", "150.00", "EUR", "Boot Barn",
         "http://127.0.0.1:9/shoply/p/SH-2", 55, "medium", None, "call +46 70 123 45 67"),
        ("SH-3", "shoply", "Norvik bottle", "25.00", "EUR", "Bottle Co",
         "http://127.0.0.1:9/shoply/p/SH-3", 40, "low", None, ""),
        ("SH-4", "shoply", "Norvik jacket", "200.00", "EUR", "Legit Outdoor",
         "http://127.0.0.1:9/shoply/p/SH-4", 20, "low", None, ""),
    ]
    specs += [
        (f"BZ-X{i:04d}", "bazaar", f"Norvik item number {i}", f"{10 + i % 90}.00", "EUR", f"Seller {i % 7}",
         f"http://127.0.0.1:9/bazaar/item/X{i}", 50 + i % 50, "high" if i % 50 >= 20 else "medium", None, "")
        for i in range(extra)
    ]
    case_ids: dict[str, int] = {}
    pks: dict[str, int] = {}
    for lid, platform, title, price, cur, seller, url, risk, level, image, description in specs:
        result = db.upsert_listing(ListingInput(
            platform=platform, listing_id=lid, url=url, title=title, description=description,
            price=Decimal(price), currency=cur, seller_name=seller,
            image_urls=(image["url"],) if image else (), image_files=(image,) if image else ()))
        findings = []
        start = title.casefold().find("norvik")
        if start < 0 and title.startswith("N0rv1k"):
            start = 0
        if start >= 0:
            findings.append({"kind": "mark", "score": 0.9, "reason": f"title names the mark 'Norvik'",
                             "evidence": title[start:start + 6], "field": "title", "start": start,
                             "end": start + 6})
        if image is parka_file:
            findings.append({"kind": "image", "score": 0.95, "reason": "listing photo matches 'product:NV-PARKA-01:0'",
                             "evidence": "product:NV-PARKA-01:0", "field": "image", "start": None, "end": None})
        if lid == "BZ-1":
            findings.append({"kind": "price", "score": 0.8, "reason": "price 59.00 EUR is 17% of the 349.00 EUR MSRP",
                             "evidence": "59 EUR vs MSRP 349 EUR", "field": "price", "start": None, "end": None})
        case = db.record_assessment(brand.id, result.listing_pk, findings=findings, risk=risk, level=level,
                                    reasons=[f["reason"] for f in findings] or ["title names the mark"],
                                    flagged=risk >= 50)
        case_ids[lid] = case.id
        pks[lid] = result.listing_pk
    return Seeded(db=db, registry=registry, brand_id=brand.id, case_ids=case_ids, listing_pks=pks)


@contextmanager
def running(app: object) -> Iterator[str]:
    """Serve an ASGI app with a real uvicorn server on 127.0.0.1, port 0; yield its URL."""
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning",
                                           lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


class Inbox:
    """What a loopback SMTP server received."""

    def __init__(self) -> None:
        self.envelopes: list[object] = []

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        self.envelopes.append(envelope)
        return "250 OK"


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def smtp_inbox(authenticator: object | None = None) -> Iterator[tuple[Inbox, int]]:
    """A real SMTP server (aiosmtpd) on 127.0.0.1; yields its inbox and port."""
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    port = free_port()
    extra = {"authenticator": authenticator, "auth_require_tls": False} if authenticator else {}
    controller = Controller(inbox, hostname="127.0.0.1", port=port, **extra)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


class _StartTags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def start_tags(html: str) -> list[tuple[str, dict[str, str | None]]]:
    """Every start tag with its attributes, as a browser parses them: escaped text never
    becomes one."""
    parser = _StartTags()
    parser.feed(html)
    return parser.tags

