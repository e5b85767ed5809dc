"""`aigc new`: spec -> files -> static checks -> tests in the sandbox -> start and probe -> report.

The project is called done only when every static check passes, every derived test passes and the
started app answers every endpoint and the front page as the spec says. The report says which of these
held; a project that is not done is still written, with what failed.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from aigc.code.checks import check
from aigc.config import validation_problems
from aigc.engines.base import Engine, GenerationParams
from aigc.errors import UsageError
from aigc.project.actions import code_actions
from aigc.project.design import with_standard_parts
from aigc.project.draft import check_scope, spec_from_requirement
from aigc.project.functions import RuleOutcome
from aigc.project.openapi import spec_from_openapi
from aigc.project.probe import ProbeResult, build_plan, probe
from aigc.project.rules import code_rules, without_model
from aigc.project.runner import TestRun, project_env, run_tests
from aigc.project.scaffold import render
from aigc.project.spec import AppSpec
from aigc.sandbox import Sandbox
from aigc.verify.candidates import DEFAULT_VERIFY_CANDIDATES

REPORT = "aigc-report.json"
_LANGUAGES = {".py": "python", ".js": "javascript", ".html": "html", ".css": "css"}


@dataclass
class ProjectReport:
    spec: AppSpec
    folder: Path
    source: str  # requirement, spec or openapi
    files: list[str] = field(default_factory=list)
    checks: dict[str, dict[str, Any]] = field(default_factory=dict)  # file -> CheckReport.to_json()
    tests: TestRun | None = None
    probe: ProbeResult | None = None
    repair_rounds: int = 0
    spec_tokens: int = 0
    rules: list[RuleOutcome] = field(default_factory=list)
    actions: list[RuleOutcome] = field(default_factory=list)  # rule = the action's description
    rules_tokens: int = 0  # the model's tokens for checks and actions
    seconds: float = 0.0
    stages: dict[str, float] = field(default_factory=dict)  # stage -> seconds

    @property
    def checks_passed(self) -> bool:
        return all(c["passed"] for c in self.checks.values())

    @property
    def missing(self) -> list[str]:
        """The document's operations the templates left out, each with why: a project missing any is not done."""
        return [a.removeprefix("not built: ") for a in self.spec.assumptions if a.startswith("not built: ")]

    @property
    def done(self) -> bool:
        built = self.checks_passed and bool(self.tests and self.tests.ok) and bool(self.probe and self.probe.ok)
        return built and not self.missing

    def to_json(self) -> dict[str, Any]:
        tests = self.tests
        return {
            "done": self.done,
            "missing": self.missing,
            "folder": str(self.folder),
            "source": self.source,
            "spec": self.spec.model_dump(),
            "files": self.files,
            "checks": {"passed": self.checks_passed, "files": self.checks},
            "tests": None
            if tests is None
            else {
                "status": tests.status,
                "passed": tests.passed,
                "failed": tests.failed,
                "seconds": round(tests.seconds, 2),
                "results": [o.__dict__ for o in tests.outcomes],
            },
            "probe": None
            if self.probe is None
            else {"started": self.probe.started, "ok": self.probe.ok, "steps": self.probe.steps, "log": self.probe.log},
            "rules": [r.to_json() for r in self.rules],
            "actions": [a.to_json() for a in self.actions],
            "repair_rounds": self.repair_rounds,
            "spec_tokens": self.spec_tokens,
            "rules_tokens": self.rules_tokens,
            "seconds": round(self.seconds, 2),
            "stages": {k: round(v, 2) for k, v in self.stages.items()},
            "run": run_command(self.spec),
        }


def run_command(spec: AppSpec) -> str:
    key = "APP_SECRET_KEY=$(python -c 'import secrets; print(secrets.token_urlsafe(32))') "
    secret = key if spec.auth.kind == "token" else ""
    return f"{secret}APP_DATABASE_PATH=data/app.db uvicorn backend.main:app --host 127.0.0.1 --port 8000"


def prepare_folder(out: Path, force: bool) -> None:
    """Refuse a folder that holds anything unless `force`; with `force`, files aigc wrote are replaced."""
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out} exists and is not a folder")
    if out.exists() and any(out.iterdir()) and not force:
        raise UsageError(f"{out} exists and is not empty: choose another -o, or pass --force to write into it")
    out.mkdir(parents=True, exist_ok=True)


def write_files(spec: AppSpec, out: Path) -> list[str]:
    files = render(spec)
    for rel, text in files.items():
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    format_python(out, [rel for rel in files if rel.endswith(".py")])
    return sorted(files)


def format_python(out: Path, files: list[str]) -> None:
    """ruff format, so the generated code reads as if written by hand (templates keep long lines)."""
    subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--isolated", "--no-cache", "--line-length", "120", *files],
        cwd=out,
        capture_output=True,
        check=False,
        timeout=120,
    )


def static_checks(out: Path, files: list[str], sandbox: Sandbox) -> dict[str, dict[str, Any]]:
    results = {}
    for rel in files:
        language = _LANGUAGES.get(Path(rel).suffix)
        if language:
            results[rel] = check((out / rel).read_text(encoding="utf-8"), language, sandbox).to_json()
    return results


def build_project(
    spec: AppSpec,
    out: Path,
    *,
    home: Path,
    source: str,
    force: bool = False,
    sandbox: Sandbox | None = None,
    on_event: Callable[[str], None] | None = None,
    spec_tokens: int = 0,
    engine_factory: Callable[[], Engine] | None = None,
    params: GenerationParams | None = None,
    rule_candidates: int = DEFAULT_VERIFY_CANDIDATES,
) -> ProjectReport:
    """Write the project for `spec` into `out`, check it, test it and probe it; write aigc-report.json.
    With `engine_factory`, business rules that have no check yet are first turned into verified checks
    (aigc.project.rules) and actions into verified code (aigc.project.actions); without it they stay words."""
    prepare_folder(out, force)
    start = time.perf_counter()
    model = None if engine_factory is None else _Model(engine_factory, params, rule_candidates)
    build = _Build(ProjectReport(spec, out, source, spec_tokens=spec_tokens), sandbox or Sandbox(), on_event, model)
    build.rules()
    build.actions()
    build.files()
    build.checks()
    python = build.environment(home)
    build.tests(python)
    build.probe(python)
    report = build.report
    report.seconds = time.perf_counter() - start
    (out / REPORT).write_text(json.dumps(report.to_json(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return report


@dataclass(frozen=True)
class _Model:
    """The model that writes checks and actions, and its budgets."""

    factory: Callable[[], Engine]
    params: GenerationParams | None
    candidates: int

    def engine(self) -> Engine:
        return self.factory()

    @property
    def budget(self) -> GenerationParams:
        return self.params or GenerationParams(max_tokens=512)


class _Build:
    """The stages of build_project, each timed into the report's `stages`."""

    def __init__(
        self, report: ProjectReport, box: Sandbox, on_event: Callable[[str], None] | None, model: _Model | None
    ) -> None:
        self.report, self.box, self.model = report, box, model
        self.say = on_event or (lambda _: None)

    @contextmanager
    def stage(self, name: str, message: str) -> Iterator[None]:
        self.say(message)
        t0 = time.perf_counter()
        yield
        self.report.stages[name] = time.perf_counter() - t0

    def rules(self) -> None:
        """Checks for the business rules the spec states and gives no check for."""
        report, spec = self.report, self.report.spec
        given = {c.rule for c in spec.checks}
        report.rules = [
            RuleOutcome(
                c.rule, "enforced", "the spec gives its check; its tests run with the project's", c.entity, c.function
            )
            for c in spec.checks
        ]
        todo = [r for r in spec.rules if r not in given]
        if todo and self.model is not None:
            with self.stage("rules", f"writing checks for {len(todo)} business rule(s)"):
                coded = code_rules(
                    spec.model_copy(update={"rules": todo}),
                    self.model.engine(),
                    self.model.budget,
                    sandbox=self.box,
                    candidates=self.model.candidates,
                    on_event=self.say,
                )
            report.spec = coded.spec.model_copy(update={"rules": spec.rules})
            report.rules += coded.outcomes
            report.rules_tokens = coded.usage.total_tokens
            report.repair_rounds = coded.rounds
        elif todo:
            report.rules += without_model(spec, todo, "no model was asked to write its check")

    def actions(self) -> None:
        """Code for the actions the spec names and gives no code for."""
        report, spec = self.report, self.report.spec
        report.actions = [
            RuleOutcome(
                a.description,
                "enforced",
                "the spec gives its code; its tests run with the project's",
                a.entity,
                a.function,
            )
            for a in spec.actions
            if a.code
        ]
        uncoded = [a for a in spec.actions if not a.code]
        if uncoded and self.model is not None:
            with self.stage("actions", f"writing {len(uncoded)} action(s)"):
                acted = code_actions(
                    spec,
                    self.model.engine(),
                    self.model.budget,
                    sandbox=self.box,
                    candidates=self.model.candidates,
                    on_event=self.say,
                )
            report.spec = acted.spec
            report.actions += acted.outcomes
            report.rules_tokens += acted.usage.total_tokens
            report.repair_rounds += acted.rounds
        elif uncoded:
            report.actions += [
                RuleOutcome(a.description, "not enforced", "no model was asked to write its code", a.entity)
                for a in uncoded
            ]

    def files(self) -> None:
        spec = self.report.spec
        with self.stage("files", f"writing {len(spec.entities)} entities, {len(spec.endpoints)} endpoints"):
            self.report.files = write_files(spec, self.report.folder)

    def checks(self) -> None:
        with self.stage("checks", f"static checks of {len(self.report.files)} files"):
            self.report.checks = static_checks(self.report.folder, self.report.files, self.box)

    def environment(self, home: Path) -> Path:
        """The Python the project's tests and app run with (a shared environment of its requirements)."""
        with self.stage("environment", "preparing the project environment"):
            requirements = (self.report.folder / "requirements.txt").read_text(encoding="utf-8")
            return project_env(home, requirements, self.say)

    def tests(self, python: Path) -> None:
        with self.stage("tests", "running the project's tests in the sandbox"):
            self.report.tests = run_tests(self.report.folder, python, self.box)
        self.say(f"tests: {self.report.tests.passed} passed, {self.report.tests.failed} failed")

    def probe(self, python: Path) -> None:
        with self.stage("probe", "starting the app in the sandbox and probing every endpoint"):
            self.report.probe = probe(self.report.folder, build_plan(self.report.spec), python, self.box)


@dataclass(frozen=True)
class SpecSource:
    spec: AppSpec
    source: str  # requirement, spec or openapi
    tokens: int = 0


def load_spec_file(path: Path) -> AppSpec:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from exc
    except ValueError as exc:
        raise UsageError(f"{path} is not JSON: {exc}") from exc
    try:
        return with_standard_parts(AppSpec.model_validate(data))
    except ValidationError as exc:
        raise UsageError(f"{path} is not a valid spec: {validation_problems(exc)}") from exc


def resolve_spec(
    *,
    requirement: str | None,
    spec_file: Path | None,
    openapi: Path | None,
    engine_factory: Callable[[], Any],
    params: Any,
    on_event: Callable[[str], None] | None = None,
) -> SpecSource:
    """The spec from exactly one of: a requirement (through the model), a spec file, an OpenAPI document."""
    given = [x for x in (requirement, spec_file, openapi) if x]
    if len(given) != 1:
        raise UsageError('give one of: a requirement ("..."), --spec FILE or --openapi FILE')
    if spec_file is not None:
        return SpecSource(load_spec_file(spec_file), "spec")
    if openapi is not None:
        return SpecSource(spec_from_openapi(openapi), "openapi")
    assert requirement is not None
    check_scope(requirement)  # before the model is loaded
    drafted = spec_from_requirement(requirement, engine_factory(), params, on_event)
    return SpecSource(drafted.spec, "requirement", drafted.usage.total_tokens)
