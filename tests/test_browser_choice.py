"""Which Chromium markwatch launches: the headless shell before the full browser, an
explicit MARKWATCH_CHROMIUM before either, and a clear error for a bad one."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from monitor.browser import find_chromium
from monitor.errors import BrowserNotFoundError


def _executable(folder: Path, name: str) -> Path:
    path = folder / name
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


@pytest.fixture
def only_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A PATH of one empty folder, so the machine's own browsers are out of sight."""
    folder = tmp_path / "bin"
    folder.mkdir()
    monkeypatch.setenv("PATH", str(folder))
    monkeypatch.delenv("MARKWATCH_CHROMIUM", raising=False)
    return folder


@pytest.mark.parametrize("shell", ["chromium-headless-shell", "chrome-headless-shell"])
@pytest.mark.parametrize("full", ["chromium", "google-chrome"])
def test_the_headless_shell_comes_before_the_full_browser(only_path: Path, shell: str, full: str) -> None:
    _executable(only_path, full)
    expected = _executable(only_path, shell)
    found = find_chromium(install=False)
    assert (found.path, found.source) == (str(expected), "system")


def test_the_full_browser_is_used_where_no_shell_is_installed(only_path: Path) -> None:
    expected = _executable(only_path, "chromium")
    assert find_chromium(install=False).path == str(expected)


def test_markwatch_chromium_comes_first(only_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _executable(only_path, "chromium-headless-shell")
    chosen = _executable(only_path.parent, "my-chrome")
    monkeypatch.setenv("MARKWATCH_CHROMIUM", str(chosen))
    found = find_chromium(install=False)
    assert (found.path, found.source) == (str(chosen), "MARKWATCH_CHROMIUM")


def test_no_browser_and_no_install_is_one_clear_error(only_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # No Playwright-managed browser either: its driver looks under this empty folder.
    monkeypatch.setenv("PLAYWRIGHT_BROWSERS_PATH", str(only_path))
    with pytest.raises(BrowserNotFoundError, match="chromium-headless-shell"):
        find_chromium(install=False)
    monkeypatch.setenv("MARKWATCH_CHROMIUM", str(only_path / "missing"))
    with pytest.raises(BrowserNotFoundError, match="not an executable file"):
        find_chromium(install=False)
