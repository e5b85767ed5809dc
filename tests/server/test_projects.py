"""Project jobs over HTTP: progress events, files, zip, the preview proxied from the sandbox, bad input."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import httpx

from aigc.engines.fake import FakeEngine
from tests.project.specs import TODO
from tests.project.test_draft import REQ, draft
from tests.server.conftest import ServerFactory
from tests.server.test_native import events


def wait_built(url: str, project_id: str) -> dict[str, Any]:
    """Follow the job's event stream to its end (the stream closes by itself)."""
    r = httpx.get(f"{url}/api/projects/{project_id}/events", timeout=600)
    got = events(r)
    assert got[-1][0] == "end", got
    return {"events": got, "state": httpx.get(f"{url}/api/projects/{project_id}").json()}


def test_a_spec_becomes_a_tested_project_with_files_zip_and_a_live_preview(serve: ServerFactory) -> None:
    live = serve()
    r = httpx.post(live.url + "/api/projects", json={"spec": json.loads(TODO.model_dump_json())})
    assert r.status_code == 202
    job = r.json()
    built = wait_built(live.url, job["id"])
    state = built["state"]
    assert state["status"] == "done", state["error"] or state["report"]["tests"]
    stages = [d["message"] for n, d in built["events"] if n == "progress"]
    assert "running the project's tests in the sandbox" in stages and stages[-1].startswith("done")
    report = state["report"]
    assert report["tests"]["failed"] == 0 and report["probe"]["ok"]

    files = {f["path"] for f in httpx.get(f"{live.url}/api/projects/{job['id']}/files").json()}
    assert {"backend/main.py", "frontend/index.html", "tests/test_api.py", "README.md"} <= files
    main = httpx.get(f"{live.url}/api/projects/{job['id']}/files/backend/main.py")
    assert main.status_code == 200 and "FastAPI" in main.text
    assert httpx.get(f"{live.url}/api/projects/{job['id']}/files/../../history.sqlite3").status_code == 404
    zipped = zipfile.ZipFile(io.BytesIO(httpx.get(f"{live.url}/api/projects/{job['id']}/zip").content))
    assert f"{job['id']}/backend/main.py" in zipped.namelist()

    preview = httpx.post(f"{live.url}/api/projects/{job['id']}/preview", timeout=120)
    assert preview.status_code == 200, preview.text
    base = preview.json()["url"]
    assert base.startswith("http://127.0.0.1:") and not base.startswith(live.url + "/")  # another origin
    page = httpx.get(base)
    assert page.status_code == 200 and "app.js" in page.text
    # The app's own API through the proxy, as the page in the preview calls it (relative URLs).
    user = {"username": "alice", "password": "s3cret-pass"}
    assert httpx.post(base + "api/auth/register", json=user).status_code == 201
    token = httpx.post(base + "api/auth/login", json=user).json()["access_token"]
    made = httpx.post(
        base + "api/tasks", json={"title": "buy milk", "done": False}, headers={"Authorization": f"Bearer {token}"}
    )
    assert made.status_code == 201, made.text
    assert httpx.delete(f"{live.url}/api/projects/{job['id']}/preview").status_code == 204
    assert httpx.get(base).status_code == 404
    assert [p["id"] for p in httpx.get(live.url + "/api/projects").json()] == [job["id"]]
    assert httpx.delete(f"{live.url}/api/projects/{job['id']}").status_code == 204
    assert httpx.get(f"{live.url}/api/projects/{job['id']}").status_code == 404


def test_a_requirement_goes_through_the_model_and_bad_input_is_refused(serve: ServerFactory) -> None:
    live = serve(FakeEngine([json.dumps(draft())]))
    job = httpx.post(live.url + "/api/projects", json={"requirement": REQ, "rules": False}).json()
    state = wait_built(live.url, job["id"])["state"]
    assert state["status"] == "done" and state["report"]["source"] == "requirement"
    for body, words in [
        ({}, "exactly one of"),
        ({"requirement": "x", "openapi": "y"}, "exactly one of"),
        ({"requirement": "   "}, "empty"),
        ({"requirement": "写一个桌面应用程序"}, "web applications"),
    ]:
        r = httpx.post(live.url + "/api/projects", json=body)
        assert r.status_code == 400 and words in r.json()["error"]["message"], (body, r.text)
    broken = httpx.post(live.url + "/api/projects", json={"openapi": "openapi: 3.0.0\npaths:\n  /a: [\n"}).json()
    failed = wait_built(live.url, broken["id"])["state"]
    assert failed["status"] == "failed" and failed["error"]
    assert httpx.get(f"{live.url}/api/projects/{broken['id']}/files").status_code == 409
    assert httpx.get(live.url + "/api/projects/nope").status_code == 404


def test_a_project_can_be_cancelled_while_it_waits(serve: ServerFactory) -> None:
    live = serve(FakeEngine([json.dumps(draft())], delay_s=0.05))
    first = httpx.post(live.url + "/api/projects", json={"requirement": REQ, "rules": False}).json()
    second = httpx.post(live.url + "/api/projects", json={"requirement": REQ, "rules": False}).json()
    assert httpx.delete(f"{live.url}/api/projects/{second['id']}").status_code == 204
    assert wait_built(live.url, first["id"])["state"]["status"] == "done"
    assert [p["id"] for p in httpx.get(live.url + "/api/projects").json()] == [first["id"]]


def test_a_finished_project_is_listed_and_replayed_after_a_restart(serve: ServerFactory, tmp_path: Path) -> None:
    first = serve(data_dir=tmp_path / "kept")
    job = httpx.post(first.url + "/api/projects", json={"spec": json.loads(TODO.model_dump_json())}).json()
    assert wait_built(first.url, job["id"])["state"]["status"] == "done"
    second = serve(data_dir=tmp_path / "kept")  # a new server over the same data folder
    assert [p["id"] for p in httpx.get(second.url + "/api/projects").json()] == [job["id"]]
    replay = wait_built(second.url, job["id"])
    assert replay["events"][-1] == ("end", {"status": "done", "error": None})
    assert replay["state"]["report"]["done"] is True
    files = httpx.get(f"{second.url}/api/projects/{job['id']}/files").json()
    assert any(f["path"] == "backend/main.py" for f in files)
