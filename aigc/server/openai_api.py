"""The OpenAI-compatible endpoints: /v1/models, /v1/chat/completions, /v1/completions (suffix: fill-in-the-middle).

Streaming answers are server-sent events in OpenAI's chunk format, ending with `data: [DONE]`. The model
name a client sends is not checked (editor plugins often hard-code one): the answer names the model that
served it. Errors that can be known before the first token (a bad parameter, a prompt longer than the
context, a full queue) are HTTP errors; one that happens mid-stream is sent as an `error` event.
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, StreamingResponse
from openai.types import Completion as OpenAICompletion
from openai.types import CompletionChoice, CompletionUsage
from openai.types import Model as OpenAIModel
from openai.types.chat import ChatCompletion, ChatCompletionChunk, ChatCompletionMessage
from openai.types.chat.chat_completion import Choice as ChatChoice
from openai.types.chat.chat_completion_chunk import Choice as ChunkChoice
from openai.types.chat.chat_completion_chunk import ChoiceDelta
from pydantic import BaseModel, ConfigDict, Field

from aigc.engines.base import Chunk, Completion, GenerationParams, Message, Role, Usage, one_choice_requests
from aigc.engines.base import Request as EngineRequest
from aigc.engines.schema import check_schema
from aigc.errors import UsageError
from aigc.server.config import ServerConfig
from aigc.server.errors import ApiError, api_error
from aigc.server.queue import ModelQueue
from aigc.server.streaming import Emitted, Failed, Finished, run_in_thread, sse, wait_in_thread

router = APIRouter(prefix="/v1", tags=["OpenAI-compatible"])

Stop = Annotated[list[Annotated[str, Field(min_length=1)]], Field(max_length=4)] | Annotated[str, Field(min_length=1)]


class TextPart(BaseModel):
    type: Literal["text"]
    text: str


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="ignore")
    role: Literal["system", "developer", "user", "assistant"]
    content: str | list[TextPart] | None = None

    def to_message(self) -> Message:
        text = self.content if isinstance(self.content, str) else "".join(p.text for p in self.content or [])
        role: Role = "system" if self.role == "developer" else self.role
        return Message(role, text)


class StreamOptions(BaseModel):
    include_usage: bool = False


class ResponseFormat(BaseModel):
    model_config = ConfigDict(extra="ignore")
    type: Literal["text", "json_object", "json_schema"] = "text"
    json_schema: dict[str, Any] | None = None


class Sampling(BaseModel):
    """What chat and completion requests share. Unknown fields are ignored, as OpenAI clients send many."""

    model_config = ConfigDict(extra="ignore")
    model: str | None = None
    max_tokens: int | None = Field(default=None, ge=1)
    temperature: float | None = Field(default=None, ge=0, le=2)
    top_p: float | None = Field(default=None, gt=0, le=1)
    n: int = Field(default=1, ge=1, le=8)
    stop: Stop | None = None
    seed: int | None = None
    stream: bool = False
    stream_options: StreamOptions | None = None

    def params(self, config: ServerConfig, max_tokens: int | None, default_max: int) -> GenerationParams:
        stop = (self.stop,) if isinstance(self.stop, str) else tuple(self.stop or ())
        return config.params(
            max_tokens,
            default_max=default_max,
            temperature=self.temperature,
            top_p=self.top_p,
            seed=self.seed,
            stop=stop,
        )


class ChatCompletionRequest(Sampling):
    messages: list[ChatMessage] = Field(min_length=1)
    max_completion_tokens: int | None = Field(default=None, ge=1)
    response_format: ResponseFormat | None = None


class CompletionRequest(Sampling):
    prompt: str | Annotated[list[str], Field(min_length=1, max_length=1)]
    suffix: str | None = None
    echo: bool = False
    logprobs: int | None = Field(default=None, ge=0, le=0, description="not supported beyond 0")
    best_of: int | None = Field(default=None, ge=1)


@router.get("/models")
async def list_models(request: Request) -> dict[str, Any]:
    queue: ModelQueue = request.app.state.queue
    created = int(request.app.state.started)
    model = OpenAIModel(id=queue.inner.model_name, object="model", created=created, owned_by="aigc")
    return {"object": "list", "data": [_json(model)]}


@router.get("/models/{model_id:path}")
async def get_model(model_id: str, request: Request) -> dict[str, Any]:
    name = request.app.state.queue.inner.model_name
    if model_id != name:
        raise ApiError(
            404,
            f"no model {model_id!r}; this server serves {name!r}",
            kind="not_found_error",
            param="model",
            code="model_not_found",
        )
    return _json(OpenAIModel(id=name, object="model", created=0, owned_by="aigc"))


@router.post("/chat/completions", response_model=None)
async def chat_completions(body: ChatCompletionRequest, request: Request) -> JSONResponse | StreamingResponse:
    config: ServerConfig = request.app.state.config
    messages = [m.to_message() for m in body.messages]
    if not any(m.content.strip() for m in messages if m.role == "user"):
        raise ApiError(400, "messages hold no user message with text", param="messages")
    params = body.params(config, body.max_completion_tokens or body.max_tokens, config.defaults.max_tokens)
    params = replace(params, json_schema=_schema(body.response_format))
    engine_request = EngineRequest.chat(messages, params)
    return await _serve(request, body, engine_request, "chat.completion", "chatcmpl")


@router.post("/completions", response_model=None)
async def completions(body: CompletionRequest, request: Request) -> JSONResponse | StreamingResponse:
    config: ServerConfig = request.app.state.config
    if body.best_of is not None and body.best_of != body.n:
        raise ApiError(400, "best_of is not supported (ask for n choices instead)", param="best_of")
    prompt = body.prompt if isinstance(body.prompt, str) else body.prompt[0]
    params = body.params(config, body.max_tokens, 16)  # OpenAI's default for completions
    engine_request = EngineRequest(prompt=prompt, suffix=body.suffix, params=params)
    echo = prompt if body.echo else ""
    return await _serve(request, body, engine_request, "text_completion", "cmpl", echo)


def _schema(fmt: ResponseFormat | None) -> dict[str, Any] | None:
    if fmt is None or fmt.type == "text":
        return None
    if fmt.type == "json_object":
        return {"type": "object"}
    schema = (fmt.json_schema or {}).get("schema")
    if not isinstance(schema, dict):
        raise ApiError(400, "response_format.json_schema.schema must be a JSON schema object", param="response_format")
    try:
        check_schema(schema)
    except UsageError as exc:
        raise ApiError(400, str(exc), param="response_format", code="schema_too_complex") from None
    return schema


async def _serve(
    request: Request, body: Sampling, engine_request: EngineRequest, kind: str, prefix: str, echo: str = ""
) -> JSONResponse | StreamingResponse:
    queue: ModelQueue = request.app.state.queue
    queue.admit()
    answer = _Answer(kind, f"{prefix}-{uuid.uuid4().hex[:24]}", queue.inner.model_name, echo)
    cancel = threading.Event()
    engine = queue.engine(cancel)
    if not body.stream:
        completion = await wait_in_thread(
            lambda: engine.complete(replace(engine_request, params=replace(engine_request.params, n=body.n))),
            cancel,
            request.is_disconnected,
        )
        return JSONResponse(answer.whole(completion))
    include_usage = bool(body.stream_options and body.stream_options.include_usage)

    def work(emit: Callable[[Any], None]) -> None:
        many = replace(engine_request, params=replace(engine_request.params, n=body.n))
        for index, one in enumerate(one_choice_requests(many)):
            for chunk in engine.stream(one):
                emit((index, chunk))

    events = run_in_thread(work, cancel)
    first = await _first(events, cancel, request)
    if isinstance(first, Failed):
        raise first.error  # before any byte was sent: an ordinary HTTP error
    return StreamingResponse(
        answer.stream(first, events, include_usage),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


async def _first(events: AsyncIterator[Any], cancel: threading.Event, request: Request) -> Any:
    """The first event (which waits for the model's turn and the prompt), watching for a client that leaves."""
    pending = asyncio.ensure_future(events.__anext__())
    while True:
        done, _ = await asyncio.wait({pending}, timeout=0.25)
        if done:
            return pending.result()
        if await request.is_disconnected():
            cancel.set()


class _Answer:
    """Completions and chunks in OpenAI's shapes (the openai package's own types), for one request."""

    def __init__(self, kind: str, answer_id: str, model: str, echo: str) -> None:
        self.kind, self.id, self.model, self.echo = kind, answer_id, model, echo
        self.created = int(time.time())
        self.chat = kind == "chat.completion"

    def whole(self, completion: Completion) -> dict[str, Any]:
        usage = _usage(completion.usage)
        if self.chat:
            chat = [
                ChatChoice(
                    index=i,
                    message=ChatCompletionMessage(role="assistant", content=c.text),
                    finish_reason=_reason(c.finish_reason),
                    logprobs=None,
                )
                for i, c in enumerate(completion.choices)
            ]
            return _json(
                ChatCompletion(
                    id=self.id,
                    created=self.created,
                    model=self.model,
                    object="chat.completion",
                    choices=chat,
                    usage=usage,
                )
            )
        texts = [
            CompletionChoice(index=i, text=self.echo + c.text, finish_reason=_reason(c.finish_reason), logprobs=None)
            for i, c in enumerate(completion.choices)
        ]
        return _json(
            OpenAICompletion(
                id=self.id, created=self.created, model=self.model, object="text_completion", choices=texts, usage=usage
            )
        )

    def _chunk(self, index: int, text: str | None, finish: FinishReason | None, first: bool = False) -> dict[str, Any]:
        if self.chat:
            delta = ChoiceDelta(role="assistant", content=text or "") if first else ChoiceDelta()
            if text and not first:
                delta = ChoiceDelta(content=text)
            choice = ChunkChoice(index=index, delta=delta, finish_reason=finish, logprobs=None)
            return _json(self._chat_chunk([choice]))
        # A text completion's chunks are Completion objects whose finish_reason is null until the last one,
        # which the type (made for whole answers) does not allow: built unvalidated, as the client reads them.
        part = CompletionChoice.model_construct(index=index, text=text or "", finish_reason=finish, logprobs=None)
        return _json(
            OpenAICompletion.model_construct(
                id=self.id, created=self.created, model=self.model, object="text_completion", choices=[part]
            )
        )

    def _chat_chunk(self, choices: list[ChunkChoice], usage: CompletionUsage | None = None) -> ChatCompletionChunk:
        chunk = ChatCompletionChunk(
            id=self.id, created=self.created, model=self.model, object="chat.completion.chunk", choices=choices
        )
        if usage is not None:  # only the last chunk, when the client asked for usage, carries it
            chunk.usage = usage
        return chunk

    def _usage_chunk(self, usage: Usage) -> dict[str, Any]:
        if self.chat:
            return _json(self._chat_chunk([], _usage(usage)))
        whole = OpenAICompletion(
            id=self.id,
            created=self.created,
            model=self.model,
            object="text_completion",
            choices=[],
            usage=_usage(usage),
        )
        return _json(whole)

    async def stream(self, first: Any, events: AsyncIterator[Any], include_usage: bool) -> AsyncIterator[str]:
        usage = Usage()
        started: set[int] = set()
        event = first
        while True:
            if isinstance(event, Emitted):
                index, chunk = event.item
                assert isinstance(chunk, Chunk)
                if index not in started:
                    started.add(index)
                    if self.chat or self.echo:  # the role first (chat), or the echoed prompt (completions)
                        yield sse(self._chunk(index, self.echo, None, first=True))
                if chunk.text:
                    yield sse(self._chunk(index, chunk.text, None))
                if chunk.done:
                    usage = usage + (chunk.usage or Usage())
                    yield sse(self._chunk(index, None, _reason(chunk.finish_reason)))
            elif isinstance(event, Failed):
                error = api_error(event.error)
                yield sse({"error": {"message": error.message, "type": error.kind, "code": error.code}})
                break
            elif isinstance(event, Finished):
                if include_usage:
                    yield sse(self._usage_chunk(usage))
                break
            try:
                event = await events.__anext__()
            except StopAsyncIteration:
                break
        yield sse("[DONE]")


FinishReason = Literal["stop", "length"]


def _reason(reason: str | None) -> FinishReason:
    """What a client is told: the length limit, or a stop (a stop sequence, the end, or a cancelled turn)."""
    return "length" if reason == "length" else "stop"


def _usage(usage: Usage) -> CompletionUsage:
    return CompletionUsage(
        prompt_tokens=usage.prompt_tokens,
        completion_tokens=usage.completion_tokens,
        total_tokens=usage.total_tokens,
    )


def _json(answer: BaseModel) -> dict[str, Any]:
    """The fields that were given, as JSON (the types' other optional fields are left out, not sent as null)."""
    return answer.model_dump(mode="json", exclude_unset=True, warnings=False)
