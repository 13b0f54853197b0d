"""Speed and size of matchers.image: hashing rate beside imagehash.phash, candidate search at
10k / 100k / 1M stored hashes, whole-query rate, and memory per stored asset.
Run: .venv/bin/python bench/image_speed.py   (one core is used; figures are noisy on a shared box)
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from image_accuracy import jpeg, logo_in_photo, make_logos, real_photos  # noqa: E402

from matchers._hashindex import HashTable  # noqa: E402
from matchers.image import ImageIndex, _query_windows, hash_image  # noqa: E402


def rate(fn, items, *, repeat: int = 1) -> float:
    """Items per second over `repeat` passes."""
    fn(items[0])  # warm caches and lazy imports
    t0 = time.perf_counter()
    for _ in range(repeat):
        for item in items:
            fn(item)
    return repeat * len(items) / (time.perf_counter() - t0)


def cpu_ms(fn, items) -> float:
    """Mean CPU milliseconds per item (the one-core cost, whatever else runs on the machine)."""
    fn(items[0])
    t0 = time.process_time()
    for item in items:
        fn(item)
    return (time.process_time() - t0) * 1000 / len(items)


def timed(fn, *, repeat: int) -> float:
    fn()
    t0 = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - t0) / repeat


def numpy_radius(stored: np.ndarray, queries: np.ndarray, radius: int, block: int = 1 << 12) -> list:
    """Exact radius search by broadcast XOR and popcount, in cache-sized blocks."""
    return [np.nonzero(np.bitwise_count(stored[s: s + block][None, :] ^ queries[:, None]) <= radius)
            for s in range(0, len(stored), block)]


def candidate_search(photos: dict[str, np.ndarray],
                     totals: tuple[int, ...] = (10_000, 100_000, 1_000_000)) -> dict[int, float]:
    """Print the candidate search table; return the hash stage of a whole query, in ms, by stored hashes."""
    print("\n== candidate search (exact Hamming radius 15; FAISS binary flat index, one thread)")
    rng = np.random.default_rng(0)
    print(f"{'stored hashes':>14}{'1 hash: ms':>12}{'queries/s':>11}{'hash stage of a query: ms':>27}{'queries/s':>11}"
          f"{'search alone: ms':>18}{'numpy popcount: ms':>20}")
    index = ImageIndex()
    assets = list(photos.items())[:8]
    for name, arr in assets:
        index.add(name, jpeg(arr, 92))
    query = index._prepare(jpeg(assets[0][1][::-1].copy(), 80), 1024)
    windows = len(_query_windows(query.gray_hash)[0])
    stage: dict[int, float] = {}
    for total in totals:
        n_whole = total * 8 // 88  # per asset: 8 whole-image hashes and 80 inner crops
        n_crops = total - n_whole
        table = HashTable(rng.integers(0, 2**63, n_whole, dtype=np.uint64), rng.integers(0, 2**63, n_whole, dtype=np.uint64),
                          np.zeros(n_whole, np.int32), np.zeros(n_whole, np.int16))
        flat = HashTable(np.concatenate([table.phash, rng.integers(0, 2**63, n_crops, dtype=np.uint64)]),
                         np.zeros(total, np.uint64), np.zeros(total, np.int32), np.zeros(total, np.int16))
        q1 = np.array([rng.integers(0, 2**63)], np.uint64)
        single = timed(lambda: flat.search(q1, 15), repeat=50)
        big = ImageIndex()
        big._keys, big._kinds, big._features = index._keys, index._kinds, index._features
        big._whole = HashTable(*(np.concatenate([getattr(index._whole, k), getattr(table, k)]) for k in ("phash", "dhash", "owner", "variant")))
        big._crops = HashTable(rng.integers(0, 2**63, n_crops, dtype=np.uint64), rng.integers(0, 2**63, n_crops, dtype=np.uint64),
                               np.zeros(n_crops, np.int32), np.full(n_crops, 8, np.int16))
        full = timed(lambda: big._hash_search(query, {}, {}), repeat=20)
        stage[total] = full * 1000
        # The same exact search by numpy broadcasting (what the index did before FAISS).
        qs = np.resize(q1, windows)
        pairs = ((big._whole.phash, qs), (big._crops.phash, qs[:2]))
        brute = timed(lambda: [numpy_radius(stored, q, 15) for stored, q in pairs], repeat=5)
        alone = timed(lambda: (big._whole.search(qs, 15), big._crops.search(qs[:2], 15)), repeat=20)
        print(f"{total:>14,}{single * 1000:>12.2f}{1 / single:>11.0f}{full * 1000:>27.2f}{1 / full:>11.0f}{alone * 1000:>18.2f}{brute * 1000:>20.1f}")
    print("(stored hashes are random 64-bit values: an exhaustive search costs the same whatever they hold;")
    print(f" the hash stage cuts {windows} windows from the query, hashes them and searches: every window against the")
    print(" whole-image rows (1/11 of the table), the whole query against all rows; the last two columns are that search alone, as shipped and by numpy)")
    return stage


def main() -> None:
    import imagehash

    photos = real_photos()
    print(f"{len(photos)} real photos")
    with tempfile.TemporaryDirectory() as tmp:
        native, large = [], []
        for name, arr in photos.items():
            img = Image.fromarray(arr)
            p = Path(tmp) / f"{name}.jpg"
            img.save(p, "JPEG", quality=90)
            native.append(p)
            # Marketplaces serve product photos at 1000-2000 px: hash those too.
            f = 1600 / max(img.size)
            q = Path(tmp) / f"{name}-1600.jpg"
            img.resize((round(img.width * f), round(img.height * f)), Image.Resampling.BICUBIC).save(q, "JPEG", quality=90)
            large.append(q)

        print("\n== hashing (images/s, one core)")
        print(f"{'set':<26}{'hash_image':>12}{'imagehash.phash':>17}{'ratio':>8}{'full decode':>13}")
        for label, files in (("native (~0.3 Mpx)", native), ("listing size (1600 px)", large)):
            ours = rate(hash_image, files, repeat=3)
            theirs = rate(lambda p: imagehash.phash(Image.open(p)), files, repeat=3)
            decode = rate(lambda p: Image.open(p).convert("RGB"), files, repeat=3)
            print(f"{label:<26}{ours:>12.1f}{theirs:>17.1f}{ours / theirs:>7.1f}x{decode:>13.1f}")

    candidate_search(photos)

    print("\n== ORB neighbour search: a logo's descriptors against a query photo's (2 nearest each, exact)")
    import cv2

    from matchers._keypoints import _binary_index, _knn, extract
    logo_gray = cv2.cvtColor(np.asarray(make_logos()[next(iter(make_logos()))]), cv2.COLOR_RGB2GRAY)
    photo_gray = cv2.cvtColor(list(photos.values())[10], cv2.COLOR_RGB2GRAY)
    asset = extract(cv2.resize(logo_gray, None, fx=2, fy=2), 600, levels=12).desc
    seen = extract(cv2.resize(photo_gray, None, fx=1024 / max(photo_gray.shape), fy=1024 / max(photo_gray.shape)), 4000).desc
    matcher = cv2.BFMatcher(cv2.NORM_HAMMING)
    ocv = timed(lambda: matcher.knnMatch(asset, seen, k=2), repeat=20)
    ours = timed(lambda: _knn(asset, _binary_index(seen), 2), repeat=20)
    print(f"{len(asset)} x {len(seen)} descriptors: OpenCV BFMatcher {ocv * 1000:.1f} ms, FAISS (as shipped) {ours * 1000:.1f} ms,"
          f" {ocv / ours:.1f}x")

    print("\n== photo votes at scale: a query photo's 1500 descriptors against 200 per registered photo")
    from matchers._keypoints import IVF_MIN_ROWS, KeypointPool

    crops = np.random.default_rng(5)
    views = []
    for n in range(1000):  # a brand's many product shots: crops of the real photos at other scales
        arr = list(photos.values())[n % len(photos)]
        h, w = arr.shape[:2]
        f = crops.uniform(0.4, 0.9)
        y, x = crops.integers(0, h - int(h * f) + 1), crops.integers(0, w - int(w * f) + 1)
        g = cv2.cvtColor(np.ascontiguousarray(arr[y: y + int(h * f), x: x + int(w * f)]), cv2.COLOR_RGB2GRAY)
        views.append(extract(cv2.resize(g, (480, max(8, int(480 * g.shape[0] / g.shape[1])))), 400).desc[:200])
    probe = extract(cv2.cvtColor(list(photos.values())[3], cv2.COLOR_RGB2GRAY), 1500).desc
    print(f"{'registered photos':>18}{'rows':>9}{'index':>16}{'build: s':>10}{'vote: ms':>10}{'exhaustive: ms':>16}"
          f"{'clear matches kept':>20}")
    for n_assets in (100, 250, 1000):
        pool = KeypointPool()
        for owner in range(n_assets):
            pool.add(owner, views[owner])
        t0 = time.perf_counter()
        built = pool.index()
        build = time.perf_counter() - t0
        flat = _binary_index(pool.desc)
        shipped = timed(lambda: _knn(probe, built, 2), repeat=5)
        exhaustive = timed(lambda: _knn(probe, flat, 2), repeat=3)
        (d0, r0), (d1, r1) = _knn(probe, flat, 2), _knn(probe, built, 2)
        clear0 = (d0[:, 0] < 0.85 * d0[:, 1]) & (d0[:, 0] <= 64)
        kept = clear0 & (r1[:, 0] == r0[:, 0]) & (d1[:, 0] < 0.85 * d1[:, 1])
        print(f"{n_assets:>18}{len(pool.desc):>9,}{type(built).__name__.removeprefix('IndexBinary'):>16}{build:>10.2f}"
              f"{shipped * 1000:>10.1f}{exhaustive * 1000:>16.1f}{f'{kept.sum()}/{clear0.sum()}':>20}")
    print(f"(past {IVF_MIN_ROWS:,} rows the vote searches an inverted file; its cells are saved with the index,"
          " so only the first build trains them)")

    print("\n== whole query (decode, hash windows, ORB + RANSAC on the shortlist), CPU ms per query on one core")
    items = list(photos.items())
    copies = [jpeg(arr[:, ::-1].copy(), 80) for _, arr in items[:8]]  # mirrored registered photos
    others = [jpeg(arr, 80) for _, arr in items[8:20]]  # photos that match nothing
    logos = list(make_logos().items())[:2]
    scene = random.Random(3)
    in_photo = [jpeg(logo_in_photo(arr, items[8 + n % 12][1], scene), 88) for n, (_, arr) in enumerate(logos * 3)]
    cases = (("copies of registered photos", copies), ("unrelated photos", others), ("logo in a photo", in_photo))
    print(f"{'case':<30}{'8 photos':>10}{'8 photos + 2 logos':>20}")
    figures: dict[str, list[float]] = {label: [] for label, _ in cases}
    for with_logos in (False, True):
        if with_logos:
            for name, arr in logos:
                index.add(name, jpeg(arr, 92), kind="logo")
        for label, queries in cases:
            figures[label].append(cpu_ms(index.query, queries))
    for label, (plain, logoed) in figures.items():
        print(f"{label:<30}{plain:>10.0f}{logoed:>20.0f}")
    print("(a logo costs two keypoint checks per query, as printed and mirrored; a whole-image copy skips them)")

    print("\n== memory per stored asset")
    with tempfile.TemporaryDirectory() as tmp:
        full_index = ImageIndex()
        for name, arr in photos.items():
            full_index.add(name, jpeg(arr, 92))
        n = len(full_index)
        w, c = full_index._whole, full_index._crops
        rows = len(w) + len(c)  # len() also folds pending rows into the arrays
        hash_bytes = sum(getattr(t, k).nbytes for t in (w, c) for k in ("phash", "dhash", "owner", "variant"))
        hash_bytes += sum(t._codes().ntotal * t._codes().code_size for t in (w, c))  # FAISS's copy of the pHashes
        kp_bytes = sum(f.xy.nbytes + f.desc.nbytes for f in full_index._features)
        path = Path(tmp) / "index.npz"
        full_index.save(path)
        print(f"hashes: {rows / n:.0f} per asset, {hash_bytes / n / 1024:.1f} KiB per asset in memory")
        print(f"keypoints: {sum(len(f.desc) for f in full_index._features) / n:.0f} per asset, {kp_bytes / n / 1024:.1f} KiB per asset")
        print(f"saved .npz: {path.stat().st_size / n / 1024:.1f} KiB per asset ({n} assets)")


if __name__ == "__main__":
    main()
