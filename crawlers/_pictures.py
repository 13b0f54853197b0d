"""Which image URLs are one picture in several renditions: shops serve the same photo at many
sizes and crops, with the size baked into the path ("/500x500/", "_grande", ".1280.1280")."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, unquote, urlsplit

__all__ = ["picture_key", "same_picture"]

_EXTENSION = re.compile(r"\.(jpe?g|png|webp|avif|gif|bmp|tiff?)$", re.I)
# Size and rendition words that shops put around a file name; removed repeatedly from the end.
_RENDITION_SUFFIX = re.compile(
    r"(?:[_\-.](?:\d{1,4}x\d{0,4}|x\d{1,4}|[vtwhq]\d{2,4}|s|m|l|xs|xl|xxl|lg|sm|md|large|small|medium|"
    r"grande|thumb|thumbnail|zoom|big|hires|master|compact|pico|icon|mini|full|original|main|hero|lhero)"
    r"|\.\d{2,4}\.\d{2,4})$",
    re.I,
)
_SIZE_ANYWHERE = re.compile(r"\d{2,4}x\d{2,4}", re.I)
# A handler script's query names the picture; size parameters only pick a rendition.
_GENERIC_HANDLER = re.compile(r"\.(aspx?|php|jsp|ashx|cgi)$|^[a-z]*(service|handler|image|delivery)$", re.I)
_SIZE_PARAM = re.compile(r"^(w|h|wid|hei|width|height|size|fit|crop|qlt|quality|fmt|format|recipe\w*|resize\w*|"
                         r"scale|dpr|v|ts|op_\w+|resmode|icc\w*|\$\w+\$)$", re.I)


def _stem(name: str) -> str:
    stem = _EXTENSION.sub("", name)
    if re.fullmatch(r"[a-z]{0,2}\d{1,4}x\d{1,4}[a-z0-9]{0,4}", stem, re.I) or (
            _RENDITION_SUFFIX.search("_" + stem) and _RENDITION_SUFFIX.sub("", "_" + stem) == ""):
        return ""  # the name is only a size ("lg.jpg", "320x426.jpg"): the folder names the photo
    for _ in range(4):
        shorter = _RENDITION_SUFFIX.sub("", stem)
        if shorter == stem:
            break
        stem = shorter
    return _SIZE_ANYWHERE.sub("", stem).strip("_-.").lower()


def _is_id_folder(segment: str) -> bool:
    if re.fullmatch(r"\d{5,}", segment):
        return True
    return (len(segment) >= 12 and not _SIZE_ANYWHERE.search(segment)
            and bool(re.search(r"\d", segment)) and bool(re.search(r"[a-z]", segment, re.I))
            and re.fullmatch(r"[A-Za-z0-9]+", segment) is not None)


def picture_key(url: str) -> str:
    """The same string for renditions of one picture: the file name without size words, with
    the nearest id-like folder when the name alone is too generic to tell photos apart."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    segments = [unquote(s) for s in parts.path.split("/") if s]
    if not segments:
        return url
    # Adobe Scene7 ("/is/image/Company/Name/$preset$/..."): the segment before the first preset
    # (else the last) names the picture.
    for index in range(len(segments) - 2):
        if segments[index].lower() == "is" and segments[index + 1].lower() == "image":
            rest = segments[index + 2:]
            preset = next((i for i, s in enumerate(rest) if s.startswith("$")), len(rest))
            return "is/" + rest[max(preset - 1, 0)].lower()
    name = segments[-1]
    if _GENERIC_HANDLER.search(name) and parts.query:
        values = sorted(re.sub(r"_{1,2}\d{1,2}$", "", v).lower() for k, v in parse_qsl(parts.query)
                        if not _SIZE_PARAM.match(k) and not _SIZE_ANYWHERE.search(v))
        return name.lower() + "?" + "&".join(values)
    stem = _stem(name)
    folder = next((s for s in reversed(segments[:-1]) if _is_id_folder(s)), "")
    if len(stem) < 4 or folder:
        return f"{folder}/{stem}"
    return stem


def same_picture(key_a: str, key_b: str) -> bool:
    """Equal keys, or one key's words all inside the other's ("1472097112000_1274705" and
    "canon_eos_5d_mark_iv_1472097112000_1274705"), when the shared words hold a long number."""
    if key_a == key_b:
        return True
    words_a, words_b = set(re.split(r"[\W_]+", key_a)) - {""}, set(re.split(r"[\W_]+", key_b)) - {""}
    shared = words_a & words_b
    if not shared or not (words_a <= words_b or words_b <= words_a):
        return False
    return any(re.fullmatch(r"\d{6,}", word) for word in shared)
