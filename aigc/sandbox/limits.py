"""Resource limits for sandboxed runs, and the rlimits the child is started under (through prlimit)."""

from __future__ import annotations

import resource
from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    timeout_s: float = 10.0  # wall clock; the whole process tree is killed when it runs out
    cpu_s: int = 10  # CPU seconds per process (RLIMIT_CPU)
    memory_mb: int = 512  # the cgroup's memory limit, or the address space per process without cgroups
    processes: int = 64  # processes and threads at once (cgroup pids.max, or RLIMIT_NPROC)
    file_size_mb: int = 64  # largest file the code may write (RLIMIT_FSIZE)
    tmp_mb: int = 256  # size of the sandbox's private /tmp (a tmpfs: it is memory)
    output_bytes: int = 1_000_000  # stdout and stderr each are kept up to this; the rest is read and dropped


def prlimit_args(limits: Limits, *, address_space: bool, nproc: int | None) -> list[str]:
    """util-linux prlimit's options for these limits, which the child and every descendant inherit; each
    capped at this process's hard limit (an unprivileged process cannot raise its own)."""

    def cap(kind: int, value: int) -> int:
        _, hard = resource.getrlimit(kind)
        return value if hard == resource.RLIM_INFINITY else min(value, hard)

    wanted = [
        ("cpu", resource.RLIMIT_CPU, max(1, int(limits.cpu_s))),
        ("fsize", resource.RLIMIT_FSIZE, limits.file_size_mb * 1024 * 1024),
        ("core", resource.RLIMIT_CORE, 0),
    ]
    if address_space:
        wanted.append(("as", resource.RLIMIT_AS, limits.memory_mb * 1024 * 1024))
    if nproc is not None:
        wanted.append(("nproc", resource.RLIMIT_NPROC, nproc))
    return [f"--{name}={cap(kind, value)}" for name, kind, value in wanted]
