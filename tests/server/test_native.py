"""Native endpoints: verified generation, chat kept in SQLite history, health; over real HTTP."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from aigc.engines.base import GenerationParams, Request
from aigc.engines.fake import FakeEngine
from tests.server.conftest import ServerFactory, free_port


def events(response: httpx.Response) -> list[tuple[str, Any]]:
    """(event, data) pairs of a server-sent event stream."""
    out = []
    for block in response.text.split("\n\n"):
        name, data = "message", []
        for line in block.splitlines():
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                data.append(line[6:])
        if data:
            out.append((name, json.loads("\n".join(data))))
    return out


AVERAGE = "```python\ndef average(a, b):\n    return (a + b) / 2\n```"
AVERAGE_TESTS = "```python\nassert average(2, 4) == 3\nassert average(1, 2) == 1.5\n```"


def scripted(request: Request) -> str:
    """The generation prompt gets the code; the separate test-writing prompt gets tests."""
    text = request.messages[-1].content if request.messages else ""
    return AVERAGE_TESTS if "assert" in text.lower() or "test" in text.lower() else AVERAGE


def test_verified_generation_returns_the_code_and_its_report(serve: ServerFactory) -> None:
    live = serve(FakeEngine(scripted))
    body = {"requirement": "写一个函数 average(a, b)，例如 average(2, 4) 返回 3", "n": 2}
    r = httpx.post(live.url + "/api/generate", json=body, timeout=120)
    assert r.status_code == 200, r.text
    result = r.json()
    assert "def average" in result["code"] and result["language"] == "python"
    v = result["verification"]
    assert v["passed"] is True and v["candidates"] >= 1
    assert any(t["source"] == "example" and t["passed"] for t in v["tests"])  # from 例如 ... 返回 3


def test_verified_generation_streams_text_progress_then_the_result(serve: ServerFactory) -> None:
    live = serve(FakeEngine(scripted))
    body = {"requirement": "average(a, b), e.g. average(2, 4) returns 3", "n": 1}
    r = httpx.post(live.url + "/api/generate/stream", json=body, timeout=120)
    got = events(r)
    names = [n for n, _ in got]
    assert names[-1] == "result" and "progress" in names and "text" in names
    assert names.index("text") < names.index("result")
    streamed = "".join(d["text"] for n, d in got if n == "text")
    assert "def average" in streamed
    assert got[-1][1]["verification"]["passed"] is True


def test_generation_refuses_bad_input_before_the_model(serve: ServerFactory) -> None:
    live = serve(FakeEngine(scripted))
    for body, words in [
        ({"requirement": "   "}, "empty"),
        ({"requirement": "x", "language": "klingon"}, "unknown language"),
        ({"requirement": "x", "n": 50}, "n:"),
        ({"requirement": "x", "max_tokens": 10**6}, "limit of 4096"),
        ({"requirement": "x", "tests": "def test_(:\n"}, "not valid Python"),
    ]:
        r = httpx.post(live.url + "/api/generate", json=body, timeout=60)
        assert r.status_code == 400 and words in r.json()["error"]["message"], (body, r.text)
    assert live.engine.requests == []  # type: ignore[attr-defined]


def test_chat_is_kept_per_conversation_and_listed(serve: ServerFactory) -> None:
    engine = FakeEngine(lambda req: f"reply to {req.messages[-1].content} after {len(req.messages)} messages")
    live = serve(engine)
    first = events(httpx.post(live.url + "/api/chat", json={"message": "写一个冒泡排序"}, timeout=30))
    assert first[0][0] == "conversation" and first[-1][0] == "done"
    conv = first[0][1]["id"]
    assert "".join(d["text"] for n, d in first if n == "text") == "reply to 写一个冒泡排序 after 2 messages"
    second = events(
        httpx.post(live.url + "/api/chat", json={"message": "再快一点", "conversation_id": conv}, timeout=30)
    )
    assert "after 4 messages" in "".join(d["text"] for n, d in second if n == "text")  # system + the earlier turn
    listed = httpx.get(live.url + "/api/conversations").json()
    assert [(c["id"], c["title"]) for c in listed] == [(conv, "写一个冒泡排序")]
    kept = httpx.get(f"{live.url}/api/conversations/{conv}").json()["messages"]
    assert [(m["role"], m["status"]) for m in kept] == [("user", "done"), ("assistant", "done")] * 2
    assert httpx.delete(f"{live.url}/api/conversations/{conv}").status_code == 204
    assert httpx.get(f"{live.url}/api/conversations/{conv}").status_code == 404
    unknown = httpx.post(live.url + "/api/chat", json={"message": "x", "conversation_id": "nope"})
    assert unknown.status_code == 404


def test_chat_samples_as_aigc_chat_does_unless_a_temperature_is_asked(serve: ServerFactory) -> None:
    engine = FakeEngine(["hello"] * 3)
    live = serve(engine)
    events(httpx.post(live.url + "/api/chat", json={"message": "hi"}, timeout=30))
    events(httpx.post(live.url + "/api/chat", json={"message": "hi", "temperature": 0.0}, timeout=30))
    assert [r.params.temperature for r in engine.requests] == [0.3, 0.0]  # tasks.chat.CHAT_TEMPERATURE


def test_health_and_info(serve: ServerFactory) -> None:
    live = serve(FakeEngine(context_size=2048))
    assert httpx.get(live.url + "/api/health").json()["status"] == "ok"
    info = httpx.get(live.url + "/api/info").json()
    assert info["model"] == "fake" and info["context_size"] == 2048 and info["auth"] is False
    assert info["limits"]["max_tokens"] == 4096


def _serve_process(tmp_path: Path, port: int, replies: list[str], delay: float) -> subprocess.Popen[bytes]:
    replies_file = tmp_path / "replies.json"
    replies_file.write_text(json.dumps(replies))
    env = {**os.environ, "AIGC_ENGINE": "fake", "AIGC_FAKE_REPLIES": str(replies_file),
           "AIGC_FAKE_DELAY_S": str(delay)}  # fmt: skip
    proc = subprocess.Popen([sys.executable, "-m", "aigc", "serve", "--port", str(port), "--data-dir",
                             str(tmp_path / "data")], env=env, stderr=subprocess.DEVNULL)  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise AssertionError("aigc serve did not start")


def test_a_server_killed_mid_answer_loses_neither_question_nor_partial_answer(tmp_path: Path) -> None:
    port = free_port()
    proc = _serve_process(tmp_path, port, ["chunk " * 300], delay=0.02)
    url = f"http://127.0.0.1:{port}"
    try:
        with httpx.stream("POST", url + "/api/chat", json={"message": "讲一个很长的故事"}, timeout=30) as r:
            lines = r.iter_lines()
            conv = json.loads(next(x for x in lines if x.startswith("data: "))[6:])["id"]
            texts = 0
            for line in lines:
                texts += line.startswith("data: ") and "chunk" in line
                if texts >= 60:  # past the first save of the partial answer
                    break
            os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(10)
    proc = _serve_process(tmp_path, port, ["fresh answer"], delay=0)
    try:
        kept = httpx.get(f"{url}/api/conversations/{conv}").json()["messages"]
        assert kept[0]["role"] == "user" and kept[0]["content"] == "讲一个很长的故事"
        assert kept[1]["role"] == "assistant" and kept[1]["status"] == "interrupted"
        assert kept[1]["content"].startswith("chunk chunk") and len(kept[1]["content"]) < len("chunk " * 300)
        # The conversation carries on after the restart.
        more = events(httpx.post(url + "/api/chat", json={"message": "继续", "conversation_id": conv}, timeout=30))
        assert more[-1][0] == "done"
    finally:
        proc.terminate()
        proc.wait(10)


def test_a_question_that_failed_is_not_fed_back_to_the_model(serve: ServerFactory) -> None:
    engine = FakeEngine(lambda req: f"seen {[m.role for m in req.messages]}", context_size=100)
    live = serve(engine, max_tokens_limit=20, defaults=GenerationParams(max_tokens=20, temperature=0.0))
    too_long = events(httpx.post(live.url + "/api/chat", json={"message": "word " * 80}, timeout=30))
    conv = too_long[0][1]["id"]
    assert too_long[-1][0] == "error" and "context size of 100" in too_long[-1][1]["message"]
    after = events(httpx.post(live.url + "/api/chat", json={"message": "short", "conversation_id": conv}, timeout=30))
    assert "".join(d["text"] for n, d in after if n == "text") == "seen ['system', 'user']"
