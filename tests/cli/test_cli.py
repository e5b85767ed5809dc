from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from tests.conftest import run_aigc

REPLY = "Here:\n```python\ndef avg(a, b):\n    return (a + b) / 2\n```\n"


@pytest.fixture
def fake(tmp_path: Path) -> dict[str, str]:
    replies = tmp_path / "replies.json"
    replies.write_text(json.dumps([REPLY]))
    return {"AIGC_ENGINE": "fake", "AIGC_FAKE_REPLIES": str(replies)}


def test_gen_json_prints_one_object(fake: dict[str, str]) -> None:
    r = run_aigc("gen", "--json", "计算两个数的平均值", env=fake)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["code"] == "def avg(a, b):\n    return (a + b) / 2\n"
    assert doc["language"] == "python"
    assert doc["files"] == [{"path": "main.py", "content": doc["code"]}]
    assert doc["usage"]["completion_tokens"] > 0
    assert set(doc["timings"]) == {"ttft_s", "tokens_per_s", "total_s"}
    assert doc["model"] == "fake"


def test_gen_reads_stdin_and_pipes_only_code_to_stdout(fake: dict[str, str]) -> None:
    r = run_aigc("gen", input="实现快速排序\n", env=fake)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "def avg(a, b):\n    return (a + b) / 2\n"
    assert "Here:" in r.stderr  # the stream is still shown, on stderr
    assert "tokens/s" in r.stderr


def test_gen_from_file_and_output_file(fake: dict[str, str], tmp_path: Path) -> None:
    req = tmp_path / "req.txt"
    req.write_text("write a debounce function", encoding="utf-8")
    target = tmp_path / "out" / "avg.py"
    r = run_aigc("gen", "-f", str(req), "-o", str(target), env=fake)
    assert r.returncode == 0, r.stderr
    assert target.read_text() == "def avg(a, b):\n    return (a + b) / 2\n"
    assert f"wrote {target}" in r.stderr.replace("\n", "")


def test_gen_output_dir_writes_named_files(tmp_path: Path) -> None:
    replies = tmp_path / "r.json"
    replies.write_text(json.dumps(["**app.py**\n```python\nx = 1\n```\n**web/index.html**\n```html\n<p>hi</p>\n```\n"]))
    r = run_aigc("gen", "an app", "-o", str(tmp_path / "proj") + "/",
                 env={"AIGC_ENGINE": "fake", "AIGC_FAKE_REPLIES": str(replies)})  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "proj" / "app.py").read_text() == "x = 1\n"
    assert (tmp_path / "proj" / "web" / "index.html").read_text() == "<p>hi</p>\n"


def test_empty_requirement_exits_2(fake: dict[str, str]) -> None:
    r = run_aigc("gen", "   ", env=fake)
    assert r.returncode == 2
    assert "requirement is empty" in r.stderr
    assert "Traceback" not in r.stderr
    assert run_aigc("gen", input="", env=fake).returncode == 2


def test_unknown_model_lists_the_known_ones() -> None:
    r = run_aigc("gen", "x", "--model", "gpt-17")
    assert r.returncode == 1
    assert "unknown model 'gpt-17'" in r.stderr
    assert "qwen2.5-coder-0.5b-instruct" in r.stderr
    assert "Traceback" not in r.stderr


def test_not_gguf_file_is_a_clear_error(tmp_path: Path) -> None:
    bogus = tmp_path / "model.gguf"
    bogus.write_text("not a model")
    r = run_aigc("gen", "x", "--model", str(bogus))
    assert r.returncode == 1
    assert "is not a GGUF model file" in r.stderr


def test_server_not_answering_names_the_url_without_traceback() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/v1"
    r = run_aigc("gen", "x", "--api-base", url, "--model", "m", env={"AIGC_API_TIMEOUT_S": "5"})
    assert r.returncode == 1
    assert url in r.stderr and "did not answer" in r.stderr
    assert "Traceback" not in r.stderr


def test_chat_two_turns_commands_and_save(fake: dict[str, str], tmp_path: Path) -> None:
    script = f"hello\n/help\nsecond question\n/save {tmp_path / 't.json'}\n/reset\n/exit\n"
    r = run_aigc("chat", input=script, env=fake)
    assert r.returncode == 0, r.stderr
    assert r.stdout.count("def avg") == 2
    saved = json.loads((tmp_path / "t.json").read_text())
    assert [m["role"] for m in saved["messages"]] == ["system", "user", "assistant", "user", "assistant"]
    assert "conversation forgotten" in r.stderr


def test_model_list_info_and_config_show() -> None:
    r = run_aigc("model", "list")
    assert r.returncode == 0 and "qwen2.5-coder-1.5b-instruct" in r.stdout
    r = run_aigc("model", "info", "1.5b")
    assert r.returncode == 0
    assert "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046" in r.stdout
    assert "aigc-coder[model-1.5b]" in r.stdout
    r = run_aigc("config", "show", env={"AIGC_MAX_TOKENS": "77", "AIGC_API_KEY": "secret-key"})
    assert r.returncode == 0
    assert "77" in r.stdout and "AIGC_MAX_TOKENS" in r.stdout
    assert "secret-key" not in r.stdout


def test_config_show_lists_the_servers_settings_with_where_each_comes_from(tmp_path: Path) -> None:
    (tmp_path / "aigc.toml").write_text("[server]\nport = 9000\n")
    env = {"AIGC_CONFIG": str(tmp_path / "aigc.toml"), "AIGC_SERVER__MAX_WAITING": "3"}
    r = run_aigc("config", "show", env=env)
    assert r.returncode == 0, r.stderr
    rows = {line.split("│")[1].strip(): line for line in r.stdout.splitlines() if line.count("│") >= 4}
    assert "9000" in rows["server.port"] and "[server] in" in rows["server.port"]
    assert "3" in rows["server.max_waiting"] and "AIGC_SERVER__MAX_WAITING" in rows["server.max_waiting"]
    assert "8321" not in r.stdout and "default" in rows["server.host"]


def test_bad_config_exits_2() -> None:
    r = run_aigc("config", "show", env={"AIGC_N_CTX": "lots"})
    assert r.returncode == 2
    assert "n_ctx" in r.stderr


def test_gen_json_has_the_verification_object(fake: dict[str, str], tmp_path: Path) -> None:
    tests = tmp_path / "test_avg.py"
    tests.write_text("def test_avg():\n    assert avg(2, 4) == 3\n")
    r = run_aigc("gen", "--json", "--tests", str(tests), "写一个函数 avg，例如 avg(1, 3) 返回 2", env=fake)
    assert r.returncode == 0, r.stderr
    v = json.loads(r.stdout)["verification"]
    assert set(v) >= {"passed", "candidates", "rounds", "checks", "tests"}
    assert v["passed"] is True
    assert [(t["source"], t["passed"]) for t in v["tests"]] == [("example", True), ("user", True)]
    assert all(set(t) == {"source", "name", "passed", "output", "error"} for t in v["tests"])
    assert v["grade"].startswith("passes 2 of 2 tests from the requirement's examples and your tests")
    assert {c["tool"] for c in v["checks"]} >= {"compile", "ruff", "bandit"}


def test_gen_no_verify_and_missing_tests_file(fake: dict[str, str], tmp_path: Path) -> None:
    r = run_aigc("gen", "--json", "--no-verify", "avg", env=fake)
    assert r.returncode == 0 and "verification" not in json.loads(r.stdout)
    r = run_aigc("gen", "--tests", str(tmp_path / "nope.py"), "avg", env=fake)
    assert r.returncode == 2 and "no test file" in r.stderr


def test_gen_report_on_a_terminal_less_run(fake: dict[str, str]) -> None:
    r = run_aigc("gen", "写一个函数 avg，例如 avg(1, 3) 返回 2", env=fake)
    assert r.returncode == 0, r.stderr
    assert "verified" in r.stderr and "avg(1, 3) == 2" in r.stderr


def test_unknown_option_is_a_usage_error_exit_2() -> None:
    r = run_aigc("gen", "--bogus", "x")
    assert r.returncode == 2
    assert "No such option: --bogus" in r.stderr and "Traceback" not in r.stderr
