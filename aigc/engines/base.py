"""The engine protocol: one request in, a completion (or a stream of chunks) out.

Every surface and task talks to a model through `Engine.complete` or `Engine.stream`; the adapters
(llamacpp, openai, fake) translate to their backends and report usage and timings the same way.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal, Protocol, runtime_checkable

Role = Literal["system", "user", "assistant"]


@dataclass(frozen=True)
class Message:
    role: Role
    content: str

    def to_dict(self) -> dict[str, str]:
        return {"role": self.role, "content": self.content}


@dataclass(frozen=True)
class GenerationParams:
    """Sampling settings. temperature 0 means greedy decoding."""

    max_tokens: int = 512
    temperature: float = 0.2
    top_p: float = 0.95
    top_k: int = 40
    seed: int | None = None
    stop: tuple[str, ...] = ()
    n: int = 1
    json_schema: dict[str, Any] | None = None
    grammar: str | None = None

    def __post_init__(self) -> None:
        if self.max_tokens < 1:
            raise ValueError(f"max_tokens must be at least 1, got {self.max_tokens}")
        if self.temperature < 0:
            raise ValueError(f"temperature must be >= 0, got {self.temperature}")
        if self.n < 1:
            raise ValueError(f"n must be at least 1, got {self.n}")


@dataclass(frozen=True)
class Request:
    """Either chat `messages`, or a raw `prompt` (with an optional `suffix` for fill-in-the-middle)."""

    messages: tuple[Message, ...] = ()
    prompt: str | None = None
    suffix: str | None = None
    params: GenerationParams = field(default_factory=GenerationParams)

    def __post_init__(self) -> None:
        if bool(self.messages) == (self.prompt is not None):
            raise ValueError("a Request holds either messages or a prompt, not both or neither")

    @classmethod
    def chat(cls, messages: list[Message] | tuple[Message, ...], params: GenerationParams) -> Request:
        return cls(messages=tuple(messages), params=params)


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(self.prompt_tokens + other.prompt_tokens, self.completion_tokens + other.completion_tokens)


@dataclass(frozen=True)
class Timings:
    """ttft_s: request start to first token. tokens_per_s: decode rate after the first token."""

    ttft_s: float = 0.0
    tokens_per_s: float = 0.0
    total_s: float = 0.0


FinishReason = Literal["stop", "length", "cancelled"]


@dataclass(frozen=True)
class Chunk:
    """A piece of streamed text. The last chunk of a stream has `done` set and carries the totals."""

    text: str = ""
    done: bool = False
    finish_reason: FinishReason | None = None
    usage: Usage | None = None
    timings: Timings | None = None


@dataclass(frozen=True)
class Choice:
    text: str
    finish_reason: FinishReason


@dataclass(frozen=True)
class Completion:
    choices: tuple[Choice, ...]
    usage: Usage
    timings: Timings
    model: str

    @property
    def text(self) -> str:
        return self.choices[0].text

    @property
    def finish_reason(self) -> FinishReason:
        return self.choices[0].finish_reason


@runtime_checkable
class Engine(Protocol):
    """What every model backend offers. `stream` serves n=1 requests; `complete` serves any n."""

    @property
    def model_name(self) -> str: ...

    @property
    def context_size(self) -> int | None: ...

    def complete(self, request: Request) -> Completion: ...

    def stream(self, request: Request) -> Iterator[Chunk]: ...

    def close(self) -> None: ...


@runtime_checkable
class DecodesTogether(Protocol):
    """An engine that decodes several one-choice requests at once (llama.cpp: parallel sequences of one
    batch; the openai engine: concurrent requests, which a server like vLLM batches)."""

    def decode_together(
        self,
        requests: Sequence[Request],
        on_text: Callable[[str], None] | None = None,
        stop: Callable[[], bool] | None = None,
    ) -> list[Completion]: ...


def complete_together(
    engine: Engine,
    requests: Sequence[Request],
    on_text: Callable[[str], None] | None = None,
    stop: Callable[[], bool] | None = None,
) -> list[Completion]:
    """One completion per one-choice request, the first one's text streamed to `on_text`: decoded together
    where the engine can, else one after another. Decoding ends early, every answer cut where it is, once
    `stop()` is true (it is asked once per decode step or piece of text)."""
    if isinstance(engine, DecodesTogether):
        return engine.decode_together(requests, on_text, stop)
    return one_after_another(engine.stream, requests, engine.model_name, on_text, stop)


def one_after_another(
    stream: Callable[[Request], Iterator[Chunk]],
    requests: Sequence[Request],
    model: str,
    on_text: Callable[[str], None] | None = None,
    stop: Callable[[], bool] | None = None,
) -> list[Completion]:
    """complete_together for an engine that decodes one sequence at a time."""
    done = []
    for i, request in enumerate(requests):
        chunks = stream(request)
        done.append(collect(chunks if stop is None else until(chunks, stop), model, on_text if i == 0 else None))
    return done


def until(chunks: Iterator[Chunk], stop: Callable[[], bool]) -> Iterator[Chunk]:
    """The chunks until `stop()` is true; the stream is then closed, so that its engine stops decoding."""
    try:
        for chunk in chunks:
            if stop():
                return
            yield chunk
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()


class Stopwatch:
    """Measures time to first token and the decode rate of one generation."""

    def __init__(self) -> None:
        self.start = time.perf_counter()
        self.first: float | None = None

    def token(self) -> None:
        if self.first is None:
            self.first = time.perf_counter()

    def timings(self, completion_tokens: int) -> Timings:
        end = time.perf_counter()
        first = self.first if self.first is not None else end
        decode_s = end - first
        rate = (completion_tokens - 1) / decode_s if completion_tokens > 1 and decode_s > 0 else 0.0
        return Timings(ttft_s=first - self.start, tokens_per_s=rate, total_s=end - self.start)


def collect(chunks: Iterator[Chunk], model: str, on_text: Callable[[str], None] | None = None) -> Completion:
    """Drain a stream into a Completion, passing each piece of text to `on_text` as it arrives."""
    parts: list[str] = []
    last = Chunk()
    for chunk in chunks:
        if chunk.text:
            parts.append(chunk.text)
            if on_text is not None:
                on_text(chunk.text)
        if chunk.done:
            last = chunk
    return Completion(
        choices=(Choice("".join(parts), last.finish_reason or "stop"),),
        usage=last.usage or Usage(),
        timings=last.timings or Timings(),
        model=model,
    )


def merge_completions(completions: list[Completion], model: str) -> Completion:
    """n single-choice completions -> one completion with n choices; usage adds up, timings of the first."""
    usage = Usage()
    for c in completions:
        usage = usage + c.usage
    total_s = sum(c.timings.total_s for c in completions)
    first = completions[0].timings
    return Completion(
        choices=tuple(ch for c in completions for ch in c.choices),
        usage=usage,
        timings=Timings(ttft_s=first.ttft_s, tokens_per_s=first.tokens_per_s, total_s=total_s),
        model=model,
    )


def one_choice_requests(request: Request) -> list[Request]:
    """The n one-choice requests an n-choice request stands for, seeded seed, seed+1, ... (from a random seed
    when none is given, so that the choices differ); n = 1 is the request itself with its own seed."""
    one = replace(request, params=replace(request.params, n=1))
    if request.params.n == 1:
        return [one]
    base = one.params.seed if one.params.seed is not None else random.randrange(2**31)
    return [replace(one, params=replace(one.params, seed=base + i)) for i in range(request.params.n)]


def complete_by_streams(stream: Callable[[Request], Iterator[Chunk]], request: Request, model: str) -> Completion:
    """A completion of n choices from n one-choice streams (one_choice_requests), for engines that generate
    one sequence at a time."""
    requests = one_choice_requests(request)
    if len(requests) == 1:
        return collect(stream(requests[0]), model)
    return merge_completions(one_after_another(stream, requests, model), model)
