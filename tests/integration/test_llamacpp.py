"""The embedded engine on the real Qwen2.5-Coder 0.5B model. Short generations: a few dozen tokens."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace

import pytest

from aigc.engines.base import GenerationParams, Message, Request
from aigc.engines.llamacpp import LlamaCppEngine
from aigc.errors import ContextOverflow
from aigc.tasks.chat import ChatSession
from aigc.tasks.generate import generate
from tests.conftest import run_aigc

pytestmark = pytest.mark.model

GREEDY = GenerationParams(max_tokens=48, temperature=0.0, seed=1)


def test_chat_template_comes_from_the_gguf(engine: LlamaCppEngine) -> None:
    prompt = engine.render_chat(Request.chat([Message("user", "hi")], GREEDY))
    assert prompt.endswith("<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n")


def test_gen_chinese_requirement(engine: LlamaCppEngine) -> None:
    result = generate("编写一个Python函数，计算两个数的平均值", engine, GenerationParams(max_tokens=64, seed=1))
    assert result.language == "python"
    assert "def " in result.code
    assert result.usage.prompt_tokens > 20
    assert 0 < result.usage.completion_tokens <= 64
    assert result.timings.tokens_per_s > 0 and result.timings.ttft_s > 0


def test_gen_english_requirement_javascript(engine: LlamaCppEngine) -> None:
    result = generate(
        "write a function that adds two numbers",
        engine,
        GenerationParams(max_tokens=48),
        language="javascript",
    )
    assert result.language == "javascript"
    assert "function" in result.code or "=>" in result.code


def test_streaming_order_matches_the_complete_answer(engine: LlamaCppEngine) -> None:
    request = Request.chat([Message("user", "Write a Python function that returns the sum of a list.")], GREEDY)
    arrivals: list[tuple[float, str]] = []
    # Greedy decoding repeats itself only from the same KV-cache state: a prompt evaluated in other batch
    # splits (a reused prefix) differs in the last float bits, which can flip a near-tie. Start cold each time.
    engine.forget_cache()
    for chunk in engine.stream(request):
        if chunk.text:
            arrivals.append((time.perf_counter(), chunk.text))
        if chunk.done:
            assert chunk.usage is not None
            final = chunk
    assert len(arrivals) > 5, "text arrives in many pieces, not all at the end"
    assert arrivals[-1][0] - arrivals[0][0] > 0
    engine.forget_cache()
    whole = engine.complete(request)
    assert "".join(t for _, t in arrivals) == whole.text  # greedy: same text either way
    assert final.usage == whole.usage


def test_stop_strings_and_max_tokens(engine: LlamaCppEngine) -> None:
    request = Request(
        prompt="def fibonacci(n):", params=GenerationParams(max_tokens=40, temperature=0, stop=("return",))
    )
    done = engine.complete(request)
    assert "return" not in done.text
    cut = engine.complete(Request(prompt="def fibonacci(n):", params=GenerationParams(max_tokens=5, temperature=0)))
    assert cut.usage.completion_tokens == 5 and cut.finish_reason == "length"


def test_two_chat_turns_remember_the_first(engine: LlamaCppEngine) -> None:
    session = ChatSession(engine, GenerationParams(max_tokens=40, temperature=0))
    session.send("My favourite number is 42. Reply with OK.")
    second = session.send("What is my favourite number? Answer with the number only.")
    assert "42" in second.reply
    assert second.completion.usage.prompt_tokens > 40  # the first turn was sent again


def test_context_overflow_names_both_numbers(engine: LlamaCppEngine) -> None:
    long = "数据 " * 5000
    with pytest.raises(ContextOverflow) as info:
        list(engine.stream(Request.chat([Message("user", long)], GenerationParams(max_tokens=100))))
    err = info.value
    assert err.context_size == 4096 and err.max_tokens == 100 and err.prompt_tokens > 4096
    assert str(err.prompt_tokens) in str(err) and "4096" in str(err)


def test_cli_gen_json_on_the_real_model(real_home_env: dict[str, str]) -> None:
    r = run_aigc(
        "gen",
        "--json",
        "--no-verify",
        "--max-tokens",
        "48",
        "write a Python function that squares a number",
        env=real_home_env,
    )
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["model"] == "qwen2.5-coder-0.5b-instruct"
    assert "def " in doc["code"]
    assert doc["usage"]["completion_tokens"] <= 48


def test_cli_context_overflow_exits_1_with_the_numbers(real_home_env: dict[str, str]) -> None:
    r = run_aigc("gen", "--max-tokens", "2000", input="写代码 " * 5000, env={**real_home_env, "AIGC_N_CTX": "4096"})
    assert r.returncode == 1
    assert "2000 max_tokens" in r.stderr and "context size of 4096" in r.stderr
    assert "Traceback" not in r.stderr


def test_ctrl_c_stops_generation_keeps_output_and_exits_130(real_home_env: dict[str, str]) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "aigc", "gen", "--max-tokens", "400", "write a long Python module with many functions"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, **real_home_env},
        # A shell starts background jobs (and so maybe this test run) with SIGINT ignored, and Python keeps
        # an inherited "ignore". A user's terminal delivers Ctrl-C to a default handler: give the child that.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    assert proc.stderr is not None
    os.set_blocking(proc.stderr.fileno(), False)
    seen = b""
    deadline = time.monotonic() + 120
    while len(seen) < 40 and time.monotonic() < deadline:  # the answer is streaming (to stderr: stdout is a pipe)
        seen += proc.stderr.read() or b""
        time.sleep(0.05)
    assert len(seen) >= 40, "no streamed output before the deadline"
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    text = (seen + (err or b"")).decode("utf-8", "replace")
    assert "interrupted" in text
    assert "Traceback" not in text
    assert out == b""  # nothing half-done was written as if it were the answer


def test_cli_model_verify_rehashes_the_real_file(real_home_env: dict[str, str]) -> None:
    r = run_aigc("model", "verify", env=real_home_env)
    assert r.returncode == 0, r.stderr
    assert "ok" in r.stdout and "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32" in r.stdout


def test_fill_in_the_middle_with_the_model_fim_tokens(engine: LlamaCppEngine) -> None:
    request = Request(
        prompt="def add(a, b):\n    ",
        suffix="\n\nprint(add(1, 2))\n",
        params=GenerationParams(max_tokens=16, temperature=0),
    )
    assert "return" in engine.complete(request).text


def test_json_schema_constrains_the_output(engine: LlamaCppEngine) -> None:
    schema = {
        "type": "object",
        "properties": {"function_name": {"type": "string"}, "arguments": {"type": "integer"}},
        "required": ["function_name", "arguments"],
    }
    params = GenerationParams(max_tokens=48, temperature=0, json_schema=schema)
    text = engine.complete(Request.chat([Message("user", "Describe a function that adds two numbers.")], params)).text
    data = json.loads(text)
    assert isinstance(data["function_name"], str) and isinstance(data["arguments"], int)


def test_fast_grammar_decoding_picks_the_same_tokens_as_llama_cpp_python(engine: LlamaCppEngine) -> None:
    """aigc asks the grammar only about the token it picks; llama-cpp-python's sampler judges the whole
    vocabulary every step. Greedy, both must give the same tokens; a prompt that invites prose tests
    that the grammar really steers (the model's first choice is refused at once)."""
    from llama_cpp.llama_grammar import LlamaGrammar

    schema = {
        "type": "object",
        "properties": {"name": {"type": "string"}, "fields": {"type": "array", "items": {"type": "string"}}},
        "required": ["name", "fields"],
    }
    request = Request.chat([Message("user", "Tell me about a table of books, in a sentence.")],
                           GenerationParams(max_tokens=24, temperature=0, json_schema=schema))  # fmt: skip
    tokens = engine.prompt_tokens(request)
    engine.forget_cache()
    ours = engine.complete(request).text
    engine.forget_cache()
    grammar = LlamaGrammar.from_json_schema(json.dumps(schema), verbose=False)
    theirs = []
    for token in engine.llama.generate(tokens, temp=0, top_k=40, top_p=0.95, min_p=0.05, grammar=grammar):
        if len(theirs) == 24 or token == engine.llama.token_eos():
            break
        theirs.append(token)
    assert ours.startswith("{")
    assert ours == engine.llama.detokenize(theirs).decode("utf-8", "replace")


def test_candidates_decoded_together_are_the_ones_decoded_alone(engine: LlamaCppEngine) -> None:
    """n answers to one prompt share its KV cache and one batch per step; each has its own sampler. Greedy
    text is exactly what it is alone; a sampled answer keeps its settings and stops on its own."""
    messages = [Message("user", "Write a Python function that checks whether a number is prime.")]
    greedy = Request.chat(messages, GenerationParams(max_tokens=32, temperature=0.0))
    sampled = [
        Request.chat(messages, GenerationParams(max_tokens=m, temperature=0.8, seed=s)) for s, m in ((7, 20), (8, 32))
    ]
    engine.forget_cache()
    alone = engine.complete(greedy)
    streamed: list[str] = []
    engine.forget_cache()
    together = engine.decode_together([greedy, *sampled], on_text=streamed.append)
    assert together[0].text == alone.text and together[0].usage == alone.usage
    assert "".join(streamed) == together[0].text  # the first answer streams while all are decoded
    assert together[1].usage.completion_tokens <= 20 and together[2].usage.completion_tokens <= 32
    assert together[1].usage.completion_tokens == 20 or together[1].finish_reason == "stop"
    assert len({c.text for c in together}) > 1  # the samples are not copies of the greedy answer


def test_requests_that_do_not_fit_one_context_together_are_decoded_in_groups(engine: LlamaCppEngine) -> None:
    room = engine.context_size // 2  # two such answers fit the context of 4096 with the prompt, three do not
    params = GenerationParams(max_tokens=room - 64, temperature=0.0, stop=(" 6",))
    request = Request(prompt="1, 2, 3,", params=params)
    done = engine.decode_together([request, request, request])
    assert [c.text for c in done] == [done[0].text] * 3
    assert done[0].text.startswith(" 4, 5,") and all(c.finish_reason == "stop" for c in done)


def test_a_stop_ends_answers_decoded_together_at_the_next_step(engine: LlamaCppEngine) -> None:
    params = GenerationParams(max_tokens=40, temperature=0.8, seed=5)
    request = Request.chat([Message("user", "Count from 1 to 50.")], params)
    steps: list[int] = []

    def stop() -> bool:
        steps.append(1)
        return len(steps) > 6

    done = engine.decode_together([request, request, request], stop=stop)
    assert len(done) == 3 and all(c.usage.completion_tokens == 0 for c in done)  # no done chunk: cut short
    assert len(steps) == 7
    again = engine.decode_together([replace(request, params=replace(params, max_tokens=8))] * 2)
    assert all(c.usage.completion_tokens == 8 for c in again)  # the context is ready for the next call


def test_a_stream_closed_halfway_leaves_the_engine_ready(engine: LlamaCppEngine) -> None:
    request = Request.chat([Message("user", "Count from 1 to 50.")], GenerationParams(max_tokens=40, temperature=0.0))
    stream = engine.stream(request)
    next(stream)
    stream.close()
    engine.forget_cache()
    full = engine.complete(request)
    again = engine.complete(replace(request, params=replace(request.params, n=2, temperature=0.8, seed=3)))
    assert full.usage.completion_tokens == 40 and len(again.choices) == 2
