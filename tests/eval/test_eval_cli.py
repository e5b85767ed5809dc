"""`aigc eval` end to end with the scripted engine: run folder, report, plot, resume, compare."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import run_aigc

TASKS = [
    {
        "task_id": "dbl",
        "prompt": "写一个函数 dbl(x)，返回 x 的两倍",
        "tests": ["assert dbl(2) == 4", "assert dbl(0) == 0"],
    },
    {"task_id": "inc", "prompt": "write inc(x) returning x + 1", "tests": ["assert inc(1) == 2"]},
]
REPLIES = ["```python\ndef dbl(x):\n    return 2 * x\n```", "```python\ndef inc(x):\n    return x - 1\n```"]


def setup(tmp_path: Path, bad_line: bool = False) -> tuple[Path, dict[str, str]]:
    tasks = tmp_path / "tasks.jsonl"
    lines = [json.dumps(t, ensure_ascii=False) for t in TASKS] + (["{oops"] if bad_line else [])
    tasks.write_text("\n".join(lines) + "\n", encoding="utf-8")
    replies = tmp_path / "replies.json"
    replies.write_text(json.dumps(REPLIES))
    return tasks, {"AIGC_ENGINE": "fake", "AIGC_FAKE_REPLIES": str(replies)}


def test_run_writes_the_run_folder_and_resumes_without_the_model(tmp_path: Path) -> None:
    tasks, env = setup(tmp_path, bad_line=True)
    out = tmp_path / "run1"
    r = run_aigc("eval", str(tasks), "--out", str(out), env=env)
    assert r.returncode == 0, r.stderr
    assert f"{tasks}:3" in r.stderr  # the malformed line is named; the other tasks ran
    for name in ("config.json", "samples.jsonl", "results.jsonl", "report.md", "report.json", "pass_at_k.png"):
        assert (out / name).is_file(), name
    report = json.loads((out / "report.json").read_text())
    assert report["pass_at_k"] == {"pass@1": 0.5}
    assert report["statuses"]["pass"] == 1 and report["statuses"]["fail"] == 1
    assert "aigc eval" in (out / "report.md").read_text()
    # Resume: nothing left to generate, so an engine that has no replies left is never asked.
    (out / "results.jsonl").unlink()
    empty = tmp_path / "none.json"
    empty.write_text(json.dumps(["```python\nraise SystemExit('the model was called')\n```"]))
    again = run_aigc("eval", str(tasks), "--out", str(out), env={**env, "AIGC_FAKE_REPLIES": str(empty)})
    assert again.returncode == 0, again.stderr
    assert len((out / "samples.jsonl").read_text().splitlines()) == 2
    assert json.loads((out / "report.json").read_text())["pass_at_k"] == {"pass@1": 0.5}


def test_other_settings_refuse_an_existing_folder_and_report_rerenders(tmp_path: Path) -> None:
    tasks, env = setup(tmp_path)
    out = tmp_path / "run"
    assert run_aigc("eval", str(tasks), "--out", str(out), env=env).returncode == 0
    r = run_aigc("eval", str(tasks), "--out", str(out), "--max-tokens", "99", env=env)
    assert r.returncode == 2 and "other settings" in r.stderr
    (out / "report.md").unlink()
    r = run_aigc("eval", "report", str(out))
    assert r.returncode == 0 and (out / "report.md").is_file() and "pass@1" in r.stdout


def test_compare_two_runs(tmp_path: Path) -> None:
    tasks, env = setup(tmp_path)
    a, b = tmp_path / "a", tmp_path / "b"
    assert run_aigc("eval", str(tasks), "--out", str(a), env=env).returncode == 0
    right = tmp_path / "right.json"
    right.write_text(json.dumps([REPLIES[0], "```python\ndef inc(x):\n    return x + 1\n```"]))
    assert run_aigc("eval", str(tasks), "--out", str(b), env={**env, "AIGC_FAKE_REPLIES": str(right)}).returncode == 0
    r = run_aigc("eval", "compare", str(a), str(b), "--out", str(tmp_path / "cmp"))
    assert r.returncode == 0, r.stderr
    assert "passed only in b: inc" in r.stdout
    assert (tmp_path / "cmp" / "compare.png").is_file()
    table = (tmp_path / "cmp" / "compare.md").read_text(encoding="utf-8")
    assert "| pass@1 | 0.500 | 1.000 | +50.0 points |" in table
    assert "| seconds per task |" in table and "| tokens per task |" in table
    tokens = next(line for line in table.splitlines() if line.startswith("| tokens per task |"))
    assert tokens.rstrip(" |").endswith("x")  # b's cost as a multiple of a's


def test_bad_k_and_n(tmp_path: Path) -> None:
    tasks, env = setup(tmp_path)
    r = run_aigc("eval", str(tasks), "-n", "3", env=env)
    assert r.returncode == 2 and "temperature" in r.stderr
    r = run_aigc("eval", str(tasks), "--k", "a,b", env=env)
    assert r.returncode == 2


def test_ctrl_c_keeps_the_samples_and_the_run_resumes(tmp_path: Path) -> None:
    many = [{"task_id": f"dbl{i}", "prompt": f"写一个函数 dbl(x)，返回 x 的两倍 ({i})", "tests": ["assert dbl(2) == 4"]}
            for i in range(8)]  # fmt: skip
    tasks = tmp_path / "tasks.jsonl"
    tasks.write_text("\n".join(json.dumps(t, ensure_ascii=False) for t in many) + "\n", encoding="utf-8")
    replies = tmp_path / "replies.json"
    replies.write_text(json.dumps([REPLIES[0]]))
    env = {"AIGC_ENGINE": "fake", "AIGC_FAKE_REPLIES": str(replies)}
    out = tmp_path / "run"
    proc = subprocess.Popen(
        [sys.executable, "-m", "aigc", "eval", str(tasks), "--out", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env={**os.environ, **env, "AIGC_FAKE_DELAY_S": "0.1"},  # about a second per sample
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # as a terminal's Ctrl-C
    )  # fmt: skip
    samples = out / "samples.jsonl"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (samples.exists() and samples.read_text().count("\n") >= 2):
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr.decode()
    assert b"Traceback" not in stderr
    kept = [json.loads(line) for line in samples.read_text().splitlines()]
    assert 2 <= len(kept) < len(many)  # what was generated is saved; the run did not finish
    assert not (out / "report.json").exists()
    # Resume with the same folder: only the missing samples are generated, none twice.
    r = run_aigc("eval", str(tasks), "--out", str(out), env=env)
    assert r.returncode == 0, r.stderr
    rows = [json.loads(line) for line in samples.read_text().splitlines()]
    assert rows[: len(kept)] == kept
    assert sorted(row["task_id"] for row in rows) == sorted(t["task_id"] for t in many)
    report = json.loads((out / "report.json").read_text())
    assert report["pass_at_k"] == {"pass@1": 1.0}
    judged = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert len({(row["task_id"], row["sample"]) for row in judged}) == len(many)
