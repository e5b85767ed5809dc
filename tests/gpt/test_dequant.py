"""aigc's block decoders against the gguf package's reference dequantization, on random blocks of every
supported type and on real tensors of the embedded model."""

from __future__ import annotations

import numpy as np
import pytest
from gguf import GGMLQuantizationType as T
from gguf.quants import dequantize as reference

from aigc.gpt.dequant import BLOCK_FORMATS, UnsupportedTensorType, dequantize

# Where each format keeps its f16 scales (random bytes there could be inf or NaN).
HALVES = {T.Q4_0: [0], T.Q4_1: [0, 2], T.Q5_0: [0], T.Q5_1: [0, 2], T.Q8_0: [0], T.Q4_K: [0, 2], T.Q5_K: [0, 2],
          T.Q6_K: [208]}  # fmt: skip


@pytest.mark.parametrize("qtype", list(HALVES), ids=lambda t: t.name)
def test_random_blocks_decode_as_the_reference_does(qtype: T) -> None:
    per_block, nbytes, _ = BLOCK_FORMATS[int(qtype)]
    rng = np.random.default_rng(int(qtype))
    rows, blocks_per_row = 3, 4
    raw = rng.integers(0, 256, size=(rows * blocks_per_row, nbytes), dtype=np.uint8)
    for at in HALVES[qtype]:
        raw[:, at : at + 2] = rng.uniform(-2, 2, size=(len(raw), 1)).astype(np.float16).view(np.uint8)
    raw = raw.reshape(rows, blocks_per_row * nbytes)
    ours = dequantize(raw, int(qtype), (rows, blocks_per_row * per_block))
    expected = reference(raw, qtype)
    np.testing.assert_allclose(ours, expected, rtol=1e-6, atol=1e-6)


def test_float_types() -> None:
    x = np.linspace(-3, 3, 64, dtype=np.float32).reshape(4, 16)
    assert np.array_equal(dequantize(x.astype(np.float16).view(np.uint8), 1, (4, 16)), x.astype(np.float16))
    bf16 = (x.view(np.uint32) >> 16).astype(np.uint16)
    np.testing.assert_allclose(dequantize(bf16, 30, (4, 16)), x, rtol=1e-2)
    np.testing.assert_array_equal(dequantize(x, 0, (4, 16)), x)
    with pytest.raises(UnsupportedTensorType, match="type 16 is not supported"):
        dequantize(np.zeros(66, np.uint8), 16, (1, 256))


@pytest.mark.model
def test_every_tensor_type_of_the_embedded_model_matches(model_path_any: object) -> None:
    from gguf import GGUFReader

    reader = GGUFReader(model_path_any)
    seen: set[str] = set()
    for t in reader.tensors:
        if t.tensor_type.name in seen:
            continue
        seen.add(t.tensor_type.name)
        rows = np.asarray(t.data)[:64]  # the first rows are enough, and keep the test quick
        shape = (len(rows), int(t.shape[0])) if rows.ndim == 2 else (len(rows),)
        ours = dequantize(rows, int(t.tensor_type), shape)
        np.testing.assert_allclose(ours, reference(rows, t.tensor_type).reshape(shape), rtol=1e-6, atol=1e-7)
    assert {"Q5_0", "Q8_0", "Q4_K", "Q6_K", "F32"} <= seen
