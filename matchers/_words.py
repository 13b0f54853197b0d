"""Whether a word is in everyday use, from the word frequencies of the wordfreq package,
so that a real word near a mark ("Narvik", "guest") is not taken for a misspelt mark."""

from __future__ import annotations

import contextlib
import math
import unicodedata
from functools import lru_cache

__all__ = ["LANGUAGES", "COMMON_ZIPF", "EVERYDAY_ZIPF", "is_common_word", "is_everyday_word", "is_known_word",
           "warm"]

# The languages of the marketplaces markwatch watches, whose words sellers use in titles.
LANGUAGES = ("en", "de", "fr", "es", "it", "pt", "nl", "sv", "nb", "da", "fi", "pl")
# Zipf 3 is once per million words: "narvik" (4.2), "guest" (4.6) are above it; the
# misspellings counterfeiters use ("adadis", "trialforge", "gucchi") are far below.
COMMON_ZIPF = 3.0
# Zipf 4 is once per hundred thousand words: "face", "island", "balance", "boss" are
# above it and make poor stand-ins for a whole mark; "mcqueen" (3.3), "vuitton" (3.3)
# are below.
EVERYDAY_ZIPF = 4.0


@lru_cache(maxsize=1)
def _zipf():  # type: ignore[no-untyped-def]
    try:
        from wordfreq import get_frequency_dict, zipf_frequency
    except ImportError:  # optional: without it every near-miss counts as a typo
        return None

    def zipf(word: str, lang: str, wordlist: str = "best") -> float:
        # A plain ASCII word is one token in every watched language: its figure is read
        # from wordfreq's own table, rounded as wordfreq rounds it. wordfreq's tokenizer
        # costs ~40 us a call, ten times the rest, and each near miss asks 12 languages.
        if word.isascii() and word.isalpha():
            freq = get_frequency_dict(lang, wordlist).get(word.lower(), 0.0)
            if freq <= 0.0:
                return 0.0
            freq = round(freq, math.floor(-math.log(freq, 10)) + 3)
            return round(math.log(freq, 10) + 9, 2)
        return zipf_frequency(word, lang, wordlist=wordlist)

    return zipf


@lru_cache(maxsize=1)
def warm() -> None:
    """Read the small word lists of every watched language once (about 0.2 s), so that
    matching does not pay for it on its first near miss."""
    zipf = _zipf()
    if zipf is not None:
        for lang in LANGUAGES:
            with contextlib.suppress(LookupError, ValueError):
                zipf("the", lang, wordlist="small")


@lru_cache(maxsize=65536)
def is_common_word(word: str, zipf_at_least: float = COMMON_ZIPF) -> bool:
    """True when `word` (any case) is at least that common in a watched language."""
    zipf = _zipf()
    if zipf is None:
        return False
    word = unicodedata.normalize("NFC", word).casefold()
    try:
        return any(zipf(word, lang, wordlist="small") >= zipf_at_least for lang in LANGUAGES)
    except (LookupError, ValueError):
        return False


@lru_cache(maxsize=4096)
def is_everyday_word(word: str) -> bool:
    """True for a word too ordinary to stand for a whole mark: everyday in English (the
    titles' common language) or very common in another watched language. Surnames that
    are common somewhere ("Kors" 4.6, "Philippe" 4.9) stay distinctive; "face",
    "balance", "klein" (German "small", 5.3) do not."""
    zipf = _zipf()
    if zipf is None:
        return False
    low = unicodedata.normalize("NFC", word).casefold()
    try:
        if zipf(low, "en", wordlist="small") >= EVERYDAY_ZIPF:
            return True
        return any(zipf(low, lang, wordlist="small") >= EVERYDAY_ZIPF + 1 for lang in LANGUAGES)
    except (LookupError, ValueError):
        return False


# Zipf 2 in the large lists is once per hundred million words: first names ("Chantel"
# 2.3, "Aimee" 3.0) the small lists leave out; counterfeiters' misspellings are absent.
KNOWN_ZIPF = 2.0


@lru_cache(maxsize=65536)
def is_known_word(word: str) -> bool:
    """True when `word` is in the large English word list at all often: a rare name or
    word rather than a misspelling. Asked only of near misses, so the large list loads
    only when one is seen."""
    zipf = _zipf()
    if zipf is None:
        return False
    try:
        return zipf(unicodedata.normalize("NFC", word).casefold(), "en", wordlist="large") >= KNOWN_ZIPF
    except (LookupError, ValueError):
        return False
