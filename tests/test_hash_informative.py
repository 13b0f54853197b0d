"""`informative` (which hash windows hold enough structure to be compared) against its plain
definition, on thumbnails drawn to sit near each of its thresholds: flat, noisy, a faint
drawing on a plain background (a placeholder), a strong one (a wordmark on white)."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from matchers._hashindex import THUMB, informative


def _plain_definition(small: np.ndarray, min_std: float = 6.0) -> np.ndarray:
    flat = small.reshape(len(small), -1)
    deviation = np.abs(flat - np.median(flat, axis=1, keepdims=True))
    background = (deviation < 4.0).mean(axis=1)
    faint = np.percentile(deviation, 99, axis=1) < 70.0
    return (flat.std(axis=1) >= min_std) & ~((background >= 0.8) & faint)


@st.composite
def thumbnails(draw: st.DrawFn) -> np.ndarray:
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    out = []
    for _ in range(draw(st.integers(1, 12))):
        base = np.full((THUMB, THUMB), rng.uniform(0, 255), np.float32)
        share = draw(st.sampled_from([0.0, 0.05, 0.15, 0.19, 0.2, 0.21, 0.3, 0.6, 1.0]))
        strength = draw(st.sampled_from([2.0, 5.0, 30.0, 69.0, 70.0, 71.0, 120.0]))
        mask = rng.random((THUMB, THUMB)) < share
        base[mask] += np.float32(strength) * rng.choice([-1.0, 1.0], mask.sum()).astype(np.float32)
        base += rng.normal(0, draw(st.sampled_from([0.0, 0.5, 3.0])), base.shape).astype(np.float32)
        out.append(np.clip(base, 0, 255))
    return np.stack(out).astype(np.float32)


@given(thumbnails())
def test_informative_keeps_exactly_what_its_definition_keeps(small: np.ndarray) -> None:
    assert informative(small).tolist() == _plain_definition(small).tolist()


def test_informative_on_the_cases_it_exists_for() -> None:
    flat = np.full((THUMB, THUMB), 200.0, np.float32)
    placeholder = flat.copy()
    placeholder[12:20, 12:20] = 150.0  # a faint icon on a plain card
    wordmark = flat.copy()
    wordmark[12:20, 4:28] = 10.0  # dark letters on white
    photo = np.random.default_rng(1).uniform(0, 255, (THUMB, THUMB)).astype(np.float32)
    assert informative(np.stack([flat, placeholder, wordmark, photo])).tolist() == [False, False, True, True]
