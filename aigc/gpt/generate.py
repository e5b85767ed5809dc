"""Generation one token at a time, keeping for each token why it was chosen.

At step t the model gives logits for the next token; P = softmax(logits) is its belief P(y_t | y_<t, x).
A Step records the chosen token, its probability under P, the most probable alternatives, the entropy of
P (in bits), and optionally one attention head's weights: how much the new token's query attended to each
earlier position. The chosen token is fed back, and its keys and values join the KV cache.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

import torch

from aigc.gpt.model import GPT
from aigc.gpt.sampling import choose, entropy_bits, probabilities
from aigc.gpt.tokenizer import Tokenizer


@dataclass(frozen=True)
class Alternative:
    token: int
    piece: str
    prob: float


@dataclass(frozen=True)
class Step:
    position: int  # where the token sits in the whole sequence (prompt included)
    token: int
    piece: str
    prob: float
    entropy: float
    alternatives: list[Alternative]
    attention: list[float] | None = None  # over positions 0 .. position-1 (the token attends to what came before)
    end: bool = False  # an end-of-turn token: generation stops here
    seconds: float = 0.0


class Decoding(Protocol):
    """What choosing a token reads: aigc's GenerationParams has these fields, and so has Greedy."""

    @property
    def max_tokens(self) -> int: ...
    @property
    def temperature(self) -> float: ...
    @property
    def top_k(self) -> int: ...
    @property
    def top_p(self) -> float: ...
    @property
    def seed(self) -> int | None: ...


@dataclass(frozen=True)
class Greedy:
    max_tokens: int = 64
    temperature: float = 0.0
    top_k: int = 0
    top_p: float = 1.0
    seed: int | None = None


def greedy(max_tokens: int = 64) -> Greedy:
    return Greedy(max_tokens=max_tokens)


@dataclass(frozen=True)
class Sampling:
    """How to choose (the engine's GenerationParams, or Greedy) and what to keep about each choice."""

    params: Decoding = field(default_factory=greedy)
    top: int = 5  # alternatives to keep per step
    attention: tuple[int, int] | None = None  # (layer, head) whose weights to keep
    stop_ids: frozenset[int] = field(default_factory=frozenset)


def steps(model: GPT, tokenizer: Tokenizer, prompt: list[int], s: Sampling) -> Iterator[Step]:
    """Generate up to s.params.max_tokens tokens after `prompt`, a Step for each (the last may be an end token)."""
    if not prompt:
        raise ValueError("the prompt has no tokens")
    layer_head = s.attention
    if layer_head is not None:
        layer, head = layer_head
        if not (0 <= layer < model.config.n_layer and 0 <= head < model.config.n_head):
            raise ValueError(
                f"no attention head {layer}:{head}: the model has layers 0-{model.config.n_layer - 1} "
                f"and heads 0-{model.config.n_head - 1}"
            )
    keep = frozenset({layer_head[0]}) if layer_head else frozenset()
    p = s.params
    generator = torch.Generator().manual_seed(p.seed) if p.seed is not None else None
    device = next(model.parameters()).device
    cache = model.new_cache()
    ends = s.stop_ids or frozenset(tokenizer.end_ids)
    started = time.perf_counter()
    out = model(torch.tensor([prompt], device=device), cache, keep_attention=keep, last_only=True)
    for _ in range(p.max_tokens):
        logits = out.logits[0, -1].float().cpu()
        probs = probabilities(logits)  # the model's own distribution, before temperature and filtering
        token = choose(logits, p.temperature, p.top_k, p.top_p, generator)
        best = torch.topk(probs, s.top)
        alternatives = [
            Alternative(int(i), tokenizer.piece(int(i)), float(p))
            for p, i in zip(best.values, best.indices, strict=True)
        ]
        weights = None
        if layer_head is not None:
            weights = out.attention[layer_head[0]][0, layer_head[1], -1].float().cpu().tolist()
        now = time.perf_counter()
        step = Step(
            position=cache.length,
            token=token,
            piece=tokenizer.piece(token),
            prob=float(probs[token]),
            entropy=entropy_bits(probs),
            alternatives=alternatives,
            attention=weights,
            end=token in ends,
            seconds=now - started,
        )
        started = now
        yield step
        if step.end:
            return
        out = model(torch.tensor([[token]], device=device), cache, keep_attention=keep, last_only=True)
