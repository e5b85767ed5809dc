from __future__ import annotations

import json
from pathlib import Path

import pytest

from aigc.errors import UsageError
from aigc.eval.tasks import humaneval, load, load_jsonl, select


def test_humaneval_comes_from_the_package() -> None:
    tasks = humaneval()
    assert len(tasks) == 164
    first = tasks[0]
    assert first.task_id == "HumanEval/0" and first.entry_point == "has_close_elements" and "def check" in first.test


def test_three_shapes_and_a_malformed_line(tmp_path: Path) -> None:
    path = tmp_path / "mine.jsonl"
    lines = [
        json.dumps({"task_id": "he", "prompt": "def f(x):\n", "entry_point": "f", "test": "def check(c): assert c(1)"}),
        json.dumps({"task_id": 7, "text": "Return double.", "test_list": ["assert dbl(2) == 4"]}),
        "{not json",
        json.dumps({"task_id": "zh", "prompt": "写一个函数 dbl，返回两倍", "tests": ["assert dbl(3) == 6"]}),
        json.dumps({"task_id": "zh", "prompt": "again", "tests": ["assert dbl(1) == 2"]}),
        json.dumps({"task_id": "bad", "prompt": "no tests"}),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    loaded = load_jsonl(path)
    assert [(t.task_id, t.kind) for t in loaded.tasks] == [("he", "humaneval"), ("7", "mbpp"), ("zh", "simple")]
    assert [p.split(": ", 1)[0] for p in loaded.problems] == [f"{path}:3", f"{path}:5", f"{path}:6"]
    assert "appears twice" in loaded.problems[1]
    mbpp = loaded.tasks[1]
    assert "assert dbl(2) == 4" in mbpp.prompt and mbpp.judge_program("def dbl(x): return 2*x").endswith(
        "assert dbl(2) == 4\n"
    )


def test_humaneval_judge_program_completes_a_bare_body() -> None:
    task = humaneval()[2]  # truncate_number
    program = task.judge_program("    return number % 1.0\n")
    assert program.count("def truncate_number") == 1 and program.rstrip().endswith("check(truncate_number)")


def test_load_and_select_errors(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="unknown benchmark"):
        load(str(tmp_path / "nope.jsonl"))
    tasks = humaneval()
    assert [t.task_id for t in select(tasks, limit=2)] == ["HumanEval/0", "HumanEval/1"]
    assert [t.task_id for t in select(tasks, ids=["HumanEval/5"])] == ["HumanEval/5"]
    with pytest.raises(UsageError, match="no such task"):
        select(tasks, ids=["HumanEval/999"])
