"""A small brand registry with a utility patent and product copy, written to a folder, for
the patent and copied-text tests (no images: its assessor builds in milliseconds)."""

from __future__ import annotations

from pathlib import Path

__all__ = ["PATENT", "DESCRIPTION", "SIZE_GUIDE", "write_brand"]

PATENT = "US 10,123,456"
DESCRIPTION = (
    "The Fjellstav pole folds into three aluminium sections held by a single tension cord, "
    "so it packs down to a third of its length in seconds. A flick lever locks the upper "
    "section at any height between 110 and 135 cm, and the cork grip wicks sweat away on "
    "long climbs. The tungsten carbide tip bites into ice and rock and can be replaced at "
    "home without tools."
)
SIZE_GUIDE = (
    "Choose a pole length that puts your elbow at a right angle with the tip on the ground. "
    "Walkers under 165 cm tall take the short pole, walkers up to 185 cm the regular pole, "
    "and taller walkers the long pole with its extra section."
)

BRAND = """\
brand: Halvard
owner:
  legal_name: Halvard Friluft AS
  address: Storgata 1, 0155 Oslo, Norway
  email: ip@halvard.example
  phone: "+47 22 00 00 00"
signatory:
  name: Kari Nordmann
  title: General Counsel
marks:
  - text: Halvard
    registrations:
      - office: USPTO
        number: "7000001"
        classes: [28]
        expires: 2034-01-01
products:
  - name: Fjellstav pole
    sku: FJ-1
    msrp: {{amount: 129, currency: USD}}
    keywords: [trekking pole]
    description: >-
      {description}
patents:
  - number: {patent}
    office: USPTO
    status: granted
    expires: {expires}
    title: Collapsible walking pole with lever lock
    claims:
      - number: 1
        elements:
          - phrase: pole of foldable sections joined by a tension cord
            synonyms: [folding sections, z-fold, collapsible sections, foldable pole]
          - phrase: lever lock
            synonyms: [flick lock, quick lock, locking lever, clamp lever]
          - phrase: carbide tip
            synonyms: [tungsten tip, carbide point]
          - phrase: cork grip
            synonyms: [cork handle]
      - - telescopic shaft
        - phrase: twist lock
          synonyms: [screw lock]
        - phrase: at least 3 sections
  - number: EP 3 456 789
    office: EPO
    jurisdictions: [DE, FR, SE]
    expires: 2035-06-30
    title: Pole basket
    claims:
      - - phrase: snow basket
          synonyms: [powder basket]
        - phrase: quick release
copy:
  - title: Fjellstav size guide
    text: >-
      {size_guide}
  - title: Care leaflet
    file: care.txt
"""

CARE = ("Rinse the sections in fresh water after a salty or muddy walk, dry them apart and store "
        "the pole loosely folded so the cord keeps its tension for many seasons of use.")


def write_brand(folder: Path, *, expires: str = "2031-04-02", extra: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "care.txt").write_text(CARE, encoding="utf-8")
    path = folder / "brand.yaml"
    path.write_text(BRAND.format(description=DESCRIPTION, patent=PATENT, expires=expires,
                                 size_guide=SIZE_GUIDE) + extra, encoding="utf-8")
    return path
