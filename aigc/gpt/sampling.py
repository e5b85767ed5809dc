"""From scores to a token: P(y_t | y_<t, x) = softmax(logits / T), then a choice.

greedy        argmax P                            (temperature 0)
temperature   softmax(logits / T): T < 1 sharpens, T > 1 flattens
top-k         keep the k most probable tokens, renormalize
top-p         keep the smallest set whose probabilities sum to at least p (nucleus sampling)
entropy       H = -sum P log2 P: how unsure the model is, in bits (0: certain)
"""

from __future__ import annotations

import torch


def probabilities(logits: torch.Tensor, temperature: float = 1.0) -> torch.Tensor:  # (V,) -> (V,)
    scaled = logits.float() / temperature if temperature > 0 else logits.float()
    return torch.softmax(scaled, dim=-1)


def entropy_bits(probs: torch.Tensor) -> float:
    p = probs[probs > 0]
    return float(-(p * torch.log2(p)).sum())


def filtered(probs: torch.Tensor, top_k: int = 0, top_p: float = 1.0) -> torch.Tensor:
    """The distribution after top-k and top-p, renormalized."""
    keep = torch.ones_like(probs, dtype=torch.bool)
    if 0 < top_k < probs.numel():
        keep &= probs >= torch.topk(probs, top_k).values[-1]
    if top_p < 1.0:
        ordered, order = torch.sort(probs, descending=True)
        before = torch.cumsum(ordered, 0) - ordered  # probability mass above each token
        nucleus = torch.zeros_like(keep)
        nucleus[order] = before < top_p  # a token is kept while the mass above it is still short of p
        keep &= nucleus
    out = torch.where(keep, probs, torch.zeros_like(probs))
    return out / out.sum()


def choose(
    logits: torch.Tensor, temperature: float, top_k: int, top_p: float, generator: torch.Generator | None
) -> int:
    """Greedy when temperature is 0, else a sample from the filtered, tempered distribution."""
    if temperature <= 0:
        return int(torch.argmax(logits))
    probs = filtered(probabilities(logits, temperature), top_k, top_p)
    return int(torch.multinomial(probs, 1, generator=generator))
