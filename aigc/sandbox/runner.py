"""Run untrusted code: bubblewrap + cgroup (or a process watchdog) + rlimits + a timeout + capped output.

    result = Sandbox().run(["python3", "main.py"], files={"main.py": code})

Generated code never runs in the aigc process: always in a child under these limits. Without bubblewrap
there is no isolation from the user's files, so `Sandbox()` refuses (SandboxUnavailable, naming the fix)
unless the user opted in with `aigc --unsafe-no-sandbox` or `unsafe_no_sandbox = true`; then it runs with
rlimits, a timeout and (where allowed) `unshare -n` for no network, and says so on every start.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import logging
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Any, Literal

from aigc.errors import SandboxUnavailable
from aigc.sandbox import bwrap, cgroups
from aigc.sandbox.limits import Limits, prlimit_args

log = logging.getLogger(__name__)

RunStatus = Literal["ok", "failed", "timeout", "memory", "killed"]
_MEMORY_MARKERS = ("MemoryError", "std::bad_alloc", "JavaScript heap out of memory", "Cannot allocate memory")


@dataclass(frozen=True)
class SandboxResult:
    status: RunStatus
    exit_code: int | None  # None when killed by a signal
    stdout: str
    stderr: str
    duration_s: float
    peak_memory_mb: float | None
    output_truncated: bool = False
    signal: int | None = None
    files: dict[str, bytes] = field(default_factory=dict)  # the `outputs` the run left in its work dir

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


_policy = {"unconfined_allowed": False}
INSTALL_HINT = (
    "install bubblewrap (apt-get install bubblewrap; dnf install bubblewrap) and allow unprivileged user "
    "namespaces (sysctl kernel.unprivileged_userns_clone=1, or the AppArmor profile for bwrap on Ubuntu)"
)


def allow_unconfined(allowed: bool) -> None:
    """The user's explicit opt-in (aigc --unsafe-no-sandbox, unsafe_no_sandbox = true) to run generated code
    with rlimits only where bubblewrap cannot run. Process-wide, like the logging configuration."""
    _policy["unconfined_allowed"] = allowed


def bwrap_problem() -> str | None:
    """Why bubblewrap cannot sandbox here, or None when it can."""
    path = bwrap.find_bwrap()
    return "is not installed" if path is None else _probe(path)


def describe() -> dict[str, Any]:
    """Which sandbox is in force here, for `aigc config show`, /api/info and the page."""
    problem = bwrap_problem()
    group = cgroups.create(16, 8)
    if group is not None:
        group.remove()
    if problem is None:
        backend, detail = "bubblewrap", "own namespaces, no network, read-only system"
    elif _policy["unconfined_allowed"]:
        backend, detail = "rlimit", f"bubblewrap {problem}: rlimits and a timeout only, NOT isolated (opted in)"
    else:
        backend, detail = "none", f"bubblewrap {problem}: generated code is refused until you {INSTALL_HINT}"
    limits = "cgroup (memory, processes)" if group is not None else "rlimits and a process watchdog"
    return {"backend": backend, "isolated": problem is None, "limits": limits, "detail": detail}


class Sandbox:
    """Runs commands in a fresh private work dir per run. `backend` None picks bwrap, and refuses when it
    cannot run unless the user allowed unconfined runs; "rlimit" asks for rlimits only (tests, explicitly)."""

    def __init__(self, limits: Limits | None = None, backend: Literal["bwrap", "rlimit"] | None = None) -> None:
        self.limits = limits or Limits()
        self.bwrap = bwrap.find_bwrap() if backend in (None, "bwrap") else None
        problem = "is not installed" if self.bwrap is None else _probe(self.bwrap)
        if problem and backend is None and not _policy["unconfined_allowed"]:
            raise SandboxUnavailable(
                f"bubblewrap {problem}, and without it generated code would run with your files and network. "
                f"To fix: {INSTALL_HINT}. To run it anyway, confined by rlimits and a timeout only, pass "
                "aigc --unsafe-no-sandbox (or set AIGC_UNSAFE_NO_SANDBOX=1)."
            )
        if backend == "bwrap" and problem:
            raise SandboxUnavailable(f"bubblewrap {problem}: {INSTALL_HINT}")
        if problem and backend is None:
            self.bwrap = None
            log.warning(
                "bubblewrap %s: generated code runs with rlimits and a timeout only, NOT isolated from "
                "your files (you passed --unsafe-no-sandbox)",
                problem,
            )
        elif backend == "rlimit":
            log.warning("sandbox backend 'rlimit': generated code runs with rlimits and a timeout only, NOT isolated")
        self.backend: Literal["bwrap", "rlimit"] = "bwrap" if self.bwrap else "rlimit"
        self._groups: dict[int, cgroups.Cgroup | None] = {}
        self._watchdogs: dict[int, _Watchdog] = {}
        self.support: dict[str, str | bytes] = {}

    def with_files(self, files: Mapping[str, str | bytes]) -> Sandbox:
        """This sandbox, with `files` (from aigc itself, never from a run) in every run's work dir too."""
        other = copy.copy(self)
        other.support = {**self.support, **files}
        return other

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
        outputs: tuple[str, ...] = (),
    ) -> SandboxResult:
        """Run `argv` in a fresh work dir holding `files`. `outputs`: names of files the run writes there
        (a report), read back into the result as plain files only, up to limits.output_bytes each."""
        limits = limits or self.limits
        for name in outputs:
            if not name or "/" in name or name in (".", ".."):
                raise ValueError(f"an output is a plain file name, not {name!r}")
        workdir = Path(tempfile.mkdtemp(prefix="aigc-run-"))
        try:
            for name, content in {**self.support, **(files or {})}.items():
                path = workdir / name
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
            result = self._run(argv, workdir, stdin, limits, extra_ro or [])
            found = {name: data for name in outputs if (data := _output(workdir, name, limits.output_bytes))}
            return replace(result, files=found)
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
        writable: dict[str, Path] | None = None,
        pass_fds: tuple[int, ...] = (),
        limits: Limits | None = None,
    ) -> subprocess.Popen[bytes]:
        """Start a long-running program (a generated app the user asked to see) in `workdir`, with the
        folders of `writable` bound read-write inside it and no network but its own loopback: it serves on
        a socket the host made and passed in `pass_fds`. Memory, processes and file sizes are limited as for
        `run`; there is no timeout: stop it with `stop`."""
        limits = limits or self.limits
        group = cgroups.create(limits.memory_mb, limits.processes)
        env = {**self.env(), **(extra_env or {})}

        rlimits = prlimit_args(replace(limits, cpu_s=10**9), address_space=group is None, nproc=None)
        if self.bwrap:
            command = bwrap.command(
                self.bwrap, workdir, argv, env, extra_ro or [], tmp_mb=limits.tmp_mb, writable=writable
            )
        else:
            command = self._command(argv, workdir, extra_ro or [], limits)
        proc = _launch(
            command,
            group,
            rlimits,
            die_with_parent=True,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            cwd=workdir,
            env=env if not self.bwrap else {"PATH": "/usr/bin:/bin"},
            pass_fds=pass_fds,
        )
        self._groups[proc.pid] = group
        if group is None:
            self._watchdogs[proc.pid] = _Watchdog(proc.pid, limits.processes)
        return proc

    def stop(self, proc: subprocess.Popen[bytes], grace_s: float = 5.0) -> None:
        """SIGTERM to the program's process group, SIGKILL to what is left after `grace_s`."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(grace_s)
        group = self._groups.pop(proc.pid, None)
        watchdog = self._watchdogs.pop(proc.pid, None)
        if watchdog is not None:
            watchdog.stop()
        _kill_tree(proc.pid, group)
        proc.wait()
        if group is not None:
            group.remove()

    def _command(self, argv: list[str], workdir: Path, extra_ro: list[Path], limits: Limits) -> list[str]:
        if self.bwrap:
            return bwrap.command(self.bwrap, workdir, argv, self.env(), extra_ro, tmp_mb=limits.tmp_mb)
        unshare = shutil.which("unshare")
        if unshare and subprocess.run([unshare, "-n", "true"], capture_output=True, check=False).returncode == 0:
            return [unshare, "-n", "--", *argv]
        return argv

    def _run(
        self, argv: list[str], workdir: Path, stdin: str | None, limits: Limits, extra_ro: list[Path]
    ) -> SandboxResult:
        group = cgroups.create(limits.memory_mb, limits.processes)
        nproc = None if group else _own_process_count() + limits.processes

        rlimits = prlimit_args(limits, address_space=group is None, nproc=nproc)
        env = self.env() if not self.bwrap else {"PATH": "/usr/bin:/bin"}
        start = time.perf_counter()
        proc = _launch(
            self._command(argv, workdir, extra_ro, limits),
            group,
            rlimits,
            die_with_parent=not self.bwrap,  # bwrap has its own --die-with-parent
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=workdir,
            env=env,
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
        # Without a cgroup, RLIMIT_NPROC does not hold for root: a watchdog counts the run's processes.
        watchdog = _Watchdog(proc.pid, limits.processes) if group is None else None
        try:
            _, wait_status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
            if watchdog is not None:
                watchdog.stop()
        proc.returncode = os.waitstatus_to_exitcode(wait_status)
        duration = time.perf_counter() - start
        _kill_tree(proc.pid, group)  # anything it left running in the background
        stdout, stderr = out.text(5), err.text(5)
        if watchdog is not None and watchdog.tripped:
            stderr += f"\n[aigc sandbox] killed: more than {limits.processes} processes at once\n"
        peak = group.peak_memory_bytes() if group else None
        peak_mb = peak / 2**20 if peak is not None else usage.ru_maxrss / 1024
        oom = group.oom_killed() if group else False
        if group is not None:
            group.remove()
        return _result(
            proc.returncode,
            timed_out.is_set(),
            oom,
            stdout,
            stderr,
            duration,
            peak_mb,
            out.truncated or err.truncated,
            self.bwrap is not None,
        )


class _Watchdog:
    """Counts the processes descended from `pid` every few milliseconds and kills the whole tree when
    there are more than `limit`: the process bound where no cgroup can be made and rlimits do not apply."""

    def __init__(self, pid: int, limit: int, interval_s: float = 0.02) -> None:
        self.pid, self.limit, self.interval_s = pid, limit, interval_s
        self.tripped = False
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True, name=f"aigc-watchdog-{pid}")
        self._thread.start()

    def _watch(self) -> None:
        while not self._done.wait(self.interval_s):
            if _descendants(self.pid) > self.limit:
                self.tripped = True
                _kill_tree(self.pid, None)
                for child in _descendant_pids(self.pid):
                    with contextlib.suppress(ProcessLookupError, PermissionError):
                        os.kill(child, signal.SIGKILL)

    def stop(self) -> None:
        self._done.set()
        self._thread.join(timeout=1)


def _processes() -> dict[int, tuple[int, int]]:
    """pid -> (parent pid, threads) of every process on the machine, from /proc/<pid>/stat."""
    found: dict[int, tuple[int, int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/stat", "rb") as f:
                    fields = f.read().rsplit(b")", 1)[1].split()  # after the command name, which may hold spaces
                found[int(entry.name)] = (int(fields[1]), int(fields[17]))
            except (OSError, IndexError, ValueError):
                pass
    return found


def _descendant_pids(pid: int, table: dict[int, tuple[int, int]] | None = None) -> list[int]:
    table = _processes() if table is None else table
    children: dict[int, list[int]] = {}
    for child, (parent, _) in table.items():
        children.setdefault(parent, []).append(child)
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def _descendants(pid: int) -> int:
    """Tasks (processes and their threads) below `pid`, as a pids cgroup counts them."""
    table = _processes()
    return sum(table[p][1] for p in _descendant_pids(pid, table) if p in table)


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


def _output(workdir: Path, name: str, limit: int) -> bytes | None:
    """A file the sandboxed run wrote at the top of its work dir: read only if it is a regular file (never
    through a link, never blocking on a FIFO), at most `limit` bytes."""
    try:
        fd = os.open(workdir / name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        return os.read(fd, limit)
    finally:
        os.close(fd)


def _tool(name: str) -> str:
    found = shutil.which(name, path="/usr/bin:/bin:/usr/sbin:/sbin")
    if found is None:
        raise SandboxUnavailable(f"the sandbox starts runs with {name} (util-linux), which is not installed here")
    return found


def _launch(
    command: list[str],
    group: cgroups.Cgroup | None,
    rlimits: list[str],
    *,
    die_with_parent: bool,
    pass_fds: tuple[int, ...] = (),
    **popen: Any,
) -> subprocess.Popen[bytes]:
    """Start `command` under its limits without running Python in the forked child (preexec_fn is unsafe in
    a threaded program): prlimit sets the rlimits and setpriv the parent-death signal, each exec'ing the
    next. With a cgroup the child first waits at a gate (bash reading a pipe) until this process has put
    its pid into the cgroup, so nothing it starts is ever outside it. Its own session: killed as a whole."""
    chain = [_tool("prlimit"), *rlimits, "--"]
    if die_with_parent:
        chain += [_tool("setpriv"), "--pdeathsig", "KILL", "--"]
    if group is None:
        return subprocess.Popen([*chain, *command], start_new_session=True, pass_fds=pass_fds, **popen)
    gate_read, gate_write = os.pipe()
    try:
        gate = [_tool("bash"), "-c", f'read -r -u {gate_read} go && exec "$@"', "aigc-gate"]
        proc = subprocess.Popen(
            [*gate, *chain, *command], start_new_session=True, pass_fds=(*pass_fds, gate_read), **popen
        )
        os.close(gate_read)
        gate_read = -1
        try:
            group.add(proc.pid)
        except OSError as exc:
            os.close(gate_write)  # the gate reads nothing and the child exits without running the command
            gate_write = -1
            proc.wait()
            raise SandboxUnavailable(f"cannot put the run into its cgroup: {exc}") from exc
        os.write(gate_write, b"go\n")
        return proc
    finally:
        for fd in (gate_read, gate_write):
            if fd >= 0:
                os.close(fd)


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
    status: RunStatus
    if timed_out or sig == signal.SIGXCPU:
        status = "timeout"
    elif oom or any(m in stderr for m in _MEMORY_MARKERS):
        status = "memory"
    elif sig is not None:
        status = "killed"
    else:
        status = "ok" if code == 0 else "failed"
    return SandboxResult(status, exit_code, stdout, stderr, duration, peak_mb, truncated, sig)
