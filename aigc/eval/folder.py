"""An evaluation's run folder: samples.jsonl (what the model wrote), results.jsonl (how each sample fared
against the hidden tests), config.json (the settings and the exact command).

Every sample and every result is appended as soon as it exists, so an interrupted run (aigc.tasks.eval)
continues where it stopped.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from aigc.errors import UsageError
from aigc.verify.candidates import DEFAULT_VERIFY_CANDIDATES

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


class RunFolder:
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
