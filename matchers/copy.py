"""Copied product copy: a listing's text against the brand's own texts (descriptions,
bullet points, size guides), as near-duplicate detection over word shingles.

Every run of `shingle` consecutive words of a registered text is indexed; a listing's
shingles found there mark the words copied on both sides, so reordered sentences and
added words still count, and the hit names the copied spans and the share copied.
Translated copies are out of scope.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass

__all__ = ["CopyHit", "CopyIndex"]

_WORD = re.compile(r"\w+", re.UNICODE)
MAX_TEXT = 200_000  # characters of one text read; listings are written by strangers


@dataclass(frozen=True, slots=True)
class CopyHit:
    """One registered text found copied in a listing's text."""

    key: str
    copied_words: int
    share: float  # of the listing text's words that are copied from this text
    source_share: float  # of the registered text's words that the listing copies
    spans: tuple[tuple[int, int], ...]  # character spans in the listing text
    source_spans: tuple[tuple[int, int], ...]  # character spans in the registered text

    @property
    def score(self) -> float:
        """0-100: the larger of the two shares, as the other scorers' scale."""
        return round(100 * max(self.share, self.source_share), 1)

    def reason(self, title: str | None = None) -> str:
        what = f"'{title}'" if title else "the brand's text"
        return (f"copies {self.source_share:.0%} of {what} ({self.copied_words} words; "
                f"{self.share:.0%} of the listing's text)")


def _words(text: str) -> list[tuple[str, int, int]]:
    """(folded word, start, end): positions in the text as given, so spans mark it exactly;
    styled letters (𝗡𝗢𝗥𝗩𝗜𝗞, fullwidth) fold to plain ones."""
    return [(unicodedata.normalize("NFKC", m.group()).casefold(), m.start(), m.end())
            for m in _WORD.finditer(text[:MAX_TEXT])]


def _spans(words: list[tuple[str, int, int]], covered: set[int]) -> tuple[tuple[int, int], ...]:
    spans: list[tuple[int, int]] = []
    run_start = previous = None
    for i in sorted(covered):
        if previous is not None and i == previous + 1:
            previous = i
            continue
        if run_start is not None:
            spans.append((words[run_start][1], words[previous][2]))  # type: ignore[index]
        run_start = previous = i
    if run_start is not None:
        spans.append((words[run_start][1], words[previous][2]))  # type: ignore[index]
    return tuple(spans)


class CopyIndex:
    """The brand's texts, shingled once; `find` is a few dict look-ups per listing word."""

    def __init__(self, *, shingle: int = 5) -> None:
        if shingle < 2:
            raise ValueError("a shingle is at least 2 words")
        self.shingle = shingle
        self._texts: dict[str, tuple[str, list[tuple[str, int, int]]]] = {}
        self._index: dict[tuple[str, ...], list[tuple[str, int]]] = defaultdict(list)

    def __len__(self) -> int:
        return len(self._texts)

    def add(self, key: str, text: str) -> None:
        if key in self._texts:
            raise ValueError(f"a text is already registered as {key!r}")
        words = _words(text)
        self._texts[key] = (text, words)
        tokens = [w for w, _, _ in words]
        for i in range(len(tokens) - self.shingle + 1):
            self._index[tuple(tokens[i:i + self.shingle])].append((key, i))

    def find(self, text: str, *, score_cutoff: float | None = None, limit: int | None = None,
             min_words: int = 12) -> list[CopyHit]:
        """Registered texts copied in `text`, most copied first. A hit needs `min_words`
        copied words (so a shared stock phrase is not a copy) and a score of at least
        `score_cutoff` (0-100, default 20)."""
        cutoff = 20.0 if score_cutoff is None else score_cutoff
        words = _words(text)
        tokens = [w for w, _, _ in words]
        mine: dict[str, set[int]] = defaultdict(set)
        theirs: dict[str, set[int]] = defaultdict(set)
        k = self.shingle
        for i in range(len(tokens) - k + 1):
            for key, j in self._index.get(tuple(tokens[i:i + k]), ()):
                mine[key].update(range(i, i + k))
                theirs[key].update(range(j, j + k))
        hits = []
        for key, covered in mine.items():
            source_text, source_words = self._texts[key]
            if len(covered) < min_words:
                continue
            hit = CopyHit(key=key, copied_words=len(covered), share=len(covered) / max(1, len(words)),
                          source_share=len(theirs[key]) / max(1, len(source_words)),
                          spans=_spans(words, covered), source_spans=_spans(source_words, theirs[key]))
            if hit.score >= cutoff:
                hits.append(hit)
        hits.sort(key=lambda h: (-h.score, h.key))
        return hits[:limit] if limit else hits
