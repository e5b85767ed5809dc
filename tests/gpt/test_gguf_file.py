"""aigc's GGUF reader against the gguf package's, and what it says about damaged files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from aigc.errors import ModelCorrupted
from aigc.gpt.gguf_file import GGUFError, open_gguf
from aigc.gpt.gguf_load import read


@pytest.mark.model
def test_metadata_and_tensor_table_match_the_gguf_package(model_path_any: Path) -> None:
    from gguf import GGUFReader

    ours = open_gguf(model_path_any)
    ref = GGUFReader(str(model_path_any))
    expected = {k: f.contents() for k, f in ref.fields.items() if not k.startswith("GGUF.")}
    assert ours.metadata.keys() == expected.keys()
    for key, value in expected.items():
        if isinstance(value, float):
            assert ours.metadata[key] == pytest.approx(value), key
        else:
            assert ours.metadata[key] == value, key
    assert [t.name for t in ours.tensors] == [t.name for t in ref.tensors]
    for mine, theirs in zip(ours.tensors, ref.tensors, strict=True):
        assert mine.shape == tuple(int(n) for n in theirs.shape) and mine.ggml_type == int(theirs.tensor_type)
        assert np.array_equal(ours.raw(mine)[:4096], np.asarray(theirs.data).reshape(-1).view(np.uint8)[:4096])


def test_files_that_are_not_gguf_or_are_cut_short_are_refused(tmp_path: Path) -> None:
    text = tmp_path / "notes.gguf"
    text.write_text("hello, not a model")
    with pytest.raises(GGUFError, match="no GGUF magic"):
        open_gguf(text)
    with pytest.raises(ModelCorrupted, match="not a readable GGUF file"):
        read(text)
    cut = tmp_path / "cut.gguf"
    cut.write_bytes(
        b"GGUF" + (3).to_bytes(4, "little") + (1).to_bytes(8, "little") + (5).to_bytes(8, "little") + b"\x10"
    )
    with pytest.raises(GGUFError, match="truncated"):
        open_gguf(cut)


@pytest.mark.model
def test_a_truncated_model_file_names_the_tensor(model_path_any: Path, tmp_path: Path) -> None:
    short = tmp_path / "short.gguf"
    with model_path_any.open("rb") as src:
        short.write_bytes(src.read(50_000_000))
    with pytest.raises(ModelCorrupted, match="runs past the end of the file"):
        read(short)
