"""Takedown drafting: the notice each platform accepts (Amazon, eBay VeRO, Alibaba IPP, Etsy,
Shopify, Walmart, DMCA, DSA Article 16, a cease-and-desist letter), grouped within each
platform's per-notice limit, with an evidence pack, status tracking and re-listing links.

It refuses, with the reason, rather than draft a notice the platform would reject.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sqlmodel import Session, select

from matchers.errors import ImageError
from matchers.image import hash_distance, hash_image
from monitor._format import price_text
from monitor.db import Database
from monitor.errors import InputError, TakedownRefused
from monitor.models import (
    TAKEDOWN_STATES,
    Case,
    Finding,
    Listing,
    ListingSnapshot,
    Takedown,
    TakedownItem,
    utcnow,
)
from monitor.platforms import PLATFORM_JURISDICTION, PLATFORMS, Platform
from monitor.registry import Registry, video_of_frame

__all__ = [
    "TEMPLATES",
    "Platform",
    "PLATFORMS",
    "PLATFORM_JURISDICTION",
    "ITEMS_PER_NOTICE",
    "DEFAULT_ITEMS_PER_NOTICE",
    "VERO_REASON_CODES",
    "PATENT_PLATFORMS",
    "DESIGN_PLATFORMS",
    "TRANSITIONS",
    "letter_copy_name",
    "Drafted",
    "PlatformStats",
    "NoticeReport",
    "template_environment",
    "template_file",
    "notice_context",
    "render_notice",
    "check_parties",
    "registrations_for",
    "draft_takedowns",
    "set_notice_status",
    "notice_report",
    "open_relisting_case",
]

TEMPLATES = Path(__file__).resolve().parent.parent / "takedown_templates"


ITEMS_PER_NOTICE = {name: p.items_per_notice for name, p in PLATFORMS.items()}
DEFAULT_ITEMS_PER_NOTICE = 50

# eBay VeRO: the NOCI's reason categories, and the reason code id the API payload carries.
# Code ids are site-specific (GET /commerce/vero/v1/vero_reason_code lists a member's);
# without a site list the payload uses the documented "Other" codes (9052 trademark, 7052
# copyright) whose detailedMessage carries the explanation. Pass `vero_reason_codes` to
# `draft_takedowns` with your site's ids to use the specific ones.
VERO_REASON_CODES: dict[str, tuple[str, str]] = {
    "counterfeit": ("9052", "Trademark - item(s) is a counterfeit product"),
    "mark": ("9052", "Trademark - listing(s) contains unlawful use of trademark"),
    "image": ("7052", "Copyright - listing(s) contains unlawful copy of copyrighted image(s)"),
    # Copied product text is a copyright claim under the same documented "Other" code.
    "copied_text": ("7052", "Copyright - listing(s) contains unlawful copy of copyrighted text"),
    # eBay lists patent reason codes per site but documents no "Other" id for them: a patent
    # report needs your site's id (`vero_reason_codes={"patent": ID}`); without one the
    # patent ground is refused, with that fix.
    "patent": ("", "Patent - item(s) infringes a valid patent"),
    # Designs too: the reason code ("Design patent" on eBay.com, "Design right" on the EU
    # sites) is site-specific; without `vero_reason_codes={"design": ID}` it is refused.
    "design": ("", "Design - item(s) infringes a registered design or design patent"),
}

_KIND_WORDS = {
    "counterfeit": "counterfeit goods",
    "mark": "misuse of the trademark in the listing",
    "image": "copied image (the rights owner's photograph)",
    "patent": "a product meeting every element of a claim of the rights owner's utility patent",
    "copied_text": "copied product text (the rights owner's own description)",
    "design": "a product with the appearance of the rights owner's registered design or design patent",
}
# The platforms whose design claims markwatch drafts: Amazon's design patent report, Walmart's
# patent claim type (design), eBay VeRO's design reason code; and every EU platform that
# takes DSA notices (designs registered at the EUIPO or a member state's office).
DESIGN_PLATFORMS = ("amazon", "walmart", "ebay")
# The platforms whose patent claims markwatch drafts: Amazon's Patent Evaluation Express,
# Walmart's patent claim type, eBay VeRO's patent reason code (with its patent field).
PATENT_PLATFORMS = ("amazon", "walmart", "ebay")
# APEX evaluates one patent claim against the listed ASINs per request.
APEX_ITEMS_PER_REQUEST = 50

# Which status may follow which: a notice is drafted, submitted, then removed or rejected;
# a removal can be answered by a counter-notice; a rejected notice can be fixed and resent.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "drafted": ("submitted",),
    "submitted": ("removed", "rejected"),
    "removed": ("counter_noticed",),
    "rejected": ("submitted",),
    "counter_noticed": ("removed", "rejected"),
}
_OPEN_STATES = ("drafted", "submitted", "counter_noticed")

_MARK_IN_REASON = re.compile(r"the mark '([^']+)'")


@dataclass(frozen=True, slots=True)
class Drafted:
    path: Path
    platform: str
    case_ids: tuple[int, ...]
    takedown_id: int
    template: str = "notice"
    files: tuple[Path, ...] = ()
    evidence: tuple[Path, ...] = ()
    notes: tuple[str, ...] = ()  # evidence that could not be gathered for its listings


@dataclass(frozen=True, slots=True)
class PlatformStats:
    platform: str
    counts: Mapping[str, int]
    open: int
    success_rate: float | None  # removed / (removed + rejected + counter-noticed); None before any outcome


@dataclass(frozen=True, slots=True)
class NoticeReport:
    open_notices: tuple[Mapping[str, Any], ...]
    platforms: tuple[PlatformStats, ...]


# -- templates ---------------------------------------------------------------------------


def template_environment() -> Environment:
    """Jinja2 over `takedown_templates/`: undefined names fail, HTML is autoescaped."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        undefined=StrictUndefined,
        autoescape=select_autoescape(enabled_extensions=("html", "htm", "html.j2"),
                                     default_for_string=False),
        keep_trailing_newline=True,
        trim_blocks=False,
    )
    env.filters["tojson_text"] = lambda v: json.dumps(v, ensure_ascii=False)
    env.filters["safe_url"] = _safe_url
    return env


def _safe_url(url: object) -> str:
    """Only web links become links: a listing's `javascript:` URL must not."""
    text = str(url)
    return text if text.lower().startswith(("http://", "https://")) else "#"


def template_file(name: str) -> str:
    """The file a template name renders from (`dmca` -> `dmca.txt.j2`)."""
    for suffix in (".txt.j2", ".json.j2", ".html.j2"):
        if (TEMPLATES / f"{name}{suffix}").is_file():
            return f"{name}{suffix}"
    raise InputError(f"no takedown template {name!r} in {TEMPLATES}")


@functools.cache
def _shared_environment() -> Environment:
    # One environment keeps each template compiled once a process (a run renders the
    # evidence page for every listing: compiling it anew each time cost about 10 ms a
    # listing), for the notices and the evidence pages alike.
    return template_environment()


def render_notice(name: str, context: Mapping[str, Any], *, env: Environment | None = None) -> str:
    env = env or _shared_environment()
    return env.get_template(template_file(name)).render(**context)


# -- checks --------------------------------------------------------------------------------


def check_parties(registry: Registry) -> list[str]:
    """What a notice's signature and contact block would lack, one phrase each."""
    missing: list[str] = []
    signatory = registry.signatory
    if signatory is None or not getattr(signatory, "name", "") or not getattr(signatory, "title", ""):
        missing.append("a signatory (name and title) in brand.yaml's `signatory`")
    owner = registry.owner
    for name in ("legal_name", "address", "email", "phone"):
        if owner is None or not getattr(owner, name, None):
            missing.append(f"the rights owner's {name.replace('_', ' ')} (`owner.{name}`)")
    agent = registry.agent
    if agent is not None:
        for name in ("legal_name", "address", "email", "phone"):
            if not getattr(agent, name, None):
                missing.append(f"the agent's {name.replace('_', ' ')} (`agent.{name}`)")
        letter = agent.authorisation_letter
        if letter is None:
            missing.append("the agent's authorisation letter (`agent.authorisation_letter`)")
        elif not registry.resolve(letter).is_file():
            missing.append(f"the agent's authorisation letter file {registry.resolve(letter)}")
    return missing


def registrations_for(registry: Registry, marks: Sequence[str], country: str,
                      today: dt.date) -> tuple[list[dict[str, Any]], list[str]]:
    """The registrations in force covering `country` for each of `marks`, and for each mark
    without one, why not (expired, not yet registered, or no registration there)."""
    rights: list[dict[str, Any]] = []
    problems: list[str] = []
    by_text = {m.text: m for m in registry.marks}
    for text in marks:
        mark = by_text.get(text)
        if mark is None:
            continue
        covering = [r for r in mark.registrations if r.covers(country)]
        good = [r for r in covering if r.in_force(today)]
        if good:
            reg = good[0]
            rights.append({"mark": mark.text, "office": reg.office, "number": reg.number,
                           "classes": list(reg.classes), "status": reg.status,
                           "expires": reg.expires.isoformat() if reg.expires else "no expiry",
                           "territory": country})
        elif covering:
            reg = covering[0]
            if reg.expires is not None and reg.expires < today:
                problems.append(f"the {reg.office} registration {reg.number} of '{text}' "
                                f"covering {country} expired on {reg.expires.isoformat()}")
            else:
                problems.append(f"the {reg.office} registration {reg.number} of '{text}' "
                                f"covering {country} is {reg.status}, not registered")
        else:
            problems.append(f"no registration of '{text}' covers {country}")
    return rights, problems


# -- drafting --------------------------------------------------------------------------------


def _marks_of(findings: Sequence[Finding], registry: Registry) -> list[str]:
    known = {m.text for m in registry.marks}
    named: list[str] = []
    for f in findings:
        if f.kind in ("mark", "compatibility"):
            for m in _MARK_IN_REASON.findall(f.reason or ""):
                if m in known and m not in named:
                    named.append(m)
    if not named and any(f.kind == "image" and (f.evidence or "").startswith(("logo:", "product:"))
                         for f in findings):
        # A logo or product photo alone: the brand's first mark is the one infringed.
        named.append(registry.marks[0].text)
    return named


def _kinds_of(findings: Sequence[Finding]) -> list[str]:
    kinds = {f.kind for f in findings}
    # A logo in the listing's photos is the mark used on the goods (trademark); only the
    # owner's own photographs make a copyright claim.
    # A listing's video showing the brand's photo, logo or video frame counts as its photos do.
    photos = {(f.evidence or "").split(":")[0] for f in findings if f.kind in ("image", "video_frame")}
    logo = "logo" in photos
    copied = bool(photos & {"product", "copyright", "video"})
    out = []
    if kinds & {"replica_wording", "price"} or ((copied or logo) and "mark" in kinds):
        out.append("counterfeit")
    if "mark" in kinds or logo:
        out.append("mark")
    if copied:
        out.append("image")
    return out or ["mark"]


def _explanation(listing: Listing, findings: Sequence[Finding], kinds: Sequence[str],
                 registry: Registry) -> str:
    parts = []
    if "counterfeit" in kinds:
        parts.append(f"The listing offers goods bearing the {registry.brand} mark that are not "
                     f"genuine {registry.brand} products")
    elif "mark" in kinds:
        parts.append(f"The listing uses the {registry.brand} mark without authorisation")
    shown = {(f.evidence or "").split(":")[0] for f in findings if f.kind == "image"}
    # Each item is read on its own: the first clause names the listing, later ones say "it".
    if shown & {"product", "copyright"}:
        parts.append(("it shows" if parts else "The listing shows") + " a photograph owned by the rights owner")
    if "logo" in shown:
        parts.append(("its photos show" if parts else "The listing's photos show") + f" the {registry.brand} logo")
    if any(f.kind == "video_frame" for f in findings):
        parts.append(("its video shows" if parts else "The listing's video shows")
                     + " images owned by the rights owner (frames and times in the evidence)")
    seller = listing.seller_name or "the seller"
    parts.append(f"{seller} is not an authorised {registry.brand} seller")
    evidence = _merge_reasons([f.reason for f in sorted(findings, key=lambda f: -f.score)
                               if f.kind != "seller"])[:4]
    text = "; ".join(parts) + "."
    if evidence:
        text += " Evidence: " + "; ".join(evidence) + "."
    return text


def _merge_reasons(reasons: Sequence[str]) -> list[str]:
    """Reasons that say the same thing of different words are one: "title uses replica
    wording: 'replica'" and "...: '1:1'" read "title uses replica wording: 'replica', '1:1'"."""
    merged: dict[str, list[str]] = {}
    for reason in reasons:
        head, sep, tail = reason.partition(": ")
        quoted = bool(sep) and len(tail) > 1 and tail.startswith("'") and tail.endswith("'")
        tails = merged.setdefault(head if quoted else reason, [])
        if quoted and tail not in tails:
            tails.append(tail)
    return [f"{key}: {', '.join(tails)}" if tails else key for key, tails in merged.items()]


def _copyrights(registry: Registry, findings: Sequence[Finding]) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    for f in findings:
        key = f.evidence or ""
        if f.kind not in ("image", "video_frame") or not key.startswith(("copyright:", "product:", "video:")):
            continue
        title = key
        if key.startswith("video:"):  # a frame of the brand's own product video
            entry = {"key": video_of_frame(key) or key, "title": registry.image_label(key).partition(" of ")[2]
                     or key, "kind": "video"}
            if entry not in out:
                out.append(entry)
            continue
        if key.startswith("copyright:"):
            index = int(key.split(":")[1]) if key.split(":")[1].isdigit() else -1
            if 0 <= index < len(registry.copyrighted_images):
                image = registry.copyrighted_images[index]
                title = image.title or image.file.name
        else:
            product = registry.product(key.split(":")[1])
            title = f"product photograph of the {product.name}" if product else key
        entry = {"key": key, "title": title}
        if entry not in out:
            out.append(entry)
    return out


def notice_context(registry: Registry, platform: Platform, items: Sequence[Mapping[str, Any]],
                   rights: Sequence[Mapping[str, Any]], *, today: dt.date,
                   notice_id: int | str = "draft") -> dict[str, Any]:
    """Everything every template reads; the templates use only these names."""
    agent = registry.agent
    letter = letter_copy_name(agent.authorisation_letter) if agent and agent.authorisation_letter else None
    filer = agent or registry.owner
    copyrights: list[dict[str, str]] = []
    for item in items:
        for c in item["copyrights"]:
            if c not in copyrights:
                copyrights.append(c)
    patents: list[dict[str, Any]] = []
    for item in items:
        for p in item.get("patents", ()):
            right = {k: v for k, v in p.items() if k != "elements"}
            if right not in patents:
                patents.append(right)
    designs: list[dict[str, Any]] = []
    for item in items:
        for d in item.get("designs", ()):
            right = {k: d[k] for k in ("number", "office", "right", "label", "product", "expires", "territory")}
            if right not in designs:
                designs.append(right)
    return {
        "patents": patents,
        "designs": designs,
        "notice_id": notice_id,
        "platform": platform.name,
        "platform_label": platform.label,
        "jurisdiction": platform.country,
        "date": today.isoformat(),
        "brand": registry.brand,
        "owner": registry.owner,
        "agent": agent,
        "agent_letter": letter,
        "filer": filer,
        "signatory": registry.signatory,
        "rights": list(rights),
        "copyrights": copyrights,
        "items": list(items),
        "kind_words": _KIND_WORDS,
    }


def _item(case: Case, listing: Listing, findings: Sequence[Finding], registry: Registry,
          vero_codes: Mapping[str, tuple[str, str]], evidence: Sequence[str]) -> dict[str, Any]:
    kinds = _kinds_of(findings)
    vero: list[dict[str, str]] = []
    for k in kinds:
        # eBay takes an item once per reason code: kinds sharing a code are one report.
        if k in vero_codes and all(v["code"] != vero_codes[k][0] for v in vero):
            vero.append({"kind": k, "code": vero_codes[k][0], "text": vero_codes[k][1]})
    return {
        "case_id": case.id,
        "url": listing.url,
        "listing_id": listing.listing_id,
        "seller": " ".join((listing.seller_name or "unknown").split())[:200],
        # One line each: listing text must not be able to forge lines of the notice.
        "title": " ".join((listing.title or "").split())[:300],
        "price": price_text(listing.price),
        "currency": listing.currency or "",
        "kinds": kinds,
        "kind_text": "; ".join(_KIND_WORDS[k] for k in kinds),
        "marks": _marks_of(findings, registry),
        "reasons": list(case.reasons) or [f.reason for f in findings],
        "explanation": _explanation(listing, findings, kinds, registry),
        "copyrights": _copyrights(registry, findings),
        "vero": vero,
        "evidence": list(evidence),
    }


class _Grounds:
    """The patent claims and copied texts a case's notice can rest on, found again from the
    listing's stored text with the registry's own indexes (built once per drafting)."""

    def __init__(self, registry: Registry, vero_codes: Mapping[str, tuple[str, str]]) -> None:
        from monitor.assess import claim_index, copy_index

        self.registry = registry
        self.vero_codes = vero_codes
        self.claims = claim_index(registry) if registry.patents else None
        self.copies = copy_index(registry)
        self.titles = {key: title for key, title, _ in registry.copy_sources()}

    def patents(self, listing: Listing, findings: Sequence[Finding], plat: Platform,
                today: dt.date) -> tuple[list[dict[str, Any]], list[str]]:
        """The claims fully met by the listing under a patent in force where the platform
        sells; and, for each claim that cannot be reported, why not, one phrase each."""
        from monitor.assess import parse_claim_evidence

        claimed: list[tuple[str, int]] = []
        for f in findings:
            if f.kind == "patent_claim" and (pc := parse_claim_evidence(f.evidence)) and pc not in claimed:
                claimed.append(pc)
        if not claimed or self.claims is None:
            return [], []
        fields = {"title": listing.title, "description": listing.description}
        hits = {(h.key, h.claim): h for h in self.claims.find(fields, score_cutoff=0)}
        out: list[dict[str, Any]] = []
        problems: list[str] = []
        for number, claim in claimed:
            patent = self.registry.patent(number)
            hit = hits.get((number, claim))
            if patent is None:
                problems.append(f"the patent {number} is no longer in brand.yaml")
            elif (why := patent.why_not_in_force(today)) is not None:
                problems.append(f"the patent {number} {why}; a patent notice needs a patent in force")
            elif not patent.covers(plat.country):
                problems.append(f"the patent {number} is in force in {', '.join(sorted(patent.territories))}, "
                                f"not in {plat.country} where {plat.label} sells")
            elif hit is None or not hit.complete:
                shown = f"{hit.shown} of the {hit.total}" if hit else "not all the"
                missing = f" (not shown: {', '.join(hit.missing)})" if hit and hit.missing else ""
                problems.append(f"the listing shows {shown} elements of claim {claim} of {number}{missing}; "
                                "a patent notice needs every element shown: ask counsel")
            elif plat.name not in PATENT_PLATFORMS:
                problems.append(f"{plat.label} takes patent claims through its own patent form; markwatch "
                                "drafts them for Amazon (APEX), Walmart and eBay")
            elif plat.name == "ebay" and not self.vero_codes.get("patent", ("",))[0]:
                problems.append("eBay's patent reason code id is site-specific: give it with --vero-code patent=ID "
                                "(vero_reason_codes in Python; GET /commerce/vero/v1/vero_reason_code lists "
                                "your site's)")
            else:
                out.append({"number": patent.number, "office": patent.office, "title": patent.title,
                            "claim": claim, "expires": patent.expires.isoformat(),
                            "territory": plat.country,
                            "elements": [{"element": e.element, "field": e.field,
                                          "phrase": " ".join((e.phrase or "").split())[:200]}
                                         for e in hit.elements]})
        return out, problems

    @functools.cached_property
    def _design_index(self) -> Any:
        from matchers.design import DesignIndex
        from matchers.errors import ImageError

        index = DesignIndex()
        for key, _design, path in self.registry.design_figures():
            try:
                index.add(key, path)
            except ImageError:
                continue  # check-brand refuses such a figure; a draft goes on without it
        return index

    def designs(self, listing: Listing, findings: Sequence[Finding], plat: Platform,
                today: dt.date) -> tuple[list[dict[str, Any]], list[str]]:
        """The designs a listing photo still shows, in force where the platform sells and on a
        platform with a design form; and, for each design that cannot be reported, why not."""
        from matchers.errors import ImageError

        photos = [e.get("path") for e in listing.image_files or [] if e.get("path")]
        out: list[dict[str, Any]] = []
        problems: list[str] = []
        seen: set[str] = set()
        for f in findings:
            found = self.registry.design_of(f.evidence or "") if f.kind == "design" else None
            if found is None or found[0].number in seen:
                continue
            design, figure = found
            seen.add(design.number)
            n = f.photo if f.photo is not None and 0 <= f.photo < len(photos) else None
            try:
                hits = self.designs_of_photo(photos[n]) if n is not None else []
            except ImageError:
                hits = []
            hit = next((h for h in hits if h.key == f.evidence), None)
            if (why := design.why_not_in_force(today)) is not None:
                problems.append(f"the design {design.number} {why}; a design notice needs a design in force")
            elif not design.covers(plat.country):
                problems.append(f"the design {design.number} is in force in {', '.join(sorted(design.territories))}, "
                                f"not in {plat.country} where {plat.label} sells")
            elif plat.name not in DESIGN_PLATFORMS and "dsa" not in plat.templates:
                problems.append(f"{plat.label} takes design claims through its own form; markwatch drafts them "
                                "for Amazon, Walmart, eBay and EU notices under the DSA")
            elif plat.name == "ebay" and not self.vero_codes.get("design", ("",))[0]:
                problems.append("eBay's design reason code id is site-specific: give it with --vero-code design=ID "
                                "(vero_reason_codes in Python; GET /commerce/vero/v1/vero_reason_code lists "
                                "your site's)")
            elif hit is None or n is None:
                problems.append(f"the listing's stored photo no longer shows the shape of design {design.number}; "
                                "recrawl the listing before reporting it")
            else:
                out.append({"number": design.number, "office": design.office, "right": design.right,
                            "label": design.label, "product": design.product,
                            "expires": design.expires.isoformat(), "territory": plat.country,
                            "figure": figure, "photo": n + 1, "overlap": f"{hit.overlap:.0%}",
                            "outline": f"{hit.outline:.0%}", "mirrored": hit.mirrored})
        return out, problems

    def designs_of_photo(self, path: str) -> list[Any]:
        return self._design_index.query(path, limit=None)

    def texts(self, listing: Listing, findings: Sequence[Finding]) -> list[dict[str, Any]]:
        """The brand's texts the listing's description copies, with the copied passages."""
        keys = {f.evidence for f in findings if f.kind == "copied_text" and f.evidence}
        if not keys or not listing.description:
            return []
        text = listing.description
        out = []
        for hit in self.copies.find(text):
            if hit.key in keys:
                # One line each: listing text must not be able to forge lines of the notice.
                quotes = [" ".join(text[a:b].split())[:500] for a, b in hit.spans[:8]]
                out.append({"key": hit.key, "title": self.titles.get(hit.key, hit.key), "kind": "text",
                            "share": f"{hit.source_share:.0%}", "words": hit.copied_words, "quotes": quotes})
        return out


def _ip_explanation(patents: Sequence[Mapping[str, Any]], texts: Sequence[Mapping[str, Any]],
                    owner: str) -> str:
    parts = []
    for p in patents:
        chart = "; ".join(f"{e['element']}: '{e['phrase']}' ({e['field']})" for e in p["elements"])
        parts.append(f"The product offered meets every element of claim {p['claim']} of {p['office']} "
                     f"patent {p['number']} ('{p['title']}', in force until {p['expires']}): {chart}.")
    for t in texts:
        parts.append(f"The listing's description copies {t['share']} of {owner}'s text '{t['title']}' "
                     f"({t['words']} words).")
    return " ".join(parts)


def _with_ip_grounds(item: dict[str, Any], patents: list[dict[str, Any]], texts: list[dict[str, Any]],
                     trademark: bool, vero_codes: Mapping[str, tuple[str, str]], owner: str) -> dict[str, Any]:
    """The item with its patent and copied-text grounds added; without a registered mark
    in force, the mark's kinds and explanation are dropped (the notice rests on the rest)."""
    kinds = [k for k in item["kinds"] if trademark or k == "image"]
    explanation = item["explanation"] if trademark or item["copyrights"] else ""
    if patents:
        kinds.append("patent")
    if texts:
        kinds.append("copied_text")
    vero = [v for v in item["vero"] if v["kind"] in kinds]
    for kind in ("patent", "copied_text"):
        if kind in kinds and kind in vero_codes and all(v["code"] != vero_codes[kind][0] for v in vero):
            entry = {"kind": kind, "code": vero_codes[kind][0], "text": vero_codes[kind][1]}
            if kind == "patent":
                entry["patent"] = patents[0]["number"]
            vero.append(entry)
    extra = _ip_explanation(patents, texts, owner)
    return {**item, "kinds": kinds, "kind_text": "; ".join(_KIND_WORDS[k] for k in kinds),
            "explanation": " ".join(p for p in (explanation, extra) if p),
            "copyrights": item["copyrights"] + [{"key": t["key"], "title": t["title"], "kind": "text"}
                                                for t in texts],
            "patents": patents, "copied_texts": texts, "vero": vero}


def _with_designs(item: dict[str, Any], designs: list[dict[str, Any]], trademark: bool,
                  vero_codes: Mapping[str, tuple[str, str]]) -> dict[str, Any]:
    """The item with its design grounds added (kind, eBay reason code with the design number,
    the explanation); without a registered mark in force, the mark's kinds are dropped."""
    kinds = [k for k in item["kinds"] if trademark or k != "mark" and k != "counterfeit"] + ["design"]
    vero = [v for v in item["vero"] if v["kind"] in kinds]
    if "design" in vero_codes and all(v["code"] != vero_codes["design"][0] for v in vero):
        vero.append({"kind": "design", "code": vero_codes["design"][0], "text": vero_codes["design"][1],
                     "patent": designs[0]["number"], "design": designs[0]["number"]})
    parts = [f"The product in listing photo {d['photo']} has the appearance of {d['label']} for "
             f"'{d['product']}' (figure {d['figure']}; in force until {d['expires']}, covering {d['territory']}): "
             f"its silhouette matches the registered figure's by {d['overlap']} after scaling"
             f"{' and mirroring' if d['mirrored'] else ''}; a side-by-side comparison is attached." for d in designs]
    explanation = item["explanation"] if trademark or item["copyrights"] or item.get("patents") \
        or item.get("copied_texts") else ""
    return {**item, "kinds": kinds, "kind_text": "; ".join(_KIND_WORDS[k] for k in kinds),
            "explanation": " ".join(p for p in (explanation, *parts) if p), "designs": designs, "vero": vero}


def _load(db: Database, brand_id: int, states: Sequence[str], case_ids: Sequence[int] | None,
          platform: str | None) -> tuple[list[tuple[Case, Listing]], dict[int, list[Finding]]]:
    with db.session() as s:
        query = select(Case, Listing).join(Listing, Listing.id == Case.listing_pk).where(
            Case.brand_id == brand_id, Case.state.in_(states))
        if case_ids:
            query = query.where(Case.id.in_(list(case_ids)))
        if platform:
            query = query.where(Listing.platform == platform)
        rows = [(c, li) for c, li in s.exec(query.order_by(Case.id)).all()
                if c.state == "confirmed" or c.flagged or (case_ids and c.id in case_ids)]
        findings: dict[int, list[Finding]] = defaultdict(list)
        if rows:
            for f in s.exec(select(Finding).where(Finding.brand_id == brand_id,
                                                  Finding.listing_pk.in_([li.id for _, li in rows]))):
                findings[f.listing_pk].append(f)
    return rows, findings


def _seller_key(db: Database, listing: Listing) -> str | None:
    """The platform's own seller id, which brand.yaml may list instead of the shop name."""
    seller = db.seller(listing.seller_id) if listing.seller_id else None
    return seller.seller_key if seller else None


def letter_copy_name(letter: Path) -> str:
    """The name the authorisation letter has in a notice's folder, and in the notice's text."""
    return letter.name if letter.name.lower().startswith("authori") else f"authorisation-{letter.name}"


# What to do about a case already in a notice, by that notice's status (each step one the
# status rules allow).
_ALREADY_IN = {
    "drafted": "review and submit that notice (`markwatch takedown mark {id} submitted`); a platform rejects duplicates",
    "submitted": "wait for the platform's answer; if it rejects the notice, `markwatch takedown mark {id} rejected` "
                 "and draft again",
    "removed": "the platform removed the listing; if it comes back, the next run opens a linked case to report",
    "counter_noticed": "the seller answered that notice: decide it with `markwatch takedown mark {id} removed` or "
                       "`rejected` (then draft again)",
}


def _in_open_notices(db: Database, case_ids: Sequence[int]) -> dict[int, tuple[int, str]]:
    """Cases already in a platform notice that is not rejected: case id -> (notice, status)."""
    if not case_ids:
        return {}
    with db.session() as s:
        rows = s.exec(select(TakedownItem.case_id, Takedown.id, Takedown.status)
                      .join(Takedown, Takedown.id == TakedownItem.takedown_id)
                      .where(TakedownItem.case_id.in_(list(case_ids)), Takedown.status != "rejected",
                             Takedown.template != "cease_and_desist")
                      .order_by(Takedown.id)).all()
    return {case_id: (notice_id, status) for case_id, notice_id, status in rows}


def draft_takedowns(db: Database, registry: Registry, brand_id: int, out_dir: str | Path, *,
                    case_ids: list[int] | None = None, include_flagged: bool = False,
                    platform: str | None = None, letters: bool = False,
                    browser_path: str | None = None, evidence: bool = True,
                    vero_reason_codes: Mapping[str, str] | None = None,
                    country: str | None = None,
                    today: dt.date | None = None,
                    progress: Callable[[int, int], None] | None = None) -> tuple[list[Drafted], list[str]]:
    """Draft notices for confirmed cases (and flagged new ones when asked), one folder per
    notice with its evidence pack. Returns the drafts (each noting the evidence it could not
    gather, such as a screenshot of a page that would not load) and the refusals, one
    sentence each.

    `browser_path` turns on listing screenshots (Playwright); a listing page that answers
    404 or 410 is refused as already gone. `letters` adds a cease-and-desist letter per
    seller. `vero_reason_codes` maps counterfeit/mark/image to your eBay site's code ids.
    `country` (ISO 3166, e.g. DE for amazon.de) replaces each platform's home country as the
    territory a registration must cover. `progress(done, total)` is called as each case's
    evidence is gathered (screenshots take seconds a case).
    """
    from monitor.evidence import EvidenceCollector

    today = today or dt.date.today()
    out = Path(out_dir)
    states = ("confirmed", "new") if include_flagged else ("confirmed",)
    rows, findings = _load(db, brand_id, states, case_ids, platform)
    if not rows:
        return [], ["no cases to draft: confirm cases first, or pass --include-flagged"]
    refusals: list[str] = []
    missing = check_parties(registry)
    if missing:
        return [], [f"no notice can be signed: brand.yaml lacks {', '.join(missing)}; "
                    f"{len(rows)} case(s) not drafted"]
    vero_codes = dict(VERO_REASON_CODES)
    for kind, code in (vero_reason_codes or {}).items():
        if kind in vero_codes:
            vero_codes[kind] = (str(code), vero_codes[kind][1])
    pending = _in_open_notices(db, [case.id for case, _ in rows])
    by_platform: dict[str, list[tuple[Case, Listing]]] = defaultdict(list)
    for case, listing in rows:
        if case.id in pending:
            notice_id, status = pending[case.id]
            advice = _ALREADY_IN.get(status, "a platform rejects duplicates").format(id=notice_id)
            refusals.append(f"case #{case.id}: already in notice #{notice_id} ({status.replace('_', '-')}); {advice}")
        elif listing.status == "removed":
            refusals.append(f"case #{case.id}: the listing {listing.url} is already gone; nothing to take down")
        elif registry.is_authorised(listing.platform, listing.seller_name, _seller_key(db, listing)):
            refusals.append(f"case #{case.id}: {listing.seller_name} is an authorised "
                            f"{listing.platform} seller; not an infringement to report")
        elif registry.is_allowlisted(listing.seller_name, listing.url):
            refusals.append(f"case #{case.id}: {listing.seller_name or listing.url} is on the allowlist")
        else:
            by_platform[listing.platform].append((case, listing))
    env = _shared_environment()
    grounds = _Grounds(registry, vero_codes)
    drafted: list[Drafted] = []
    total, done = sum(map(len, by_platform.values())), 0
    with EvidenceCollector(registry, out / "evidence", browser_path=browser_path,
                          enabled=evidence) as collector:
        for plat_name, pairs in sorted(by_platform.items()):
            plat = PLATFORMS.get(plat_name) or Platform(plat_name, plat_name, "US",
                                                        DEFAULT_ITEMS_PER_NOTICE, ("notice",))
            sold_in = country or registry.watch_country(plat_name)
            if sold_in:
                plat = replace(plat, country=sold_in.upper())
            ready: list[tuple[Case, Listing, dict[str, Any]]] = []
            for case, listing in pairs:
                its = findings[listing.id]
                marks = _marks_of(its, registry)
                rights, problems = registrations_for(registry, marks, plat.country, today)
                patents, patent_problems = grounds.patents(listing, its, plat, today)
                texts = grounds.texts(listing, its)
                designs, design_problems = grounds.designs(listing, its, plat, today)
                patent_problems += design_problems
                if marks and not rights and not patents and not texts and not designs:
                    refusals.append(f"case #{case.id}: {'; '.join(problems + patent_problems)}; a {plat.label} "
                                    f"notice needs a registration in force there")
                    continue
                if patent_problems and not (patents or texts or marks or designs
                                            or any(f.kind == "image" for f in its)):
                    refusals.append(f"case #{case.id}: {'; '.join(patent_problems)}")
                    continue
                refusals += [f"case #{case.id}: not reported under the {'design' if p in design_problems else 'patent'}: {p}"
                             for p in patent_problems]
                pack = collector.collect(listing, its)
                done += 1
                if progress is not None:
                    progress(done, total)
                if pack.gone:
                    refusals.append(f"case #{case.id}: the listing {listing.url} is already gone "
                                    f"({pack.gone}); nothing to take down")
                    continue
                item = _item(case, listing, its, registry, vero_codes,
                             [str(p.relative_to(out)) for p in pack.files])
                if patents or texts:
                    item = _with_ip_grounds(item, patents, texts, bool(rights), vero_codes,
                                            registry.owner.legal_name)
                if designs:
                    item = _with_designs(item, designs, bool(rights), vero_codes)
                if not rights and not item["copyrights"] and not patents and not designs:
                    refusals.append(f"case #{case.id}: no registered mark, patent or owned work to "
                                    f"rest a notice on")
                    continue
                item["rights"] = rights
                item["rights_text"] = "; ".join(
                    f"{r['mark']}: {r['office']} no. {r['number']}, classes "
                    f"{', '.join(map(str, r['classes']))}, covering {r['territory']}" for r in rights
                ) or "; ".join(f"{p['office']} patent {p['number']}, claim {p['claim']}, covering "
                               f"{p['territory']}" for p in item.get("patents", ())
                ) or "; ".join(f"{d['label']}, covering {d['territory']}" for d in item.get("designs", ())
                ) or "copyright in the works named"
                item["pack"] = pack
                ready.append((case, listing, item))
            # Amazon evaluates patents apart (APEX): a case resting on its patent alone is
            # not in the trademark and copyright report.
            main_ready = [t for t in ready if plat.name != "amazon" or t[2]["rights"] or t[2]["copyrights"]
                          or t[2].get("designs")]
            for start in range(0, len(main_ready), plat.items_per_notice):
                chunk = main_ready[start:start + plat.items_per_notice]
                drafted.append(_write_notice(db, env, registry, brand_id, plat, chunk, out, today))
                copied = [(c, li, it) for c, li, it in chunk if it["copyrights"]]
                if plat.dmca and copied:
                    dmca = Platform(plat.name, plat.label, plat.country, plat.items_per_notice, ("dmca",))
                    drafted.append(_write_notice(db, env, registry, brand_id, dmca, copied, out, today))
            if plat.name == "amazon":
                drafted += _apex_requests(db, env, registry, brand_id, plat, ready, out, today)
            if letters:
                by_seller: dict[str, list[tuple[Case, Listing, dict[str, Any]]]] = defaultdict(list)
                for triple in ready:
                    by_seller[triple[1].seller_name or "unknown seller"].append(triple)
                letter = Platform(plat.name, plat.label, plat.country, 10_000, ("cease_and_desist",))
                for _seller, triples in sorted(by_seller.items()):
                    drafted.append(_write_notice(db, env, registry, brand_id, letter, triples, out, today))
    return drafted, refusals


def _apex_requests(db: Database, env: Environment, registry: Registry, brand_id: int, plat: Platform,
                   ready: Sequence[tuple[Case, Listing, dict[str, Any]]], out: Path,
                   today: dt.date) -> list[Drafted]:
    """One Amazon Patent Evaluation Express request per patent claim, listing the ASINs
    that meet every element of it."""
    by_claim: dict[tuple[str, int], list[tuple[Case, Listing, dict[str, Any]]]] = defaultdict(list)
    for case, listing, item in ready:
        for p in item.get("patents", ()):
            # Each request shows the element chart of its own claim only.
            mine = {**item, "patents": [p]}
            by_claim[(p["number"], p["claim"])].append((case, listing, mine))
    apex = Platform(plat.name, plat.label, plat.country, APEX_ITEMS_PER_REQUEST, ("amazon_patent",))
    drafted = []
    for _key, triples in sorted(by_claim.items()):
        for start in range(0, len(triples), APEX_ITEMS_PER_REQUEST):
            chunk = triples[start:start + APEX_ITEMS_PER_REQUEST]
            drafted.append(_write_notice(db, env, registry, brand_id, apex, chunk, out, today))
    return drafted


def _write_notice(db: Database, env: Environment, registry: Registry, brand_id: int,
                  plat: Platform, chunk: Sequence[tuple[Case, Listing, dict[str, Any]]],
                  out: Path, today: dt.date) -> Drafted:
    rights: list[dict[str, Any]] = []
    for _, _, item in chunk:
        for r in item["rights"]:
            if r not in rights:
                rights.append(r)
    items = [{k: v for k, v in item.items() if k != "pack"} for _, _, item in chunk]
    main = plat.templates[0]
    with db.session() as s:
        notice = Takedown(brand_id=brand_id, platform=plat.name, template=main,
                          history=[{"status": "drafted", "at": utcnow().isoformat()}])
        s.add(notice)
        s.flush()
        folder = out / f"takedown-{notice.id:04d}-{plat.name}-{main}"
        folder.mkdir(parents=True, exist_ok=True)
        context = notice_context(registry, plat, items, rights, today=today, notice_id=notice.id)
        files: list[Path] = []
        for name in plat.templates:
            filename = template_file(name).removesuffix(".j2")
            path = folder / filename
            path.write_text(env.get_template(template_file(name)).render(**context), encoding="utf-8")
            files.append(path)
        if registry.agent and registry.agent.authorisation_letter:
            letter = registry.resolve(registry.agent.authorisation_letter)
            copy = folder / letter_copy_name(letter)
            copy.write_bytes(letter.read_bytes())
            files.append(copy)
        notice.path = str(files[0])
        for case, _, _ in chunk:
            s.add(TakedownItem(takedown_id=notice.id, case_id=case.id))
        s.commit()
        evidence = tuple(p for _, _, item in chunk for p in item["pack"].files)
        notes = tuple(n for _, _, item in chunk for n in item["pack"].notes)
        return Drafted(files[0], plat.name, tuple(c.id for c, _, _ in chunk), notice.id,
                       template=main, files=tuple(files), evidence=evidence, notes=notes)


# -- status ------------------------------------------------------------------------------


def _normal_status(status: str) -> str:
    value = status.strip().lower().replace("-", "_").replace(" ", "_")
    if value not in TAKEDOWN_STATES:
        raise InputError(f"unknown notice status {status!r}; use one of "
                         + ", ".join(s.replace("_", "-") for s in TAKEDOWN_STATES))
    return value


def set_notice_status(db: Database, takedown_id: int, status: str, *, note: str | None = None,
                      at: dt.datetime | None = None) -> Takedown:
    """Record that a notice was submitted, removed, rejected or counter-noticed, with the
    time. A removal also marks its listings removed, so their return opens a linked case."""
    value = _normal_status(status)
    at = at or utcnow()
    with db.session() as s:
        notice = s.get(Takedown, takedown_id)
        if notice is None:
            raise InputError(f"no takedown notice #{takedown_id}; `markwatch takedown status` lists them")
        if value not in TRANSITIONS.get(notice.status, ()):
            allowed = ", ".join(t.replace("_", "-") for t in TRANSITIONS.get(notice.status, ())) or "nothing"
            raise TakedownRefused(
                f"notice #{takedown_id} is {notice.status.replace('_', '-')}; it can become {allowed}, "
                f"not {value.replace('_', '-')}")
        notice.status = value
        entry: dict[str, Any] = {"status": value, "at": at.isoformat()}
        if note:
            entry["note"] = note[:2_000]
        notice.history = [*notice.history, entry]
        if value == "submitted":
            notice.submitted_at = at
            notice.resolved_at = None
        elif value in ("removed", "rejected"):
            notice.resolved_at = at
        s.add(notice)
        if value == "removed":
            _mark_listings_removed(s, notice.id, at)
        s.commit()
        return notice


def _mark_listings_removed(s: Session, takedown_id: int, at: dt.datetime) -> None:
    listings = s.exec(select(Listing).join(Case, Case.listing_pk == Listing.id)
                      .join(TakedownItem, TakedownItem.case_id == Case.id)
                      .where(TakedownItem.takedown_id == takedown_id)).all()
    for listing in listings:
        if listing.status != "removed":
            listing.status = "removed"
            s.add(listing)
            s.add(ListingSnapshot(listing_pk=listing.id, seen_at=at, kind="removed",
                                  changes={"status": ["active", "removed"], "takedown": takedown_id},
                                  content_hash=listing.content_hash))


def _business_days_after(start: dt.date, days: int) -> dt.date:
    day = start
    while days:
        day += dt.timedelta(days=1)
        if day.weekday() < 5:
            days -= 1
    return day


def _next_step(status: str, since: str) -> str:
    if status == "drafted":
        return "review and submit it, then `markwatch takedown mark ID submitted`"
    if status == "submitted":
        return "wait for the platform's decision"
    # 17 U.S.C. § 512(g)(2)(C): the platform restores the listing 10 to 14 business days
    # after a counter-notice unless the rights owner has filed suit.
    try:
        start = dt.datetime.fromisoformat(since).date()
    except ValueError:
        return "file suit, or the listing may be restored"
    return f"file suit by {_business_days_after(start, 10).isoformat()} or the listing may be restored"


def notice_report(db: Database, brand_id: int | None, *, platform: str | None = None) -> NoticeReport:
    """Open notices (drafted, submitted, counter-noticed) and each platform's success rate,
    for one brand or (`brand_id=None`) every brand."""
    with db.session() as s:
        query = select(Takedown)
        if brand_id is not None:
            query = query.where(Takedown.brand_id == brand_id)
        if platform:
            query = query.where(Takedown.platform == platform)
        notices = list(s.exec(query.order_by(Takedown.id)))
        counts_items: dict[int, int] = defaultdict(int)
        if notices:
            for item in s.exec(select(TakedownItem).where(
                    TakedownItem.takedown_id.in_([n.id for n in notices]))):
                counts_items[item.takedown_id] += 1
    per: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(TAKEDOWN_STATES, 0))
    open_rows = []
    for n in notices:
        # Letters to sellers are not platform notices: their outcomes are counted apart.
        key = f"{n.platform} (letters)" if n.template == "cease_and_desist" else n.platform
        per[key][n.status] += 1
        if n.status in _OPEN_STATES:
            last = n.history[-1]["at"] if n.history else n.created_at.isoformat()
            open_rows.append({"id": n.id, "platform": n.platform, "template": n.template,
                              "status": n.status, "listings": counts_items[n.id],
                              "since": last, "path": n.path, "next": _next_step(n.status, last)})
    stats = []
    for plat, counts in sorted(per.items()):
        resolved = counts["removed"] + counts["rejected"] + counts["counter_noticed"]
        stats.append(PlatformStats(plat, counts, sum(counts[s] for s in _OPEN_STATES),
                                   counts["removed"] / resolved if resolved else None))
    return NoticeReport(tuple(open_rows), tuple(stats))


# -- re-listing ----------------------------------------------------------------------------


def _taken_down(s: Session, brand_id: int) -> list[tuple[Case, Listing]]:
    """Cases whose listing a notice removed, or a confirmed case whose listing is gone."""
    removed_notice = select(TakedownItem.case_id).join(
        Takedown, Takedown.id == TakedownItem.takedown_id).where(
        Takedown.brand_id == brand_id, Takedown.status.in_(("removed", "counter_noticed")))
    removed_ids = set(s.exec(removed_notice).all())
    rows = s.exec(select(Case, Listing).join(Listing, Listing.id == Case.listing_pk)
                  .where(Case.brand_id == brand_id)
                  .where(Case.id.in_(removed_ids) | ((Case.state == "confirmed") & (Listing.status == "removed")))
                  .order_by(Case.id.desc())).all()
    return list(rows)


_RELIST_PHASH_BITS = 6  # of 64: a re-encoded or resized copy, not a similar product photo
_PHASH_CACHE: dict[tuple[str, str], str | None] = {}


def _phashes(files: Sequence[Mapping[str, Any]], *, limit: int = 4) -> list[str]:
    """pHashes of a listing's downloaded images (main first), cached by path and sha256."""
    out = []
    for entry in files[:limit]:
        path = entry.get("path")
        if not path:
            continue
        key = (str(path), str(entry.get("sha256")))
        if key not in _PHASH_CACHE:
            try:
                _PHASH_CACHE[key] = hash_image(path)
            except (ImageError, OSError):
                _PHASH_CACHE[key] = None
            if len(_PHASH_CACHE) > 50_000:
                _PHASH_CACHE.clear()
        if (value := _PHASH_CACHE[key]) is not None:
            out.append(value)
    return out


def open_relisting_case(db: Database, brand_id: int, listing_pk: int, *,
                        related: bool = True) -> Case | None:
    """Before a listing's assessment is recorded: when it is a re-listing (the listing a
    notice removed came back, or a new listing carries the images or seller of one that was
    taken down), open a new case linked to the old one through `previous_case_id`, so the
    assessment lands on it. Returns the new case, or None.

    `related` says whether the assessment found the brand in the listing: a seller's other,
    unrelated products are not re-listings, but a taken-down listing's own images are."""
    with db.session() as s:
        listing = s.get(Listing, listing_pk)
        if listing is None:
            return None
        latest = s.exec(select(Case).where(Case.brand_id == brand_id, Case.listing_pk == listing_pk)
                        .order_by(Case.id.desc())).first()
        previous: Case | None = None
        why = ""
        if latest is not None:
            back = s.exec(select(ListingSnapshot).where(
                ListingSnapshot.listing_pk == listing_pk, ListingSnapshot.kind == "relisted",
                ListingSnapshot.seen_at >= latest.created_at)).first()
            if back is not None and related and latest.state not in ("dismissed", "allowlisted"):
                previous, why = latest, f"re-listing: the listing of case #{latest.id} came back after removal"
        else:
            taken = [(case, old) for case, old in _taken_down(s, brand_id) if old.id != listing_pk]
            hashes = {f.get("sha256") for f in listing.image_files if f.get("sha256")}
            for case, old in taken:
                same_seller = (listing.seller_id is not None and listing.seller_id == old.seller_id)
                old_hashes = {f.get("sha256") for f in old.image_files if f.get("sha256")}
                shared = hashes & old_hashes
                if shared or (same_seller and related):
                    previous = case
                    what = "the same images" if shared else "the same seller"
                    why = f"re-listing: {what} as case #{case.id}, whose listing was taken down"
                    break
            if previous is None and taken and listing.image_files:
                # Re-uploaded photos are re-encoded, so their bytes differ: compare pHashes.
                mine = _phashes(listing.image_files)
                for case, old in taken:
                    close = [(a, b) for a in mine for b in _phashes(old.image_files)
                             if hash_distance(a, b) <= _RELIST_PHASH_BITS]
                    if close:
                        previous = case
                        why = (f"re-listing: the same photos (re-encoded) as case #{case.id}, "
                               "whose listing was taken down")
                        break
        if previous is None:
            return None
        case = Case(brand_id=brand_id, listing_pk=listing_pk, previous_case_id=previous.id,
                    risk=previous.risk, level=previous.level, flagged=True, reasons=[why],
                    note=why)
        s.add(case)
        s.commit()
        return case
