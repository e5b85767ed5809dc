"""The OpenAI-compatible API, through the official `openai` client, against a real uvicorn server on loopback."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import openai
import pytest

from aigc.engines.base import Request
from aigc.engines.fake import FakeEngine
from tests.server.conftest import ServerFactory, echo

_OPEN: list[openai.OpenAI] = []


def client(url: str, key: str = "unused") -> openai.OpenAI:
    c = openai.OpenAI(base_url=url, api_key=key, max_retries=0, timeout=30)
    _OPEN.append(c)
    return c


@pytest.fixture(autouse=True)
def _close_clients() -> Iterator[None]:
    yield
    while _OPEN:
        _OPEN.pop().close()


def test_models_and_a_chat_answer(serve: ServerFactory) -> None:
    live = serve()
    c = client(live.v1)
    assert [m.id for m in c.models.list()] == ["fake"]
    answer = c.chat.completions.create(model="anything", messages=[{"role": "user", "content": "写一个函数"}])
    assert answer.choices[0].message.content == "You said: 写一个函数"
    assert answer.choices[0].finish_reason == "stop" and answer.model == "fake"
    assert answer.usage is not None and answer.usage.completion_tokens == 3


def test_streaming_chat_arrives_in_pieces_with_usage_last(serve: ServerFactory) -> None:
    live = serve()
    stream = client(live.v1).chat.completions.create(
        model="fake", messages=[{"role": "user", "content": "one two three four"}], stream=True,
        stream_options={"include_usage": True},
    )  # fmt: skip
    chunks = list(stream)
    pieces = [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content]
    assert "".join(pieces) == "You said: one two three four" and len(pieces) == 6
    assert chunks[0].choices[0].delta.role == "assistant"
    finish = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finish == ["stop"]
    assert chunks[-1].choices == [] and chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 6


def test_completions_with_a_suffix_fill_in_the_middle(serve: ServerFactory) -> None:
    live = serve()
    c = client(live.v1)
    done = c.completions.create(model="fake", prompt="def add(a, b):\n", suffix="\nprint(add(1, 2))", max_tokens=50)
    assert done.choices[0].text == "<middle of 'def add(a, b):\\n' and '\\nprint(add(1, 2))'>"
    seen = live.engine.requests[-1]  # type: ignore[attr-defined]
    assert seen.prompt == "def add(a, b):\n" and seen.suffix == "\nprint(add(1, 2))" and not seen.messages
    streamed = c.completions.create(model="fake", prompt="x = ", suffix="\n", max_tokens=50, stream=True)
    assert "".join(ch.choices[0].text for ch in streamed if ch.choices) == "<middle of 'x = ' and '\\n'>"
    echoed = c.completions.create(model="fake", prompt="abc", max_tokens=50, echo=True)
    assert echoed.choices[0].text == "abcafter 'abc'"


def test_sampling_settings_reach_the_engine_and_n_gives_n_choices(serve: ServerFactory) -> None:
    live = serve()
    answer = client(live.v1).chat.completions.create(
        model="fake", messages=[{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi"}],
        temperature=0.7, top_p=0.5, max_tokens=2, stop=["END"], seed=9, n=2,
    )  # fmt: skip
    assert [c.message.content for c in answer.choices] == ["You said:", "You said:"]
    assert [c.finish_reason for c in answer.choices] == ["length", "length"]
    seen: list[Request] = live.engine.requests[-2:]  # type: ignore[attr-defined]
    p = seen[0].params
    assert (p.temperature, p.top_p, p.max_tokens, p.stop, p.seed) == (0.7, 0.5, 2, ("END",), 9)
    assert seen[1].params.seed == 10 and seen[0].messages[0].role == "system"


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"messages": []}, "messages"),
        ({"messages": [{"role": "user", "content": "x"}], "max_tokens": 100000}, "limit of 4096"),
        ({"messages": [{"role": "user", "content": "x"}], "temperature": -1}, "temperature"),
        ({"messages": [{"role": "wizard", "content": "x"}]}, "role"),
        ({"messages": [{"role": "user", "content": "   "}]}, "no user message"),
        ({"messages": [{"role": "user", "content": "x"}], "n": 99}, "n:"),
        ({"messages": [{"role": "user", "content": "x"}], "stop": ["a", "b", "c", "d", "e"]}, "stop"),
    ],
)
def test_bad_requests_get_400_with_a_message_naming_the_problem(serve: ServerFactory, body: dict, words: str) -> None:
    live = serve()
    with pytest.raises(openai.BadRequestError) as caught:
        client(live.v1).chat.completions.create(model="fake", **body)
    assert words in caught.value.message
    assert caught.value.body["type"] == "invalid_request_error"  # type: ignore[index]


def test_malformed_json_and_oversized_bodies_are_refused(serve: ServerFactory) -> None:
    live = serve(max_body_bytes=1000)
    bad = httpx.post(live.v1 + "/chat/completions", content=b"{not json", headers={"content-type": "application/json"})
    assert bad.status_code == 400 and "not valid JSON" in bad.json()["error"]["message"]
    big = httpx.post(live.v1 + "/chat/completions", json={"messages": [{"role": "user", "content": "x" * 5000}]})
    assert big.status_code == 413 and "limit of 1000 bytes" in big.json()["error"]["message"]

    def chunked() -> object:
        yield b'{"messages": [{"role": "user", "content": "'
        yield b"y" * 3000
        yield b'"}]}'

    sneaky = httpx.post(live.v1 + "/chat/completions", content=chunked(), headers={"content-type": "application/json"})
    assert sneaky.status_code == 413
    assert bad.headers["x-request-id"] and bad.headers["x-request-id"] != big.headers["x-request-id"]


def test_a_prompt_longer_than_the_context_is_a_400_before_any_stream(serve: ServerFactory) -> None:
    live = serve(FakeEngine(echo, context_size=50))
    c = client(live.v1)
    for stream in (False, True):
        with pytest.raises(openai.BadRequestError) as caught:
            c.chat.completions.create(model="fake", messages=[{"role": "user", "content": "x " * 100}], stream=stream,
                                      max_tokens=10)  # fmt: skip
        assert caught.value.code == "context_length_exceeded" and "context size of 50" in caught.value.message


def test_eight_clients_streaming_at_once_each_get_their_own_whole_answer(serve: ServerFactory) -> None:
    live = serve(FakeEngine(echo, delay_s=0.01))

    def ask(i: int) -> tuple[str, int]:
        words = " ".join(f"client{i}-word{j}" for j in range(12))
        stream = client(live.v1).chat.completions.create(
            model="fake", messages=[{"role": "user", "content": words}], stream=True
        )
        pieces = [c.choices[0].delta.content or "" for c in stream if c.choices]
        return "".join(pieces), len(pieces)

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(ask, range(8)))
    for i, (text, pieces) in enumerate(answers):
        assert text == "You said: " + " ".join(f"client{i}-word{j}" for j in range(12))
        assert pieces > 12  # streamed, not delivered whole
    assert live.app.state.queue.stats().served == 8


def test_a_client_that_disconnects_cancels_its_generation(serve: ServerFactory) -> None:
    engine = FakeEngine(["word " * 400], delay_s=0.02)  # about 8 s if nobody stopped it
    live = serve(engine)
    with httpx.stream("POST", live.v1 + "/chat/completions", timeout=30,
                      json={"messages": [{"role": "user", "content": "go"}], "stream": True}) as r:  # fmt: skip
        lines = r.iter_lines()
        got = [next(lines) for _ in range(6)]  # a few events arrive, then the client leaves
    assert any("word" in line for line in got)
    deadline = time.monotonic() + 10
    while engine.finished != ["cancelled"] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert engine.finished == ["cancelled"]
    assert live.app.state.queue.stats().cancelled == 1
    # The model is free again: the next request is served.
    assert client(live.v1).chat.completions.create(model="fake", messages=[{"role": "user", "content": "x"}])


def test_a_full_queue_answers_429_at_once(serve: ServerFactory) -> None:
    engine = FakeEngine(["slow " * 100], delay_s=0.02)
    live = serve(engine, max_waiting=1)
    body = {"messages": [{"role": "user", "content": "x"}]}
    started = threading.Event()

    def hold() -> int:
        started.set()
        return httpx.post(live.v1 + "/chat/completions", json=body, timeout=60).status_code

    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(hold)
        started.wait()
        while live.app.state.queue.stats().running == 0:
            time.sleep(0.01)
        second = pool.submit(hold)  # waits in line
        while live.app.state.queue.stats().waiting == 0:
            time.sleep(0.01)
        refused = httpx.post(live.v1 + "/chat/completions", json=body, timeout=60)
        assert refused.status_code == 429 and refused.headers["retry-after"]
        assert "already waiting" in refused.json()["error"]["message"]
        assert first.result() == 200 and second.result() == 200


def test_an_unknown_model_id_is_a_404_but_any_name_is_served(serve: ServerFactory) -> None:
    live = serve()
    with pytest.raises(openai.NotFoundError):
        client(live.v1).models.retrieve("gpt-4")
    assert client(live.v1).models.retrieve("fake").id == "fake"
