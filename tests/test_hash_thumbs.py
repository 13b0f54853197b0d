"""`thumbs` (every hash window of an image area-resampled to 32 x 32 at once, read off the
image's integral) against its plain definition, OpenCV's INTER_AREA resize of each window:
random images, smooth and noisy, and random windows, larger and smaller than a thumbnail."""

from __future__ import annotations

import cv2
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from matchers._hashindex import THUMB, dhash_batch, phash_batch, thumbs


@st.composite
def image_and_boxes(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    h, w = draw(st.integers(8, 400)), draw(st.integers(8, 400))
    gray = (rng.random((h, w)) * 255).astype(np.float32)
    if draw(st.booleans()):
        gray = cv2.GaussianBlur(gray, (0, 0), draw(st.sampled_from([1.0, 4.0])))
    boxes = [(0, 0, w, h)]  # the whole image, as every query has
    for _ in range(draw(st.integers(0, 30))):
        x0, x1 = sorted(int(v) for v in rng.integers(0, w + 1, 2))
        y0, y1 = sorted(int(v) for v in rng.integers(0, h + 1, 2))
        if x1 - x0 >= 8 and y1 - y0 >= 8:
            boxes.append((x0, y0, x1, y1))
    return gray, np.array(boxes)


def _plain_definition(gray: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    return np.stack([cv2.resize(gray[y0:y1, x0:x1], (THUMB, THUMB), interpolation=cv2.INTER_AREA)
                     for x0, y0, x1, y1 in boxes])


@settings(max_examples=150, deadline=None)
@given(image_and_boxes())
def test_thumbs_are_each_windows_area_resize(case: tuple[np.ndarray, np.ndarray]) -> None:
    gray, boxes = case
    got, want = thumbs(gray, boxes), _plain_definition(gray, boxes)
    assert got.shape == want.shape and got.dtype == np.float32
    # the same means to float rounding (pixels are 0-255)
    assert np.abs(got - want).max() < 1e-3
    # and so the same hashes, bar a coefficient within rounding of the median
    flips = np.bitwise_count(phash_batch(got) ^ phash_batch(want)) + np.bitwise_count(dhash_batch(got) ^ dhash_batch(want))
    assert flips.sum() <= 1


def test_thumbs_of_a_constant_image_are_that_constant() -> None:
    gray = np.full((300, 200), 77.0, np.float32)
    small = thumbs(gray, np.array([(0, 0, 200, 300), (13, 7, 190, 251), (50, 50, 60, 60)]))
    assert np.allclose(small, 77.0, atol=1e-3)
