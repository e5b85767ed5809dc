"""The bubblewrap command line: a read-only system, a private work dir, no network, own namespaces.

The sandbox sees /usr, the runtime's Python, the few files of /etc that programs need to start (not the
host's users, keys or configuration), a private /tmp of bounded size, and its work dir. It has its own
network namespace (loopback only), cannot create user namespaces of its own, and runs as nobody.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
import sys
from pathlib import Path

WORK = "/aigc-work"  # where the private work dir appears inside the sandbox (a path no host tree uses)
# What of /etc a Python, node or shell program needs: the loader cache, names of users and hosts, time
# zones, MIME types, TLS roots. Not shadow, ssh, sudoers, or the host's own configuration.
ETC_ALLOWED = (
    "ld.so.cache",
    "ld.so.conf",
    "ld.so.conf.d",
    "passwd",
    "group",
    "nsswitch.conf",
    "hosts",
    "localtime",
    "timezone",
    "mime.types",
    "ssl",
    "ca-certificates",
    "alternatives",
    "os-release",
    "protocols",
    "services",
)


def find_bwrap() -> str | None:
    return shutil.which("bwrap")


@functools.cache
def supports(bwrap: str, option: str) -> bool:
    """Whether this bubblewrap knows `option` (--disable-userns came in 0.8, --size in 0.7)."""
    try:
        proc = subprocess.run([bwrap, "--help"], capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return option in proc.stdout + proc.stderr


def _system_binds() -> list[str]:
    args = ["--ro-bind", "/usr", "/usr"]
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        p = Path(top)
        if p.is_symlink():
            args += ["--symlink", str(p.readlink()), top]
        elif p.is_dir():
            args += ["--ro-bind", top, top]
    for name in ETC_ALLOWED:
        if (Path("/etc") / name).exists():
            args += ["--ro-bind", f"/etc/{name}", f"/etc/{name}"]
    for python_etc in sorted(Path("/etc").glob("python3*")):  # Debian's Python reads its sitecustomize here
        args += ["--ro-bind", str(python_etc), str(python_etc)]
    return args


def runtime_paths() -> list[Path]:
    """Directories outside /usr that the sandboxed Python needs: its installation and this venv."""
    paths = {Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve(), Path(sys.executable).resolve().parent}
    return sorted(p for p in paths if not str(p).startswith("/usr/"))


def command(
    bwrap: str,
    workdir: Path,
    argv: list[str],
    env: dict[str, str],
    extra_ro: list[Path],
    *,
    tmp_mb: int = 256,
    writable: dict[str, Path] | None = None,
) -> list[str]:
    """`writable`: host folders bound read-write at WORK/<name> (over what the work dir holds there)."""
    size = ["--size", str(tmp_mb * 1024 * 1024)] if supports(bwrap, "--size") else []
    # Mounts apply in order: the private /tmp first, so a Python or venv that lives under /tmp stays visible.
    args = [bwrap, *_system_binds(), *size, "--tmpfs", "/tmp", "--proc", "/proc", "--dev", "/dev"]
    for path in [*runtime_paths(), *extra_ro]:
        args += ["--ro-bind", str(path), str(path)]
    args += ["--bind", str(workdir), WORK]
    for name, host in (writable or {}).items():
        args += ["--bind", str(host), f"{WORK}/{name}"]
    args += [
        "--chdir", WORK,
        "--unshare-all",  # network, PID, IPC, UTS, cgroup and user namespaces: loopback only
        # No user namespaces of its own: the kernel's namespace code is the sandbox's widest attack surface.
        *(["--unshare-user", "--disable-userns"] if supports(bwrap, "--disable-userns") else []),
        "--uid", "65534", "--gid", "65534",
        "--hostname", "aigc-sandbox",
        "--die-with-parent",
        "--new-session",
        "--cap-drop", "ALL",
        "--remount-ro", "/",
        "--clearenv",
    ]  # fmt: skip
    for key, value in env.items():
        args += ["--setenv", key, value]
    return [*args, "--", *argv]
