"""Tokens become vectors: row `token` of the embedding matrix E (vocab_size x d_model).

x_0[t] = E[token_t]                    (Qwen2: positions enter later, by rotating q and k)
x_0[t] = E[token_t] + P[position_t]    (GPT-2: a learned vector per position)
"""

from __future__ import annotations

import torch
from torch import nn

from aigc.gpt.config import GPTConfig


class Embedding(nn.Module):
    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.tokens = nn.Embedding(config.vocab_size, config.d_model)
        self.positions = nn.Embedding(config.max_positions, config.d_model) if config.positions == "learned" else None

    def forward(self, tokens: torch.Tensor, start: int) -> torch.Tensor:  # (B, T) -> (B, T, d_model)
        x: torch.Tensor = self.tokens(tokens)
        if self.positions is not None:
            where = torch.arange(start, start + tokens.shape[1], device=tokens.device)
            x = x + self.positions(where)
        return x
