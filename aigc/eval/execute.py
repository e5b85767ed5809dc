"""Judge one answer against a task's hidden tests, in the sandbox, with a status per sample."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from aigc.eval.tasks import EvalTask
from aigc.sandbox import Limits, Sandbox

Verdict = Literal["pass", "fail", "timeout", "error", "memory"]
STATUSES: tuple[Verdict, ...] = ("pass", "fail", "timeout", "error", "memory")


@dataclass(frozen=True)
class Judged:
    status: Verdict
    detail: str
    seconds: float

    @property
    def passed(self) -> bool:
        return self.status == "pass"


def judge(sandbox: Sandbox, task: EvalTask, code: str, timeout_s: float = 15.0) -> Judged:
    if not code.strip():
        return Judged("error", "no code in the answer", 0.0)
    result = sandbox.run(
        ["python3", "judge.py"],
        {"judge.py": task.judge_program(code)},
        limits=Limits(timeout_s=timeout_s, cpu_s=int(timeout_s) + 1, memory_mb=1024),
    )
    last = result.stderr.strip().splitlines()[-1] if result.stderr.strip() else ""
    status: Verdict
    if result.status == "ok":
        status = "pass"
    elif result.status == "timeout":
        status = "timeout"
    elif result.status == "memory":
        status = "memory"
    elif last.startswith("AssertionError"):
        status = "fail"
    else:
        status = "error"
    return Judged(status, last[:300] or result.status, result.duration_s)
