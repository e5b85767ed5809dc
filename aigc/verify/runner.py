"""Run a candidate against tests in the sandbox and read back one result per test."""

from __future__ import annotations

import json
from importlib import resources

from aigc.sandbox import Limits, Sandbox
from aigc.verify.tests import TestCase, TestResult

MARK = "@@AIGC-RESULTS@@"


def _harness() -> str:
    return resources.files("aigc.verify").joinpath("harness_main.py").read_text(encoding="utf-8")


def run_tests(
    sandbox: Sandbox, code: str, tests: list[TestCase], entry: str | None, *, import_timeout_s: float = 5.0
) -> list[TestResult]:
    """Every test's result. A candidate that cannot even load fails every test with that reason."""
    if not tests:
        return []
    spec = {
        "entry": entry,
        "import_timeout": import_timeout_s,
        "tests": [{"id": i, "code": t.code, "timeout": t.timeout_s} for i, t in enumerate(tests)],
    }
    budget = import_timeout_s + sum(t.timeout_s for t in tests) + 5
    result = sandbox.run(
        ["python3", "harness.py"],
        {"solution.py": code, "tests.json": json.dumps(spec), "harness.py": _harness()},
        limits=Limits(timeout_s=budget, cpu_s=int(budget) + 1, memory_mb=512),
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
        TestResult(t, bool(by_id.get(i, {}).get("passed")), by_id.get(i, {}).get("error", "not run"))
        for i, t in enumerate(tests)
    ]
