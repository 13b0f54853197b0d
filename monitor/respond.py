"""Answers for sellers: read a takedown complaint a seller received (DMCA, Amazon, eBay
VeRO, Etsy, Shopify, Walmart), check the listing against the complainant's registration
when it is given, and draft the answer that fits: a DMCA counter-notification, an appeal
to the platform with the grounds and a plan of action, or the advice to comply with the fix.

`read_complaint(path)` parses a `.json` complaint (or reads a `.txt` one, with the listing
given apart); `answer_complaint(...)` decides; `write_response(...)` drafts into a folder
with `response.json`, which `responses_due(folder)` lists by deadline.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from monitor.clearance import Clearance, ClearanceListing, ClearanceResult
from monitor.errors import InputError
from monitor.portfolio import nice_classes_of
from monitor.registry import Registration, Registry
from monitor.takedown import _business_days_after, render_notice

__all__ = ["Complaint", "Answer", "read_complaint", "parse_complaint", "answer_complaint", "write_response", "responses_due",
           "ANSWER_TEMPLATES"]

MAX_COMPLAINT_BYTES = 2_000_000
ANSWER_TEMPLATES = {"counter_notice": "responses/dmca_counter_notice", "appeal": "responses/appeal",
                    "comply": "responses/comply"}


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


class Party(_Model):
    name: str = Field(min_length=1, max_length=300)
    email: str | None = Field(default=None, max_length=300)
    address: str | None = Field(default=None, max_length=1000)
    phone: str | None = Field(default=None, max_length=100)


class Seller(Party):
    signature: str | None = Field(default=None, max_length=300)  # "/Jane Doe/" if not given
    store: str | None = Field(default=None, max_length=300)
    # The seller's own word that the material is theirs (a counter-notice needs it).
    own_work: bool = False


class ClaimedRight(_Model):
    type: Literal["trademark", "copyright", "patent", "design"] = "trademark"
    office: str | None = Field(default=None, max_length=20)
    number: str | None = Field(default=None, max_length=50)
    mark: str | None = Field(default=None, max_length=200)
    work: str | None = Field(default=None, max_length=500)


class Complaint(_Model):
    platform: Literal["amazon", "ebay", "etsy", "shopify", "walmart", "aliexpress", "other"] = "other"
    kind: Literal["dmca", "trademark", "counterfeit", "patent", "design"]
    received: dt.date
    reference: str | None = Field(default=None, max_length=200)
    complainant: Party
    rights: list[ClaimedRight] = Field(default_factory=list, max_length=50)
    listing_url: str = Field(min_length=1, max_length=2000)
    country: str | None = Field(default=None, pattern=r"^[A-Za-z]{2}$")  # where the listing sells
    listing: ClearanceListing
    seller: Seller | None = None
    text: str | None = Field(default=None, max_length=200_000)  # the complaint as received, if any


# -- reading ------------------------------------------------------------------------------

_KIND_WORDS = (
    ("dmca", r"\bDMCA\b|512\s*\(c\)|copyright"),
    ("patent", r"\bpatent\b|\bAPEX\b|Patent Evaluation"),
    ("design", r"registered design|design patent|\bRCD\b"),
    ("counterfeit", r"counterfeit|fake|replica"),
    ("trademark", r"trade\s?mark|\bVeRO\b|\bTM\b"),
)
_PLATFORM_WORDS = (("amazon", r"amazon"), ("ebay", r"\bebay\b|\bVeRO\b"), ("etsy", r"\betsy\b"),
                   ("shopify", r"shopify"), ("walmart", r"walmart"), ("aliexpress", r"aliexpress|alibaba"))
_REGISTRATION = re.compile(
    r"\b(USPTO|EUIPO|UKIPO|CNIPA|JPO|KIPO|CIPO|WIPO|DPMA|INPI|IPAU)\b[^0-9\n]{0,40}?(?:No\.?|number|#)?\s*"
    r"([0-9][0-9,.\s]{3,14}[0-9])", re.IGNORECASE)
_URL = re.compile(r"https?://[^\s<>\"')]+")
_DATE = re.compile(r"\b(20\d\d-\d\d-\d\d)\b")


def _first(patterns: Sequence[tuple[str, str]], text: str, default: str | None) -> str | None:
    return next((name for name, pattern in patterns if re.search(pattern, text, re.IGNORECASE)), default)


def complaint_from_text(text: str, listing: ClearanceListing, *, received: dt.date | None = None,
                        seller: Seller | None = None) -> Complaint:
    """What a complaint e-mail says, read from its words: its kind, platform, the rights
    named, the listing's address and the complainant (the sender line, if any)."""
    kind = _first(_KIND_WORDS, text, None)
    if kind is None:
        raise InputError("the complaint names no copyright, trademark, counterfeit, patent or design claim; "
                         "give it as JSON with \"kind\" (see the README's 'Answers for sellers')")
    urls = _URL.findall(text)
    if not urls:
        raise InputError("the complaint names no listing URL; give it as JSON with \"listing_url\"")
    rights = [ClaimedRight(type="trademark" if kind in ("trademark", "counterfeit") else
                           ("copyright" if kind == "dmca" else kind),
                           office=office.upper(), number=_plain_number(number))
              for office, number in _REGISTRATION.findall(text)]
    sender = re.search(r"^(?:From|Rights owner|Complainant|Name)\s*:\s*(.+)$", text, re.IGNORECASE | re.MULTILINE)
    dated = _DATE.search(text)
    return Complaint(platform=_first(_PLATFORM_WORDS, text, "other"), kind=kind,  # type: ignore[arg-type]
                     received=received or (dt.date.fromisoformat(dated.group(1)) if dated else dt.date.today()),
                     complainant=Party(name=(sender.group(1).strip() if sender else "the complainant")[:300]),
                     rights=rights, listing_url=urls[0], listing=listing, seller=seller, text=text)


def read_complaint(path: str | Path, *, listing: str | Path | None = None) -> Complaint:
    """A complaint from a `.json` file (the listing inside it, or in `listing`) or the text
    of a complaint e-mail (`.txt`, with the listing JSON in `listing`)."""
    from monitor.clearance import load_listing

    path = Path(path)
    try:
        if not path.is_file():
            raise InputError(f"{path}: no such file")
        if path.stat().st_size > MAX_COMPLAINT_BYTES:
            raise InputError(f"{path}: larger than {MAX_COMPLAINT_BYTES // 1_000_000} MB; a complaint is text")
        raw = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise InputError(f"{path}: cannot read it: {exc.strerror or exc}") from None
    given = load_listing(listing) if listing else None
    if path.suffix.lower() != ".json" and given is None:
        raise InputError(f"{path}: a complaint in words needs the listing too: --listing LISTING.json")
    return parse_complaint(raw, listing=given, as_json=path.suffix.lower() == ".json", source=str(path))


def parse_complaint(raw: str, *, listing: ClearanceListing | None = None, as_json: bool | None = None,
                    source: str = "the complaint") -> Complaint:
    """A complaint from its text: a JSON object (the listing inside it, or `listing`), or the
    words of a complaint e-mail (with `listing`). `as_json=None` decides by the first character."""
    if as_json is None:
        as_json = raw.lstrip().startswith("{")
    if not as_json:
        if listing is None:
            raise InputError(f"{source}: a complaint in words needs the listing too (its JSON, as for "
                             f"`markwatch clear`)")
        return complaint_from_text(raw, listing)
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise InputError(f"{source}: not valid JSON ({str(exc)[:80]})") from None
    if not isinstance(data, dict):
        raise InputError(f"{source}: a complaint is one JSON object")
    if listing is not None:
        data["listing"] = listing.model_dump(by_alias=True)
    if isinstance(data.get("listing"), dict):
        data["listing"] = ClearanceListing.from_mapping(data["listing"])
    try:
        return Complaint.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise InputError(f"{source}: {where}: {first['msg']}") from None


# -- deciding -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Deadline:
    what: str
    due: dt.date | None
    source: str  # where the time comes from, in words


@dataclass(frozen=True, slots=True)
class Answer:
    kind: str  # counter_notice | appeal | comply
    grounds: tuple[str, ...]  # why the complaint does not hold (for a counter-notice or an appeal)
    problems: tuple[str, ...]  # what in the listing does infringe (for complying), with the fix
    fixes: tuple[str, ...]
    deadline: Deadline
    advice: str
    checks: tuple[str, ...] = field(default=())  # what was checked, in words


def _deadline(complaint: Complaint, kind: str, today: dt.date) -> Deadline:
    if kind == "counter_notice":
        return Deadline("the platform restores the listing 10 to 14 business days after it receives the "
                        "counter-notice, unless the complainant files suit",
                        _business_days_after(today, 14), "17 U.S.C. 512(g)(2)(C)")
    if complaint.platform == "shopify":
        return Deadline("respond to Shopify", complaint.received + dt.timedelta(days=2),
                        "Shopify's 2 days to respond")
    if complaint.kind == "patent" and complaint.platform == "amazon":
        return Deadline("agree to Amazon's Patent Evaluation Express or answer, else the listings are removed",
                        complaint.received + dt.timedelta(days=21), "Amazon APEX: 3 weeks from the invitation")
    return Deadline("answer the platform", complaint.received + dt.timedelta(days=7),
                    "the platform states no time; markwatch's default is 7 days, before account health suffers")


def _plain_number(number: str) -> str:
    """A registration number as offices print it in many ways: '018 234 567', '6,123,456'."""
    return re.sub(r"[\s,.]", "", number)


def _registration(registry: Registry, right: Any) -> tuple[str, Registration] | None:
    number = _plain_number(right.number or "").lstrip("0")
    for mark in registry.marks:
        for reg in mark.registrations:
            if _plain_number(reg.number).lstrip("0") == number and (
                    right.office is None or right.office.upper() == reg.office):
                return mark.text, reg
    return None


def _registration_grounds(complaint: Complaint, registry: Registry, today: dt.date) -> tuple[list[str], list[str]]:
    """(grounds against the complaint, what was checked) for the trademarks it names."""
    grounds, checks = [], []
    goods = nice_classes_of(" ".join([complaint.listing.title, complaint.listing.description or "",
                                      *complaint.listing.bullets]))
    for right in complaint.rights:
        if right.type != "trademark" or not right.number:
            continue
        found = _registration(registry, right)
        label = f"{right.office or ''} {right.number}".strip()
        if found is None:
            checks.append(f"registration {label}: not among the complainant's registrations given")
            continue
        mark, reg = found
        checks.append(f"registration {label} ('{mark}'): {reg.status}, expires "
                      f"{reg.expires.isoformat() if reg.expires else 'not stated'}, classes "
                      f"{', '.join(map(str, reg.classes))}, covers {', '.join(sorted(reg.territories)) or '-'}")
        if not reg.in_force(today):
            when = f" on {reg.expires.isoformat()}" if reg.expires and reg.expires < today else ""
            grounds.append(f"the registration {label} ('{mark}') is not in force: it is {reg.status}"
                           f"{' and expired' + when if when else ''}")
        if complaint.country and not reg.covers(complaint.country):
            grounds.append(f"the registration {label} ('{mark}') does not cover {complaint.country.upper()}, "
                           "where the listing sells")
        if goods and not goods & set(reg.classes):
            grounds.append(f"the registration {label} ('{mark}') covers classes "
                           f"{', '.join(map(str, reg.classes))}, not class {', '.join(map(str, sorted(goods)))} "
                           "of the goods listed")
    return grounds, checks


def answer_complaint(complaint: Complaint, registry: Registry | None = None, *,
                     images: Sequence[tuple[str, bytes]] = (), today: dt.date | None = None) -> Answer:
    """Which answer fits: comply where the listing does infringe what the complaint names;
    appeal where the registration does not hold (lapsed, elsewhere, other goods) or the use
    is nominative; a DMCA counter-notice where the seller states the material is their own
    and nothing of the complainant's is found in it."""
    today = today or dt.date.today()
    result: ClearanceResult | None = None
    checks: list[str] = []
    if registry is not None:
        result = Clearance([registry]).check(complaint.listing, images)
        checks.append(f"the listing checked against {registry.brand}'s registry: {result.verdict}")
    infringing = [f for f in (result.findings if result else ()) if f.severity in ("high", "medium")
                  and f.kind != "compatibility"]
    nominative = [f for f in (result.findings if result else ()) if f.kind == "compatibility"]
    problems = tuple(f.message for f in infringing)
    fixes = tuple(dict.fromkeys(f.fix for f in infringing))

    if complaint.kind == "dmca":
        copied = [f for f in infringing if f.kind in ("image", "copy")]
        if copied or not (complaint.seller and complaint.seller.own_work):
            advice = ("comply: the listing carries the complainant's material; replace it with your own"
                      if copied else
                      "comply, unless the material is your own: then set seller.own_work and draft a "
                      "counter-notice (a false one exposes you to damages under 17 U.S.C. 512(f))")
            return Answer("comply", (), problems, fixes or ("replace the photos and text named in the notice "
                                                             "with your own",), _deadline(complaint, "comply", today),
                          advice, tuple(checks))
        grounds = ["the material is the seller's own work, not the complainant's"]
        if registry is not None:
            grounds.append("none of the complainant's registered photos or texts was found in the listing")
        return Answer("counter_notice", tuple(grounds), (), (), _deadline(complaint, "counter_notice", today),
                      "file the counter-notification with the platform's designated agent", tuple(checks))

    # A registration that does not hold (lapsed, another country, other goods) is a ground
    # whatever the listing shows; a valid one is answered by what the listing shows.
    grounds: list[str] = []
    if registry is not None:
        grounds, reg_checks = _registration_grounds(complaint, registry, today)
        checks += reg_checks
        if not grounds and not infringing:
            grounds.append("the listing names the mark only to say what the product fits (nominative use: "
                           + "; ".join(f.message for f in nominative[:2]) + ")" if nominative else
                           f"the listing shows no use of {registry.brand}'s marks, logos or photos")
    if complaint.kind in ("patent", "design"):
        return Answer("appeal" if grounds else "comply", tuple(grounds), problems, fixes,
                      _deadline(complaint, "appeal", today),
                      "get counsel's opinion before answering a patent or design complaint; markwatch does not "
                      "judge infringement of claims", tuple(checks))
    # Goods offered as copies are counterfeits wherever the registration reaches: no appeal.
    offered_as_copies = any(f.kind == "replica_wording" for f in infringing)
    if grounds and not offered_as_copies:
        return Answer("appeal", tuple(grounds), problems, fixes, _deadline(complaint, "appeal", today),
                      "appeal to the platform with the grounds below, and fix what the plan of action names",
                      tuple(checks))
    advice = ("comply: remove what infringes, then ask the platform to reinstate the listing"
              if infringing else
              "comply unless you can show the complaint is mistaken: give the complainant's brand.yaml "
              "(--registry) to check their registration against your listing")
    return Answer("comply", (), problems, fixes or ("remove the complainant's mark from the title, bullets and "
                                                   "photos, or use it only as 'compatible with'",),
                  _deadline(complaint, "comply", today), advice, tuple(checks))


# -- drafting -----------------------------------------------------------------------------


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "complaint"


def write_response(complaint: Complaint, answer: Answer, out_dir: str | Path, *,
                   today: dt.date | None = None) -> Path:
    """Draft the answer into its own folder under `out_dir`; the folder's path."""
    today = today or dt.date.today()
    seller = complaint.seller
    if answer.kind == "counter_notice" and (seller is None or not (seller.address and seller.phone)):
        raise InputError("a counter-notification needs the seller's name, address and phone "
                         "(\"seller\" in the complaint JSON)")
    context = {
        "complaint": complaint.model_dump(mode="json"),
        "answer": {**asdict(answer), "deadline": {**asdict(answer.deadline),
                                                  "due": answer.deadline.due.isoformat() if answer.deadline.due else None}},
        "seller": seller.model_dump(mode="json") if seller else None,
        "signature": (seller.signature or f"/{seller.name}/") if seller else "",
        "date": today.isoformat(),
        "us_seller": bool(seller and seller.address and re.search(r"\b(USA|United States|U\.S\.A?\.?)\b",
                                                                   seller.address)),
    }
    text = render_notice(ANSWER_TEMPLATES[answer.kind], context)
    base = Path(out_dir) / f"{complaint.received.isoformat()}-{complaint.platform}-{complaint.kind}-" \
                           f"{_slug(complaint.reference or complaint.listing.title)}"
    folder, n = base, 1
    while True:
        try:
            folder.mkdir(parents=True, exist_ok=False)
            break
        except FileExistsError:
            n += 1
            folder = base.with_name(f"{base.name}-{n}")
        except OSError as exc:
            raise InputError(f"cannot write the answer in {out_dir}: {exc.strerror or exc}") from None
    (folder / "answer.txt").write_text(text, encoding="utf-8")
    record = {"answer": answer.kind, "platform": complaint.platform, "kind": complaint.kind,
              "reference": complaint.reference, "listing_url": complaint.listing_url,
              "received": complaint.received.isoformat(), "drafted": today.isoformat(),
              "deadline": context["answer"]["deadline"], "file": "answer.txt"}
    (folder / "response.json").write_text(json.dumps(record, indent=1), encoding="utf-8")
    return folder


def responses_due(out_dir: str | Path) -> list[dict[str, Any]]:
    """Every drafted answer under `out_dir` with its deadline, the soonest first."""
    rows = []
    for path in sorted(Path(out_dir).glob("*/response.json")):
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(record, dict) and isinstance(record.get("deadline"), dict):
            rows.append({**record, "folder": str(path.parent)})
    return sorted(rows, key=lambda r: r["deadline"].get("due") or "9999")
