from __future__ import annotations

import socket

import pytest

from aigc.engines.base import GenerationParams, Message, Request, Stopwatch
from aigc.engines.fake import FakeEngine, split_pieces
from aigc.engines.llamacpp import physical_cores
from aigc.engines.openai_compat import OpenAIEngine
from aigc.engines.stops import StopFilter
from aigc.errors import ContextOverflow, EngineUnavailable


def chat(text: str, **params: object) -> Request:
    return Request.chat([Message("user", text)], GenerationParams(**params))  # type: ignore[arg-type]


def test_request_holds_messages_or_prompt() -> None:
    with pytest.raises(ValueError):
        Request()
    with pytest.raises(ValueError):
        Request(messages=(Message("user", "x"),), prompt="y")
    with pytest.raises(ValueError, match="max_tokens"):
        GenerationParams(max_tokens=0)


def test_fake_engine_streams_pieces_then_totals() -> None:
    engine = FakeEngine(["hello big world"])
    chunks = list(engine.stream(chat("hi")))
    assert "".join(c.text for c in chunks) == "hello big world"
    assert [c.done for c in chunks] == [False, False, False, True]
    last = chunks[-1]
    assert last.usage is not None and last.usage.completion_tokens == 3
    assert last.finish_reason == "stop"


def test_fake_engine_complete_n_and_length() -> None:
    engine = FakeEngine(["a b c d", "x"])
    done = engine.complete(chat("hi", n=2, max_tokens=2))
    assert [c.text for c in done.choices] == ["a b", "x"]
    assert [c.finish_reason for c in done.choices] == ["length", "stop"]
    assert done.usage.completion_tokens == 3


def test_fake_engine_context_overflow_names_both_numbers() -> None:
    engine = FakeEngine(["x"], context_size=50)
    with pytest.raises(ContextOverflow) as info:
        list(engine.stream(chat("word " * 60, max_tokens=10)))
    assert info.value.context_size == 50
    assert f"{info.value.prompt_tokens} prompt tokens + 10 max_tokens" in str(info.value)


def test_split_pieces_round_trip() -> None:
    text = "def f(x):\n    return x  # 中文\n"
    assert "".join(split_pieces(text)) == text


def test_stop_filter_holds_back_only_possible_stop_prefixes() -> None:
    f = StopFilter(("</end>",))
    assert f.feed("abc<") == "abc"
    assert f.feed("/e") == ""
    assert f.feed("x") == "</ex"
    assert f.feed("tail</end>more") == "tail"
    assert f.stopped


def test_stop_filter_without_stops_passes_everything() -> None:
    f = StopFilter(())
    assert f.feed("abc") == "abc" and f.flush() == ""


def test_stopwatch_decode_rate_excludes_first_token() -> None:
    watch = Stopwatch()
    watch.token()
    t = watch.timings(1)
    assert t.tokens_per_s == 0.0 and t.ttft_s >= 0


def test_physical_cores_is_positive() -> None:
    assert physical_cores() >= 1


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_openai_engine_server_not_answering_names_the_url() -> None:
    url = f"http://127.0.0.1:{_closed_port()}/v1"
    engine = OpenAIEngine(url, model="m", max_retries=0, timeout_s=5)
    with pytest.raises(EngineUnavailable) as info:
        list(engine.stream(chat("hi")))
    assert url in str(info.value)
    engine.close()
