"""What verification proved about the chosen code, as reported to the user (and as JSON to clients)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aigc.code.checks import CheckReport
from aigc.verify.tests import TestResult


@dataclass(frozen=True)
class Verification:
    passed: bool
    candidates: int
    rounds: int
    checks: CheckReport
    tests: list[TestResult]
    discarded: set[str]
    origin: str
    entry: str | None
    summary: str

    def to_json(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "candidates": self.candidates,
            "rounds": self.rounds,
            "chosen": self.origin,
            "entry_point": self.entry,
            "summary": self.summary,
            "checks": [
                {
                    "tool": tool,
                    "passed": not any(f.tool == tool and f.severity == "fatal" for f in self.checks.findings),
                    "findings": [
                        {"rule": f.rule, "line": f.line, "severity": f.severity, "message": f.message}
                        for f in self.checks.findings
                        if f.tool == tool
                    ],
                }
                for tool in self.checks.tools
            ],
            "metrics": {k: round(v, 2) for k, v in self.checks.metrics.items()},
            "tests": [
                {
                    "source": r.test.source,
                    "name": r.test.name,
                    "passed": r.passed,
                    "error": "discarded: no candidate passes it, so the test itself is probably wrong"
                    if r.test.name in self.discarded
                    else r.error,
                }
                for r in self.tests
            ],
        }
