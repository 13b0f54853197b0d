"""Seller clusters: sellers that are probably one operation, linked by the same image
file (sha256 of a downloaded listing photo), the same contact details in their listings
(mail addresses, phone numbers, messenger handles) or near-identical store names."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process
from sqlmodel import select

from monitor.db import Database
from monitor.models import Case, Listing, Seller
from monitor.registry import normalise_seller

__all__ = ["SellerLink", "SellerCluster", "contact_details", "link_sellers", "seller_clusters"]

_EMAIL = re.compile(r"[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63})+")
_PHONE = re.compile(r"(?<![\w])\+?\d[\d ().-]{6,18}\d(?![\w])")
_HANDLE = re.compile(r"(?i)\b(?:whats\s?app|wechat|telegram|tg|line|viber)\s*[:：]?\s*@?([\w.+-]{3,40})")
_TEXT_LIMIT = 20_000  # characters of a description searched for contact details


@dataclass(frozen=True, slots=True)
class SellerLink:
    a: int            # seller ids, a < b
    b: int
    kind: str         # image | contact | name
    evidence: str     # the shared sha256 prefix, contact detail or the two names
    score: float      # 100 for shared files and contacts; the name similarity otherwise


@dataclass(frozen=True, slots=True)
class SellerCluster:
    seller_ids: tuple[int, ...]
    names: tuple[str, ...]            # "platform: name", in seller_ids order
    links: tuple[SellerLink, ...]
    listings: int                     # the cluster's listings with a case for the brand

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(sorted({link.kind for link in self.links}))


def contact_details(text: str | None) -> set[str]:
    """Mail addresses, phone numbers (8 to 15 digits) and messenger handles, normalised."""
    if not text:
        return set()
    text = text[:_TEXT_LIMIT]
    found = {m.group(0).casefold() for m in _EMAIL.finditer(text)}
    for m in _PHONE.finditer(text):
        digits = re.sub(r"\D", "", m.group(0))
        if 8 <= len(digits) <= 15:
            found.add("tel:" + digits)
    found |= {"handle:" + m.group(1).casefold() for m in _HANDLE.finditer(text)}
    return found


def _pairs(groups: Iterable[tuple[str, set[int]]], kind: str) -> list[SellerLink]:
    links: list[SellerLink] = []
    for evidence, members in groups:
        ordered = sorted(members)
        # A star, not every pair: enough to join the cluster and keeps a 500-seller image
        # (a stolen brand photo) from making 125,000 links.
        links += [SellerLink(ordered[0], other, kind, evidence, 100.0) for other in ordered[1:]]
    return links


def link_sellers(sellers: Sequence[tuple[int, str]], images: dict[int, set[str]],
                 contacts: dict[int, set[str]], *, score_cutoff: float | None = None,
                 limit: int | None = None) -> list[SellerLink]:
    """Links between sellers: `sellers` is (id, name); `images` and `contacts` map a
    seller id to its image hashes and contact details. Name links need a token-sort
    similarity of at least `score_cutoff` (default 90)."""
    cutoff = 90.0 if score_cutoff is None else float(score_cutoff)
    by_image: dict[str, set[int]] = defaultdict(set)
    for sid, hashes in images.items():
        for h in hashes:
            by_image[h].add(sid)
    by_contact: dict[str, set[int]] = defaultdict(set)
    for sid, details in contacts.items():
        for d in details:
            by_contact[d].add(sid)
    links = _pairs(((h[:12], ids) for h, ids in by_image.items() if len(ids) > 1), "image")
    links += _pairs(((d, ids) for d, ids in by_contact.items() if len(ids) > 1), "contact")
    names = [normalise_seller(name) for _, name in sellers]
    if len(names) > 1:
        matrix = process.cdist(names, names, scorer=fuzz.token_sort_ratio,
                               score_cutoff=cutoff, workers=1)
        for i, j in zip(*matrix.nonzero(), strict=True):
            if i < j and names[i] and names[j]:
                a, b = sellers[i][0], sellers[j][0]
                links.append(SellerLink(min(a, b), max(a, b), "name",
                                        f"{sellers[i][1]} ~ {sellers[j][1]}", float(matrix[i, j])))
    links.sort(key=lambda link: (-link.score, link.kind, link.a, link.b))
    return links[:limit] if limit else links


def seller_clusters(db: Database, *, brand_id: int | None = None,
                    score_cutoff: float | None = None, limit: int | None = None,
                    exclude: Callable[[Seller], bool] | None = None) -> list[SellerCluster]:
    """Clusters of two or more linked sellers, largest first. With `brand_id`, only
    sellers of listings that have a case for that brand are considered; sellers `exclude`
    picks (the brand's authorised ones) are never clustered with the rest."""
    with db.session() as s:
        query = select(Listing.seller_id, Listing.image_files, Listing.description).where(
            Listing.seller_id != None)  # noqa: E711 - SQL expression
        if brand_id is not None:
            query = query.join(Case, Case.listing_pk == Listing.id).where(Case.brand_id == brand_id)
        rows = s.exec(query).all()
        ids = sorted({r[0] for r in rows})
        seller_rows = {x.id: x for x in s.exec(select(Seller).where(Seller.id.in_(ids)))} if ids else {}
    images: dict[int, set[str]] = defaultdict(set)
    contacts: dict[int, set[str]] = defaultdict(set)
    counts: dict[int, int] = defaultdict(int)
    for seller_id, files, description in rows:
        counts[seller_id] += 1
        images[seller_id] |= {f["sha256"] for f in files or () if isinstance(f, dict) and f.get("sha256")}
        contacts[seller_id] |= contact_details(description)
    sellers = [(sid, seller_rows[sid].name) for sid in ids
               if sid in seller_rows and not (exclude and exclude(seller_rows[sid]))]
    links = link_sellers(sellers, images, contacts, score_cutoff=score_cutoff)
    parent = {sid: sid for sid, _ in sellers}

    def root(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for link in links:
        if link.a in parent and link.b in parent:
            parent[root(link.a)] = root(link.b)
    members: dict[int, list[int]] = defaultdict(list)
    for sid, _ in sellers:
        members[root(sid)].append(sid)
    clusters = []
    for group in members.values():
        if len(group) < 2:
            continue
        inside = set(group)
        clusters.append(SellerCluster(
            seller_ids=tuple(group),
            names=tuple(f"{seller_rows[g].platform}: {seller_rows[g].name}" for g in group),
            links=tuple(link for link in links if link.a in inside),
            listings=sum(counts[g] for g in group),
        ))
    clusters.sort(key=lambda c: (-len(c.seller_ids), -c.listings, c.seller_ids))
    return clusters[:limit] if limit else clusters
