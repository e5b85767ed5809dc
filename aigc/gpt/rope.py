"""Rotary position encoding (RoFormer, Su et al. 2021): position enters attention as a rotation.

Dimension pair i of a head (i < d/2) turns by the angle  pos * theta_i,  theta_i = base^(-2i/d):

    [q_a']   [cos -sin] [q_a]
    [q_b'] = [sin  cos] [q_b]

Then q_m . k_n depends only on the offset m - n: attention sees relative positions. The "neox" layout
(Qwen2, GPT-NeoX) pairs dimension i with i + d/2; the "interleaved" layout (the original, GPT-J) pairs
2i with 2i+1.
"""

from __future__ import annotations

import torch


class Rotary:
    def __init__(self, head_dim: int, base: float, style: str = "neox") -> None:
        self.head_dim, self.base, self.style = head_dim, base, style
        steps = torch.arange(0, head_dim, 2, dtype=torch.float64, device="cpu")
        self.inv_freq = base ** (-steps / head_dim)  # (d/2,)

    def angles(self, start: int, length: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
        pos = torch.arange(start, start + length, dtype=torch.float64, device="cpu")
        theta = torch.outer(pos, self.inv_freq)  # (T, d/2)
        return theta.cos().float().to(device), theta.sin().float().to(device)

    def __call__(self, x: torch.Tensor, start: int) -> torch.Tensor:  # (B, heads, T, d)
        cos, sin = self.angles(start, x.shape[2], x.device)
        cos, sin = cos.to(x.dtype), sin.to(x.dtype)
        if self.style == "neox":
            a, b = x[..., : self.head_dim // 2], x[..., self.head_dim // 2 :]
            return torch.cat([a * cos - b * sin, b * cos + a * sin], dim=-1)
        a, b = x[..., 0::2], x[..., 1::2]
        return torch.stack([a * cos - b * sin, b * cos + a * sin], dim=-1).flatten(-2)
