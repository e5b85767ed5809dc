"""Run a candidate against tests in the sandbox and read back one result per test."""

from __future__ import annotations

import json
import os
from importlib import resources
from typing import Any

from aigc.sandbox import Limits, Sandbox
from aigc.verify.harness_main import MARK
from aigc.verify.tests import TestCase, TestResult, judge


def _harness() -> str:
    return resources.files("aigc.verify").joinpath("harness_main.py").read_text(encoding="utf-8")


def wall_factor() -> float:
    """How much longer than its CPU-time limit a test may take on the clock: 3 on an idle machine, more
    while other work competes for the cores (the load average per core, capped at 10)."""
    try:
        load = os.getloadavg()[0]
    except OSError:
        return 3.0
    return 3.0 * min(10.0, max(1.0, load / usable_cores()))


def usable_cores() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def run_tests(
    sandbox: Sandbox, code: str, tests: list[TestCase], entry: str | None, *, import_timeout_s: float = 5.0
) -> list[TestResult]:
    """Every test's result. A candidate that cannot even load fails every test with that reason. Each test's
    limit is CPU time; the clock allows wall_factor() times as much, so a busy machine fails no correct code."""
    if not tests:
        return []
    factor = wall_factor()
    spec = {
        "entry": entry,
        "import_timeout": import_timeout_s,
        "wall_factor": factor,
        "tests": [
            {"id": i, "code": t.code, "timeout": t.timeout_s, "typed": t.source == "probe"} for i, t in enumerate(tests)
        ],
    }
    cpu = import_timeout_s + sum(t.timeout_s * t.runs for t in tests)
    budget = cpu * factor + 5
    result = sandbox.run(
        ["python3", "harness.py"],
        {"solution.py": code, "tests.json": json.dumps(spec), "harness.py": _harness()},
        limits=Limits(timeout_s=budget, cpu_s=int(cpu) + 5, memory_mb=512),
    )
    marked = [ln for ln in result.stdout.splitlines() if ln.startswith(MARK)]
    if len(marked) > 1:  # only code that writes to the harness's own stdout can add one
        return [TestResult(t, False, "the code wrote the test harness's result line itself") for t in tests]
    line = marked[0] if marked else None
    if line is None:
        reason = {"timeout": "timed out", "memory": "ran out of memory", "killed": f"killed (signal {result.signal})"}
        why = reason.get(result.status, f"the test run crashed: {result.stderr.strip()[-300:]}")
        return [TestResult(t, False, why) for t in tests]
    try:
        import_error, by_id = _parse(line[len(MARK) :])
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError):
        return [TestResult(t, False, "the test harness's result line is malformed") for t in tests]
    if import_error:
        return [TestResult(t, False, f"the code does not load: {import_error}") for t in tests]
    return [
        judge(t, r.get("passed") is True, _text(r.get("error", "not run")), _text(r.get("output")))
        for i, t in enumerate(tests)
        for r in [by_id.get(i, {})]
    ]


def _parse(line: str) -> tuple[str | None, dict[Any, dict[str, Any]]]:
    data = json.loads(line)
    results = data["results"]
    if not isinstance(results, list) or not all(isinstance(r, dict) for r in results):
        raise ValueError("results is not a list of objects")
    return _text(data["import_error"]), {r["id"]: r for r in results}


def _text(value: object) -> str | None:
    """A field of the results line as text: the line comes from a process that ran untrusted code."""
    return None if value is None else str(value)[:500]
