"""The exact binary searches under the image matcher: the hash table's radius search returns
every stored hash within the radius and nothing else, with its true distance, whatever order
rows and queries arrive in; the keypoint neighbour search returns the true nearest descriptors."""

from __future__ import annotations

import cv2
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from matchers._hashindex import HashTable
from matchers._keypoints import _binary_index, _knn

u64 = st.integers(min_value=0, max_value=2**64 - 1)


def _near(base: int, flips: list[int]) -> int:
    for bit in flips:
        base ^= 1 << bit
    return base


@st.composite
def tables(draw):
    """Stored hashes clustered around a few centres (as crops of one photo are), in batches."""
    centres = draw(st.lists(u64, min_size=1, max_size=4))
    rows = draw(st.lists(
        st.tuples(st.sampled_from(centres), st.lists(st.integers(0, 63), max_size=24)), min_size=0, max_size=60))
    stored = [_near(c, flips) for c, flips in rows]
    cut = draw(st.integers(0, len(stored)))
    queries = draw(st.lists(st.one_of(u64, st.builds(_near, st.sampled_from(centres), st.lists(st.integers(0, 63), max_size=20))),
                            min_size=0, max_size=12))
    return stored[:cut], stored[cut:], queries, draw(st.integers(0, 64))


@settings(max_examples=200)
@given(tables())
def test_search_matches_brute_force(case) -> None:
    first, second, queries, radius = case
    table = HashTable.empty()
    for owner, batch in enumerate((first, second)):
        if batch:
            arr = np.array(batch, np.uint64)
            table.extend(arr, ~arr, owner, np.zeros(len(arr), np.int16))
        if owner == 0 and queries:
            table.search(np.array(queries, np.uint64), radius)  # builds the index before the second batch
    stored = first + second
    want = sorted(
        (q, s, bin(a ^ b).count("1")) for q, a in enumerate(queries) for s, b in enumerate(stored)
        if bin(a ^ b).count("1") <= radius
    )
    qi, si, dist = table.search(np.array(queries, np.uint64), radius)
    got = sorted(zip(qi.tolist(), si.tolist(), dist.tolist()))
    assert got == want
    assert len(table) == len(stored)
    assert table.owner[si].tolist() == [0 if s < len(first) else 1 for s in si.tolist()]


def test_first_searches_from_many_threads_see_each_row_once() -> None:
    # The clearance API answers requests on a thread pool: the first queries arrive together
    # while the table still holds its rows in pending batches.
    from concurrent.futures import ThreadPoolExecutor

    rng = np.random.default_rng(7)
    batches = [rng.integers(0, 2**63, 5_000, dtype=np.uint64) for _ in range(40)]
    stored = np.concatenate(batches)
    queries = stored[::997] ^ np.uint64(0b1011)
    want = sorted(zip(*(a.tolist() for a in np.nonzero(np.bitwise_count(stored[None, :] ^ queries[:, None]) <= 6))))
    for _attempt in range(5):
        table = HashTable.empty()
        for owner, batch in enumerate(batches):
            table.extend(batch, batch, owner, np.zeros(len(batch), np.int16))
        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(lambda _: table.search(queries, 6), range(16)))
        assert len(table) == len(stored) and table._codes().ntotal == len(stored)
        for qi, si, _dist in results:
            assert sorted(zip(qi.tolist(), si.tolist())) == want


@settings(max_examples=100)
@given(st.integers(0, 2**32 - 1), st.integers(0, 300), st.integers(0, 40), st.integers(1, 3))
def test_descriptor_neighbours_are_the_true_nearest(seed: int, n_stored: int, n_query: int, k: int) -> None:
    rng = np.random.default_rng(seed)
    stored = rng.integers(0, 256, (n_stored, 32), dtype=np.uint8)
    # Queries near stored rows (a few flipped bits), and some far from all of them.
    picks = stored[rng.integers(0, max(1, n_stored), n_query)] if n_stored else rng.integers(0, 256, (n_query, 32), dtype=np.uint8)
    queries = picks ^ (rng.random((n_query, 32)) < 0.03).astype(np.uint8) * rng.integers(1, 256, (n_query, 32), dtype=np.uint8)
    dist, rows = _knn(queries, _binary_index(stored), k)
    assert dist.shape == rows.shape == (n_query, k)
    full = np.bitwise_count(queries[:, None, :] ^ stored[None, :, :]).sum(axis=2) if n_stored else np.zeros((n_query, 0))
    for q in range(n_query):
        want = sorted(full[q].tolist())[:k]
        found = [(int(d), int(r)) for d, r in zip(dist[q], rows[q]) if r >= 0]
        assert [d for d, _ in found] == want
        assert all(full[q, r] == d for d, r in found)
        assert all(d == 256 for d, r in zip(dist[q], rows[q]) if r < 0)


def test_a_large_pool_votes_through_an_inverted_file_for_the_right_owners() -> None:
    from matchers._keypoints import IVF_MIN_ROWS, KeypointPool

    rng = np.random.default_rng(11)
    owners = IVF_MIN_ROWS // 200 + 20
    stored = rng.integers(0, 256, (owners, 200, 32), dtype=np.uint8)
    pool = KeypointPool()
    for owner in range(owners):
        pool.add(owner, stored[owner])
    assert type(pool.index()).__name__ == "IndexBinaryIVF"
    # A photo of owner 7 seen again: its descriptors with a few bits flipped (ORB repeats).
    noise = (rng.random((200, 32, 8)) < 0.04).astype(np.uint8)
    flips = np.packbits(noise, axis=2).reshape(200, 32)
    votes = pool.vote(stored[7] ^ flips)
    assert max(votes, key=votes.get) == 7 and votes[7] >= 180 and sum(votes.values()) - votes[7] <= 5
    # Cells saved and given back give the same votes without training again.
    again = KeypointPool()
    for owner in range(owners):
        again.add(owner, stored[owner])
    again.use_centroids(pool.centroids())
    assert again.vote(stored[7] ^ flips) == votes
    again.use_centroids(np.zeros((3, 16), np.uint8))  # cells of another shape are not used
    assert again.vote(stored[7] ^ flips)[7] >= 180


@settings(max_examples=300)
@given(st.integers(1, 5000), st.integers(4, 40), st.sampled_from([0.0, 0.2, 0.35, 0.5]))
def test_homography_draws_suffice_for_the_weakest_accepted_fit(n: int, min_inliers: int, share: float) -> None:
    """The homography's RANSAC draws enough samples to find the weakest fit verify accepts
    (all but 1e-4 of the time), unless held at the cap; more matches never mean fewer draws
    when the weakest accepted share falls."""
    from matchers._keypoints import _MIN_ITERS, _RANSAC_MISS, _homography_iters

    iters = _homography_iters(n, min_inliers, share)
    assert _MIN_ITERS <= iters <= 2000
    need = max(min_inliers, min(3 * min_inliers, int(np.ceil(share * n))))
    w = min(1.0, need / n)
    assert iters == 2000 or (1 - w**4) ** iters <= _RANSAC_MISS
    if iters < 2000:  # and not far more than that needs
        assert iters == _MIN_ITERS or (1 - w**4) ** (iters - 1) > _RANSAC_MISS


def test_verify_finds_a_copy_whose_matches_are_mostly_chance() -> None:
    """A copy explaining just the share of the matches verify asks for (14 of 40: the rest
    chance matches scattered over the query) is found, seed after seed: the homography's
    draws, fewer now for few matches, still reach it."""
    from matchers._keypoints import Features, verify

    found = 0
    for seed in range(40):
        rng = np.random.default_rng(seed)
        n_true, n_chance = 14, 26
        asset_xy = rng.uniform(20, 460, (n_true + n_chance, 2)).astype(np.float32)
        desc = rng.integers(0, 256, (n_true + n_chance, 32), dtype=np.uint8)
        hom = np.array([[1.6, 0.12, 140.0], [-0.08, 1.5, 90.0], [2e-4, 1e-4, 1.0]])
        moved = cv2.perspectiveTransform(asset_xy[:n_true].reshape(-1, 1, 2).astype(np.float64), hom).reshape(-1, 2)
        moved += rng.normal(0, 1.0, moved.shape)
        chance = rng.uniform(0, 1000, (n_chance, 2))
        query_xy = np.vstack([moved, chance]).astype(np.float32)
        # The query's other descriptors: far from every asset descriptor, so each match's
        # runner-up is far and the ratio test keeps all 40.
        filler = rng.integers(0, 256, (300, 32), dtype=np.uint8)
        asset = Features(asset_xy, desc, (480, 480))
        query = Features(np.vstack([query_xy, rng.uniform(0, 1000, (300, 2)).astype(np.float32)]),
                         np.vstack([desc, filler]), (1000, 1000))
        fit = verify(asset, query, min_inliers=14, min_inlier_share=0.35, min_area=0.04)
        found += fit is not None and fit.inliers >= 14
    assert found == 40
