"""The embedded engine: llama-cpp-python over a GGUF file, on the CPU.

One loaded model per process (loading is the slow part). The chat template comes from the GGUF.
Decoding runs on `Llama.generate`, so every token is counted and timed exactly; text is decoded
incrementally (UTF-8 safe) and held back only while it could still become a stop string.
The prompt's KV cache is reused across calls that share a prefix (n samples, repair rounds).
"""

from __future__ import annotations

import codecs
import json
import logging
import os
import random
import threading
from collections.abc import Generator, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

from aigc.engines.base import (
    Chunk,
    Completion,
    FinishReason,
    GenerationParams,
    Request,
    Stopwatch,
    Usage,
    complete_by_streams,
)
from aigc.engines.schema import check_schema
from aigc.engines.stops import StopFilter
from aigc.errors import ContextOverflow, GenerationError, ModelCorrupted

log = logging.getLogger(__name__)

_LOADED: dict[tuple[str, int, int], Any] = {}
_LOAD_LOCK = threading.Lock()


def physical_cores() -> int:
    """Physical cores (hyper-threads share a core's arithmetic units; more threads than cores is slower)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return os.cpu_count() or 1
    cores: set[tuple[str, str]] = set()
    physical = core = ""
    for line in [*text.splitlines(), ""]:
        key, _, value = line.partition(":")
        key, value = key.strip(), value.strip()
        if key == "physical id":
            physical = value
        elif key == "core id":
            core = value
        elif not line.strip() and core:
            cores.add((physical, core))
            physical = core = ""
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, min(len(cores) or usable, usable))


def cpu_has_amx() -> bool:
    try:
        return "amx_int8" in Path("/proc/cpuinfo").read_text()
    except OSError:
        return False


@contextmanager
def _without_extra_buffer_types() -> Iterator[None]:
    """Load models without ggml's extra weight buffers while inside this block.

    On CPUs with AMX, ggml repacks Q4_K weights into an AMX buffer whose matmul segfaults at the first
    decode (llama.cpp issue 20824, seen here on Sapphire Rapids). Llama() has no switch for it, so the
    default model params are wrapped for the duration of the load.
    """
    import llama_cpp.llama_cpp as lc

    original = lc.llama_model_default_params

    def params() -> Any:
        p = original()
        p.use_extra_bufts = False
        return p

    lc.llama_model_default_params = params
    try:
        yield
    finally:
        lc.llama_model_default_params = original


def load_llama(path: Path, n_ctx: int, threads: int) -> Any:
    """The process-wide Llama for these settings, loading it on first use."""
    key = (str(path), n_ctx, threads)
    with _LOAD_LOCK:
        if key not in _LOADED:
            from llama_cpp import Llama

            guard = _without_extra_buffer_types() if cpu_has_amx() else nullcontext()
            try:
                with guard:
                    _LOADED[key] = Llama(
                        model_path=str(path),
                        n_ctx=n_ctx,
                        n_threads=threads,
                        n_threads_batch=threads,
                        verbose=False,
                    )
            except (ValueError, RuntimeError) as exc:
                raise ModelCorrupted(
                    f"llama.cpp could not load {path}: {exc}. If it is a catalogue model, run "
                    "'aigc model verify NAME' to check and rebuild it."
                ) from exc
        return _LOADED[key]


class LlamaCppEngine:
    def __init__(self, model_path: Path, *, name: str | None = None, n_ctx: int = 8192, threads: int | None = None):
        self.model_path = model_path
        self.threads = threads or physical_cores()
        self._llm = load_llama(model_path, n_ctx, self.threads)
        self._name = name or model_path.stem
        self._lock = threading.Lock()  # one generation at a time on the shared model
        self._formatter = self._chat_formatter()

    @property
    def model_name(self) -> str:
        return self._name

    @property
    def context_size(self) -> int:
        return int(self._llm.n_ctx())

    @property
    def llama(self) -> Any:
        """The underlying llama_cpp.Llama (for benchmarks and the from-scratch model's comparisons)."""
        return self._llm

    def _chat_formatter(self) -> Any:
        """The GGUF's own chat template, compiled once (None when the model has none)."""
        template = self._llm.metadata.get("tokenizer.chat_template")
        if not template:
            return None
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        model = self._llm._model
        eos, bos = model.token_eos(), model.token_bos()
        return Jinja2ChatFormatter(
            template=template,
            eos_token=model.token_get_text(eos) if eos != -1 else "",
            bos_token=model.token_get_text(bos) if bos != -1 else "",
        )

    def render_chat(self, request: Request) -> str:
        if self._formatter is None:
            raise GenerationError(f"{self.model_path.name} has no chat template; use a raw prompt instead")
        messages: Any = [m.to_dict() for m in request.messages]
        return str(self._formatter(messages=messages).prompt)

    def prompt_tokens(self, request: Request) -> list[int]:
        """The exact token ids the model will see for this request."""
        if request.messages:
            text = self.render_chat(request)
            return list(self._llm.tokenize(text.encode("utf-8"), add_bos=True, special=True))
        prompt = request.prompt or ""
        if request.suffix is not None:
            # Fill-in-the-middle with the model's own FIM tokens (Qwen2.5-Coder, StarCoder, ...).
            prompt = f"<|fim_prefix|>{prompt}<|fim_suffix|>{request.suffix}<|fim_middle|>"
        return list(self._llm.tokenize(prompt.encode("utf-8"), add_bos=True, special=request.suffix is not None))

    def _grammar(self, request: Request) -> Any:
        p = request.params
        if p.json_schema is None and p.grammar is None:
            return None
        from llama_cpp.llama_grammar import LlamaGrammar

        if p.grammar is not None:
            return LlamaGrammar.from_string(p.grammar, verbose=False)
        check_schema(p.json_schema or {})
        return LlamaGrammar.from_json_schema(json.dumps(p.json_schema), verbose=False)

    def stream(self, request: Request) -> Iterator[Chunk]:
        if request.params.n != 1:
            raise ValueError("stream() serves one choice; use complete() for n > 1")
        tokens = self.prompt_tokens(request)
        p = request.params
        if len(tokens) + p.max_tokens > self.context_size:
            raise ContextOverflow(len(tokens), p.max_tokens, self.context_size)
        grammar = self._grammar(request)
        with self._lock:
            yield from self._decode(tokens, request, grammar)

    def _decode(self, tokens: list[int], request: Request, grammar: Any) -> Iterator[Chunk]:
        import llama_cpp

        llm, p = self._llm, request.params
        seed = p.seed if p.seed is not None else random.randrange(2**31)
        vocab = llm._model.vocab
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        stops = StopFilter(p.stop)
        watch = Stopwatch()
        count = 0
        finish: FinishReason = "length"
        generator = (
            self._constrained(tokens, p, grammar, seed) if grammar is not None else self._sampled(tokens, p, seed)
        )
        try:
            for token in generator:
                watch.token()
                if llama_cpp.llama_vocab_is_eog(vocab, token):
                    finish = "stop"
                    break
                count += 1
                text = stops.feed(decoder.decode(llm.detokenize([token])))
                if text:
                    yield Chunk(text=text)
                if stops.stopped:
                    finish = "stop"
                    break
                if count >= p.max_tokens:
                    break
        except GeneratorExit:
            finish = "cancelled"
            raise
        finally:
            generator.close()
        tail = stops.feed(decoder.decode(b"", final=True)) + ("" if stops.stopped else stops.flush())
        if tail:
            yield Chunk(text=tail)
        yield Chunk(done=True, finish_reason=finish, usage=Usage(len(tokens), count), timings=watch.timings(count))

    def _sampled(self, tokens: list[int], p: GenerationParams, seed: int) -> Generator[int, None, None]:
        """llama.cpp's sampler chain through Llama.generate (reusing the cached prompt prefix)."""
        self._llm.set_seed(seed)
        generator = self._llm.generate(
            tokens, top_k=p.top_k, top_p=p.top_p, min_p=0.05, temp=p.temperature, repeat_penalty=1.0
        )
        try:
            yield from generator
        finally:
            generator.close()

    def _constrained(
        self, tokens: list[int], p: GenerationParams, grammar: Any, seed: int
    ) -> Generator[int, None, None]:
        """Tokens under a grammar, which is asked only about the picked token (see aigc.engines.grammar)."""
        import llama_cpp
        import numpy as np

        from aigc.engines.grammar import GrammarSampler, pick

        llm = self._llm
        n_vocab = llm.n_vocab()
        rng = np.random.default_rng(seed)
        sampler = GrammarSampler(llm._model.vocab, grammar, n_vocab)
        try:
            llm.reset()
            llm.eval(tokens)
            while True:
                raw = llama_cpp.llama_get_logits_ith(llm._ctx.ctx, -1)
                logits = np.ctypeslib.as_array(raw, shape=(n_vocab,)).copy()
                token = pick(logits, p, rng)
                if not sampler.allows(token):
                    token = pick(sampler.mask(logits), p, rng)
                sampler.accept(token)
                yield token
                llm.eval([token])
        finally:
            sampler.close()

    def complete(self, request: Request) -> Completion:
        return complete_by_streams(self.stream, request, self._name)

    def close(self) -> None:
        pass  # the model stays loaded for the life of the process; see load_llama
