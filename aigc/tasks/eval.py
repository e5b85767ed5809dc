"""Run an evaluation into a run folder (aigc.eval.folder): generate each sample with the same task as
`aigc gen`, judge it against the hidden tests in the sandbox, save both as they come.

Runs are resumable: an interrupted run continues where it stopped, and samples already saved are judged
again without calling the model.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from aigc.engines.base import Engine, GenerationParams
from aigc.errors import UsageError
from aigc.eval.execute import Judged, judge
from aigc.eval.folder import EvalSettings, Progress, RunFolder, read_jsonl
from aigc.eval.tasks import EvalTask, load, select
from aigc.sandbox import Sandbox
from aigc.tasks.generate import generate


def _sample(task: EvalTask, index: int, engine: Engine, settings: EvalSettings) -> dict[str, Any]:
    params = GenerationParams(
        max_tokens=settings.max_tokens, temperature=settings.temperature, seed=settings.seed + index
    )
    start = time.perf_counter()
    verified = settings.pipeline == "verified"
    result = generate(
        task.prompt,
        engine,
        params,
        language="python",
        temperature=settings.temperature,
        verify=verified,
        n=settings.candidates if verified else 1,
        max_rounds=settings.max_rounds,
    )
    v = result.verification
    return {
        "task_id": task.task_id,
        "sample": index,
        "code": result.code,
        "prompt_tokens": result.usage.prompt_tokens,
        "completion_tokens": result.usage.completion_tokens,
        "seconds": round(time.perf_counter() - start, 3),
        "verified_claim": v.passed if v else None,
        "evidence": v.to_json()["evidence"] if v else None,
        "rounds": v.rounds if v else 0,
    }


def evaluate(
    settings: EvalSettings,
    engine: Engine,
    folder: Path,
    *,
    sandbox: Sandbox | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    warn: Callable[[str], None] | None = None,
) -> Path:
    loaded = load(settings.benchmark)
    for problem in loaded.problems:
        (warn or (lambda _: None))(problem)
    tasks = select(loaded.tasks, settings.limit, list(settings.task_ids) or None)
    if not tasks:
        raise UsageError(f"no tasks to run in {settings.benchmark}")
    run = RunFolder(folder, settings)
    samples = {(s["task_id"], s["sample"]): s for s in read_jsonl(folder / "samples.jsonl")}
    results = {(r["task_id"], r["sample"]) for r in read_jsonl(folder / "results.jsonl")}
    progress = Progress(len(tasks))
    by_id = {t.task_id: t for t in tasks}
    sandbox = sandbox or Sandbox()
    judges = ThreadPoolExecutor(max_workers=len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 2)
    pending: list[Future[None]] = []
    remaining = {t.task_id: settings.n for t in tasks}

    def record(sample: dict[str, Any]) -> None:
        key = (sample["task_id"], sample["sample"])
        outcome: Judged = judge(sandbox, by_id[key[0]], sample["code"])
        if key not in results:
            run.append(
                "results.jsonl",
                {
                    "task_id": key[0],
                    "sample": key[1],
                    "status": outcome.status,
                    "passed": outcome.passed,
                    "detail": outcome.detail,
                },
            )
        with run.lock:
            progress.samples_done += 1
            progress.passed += outcome.passed
            remaining[key[0]] -= 1
            progress.tasks_done += remaining[key[0]] == 0
        if on_progress:
            on_progress(progress)

    def produce(task: EvalTask, index: int) -> None:
        sample = samples.get((task.task_id, index))
        if sample is None:
            sample = _sample(task, index, engine, settings)
            run.append("samples.jsonl", sample)
            with run.lock:
                progress.completion_tokens += sample["completion_tokens"]
                progress.generation_s += sample["seconds"]
        pending.append(judges.submit(record, sample))

    generators = ThreadPoolExecutor(max_workers=max(1, settings.concurrency))
    try:
        for future in [generators.submit(produce, t, i) for t in tasks for i in range(settings.n)]:
            future.result()
        for future in list(pending):
            future.result()
    finally:
        # On Ctrl-C nothing queued starts; what is running finishes and is saved, so the run resumes.
        generators.shutdown(wait=True, cancel_futures=True)
        judges.shutdown(wait=True, cancel_futures=True)
    return folder
