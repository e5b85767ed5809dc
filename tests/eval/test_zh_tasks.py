"""The Chinese requirements benchmark is consistent: each hand-written reference passes its hidden tests in
the sandbox (so a failing answer is the answer's fault), the files are what benchmarks/zh_tasks.py
writes, and the development and held-back halves are disjoint."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from aigc.eval.execute import judge
from aigc.eval.tasks import load
from aigc.sandbox import Sandbox

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "benchmarks" / "data"
sys.path.insert(0, str(REPO / "benchmarks"))

import zh_tasks  # noqa: E402

FILES = ("zh-dev.jsonl", "zh-held.jsonl")


def _records(name: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in (DATA / name).read_text(encoding="utf-8").splitlines()]


def test_the_files_are_what_the_script_writes_and_the_halves_are_disjoint() -> None:
    dev, held = zh_tasks.split(zh_tasks.records())
    assert _records(FILES[0]) == dev and _records(FILES[1]) == held
    ids = [t["task_id"] for t in dev + held]
    assert len(ids) == len(set(ids)) >= 60
    assert abs(len(dev) - len(held)) <= 1


@pytest.mark.parametrize("name", FILES)
def test_every_reference_passes_its_hidden_tests(name: str) -> None:
    loaded = load(str(DATA / name))
    assert not loaded.problems
    references = {r["task_id"]: str(r["reference"]) for r in _records(name)}
    box = Sandbox(backend="bwrap")
    verdicts = {t.task_id: judge(box, t, references[t.task_id], timeout_s=20) for t in loaded.tasks}
    failed = {k: f"{v.status}: {v.detail}" for k, v in verdicts.items() if v.status != "pass"}
    assert not failed


def test_a_wrong_answer_fails_the_hidden_tests() -> None:
    task = next(
        t
        for t in load(str(DATA / FILES[0])).tasks + load(str(DATA / FILES[1])).tasks
        if t.task_id == "zh/second_largest"
    )
    crashes_on_empty = "def second_largest(nums):\n    s = sorted(set(nums))\n    return s[-2]\n"
    assert judge(Sandbox(backend="bwrap"), task, crashes_on_empty).status == "error"
