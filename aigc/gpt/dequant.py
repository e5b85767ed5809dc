"""GGUF tensor data -> float32: the block formats llama.cpp stores weights in, decoded with NumPy.

A quantized row is a run of blocks. Each block stores a few scales in half precision and small integers;
the weight is scale * integer (+ offset). The layouts follow ggml's `block_*` structs (ggml-common.h):

    Q8_0  (32 weights, 34 bytes)   d:f16, q:int8[32]                         w = d*q
    Q4_0  (32, 18)                 d:f16, q:4-bit[32]                        w = d*(q-8)
    Q4_1  (32, 20)                 d:f16, m:f16, q:4-bit[32]                 w = d*q + m
    Q5_0  (32, 22)                 d:f16, qh:u32 (5th bits), q:4-bit[32]     w = d*(q-16)
    Q5_1  (32, 24)                 d:f16, m:f16, qh:u32, q:4-bit[32]         w = d*q + m
    Q4_K  (256, 144)  "super-block" of 8 sub-blocks of 32: d, dmin:f16; 6-bit scale and min per
                      sub-block packed in 12 bytes; q:4-bit[256]             w = d*sc*q - dmin*mn
    Q5_K  (256, 176)  as Q4_K plus qh:u8[32] holding each weight's 5th bit
    Q6_K  (256, 210)  ql:u8[128] (low 4 bits), qh:u8[64] (high 2 bits), sc:int8[16] (one per 16
                      weights), d:f16                                        w = d*sc*(q-32)

Within a 32-weight block of the legacy formats, byte j holds weight j (low nibble) and weight j+16 (high).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

F32 = NDArray[np.float32]
U8 = NDArray[np.uint8]

QK = 32  # weights per block, legacy formats
QK_K = 256  # weights per super-block, k-quants


def _half(blocks: U8, start: int) -> F32:
    """The f16 at byte `start` of each block, as a (n, 1) float32 column."""
    halves: F32 = blocks[:, start : start + 2].copy().view(np.float16).astype(np.float32)
    return halves


def _nibbles(q: U8) -> U8:
    """(n, 16) bytes -> (n, 32) values: low nibbles are weights 0..15, high nibbles 16..31."""
    return np.concatenate([q & 0x0F, q >> 4], axis=1)


def _fifth_bits(qh: U8) -> U8:
    """(n, 4) bytes of a little-endian u32 -> (n, 32) bits: bit j is weight j's fifth bit."""
    return np.unpackbits(np.ascontiguousarray(qh), axis=1, bitorder="little")


def q8_0(blocks: U8) -> F32:
    return _half(blocks, 0) * blocks[:, 2:34].view(np.int8).astype(np.float32)


def q4_0(blocks: U8) -> F32:
    return _half(blocks, 0) * (_nibbles(blocks[:, 2:18]).astype(np.float32) - 8)


def q4_1(blocks: U8) -> F32:
    return _half(blocks, 0) * _nibbles(blocks[:, 4:20]).astype(np.float32) + _half(blocks, 2)


def q5_0(blocks: U8) -> F32:
    q = _nibbles(blocks[:, 6:22]) | (_fifth_bits(blocks[:, 2:6]) << 4)
    return _half(blocks, 0) * (q.astype(np.float32) - 16)


def q5_1(blocks: U8) -> F32:
    q = _nibbles(blocks[:, 8:24]) | (_fifth_bits(blocks[:, 4:8]) << 4)
    return _half(blocks, 0) * q.astype(np.float32) + _half(blocks, 2)


def _k_scales(packed: U8) -> tuple[NDArray[np.int32], NDArray[np.int32]]:
    """The 12 packed bytes of Q4_K/Q5_K -> 8 six-bit scales and 8 six-bit mins per super-block.

    Sub-blocks 0..3 keep scale and min in the low 6 bits of bytes 0..3 and 4..7; sub-blocks 4..7 keep
    their low 4 bits in bytes 8..11 and their top 2 bits in the spare top bits of bytes 0..7.
    """
    p = packed.astype(np.int32)
    scales = np.empty((len(p), 8), np.int32)
    mins = np.empty((len(p), 8), np.int32)
    scales[:, :4] = p[:, 0:4] & 63
    mins[:, :4] = p[:, 4:8] & 63
    scales[:, 4:] = (p[:, 8:12] & 0x0F) | ((p[:, 0:4] >> 6) << 4)
    mins[:, 4:] = (p[:, 8:12] >> 4) | ((p[:, 4:8] >> 6) << 4)
    return scales, mins


def _k_apply(blocks: U8, q: NDArray[np.int32]) -> F32:
    """w = d*scale*q - dmin*min, sub-block by sub-block; q is (n, 8, 32)."""
    d, dmin = _half(blocks, 0), _half(blocks, 2)
    scales, mins = _k_scales(blocks[:, 4:16])
    w = (d * scales)[:, :, None] * q - (dmin * mins)[:, :, None]
    return w.reshape(len(blocks), QK_K).astype(np.float32)


def _k_nibbles(qs: U8) -> NDArray[np.int32]:
    """128 bytes -> 8 sub-blocks of 32: each 32-byte chunk gives a sub-block of low nibbles, then one of high."""
    chunks = qs.reshape(len(qs), 4, 32).astype(np.int32)
    return np.stack([chunks & 0x0F, chunks >> 4], axis=2).reshape(len(qs), 8, 32)


def q4_k(blocks: U8) -> F32:
    return _k_apply(blocks, _k_nibbles(blocks[:, 16:144]))


def q5_k(blocks: U8) -> F32:
    low = _k_nibbles(blocks[:, 48:176])
    qh = blocks[:, 16:48].astype(np.int32)  # (n, 32): bit 2i / 2i+1 of byte l is the 5th bit of sub-block 2i / 2i+1
    high = np.stack([(qh >> i) & 1 for i in range(8)], axis=1)  # (n, 8, 32)
    return _k_apply(blocks, low | (high << 4))


def q6_k(blocks: U8) -> F32:
    n = len(blocks)
    ql = blocks[:, 0:128].reshape(n, 2, 64).astype(np.int32)  # two halves of 128 weights
    qh = blocks[:, 128:192].reshape(n, 2, 32).astype(np.int32)
    sc = blocks[:, 192:208].view(np.int8).astype(np.float32).reshape(n, 2, 8)
    d = _half(blocks, 208)
    # In each half: 4 runs of 32 weights; run r takes ql's low/high nibbles and qh's bits 2r..2r+1.
    runs = [
        (ql[:, :, 0:32] & 0x0F) | (((qh >> 0) & 3) << 4),
        (ql[:, :, 32:64] & 0x0F) | (((qh >> 2) & 3) << 4),
        (ql[:, :, 0:32] >> 4) | (((qh >> 4) & 3) << 4),
        (ql[:, :, 32:64] >> 4) | (((qh >> 6) & 3) << 4),
    ]
    q = (np.stack(runs, axis=2) - 32).astype(np.float32)  # (n, 2, 4, 32)
    scale = sc.reshape(n, 2, 4, 2).repeat(16, axis=3)  # one scale per 16 weights: (n, 2, 4, 32)
    return (d[:, :, None, None] * scale * q).reshape(n, QK_K)


# ggml type id -> (weights per block, bytes per block, decoder)
BLOCK_FORMATS: dict[int, tuple[int, int, Callable[[U8], F32]]] = {
    2: (QK, 18, q4_0),
    3: (QK, 20, q4_1),
    6: (QK, 22, q5_0),
    7: (QK, 24, q5_1),
    8: (QK, 34, q8_0),
    12: (QK_K, 144, q4_k),
    13: (QK_K, 176, q5_k),
    14: (QK_K, 210, q6_k),
}
TYPE_NAMES = {0: "F32", 1: "F16", 30: "BF16", 2: "Q4_0", 3: "Q4_1", 6: "Q5_0", 7: "Q5_1", 8: "Q8_0",
              12: "Q4_K", 13: "Q5_K", 14: "Q6_K"}  # fmt: skip


class UnsupportedTensorType(ValueError):
    pass


def dequantize(raw: NDArray[np.generic], ggml_type: int, shape: tuple[int, ...]) -> F32:
    """Decode one tensor's stored data to float32 of `shape` (rows, ..., row length), as ggml lays it out."""
    if ggml_type == 0:
        return np.array(np.asarray(raw).view(np.float32), dtype=np.float32).reshape(shape)  # a writable copy
    if ggml_type == 1:
        return np.asarray(raw).view(np.float16).astype(np.float32).reshape(shape)
    if ggml_type == 30:  # bfloat16: the top half of a float32
        bits = np.asarray(raw).view(np.uint16).astype(np.uint32) << 16
        return bits.view(np.float32).reshape(shape)
    if ggml_type not in BLOCK_FORMATS:
        raise UnsupportedTensorType(
            f"tensor type {TYPE_NAMES.get(ggml_type, ggml_type)} is not supported; "
            f"supported: {', '.join(TYPE_NAMES.values())}"
        )
    _, nbytes, decode = BLOCK_FORMATS[ggml_type]
    blocks = np.ascontiguousarray(raw, dtype=np.uint8).reshape(-1, nbytes)
    return decode(blocks).reshape(shape)
