"""Exceptions raised by the crawlers.

    CrawlerError
    └── ExtractionInputError   extract_listing was called with something that is not a page
                               (html neither str nor bytes, url not a str, unknown encoding name)

Broken or hostile HTML is not an error: extraction returns a `Listing` whose unknown fields
are None.
"""

from __future__ import annotations

__all__ = ["CrawlerError", "ExtractionInputError"]


class CrawlerError(Exception):
    """Base of every error the crawlers raise."""


class ExtractionInputError(CrawlerError, TypeError):
    """The arguments to `extract_listing` are not a page (a caller's bug, not a bad page)."""
