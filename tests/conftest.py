"""Shared fixtures: real servers on loopback (PostgreSQL, Redis, the demo market) and an
installed Chromium. A fixture whose server cannot run here skips its tests with the reason."""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from services import find_browser, postgres_server, redis_server

# On CI, property tests run a fixed set of examples with no time limit per example: a
# loaded machine must not turn a slow example into a failure, nor a new random example
# into a red main. Locally they explore new examples every run.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

# Built image indexes go to a cache folder of this test session, never the user's own
# (subprocesses such as `markwatch demo` inherit it).
os.environ["MARKWATCH_CACHE_DIR"] = tempfile.mkdtemp(prefix="markwatch-test-cache-")
# ... and removed with the session (the demo market's drawn photos are some megabytes).
atexit.register(shutil.rmtree, os.environ["MARKWATCH_CACHE_DIR"], ignore_errors=True)
# Runs assess in this process: starting worker processes costs seconds that a test's handful
# of listings never wins back. tests/test_run_workers.py and the demo test use workers.
os.environ.setdefault("MARKWATCH_WORKERS", "1")
# Reading words in photos is tested on its own (test_assess, test_image_matcher) and in the
# demo test, which runs as shipped; crawl and storage tests do not pay 0.2 s a photo for it.
os.environ.setdefault("MARKWATCH_OCR", "off")

ROOT = Path(__file__).resolve().parent.parent
DEMO_BRAND = ROOT / "examples" / "demo-brand" / "brand.yaml"
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    with postgres_server() as (url, reason):
        if url is None:
            pytest.skip(f"PostgreSQL not available: {reason}")
        yield url


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    with redis_server() as (url, reason):
        if url is None:
            pytest.skip(f"Redis not available: {reason}")
        yield url


@pytest.fixture(scope="session")
def browser_path() -> str:
    path = find_browser()
    if path is None:
        pytest.skip("no Chromium installed (apt-get install chromium-headless-shell, or set MARKWATCH_CHROMIUM)")
    return path


@pytest.fixture(scope="session")
def demo_market() -> Iterator[object]:
    from monitor.demo_market.server import DemoMarket

    with DemoMarket() as market:
        yield market


@pytest.fixture()
def demo_brand() -> Path:
    return DEMO_BRAND


# Timeouts, coherent: a subprocess's own timeout is always shorter than the test's
# (pytest-timeout's default in pyproject.toml, or the test's @pytest.mark.timeout), so a
# stuck child fails its test with its stderr and is killed with everything it started.
CLI_TIMEOUT = 300


def kill_group(proc: subprocess.Popen[str], *, grace: float = 5.0) -> None:
    """End `proc` and every process it started (its process group: the demo market, the
    Playwright driver): SIGTERM, so they clean up (Playwright closes its Chromium), then
    SIGKILL for whatever is left after `grace` seconds."""
    pgid = proc.pid  # started with start_new_session=True: its own group, led by it
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                try:
                    os.killpg(pgid, 0)
                except ProcessLookupError:
                    return
            time.sleep(0.1)


def popen(args: list[str], **kwargs: object) -> subprocess.Popen[str]:
    """subprocess.Popen in a process group of its own, for kill_group."""
    return subprocess.Popen(args, start_new_session=True, text=True, **kwargs)  # type: ignore[call-overload]


@pytest.fixture()
def spawn() -> Iterator[Callable[..., subprocess.Popen[str]]]:
    """Start processes (as `popen`) that are killed, with their whole process group, when the
    test ends, passed, failed or timed out."""
    started: list[subprocess.Popen[str]] = []

    def start(args: list[str], **kwargs: object) -> subprocess.Popen[str]:
        proc = popen(args, **kwargs)
        started.append(proc)
        return proc

    yield start
    for proc in started:
        kill_group(proc)


def run_cli(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None,
            timeout: float = CLI_TIMEOUT, columns: int = 200) -> subprocess.CompletedProcess[str]:
    """Run `markwatch ARGS` as a user would, in a fresh process; whatever it started is
    killed when it ends or runs over `timeout` seconds (which fails the test)."""
    proc = popen([sys.executable, "-m", "monitor.cli", *args], cwd=cwd, stdout=subprocess.PIPE,
                 stderr=subprocess.PIPE, env={**os.environ, **(env or {}), "COLUMNS": str(columns)})
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_group(proc)
        stdout, stderr = proc.communicate()
        pytest.fail(f"markwatch {' '.join(args)} ran over {timeout:.0f} s; its stderr ends:\n{stderr[-2000:]}")
    finally:
        kill_group(proc)
    return subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)
