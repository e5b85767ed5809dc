"""Normalization before each sub-layer keeps activations at a steady scale through many layers.

RMSNorm(x)   = x / sqrt(mean(x^2) + eps) * g                    (Qwen2, Llama)
LayerNorm(x) = (x - mean(x)) / sqrt(var(x) + eps) * g + b       (GPT-2)
"""

from __future__ import annotations

import torch
from torch import nn


class RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float) -> None:
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (..., dim)
        x32 = x.float()  # the statistics in float32 whatever the weights are stored in
        rms = torch.rsqrt(x32.pow(2).mean(dim=-1, keepdim=True) + self.eps)
        return (x32 * rms).to(x.dtype) * self.weight


class LayerNorm(nn.Module):
    def __init__(self, dim: int, eps: float) -> None:
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))
        self.bias = nn.Parameter(torch.zeros(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x32 = x.float()
        mean = x32.mean(dim=-1, keepdim=True)
        var = (x32 - mean).pow(2).mean(dim=-1, keepdim=True)
        return ((x32 - mean) * torch.rsqrt(var + self.eps)).to(x.dtype) * self.weight + self.bias


def make_norm(kind: str, dim: int, eps: float) -> nn.Module:
    return RMSNorm(dim, eps) if kind == "rms" else LayerNorm(dim, eps)
