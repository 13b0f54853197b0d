"""Shared fixtures: real servers on loopback (PostgreSQL, Redis, the demo market) and an
installed Chromium. A fixture whose server cannot run here skips its tests with the reason."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
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
        pytest.skip("no Chromium installed (apt-get install chromium, or set MARKWATCH_CHROMIUM)")
    return path


@pytest.fixture(scope="session")
def demo_market() -> Iterator[object]:
    from monitor.demo_market.server import DemoMarket

    with DemoMarket() as market:
        yield market


@pytest.fixture()
def demo_brand() -> Path:
    return DEMO_BRAND


def run_cli(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None,
            timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """Run `markwatch ARGS` as a user would, in a fresh process."""
    return subprocess.run(
        [sys.executable, "-m", "monitor.cli", *args], cwd=cwd, capture_output=True, text=True,
        timeout=timeout, env={**os.environ, **(env or {}), "COLUMNS": "200"},
    )
