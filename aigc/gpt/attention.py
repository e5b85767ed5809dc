"""Causal self-attention: each position looks back at every earlier one and takes a weighted mix of them.

    Q = X W_q + b_q,  K = X W_k + b_k,  V = X W_v + b_v            one projection per head
    Attention(Q, K, V) = softmax(Q K^T / sqrt(d_k) + M) V          M = -inf above the diagonal (no peeking ahead)
    MultiHead(X) = concat(head_1, ..., head_h) W_o

Grouped-query attention (Ainslie et al. 2023) shares each key/value head among n_head / n_kv_head query
heads: fewer K and V to store, the same formula. The KV cache keeps the K and V of every position seen so
far, so generating a token computes attention for that one new query instead of the whole sequence.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
from torch import nn

from aigc.gpt.config import GPTConfig
from aigc.gpt.rope import Rotary


@dataclass
class LayerCache:
    k: torch.Tensor | None = None  # (B, n_kv_head, S, head_dim)
    v: torch.Tensor | None = None

    def append(self, k: torch.Tensor, v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        self.k = k if self.k is None else torch.cat([self.k, k], dim=2)
        self.v = v if self.v is None else torch.cat([self.v, v], dim=2)
        return self.k, self.v


@dataclass
class KVCache:
    layers: list[LayerCache] = field(default_factory=list)
    length: int = 0  # positions cached so far: the next token's position

    @classmethod
    def empty(cls, n_layer: int) -> KVCache:
        return cls([LayerCache() for _ in range(n_layer)])

    def truncate(self, length: int) -> None:
        """Forget positions from `length` on (to reuse a shared prompt prefix)."""
        for layer in self.layers:
            if layer.k is not None and layer.v is not None:
                layer.k, layer.v = layer.k[:, :, :length], layer.v[:, :, :length]
        self.length = min(self.length, length)


class CausalSelfAttention(nn.Module):
    def __init__(self, config: GPTConfig, rotary: Rotary | None) -> None:
        super().__init__()
        self.n_head, self.n_kv, self.head_dim = config.n_head, config.kv_heads, config.head_dim
        self.q = nn.Linear(config.d_model, self.n_head * self.head_dim, bias=config.qkv_bias)
        self.k = nn.Linear(config.d_model, self.n_kv * self.head_dim, bias=config.qkv_bias)
        self.v = nn.Linear(config.d_model, self.n_kv * self.head_dim, bias=config.qkv_bias)
        self.o = nn.Linear(self.n_head * self.head_dim, config.d_model, bias=config.out_bias)
        self.rotary = rotary

    def forward(
        self, x: torch.Tensor, cache: LayerCache | None, start: int, keep_weights: bool = False
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        B, T, _ = x.shape
        q = self.q(x).view(B, T, self.n_head, self.head_dim).transpose(1, 2)  # (B, n_head, T, head_dim)
        k = self.k(x).view(B, T, self.n_kv, self.head_dim).transpose(1, 2)  # (B, n_kv, T, head_dim)
        v = self.v(x).view(B, T, self.n_kv, self.head_dim).transpose(1, 2)
        if self.rotary is not None:
            q, k = self.rotary(q, start), self.rotary(k, start)
        if cache is not None:
            k, v = cache.append(k, v)  # (B, n_kv, S, head_dim), S = start + T
        group = self.n_head // self.n_kv
        if group > 1:  # each key/value head serves `group` query heads
            k, v = k.repeat_interleave(group, dim=1), v.repeat_interleave(group, dim=1)
        S = k.shape[2]
        scores = (q @ k.transpose(-2, -1)) / math.sqrt(self.head_dim)  # (B, n_head, T, S)
        # Query t sits at absolute position start + t and may see keys 0 .. start + t.
        visible = torch.arange(S, device=x.device)[None, :] <= (start + torch.arange(T, device=x.device))[:, None]
        scores = scores.masked_fill(~visible, float("-inf"))
        weights = torch.softmax(scores.float(), dim=-1).to(v.dtype)  # rows sum to 1: how much each position counts
        out = (weights @ v).transpose(1, 2).reshape(B, T, self.n_head * self.head_dim)  # concat heads
        return self.o(out), weights if keep_weights else None
