"""Reading files a user points at (brand.yaml, listing JSON, catalogues, images) with a
size cap: a path may name a device, a FIFO or a file of gigabytes."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from monitor.errors import MarkwatchError

__all__ = ["cache_dir", "read_capped", "megabytes"]


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
