"""Patents and product copy in brand.yaml, and their findings: claims met in full or mostly
(review, with the patent number and expiry in the reason; never on the patent alone when the
patent has expired or does not cover the marketplace), copied text with its spans and share."""

from __future__ import annotations

from pathlib import Path

import pytest

from ipbrand import DESCRIPTION, PATENT, SIZE_GUIDE, write_brand
from matchers import risk as risk_mod
from monitor.assess import Assessor, ListingText
from monitor.errors import RegistryError
from monitor.registry import load_registry

KNOCKOFF = ListingText(
    platform="amazon", title="Trekking pole, z-fold aluminium with flick lock",
    bullets=("Tungsten carbide tip", "Cork handle"), description="A light pole for long walks.",
    seller="Budget Trails", url="https://amazon.example/dp/B0KNOCK")
MOSTLY = ListingText(platform="amazon", title="Folding trekking pole with flick lock and carbide tip",
                     description="Foam grip.")


@pytest.fixture(scope="module")
def brand_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_brand(tmp_path_factory.mktemp("ip"))


@pytest.fixture(scope="module")
def assessor(brand_file: Path) -> Assessor:
    return Assessor(load_registry(brand_file), image_cache=None)


def test_the_registry_reads_patents_and_copy(brand_file: Path) -> None:
    registry = load_registry(brand_file)
    us, ep = registry.patents
    assert us.number == PATENT and us.covers("US") and not us.covers("DE") and us.in_force()
    assert [c.number for c in us.claims] == [1, 2]  # a bare list is numbered by its place
    assert us.claims[0].elements[1].synonyms[0] == "flick lock"
    assert us.claims[1].elements[0].phrase == "telescopic shaft"  # a plain string is a phrase
    assert ep.covers("SE") and not ep.covers("US")
    texts = {key: (title, text) for key, title, text in registry.copy_sources()}
    assert texts["copy:0"] == ("Fjellstav size guide", SIZE_GUIDE)
    assert texts["copy:1"][1].startswith("Rinse the sections")  # read from its file
    assert texts["description:FJ-1"][1] == DESCRIPTION


BAD = [
    ("no expiry", "    expires: 2031-04-02\n", "", ["patents[0].expires", "add it"]),
    ("bad office", "office: USPTO\n    status: granted", "office: USPO\n    status: granted",
     ["patents[0].office", "unknown patent office", "EPO"]),
    ("PCT", "office: USPTO\n    status: granted", "office: WIPO\n    status: granted",
     ["patents[0].office", "PCT", "granted"]),
    ("EPO without states", "    jurisdictions: [DE, FR, SE]\n", "", ["patents[1]", "validated", "jurisdictions"]),
    ("bad state", "jurisdictions: [DE, FR, SE]", "jurisdictions: [DE, XX]", ["patents[1].jurisdictions", "'XX'"]),
    ("no number", f"number: {PATENT}", "number: pending", ["patents[0].number", "no patent number"]),
    ("empty element", "          - phrase: lever lock\n", "          - phrase: '!!'\n",
     ["patents[0].claims[0].elements[1].phrase", "no words"]),
    ("claim twice", "      - - telescopic shaft", "      - number: 1\n        elements:\n        - telescopic shaft",
     ["patents[0].claims", "claim 1 is given twice"]),
    ("no elements", "      - - telescopic shaft\n        - phrase: twist lock\n          synonyms: [screw lock]\n"
     "        - phrase: at least 3 sections\n", "      - number: 2\n        elements: []\n",
     ["patents[0].claims[1].elements", "must not be empty"]),
    ("bad status", "status: granted", "status: alive", ["patents[0].status", "granted"]),
    ("copy with both", "    file: care.txt", "    file: care.txt\n    text: words", ["copy[1]", "one of the two"]),
    ("copy file missing", "file: care.txt", "file: gone.txt", ["copy[1].file", "gone.txt", "not found"]),
    ("copy misspelt", "  - title: Care leaflet", "  - titel: Care leaflet", ["copy[1].title", "add it"]),
]


@pytest.mark.parametrize(("what", "old", "new", "words"), BAD, ids=[b[0] for b in BAD])
def test_a_mistake_is_one_line_naming_the_field(brand_file: Path, tmp_path: Path, what: str, old: str,
                                                 new: str, words: list[str]) -> None:
    path = write_brand(tmp_path / "b")
    text = path.read_text(encoding="utf-8")
    assert old in text, what
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(RegistryError) as caught:
        load_registry(path)
    message = str(caught.value)
    assert "\n" not in message and message.startswith(str(path))
    for word in words:
        assert word in message, (what, message)


def test_a_copy_file_that_is_not_text_is_refused(tmp_path: Path) -> None:
    path = write_brand(tmp_path / "b")
    (tmp_path / "b" / "care.txt").write_bytes(b"\xff\xfe\x00binary")
    with pytest.raises(RegistryError, match=r"copy\[1\]\.file: care.txt: not UTF-8"):
        load_registry(path)


def _patent_findings(a):  # type: ignore[no-untyped-def]
    return [f for f in a.findings if f.kind == "patent_claim"]


def test_every_element_shown_is_a_high_risk_review_with_number_and_expiry(assessor: Assessor) -> None:
    a = assessor.assess(KNOCKOFF)
    (finding,) = _patent_findings(a)
    assert a.related and a.flagged and a.risk.level == "high"
    assert PATENT in finding.reason and "expires 2031-04-02" in finding.reason
    assert "every element of claim 1" in finding.reason and "for counsel" in finding.reason
    assert finding.evidence == f"{PATENT} claim 1"
    assert "'lever lock' by 'flick lock' (title)" in finding.reason
    assert "'carbide tip' by 'carbide tip' (bullet 1)" in finding.reason
    (hit,) = a.claim_hits
    assert hit.shown == hit.total == 4
    shown = {e.element: e for e in hit.elements}
    assert shown["lever lock"].phrase == "flick lock" and shown["lever lock"].field == "title"
    assert KNOCKOFF.title[shown["lever lock"].start:shown["lever lock"].end] == "flick lock"
    assert a.risk.reasons[0] == finding.reason


def test_most_elements_shown_is_a_lower_risk_review_naming_what_is_missing(assessor: Assessor) -> None:
    full = assessor.assess(KNOCKOFF)
    a = assessor.assess(MOSTLY)
    (finding,) = _patent_findings(a)
    assert "3 of the 4 elements of claim 1" in finding.reason and "not shown: 'cork grip'" in finding.reason
    assert PATENT in finding.reason and "2031-04-02" in finding.reason
    assert a.flagged and a.risk.score < full.risk.score


def test_a_few_elements_are_no_finding(assessor: Assessor) -> None:
    a = assessor.assess(ListingText(platform="amazon", title="Walking pole with flick lock"))
    assert _patent_findings(a) == [] and not a.flagged


def test_an_expired_patent_gives_no_finding_but_says_so(tmp_path: Path) -> None:
    registry = load_registry(write_brand(tmp_path / "old", expires="2020-01-01"))
    a = Assessor(registry, image_cache=None).assess(KNOCKOFF)
    assert _patent_findings(a) == [] and not a.flagged
    assert any("expired on 2020-01-01" in note and "no infringement" in note for note in a.ip_notes)


def test_a_patent_not_in_force_where_the_marketplace_sells_gives_no_finding(assessor: Assessor) -> None:
    a = assessor.assess(ListingText(**{**_fields(KNOCKOFF), "platform": "bazaar"}))
    assert _patent_findings(a) == [] and not a.flagged
    assert any("in force only in US, not in SE" in note for note in a.ip_notes)
    # The same listing on a marketplace in a country the patent covers is a finding again.
    us = Assessor(assessor.registry, image_cache=None, country="US").assess(
        ListingText(**{**_fields(KNOCKOFF), "platform": "bazaar"}))
    assert _patent_findings(us)


def _fields(item: ListingText) -> dict:
    return {name: getattr(item, name) for name in item.__slots__}


def test_the_brand_named_beside_the_claim_counts_for_less(assessor: Assessor) -> None:
    """A listing naming the brand may be of the genuine patented product (exhaustion)."""
    plain = _patent_findings(assessor.assess(KNOCKOFF))
    named = _patent_findings(assessor.assess(
        ListingText(**{**_fields(KNOCKOFF), "title": "Halvard " + KNOCKOFF.title})))
    assert named and named[0].score < plain[0].score
    assert "names Halvard" in named[0].reason and PATENT in named[0].reason
    assert risk_mod.assess(named).score < risk_mod.assess(plain).score


def test_copied_description_is_found_with_spans_and_share(assessor: Assessor) -> None:
    text = "Best seller! " + DESCRIPTION.replace("in seconds", "in seconds, really") + " Ships fast."
    a = assessor.assess(ListingText(platform="ebay", title="Walking pole", description=text))
    (finding,) = [f for f in a.findings if f.kind == "copied_text"]
    assert finding.evidence == "description:FJ-1"
    assert "the description of the Fjellstav pole" in finding.reason and finding.field == "description"
    ((field, hit),) = a.copy_hits
    assert field == "description" and hit.source_share > 0.9
    quotes = [text[start:end] for start, end in hit.spans]
    assert all(q in DESCRIPTION for q in quotes) and "Best seller" not in " ".join(quotes)
    assert a.related and a.flagged


def test_copied_bullets_and_a_copy_entry_are_found(assessor: Assessor) -> None:
    bullets = tuple(s.strip() + "." for s in SIZE_GUIDE.split(",") if s.strip())
    a = assessor.assess(ListingText(platform="ebay", title="Pole", bullets=bullets))
    (finding,) = [f for f in a.findings if f.kind == "copied_text"]
    assert finding.field == "bullets" and "Fjellstav size guide" in finding.reason


def test_own_words_are_not_a_copy(assessor: Assessor) -> None:
    own = ("Our pole folds into three parts and locks with a lever. The tip is tungsten and the "
           "grip is cork. It packs small and weighs little, which walkers like on long climbs.")
    a = assessor.assess(ListingText(platform="ebay", title="Pole", description=own))
    assert not [f for f in a.findings if f.kind == "copied_text"]


def test_finding_rows_carry_the_new_kinds(assessor: Assessor) -> None:
    a = assessor.assess(ListingText(**{**_fields(KNOCKOFF), "description": DESCRIPTION}))
    kinds = {row["kind"] for row in a.finding_rows()}
    assert {"patent_claim", "copied_text"} <= kinds
