"""Registered marks in listing text, however the seller disguises them: case, accents,
styled Unicode, homoglyphs, leetspeak, separators, typos, registered aliases (CJK too),
marks glued to other words, letters masked by symbols, two letters swapped in a short
mark, and, as weak hits that need the listing's context (`CONTEXT_REASONS`), the
distinctive word of a multi-word mark or the mark shortened to a real word or name."""

from __future__ import annotations

import bisect
import operator
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from rapidfuzz import process
from rapidfuzz.distance import OSA

from . import _fold, _words
from .errors import MatcherConfigError, MatcherError

__all__ = ["Mark", "MarkHit", "MarkMatcher", "REASONS", "CONTEXT_REASONS", "typo_budget"]

REASONS = (
    "exact",
    "case",
    "accent",
    "styled-unicode",
    "homoglyph",
    "leet",
    "spacing",
    "glued",
    "masked",
    "swap",
    "typo",
    "alias",
    "partial",
    "shortened",
    "near-word",
)
# Hits that may be innocent on their own ("Valentin" is a name, "Martens" a word): they
# count only when the listing also shows the mark's goods, a replica or price signal, or
# the brand's photos; alone they are weak, reviewable hits.
CONTEXT_REASONS = frozenset({"partial", "shortened", "near-word"})

# Scores by reason: a plain spelling is certain; every fold the match needed leaves a
# little doubt, and typos and partial hits leave the most.
_REASON_SCORE = {
    "exact": 100.0,
    "case": 97.0,
    "alias": 96.0,
    "accent": 93.0,
    "styled-unicode": 92.0,
    "homoglyph": 92.0,
    "leet": 90.0,
    "spacing": 88.0,
    "masked": 87.0,
    "swap": 80.0,
    "shortened": 58.0,
}
_GLUED_SCORE = 85.0
_TYPO_CAP = 84.0
_PARTIAL_SCORE = 60.0

# A mark shorter than this is only matched as a whole word, plainly or styled: "LV" must
# not fire on "Elverys" nor on the Roman numeral "IV".
_SHORT = 3
# Glued to another word only when the mark is this long, unless a case change or a digit
# marks the junction ("NikeAir", "AirNike"): "Vans" must not fire on "caravans".
_GLUE_ANYWHERE = 6
_GLUE_MIN = 4
# Words at most this many characters apart may be joined into one mark ("N I K E",
# "N . I . K . E").
_MAX_GAP = 3
_PLURAL_SUFFIXES = ("s", "es")
# Distance code for "one letter drawn from another script", see _Index.wildcard.
_LOOKALIKE = -1
_LOOKALIKE_SCORE = 86.0
# Distance codes for the matches that are no edit distance (see `_analyse`).
_SWAP = -2
_SHORTENED = -3
_MASKED = -4
# Symbols that stand in for letters ("PR*DA", "L**is", "Guc#i"): each one is one letter.
_MASK_CHARS = "*#?_.·•~-"
# A mask touching a letter as written (not a digit: "XR-2291", "2.5" are codes and sizes),
# looked for in the text first since most titles have none.
_MASK_ANY = re.compile(r"[*#?_.·•~\-]+")
# The first mask of a run that has letters on both sides; a scan that starts on the mask
# class is ~3x faster than one that starts on a letter (most titles have a dash or a dot).
_MASK_INSIDE = re.compile(r"[*#?_.·•~\-](?<=[^\W\d_].)[*#?_.·•~\-]*(?=[^\W\d_])")
_MASK_EDGE = re.compile(r"[*#?]")


def _mask_hint(text: str) -> bool:
    """A mask touching a letter as written, as `str.isalpha` judges the neighbours (a
    superscript digit may pass for a letter: that only costs the full search)."""
    if _MASK_INSIDE.search(text):
        return True
    if _MASK_EDGE.search(text) is None:
        return False
    n = len(text)
    for found in _MASK_ANY.finditer(text):
        a, b = found.span()
        if text[a] not in "*#?":
            continue
        # At a word's edge only the symbols that never end a word ("*ucci", "Gucc*").
        before = text[a - 1] if a else " "
        after = text[b] if b < n else " "
        if (before.isalpha() and not after.isalnum()) or (after.isalpha() and not before.isalnum()):
            return True
    return False


# Letters and masks together, with at least one mask; the look-behind starts a match only
# where such a run starts, which keeps the search linear.
_MASK_RUN = re.compile(
    r"(?<![^\W_]|[*#?_.·•~\-])(?:[^\W_]|[*#?_.·•~\-])*[*#?_.·•~\-](?:[^\W_]|[*#?_.·•~\-])*"
)
_MAX_TEXT = 1_000_000
_DOMAIN_AFTER = re.compile(r"\.(?:com|net|org|shop|store|co|[a-z]{2})(?:\.[a-z]{2})?(?![^\W_])", re.IGNORECASE)
_CACHE_LIMIT = 200_000


def typo_budget(length: int) -> int:
    """Edits (insert, delete, substitute, transpose) allowed for a mark of `length`
    letters: none up to 4, one up to 8, two up to 12, three beyond."""
    if length <= 4:
        return 0
    if length <= 8:
        return 1
    if length <= 12:
        return 2
    return 3


@dataclass(frozen=True, slots=True)
class Mark:
    """A registered mark. `aliases` are other registered forms (transliterations,
    stylings). A mark that is not `distinctive` is only matched as whole words and never
    as a typo, glued or partial. `partials` are the words of a multi-word mark that are
    distinctive on their own; None picks the last word of four letters or more unless
    it is an everyday word ("Face" of "The North Face"), () turns partial hits off."""

    text: str
    aliases: tuple[str, ...] = ()
    distinctive: bool = True
    partials: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.text, str) or not _fold.has_letter(self.text):
            raise MatcherConfigError(f"mark {self.text!r} has no letters; give the mark's text")
        if isinstance(self.aliases, str):
            object.__setattr__(self, "aliases", (self.aliases,))
        else:
            object.__setattr__(self, "aliases", tuple(self.aliases))
        for alias in self.aliases:
            if not isinstance(alias, str) or not _fold.has_letter(alias):
                raise MatcherConfigError(
                    f"alias {alias!r} of mark {self.text!r} has no letters; remove it"
                )
        if self.partials is not None:
            object.__setattr__(self, "partials", tuple(self.partials))

    def partial_words(self) -> tuple[str, ...]:
        words = self.text.split()
        if not self.distinctive or len(words) < 2:
            return ()
        if self.partials is not None:
            return self.partials
        def letters(w: str) -> int:
            return sum(c.isalpha() for c in w)

        # "Dr. Dre", "Mr Porter": beside an abbreviated title a short word is the name.
        least = 3 if all(letters(w) <= 2 for w in words[:-1]) else 4
        last = next((w for w in reversed(words) if letters(w) >= least), None)
        if last is None or _words.is_everyday_word(last):
            return ()
        return (last,)


@dataclass(frozen=True, slots=True)
class MarkHit:
    """One mark found in a text: `matched` is `text[start:end]` of the searched text;
    `word` is the whole word a glued mark was found in ("NorvikStyle"), else `matched`."""

    mark: str
    matched: str
    start: int
    end: int
    score: float
    reason: str
    word: str = ""

    @property
    def needs_context(self) -> bool:
        """True for a hit that counts only beside other signs of the brand."""
        return self.reason in CONTEXT_REASONS


@dataclass(frozen=True, slots=True)
class _Form:
    """One searchable form of a mark: its text, an alias, or a partial word."""

    mark: Mark
    text: str
    kind: str  # "mark" | "alias" | "partial"
    compact: str  # skeleton without separators
    typo_budget: int
    glue: bool
    staged: tuple[tuple[str, ...], ...] = ()  # the text's words at each fold level
    words: tuple[str, ...] = ()  # the skeleton's words


@dataclass(slots=True)
class _Candidate:
    form: int
    fstart: int  # span in the skeleton
    fend: int
    distance: int = 0
    glued: bool = False
    token_start: int = 0  # skeleton span of the word the form was glued into
    token_end: int = 0


@dataclass(slots=True)
class _Index:
    forms: list[_Form] = field(default_factory=list)
    exact: dict[str, list[int]] = field(default_factory=dict)
    prefixes: set[str] = field(default_factory=set)
    glue: dict[str, list[int]] = field(default_factory=dict)
    glue_lengths: tuple[int, ...] = ()
    typo_by_length: dict[int, tuple[list[str], list[int]]] = field(default_factory=dict)
    min_analysed: int = 1_000_000
    # Each word of a multi-word form -> (form, its position, the form's word count): a
    # misspelt multi-word mark is looked for only around one of its words written exactly.
    phrase_words: dict[str, list[tuple[int, int, int]]] = field(default_factory=dict)
    # Each distinctive form with one letter blanked out: a word that matches but for one
    # letter from another script Unicode does not list ("Ŋike") is a look-alike.
    wildcard: dict[str, list[int]] = field(default_factory=dict)
    # Skeletons of the first words of multi-word glue forms ("calvin" of "Calvin Klein"):
    # only there may the next word carry the rest of the mark glued to another word.
    word_heads: set[str] = field(default_factory=set)
    # A short mark with two neighbouring letters swapped ("Nkie" of "Nike"), and a mark
    # with its last letter dropped ("Valentin" of "Valentino"): variant -> forms.
    swaps: dict[str, list[int]] = field(default_factory=dict)
    shortened: dict[str, list[int]] = field(default_factory=dict)
    # Distinctive Latin forms by length, for letters masked by symbols.
    masked_by_length: dict[int, list[int]] = field(default_factory=dict)
    # The same keyed by (length, 0, first letter) and (length, 1, last letter).
    masked_by_end: dict[tuple[int, int, str], list[int]] = field(default_factory=dict)


def _coerce_mark(mark: Mark | str) -> Mark:
    if isinstance(mark, Mark):
        return mark
    if isinstance(mark, str):
        return Mark(mark)
    raise MatcherConfigError(f"a mark must be a Mark or a string, not {type(mark).__name__}")


def _compact(text: str) -> str:
    return "".join(_fold.TOKEN_RE.findall(_fold.fold(text)[0]))


class MarkMatcher:
    """Finds registered marks in text. Build once, then call `find` per text; its caches
    are plain dicts that only grow or are cleared whole, so threads may share it."""

    def __init__(self, marks: Iterable[Mark | str]) -> None:
        if isinstance(marks, (str, Mark)):
            marks = [marks]
        try:
            coerced = [_coerce_mark(m) for m in marks]
        except TypeError as exc:
            raise MatcherConfigError(f"marks must be an iterable of Mark or str: {exc}") from None
        if not coerced:
            raise MatcherConfigError("MarkMatcher needs at least one mark")
        self._marks = tuple(coerced)
        self._index = self._build(self._marks)
        # The everyday-word lists are read now, not by the first title that needs them.
        _words.warm()
        self._cache: dict[str, tuple[tuple[int, int, int, int], ...]] = {}
        self._reasons: dict[tuple[str, int, int], str | None] = {}

    @property
    def marks(self) -> tuple[Mark, ...]:
        return self._marks

    @staticmethod
    def _build(marks: Sequence[Mark]) -> _Index:
        index = _Index()
        seen: set[tuple[str, str, str]] = set()
        for mark in marks:
            forms = [(mark.text, "mark")]
            forms += [(a, "alias") for a in mark.aliases]
            forms += [(p, "partial") for p in mark.partial_words()]
            for text, kind in forms:
                compact = _compact(text)
                key = (mark.text, compact, kind)
                if not compact or key in seen:
                    continue
                seen.add(key)
                latin = compact.isascii()
                distinctive = mark.distinctive and kind != "partial" and latin
                budget = typo_budget(len(compact)) if distinctive else 0
                glue = distinctive and len(compact) >= _GLUE_MIN
                staged = tuple(_fold.stage_words(text, level) for level in _fold.LEVELS)
                form = _Form(mark, text, kind, compact, budget, glue, staged,
                             tuple(_fold.TOKEN_RE.findall(_fold.fold(text)[0])))
                idx = len(index.forms)
                index.forms.append(form)
                index.exact.setdefault(compact, []).append(idx)
                for i in range(1, len(compact) + 1):
                    index.prefixes.add(compact[:i])
                if glue and len(words := _fold.TOKEN_RE.findall(_fold.fold(text)[0])) == 1:
                    if len(compact) == 4:
                        for i in (1, 2):
                            swapped = compact[:i] + compact[i + 1] + compact[i] + compact[i + 2 :]
                            if swapped != compact:
                                index.swaps.setdefault(swapped, []).append(idx)
                    if len(compact) >= 5:
                        index.shortened.setdefault(compact[:-1], []).append(idx)
                if glue:
                    n = len(compact)
                    index.masked_by_length.setdefault(n, []).append(idx)
                    index.masked_by_end.setdefault((n, 0, compact[0]), []).append(idx)
                    index.masked_by_end.setdefault((n, 1, compact[-1]), []).append(idx)
                if glue:
                    index.glue.setdefault(compact, []).append(idx)
                    for i in range(len(compact)):
                        key = compact[:i] + "\0" + compact[i + 1 :]
                        index.wildcard.setdefault(key, []).append(idx)
                words = _fold.TOKEN_RE.findall(_fold.fold(text)[0])
                if glue:
                    for k in range(1, len(words)):
                        index.word_heads.add("".join(words[:k]))
                if len(words) > 1 and budget:
                    for pos, word in enumerate(words):
                        index.phrase_words.setdefault(word, []).append((idx, pos, len(words)))
        index.glue_lengths = tuple(sorted({len(c) for c in index.glue}))
        by_length: dict[int, tuple[list[str], list[int]]] = {}
        for idx, form in enumerate(index.forms):
            k = form.typo_budget
            if not k:
                continue
            n = len(form.compact)
            for length in range(max(1, n - k), n + k + 1):
                choices, ids = by_length.setdefault(length, ([], []))
                choices.append(form.compact)
                ids.append(idx)
        index.typo_by_length = by_length
        lengths = list(index.glue_lengths) + [min(by_length)] if by_length else list(index.glue_lengths)
        index.min_analysed = min(lengths) if lengths else 1_000_000
        return index

    # -- per-word analysis, cached: glued forms and typos --------------------------------

    def _analyse(self, word: str) -> tuple[tuple[int, int, int, int], ...]:
        """(form, start, end, distance) for forms glued into `word` or `word` misspelling
        a form; positions are within `word`."""
        index = self._index
        found: list[tuple[int, int, int, int]] = []
        n = len(word)
        exact = index.exact
        if word not in exact:
            # Whether the word is a real one is asked of the text as written (`_reason`).
            swapped = index.swaps.get(word)
            if swapped:
                found.extend((i, 0, n, _SWAP) for i in swapped)
            shortened = index.shortened.get(word)
            if shortened:
                found.extend((i, 0, n, _SHORTENED) for i in shortened)
            odd = [i for i, c in enumerate(word) if not c.isascii()]
            if len(odd) == 1 and len(word) >= _GLUE_MIN:
                key = word[: odd[0]] + "\0" + word[odd[0] + 1 :]
                found.extend((i, 0, n, _LOOKALIKE) for i in index.wildcard.get(key, ()))
            for length in index.glue_lengths:
                if length >= n:
                    break
                starts = range(n - length + 1) if length >= _GLUE_ANYWHERE else (0, n - length)
                for s in starts:
                    # One stray letter is a typo ("Norvikk"), not a second word; a
                    # plural is the mark itself ("Nikes").
                    if n - length < 2 and not (s == 0 and word[length:] in _PLURAL_SUFFIXES):
                        continue
                    ids = index.glue.get(word[s : s + length])
                    if ids:
                        found.extend((i, s, s + length, 0) for i in ids)
            bucket = index.typo_by_length.get(n)
            if bucket is not None:
                choices, ids = bucket
                for choice, dist, pos in process.extract(
                    word, choices, scorer=OSA.distance, score_cutoff=4, limit=None
                ):
                    form = index.forms[ids[pos]]
                    if 0 < dist <= form.typo_budget or (
                        # Two letters swapped far apart ("adadis") cost two edits but
                        # keep every letter: one slip, not a different word.
                        dist == form.typo_budget + 1 == 2 and sorted(word) == sorted(choice)
                    ):
                        found.append((ids[pos], 0, n, int(dist)))
        return tuple(found)

    def _word(self, word: str, typos: bool) -> tuple[tuple[int, int, int, int], ...]:
        cached = self._cache.get(word)
        if cached is None:
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            cached = self._cache[word] = self._analyse(word)
        if not typos:
            return tuple(hit for hit in cached if hit[3] <= 0)  # glued and look-alike only
        return cached

    # -- search --------------------------------------------------------------------------

    def find(
        self,
        text: str,
        *,
        score_cutoff: float | None = None,
        limit: int | None = None,
    ) -> list[MarkHit]:
        """Marks in `text`, best first; empty when nothing is found. `score_cutoff` drops
        hits scoring below it (0-100); `limit` keeps at most that many."""
        if text is None:
            return []
        if isinstance(text, (bytes, bytearray)):
            text = bytes(text).decode("utf-8", "replace")
        if not isinstance(text, str):
            raise MatcherError(f"find() needs text, not {type(text).__name__}")
        if score_cutoff is not None and not 0 <= score_cutoff <= 100:
            raise ValueError("score_cutoff must be between 0 and 100")
        if limit is not None and limit < 0:
            raise ValueError("limit must be zero or more")
        if len(text) > _MAX_TEXT:
            text = text[:_MAX_TEXT]
        if not text:
            return []
        folded, offsets = _fold.fold(text)
        candidates = self._candidates(text, folded, offsets)
        if not candidates:
            return []
        hits = self._resolve(text, folded, offsets, candidates)
        if score_cutoff is not None:
            hits = [h for h in hits if h.score >= score_cutoff]
        if limit is not None:
            hits = hits[:limit]
        return hits

    def find_many(
        self,
        texts: Iterable[str],
        *,
        score_cutoff: float | None = None,
        limit: int | None = None,
    ) -> list[list[MarkHit]]:
        """`find` over many texts; the per-word cache makes repeated vocabulary cheap."""
        return [self.find(t, score_cutoff=score_cutoff, limit=limit) for t in texts]

    def _candidates(self, text: str, folded: str, offsets: list[int] | None) -> list[_Candidate]:
        index = self._index
        prefixes = index.prefixes
        exact = index.exact
        min_analysed = index.min_analysed
        phrase_words = index.phrase_words
        word_heads = index.word_heads
        word_cache = self._word
        cache = self._cache
        finder = _fold.TOKEN_RE
        spans = [m.span() for m in finder.finditer(folded)]
        words = finder.findall(folded)
        out: list[_Candidate] = []
        n = len(words)
        anchors: list[int] = []
        for i, word in enumerate(words):
            if word in prefixes:
                acc = word
                j = i
                while True:
                    ids = exact.get(acc)
                    if ids:
                        out.extend(_Candidate(f, spans[i][0], spans[j][1]) for f in ids)
                    j += 1
                    if j >= n or spans[j][0] - spans[j - 1][1] > _MAX_GAP:
                        break
                    joined = acc + words[j]
                    if joined not in prefixes:
                        gap = spans[j][0] - spans[j - 1][1]
                        if acc in word_heads or (gap == 1 and folded[spans[j - 1][1]] != " "):
                            # A mark with a hyphen or apostrophe, or the last word of a
                            # longer mark, glued to the next word ("Ray-BanMax",
                            # "Levi'sJeans", "Calvin KleinAir").
                            out.extend(self._glued_across(joined, len(acc), spans, i, j))
                        break
                    acc = joined
            if len(word) >= min_analysed:
                found = cache.get(word)
                if found is None:
                    found = word_cache(word, True)
                if found:
                    start, end = spans[i]
                    if any(hit[3] > 0 for hit in found):
                        found = word_cache(word, _typo_worthy(text, start, end, offsets))
                    for f, a, b, dist in found:
                        out.append(
                            _Candidate(f, start + a, start + b, dist, a > 0 or b < len(word), start, end)
                        )
            if word in phrase_words:
                anchors.append(i)
        if anchors:
            self._phrase_typos(spans, words, anchors, out)
        if index.masked_by_length and _mask_hint(text):
            runs = [r.span() for r in _MASK_RUN.finditer(folded)]
            if runs:
                self._masked(text, folded, offsets, spans, words, runs, out)
        return out

    def _masked(
        self,
        text: str,
        folded: str,
        offsets: list[int] | None,
        spans: list[tuple[int, int]],
        words: list[str],
        runs: list[tuple[int, int]],
        out: list[_Candidate],
    ) -> None:
        """Letters masked by symbols, one symbol a letter ("PR*DA", "L**is", "Louis V*itton"):
        the words around the masked run may complete a multi-word mark."""
        index = self._index
        forms = index.forms
        by_end = index.masked_by_end
        by_length = index.masked_by_length
        # A lone dash, "2.5", "XR-2291": sizes and model codes.
        runs = [r for r in runs if r[1] - r[0] >= 3 and _typo_worthy(text, r[0], r[1], offsets)]
        if not runs:
            return
        for rs, re_ in runs:
            first = bisect.bisect_right(spans, rs, key=_span_end)
            last = bisect.bisect_left(spans, re_, key=_span_start) - 1
            if first >= len(spans) or last < first:
                continue
            # The run may take in the words before it only where it starts a word or with a
            # mask, and the words after it likewise.
            extend_before = spans[first][0] == rs or folded[rs] in _MASK_CHARS
            extend_after = spans[last][1] == re_ or folded[re_ - 1] in _MASK_CHARS
            for before in range(3 if extend_before else 1):
                k0 = first - before
                if k0 < 0 or (before and spans[first][0] - spans[k0][1] > 2 * before):
                    break
                for after in range(3 - before if extend_after else 1):
                    k1 = last + after
                    if k1 >= len(spans) or (after and spans[k1][0] - spans[last][1] > 2 * after):
                        break
                    fs = spans[k0][0] if before else rs
                    fe = spans[k1][1] if after else re_
                    # Neighbouring words keep their own masks ("Cana?a G.ose").
                    pattern = "".join(folded[fs:fe].split())
                    n = len(pattern)
                    if n not in by_length:
                        continue
                    letters = len(pattern.translate(_NO_MASKS))
                    masks = n - letters
                    if letters < 2 or masks > letters or not masks:
                        continue
                    if pattern[0] not in _MASK_CHARS:
                        ids = by_end.get((n, 0, pattern[0]), ())
                    elif pattern[-1] not in _MASK_CHARS:
                        ids = by_end.get((n, 1, pattern[-1]), ())
                    else:
                        ids = by_length[n]
                    for f in ids:
                        compact = forms[f].compact
                        if all(p == c or p in _MASK_CHARS for p, c in zip(pattern, compact)) and any(
                            p in _MASK_CHARS and p != c for p, c in zip(pattern, compact)
                        ):
                            out.append(_Candidate(f, fs, fe, _MASKED))

    def _glued_across(
        self, joined: str, head: int, spans: list[tuple[int, int]], i: int, j: int
    ) -> list[_Candidate]:
        index = self._index
        found = []
        for length in index.glue_lengths:
            if head < length < len(joined) - 1:
                for f in index.glue.get(joined[:length], ()):
                    end = spans[j][0] + length - head
                    found.append(_Candidate(f, spans[i][0], end, 0, True, spans[i][0], spans[j][1]))
        return found

    def _phrase_typos(
        self,
        spans: list[tuple[int, int]],
        words: list[str],
        anchors: list[int],
        out: list[_Candidate],
    ) -> None:
        """Misspelt multi-word marks ("New Balənce", "Luis Vuitton"): where one word of a
        mark stands exactly, the words around it are compared with the whole mark."""
        index = self._index
        forms = index.forms
        seen: set[tuple[int, int, int]] = set()
        n = len(words)
        for anchor in anchors:
            for f, pos, count in index.phrase_words[words[anchor]]:
                first, last = anchor - pos, anchor - pos + count - 1
                if first < 0 or last >= n or (f, first, last) in seen:
                    continue
                seen.add((f, first, last))
                if any(spans[k][0] - spans[k - 1][1] > _MAX_GAP for k in range(first + 1, last + 1)):
                    continue
                joined = "".join(words[first : last + 1])
                form = forms[f]
                dist = OSA.distance(joined, form.compact, score_cutoff=form.typo_budget)
                if 0 < dist <= form.typo_budget and _word_by_word(words[first : last + 1], form.words):
                    out.append(_Candidate(f, spans[first][0], spans[last][1], dist))
                elif dist and _lookalike(joined, form.compact):
                    out.append(_Candidate(f, spans[first][0], spans[last][1], _LOOKALIKE))

    def _resolve(
        self,
        text: str,
        folded: str,
        offsets: list[int] | None,
        candidates: list[_Candidate],
    ) -> list[MarkHit]:
        forms = self._index.forms

        def orig(pos: int, is_end: bool) -> int:
            if offsets is None:
                return pos
            if is_end:
                return offsets[pos - 1] + 1
            return offsets[pos]

        hits: list[tuple[MarkHit, int]] = []
        for cand in candidates:
            form = forms[cand.form]
            start, end = orig(cand.fstart, False), orig(cand.fend, True)
            matched = text[start:end]
            if not _fold.has_letter(matched):
                continue  # "1:1", "2024" and other numbers are not words
            if cand.glued:
                tstart, tend = orig(cand.token_start, False), orig(cand.token_end, True)
                rest = text[tstart:start] + text[end:tend]
                plural = tstart == start and rest.lower() in _PLURAL_SUFFIXES
                if not plural and not _glue_allowed(text, start, end, tstart, tend, form):
                    continue
                token = text[tstart:tend]
                if not plural and token.isalpha() and _words.is_common_word(token):
                    continue  # "Demasiado" is a Spanish word, not the mark "Demasi" glued
            key = (matched, cand.form, cand.distance)
            reason = self._reasons.get(key, "")
            if reason == "":
                if len(self._reasons) >= _CACHE_LIMIT:
                    self._reasons.clear()
                reason = self._reasons[key] = _reason(matched, form, cand.distance)
            if reason is None:
                continue
            word = matched
            if cand.glued and not plural:
                word = text[tstart:tend]
                if reason in ("exact", "case", "accent", "alias", "spacing"):
                    reason = "glued"
            if reason in ("spacing", "glued") and _DOMAIN_AFTER.match(text, end if not cand.glued else tend):
                # "RalphLauren.com", "NorvikStore.co.uk": a domain name drops its spaces
                # by necessity, not to dodge a search.
                reason = "case"
            score = _score(reason, form, cand.distance, cand.glued and not plural)
            hits.append((MarkHit(form.mark.text, matched, start, end, score, reason, word), cand.form))
        return _select(hits)

    # Pickling drops the caches (they rebuild on use) so matchers travel to workers.
    def __getstate__(self) -> dict[str, object]:
        return {"marks": self._marks}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__init__(state["marks"])  # type: ignore[misc, arg-type]


_NO_DIGITS = str.maketrans("", "", "0123456789")
_span_start = operator.itemgetter(0)
_span_end = operator.itemgetter(1)
_NO_MASKS = str.maketrans("", "", _MASK_CHARS)
# Between the pieces of a split mark: sentence punctuation ends a phrase, it does not
# split a word ("Fermare: a novel" is no "Fermarea").
_SENTENCE_GAP = re.compile(r"[^\W_]\s*[,:;!?]\s*[^\W_]")


def _word_by_word(written: Sequence[str], mark: Sequence[str]) -> bool:
    """Each written word keeps most of its counterpart's letters: "Nwe Balance" is a slip
    of "New Balance"; "for Martens" puts another word in place of "Dr", "sign Neripox"
    another word in place of "Olin", "Levi: a" another word in place of "s" (no slip in a
    letter standing alone, one in a short word, one in three letters in a longer one)."""
    if len(written) != len(mark):
        return True
    return all(OSA.distance(a, b) <= max(len(b) > 1, len(b) // 3) for a, b in zip(written, mark))


def _split_plausible(matched: str) -> bool:
    """A mark split into pieces, not a word beside an article or a sentence's end."""
    if _SENTENCE_GAP.search(matched):
        return False
    pieces = _fold.TOKEN_RE.findall(matched)
    # Only a visible space sets a word beside an article; an invisible one ("N\u200bike")
    # is there to split the mark.
    if len(pieces) == 2 and any(c.isspace() for c in matched):
        short, long_ = sorted(pieces, key=len)
        if len(short) == 1 and len(long_) >= 3 and _words.is_common_word(long_):
            return False  # "Fermare a" is a word and an article, not "Fermarea"
    return True


def _lookalike(word: str, compact: str) -> bool:
    """`word` is `compact` but for one letter that is not ASCII (see _Index.wildcard)."""
    if len(word) != len(compact):
        return False
    diff = [(a, b) for a, b in zip(word, compact) if a != b]
    return len(diff) == 1 and not diff[0][0].isascii()


def _typo_worthy(text: str, start: int, end: int, offsets: list[int] | None) -> bool:
    """Words with two digits or more are model numbers and sizes ("XR2291", "MMEF2AM"),
    not misspelt marks; skipping them keeps unique codes out of the fuzzy search."""
    if offsets is not None:
        start, end = offsets[start], offsets[end - 1] + 1
    word = text[start:end]
    return len(word) - len(word.translate(_NO_DIGITS)) < 2


def _glue_allowed(text: str, start: int, end: int, tstart: int, tend: int, form: _Form) -> bool:
    if len(form.compact) >= _GLUE_ANYWHERE:
        return True

    def junction(left: str, right: str) -> bool:
        # A case change, a digit or a non-letter between the two parts shows the seller
        # joined two words ("NikeAir", "AirNIKE", "Nike2024").
        if not left.isalpha() or not right.isalpha():
            return True
        return left.islower() != right.islower()

    ok = True
    if start > tstart:
        ok = ok and junction(text[start - 1], text[start])
    if end < tend:
        ok = ok and junction(text[end - 1], text[end])
    return ok


def _reason(matched: str, form: _Form, distance: int) -> str | None:
    """The weakest disguise that turns `matched` into the form's text."""
    if distance == _LOOKALIKE:
        return "homoglyph"
    if distance in (_SWAP, _SHORTENED):
        common = bool(_fold.TOKEN_RE.fullmatch(matched)) and _words.is_common_word(matched)
        if distance == _SWAP:
            return None if common else "swap"  # "Lgeo" is Lego; "Soup" is no "Sopu"
        # Only a real word or name needs this: any other shortening is a typo.
        return "shortened" if common else None
    if distance == _MASKED:
        return "masked"
    if distance:
        # A word in everyday use is not a slip of the mark: "Narvik" is a town, not
        # "Norvik"; "guest" is not "Guess" (spell-checkers skip real words the same way).
        if _fold.TOKEN_RE.fullmatch(matched):
            if _words.is_common_word(matched):
                return None
            if _words.is_known_word(matched):
                return "near-word"  # a rarer name or word ("Chantel", "Aimee"): context decides
        return "typo"
    target = form.text
    reason = "spacing"
    if matched == target:
        reason = "exact"
    else:
        for level, words in zip(_fold.LEVELS, form.staged):
            if _fold.stage_words(matched, level) == words:
                reason = level
                break
    if len(form.compact) < _SHORT and reason in ("homoglyph", "leet") and matched.isascii():
        return None  # "IV" is not "LV"; "1V" is too short to be sure
    if reason == "spacing" and not _split_plausible(matched):
        return None
    if form.kind == "partial":
        return "partial"
    if form.kind == "alias" and reason in ("exact", "case"):
        return "alias"
    return reason


def _score(reason: str, form: _Form, distance: int, glued: bool) -> float:
    if reason == "partial":
        return _PARTIAL_SCORE
    if distance == _LOOKALIKE:
        return _LOOKALIKE_SCORE
    if reason in ("typo", "near-word"):
        return round(min(_TYPO_CAP, 100.0 * (1.0 - distance / len(form.compact))), 1)
    if reason == "glued":
        return _GLUED_SCORE
    return _REASON_SCORE[reason]


_WEAK = ("typo", "partial", "shortened", "swap", "near-word")


def _select(hits: list[tuple[MarkHit, int]]) -> list[MarkHit]:
    """Best hit per place: drop a hit overlapping a better one of the same mark, and a
    typo or partial hit overlapping any better hit."""
    hits.sort(key=lambda h: (-h[0].score, -(h[0].end - h[0].start), h[0].start))
    kept: list[MarkHit] = []
    for hit, _form in hits:
        clash = False
        for other in kept:
            if hit.start < other.end and other.start < hit.end:
                if other.mark == hit.mark or hit.reason in _WEAK:
                    clash = True
                    break
        if not clash:
            kept.append(hit)
    return kept
