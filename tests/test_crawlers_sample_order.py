"""The listing sample as a pure function of (seed, platform, candidates): property tests
without a crawl (the crawl-level tests are in test_crawlers_sampling.py)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from crawlers.spiders.listings import ListingSpider

IDS = st.lists(st.from_regex(r"[A-Z]{2}-\d{3,6}", fullmatch=True), min_size=0, max_size=60, unique=True)


def _sample(ids: list[str], *, seed: int, cap: int, platform: str = "bazaar") -> list[str]:
    spider = ListingSpider(platform, max_listings=cap, sample_seed=seed)
    for listing_id in ids:
        spider._candidates[listing_id] = f"http://127.0.0.1/bazaar/item/{listing_id}"
    return spider.sample()


@given(IDS, st.randoms(use_true_random=False), st.integers(0, 2**32), st.integers(0, 70))
@settings(max_examples=150, deadline=None)
def test_sample_ignores_the_order_candidates_arrived_in(ids: list[str], rnd, seed: int, cap: int) -> None:  # type: ignore[no-untyped-def]
    shuffled = list(ids)
    rnd.shuffle(shuffled)
    first = _sample(ids, seed=seed, cap=cap)
    assert first == _sample(shuffled, seed=seed, cap=cap)
    assert len(first) == min(cap, len(ids)) and len(set(first)) == len(first)


@given(IDS, st.integers(0, 2**32), st.integers(1, 70))
@settings(max_examples=100, deadline=None)
def test_a_larger_cap_extends_the_sample(ids: list[str], seed: int, cap: int) -> None:
    small, large = _sample(ids, seed=seed, cap=cap), _sample(ids, seed=seed, cap=cap + 5)
    assert large[: len(small)] == small


def test_other_seeds_draw_other_samples() -> None:
    ids = [f"BZ-{n}" for n in range(1000, 1200)]
    samples = {tuple(sorted(_sample(ids, seed=seed, cap=10))) for seed in range(20)}
    assert len(samples) == 20
    # and each listing is about as likely as any other to be drawn over many seeds
    counts: dict[str, int] = {}
    for seed in range(400):
        for url in _sample(ids, seed=seed, cap=10):
            counts[url] = counts.get(url, 0) + 1
    assert len(counts) > 180 and max(counts.values()) < 60


# -- the cap itself ------------------------------------------------------------------------

@given(st.lists(st.sampled_from([f"BZ-{n}" for n in range(40)]), max_size=120), st.integers(0, 50))
@settings(max_examples=100, deadline=None)
def test_a_cap_claims_each_listing_once_and_no_more_than_the_limit(claims: list[str], limit: int) -> None:
    from crawlers.caps import ListingCap

    cap = ListingCap(limit)
    granted = [lid for lid in claims if cap.claim(lid)]
    assert len(granted) == len(set(granted)) == min(limit, len(set(claims)))
    assert granted == list(dict.fromkeys(claims))[: len(granted)]  # first come, first served
    assert cap.remaining() == limit - len(granted) and all(lid in cap for lid in granted)


def test_processes_on_one_redis_share_one_cap(redis_url: str) -> None:
    """Two crawl processes of one run (two caps on one Redis key, claiming from threads at once)
    read at most the run's cap between them, and never the same listing twice."""
    from concurrent.futures import ThreadPoolExecutor

    from crawlers.caps import ListingCap

    key = f"markwatch:test-cap-{id(object())}:listings:bazaar"
    caps = [ListingCap(25, redis_url=redis_url, key=key) for _ in range(2)]
    ids = [f"BZ-{n}" for n in range(60)]

    def claim_all(cap: ListingCap) -> list[str]:
        return [lid for lid in ids if cap.claim(lid)]

    with ThreadPoolExecutor(2) as pool:
        got = list(pool.map(claim_all, caps))
    assert len(got[0]) + len(got[1]) == 25 and not set(got[0]) & set(got[1])
    assert caps[0].remaining() == caps[1].remaining() == 0
    other_run = ListingCap(25, redis_url=redis_url, key=key + ":next")
    assert other_run.claim("BZ-0") and other_run.remaining() == 24
