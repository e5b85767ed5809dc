"""One model per process, behind a queue: generations take turns in arrival order.

Every engine call the server makes (a chat answer, a completion, each call inside a verified generation
or a project build) goes through `ModelQueue.engine(cancel)`, a view of the one engine that waits for its
turn first. A request whose client went away sets its `cancel` event: a waiting call leaves the queue, a
running one stops at the next token, and the model moves on to the next in line.

Admission is separate from waiting: the HTTP layer calls `admit()` before it accepts a request, which
refuses when `max_waiting` calls are already waiting, so a flood of clients gets a quick 429 instead of
an ever longer wait. Calls from jobs already admitted (a verified generation's later rounds) always wait.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Generator, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from aigc.engines.base import (
    Chunk,
    Completion,
    Engine,
    Request,
    collect,
    complete_together,
    merge_completions,
    one_choice_requests,
)
from aigc.errors import AigcError


class Cancelled(AigcError):
    """The client that asked for this generation went away (or cancelled the job)."""


class QueueFull(AigcError):
    """Too many requests are already waiting for the model."""


@dataclass(frozen=True)
class QueueStats:
    running: int
    waiting: int
    served: int
    cancelled: int


class ModelQueue:
    """First come, first served access to one engine, `slots` calls at a time (1 for an embedded model)."""

    def __init__(self, engine: Engine, *, max_waiting: int = 16, slots: int = 1) -> None:
        if slots < 1 or max_waiting < 0:
            raise ValueError("slots must be >= 1 and max_waiting >= 0")
        self.inner = engine
        self.max_waiting = max_waiting
        self._slots = slots
        self._running = 0
        self._line: deque[object] = deque()
        self._cond = threading.Condition()
        self._served = 0
        self._cancelled = 0

    def stats(self) -> QueueStats:
        with self._cond:
            return QueueStats(self._running, len(self._line), self._served, self._cancelled)

    def admit(self) -> None:
        """Raise QueueFull when the line is already `max_waiting` long (checked before a request is accepted)."""
        with self._cond:
            waiting = len(self._line)
            if waiting >= self.max_waiting and self._running >= self._slots:
                raise QueueFull(
                    f"the model is busy: {waiting} request(s) already waiting (the limit is {self.max_waiting}); "
                    "retry in a moment"
                )

    @contextmanager
    def turn(self, cancel: threading.Event) -> Iterator[None]:
        """Wait in line for a slot; raise Cancelled if `cancel` is set while waiting."""
        ticket = object()
        with self._cond:
            self._line.append(ticket)
            try:
                while self._line[0] is not ticket or self._running >= self._slots:
                    if cancel.is_set():
                        self._cancelled += 1
                        raise Cancelled("the request was cancelled while it waited for the model")
                    # A cancel does not notify the condition, so wake now and then to look at it.
                    self._cond.wait(timeout=0.1)
            finally:
                self._line.remove(ticket)
                self._cond.notify_all()
            self._running += 1
        try:
            yield
        finally:
            with self._cond:
                self._running -= 1
                self._served += 1
                self._cond.notify_all()

    def engine(self, cancel: threading.Event | None = None) -> QueuedEngine:
        return QueuedEngine(self, cancel or threading.Event())


class QueuedEngine:
    """The queue's engine as one request sees it: each call waits its turn and stops when `cancel` is set."""

    def __init__(self, queue: ModelQueue, cancel: threading.Event) -> None:
        self._queue = queue
        self.cancel = cancel

    @property
    def model_name(self) -> str:
        return self._queue.inner.model_name

    @property
    def context_size(self) -> int | None:
        return self._queue.inner.context_size

    def stream(self, request: Request) -> Iterator[Chunk]:
        with self._queue.turn(self.cancel):
            started = time.perf_counter()
            chunks = self._queue.inner.stream(request)
            try:
                for chunk in chunks:
                    if self.cancel.is_set():
                        break
                    yield chunk
            finally:
                if isinstance(chunks, Generator):
                    chunks.close()  # the engine sees GeneratorExit and stops decoding
            if self.cancel.is_set():
                raise self._stopped(started)

    def complete(self, request: Request) -> Completion:
        if request.params.n == 1:
            return collect(self.stream(request), self.model_name)
        return merge_completions(self.decode_together(one_choice_requests(request)), self.model_name)

    def decode_together(
        self,
        requests: Sequence[Request],
        on_text: Callable[[str], None] | None = None,
        stop: Callable[[], bool] | None = None,
    ) -> list[Completion]:
        """The requests in one turn: decoded together they cost about one answer. A cancel stops every one
        of them at the next decode step."""
        with self._queue.turn(self.cancel):
            started = time.perf_counter()
            done = complete_together(
                self._queue.inner, requests, on_text, lambda: self.cancel.is_set() or bool(stop and stop())
            )
        if self.cancel.is_set():
            raise self._stopped(started)
        return done

    def _stopped(self, started: float) -> Cancelled:
        with self._queue._cond:
            self._queue._cancelled += 1
        return Cancelled(f"the client went away; generation stopped after {time.perf_counter() - started:.1f} s")

    def close(self) -> None:
        pass  # the queue's engine lives as long as the server
