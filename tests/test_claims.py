"""The claim-coverage matcher: which listing words meet which element of a claim, by stem,
synonym, compound and quantity; negations and unrelated products meet nothing; hostile text
is read safely."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matchers.claims import Claim, ClaimHit, ClaimIndex, Element, ElementMatch

POLE = Claim("US 10,123,456", 1, (
    Element("telescopic shaft", ("extendable pole", "adjustable length pole")),
    Element("lever lock", ("flick lock", "quick lock lever")),
    Element("carbide tip", ("tungsten tip",)),
    Element("capacity of at least 20 litres", ("at least 20 l",)),
))


@pytest.fixture(scope="module")
def index() -> ClaimIndex:
    idx = ClaimIndex()
    idx.add(POLE)
    return idx


def _only(index: ClaimIndex, fields: dict[str, str], **kw: float) -> ClaimHit:
    hits = index.find(fields, score_cutoff=0, **kw)
    assert len(hits) == 1
    return hits[0]


def test_every_element_met_names_the_words_and_where(index: ClaimIndex) -> None:
    fields = {"title": "Trekking poles: extendable poles with FlickLock levers",
              "bullet 1": "Tungsten carbide tips", "description": "Packs into its 25L bag."}
    hit = _only(index, fields)
    assert hit.complete and hit.score == 100 and hit.missing == ()
    by = {e.element: e for e in hit.elements}
    assert by["telescopic shaft"].field == "title" and by["telescopic shaft"].via == "extendable pole"
    assert by["lever lock"].phrase == "FlickLock"  # a glued compound meets "flick lock"
    assert by["carbide tip"].field == "bullet 1"
    assert by["capacity of at least 20 litres"].phrase == "25L"
    for e in hit.elements:
        assert fields[e.field][e.start:e.end] == e.phrase


def test_stems_meet_other_forms_of_the_words(index: ClaimIndex) -> None:
    hit = _only(index, {"title": "Telescoping shafts, locking levers (lever-locked), carbide tipped"})
    shown = {e.element for e in hit.elements if e.shown}
    assert {"telescopic shaft", "lever lock", "carbide tip"} <= shown


def test_missing_elements_are_named(index: ClaimIndex) -> None:
    hit = _only(index, {"title": "Telescopic shaft walking pole with lever lock"})
    assert hit.shown == 2 and hit.total == 4 and not hit.complete
    assert set(hit.missing) == {"carbide tip", "capacity of at least 20 litres"}
    assert "not shown: 'carbide tip'" in hit.describe()


@pytest.mark.parametrize(("text", "met"), [
    ("holds 25 litres", True), ("20 l bag", True), ("a 20-litre bag", True), ("1.5 l bottle", False),
    ("holds 19 litres", False), ("a 30000 ml tank", True), ("15 kg", False), ("20 cm", False),
])
def test_quantities_are_compared_by_value_and_unit(text: str, met: bool) -> None:
    idx = ClaimIndex()
    idx.add(Claim("P", 1, (Element("capacity of at least 20 litres", ("at least 20 l",)),)))
    hits = idx.find({"description": text}, score_cutoff=0)
    assert bool(hits) is met


def test_a_thousands_separator_is_not_a_decimal_comma() -> None:
    idx = ClaimIndex()
    idx.add(Claim("P", 1, (Element("at least 1 kg"),)))
    assert idx.find("weighs 1,200 g") and not idx.find("weighs 0,5 kg")


@pytest.mark.parametrize("text", ["pole without a carbide tip", "no carbide tip", "not carbide tipped"])
def test_a_denied_element_is_not_shown(text: str) -> None:
    idx = ClaimIndex()
    idx.add(Claim("P", 1, (Element("carbide tip"),)))
    assert idx.find(text) == []


def test_a_denial_ends_at_the_clause() -> None:
    idx = ClaimIndex()
    idx.add(Claim("P", 1, (Element("carbide tip"), Element("telescopic shaft"))))
    hit = idx.find("pole without a carbide tip, telescopic shaft", score_cutoff=0)[0]
    assert [e.element for e in hit.elements if e.shown] == ["telescopic shaft"]


def test_words_far_apart_do_not_make_an_element() -> None:
    idx = ClaimIndex()
    idx.add(Claim("P", 1, (Element("carbide tip"),)))
    assert idx.find("carbide drill bits, steel chisels, brass fittings, rubber feet and a felt tip pen") == []


def test_an_unrelated_product_meets_nothing(index: ClaimIndex) -> None:
    fields = {"title": "Stainless steel kitchen knife set, 6 pieces",
              "description": "Ergonomic handles, dishwasher safe, gift box."}
    assert index.find(fields, score_cutoff=0) == []


def test_styled_and_accented_letters_are_read_as_plain(index: ClaimIndex) -> None:
    hit = _only(index, {"title": "Ｔｅｌｅｓｃｏｐｉｃ Shaft, 𝐥𝐞𝐯𝐞𝐫 𝐥𝐨𝐜𝐤, cárbide típ, 30 l"})
    assert hit.complete


def test_cutoff_and_limit_and_order() -> None:
    idx = ClaimIndex()
    idx.add(Claim("A", 1, (Element("snow basket"), Element("quick release"))))
    idx.add(Claim("B", 2, (Element("snow basket"), Element("cork grip"), Element("strap"))))
    text = "snow basket with quick release"
    assert [(h.key, h.claim) for h in idx.find(text, score_cutoff=0)] == [("A", 1), ("B", 2)]
    assert [h.key for h in idx.find(text)] == ["A"]  # B shows a third: under the default 50
    assert len(idx.find(text, score_cutoff=0, limit=1)) == 1


def test_a_claim_needs_elements_with_words() -> None:
    idx = ClaimIndex()
    with pytest.raises(ValueError, match="no elements"):
        idx.add(Claim("P", 1, ()))
    with pytest.raises(ValueError, match="no words"):
        idx.add(Claim("P", 1, (Element("the of and"),)))


def test_results_are_frozen_and_slotted() -> None:
    for cls in (ClaimHit, ElementMatch, Claim, Element):
        assert dataclasses.fields(cls) and "__slots__" in cls.__dict__
    hit = ClaimHit("P", 1, ())
    with pytest.raises(dataclasses.FrozenInstanceError):
        hit.claim = 2  # type: ignore[misc]


def test_huge_and_repetitive_text_is_read_within_the_field_limit(index: ClaimIndex) -> None:
    flood = "carbide " * 300_000 + "tip"
    assert index.find({"description": flood}, score_cutoff=0) == []  # the tip is past the limit
    many = ("lever lock " * 10_000) + "telescopic shaft carbide tip 25 l"
    hits = index.find({"description": many[:90_000] + " telescopic shaft carbide tip 25 l"}, score_cutoff=0)
    assert hits and hits[0].complete


@settings(max_examples=200)
@given(st.dictionaries(st.sampled_from(["title", "bullet 1", "description"]), st.text(max_size=400), max_size=3))
def test_any_text_gives_spans_inside_its_field(fields: dict[str, str]) -> None:
    idx = ClaimIndex()
    idx.add(POLE)
    for hit in idx.find(fields, score_cutoff=0):
        assert 0 < hit.shown <= hit.total
        for e in hit.elements:
            if e.shown:
                assert e.field in fields and fields[e.field][e.start:e.end] == e.phrase


@settings(max_examples=100)
@given(st.lists(st.sampled_from(["the", "and", "with", "great", "new", "for", "hiking", "2024", ",", "!"]), max_size=30))
def test_adding_filler_words_around_a_complete_listing_keeps_it_complete(filler: list[str]) -> None:
    idx = ClaimIndex()
    idx.add(POLE)
    text = " ".join(filler) + " telescopic shaft. lever lock. carbide tip. 25 l. " + " ".join(filler)
    hit = idx.find(text)[0]
    assert hit.complete
