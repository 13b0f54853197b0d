"""Every notice template rendered for every kind of case, and read as counsel would: items
that open as sentences, registered images named as the owner knows them, each reason once,
prices as amounts, every attachment the notice names beside it, nothing left of a template."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PIL import Image

from monitor.assess import Assessor
from monitor.registry import Registry, load_registry
from monitor.takedown import PLATFORMS, draft_takedowns
from test_takedown import DEMO_BRAND, TODAY, _copy_of_parka, add_case, new_db

LOGO = DEMO_BRAND.parent / "assets" / "logo.png"

# kind of case -> how a seller's listing shows it
KINDS: dict[str, dict[str, object]] = {
    "replica with the brand's photo": {"title": "Norvik Fjell Parka replica 1:1 AAA quality", "photo": True},
    "styled letters": {"title": "𝗡𝗢𝗥𝗩𝗜𝗞 parka winter jacket", "price": "140"},
    "photo only": {"title": "Winter parka warm jacket", "photo": True, "price": "150"},
    "glued mark, far below MSRP": {"title": "NorvikStyle hiking parka cheap", "price": "30"},
    "logo in the photo": {"title": "Outdoor parka for winter", "logo": True, "price": "45"},
}


@pytest.fixture(scope="module")
def registry() -> Registry:
    return load_registry(DEMO_BRAND)


@pytest.fixture(scope="module")
def notices(tmp_path_factory: pytest.TempPathFactory, registry: Registry) -> dict[Path, str]:
    """Every platform's notices, with letters, for one case of each kind: path -> text."""
    tmp = tmp_path_factory.mktemp("words")
    assessor = Assessor(registry, image_cache=None)
    db, brand_id = new_db(tmp, registry)
    photo = _copy_of_parka(tmp / "images")
    logo = tmp / "images" / "logo-on-parka.png"
    with Image.open(LOGO) as im:
        canvas = Image.new("RGB", (640, 640), (236, 236, 230))
        mark = im.convert("RGBA")
        mark.thumbnail((400, 400))
        canvas.paste(mark, (120, 260), mark)
        canvas.save(logo)
    for platform in PLATFORMS:
        for n, (kind, how) in enumerate(KINDS.items()):
            image = photo if how.get("photo") else logo if how.get("logo") else None
            add_case(db, assessor, brand_id, platform, f"{platform[:3].upper()}-{n}", title=str(how["title"]),
                     price=str(how.get("price", "49")), image=image, seller="Cheap Gear")
    drafted, refusals = draft_takedowns(db, registry, brand_id, tmp / "out", letters=True, today=TODAY)
    assert drafted, refusals
    return {f: f.read_text(encoding="utf-8") for d in drafted for f in d.files if f.suffix in (".txt", ".html", ".json")}


def test_every_kind_of_case_reaches_every_platform(notices: dict[Path, str]) -> None:
    text = "\n".join(notices.values())
    for kind, how in KINDS.items():
        assert str(how["title"]) in text or str(how["title"]).replace('"', "&#34;") in text, kind
    templates = {p.name.split(".")[0] for p in notices}
    assert {"cease_and_desist", "dmca"} <= templates, templates


def test_nothing_of_a_template_is_left(notices: dict[Path, str]) -> None:
    for path, text in notices.items():
        for leftover in ("{{", "}}", "{%", "%}", "None", "Undefined", "[]", "()"):
            assert leftover not in text, f"{path.name}: {leftover!r}"
        assert not re.search(r"\b(\w+) \1\b", text, flags=re.IGNORECASE) or path.suffix == ".json", \
            re.search(r"\b(\w+) \1\b", text, flags=re.IGNORECASE)


def test_explanations_open_as_sentences_and_give_each_reason_once(notices: dict[Path, str]) -> None:
    explanations = []
    for text in notices.values():
        explanations += re.findall(r"(?m)^(?:\[\d+\] |\s*Explanation: )(?!https?://)(\S.+)$", text)
    assert len(explanations) >= len(KINDS), explanations
    for line in explanations:
        assert line[0].isupper(), line
        _, _, evidence = line.partition(" Evidence: ")
        reasons = [r.strip() for r in evidence.rstrip(".").split("; ") if r.strip()]
        assert len(reasons) == len(set(reasons)), line
        prefixes = [r.partition(": ")[0] for r in reasons if ": '" in r]
        assert len(prefixes) == len(set(prefixes)), f"one reason said twice: {line}"


def test_registered_images_are_named_as_the_owner_knows_them(notices: dict[Path, str], registry: Registry) -> None:
    names = {p.name for p in registry.products}
    seen = 0
    for path, text in notices.items():
        for line in text.splitlines():
            if "matches the brand's" in line:
                seen += 1
                assert re.search(r"matches the brand's (photo|logo) \d", line), line
                assert "product:" not in line.partition("matches the brand's")[2].split(",")[0], line
        assert "registered asset" not in text, path.name
    assert seen, "no notice names a matched photo"
    assert any(name in "\n".join(notices.values()) for name in names)


def test_prices_read_as_amounts(notices: dict[Path, str]) -> None:
    prices = [m for text in notices.values() for m in re.findall(r"Price: ([0-9][0-9.,]*)", text)]
    assert prices
    for price in prices:
        assert re.fullmatch(r"\d+(\.\d\d)?", price), price


def test_every_attachment_a_notice_names_is_beside_it(notices: dict[Path, str]) -> None:
    named = 0
    for path, text in notices.items():
        for name in re.findall(r"attached \(([^)]+)\)", text):
            named += 1
            assert (path.parent / name).is_file(), f"{path}: names {name}"
    assert named


def test_a_logo_on_the_goods_is_a_trademark_claim_not_a_copied_photo(notices: dict[Path, str]) -> None:
    (noci,) = [t for p, t in notices.items() if p.name == "ebay_noci.txt"]
    items = {m.group(1): m.group(2) for m in re.finditer(r"(?ms)^Item number: (\S+)(.*?)(?=^Item number: |\Z)", noci)}
    logo_item = next(body for body in items.values() if "Outdoor parka for winter" in body)
    photo_item = next(body for body in items.values() if "Winter parka warm jacket" in body)
    assert "Trademark" in logo_item and "Copyright" not in logo_item, logo_item
    assert "Copyright" in photo_item, photo_item
