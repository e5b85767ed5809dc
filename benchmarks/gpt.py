"""The from-scratch GPT (aigc.gpt) against llama.cpp on the same GGUF: agreement, then speed.

    .venv/bin/python benchmarks/gpt.py [--prompts 50] [--tokens 64] [--speed-rounds 3] [--model 0.5b]
                                       [--out benchmarks/results/gpt-0.5b.json]

Agreement, on --prompts prompts (half code to continue, half requirements in Chinese or English asked as
chat messages, listed below):
1. llama.cpp generates --tokens tokens greedily, keeping its next-token logits at every step.
2. The from-scratch model reads the same prompt and llama.cpp's continuation in one forward pass (teacher
   forcing), so both models are asked the same question at every position. Reported: the share of
   positions where both put the same token first, and the mean KL(P_llama.cpp || P_aigc.gpt) in nats.
3. The from-scratch model also generates greedily on its own: how many continuations are identical to
   llama.cpp's, token for token.
Quantization is the same on both sides (the GGUF's); llama.cpp multiplies the quantized weights directly
(with 8-bit activations), aigc.gpt decodes them to float32 first, so small differences are expected.

Speed: --speed-rounds rounds of 128 greedy tokens of the same prompt on each side (llama.cpp, and aigc.gpt with its
weights stored as each of --dtypes), interleaved, medians, same threads. Then where the from-scratch model's time
goes during decoding, per module kind.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import torch

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from aigc.config import load_settings  # noqa: E402
from aigc.engines.base import GenerationParams, Message, Request  # noqa: E402
from aigc.engines.gpt import GPTEngine  # noqa: E402
from aigc.engines.llamacpp import LlamaCppEngine, _without_extra_buffer_types, cpu_has_amx  # noqa: E402
from aigc.gpt.generate import Sampling, greedy, steps  # noqa: E402
from aigc.models.resolve import resolve  # noqa: E402

CODE = [
    "def fibonacci(n):\n",
    "def is_prime(n):\n",
    "def binary_search(arr, target):\n",
    "class Stack:\n",
    "def quicksort(xs):\n",
    "import json\n\ndef load_config(path):\n",
    "def merge_sorted(a, b):\n",
    "class LRUCache:\n    def __init__(self, capacity):\n",
    "def word_count(text):\n",
    "def flatten(nested):\n",
    "function debounce(fn, ms) {\n",
    "const sum = (xs) =>",
    "SELECT name, COUNT(*) FROM orders\n",
    "def parse_csv_line(line):\n",
    "def gcd(a, b):\n",
    "def transpose(matrix):\n",
    "class Node:\n    def __init__",
    "async def fetch(session, url):\n",
    "def validate_email(s):\n",
    "#!/bin/bash\n# back up a folder\n",
    "def levenshtein(a, b):\n",
    "def to_roman(n):\n",
    "public static int max(int[] xs) {\n",
    "def chunks(xs, n):\n",
    "def read_lines(path):\n    with open(path",
]
REQUIREMENTS = [
    "写一个冒泡排序",
    "编写一个Python函数，计算两个数的平均值",
    "实现快速排序",
    "写一个函数判断回文字符串",
    "用Python读取一个CSV文件并计算每列的平均值",
    "创建一个用户注册功能，用户名已存在时返回错误",
    "写一个函数，返回列表中第二大的数",
    "实现一个栈，支持 push、pop 和 min 操作",
    "写一个函数统计字符串中每个字符出现的次数",
    "用JavaScript写一个防抖函数",
    "写一个SQL查询，找出订单最多的前10个用户",
    "实现二分查找",
    "Write a function that checks whether a string is a palindrome.",
    "Implement an LRU cache in Python.",
    "Write a Python function to merge two sorted lists.",
    "Explain what a Python decorator is, with an example.",
    "Write a function that returns the n-th Fibonacci number iteratively.",
    "Parse a date string like 2024-01-31.",
    "Write a bash script that counts lines in all .py files.",
    "Write a Python class for a bank account.",
    "Remove duplicates from a list while keeping order.",
    "Write a function to validate an IPv4 address.",
    "Convert a Roman numeral to an integer.",
    "Write unit tests for a function add(a, b).",
    "Reverse the words in a sentence.",
]


def request_for(prompt: str, tokens: int) -> Request:
    params = GenerationParams(max_tokens=tokens, temperature=0.0)
    return Request(prompt=prompt, params=params) if prompt in CODE else Request.chat([Message("user", prompt)], params)


def bare_llama(path: Path, threads: int) -> Any:
    from llama_cpp import Llama

    guard = _without_extra_buffer_types() if cpu_has_amx() else None
    if guard is not None:
        guard.__enter__()
    try:
        return Llama(
            model_path=str(path), n_ctx=2048, n_threads=threads, n_threads_batch=threads, logits_all=True, verbose=False
        )
    finally:
        if guard is not None:
            guard.__exit__(None, None, None)


def llama_greedy(llm: Any, prompt: list[int], n: int, ends: set[int]) -> tuple[list[int], np.ndarray]:
    """llama.cpp's greedy continuation and its logits at each step (row i: the logits that chose token i)."""
    llm.reset()
    llm.eval(prompt)
    out: list[int] = []
    rows = []
    for _ in range(n):
        logits = np.array(llm.scores[llm.n_tokens - 1], dtype=np.float64)
        token = int(np.argmax(logits))
        rows.append(logits)
        if token in ends:
            break
        out.append(token)
        llm.eval([token])
    return out, np.stack(rows)


def log_softmax(x: np.ndarray) -> np.ndarray:
    x = x - x.max(axis=-1, keepdims=True)
    return x - np.log(np.exp(x).sum(axis=-1, keepdims=True))


def agreement(engines: dict[str, GPTEngine], llm: Any, prompts: list[str], tokens: int) -> dict[str, Any]:
    """Per weight dtype: top-1 agreement and KL against llama.cpp on its own continuations (teacher forcing);
    for the first dtype also the free-running greedy continuation, compared token for token."""
    first = next(iter(engines))
    tokenizer = engines[first].tokenizer
    ends = set(tokenizer.end_ids)
    stats: dict[str, dict[str, Any]] = {d: {"agree": 0, "total": 0, "kls": [], "rows": []} for d in engines}
    identical = 0
    for i, prompt in enumerate(prompts):
        ids = engines[first].prompt_tokens(request_for(prompt, tokens))
        theirs, their_logits = llama_greedy(llm, ids, tokens, ends)
        p_log = log_softmax(their_logits)
        line = []
        for dtype, gpt in engines.items():
            ours_logits = gpt.model(torch.tensor([ids + theirs])).logits[0].double().numpy()
            ours_logits = ours_logits[len(ids) - 1 : len(ids) - 1 + len(their_logits)]  # the same questions
            same = int((ours_logits.argmax(-1) == their_logits.argmax(-1)).sum())
            kl = (np.exp(p_log) * (p_log - log_softmax(ours_logits))).sum(-1)
            st = stats[dtype]
            st["agree"] += same
            st["total"] += len(their_logits)
            st["kls"] += kl.tolist()
            st["rows"].append(
                {"prompt": prompt, "positions": len(their_logits), "top1_agree": same, "mean_kl": float(kl.mean())}
            )
            line.append(f"{dtype} {same}/{len(their_logits)} KL {kl.mean():.5f}")
        gpt = engines[first]
        ours_free = [s.token for s in steps(gpt.model, tokenizer, ids, Sampling(greedy(tokens), top=1)) if not s.end]
        identical += ours_free == theirs
        diff = next((j for j, (a, b) in enumerate(zip(ours_free, theirs, strict=False)) if a != b), None)
        stats[first]["rows"][-1].update({"identical": ours_free == theirs, "first_difference": diff})
        verdict = "identical" if ours_free == theirs else f"differs from token {diff}"
        print(f"[{i + 1}/{len(prompts)}] {'; '.join(line)}; {first} greedy {verdict}: {prompt[:40]!r}", flush=True)
    out: dict[str, Any] = {"prompts": len(prompts), "identical": identical, "by_dtype": {}}
    for dtype, st in stats.items():
        out["by_dtype"][dtype] = {
            "positions": st["total"],
            "top1_agree": st["agree"],
            "top1_share": st["agree"] / st["total"],
            "mean_kl": float(np.mean(st["kls"])),
            "max_kl": float(np.max(st["kls"])),
            "rows": st["rows"],
        }
    return out


def speed(engines: dict[str, GPTEngine], llama: LlamaCppEngine, rounds: int) -> dict[str, Any]:
    """Decode tokens/s of llama.cpp and of the from-scratch model per dtype, interleaved, medians."""
    request = Request.chat(
        [Message("user", "Write a Python module with a class for a bank account.")],
        GenerationParams(max_tokens=128, temperature=0.0),
    )
    sides: dict[str, Any] = {"llama.cpp": llama, **{f"aigc.gpt {d}": e for d, e in engines.items()}}
    rates: dict[str, list[float]] = {name: [] for name in sides}
    names = list(sides)
    for r in range(rounds):
        for name in names[r % len(names) :] + names[: r % len(names)]:  # a different side first each round
            engine = sides[name]
            if engine is llama:
                llama.forget_cache()
            done = engine.complete(request)
            assert done.usage.completion_tokens == 128, f"{name} stopped at {done.usage.completion_tokens} tokens"
            rates[name].append(done.timings.tokens_per_s)
    medians = {name: statistics.median(v) for name, v in rates.items()}
    return {
        "tokens_per_s": medians,
        "ratio_to_llama": {n: v / medians["llama.cpp"] for n, v in medians.items()},
        "profile": {d: profile(e) for d, e in engines.items()},
    }


def profile(gpt: GPTEngine, tokens: int = 32) -> dict[str, float]:
    """Seconds per decoded token, by module kind (forward hooks around each leaf module), and the rest."""
    spent: dict[str, float] = defaultdict(float)
    started: dict[int, float] = {}
    kinds = {
        "attn.q": "attention projections",
        "attn.k": "attention projections",
        "attn.v": "attention projections",
        "attn.o": "attention projections",
        "mlp.gate": "feed-forward (SwiGLU)",
        "mlp.up": "feed-forward (SwiGLU)",
        "mlp.down": "feed-forward (SwiGLU)",
        "lm_head": "output projection (vocabulary)",
        "norm": "norms",
        "embed.tokens": "embedding",
    }
    handles = []
    for name, module in gpt.model.named_modules():
        kind = next((k for key, k in kinds.items() if name.endswith(key)), None)
        if kind is None or list(module.children()):
            continue
        handles.append(module.register_forward_pre_hook(lambda m, a: started.__setitem__(id(m), time.perf_counter())))
        handles.append(
            module.register_forward_hook(
                lambda m, a, o, kind=kind: spent.__setitem__(kind, spent[kind] + time.perf_counter() - started[id(m)])
            )
        )
    ids = gpt.tokenizer.encode("def fibonacci(n):\n")
    walk = steps(gpt.model, gpt.tokenizer, ids, Sampling(greedy(tokens + 1), top=1, stop_ids=frozenset({-1})))
    next(walk)  # the prompt's forward pass is not decoding
    spent.clear()
    start = time.perf_counter()
    for _ in walk:
        pass
    total = time.perf_counter() - start
    for h in handles:
        h.remove()
    out = {k: v / tokens for k, v in spent.items()}
    out["everything else (attention scores, softmax, rotary, residuals, sampling, Python)"] = (
        total - sum(spent.values())
    ) / tokens
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--prompts", type=int, default=50)
    parser.add_argument("--tokens", type=int, default=64)
    parser.add_argument("--speed-rounds", type=int, default=3)
    parser.add_argument("--dtypes", default="float32,bfloat16,float16", help="weight dtypes; the first also runs free")
    parser.add_argument("--model", default="0.5b")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()

    settings = load_settings(model=args.model)
    model = resolve(settings.model_name or "default", settings.home)
    engines = {d: GPTEngine(model.path, name=model.name, n_ctx=4096, dtype=d) for d in args.dtypes.split(",")}
    threads = torch.get_num_threads()
    llm = bare_llama(model.path, threads)
    half = args.prompts // 2
    prompts = CODE[:half] + REQUIREMENTS[: args.prompts - half]
    agreed = agreement(engines, llm, prompts, args.tokens)
    del llm
    llama = LlamaCppEngine(model.path, name=model.name, n_ctx=4096, threads=threads)
    fast = speed(engines, llama, args.speed_rounds)
    print(
        f"\nmachine: {platform.machine()} cores={os.cpu_count()} torch={torch.__version__} threads={threads} "
        f"model={model.name} ({model.path.stat().st_size / 1e6:.0f} MB GGUF)"
    )
    print(f"agreement with llama.cpp over {agreed['prompts']} prompts x up to {args.tokens} greedy tokens:")
    for dtype, a in agreed["by_dtype"].items():
        mb = sum(p.numel() * p.element_size() for p in engines[dtype].model.parameters()) / 1e6
        print(
            f"  {dtype:9} ({mb:5.0f} MB of weights): top-1 {a['top1_share']:.2%} ({a['top1_agree']}/{a['positions']}),"
            f" mean KL {a['mean_kl']:.5f} nats (max {a['max_kl']:.4f})"
        )
    first = next(iter(engines))
    print(f"  {first} greedy continuations identical to llama.cpp's: {agreed['identical']}/{agreed['prompts']}")
    print(f"speed, 128 tokens, {args.speed_rounds} rounds, medians:")
    for name, tps in fast["tokens_per_s"].items():
        print(f"  {name:20} {tps:6.1f} tokens/s   ratio to llama.cpp {fast['ratio_to_llama'][name]:.3f}")
    for dtype, prof in fast["profile"].items():
        per_token = sum(prof.values())
        print(f"where the time goes, aigc.gpt {dtype} ({per_token * 1000:.0f} ms per token, module hooks on):")
        for kind, seconds in sorted(prof.items(), key=lambda kv: -kv[1]):
            print(f"  {kind:82} {seconds * 1000:7.1f} ms  {seconds / per_token:6.1%}")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        record = {
            "command": " ".join(sys.argv),
            "threads": threads,
            "model": model.name,
            "agreement": agreed,
            "speed": fast,
        }
        args.out.write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n")
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
