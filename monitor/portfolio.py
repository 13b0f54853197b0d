"""Portfolio health: when each registration must be renewed or kept alive, and whether the
markets where listings appear are covered by a registration in force for their goods.

`renewals(registry, today)` lists every registration with its deadlines under its office's
rule; `coverage(db, registry, brand_id, today)` says, per marketplace country, how many
flagged listings it has and which registration (if any) covers it for their goods.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pycountry

from sqlalchemy import func
from sqlmodel import select

from monitor.db import Database
from monitor.models import Case, Listing
from monitor.registry import Design, Mark, Patent, Registration, Registry

__all__ = [
    "OfficeRule",
    "OFFICE_RULES",
    "Deadline",
    "RightStatus",
    "MarketCoverage",
    "Portfolio",
    "renewals",
    "coverage",
    "portfolio",
    "nice_classes_of",
]

ATTENTION_DAYS = 90


def _add_months(day: dt.date, months: int) -> dt.date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True, slots=True)
class OfficeRule:
    """When an office lets a trademark be renewed: the window opens `opens_months` before
    expiry, and a late renewal (with a surcharge) is possible for `grace_months` after.
    `general` marks the rule most offices follow, used where we hold no office-specific one."""

    opens_months: int
    grace_months: int
    text: str
    general: bool = False


# Paris Convention Art. 5bis guarantees at least 6 months' grace everywhere; the windows
# are each office's own (EUTMR Art. 53, Madrid Rule 30, UK TMA s.43, CN TM Law Art. 40,
# JP TM Act Art. 20, KR TM Act Art. 84, AU TMA s.77-79).
OFFICE_RULES: dict[str, OfficeRule] = {
    "EUIPO": OfficeRule(6, 6, "renewal within the 6 months before expiry, or the 6 months after with a surcharge"),
    "WIPO": OfficeRule(6, 6, "renewal within the 6 months before expiry, or the 6 months after with a surcharge"),
    "UKIPO": OfficeRule(6, 6, "renewal within the 6 months before expiry, late renewal in the 6 months after"),
    "CNIPA": OfficeRule(12, 6, "renewal within the 12 months before expiry, or the 6 months' grace after"),
    "JPO": OfficeRule(6, 6, "renewal within the 6 months before expiry, or the 6 months after with a surcharge"),
    "KIPO": OfficeRule(12, 6, "renewal within the year before expiry, or the 6 months after"),
    "IPAU": OfficeRule(12, 6, "renewal up to 12 months before the due date, or the 6 months after with a fee"),
    "INPI-BR": OfficeRule(12, 6, "renewal in the last year of validity, or the 6 months after with a surcharge"),
    # The USPTO's renewal (sections 8 and 9) is filed in the year before each 10-year term ends.
    "USPTO": OfficeRule(12, 6, "declaration of use (s. 8) between the 5th and 6th year after registration; "
                        "renewal (ss. 8 and 9) in the year before each 10-year term ends; 6 months' grace for each"),
}
_GENERAL = OfficeRule(6, 6, "the general rule (renewal within the 6 months before expiry, 6 months' grace "
                      "after); check the office's own", general=True)


def rule_for(office: str) -> OfficeRule:
    return OFFICE_RULES.get(office, _GENERAL)


@dataclass(frozen=True, slots=True)
class Deadline:
    """One act that keeps a right alive: it can be done from `opens`, is due on `due`, and
    is still possible (late) until `grace_ends`."""

    act: str  # "renewal" | "declaration of use"
    opens: dt.date
    due: dt.date
    grace_ends: dt.date

    def state(self, today: dt.date) -> str:
        if today < self.opens:
            return "not yet open"
        if today <= self.due:
            return "window open"
        if today <= self.grace_ends:
            return "in grace period"
        return "missed"


@dataclass(frozen=True, slots=True)
class RightStatus:
    """A registration and what it needs next."""

    kind: str  # "mark" | "patent" | "design"
    name: str
    office: str
    number: str
    status: str  # the registration's own status, or "lapsed" when its last grace has passed
    expires: dt.date | None
    territories: tuple[str, ...]
    classes: tuple[int, ...]
    rule: str
    next_deadline: Deadline | None
    attention: str | None  # why it needs attention now, in words; None when it does not

    @property
    def sort_key(self) -> tuple[int, dt.date]:
        if self.next_deadline is not None:
            return (0, self.next_deadline.due)
        return (1, self.expires or dt.date.max)


def _mark_deadlines(reg: Registration) -> list[Deadline]:
    rule = rule_for(reg.office)
    deadlines = []
    if reg.office == "USPTO" and reg.registered is not None:
        fifth, sixth = _add_months(reg.registered, 60), _add_months(reg.registered, 72)
        deadlines.append(Deadline("declaration of use", fifth, sixth, _add_months(sixth, 6)))
    if reg.expires is not None:
        deadlines.append(Deadline("renewal", _add_months(reg.expires, -rule.opens_months), reg.expires,
                                  _add_months(reg.expires, rule.grace_months)))
    return deadlines


def _status_of(kind: str, name: str, reg: Registration, today: dt.date) -> RightStatus:
    rule = rule_for(reg.office)
    deadlines = _mark_deadlines(reg)
    pending = [d for d in deadlines if d.state(today) != "missed"]
    missed = [d for d in deadlines if d.state(today) == "missed"]
    nxt = min(pending, key=lambda d: d.due) if pending else None
    status, attention = reg.status, None
    if reg.status == "registered" and missed:
        status = "lapsed"
        attention = f"lapsed: the {missed[-1].act} was due on {missed[-1].due.isoformat()}"
    elif reg.status == "registered" and nxt is not None:
        state = nxt.state(today)
        if state == "in grace period":
            attention = (f"{nxt.act} overdue since {nxt.due.isoformat()}: still possible with a surcharge "
                         f"until {nxt.grace_ends.isoformat()}")
        elif (nxt.due - today).days <= ATTENTION_DAYS or state == "window open":
            days = (nxt.due - today).days
            attention = f"{nxt.act} due on {nxt.due.isoformat()} (in {days} days)"
    if reg.status == "registered" and reg.expires is None and reg.registered is None:
        attention = "no expiry date on file: add `expires:` to follow its renewal"
    return RightStatus(kind, name, reg.office, reg.number, status, reg.expires, tuple(sorted(reg.territories)),
                       reg.classes, f"{reg.office}: {rule.text}", nxt, attention)


# What keeps a granted patent in force. The USPTO takes maintenance fees 3.5, 7.5 and 11.5
# years after grant (payable from 6 months before, 6 months' grace with a surcharge:
# 35 U.S.C. 41(b), 37 CFR 1.362); elsewhere a renewal fee (annuity) falls due each year on
# the filing date's anniversary, with 6 months' grace (EPC Art. 86 and Rule 51 while
# pending at the EPO, then each validated country; CN Patent Law Rule 98; JP Patent Act
# Art. 112; UK Patents Rules 37; DE PatKostG s. 7).
_USPTO_FEES_MONTHS = (42, 90, 138)
PATENT_RULES = {
    "USPTO": "maintenance fees 3.5, 7.5 and 11.5 years after grant (from 6 months before each, "
             "6 months' grace with a surcharge); the term ends on the expiry date, with no renewal",
}
_ANNUITIES = ("a renewal fee (annuity) each year on the filing date's anniversary, 6 months' grace "
              "with a surcharge; the term ends on the expiry date, with no renewal")
# Registered designs: renewed in 5-year terms up to 25 years at EUIPO, UKIPO, WIPO (Hague),
# BOIP, IP Australia (10 years, one renewal); kept by yearly fees at CNIPA, JPO, KIPO; a
# US design patent runs 15 years from grant with no fee and no renewal.
_DESIGN_TERMS = {"EUIPO": "renewal every 5 years up to 25, within the 6 months before expiry, 6 months' grace after",
                 "UKIPO": "renewal every 5 years up to 25, within the 6 months before expiry, 6 months' grace after",
                 "WIPO": "renewal every 5 years (Hague), within the 6 months before expiry, 6 months' grace after",
                 "BOIP": "renewal every 5 years up to 25, within the 6 months before expiry, 6 months' grace after",
                 "IPAU": "one renewal after 5 years (10 in all), 6 months' grace",
                 "DPMA": "renewal every 5 years up to 25, 6 months' grace after",
                 "INPI": "renewal every 5 years up to 25, 6 months' grace after",
                 "USPTO": "15 years from grant; no maintenance fee and no renewal",
                 "CNIPA": "a fee each year; 15 years from filing, no renewal",
                 "JPO": "a fee each year; 25 years from filing, no renewal",
                 "KIPO": "a fee each year; 20 years from registration, no renewal"}
_DESIGN_RENEWED = {"EUIPO", "UKIPO", "WIPO", "BOIP", "IPAU", "DPMA", "INPI"}


def _next_anniversary(start: dt.date, today: dt.date, until: dt.date) -> dt.date | None:
    """The first anniversary of `start` whose grace (6 months) has not passed, before `until`."""
    years = max(1, today.year - start.year - 1)
    while True:
        day = _add_months(start, 12 * years)
        if day > until:
            return None
        if _add_months(day, 6) >= today:
            return day
        years += 1


def _term_status(kind: str, name: str, office: str, number: str, status: str, expires: dt.date,
                 territories: frozenset[str], rule: str, deadlines: list[Deadline], today: dt.date,
                 *, live: str, unknown: str | None) -> RightStatus:
    """A patent or design: its next fee or renewal, and the end of its term. Fees whose
    grace has passed are taken as paid: the registry's status says whether it is in force."""
    pending = [d for d in deadlines if d.state(today) != "missed"]
    nxt = min(pending, key=lambda d: d.due) if pending else None
    shown, attention = status, None
    if status == live and today > expires and (nxt is None or nxt.state(today) != "in grace period"):
        shown = "expired"
    elif status == live and nxt is not None:
        state = nxt.state(today)
        days = (nxt.due - today).days
        if state == "in grace period":
            attention = (f"{nxt.act} overdue since {nxt.due.isoformat()}: still possible with a surcharge "
                         f"until {nxt.grace_ends.isoformat()}")
        elif days <= ATTENTION_DAYS or state == "window open":
            attention = f"{nxt.act} due on {nxt.due.isoformat()} (in {days} days)"
    elif status == live and unknown:
        attention = unknown
    if shown == live and attention is None and 0 <= (expires - today).days <= ATTENTION_DAYS:
        attention = f"the term ends on {expires.isoformat()} (in {(expires - today).days} days); it cannot be renewed"
    return RightStatus(kind, name, office, number, shown, expires, tuple(sorted(territories)), (),
                       f"{office} {kind}s: {rule}", nxt, attention)


def _patent_status(patent: Patent, today: dt.date) -> RightStatus:
    deadlines: list[Deadline] = []
    unknown = None
    if patent.office == "USPTO":
        if patent.granted is not None:
            for months in _USPTO_FEES_MONTHS:
                due = _add_months(patent.granted, months)
                if due <= patent.expires:
                    deadlines.append(Deadline("maintenance fee", _add_months(due, -6), due, _add_months(due, 6)))
        else:
            unknown = "no grant date on file: add `granted:` to follow its maintenance fees"
    elif patent.filed is not None:
        due = _next_anniversary(patent.filed, today, patent.expires)
        if due is not None:
            deadlines.append(Deadline("renewal fee (annuity)", _add_months(due, -3), due, _add_months(due, 6)))
    else:
        unknown = "no filing date on file: add `filed:` to follow its yearly renewal fees"
    return _term_status("patent", patent.title, patent.office, patent.number, patent.status, patent.expires,
                        patent.territories, PATENT_RULES.get(patent.office, _ANNUITIES), deadlines, today,
                        live="granted", unknown=unknown)


def _design_status(design: Design, today: dt.date) -> RightStatus:
    deadlines = []
    if design.office in _DESIGN_RENEWED:
        deadlines.append(Deadline("renewal", _add_months(design.expires, -6), design.expires,
                                  _add_months(design.expires, 6)))
    rule = _DESIGN_TERMS.get(design.office, "the office's own terms; check its renewal or yearly fees")
    return _term_status("design", design.product, design.office, design.number, design.status, design.expires,
                        design.territories, rule, deadlines, today, live="registered", unknown=None)


def renewals(registry: Registry, today: dt.date | None = None) -> list[RightStatus]:
    """Every mark, patent and design of the brand with its next deadline, what falls due
    first at the top."""
    today = today or dt.date.today()
    rows = [_status_of("mark", mark.text, reg, today) for mark in registry.marks for reg in mark.registrations]
    rows += [_patent_status(p, today) for p in registry.patents]
    rows += [_design_status(d, today) for d in registry.designs]
    return sorted(rows, key=lambda r: r.sort_key)


# -- coverage ----------------------------------------------------------------------------

# Words of the goods a listing sells, by Nice class (the class headings of the Nice
# Classification, 12th edition, in the words listings use). A listing whose words name no
# class is checked for its country alone.
_NICE_WORDS: dict[int, tuple[str, ...]] = {
    3: ("perfume", "cologne", "fragrance", "cosmetic", "lipstick", "mascara", "shampoo", "soap", "lotion", "cream"),
    5: ("vitamin", "supplement", "medicine", "pharmaceutical"),
    8: ("knife", "knives", "multitool", "razor", "hand tool"),
    9: ("phone case", "charger", "headphone", "earbuds", "sunglasses", "cable", "camera", "laptop", "speaker",
        "smartwatch", "software"),
    11: ("lamp", "lantern", "flashlight", "torch", "heater", "stove"),
    14: ("watch", "watches", "jewelry", "jewellery", "necklace", "bracelet", "ring", "earring"),
    16: ("notebook", "poster", "sticker", "stationery"),
    18: ("bag", "backpack", "handbag", "wallet", "purse", "luggage", "suitcase", "rucksack", "umbrella", "leather"),
    20: ("furniture", "chair", "pillow", "cushion", "sleeping mat"),
    21: ("bottle", "mug", "cup", "flask", "thermos", "cookware", "lunch box"),
    22: ("tent", "tarp", "rope", "hammock", "awning"),
    24: ("blanket", "towel", "bedding", "fabric"),
    25: ("jacket", "parka", "coat", "shirt", "t-shirt", "tee", "hoodie", "sweater", "trousers", "pants", "jeans",
         "dress", "shoe", "shoes", "sneaker", "sneakers", "boot", "boots", "sandals", "cap", "hat", "beanie", "gloves",
         "socks", "scarf", "shorts", "vest", "fleece", "leggings", "clothing", "apparel"),
    28: ("toy", "game", "ball", "racket", "ski", "skis", "fishing", "golf", "puzzle", "doll"),
    30: ("coffee", "tea", "chocolate", "candy"),
    32: ("energy drink", "soda", "beer", "juice"),
    34: ("cigarette", "vape", "e-cigarette", "lighter"),
}
_NICE_PATTERN = {cls: re.compile(r"\b(?:" + "|".join(re.escape(w) for w in words) + r")s?\b", re.IGNORECASE)
                 for cls, words in _NICE_WORDS.items()}


def nice_classes_of(text: str) -> frozenset[int]:
    """The Nice classes whose goods a listing's words name (empty when none is named)."""
    return frozenset(cls for cls, pattern in _NICE_PATTERN.items() if pattern.search(text or ""))


_TLD_COUNTRY = {"uk": "GB"}


def country_of(url: str | None, platform: str, home: dict[str, str]) -> str | None:
    """The market a listing is sold in: a country-code top-level domain (amazon.co.jp: JP),
    else the platform's home country, else unknown."""
    host = (urlsplit(url or "").hostname or "").lower()
    tld = host.rsplit(".", 1)[-1] if "." in host else ""
    if len(tld) == 2 and tld.isalpha():
        code = _TLD_COUNTRY.get(tld, tld.upper())
        if code == "EU" or pycountry.countries.get(alpha_2=code) is not None:
            return code
    return home.get(platform)


@dataclass(frozen=True, slots=True)
class MarketCoverage:
    """One market (a marketplace host in one country) and whether a live registration covers it."""

    market: str  # the marketplace's host (with its platform when the host does not name it),
    # or its platform name for a watch entry not crawled yet
    country: str | None
    listings: int  # flagged listings found there
    classes: tuple[int, ...]  # the Nice classes of the goods they sell
    covering: tuple[str, ...]  # "EUIPO 018234567" of each live registration covering it
    covered: bool
    reason: str  # in words, e.g. "12 flagged listings on amazon.co.jp; no registration covers JP"


def _live(reg: Registration, today: dt.date) -> bool:
    if reg.status != "registered":
        return False
    grace = _mark_deadlines(reg)
    return reg.expires is None or reg.expires >= today or any(d.state(today) == "in grace period" for d in grace)


def _coverage_row(market: str, country: str | None, listings: int, classes: frozenset[int],
                  marks: Sequence[Mark], today: dt.date) -> MarketCoverage:
    found = f"{listings} flagged listing{'s' if listings != 1 else ''} on {market}" if listings else f"watched: {market}"
    if country is None:
        return MarketCoverage(market, None, listings, tuple(sorted(classes)), (), False,
                              f"{found}; its country is not known, so no registration can be checked")
    in_country = [r for m in marks for r in m.registrations if _live(r, today) and r.covers(country)]
    covering = [r for r in in_country if not classes or classes & set(r.classes)]
    names = tuple(f"{r.office} {r.number}" for r in covering)
    if covering:
        return MarketCoverage(market, country, listings, tuple(sorted(classes)), names, True,
                              f"{found}; covered in {country} by {', '.join(names)}")
    if in_country:
        wanted = ", ".join(str(c) for c in sorted(classes))
        return MarketCoverage(market, country, listings, tuple(sorted(classes)), (), False,
                              f"{found}; registrations cover {country} but not class {wanted} of the goods listed")
    return MarketCoverage(market, country, listings, tuple(sorted(classes)), (), False,
                          f"{found}; no registration in force covers {country}")


def coverage(db: Database, registry: Registry, brand_id: int | None, today: dt.date | None = None) -> list[MarketCoverage]:
    """Per market where flagged listings were found, and per watch entry, whether a live
    registration covers its country for the goods sold there: uncovered markets first."""
    from monitor.platforms import PLATFORM_JURISDICTION

    today = today or dt.date.today()
    home = {**PLATFORM_JURISDICTION, **{e.platform: e.country for e in registry.watch if e.country}}
    counts: Counter[tuple[str, str | None]] = Counter()
    classes: dict[tuple[str, str | None], set[int]] = defaultdict(set)
    if brand_id is not None:
        # One query for every flagged listing (the review queue shows this on each page).
        with db.session() as s:
            rows_read = s.exec(
                select(Listing.url, Listing.platform, Listing.title, func.substr(Listing.description, 1, 5000))
                .join(Case, Case.listing_pk == Listing.id)
                .where(Case.brand_id == brand_id, Case.flagged == True,  # noqa: E712 - SQL expression
                       Case.state.not_in(("dismissed", "allowlisted")))).all()
        for url, platform, title, description in rows_read:
            host = (urlsplit(url).hostname or platform).lower()
            # A market is a marketplace's host in one country ("amazon.co.jp"); a host that
            # does not name its platform (a store's own domain, a test server) is given with it.
            market = host if platform.lower() in host else f"{platform} ({host})"
            key = (market, country_of(url, platform, home))
            counts[key] += 1
            classes[key] |= nice_classes_of(f"{title or ''} {description or ''}")
    rows = [_coverage_row(market, country, n, frozenset(classes[(market, country)]), registry.marks, today)
            for (market, country), n in counts.items()]
    seen_platforms = {r.market for r in rows}
    for entry in registry.watch:
        if not any(entry.platform in m for m in seen_platforms):
            rows.append(_coverage_row(entry.platform, home.get(entry.platform), 0, frozenset(),
                                      registry.marks, today))
    return sorted(rows, key=lambda r: (r.covered, -r.listings, r.market))


@dataclass(frozen=True, slots=True)
class Portfolio:
    rights: tuple[RightStatus, ...]
    markets: tuple[MarketCoverage, ...]
    today: dt.date
    attention: tuple[str, ...] = field(default=())  # what to act on now, in words, most urgent first

    def as_dict(self) -> dict[str, object]:
        def deadline(d: Deadline | None) -> dict[str, str] | None:
            if d is None:
                return None
            return {"act": d.act, "opens": d.opens.isoformat(), "due": d.due.isoformat(),
                    "grace_ends": d.grace_ends.isoformat(), "state": d.state(self.today)}

        return {
            "today": self.today.isoformat(),
            "attention": list(self.attention),
            "rights": [{"kind": r.kind, "name": r.name, "office": r.office, "number": r.number, "status": r.status,
                        "expires": r.expires.isoformat() if r.expires else None, "territories": list(r.territories),
                        "classes": list(r.classes), "rule": r.rule, "next": deadline(r.next_deadline),
                        "attention": r.attention} for r in self.rights],
            "markets": [{"market": m.market, "country": m.country, "listings": m.listings, "classes": list(m.classes),
                         "covering": list(m.covering), "covered": m.covered, "reason": m.reason}
                        for m in self.markets],
        }


def portfolio(registry: Registry, db: Database | None = None, brand_id: int | None = None,
              today: dt.date | None = None) -> Portfolio:
    """Renewals and coverage together, with what needs attention now (a deadline within 90
    days, a grace period running, a lapsed right, a market with flagged listings and no cover)."""
    today = today or dt.date.today()
    rights = renewals(registry, today)
    markets = coverage(db, registry, brand_id, today) if db is not None else []
    attention: list[str] = [f"{r.name} ({r.office} {r.number}): {r.attention}" for r in rights if r.attention]
    attention += [m.reason for m in markets if not m.covered and m.listings]
    return Portfolio(tuple(rights), tuple(markets), today, tuple(attention))
