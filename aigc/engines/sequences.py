"""Parallel sequences on one llama.cpp context: n answers to one prompt, one batch per decode step.

A batch of n tokens (one per sequence) reads the weights once per step, where n answers decoded one after
another read them n times. Where a decode step is bound by memory, n answers cost little more than one;
where it is bound by arithmetic (two cores and a 0.5B model: the 151936-row output layer), the gain is
smaller (measured in docs/benchmarks.md). The prompt is evaluated once, in
sequence 0, and shared with the others through a unified KV cache (llama_memory_seq_cp adds a sequence id
to the prompt's cells, it copies nothing). Every sequence has its own sampler chain and seed, and stops on
its own: end of generation, a stop string, or max_tokens. What sequence 0 holds stays cached for the next
call, so a call that shares a prefix with the last one (a repair round, a chat turn) evaluates only the
rest.

llama.cpp's CPU kernels are not batch-invariant: a row's logits depend on how many rows the batch holds
(a different matrix-multiplication path; llama.cpp issues 3014 and 4479). Greedy text decoded together
matched the text decoded alone in every run measured (benchmarks/batched.py); a sampled answer with the
same seed is an equally likely draw, but where the next token is a close call it can differ from the one
decoded alone, as an answer after a reused prompt prefix can.
"""

from __future__ import annotations

import codecs
import random
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from aigc.engines.base import Chunk, FinishReason, GenerationParams, Stopwatch, Usage
from aigc.engines.grammar import GrammarSampler, pick
from aigc.engines.stops import StopFilter
from aigc.errors import GenerationError

MAX_SEQUENCES = 8  # sequences one context decodes together; more requests are decoded in groups
MIN_P = 0.05  # llama.cpp's default min-p, as Llama.generate applies it


class Picker(Protocol):
    """Chooses a sequence's next token from the logits at one row of the last batch."""

    def pick(self, ctx: Any, row: int) -> int: ...

    def close(self) -> None: ...


class ChainPicker:
    """llama.cpp's sampler chain: greedy at temperature 0, else top-k, top-p, min-p, temperature and a draw
    seeded by params.seed (the chain Llama.generate builds, without its steps that change nothing)."""

    def __init__(self, params: GenerationParams) -> None:
        import llama_cpp

        self._lib = llama_cpp
        self._chain = llama_cpp.llama_sampler_chain_init(llama_cpp.llama_sampler_chain_default_params())
        if params.temperature == 0:
            steps = [llama_cpp.llama_sampler_init_greedy()]
        else:
            seed = params.seed if params.seed is not None else random.randrange(2**31)
            steps = [
                llama_cpp.llama_sampler_init_top_k(params.top_k),
                llama_cpp.llama_sampler_init_top_p(params.top_p, 1),
                llama_cpp.llama_sampler_init_min_p(MIN_P, 1),
                llama_cpp.llama_sampler_init_temp(params.temperature),
                llama_cpp.llama_sampler_init_dist(seed),
            ]
        for step in steps:
            llama_cpp.llama_sampler_chain_add(self._chain, step)

    def pick(self, ctx: Any, row: int) -> int:
        return int(self._lib.llama_sampler_sample(self._chain, ctx, row))  # accepts the token too

    def close(self) -> None:
        if self._chain is not None:
            self._lib.llama_sampler_free(self._chain)
            self._chain = None


class GrammarPicker:
    """A token the grammar allows, asking it about the picked token first (see aigc.engines.grammar)."""

    def __init__(self, params: GenerationParams, grammar: Any, vocab: Any, n_vocab: int) -> None:
        import llama_cpp

        self._lib = llama_cpp
        self._params, self._n_vocab = params, n_vocab
        self._rng = np.random.default_rng(params.seed if params.seed is not None else random.randrange(2**31))
        self._grammar = GrammarSampler(vocab, grammar, n_vocab)

    def pick(self, ctx: Any, row: int) -> int:
        raw = self._lib.llama_get_logits_ith(ctx, row)
        logits = np.ctypeslib.as_array(raw, shape=(self._n_vocab,)).copy()
        token = pick(logits, self._params, self._rng)
        if not self._grammar.allows(token):
            token = pick(self._grammar.mask(logits), self._params, self._rng)
        self._grammar.accept(token)
        return token

    def close(self) -> None:
        self._grammar.close()


@dataclass
class _Sequence:
    slot: int  # the sequence id in the KV cache, and the request's index
    params: GenerationParams
    picker: Picker
    decoder: codecs.IncrementalDecoder = field(default_factory=lambda: codecs.getincrementaldecoder("utf-8")("replace"))
    watch: Stopwatch = field(default_factory=Stopwatch)
    stops: StopFilter = field(init=False)
    count: int = 0
    position: int = 0  # the position of the next token fed for this sequence
    logits_at: int = 0  # where this sequence's next logits are in the last batch
    finish: FinishReason | None = None

    def __post_init__(self) -> None:
        self.stops = StopFilter(self.params.stop)


def common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def groups(max_tokens: Sequence[int], room: int, size: int) -> list[list[int]]:
    """Answer indices in order, grouped so that each group's max_tokens add up to at most `room` (the
    context left after the shared prompt) with at most `size` answers; an answer alone always forms a group."""
    out: list[list[int]] = [[]]
    used = 0
    for i, tokens in enumerate(max_tokens):
        if out[-1] and (used + tokens > room or len(out[-1]) == size):
            out.append([])
            used = 0
        out[-1].append(i)
        used += tokens
    return out


class Sequences:
    """A llama.cpp context of its own (the model's weights are shared) that decodes up to MAX_SEQUENCES
    sequences together. Not thread-safe: the engine holds its lock around every call."""

    def __init__(self, llm: Any, max_sequences: int = MAX_SEQUENCES) -> None:
        import llama_cpp
        from llama_cpp import _internals

        params = type(llm.context_params).from_buffer_copy(llm.context_params)  # same threads, rope, batch
        params.n_seq_max = max_sequences
        params.kv_unified = True  # the prompt's cells are shared by every sequence
        self.max_sequences = max_sequences
        self._llm = llm
        self._lc = llama_cpp
        self._ctx = _internals.LlamaContext(model=llm._model, params=params, verbose=False)
        self._n_batch = int(params.n_batch)
        self._batch = llama_cpp.llama_batch_init(max(self._n_batch, max_sequences), 0, max_sequences)
        self._cached: list[int] = []  # the tokens whose keys and values sequence 0 holds

    @property
    def context_size(self) -> int:
        return int(self._ctx.n_ctx())

    def close(self) -> None:
        if self._batch is not None:
            self._lc.llama_batch_free(self._batch)
            self._batch = None
        self._ctx.close()  # type: ignore[no-untyped-call]

    def picker(self, params: GenerationParams, grammar: Any = None) -> Picker:
        """The picker for one sequence: llama.cpp's chain, or the grammar's when there is one."""
        if grammar is None:
            return ChainPicker(params)
        return GrammarPicker(params, grammar, self._llm._model.vocab, self._llm.n_vocab())

    def run(
        self,
        tokens: list[int],
        params: Sequence[GenerationParams],
        grammars: Sequence[Any] = (),
        stop: Callable[[], bool] | None = None,
    ) -> Generator[tuple[int, Chunk], None, None]:
        """Decode len(params) answers to the prompt `tokens` (answer i under grammars[i] when given):
        (answer index, chunk) pairs as they come, each answer ending with a chunk that has done set.
        `stop()` is asked before every decode step; once it is true the answers end where they are, without
        their done chunks. Closing the iterator early is safe."""
        if not 1 <= len(params) <= self.max_sequences:
            raise ValueError(f"between 1 and {self.max_sequences} sequences at a time, got {len(params)}")
        needed = len(tokens) + sum(p.max_tokens for p in params)
        if needed > self.context_size:
            raise ValueError(f"{needed} tokens do not fit the context of {self.context_size}")
        grammars = list(grammars) or [None] * len(params)
        seqs = [_Sequence(i, p, self.picker(p, g)) for i, (p, g) in enumerate(zip(params, grammars, strict=True))]
        try:
            last = self._prompt(tokens, len(seqs))
            for s in seqs:
                s.position, s.logits_at = len(tokens), last
            yield from self._decode(seqs, len(tokens), stop or (lambda: False))
        except BaseException:
            self.forget()
            raise
        finally:
            for s in seqs:
                s.picker.close()

    def forget(self) -> None:
        """Drop every cached token: the next call evaluates its whole prompt."""
        self._lc.llama_memory_clear(self._ctx.memory, True)
        self._cached = []

    def _prompt(self, tokens: list[int], n: int) -> int:
        """Evaluate what is not cached of the prompt in sequence 0, share it with sequences 1..n-1, and
        return where the last prompt token's logits are in the batch."""
        lc, memory = self._lc, self._ctx.memory
        for slot in range(1, self.max_sequences):
            lc.llama_memory_seq_rm(memory, slot, -1, -1)
        keep = min(common_prefix(self._cached, tokens), len(tokens) - 1)  # the last token is fed for its logits
        lc.llama_memory_seq_rm(memory, 0, keep, -1)
        self._cached = tokens[:keep]
        last = 0
        for start in range(keep, len(tokens), self._n_batch):
            piece = tokens[start : start + self._n_batch]
            final = start + len(piece) == len(tokens)
            self._fill([(t, start + i, 0, final and i == len(piece) - 1) for i, t in enumerate(piece)])
            self._decode_batch()
            self._cached += piece
            last = len(piece) - 1
        for slot in range(1, n):
            lc.llama_memory_seq_cp(memory, 0, slot, -1, -1)
        return last

    def _fill(self, rows: list[tuple[int, int, int, bool]]) -> None:
        """(token, position, sequence, wants logits) rows into the batch."""
        b = self._batch
        b.n_tokens = len(rows)
        for i, (token, position, slot, logits) in enumerate(rows):
            b.token[i], b.pos[i], b.n_seq_id[i], b.logits[i] = token, position, 1, logits
            b.seq_id[i][0] = slot

    def _decode_batch(self) -> None:
        code = self._lc.llama_decode(self._ctx.ctx, self._batch)
        if code != 0:
            raise GenerationError(f"llama.cpp could not decode the batch (llama_decode returned {code})")

    def _decode(
        self, seqs: list[_Sequence], prompt_tokens: int, stop: Callable[[], bool]
    ) -> Iterator[tuple[int, Chunk]]:
        lc, vocab = self._lc, self._llm._model.vocab
        active = list(seqs)
        while active and not stop():
            fed: list[tuple[_Sequence, int]] = []
            for s in active:
                token = s.picker.pick(self._ctx.ctx, s.logits_at)
                s.watch.token()
                if lc.llama_vocab_is_eog(vocab, token):
                    s.finish = "stop"
                else:
                    s.count += 1
                    text = s.stops.feed(s.decoder.decode(self._llm.detokenize([token])))
                    if text:
                        yield s.slot, Chunk(text=text)
                    if s.stops.stopped:
                        s.finish = "stop"
                    elif s.count >= s.params.max_tokens:
                        s.finish = "length"
                    else:
                        fed.append((s, token))
                if s.finish is not None:
                    yield from _ending(s, prompt_tokens)
            active = [s for s, _ in fed]
            if not fed:
                return
            self._fill([(token, s.position, s.slot, True) for s, token in fed])
            self._decode_batch()
            for row, (s, token) in enumerate(fed):
                s.position += 1
                s.logits_at = row
                if s.slot == 0:
                    self._cached.append(token)


def _ending(s: _Sequence, prompt_tokens: int) -> Iterator[tuple[int, Chunk]]:
    tail = s.stops.feed(s.decoder.decode(b"", final=True)) + ("" if s.stops.stopped else s.stops.flush())
    if tail:
        yield s.slot, Chunk(text=tail)
    usage = Usage(prompt_tokens, s.count)
    yield s.slot, Chunk(done=True, finish_reason=s.finish, usage=usage, timings=s.watch.timings(s.count))
