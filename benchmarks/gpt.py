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

Speed: --speed-rounds rounds of 128 greedy tokens of the same prompt on each side, interleaved, medians,
same threads. Then where the from-scratch model's time goes during decoding, per module kind.
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
from aigc.gpt.generate import Sampling, steps  # noqa: E402
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


def agreement(gpt: GPTEngine, llm: Any, prompts: list[str], tokens: int) -> dict[str, Any]:
    ends = set(gpt.tokenizer.end_ids)
    agree = total = identical = 0
    kls: list[float] = []
    rows = []
    for i, prompt in enumerate(prompts):
        ids = gpt.prompt_tokens(request_for(prompt, tokens))
        theirs, their_logits = llama_greedy(llm, ids, tokens, ends)
        seq = ids + theirs
        ours_logits = gpt.model(torch.tensor([seq])).logits[0].double().numpy()
        ours_logits = ours_logits[len(ids) - 1 : len(ids) - 1 + len(their_logits)]  # the same questions
        same = int((ours_logits.argmax(-1) == their_logits.argmax(-1)).sum())
        p_log, q_log = log_softmax(their_logits), log_softmax(ours_logits)
        kl = (np.exp(p_log) * (p_log - q_log)).sum(-1)
        ours_free = [
            s.token for s in steps(gpt.model, gpt.tokenizer, ids, Sampling(max_tokens=tokens, top=1)) if not s.end
        ]
        agree, total = agree + same, total + len(their_logits)
        kls += kl.tolist()
        identical += ours_free == theirs
        first_diff = next((j for j, (a, b) in enumerate(zip(ours_free, theirs, strict=False)) if a != b), None)
        rows.append(
            {
                "prompt": prompt,
                "positions": len(their_logits),
                "top1_agree": same,
                "mean_kl": float(kl.mean()),
                "identical": ours_free == theirs,
                "first_difference": first_diff,
            }
        )
        print(
            f"[{i + 1}/{len(prompts)}] {same}/{len(their_logits)} agree, KL {kl.mean():.5f}, "
            f"{'identical' if ours_free == theirs else f'differs from token {first_diff}'}: {prompt[:40]!r}",
            flush=True,
        )
    return {
        "positions": total,
        "top1_agree": agree,
        "top1_share": agree / total,
        "mean_kl": float(np.mean(kls)),
        "max_kl": float(np.max(kls)),
        "identical": identical,
        "prompts": len(prompts),
        "rows": rows,
    }


def speed(gpt: GPTEngine, llama: LlamaCppEngine, rounds: int) -> dict[str, Any]:
    request = Request.chat(
        [Message("user", "Write a Python module with a class for a bank account.")],
        GenerationParams(max_tokens=128, temperature=0.0),
    )
    ours, theirs = [], []
    for r in range(rounds):
        order = [("gpt", gpt), ("llama", llama)] if r % 2 == 0 else [("llama", llama), ("gpt", gpt)]
        for name, engine in order:
            if name == "llama":
                llama.llama.reset()
            done = engine.complete(request)
            assert done.usage.completion_tokens == 128, f"{name} stopped at {done.usage.completion_tokens} tokens"
            (ours if name == "gpt" else theirs).append(done.timings.tokens_per_s)
    return {
        "gpt_tps": statistics.median(ours),
        "llama_tps": statistics.median(theirs),
        "ratio": statistics.median(ours) / statistics.median(theirs),
        "profile": profile(gpt),
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
    walk = steps(gpt.model, gpt.tokenizer, ids, Sampling(max_tokens=tokens + 1, top=1, stop_ids=frozenset({-1})))
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
    parser.add_argument("--model", default="0.5b")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()

    settings = load_settings(model=args.model)
    model = resolve(settings.model_name or "default", settings.home)
    gpt = GPTEngine(model.path, name=model.name, n_ctx=4096)
    threads = torch.get_num_threads()
    llm = bare_llama(model.path, threads)
    half = args.prompts // 2
    prompts = CODE[:half] + REQUIREMENTS[: args.prompts - half]
    agreed = agreement(gpt, llm, prompts, args.tokens)
    del llm
    llama = LlamaCppEngine(model.path, name=model.name, n_ctx=4096, threads=threads)
    fast = speed(gpt, llama, args.speed_rounds)
    weights = sum(p.numel() * p.element_size() for p in gpt.model.parameters())
    print(
        f"\nmachine: {platform.machine()} cores={os.cpu_count()} torch={torch.__version__} threads={threads} "
        f"model={model.name} ({model.path.stat().st_size / 1e6:.0f} MB GGUF, {weights / 1e6:.0f} MB as float32)"
    )
    print(
        f"agreement over {agreed['prompts']} prompts, {agreed['positions']} positions: top-1 "
        f"{agreed['top1_share']:.2%} ({agreed['top1_agree']}), mean KL {agreed['mean_kl']:.5f} nats "
        f"(max {agreed['max_kl']:.4f}); identical greedy continuations {agreed['identical']}/{agreed['prompts']}"
    )
    print(
        f"speed, 128 tokens, {args.speed_rounds} rounds, medians: aigc.gpt {fast['gpt_tps']:.1f} tokens/s, "
        f"llama.cpp {fast['llama_tps']:.1f} tokens/s, ratio {fast['ratio']:.3f}"
    )
    per_token = sum(fast["profile"].values())
    for kind, seconds in sorted(fast["profile"].items(), key=lambda kv: -kv[1]):
        print(f"  {kind:75} {seconds * 1000:7.1f} ms/token  {seconds / per_token:6.1%}")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(
            json.dumps(
                {
                    "command": " ".join(sys.argv),
                    "agreement": agreed,
                    "speed": fast,
                    "threads": threads,
                    "model": model.name,
                },
                indent=1,
                ensure_ascii=False,
            )
        )
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
