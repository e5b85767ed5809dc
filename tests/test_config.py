from __future__ import annotations

from pathlib import Path

import pytest

from aigc.config import load_settings
from aigc.errors import ConfigError


def test_defaults_use_the_embedded_engine() -> None:
    s = load_settings()
    assert s.engine_name == "llamacpp"
    assert s.model_name == "qwen2.5-coder-0.5b-instruct"
    assert s.n_ctx == 8192


def test_toml_then_env_then_flags(monkeypatch: pytest.MonkeyPatch) -> None:
    Path("aigc.toml").write_text('max_tokens = 300\nmodel = "1.5b"\napi_base = "http://gpu:8000/v1"\n')
    s = load_settings()
    assert (s.max_tokens, s.model, s.engine_name) == (300, "1.5b", "openai")
    monkeypatch.setenv("AIGC_MAX_TOKENS", "200")
    assert load_settings().max_tokens == 200
    assert load_settings(max_tokens=100).max_tokens == 100


def test_api_key_from_openai_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    assert load_settings().resolved_api_key() == "sk-test"
    monkeypatch.setenv("AIGC_API_KEY", "mine")
    assert load_settings().resolved_api_key() == "mine"


def test_bad_values_name_the_field_and_the_file(monkeypatch: pytest.MonkeyPatch) -> None:
    Path("aigc.toml").write_text("n_ctx = 10\n")
    with pytest.raises(ConfigError, match=r"aigc\.toml.*n_ctx.*256"):
        load_settings()
    Path("aigc.toml").write_text("max_tokenz = 10\n")
    with pytest.raises(ConfigError, match="max_tokenz"):
        load_settings()
    Path("aigc.toml").write_text("this is not toml\n")
    with pytest.raises(ConfigError, match=r"aigc\.toml"):
        load_settings()


def test_explicit_config_file_must_exist(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("AIGC_CONFIG", str(tmp_path / "nope.toml"))
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings()


def test_the_servers_settings_come_from_the_toml_table_the_environment_and_flags(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert (load_settings().server.port, load_settings().server.max_waiting) == (8321, 16)  # the one default
    Path("aigc.toml").write_text('[server]\nport = 9000\nmax_waiting = 3\nallowed_hosts = ["aigc.lan"]\n')
    s = load_settings()
    assert (s.server.port, s.server.max_waiting, s.server.allowed_hosts) == (9000, 3, ["aigc.lan"])
    monkeypatch.setenv("AIGC_SERVER__MAX_WAITING", "5")
    assert load_settings().server.max_waiting == 5
    flagged = load_settings(server={"port": 9100})  # a flag changes its key and keeps the table's others
    assert (flagged.server.port, flagged.server.max_waiting, flagged.server.allowed_hosts) == (9100, 5, ["aigc.lan"])
    Path("aigc.toml").write_text("[server]\nprot = 1\n")
    with pytest.raises(ConfigError, match=r"server\.prot"):
        load_settings()
