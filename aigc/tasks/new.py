"""`aigc new` as one task: the spec (from a requirement, a spec file or an OpenAPI document), then the
project built, tested and probed. The CLI and the server's project jobs both call these two functions,
so they ask the model for the same things with the same budgets.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from aigc.engines.base import Engine, GenerationParams
from aigc.project.pipeline import ProjectReport, SpecSource, build_project, resolve_spec

SPEC_TOKENS = 1200  # the model's draft of the spec (JSON under a grammar)
CODE_TOKENS = 512  # each check or action the model writes for a business rule


def project_spec(
    *,
    requirement: str | None,
    spec_file: Path | None,
    openapi: Path | None,
    engine_factory: Callable[[], Engine],
    seed: int | None = None,
    on_event: Callable[[str], None] | None = None,
) -> SpecSource:
    """The spec from exactly one source; the model is loaded only for a requirement."""
    return resolve_spec(
        requirement=requirement,
        spec_file=spec_file,
        openapi=openapi,
        engine_factory=engine_factory,
        params=GenerationParams(max_tokens=SPEC_TOKENS, seed=seed),
        on_event=on_event,
    )


def build(
    source: SpecSource,
    out: Path,
    *,
    home: Path,
    engine_factory: Callable[[], Engine],
    rules: bool = True,
    seed: int | None = None,
    on_event: Callable[[str], None] | None = None,
) -> ProjectReport:
    """The project for the spec in `out` (which the caller has checked may be written): with `rules`, the
    model first writes checks for the business rules and code for the actions."""
    return build_project(
        source.spec,
        out,
        home=home,
        source=source.source,
        force=True,
        on_event=on_event,
        spec_tokens=source.tokens,
        engine_factory=engine_factory if rules else None,
        params=GenerationParams(max_tokens=CODE_TOKENS, seed=seed),
    )
