"""Native endpoints: verified generation (the same task as `aigc gen`), chat kept in history, health.

POST /api/generate          {requirement, ...} -> the code and its verification report (aigc gen --json)
POST /api/generate/stream   the same as server-sent events: text, progress, then result (or error)
POST /api/chat              {message, conversation_id?} -> events: conversation, text..., done (or error)
GET  /api/conversations     the list; GET/DELETE /api/conversations/{id}
GET  /api/health, /api/info
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import AsyncIterator, Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from aigc import __version__
from aigc.engines.base import Message
from aigc.engines.gpt import GPTEngine, inspector_for
from aigc.server.config import ServerConfig
from aigc.server.errors import ApiError, api_error
from aigc.server.history import History, StoredMessage, StreamingAnswer
from aigc.server.queue import Cancelled, ModelQueue
from aigc.server.streaming import Emitted, Failed, Finished, run_in_thread, sse, wait_in_thread
from aigc.tasks.chat import ChatSession, chat_params
from aigc.tasks.generate import generate, target_language
from aigc.tasks.inspect import inspect
from aigc.verify.candidates import GenerationResult
from aigc.verify.tests import user_tests

router = APIRouter(prefix="/api", tags=["aigc"])
SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


class GenerateBody(BaseModel):
    requirement: str = Field(min_length=1, max_length=20_000, description="What the code should do (中文 or English).")
    language: str | None = Field(
        default=None, max_length=32, description="Target language; default as named, else python."
    )
    verify: bool = Field(default=True, description="Check, test in the sandbox, rank and repair (Python).")
    n: int | None = Field(default=None, ge=1, le=8, description="Candidates; default 5 when verifying, else 1.")
    max_rounds: int = Field(default=2, ge=0, le=5, description="Repair rounds at most.")
    tests: str | None = Field(default=None, max_length=200_000, description="Your own pytest-style tests (file text).")
    max_tokens: int | None = Field(default=None, ge=1)
    temperature: float | None = Field(default=None, ge=0, le=2)
    seed: int | None = None


class ChatBody(BaseModel):
    message: str = Field(min_length=1, max_length=50_000)
    conversation_id: str | None = Field(default=None, max_length=64)
    max_tokens: int | None = Field(default=None, ge=1)
    temperature: float | None = Field(default=None, ge=0, le=2)


@router.get("/health")
async def health(request: Request) -> dict[str, Any]:
    stats = request.app.state.queue.stats()
    return {
        "status": "ok",
        "model": request.app.state.queue.inner.model_name,
        "queue": {"running": stats.running, "waiting": stats.waiting},
    }


@router.get("/info")
async def info(request: Request) -> dict[str, Any]:
    config: ServerConfig = request.app.state.config
    queue: ModelQueue = request.app.state.queue
    stats = queue.stats()
    return {
        "version": __version__,
        "model": queue.inner.model_name,
        "context_size": queue.inner.context_size,
        "auth": bool(config.api_keys),
        "sandbox": request.app.state.sandbox,
        "limits": {
            "max_tokens": config.max_tokens_limit,
            "max_body_bytes": config.max_body_bytes,
            "max_waiting": config.max_waiting,
            "max_candidates": config.max_candidates,
        },
        "queue": {
            "running": stats.running,
            "waiting": stats.waiting,
            "served": stats.served,
            "cancelled": stats.cancelled,
        },
    }


def _generation(
    body: GenerateBody, request: Request, cancel: threading.Event
) -> Callable[[Callable[[Any], None]], GenerationResult]:
    """The job: aigc gen's task function on the queued engine, with progress and the greedy stream emitted."""
    if not body.requirement.strip():
        raise ApiError(400, "the requirement is empty: say what the code should do", param="requirement")
    target_language(body.requirement, body.language)  # an unknown language is refused before the model's turn
    config: ServerConfig = request.app.state.config
    params = config.params(body.max_tokens, seed=body.seed)
    engine = request.app.state.queue.engine(cancel)
    tests = user_tests(body.tests, "test_user.py") if body.tests is not None else None

    def work(emit: Callable[[Any], None]) -> GenerationResult:
        def on_event(message: str) -> None:
            if cancel.is_set():
                raise Cancelled("the client went away")
            emit(("progress", {"message": message}))

        return generate(
            body.requirement,
            engine,
            params,
            language=body.language,
            temperature=body.temperature,
            on_text=lambda text: emit(("text", {"text": text})),
            verify=body.verify,
            n=body.n,
            max_rounds=body.max_rounds,
            tests=tests,
            on_event=on_event,
        )

    return work


@router.post("/generate")
async def generate_code(body: GenerateBody, request: Request) -> dict[str, Any]:
    """Verified generation, answered when done (minutes on a CPU): the JSON of `aigc gen --json`."""
    request.app.state.queue.admit()
    cancel = threading.Event()
    work = _generation(body, request, cancel)
    result = await wait_in_thread(lambda: work(lambda _: None), cancel, request.is_disconnected)
    return result.to_json()


@router.post("/generate/stream", response_class=StreamingResponse)
async def generate_stream(body: GenerateBody, request: Request) -> StreamingResponse:
    """The same job as events: `text` (the first candidate as it is written), `progress`, then `result` or `error`."""
    request.app.state.queue.admit()
    cancel = threading.Event()
    events = run_in_thread(_generation(body, request, cancel), cancel)

    async def body_() -> AsyncIterator[str]:
        async for event in events:
            if isinstance(event, Emitted):
                name, data = event.item
                yield sse(data, name)
            elif isinstance(event, Finished):
                yield sse(event.value.to_json(), "result")
            elif isinstance(event, Failed):
                yield sse(_error_json(event.error), "error")

    return StreamingResponse(body_(), media_type="text/event-stream", headers=SSE_HEADERS)


def _error_json(exc: BaseException) -> dict[str, Any]:
    error = api_error(exc)
    return {"status": error.status, "message": error.message, "type": error.kind, "code": error.code}


@router.get("/conversations")
async def conversations(request: Request) -> list[dict[str, Any]]:
    return [c.to_json() for c in request.app.state.history.conversations()]


@router.get("/conversations/{conversation_id}")
async def conversation(conversation_id: str, request: Request) -> dict[str, Any]:
    history: History = request.app.state.history
    conv = history.conversation(conversation_id)
    if conv is None:
        raise ApiError(404, f"no conversation {conversation_id!r}", kind="not_found_error")
    return {**conv.to_json(), "messages": [m.to_json() for m in history.messages(conversation_id)]}


@router.delete("/conversations/{conversation_id}", status_code=204)
async def delete_conversation(conversation_id: str, request: Request) -> None:
    if not request.app.state.history.delete_conversation(conversation_id):
        raise ApiError(404, f"no conversation {conversation_id!r}", kind="not_found_error")


def _exchanges(stored: list[StoredMessage]) -> list[Message]:
    """The earlier turns the model sees: each question with the answer it got (a question whose answer
    failed or is empty is left out, so the context keeps alternating user, assistant)."""
    out: list[Message] = []
    for question, answer in itertools.pairwise(stored):
        if question.role == "user" and answer.role == "assistant" and answer.content:
            out += [Message("user", question.content), Message("assistant", answer.content)]
    return out


@router.post("/chat", response_class=StreamingResponse)
async def chat(body: ChatBody, request: Request) -> StreamingResponse:
    """One turn of a kept conversation (a new one without conversation_id), streamed as events."""
    history: History = request.app.state.history
    if not body.message.strip():
        raise ApiError(400, "the message is empty", param="message")
    if body.conversation_id is not None and history.conversation(body.conversation_id) is None:
        raise ApiError(404, f"no conversation {body.conversation_id!r}", kind="not_found_error")
    config: ServerConfig = request.app.state.config
    asked = body.temperature if body.temperature is not None else config.temperature
    params = chat_params(config.params(body.max_tokens), asked)
    request.app.state.queue.admit()
    conv = (
        history.conversation(body.conversation_id)
        if body.conversation_id
        else history.create_conversation(body.message)
    )
    assert conv is not None
    earlier = _exchanges(history.messages(conv.id))
    history.add_message(conv.id, "user", body.message)  # saved before the model starts: a crash keeps the question
    cancel = threading.Event()
    session = ChatSession(request.app.state.queue.engine(cancel), params)
    session.history = earlier
    answer = StreamingAnswer(history, conv.id)

    def work(emit: Callable[[Any], None]) -> dict[str, Any]:
        def tap(piece: str) -> None:
            answer.add(piece)
            emit(piece)

        try:
            turn = session.send(body.message, tap)
        except Cancelled:
            answer.finish("cancelled")
            raise
        except BaseException:
            answer.finish("error")
            raise
        c = turn.completion
        answer.finish("done", c.usage.completion_tokens, c.text)
        return {
            "finish_reason": c.finish_reason,
            "dropped_messages": turn.dropped_messages,
            "usage": {"prompt_tokens": c.usage.prompt_tokens, "completion_tokens": c.usage.completion_tokens},
            "timings": {"ttft_s": round(c.timings.ttft_s, 3), "tokens_per_s": round(c.timings.tokens_per_s, 1)},
            "message_id": answer.id,
        }

    events = run_in_thread(work, cancel)

    async def body_() -> AsyncIterator[str]:
        yield sse({"id": conv.id, "title": conv.title}, "conversation")
        async for event in events:
            if isinstance(event, Emitted):
                yield sse({"text": event.item}, "text")
            elif isinstance(event, Finished):
                yield sse(event.value, "done")
            elif isinstance(event, Failed):
                yield sse(_error_json(event.error), "error")

    return StreamingResponse(body_(), media_type="text/event-stream", headers=SSE_HEADERS)


class InspectBody(BaseModel):
    prompt: str = Field(min_length=1, max_length=8_000, description="Code to continue, or a request to answer.")
    max_tokens: int = Field(default=24, ge=1, le=128)
    top: int = Field(default=5, ge=1, le=10, description="Alternatives kept per token.")
    layer: int | None = Field(default=None, ge=0, description="Attention layer to record (with head).")
    head: int | None = Field(default=None, ge=0, description="Attention head to record (with layer).")
    chat: bool | None = Field(default=None, description="Ask as a chat message (true) or continue the text (false).")


def _gpt_engine(request: Request) -> GPTEngine:
    """The from-scratch model over the served GGUF, loaded on first use (it is slow to load and large)."""
    state = request.app.state
    with state.gpt_lock:
        if state.gpt is None:
            state.gpt = inspector_for(state.queue.inner)
        gpt: GPTEngine = state.gpt
        return gpt


@router.post("/inspect")
async def inspect_tokens(body: InspectBody, request: Request) -> dict[str, Any]:
    """Generate with the from-scratch GPT and return why each token was chosen (aigc inspect --json)."""
    if (body.layer is None) != (body.head is None):
        raise ApiError(400, "give both layer and head, or neither", param="layer")
    attention = (body.layer, body.head) if body.layer is not None and body.head is not None else None
    queue: ModelQueue = request.app.state.queue
    queue.admit()
    cancel = threading.Event()

    def work() -> dict[str, Any]:
        # It waits its turn with every other generation: the CPU and memory are the model's one at a time.
        with queue.turn(cancel):
            engine = _gpt_engine(request)
            with engine.lock:
                result = inspect(
                    body.prompt,
                    engine,
                    max_tokens=body.max_tokens,
                    top=body.top,
                    attention=attention,
                    chat=body.chat,
                    cancelled=cancel.is_set,
                )
        return result.to_json()

    return await wait_in_thread(work, cancel, request.is_disconnected)
