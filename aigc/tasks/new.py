"""`aigc new` as one task: the spec (from a requirement, a spec file or an OpenAPI document), then the
project built, tested and probed. The CLI and the server's project jobs both call these two functions,
so they ask the model for the same things with the same budgets.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from aigc.engines.base import Engine, GenerationParams
from aigc.errors import OpenAPIError
from aigc.project.functions import Writer
from aigc.project.openapi import load_document, spec_from_openapi
from aigc.project.operations import operations, security_schemes, unchecked
from aigc.project.pipeline import ProjectReport, SpecSource, build_project, resolve_spec
from aigc.project.service_build import ServiceReport, build_service
from aigc.sandbox import Sandbox
from aigc.verify.candidates import DEFAULT_VERIFY_CANDIDATES

SPEC_TOKENS = 1200  # the model's draft of the spec (JSON under a grammar)
CODE_TOKENS = 512  # each check or action the model writes for a business rule
HANDLER_TOKENS = 768  # each handler of an operation the templates cannot build
HANDLER_ROUNDS = 2  # repair rounds for each handler


def service_document(openapi: Path | None, requirement: str | None) -> dict[str, Any] | None:
    """The document, when it is built as a service (every operation a handler the model writes), else None
    (the CRUD templates build it). A service when a requirement comes with the document (it says what the
    operations do), or when it builds more of the document's operations than the templates do: a service
    builds every operation that is open or behind a scheme the app checks (operations.security_schemes),
    the templates only storage over entities."""
    if openapi is None:
        return None
    doc = load_document(openapi)
    if requirement and requirement.strip():
        return doc
    try:
        spec = spec_from_openapi(openapi)
    except OpenAPIError:
        return doc
    left_out = [a for a in spec.assumptions if a.startswith("not built: ")]
    if not left_out:
        return None
    ops, _ = operations(doc)
    checked, refused = security_schemes(doc)
    servable = sum(1 for op in ops if not unchecked(op, checked, refused))
    return doc if servable > len(ops) - len(left_out) else None


def build_from_document(
    doc: dict[str, Any],
    out: Path,
    *,
    home: Path,
    engine_factory: Callable[[], Engine] | None,
    requirement: str = "",
    seed: int | None = None,
    on_event: Callable[[str], None] | None = None,
) -> ServiceReport:
    """The service for `doc` in `out` (which the caller has checked may be written); without an engine
    factory no handler is written and the report says which operations are missing."""
    say = on_event or (lambda _: None)
    box = Sandbox()
    writer = None
    if engine_factory is not None:
        params = GenerationParams(max_tokens=HANDLER_TOKENS, seed=seed)
        writer = Writer(engine_factory(), params, box, DEFAULT_VERIFY_CANDIDATES, HANDLER_ROUNDS, say)
    return build_service(
        doc, out, home=home, requirement=requirement, writer=writer, force=True, sandbox=box, on_event=say
    )


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
