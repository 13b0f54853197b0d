"""Reading files a user points at (brand.yaml, listing JSON, catalogues, images) with a
size cap: a path may name a device, a FIFO or a file of gigabytes."""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

from filelock import FileLock, Timeout

from monitor.errors import MarkwatchError

__all__ = ["cache_dir", "held", "read_capped", "megabytes"]


@contextlib.contextmanager
def held(lock_path: str | Path, timeout: float,
         on_timeout: Callable[[], Exception] | None = None) -> Iterator[bool]:
    """Hold the file lock at `lock_path` for the block (True), or run the block without one
    (False) where its folder cannot hold a lock (read-only, not a folder). When another
    process holds it for over `timeout` s: raise `on_timeout()`, or without one run the
    block without the lock (False)."""
    lock = FileLock(str(lock_path), timeout=timeout)
    try:
        lock.acquire()
    except Timeout:
        if on_timeout is not None:
            raise on_timeout() from None
        yield False
        return
    except OSError:
        yield False
        return
    try:
        yield True
    finally:
        lock.release()


def cache_dir(kind: str) -> Path | None:
    """Where markwatch keeps what it can rebuild (`kind`: a subfolder): $MARKWATCH_CACHE_DIR,
    or the user's cache folder (~/.cache/markwatch on Linux); MARKWATCH_CACHE_DIR=off turns
    caching off (None)."""
    env = os.environ.get("MARKWATCH_CACHE_DIR")
    if env and env.lower() in ("off", "none", "0"):
        return None
    if env:
        return Path(env).expanduser() / kind
    import platformdirs

    return Path(platformdirs.user_cache_dir("markwatch")) / kind


def megabytes(limit: int) -> str:
    return f"{limit / 1_000_000:g} MB"


def read_capped(path: str | Path, limit: int, *, what: str = "file",
                error: type[MarkwatchError] = MarkwatchError) -> bytes:
    """The bytes of a regular file of at most `limit` bytes; anything else raises `error`
    with one line saying why. FileNotFoundError is left to the caller, which knows the fix."""
    path = Path(path)
    try:
        # stat before open: opening a FIFO would wait for a writer.
        if not stat.S_ISREG(path.stat().st_mode):
            article = "an" if what[:1] in ("a", "e", "i", "o", "u") else "a"
            raise error(f"{path}: not a regular file; give the path of {article} {what}")
        with path.open("rb") as handle:
            info = os.fstat(handle.fileno())
            if info.st_size > limit:
                raise error(f"{path}: {what} of {megabytes(info.st_size)} is over the "
                            f"{megabytes(limit)} limit")
            # The size can change between stat and read: never read past the cap.
            data = handle.read(limit + 1)
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise error(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if len(data) > limit:
        raise error(f"{path}: {what} over the {megabytes(limit)} limit")
    return data
