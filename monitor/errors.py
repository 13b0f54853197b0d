"""Exceptions of the markwatch application.

    MarkwatchError                 anything the CLI reports as one line, exit code 2
    ├── RegistryError              brand.yaml is missing, malformed or invalid
    ├── StorageError               the database cannot be opened or migrated
    ├── BrowserNotFoundError       no Chromium for Playwright could be found or installed
    ├── CrawlError                 a crawl could not start (bad watch entry, no base URL)
    ├── InputError                 a user's input file (listing JSON, CSV) is unusable
    ├── MailError                  the digest could not be mailed
    └── TakedownRefused            a notice would be invalid; carries the reason
"""

from __future__ import annotations

__all__ = [
    "MarkwatchError",
    "RegistryError",
    "StorageError",
    "BrowserNotFoundError",
    "CrawlError",
    "InputError",
    "MailError",
    "TakedownRefused",
]


class MarkwatchError(Exception):
    """Base of every error the CLI turns into one line and exit code 2."""


class RegistryError(MarkwatchError):
    """brand.yaml is missing, malformed or fails validation."""


class StorageError(MarkwatchError):
    """The database could not be opened, reached or migrated."""


class BrowserNotFoundError(MarkwatchError):
    """No Chromium could be found or installed for Playwright."""


class CrawlError(MarkwatchError):
    """A crawl could not start."""


class InputError(MarkwatchError):
    """A user's input file is unusable."""


class MailError(MarkwatchError):
    """The digest could not be mailed: no settings, no password, or the server refused."""


class TakedownRefused(MarkwatchError):
    """A takedown notice would be invalid, so none was drafted."""
