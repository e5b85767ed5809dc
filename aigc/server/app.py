"""`aigc serve`: one FastAPI app for editors (the OpenAI API), scripts (native endpoints) and a browser (the page).

    create_app(engine, ServerConfig(...)) -> FastAPI

State lives on `app.state`: the config, the model queue (aigc.server.queue), the history (SQLite), the
project jobs and their previews. Routes are in openai_api (the /v1 endpoints), native (verified
generation, chat with history) and projects (jobs, files, previews); the page is static/.

Every request passes the gate first (a pure ASGI middleware, so streaming and disconnects are untouched):
a request id (X-Request-ID, echoed and in every log line), the body-size limit, and the API key when keys
are configured. Errors are JSON in the OpenAI shape: {"error": {"message", "type", "param", "code"}}.
"""

from __future__ import annotations

import contextvars
import logging
import re
import threading
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from aigc import __version__
from aigc.engines.base import Engine, GenerationParams
from aigc.errors import AigcError, ConfigError, ContextOverflow, EngineUnavailable, UsageError
from aigc.server.queue import Cancelled, ModelQueue, QueueFull
from aigc.server.security import bearer, key_matches

log = logging.getLogger("aigc.server")
request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
_GOOD_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestIdFilter(logging.Filter):
    """Gives every log record the id of the request it was written for ("-" outside requests)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id.get()
        return True


@dataclass
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = 8321
    api_keys: list[str] = field(default_factory=list)
    cors_origins: list[str] = field(default_factory=list)
    data_dir: Path = Path("aigc-server")  # history.sqlite3 and projects/
    home: Path = Path("~/.cache/aigc")  # aigc's cache: the generated projects' shared environment
    max_body_bytes: int = 2 * 1024 * 1024
    max_tokens_limit: int = 4096
    max_waiting: int = 16
    max_candidates: int = 8
    project_workers: int = 1
    max_previews: int = 2
    defaults: GenerationParams = field(default_factory=lambda: GenerationParams(max_tokens=1024, temperature=0.0))

    def params(
        self,
        max_tokens: int | None,
        *,
        default_max: int | None = None,
        temperature: float | None = None,
        top_p: float | None = None,
        seed: int | None = None,
        stop: tuple[str, ...] = (),
    ) -> GenerationParams:
        """A request's sampling settings over the server's defaults; max_tokens above the limit is refused."""
        limit = self.max_tokens_limit
        wanted = max_tokens if max_tokens is not None else min(default_max or self.defaults.max_tokens, limit)
        if wanted > limit:
            raise ApiError(400, f"max_tokens is {wanted}, more than this server's limit of {limit}", param="max_tokens")
        d = self.defaults
        return replace(d, max_tokens=wanted, temperature=d.temperature if temperature is None else temperature,
                       top_p=d.top_p if top_p is None else top_p, seed=seed, stop=stop)  # fmt: skip


class ApiError(Exception):
    """An error answered as JSON with its HTTP status (OpenAI's error shape)."""

    def __init__(self, status: int, message: str, *, kind: str = "invalid_request_error", param: str | None = None,
                 code: str | None = None, headers: dict[str, str] | None = None) -> None:  # fmt: skip
        super().__init__(message)
        self.status, self.message, self.kind, self.param, self.code = status, message, kind, param, code
        self.headers = headers or {}

    def response(self) -> JSONResponse:
        body = {"error": {"message": self.message, "type": self.kind, "param": self.param, "code": self.code}}
        return JSONResponse(body, status_code=self.status, headers=self.headers)


def api_error(exc: BaseException) -> ApiError:
    """What a client sees for an exception raised while serving it."""
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, ContextOverflow):
        return ApiError(400, str(exc), param="messages", code="context_length_exceeded")
    if isinstance(exc, QueueFull):
        # 429, as OpenAI answers an overloaded engine: clients back off and retry after Retry-After.
        return ApiError(429, str(exc), kind="server_overloaded", code="queue_full", headers={"Retry-After": "2"})
    if isinstance(exc, Cancelled):
        return ApiError(499, str(exc), kind="cancelled", code="client_closed_request")
    if isinstance(exc, UsageError | ConfigError | ValueError):
        return ApiError(400, str(exc))
    if isinstance(exc, EngineUnavailable):
        return ApiError(502, str(exc), kind="upstream_error")
    if isinstance(exc, AigcError):
        return ApiError(500, str(exc), kind="server_error")
    log.exception("unexpected error", exc_info=exc)
    return ApiError(500, f"internal error ({type(exc).__name__}); request id {request_id.get()}", kind="server_error")


class Gate:
    """Request id, access log, body-size limit and API keys, for every HTTP request (pure ASGI)."""

    OPEN = ("/", "/static/", "/api/health", "/favicon.ico")

    def __init__(self, app: ASGIApp, config: ServerConfig) -> None:
        self.app, self.config = app, config

    def _needs_key(self, path: str) -> bool:
        if not self.config.api_keys or path.startswith("/preview/"):  # previews are capability URLs
            return False
        return not (path == "/" or path.startswith("/static/") or path in self.OPEN)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        given = headers.get("x-request-id", "")
        rid = given if _GOOD_ID.match(given) else uuid.uuid4().hex[:16]
        token = request_id.set(rid)
        start = time.perf_counter()
        status = [0]

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", rid.encode())]
            await send(message)

        try:
            refusal = self._refusal(scope["path"], headers)
            if refusal is not None:
                await refusal.response()(scope, receive, send_with_id)
                return
            await self.app(scope, self._limited(receive), send_with_id)
        finally:
            took = (time.perf_counter() - start) * 1000
            log.info("%s %s %s %.0f ms", scope["method"], scope["path"], status[0] or "-", took,
                     extra={"request_id": rid})  # fmt: skip
            request_id.reset(token)

    def _refusal(self, path: str, headers: dict[str, str]) -> ApiError | None:
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > self.config.max_body_bytes:
            return _too_large(self.config.max_body_bytes)
        if self._needs_key(path):
            key = bearer(headers.get("authorization"), headers.get("x-api-key"))
            if key is None or not key_matches(key, self.config.api_keys):
                return ApiError(401, "a valid API key is required: send 'Authorization: Bearer KEY'",
                                kind="authentication_error", code="invalid_api_key",
                                headers={"WWW-Authenticate": "Bearer"})  # fmt: skip
        return None

    def _limited(self, receive: Receive) -> Receive:
        """A body sent without Content-Length (chunked) is counted as it arrives."""
        seen = [0]
        limit = self.config.max_body_bytes

        async def counted() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                seen[0] += len(message.get("body", b""))
                if seen[0] > limit:
                    raise _too_large(limit)
            return message

        return counted


def _too_large(limit: int) -> ApiError:
    return ApiError(413, f"the request body is larger than the limit of {limit} bytes", code="request_too_large")


def create_app(engine: Engine, config: ServerConfig) -> FastAPI:
    from aigc.server import native, openai_api, projects
    from aigc.server.history import History

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        import httpx

        # Resources open with the server and close with it (a test client may start it more than once).
        app.state.history = History(config.data_dir / "history.sqlite3")
        app.state.projects = projects.ProjectJobs(app.state.queue, app.state.history, config)
        app.state.proxy = httpx.AsyncClient(timeout=60, follow_redirects=False)
        try:
            yield
        finally:
            app.state.projects.shutdown()
            await app.state.proxy.aclose()
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
    app.state.gpt = None  # the from-scratch model, loaded by the first "why this token" request
    app.state.gpt_lock = threading.Lock()
    _errors(app)
    app.include_router(openai_api.router)
    app.include_router(native.router)
    app.include_router(projects.router)
    _page(app)
    app.add_middleware(Gate, config=config)  # the outermost layer: runs before CORS and routing
    if config.cors_origins:
        from starlette.middleware.cors import CORSMiddleware

        app.add_middleware(
            CORSMiddleware,
            allow_origins=config.cors_origins,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["X-Request-ID"],
        )  # fmt: skip  (added last, so outermost: a preflight is answered without a key)
    return app


def _slots(engine: Engine) -> int:
    """An embedded model decodes one request at a time; a remote server batches what it is sent."""
    from aigc.engines.openai_compat import OpenAIEngine  # light: the openai client is a dependency anyway

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


def _page(app: FastAPI) -> None:
    static = resources.files("aigc.server") / "static"
    shared = {"inspect.js": "inspect_view.js", "inspect.css": "inspect_view.css"}  # the token view, aigc.gpt's

    def asset(name: str) -> Path:
        if name in shared:
            return Path(str(resources.files("aigc.gpt") / shared[name]))
        return Path(str(static / name))

    @app.get("/", include_in_schema=False)
    async def page() -> FileResponse:
        return FileResponse(asset("index.html"), headers={"Cache-Control": "no-cache"})

    @app.get("/static/{name}", include_in_schema=False)
    async def static_file(name: str) -> Response:
        if name not in {"app.js", "style.css", "highlight.js", "inspect.js", "inspect.css"}:
            raise ApiError(404, f"no static file {name!r}", kind="not_found_error")
        types = {".js": "text/javascript", ".css": "text/css"}
        return FileResponse(asset(name), media_type=types[Path(name).suffix], headers={"Cache-Control": "no-cache"})

    @app.get("/favicon.ico", include_in_schema=False)
    async def favicon() -> Response:
        return Response(status_code=204)
