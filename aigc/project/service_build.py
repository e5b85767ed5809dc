"""`aigc new --openapi FILE ["requirement"]` for documents the CRUD templates cannot build: every operation
becomes a templated route and a handler the model writes (aigc.project.handlers), then the project is
checked, its tests derived from the document run in the sandbox, and the app is started there.

The project is done only when every operation has a verified handler, every static check passes, every
test passes and the app starts; the report lists what is missing otherwise, and nothing is called done
that answers 501 anywhere.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from aigc.errors import AigcError
from aigc.project.doc_checks import Checks, document_checks
from aigc.project.functions import Writer
from aigc.project.handlers import HandlerOutcome, write_handler
from aigc.project.operations import Operation, operations, security_schemes, unchecked
from aigc.project.pipeline import REPORT, format_python, prepare_folder, static_checks
from aigc.project.runner import TestRun, project_env, run_tests, serving
from aigc.project.service import helper, render_service
from aigc.sandbox import Sandbox

SERVICE_RUN = "APP_DATABASE_PATH=data/app.db uvicorn backend.main:app --host 127.0.0.1 --port 8000"


@dataclass
class ServiceReport:
    folder: Path
    title: str
    requirement: str
    operations: list[Operation]
    handlers: list[HandlerOutcome] = field(default_factory=list)
    skipped_checks: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    checks: dict[str, dict[str, Any]] = field(default_factory=dict)
    tests: TestRun | None = None
    started: bool = False
    start_error: str = ""
    seconds: float = 0.0
    stages: dict[str, float] = field(default_factory=dict)

    @property
    def missing(self) -> list[str]:
        """The operations without a verified handler."""
        built = {h.name for h in self.handlers if h.code is not None}
        return [op.where for op in self.operations if op.name not in built]

    @property
    def done(self) -> bool:
        checks = all(c["passed"] for c in self.checks.values())
        return not self.missing and checks and bool(self.tests and self.tests.ok) and self.started

    def to_json(self) -> dict[str, Any]:
        tests = self.tests
        return {
            "done": self.done,
            "folder": str(self.folder),
            "source": "openapi",
            "title": self.title,
            "requirement": self.requirement,
            "operations": [op.where for op in self.operations],
            "missing": self.missing,
            "handlers": [h.to_json() for h in self.handlers],
            "skipped_checks": self.skipped_checks,
            "files": self.files,
            "checks": {"passed": all(c["passed"] for c in self.checks.values()), "files": self.checks},
            "tests": None
            if tests is None
            else {
                "status": tests.status,
                "passed": tests.passed,
                "failed": tests.failed,
                "seconds": round(tests.seconds, 2),
            },
            "started": self.started,
            "start_error": self.start_error,
            "seconds": round(self.seconds, 2),
            "stages": {k: round(v, 2) for k, v in self.stages.items()},
            "run": SERVICE_RUN,
        }


def build_service(
    doc: dict[str, Any],
    out: Path,
    *,
    home: Path,
    requirement: str = "",
    writer: Writer | None = None,
    force: bool = False,
    sandbox: Sandbox | None = None,
    on_event: Callable[[str], None] | None = None,
) -> ServiceReport:
    """Write, check, test and start the service for `doc` in `out`; write aigc-report.json. Without a
    `writer` no handler is written: every operation answers 501 and the report says not done."""
    prepare_folder(out, force)
    say = on_event or (lambda _: None)
    start = time.perf_counter()
    ops, models = operations(doc)
    info = doc["info"] if isinstance(doc.get("info"), dict) else {}
    title = str(info.get("title") or "service")[:200]
    purpose = requirement.strip() or str(info.get("description") or title)[:2000]
    report = ServiceReport(out, title, requirement, ops)
    box = sandbox or Sandbox()

    def timed(stage: str, work: Callable[[], Any]) -> Any:
        t0 = time.perf_counter()
        result = work()
        report.stages[stage] = report.stages.get(stage, 0.0) + time.perf_counter() - t0
        return result

    checked, refused = security_schemes(doc)
    if writer is not None:  # the handlers' tests import backend.safety as the app does
        support = {"backend/__init__.py": "", "backend/safety.py": helper("safety.py")}
        writer = replace(writer, sandbox=writer.sandbox.with_files(support))
    t0 = time.perf_counter()
    for i, op in enumerate(ops, 1):
        if why := unchecked(op, checked, refused):
            outcome = HandlerOutcome(op.where, op.name, None, f"the app cannot check its security schemes: {why}", 0, 0)
        elif writer is None:
            outcome = HandlerOutcome(op.where, op.name, None, "no model was given to write it", 0, 0)
        else:
            say(f"handler {i}/{len(ops)}: {op.where}")
            outcome = write_handler(doc, op, ops, purpose, writer)
            say(f"  {'built' if outcome.code else 'not built'}: {outcome.why}")
        report.handlers.append(outcome)
    report.stages["handlers"] = time.perf_counter() - t0
    checks: Checks = document_checks(doc, ops)
    report.skipped_checks = checks.skipped
    code = {h.name: h.code for h in report.handlers if h.code is not None}
    files = render_service(doc, ops, models, code, checks, title=title, requirement=requirement)
    say(f"writing {len(files)} files")
    report.files = timed("files", lambda: _write(out, files))
    report.checks = timed("checks", lambda: static_checks(out, report.files, box))
    requirements = (out / "requirements.txt").read_text(encoding="utf-8")
    python = timed("environment", lambda: project_env(home, requirements, say))
    say("running the project's tests in the sandbox")
    report.tests = timed("tests", lambda: run_tests(out, python, box))
    say(f"tests: {report.tests.passed} passed, {report.tests.failed} failed")
    say("starting the app in the sandbox")
    timed("start", lambda: _start(report, python))
    report.seconds = time.perf_counter() - start
    (out / REPORT).write_text(json.dumps(report.to_json(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return report


def _write(out: Path, files: dict[str, str]) -> list[str]:
    for rel, text in files.items():
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    format_python(out, [rel for rel in files if rel.endswith(".py")])
    return sorted(files)


def _start(report: ServiceReport, python: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="aigc-start-") as scratch:
        try:
            with serving(report.folder, python, data=Path(scratch) / "data", log_path=Path(scratch) / "app.log"):
                report.started = True
        except AigcError as exc:
            report.start_error = str(exc)
