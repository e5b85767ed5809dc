from __future__ import annotations

import json
from pathlib import Path

import pytest

from aigc.engines.base import GenerationParams, Request
from aigc.engines.fake import FakeEngine
from aigc.errors import ContextOverflow, UsageError
from aigc.tasks.chat import ChatSession
from aigc.tasks.generate import generate, target_language

PY_REPLY = "Here you go:\n```python\ndef avg(a, b):\n    return (a + b) / 2\n```\n"


def test_generate_streams_and_extracts() -> None:
    engine = FakeEngine([PY_REPLY])
    seen: list[str] = []
    result = generate("计算两个数的平均值", engine, GenerationParams(), on_text=seen.append)
    assert "".join(seen) == PY_REPLY
    assert result.code == "def avg(a, b):\n    return (a + b) / 2\n"
    assert result.language == "python"
    assert [f.path for f in result.files] == ["main.py"]
    assert result.usage.completion_tokens == len(seen)
    doc = result.to_json()
    assert set(doc) >= {"code", "language", "files", "usage", "timings", "model"}
    assert set(doc["timings"]) == {"ttft_s", "tokens_per_s", "total_s"}
    assert doc["files"] == [{"path": "main.py", "content": result.code}]


def test_generate_prompt_names_the_language_and_requirement() -> None:
    engine = FakeEngine(["```javascript\nconst f = () => 1\n```"])
    generate("write a debounce function", engine, GenerationParams(), language="js")
    request = engine.requests[0]
    assert "javascript" in request.messages[-1].content
    assert "write a debounce function" in request.messages[-1].content


def test_first_candidate_is_greedy_others_sampled() -> None:
    engine = FakeEngine([PY_REPLY, "```python\nx = 1\n```", "```python\ny = 2\n```"])
    result = generate("avg", engine, GenerationParams(seed=7), n=3)
    temps = [r.params.temperature for r in engine.requests]
    assert temps == [0.0, 0.8, 0.8]
    assert len(result.candidates) == 3
    assert result.code.startswith("def avg")


def test_empty_requirement_and_unknown_language() -> None:
    with pytest.raises(UsageError, match="empty"):
        generate("  \n", FakeEngine(), GenerationParams())
    with pytest.raises(UsageError, match="unknown language"):
        target_language("x", "klingon")


def test_chat_keeps_history_and_resets() -> None:
    engine = FakeEngine(["I am fine.", "You said hello."])
    session = ChatSession(engine, GenerationParams())
    session.send("hello")
    turn = session.send("what did I say?")
    assert turn.reply == "You said hello."
    sent = engine.requests[1].messages
    assert [m.role for m in sent] == ["system", "user", "assistant", "user"]
    session.reset()
    assert session.messages == [session.system]


def test_chat_forgets_oldest_turns_to_fit_the_context() -> None:
    engine = FakeEngine(lambda r: "ok " * 30, context_size=200)
    session = ChatSession(engine, GenerationParams(max_tokens=40), system="s")
    dropped = 0
    for i in range(6):
        dropped += session.send(f"message {i} " + "pad " * 20).dropped_messages
    assert dropped > 0
    assert session.history[-1].content.startswith("ok")
    assert session.history[-2].content.startswith("message 5")


def test_chat_message_too_long_alone_is_an_error_and_not_kept() -> None:
    session = ChatSession(FakeEngine(context_size=50), GenerationParams(max_tokens=10))
    with pytest.raises(ContextOverflow):
        session.send("word " * 100)
    assert session.history == []


def test_chat_save_json_and_markdown(tmp_path: Path) -> None:
    session = ChatSession(FakeEngine(["answer"]), GenerationParams())
    session.send("question")
    data = json.loads(session.save(tmp_path / "c.json").read_text())
    assert [m["role"] for m in data["messages"]] == ["system", "user", "assistant"]
    md = session.save(tmp_path / "c.md").read_text()
    assert "## user" in md and "question" in md and "answer" in md


def test_chat_ctrl_c_keeps_partial_answer() -> None:
    engine = FakeEngine(["one two three"])
    session = ChatSession(engine, GenerationParams())

    def interrupt(text: str) -> None:
        if "two" in text:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        session.send("count", interrupt)
    assert session.history[-1].role == "assistant"
    assert session.history[-1].content == "one two"
    assert isinstance(engine.requests[0], Request)
