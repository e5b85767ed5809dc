"""A multi-turn conversation with the model, kept within the context by dropping the oldest turns."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from aigc.engines.base import Completion, Engine, GenerationParams, Message, Request, collect
from aigc.errors import ContextOverflow, UsageError
from aigc.prompts import render

CHAT_TEMPERATURE = 0.3  # conversation reads better with a little sampling; code is drawn greedy first


def chat_params(params: GenerationParams, temperature: float | None) -> GenerationParams:
    """A conversation's sampling: the temperature asked for (a flag, a setting, a request), else CHAT_TEMPERATURE."""
    return replace(params, temperature=CHAT_TEMPERATURE if temperature is None else temperature)


@dataclass(frozen=True)
class ChatTurn:
    completion: Completion
    dropped_messages: int  # old messages forgotten to make room in the context

    @property
    def reply(self) -> str:
        return self.completion.text


class ChatSession:
    def __init__(self, engine: Engine, params: GenerationParams, system: str | None = None) -> None:
        self.engine = engine
        self.params = params
        self.system = Message("system", system if system is not None else render("chat_system"))
        self.history: list[Message] = []

    @property
    def messages(self) -> list[Message]:
        return [self.system, *self.history]

    def reset(self) -> None:
        self.history.clear()

    def send(self, text: str, on_text: Callable[[str], None] | None = None) -> ChatTurn:
        """Ask, stream the answer to `on_text`, remember both. Ctrl-C keeps the partial answer."""
        if not text.strip():
            raise UsageError("the message is empty")
        self.history.append(Message("user", text))
        dropped = 0
        received: list[str] = []

        def tap(piece: str) -> None:
            received.append(piece)
            if on_text is not None:
                on_text(piece)

        while True:
            try:
                completion = collect(
                    self.engine.stream(Request.chat(self.messages, self.params)), self.engine.model_name, tap
                )
                break
            except ContextOverflow:
                if len(self.history) <= 1:  # the new message alone does not fit
                    self.history.pop()
                    raise
                del self.history[:2]  # forget the oldest exchange and try again
                dropped += 2
            except KeyboardInterrupt:
                self.history.append(Message("assistant", "".join(received)))
                raise
        self.history.append(Message("assistant", completion.text))
        return ChatTurn(completion, dropped)

    def save(self, path: Path) -> Path:
        """The transcript as JSON (.json) or Markdown (anything else)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix.lower() == ".json":
            data = {"model": self.engine.model_name, "messages": [m.to_dict() for m in self.messages]}
            path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        else:
            lines = [f"# Chat with {self.engine.model_name}", ""]
            for m in self.history:
                lines += [f"## {m.role}", "", m.content.rstrip(), ""]
            path.write_text("\n".join(lines), encoding="utf-8")
        return path
