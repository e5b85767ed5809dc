"""Blocking work (a model generating, a sandbox running) in a thread, its output to an async client.

`run_in_thread(work, cancel)` starts `work(emit)` in its own thread and yields whatever it emits, then
its return value or its exception. When the consumer stops early (the client disconnected and Starlette
cancelled the response), `cancel` is set, so the engine stops at its next token (aigc.server.queue).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import json
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Emitted:
    item: Any


@dataclass(frozen=True)
class Finished(Generic[T]):
    value: T


@dataclass(frozen=True)
class Failed:
    error: BaseException


Event = Emitted | Finished[Any] | Failed


async def run_in_thread(work: Callable[[Callable[[Any], None]], T], cancel: threading.Event) -> AsyncIterator[Event]:
    """Yield Emitted(item) for each `emit(item)` of `work`, then Finished(result) or Failed(error)."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[Event] = asyncio.Queue()

    def put(event: Event) -> None:
        try:
            loop.call_soon_threadsafe(queue.put_nowait, event)
        except RuntimeError:  # the loop is gone (server shutting down); nobody is listening
            cancel.set()

    def target() -> None:
        try:
            put(Finished(work(lambda item: put(Emitted(item)))))
        except BaseException as exc:  # handed to the consumer, which decides what the client sees
            put(Failed(exc))

    context = contextvars.copy_context()  # the request id travels into the thread's log lines
    threading.Thread(target=context.run, args=(target,), name="aigc-generation", daemon=True).start()
    try:
        while True:
            event = await queue.get()
            yield event
            if not isinstance(event, Emitted):
                return
    finally:
        cancel.set()  # a no-op when the work has finished; stops it when the client went away


async def wait_in_thread(
    work: Callable[[], T], cancel: threading.Event, disconnected: Callable[[], Awaitable[bool]], poll_s: float = 0.25
) -> T:
    """Run `work` in a thread and return its result; set `cancel` if `disconnected()` turns true first."""
    future: concurrent.futures.Future[T] = concurrent.futures.Future()

    def target() -> None:
        try:
            future.set_result(work())
        except BaseException as exc:
            future.set_exception(exc)

    context = contextvars.copy_context()
    threading.Thread(target=context.run, args=(target,), name="aigc-job", daemon=True).start()
    waiting = asyncio.wrap_future(future)
    try:
        while True:
            done, _ = await asyncio.wait({waiting}, timeout=poll_s)
            if done:
                return waiting.result()
            if await disconnected():
                cancel.set()
    finally:
        if not future.done():
            cancel.set()


def sse(data: Any, event: str | None = None) -> str:
    """One server-sent event: JSON data (or a bare string such as [DONE]), an optional event name."""
    text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    head = f"event: {event}\n" if event else ""
    return head + "".join(f"data: {line}\n" for line in text.split("\n")) + "\n"
