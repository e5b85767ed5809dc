"""The from-scratch engine: aigc.gpt's transformer (PyTorch) over the same GGUF the embedded engine uses.

Slower than llama.cpp, and that is not its point: every number it computes can be looked at
(`aigc inspect`). `aigc gen --engine gpt` runs the usual tasks on it, so its answers can be compared.
One loaded model per process and device; a GPU is used when torch sees one.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from aigc.engines.base import Chunk, Completion, FinishReason, Request, Stopwatch, Usage, complete_by_streams
from aigc.engines.llamacpp import physical_cores
from aigc.engines.stops import StopFilter
from aigc.errors import ConfigError, ContextOverflow, GenerationError, NoLocalWeights

_LOADED: dict[tuple[str, str, str], Any] = {}
_LOAD_LOCK = threading.Lock()


def require_torch() -> None:
    """A clear error, with the command that fixes it, when the from-scratch model's packages are missing."""
    import importlib.util

    missing = [m for m in ("torch", "regex") if importlib.util.find_spec(m) is None]
    if missing:
        raise ConfigError(
            f"the from-scratch engine needs {', '.join(missing)}: pip install 'aigc-coder[gpt]' "
            "(in a checkout: .venv/bin/pip install -e '.[gpt]'; make does it)"
        )


def _device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def load(path: Path, device: str | None = None, dtype: str = "float32") -> tuple[Any, Any, dict[str, Any]]:
    """(model, tokenizer, metadata) for this file, loaded once per process, device and dtype."""
    import torch

    from aigc.gpt.gguf_load import load_model
    from aigc.gpt.tokenizer import Tokenizer

    where = device or _device()
    key = (str(path), where, dtype)
    with _LOAD_LOCK:
        if key not in _LOADED:
            model, meta = load_model(path, where, getattr(torch, dtype))
            _LOADED[key] = (model, Tokenizer.from_gguf_metadata(meta), meta)
        return _LOADED[key]  # type: ignore[no-any-return]


@runtime_checkable
class LocalWeights(Protocol):
    """An engine that runs a GGUF file on this machine (the embedded engine, or this one)."""

    model_path: Path

    @property
    def model_name(self) -> str: ...


def inspector_for(engine: object) -> GPTEngine:
    """The from-scratch model over the GGUF file `engine` serves: the engine itself when it is one."""
    if isinstance(engine, GPTEngine):
        return engine
    if not isinstance(engine, LocalWeights):
        raise NoLocalWeights(
            "the from-scratch model needs the GGUF file of an embedded model; this one answers through a server"
        )
    require_torch()
    return GPTEngine(engine.model_path, name=engine.model_name)


class GPTEngine:
    def __init__(
        self,
        model_path: Path,
        *,
        name: str | None = None,
        n_ctx: int = 8192,
        threads: int | None = None,
        device: str | None = None,
        dtype: str = "float32",
    ) -> None:
        import torch

        torch.set_num_threads(threads or physical_cores())
        self.model_path = model_path
        self.model, self.tokenizer, self.metadata = load(model_path, device, dtype)
        suffix = "" if dtype == "float32" else f", {dtype}"
        self._name = f"{name or model_path.stem} (aigc.gpt{suffix})"
        self._n_ctx = min(n_ctx, self.model.config.max_positions)
        self.lock = threading.Lock()  # one generation at a time on the model

    @property
    def model_name(self) -> str:
        return self._name

    @property
    def context_size(self) -> int:
        return int(self._n_ctx)

    def render_chat(self, request: Request) -> str:
        from aigc.gpt.chat import render_chat

        template = self.metadata.get("tokenizer.chat_template")
        if not template:
            raise GenerationError(f"{self.model_path.name} has no chat template; use a raw prompt instead")
        tok = self.tokenizer
        eos = tok.tokens[tok.eos_id] if tok.eos_id is not None else ""
        bos = tok.tokens[tok.bos_id] if tok.bos_id is not None else ""
        return render_chat(template, [m.to_dict() for m in request.messages], bos=bos, eos=eos)

    def prompt_tokens(self, request: Request) -> list[int]:
        """The exact token ids the model sees (as the embedded engine builds them)."""
        if request.messages:
            return list(self.tokenizer.encode(self.render_chat(request), special=True))
        prompt = request.prompt or ""
        if request.suffix is not None:
            prompt = f"<|fim_prefix|>{prompt}<|fim_suffix|>{request.suffix}<|fim_middle|>"
        return list(self.tokenizer.encode(prompt, special=request.suffix is not None))

    def check_fits(self, tokens: list[int], max_tokens: int) -> None:
        if len(tokens) + max_tokens > self.context_size:
            raise ContextOverflow(len(tokens), max_tokens, self.context_size)

    def stream(self, request: Request) -> Iterator[Chunk]:
        from aigc.gpt.generate import Sampling, steps
        from aigc.gpt.tokenizer import StreamDecoder

        p = request.params
        if p.n != 1:
            raise ValueError("stream() serves one choice; use complete() for n > 1")
        if p.json_schema is not None or p.grammar is not None:
            raise GenerationError("the from-scratch engine does not do grammar-constrained decoding; use llamacpp")
        tokens = self.prompt_tokens(request)
        self.check_fits(tokens, p.max_tokens)
        seed = p.seed if p.seed is not None else random.randrange(2**31)
        sampling = Sampling(replace(p, seed=seed), top=1)
        decoder, stops, watch = StreamDecoder(self.tokenizer), StopFilter(p.stop), Stopwatch()
        count, finish = 0, "length"
        with self.lock:
            for step in steps(self.model, self.tokenizer, tokens, sampling):
                watch.token()
                if step.end:
                    finish = "stop"
                    break
                count += 1
                text = stops.feed(decoder.feed(step.token))
                if text:
                    yield Chunk(text=text)
                if stops.stopped:
                    finish = "stop"
                    break
        tail = stops.feed(decoder.flush()) + ("" if stops.stopped else stops.flush())
        if tail:
            yield Chunk(text=tail)
        reason: FinishReason = "stop" if finish == "stop" else "length"
        yield Chunk(done=True, finish_reason=reason, usage=Usage(len(tokens), count), timings=watch.timings(count))

    def complete(self, request: Request) -> Completion:
        return complete_by_streams(self.stream, request, self._name)

    def close(self) -> None:
        pass
