"""Run untrusted code: bubblewrap + cgroup (or rlimits) + a wall-clock timeout + capped output.

    result = Sandbox().run(["python3", "main.py"], files={"main.py": code})

Generated code never runs in the aigc process: always in a child under these limits. Without
bubblewrap the sandbox logs a loud warning and runs with rlimits, a timeout and (where allowed)
`unshare -n` for no network; it is never silently unconfined.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Literal

from aigc.sandbox import bwrap, cgroups
from aigc.sandbox.limits import Limits, apply_rlimits

log = logging.getLogger(__name__)

Status = Literal["ok", "failed", "timeout", "memory", "killed"]
_MEMORY_MARKERS = ("MemoryError", "std::bad_alloc", "JavaScript heap out of memory", "Cannot allocate memory")


@dataclass(frozen=True)
class SandboxResult:
    status: Status
    exit_code: int | None  # None when killed by a signal
    stdout: str
    stderr: str
    duration_s: float
    peak_memory_mb: float | None
    output_truncated: bool = False
    signal: int | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"


class _Capped:
    """Reads a pipe to its end, keeping the first `limit` bytes: the parent's memory stays bounded."""

    def __init__(self, pipe: IO[bytes], limit: int) -> None:
        self.kept = bytearray()
        self.truncated = False
        self._thread = threading.Thread(target=self._drain, args=(pipe, limit), daemon=True)
        self._thread.start()

    def _drain(self, pipe: IO[bytes], limit: int) -> None:
        with pipe:
            while block := pipe.read(65536):
                room = limit - len(self.kept)
                if room > 0:
                    self.kept += block[:room]
                if len(block) > max(room, 0):
                    self.truncated = True

    def text(self, timeout: float) -> str:
        self._thread.join(timeout)
        return self.kept.decode("utf-8", "replace")


def _own_process_count() -> int:
    uid = os.getuid()
    count = 0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid:
                    count += 1
            except OSError:
                pass
    return count


class Sandbox:
    """Runs commands in a fresh private work dir per run. `backend` None picks bwrap when present."""

    def __init__(self, limits: Limits | None = None, backend: Literal["bwrap", "rlimit"] | None = None) -> None:
        self.limits = limits or Limits()
        self.bwrap = bwrap.find_bwrap() if backend in (None, "bwrap") else None
        problem = "is not installed" if self.bwrap is None else _probe(self.bwrap)
        if backend == "bwrap" and problem:
            raise RuntimeError(f"bubblewrap {problem}: apt-get install bubblewrap")
        if problem and backend is None:
            self.bwrap = None
            log.warning(
                "bubblewrap %s: generated code runs with rlimits and a timeout only, NOT isolated from your "
                "files. Install it (sudo apt-get install bubblewrap) or allow unprivileged user namespaces.",
                problem,
            )
        elif backend == "rlimit":
            log.warning("sandbox backend 'rlimit': generated code runs with rlimits and a timeout only, NOT isolated")
        self.backend: Literal["bwrap", "rlimit"] = "bwrap" if self.bwrap else "rlimit"
        self._groups: dict[int, cgroups.Cgroup | None] = {}

    def env(self) -> dict[str, str]:
        python_bin = str(Path(sys.executable).parent)
        return {
            "PATH": f"{python_bin}:/usr/local/bin:/usr/bin:/bin",
            "HOME": bwrap.WORK if self.bwrap else "/nonexistent",
            "LANG": "C.UTF-8",
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONIOENCODING": "utf-8",
            "PYTHONHASHSEED": "0",
        }

    def run(
        self,
        argv: list[str],
        files: dict[str, str | bytes] | None = None,
        *,
        stdin: str | None = None,
        limits: Limits | None = None,
        extra_ro: list[Path] | None = None,
    ) -> SandboxResult:
        limits = limits or self.limits
        workdir = Path(tempfile.mkdtemp(prefix="aigc-run-"))
        try:
            for name, content in (files or {}).items():
                path = workdir / name
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
            return self._run(argv, workdir, stdin, limits, extra_ro or [])
        finally:
            shutil.rmtree(workdir, ignore_errors=True)

    def spawn(
        self,
        argv: list[str],
        workdir: Path,
        *,
        log_file: IO[bytes],
        extra_env: dict[str, str] | None = None,
        extra_ro: list[Path] | None = None,
        limits: Limits | None = None,
    ) -> subprocess.Popen[bytes]:
        """Start a long-running program (a generated app the user asked to see) with `workdir` as its
        writable folder and the host's network, so it can serve on loopback. Memory, processes and file
        sizes are limited as for `run`; there is no timeout: stop it with `stop`."""
        limits = limits or self.limits
        group = cgroups.create(limits.memory_mb, limits.processes)
        env = {**self.env(), **(extra_env or {})}

        def child_setup() -> None:
            if group is not None:
                group.add(os.getpid())
            apply_rlimits(replace(limits, cpu_s=10**9), address_space=group is None, nproc=None)
            _die_with_parent()

        command = bwrap.command(self.bwrap, workdir, argv, env, extra_ro or [], share_net=True) if self.bwrap else argv
        proc = subprocess.Popen(  # the argv is built here; the code it runs is what is contained
            command, stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT, cwd=workdir,
            env=env if not self.bwrap else {"PATH": "/usr/bin:/bin"}, start_new_session=True, preexec_fn=child_setup,
        )  # fmt: skip
        self._groups[proc.pid] = group
        return proc

    def stop(self, proc: subprocess.Popen[bytes], grace_s: float = 5.0) -> None:
        """SIGTERM to the program's process group, SIGKILL to what is left after `grace_s`."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(grace_s)
        group = self._groups.pop(proc.pid, None)
        _kill_tree(proc.pid, group)
        proc.wait()
        if group is not None:
            group.remove()

    def _command(self, argv: list[str], workdir: Path, extra_ro: list[Path]) -> list[str]:
        if self.bwrap:
            return bwrap.command(self.bwrap, workdir, argv, self.env(), extra_ro)
        unshare = shutil.which("unshare")
        if unshare and subprocess.run([unshare, "-n", "true"], capture_output=True, check=False).returncode == 0:
            return [unshare, "-n", "--", *argv]
        return argv

    def _run(
        self, argv: list[str], workdir: Path, stdin: str | None, limits: Limits, extra_ro: list[Path]
    ) -> SandboxResult:
        group = cgroups.create(limits.memory_mb, limits.processes)
        if group is None and os.getuid() == 0:
            log.info("no writable cgroup: process count is not limited for root, only the timeout bounds it")
        nproc = None if group else _own_process_count() + limits.processes

        def child_setup() -> None:  # runs in the forked child, before exec
            if group is not None:
                group.add(os.getpid())
            apply_rlimits(limits, address_space=group is None, nproc=nproc)
            if not self.bwrap:
                _die_with_parent()

        env = self.env() if not self.bwrap else {"PATH": "/usr/bin:/bin"}
        start = time.perf_counter()
        proc = subprocess.Popen(  # the argv is built here; the code it runs is what is contained
            self._command(argv, workdir, extra_ro),
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=workdir,
            env=env,
            start_new_session=True,  # its own process group, killed as a whole
            preexec_fn=child_setup,
        )
        assert proc.stdout is not None and proc.stderr is not None
        out, err = _Capped(proc.stdout, limits.output_bytes), _Capped(proc.stderr, limits.output_bytes)
        if stdin is not None and proc.stdin is not None:
            threading.Thread(target=_feed, args=(proc.stdin, stdin), daemon=True).start()
        timed_out = threading.Event()

        def on_timeout() -> None:
            timed_out.set()
            _kill_tree(proc.pid, group)

        timer = threading.Timer(limits.timeout_s, on_timeout)
        timer.start()
        try:
            _, wait_status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(wait_status)
        duration = time.perf_counter() - start
        _kill_tree(proc.pid, group)  # anything it left running in the background
        stdout, stderr = out.text(5), err.text(5)
        peak = group.peak_memory_bytes() if group else None
        peak_mb = peak / 2**20 if peak is not None else usage.ru_maxrss / 1024
        oom = group.oom_killed() if group else False
        if group is not None:
            group.remove()
        return _result(proc.returncode, timed_out.is_set(), oom, stdout, stderr, duration, peak_mb,
                       out.truncated or err.truncated, self.bwrap is not None)  # fmt: skip


@functools.cache
def _probe(path: str) -> str | None:
    """Why bubblewrap cannot sandbox here (no user namespaces, AppArmor...), or None when it can."""
    argv = bwrap.command(path, Path(tempfile.gettempdir()), ["true"], {"PATH": "/usr/bin:/bin"}, [])
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"cannot start ({exc})"
    return None if proc.returncode == 0 else f"cannot create a sandbox here ({proc.stderr.strip()[:200]})"


def _feed(pipe: IO[bytes], text: str) -> None:
    try:
        with pipe:
            pipe.write(text.encode("utf-8"))
    except OSError:
        pass  # the program exited without reading its input


def _kill_tree(pid: int, group: cgroups.Cgroup | None) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
    if group is not None:
        group.kill_all()


def _die_with_parent() -> None:
    """PR_SET_PDEATHSIG: the child gets SIGKILL when aigc dies (bwrap does this itself with bwrap)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG = 1
    except (OSError, AttributeError):
        pass


def _result(
    code: int,
    timed_out: bool,
    oom: bool,
    stdout: str,
    stderr: str,
    duration: float,
    peak_mb: float | None,
    truncated: bool,
    via_bwrap: bool,
) -> SandboxResult:
    sig = -code if code < 0 else (code - 128 if via_bwrap and code > 128 else None)
    exit_code = None if sig is not None else code
    status: Status
    if timed_out or sig == signal.SIGXCPU:
        status = "timeout"
    elif oom or any(m in stderr for m in _MEMORY_MARKERS):
        status = "memory"
    elif sig is not None:
        status = "killed"
    else:
        status = "ok" if code == 0 else "failed"
    return SandboxResult(status, exit_code, stdout, stderr, duration, peak_mb, truncated, sig)
