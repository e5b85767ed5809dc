"""Requirement in, code out: build the prompt, stream the reply, extract the code.

With n > 1 the first candidate is greedy and streamed; the others are sampled. Verification (which
ranks candidates by execution) builds on this; here the greedy candidate is the answer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aigc.code import languages
from aigc.code.extract import SourceFile, extract
from aigc.engines.base import (
    Engine,
    FinishReason,
    GenerationParams,
    Message,
    Request,
    Timings,
    Usage,
    collect,
)
from aigc.errors import UsageError
from aigc.prompts import render

if TYPE_CHECKING:
    from aigc.verify.pipeline import Verification

DEFAULT_LANGUAGE = "python"
SAMPLING_TEMPERATURE = 0.8  # for candidates after the first, when no temperature is asked for
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


def target_language(requirement: str, language: str | None) -> str:
    """The asked language, else the one the requirement names, else Python."""
    if language:
        normal = languages.normalize(language)
        if normal is None:
            raise UsageError(f"unknown language {language!r}; try python, javascript, typescript, bash, html, sql")
        return normal
    return languages.guess_from_requirement(requirement) or DEFAULT_LANGUAGE


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


def generate(
    requirement: str,
    engine: Engine,
    params: GenerationParams,
    *,
    language: str | None = None,
    temperature: float | None = None,
    on_text: Callable[[str], None] | None = None,
    verify: bool = False,
    n: int | None = None,
    max_rounds: int = 2,
    tests_file: Path | None = None,
    on_event: Callable[[str], None] | None = None,
) -> GenerationResult:
    """Generate code for a requirement. `on_text` receives the first candidate's text as it streams.

    verify: Python code is checked, tested in the sandbox, ranked and repaired (aigc.verify.pipeline);
    other languages get their static checks. temperature None: the first candidate is greedy, the
    others sampled at SAMPLING_TEMPERATURE.
    """
    if not requirement.strip():
        raise UsageError("the requirement is empty: say what the code should do")
    lang = target_language(requirement, language)
    if tests_file is not None and not tests_file.is_file():
        raise UsageError(f"no test file at {tests_file}")
    verifying = verify and lang == "python"
    params = replace(params, n=n or (DEFAULT_VERIFY_CANDIDATES if verifying else 1))
    if verifying:
        from aigc.verify.pipeline import verified_generate

        return verified_generate(
            requirement,
            engine,
            params,
            language=lang,
            n=params.n,
            max_rounds=max_rounds,
            tests_file=tests_file,
            on_text=on_text,
            on_event=on_event,
            sample_temperature=temperature,
        )
    result = _generate_raw(requirement, lang, engine, params, temperature, on_text)
    if verify:
        from aigc.verify.pipeline import checks_only

        return replace(result, verification=checks_only(result.code, lang))
    return result


def _generate_raw(
    requirement: str,
    lang: str,
    engine: Engine,
    params: GenerationParams,
    temperature: float | None,
    on_text: Callable[[str], None] | None,
) -> GenerationResult:
    messages = build_messages(requirement, lang)
    first_params = replace(params, n=1, temperature=0.0 if temperature is None else temperature)
    first = collect(engine.stream(Request.chat(messages, first_params)), engine.model_name, on_text)
    completions = [first]
    if params.n > 1:
        rest_params = replace(
            params,
            n=params.n - 1,
            temperature=SAMPLING_TEMPERATURE if temperature is None else temperature,
            seed=None if params.seed is None else params.seed + 1,
        )
        completions.append(engine.complete(Request.chat(messages, rest_params)))
    usage = Usage()
    for c in completions:
        usage = usage + c.usage
    candidates = [to_candidate(ch.text, lang, ch.finish_reason, requirement) for c in completions for ch in c.choices]
    return GenerationResult(requirement, candidates, usage, first.timings, engine.model_name)
