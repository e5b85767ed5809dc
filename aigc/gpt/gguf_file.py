"""The GGUF container, read from its specification (ggml's docs/gguf.md), little-endian throughout:

    magic "GGUF" | version u32 | tensor_count u64 | kv_count u64
    kv_count x   key: string | value_type u32 | value           (string = u64 length + UTF-8 bytes;
                                                                 array = item type u32 + u64 count + items)
    tensor_count x   name: string | n_dims u32 | dims u64[n_dims] | ggml type u32 | offset u64
    padding to `general.alignment` (32), then the tensor data; each offset counts from there

The `gguf` package reads the same thing (the tests check that both agree); this reader exists because that
one spends seconds building Python objects for the 150k-entry vocabulary and merges, on every load.
Tensor data is memory-mapped, never copied until it is decoded.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from aigc.gpt.dequant import BLOCK_FORMATS

_SCALARS = {0: "<u1", 1: "<i1", 2: "<u2", 3: "<i2", 4: "<u4", 5: "<i4", 6: "<f4", 7: "<u1", 10: "<u8", 11: "<i8",
            12: "<f8"}  # fmt: skip
STRING, ARRAY, BOOL = 8, 9, 7
_FLOAT_SIZES = {0: 4, 1: 2, 30: 2}  # F32, F16, BF16: bytes per value


class GGUFError(ValueError):
    pass


@dataclass(frozen=True)
class TensorInfo:
    name: str
    shape: tuple[int, ...]  # ggml order: the row length first
    ggml_type: int
    offset: int  # from the start of the data section
    nbytes: int


@dataclass
class GGUFFile:
    path: Path
    version: int
    metadata: dict[str, Any]
    tensors: list[TensorInfo]
    data_start: int

    _map: NDArray[np.uint8] | None = None

    def raw(self, tensor: TensorInfo) -> NDArray[np.uint8]:
        """The tensor's stored bytes, memory-mapped (read-only)."""
        if self._map is None:
            self._map = np.asarray(np.memmap(self.path, dtype=np.uint8, mode="r"))
        start = self.data_start + tensor.offset
        if start + tensor.nbytes > len(self._map):
            raise GGUFError(f"{self.path}: tensor {tensor.name} runs past the end of the file (truncated?)")
        return self._map[start : start + tensor.nbytes]


class _Cursor:
    def __init__(self, data: bytes) -> None:
        self.data, self.at = data, 0

    def take(self, fmt: str) -> Any:
        value = struct.unpack_from(fmt, self.data, self.at)
        self.at += struct.calcsize(fmt)
        return value[0]

    def string(self) -> str:
        n = self.take("<Q")
        s = self.data[self.at : self.at + n]
        self.at += n
        return s.decode("utf-8", errors="replace")

    def value(self, kind: int) -> Any:
        if kind == STRING:
            return self.string()
        if kind == ARRAY:
            item, count = self.take("<I"), self.take("<Q")
            if item == STRING:
                return [self.string() for _ in range(count)]
            if item in _SCALARS:
                dtype = np.dtype(_SCALARS[item])
                arr = np.frombuffer(self.data, dtype=dtype, count=count, offset=self.at)
                self.at += dtype.itemsize * count
                return [bool(x) for x in arr] if item == BOOL else arr.tolist()
            return [self.value(item) for _ in range(count)]
        if kind in _SCALARS:
            fmt = "<" + {"u1": "B", "i1": "b", "u2": "H", "i2": "h", "u4": "I", "i4": "i", "f4": "f", "u8": "Q",
                         "i8": "q", "f8": "d"}[_SCALARS[kind][1:]]  # fmt: skip
            v = self.take(fmt)
            return bool(v) if kind == BOOL else v
        raise GGUFError(f"unknown metadata value type {kind}")


def tensor_bytes(shape: tuple[int, ...], ggml_type: int) -> int:
    count = int(np.prod(shape)) if shape else 1
    if ggml_type in _FLOAT_SIZES:
        return count * _FLOAT_SIZES[ggml_type]
    if ggml_type in BLOCK_FORMATS:
        per_block, nbytes, _ = BLOCK_FORMATS[ggml_type]
        return count // per_block * nbytes
    raise GGUFError(f"tensor type {ggml_type} has no known size")


def open_gguf(path: Path) -> GGUFFile:
    with path.open("rb") as f:
        head = f.read(24)
        if len(head) < 24 or head[:4] != b"GGUF":
            raise GGUFError(f"{path} is not a GGUF file (no GGUF magic)")
        f.seek(0)
        # The header is a few MB at most (the vocabulary); read generously, grow if needed.
        size = 64 * 1024 * 1024
        while True:
            data = f.read(size)
            try:
                return _parse(path, data)
            except (struct.error, ValueError) as exc:
                if isinstance(exc, GGUFError):
                    raise
                if len(data) < size:
                    raise GGUFError(f"{path} ends inside its header: the file is truncated") from None
                size *= 4
                f.seek(0)


def _parse(path: Path, data: bytes) -> GGUFFile:
    c = _Cursor(data)
    c.take("<I")  # magic, checked by the caller
    version = c.take("<I")
    if version not in (2, 3):
        raise GGUFError(f"{path}: GGUF version {version} is not supported (2 and 3 are)")
    n_tensors, n_kv = c.take("<Q"), c.take("<Q")
    meta: dict[str, Any] = {}
    for _ in range(n_kv):
        key = c.string()
        meta[key] = c.value(c.take("<I"))
    tensors = []
    for _ in range(n_tensors):
        name = c.string()
        dims = tuple(c.take("<Q") for _ in range(c.take("<I")))
        kind, offset = c.take("<I"), c.take("<Q")
        tensors.append(TensorInfo(name, dims, kind, offset, tensor_bytes(dims, kind)))
    align = int(meta.get("general.alignment", 32))
    start = (c.at + align - 1) // align * align
    return GGUFFile(path, version, meta, tensors, start)
