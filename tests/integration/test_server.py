"""aigc serve on the real embedded model: the official openai client (streaming, fill-in-the-middle) and the page."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import openai
import pytest
from playwright.sync_api import expect, sync_playwright

from aigc.engines.base import GenerationParams
from aigc.engines.llamacpp import LlamaCppEngine
from tests.conftest import CHROMIUM, FLAGS
from tests.server.conftest import Live, config_for, start

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def live(engine: LlamaCppEngine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    tmp = tmp_path_factory.mktemp("serve")
    config = config_for(tmp, tmp / "home", defaults=GenerationParams(max_tokens=32, temperature=0.0), temperature=0.0)
    # greedy everywhere, the page's chat too (a conversation samples at 0.3 unless the server is started with one)
    served, handle = start(engine, config)
    yield served
    handle.stop()


@pytest.fixture
def client(live: Live) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=live.v1, api_key="unused", max_retries=0, timeout=120) as c:
        yield c


def test_streamed_chat_from_the_real_model(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(
        model="anything", messages=[{"role": "user", "content": "用Python写一个函数，返回两个数的和"}],
        max_tokens=24, stream=True, stream_options={"include_usage": True},
    )  # fmt: skip
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert len([c for c in chunks if c.choices and c.choices[0].delta.content]) > 5  # token by token
    assert "def" in text or "```" in text
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 24
    assert chunks[-1].model == "qwen2.5-coder-0.5b-instruct"


def test_fill_in_the_middle_uses_the_code_after_the_cursor(client: openai.OpenAI) -> None:
    done = client.completions.create(
        model="anything", prompt="def add(a, b):\n    return ", suffix="\n\nprint(add(1, 2))\n", max_tokens=16
    )
    assert done.choices[0].text.startswith("a + b")
    assert done.usage is not None and 0 < done.usage.completion_tokens <= 16


def test_the_page_chats_with_the_real_model(live: Live) -> None:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page()
        page.goto(live.url + "/")
        expect(page.locator("#model")).to_contain_text("qwen2.5-coder-0.5b-instruct")
        page.fill("#chat-input", "What does len([1, 2, 3]) return in Python?")
        page.click("#chat-send")
        answer = page.locator(".msg.assistant").last
        expect(answer).to_have_attribute("data-done", "true", timeout=120_000)
        assert "3" in answer.inner_text()
        browser.close()


def test_why_this_token_view_on_the_page(live: Live) -> None:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(live.url + "/#inspect")
        page.fill("#inspect-input", "def add(a, b):\n")
        page.fill("#inspect-tokens", "6")
        page.click("#inspect-run")
        generated = page.locator("#inspect-result .tok.gen")
        expect(generated).to_have_count(6, timeout=180_000)
        expect(page.locator("#inspect-result .tok.prompt").first).to_have_text("def")
        generated.nth(2).hover()
        detail = page.locator("#inspect-result .inspect-detail")
        expect(detail).to_contain_text("entropy")
        expect(detail).to_contain_text("attended most to")
        expect(detail.locator("table.alts tr")).to_have_count(5)
        assert errors == []
        browser.close()
    bad = httpx.post(live.url + "/api/inspect", json={"prompt": "x", "layer": 99, "head": 0}, timeout=120)
    assert bad.status_code == 400 and "no attention head 99:0" in bad.json()["error"]["message"]
