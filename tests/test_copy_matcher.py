"""Copied product copy: a brand's text is found in a listing through reordering, added
words and styled letters, with the copied spans marked on both sides; stock phrases and
unrelated texts are not copies."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matchers.copy import CopyIndex

BRAND_TEXT = (
    "The Fjell Parka keeps you warm down to minus twenty degrees with a recycled down fill. "
    "Its three layer shell is fully taped at every seam and sheds snow and sleet. "
    "A two way front zip, a helmet compatible hood and fleece lined hand pockets make it "
    "the jacket for long days above the tree line."
)
OTHER_TEXT = (
    "Our trail shoe pairs a grippy lug sole with a breathable mesh upper for fast hikes. "
    "A rock plate protects your feet on scree, and the heel counter locks you in on descents."
)


@pytest.fixture(scope="module")
def index() -> CopyIndex:
    idx = CopyIndex()
    idx.add("product:NV-PARKA-01:description", BRAND_TEXT)
    idx.add("product:NV-SHOE-02:description", OTHER_TEXT)
    return idx


def test_a_verbatim_copy_is_found_with_its_spans(index: CopyIndex) -> None:
    listing = "Best winter coat! " + BRAND_TEXT + " Fast shipping."
    (hit,) = index.find(listing)
    assert hit.key == "product:NV-PARKA-01:description"
    assert hit.source_share == 1.0 and 0.8 < hit.share < 1.0
    copied = " ".join(listing[a:b] for a, b in hit.spans)
    assert copied.startswith("The Fjell Parka") and "Fast shipping" not in copied
    assert [BRAND_TEXT[a:b] for a, b in hit.source_spans] == [BRAND_TEXT.rstrip(".")]  # word to word


def test_reordered_sentences_and_added_words_still_count(index: CopyIndex) -> None:
    sentences = [s.strip() + "." for s in BRAND_TEXT.split(".") if s.strip()]
    random.Random(4).shuffle(sentences)
    listing = " NEW 2026 ".join(sentences)
    (hit,) = index.find(listing)
    assert hit.key.startswith("product:NV-PARKA-01") and hit.source_share > 0.85


def test_styled_letters_fold(index: CopyIndex) -> None:
    styled = BRAND_TEXT.replace("Fjell Parka", "𝗙𝗷𝗲𝗹𝗹 𝗣𝗮𝗿𝗸𝗮")
    (hit,) = index.find(styled)
    assert hit.source_share == 1.0
    assert styled[hit.spans[0][0]:hit.spans[0][1]].startswith("The 𝗙𝗷𝗲𝗹𝗹")


def test_stock_phrases_and_other_texts_are_not_copies(index: CopyIndex) -> None:
    assert index.find("Warm parka with a two way front zip and fleece lined hand pockets, size M") == []
    assert index.find("A lightweight rain jacket with taped seams for city commutes and weekend walks.") == []
    assert [h.key for h in index.find(OTHER_TEXT)] == ["product:NV-SHOE-02:description"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(BRAND_TEXT.split()), min_size=0, max_size=200), st.integers(0, 2**16))
def test_shares_are_bounded_and_spans_lie_in_the_texts(words: list[str], seed: int) -> None:
    idx = CopyIndex()
    idx.add("a", BRAND_TEXT)
    text = " ".join(words)
    for hit in idx.find(text, score_cutoff=0, min_words=1):
        assert 0 < hit.share <= 1 and 0 < hit.source_share <= 1
        assert all(0 <= a < b <= len(text) for a, b in hit.spans)
        assert all(0 <= a < b <= len(BRAND_TEXT) for a, b in hit.source_spans)
        assert hit.copied_words >= idx.shingle


def test_a_key_is_registered_once() -> None:
    idx = CopyIndex()
    idx.add("a", BRAND_TEXT)
    with pytest.raises(ValueError, match="already registered"):
        idx.add("a", OTHER_TEXT)
