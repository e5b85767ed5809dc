"""The decoder: an embedding, n_layer blocks, a final norm and the output projection to the vocabulary.

x_0 = Embed(tokens)
x_l = x_{l-1} + Attention(Norm(x_{l-1}))        every block: pre-norm, then a residual connection
x_l = x_l + MLP(Norm(x_l))
logits = Norm(x_L) W_out^T                       one score per vocabulary token, per position
P(y_t | y_<t, x) = softmax(logits_t)             (aigc.gpt.sampling)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn

from aigc.gpt.attention import CausalSelfAttention, KVCache
from aigc.gpt.config import GPTConfig
from aigc.gpt.embedding import Embedding
from aigc.gpt.mlp import make_mlp
from aigc.gpt.norm import make_norm
from aigc.gpt.rope import Rotary


class Block(nn.Module):
    def __init__(self, config: GPTConfig, rotary: Rotary | None) -> None:
        super().__init__()
        self.attn_norm = make_norm(config.norm, config.d_model, config.norm_eps)
        self.attn = CausalSelfAttention(config, rotary)
        self.mlp_norm = make_norm(config.norm, config.d_model, config.norm_eps)
        self.mlp = make_mlp(config)

    def forward(
        self, x: torch.Tensor, cache: KVCache | None, index: int, start: int, keep: bool
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        layer_cache = cache.layers[index] if cache is not None else None
        attended, weights = self.attn(self.attn_norm(x), layer_cache, start, keep)
        x = x + attended
        x = x + self.mlp(self.mlp_norm(x))
        return x, weights


@dataclass
class Output:
    logits: torch.Tensor  # (B, T, vocab_size)
    attention: dict[int, torch.Tensor] = field(default_factory=dict)  # layer -> (B, n_head, T, S)


class GPT(nn.Module):
    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.config = config
        rotary = Rotary(config.head_dim, config.rope_theta, config.rope_style) if config.positions == "rope" else None
        self.embed = Embedding(config)
        self.blocks = nn.ModuleList([Block(config, rotary) for _ in range(config.n_layer)])
        self.norm = make_norm(config.norm, config.d_model, config.norm_eps)
        self.lm_head = nn.Linear(config.d_model, config.vocab_size, bias=False)
        if config.tie_embeddings:
            self.lm_head.weight = self.embed.tokens.weight

    def new_cache(self) -> KVCache:
        return KVCache.empty(self.config.n_layer)

    @torch.inference_mode()
    def forward(
        self,
        tokens: torch.Tensor,
        cache: KVCache | None = None,
        keep_attention: frozenset[int] = frozenset(),
        last_only: bool = False,
    ) -> Output:
        """tokens (B, T) continue the sequence in `cache` (or start one). With `last_only` the logits are
        computed for the last position only (all that generation needs; the vocabulary is large)."""
        start = cache.length if cache is not None else 0
        if start + tokens.shape[1] > self.config.max_positions:
            raise ValueError(f"{start + tokens.shape[1]} positions exceed the model's {self.config.max_positions}")
        x = self.embed(tokens, start)  # (B, T, d_model)
        attention: dict[int, torch.Tensor] = {}
        for i, block in enumerate(self.blocks):
            x, weights = block(x, cache, i, start, i in keep_attention)
            if weights is not None:
                attention[i] = weights
        if cache is not None:
            cache.length = start + tokens.shape[1]
        x = self.norm(x[:, -1:] if last_only else x)
        return Output(self.lm_head(x).float(), attention)
