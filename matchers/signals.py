"""Counterfeit signals in a listing, each a `Finding` a reviewer can read: the mark in
disguise, a brand photo, replica wording (eight languages and more, with negations),
compatibility wording, a price far below MSRP, and a seller the brand did not authorise."""

from __future__ import annotations

import unicodedata

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from price_parser import Price

from .text import MarkHit

__all__ = [
    "Finding",
    "KINDS",
    "PLAIN_MARK_SCORE",
    "MARK_SCORES",
    "mark_findings",
    "CONTEXT_MARK_SCORE",
    "goods_words",
    "mark_in_context",
    "image_findings",
    "replica_wording",
    "compatibility_wording",
    "price_anomaly",
    "unauthorised_seller",
]

KINDS = ("mark", "image", "replica_wording", "compatibility", "price", "seller")
# Rights other than the mark: a utility patent's claim met by the listing's text, and the
# brand's own product copy copied into it.
KINDS += ("patent_claim", "copied_text")
# A registered design's shape in a listing photo, and the brand's images in a listing's video.
KINDS += ("design", "video_frame")


@dataclass(frozen=True, slots=True)
class Finding:
    """One piece of evidence: `score` (0-1) is how strongly it alone points to
    infringement; `reason` is written for a reviewer."""

    kind: str
    score: float
    reason: str
    evidence: str = ""
    field: str | None = None
    start: int | None = None
    end: int | None = None
    # Image findings: the listing photo's index and the (x0, y0, x1, y1) box in it.
    photo: int | None = None
    region: tuple[int, int, int, int] | None = None


# -- the mark --------------------------------------------------------------------------

# Naming a mark plainly is what every reseller does; disguising it is what someone
# dodging the brand's searches does, so the disguises score far higher.
PLAIN_MARK_SCORE = 0.3
MARK_SCORES: Mapping[str, float] = {
    "exact": PLAIN_MARK_SCORE,
    "case": PLAIN_MARK_SCORE,
    "alias": PLAIN_MARK_SCORE,
    "accent": 0.55,
    "partial": 0.25,
    "shortened": 0.25,
    "near-word": 0.25,
    "typo": 0.7,
    "swap": 0.7,
    "spacing": 0.75,
    "glued": 0.75,
    "masked": 0.8,
    "leet": 0.8,
    "styled-unicode": 0.8,
    "homoglyph": 0.85,
}

_HOW = {
    "exact": "names the mark '{mark}'",
    "case": "names the mark '{mark}' (as '{matched}')",
    "alias": "names the mark '{mark}' by its registered form '{matched}'",
    "accent": "writes the mark '{mark}' as '{matched}' (added accents)",
    "partial": "uses '{matched}', the distinctive word of the mark '{mark}'",
    "shortened": "has last letter dropped: '{matched}' reads as {mark}",
    "typo": "writes the mark '{mark}' as '{matched}' (misspelt)",
    "near-word": "writes '{matched}', a real name or word one slip from the mark '{mark}'",
    "swap": "has letters swapped: '{matched}' reads as {mark}",
    "masked": "has letters masked: '{matched}' reads as {mark}",
    "spacing": "writes the mark '{mark}' split into pieces as '{matched}'",
    "glued": "writes the mark '{mark}' glued to another word: '{word}'",
    "leet": "writes the mark '{mark}' as '{matched}' (leetspeak)",
    "styled-unicode": "writes the mark '{mark}' as '{matched}' (styled Unicode letters)",
    "homoglyph": "writes the mark '{mark}' as '{matched}' (look-alike letters from another script)",
}


def mark_findings(hits: Sequence[MarkHit], *, field: str = "title") -> list[Finding]:
    """One finding per mark hit; a typo hit's score also reflects how close it was."""
    out: list[Finding] = []
    for hit in hits:
        base = MARK_SCORES.get(hit.reason, PLAIN_MARK_SCORE)
        if hit.reason == "typo":
            # A typo scored 84 (one slip in a long mark) keeps the full weight; a looser
            # one loses some.
            base *= max(0.5, min(1.0, hit.score / 84.0))
        how = _HOW.get(hit.reason, "names the mark '{mark}'").format(
            mark=hit.mark, matched=_printable(hit.matched), word=_printable(hit.word or hit.matched)
        )
        if hit.needs_context:
            how += _ALONE
        if hit.reason == "homoglyph":
            # The disguise is invisible on screen: name the foreign letters.
            how += _foreign_letters(hit.matched)
        out.append(
            Finding(
                kind="mark",
                score=round(base, 3),
                reason=f"{field} {how}",
                evidence=hit.matched,
                field=field,
                start=hit.start,
                end=hit.end,
            )
        )
    return out


# A hit that may be innocent alone ("Valentin" is a name): weak until the listing's
# context shows the brand (`mark_in_context`), then it counts like a misspelt mark.
_ALONE = "; alone this may be innocent, so it counts only beside the brand's goods, photos, or a replica or price signal"
CONTEXT_MARK_SCORE = 0.65

# Goods words of the Nice classes brands register most, for telling a shortened name or a
# lone word of a mark in a listing for those goods from the same word elsewhere.
_NICE_GOODS: Mapping[int, tuple[str, ...]] = {
    3: ("perfume", "parfum", "fragrance", "cologne", "cosmetics", "lipstick", "mascara", "cream", "shampoo", "makeup", "foundation", "eau de"),
    8: ("knife", "knives", "multitool", "razor", "tool"),
    9: ("sunglasses", "glasses", "headphones", "earbuds", "phone case", "camera", "charger", "speaker", "smartwatch", "console"),
    14: ("watch", "watches", "jewellery", "jewelry", "necklace", "bracelet", "ring", "earrings", "chronograph", "pendant"),
    18: ("bag", "handbag", "backpack", "wallet", "purse", "tote", "crossbody", "luggage", "suitcase", "leather", "clutch", "duffel"),
    21: ("bottle", "mug", "tumbler", "flask", "cup"),
    22: ("tent", "rope", "tarp"),
    24: ("towel", "blanket", "bedding"),
    25: ("shoes", "sneakers", "trainers", "boots", "sandals", "jacket", "parka", "coat", "hoodie", "sweater", "t-shirt", "tee", "shirt", "polo", "jeans", "trousers", "pants", "dress", "skirt", "cap", "beanie", "hat", "scarf", "belt", "socks", "leggings", "tracksuit", "fleece", "clothing", "runners"),
    28: ("toy", "toys", "bricks", "game", "ball", "racket", "skis", "golf"),
}


def goods_words(classes: Iterable[int] = (), keywords: Iterable[str] = ()) -> frozenset[str]:
    """The words that name a mark's goods: its registrations' Nice classes and the
    product keywords and names the brand lists."""
    words = {w for c in classes for w in _NICE_GOODS.get(int(c), ())}
    words |= {k.casefold().strip() for k in keywords if isinstance(k, str) and k.strip()}
    return frozenset(w for w in words if w)


def mark_in_context(
    findings: Sequence[Finding],
    text: str,
    *,
    goods: Iterable[str] = (),
    photos: bool = False,
) -> list[Finding]:
    """`findings` with each weak mark finding (a shortened name, a lone word of the mark)
    weighed by the listing's context: it counts as a misspelt mark when the listing also
    names the mark's goods (`goods`, see `goods_words`), offers a replica or a price far
    below MSRP (findings of those kinds), or shows the brand's photos (`photos`)."""
    why: list[str] = []
    if photos:
        why.append("the brand's photos")
    if any(f.kind == "replica_wording" for f in findings):
        why.append("replica wording")
    if any(f.kind == "price" for f in findings):
        why.append("a price far below the brand's")
    named = _goods_named(text or "", goods)
    if named:
        why.append(f"the mark's goods ('{named}')")
    out: list[Finding] = []
    for f in findings:
        if f.kind == "mark" and f.reason.endswith(_ALONE):
            if why:
                f = Finding(f.kind, max(f.score, CONTEXT_MARK_SCORE),
                            f.reason[: -len(_ALONE)] + ", beside " + " and ".join(why),
                            f.evidence, f.field, f.start, f.end)
        out.append(f)
    return out


def _goods_named(text: str, goods: Iterable[str]) -> str | None:
    low = text.casefold()
    for word in sorted(goods, key=len, reverse=True):
        if re.search(rf"(?<![^\W_]){re.escape(word)}(?:s|es)?(?![^\W_])", low):
            return word
    return None


def _foreign_letters(text: str) -> str:
    names = []
    for char in dict.fromkeys(text):
        if char.isalpha() and not char.isascii():
            name = unicodedata.name(char, f"U+{ord(char):04X}")
            if not name.startswith("LATIN"):
                names.append(f"'{char}' is {name}")
    return f": {', '.join(names[:4])}" if names else ""


def _printable(text: str) -> str:
    """Shows invisible characters a reviewer could not otherwise see."""
    return "".join(
        f"<U+{ord(c):04X}>" if (c.isspace() and c != " ") or not c.isprintable() else c
        for c in text
    )


# -- images ----------------------------------------------------------------------------


def image_findings(hits: Sequence[object], *, labels: Mapping[str, str] | None = None,
                   photos: Sequence[int | None] = ()) -> list[Finding]:
    """Findings from image hits (anything with `.key`, `.score` 0-1 and `.method`, and
    maybe `.region`); hits without a usable score are skipped. `labels` names each key as a
    reader knows it ("photo 1 of the Fjell Parka"); the key stays the finding's evidence.
    `photos[i]` is the index of the listing photo hit i was found in."""
    out: list[Finding] = []
    for i, hit in enumerate(hits):
        score = _unit(getattr(hit, "score", None))
        if score is None or score <= 0:
            continue
        key = str(getattr(hit, "key", "") or "a brand image")
        method = str(getattr(hit, "method", "") or "image comparison")
        out.append(
            Finding(
                kind="image",
                score=round(score, 3),
                reason=f"listing photo matches the brand's {(labels or {}).get(key) or repr(key)}, "
                       f"{method} {score:.0%}",
                evidence=key,
                field="image",
                photo=photos[i] if i < len(photos) else None,
                region=box_of(getattr(hit, "region", None)),
            )
        )
    return out


def box_of(value: object) -> tuple[int, int, int, int] | None:
    """(x0, y0, x1, y1) as whole pixels when `value` is a usable box, else None."""
    try:
        x0, y0, x1, y1 = (int(v) for v in value)  # type: ignore[union-attr]
    except (TypeError, ValueError):
        return None
    return (x0, y0, x1, y1) if 0 <= x0 < x1 and 0 <= y0 < y1 else None


def _unit(value: object) -> float | None:
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    if math.isnan(x):
        return None
    return min(1.0, max(0.0, x))


# -- replica wording -------------------------------------------------------------------

# (pattern, score, label). Word boundaries come from the surrounding (?<!\w)/(?!\w);
# Chinese and Japanese terms need none, as those scripts have no spaces.
_STRONG = 0.9
_MEDIUM = 0.6
_REPLICA_TERMS: tuple[tuple[str, float], ...] = (
    # English
    (r"replicas?|repl?ica\s+quality|reps", _STRONG),
    (r"1\s*[:：]\s*1(?!\s*(?:scale|ratio|aspect))|1\s*to\s*1\s+(?:copy|quality|replica)", _STRONG),
    (r"a{3}\+*(?!\s*(?:batter(?:y|ies)|cells?|size|rated|rating))|aaaa\+*", _STRONG),
    (r"mirror\s+(?:quality|copy|grade|image\s+quality)", _STRONG),
    (r"(?:super|high|top|master|best|perfect|exact)\s+cop(?:y|ies)", _STRONG),
    (r"knock[\s-]?offs?|counterfeits?|fakes?|imitations?|bootleg", _STRONG),
    (r"unauthori[sz]ed\s+authentic|\bua\s+quality|god\s+version|pk\s+version", _STRONG),
    (r"inspired\s+by|dupes?|look[\s-]?alikes?|same\s+as\s+(?:the\s+)?original", _MEDIUM),
    (r"oem\s+quality|factory\s+(?:seconds|leftovers?|overruns?)", _MEDIUM),
    # Spanish
    (r"r[ée]plicas?|imitaci[óo]n(?:es)?|copias?\s+(?:1\s*[:：]\s*1|exactas?|id[ée]nticas?|de\s+alta)", _STRONG),
    (r"calidad\s+espejo|falsificad[oa]s?|clon(?:es)?", _STRONG),
    (r"inspirad[oa]s?\s+en|tipo\s+original", _MEDIUM),
    # French
    (r"r[ée]pliques?|contrefa[çc]ons?|copies?\s+conformes?|qualit[ée]\s+miroir", _STRONG),
    (r"inspir[ée]e?s?\s+(?:de|par)|fa[çc]on\s+(?:de\s+)?marque", _MEDIUM),
    # German
    (r"repliken?|replikate?|nachbildung(?:en)?|imitate?|f[äa]lschung(?:en)?|spiegelqualit[äa]t", _STRONG),
    (r"1\s*zu\s*1\s+kopie|kopien?", _STRONG),
    (r"inspiriert\s+von|im\s+stil\s+von", _MEDIUM),
    # Italian
    (r"imitazion[ei]|falsi|contraffatt[oaie]|qualit[àa]\s+specchio|copia\s+(?:perfetta|1\s*[:：]\s*1)", _STRONG),
    (r"ispirat[oaie]\s+a", _MEDIUM),
    # Portuguese
    (r"imita[çc][ãa]o|imita[çc][õo]es|falsificad[oa]s?|primeira\s+linha|c[óo]pias?\s+(?:perfeitas?|fi[ée]is)", _STRONG),
    (r"inspirad[oa]s?\s+(?:em|no|na)", _MEDIUM),
    # Russian
    (r"реплик[аиуеой]?|копи[яиюей]|подделк[аиуеой]?|паль|люкс\s+качеств[оа]|фейк", _STRONG),
    (r"как\s+оригинал|аналог", _MEDIUM),
    # Chinese (no word spaces)
    (r"高仿|复刻|復刻|原单|原單|精仿|仿品|仿制|仿製|A货|A貨|超A|一比一|1比1|莆田|顶级复刻|纯原", _STRONG),
    (r"同款|平替", _MEDIUM),
    # Japanese, Korean
    (r"レプリカ|スーパーコピー|コピー品|偽物|N級", _STRONG),
    (r"레플리카|짝퉁|이미테이션|가품", _STRONG),
)


_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"


def _compile_terms() -> list[tuple[re.Pattern[str], float]]:
    out = []
    for pattern, score in _REPLICA_TERMS:
        # A boundary is any change out of a word, or into or out of CJK, which has no
        # spaces: "高仿诺维克" holds the term "高仿", "正品replica" the term "replica".
        # Case is ignored in the term only: the boundaries' classes are the same either way,
        # and compiling them case-blind folds every CJK code point (a third of a second of
        # each process's start).
        if re.search(f"[{_CJK}]", pattern):
            regex = f"(?i:{pattern})"
        else:
            regex = rf"(?<![^\W_{_CJK}])(?i:{pattern})(?![^\W_{_CJK}])"
        out.append((re.compile(regex), score))
    return out


_TERMS = _compile_terms()

# Words that turn "replica" into a promise of the opposite ("not a replica", "no fakes",
# "beware of fakes"), looked for among the three words before the term.
_NEGATIONS = frozenset(
    """not no never isn't isnt aren't arent zero nor non beware avoid against unlike
    nunca ni ningún ninguna ninguno pas aucun aucune jamais sans kein keine keinen keiner
    nicht mai não nao nem nenhum nenhuma не нет ни без""".split()
)
_CJK_NEGATIONS = ("不是", "非", "不", "拒绝", "拒絕", "无", "無", "没有", "沒有", "绝非", "絕非", "아님")
_NEGATION_AFTER = re.compile(r"^\s*(?:ではありません|ではない|じゃない|아님|아닙니다|아닌)")
_WORDS = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")


def _negated(text: str, start: int, end: int) -> bool:
    before = text[max(0, start - 40) : start]
    words = [w.replace("’", "'") for w in _WORDS.findall(before.casefold())[-3:]]
    if any(w in _NEGATIONS for w in words):
        return True
    if any(n in before[-4:] for n in _CJK_NEGATIONS):
        return True
    return bool(_NEGATION_AFTER.match(text[end : end + 12]))


def replica_wording(text: str, *, field: str = "title") -> list[Finding]:
    """Replica, copy and look-alike wording in `text`, unless negated ("not a replica",
    "no es réplica", "不是高仿"). One finding per wording, strongest first."""
    if not isinstance(text, str) or not text:
        return []
    text = text[:100_000]
    found: list[Finding] = []
    taken: list[tuple[int, int]] = []
    for regex, score in _TERMS:
        for match in regex.finditer(text):
            start, end = match.span()
            if any(start < b and a < end for a, b in taken):
                continue
            if _negated(text, start, end):
                continue
            taken.append((start, end))
            words = match.group()
            strength = "replica" if score >= _STRONG else "look-alike"
            found.append(
                Finding(
                    kind="replica_wording",
                    score=score,
                    reason=f"{field} uses {strength} wording: '{words}'",
                    evidence=words,
                    field=field,
                    start=start,
                    end=end,
                )
            )
    found.sort(key=lambda f: (-f.score, f.start or 0))
    return found


# -- compatibility / nominative use -----------------------------------------------------

_COMPAT = re.compile(
    r"(?:(?<![^\W_])(?:compatible\s+(?:with|for)|works?\s+with|fits?(?:\s+for)?|fit\s+for|"
    r"replacement\s+(?:for|of)|designed\s+for|made\s+for|suitable\s+for|for\s+use\s+with|"
    r"for|compatible\s+avec|pour|adapt[ée]e?\s+(?:à|a|pour)|kompatibel\s+mit|passend\s+f[üu]r|"
    r"f[üu]r|compatibile\s+con|adatto\s+(?:a|per)|per|compat[íi]vel\s+com|para|"
    r"compatible\s+con|совместим[аыо]?\s+с|подходит\s+для|для)"
    r"|适用于|適用於|适配|適配|兼容|用于|用於|对应|對應)"
    r"[\s:,\-–]*(?:(?:the|a|an|your|le|la|les|el|los|der|die|das|il|o|a)\s+)?$",
    re.IGNORECASE,
)


def compatibility_wording(
    text: str, hits: Sequence[MarkHit], *, field: str = "title"
) -> list[Finding]:
    """The mark used to say what a product fits ("case for Nike", "compatible with
    Nike", "适用于诺维克"): nominative use, a low-risk finding of its own."""
    if not isinstance(text, str) or not text:
        return []
    found: list[Finding] = []
    for hit in hits:
        if not (0 <= hit.start <= len(text)):
            continue
        before = text[max(0, hit.start - 40) : hit.start]
        match = _COMPAT.search(before)
        if match is None:
            continue
        start = hit.start - len(before) + match.start()
        joined = text[start : hit.end]
        found.append(
            Finding(
                kind="compatibility",
                score=0.1,
                reason=(
                    f"{field} uses the mark '{hit.mark}' to say what the product fits "
                    f"('{joined}'), usually fair nominative use"
                ),
                evidence=joined,
                field=field,
                start=start,
                end=hit.end,
            )
        )
    return found


# -- price -----------------------------------------------------------------------------

_SYMBOLS = {"€": "EUR", "£": "GBP", "US$": "USD", "CN¥": "CNY", "RMB": "CNY", "元": "CNY"}


def _amount(value: object) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float, Decimal)):
        x = float(value)
    elif isinstance(value, str):
        text = value.strip()[:100]
        if text.startswith("-"):
            return None
        # price-parser reads "1.299,00" and "1,299.00" alike; a plain replace would not.
        amount = Price.fromstring(text).amount
        if amount is None:
            return None
        x = float(amount)
    else:
        try:
            x = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return None
    if math.isnan(x) or math.isinf(x) or x <= 0:
        return None
    return x


def _currency(code: object) -> str | None:
    if not isinstance(code, str) or not code.strip():
        return None
    code = code.strip()
    return _SYMBOLS.get(code, code.upper())


def price_anomaly(
    price: object,
    currency: str | None,
    msrp: object,
    msrp_currency: str,
    *,
    rates: Mapping[str, float] | None = None,
    threshold: float = 0.4,
) -> Finding | None:
    """A finding when `price` is below `threshold` of `msrp` once both are in one
    currency. `rates` are units of each currency per one unit of a base currency. An
    unknown currency, a missing rate or an unusable number gives None, never an error."""
    amount, reference = _amount(price), _amount(msrp)
    cur, ref_cur = _currency(currency), _currency(msrp_currency)
    if amount is None or reference is None or cur is None or ref_cur is None:
        return None
    thr = _amount(threshold)
    if thr is None or thr >= 1:
        return None
    if cur == ref_cur:
        converted = amount
    else:
        table = {str(k).upper(): v for k, v in (rates or {}).items()}
        rate, ref_rate = _amount(table.get(cur)), _amount(table.get(ref_cur))
        if rate is None or ref_rate is None:
            return None
        converted = amount / rate * ref_rate
    ratio = converted / reference
    if ratio >= thr:
        return None
    # 0.5 just under the threshold, rising to 1.0 for a near-free item.
    score = round(0.5 + 0.5 * (1 - ratio / thr), 3)
    shown = f"{amount:,.2f} {cur}"
    if cur != ref_cur:
        shown += f" (about {converted:,.2f} {ref_cur})"
    return Finding(
        kind="price",
        score=score,
        reason=(
            f"price {shown} is {ratio:.0%} of the {reference:,.2f} {ref_cur} MSRP "
            f"(flagged below {thr:.0%})"
        ),
        evidence=f"{amount:g} {cur} vs MSRP {reference:g} {ref_cur}",
        field="price",
    )


# -- seller ----------------------------------------------------------------------------


def _seller_key(name: str) -> str:
    return "".join(name.casefold().split())


def unauthorised_seller(seller: str | None, authorised: Iterable[str]) -> Finding | None:
    """A finding when `seller` is not among `authorised` (compared ignoring case and
    spaces); None for an authorised or unknown seller."""
    if not isinstance(seller, str) or not seller.strip():
        return None
    allowed = {_seller_key(a) for a in authorised if isinstance(a, str)}
    if _seller_key(seller) in allowed:
        return None
    name = seller.strip()[:200]
    return Finding(
        kind="seller",
        score=0.3,
        reason=f"seller '{name}' is not on the brand's list of authorised sellers",
        evidence=name,
        field="seller",
    )
