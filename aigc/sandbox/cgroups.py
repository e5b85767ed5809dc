"""A cgroup per sandboxed run, where the machine lets us make one: a hard memory limit, a process
limit that also holds for root (RLIMIT_NPROC does not), peak memory, and OOM-kill detection.

cgroup v2 (one unified hierarchy) and v1 (separate memory and pids hierarchies) are both handled.
Where neither is writable the sandbox falls back to rlimits and says so.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

ROOT = Path("/sys/fs/cgroup")
_counter = itertools.count()


def _own_path(controller: str) -> str:
    """This process's cgroup path for a v1 controller ('' for v2), from /proc/self/cgroup."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return "/"
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if controller in controllers.split(","):
            return path
    return "/"


@dataclass
class Cgroup:
    """One run's cgroup(s). `dirs` holds one directory (v2) or the memory and pids ones (v1)."""

    version: int
    dirs: dict[str, Path] = field(default_factory=dict)

    def add(self, pid: int) -> None:
        for d in {d for d in self.dirs.values()}:
            (d / "cgroup.procs").write_text(str(pid))

    def peak_memory_bytes(self) -> int | None:
        d = self.dirs.get("memory")
        name = "memory.peak" if self.version == 2 else "memory.max_usage_in_bytes"
        try:
            return int((d / name).read_text().split()[0]) if d else None
        except (OSError, ValueError):
            return None

    def oom_killed(self) -> bool:
        d = self.dirs.get("memory")
        if d is None:
            return False
        try:
            if self.version == 2:
                events = dict(line.split() for line in (d / "memory.events").read_text().splitlines())
                return int(events.get("oom_kill", "0")) > 0
            control = dict(line.split() for line in (d / "memory.oom_control").read_text().splitlines())
            failures = sum(
                int((d / f).read_text()) for f in ("memory.failcnt", "memory.memsw.failcnt") if (d / f).exists()
            )
            return int(control.get("oom_kill", "0")) > 0 or failures > 0
        except (OSError, ValueError):
            return False

    def kill_all(self) -> None:
        """SIGKILL everything still in the cgroup (processes that left the process group included)."""
        for d in {d for d in self.dirs.values()}:
            kill = d / "cgroup.kill"
            if kill.exists():
                try:
                    kill.write_text("1")
                    continue
                except OSError:
                    pass
            try:
                pids = (d / "cgroup.procs").read_text().split()
            except OSError:
                continue
            for pid in pids:
                with contextlib.suppress(ProcessLookupError, PermissionError, ValueError):
                    os.kill(int(pid), 9)

    def remove(self) -> None:
        for d in {d for d in self.dirs.values()}:
            try:
                d.rmdir()
            except OSError as exc:  # still has processes: they were killed, the kernel may lag a moment
                log.debug("cannot remove cgroup %s: %s", d, exc)


def _make(parent: Path, name: str, settings: dict[str, str]) -> Path:
    d = parent / name
    d.mkdir()
    try:
        for key, value in settings.items():
            (d / key).write_text(value)
    except OSError:
        d.rmdir()
        raise
    return d


def create(memory_mb: int, processes: int) -> Cgroup | None:
    """A fresh cgroup with these limits, or None when this machine does not let us make one."""
    name = f"aigc-sandbox-{os.getpid()}-{next(_counter)}"
    limit = str(memory_mb * 1024 * 1024)
    try:
        if (ROOT / "cgroup.controllers").exists():  # v2
            parent = ROOT / _own_path("").lstrip("/")
            wanted = {"memory", "pids"}
            if not wanted <= set((parent / "cgroup.subtree_control").read_text().split()):
                return None
            d = _make(parent, name, {"memory.max": limit, "memory.swap.max": "0", "pids.max": str(processes)})
            return Cgroup(2, {"memory": d, "pids": d})
        mem_root, pids_root = ROOT / "memory", ROOT / "pids"
        if not (mem_root.is_dir() and pids_root.is_dir()):
            return None
        mem = _make(mem_root / _own_path("memory").lstrip("/"), name, {"memory.limit_in_bytes": limit})
        try:
            memsw = mem / "memory.memsw.limit_in_bytes"
            if memsw.exists():
                memsw.write_text(limit)
            pids = _make(pids_root / _own_path("pids").lstrip("/"), name, {"pids.max": str(processes)})
        except OSError:
            mem.rmdir()
            raise
        return Cgroup(1, {"memory": mem, "pids": pids})
    except OSError as exc:
        log.debug("no cgroup for the sandbox: %s", exc)
        return None
