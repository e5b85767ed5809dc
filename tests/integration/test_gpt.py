"""The from-scratch GPT on the real embedded model: the same greedy tokens as llama.cpp, and its commands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aigc.engines.base import GenerationParams, Message, Request
from aigc.engines.gpt import GPTEngine
from aigc.engines.llamacpp import LlamaCppEngine
from aigc.gpt.generate import Sampling, greedy, steps
from tests.conftest import run_aigc

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def gpt(model_path: Path) -> GPTEngine:
    return GPTEngine(model_path, name="qwen2.5-coder-0.5b-instruct", n_ctx=4096)


@pytest.mark.parametrize(
    "request_",
    [
        Request(prompt="def is_prime(n):\n", params=GenerationParams(max_tokens=24, temperature=0.0)),
        Request.chat(
            [Message("user", "用Python写一个函数，反转字符串")], GenerationParams(max_tokens=24, temperature=0.0)
        ),
    ],
    ids=["code", "chinese-chat"],
)
def test_greedy_continuation_matches_llama_cpp(gpt: GPTEngine, engine: LlamaCppEngine, request_: Request) -> None:
    assert gpt.prompt_tokens(request_) == engine.prompt_tokens(request_)
    ours = gpt.complete(request_)
    theirs = engine.complete(request_)
    assert ours.text == theirs.text
    assert ours.usage == theirs.usage


def test_steps_record_probabilities_alternatives_and_attention(gpt: GPTEngine) -> None:
    tokens = gpt.tokenizer.encode("x = [1, 2, 3]\nprint(len(x))\n# prints")
    got = list(steps(gpt.model, gpt.tokenizer, tokens, Sampling(greedy(4), top=3, attention=(5, 1))))
    assert len(got) == 4
    for i, s in enumerate(got):
        assert s.position == len(tokens) + i
        assert 0 < s.prob <= 1 and s.entropy >= 0
        assert s.alternatives[0].prob >= s.alternatives[-1].prob and len(s.alternatives) == 3
        assert s.token == s.alternatives[0].token  # greedy: the most probable token was chosen
        assert s.attention is not None and len(s.attention) == s.position and abs(sum(s.attention) - 1) < 1e-3


def test_inspect_writes_the_table_heatmap_and_page(tmp_path: Path, real_home_env: dict[str, str]) -> None:
    page, png = tmp_path / "why.html", tmp_path / "heat.png"
    r = run_aigc("inspect", "写一个冒泡排序", "--max-tokens", "8", "--top", "3", "--attention", "12:3",
                 "--html", str(page), "--png", str(png), env=real_home_env)  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "why each token" in r.stdout and "entropy" in r.stdout
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000
    html = page.read_text()
    assert "AigcInspect.render" in html and "http" not in html.split("<script")[0]  # self-contained
    data = json.loads(html.split('type="application/json">')[1].split("</script>")[0].replace("<\\/", "</"))
    assert data["mode"] == "chat" and len(data["steps"]) == 8 and data["attention_head"] == [12, 3]
    bad = run_aigc("inspect", "x", "--attention", "99:0", env=real_home_env)
    assert bad.returncode == 2 and "no attention head 99:0" in bad.stderr


def test_gen_runs_on_the_from_scratch_engine(real_home_env: dict[str, str]) -> None:
    r = run_aigc("gen", "--engine", "gpt", "--no-verify", "--max-tokens", "40", "--json",
                 "写一个Python函数 add(a, b)，返回两数之和", env=real_home_env)  # fmt: skip
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["model"] == "qwen2.5-coder-0.5b-instruct (aigc.gpt)" and "def add" in out["code"]
