"""Find a Chromium for Playwright: an existing browser first (MARKWATCH_CHROMIUM, then the
system's headless shell or chromium), else `playwright install chromium`, else the OS
package; say which.

markwatch only ever runs Chromium headless (rendering pages, photographing them for
evidence), so Chromium's headless shell comes first where it is installed: the same Blink
and V8 without the full browser's window, profile and UI layers, as Playwright itself
launches for headless pages when it manages its browsers. On the demo market's rendered
crawl (bench/crawl_speed.py, 329 pages, the same Chromium 156 build): 697 pages a minute at
144 ms of CPU a page and a 690 MiB peak, against 545 at 201 ms and 829 MiB for the full
browser. Debian and Ubuntu package it as `chromium-headless-shell`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from monitor.errors import BrowserNotFoundError

__all__ = ["Browser", "find_chromium", "screenshot_browser"]

_HEADLESS_NAMES = ("chromium-headless-shell", "chrome-headless-shell")
_SYSTEM_NAMES = (*_HEADLESS_NAMES, "chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
# The OS packages the last resort installs (as root, with apt-get): the headless shell where
# the distribution has it, the full browser (older releases) otherwise.
_OS_PACKAGES = ("chromium-headless-shell", "chromium")


@dataclass(frozen=True, slots=True)
class Browser:
    path: str
    source: str  # "MARKWATCH_CHROMIUM" | "system" | "playwright" | "playwright install" | "OS package"

    def describe(self) -> str:
        return f"Chromium: {self.path} ({self.source})"


def _playwright_managed() -> str | None:
    try:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            path = p.chromium.executable_path
    except Exception:  # noqa: BLE001 - no driver, no browser: just not this way
        return None
    return path if path and Path(path).is_file() else None


def _system() -> str | None:
    for name in _SYSTEM_NAMES:
        if found := shutil.which(name):
            return found
    return None


def find_chromium(*, install: bool = True) -> Browser:
    """The browser Playwright should launch; installs one only when none is found."""
    env = os.environ.get("MARKWATCH_CHROMIUM")
    if env:
        if Path(env).is_file() and os.access(env, os.X_OK):
            return Browser(env, "MARKWATCH_CHROMIUM")
        raise BrowserNotFoundError(
            f"MARKWATCH_CHROMIUM={env} is not an executable file; fix it or unset it"
        )
    if found := _system():
        return Browser(found, "system")
    if found := _playwright_managed():
        return Browser(found, "playwright")
    if install:
        done = subprocess.run(
            [sys.executable, "-m", "playwright", "install", "chromium"],
            capture_output=True, text=True, timeout=900, check=False,
        )
        if done.returncode == 0 and (found := _playwright_managed()):
            return Browser(found, "playwright install")
        if shutil.which("apt-get") and hasattr(os, "geteuid") and os.geteuid() == 0:
            env_vars = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
            subprocess.run(["apt-get", "update", "-qq"], capture_output=True, timeout=600,
                           check=False, env=env_vars)
            for package in _OS_PACKAGES:
                subprocess.run(["apt-get", "install", "-y", "-qq", package], capture_output=True,
                               timeout=900, check=False, env=env_vars)
                if found := _system():
                    return Browser(found, "OS package")
    raise BrowserNotFoundError(
        "no Chromium found: install one (e.g. `apt-get install chromium-headless-shell` or "
        "`playwright install chromium`) or point MARKWATCH_CHROMIUM at it"
    )


def screenshot_browser() -> tuple[str | None, str | None]:
    """The Chromium for evidence screenshots, as (path, None), or (None, why there is none).
    Never downloads one: drafting a notice is no reason to install a browser, and a notice
    without a screenshot is still worth drafting."""
    try:
        return find_chromium(install=False).path, None
    except BrowserNotFoundError as exc:
        return None, f"no screenshots: {exc}"
