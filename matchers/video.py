"""Key frames of a video, matched as images against a brand's photos, logos and video frames.

Videos are decoded with PyAV (FFmpeg's own decoders, shipped in the wheel). A listing's video
is hostile input: the container is recognised from its first bytes and opened as that format
only (a playlist or a concatenation script is never followed to other files or hosts), and
size, pixels, decoded frames and decoding time are all capped. Frames are kept at scene
changes and at an even pace between them, up to a fixed count.
"""

from __future__ import annotations

import io
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO, Union

import numpy as np
from PIL import Image

from matchers.errors import ImageError, VideoError
from matchers.image import ImageIndex

__all__ = ["KeyFrame", "FrameHit", "VideoSource", "key_frames", "match_frames", "sniff_format",
           "MAX_VIDEO_BYTES"]

VideoSource = Union[str, os.PathLike, bytes, bytearray, memoryview, IO[bytes]]

MAX_VIDEO_BYTES = 100_000_000
_MAX_PIXELS = 4096 * 2304  # a frame larger than 4K is no product video
_MAX_DECODED = 20_000  # frames decoded at most (a 10-minute video at 30 fps is 18,000)
_MAX_SECONDS = 20.0  # of decoding time, after which the frames so far are returned
_MAX_MEDIA_SECONDS = 900.0  # of the video's own time looked at
_LOOK_EVERY = 0.2  # seconds of video between frames compared for scene changes
_SCENE_CHANGE = 18.0  # mean absolute difference (0-255) of 32x32 grey thumbnails
_THUMB = 32

_Candidate = tuple[float, Image.Image, bool, float]


@dataclass(frozen=True, slots=True, eq=False)
class KeyFrame:
    """One frame kept from a video: its `time` in seconds from the start, and the picture."""

    time: float
    image: Image.Image
    scene_change: bool


@dataclass(frozen=True, slots=True)
class FrameHit:
    """A registered image (`key`) found in the frame shown at `time` seconds."""

    time: float
    key: str
    score: float
    method: str


def sniff_format(head: bytes) -> str | None:
    """The FFmpeg demuxer for a video's first bytes, or None for anything else (playlists,
    scripts, images, text): only these formats are ever opened."""
    if len(head) >= 12 and head[4:8] in (b"ftyp", b"moov", b"mdat", b"free", b"wide", b"skip"):
        return "mov"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "matroska"
    if head.startswith(b"RIFF") and head[8:12] == b"AVI ":
        return "avi"
    if head.startswith(b"OggS"):
        return "ogg"
    if head.startswith(b"FLV\x01"):
        return "flv"
    if len(head) >= 377 and head[0] == 0x47 and head[188] == 0x47 and head[376] == 0x47:
        return "mpegts"
    return None


def _read(source: VideoSource, max_bytes: int) -> bytes:
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
    elif isinstance(source, (str, os.PathLike)):
        try:
            size = os.path.getsize(source)
            if size > max_bytes:
                raise VideoError(f"video of {size:,} bytes is over the limit of {max_bytes:,} bytes")
            with open(source, "rb") as fh:
                data = fh.read(max_bytes + 1)
        except OSError as exc:
            raise VideoError(f"cannot read video file {os.fspath(source)}: {exc.strerror or exc}") from exc
    elif hasattr(source, "read"):
        data = source.read(max_bytes + 1)
    else:
        raise VideoError(f"not a video source: {type(source).__name__}")
    if len(data) > max_bytes:
        raise VideoError(f"video over the limit of {max_bytes:,} bytes")
    if not data:
        raise VideoError("the video is empty")
    return data


def _thumb(frame: object) -> np.ndarray:
    return frame.reformat(width=_THUMB, height=_THUMB, format="gray").to_ndarray().astype(np.float32)  # type: ignore[attr-defined]


def key_frames(
    source: VideoSource,
    *,
    max_frames: int = 12,
    max_bytes: int = MAX_VIDEO_BYTES,
    max_seconds: float = _MAX_SECONDS,
    max_side: int = 960,
    until: float | None = None,
) -> list[KeyFrame]:
    """Up to `max_frames` frames of the video: its first, each scene change, and frames at an
    even pace in between, in time order, as RGB images at most `max_side` pixels a side.

    Raises VideoError for bytes that are not a video of a known container, a corrupt or
    truncated one with no decodable frame, no video stream, or a video over a limit.
    Decoding stops after `max_seconds` of work with the frames found so far, or at `until`
    seconds of the video's own time (0 decodes the first frame only: a check that it plays).
    """
    if max_frames < 1:
        raise VideoError("max_frames must be at least 1")
    data = _read(source, max_bytes)
    fmt = sniff_format(data[:512])
    if fmt is None:
        raise VideoError("not a video of a known container (MP4/MOV, WebM/Matroska, AVI, Ogg, FLV, MPEG-TS)")
    import av

    deadline = time.monotonic() + max_seconds
    candidates: list[_Candidate] = []  # (time, picture, scene change, how much changed)
    try:
        with av.open(io.BytesIO(data), mode="r", format=fmt) as container:
            if not container.streams.video:
                raise VideoError("the file holds no video stream")
            stream = container.streams.video[0]
            width, height = stream.codec_context.width, stream.codec_context.height
            if width * height > _MAX_PIXELS:
                raise VideoError(f"video frames of {width}x{height} pixels are over the limit")
            stream.thread_type = "AUTO"
            last_look = -1e9
            last_thumb: np.ndarray | None = None
            decoded = 0
            for frame in container.decode(stream):
                decoded += 1
                t = float(frame.time) if frame.time is not None else decoded / 25.0
                if decoded > _MAX_DECODED or t > _MAX_MEDIA_SECONDS or time.monotonic() > deadline:
                    break
                if until is not None and t > until and candidates:
                    break
                if frame.width * frame.height > _MAX_PIXELS:
                    raise VideoError(f"a video frame of {frame.width}x{frame.height} pixels is over the limit")
                if t - last_look < _LOOK_EVERY and last_thumb is not None:
                    continue
                last_look = t
                thumb = _thumb(frame)
                change = 255.0 if last_thumb is None else float(np.abs(thumb - last_thumb).mean())
                if last_thumb is None or change >= _SCENE_CHANGE or not candidates or t - candidates[-1][0] >= 1.0:
                    candidates.append((t, _picture(frame, max_side), last_thumb is None or change >= _SCENE_CHANGE, change))
                    # Thin the list as it grows, keeping the scene changes.
                    if len(candidates) > 8 * max_frames:
                        candidates = _thin(candidates, 4 * max_frames)
                last_thumb = thumb
    except VideoError:
        raise
    except Exception as exc:  # FFmpeg reports hostile bytes as many error types
        if not candidates:
            raise VideoError(f"not a decodable video: {exc}") from exc
    if not candidates:
        raise VideoError("the video holds no decodable frame")
    kept = _thin(candidates, max_frames)
    return [KeyFrame(round(t, 3), img, scene) for t, img, scene, _change in kept]


def _picture(frame: object, max_side: int) -> Image.Image:
    """The frame as an RGB image at most max_side a side (scaled by FFmpeg, not held at full size)."""
    w, h = frame.width, frame.height  # type: ignore[attr-defined]
    f = min(1.0, max_side / max(w, h))
    return frame.reformat(width=max(2, round(w * f)), height=max(2, round(h * f)), format="rgb24").to_image()  # type: ignore[attr-defined]


def _thin(candidates: list[_Candidate], n: int) -> list[_Candidate]:
    """At most n candidates, in time order: the first frame and the strongest scene
    changes first, then frames spread evenly over the time the video runs."""
    if len(candidates) <= n:
        return candidates
    first, rest = candidates[0], candidates[1:]
    changes = sorted((c for c in rest if c[2]), key=lambda c: -c[3])[: max(0, (n - 1) // 2 + 1)]
    chosen = {id(first), *(id(c) for c in changes)}
    others = [c for c in rest if id(c) not in chosen]
    room = n - len(chosen)
    if room > 0 and others:
        step = len(others) / room
        chosen |= {id(others[int(i * step)]) for i in range(room)}
    return [c for c in candidates if id(c) in chosen][:n]


def match_frames(
    index: ImageIndex,
    frames: Iterable[KeyFrame],
    *,
    score_cutoff: float | None = None,
    limit: int | None = 10,
) -> list[FrameHit]:
    """Registered images found in the frames: one hit per key (its best frame), best first."""
    best: dict[str, FrameHit] = {}
    for frame in frames:
        try:
            hits = index.query(frame.image, score_cutoff=score_cutoff, limit=5)
        except ImageError:
            continue
        for hit in hits:
            if hit.key not in best or hit.score > best[hit.key].score:
                best[hit.key] = FrameHit(frame.time, hit.key, hit.score, hit.method)
    ranked = sorted(best.values(), key=lambda h: (-h.score, h.time))
    return ranked[:limit] if limit is not None else ranked
