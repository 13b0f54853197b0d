"""Key frames from videos (made here with PyAV: MP4 and WebM), matched against registered
images; corrupt and hostile videos are a VideoError."""

from __future__ import annotations

import io
from pathlib import Path

import av
import numpy as np
import pytest

from media import encode, scene
from matchers.errors import VideoError
from matchers.image import ImageIndex
from matchers.video import key_frames, match_frames, sniff_format


@pytest.fixture(scope="module")
def videos(tmp_path_factory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("videos")
    return {
        "mp4": encode(tmp / "three.mp4", [scene(1), scene(2), scene(3)]),
        "webm": encode(tmp / "two.webm", [scene(4), scene(5)], codec="libvpx"),
    }


def test_scene_changes_are_key_frames_with_their_times(videos) -> None:
    frames = key_frames(videos["mp4"])
    times = [f.time for f in frames]
    assert times == sorted(times) and times[0] == 0.0
    changes = [f.time for f in frames if f.scene_change]
    # The cuts at 1 s and 2 s (within a frame) and the first frame.
    assert len(changes) == 3
    assert abs(changes[1] - 1.0) <= 0.11 and abs(changes[2] - 2.0) <= 0.11
    assert all(f.image.mode == "RGB" and f.image.size == (320, 240) for f in frames)


def test_webm_and_bytes_and_the_frame_cap(videos) -> None:
    data = videos["webm"].read_bytes()
    assert sniff_format(data[:512]) == "matroska"
    frames = key_frames(data, max_frames=2)
    assert len(frames) == 2
    assert [f.scene_change for f in frames] == [True, True]
    # The second kept frame is the second scene, not a repeat of the first.
    a, b = (np.asarray(f.image, dtype=np.float32) for f in frames)
    assert np.abs(a - b).mean() > 20


def test_frames_match_the_brands_photos_and_say_when(videos) -> None:
    index = ImageIndex()
    index.add("product:P1:0", scene(2))
    index.add("product:P9:0", scene(99))
    hits = match_frames(index, key_frames(videos["mp4"]))
    assert [h.key for h in hits] == ["product:P1:0"]
    assert 1.0 <= hits[0].time < 2.0
    webm_hits = match_frames(index, key_frames(videos["webm"]))
    assert webm_hits == []


@pytest.mark.parametrize("data, words", [
    (b"", "empty"),
    (b"#EXTM3U\n#EXT-X-TARGETDURATION:10\nhttp://127.0.0.1:9/a.ts\n", "known container"),
    (b"ffconcat version 1.0\nfile '/etc/passwd'\n", "known container"),
    (b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 400, "decodable"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "known container"),
])
def test_corrupt_and_hostile_videos_are_a_video_error(data, words) -> None:
    with pytest.raises(VideoError, match=words):
        key_frames(data)


def test_a_truncated_video_gives_its_first_frames_or_a_video_error(videos) -> None:
    data = videos["mp4"].read_bytes()
    with pytest.raises(VideoError):
        key_frames(data[:200])
    with pytest.raises(VideoError, match="over the limit"):
        key_frames(data, max_bytes=1000)
    with pytest.raises(VideoError, match="cannot read"):
        key_frames(videos["mp4"].with_name("missing.mp4"))


def test_a_video_with_no_video_stream(tmp_path) -> None:
    path = tmp_path / "sound.mkv"
    with av.open(str(path), "w", format="matroska") as out:
        stream = out.add_stream("pcm_s16le", rate=8000)
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 800), np.int16), format="s16", layout="mono")
        frame.sample_rate = 8000
        for packet in stream.encode(frame):
            out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    with pytest.raises(VideoError, match="no video stream"):
        key_frames(io.BytesIO(path.read_bytes()))
