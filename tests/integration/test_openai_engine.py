"""The openai engine against a real OpenAI-compatible server (llama-cpp-python's) on loopback."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from aigc.engines.base import GenerationParams, Message, Request
from aigc.engines.llamacpp import physical_cores
from aigc.engines.openai_compat import OpenAIEngine
from aigc.errors import ContextOverflow
from tests.conftest import REPO, run_aigc

pytestmark = pytest.mark.model


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(model_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = _free_port()
    log = tmp_path_factory.mktemp("server") / "server.log"
    cmd = [
        sys.executable, "-m", "tests.integration.llama_server", "--model", str(model_path),
        "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "2048",
        "--n_threads", str(physical_cores()), "--model_alias", "qwen-test",
        "--interrupt_requests", "False",  # queue concurrent requests instead of cutting the running one
    ]  # fmt: skip
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, cwd=REPO, stdout=out, stderr=subprocess.STDOUT, env={**os.environ})
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 300
        while True:
            if proc.poll() is not None:
                pytest.fail(f"the llama-cpp-python server exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{url}/models", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the server did not start in 300 s:\n{log.read_text()[-3000:]}")
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_model_name_comes_from_the_server(server: str) -> None:
    assert OpenAIEngine(server).model_name == "qwen-test"


def test_stream_and_complete_through_the_official_client(server: str) -> None:
    engine = OpenAIEngine(server, api_key="anything")
    request = Request.chat([Message("user", "Write a Python function that adds two numbers.")],
                           GenerationParams(max_tokens=32, temperature=0, seed=3))  # fmt: skip
    chunks = list(engine.stream(request))
    text = "".join(c.text for c in chunks)
    assert len([c for c in chunks if c.text]) > 3
    last = chunks[-1]
    assert last.done and last.usage is not None and 0 < last.usage.completion_tokens <= 32
    assert last.timings is not None and last.timings.ttft_s > 0
    assert engine.complete(request).text == text  # greedy: the same answer both ways
    engine.close()


def test_n_samples_go_out_concurrently(server: str) -> None:
    engine = OpenAIEngine(server)
    request = Request.chat(
        [Message("user", "Name a color.")], GenerationParams(max_tokens=8, temperature=0.9, n=3, seed=5)
    )
    done = engine.complete(request)
    assert len(done.choices) == 3
    assert all(c.text for c in done.choices)


def test_prompt_longer_than_the_server_context(server: str) -> None:
    engine = OpenAIEngine(server)
    request = Request.chat([Message("user", "数据 " * 3000)], GenerationParams(max_tokens=16))
    with pytest.raises(ContextOverflow) as info:
        list(engine.stream(request))
    assert info.value.context_size == 2048


def test_cli_gen_against_the_server(server: str) -> None:
    r = run_aigc("gen", "--json", "--api-base", server, "--max-tokens", "40", "write a Python function that doubles x")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["model"] == "qwen-test"
    assert doc["code"]
