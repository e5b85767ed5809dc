"""Candidates decoded together: n answers to one prompt as parallel sequences of one llama.cpp batch
(LlamaCppEngine.decode_together) against the same n answers decoded one after another (engine.stream),
same model, prompt, seeds and token budget, in one process and one command.

Prints, for each n, the wall time of both ways, the aggregate decode rate and the speed-up (one after
another / together), and whether each answer's text is the same both ways: greedy (temperature 0) and
sampled (the candidates' temperature, seeds seed, seed+1, ...). One row per n goes to
benchmarks/results/batched.jsonl.

    .venv/bin/python benchmarks/batched.py [--tokens 64] [--n 1 3 5 8] [--rounds 2]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from aigc.config import load_settings  # noqa: E402
from aigc.engines import create_engine  # noqa: E402
from aigc.engines.base import Completion, GenerationParams, Message, Request, collect  # noqa: E402
from aigc.engines.llamacpp import LlamaCppEngine  # noqa: E402
from aigc.verify.candidates import SAMPLING_TEMPERATURE  # noqa: E402

# A requirement whose answer runs past the token budget, so every sequence decodes --tokens tokens.
PROMPT = (
    "写一个 Python 模块：一个 LRU 缓存类 LRUCache(capacity)，支持 get(key) 和 put(key, value)，"
    "时间复杂度 O(1)，附带详细的中文注释和 10 个 pytest 测试。"
)
RESULTS = REPO / "benchmarks" / "results" / "batched.jsonl"


def requests(n: int, tokens: int, temperature: float, seed: int) -> list[Request]:
    params = GenerationParams(max_tokens=tokens, temperature=temperature, seed=seed)
    base = Request.chat([Message("user", PROMPT)], params)
    return [replace(base, params=replace(params, seed=seed + i)) for i in range(n)]


def together(engine: LlamaCppEngine, batch: list[Request]) -> tuple[float, list[Completion]]:
    engine.forget_cache()  # both ways evaluate the whole prompt once
    start = time.perf_counter()
    done = engine.decode_together(batch)
    return time.perf_counter() - start, done


def one_by_one(engine: LlamaCppEngine, batch: list[Request]) -> tuple[float, list[Completion]]:
    engine.forget_cache()  # later answers reuse the cached prompt, as they did before decode_together
    start = time.perf_counter()
    done = [collect(engine.stream(r), engine.model_name) for r in batch]
    return time.perf_counter() - start, done


def same_texts(a: list[Completion], b: list[Completion]) -> int:
    return sum(x.text == y.text for x, y in zip(a, b, strict=True))


def measure(engine: LlamaCppEngine, n: int, tokens: int, rounds: int) -> dict[str, object]:
    greedy = requests(n, tokens, 0.0, seed=7)
    sampled = requests(n, tokens, SAMPLING_TEMPERATURE, seed=7)
    times_together, times_apart = [], []
    for _ in range(rounds):
        t_together, done_together = together(engine, sampled)
        t_apart, done_apart = one_by_one(engine, sampled)
        times_together.append(t_together)
        times_apart.append(t_apart)
    decoded = sum(c.usage.completion_tokens for c in done_together)
    _, greedy_together = together(engine, greedy)
    _, greedy_apart = one_by_one(engine, greedy)
    t_together, t_apart = statistics.median(times_together), statistics.median(times_apart)
    return {
        "n": n,
        "tokens": tokens,
        "together_s": round(t_together, 2),
        "one_by_one_s": round(t_apart, 2),
        "speedup": round(t_apart / t_together, 2),
        "together_tokens_per_s": round(decoded / t_together, 1),
        "one_by_one_tokens_per_s": round(sum(c.usage.completion_tokens for c in done_apart) / t_apart, 1),
        "greedy_same": same_texts(greedy_together, greedy_apart),
        "sampled_same": same_texts(done_together, done_apart),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tokens", type=int, default=64)
    parser.add_argument("--n", type=int, nargs="+", default=[1, 3, 5, 8])
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    settings = load_settings()
    engine = create_engine(settings)
    if not isinstance(engine, LlamaCppEngine):
        raise SystemExit("this benchmark measures the embedded engine (engine = 'llamacpp')")
    print(f"{engine.model_name}, {engine.threads} threads, {args.tokens} tokens an answer, medians of {args.rounds}")
    print(
        f"{'n':>3} {'together':>9} {'one by one':>11} {'speed-up':>9} {'tok/s together':>15} "
        f"{'tok/s apart':>12} {'greedy same':>12} {'sampled same':>13}"
    )
    rows = []
    for n in args.n:
        row = measure(engine, n, args.tokens, args.rounds)
        rows.append(row)
        print(
            f"{n:>3} {row['together_s']:>8}s {row['one_by_one_s']:>10}s {row['speedup']:>8}x "
            f"{row['together_tokens_per_s']:>15} {row['one_by_one_tokens_per_s']:>12} "
            f"{row['greedy_same']:>9}/{n:<2} {row['sampled_same']:>10}/{n:<2}"
        )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with RESULTS.open("a", encoding="utf-8") as out:
        for row in rows:
            row |= {
                "model": engine.model_name,
                "threads": engine.threads,
                "cpu": platform.processor() or platform.machine(),
                "date": time.strftime("%Y-%m-%d"),
            }
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"rows appended to {RESULTS.relative_to(REPO)}")


if __name__ == "__main__":
    main()
