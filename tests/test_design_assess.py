"""The assessor's design and video findings: a listing photo of a registered design's shape is
a "design" finding for review (with the design's number and expiry), none when the design has
expired or does not cover the marketplace; a listing video showing the brand's photo or a frame
of its own video is a "video_frame" finding saying when."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import DEMO_BRAND
from matchers.risk import FLAG_THRESHOLD
from media import bottle, brand_with_designs, encode, kettle, photo, scene
from monitor.assess import Assessor, ListingText
from monitor.registry import load_registry


def _assessor(tmp_path: Path, **kw) -> Assessor:
    return Assessor(load_registry(brand_with_designs(DEMO_BRAND, tmp_path / "brand", **kw)), image_cache=None)


def _item(title: str = "Insulated drinking bottle 750 ml") -> ListingText:
    return ListingText(platform="bazaar", title=title, seller="Bottle Barn", price=None)


@pytest.fixture(scope="module")
def assessor(tmp_path_factory) -> Assessor:
    return _assessor(tmp_path_factory.mktemp("a"))


def test_a_photo_of_the_design_is_a_design_finding_for_review(assessor: Assessor, tmp_path: Path) -> None:
    other, copy = tmp_path / "kettle.jpg", tmp_path / "copy.jpg"
    other.write_bytes(photo(kettle()))
    copy.write_bytes(photo(bottle(), scale=0.7, mirror=True, angle=6, ground="gradient"))
    result = assessor.assess(_item(), [other, copy])
    design = [f for f in result.findings if f.kind == "design"]
    assert len(design) == 1
    f = design[0]
    assert f.evidence == "design:0:0" and f.photo == 1  # the second photo
    for words in ("photo 2", "EUIPO registered Community design 015000123-0001", "drinking bottle",
                  "expires 2031-05-01", "silhouette overlap", "for counsel"):
        assert words in f.reason
    assert result.related and result.flagged and result.risk.score >= FLAG_THRESHOLD
    assert [n for n, _ in result.design_hits] == [1]
    assert any("EUIPO" in r for r in result.risk.reasons)


def test_other_shapes_give_no_design_finding(assessor: Assessor, tmp_path: Path) -> None:
    other = tmp_path / "kettle.jpg"
    other.write_bytes(photo(kettle(), mirror=True))
    wide = tmp_path / "wide.jpg"
    wide.write_bytes(photo(bottle(width=1.7)))
    result = assessor.assess(_item(), [other, wide])
    assert not result.related and result.findings == () and result.design_hits == ()


@pytest.mark.parametrize(("kw", "words"), [
    (dict(expires="2020-01-01"), "expired on 2020-01-01"),
    (dict(office="USPTO"), "in force only in US, not in SE where bazaar sells"),
])
def test_expired_or_elsewhere_is_a_note_not_a_finding(tmp_path: Path, kw, words) -> None:
    assessor = _assessor(tmp_path, video=False, **kw)
    copy = tmp_path / "copy.jpg"
    copy.write_bytes(photo(bottle(), scale=0.8))
    result = assessor.assess(_item(), [copy])
    assert not any(f.kind == "design" for f in result.findings)
    assert not result.flagged
    assert len(result.design_notes) == 1 and words in result.design_notes[0]
    assert "015000123-0001" in result.design_notes[0]


def test_a_listing_video_showing_the_brands_photo_or_video_frame(assessor: Assessor, tmp_path: Path) -> None:
    parka = assessor.registry.resolve(assessor.registry.products[0].images[0])
    from PIL import Image

    brand_photo = Image.open(parka).convert("RGB").resize((320, 320))
    stolen = encode(tmp_path / "stolen.mp4", [scene(40, (320, 320)), brand_photo], seconds_each=1.0)
    result = assessor.assess(_item("Winter parka"), [], [stolen])
    frames = [f for f in result.findings if f.kind == "video_frame"]
    assert frames and frames[0].evidence == f"product:{assessor.registry.products[0].sku}:0"
    assert "video 1" in frames[0].reason and "at 0:01" in frames[0].reason
    assert result.related and result.frame_hits[0].time >= 1.0
    # A video copying a scene of the brand's own product video: the frame it copies is named.
    copied = encode(tmp_path / "copied.webm", [scene(50), scene(2)], codec="libvpx", seconds_each=1.5)
    result = assessor.assess(_item("Bottle"), [], [copied])
    frames = [f for f in result.findings if f.kind == "video_frame"]
    assert frames and frames[0].evidence.startswith(f"video:{assessor.registry.products[0].sku}:0@")
    assert "frame at 0:01" in frames[0].reason and "video 1 of the" in frames[0].reason


def test_a_reupload_of_the_brands_video_is_one_finding(assessor: Assessor, tmp_path: Path) -> None:
    """Every key frame of the brand's video matches a re-upload of it: one finding for the
    video, at its best frame, saying how many more frames it shows (the risk counts the
    best one either way); a brand photo shown in the same video stays a finding of its own."""
    from PIL import Image

    parka = Image.open(assessor.registry.resolve(assessor.registry.products[0].images[0])).convert("RGB")
    reupload = encode(tmp_path / "reupload.mp4", [scene(1), scene(2), scene(3), parka.resize((320, 240))])
    result = assessor.assess(_item("Bottle"), [], [reupload])
    frames = [f for f in result.findings if f.kind == "video_frame"]
    sku = assessor.registry.products[0].sku
    of_video = [f for f in frames if f.evidence.startswith(f"video:{sku}:0@")]
    assert len(of_video) == 1, [f.reason for f in frames]
    assert "2 more of that video's key frames" in of_video[0].reason
    assert f"product:{sku}:0" in [f.evidence for f in frames if not f.evidence.startswith("video:")]
    # every matched frame is kept for the evidence, the three of the video among them
    assert sum(h.key.startswith(f"video:{sku}:0@") for h in result.frame_hits) == 3


def test_an_unrelated_or_corrupt_video(assessor: Assessor, tmp_path: Path) -> None:
    own = encode(tmp_path / "own.mp4", [scene(60), scene(61)])
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\x00\x00\x00\x18ftypisom" + b"\x01" * 500)
    result = assessor.assess(_item(), [], [own, broken])
    assert result.findings == () and not result.related
    assert len(result.image_errors) == 1 and "broken.mp4" in result.image_errors[0]


def _decoding_spied(monkeypatch: pytest.MonkeyPatch) -> tuple[list[object], list[str]]:
    """What monitor.assess decodes, and the kind of image each route's words reader gets."""
    import monitor.assess as assess_mod

    decoded: list[object] = []
    read: list[str] = []
    real_open, real_read = assess_mod.open_image, assess_mod.read_text

    def open_image(source, **kw):  # type: ignore[no-untyped-def]
        decoded.append(source)
        return real_open(source, **kw)

    def read_text(image, **kw):  # type: ignore[no-untyped-def]
        read.append(type(image).__name__)
        return real_read(image, **kw)

    monkeypatch.setattr(assess_mod, "open_image", open_image)
    monkeypatch.setattr(assess_mod, "read_text", read_text)
    return decoded, read


def _reading(tmp_path: Path) -> Assessor:
    """An assessor of the brand with designs, reading words too (the tests' default is off)."""
    return Assessor(load_registry(brand_with_designs(DEMO_BRAND, tmp_path / "brand")), image_cache=None, ocr=True)


def _two_photos(tmp_path: Path) -> list[Path]:
    other, copy = tmp_path / "kettle.jpg", tmp_path / "copy.jpg"
    other.write_bytes(photo(kettle()))
    copy.write_bytes(photo(bottle(), scale=0.7, mirror=True, angle=6, ground="gradient"))
    return [other, copy]


def test_every_route_shares_one_decode_of_each_photo_and_finds_the_same(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    paths = _two_photos(tmp_path)
    decoded, read = _decoding_spied(monkeypatch)
    shared = _reading(tmp_path / "a").assess(_item(), paths)
    assert decoded == paths  # each photo once, for the image, words and design routes
    assert read == ["Image", "Image"]  # the words were read off the shared decode, on both photos
    assert [n for n, _ in shared.design_hits] == [1]
    # The same photos as bytes: each route decodes them itself (a fresh assessor: no memo).
    decoded.clear()
    own = _reading(tmp_path / "b").assess(_item(), [p.read_bytes() for p in paths])
    assert decoded == [] and read[2:] == ["bytes", "bytes"]
    assert own.findings == shared.findings and own.design_hits == shared.design_hits
    assert own.risk == shared.risk


def test_a_photo_over_the_shared_budget_is_left_to_each_route(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import monitor.assess as assess_mod

    paths = _two_photos(tmp_path)
    decoded, read = _decoding_spied(monkeypatch)
    within = _reading(tmp_path / "a").assess(_item(), paths)
    monkeypatch.setattr(assess_mod, "SHARED_PHOTO_PIXELS", 100)
    decoded.clear()
    over = _reading(tmp_path / "b").assess(_item(), paths)
    assert decoded == [] and read[2:] == ["PosixPath", "PosixPath"]
    assert over.findings == within.findings and over.design_hits == within.design_hits
