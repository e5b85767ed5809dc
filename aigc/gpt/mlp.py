"""The feed-forward network, applied to each position on its own: where most of the parameters live.

SwiGLU(x) = W_down (silu(W_gate x) * (W_up x))       silu(z) = z * sigmoid(z)      (Qwen2, Llama)
GELU-MLP(x) = W_down gelu(W_up x + b_up) + b_down                                    (GPT-2)
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from aigc.gpt.config import GPTConfig


class SwiGLU(nn.Module):
    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.gate = nn.Linear(config.d_model, config.d_ff, bias=False)
        self.up = nn.Linear(config.d_model, config.d_ff, bias=False)
        self.down = nn.Linear(config.d_ff, config.d_model, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, T, d_model)
        out: torch.Tensor = self.down(F.silu(self.gate(x)) * self.up(x))
        return out


class GeluMLP(nn.Module):
    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.up = nn.Linear(config.d_model, config.d_ff, bias=True)
        self.down = nn.Linear(config.d_ff, config.d_model, bias=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.down(F.gelu(self.up(x), approximate="tanh"))  # GPT-2: the tanh approximation
        return out


def make_mlp(config: GPTConfig) -> nn.Module:
    return SwiGLU(config) if config.mlp == "swiglu" else GeluMLP(config)
