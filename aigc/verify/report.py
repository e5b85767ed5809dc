"""What verification proved about the chosen code, as reported to the user (and as JSON to clients)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from aigc.code.checks import CheckReport
from aigc.verify.tests import TestResult


@dataclass(frozen=True)
class Evidence:
    """What the chosen code was checked against, in counts: the grade the report shows."""

    trusted: int = 0  # tests from the requirement's examples or the user's file
    trusted_passed: int = 0
    user: int = 0  # of the trusted tests, the user's own
    model: int = 0  # the model's asserts that were kept (some candidate passes them)
    model_passed: int = 0
    inputs: int = 0  # valid probes: inputs on which some candidate returned a value
    agreeing: int = 0  # candidates, the chosen one included, with its outputs on every input
    candidates: int = 0  # candidates that ran the probes
    crashes: int = 0  # inputs on which the chosen code raised, timed out or was nondeterministic

    def holds(self) -> bool:
        """Whether this evidence earns the word "verified": every trusted and kept model test passes, at
        least one trusted test ran, the code crashes on no input, and, unless the tests are the user's own,
        the candidates that pass the trusted tests agree with it by a majority on the inputs (or there is
        no input to compare on). Agreement without a trusted test is only a grade: on the development
        half of the Chinese benchmark it was right 9 times in 19 (docs/benchmarks.md)."""
        if not self.trusted or self.trusted_passed < self.trusted or self.model_passed < self.model:
            return False
        if self.crashes:
            return False
        return bool(self.user) or self.inputs == 0 or 2 * self.agreeing > self.candidates

    def grade(self) -> str:
        """One sentence: e.g. "agreed by 4 of 5 candidates on 9 inputs; passes 5 of the model's 6 tests;
        no test from you"."""
        parts = []
        if self.trusted:
            source = {0: "the requirement's examples", self.trusted: "your tests"}.get(
                self.user, "the requirement's examples and your tests"
            )
            parts.append(f"passes {self.trusted_passed} of {self.trusted} tests from {source}")
        if self.inputs:
            parts.append(f"agreed by {self.agreeing} of {self.candidates} candidates on {self.inputs} inputs")
        if self.crashes:
            parts.append(f"fails on {self.crashes} of those inputs (an error, a time-out or a changing result)")
        if self.model:
            parts.append(f"passes {self.model_passed} of the model's {self.model} tests")
        if not self.trusted:
            parts.append("no test from you or the requirement")
        return "; ".join(parts)


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
    evidence: Evidence = Evidence()

    def to_json(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "candidates": self.candidates,
            "rounds": self.rounds,
            "chosen": self.origin,
            "entry_point": self.entry,
            "summary": self.summary,
            "grade": self.evidence.grade(),
            "evidence": asdict(self.evidence),
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
                    "output": r.output,
                    "error": "discarded: no candidate passes it, so the test itself is probably wrong"
                    if r.test.name in self.discarded
                    else r.error,
                }
                for r in self.tests
            ],
        }
