"""Turn what a user typed after --model into a verified GGUF file on disk.

Accepted: a catalogue name or alias, a path to a local .gguf file, or a Hugging Face
'owner/repo/file.gguf' (downloaded with huggingface_hub into the cache; a cached copy works offline).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from aigc.errors import ModelCorrupted, ModelDownloadError, ModelError, UnknownModel
from aigc.models.catalogue import ALIASES, CATALOGUE, ModelSpec, lookup
from aigc.models.progress import Reporter
from aigc.models.store import ensure, is_gguf, models_dir


@dataclass(frozen=True)
class ResolvedModel:
    name: str
    path: Path
    spec: ModelSpec | None = None


def known_names() -> list[str]:
    aliases = {v: k for k, v in ALIASES.items() if k != "default"}
    return [f"{name} (alias {aliases[name]})" if name in aliases else name for name in CATALOGUE]


def _looks_local(name: str) -> bool:
    return name.startswith(("/", "./", "../", "~")) or (os.sep in name and Path(name).expanduser().exists())


def check_gguf(path: Path) -> Path:
    if not path.is_file():
        raise ModelError(f"no model file at {path}")
    if not is_gguf(path):
        raise ModelCorrupted(f"{path} is not a GGUF model file (it does not start with the GGUF magic bytes)")
    return path


def split_hub_name(name: str) -> tuple[str, str] | None:
    """'owner/repo/sub/file.gguf' -> ('owner/repo', 'sub/file.gguf'); None when it is not that shape."""
    pieces = name.split("/")
    if len(pieces) < 3 or not name.endswith(".gguf") or any(not p for p in pieces):
        return None
    return "/".join(pieces[:2]), "/".join(pieces[2:])


def download_from_hub(repo_id: str, filename: str, cache_dir: Path) -> Path:
    """A cached copy if there is one (works offline), else a download; errors say what to do."""
    from huggingface_hub import hf_hub_download

    try:
        return Path(hf_hub_download(repo_id, filename, cache_dir=str(cache_dir), local_files_only=True))
    except Exception:  # not cached: fall through to a real download
        pass
    try:
        return Path(hf_hub_download(repo_id, filename, cache_dir=str(cache_dir)))
    except Exception as exc:  # huggingface_hub raises many kinds; all mean "not downloaded"
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelDownloadError(
            f"could not download {filename} from the Hugging Face repo {repo_id}: {reason}\n"
            "If this machine is offline, copy the .gguf file here and pass its path with --model, "
            "or use a catalogue model (aigc model list)."
        ) from exc


def resolve(name: str, home: Path, reporter: Reporter | None = None) -> ResolvedModel:
    spec = lookup(name)
    if spec is not None:
        return ResolvedModel(spec.name, ensure(spec, models_dir(home), reporter), spec)
    if _looks_local(name) or Path(name).expanduser().is_file():
        path = check_gguf(Path(name).expanduser().resolve())
        return ResolvedModel(path.name, path)
    hub = split_hub_name(name)
    if hub is not None:
        path = check_gguf(download_from_hub(hub[0], hub[1], home / "hub"))
        return ResolvedModel(name, path)
    raise UnknownModel(name, known_names())
