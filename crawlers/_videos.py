"""The videos a listing page shows: schema.org VideoObject (contentUrl, then embedUrl), the
og:video tags, and <video>/<source> elements; as absolute http(s) URLs, files first."""

from __future__ import annotations

from typing import Any

import lxml.html

from ._document import decode_html, parse_html
from ._normalize import absolute_url
from ._structured import json_ld_items, type_names

__all__ = ["MAX_VIDEOS", "video_urls"]

MAX_VIDEOS = 8  # a listing page with more is a gallery of others' products
_MAX_URL = 2_000
_OG_VIDEO = ("og:video:secure_url", "og:video:url", "og:video")
# Video hosts' player pages are HTML, not video files: kept after every file, and the
# downloader's format check turns them away.
_VIDEO_TYPES = frozenset({"videoobject", "clip", "movie"})


def _absolute(href: Any, base: str) -> str | None:
    if not isinstance(href, str) or not href.strip() or len(href) > _MAX_URL:
        return None
    url = absolute_url(href.strip(), base)
    return url if url and url.startswith(("http://", "https://")) else None


def _json_ld_videos(root: lxml.html.HtmlElement) -> tuple[list[Any], list[Any]]:
    """(file URLs, player URLs) of VideoObjects, whether top-level or a product's `video`."""
    files: list[Any] = []
    players: list[Any] = []
    stack: list[Any] = list(json_ld_items(root))
    seen = 0
    while stack and seen < 2_000:
        node = stack.pop(0)
        seen += 1
        if isinstance(node, list):
            stack[:0] = node[:50]
            continue
        if not isinstance(node, dict):
            continue
        if type_names(node) & _VIDEO_TYPES:
            files += [v for v in _values(node.get("contentUrl"))]
            players += [v for v in _values(node.get("embedUrl"))]
        for key in ("video", "subjectOf", "hasPart"):
            if isinstance(node.get(key), (dict, list)):
                stack.append(node[key])
    return files, players


def _values(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value[:10]
    if isinstance(value, dict):  # {"@id": ...} or {"url": ...}
        return [value.get("@id") or value.get("url")]
    return [value]


def video_urls(html: str | bytes, url: str, *, encoding: str | None = None, limit: int = MAX_VIDEOS) -> tuple[str, ...]:
    """The page's video URLs, resolved against the page (or its <base href>), deduplicated,
    video files first (VideoObject contentUrl, og:video, <video>/<source>), then players
    (VideoObject embedUrl), at most `limit`."""
    try:
        root = parse_html(decode_html(html, encoding=encoding))
    except (RecursionError, ValueError):
        return ()
    base_element = root.find(".//base[@href]")
    base = absolute_url(base_element.get("href"), url) if base_element is not None else None
    base = base or url
    files, players = _json_ld_videos(root)
    for meta in root.iter("meta"):
        name = (meta.get("property") or meta.get("name") or "").strip().lower()
        if name in _OG_VIDEO:
            files.append(meta.get("content"))
    for video in root.iter("video"):
        files.append(video.get("src"))
        files += [source.get("src") for source in video.iter("source")]
    out: list[str] = []
    for href in files + players:
        resolved = _absolute(href, base)
        if resolved and resolved not in out:
            out.append(resolved)
        if len(out) >= limit:
            break
    return tuple(out)
