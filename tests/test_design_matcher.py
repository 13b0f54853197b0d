"""Design similarity: a registration's line drawing against listing photos of that shape
(scaled, turned a little, mirrored, on plain and shaded grounds) and of other shapes."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from media import bottle, drawing, kettle, photo
from matchers.design import DESIGN_THRESHOLD, DesignHit, DesignIndex, compare, silhouette
from matchers.errors import ImageDecodeError, ShapeNotFoundError


@pytest.fixture(scope="module")
def index() -> DesignIndex:
    idx = DesignIndex()
    idx.add("design:bottle", drawing(bottle()))
    return idx


@pytest.mark.parametrize("kw", [
    dict(), dict(scale=0.6), dict(angle=10), dict(angle=-12), dict(mirror=True),
    dict(ground="gradient", scale=0.8, dx=0.08), dict(colour=(30, 60, 200), mirror=True, angle=5),
])
def test_a_photo_of_the_registered_shape_is_found(index: DesignIndex, kw) -> None:
    hits = index.query(photo(bottle(), **kw))
    assert [h.key for h in hits] == ["design:bottle"]
    assert hits[0].score >= DESIGN_THRESHOLD


def test_a_mirror_image_is_found_and_said_to_be_mirrored() -> None:
    idx = DesignIndex()
    idx.add("design:kettle", drawing(kettle()))
    plain, mirrored = idx.query(photo(kettle(), scale=0.8)), idx.query(photo(kettle(), scale=0.8, mirror=True))
    assert [h.mirrored for h in plain] == [False]
    assert [h.mirrored for h in mirrored] == [True]


def test_another_shape_and_other_proportions_are_not_the_design(index: DesignIndex) -> None:
    assert index.query(photo(kettle())) == []
    assert index.query(photo(kettle(), mirror=True, ground="gradient")) == []
    assert index.query(photo(bottle(width=1.7))) == []
    # ...and their scores really sit below a copy's, not only below the cutoff.
    close = index.query(photo(bottle(width=1.7)), score_cutoff=0.0)[0].score
    copy = index.query(photo(bottle(), scale=0.7), score_cutoff=0.0)[0].score
    assert close < copy


@settings(max_examples=12, deadline=None)
@given(scale=st.floats(0.5, 1.1), angle=st.floats(-15, 15), mirror=st.booleans())
def test_score_is_robust_to_scale_small_rotation_and_mirroring(scale, angle, mirror) -> None:
    hit = compare(drawing(bottle()), photo(bottle(), scale=scale, angle=angle, mirror=mirror))
    assert isinstance(hit, DesignHit)
    assert 0.0 <= hit.score <= 1.0
    assert hit.score >= DESIGN_THRESHOLD


def test_a_silhouette_is_normalised_whatever_the_size() -> None:
    small, large = silhouette(photo(bottle(), scale=0.5)), silhouette(photo(bottle(), scale=1.0))
    iou = (small.mask & large.mask).sum() / (small.mask | large.mask).sum()
    assert iou > 0.85
    assert small.share < large.share


def test_blank_and_corrupt_images() -> None:
    blank = io.BytesIO()
    Image.new("RGB", (200, 200), "white").save(blank, "PNG")
    with pytest.raises(ShapeNotFoundError):
        DesignIndex().add("design:x", blank.getvalue())
    idx = DesignIndex()
    idx.add("design:bottle", drawing(bottle()))
    assert idx.query(blank.getvalue()) == []  # nothing stands out: no shape, no finding
    with pytest.raises(ImageDecodeError):
        idx.query(b"\x89PNG\r\n\x1a\n not really")
    # A listing's bad photo is skipped within the listing's photos.
    hits = idx.query_many([b"garbage", photo(bottle(), scale=0.8)])
    assert [h.key for h in hits] == ["design:bottle"]
