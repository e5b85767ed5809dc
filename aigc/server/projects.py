"""Project jobs: `aigc new` run by the server, with progress events, the files, a zip and a live preview.

    POST   /api/projects                 {requirement | openapi | spec, rules} -> 202, the job
    GET    /api/projects                 the jobs, newest first
    GET    /api/projects/{id}            status, events so far, the report when built
    GET    /api/projects/{id}/events     server-sent events: each progress message (replayed), then end
    GET    /api/projects/{id}/files      [{path, size}];  GET .../files/{path}  one file's text
    GET    /api/projects/{id}/zip        the project as a zip
    POST   /api/projects/{id}/preview    start the app in the sandbox -> {url}; DELETE stops it
    DELETE /api/projects/{id}            cancel the job, stop its preview, remove its files

Jobs run in a small pool (one at a time by default: a build runs tests in the sandbox and uses the model).
The generated app never runs in the server's process: the preview is `aigc new --run`'s sandboxed server,
without a network, on a unix socket; aigc.server.preview proxies it from a port of its own (another
origin than the page), at /preview/<token>/ (the token is the capability).
"""

from __future__ import annotations

import asyncio
import io
import json
import secrets
import shutil
import threading
import time
import uuid
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response, StreamingResponse
from pydantic import BaseModel, Field, model_validator

from aigc.errors import AigcError
from aigc.project import files
from aigc.project.runner import serving_project
from aigc.server.config import ServerConfig
from aigc.server.errors import ApiError, api_error
from aigc.server.history import History
from aigc.server.page import preview_origin
from aigc.server.preview import Upstream
from aigc.server.queue import Cancelled, ModelQueue, QueueFull
from aigc.server.streaming import sse
from aigc.tasks.new import build, project_spec

router = APIRouter(tags=["projects"])
JobStatus = Literal["queued", "running", "done", "not_done", "failed", "cancelled", "interrupted"]
FINAL = {"done", "not_done", "failed", "cancelled", "interrupted"}


class ProjectBody(BaseModel):
    requirement: str | None = Field(default=None, max_length=20_000, description="What the app should do.")
    openapi: str | None = Field(default=None, max_length=1_000_000, description="An OpenAPI 3 document (JSON or YAML).")
    spec: dict[str, Any] | None = Field(default=None, description="An AppSpec (appspec.json).")
    rules: bool = Field(default=True, description="Have the model write checks for business rules and actions.")

    @model_validator(mode="after")
    def one_source(self) -> ProjectBody:
        given = [k for k in ("requirement", "openapi", "spec") if getattr(self, k)]
        if len(given) != 1:
            raise ValueError("give exactly one of requirement, openapi or spec")
        if self.requirement is not None and not self.requirement.strip():
            raise ValueError("the requirement is empty: say what the app should do")
        return self


@dataclass
class Job:
    id: str
    title: str
    body: ProjectBody
    folder: Path
    created: float = field(default_factory=time.time)
    status: JobStatus = "queued"
    events: list[dict[str, Any]] = field(default_factory=list)
    report: dict[str, Any] | None = None
    error: str | None = None
    cancel: threading.Event = field(default_factory=threading.Event)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "status": self.status,
            "created": self.created,
            "events": self.events,
            "report": self.report,
            "error": self.error,
        }


@dataclass
class Preview:
    token: str
    project_id: str
    stop: threading.Event
    thread: threading.Thread
    socket: Path | None = None
    error: str | None = None
    ready: threading.Event = field(default_factory=threading.Event)


class ProjectJobs:
    def __init__(self, queue: ModelQueue, history: History, config: ServerConfig) -> None:
        self.queue, self.history, self.config = queue, history, config
        self.root = config.data_dir / "projects"
        self.jobs: dict[str, Job] = {}
        self.previews: dict[str, Preview] = {}  # token -> preview
        self._pool = ThreadPoolExecutor(max_workers=config.project_workers, thread_name_prefix="aigc-project")
        self._lock = threading.Lock()
        self.prune()

    # jobs

    def start(self, body: ProjectBody) -> Job:
        if body.requirement:
            from aigc.project.draft import check_scope

            check_scope(body.requirement)  # refused now, not after a wait in line
        self.queue.admit()
        job_id = uuid.uuid4().hex[:12]
        title = " ".join((body.requirement or ("OpenAPI document" if body.openapi else "spec")).split())[:80]
        job = Job(job_id, title, body, self.root / job_id / "app")
        limit = self.config.project_workers + self.config.max_project_queue
        with self._lock:  # the count and the admission are one step: parallel requests cannot all slip in
            active = sum(1 for j in self.jobs.values() if j.status in ("queued", "running"))
            if active >= limit:
                raise QueueFull(
                    f"{active} projects are already building or waiting (the limit is {limit}); retry when one is done"
                )
            self.jobs[job_id] = job
        self._save(job)
        self.prune()
        self._pool.submit(self._run, job)
        return job

    def prune(self) -> None:
        """Finished projects beyond the newest `keep_projects`, or older than `project_max_age_days`, go
        with their folders: the disk a server fills is bounded too."""
        expired = self.history.expired_projects(
            self.config.keep_projects, self.config.project_max_age_days * 86400, FINAL
        )
        for job_id in expired:
            if job_id not in self.jobs:
                self.stop_preview(job_id)
                shutil.rmtree(self.root / job_id, ignore_errors=True)
                self.history.delete_project(job_id)

    def get(self, job_id: str) -> dict[str, Any]:
        job = self.jobs.get(job_id)
        if job is not None:
            return job.to_json()
        stored = self.history.project(job_id)
        if stored is None:
            raise ApiError(404, f"no project {job_id!r}", kind="not_found_error")
        return stored

    def listing(self) -> list[dict[str, Any]]:
        return [{k: p.get(k) for k in ("id", "title", "status", "created")} for p in self.history.projects()]

    def folder(self, job_id: str) -> Path:
        state = self.get(job_id)
        folder = self.root / job_id / "app"
        if state["status"] not in ("done", "not_done") or not folder.is_dir():
            raise ApiError(409, f"project {job_id} has no files yet (status {state['status']})", code="not_built")
        return folder

    def delete(self, job_id: str) -> None:
        self.get(job_id)  # 404 if unknown
        job = self.jobs.pop(job_id, None)
        if job is not None:
            job.cancel.set()
        self.stop_preview(job_id)
        shutil.rmtree(self.root / job_id, ignore_errors=True)
        self.history.delete_project(job_id)

    def _save(self, job: Job) -> None:
        self.history.save_project(job.id, job.title, job.status, job.created, job.to_json())

    def _say(self, job: Job, message: str) -> None:
        if job.cancel.is_set():
            raise Cancelled("the project was cancelled")
        job.events.append({"t": round(time.time() - job.created, 2), "message": message})
        self._save(job)

    def _run(self, job: Job) -> None:
        if job.cancel.is_set():
            return
        job.status = "running"
        self._say(job, "started")
        try:
            report = self._build(job)
            job.report = report
            job.status = "done" if report["done"] else "not_done"
            self._say(
                job, "done: tests pass and the app answers every endpoint" if report["done"] else "built, NOT done"
            )
        except Cancelled:
            job.status = "cancelled"
        except AigcError as exc:
            job.status, job.error = "failed", self.scrub(str(exc))
        except Exception as exc:  # reported on the job, not lost in a thread
            job.status, job.error = "failed", self.scrub(api_error(exc).message)
        finally:
            if job.id in self.jobs:
                self._save(job)
                with self._lock:
                    self.jobs.pop(job.id, None)  # finished: the history holds it from now on
            else:  # deleted while it ran: what the build wrote after the delete goes too
                shutil.rmtree(self.root / job.id, ignore_errors=True)

    def _build(self, job: Job) -> dict[str, Any]:
        body, tmp = job.body, self.root / job.id
        tmp.mkdir(parents=True, exist_ok=True)
        openapi = spec = None
        if body.openapi is not None:
            openapi = tmp / "openapi.yaml"  # YAML is a superset of JSON: either parses
            openapi.write_text(body.openapi, encoding="utf-8")
        if body.spec is not None:
            spec = tmp / "appspec.json"
            spec.write_text(json.dumps(body.spec, ensure_ascii=False), encoding="utf-8")
        say = lambda message: self._say(job, message)  # noqa: E731
        engine = lambda: self.queue.engine(job.cancel)  # noqa: E731
        source = project_spec(
            requirement=body.requirement, spec_file=spec, openapi=openapi, engine_factory=engine, on_event=say
        )
        report = build(source, job.folder, home=self.config.home, engine_factory=engine, rules=body.rules, on_event=say)
        scrubbed: dict[str, Any] = self.scrub(report.to_json())
        return scrubbed

    def scrub(self, value: Any) -> Any:
        """`value` with this machine's paths (the data folder, aigc's home) replaced by names: a client sees
        where a project is in the server's terms, not the host's file system."""
        text = json.dumps(value, ensure_ascii=False)
        for path, name in ((self.root, "<projects>"), (self.config.home, "<aigc home>")):
            for form in {str(path), str(path.resolve())}:
                text = text.replace(json.dumps(form, ensure_ascii=False)[1:-1], name)
        return json.loads(text)

    # previews

    def start_preview(self, job_id: str) -> Preview:
        folder = self.folder(job_id)
        for p in list(self.previews.values()):
            if p.project_id == job_id and p.error is None and p.thread.is_alive():
                return p
        while len(self.previews) >= self.config.max_previews:  # the oldest goes
            self._stop(next(iter(self.previews)))
        report = self.get(job_id).get("report") or {}
        token_auth = (report.get("spec") or {}).get("auth", {}).get("kind") == "token"
        preview = Preview(secrets.token_urlsafe(16), job_id, threading.Event(), threading.Thread())
        preview.thread = threading.Thread(
            target=self._serve, args=(preview, folder, token_auth), daemon=True, name=f"aigc-preview-{job_id}"
        )
        self.previews[preview.token] = preview
        preview.thread.start()
        preview.ready.wait(timeout=90)
        if preview.error is not None or not preview.ready.is_set():
            self._stop(preview.token)
            raise ApiError(
                502,
                f"the app did not start: {preview.error or 'no answer within 90 s'}",
                kind="upstream_error",
                code="preview_failed",
            )
        return preview

    def upstream(self, token: str) -> Upstream | None:
        """The running app a preview token names (the previews' proxy asks)."""
        preview = self.previews.get(token)
        return Upstream(preview.socket) if preview is not None and preview.socket is not None else None

    def _serve(self, preview: Preview, folder: Path, token_auth: bool) -> None:
        job_dir = self.root / preview.project_id
        try:
            # The app's data lives beside the project, never read by this process; its log where it cannot write.
            with serving_project(
                folder,
                self.config.home,
                data=job_dir / "preview-data",
                log_path=job_dir / "preview.log",
                token_auth=token_auth,
            ) as served:
                preview.socket = served.socket
                preview.ready.set()
                while not preview.stop.wait(0.5) and served.process.poll() is None:
                    pass
        except Exception as exc:  # the caller reports it
            preview.error = self.scrub(str(exc))
        finally:
            preview.ready.set()

    def stop_preview(self, job_id: str) -> bool:
        tokens = [t for t, p in self.previews.items() if p.project_id == job_id]
        for token in tokens:
            self._stop(token)
        return bool(tokens)

    def _stop(self, token: str) -> None:
        preview = self.previews.pop(token, None)
        if preview is not None:
            preview.stop.set()
            preview.thread.join(timeout=15)

    def shutdown(self) -> None:
        for job in self.jobs.values():
            job.cancel.set()
        for token in list(self.previews):
            self._stop(token)
        self._pool.shutdown(wait=False, cancel_futures=True)


def _jobs(request: Request) -> ProjectJobs:
    jobs: ProjectJobs = request.app.state.projects
    return jobs


@router.post("/api/projects", status_code=202)
async def create_project(body: ProjectBody, request: Request) -> dict[str, Any]:
    return _jobs(request).start(body).to_json()


@router.get("/api/projects")
async def list_projects(request: Request) -> list[dict[str, Any]]:
    return _jobs(request).listing()


@router.get("/api/projects/{project_id}")
async def get_project(project_id: str, request: Request) -> dict[str, Any]:
    return _jobs(request).get(project_id)


@router.delete("/api/projects/{project_id}", status_code=204)
async def delete_project(project_id: str, request: Request) -> None:
    await asyncio.to_thread(_jobs(request).delete, project_id)


@router.get("/api/projects/{project_id}/events", response_class=StreamingResponse)
async def project_events(project_id: str, request: Request) -> StreamingResponse:
    """Every progress message so far, then each new one as it comes; `end` with the final status."""
    jobs = _jobs(request)
    jobs.get(project_id)

    async def events() -> Any:
        sent = 0
        while True:
            try:
                state = jobs.get(project_id)  # a job of an earlier run replays from the history
            except ApiError:  # deleted while someone watched
                state = {"status": "cancelled", "events": [], "error": "the project was deleted"}
            for event in state["events"][sent:]:
                yield sse(event, "progress")
            sent = len(state["events"])
            if state["status"] in FINAL:
                yield sse({"status": state["status"], "error": state.get("error")}, "end")
                return
            await asyncio.sleep(0.25)

    return StreamingResponse(events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})


@router.get("/api/projects/{project_id}/files")
async def project_files(project_id: str, request: Request) -> list[dict[str, Any]]:
    folder = _jobs(request).folder(project_id)
    return [{"path": name, "size": len(data)} for name, data in files.contents(folder).items()]


@router.get("/api/projects/{project_id}/files/{path:path}", response_class=PlainTextResponse)
async def project_file(project_id: str, path: str, request: Request) -> PlainTextResponse:
    folder = _jobs(request).folder(project_id)
    try:
        if files.SKIP & set(path.split("/")):
            raise files.UnsafePath(path)
        data = files.read(folder, path)
    except (files.UnsafePath, OSError):
        raise ApiError(404, f"no file {path!r} in project {project_id}", kind="not_found_error") from None
    return PlainTextResponse(data.decode("utf-8", errors="replace"))


@router.get("/api/projects/{project_id}/zip", response_class=Response)
async def project_zip(project_id: str, request: Request) -> Response:
    folder = _jobs(request).folder(project_id)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.contents(folder).items():
            zf.writestr(f"{project_id}/{name}", data)
    headers = {"Content-Disposition": f'attachment; filename="aigc-project-{project_id}.zip"'}
    return Response(buffer.getvalue(), media_type="application/zip", headers=headers)


@router.post("/api/projects/{project_id}/preview")
async def start_preview(project_id: str, request: Request) -> dict[str, Any]:
    preview = await asyncio.to_thread(_jobs(request).start_preview, project_id)
    origin = preview_origin(request)
    return {"url": f"{origin}/preview/{preview.token}/", "project_id": project_id}


@router.delete("/api/projects/{project_id}/preview", status_code=204)
async def stop_preview(project_id: str, request: Request) -> None:
    jobs = _jobs(request)
    jobs.get(project_id)
    await asyncio.to_thread(jobs.stop_preview, project_id)
