"""Claim coverage: a listing's title, bullets and description read against a utility
patent's independent claims, element by element.

A claim is a list of elements; each element is a short phrase with the synonyms a listing
would use ("telescopic shaft" / "extendable pole"). An element is shown when all the
content words of one of its phrases occur close together in one field of the listing,
compared by Snowball stem (so "folding", "folds", "foldable" meet "fold"), joined or split
compounds alike ("water proof" / "waterproof"), not negated ("no hinge"), and numbers with
units compared by value ("at least 20 litres" is met by "25L", "1.2 kg" by "1200 g").

The result says, per element, which phrase of the listing meets it and where, and which
elements are not shown. Whether a product infringes is for counsel: this only finds the
listings worth their time.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer

__all__ = [
    "Element",
    "Claim",
    "ElementMatch",
    "ClaimHit",
    "ClaimIndex",
    "MAX_FIELD_CHARS",
]

MAX_FIELD_CHARS = 100_000  # of one listing field; listings are written by strangers
_MAX_WORD = 40  # longer "words" are noise (base64, repeated letters): never stemmed
_MAX_POSITIONS = 64  # occurrences of one word kept per field: enough to find a close window
_SLACK = 2  # words beyond the phrase's own that may sit between its words

# Function words and the patent drafter's connecting words: they carry no element.
_STOP = frozenset("""
a an the of to for and or with in on at by is are be been being that which this these those
it its from as into onto so such said wherein whereby thereof therein comprising comprises
comprise including includes include having has have configured adapted arranged operable
can may each any all least most than up via
""".split())
# Words that deny what follows ("no hinge", "without a lid", "not waterproof").
_NEGATIONS = frozenset("no not without non never lacks lacking nor".split())
_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "dozen": 12, "single": 1, "double": 2,
    "twin": 2, "dual": 2, "triple": 3, "pair": 2,
}
# unit -> (dimension, factor to the dimension's base unit)
_UNITS: dict[str, tuple[str, float]] = {}
for _dim, _factor, _names in (
    ("length", 0.001, "mm millimetre millimetres millimeter millimeters"),
    ("length", 0.01, "cm centimetre centimetres centimeter centimeters"),
    ("length", 1.0, "m metre metres meter meters"),
    ("length", 0.0254, "in inch inches"),
    ("length", 0.3048, "ft foot feet"),
    ("mass", 0.001, "g gram grams gramme grammes gr"),
    ("mass", 1.0, "kg kilo kilos kilogram kilograms"),
    ("mass", 0.45359237, "lb lbs pound pounds"),
    ("mass", 0.028349523, "oz ounce ounces"),
    ("volume", 0.0295735, "floz"),
    ("volume", 0.001, "ml millilitre millilitres milliliter milliliters"),
    ("volume", 1.0, "l litre litres liter liters ltr"),
    ("power", 1.0, "w watt watts"),
    ("power", 1000.0, "kw kilowatt kilowatts"),
    ("voltage", 1.0, "v volt volts"),
    ("charge", 1.0, "mah"),
    ("charge", 1000.0, "ah"),
    ("time", 1.0, "h hr hrs hour hours"),
    ("time", 1 / 60, "min mins minute minutes"),
    ("angle", 1.0, "deg degree degrees °"),
):
    for _name in _names.split():
        _UNITS[_name] = (_dim, _factor)

_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]+|°", re.UNICODE)
_CLAUSE_BREAK = re.compile(r"[,;:.!?|()\[\]\n•]")
_GLUED_QUANTITY = re.compile(r"^(\d+(?:[.,]\d+)?)([^\W\d_]+)$")
_COMPARATORS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("at", "least"), ">="), (("no", "less", "than"), ">="), (("not", "less", "than"), ">="),
    (("minimum",), ">="), (("min",), ">="), (("over",), ">"), (("more", "than"), ">"),
    (("greater", "than"), ">"), (("above",), ">"),
    (("at", "most"), "<="), (("up", "to"), "<="), (("no", "more", "than"), "<="),
    (("not", "more", "than"), "<="), (("maximum",), "<="), (("max",), "<="),
    (("under",), "<"), (("less", "than"), "<"), (("below",), "<"),
)
_STEMMER = snowballstemmer.stemmer("english")


# British spellings listings use beside American ones (Snowball keeps them apart).
_SPELLINGS = {"colour": "color", "coloured": "colored", "colours": "colors", "grey": "gray",
              "aluminium": "aluminum", "centre": "center", "metre": "meter", "metres": "meters",
              "litre": "liter", "litres": "liters", "fibre": "fiber", "tyre": "tire", "tyres": "tires",
              "mould": "mold", "moulded": "molded", "favourite": "favorite", "flavour": "flavor",
              "odour": "odor", "armour": "armor", "harbour": "harbor", "jewellery": "jewelry"}


@lru_cache(maxsize=200_000)
def _stem(word: str) -> str:
    if len(word) > _MAX_WORD:
        return word
    stem = _STEMMER.stemWord(_SPELLINGS.get(word, word))
    # Porter2 keeps "-able" where the verb is short ("foldable" -> "foldabl", not "fold").
    if stem.endswith(("abl", "ibl")) and len(stem) >= 6:
        stem = stem[:-3]
    return stem


def _fold(text: str) -> str:
    """Case, width, styled letters and accents folded away; offsets are kept by folding
    word by word (see `_words`)."""
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c)).casefold()


def _number(text: str) -> float | None:
    if re.fullmatch(r"\d{1,3}(,\d{3})+", text):
        text = text.replace(",", "")  # "1,200 g": a thousands separator, not a decimal comma
    try:
        value = float(text.replace(",", "."))
    except ValueError:
        return None
    return value if math.isfinite(value) else None


@dataclass(frozen=True, slots=True)
class _Word:
    """One word of a listing field: its stem (or its quantity) and where it is."""

    stem: str
    start: int
    end: int
    negated: bool = False
    quantity: tuple[str, float] | None = None  # (dimension, value in the base unit)


def _raw_words(text: str) -> list[tuple[str, int, int]]:
    out: list[tuple[str, int, int]] = []
    for m in _TOKEN.finditer(text):
        word = m.group()
        if word.isascii():
            folded = word.lower()  # the token pattern leaves only letters, digits and separators
        else:
            # NFKD may split a styled letter into several word characters: keep it one word.
            folded = "".join(c for c in _fold(word) if c.isalnum() or c in ".,°")
        if not folded:
            continue
        if folded == "oz" and out and out[-1][0] == "fl":
            out[-1] = ("floz", out[-1][1], m.end())  # "fl oz": fluid ounces, a volume
        else:
            out.append((folded, m.start(), m.end()))
    return out


def _words(text: str) -> list[_Word]:
    """The content words of a field, stemmed, with quantities read off number-unit pairs
    ("20 L", "20L", "20-litre") and negations marked on the word they deny."""
    raw = _raw_words(text[:MAX_FIELD_CHARS])
    out: list[_Word] = []
    negate_next = 0
    i = 0
    while i < len(raw):
        word, start, end = raw[i]
        if i and _CLAUSE_BREAK.search(text, raw[i - 1][2], start):
            negate_next = 0  # "without a lid, telescopic shaft": the denial ends at the comma
        if word in _NEGATIONS:
            negate_next = 3
            out.append(_Word(word, start, end))
            i += 1
            continue
        value: float | None = None
        unit = None
        if word[0].isdigit():
            glued = _GLUED_QUANTITY.match(word)
            if glued:
                value, unit = _number(glued.group(1)), glued.group(2)
            else:
                value = _number(word)
                if i + 1 < len(raw) and raw[i + 1][0] in _UNITS:
                    unit = raw[i + 1][0]
        elif word in _NUMBER_WORDS:
            value = float(_NUMBER_WORDS[word])
        if value is not None:
            if unit in _UNITS:
                dim, factor = _UNITS[unit]
                last = raw[i + 1][2] if not _GLUED_QUANTITY.match(word) else end
                out.append(_Word("#" + dim, start, last, negate_next > 0, (dim, value * factor)))
                i += 1 if _GLUED_QUANTITY.match(word) else 2
            else:
                out.append(_Word("#count", start, end, negate_next > 0, ("count", value)))
                i += 1
            negate_next = max(0, negate_next - 1)
            continue
        if word not in _STOP:
            out.append(_Word(_stem(word), start, end, negate_next > 0))
            negate_next = max(0, negate_next - 1)
        i += 1
    return out


# -- claims ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Element:
    """One element of a claim: its phrase and the synonyms a listing would use."""

    text: str
    synonyms: tuple[str, ...] = ()

    @property
    def phrases(self) -> tuple[str, ...]:
        return (self.text, *self.synonyms)


@dataclass(frozen=True, slots=True)
class Claim:
    """An independent claim of a patent, keyed by the patent (`key`) and its number."""

    key: str
    number: int
    elements: tuple[Element, ...]


@dataclass(frozen=True, slots=True)
class _Term:
    """One content word of an element's phrase, or a quantity it requires."""

    stem: str
    op: str | None = None  # for a quantity: >=, >, <=, <, ==
    value: float = 0.0

    def meets(self, word: _Word) -> bool:
        if self.op is None:
            return not word.negated
        if word.quantity is None or word.negated:
            return False
        v = word.quantity[1]
        tolerance = 1e-6 * max(1.0, abs(self.value))
        return {">=": v >= self.value - tolerance, ">": v > self.value + tolerance,
                "<=": v <= self.value + tolerance, "<": v < self.value - tolerance,
                "==": abs(v - self.value) <= max(tolerance, 0.02 * abs(self.value))}[self.op]


def _phrase_terms(phrase: str) -> tuple[tuple[_Term, ...], bool]:
    """The terms one phrase needs, and whether the phrase itself is negative ("no tools")."""
    raw = [w for w, _, _ in _raw_words(phrase[:1_000])]
    terms: list[_Term] = []
    negative = any(w in _NEGATIONS for w in raw)
    i = 0
    while i < len(raw):
        op = None
        for words, sign in _COMPARATORS:
            if tuple(raw[i:i + len(words)]) == words and i + len(words) < len(raw) and (
                    raw[i + len(words)][0].isdigit() or raw[i + len(words)] in _NUMBER_WORDS):
                op, i = sign, i + len(words)
                break
        word = raw[i]
        value: float | None = None
        unit = None
        glued = _GLUED_QUANTITY.match(word) if word[0].isdigit() else None
        if glued:
            value, unit = _number(glued.group(1)), glued.group(2)
        elif word[0].isdigit():
            value = _number(word)
            if i + 1 < len(raw) and raw[i + 1] in _UNITS:
                unit = raw[i + 1]
                i += 1
        elif word in _NUMBER_WORDS and (op or i + 1 < len(raw)):
            value = float(_NUMBER_WORDS[word])
        if value is not None:
            if unit in _UNITS:
                dim, factor = _UNITS[unit]
                terms.append(_Term("#" + dim, op or "==", value * factor))
            else:
                terms.append(_Term("#count", op or "==", value))
        elif word in _NEGATIONS:
            terms.append(_Term(word))
        elif word not in _STOP:
            terms.append(_Term(_stem(word)))
        i += 1
    return tuple(terms), negative


@dataclass(frozen=True, slots=True)
class _Phrase:
    text: str
    terms: tuple[_Term, ...]
    negative: bool
    stems: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        object.__setattr__(self, "stems", frozenset(t.stem for t in self.terms))


def _compile_phrase(phrase: str) -> list[_Phrase]:
    terms, negative = _phrase_terms(phrase)
    if not terms:
        return []
    out = [_Phrase(phrase, terms, negative)]
    # "leak proof lid" is also met by "leakproof lid", "built-in" by "builtin" (the listing
    # side joins split words itself): each pair of neighbouring words glued once.
    raw = [w for w, _, _ in _raw_words(phrase[:200])]
    if len(raw) <= 6:
        for i in range(len(raw) - 1):
            if raw[i].isalpha() and raw[i + 1].isalpha():
                glued, glued_negative = _phrase_terms(" ".join([*raw[:i], raw[i] + raw[i + 1], *raw[i + 2:]]))
                if glued and glued != terms:
                    out.append(_Phrase(phrase, glued, glued_negative))
    return out


# -- results -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ElementMatch:
    """Whether one element is shown in the listing, and by which words where."""

    element: str
    shown: bool
    field: str | None = None
    start: int | None = None
    end: int | None = None
    phrase: str | None = None  # the listing's words that meet it, as written
    via: str | None = None  # the element's phrase or synonym they meet


@dataclass(frozen=True, slots=True)
class ClaimHit:
    """One claim read against one listing."""

    key: str
    claim: int
    elements: tuple[ElementMatch, ...]

    @property
    def shown(self) -> int:
        return sum(e.shown for e in self.elements)

    @property
    def total(self) -> int:
        return len(self.elements)

    @property
    def coverage(self) -> float:
        return self.shown / self.total if self.total else 0.0

    @property
    def complete(self) -> bool:
        return self.total > 0 and self.shown == self.total

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(e.element for e in self.elements if not e.shown)

    @property
    def score(self) -> float:
        """0-100: the share of the claim's elements shown, on the other scorers' scale."""
        return round(100 * self.coverage, 1)

    def describe(self) -> str:
        """Which listing words meet which element, in words for a reviewer."""
        parts = [f"'{e.element}' by '{_short(e.phrase or '')}' ({e.field})" for e in self.elements if e.shown]
        text = "; ".join(parts)
        if self.missing:
            text += ("; " if text else "") + "not shown: " + ", ".join(f"'{m}'" for m in self.missing)
        return text


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -- matching ----------------------------------------------------------------------------


class _Field:
    """A listing field read once: its words and, per stem, where they are."""

    __slots__ = ("name", "text", "words", "at")

    def __init__(self, name: str, text: str) -> None:
        self.name = name
        self.text = text
        self.words = _words(text)
        self.at: dict[str, list[int]] = {}
        for i, w in enumerate(self.words):
            self._put(w.stem, i)
            if i and w.quantity is None and self.words[i - 1].quantity is None:
                # Split compounds: "water proof" is also indexed as "waterproof".
                a, b = self.words[i - 1], w
                if b.start - a.end <= 1:
                    joined = _fold(text[a.start:a.end] + text[b.start:b.end])
                    if joined.isalnum():
                        self._put(_stem(joined), i - 1)

    def _put(self, stem: str, i: int) -> None:
        places = self.at.setdefault(stem, [])
        if len(places) < _MAX_POSITIONS:
            places.append(i)

    def find(self, phrase: _Phrase) -> tuple[int, int] | None:
        """The closest window of words meeting every term of `phrase`: (first, last) word."""
        candidates: list[list[int]] = []
        for term in phrase.terms:
            places = self.at.get(term.stem)
            if not places:
                return None
            ok = [i for i in places if term.meets(self.words[i]) or (phrase.negative and term.op is None)]
            if not ok:
                return None
            candidates.append(ok)
        if len(candidates) == 1:
            return candidates[0][0], candidates[0][0]
        limit = len(candidates) + _SLACK + len(candidates) // 2
        merged = sorted((i, t) for t, places in enumerate(candidates) for i in places)
        need = len(candidates)
        counts = [0] * need
        have = 0
        best: tuple[int, int] | None = None
        best_in_order = False
        left = 0
        for right, (pos, term) in enumerate(merged):
            counts[term] += 1
            if counts[term] == 1:
                have += 1
            while have == need:
                lpos, lterm = merged[left]
                # Of equally close windows, one in the phrase's own word order reads best.
                if (best is None or pos - lpos < best[1] - best[0]
                        or (pos - lpos == best[1] - best[0] and lterm == 0 and not best_in_order)):
                    best, best_in_order = (lpos, pos), lterm == 0
                counts[lterm] -= 1
                if counts[lterm] == 0:
                    have -= 1
                left += 1
        if best is None or best[1] - best[0] + 1 > limit:
            return None
        return best


class ClaimIndex:
    """The claims to read listings against, compiled once; `find` reads each listing
    field once and looks each element's words up by stem."""

    def __init__(self) -> None:
        self._claims: list[tuple[Claim, list[list[_Phrase]]]] = []

    def __len__(self) -> int:
        return len(self._claims)

    def add(self, claim: Claim) -> None:
        if not claim.elements:
            raise ValueError(f"claim {claim.number} of {claim.key} has no elements")
        compiled = []
        for element in claim.elements:
            phrases = [p for text in element.phrases for p in _compile_phrase(text)]
            if not phrases:
                raise ValueError(f"element {element.text!r} of claim {claim.number} of {claim.key} "
                                 "has no words to look for")
            compiled.append(phrases)
        self._claims.append((claim, compiled))

    def find(self, fields: Mapping[str, str | None] | str, *, score_cutoff: float | None = None,
             limit: int | None = None) -> list[ClaimHit]:
        """Each claim read against the listing's fields (name -> text, searched in the
        order given: title, bullets, description), best covered first. A hit needs a
        score (the share of elements shown, 0-100) of at least `score_cutoff`
        (default 50)."""
        cutoff = 50.0 if score_cutoff is None else score_cutoff
        if isinstance(fields, str):
            fields = {"text": fields}
        read = [_Field(name, text) for name, text in fields.items() if text]
        present = set().union(*(f.at.keys() for f in read))
        seen: dict[tuple[int, tuple[_Term, ...]], tuple[int, int] | None] = {}  # claims share phrases
        hits: list[ClaimHit] = []
        for claim, compiled in self._claims:
            # Only the phrases whose every word the listing has can be met: most claims are
            # ruled out here, by set look-ups, before any window is searched.
            possible = [[p for p in phrases if p.stems <= present] for phrases in compiled]
            can = sum(1 for p in possible if p)
            if not can or 100 * can / len(compiled) < cutoff:
                continue
            matches = [self._element(element, phrases, read, seen)
                       for element, phrases in zip(claim.elements, possible, strict=True)]
            hit = ClaimHit(claim.key, claim.number, tuple(matches))
            if hit.shown and hit.score >= cutoff:
                hits.append(hit)
        hits.sort(key=lambda h: (-h.score, -h.total, h.key, h.claim))
        return hits[:limit] if limit else hits

    @staticmethod
    def _element(element: Element, phrases: Sequence[_Phrase], read: Iterable[_Field],
                 seen: dict[tuple[int, tuple[_Term, ...]], tuple[int, int] | None]) -> ElementMatch:
        for n, fld in enumerate(read):
            # The tightest of the phrases met in this field: "cork handle" over "cork ... grip".
            best: tuple[int, int, int, _Phrase] | None = None
            for phrase in phrases:
                if not phrase.stems <= fld.at.keys():
                    continue
                key = (n, phrase.terms)
                if key not in seen:
                    seen[key] = fld.find(phrase)
                window = seen[key]
                if window is None:
                    continue
                loose = window[1] - window[0] + 1 - len(phrase.terms)
                if best is None or loose < best[0]:
                    best = (loose, *window, phrase)
            if best is not None:
                _, first, last, phrase = best
                start, end = fld.words[first].start, fld.words[last].end
                return ElementMatch(element.text, True, fld.name, start, end, fld.text[start:end], phrase.text)
        return ElementMatch(element.text, False)
