"""The bubblewrap command line: a read-only system, a private work dir, no network, own namespaces."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

WORK = "/aigc-work"  # where the private work dir appears inside the sandbox (a path no host tree uses)


def find_bwrap() -> str | None:
    return shutil.which("bwrap")


def _system_binds() -> list[str]:
    args = ["--ro-bind", "/usr", "/usr", "--ro-bind", "/etc", "/etc"]
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        p = Path(top)
        if p.is_symlink():
            args += ["--symlink", str(p.readlink()), top]
        elif p.is_dir():
            args += ["--ro-bind", top, top]
    return args


def runtime_paths() -> list[Path]:
    """Directories outside /usr that the sandboxed Python needs: its installation and this venv."""
    paths = {Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve(), Path(sys.executable).resolve().parent}
    return sorted(p for p in paths if not str(p).startswith("/usr/"))


def command(
    bwrap: str, workdir: Path, argv: list[str], env: dict[str, str], extra_ro: list[Path], *, share_net: bool = False
) -> list[str]:
    """share_net: keep the host's network (for an app served to the user on loopback); otherwise none."""
    # Mounts apply in order: the private /tmp first, so a Python or venv that lives under /tmp stays visible.
    args = [bwrap, *_system_binds(), "--tmpfs", "/tmp", "--proc", "/proc", "--dev", "/dev"]
    for path in [*runtime_paths(), *extra_ro]:
        args += ["--ro-bind", str(path), str(path)]
    args += [
        "--bind", str(workdir), WORK,
        "--chdir", WORK,
        "--unshare-all",  # network, PID, IPC, UTS, cgroup and user namespaces: no network at all
        *(["--share-net"] if share_net else []),
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
