"""Whether a word is in everyday use, from the word frequencies of the wordfreq package,
so that a real word near a mark ("Narvik", "guest") is not taken for a misspelt mark."""

from __future__ import annotations

import unicodedata
from functools import lru_cache

__all__ = ["LANGUAGES", "COMMON_ZIPF", "is_common_word"]

# The languages of the marketplaces markwatch watches, whose words sellers use in titles.
LANGUAGES = ("en", "de", "fr", "es", "it", "pt", "nl", "sv", "nb", "da", "fi", "pl")
# Zipf 3 is once per million words: "narvik" (4.2), "guest" (4.6) are above it; the
# misspellings counterfeiters use ("adadis", "trialforge", "gucchi") are far below.
COMMON_ZIPF = 3.0


@lru_cache(maxsize=1)
def _zipf():  # type: ignore[no-untyped-def]
    try:
        from wordfreq import zipf_frequency
    except ImportError:  # optional: without it every near-miss counts as a typo
        return None
    return zipf_frequency


@lru_cache(maxsize=65536)
def is_common_word(word: str) -> bool:
    """True when `word` (any case, accents kept or not) is common in a watched language."""
    zipf = _zipf()
    if zipf is None:
        return False
    word = unicodedata.normalize("NFC", word).casefold()
    try:
        return any(zipf(word, lang, wordlist="small") >= COMMON_ZIPF for lang in LANGUAGES)
    except (LookupError, ValueError):
        return False
