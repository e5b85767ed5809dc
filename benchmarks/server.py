"""aigc serve's overhead and its behaviour under concurrent clients, on the embedded model.

    .venv/bin/python benchmarks/server.py [--rounds 5] [--tokens 128] [--clients 8] [--model 0.5b]

1. Decode speed: tokens/s streamed through the server's /v1/chat/completions (server-sent events, read with
   httpx as they arrive) against aigc's LlamaCppEngine.stream called directly in this process, on the same
   GGUF, threads, context size and request; greedy, exactly --tokens tokens; runs interleaved, order
   alternating, medians. The decode rate is (tokens - 1) / (last token - first token) on both sides.
   The server is `aigc serve` in its own process (as users run it); only one side runs at a time.
2. Time to first token with --clients clients at once, each with its own prompt (no shared prefix), 32
   tokens each, against one client alone. The model serves one request at a time, so the k-th client in
   line waits for the ones before it: the numbers show how long the queue makes people wait.
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
import tempfile
import threading
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from aigc.config import load_settings  # noqa: E402
from aigc.engines.base import GenerationParams, Message, Request  # noqa: E402
from aigc.engines.llamacpp import LlamaCppEngine  # noqa: E402
from aigc.models.resolve import resolve  # noqa: E402

REQUIREMENT = "Write a Python module with a class for a bank account and many helper functions, with docstrings."
TOPICS = ["a stack", "a queue", "binary search", "a linked list", "merge sort", "an LRU cache", "a trie",
          "a priority queue", "a ring buffer", "a rate limiter", "a bloom filter", "a union-find"]  # fmt: skip
Run = tuple[float, float, int]  # (ttft_s, decode tokens/s, tokens)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(model: str, port: int, data: Path) -> subprocess.Popen[bytes]:
    argv = [sys.executable, "-m", "aigc", "serve", "--port", str(port), "--data-dir", str(data), "--model", model]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"aigc serve exited with {proc.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("aigc serve did not answer within 300 s")


def rate(start: float, times: list[float], tokens: int) -> Run:
    first, last = times[0], times[-1]
    return first - start, (tokens - 1) / (last - first), tokens


def direct(engine: LlamaCppEngine, request: Request) -> Run:
    engine.forget_cache()  # the server's cache may hold the prompt; the decode rate does not depend on it
    start = time.perf_counter()
    times: list[float] = []
    tokens = 0
    for chunk in engine.stream(request):
        if chunk.text:
            times.append(time.perf_counter())
        if chunk.done and chunk.usage:
            tokens = chunk.usage.completion_tokens
    return rate(start, times, tokens)


def through_server(client: httpx.Client, url: str, content: str, tokens: int) -> Run:
    body = {"model": "x", "messages": [{"role": "user", "content": content}], "max_tokens": tokens,
            "temperature": 0, "seed": 0, "stream": True, "stream_options": {"include_usage": True}}  # fmt: skip
    start = time.perf_counter()
    times: list[float] = []
    count = 0
    with client.stream("POST", url + "/v1/chat/completions", json=body, timeout=600) as r:
        r.raise_for_status()
        for line in r.iter_lines():
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            data = json.loads(line[6:])
            if data["choices"] and data["choices"][0]["delta"].get("content"):
                times.append(time.perf_counter())
            if data.get("usage"):
                count = data["usage"]["completion_tokens"]
    return rate(start, times, count)


def bench_decode(engine: LlamaCppEngine, url: str, rounds: int, tokens: int) -> dict[str, float]:
    request = Request.chat([Message("user", REQUIREMENT)], GenerationParams(max_tokens=tokens, temperature=0.0, seed=0))
    ours: list[Run] = []
    base: list[Run] = []
    with httpx.Client() as client:
        through_server(client, url, REQUIREMENT, 8)  # warm both sides
        direct(engine, Request.chat(request.messages, GenerationParams(max_tokens=8, temperature=0.0)))
        for i in range(rounds):
            order = [("server", lambda: through_server(client, url, REQUIREMENT, tokens)),
                     ("direct", lambda: direct(engine, request))]  # fmt: skip
            for name, run in order if i % 2 == 0 else order[::-1]:
                result = run()
                assert result[2] == tokens, f"{name} produced {result[2]} tokens, not {tokens}"
                (ours if name == "server" else base).append(result)
    server_tps = statistics.median(r[1] for r in ours)
    direct_tps = statistics.median(r[1] for r in base)
    return {"server_tps": server_tps, "direct_tps": direct_tps, "ratio": server_tps / direct_tps}


def bench_concurrency(url: str, clients: int) -> dict[str, float]:
    with httpx.Client() as client:
        alone = through_server(client, url, f"Write Python code for {TOPICS[-1]}.", 32)[0]
    ttfts: list[float] = [0.0] * clients
    barrier = threading.Barrier(clients)

    def one(i: int) -> None:
        with httpx.Client() as client:
            barrier.wait()
            ttfts[i] = through_server(client, url, f"Write Python code for {TOPICS[i % len(TOPICS)]} ({i}).", 32)[0]

    threads = [threading.Thread(target=one, args=(i,)) for i in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    total = time.perf_counter() - start
    ordered = sorted(ttfts)
    return {"alone": alone, "min": ordered[0], "median": statistics.median(ordered), "max": ordered[-1], "total": total}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--tokens", type=int, default=128)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--model", default="0.5b")
    args = parser.parse_args()

    settings = load_settings(model=args.model)
    model = resolve(settings.model_name or "default", settings.home)
    engine = LlamaCppEngine(model.path, name=model.name, n_ctx=settings.n_ctx)  # the server's context size too
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="aigc-bench-serve-") as data:
        proc = start_server(args.model, port, Path(data))
        try:
            url = f"http://127.0.0.1:{port}"
            decode = bench_decode(engine, url, args.rounds, args.tokens)
            waits = bench_concurrency(url, args.clients)
        finally:
            proc.terminate()
            proc.wait(30)
    print(f"machine: {platform.machine()} {platform.processor() or ''} cores={os.cpu_count()} "
          f"python={platform.python_version()} model={model.name} threads={engine.threads}")  # fmt: skip
    print(f"decode, {args.tokens} tokens, {args.rounds} rounds, medians: through aigc serve "
          f"{decode['server_tps']:.1f} tok/s, engine directly {decode['direct_tps']:.1f} tok/s, "
          f"ratio {decode['ratio']:.3f}")  # fmt: skip
    print(f"time to first token, 32 tokens each: one client alone {waits['alone']:.2f} s; {args.clients} clients "
          f"at once: min {waits['min']:.2f} s, median {waits['median']:.2f} s, max {waits['max']:.2f} s; "
          f"all {args.clients} answers done in {waits['total']:.1f} s")  # fmt: skip


if __name__ == "__main__":
    main()
