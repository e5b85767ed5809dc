"""The attacks of docs/security.md, performed against a real uvicorn server and the real sandbox.

Each test does what a hostile party could: a web page that rebinds its name to 127.0.0.1 or posts across
origins, a generated app that attacks the host from its preview, a planted link, a flood of project jobs,
a schema that compiles to an enormous grammar. None may get through.
"""

from __future__ import annotations

import json
import logging
import os
import textwrap
import threading
import zipfile
from io import BytesIO
from pathlib import Path
from typing import Any

import httpx
import pytest

from aigc.engines.fake import FakeEngine
from tests.project.specs import TODO
from tests.project.test_draft import REQ, draft
from tests.server.conftest import ServerFactory
from tests.server.test_projects import wait_built

KEY = "k3y-for-attack-tests-0123456789"


def test_a_host_name_the_server_does_not_answer_for_gets_421(serve: ServerFactory) -> None:
    """DNS rebinding: evil.example resolves to 127.0.0.1, so the browser sends Host: evil.example."""
    live = serve()
    for host in ("evil.example", "evil.example:8321", "127.0.0.1.evil.example", ""):
        r = httpx.get(live.url + "/api/conversations", headers={"Host": host})
        assert r.status_code == 421, (host, r.text)
        assert r.json()["error"]["code"] == "misdirected_request"
    port = live.url.rsplit(":", 1)[1]
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", "localhost"):
        assert httpx.get(live.url + "/api/health", headers={"Host": host}).status_code == 200
    allowed = serve(allowed_hosts=["aigc.lan"])
    assert httpx.get(allowed.url + "/api/health", headers={"Host": "aigc.lan:80"}).status_code == 200


def test_a_cross_origin_post_changes_nothing(serve: ServerFactory) -> None:
    live = serve()
    spec = {"spec": json.loads(TODO.model_dump_json())}
    for origin in ("http://evil.example", "null", live.url.replace("127.0.0.1", "localhost")):
        r = httpx.post(live.url + "/api/projects", json=spec, headers={"Origin": origin})
        assert r.status_code == 403 and r.json()["error"]["code"] == "cross_origin_refused", origin
    sneaky = httpx.post(live.url + "/api/chat", json={"message": "hi"}, headers={"Sec-Fetch-Site": "cross-site"})
    assert sneaky.status_code == 403
    assert (
        httpx.get(live.url + "/api/projects").json() == [] and httpx.get(live.url + "/api/conversations").json() == []
    )
    same = httpx.post(live.url + "/api/chat", json={"message": "hi"}, headers={"Origin": live.url})
    assert same.status_code == 200, same.text  # the page itself, and clients that send no Origin, may
    assert len(httpx.get(live.url + "/api/conversations").json()) == 1


def test_the_page_is_served_with_a_strict_policy(serve: ServerFactory) -> None:
    live = serve()
    page = httpx.get(live.url + "/")
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    assert "frame-src http://127.0.0.1:" in policy and f"frame-src {live.url}" not in policy
    assert page.headers["x-content-type-options"] == "nosniff" and page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["x-frame-options"] == "DENY"
    assert httpx.get(live.url + "/api/health").headers["x-content-type-options"] == "nosniff"
    info = httpx.get(live.url + "/api/info").json()
    assert info["sandbox"]["backend"] == "bubblewrap" and info["sandbox"]["isolated"] is True


def test_a_client_schema_that_would_compile_to_a_huge_grammar_is_refused(serve: ServerFactory) -> None:
    live = serve()
    for schema, words in [
        ({"type": "array", "items": {"type": "integer"}, "minItems": 100000}, "minItems"),
        ({"type": "string", "maxLength": 10**9}, "maxLength"),
        (_nested(40), "deeper"),
        ({"type": "object", "properties": {f"p{i}": {"type": "string"} for i in range(3000)}}, "bytes"),
    ]:
        r = httpx.post(live.v1 + "/chat/completions", json={
            "model": "fake", "messages": [{"role": "user", "content": "x"}],
            "response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": schema}}})  # fmt: skip
        assert r.status_code == 400 and words in r.json()["error"]["message"], r.text
        assert r.json()["error"]["code"] == "schema_too_complex"


def _nested(depth: int) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    for _ in range(depth):
        schema = {"type": "array", "items": schema}
    return schema


def test_two_hundred_parallel_project_posts_stay_bounded(serve: ServerFactory) -> None:
    live = serve(FakeEngine([json.dumps(draft())], delay_s=0.2), max_project_queue=3)
    statuses: list[int] = []
    lock = threading.Lock()

    def post() -> None:
        r = httpx.post(live.url + "/api/projects", json={"requirement": REQ, "rules": False}, timeout=60)
        with lock:
            statuses.append(r.status_code)
            if r.status_code == 429:
                assert r.headers["retry-after"] and "retry" in r.json()["error"]["message"]

    threads = [threading.Thread(target=post) for _ in range(200)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(statuses) == 200 and set(statuses) <= {202, 429}
    assert statuses.count(202) <= 1 + 3  # one worker, three waiting: everything else was refused at the door
    jobs = live.app.state.projects
    assert len(jobs.jobs) <= 4
    folder = jobs.root
    assert len(list(folder.iterdir())) <= 4
    for p in httpx.get(live.url + "/api/projects").json():
        httpx.delete(f"{live.url}/api/projects/{p['id']}")


def test_old_projects_are_pruned_with_their_folders(serve: ServerFactory) -> None:
    live = serve(keep_projects=1)
    spec = {"spec": json.loads(TODO.model_dump_json())}
    first = httpx.post(live.url + "/api/projects", json=spec).json()
    wait_built(live.url, first["id"])
    second = httpx.post(live.url + "/api/projects", json=spec).json()
    wait_built(live.url, second["id"])
    third = httpx.post(live.url + "/api/projects", json=spec).json()  # starting it prunes the oldest
    ids = [p["id"] for p in httpx.get(live.url + "/api/projects").json()]
    assert first["id"] not in ids and second["id"] in ids and third["id"] in ids
    assert not (live.app.state.projects.root / first["id"]).exists()
    wait_built(live.url, third["id"])


@pytest.fixture
def built(serve: ServerFactory, tmp_path: Path) -> tuple[Any, str, Path]:
    """A server, a built project, and that project's folder on the host."""
    live = serve()
    job = httpx.post(live.url + "/api/projects", json={"spec": json.loads(TODO.model_dump_json())}).json()
    assert wait_built(live.url, job["id"])["state"]["status"] == "done"
    return live, job["id"], live.app.state.projects.root / job["id"] / "app"


def test_the_api_shows_no_host_paths(built: tuple[Any, str, Path]) -> None:
    live, project, folder = built
    state = httpx.get(f"{live.url}/api/projects/{project}").text
    assert str(folder) not in state and str(live.app.state.config.home) not in state
    assert "<projects>/" in state  # the report still says where, in the server's own terms


def test_a_planted_link_is_not_listed_read_or_zipped(built: tuple[Any, str, Path], tmp_path: Path) -> None:
    live, project, folder = built
    secret = tmp_path / "id_rsa"
    secret.write_text("-----BEGIN OPENSSH PRIVATE KEY----- planted-marker")
    os.symlink(secret, folder / "frontend" / "x.js")
    os.symlink(tmp_path, folder / "linked-dir")
    base = f"{live.url}/api/projects/{project}"
    listed = {f["path"] for f in httpx.get(base + "/files").json()}
    assert "frontend/x.js" not in listed and not any(p.startswith("linked-dir") for p in listed)
    for path in ("frontend/x.js", "linked-dir/id_rsa", "../../../" + str(secret), "frontend/../frontend/x.js"):
        r = httpx.get(f"{base}/files/{path}")
        assert r.status_code == 404 and "planted-marker" not in r.text, path
    archive = zipfile.ZipFile(BytesIO(httpx.get(base + "/zip").content))
    assert not any("x.js" in n or "linked-dir" in n for n in archive.namelist())
    assert all(b"planted-marker" not in archive.read(n) for n in archive.namelist())


HOSTILE_APP = textwrap.dedent(
    """

    # --- appended by the attack test: what a hostile model could write into the app ---
    import os as _os
    import socket as _socket

    _RESULTS = {{}}


    def _try(name, action):
        try:
            _RESULTS[name] = "done: " + repr(action())[:80]
        except Exception as exc:  # noqa: BLE001
            _RESULTS[name] = "refused: " + type(exc).__name__


    _try("connect_server", lambda: _socket.create_connection(("127.0.0.1", {port}), timeout=2).close())
    _try("connect_outside", lambda: _socket.create_connection(("192.0.2.1", 80), timeout=2).close())
    _try("read_secret", lambda: open({secret!r}).read())
    _try("rewrite_requirements", lambda: open("requirements.txt", "w").write("./evil-wheel.whl\\n"))
    _try("plant_link", lambda: _os.symlink({secret!r}, "frontend/stolen.js"))
    _try("replace_log", lambda: _os.symlink({secret!r}, "data/server.log"))
    _try("see_etc_shadow", lambda: open("/etc/shadow").read())


    def _unshare_user():
        import ctypes

        if ctypes.CDLL(None, use_errno=True).unshare(0x10000000) != 0:  # CLONE_NEWUSER
            raise OSError(ctypes.get_errno(), "unshare")
        return "a user namespace of its own"


    _try("new_user_namespace", _unshare_user)


    @app.get("/api/attack")
    def _attack():
        return _RESULTS
    """
)


def _add_to_app(main: Path, code: str) -> None:
    """Model-written code in the app, before the static files' catch-all mount."""
    text = main.read_text()
    assert "app.include_router(router)\n" in text
    main.write_text(text.replace("app.include_router(router)\n", code + "\n\napp.include_router(router)\n"))


def test_a_hostile_preview_reaches_nothing_on_the_host(built: tuple[Any, str, Path], tmp_path: Path) -> None:
    live, project, folder = built
    secret = tmp_path / "secret.txt"
    secret.write_text("the host's secret")
    port = int(live.url.rsplit(":", 1)[1])
    main = folder / "backend" / "main.py"
    _add_to_app(main, HOSTILE_APP.format(port=port, secret=str(secret)))
    requirements = (folder / "requirements.txt").read_text()
    env_root = live.app.state.config.home / "project-env"
    stamps = {p.name for p in env_root.glob("*/.requirements-*")}

    base = f"{live.url}/api/projects/{project}"
    url = httpx.post(base + "/preview", timeout=120).json()["url"]
    results = httpx.get(url + "api/attack", timeout=10).json()
    assert results["connect_server"].startswith("refused"), results  # no network: not the API, not loopback
    assert results["connect_outside"].startswith("refused"), results
    assert results["read_secret"].startswith("refused"), results
    assert results["see_etc_shadow"].startswith("refused"), results
    assert results["new_user_namespace"].startswith("refused"), results
    # What it may write is its own copy and its data folder; the host's project and log are untouched.
    assert httpx.delete(base + "/preview").status_code == 204
    assert (folder / "requirements.txt").read_text() == requirements
    assert not (folder / "frontend" / "stolen.js").exists() and not (folder / "data").exists()
    log = live.app.state.projects.root / project / "preview.log"
    assert log.is_file() and not log.is_symlink()
    # A second start installs what the host wrote, so pip runs for nothing new: no new requirements stamp.
    url = httpx.post(base + "/preview", timeout=120).json()["url"]
    assert httpx.get(url + "api/health").status_code == 200
    assert {p.name for p in env_root.glob("*/.requirements-*")} == stamps
    listed = {f["path"] for f in httpx.get(base + "/files").json()}
    assert "frontend/stolen.js" not in listed


def test_the_preview_proxy_forwards_only_allowed_headers(
    built: tuple[Any, str, Path], caplog: pytest.LogCaptureFixture
) -> None:
    live, project, folder = built
    main = folder / "backend" / "main.py"
    _add_to_app(main, textwrap.dedent("""

        from fastapi import Request as _Request
        from fastapi.responses import JSONResponse as _JSONResponse


        @app.get("/api/echo")
        def _echo(request: _Request):
            answer = _JSONResponse(dict(request.headers))
            answer.headers["Set-Cookie"] = "session=stolen; Path=/"
            answer.headers["Service-Worker-Allowed"] = "/"
            answer.headers["X-Custom"] = "1"
            return answer
        """))  # fmt: skip
    with caplog.at_level(logging.DEBUG):
        url = httpx.post(f"{live.url}/api/projects/{project}/preview", timeout=120).json()["url"]
        assert httpx.get(url + "api/health").status_code == 200
    token = url.split("/preview/")[1].strip("/")
    server_lines = [r.getMessage() for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))]
    assert server_lines and not any(token in line for line in server_lines)  # (the test's own client logs it)
    assert not url.startswith(live.url + "/")  # the previews' own origin
    sent = {"Cookie": "aigc=1", "X-API-Key": KEY, "Origin": live.url, "Authorization": "Bearer the-apps-own-token",
            "Accept": "*/*"}  # fmt: skip
    r = httpx.get(url + "api/echo", headers=sent)
    seen = r.json()
    assert "cookie" not in seen and "x-api-key" not in seen and "origin" not in seen
    assert seen["authorization"] == "Bearer the-apps-own-token" and seen["accept"] == "*/*"
    assert "set-cookie" not in r.headers and "service-worker-allowed" not in r.headers and "x-custom" not in r.headers
    policy = r.headers["content-security-policy"]
    assert r.headers["x-content-type-options"] == "nosniff" and "default-src 'self'" in policy  # the app's own
    assert "frame-ancestors http://127.0.0.1:*" in policy and "frame-ancestors 'self'" not in policy
    worker = httpx.get(url + "app.js", headers={"Service-Worker": "script"})
    assert worker.status_code == 403
    assert httpx.get(url + "api/health", headers={"Host": "evil.example"}).status_code == 421
    assert httpx.get(url.replace(url.split("/preview/")[1], "not-a-token/")).status_code == 404


def test_with_keys_the_proxy_never_hands_the_key_to_the_app(serve: ServerFactory) -> None:
    live = serve(api_keys=[KEY])
    headers = {"Authorization": f"Bearer {KEY}"}
    job = httpx.post(live.url + "/api/projects", json={"spec": json.loads(TODO.model_dump_json())},
                     headers=headers).json()  # fmt: skip
    state = httpx.get(f"{live.url}/api/projects/{job['id']}/events", headers=headers, timeout=600)
    assert "end" in state.text
    folder = live.app.state.projects.root / job["id"] / "app"
    main = folder / "backend" / "main.py"
    _add_to_app(main, textwrap.dedent("""

        from fastapi import Request as _Request


        @app.get("/api/echo")
        def _echo(request: _Request):
            return dict(request.headers)
        """))  # fmt: skip
    url = httpx.post(f"{live.url}/api/projects/{job['id']}/preview", headers=headers, timeout=120).json()["url"]
    assert "authorization" not in httpx.get(url + "api/echo", headers=headers).json()


def test_the_history_is_the_users_alone(serve: ServerFactory) -> None:
    live = serve()
    httpx.post(live.url + "/api/chat", json={"message": "a secret question"})
    data = live.app.state.config.data_dir
    assert data.stat().st_mode & 0o077 == 0  # 0700: other local users cannot list or read it
    for name in ("history.sqlite3", "history.sqlite3-wal"):
        if (data / name).exists():
            assert (data / name).stat().st_mode & 0o077 == 0, name


def test_the_preview_proxy_bounds_what_it_relays(tmp_path: Path) -> None:
    """An app that answers with an endless body, or is sent a huge one, costs the proxy bounded memory."""
    import socket
    import time

    import uvicorn
    from starlette.applications import Starlette
    from starlette.responses import StreamingResponse
    from starlette.routing import Route

    from aigc.server.preview import PreviewLimits, PreviewServer, Upstream, preview_app

    async def endless(_: Any) -> StreamingResponse:
        async def chunks() -> Any:  # 64 times the proxy's limit: endless to it, yet a loop that ends
            for _ in range(1024):  # (a truly endless one spins on after the proxy hangs up, and slows every
                yield b"x" * 65536  # test after this one)

        return StreamingResponse(chunks())

    path = tmp_path / "app.sock"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    app_server = uvicorn.Server(uvicorn.Config(Starlette(routes=[Route("/{p:path}", endless, methods=["GET", "POST"])]),
                                               log_level="warning"))  # fmt: skip
    thread = threading.Thread(target=app_server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    limits = PreviewLimits(max_request_bytes=1024, max_response_bytes=1024 * 1024)
    proxy = PreviewServer(preview_app(lambda _: Upstream(path), limits=limits)).start()
    try:
        base = f"http://127.0.0.1:{proxy.port}/preview/t/"
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                got = httpx.get(base + "big", timeout=30)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        assert len(got.content) <= 1024 * 1024  # cut off at the limit, not read to the end of the world
        assert httpx.post(base + "x", content=b"y" * 4096).status_code == 413
        chunked = httpx.post(base + "x", content=iter([b"y" * 600, b"y" * 600]))
        assert chunked.status_code == 413
    finally:
        proxy.stop()
        app_server.should_exit = True
        thread.join(timeout=10)
