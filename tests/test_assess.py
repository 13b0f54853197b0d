"""The assessment joins the matchers for one listing; OCR finds a mark printed in a photo."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from conftest import DEMO_BRAND
from monitor.assess import Assessor, ListingText
from monitor.registry import load_registry

REGISTRY = load_registry(DEMO_BRAND)


def _poster(text: str) -> bytes:
    img = Image.new("RGB", (900, 360), (236, 232, 226))
    draw = ImageDraw.Draw(img)
    try:
        font = ImageFont.truetype("DejaVuSans-Bold.ttf", 120)
    except OSError:
        font = ImageFont.load_default(size=120)
    draw.text((60, 110), text, fill=(25, 25, 30), font=font)
    out = io.BytesIO()
    img.save(out, "JPEG", quality=92)
    return out.getvalue()


def test_ocr_finds_a_mark_printed_in_the_photo() -> None:
    pytest.importorskip("rapidocr_onnxruntime", reason="the OCR extra is not installed")
    assessor = Assessor(REGISTRY, ocr=True)
    item = ListingText(platform="bazaar", title="Winter parka, warm, hooded", seller="Someone")
    # lower case: the logo (an upper-case wordmark) does not match it, so only reading finds it
    found = assessor.assess(item, [_poster("n0rvik")])
    assert any(f.field == "image text" and f.kind == "mark" for f in found.findings), found.findings
    # the word's box in the photo, so the review page can draw it
    (read,) = [f for f in found.findings if f.field == "image text" and f.kind == "mark"]
    assert read.photo == 0 and read.region is not None and read.region[2] > read.region[0]
    assert found.related
    without = Assessor(REGISTRY, ocr=False).assess(item, [_poster("n0rvik")])
    assert not any(f.field == "image text" for f in without.findings)
    plain = assessor.assess(item, [_poster("WARM PARKA")])
    assert not any(f.field == "image text" for f in plain.findings)
    # spent where it can pay: not when the title names the mark already, nor past the first photos
    named = assessor.assess(ListingText(platform="bazaar", title="Norvik winter parka", seller="Someone"),
                            [_poster("n0rvik")])
    assert not any(f.field == "image text" for f in named.findings) and named.related
    late = assessor.assess(item, [_poster("WARM PARKA"), _poster("HOODED"), _poster("n0rvik")])
    assert not any(f.field == "image text" for f in late.findings)
    # photo by photo: once one photo's words name a mark, the next is not read
    both = assessor.assess(item, [_poster("n0rvik"), _poster("Trailforge")])
    assert {f.photo for f in both.findings if f.field == "image text"} == {0}
    second = assessor.assess(item, [_poster("HOODED"), _poster("Trailforge")])
    assert {f.photo for f in second.findings if f.field == "image text"} == {1}


def test_missing_ocr_extra_is_one_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from matchers.errors import OcrUnavailableError

    def absent(_image, **_kw):  # type: ignore[no-untyped-def]
        raise OcrUnavailableError("reading text in images needs rapidocr-onnxruntime, a markwatch dependency")

    monkeypatch.setattr("monitor.assess.read_text", absent)
    assessor = Assessor(REGISTRY, ocr=True)
    item = ListingText(platform="bazaar", title="Winter parka")
    first = assessor.assess(item, [_poster("n0rvik")])
    assert any("rapidocr-onnxruntime" in e for e in first.image_errors)
    assert assessor.ocr is False  # said once; the rest of the run goes on without OCR


def test_genuine_listing_is_low_risk_and_counterfeit_is_flagged() -> None:
    assessor = Assessor(REGISTRY, ocr=False)
    parka = REGISTRY.resolve(Path("assets/parka.jpg"))
    genuine = assessor.assess(ListingText(platform="bazaar", title="Norvik Fjell Parka", price=Decimal("349"),
                                          currency="EUR", seller="Norvik Official Store"), [parka])
    fake = assessor.assess(ListingText(platform="bazaar", title="N0RV1K Fjell Parka 1:1 replica",
                                       price=Decimal("59"), currency="EUR", seller="Cheap Gear"), [parka])
    assert genuine.authorised and not genuine.flagged
    assert fake.flagged and fake.risk.score > genuine.risk.score
    kinds = {f.kind for f in fake.findings}
    assert {"mark", "image", "replica_wording", "price", "seller"} <= kinds


def test_a_failing_listing_is_recorded_and_the_rest_are_assessed(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from monitor.db import Database, ListingInput
    from monitor.run import Monitor, RunSummary

    db = Database(str(tmp_path / "mw.db"))
    # in this process, so the failing matcher below is the one used (workers share this path)
    monitor = Monitor(REGISTRY, db, images_dir=tmp_path / "images", workers=1)
    for i in range(3):
        db.upsert_listing(ListingInput("bazaar", f"BZ-{i}", f"http://127.0.0.1/{i}", title=f"Norvik parka {i}"))
    real = monitor.assessor.assess

    def fails_on_one(item: ListingText, images=(), videos=()):  # type: ignore[no-untyped-def]
        if item.title.endswith("1"):
            raise RuntimeError("matcher crashed")
        return real(item, images, videos)

    monkeypatch.setattr(monitor.assessor, "assess", fails_on_one)
    summary = RunSummary()
    assert monitor.assess_pending(summary=summary) == 3
    assert summary.assessed == 2
    assert any("BZ-1" in e and "matcher crashed" in e for e in summary.errors)
    assert [row.listing_id for row in db.unassessed()] == ["BZ-1"]  # tried again next run


def _copy_brand(tmp: Path) -> Path:
    import shutil

    shutil.copytree(DEMO_BRAND.parent, tmp / "brand")
    return tmp / "brand" / "brand.yaml"


def _hit_keys(assessor: Assessor, photo: bytes) -> list[str]:
    return [h.key for h in assessor.images.query(photo)]


def _jpeg_of(path: Path) -> bytes:
    out = io.BytesIO()
    with Image.open(path) as img:
        img.convert("RGB").transpose(Image.Transpose.FLIP_LEFT_RIGHT).save(out, "JPEG", quality=80)
    return out.getvalue()


def test_image_index_is_built_once_and_rebuilt_when_an_asset_changes(tmp_path: Path) -> None:
    brand_file = _copy_brand(tmp_path)
    cache = tmp_path / "cache"
    registry = load_registry(brand_file)
    assets = brand_file.parent / "assets"
    first = Assessor(registry, image_cache=cache)
    assert not first.images_from_cache and len(list(cache.glob("*.npz"))) == 1
    second = Assessor(registry, image_cache=cache)
    assert second.images_from_cache and second.images.keys() == first.images.keys()
    parka, tent = _jpeg_of(assets / "parka.jpg"), _jpeg_of(assets / "tent.jpg")
    for photo in (parka, tent):
        assert second.images.query(photo) == first.images.query(photo) != []
    # The parka photo is replaced by the tent's: the cached index no longer stands for the brand.
    parka_key = _hit_keys(first, parka)[0]
    (assets / "parka.jpg").write_bytes((assets / "tent.jpg").read_bytes())
    third = Assessor(load_registry(brand_file), image_cache=cache)
    assert not third.images_from_cache
    assert parka_key in _hit_keys(third, tent) and parka_key not in _hit_keys(third, parka)


def _build_after(barrier, brand_file: str, cache: str, out) -> None:  # type: ignore[no-untyped-def]
    registry = load_registry(Path(brand_file))
    barrier.wait()
    out.put(Assessor(registry, image_cache=Path(cache)).images_from_cache)


def test_processes_starting_together_build_the_index_once(tmp_path: Path) -> None:
    # A run's worker processes start at the same moment on an empty cache: one builds the
    # brand's index, the others wait for it and read it.
    import multiprocessing

    brand_file = _copy_brand(tmp_path)
    ctx = multiprocessing.get_context("spawn")
    barrier, out = ctx.Barrier(3), ctx.Queue()
    procs = [ctx.Process(target=_build_after, args=(barrier, str(brand_file), str(tmp_path / "cache"), out))
             for _ in range(3)]
    for proc in procs:
        proc.start()
    from_cache = sorted(out.get(timeout=300) for _ in procs)
    for proc in procs:
        proc.join(timeout=60)
    assert from_cache == [False, True, True]
    assert len(list((tmp_path / "cache").glob("*.npz"))) == 1


def test_a_broken_or_unwritable_cache_costs_a_rebuild_never_a_failure(tmp_path: Path) -> None:
    brand_file = _copy_brand(tmp_path)
    registry = load_registry(brand_file)
    # check-brand refuses a corrupt image; one that breaks after the registry was read
    # (replaced on disk during a run) is an asset error, not a failure.
    (brand_file.parent / "assets" / "boot.jpg").write_bytes(b"\xff\xd8 not a jpeg at all")
    cache = tmp_path / "cache"
    built = Assessor(registry, image_cache=cache)
    assert len(built.asset_errors) == 1 and "boot.jpg" in built.asset_errors[0]
    cached = Assessor(registry, image_cache=cache)
    assert cached.images_from_cache and cached.asset_errors == built.asset_errors  # the error is kept
    (saved,) = cache.glob("*.npz")
    saved.write_bytes(b"PK\x03\x04 truncated")
    rebuilt = Assessor(registry, image_cache=cache)
    assert not rebuilt.images_from_cache and rebuilt.images.keys() == built.images.keys()
    assert Assessor(registry, image_cache=cache).images_from_cache  # the rebuild replaced the bad file
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    assert Assessor(registry, image_cache=blocked / "cache").images.keys() == built.images.keys()
    assert Assessor(registry, image_cache=None).images.keys() == built.images.keys()


def test_a_lone_word_of_a_mark_counts_only_beside_the_brands_goods() -> None:
    from monitor.registry import Mark as RegisteredMark

    extra = RegisteredMark(text="Dr. Halvo", registrations=REGISTRY.marks[0].registrations)
    assessor = Assessor(REGISTRY.model_copy(update={"marks": (*REGISTRY.marks, extra)}), ocr=False)

    def mark_score(title: str) -> tuple[float, int]:
        found = assessor.assess(ListingText(platform="bazaar", title=title, seller="Someone"))
        return max(f.score for f in found.findings if f.kind == "mark"), found.risk.score

    beside_goods, _ = mark_score("Halvo parka, warm and hooded")  # class 25 and a product keyword
    alone, risk = mark_score("Halvo: a family history, paperback")
    assert beside_goods > 0.6 > 0.3 > alone
    assert risk < 50  # a weak, reviewable hit, never flagged on its own


def test_reading_words_is_on_as_shipped_and_the_environment_can_turn_it_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MARKWATCH_OCR", raising=False)
    assert Assessor(REGISTRY, image_cache=None).ocr is True  # brand.yaml's default
    off = REGISTRY.model_copy(update={"settings": REGISTRY.settings.model_copy(update={"ocr": False})})
    assert Assessor(off, image_cache=None).ocr is False
    monkeypatch.setenv("MARKWATCH_OCR", "off")
    assert Assessor(REGISTRY, image_cache=None).ocr is False
    monkeypatch.setenv("MARKWATCH_OCR", "on")
    assert Assessor(off, image_cache=None).ocr is True


def test_the_same_photo_on_many_listings_is_matched_once_with_the_same_findings(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import monitor.assess as assess_mod

    stolen = _jpeg_of(REGISTRY.resolve(Path("assets/parka.jpg")))
    paths = []
    for n in range(3):  # one photo under three addresses, as a seller network shows it
        paths.append(tmp_path / f"listing-{n}.jpg")
        paths[-1].write_bytes(stolen)
    item = ListingText(platform="bazaar", title="Winter parka, warm, hooded", price=Decimal("59"),
                       currency="EUR", seller="Cheap Gear")
    assessor = Assessor(REGISTRY, ocr=False)
    first = assessor.assess(item, [paths[0]])
    assert any(f.kind == "image" for f in first.findings)
    before = assessor.photo_memo_hits
    again = assessor.assess(item, [paths[1]])
    assert assessor.photo_memo_hits > before
    fresh = Assessor(REGISTRY, ocr=False).assess(item, [paths[1]])
    assert again.finding_rows() == first.finding_rows() == fresh.finding_rows()
    # shown twice in one listing (after an unrelated photo): cited where it is first
    other = tmp_path / "other.jpg"
    other.write_bytes(_poster("HOODED"))
    twice = assessor.assess(item, [other, paths[2], paths[0]])
    assert {f.photo for f in twice.findings if f.kind == "image"} == {1}
    # a broken photo is an error on every listing that shows it, not only the first
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(stolen[: len(stolen) // 3])
    for _ in range(2):
        errors = assessor.assess(item, [other, broken]).image_errors
        # which photo, by its place and file name, once: not the folder, not the path twice
        assert len(errors) == 1 and errors[0].startswith("photo 2 (broken.jpg): ")
        assert errors[0].count("broken.jpg") == 1 and str(tmp_path) not in errors[0]
    # the memo is bounded
    monkeypatch.setattr(assess_mod, "PHOTO_MEMO", 2)
    for n in range(4):
        assessor.assess(item, [_poster(f"WORD {n}")])
    assert len(assessor._photo_memo) <= 2
