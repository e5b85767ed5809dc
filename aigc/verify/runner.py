"""Run a candidate against tests in the sandbox and read back one result per test."""

from __future__ import annotations

import json
import os
from importlib import resources

from aigc.sandbox import Limits, Sandbox
from aigc.verify.tests import TestCase, TestResult

MARK = "@@AIGC-RESULTS@@"


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
        "tests": [{"id": i, "code": t.code, "timeout": t.timeout_s} for i, t in enumerate(tests)],
    }
    cpu = import_timeout_s + sum(t.timeout_s * (2 if t.source == "probe" else 1) for t in tests)
    budget = cpu * factor + 5
    result = sandbox.run(
        ["python3", "harness.py"],
        {"solution.py": code, "tests.json": json.dumps(spec), "harness.py": _harness()},
        limits=Limits(timeout_s=budget, cpu_s=int(cpu) + 5, memory_mb=512),
    )
    line = next((ln for ln in result.stdout.splitlines() if ln.startswith(MARK)), None)
    if line is None:
        reason = {"timeout": "timed out", "memory": "ran out of memory", "killed": f"killed (signal {result.signal})"}
        why = reason.get(result.status, f"the test run crashed: {result.stderr.strip()[-300:]}")
        return [TestResult(t, False, why) for t in tests]
    data = json.loads(line[len(MARK) :])
    if data["import_error"]:
        return [TestResult(t, False, f"the code does not load: {data['import_error']}") for t in tests]
    by_id = {r["id"]: r for r in data["results"]}
    return [
        TestResult(t, bool(r.get("passed")), r.get("error", "not run"), r.get("output"))
        for i, t in enumerate(tests)
        for r in [by_id.get(i, {})]
    ]
