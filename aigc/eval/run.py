"""Run an evaluation into a run folder: samples.jsonl (what the model wrote), results.jsonl (how each
sample fared against the hidden tests), config.json (the settings and the exact command).

Runs are resumable: every sample and every result is appended as soon as it exists, an interrupted run
continues where it stopped, and samples already saved are judged again without calling the model.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from aigc.engines.base import Engine, GenerationParams
from aigc.errors import UsageError
from aigc.eval.execute import Judged, judge
from aigc.eval.tasks import EvalTask, load, select
from aigc.sandbox import Sandbox
from aigc.tasks.generate import DEFAULT_VERIFY_CANDIDATES, generate

Pipeline = Literal["raw", "verified"]
# Settings that must match for a run folder to be resumed.
_IDENTITY = ("benchmark", "pipeline", "n", "temperature", "max_tokens", "seed", "candidates", "max_rounds", "model")


@dataclass(frozen=True)
class EvalSettings:
    benchmark: str
    model: str
    pipeline: Pipeline = "raw"
    n: int = 1
    ks: tuple[int, ...] = (1,)
    temperature: float = 0.0
    max_tokens: int = 512
    seed: int = 0
    limit: int | None = None
    task_ids: tuple[str, ...] = ()
    concurrency: int = 1
    candidates: int = DEFAULT_VERIFY_CANDIDATES  # verified pipeline: candidates per sample
    max_rounds: int = 2  # verified pipeline: repair rounds
    command: str = ""

    def __post_init__(self) -> None:
        if self.n < 1:
            raise UsageError("-n must be at least 1")
        if self.n > 1 and self.temperature == 0:
            raise UsageError("n > 1 samples at temperature 0 would all be the same answer: pass --temperature")


@dataclass
class Progress:
    tasks_total: int
    tasks_done: int = 0
    samples_done: int = 0
    passed: int = 0
    completion_tokens: int = 0
    generation_s: float = 0.0
    started: float = field(default_factory=time.perf_counter)

    @property
    def pass_rate(self) -> float:
        return self.passed / self.samples_done if self.samples_done else 0.0

    @property
    def tokens_per_s(self) -> float:
        return self.completion_tokens / self.generation_s if self.generation_s else 0.0


def new_run_folder(root: Path, settings: EvalSettings) -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    name = Path(settings.benchmark).stem.lower().replace("/", "-")
    return root / f"{stamp}-{name}-{settings.pipeline}"


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            rows.append(json.loads(line))
        except ValueError:
            continue  # a line cut short by an interrupted write: that sample is simply redone
    return rows


class _Folder:
    def __init__(self, path: Path, settings: EvalSettings) -> None:
        self.path = path
        self.lock = threading.Lock()
        path.mkdir(parents=True, exist_ok=True)
        config = path / "config.json"
        if config.exists():
            old = json.loads(config.read_text(encoding="utf-8"))
            changed = [k for k in _IDENTITY if old.get(k) != asdict(settings).get(k)]
            if changed:
                raise UsageError(f"{path} holds a run with other settings ({', '.join(changed)}); use a new --out")
        else:
            data = asdict(settings) | {"started": datetime.now().isoformat(timespec="seconds")}
            config.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

    def append(self, name: str, row: dict[str, Any]) -> None:
        with self.lock, (self.path / name).open("a", encoding="utf-8") as f:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


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
    run = _Folder(folder, settings)
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
