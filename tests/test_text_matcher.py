"""The mark matcher: every disguise it must see through, every look-alike it must leave
alone, and the properties every hit keeps (spans, scores, order, limits)."""

from __future__ import annotations

import pickle
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matchers.errors import MatcherConfigError, MatcherError
from matchers.text import REASONS, Mark, MarkHit, MarkMatcher, typo_budget

MARKS = [
    Mark("Nike"),
    Mark("Adidas"),
    Mark("Armani"),
    Mark("LV"),
    Mark("Norvik", aliases=("诺维克", "ノルヴィク")),
    Mark("Trailforge"),
    Mark("Summit Series", distinctive=False),
    Mark("Alexander McQueen"),
    Mark("New Balance"),
]


@pytest.fixture(scope="module")
def matcher() -> MarkMatcher:
    return MarkMatcher(MARKS)


def _only(matcher: MarkMatcher, text: str) -> MarkHit:
    hits = matcher.find(text)
    assert hits, f"nothing found in {text!r}"
    return hits[0]


# -- what it must catch ---------------------------------------------------------------


@pytest.mark.parametrize(
    "text, mark, matched, reason",
    [
        ("Nike Air Max 90 running shoes", "Nike", "Nike", "exact"),
        ("NIKE air max", "Nike", "NIKE", "case"),
        ("Nïké sneakers", "Nike", "Nïké", "accent"),
        ("𝗡𝗶𝗸𝗲 hoodie oversized", "Nike", "𝗡𝗶𝗸𝗲", "styled-unicode"),  # mathematical sans bold
        ("𝑵𝒊𝒌𝒆 cap", "Nike", "𝑵𝒊𝒌𝒆", "styled-unicode"),  # mathematical bold italic
        ("Ｎｉｋｅ shoes", "Nike", "Ｎｉｋｅ", "styled-unicode"),  # fullwidth
        ("ⓝⓘⓚⓔ socks", "Nike", "ⓝⓘⓚⓔ", "styled-unicode"),  # circled
        ("ɴɪᴋᴇ tee", "Nike", "ɴɪᴋᴇ", "styled-unicode"),  # small capitals
        ("Nıke trainers", "Nike", "Nıke", "homoglyph"),  # dotless i
        ("Νike trainers", "Nike", "Νike", "homoglyph"),  # Greek capital nu
        ("Аdidas Superstar", "Adidas", "Аdidas", "homoglyph"),  # Cyrillic a
        ("Nlke sneakers", "Nike", "Nlke", "homoglyph"),  # l for I
        ("N1KE shoes", "Nike", "N1KE", "leet"),
        ("@did@s originals", "Adidas", "@did@s", "leet"),
        ("Adida$ shoes", "Adidas", "Adida$", "leet"),
        ("N I K E hoodie", "Nike", "N I K E", "spacing"),
        ("N.I.K.E hoodie", "Nike", "N.I.K.E", "spacing"),
        ("N-I-K-E hoodie", "Nike", "N-I-K-E", "spacing"),
        ("N_I_K_E hoodie", "Nike", "N_I_K_E", "spacing"),
        ("N*I*K*E hoodie", "Nike", "N*I*K*E", "spacing"),
        ("Ni\u200bke hoodie", "Nike", "Ni\u200bke", "spacing"),  # zero-width space
        ("Nor\u00advik parka", "Norvik", "Nor\u00advik", "spacing"),  # soft hyphen
        ("NikeAir sneakers", "Nike", "Nike", "glued"),  # glued
        ("AirNike sneakers", "Nike", "Nike", "glued"),
        ("NORVIKPARKA winter", "Norvik", "NORVIK", "glued"),
        ("adadis superstar", "Adidas", "adadis", "typo"),
        ("Armai suit", "Armani", "Armai", "typo"),
        ("Norvikk jacket", "Norvik", "Norvikk", "typo"),
        ("Trialforge boots", "Trailforge", "Trialforge", "typo"),
        ("Nwe Balance 574", "New Balance", "Nwe Balance", "typo"),
        ("正品诺维克冲锋衣男", "Norvik", "诺维克", "alias"),  # no spaces in Chinese
        ("【正規品】ノルヴィクジャケット", "Norvik", "ノルヴィク", "alias"),
        ("McQueen sneakers white", "Alexander McQueen", "McQueen", "partial"),
        ("Summit Series tent", "Summit Series", "Summit Series", "exact"),
        ("2 person summit series tent", "Summit Series", "summit series", "case"),
    ],
)
def test_each_disguise_is_found_with_its_reason(matcher, text, mark, matched, reason):
    hit = _only(matcher, text)
    assert (hit.mark, hit.matched, hit.reason) == (mark, matched, reason)
    assert text[hit.start : hit.end] == hit.matched


def test_disguises_score_below_the_plain_mark(matcher):
    plain = _only(matcher, "Trailforge boots").score
    for text in ["TRAILFORGE boots", "Tr4ilforge boots", "T r a i l f o r g e", "Trialforge boots"]:
        assert _only(matcher, text).score < plain
    assert _only(matcher, "McQueen").score < _only(matcher, "Alexander McQueen").score


def test_plural_of_a_mark_is_the_mark_itself(matcher):
    hit = _only(matcher, "Nikes for sale")
    assert (hit.matched, hit.reason) == ("Nike", "exact")


# -- what it must not flag --------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Elverys sports store voucher",  # "LV" inside another word
        "Series IV box set",  # Roman numeral, not "LV" in disguise
        "Nikon camera strap",  # another brand that resembles "Nike"
        "Narvik city travel guide",  # a real town one letter from "Norvik"
        "caravans and campers",
        "Summit ridge trekking poles",  # non-distinctive mark only as its whole phrase
        "SummitSeriesX tent",  # ... never glued
        "Summit Seriess tent",  # ... never as a typo
        "Adios amigo tee",  # two edits from "Adidas": beyond a 6-letter mark's budget
        "Size 10 / EU 44 / 1:1 scale",
    ],
)
def test_must_not_flag(matcher, text):
    assert matcher.find(text) == []


def test_short_mark_only_as_a_whole_word(matcher):
    assert [h.matched for h in matcher.find("LV monogram bag")] == ["LV"]
    assert [h.matched for h in matcher.find("正品LV包")] == ["LV"]  # CJK around it is a boundary
    assert matcher.find("Elverys") == []


def test_non_distinctive_mark_not_glued_but_distinctive_is():
    m = MarkMatcher([Mark("Summit", distinctive=False), Mark("Trailforge")])
    assert m.find("SummitPeak jacket") == []
    assert [h.mark for h in m.find("TrailforgePro jacket")] == ["Trailforge"]


# -- properties of every hit --------------------------------------------------------------

_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)), max_size=120
) | st.lists(
    st.sampled_from(["Nike", "N1KE", "Norvik", "诺维克", "Summit", "Series", "LV", " ", "-", ".",
                     "\u200b", "𝗡𝗶𝗸𝗲", "Trialforge", "McQueen", "shoes", "Ω", "ß", "ﬁ", "e\u0301"]),
    max_size=20,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(_TEXT)
def test_hits_point_into_the_text_and_are_ordered(text):
    hits = MarkMatcher(MARKS).find(text)
    for hit in hits:
        assert 0 <= hit.start < hit.end <= len(text)
        assert text[hit.start : hit.end] == hit.matched
        assert 0 <= hit.score <= 100
        assert hit.reason in REASONS
        assert hit.mark in {m.text for m in MARKS}
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


@settings(max_examples=150, deadline=None)
@given(_TEXT, st.integers(0, 100), st.integers(0, 5))
def test_cutoff_and_limit_filter_the_full_list(text, cutoff, limit):
    matcher = MarkMatcher(MARKS)
    full = matcher.find(text)
    assert matcher.find(text, score_cutoff=cutoff) == [h for h in full if h.score >= cutoff]
    assert matcher.find(text, limit=limit) == full[:limit]


_WORDS = st.lists(st.sampled_from(["red", "jacket", "men's", "2024", "size", "M", "sale", "XL",
                                   "outdoor", "new", "|", "-", "waterproof"]), max_size=6)


@settings(max_examples=150, deadline=None)
@given(_WORDS, _WORDS, st.sampled_from(["Norvik", "Trailforge", "Adidas", "Armani", "Nike"]))
def test_a_plain_mark_between_ordinary_words_is_found_exactly(before, after, mark):
    text = " ".join([*before, mark, *after])
    hits = [h for h in MarkMatcher(MARKS).find(text) if h.mark == mark]
    assert any(h.reason == "exact" and h.matched == mark for h in hits)


_STYLES = ["MATHEMATICAL BOLD", "MATHEMATICAL ITALIC", "MATHEMATICAL BOLD SCRIPT",
           "MATHEMATICAL SANS-SERIF BOLD", "MATHEMATICAL MONOSPACE", "MATHEMATICAL DOUBLE-STRUCK"]


def _styled(word: str, style: str) -> str:
    out = []
    for c in word:
        name = f"{style} {'CAPITAL' if c.isupper() else 'SMALL'} {c.upper()}"
        try:
            out.append(unicodedata.lookup(name))
        except KeyError:
            out.append(c)
    return "".join(out)


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(["Norvik", "Trailforge", "Adidas", "Nike"]), st.sampled_from(_STYLES))
def test_styled_letters_from_unicode_names_are_found(mark, style):
    text = f"{_styled(mark, style)} jacket"
    hit = _only(MarkMatcher(MARKS), text)
    assert hit.mark == mark
    assert hit.reason in ("styled-unicode", "homoglyph")


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["Norvik", "Trailforge", "Adidas", "Armani", "Balenciaga"]),
    st.sampled_from(["omit", "insert", "substitute", "transpose", "double"]),
    st.integers(0, 20),
    st.sampled_from("abcdefghijklmnopqrstuvwxyz"),
)
def test_every_single_edit_of_a_long_mark_is_found(mark, edit, where, letter):
    word = mark.lower()
    i = where % len(word)
    if edit == "omit":
        typo = word[:i] + word[i + 1 :]
    elif edit == "insert":
        typo = word[:i] + letter + word[i:]
    elif edit == "substitute":
        typo = word[:i] + letter + word[i + 1 :]
    elif edit == "double":
        typo = word[:i] + word[i] + word[i:]
    else:
        i = min(i, len(word) - 2)
        typo = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    matcher = MarkMatcher([*MARKS, Mark("Balenciaga")])
    hits = [h for h in matcher.find(f"new {typo} jacket") if h.mark == mark]
    from matchers import _words

    if typo != word and _words.is_common_word(typo):
        return  # a real word ("armand") is rightly not read as the mark
    assert hits, f"{typo!r} not found as {mark!r}"


def test_typo_budget_grows_with_length():
    budgets = [typo_budget(n) for n in range(1, 30)]
    assert budgets == sorted(budgets)
    assert typo_budget(4) == 0 and typo_budget(5) >= 1 and typo_budget(12) > typo_budget(6)


def test_homoglyph_table_comes_from_unicode_data():
    # Every Cyrillic and Greek letter Unicode lists as confusable with a Latin letter folds
    # to it: built from the package's data, not from a list in this project.
    import json
    from importlib import resources

    from matchers import _fold

    data = json.loads(resources.files("confusable_homoglyphs").joinpath("confusables.json").read_text("utf-8"))
    checked = 0
    for latin in "aceopxy":
        for entry in data[latin]:
            char = entry["c"]
            if len(char) == 1 and ("CYRILLIC" in entry["n"] or "GREEK" in entry["n"]):
                assert _fold.fold(char)[0] == latin, entry["n"]
                checked += 1
    assert checked >= 10


# -- bad input ---------------------------------------------------------------------------


def test_bad_marks_fail_with_a_named_error():
    with pytest.raises(MatcherConfigError):
        Mark("")
    with pytest.raises(MatcherConfigError):
        Mark("  ...  ")
    with pytest.raises(MatcherConfigError):
        Mark("Nike", aliases=("",))
    with pytest.raises(MatcherConfigError):
        MarkMatcher([])
    with pytest.raises(MatcherConfigError):
        MarkMatcher([42])  # type: ignore[list-item]


def test_bad_text_never_raises_a_traceback(matcher):
    assert matcher.find(None) == []  # type: ignore[arg-type]
    assert matcher.find("") == []
    assert [h.mark for h in matcher.find(b"Nike shoes")] == ["Nike"]  # type: ignore[arg-type]
    with pytest.raises(MatcherError):
        matcher.find(12345)  # type: ignore[arg-type]
    huge = ("Nike " + "x" * 5000 + " ") * 50
    assert matcher.find(huge, limit=3)


def test_plain_strings_work_as_marks_and_matchers_pickle():
    m = MarkMatcher(["Nike", "Norvik"])
    again = pickle.loads(pickle.dumps(m))
    assert [h.mark for h in again.find("N0rvik and Nike")] == [h.mark for h in m.find("N0rvik and Nike")]


def test_partial_word_is_distinctive_or_configured():
    assert Mark("Alexander McQueen").partial_words() == ("McQueen",)
    assert Mark("The North Face").partial_words() == ()  # "face" is an everyday word
    assert Mark("The North Face", partials=("North Face",)).partial_words() == ("North Face",)
    assert Mark("Alexander McQueen", partials=()).partial_words() == ()
    assert Mark("Summit Series", distinctive=False).partial_words() == ()
    assert MarkMatcher([Mark("The North Face")]).find("face mask, pack of 10") == []


def test_without_word_frequencies_near_misses_count_as_typos(monkeypatch):
    from matchers import _words

    monkeypatch.setattr(_words, "_zipf", lambda: None)
    _words.is_common_word.cache_clear()
    try:
        hits = MarkMatcher([Mark("Norvik")]).find("Narvik city guide")
        assert [(h.matched, h.reason) for h in hits] == [("Narvik", "typo")]
    finally:
        _words.is_common_word.cache_clear()


def test_a_domain_name_is_not_a_spacing_disguise():
    m = MarkMatcher([Mark("Ralph Lauren"), Mark("Nike")])
    assert [h.reason for h in m.find("Cashmere sweater - RalphLauren.com")] == ["case"]
    assert [h.reason for h in m.find("RalphLauren cashmere sweater")] == ["spacing"]
    assert [h.reason for h in m.find("deals at NikeStore.co.uk")] == ["case"]


# -- counterfeiters' own spellings (issue 14) --------------------------------------------

SPELLINGS = [
    Mark("Prada"),
    Mark("Gucci"),
    Mark("Levi's"),
    Mark("Nike"),
    Mark("Lego"),
    Mark("Mariano"),
    Mark("Dr. Halvo"),
    Mark("Louis Vuitton"),
    Mark("Norvik", aliases=("Norwik",)),
]


@pytest.fixture(scope="module")
def spellings() -> MarkMatcher:
    return MarkMatcher(SPELLINGS)


@pytest.mark.parametrize(
    "text, mark, matched, reason",
    [
        ("PR*DA saffiano bag", "Prada", "PR*DA", "masked"),
        ("Pr_da bag", "Prada", "Pr_da", "masked"),
        ("Guc#i belt", "Gucci", "Guc#i", "masked"),
        ("*ucci belt", "Gucci", "*ucci", "masked"),
        ("L**is 501 jeans", "Levi's", "L**is", "masked"),
        ("Louis V*itton speedy", "Louis Vuitton", "Louis V*itton", "masked"),
        ("N*rw*k parka", "Norvik", "N*rw*k", "masked"),  # an alias masked
        ("G.U.C.C.I belt", "Gucci", "G.U.C.C.I", "spacing"),  # a symbol between every letter
        ("Nkie running shoes", "Nike", "Nkie", "swap"),
        ("Lgeo bricks", "Lego", "Lgeo", "swap"),
        ("Nor ✦ vik parka", "Norvik", "Nor ✦ vik", "spacing"),  # styled fragments
        ("𝐍𝐨𝐫 - 𝐯𝐢𝐤 parka", "Norvik", "𝐍𝐨𝐫 - 𝐯𝐢𝐤", "spacing"),
        ("Marian leather bag", "Mariano", "Marian", "shortened"),  # a first name
        ("Halvo boots", "Dr. Halvo", "Halvo", "partial"),
    ],
)
def test_counterfeiters_spellings_are_found_with_their_reason(spellings, text, mark, matched, reason):
    hit = _only(spellings, text)
    assert (hit.mark, hit.matched, hit.reason) == (mark, matched, reason)
    assert text[hit.start : hit.end] == hit.matched
    assert hit.needs_context == (reason in ("shortened", "partial"))


@pytest.mark.parametrize(
    "text",
    [
        "Prada* bag",  # a footnote star after the plain mark is no masking
        "P***a bag",  # too few letters left to read a mark
        "t-shirt 2.5 kg",
        "Soup bowl",  # a real word is no swap of "Sopu"
        "Marianne dress",  # a name, but not the mark minus its last letter
    ],
)
def test_masks_swaps_and_names_need_the_mark_behind_them(text):
    m = MarkMatcher(SPELLINGS + [Mark("Sopu")])
    assert all(h.reason not in ("masked", "swap", "shortened") for h in m.find(text)), m.find(text)


def test_shortening_to_a_non_word_is_an_ordinary_typo(spellings):
    hit = _only(MarkMatcher([Mark("Trailforge")]), "Trailforg boots")
    assert hit.reason == "typo" and not hit.needs_context


def test_reasons_say_how_the_mark_was_written():
    from matchers.signals import mark_findings

    m = MarkMatcher(SPELLINGS)

    def reason(text: str) -> str:
        return mark_findings(m.find(text))[0].reason

    assert reason("PR*DA bag") == "title has letters masked: 'PR*DA' reads as Prada"
    assert reason("Nkie shoes") == "title has letters swapped: 'Nkie' reads as Nike"
    # issue 17: a glued mark is said to be glued, with the whole word
    assert reason("NorvikStyle parka") == "title writes the mark 'Norvik' glued to another word: 'NorvikStyle'"
    assert "split into pieces as 'Nor vik'" in reason("Nor vik parka")
    assert reason("Marian bag").startswith("title has last letter dropped: 'Marian' reads as Mariano; alone")


def test_context_decides_a_shortened_name_or_a_lone_word():
    from matchers.signals import Finding, goods_words, mark_findings, mark_in_context

    m = MarkMatcher(SPELLINGS)
    goods = goods_words([18], ["weekender"])
    for text in ["Marian leather handbag", "Halvo weekender, brown"]:
        weak = mark_findings(m.find(text))
        assert weak[0].score < 0.3
        strong = mark_in_context(weak, text, goods=goods)
        assert strong[0].score > 0.6 and "beside the mark's goods" in strong[0].reason
    alone = "Marian: a novel, paperback"
    weak = mark_findings(m.find(alone))
    assert mark_in_context(weak, alone, goods=goods) == weak  # a name alone stays weak
    replica = Finding("replica_wording", 0.9, "title offers a replica", "replica")
    assert mark_in_context(weak + [replica], alone, goods=goods)[0].score > 0.6
    assert mark_in_context(weak, alone, photos=True)[0].score > 0.6
    # a plain or disguised hit is never changed by context
    sure = mark_findings(m.find("PR*DA handbag"))
    assert mark_in_context(sure, "PR*DA handbag", goods=goods) == sure


@pytest.mark.parametrize(
    "marks, text",
    [
        (["Fermarea"], "Fermare: a novel"),  # sentence punctuation between a word and "a"
        (["Fermarea"], "Fermare a story"),  # a real word beside an article
        (["Demasi"], "demasiado caro"),  # a long mark inside a real word
        (["Dr. Martens"], "Birthday card for Martens"),  # another word where "Dr" stood
    ],
)
def test_real_words_around_a_mark_are_not_its_disguises(marks, text):
    assert all(h.reason in ("shortened", "partial") for h in MarkMatcher(marks).find(text))


def test_a_rarer_name_near_a_mark_needs_context_and_an_invisible_split_does_not():
    hit = _only(MarkMatcher(["Chanel"]), "Poster Chantel in Paris")
    assert (hit.reason, hit.needs_context) == ("near-word", True)
    hit = _only(MarkMatcher(["Garmin"]), "G\u200barmin watch")
    assert (hit.reason, hit.needs_context) == ("spacing", False)


@pytest.mark.parametrize(
    ("mark", "text"),
    [
        ("Olin Neripox", "Wooden name sign Neripox for the nursery"),  # "sign" is no slip of "Olin"
        ("Levi's", "Levi: a novel, paperback edition"),  # "a" is no slip of the "s"
    ],
)
def test_a_misspelt_phrase_keeps_each_word_close(mark, text):
    assert all(h.reason != "typo" for h in MarkMatcher([Mark(mark)]).find(text))


def test_a_misspelt_phrase_still_allows_one_slip_a_word():
    hit = _only(MarkMatcher([Mark("Olin Neripox")]), "Olen Neripox tote")
    assert (hit.matched, hit.reason) == ("Olen Neripox", "typo")


def _mask_touches_a_letter(text: str) -> bool:
    """The plain definition `_mask_hint` speeds up: a run of mask symbols between two
    letters, or a run starting with '*', '#' or '?' beside a letter at a word's edge."""
    import re

    for run in re.finditer(r"[*#?_.·•~\-]+", text):
        a, b = run.span()
        before = text[a - 1] if a else " "
        after = text[b] if b < len(text) else " "
        if before.isalpha() and after.isalpha():
            return True
        if text[a] in "*#?" and ((before.isalpha() and not after.isalnum()) or (after.isalpha() and not before.isalnum())):
            return True
    return False


@settings(max_examples=3000, deadline=None)
@given(st.text(alphabet="aZé5 _*#?.·•~-,ǅ\u0301日", max_size=12))
def test_the_mask_hint_never_misses_a_mask(text):
    from matchers.text import _mask_hint

    expected = _mask_touches_a_letter(text)
    if expected:
        assert _mask_hint(text)
    elif not any(c in "²³¹" for c in text):  # a superscript digit may pass for a letter
        assert not _mask_hint(text)


def test_word_figures_are_wordfreqs_own():
    wordfreq = pytest.importorskip("wordfreq")
    from matchers import _words

    zipf = _words._zipf()
    words = ["guest", "Narvik", "NARVIK", "face", "klein", "adadis", "gucchi", "the", "Chantel", "zzqx"]
    words += wordfreq.top_n_list("de", 300)[::7] + wordfreq.top_n_list("en", 3000)[::37]
    words += ["Levi's", "café", "t-shirt", "2pack", "日本"]  # not plain ASCII words: wordfreq itself
    for word in words:
        for lang, wordlist in (("en", "small"), ("de", "small"), ("pl", "small"), ("en", "large")):
            assert zipf(word, lang, wordlist) == wordfreq.zipf_frequency(word, lang, wordlist=wordlist), word
