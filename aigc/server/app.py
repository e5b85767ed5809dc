"""`aigc serve`: one FastAPI app for editors (the OpenAI API), scripts (native endpoints) and a browser (the page).

    create_app(engine, ServerConfig(...)) -> FastAPI

State lives on `app.state`: the config, the model queue (aigc.server.queue), the history (SQLite), the
project jobs and their previews. Routes are in openai_api (the /v1 endpoints), native (verified
generation, chat with history) and projects (jobs, files, previews); the page is static/.

Every request passes the gate first (aigc.server.gate). Errors are JSON in the OpenAI shape
(aigc.server.errors); the settings are aigc.server.config's, built from aigc.config's [server] table.
"""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.applications import Starlette
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.cors import CORSMiddleware

from aigc import __version__
from aigc.engines.base import Engine
from aigc.engines.openai_compat import OpenAIEngine
from aigc.errors import AigcError
from aigc.sandbox.runner import describe as sandbox_description
from aigc.server import native, openai_api, projects
from aigc.server.config import ServerConfig
from aigc.server.errors import ApiError, api_error
from aigc.server.gate import Gate
from aigc.server.history import History
from aigc.server.page import add_page
from aigc.server.preview import Lookup, PreviewServer, preview_app
from aigc.server.queue import ModelQueue
from aigc.server.security import allowed_hosts, url_host


def create_app(engine: Engine, config: ServerConfig) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Resources open with the server and close with it (a test client may start it more than once).
        app.state.history = History(config.data_dir / "history.sqlite3")
        app.state.projects = projects.ProjectJobs(app.state.queue, app.state.history, config)
        app.state.previews = PreviewServer(
            previews_for(app.state.projects.upstream, config), config.host, config.preview_port
        ).start()
        try:
            yield
        finally:
            app.state.projects.shutdown()
            app.state.previews.stop()
            app.state.history.close()

    app = FastAPI(
        title="aigc-coder",
        version=__version__,
        summary="OpenAI-compatible API, verified code generation and full-stack projects, on a local model.",
        lifespan=lifespan,
        docs_url=None,  # FastAPI's /docs and /redoc pages load their scripts from a CDN; /openapi.json stays
        redoc_url=None,
    )
    app.state.config = config
    app.state.started = time.time()
    app.state.engine = engine
    app.state.queue = ModelQueue(engine, max_waiting=config.max_waiting, slots=_slots(engine))
    app.state.sandbox = sandbox_description()  # which sandbox is in force, for /api/info and the page
    app.state.gpt = None  # the from-scratch model, loaded by the first "why this token" request
    app.state.gpt_lock = threading.Lock()
    _errors(app)
    app.include_router(openai_api.router)
    app.include_router(native.router)
    app.include_router(projects.router)
    add_page(app)
    app.add_middleware(Gate, config=config)  # the outermost layer: runs before CORS and routing
    if config.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=config.cors_origins,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["X-Request-ID"],
        )  # added last, so outermost: a preflight is answered without a key
    return app


def previews_for(lookup: Lookup, config: ServerConfig) -> Starlette:
    """The previews' proxy app: it answers for the server's host names and may be framed only by its pages."""
    ancestors = " ".join(f"http://{h}:*" for h in _page_hosts(config))
    return preview_app(
        lookup,
        host=config.host,
        extra_hosts=config.allowed_hosts,
        keys=config.api_keys,
        frame_ancestors=ancestors or "*",
    )


def _page_hosts(config: ServerConfig) -> list[str]:
    hosts = allowed_hosts(config.host, config.allowed_hosts)
    return [url_host(h) for h in sorted(hosts)] if hosts is not None else []


def _slots(engine: Engine) -> int:
    """An embedded model decodes one request at a time; a remote server batches what it is sent."""
    return 4 if isinstance(engine, OpenAIEngine) else 1


def _errors(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def on_api_error(_: Request, exc: ApiError) -> JSONResponse:
        return exc.response()

    @app.exception_handler(AigcError)
    async def on_aigc_error(_: Request, exc: AigcError) -> JSONResponse:
        return api_error(exc).response()

    @app.exception_handler(RequestValidationError)
    async def on_invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = []
        param = None
        for e in exc.errors():
            if e["type"] == "json_invalid":
                at = e.get("ctx", {}).get("error", "")
                return ApiError(400, f"the request body is not valid JSON ({at})".replace(" ()", "")).response()
            where = ".".join(str(p) for p in e["loc"] if p != "body")
            param = param or where or None
            problems.append(f"{where or 'body'}: {e['msg']}")
        return ApiError(400, "invalid request: " + "; ".join(problems), param=param).response()

    @app.exception_handler(StarletteHTTPException)
    async def on_http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        if isinstance(exc.__cause__, ApiError):  # the gate refused a body while FastAPI was reading it
            return exc.__cause__.response()
        kind = {404: "not_found_error", 405: "invalid_request_error"}.get(exc.status_code, "invalid_request_error")
        return ApiError(exc.status_code, str(exc.detail), kind=kind, headers=dict(exc.headers or {})).response()

    @app.exception_handler(Exception)
    async def on_unexpected(_: Request, exc: Exception) -> JSONResponse:
        return api_error(exc).response()
