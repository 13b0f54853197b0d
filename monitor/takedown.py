"""Takedown drafting: group cases per platform within each platform's per-notice limit and
render a notice from the evidence, refusing (with the reason) rather than drafting an
invalid one."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from sqlmodel import select

from monitor.db import Database
from monitor.models import Case, Finding, Listing, Takedown, TakedownItem, utcnow
from monitor.registry import Registry

__all__ = ["TEMPLATES", "PLATFORM_JURISDICTION", "ITEMS_PER_NOTICE", "Drafted", "draft_takedowns"]

TEMPLATES = Path(__file__).resolve().parent.parent / "takedown_templates"

# Where each marketplace sells, i.e. which registration a notice must rest on.
PLATFORM_JURISDICTION = {
    "amazon": "US", "ebay": "US", "etsy": "US", "walmart": "US", "shopify": "US",
    "aliexpress": "CN", "dhgate": "CN",
    "bazaar": "SE", "shoply": "SE", "shopstores": "SE",  # the demo market sells in Sweden
}
# How many listings one notice may carry.
ITEMS_PER_NOTICE = {"amazon": 50, "aliexpress": 300, "walmart": 10, "ebay": 100, "etsy": 50}
DEFAULT_ITEMS_PER_NOTICE = 50

_KIND_WORDS = {
    "mark": "misuse of the trademark in the listing",
    "image": "copied image (the rights owner's photograph)",
    "replica_wording": "counterfeit goods (offered as a replica)",
    "price": "counterfeit goods (priced far below the genuine product)",
}


@dataclass(frozen=True, slots=True)
class Drafted:
    path: Path
    platform: str
    case_ids: tuple[int, ...]
    takedown_id: int


def _rights(registry: Registry, country: str, today: dt.date) -> list[dict[str, Any]]:
    rights = []
    for mark in registry.marks:
        for reg in mark.registrations:
            if reg.covers(country) and reg.in_force(today):
                rights.append({"mark": mark.text, "office": reg.office, "number": reg.number,
                               "classes": list(reg.classes), "expires": reg.expires or "no expiry"})
                break
    return rights


def draft_takedowns(db: Database, registry: Registry, brand_id: int, out_dir: str | Path, *,
                    case_ids: list[int] | None = None, include_flagged: bool = False,
                    platform: str | None = None) -> tuple[list[Drafted], list[str]]:
    """Draft notices for confirmed cases (and flagged new ones when asked). Returns the
    drafts and the refusals, one sentence each."""
    today = dt.date.today()
    out = Path(out_dir)
    states = ("confirmed", "new") if include_flagged else ("confirmed",)
    with db.session() as s:
        query = select(Case, Listing).join(Listing, Listing.id == Case.listing_pk).where(
            Case.brand_id == brand_id, Case.state.in_(states))
        if case_ids:
            query = query.where(Case.id.in_(case_ids))
        if platform:
            query = query.where(Listing.platform == platform)
        rows = [(c, li) for c, li in s.exec(query.order_by(Case.id)).all()
                if c.state == "confirmed" or c.flagged]
        findings: dict[int, list[Finding]] = defaultdict(list)
        if rows:
            for f in s.exec(select(Finding).where(Finding.brand_id == brand_id,
                                                  Finding.listing_pk.in_([li.id for _, li in rows]))):
                findings[f.listing_pk].append(f)
    refusals: list[str] = []
    by_platform: dict[str, list[tuple[Case, Listing]]] = defaultdict(list)
    for case, listing in rows:
        if listing.status == "removed":
            refusals.append(f"case #{case.id}: the listing is already gone; nothing to take down")
        elif registry.is_authorised(listing.platform, listing.seller_name):
            refusals.append(f"case #{case.id}: {listing.seller_name} is an authorised seller")
        else:
            by_platform[listing.platform].append((case, listing))
    env = Environment(loader=FileSystemLoader(TEMPLATES), undefined=StrictUndefined,
                      keep_trailing_newline=True)
    drafted: list[Drafted] = []
    for plat, items in sorted(by_platform.items()):
        country = PLATFORM_JURISDICTION.get(plat, "US")
        rights = _rights(registry, country, today)
        if not rights:
            refusals.append(f"{plat}: no registration in force covers {country}; "
                            f"{len(items)} case(s) not drafted")
            continue
        size = ITEMS_PER_NOTICE.get(plat, DEFAULT_ITEMS_PER_NOTICE)
        for start in range(0, len(items), size):
            chunk = items[start:start + size]
            context = {
                "platform": plat, "date": today.isoformat(), "owner": registry.owner,
                "agent": registry.agent,
                "agent_letter": registry.agent.authorisation_letter.name
                if registry.agent and registry.agent.authorisation_letter else "on file",
                "signatory": registry.signatory, "rights": rights, "jurisdiction": country,
                "copyrights": [c.title or c.file.name for c in registry.copyrighted_images]
                if any(f.kind == "image" for _, li in chunk for f in findings[li.id]) else [],
                "items": [
                    {"url": li.url, "listing_id": li.listing_id, "seller": li.seller_name or "unknown",
                     "title": li.title or "", "price": li.price, "currency": li.currency or "",
                     "kinds": sorted({_KIND_WORDS[f.kind] for f in findings[li.id] if f.kind in _KIND_WORDS})
                     or ["misuse of the trademark in the listing"],
                     "reasons": case.reasons}
                    for case, li in chunk
                ],
            }
            text = env.get_template("notice.txt.j2").render(**context)
            with db.session() as s:
                notice = Takedown(brand_id=brand_id, platform=plat, template="notice",
                                  history=[{"status": "drafted", "at": utcnow().isoformat()}])
                s.add(notice)
                s.flush()
                for case, _ in chunk:
                    s.add(TakedownItem(takedown_id=notice.id, case_id=case.id))
                path = out / f"takedown-{plat}-{notice.id:04d}.txt"
                notice.path = str(path)
                out.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")
                s.commit()
                drafted.append(Drafted(path, plat, tuple(c.id for c, _ in chunk), notice.id))
    if not drafted and not refusals and not rows:
        refusals.append("no cases to draft: confirm cases first, or pass --include-flagged")
    return drafted, refusals
