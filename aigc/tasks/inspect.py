"""`aigc inspect`: generate with the from-scratch model and keep, for every token, why it was chosen.

The CLI renders the result as a table, an attention heatmap (PNG) and a self-contained HTML page
(aigc.cli.inspect_views); the server's "why this token" view shows the same JSON.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING, Any, Literal

from aigc.engines.base import GenerationParams, Message, Request
from aigc.errors import UsageError

if TYPE_CHECKING:
    from aigc.engines.gpt import GPTEngine
    from aigc.gpt.generate import Step

Mode = Literal["chat", "raw"]
_CODE_START = re.compile(
    r"^\s*(def |class |import |from \S+ import|async def |@\w|#|//|/\*|function\b|const |let |var |public |private |"
    r"package |<\w|<!|\{|SELECT\b|CREATE\b|#include|fn |func |using |namespace )",
    re.IGNORECASE,
)


def choose_mode(prompt: str, chat: bool | None) -> Mode:
    """Chat for a request in words; raw continuation for text that starts like code. `chat` overrides."""
    if chat is not None:
        return "chat" if chat else "raw"
    return "raw" if _CODE_START.match(prompt) else "chat"


def parse_head(text: str | None) -> tuple[int, int] | None:
    if not text:
        return None
    m = re.fullmatch(r"\s*(\d+)\s*:\s*(\d+)\s*", text)
    if not m:
        raise UsageError(f"--attention wants LAYER:HEAD (e.g. 12:3), got {text!r}")
    return int(m.group(1)), int(m.group(2))


@dataclass(frozen=True)
class PromptToken:
    token: int
    piece: str


@dataclass
class InspectResult:
    model: str
    prompt: str
    mode: Mode
    prompt_tokens: list[PromptToken]
    steps: list[Step]
    attention_head: tuple[int, int] | None
    seconds: float
    n_layer: int
    n_head: int

    @property
    def text(self) -> str:
        return "".join(s.piece for s in self.steps if not s.end)

    @property
    def tokens_per_s(self) -> float:
        decode = sum(s.seconds for s in self.steps[1:])
        return (len(self.steps) - 1) / decode if len(self.steps) > 1 and decode > 0 else 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "prompt": self.prompt,
            "mode": self.mode,
            "prompt_tokens": [asdict(t) for t in self.prompt_tokens],
            "steps": [asdict(s) for s in self.steps],
            "attention_head": list(self.attention_head) if self.attention_head else None,
            "text": self.text,
            "seconds": round(self.seconds, 3),
            "tokens_per_s": round(self.tokens_per_s, 2),
            "layers": self.n_layer,
            "heads": self.n_head,
        }


def inspect(
    prompt: str,
    engine: GPTEngine,
    *,
    max_tokens: int = 32,
    top: int = 5,
    attention: tuple[int, int] | None = None,
    chat: bool | None = None,
    temperature: float = 0.0,
    seed: int | None = None,
    on_step: Callable[[Step], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> InspectResult:
    from aigc.gpt.generate import Sampling, steps

    if not prompt.strip():
        raise UsageError("the prompt is empty: give text to continue or a request to answer")
    if not 1 <= top <= 20:
        raise UsageError(f"--top must be between 1 and 20, got {top}")
    mode = choose_mode(prompt, chat)
    params = GenerationParams(max_tokens=max_tokens, temperature=temperature)
    request = (
        Request.chat([Message("user", prompt)], params) if mode == "chat" else Request(prompt=prompt, params=params)
    )
    tokens = engine.prompt_tokens(request)
    engine.check_fits(tokens, max_tokens)
    config = engine.model.config
    sampling = Sampling(replace(params, seed=seed), top=top, attention=attention)
    try:
        generator = steps(engine.model, engine.tokenizer, tokens, sampling)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    start = time.perf_counter()
    kept: list[Step] = []
    try:
        for step in generator:
            kept.append(step)
            if on_step is not None:
                on_step(step)
            if cancelled is not None and cancelled():
                break
    except ValueError as exc:  # an attention head that does not exist
        raise UsageError(str(exc)) from exc
    prompt_view = [PromptToken(t, engine.tokenizer.piece(t)) for t in tokens]
    return InspectResult(
        engine.model_name,
        prompt,
        mode,
        prompt_view,
        kept,
        attention,
        time.perf_counter() - start,
        config.n_layer,
        config.n_head,
    )
