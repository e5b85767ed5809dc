"""The shape of a decoder-only transformer. Two families: Qwen2-style and classic GPT-2-style.

Qwen2 / Llama:  RMSNorm, rotary positions, grouped-query attention (n_kv_head < n_head), q/k/v biases
                (Qwen2), a SwiGLU feed-forward, no learned positions.
GPT-2:          LayerNorm (with bias), learned position embeddings, multi-head attention with biases
                everywhere, a GELU feed-forward.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class GPTConfig:
    vocab_size: int
    n_layer: int
    n_head: int
    d_model: int
    d_ff: int
    n_kv_head: int | None = None  # None: as many as n_head (plain multi-head attention)
    norm: Literal["rms", "layer"] = "rms"
    norm_eps: float = 1e-6
    positions: Literal["rope", "learned"] = "rope"
    rope_theta: float = 10000.0
    rope_style: Literal["neox", "interleaved"] = "neox"  # which pairs of dimensions rotate together
    max_positions: int = 32768
    mlp: Literal["swiglu", "gelu"] = "swiglu"
    qkv_bias: bool = False
    out_bias: bool = False  # bias on the attention output and MLP projections (GPT-2)
    tie_embeddings: bool = False  # the output projection is the token embedding matrix

    def __post_init__(self) -> None:
        if self.d_model % self.n_head:
            raise ValueError(f"d_model {self.d_model} is not a multiple of n_head {self.n_head}")
        if self.n_head % self.kv_heads:
            raise ValueError(f"n_head {self.n_head} is not a multiple of n_kv_head {self.kv_heads}")

    @property
    def kv_heads(self) -> int:
        return self.n_kv_head or self.n_head

    @property
    def head_dim(self) -> int:
        return self.d_model // self.n_head

    @classmethod
    def qwen2(cls, **kw: object) -> GPTConfig:
        base: dict[str, object] = {
            "norm": "rms",
            "positions": "rope",
            "mlp": "swiglu",
            "qkv_bias": True,
            "rope_style": "neox",
            "rope_theta": 1_000_000.0,
        }
        return cls(**{**base, **kw})  # type: ignore[arg-type]

    @classmethod
    def gpt2(cls, **kw: object) -> GPTConfig:
        base: dict[str, object] = {
            "norm": "layer",
            "norm_eps": 1e-5,
            "positions": "learned",
            "mlp": "gelu",
            "qkv_bias": True,
            "out_bias": True,
            "max_positions": 1024,
        }
        return cls(**{**base, **kw})  # type: ignore[arg-type]
