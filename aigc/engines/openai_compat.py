"""Any OpenAI-compatible server (vLLM, llama.cpp server, Ollama, OpenAI) through the official client.

This is the scale-out path: n samples go out as concurrent requests so a batching server (vLLM) can
serve them together. Backend exceptions become aigc errors that name the server's URL.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from aigc.engines.base import (
    Chunk,
    Completion,
    FinishReason,
    Request,
    Stopwatch,
    Usage,
    collect,
    merge_completions,
    until,
)
from aigc.errors import ContextOverflow, EngineUnavailable, GenerationError

if TYPE_CHECKING:
    import openai

# vLLM and OpenAI: "maximum context length is 2048 tokens. However, you requested 2100 tokens
# (1600 in the messages, 500 in the completion)"
_VLLM_OVERFLOW = re.compile(
    r"maximum context length is (\d+) tokens.*?\((\d+) in the messages, (\d+) in the completion"
)
# llama-cpp-python's server: "Requested tokens (5000) exceed context window of 4096"
_LLAMA_OVERFLOW = re.compile(r"Requested tokens \((\d+)\) exceed context window of (\d+)")


class OpenAIEngine:
    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        model: str | None = None,
        *,
        timeout_s: float = 600.0,
        max_retries: int = 1,
    ) -> None:
        import openai

        self.base_url = base_url.rstrip("/")
        self._openai = openai
        self._client = openai.OpenAI(
            base_url=self.base_url,
            api_key=api_key or "no-key",  # local servers take any key; the client insists on one
            timeout=timeout_s,
            max_retries=max_retries,
        )
        self._model = model
        # OpenAI itself rejects parameters it does not know; every other server here accepts top_k.
        self._send_top_k = urlparse(self.base_url).hostname != "api.openai.com"

    @property
    def model_name(self) -> str:
        if self._model is None:
            self._model = self._first_model()
        return self._model

    @property
    def context_size(self) -> int | None:
        return None  # servers do not say; they reject an overflowing request and we translate it

    def _first_model(self) -> str:
        try:
            models = self._client.models.list().data
        except self._openai.OpenAIError as exc:
            raise self._translate(exc) from exc
        if not models:
            raise GenerationError(f"the server at {self.base_url} lists no models; name one with --model")
        return models[0].id

    def _translate(self, exc: Exception, max_tokens: int = 0) -> Exception:
        oa = self._openai
        if isinstance(exc, oa.APITimeoutError):
            return EngineUnavailable(self.base_url, "no answer before the timeout")
        if isinstance(exc, oa.APIConnectionError):
            cause = exc.__cause__ or exc
            return EngineUnavailable(self.base_url, f"cannot connect ({type(cause).__name__}: {cause})")
        if isinstance(exc, oa.APIStatusError):
            message = _error_message(exc)
            if m := _VLLM_OVERFLOW.search(message):
                return ContextOverflow(int(m[2]), int(m[3]), int(m[1]))
            if m := _LLAMA_OVERFLOW.search(message):
                return ContextOverflow(int(m[1]), max_tokens, int(m[2]))
            if isinstance(exc, oa.AuthenticationError):
                return GenerationError(f"the server at {self.base_url} rejected the API key: {message}")
            return GenerationError(f"the server at {self.base_url} answered {exc.status_code}: {message}")
        return GenerationError(f"request to {self.base_url} failed: {exc}")

    def _sampling(self, request: Request) -> dict[str, Any]:
        p = request.params
        kwargs: dict[str, Any] = {
            "model": self.model_name,
            "max_tokens": p.max_tokens,
            "temperature": p.temperature,
            "top_p": p.top_p,
        }
        if p.seed is not None:
            kwargs["seed"] = p.seed
        if p.stop:
            kwargs["stop"] = list(p.stop)
        extra: dict[str, Any] = {}
        if self._send_top_k and p.top_k > 0:
            extra["top_k"] = p.top_k
        if p.grammar is not None:
            extra["grammar"] = p.grammar
        if extra:
            kwargs["extra_body"] = extra
        if p.json_schema is not None and request.messages:
            kwargs["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "output", "schema": p.json_schema, "strict": True},
            }
        return kwargs

    def stream(self, request: Request) -> Iterator[Chunk]:
        if request.params.n != 1:
            raise ValueError("stream() serves one choice; use complete() for n > 1")
        kwargs = self._sampling(request)
        watch = Stopwatch()
        pieces = 0
        usage: Usage | None = None
        finish: FinishReason | None = None
        # The client's overloads are typed for OpenAI's own models and params; servers differ, so Any.
        create: Any = self._client.chat.completions.create if request.messages else self._client.completions.create
        inputs: dict[str, Any] = (
            {"messages": [m.to_dict() for m in request.messages]}
            if request.messages
            else {"prompt": request.prompt or "", "suffix": request.suffix}
        )
        try:
            stream = create(stream=True, stream_options={"include_usage": True}, **inputs, **kwargs)
            with stream:
                for event in stream:
                    if getattr(event, "usage", None):
                        usage = Usage(event.usage.prompt_tokens, event.usage.completion_tokens)
                    for choice in event.choices or ():
                        text = choice.delta.content if request.messages else choice.text
                        if choice.finish_reason:
                            finish = "length" if choice.finish_reason == "length" else "stop"
                        if text:
                            watch.token()
                            pieces += 1
                            yield Chunk(text=text)
        except self._openai.OpenAIError as exc:
            raise self._translate(exc, request.params.max_tokens) from exc
        if finish is None and pieces == 0:
            # Some servers (llama-cpp-python's) answer 200 and an empty stream when they reject a request;
            # asking again without streaming gets either the answer or the real error (context overflow...).
            yield from self._unstreamed(create, inputs, kwargs, request.params.max_tokens, watch)
            return
        if finish is None:
            raise GenerationError(
                f"the server at {self.base_url} ended the answer without finishing it "
                "(interrupted, perhaps by another request?)"
            )
        # A server that does not report usage in streams: count the streamed pieces (one token each
        # on llama.cpp and vLLM) and leave prompt tokens at 0 rather than guess.
        usage = usage or Usage(0, pieces)
        yield Chunk(
            done=True,
            finish_reason=finish,
            usage=usage,
            timings=watch.timings(usage.completion_tokens or pieces),
        )

    def _unstreamed(
        self, create: Any, inputs: dict[str, Any], kwargs: dict[str, Any], max_tokens: int, watch: Stopwatch
    ) -> Iterator[Chunk]:
        try:
            response = create(**inputs, **kwargs)
        except self._openai.OpenAIError as exc:
            raise self._translate(exc, max_tokens) from exc
        choice = response.choices[0]
        text = (choice.message.content if hasattr(choice, "message") else choice.text) or ""
        watch.token()
        u = response.usage
        usage = Usage(u.prompt_tokens, u.completion_tokens) if u else Usage(0, 0)
        if text:
            yield Chunk(text=text)
        finish: FinishReason = "length" if choice.finish_reason == "length" else "stop"
        yield Chunk(done=True, finish_reason=finish, usage=usage, timings=watch.timings(usage.completion_tokens))

    def complete(self, request: Request) -> Completion:
        n = request.params.n
        one = replace(request, params=replace(request.params, n=1))
        if n == 1:
            return collect(self.stream(one), self.model_name)
        seeds = [None if one.params.seed is None else one.params.seed + i for i in range(n)]
        requests = [replace(one, params=replace(one.params, seed=s)) for s in seeds]
        return merge_completions(self.decode_together(requests), self.model_name)

    def decode_together(
        self,
        requests: Sequence[Request],
        on_text: Callable[[str], None] | None = None,
        stop: Callable[[], bool] | None = None,
    ) -> list[Completion]:
        """All requests in flight at once, so that a batching server serves them together; the first one's
        text goes to `on_text` as it streams. Once `stop()` is true every stream is closed."""

        def chunks(request: Request) -> Iterator[Chunk]:
            return self.stream(request) if stop is None else until(self.stream(request), stop)

        def one(request: Request) -> Completion:
            return collect(chunks(request), self.model_name)

        with ThreadPoolExecutor(max_workers=min(len(requests), 32)) as pool:
            rest = [pool.submit(one, r) for r in requests[1:]]
            first = collect(chunks(requests[0]), self.model_name, on_text)
            return [first] + [f.result() for f in rest]

    def close(self) -> None:
        self._client.close()


def _error_message(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])
        if isinstance(body.get("detail"), str):
            return str(body["detail"])
    return exc.message
