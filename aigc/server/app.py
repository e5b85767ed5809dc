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
from starlette.applications import Starlette
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from aigc import __version__
from aigc.engines.base import Engine, GenerationParams
from aigc.errors import AigcError, ConfigError, ContextOverflow, EngineUnavailable, SandboxUnavailable, UsageError
from aigc.sandbox.runner import describe as sandbox_description
from aigc.server.preview import Lookup, PreviewServer, preview_app
from aigc.server.queue import Cancelled, ModelQueue, QueueFull
from aigc.server.security import (
    allowed_hosts,
    bearer,
    host_allowed,
    host_name,
    key_matches,
    origin_allowed,
    url_host,
)

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
    allowed_hosts: list[str] = field(default_factory=list)  # names besides loopback and `host` for the Host header
    data_dir: Path = Path("aigc-server")  # history.sqlite3 and projects/
    home: Path = Path("~/.cache/aigc")  # aigc's cache: the generated projects' shared environment
    max_body_bytes: int = 2 * 1024 * 1024
    max_tokens_limit: int = 4096
    max_waiting: int = 16
    max_candidates: int = 8
    project_workers: int = 1
    max_project_queue: int = 4  # projects that may wait for a worker; more get 429
    keep_projects: int = 50  # finished projects kept (with their folders); older ones are removed
    project_max_age_days: float = 30.0
    max_previews: int = 2
    preview_port: int = 0  # the previews' own origin (another port than the page's); 0: any free port
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
        return replace(
            d,
            max_tokens=wanted,
            temperature=d.temperature if temperature is None else temperature,
            top_p=d.top_p if top_p is None else top_p,
            seed=seed,
            stop=stop,
        )


class ApiError(Exception):
    """An error answered as JSON with its HTTP status (OpenAI's error shape)."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        kind: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
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
    if isinstance(exc, SandboxUnavailable):
        return ApiError(503, str(exc), kind="server_error", code="no_sandbox")
    if isinstance(exc, AigcError):
        return ApiError(500, str(exc), kind="server_error")
    log.exception("unexpected error", exc_info=exc)
    return ApiError(500, f"internal error ({type(exc).__name__}); request id {request_id.get()}", kind="server_error")


_SECURITY_HEADERS = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer")]


class Gate:
    """Request id, access log, body-size limit and API keys, for every HTTP request (pure ASGI)."""

    OPEN = ("/", "/static/", "/api/health", "/favicon.ico")

    def __init__(self, app: ASGIApp, config: ServerConfig) -> None:
        self.app, self.config = app, config
        self.hosts = allowed_hosts(config.host, config.allowed_hosts)

    def _needs_key(self, path: str) -> bool:
        if not self.config.api_keys:
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
                message["headers"] = [*message.get("headers", []), (b"x-request-id", rid.encode()), *_SECURITY_HEADERS]
            await send(message)

        try:
            refusal = self._refusal(scope["method"], scope["path"], headers)
            if refusal is not None:
                await refusal.response()(scope, receive, send_with_id)
                return
            await self.app(scope, self._limited(receive), send_with_id)
        finally:
            took = (time.perf_counter() - start) * 1000
            log.info(
                "%s %s %s %.0f ms", scope["method"], scope["path"], status[0] or "-", took, extra={"request_id": rid}
            )
            request_id.reset(token)

    def _refusal(self, method: str, path: str, headers: dict[str, str]) -> ApiError | None:
        host = headers.get("host", "")
        if not host_allowed(host, self.hosts):
            return ApiError(
                421,
                f"this server does not answer for the host {host[:100]!r}; use http://127.0.0.1 or "
                "localhost (or start it with --allowed-host NAME)",
                code="misdirected_request",
            )
        if not origin_allowed(
            method, headers.get("origin"), headers.get("sec-fetch-site"), host, self.config.cors_origins
        ):
            return ApiError(
                403,
                "a cross-origin request may not change anything here (its Origin is not this "
                "server's; allow an origin with --cors-origin)",
                kind="permission_error",
                code="cross_origin_refused",
            )
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > self.config.max_body_bytes:
            return _too_large(self.config.max_body_bytes)
        if self._needs_key(path):
            key = bearer(headers.get("authorization"), headers.get("x-api-key"))
            if key is None or not key_matches(key, self.config.api_keys):
                return ApiError(
                    401,
                    "a valid API key is required: send 'Authorization: Bearer KEY'",
                    kind="authentication_error",
                    code="invalid_api_key",
                    headers={"WWW-Authenticate": "Bearer"},
                )
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


def preview_origin(request: Request) -> str:
    """The previews' origin as this client reaches the server: the host name it used, the previews' port."""
    name = host_name(request.headers.get("host", "")) or "127.0.0.1"  # the gate checked it
    return f"http://{url_host(name)}:{request.app.state.previews.port}"


def page_headers(request: Request) -> dict[str, str]:
    """The page loads only its own scripts and styles, talks only to its server, frames only the previews'
    origin, and may not be framed itself."""
    policy = (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        f"frame-src {preview_origin(request)}; frame-ancestors 'none'; base-uri 'none'; "
        "form-action 'self'; object-src 'none'"
    )
    return {"Content-Security-Policy": policy, "X-Frame-Options": "DENY"}


def _page(app: FastAPI) -> None:
    static = resources.files("aigc.server") / "static"
    shared = {"inspect.js": "inspect_view.js", "inspect.css": "inspect_view.css"}  # the token view, aigc.gpt's

    def asset(name: str) -> Path:
        if name in shared:
            return Path(str(resources.files("aigc.gpt") / shared[name]))
        return Path(str(static / name))

    @app.get("/", include_in_schema=False)
    async def page(request: Request) -> FileResponse:
        return FileResponse(asset("index.html"), headers={"Cache-Control": "no-cache", **page_headers(request)})

    @app.get("/static/{name}", include_in_schema=False)
    async def static_file(name: str) -> Response:
        if name not in {"app.js", "style.css", "highlight.js", "inspect.js", "inspect.css"}:
            raise ApiError(404, f"no static file {name!r}", kind="not_found_error")
        types = {".js": "text/javascript", ".css": "text/css"}
        return FileResponse(asset(name), media_type=types[Path(name).suffix], headers={"Cache-Control": "no-cache"})

    @app.get("/favicon.ico", include_in_schema=False)
    async def favicon() -> Response:
        return Response(status_code=204)
