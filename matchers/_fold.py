"""Text folding for the mark matcher: one skeleton that erases disguises (case, accents,
styled Unicode, homoglyphs, leetspeak, invisible characters) with a map back to the
original offsets, plus the staged folds that tell which disguise a match used."""

from __future__ import annotations

import json
import re
import unicodedata
from functools import lru_cache
from importlib import resources

__all__ = [
    "LEVELS",
    "fold",
    "fold_stage",
    "stage_words",
    "TOKEN_RE",
    "has_letter",
]

# The disguise levels, weakest first; `fold_stage(text, level)` applies every fold up to
# and including `level`, so the first level at which a match equals its mark names the
# disguise it used.
LEVELS = ("exact", "case", "accent", "styled-unicode", "homoglyph", "leet")

# Characters that are each their own word (UAX #29 gives ideographs no word-internal
# joining; kana is treated the same because listings glue it without spaces).
_CJK = (
    "\u2e80-\u2fdf\u3005-\u3007\u3021-\u3029\u3038-\u303c\u3040-\u30ff\u3400-\u4dbf"
    "\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003ffff"
)
TOKEN_RE = re.compile(rf"[{_CJK}]|[^\W_{_CJK}]+")
_WORD_RE = TOKEN_RE

# Leetspeak digits; '1' and 'l' and 'i' share one class because they are drawn alike
# (Unicode's confusables put 'I', 'l' and '1' in one set too).
_LEET_DIGITS = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "9": "g"}
_ASCII_HOMOGLYPH = {"l": "i"}

# Symbols stand for letters only inside or at the edge of a word: "N!KE", "@didas",
# "Adida$", but not "Nike!" or "$100".
_SYMBOL_BETWEEN = re.compile(r"(?<=[^\W\d_])[!|](?=[^\W\d_])")
_SYMBOL_EDGE = re.compile(r"[@$](?=[^\W\d_])|(?<=[^\W\d_])[@$]")
_SYMBOL_LETTER = {"!": "i", "|": "i", "@": "a", "$": "s"}


def _symbol_sub(match: re.Match[str]) -> str:
    return _SYMBOL_LETTER[match.group()]


def _fold_symbols(text: str) -> str:
    if "!" in text or "|" in text:
        text = _SYMBOL_BETWEEN.sub(_symbol_sub, text)
    if "@" in text or "$" in text:
        text = _SYMBOL_EDGE.sub(_symbol_sub, text)
    return text


def _build_ascii_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for code in range(128):
        ch = chr(code)
        low = ch.lower()
        low = _ASCII_HOMOGLYPH.get(low, low)
        low = _LEET_DIGITS.get(low, low)
        if low != ch:
            table[code] = low
    return table


_ASCII_TABLE = _build_ascii_table()


@lru_cache(maxsize=1)
def _confusables() -> tuple[dict[str, str], dict[str, frozenset[str]]]:
    """From the confusable-homoglyphs package's data: each non-ASCII character Unicode
    lists as confusable with an ASCII letter or digit, mapped to it; and the whole
    confusables graph, for characters that reach a letter only through another."""
    data = json.loads(
        resources.files("confusable_homoglyphs").joinpath("confusables.json").read_text("utf-8")
    )
    direct: dict[str, str] = {}
    graph: dict[str, set[str]] = {}

    def clean(s: str) -> str:
        # The data wraps right-to-left characters in LEFT-TO-RIGHT MARKs.
        return s.replace("\u200e", "").replace("\u200f", "")

    def rank(target: str) -> int:
        # Prefer letters over digits: a look-alike of both 'O' and '0' reads as a letter.
        return 0 if target.isalpha() else 1

    def offer(char: str, target: str) -> None:
        if len(char) != 1 or char.isascii() or not target.isascii() or not target.isalnum():
            return
        old = direct.get(char)
        if old is None or rank(target) < rank(old):
            direct[char] = target

    for key, entries in data.items():
        key = clean(key)
        for entry in entries:
            other = clean(entry["c"])
            if len(key) == 1 and len(other) == 1:
                graph.setdefault(key, set()).add(other)
                graph.setdefault(other, set()).add(key)
            if len(key) == 1 and key.isascii():
                offer(other, key)
            elif len(other) == 1 and other.isascii():
                offer(key, other)
    return direct, {k: frozenset(v) for k, v in graph.items()}


def _one_step(ch: str) -> str | None:
    # The character's own name first: 'ᶌ' is a v with a hook whatever it resembles.
    return _latin_base(ch) or _confusables()[0].get(ch)


@lru_cache(maxsize=65536)
def _homoglyph(ch: str) -> str:
    """The ASCII letter or digit `ch` is drawn like, or `ch` itself when none."""
    if ch.isascii():
        return ch
    found = _one_step(ch)
    if found:
        return found
    graph = _confusables()[1]
    # Two hops through Unicode's confusables: 'к' -> 'ĸ' -> 'ᴋ' (small capital K).
    for near in graph.get(ch, ()):
        found = _one_step(near)
        if found:
            return found
        for far in graph.get(near, ()):
            found = _one_step(far)
            if found:
                return found
    upper = ch.upper()
    # Lower-case letters drawn as small capitals of their capitals ('м', 'т', 'н').
    if len(upper) == 1 and upper != ch and not upper.isascii():
        found = _one_step(upper)
        if found:
            return found.lower()
    return ch


def _is_invisible(ch: str) -> bool:
    cat = unicodedata.category(ch)
    # Format characters (zero-width space/joiners, soft hyphen, bidi marks, BOM) and the
    # Hangul fillers render as nothing and are used to split a mark invisibly.
    return cat == "Cf" or ch in "\u115f\u1160\u3164\uffa0\u034f\u180e"


@lru_cache(maxsize=4096)
def _small_capital(ch: str) -> str | None:
    try:
        name = unicodedata.name(ch)
    except ValueError:
        return None
    prefix = "LATIN LETTER SMALL CAPITAL "
    if name.startswith(prefix) and len(name) == len(prefix) + 1:
        return name[-1].lower()
    return None


# Latin letters with a hook, stroke, tail or script form that Unicode decomposes to
# nothing and its confusables data omits ("ɗ", "ɾ", "ʂ") still read as their base letter;
# the name says which. Turned and reversed letters do not, so they are left alone.
_LATIN_NAME = re.compile(
    r"^LATIN (?:SMALL |CAPITAL )?LETTER (?:(?:SCRIPT|DOTLESS|SMALL CAPITAL|BARRED) )?"
    r"([A-Z])(?: WITH [A-Z -]+| BAR)?$"
)


@lru_cache(maxsize=4096)
def _latin_base(ch: str) -> str | None:
    try:
        name = unicodedata.name(ch)
    except ValueError:
        return None
    match = _LATIN_NAME.match(name)
    return match.group(1).lower() if match else None


def _strip_marks(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


@lru_cache(maxsize=65536)
def _fold_char(ch: str) -> str:
    """The skeleton of one non-ASCII character (may be empty or several characters)."""
    if _is_invisible(ch):
        return ""
    direct = _confusables()[0].get(ch)
    if direct is not None:
        # Before NFKC, which can turn a look-alike into another letter (lunate sigma 'ϲ'
        # is drawn as 'c' but normalises to 'σ', drawn as 'o').
        return direct.translate(_ASCII_TABLE)
    out: list[str] = []
    for c in unicodedata.normalize("NFKC", ch):
        small = _small_capital(c)
        if small is not None:
            out.append(small)
            continue
        for d in _strip_marks(c):
            # Look up before case-folding: capital Greek Nu is an 'N', its small form a 'v'.
            if not d.isascii():
                target = _homoglyph(d)
                if target != d:
                    out.append(target)
                    continue
            for e in d.casefold():
                out.append(_homoglyph(e))
    return "".join(out).translate(_ASCII_TABLE)


def fold(text: str) -> tuple[str, list[int] | None]:
    """The matching skeleton of `text` and, when it is not the identity, the offset in
    `text` of each skeleton character (None means skeleton index == text index)."""
    if text.isascii():
        return _fold_symbols(text.translate(_ASCII_TABLE)), None
    out: list[str] = []
    offsets: list[int] = []
    for i, ch in enumerate(text):
        if ch.isascii():
            out.append(ch.translate(_ASCII_TABLE))
            offsets.append(i)
            continue
        folded = _fold_char(ch)
        if folded:
            out.append(folded)
            offsets.extend([i] * len(folded))
    return _fold_symbols("".join(out)), offsets


def fold_stage(text: str, level: str) -> str:
    """`text` with every fold up to `level` (one of LEVELS) applied; invisible characters
    are kept, so a mark split by them is told apart as a spacing disguise."""
    rank = LEVELS.index(level)
    if rank == 0:
        return text
    if rank >= 4:
        direct = _confusables()[0]
        text = "".join(direct.get(c, c) for c in text)  # before NFKC, as in `_fold_char`
    if rank >= 3:
        text = unicodedata.normalize("NFKC", text)
        text = "".join(_small_capital(c) or c for c in text)
    if rank >= 2:
        text = _strip_marks(text)
    if rank >= 4:
        # Before case-folding, as in `_fold_char`.
        text = "".join(_homoglyph(c) for c in text)
    text = text.casefold()
    if rank >= 4:
        text = "".join(_ASCII_HOMOGLYPH.get(c, c) for c in text)
    if rank >= 5:
        text = _fold_symbols("".join(_LEET_DIGITS.get(c, c) for c in text))
    return text


def stage_words(text: str, level: str) -> tuple[str, ...]:
    """The words of `text` at a fold level, for comparing a match with its mark."""
    return tuple(_WORD_RE.findall(fold_stage(text, level)))


def has_letter(text: str) -> bool:
    """True when `text` holds a letter, styled ones (circled, fullwidth) included."""
    return any(c.isalpha() for c in text) or any(
        c.isalpha() for c in unicodedata.normalize("NFKC", text)
    )
