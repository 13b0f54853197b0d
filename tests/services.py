"""Real servers for the tests, started on loopback in scratch folders: PostgreSQL (a
throwaway cluster) and Redis. Each returns None, with the reason, when the binaries are
not on this machine; `.ci/run` installs them from the OS packages."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["free_port", "postgres_server", "redis_server", "find_browser"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_port(port: int, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return True
        time.sleep(0.1)
    return False


def _pg_bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


@contextmanager
def postgres_server() -> Iterator[tuple[str | None, str]]:
    """(url, reason): a URL of a fresh database on a throwaway cluster, or None and why."""
    if url := os.environ.get("MARKWATCH_TEST_PG_URL"):
        yield url, "MARKWATCH_TEST_PG_URL"
        return
    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    if not initdb or not pg_ctl:
        yield None, "no PostgreSQL server binaries (apt-get install postgresql)"
        return
    as_user: list[str] = []
    folder = Path(tempfile.mkdtemp(prefix="markwatch-pg-"))
    if os.geteuid() == 0:
        # PostgreSQL refuses to run as root: run the cluster as the postgres user.
        if not shutil.which("runuser"):
            yield None, "running as root without runuser to start PostgreSQL"
            return
        as_user = ["runuser", "-u", "postgres", "--"]
        shutil.chown(folder, "postgres")
    data, port = folder / "data", free_port()
    try:
        subprocess.run([*as_user, initdb, "-D", str(data), "-U", "markwatch", "--auth=trust", "-E", "UTF8"],
                       check=True, capture_output=True, timeout=120)
        subprocess.run([*as_user, pg_ctl, "-D", str(data), "-l", str(folder / "log"), "-w", "start",
                        "-o", f"-h 127.0.0.1 -p {port} -k {folder} -F"],
                       check=True, capture_output=True, timeout=120)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        yield None, f"PostgreSQL did not start: {exc} {detail.decode(errors='replace')[-300:]}"
        shutil.rmtree(folder, ignore_errors=True)
        return
    try:
        yield f"postgresql+psycopg://markwatch@127.0.0.1:{port}/postgres", "throwaway cluster"
    finally:
        subprocess.run([*as_user, pg_ctl, "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True, timeout=60)
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def redis_server() -> Iterator[tuple[str | None, str]]:
    binary = shutil.which("redis-server")
    if not binary:
        yield None, "no redis-server binary (apt-get install redis-server)"
        return
    port = free_port()
    folder = tempfile.mkdtemp(prefix="markwatch-redis-")
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", folder],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        if not _wait_port(port):
            yield None, "redis-server did not start"
            return
        yield f"redis://127.0.0.1:{port}/0", "local redis-server"
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        shutil.rmtree(folder, ignore_errors=True)


def find_browser() -> str | None:
    """An installed Chromium, without installing one (tests never download)."""
    from monitor.browser import find_chromium
    from monitor.errors import BrowserNotFoundError

    try:
        return find_chromium(install=False).path
    except BrowserNotFoundError:
        return None
