"""Decode speed and time to first token: aigc's engines against the bare backends they wrap.

    .venv/bin/python benchmarks/throughput.py [--rounds 5] [--tokens 128] [--skip-server]

1. llamacpp: aigc's LlamaCppEngine.stream against a bare llama_cpp.Llama.create_completion(stream=True)
   on the same GGUF, threads, context size and prompt; greedy, exactly --tokens tokens each, the KV cache
   reset before every run so each one evaluates the whole prompt; runs interleaved, order alternating.
2. openai: aigc's OpenAIEngine.stream against raw HTTP streaming (httpx, server-sent events) to the same
   llama-cpp-python server on loopback, same request.
Prints medians and the ratio aigc / bare (>= 0.95 is the bar).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from aigc.config import load_settings  # noqa: E402
from aigc.engines.base import GenerationParams, Message, Request  # noqa: E402
from aigc.engines.llamacpp import (  # noqa: E402
    LlamaCppEngine,
    _without_extra_buffer_types,
    cpu_has_amx,
    physical_cores,
)
from aigc.engines.openai_compat import OpenAIEngine  # noqa: E402
from aigc.models.resolve import resolve  # noqa: E402

REQUIREMENT = "Write a Python module with a class for a bank account and many helper functions, with docstrings."
Run = tuple[float, float]  # (ttft_s, decode tokens/s)


def timed(pieces: Iterator[str], tokens: int) -> Run:
    start = time.perf_counter()
    first = end = 0.0
    for text in pieces:
        if text:
            end = time.perf_counter()
            first = first or end
    return first - start, (tokens - 1) / (end - first)


def bare_llama(path: Path, n_ctx: int, threads: int) -> object:
    from llama_cpp import Llama

    guard = _without_extra_buffer_types() if cpu_has_amx() else None
    if guard is not None:
        guard.__enter__()
    try:
        return Llama(model_path=str(path), n_ctx=n_ctx, n_threads=threads, n_threads_batch=threads, verbose=False)
    finally:
        if guard is not None:
            guard.__exit__(None, None, None)


def bench_llamacpp(rounds: int, tokens: int) -> dict[str, float]:
    settings = load_settings()
    model = resolve(settings.model_name or "default", settings.home)
    engine = LlamaCppEngine(model.path, name=model.name, n_ctx=2048)
    bare = bare_llama(model.path, 2048, engine.threads)
    params = GenerationParams(max_tokens=tokens, temperature=0.0, seed=0)
    request = Request.chat([Message("user", REQUIREMENT)], params)
    prompt = engine.render_chat(request)

    def ours() -> Run:
        engine.forget_cache()  # forget the KV cache: every run evaluates the whole prompt
        counts: list[int] = []

        def pieces() -> Iterator[str]:
            for chunk in engine.stream(request):
                if chunk.usage is not None:
                    counts.append(chunk.usage.completion_tokens)
                yield chunk.text

        run = timed(pieces(), tokens)
        assert counts == [tokens], f"the answer must fill --tokens, got {counts}"
        return run

    def theirs() -> Run:
        bare.reset()  # type: ignore[attr-defined]
        reasons: list[str] = []

        def pieces() -> Iterator[str]:
            stream = bare.create_completion(prompt, max_tokens=tokens, temperature=0.0, stream=True)  # type: ignore[attr-defined]
            for chunk in stream:
                reasons.append(chunk["choices"][0]["finish_reason"] or "")
                yield chunk["choices"][0]["text"]

        run = timed(pieces(), tokens)
        assert reasons[-1] == "length", "the answer must fill --tokens"
        return run

    print(f"llamacpp: {model.path.name}, threads={engine.threads}, {tokens} tokens, {rounds} rounds", flush=True)
    return compare(ours, theirs, rounds)


def compare(ours: Callable[[], Run], theirs: Callable[[], Run], rounds: int) -> dict[str, float]:
    ours(), theirs()  # warm-up
    a: list[Run] = []
    b: list[Run] = []
    for r in range(rounds):
        pair = (ours, theirs) if r % 2 == 0 else (theirs, ours)
        for fn in pair:
            (a if fn is ours else b).append(fn())
        print(f"  round {r + 1}: aigc {a[-1][1]:.1f} tok/s, bare {b[-1][1]:.1f} tok/s", flush=True)
    result = {
        "aigc_tokens_per_s": statistics.median(x[1] for x in a),
        "bare_tokens_per_s": statistics.median(x[1] for x in b),
        "aigc_ttft_s": statistics.median(x[0] for x in a),
        "bare_ttft_s": statistics.median(x[0] for x in b),
    }
    result["ratio"] = result["aigc_tokens_per_s"] / result["bare_tokens_per_s"]
    return result


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def bench_server(rounds: int, tokens: int) -> dict[str, float]:
    settings = load_settings()
    model = resolve(settings.model_name or "default", settings.home)
    port = _free_port()
    url = f"http://127.0.0.1:{port}/v1"
    cmd = [sys.executable, "-m", "tests.integration.llama_server", "--model", str(model.path),
           "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "2048",
           "--n_threads", str(physical_cores())]  # fmt: skip
    server = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=dict(os.environ))
    try:
        for _ in range(240):
            try:
                if httpx.get(f"{url}/models", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        engine = OpenAIEngine(url)
        params = GenerationParams(max_tokens=tokens, temperature=0.0, seed=0, top_k=40)
        request = Request.chat([Message("user", REQUIREMENT)], params)
        body = {"model": engine.model_name, "messages": [{"role": "user", "content": REQUIREMENT}],
                "max_tokens": tokens, "temperature": 0.0, "top_p": params.top_p, "seed": 0, "top_k": 40,
                "stream": True, "stream_options": {"include_usage": True}}  # fmt: skip
        client = httpx.Client(timeout=600)

        def ours() -> Run:
            return timed((c.text for c in engine.stream(request)), tokens)

        def raw_sse() -> Iterator[str]:
            with client.stream("POST", f"{url}/chat/completions", json=body) as response:
                for line in response.iter_lines():
                    if line.startswith("data: ") and line != "data: [DONE]":
                        for choice in json.loads(line[6:]).get("choices") or ():
                            yield choice.get("delta", {}).get("content") or ""

        def theirs() -> Run:
            return timed(raw_sse(), tokens)

        print(f"openai: llama-cpp-python server at {url}, {tokens} tokens, {rounds} rounds", flush=True)
        return compare(ours, theirs, rounds)
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--tokens", type=int, default=128)
    parser.add_argument("--skip-server", action="store_true")
    args = parser.parse_args()
    cpu = platform.processor() or platform.machine()
    print(f"machine: {cpu}, {os.cpu_count()} logical CPUs, Python {platform.python_version()}")
    results = {"llamacpp": bench_llamacpp(args.rounds, args.tokens)}
    if not args.skip_server:
        results["openai"] = bench_server(args.rounds, args.tokens)
    for name, r in results.items():
        print(
            f"{name:8}  aigc {r['aigc_tokens_per_s']:.1f} tok/s (first token {r['aigc_ttft_s']:.3f} s)  "
            f"bare {r['bare_tokens_per_s']:.1f} tok/s (first token {r['bare_ttft_s']:.3f} s)  ratio {r['ratio']:.3f}"
        )
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
