"""Reading a project folder on the host without following links: the walk and the read refuse anything but
plain files and folders, so a link planted in a project (`frontend/x -> ~/.ssh/id_rsa`) is neither listed,
read, copied into the sandbox nor zipped, and a swap between a check and the read gains nothing (each path
component is opened with O_NOFOLLOW, relative to the one before).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path, PurePosixPath

from aigc.errors import UsageError

SKIP = frozenset({"data", "__pycache__", ".venv", ".pytest_cache"})
MAX_FILE_BYTES = 8 * 1024 * 1024


class UnsafePath(UsageError):
    """A path that leaves the folder, passes through a link, or is not a plain file."""


def walk(folder: Path, skip: frozenset[str] = SKIP) -> list[str]:
    """Relative paths (POSIX) of the plain files under `folder`, sorted; links and what they point to are left out."""
    found: list[str] = []
    for root, dirs, names in os.walk(folder, followlinks=False):
        rel_root = Path(root).relative_to(folder)
        dirs[:] = sorted(d for d in dirs if d not in skip and not os.path.islink(os.path.join(root, d)))
        for name in names:
            try:
                mode = os.lstat(os.path.join(root, name)).st_mode
            except OSError:
                continue
            if stat.S_ISREG(mode):
                found.append((rel_root / name).as_posix())
    return sorted(found)


def _parts(relative: str) -> list[str]:
    parts = PurePosixPath(relative).parts
    if not parts or relative.startswith("/") or any(p in ("", ".", "..") or "\x00" in p for p in parts):
        raise UnsafePath(f"{relative!r} is not a path inside the project")
    return list(parts)


def read(folder: Path, relative: str, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of folder/relative, refusing links at every step, anything but a plain file, and files over `limit`."""
    parts = _parts(relative)
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    try:
        for part in parts[:-1]:
            try:
                step = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
            except OSError as exc:
                raise UnsafePath(f"{relative!r}: {part!r} is not a folder of the project") from exc
            os.close(fd)
            fd = step
        try:
            file_fd = os.open(parts[-1], os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=fd)
        except OSError as exc:
            raise UnsafePath(f"{relative!r} is not a plain file of the project") from exc
        with os.fdopen(file_fd, "rb") as f:
            info = os.fstat(f.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise UnsafePath(f"{relative!r} is not a plain file of the project")
            if info.st_size > limit:
                raise UnsafePath(f"{relative!r} is larger than {limit} bytes")
            return f.read(limit + 1)[:limit]
    finally:
        os.close(fd)


def contents(folder: Path, skip: frozenset[str] = SKIP) -> dict[str, bytes]:
    """Every plain file under `folder` (as `walk` finds them), read as `read` reads them."""
    out: dict[str, bytes] = {}
    for relative in walk(folder, skip):
        try:
            out[relative] = read(folder, relative)
        except UnsafePath:
            continue  # swapped for a link after the walk: left out
    return out
