"""Memory of a process tree, for the benches: peak PSS summed over a process and its
descendants, and which kind of process held it."""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path

__all__ = ["TreeMemory"]


class TreeMemory:
    """Peak proportional set size (PSS) of a process (`root`, default this one) and all its
    descendants but `exclude` (e.g. the demo market), sampled every `every` seconds from
    /proc (Linux; None elsewhere). PSS counts pages shared between processes once, so the
    sum is what the run holds."""

    def __init__(self, exclude: int | None = None, every: float = 2.0, root: int | None = None,
                 root_label: str = "this process") -> None:
        self.exclude, self.every, self.peak = exclude, every, 0
        self.root = os.getpid() if root is None else root
        self.root_label = root_label
        self.at_peak: dict[str, int] = {}  # bytes by kind of process at the peak
        self.largest: dict[str, int] = {}  # the largest single process of each kind, ever
        self._kinds: dict[int, str] = {}
        self.supported = Path("/proc/self/smaps_rollup").exists()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> TreeMemory:
        if self.supported:
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _tree(self) -> list[int]:
        children: dict[int, list[int]] = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    ppid = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
                except (OSError, IndexError, ValueError):
                    continue
                children.setdefault(ppid, []).append(int(entry))
        out, stack = [], [self.root]
        while stack:
            pid = stack.pop()
            if pid != self.exclude:
                out.append(pid)
                stack += children.get(pid, [])
        return out

    def _kind(self, pid: int) -> str:
        if pid not in self._kinds:
            self._kinds[pid] = self._read_kind(pid)
        return self._kinds[pid]

    def _read_kind(self, pid: int) -> str:
        if pid == self.root:
            return self.root_label
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            return "other"
        if "multiprocessing" in cmd:
            return "assessment workers"
        if re.search(r"chrom|headless_shell|playwright|node", cmd):
            return "browser"
        return "other"

    def sample(self) -> int:
        by_kind: dict[str, int] = {}
        for pid in self._tree():
            try:
                for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                    if line.startswith("Pss:"):
                        pss = int(line.split()[1]) * 1024
                        kind = self._kind(pid)
                        by_kind[kind] = by_kind.get(kind, 0) + pss
                        self.largest[kind] = max(self.largest.get(kind, 0), pss)
                        break
            except (OSError, ValueError):
                continue
        total = sum(by_kind.values())
        if total > self.peak:
            self.peak, self.at_peak = total, by_kind
        return total

    def describe(self) -> str:
        """Where the peak was: each kind of process's share of it, and its largest one."""
        return ", ".join(f"{kind} {size / 2**20:.0f} MiB (largest {self.largest.get(kind, 0) / 2**20:.0f})"
                         for kind, size in sorted(self.at_peak.items(), key=lambda kv: -kv[1]))

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.sample()

    @property
    def peak_mib(self) -> float | None:
        return self.peak / 2**20 if self.supported else None
