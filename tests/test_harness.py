"""The test harness itself: a child's whole process group goes when its test ends, and the
demo market goes with the process that started it."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from conftest import kill_group, popen


def _gone(pid: int, within: float = 10.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            if stat.read().split()[2] == "Z":  # a zombie init has not reaped yet is gone
                return True
        time.sleep(0.1)
    return False


def test_kill_group_ends_grandchildren_too() -> None:
    code = ("import subprocess, sys, time; "
            "p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)']); "
            "print(p.pid, flush=True); time.sleep(300)")
    proc = popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
    assert proc.stdout is not None
    grandchild = int(proc.stdout.readline())
    kill_group(proc)
    assert proc.wait(timeout=10) != 0
    assert _gone(grandchild)


def test_the_demo_market_stops_when_its_parent_goes() -> None:
    proc = subprocess.Popen([sys.executable, "-m", "monitor.demo_market", "--small", "--until-stdin-closes"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdin is not None
        assert "http://127.0.0.1:" in proc.stdout.readline()
        proc.stdin.close()  # what the kernel does when the parent is killed
        assert proc.wait(timeout=20) == 0
    finally:
        proc.kill()
        proc.wait()
