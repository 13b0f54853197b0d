"""brand.yaml `designs:` and product `videos:`: loaded and checked like the rest, a corrupt
or shapeless figure and a corrupt video each one line naming the file, the field and the fix."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from conftest import DEMO_BRAND, run_cli
from media import bottle, drawing, encode, scene, with_designs
from monitor.errors import RegistryError
from monitor.registry import load_registry

DESIGNS = """
designs:
  - number: "015000123-0001"
    office: EUIPO
    expires: 2031-05-01
    product: drinking bottle
    sku: {sku}
    figures: [design/bottle-1.png]
  - number: D987,654
    office: uspto
    status: registered
    expires: 2038-01-02
    product: drinking bottle
    figures: [design/bottle-1.png]
"""


@pytest.fixture()
def brand(tmp_path: Path) -> Path:
    folder = tmp_path / "brand"
    shutil.copytree(DEMO_BRAND.parent, folder)
    (folder / "design").mkdir()
    (folder / "design" / "bottle-1.png").write_bytes(drawing(bottle()))
    encode(folder / "assets" / "film.mp4", [scene(1), scene(2)])
    path = folder / "brand.yaml"
    text = path.read_text(encoding="utf-8")
    sku = load_registry(path).products[0].sku
    first = "    images: [assets/parka.jpg]\n"  # the first product gets a video
    assert first in text
    text = text.replace(first, first + "    videos: [assets/film.mp4]\n", 1)
    path.write_text(with_designs(text, DESIGNS.format(sku=sku)), encoding="utf-8")
    return path


def test_designs_and_videos_load(brand: Path) -> None:
    registry = load_registry(brand)
    rcd, patent = registry.designs[:2]  # ours first, then the demo brand's own
    assert rcd.label == "EUIPO registered Community design 015000123-0001"
    assert patent.label == "USPTO design patent D987,654"
    assert rcd.covers("DE") and rcd.covers("EU") and not rcd.covers("US")
    assert patent.covers("US") and not patent.covers("GB")
    assert rcd.in_force(dt.date(2030, 1, 1)) and rcd.why_not_in_force(dt.date(2032, 1, 1)) == "expired on 2031-05-01"
    figures = list(registry.design_figures())
    assert [k for k, _, _ in figures][:2] == ["design:0:0", "design:1:0"]
    assert registry.design_of("design:1:0") == (patent, 1) and registry.design_of("design:7:0") is None
    # the test product's video first, then the demo brand's own product video
    assert [k for k, _ in registry.video_files()][0] == f"video:{registry.products[0].sku}:0"


def _break(brand: Path, old: str, new: str) -> str:
    brand.write_text(brand.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    with pytest.raises(RegistryError) as err:
        load_registry(brand)
    return str(err.value)


BAD = [
    ("unknown office", "office: uspto", "office: USPTOX", ["designs[1].office", "USPTOX", "EUIPO"]),
    ("no expiry", "    expires: 2038-01-02\n", "", ["designs[1].expires", "add it"]),
    ("no figures", "    figures: [design/bottle-1.png]\n", "    figures: []\n", ["designs[0].figures"]),
    ("hague without parties", "office: uspto", "office: WIPO", ["designs[1]", "jurisdictions"]),
    ("bad status", "status: registered\n    expires: 2038", "status: granted\n    expires: 2038", ["designs[1].status"]),
    ("missing figure", "figures: [design/bottle-1.png]\n  - number: D", "figures: [design/nope.png]\n  - number: D",
     ["designs[0].figures[0]", "nope.png", "not found"]),
]


@pytest.mark.parametrize(("what", "old", "new", "words"), BAD, ids=[b[0] for b in BAD])
def test_a_bad_design_is_one_clear_line(brand: Path, what: str, old: str, new: str, words: list[str]) -> None:
    message = _break(brand, old, new)
    assert len(message.splitlines()) == 1, message
    assert str(brand) in message
    for word in words:
        assert word in message


def test_corrupt_figure_and_video_each_one_line(brand: Path) -> None:
    (brand.parent / "design" / "bottle-1.png").write_bytes(b"\x89PNG\r\n\x1a\nbroken")
    (brand.parent / "assets" / "film.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 300)
    message = str(pytest.raises(RegistryError, load_registry, brand).value)
    lines = message.splitlines()
    assert len(lines) == 3, message  # the figure, used by both designs, and the video
    assert "designs[0].figures[0]" in lines[0] and "not a readable image" in lines[0]
    assert "designs[1].figures[0]" in lines[1]
    assert "products[0].videos[0]" in lines[2] and "not a playable video" in lines[2]


def test_a_figure_with_no_shape_is_refused(brand: Path) -> None:
    from PIL import Image

    Image.new("RGB", (300, 300), "white").save(brand.parent / "design" / "bottle-1.png")
    message = str(pytest.raises(RegistryError, load_registry, brand).value)
    assert "no object stands out" in message and "designs[0].figures[0]" in message


def test_check_brand_exit_2_on_a_corrupt_video(brand: Path) -> None:
    (brand.parent / "assets" / "film.mp4").write_bytes(b"not a video at all")
    result = run_cli("check-brand", str(brand))
    assert result.returncode == 2
    assert "videos[0]" in result.stderr and "Traceback" not in result.stderr
