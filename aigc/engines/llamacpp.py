"""The embedded engine: llama-cpp-python over a GGUF file, on the CPU.

One loaded model per process (loading is the slow part). The chat template comes from the GGUF.
Decoding runs in aigc.engines.sequences: the n answers of a request are parallel sequences of one batch
sharing the prompt's KV cache, each with its own sampler and seed; every token is counted and timed, text is
decoded incrementally (UTF-8 safe) and held back only while it could still become a stop string. The
prompt's KV cache is reused across calls that share a prefix (repair rounds, chat turns).
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing, contextmanager, nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from aigc.engines.base import (
    Chunk,
    Completion,
    Request,
    collect,
    merge_completions,
    one_after_another,
    one_choice_requests,
)
from aigc.engines.schema import check_schema
from aigc.engines.sequences import MAX_SEQUENCES, Sequences, groups
from aigc.errors import ContextOverflow, GenerationError, ModelCorrupted

log = logging.getLogger(__name__)


@dataclass
class _Loaded:
    """A loaded model, the lock every engine on it holds while it generates, and its decoding context."""

    llm: Any
    lock: threading.Lock = field(default_factory=threading.Lock)
    sequences: Sequences | None = None


_LOADED: dict[tuple[str, int, int], _Loaded] = {}
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
    return _load(path, n_ctx, threads).llm


def _load(path: Path, n_ctx: int, threads: int) -> _Loaded:
    key = (str(path), n_ctx, threads)
    with _LOAD_LOCK:
        if key not in _LOADED:
            from llama_cpp import Llama

            guard = _without_extra_buffer_types() if cpu_has_amx() else nullcontext()
            try:
                with guard:
                    llm = Llama(
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
            _LOADED[key] = _Loaded(llm)
        return _LOADED[key]


class LlamaCppEngine:
    def __init__(self, model_path: Path, *, name: str | None = None, n_ctx: int = 8192, threads: int | None = None):
        self.model_path = model_path
        self.threads = threads or physical_cores()
        self._loaded = _load(model_path, n_ctx, self.threads)
        self._llm = self._loaded.llm
        self._name = name or model_path.stem
        self._lock = self._loaded.lock  # one generation at a time on the shared model
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

    def _sequences(self) -> Sequences:
        """The model's decoding context, made at its first generation (call with the lock held)."""
        if self._loaded.sequences is None:
            self._loaded.sequences = Sequences(self._llm)
        return self._loaded.sequences

    def forget_cache(self) -> None:
        """Drop the cached prompt: the next call evaluates its whole prompt (as a first call does)."""
        with self._lock:
            self._llm.reset()
            if self._loaded.sequences is not None:
                self._loaded.sequences.forget()

    def stream(self, request: Request) -> Iterator[Chunk]:
        if request.params.n != 1:
            raise ValueError("stream() serves one choice; use complete() for n > 1")
        tokens = self._fitting_prompt(request)
        grammar = self._grammar(request)
        with self._lock, closing(self._sequences().run(tokens, [request.params], [grammar])) as run:
            for _, chunk in run:
                yield chunk

    def _fitting_prompt(self, request: Request) -> list[int]:
        tokens = self.prompt_tokens(request)
        if len(tokens) + request.params.max_tokens > self.context_size:
            raise ContextOverflow(len(tokens), request.params.max_tokens, self.context_size)
        return tokens

    def complete(self, request: Request) -> Completion:
        if request.params.n == 1:
            return collect(self.stream(request), self._name)
        start = time.perf_counter()
        done = merge_completions(self.decode_together(one_choice_requests(request)), self._name)
        return replace(done, timings=replace(done.timings, total_s=time.perf_counter() - start))

    def decode_together(
        self,
        requests: Sequence[Request],
        on_text: Callable[[str], None] | None = None,
        stop: Callable[[], bool] | None = None,
    ) -> list[Completion]:
        """One completion per one-choice request, decoded as parallel sequences of one batch when the
        requests share their prompt (n candidates, samples of a repair), else one after another. The first
        request's text goes to `on_text` as it is decoded; `stop()` is asked once per decode step."""
        prompts = [self._fitting_prompt(r) for r in requests]
        grammars = [self._grammar(r) for r in requests]
        if any(p != prompts[0] for p in prompts):
            return one_after_another(self.stream, requests, self._name, on_text, stop)
        done: list[Completion] = []
        room = self.context_size - len(prompts[0])
        for group in groups([r.params.max_tokens for r in requests], room, MAX_SEQUENCES):
            pieces: dict[int, list[Chunk]] = {i: [] for i in group}
            params, group_grammars = [requests[i].params for i in group], [grammars[i] for i in group]
            with self._lock, closing(self._sequences().run(prompts[0], params, group_grammars, stop)) as run:
                for slot, chunk in run:
                    pieces[group[slot]].append(chunk)
                    if group[slot] == 0 and on_text is not None and chunk.text:
                        on_text(chunk.text)
            done += [collect(iter(pieces[i]), self._name) for i in group]
        return done

    def close(self) -> None:
        pass  # the model and its contexts stay loaded for the life of the process; see load_llama
