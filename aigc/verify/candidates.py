"""Candidates for a requirement: the prompt, the draw (one greedy answer streamed, the rest sampled), and
each reply turned into code. Plain generation takes the first; verification ranks them all."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from aigc.code import languages
from aigc.code.extract import SourceFile, extract
from aigc.engines.base import (
    Completion,
    Engine,
    FinishReason,
    GenerationParams,
    Message,
    Request,
    Timings,
    Usage,
    complete_together,
    one_choice_requests,
)
from aigc.prompts import render
from aigc.verify.report import Verification

SAMPLING_TEMPERATURE = 0.8  # for candidates after the first, when no temperature is asked for
# The end of a code block: answers that only verification reads (samples, repairs) stop there, since the
# explanation after the code is about half of a small model's tokens.
END_OF_CODE = "\n```\n"
DEFAULT_VERIFY_CANDIDATES = 5  # candidates when verifying and -n is not given (measured: docs/benchmarks.md)


@dataclass(frozen=True)
class Candidate:
    reply: str
    code: str
    language: str
    files: list[SourceFile]
    finish_reason: FinishReason


@dataclass(frozen=True)
class GenerationResult:
    requirement: str
    candidates: list[Candidate]
    usage: Usage
    timings: Timings
    model: str
    verification: Verification | None = None

    @property
    def best(self) -> Candidate:
        return self.candidates[0]

    @property
    def code(self) -> str:
        return self.best.code

    @property
    def language(self) -> str:
        return self.best.language

    @property
    def files(self) -> list[SourceFile]:
        return self.best.files

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "language": self.language,
            "files": [{"path": f.path, "content": f.content} for f in self.files],
            "usage": {
                "prompt_tokens": self.usage.prompt_tokens,
                "completion_tokens": self.usage.completion_tokens,
            },
            "timings": {
                "ttft_s": round(self.timings.ttft_s, 4),
                "tokens_per_s": round(self.timings.tokens_per_s, 2),
                "total_s": round(self.timings.total_s, 4),
            },
            "model": self.model,
            "finish_reason": self.best.finish_reason,
            "candidates": [{"code": c.code, "finish_reason": c.finish_reason} for c in self.candidates],
            **({"verification": self.verification.to_json()} if self.verification else {}),
        }


def build_messages(requirement: str, language: str) -> list[Message]:
    return [
        Message("system", render("generate_system")),
        Message("user", render("generate_user", requirement=requirement.strip(), language=language)),
    ]


def to_candidate(reply: str, language: str, finish: FinishReason, requirement: str = "") -> Candidate:
    found = extract(reply, language, requirement)
    code = found.code
    lang = found.language or language
    files = found.files or ([SourceFile("main" + languages.extension(lang), code, lang)] if code else [])
    return Candidate(reply, code, lang, files, finish)


def draw(
    engine: Engine,
    messages: list[Message],
    params: GenerationParams,
    *,
    first_temperature: float,
    sample_temperature: float,
    on_text: Callable[[str], None] | None = None,
    on_sampling: Callable[[int], None] | None = None,
    sample_stop: tuple[str, ...] = (),
) -> list[tuple[str, Completion]]:
    """params.n answers to one prompt, decoded together where the engine can (complete_together), labelled
    by origin: the first ("greedy", at `first_temperature`) streamed to `on_text`, the others ("sample") at
    `sample_temperature`, seeded one after another from the next seed when one is set, and stopping also
    at `sample_stop`."""
    first = replace(params, n=1, temperature=first_temperature)
    requests = [Request.chat(messages, first)]
    if params.n > 1:
        if on_sampling is not None:
            on_sampling(params.n - 1)
        seed = None if params.seed is None else params.seed + 1
        more = replace(params, n=params.n - 1, temperature=sample_temperature, seed=seed)
        rest = Request.chat(messages, replace(more, stop=(*params.stop, *sample_stop)))
        requests += one_choice_requests(rest)
    done = complete_together(engine, requests, on_text)
    return [("greedy", done[0])] + [("sample", c) for c in done[1:]]
