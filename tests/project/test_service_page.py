"""A service's page (issue 15): a form per operation of its document, driven in real Chromium against the
app served in the sandbox behind aigc's preview proxy, as `aigc new --run` serves it; the document's text
stays text."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from aigc.project.doc_checks import document_checks
from aigc.project.operations import operations
from aigc.project.runner import project_env, serving
from aigc.project.service import render_service
from aigc.server.preview import PreviewServer, Upstream, preview_app
from tests.project.test_service import HANDLERS, toolbox

HOSTILE = '<img src=x onerror="window.pwned=1">'


@pytest.fixture(scope="module")
def url(home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    doc = toolbox()
    doc["info"]["description"] = HOSTILE
    doc["paths"]["/convert"]["post"]["summary"] = HOSTILE
    ops, models = operations(doc)
    out = tmp_path_factory.mktemp("paged")
    files = render_service(doc, ops, models, HANDLERS, document_checks(doc, ops), title="Toolbox", requirement="")
    for rel, text in files.items():
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_text(text, encoding="utf-8")
    python = project_env(home, files["requirements.txt"])
    scratch = tmp_path_factory.mktemp("run")
    with serving(out, python, data=scratch / "data", log_path=scratch / "app.log") as served:
        proxy = PreviewServer(preview_app(lambda _: Upstream(served.socket), prefix=False)).start()
        try:
            yield f"http://127.0.0.1:{proxy.port}/"
        finally:
            proxy.stop()


def test_each_operation_has_a_form_that_sends_it_and_shows_the_answer(url: str, page: Page) -> None:
    page.goto(url)
    expect(page).to_have_url(url + "_app/")
    forms = page.locator("form[data-operation]")
    expect(forms).to_have_count(len(operations(toolbox())[0]))
    convert = page.locator('form[data-operation="POST /convert"]')
    convert.locator("textarea").fill('{"value": 100, "unit": "C"}')
    convert.get_by_role("button", name="Send").click()
    answer = page.locator("section", has=convert).locator("pre")
    expect(answer).to_contain_text("200")
    expect(answer).to_contain_text("212")
    words = page.locator('form[data-operation="POST /count-words"]')
    words.locator('input[type="file"]').set_input_files(
        {"name": "a.txt", "mimeType": "text/plain", "buffer": b"one two three"}
    )
    words.get_by_role("button", name="Send").click()
    expect(page.locator("section", has=words).locator("pre")).to_have_text("200 OK\n3")
    note = page.locator('form[data-operation="GET /notes/{noteId}"]')
    note.locator('input[data-name="noteId"]').fill("../../etc")
    note.get_by_role("button", name="Send").click()
    expect(page.locator("section", has=note).locator("pre")).to_contain_text("404")  # encoded, one path segment


def test_the_document_s_text_is_shown_as_text_and_the_page_is_locked_down(url: str, page: Page) -> None:
    page.goto(url + "_app/")
    expect(page.locator("#description")).to_have_text(HOSTILE)
    expect(page.locator("section").first).to_contain_text(HOSTILE)
    assert page.evaluate("window.pwned") is None and page.locator("main img").count() == 0
    served = httpx.get(url + "_app/", timeout=10)
    policy = served.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy.split("style-src")[0]
    assert httpx.get(url + "_app/..%2Fbackend%2Fmain.py", timeout=10).status_code == 404
    assert httpx.get(url + "_app/requirements.txt", timeout=10).status_code == 404
