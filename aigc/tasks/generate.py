"""Requirement in, code out: the target language, candidates, and verification when asked.

With n > 1 the first candidate is greedy and streamed; the others are sampled. Verification
(aigc.verify.pipeline) ranks candidates by execution; without it the greedy candidate is the answer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from aigc.code import languages
from aigc.engines.base import Engine, GenerationParams, Usage
from aigc.errors import UsageError
from aigc.verify.candidates import (
    DEFAULT_VERIFY_CANDIDATES,
    SAMPLING_TEMPERATURE,
    GenerationResult,
    build_messages,
    draw,
    to_candidate,
)
from aigc.verify.pipeline import checks_only, verified_generate
from aigc.verify.tests import TestCase

DEFAULT_LANGUAGE = "python"


def target_language(requirement: str, language: str | None) -> str:
    """The asked language, else the one the requirement names, else Python."""
    if language:
        normal = languages.normalize(language)
        if normal is None:
            raise UsageError(f"unknown language {language!r}; try python, javascript, typescript, bash, html, sql")
        return normal
    return languages.guess_from_requirement(requirement) or DEFAULT_LANGUAGE


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
    tests: list[TestCase] | None = None,
    on_event: Callable[[str], None] | None = None,
) -> GenerationResult:
    """Generate code for a requirement. `on_text` receives the first candidate's text as it streams.

    verify: Python code is checked, tested in the sandbox, ranked and repaired (aigc.verify.pipeline);
    other languages get their static checks. `tests`: the user's own (aigc.verify.tests.user_tests).
    temperature None: the first candidate is greedy, the others sampled at SAMPLING_TEMPERATURE.
    """
    if not requirement.strip():
        raise UsageError("the requirement is empty: say what the code should do")
    lang = target_language(requirement, language)
    verifying = verify and lang == "python"
    params = replace(params, n=n or (DEFAULT_VERIFY_CANDIDATES if verifying else 1))
    if verifying:
        return verified_generate(
            requirement,
            engine,
            params,
            language=lang,
            n=params.n,
            max_rounds=max_rounds,
            given_tests=tests,
            on_text=on_text,
            on_event=on_event,
            sample_temperature=temperature,
        )
    result = _generate_raw(requirement, lang, engine, params, temperature, on_text)
    if verify:
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
    drawn = draw(
        engine,
        build_messages(requirement, lang),
        params,
        first_temperature=0.0 if temperature is None else temperature,
        sample_temperature=SAMPLING_TEMPERATURE if temperature is None else temperature,
        on_text=on_text,
    )
    usage = sum((c.usage for _, c in drawn), Usage())
    candidates = [to_candidate(ch.text, lang, ch.finish_reason, requirement) for _, c in drawn for ch in c.choices]
    return GenerationResult(requirement, candidates, usage, drawn[0][1].timings, engine.model_name)
