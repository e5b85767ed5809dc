"""Grammar-constrained sampling that asks the grammar about one token at a time.

llama-cpp-python puts the grammar sampler in its chain before greedy/top-k, so at every step the grammar
judges all ~150k tokens of the vocabulary. llama.cpp's own sampler does better, and this does the same:
pick a token from the raw logits, ask the grammar whether it may come next, and judge the whole
vocabulary only when it may not. Output is identical (the picked token, when allowed, is also the best
allowed token). benchmarks/grammar.py measures both on aigc new's draft schema (docs/benchmarks.md).
"""

from __future__ import annotations

import ctypes
from typing import Any

import numpy as np
import numpy.typing as npt

from aigc.engines.base import GenerationParams

_TOKEN_DATA = np.dtype([("id", np.int32), ("logit", np.float32), ("p", np.float32)], align=True)


class GrammarSampler:
    def __init__(self, vocab: Any, grammar: Any, n_vocab: int) -> None:
        import llama_cpp

        self._lib = llama_cpp
        self._n_vocab = n_vocab
        self._sampler = llama_cpp.llama_sampler_init_grammar(
            vocab, grammar._grammar.encode("utf-8"), grammar._root.encode("utf-8")
        )
        if not self._sampler:
            raise ValueError("llama.cpp could not compile the grammar")

    def _apply(self, data: npt.NDArray[Any]) -> None:
        lib = self._lib
        array = lib.llama_token_data_array(
            data=data.ctypes.data_as(lib.llama_token_data_p), size=len(data), selected=-1, sorted=False
        )
        lib.llama_sampler_apply(self._sampler, ctypes.byref(array))

    def allows(self, token: int) -> bool:
        data = np.zeros(1, dtype=_TOKEN_DATA)
        data["id"], data["logit"] = token, 0.0
        self._apply(data)
        return bool(np.isfinite(data["logit"][0]))

    def mask(self, logits: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """The logits with every token the grammar refuses here set to -inf."""
        data = np.zeros(self._n_vocab, dtype=_TOKEN_DATA)
        data["id"] = np.arange(self._n_vocab, dtype=np.int32)
        data["logit"] = logits[: self._n_vocab]
        self._apply(data)
        masked = np.full_like(logits, -np.inf)
        masked[data["id"]] = data["logit"]
        return masked

    def accept(self, token: int) -> None:
        self._lib.llama_sampler_accept(self._sampler, token)

    def close(self) -> None:
        if self._sampler:
            self._lib.llama_sampler_free(self._sampler)
            self._sampler = None


def pick(logits: npt.NDArray[np.float32], params: GenerationParams, rng: np.random.Generator) -> int:
    """Greedy at temperature 0; otherwise top-k, then temperature, then top-p, then a draw."""
    if params.temperature == 0:
        return int(np.argmax(logits))
    k = min(params.top_k or len(logits), len(logits))
    top = np.argpartition(-logits, k - 1)[:k]
    top = top[np.isfinite(logits[top])]
    if len(top) == 0:
        return int(np.argmax(logits))
    scaled = logits[top].astype(np.float64) / params.temperature
    probs = np.exp(scaled - scaled.max())
    probs /= probs.sum()
    order = np.argsort(-probs)
    keep = order[: int(np.searchsorted(np.cumsum(probs[order]), params.top_p) + 1)]
    chosen = probs[keep] / probs[keep].sum()
    return int(top[keep][rng.choice(len(keep), p=chosen)])
