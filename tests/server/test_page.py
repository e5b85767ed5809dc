"""The web page in real headless Chromium (Debian's, driven by Playwright): chat, generate, new project."""

from __future__ import annotations

import json

from playwright.sync_api import Page, expect

from aigc.engines.base import Request
from aigc.engines.fake import FakeEngine
from tests.project.test_draft import REQ, draft
from tests.server.conftest import ServerFactory
from tests.server.test_native import scripted


def test_chat_streams_the_answer_and_keeps_the_conversation(serve: ServerFactory, page: Page) -> None:
    reply = "Here is bubble sort:\n```python\ndef bubble(xs):\n    return sorted(xs)  # step " + "x " * 60 + "\n```"
    live = serve(FakeEngine([reply], delay_s=0.03))
    page.goto(live.url + "/")
    page.fill("#chat-input", "写一个冒泡排序")
    page.press("#chat-input", "Enter")
    answer = page.locator(".msg.assistant").last
    expect(answer).to_contain_text("Here is bubble sort")  # while it streams
    assert answer.get_attribute("data-done") is None  # seen before the answer was complete
    expect(answer).to_have_attribute("data-done", "true", timeout=20_000)
    code = answer.locator("pre.code code")
    expect(code).to_contain_text("def bubble(xs):")
    assert code.get_attribute("data-lang") == "python" and code.locator("span.hl-keyword").count() >= 2
    # Kept: after a reload the conversation is listed and opens with both messages.
    page.reload()
    item = page.locator("#conversations li").first
    expect(item.locator("span")).to_have_text("写一个冒泡排序")
    item.click()
    expect(page.locator(".msg")).to_have_count(2)
    expect(page.locator(".msg.assistant")).to_contain_text("def bubble")
    item.hover()
    item.locator("button.forget").click()  # deleted from the history, and gone from the list
    expect(page.locator("#conversations li")).to_have_count(0)
    expect(page.locator(".msg")).to_have_count(0)


def test_code_is_highlighted_by_language_and_never_becomes_markup(serve: ServerFactory, page: Page) -> None:
    hostile = "<img src=x onerror=\"document.title='pwned'\">"
    reply = (
        "```typescript\ninterface User { name: string }\nconst tag = `" + hostile + "`;\n```\n"
        '```python\nprint(f"{name} ' + hostile + '")\n```\n'
        "```html\n" + hostile + "\n```"
    )
    live = serve(FakeEngine([reply]))
    page.goto(live.url + "/")
    page.fill("#chat-input", "show me")
    page.press("#chat-input", "Enter")
    answer = page.locator(".msg.assistant").last
    expect(answer).to_have_attribute("data-done", "true", timeout=20_000)
    ts, py, html = (answer.locator("pre.code code").nth(i) for i in range(3))
    assert ts.get_attribute("data-lang") == "typescript"
    assert "interface" in ts.locator("span.hl-keyword").all_text_contents()  # TypeScript, not JavaScript
    assert py.locator("span.hl-string-interpolation").count() == 1  # an f-string is an f-string
    assert html.locator("span.hl-tag").count() >= 1
    assert answer.locator("img").count() == 0 and page.title() != "pwned"  # the model's text stays text
    expect(html).to_contain_text(hostile)


def test_generate_shows_the_code_and_the_verification_report(serve: ServerFactory, page: Page) -> None:
    live = serve(FakeEngine(scripted))
    page.goto(live.url + "/#generate")
    page.fill("#gen-input", "写一个函数 average(a, b)，例如 average(2, 4) 返回 3")
    page.fill("#gen-n", "2")
    page.click("#gen-run")
    report = page.locator("#gen-report")
    expect(report).to_have_attribute("data-passed", "true", timeout=60_000)
    expect(report).to_contain_text("verified")
    expect(report.locator("table").last).to_contain_text("example")  # the test from 例如 ... 返回 3
    expect(page.locator("#gen-code code")).to_contain_text("def average(a, b):")
    expect(page.locator("#gen-progress li").first).to_be_visible()


def test_a_graded_result_shows_its_evidence_and_a_hostile_output_stays_text(serve: ServerFactory, page: Page) -> None:
    hostile = "<img src=x onerror=\"document.title='pwned'\">"
    code = f"```python\ndef tag(name):\n    return name + {hostile!r}\n```"
    tests = "```python\nassert tag('a') == 'a'\nassert tag('') == ''\nassert tag('b') == 'b'\n```"
    live = serve(FakeEngine(lambda r: tests if "unit tests" in r.messages[0].content else code))
    page.goto(live.url + "/#generate")
    page.fill("#gen-input", "写一个函数 tag(name)，给名字加上标签")
    page.fill("#gen-n", "2")
    page.click("#gen-run")
    report = page.locator("#gen-report")
    expect(report).to_have_attribute("data-passed", "false", timeout=60_000)
    expect(report).to_contain_text("agreed by 2 of 2 candidates on 3 inputs")  # too few candidates to claim
    expect(report.locator("table").last).to_contain_text("returned 'a<img")
    assert report.locator("img").count() == 0 and page.title() != "pwned"


def spec_then_code(request: Request) -> str:
    return json.dumps(draft())


def test_new_project_shows_progress_files_tests_and_a_working_preview(serve: ServerFactory, page: Page) -> None:
    live = serve(FakeEngine(spec_then_code))
    page.goto(live.url + "/#project")
    page.fill("#project-input", REQ)
    page.uncheck("#project-rules")
    page.click("#project-run")
    expect(page.locator("#project-stages li").first).to_be_visible(timeout=30_000)
    expect(page.locator("#project-status")).to_have_text("done", timeout=300_000)
    expect(page.locator("#project-stages")).to_contain_text("running the project's tests in the sandbox")
    expect(page.locator("#project-files li[data-path='backend/main.py']")).to_be_visible()
    expect(page.locator("#project-file")).to_contain_text("FastAPI")
    page.locator("#project-files li[data-path='backend/routes.py']").click()
    expect(page.locator("#project-file-name")).to_have_text("backend/routes.py")
    expect(page.locator("#project-tests")).to_contain_text("0 failed")
    page.click("#project-preview-start")
    frame = page.frame_locator("#project-preview")
    frame.locator("input[name=username]").first.fill("alice")
    frame.locator("input[name=password]").first.fill("s3cret-pass")
    frame.locator("button[type=submit]").first.click()
    expect(frame.locator("#notice .ok")).to_be_visible(timeout=20_000)  # the generated app answered, via the proxy
    expect(page.locator("#projects li").first).to_contain_text("done")


def test_the_page_fetches_nothing_from_another_origin(serve: ServerFactory, page: Page) -> None:
    live = serve()
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    page.goto(live.url + "/")
    expect(page.locator("#model")).to_contain_text("fake")
    for tab in ("generate", "project", "inspect", "chat"):
        page.click(f"#tab-{tab}")
        expect(page.locator(f"#view-{tab}")).to_be_visible()
    assert requested and all(u.startswith(live.url) for u in requested), requested
    assert {"/static/app.js", "/static/highlight.js", "/static/inspect.js", "/static/style.css"} <= {
        u.removeprefix(live.url) for u in requested
    }


KEY = "k3y-for-page-tests-0123456789ab"


def test_a_preview_can_reach_neither_the_page_nor_its_key_nor_the_api(serve: ServerFactory, page: Page) -> None:
    """The generated app runs from the previews' own origin, in a sandboxed frame: what its scripts try fails."""
    import httpx

    from tests.project.specs import TODO

    live = serve(api_keys=[KEY])
    auth = {"Authorization": f"Bearer {KEY}"}
    job = httpx.post(live.url + "/api/projects", json={"spec": json.loads(TODO.model_dump_json())}, headers=auth)
    ended = httpx.get(f"{live.url}/api/projects/{job.json()['id']}/events", headers=auth, timeout=600)
    assert '"status":"done"' in ended.text, ended.text[-500:]
    page.goto(live.url + "/#project")
    expect(page.locator("#key-form")).to_be_visible()
    page.fill("#api-key", KEY)
    page.click("#key-form button[type=submit]")
    expect(page.locator("#model")).to_contain_text("sandbox: bubblewrap")
    assert page.evaluate("localStorage.length + sessionStorage.length") == 0  # the key is in memory only
    assert "k3y" not in page.evaluate("document.cookie")
    page.locator("#projects li").first.click()
    page.click("#project-preview-start")
    expect(page.locator("#project-preview")).to_be_visible(timeout=120_000)
    assert page.get_attribute("#project-preview", "sandbox") == "allow-scripts allow-forms allow-same-origin"
    frame_locator = page.frame_locator("#project-preview")
    expect(frame_locator.locator("input[name=username]").first).to_be_visible(timeout=30_000)
    (frame,) = [f for f in page.frames if "/preview/" in f.url]
    assert not frame.url.startswith(live.url + "/")  # another origin: another port
    tried = frame.evaluate(
        """async (main) => {
            const out = {};
            try { out.parent = window.parent.document.title; } catch (e) { out.parent = "blocked"; }
            try { out.storage = window.parent.localStorage.length; } catch (e) { out.storage = "blocked"; }
            try { out.api = (await fetch(main + "/api/projects")).status; } catch (e) { out.api = "blocked"; }
            try { out.v1 = (await fetch(main + "/v1/models")).status; } catch (e) { out.v1 = "blocked"; }
            try { await navigator.serviceWorker.register("sw.js"); out.worker = "registered"; }
            catch (e) { out.worker = "blocked"; }
            return out;
        }""",
        live.url,
    )
    assert tried == {"parent": "blocked", "storage": "blocked", "api": "blocked", "v1": "blocked",
                     "worker": "blocked"}, tried  # fmt: skip
    frame.evaluate("() => { try { window.top.location = 'about:blank#escaped'; } catch (e) {} }")
    page.wait_for_timeout(300)
    assert page.url.startswith(live.url)  # no top navigation from the frame
