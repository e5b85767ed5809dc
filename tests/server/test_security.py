"""Who may use the server: loopback by default, keys beyond it, no CORS unless asked, request ids in logs."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import openai
import pytest

from aigc.server.security import check_bind, is_loopback, key_matches
from tests.conftest import run_aigc
from tests.server.conftest import ServerFactory

KEY = "k3y-for-tests-0123456789abcdef"


def test_with_keys_the_api_wants_one_and_the_page_still_loads(serve: ServerFactory) -> None:
    live = serve(api_keys=[KEY, "another-key-0123456789"])
    with (
        openai.OpenAI(base_url=live.v1, api_key="wrong-key", max_retries=0) as bad,
        pytest.raises(openai.AuthenticationError),
    ):
        bad.models.list()
    with openai.OpenAI(base_url=live.v1, api_key=KEY, max_retries=0) as good:
        assert [m.id for m in good.models.list()] == ["fake"]
    assert httpx.get(live.url + "/api/info").status_code == 401
    assert httpx.get(live.url + "/api/info", headers={"X-API-Key": KEY}).status_code == 200
    assert (
        httpx.get(live.url + "/api/conversations", headers={"Authorization": "Bearer " + KEY[:-1]}).status_code == 401
    )
    page = httpx.get(live.url + "/")
    assert page.status_code == 200 and "<title>aigc-coder</title>" in page.text
    assert httpx.get(live.url + "/static/app.js").status_code == 200
    assert httpx.get(live.url + "/api/health").status_code == 200


def test_keys_are_compared_with_every_key() -> None:
    keys = ["a" * 20, "b" * 20]
    assert key_matches("b" * 20, keys) and key_matches("a" * 20, keys)
    assert not key_matches("a" * 19, keys) and not key_matches("", keys) and not key_matches("b" * 20, [])


def test_binding_beyond_loopback_needs_keys(tmp_path: Path) -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5") and not is_loopback("example.com")
    check_bind("127.0.0.1", [])
    r = run_aigc("serve", "--host", "0.0.0.0", "--engine", "fake")
    assert r.returncode == 2 and "refusing to serve on 0.0.0.0 without API keys" in r.stderr
    short = tmp_path / "keys.txt"
    short.write_text("# keys\nshort\n")
    r = run_aigc("serve", "--host", "0.0.0.0", "--api-key-file", str(short), "--engine", "fake")
    assert r.returncode == 2 and "shorter than 16 characters" in r.stderr
    r = run_aigc("serve", "--api-key-file", str(tmp_path / "missing.txt"), "--engine", "fake")
    assert r.returncode == 2 and "cannot read the API key file" in r.stderr


def test_a_settings_file_cannot_expose_the_server_without_keys(tmp_path: Path) -> None:
    toml = tmp_path / "aigc.toml"
    toml.write_text('[server]\nhost = "0.0.0.0"\n')
    r = run_aigc("serve", "--engine", "fake", env={"AIGC_CONFIG": str(toml)})
    assert r.returncode == 2 and "refusing to serve on 0.0.0.0 without API keys" in r.stderr
    r = run_aigc("serve", "--engine", "fake", env={"AIGC_SERVER__HOST": "192.168.1.5"})
    assert r.returncode == 2 and "without API keys" in r.stderr


def test_no_cors_unless_configured(serve: ServerFactory) -> None:
    plain = serve()
    r = httpx.get(plain.url + "/api/health", headers={"Origin": "http://evil.example"})
    assert "access-control-allow-origin" not in r.headers
    allowed = serve(cors_origins=["http://editor.example"], api_keys=[KEY])
    preflight = httpx.options(allowed.v1 + "/chat/completions", headers={
        "Origin": "http://editor.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type"})  # fmt: skip
    assert preflight.status_code == 200  # answered without a key, as browsers send none in a preflight
    assert preflight.headers["access-control-allow-origin"] == "http://editor.example"
    other = httpx.get(allowed.url + "/api/health", headers={"Origin": "http://evil.example"})
    assert "access-control-allow-origin" not in other.headers


def test_request_ids_are_echoed_and_logged(serve: ServerFactory, caplog: pytest.LogCaptureFixture) -> None:
    live = serve()
    with caplog.at_level(logging.INFO, logger="aigc.server"):
        r = httpx.get(live.url + "/api/health", headers={"X-Request-ID": "trace-42"})
        odd = httpx.get(live.url + "/api/health", headers={"X-Request-ID": "bad id\twith spaces"})
    assert r.headers["x-request-id"] == "trace-42"
    assert odd.headers["x-request-id"] != "bad id\twith spaces" and len(odd.headers["x-request-id"]) == 16
    logged = [rec for rec in caplog.records if "GET /api/health 200" in rec.getMessage()]
    assert logged and getattr(logged[0], "request_id", None) == "trace-42"
