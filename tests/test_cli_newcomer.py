"""What a newcomer meets first: mistakes are one line and exit 2 (never a traceback, never
an empty table or a new empty database), and the CLI can do what the review app does."""

from __future__ import annotations

import socket
from pathlib import Path

from conftest import run_cli


def _one_line(done, *words: str) -> str:  # type: ignore[no-untyped-def]
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def test_demo_market_on_a_busy_port_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = run_cli("demo-market", "--port", str(port), cwd=tmp_path, timeout=60)
    _one_line(done, f"127.0.0.1:{port}")


def test_demo_out_that_cannot_be_written_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    done = run_cli("demo", "--out", str(blocker / "out"), cwd=tmp_path,
                   env={"MARKWATCH_CHROMIUM": "/bin/true"}, timeout=60)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert f"cannot write to {blocker / 'out'}" in done.stderr
