"""A scripted engine for fast tests of everything above the engine (tasks, CLI, server).

Replies are given as a list (served in order, the last one repeated) or a function of the request.
Text streams in word-sized pieces, usage counts those pieces, and a context size can be set so
overflow handling is testable without a model.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from aigc.engines.base import Chunk, Completion, FinishReason, Request, Stopwatch, Usage, collect, merge_completions
from aigc.errors import ContextOverflow

Script = Callable[[Request], str]
_PIECE = re.compile(r"\s*\S+|\s+")


def split_pieces(text: str) -> list[str]:
    """Word-sized pieces that join back to exactly `text`; each counts as one token."""
    return _PIECE.findall(text)


class FakeEngine:
    def __init__(
        self,
        replies: list[str] | Script | None = None,
        *,
        model: str = "fake",
        context_size: int | None = None,
        delay_s: float = 0.0,
    ) -> None:
        self._replies = replies if replies is not None else ["```python\nprint('hello')\n```"]
        self._model = model
        self._context_size = context_size
        self._delay_s = delay_s
        self._served = 0
        self.requests: list[Request] = []
        self.finished: list[FinishReason] = []  # how each stream ended: stop, length, or cancelled

    @classmethod
    def from_file(cls, path: Path, *, delay_s: float = 0.0) -> FakeEngine:
        """A JSON list of reply strings (what AIGC_FAKE_REPLIES points at, for end-to-end CLI tests)."""
        replies = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(replies, list) or not all(isinstance(r, str) for r in replies):
            raise ValueError(f"{path}: expected a JSON list of strings")
        return cls(replies, delay_s=delay_s)

    @property
    def model_name(self) -> str:
        return self._model

    @property
    def context_size(self) -> int | None:
        return self._context_size

    def prompt_tokens(self, request: Request) -> int:
        text = request.prompt or "".join(m.content for m in request.messages)
        return len(split_pieces(text)) + 3 * len(request.messages)

    def _next_reply(self, request: Request) -> str:
        if callable(self._replies):
            return self._replies(request)
        reply = self._replies[min(self._served, len(self._replies) - 1)]
        self._served += 1
        return reply

    def stream(self, request: Request) -> Iterator[Chunk]:
        self.requests.append(request)
        prompt_tokens = self.prompt_tokens(request)
        max_tokens = request.params.max_tokens
        if self._context_size is not None and prompt_tokens + max_tokens > self._context_size:
            raise ContextOverflow(prompt_tokens, max_tokens, self._context_size)
        watch = Stopwatch()
        pieces = split_pieces(self._next_reply(request))
        finish: FinishReason = "length" if len(pieces) > max_tokens else "stop"
        pieces = pieces[:max_tokens]
        try:
            for piece in pieces:
                if self._delay_s:
                    time.sleep(self._delay_s)
                watch.token()
                yield Chunk(text=piece)
        except GeneratorExit:  # the consumer stopped early (a client that went away)
            self.finished.append("cancelled")
            raise
        self.finished.append(finish)
        yield Chunk(
            done=True,
            finish_reason=finish,
            usage=Usage(prompt_tokens, len(pieces)),
            timings=watch.timings(len(pieces)),
        )

    def complete(self, request: Request) -> Completion:
        return merge_completions(
            [collect(self.stream(request), self._model) for _ in range(request.params.n)], self._model
        )

    def close(self) -> None:
        pass
