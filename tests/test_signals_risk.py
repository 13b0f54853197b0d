"""Counterfeit signals (replica and compatibility wording, price, seller, marks, images)
and the risk score that combines them, down to its calibration on the demo catalog."""

from __future__ import annotations

import math
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matchers import risk, signals
from matchers.signals import Finding
from matchers.text import Mark, MarkMatcher

NORVIK = MarkMatcher([Mark("Norvik", aliases=("诺维克",)), Mark("Trailforge"), Mark("Nike")])
RATES = {"EUR": 1.0, "USD": 1.08, "GBP": 0.85, "SEK": 11.4, "CNY": 7.8, "JPY": 162.0}
SELLER = signals.unauthorised_seller("Cheap Deals 88", ["Norvik Official Store"])
PHOTO = signals.image_findings([SimpleNamespace(key="product:NV-PARKA-01", score=0.9, method="phash")])


# -- replica wording ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, term",
    [
        ("Norvik parka replica, top quality", "replica"),
        ("Norvik parka 1:1 quality", "1:1"),
        ("AAA+ Norvik boots", "AAA+"),
        ("mirror quality Norvik backpack", "mirror quality"),
        ("Hiking jacket inspired by Norvik", "inspired by"),
        ("Norvik parka dupe", "dupe"),
        ("Chaqueta Norvik réplica", "réplica"),
        ("Parka Norvik réplique haute qualité", "réplique"),
        ("Norvik Jacke Fälschung", "Fälschung"),
        ("Giacca Norvik imitazione perfetta", "imitazione"),
        ("Jaqueta Norvik réplica primeira linha", "réplica"),
        ("Куртка Norvik реплика", "реплика"),
        ("诺维克冲锋衣高仿", "高仿"),
        ("诺维克复刻版", "复刻"),
        ("原单Norvik冲锋衣", "原单"),
        ("精仿诺维克", "精仿"),
        ("ノルヴィク レプリカ", "レプリカ"),
    ],
)
def test_replica_wording_in_many_languages(text, term):
    found = signals.replica_wording(text)
    assert [f.evidence for f in found if f.evidence == term] == [term]
    for f in found:
        assert f.kind == "replica_wording" and 0 < f.score <= 1
        assert text[f.start : f.end] == f.evidence


@pytest.mark.parametrize(
    "text",
    [
        "Not a replica: 100% authentic Norvik parka",
        "No fakes, genuine Norvik only",
        "Beware of fakes - buy from us",
        "Esta chaqueta no es réplica",
        "Ce n'est pas une réplique",
        "Garantiert keine Fälschung",
        "Non è una replica",
        "Não é réplica",
        "Это не реплика",
        "不是高仿，正品诺维克",
        "Replicated results, duplicate listing",  # words that contain a term
        "AAA batteries included, 4 pack",
        "1:1 scale model of a hiking boot",
    ],
)
def test_negated_or_unrelated_wording_is_not_replica(text):
    assert signals.replica_wording(text) == []


# -- compatibility -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Silicone sleeve compatible with Norvik Kvist bottle",
        "Replacement hip belt for Norvik Vidde backpacks",
        "Boot laces fits Trailforge boots",
        "Kompatibel mit Norvik Rucksack",
        "Housse pour Norvik",
        "适用于诺维克水壶的杯盖",
    ],
)
def test_compatibility_wording_is_its_own_low_finding(text):
    found = signals.compatibility_wording(text, NORVIK.find(text))
    assert len(found) == 1 and found[0].kind == "compatibility"
    assert found[0].score < signals.PLAIN_MARK_SCORE
    assert text[found[0].start : found[0].end] == found[0].evidence


def test_mark_first_is_not_compatibility():
    text = "Norvik parka for men, size L"
    assert signals.compatibility_wording(text, NORVIK.find(text)) == []


# -- marks and images -------------------------------------------------------------------


def test_disguised_marks_score_higher_than_plain_ones():
    plain = signals.mark_findings(NORVIK.find("Norvik parka"))[0]
    for text in ["N0rvik parka", "N O R V I K parka", "Nοrvik parka", "𝐍𝐨𝐫𝐯𝐢𝐤 parka"]:
        found = signals.mark_findings(NORVIK.find(text), field="title")
        assert found and found[0].score > plain.score, text
        assert found[0].field == "title" and "Norvik" in found[0].reason


def test_image_findings_skip_unusable_hits():
    hits = [SimpleNamespace(key="logo", score=float("nan"), method="orb"), SimpleNamespace(key="a", score="x"),
            object(), SimpleNamespace(key="lookbook", score=1.7, method="phash")]
    found = signals.image_findings(hits)
    assert [(f.evidence, f.score) for f in found] == [("lookbook", 1.0)]


# -- price -------------------------------------------------------------------------------


def test_price_far_below_msrp_is_flagged_in_any_currency():
    same = signals.price_anomaly(Decimal("70"), "EUR", 349, "EUR", rates=RATES)
    converted = signals.price_anomaly(75.6, "usd", 349, "EUR", rates=RATES)  # 70 EUR
    assert same is not None and converted is not None
    assert same.kind == "price" and math.isclose(same.score, converted.score, abs_tol=1e-3)
    assert "USD" in converted.reason and "EUR" in converted.reason
    # 3,000 SEK is about 263 EUR: 75% of the MSRP, not an anomaly.
    assert signals.price_anomaly(3000, "SEK", 349, "EUR", rates=RATES) is None


@pytest.mark.parametrize(
    "price, currency, msrp, rates",
    [
        (10, "XYZ", 349, RATES),  # unknown currency
        (10, None, 349, RATES),
        (10, "USD", 349, None),  # no rates to convert with
        ("cheap", "EUR", 349, RATES),
        (float("nan"), "EUR", 349, RATES),
        (-5, "EUR", 349, RATES),
        (10, "EUR", 0, RATES),
        (None, "EUR", 349, RATES),
        (10, "USD", 349, {"USD": "x", "EUR": 1.0}),
    ],
)
def test_price_with_bad_input_gives_no_finding(price, currency, msrp, rates):
    assert signals.price_anomaly(price, currency, msrp, "EUR", rates=rates) is None


@settings(max_examples=200, deadline=None)
@given(st.floats(0.01, 10_000), st.floats(0.01, 10_000), st.floats(0.05, 0.95))
def test_price_finding_follows_the_threshold_and_grows_as_price_falls(price, msrp, threshold):
    found = signals.price_anomaly(price, "EUR", msrp, "EUR", threshold=threshold)
    assert (found is not None) == (price / msrp < threshold)
    if found is not None:
        assert 0.5 <= found.score <= 1
        lower = signals.price_anomaly(price / 2, "EUR", msrp, "EUR", threshold=threshold)
        assert lower is not None and lower.score >= found.score


# -- seller ------------------------------------------------------------------------------


def test_seller_compare_ignores_case_and_spaces():
    authorised = ["Norvik Official Store", "Fjällsport AB"]
    assert signals.unauthorised_seller("norvik  official store", authorised) is None
    assert signals.unauthorised_seller("FJÄLLSPORT AB", authorised) is None
    assert signals.unauthorised_seller(None, authorised) is None
    found = signals.unauthorised_seller("Cheap Deals 88", authorised)
    assert found is not None and found.kind == "seller" and "Cheap Deals 88" in found.reason


# -- risk --------------------------------------------------------------------------------


def _text(title: str) -> list[Finding]:
    hits = NORVIK.find(title)
    return (signals.mark_findings(hits) + signals.compatibility_wording(title, hits)
            + signals.replica_wording(title))


def _price(amount: float) -> list[Finding]:
    found = signals.price_anomaly(amount, "EUR", 349, "EUR", rates=RATES)
    return [found] if found else []


def test_risk_semantics():
    flagged = lambda findings, **kw: risk.assess(findings, **kw).score >= risk.FLAG_THRESHOLD  # noqa: E731
    # legitimate resale: plain mark, normal price, unauthorised seller
    assert not flagged(_text("Norvik Fjell Parka, used once") + _price(300) + [SELLER])
    # the mark in disguise is a signal on its own
    for title in ["N0rvik Fjell Parka", "Nοrvik parka", "N-O-R-V-I-K parka", "Norvikk parka", "NorvikParka"]:
        assert flagged(_text(title)), title
    # replica wording with the mark
    assert flagged(_text("Norvik parka replica 1:1") + [SELLER])
    assert flagged(_text("诺维克冲锋衣高仿"))
    # a stolen brand photo from an unauthorised seller
    assert flagged(_text("Winter parka, hooded") + PHOTO + [SELLER])
    # price far below MSRP with the mark
    assert flagged(_text("Norvik Fjell Parka") + _price(70) + [SELLER])
    # nominative use is low risk, even with a low price against the product it fits
    low = risk.assess(_text("Stuff sack compatible with Norvik Isbre down jacket") + _price(12) + [SELLER])
    assert low.level == "low" and not low.flagged
    # a genuine listing: authorised seller, plain mark, MSRP price, the official photo
    genuine = risk.assess(_text("Norvik Fjell Parka") + PHOTO + _price(349), authorised_seller=True)
    assert genuine.level == "low"
    # replica wording about nothing of the brand's is not enough alone
    assert not flagged(_text("replica parka"))


def test_reasons_are_plain_and_strongest_first():
    result = risk.assess(_text("N0rvik parka") + [SELLER])
    assert result.reasons[0].startswith("title writes the mark 'Norvik' as 'N0rvik'")
    assert any("not on the brand's list" in r for r in result.reasons)
    assert risk.assess([]).reasons == () and risk.assess([]).score == 0


_FINDING = st.builds(
    Finding,
    kind=st.sampled_from([k for k in signals.KINDS if k != "compatibility"]),
    score=st.floats(0, 1) | st.just(float("nan")),
    reason=st.text(max_size=20),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_FINDING, max_size=6), _FINDING, st.booleans())
def test_risk_is_bounded_monotone_and_damped_for_authorised_sellers(findings, extra, authorised):
    base = risk.assess(findings, authorised_seller=authorised)
    assert 0 <= base.score <= 100
    assert base.level in risk.LEVELS
    assert (base.level == "high") == (base.score >= risk.FLAG_THRESHOLD)
    # more evidence never lowers the score (compatibility is the one damping finding)
    assert risk.assess([*findings, extra], authorised_seller=authorised).score >= base.score
    assert risk.assess(findings, authorised_seller=True).score <= risk.assess(findings).score


def test_weights_are_documented():
    for name in risk.WEIGHTS:
        assert name in signals.KINDS or f"``{name}``" in (risk.__doc__ or "")
    assert set(signals.KINDS) <= set(risk.WEIGHTS)


# -- calibration on the demo catalog -------------------------------------------------------


def test_calibration_on_the_demo_catalog():
    catalog_mod = pytest.importorskip("monitor.demo_market.catalog", reason="the demo market is not installed")
    yaml = pytest.importorskip("yaml")
    brand_file = Path(__file__).resolve().parent.parent / "examples" / "demo-brand" / "brand.yaml"
    if not brand_file.exists():
        pytest.skip("examples/demo-brand/brand.yaml is absent")
    brand = yaml.safe_load(brand_file.read_text("utf-8"))
    matcher = MarkMatcher([Mark(m["text"], tuple(m.get("aliases", ())), m.get("distinctive", True))
                           for m in brand["marks"]])
    products = brand["products"]
    rates = brand["settings"]["currency_rates"]
    catalog = catalog_mod.build_catalog(brand_file.parent)
    tp = fp = fn = 0
    for listing in catalog.listings:
        extra = catalog.extra(listing)
        findings: list[Finding] = []
        named = False
        for field, text in (("title", listing.title), ("description", listing.description)):
            hits = matcher.find(text)
            named |= bool(hits)
            findings += signals.mark_findings(hits, field=field)
            findings += signals.compatibility_wording(text, hits, field=field)
            findings += signals.replica_wording(text, field=field)
        # The image matcher is measured on its own; here a copy of a brand asset is a hit.
        assets = [r.source for r in extra.image_recipes if r.kind == "asset"]
        findings += signals.image_findings([SimpleNamespace(key=a, score=0.9, method="copy") for a in assets])
        related = named or bool(assets)
        product = next((p for p in products if any(Path(i).name in assets for i in p["images"])), None)
        if product is None:
            words = (listing.title + " " + listing.description).casefold()
            scored = [(sum(len(w) for w in [p["name"].casefold(), *map(str.casefold, p["keywords"])] if w in words), i)
                      for i, p in enumerate(products)]
            best, i = max(scored)
            product = products[i] if best else None
        if related and product is not None:
            found = signals.price_anomaly(listing.price, listing.currency, product["msrp"]["amount"],
                                          product["msrp"]["currency"], rates=rates)
            findings += [found] if found else []
        names = brand["authorised_sellers"].get(listing.platform, [])
        authorised = signals.unauthorised_seller(listing.seller, [*names, *brand["allowlist"]["sellers"]]) is None
        if related and not authorised:
            found = signals.unauthorised_seller(listing.seller, names)
            findings += [found] if found else []
        flagged = related and risk.assess(findings if related else [], authorised_seller=authorised).flagged
        tp += flagged and listing.infringing
        fp += flagged and not listing.infringing
        fn += not flagged and listing.infringing
    precision, recall = tp / max(1, tp + fp), tp / max(1, tp + fn)
    assert tp + fn > 50, "the demo catalog should hold counterfeits"
    assert precision >= 0.9 and recall >= 0.9, (precision, recall)


@pytest.mark.parametrize("price", ["1.299,00", "1,299.00", "1 299,00", "€ 1.299"])
def test_price_strings_in_either_decimal_style(price):
    # 1,299 EUR against a 1,500 EUR MSRP is normal; misreading it as 1.299 would flag it.
    assert signals.price_anomaly(price, "EUR", 1500, "EUR") is None
    assert signals.price_anomaly("12,50", "EUR", 1500, "EUR") is not None


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_wording_detectors_never_fail_on_any_text(text):
    hits = NORVIK.find(text)
    for finding in [*signals.replica_wording(text), *signals.compatibility_wording(text, hits)]:
        assert 0 <= finding.start < finding.end <= len(text)
        assert text[finding.start : finding.end] == finding.evidence


def test_homoglyph_reason_names_the_foreign_letters() -> None:
    """A reviewer cannot see a Cyrillic 'о' among Latin letters: the reason names it."""
    hits = MarkMatcher(["Norvik"]).find("N\u043ervik parka")
    (finding,) = signals.mark_findings(hits)
    assert "CYRILLIC SMALL LETTER O" in finding.reason
    plain = signals.mark_findings(MarkMatcher(["Norvik"]).find("Norvik parka"))[0]
    assert "CYRILLIC" not in plain.reason and "LATIN" not in plain.reason


def test_the_price_is_a_reason_once() -> None:
    result = risk.assess(_text("Norvik Fjell Parka") + _price(70) + [SELLER])
    price_reasons = [r for r in result.reasons if "MSRP" in r or "price" in r]
    assert len(price_reasons) == 1, result.reasons
    assert "brand" in price_reasons[0]  # the combination's reason, which carries the price's own
    # without the brand the price reason is the finding's, alone
    plain = risk.assess(_text("Winter parka") + _price(70))
    assert [r for r in plain.reasons if "price" in r] == [f.reason for f in _price(70)]
