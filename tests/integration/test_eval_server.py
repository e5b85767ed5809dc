"""`aigc eval` against a real OpenAI-compatible server (llama-cpp-python's) with requests in flight."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import run_aigc
from tests.integration.test_openai_engine import server  # noqa: F401 - the module-scoped server fixture

pytestmark = pytest.mark.model


def test_eval_two_tasks_with_concurrency_against_the_server(server: str, tmp_path: Path) -> None:  # noqa: F811
    tasks = tmp_path / "tasks.jsonl"
    rows = [
        {
            "task_id": "add",
            "prompt": "Write a Python function add(a, b) that returns a + b.",
            "tests": ["assert add(2, 3) == 5"],
        },
        {"task_id": "neg", "prompt": "写一个Python函数 neg(x)，返回 -x", "tests": ["assert neg(2) == -2"]},
    ]
    tasks.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    out = tmp_path / "run"
    r = run_aigc("eval", str(tasks), "--api-base", server, "--concurrency", "4", "-n", "2", "--temperature", "0.7",
                 "--k", "1,2", "--max-tokens", "96", "--out", str(out), timeout=900)  # fmt: skip
    assert r.returncode == 0, r.stderr
    report = json.loads((out / "report.json").read_text())
    assert report["model"] == "qwen-test" and report["tasks"] == 2
    assert set(report["pass_at_k"]) == {"pass@1", "pass@2"}
    samples = [json.loads(line) for line in (out / "samples.jsonl").read_text().splitlines()]
    assert sorted((s["task_id"], s["sample"]) for s in samples) == [("add", 0), ("add", 1), ("neg", 0), ("neg", 1)]
    assert all(s["completion_tokens"] > 0 for s in samples)
