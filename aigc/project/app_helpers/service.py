"""The runtime of a generated service (copied into generated apps as backend/service.py).

The routes in backend/main.py are written by aigc from the OpenAPI document; each validates its request
with the document's models and calls one handler through `answer`, which owns what a handler must not:

- the app's state: one JSON document in SQLite (parameterized statements only), loaded for each call,
  handed to the handler as a plain dict, and saved when the call changed it; calls run one at a time, so
  a handler's read-modify-write is never interleaved; the saved state is bounded by MAX_STATE_BYTES;
- the answer: the handler returns (status, body); a status the document does not list for the operation,
  a body its schema refuses, or an exception becomes a 500 with a generic message, and the details go
  to the log, neutralized (CWE-117), never to the client;
- limits: request bodies past MAX_BODY_BYTES are refused with 413 before they are read whole (CWE-400);
- authentication, for the operations the document secures: `authenticator` checks the credential each
  of the operation's schemes names (a bearer token, an API key in a header, query or cookie) before the
  request is read, and gives the handler who the caller is. A credential is a token the app issued
  (safety.issue_token) or one of APP_API_KEYS. A cookie on a request that changes something and comes
  from another site is refused (CWE-352); the session cookie is HttpOnly and SameSite=Lax;
- throttling: an operation that can sign a caller in is refused with 429 after MAX_FAILURES answers of
  401 or 403 to one client within FAILURE_WINDOW_S seconds (CWE-307).
"""

from __future__ import annotations

import functools
import hmac
import json
import logging
import os
import sqlite3
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, Response
from pydantic import TypeAdapter

from .safety import TOKEN_TTL_S, issue_token, loggable, read_token, take_session

MAX_BODY_BYTES = int(os.environ.get("APP_MAX_BODY_BYTES", str(10 * 1024 * 1024)))
MAX_STATE_BYTES = 5 * 1024 * 1024
MAX_UPLOADS = 20
MAX_FIELDS = 200
MAX_FAILURES = int(os.environ.get("APP_MAX_LOGIN_FAILURES", "10"))
FAILURE_WINDOW_S = 300.0
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
log = logging.getLogger("app")


class State:
    """The state all handlers share, as one JSON document in a SQLite table."""

    def __init__(self, path: str) -> None:
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False)
        self._db.execute("CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        self._db.commit()
        self.lock = threading.Lock()

    def load(self) -> str:
        row = self._db.execute("SELECT value FROM state WHERE key = ?", ("app",)).fetchone()
        return row[0] if row else "{}"

    def save(self, text: str) -> None:
        self._db.execute("INSERT OR REPLACE INTO state (key, value) VALUES (?, ?)", ("app", text))
        self._db.commit()


@dataclass(frozen=True)
class Answer:
    """One documented response of an operation."""

    status: str  # "200", "2XX" or "default", as the document has it
    content_type: str | None  # None: no body
    model: Any = None  # the body's type for JSON answers

    def matches(self, status: int) -> bool:
        if self.status == "default":
            return True
        if self.status.endswith("XX"):
            return str(status)[0] == self.status[0]
        return str(status) == self.status


@dataclass(frozen=True)
class Scheme:
    """One security scheme of the document, as the app checks it."""

    kind: str  # "bearer" (the Authorization header), "header", "query" or "cookie"
    name: str  # the header, query parameter or cookie that carries the credential


class Denied(Exception):
    """A request refused before its handler runs: 401 without a valid credential, 403 for CSRF, 429."""

    def __init__(self, status: int, why: str, bearer: bool = False) -> None:
        super().__init__(why)
        self.status, self.why, self.bearer = status, why, bearer


def denied_response(exc: Denied) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 and exc.bearer else {}
    return JSONResponse({"detail": exc.why}, status_code=exc.status, headers=headers)


def authenticator(schemes: tuple[Scheme, ...]) -> Callable[[Any], str]:
    """A FastAPI dependency: the caller's subject for the first of `schemes` that carries a valid
    credential, or Denied. It runs before the request's body is read."""

    def current_user(request: Request) -> str:
        for scheme in schemes:
            credential = _credential(request, scheme)
            if not credential:
                continue
            subject = read_token(credential) or _api_key(credential)
            if subject is None:
                continue
            if scheme.kind == "cookie" and request.method not in SAFE_METHODS and _cross_site(request):
                raise Denied(403, "a cookie-authenticated change must come from this site")
            return subject
        raise Denied(401, "a valid credential is required", any(s.kind == "bearer" for s in schemes))

    return current_user


def _credential(request: Any, scheme: Scheme) -> str | None:
    if scheme.kind == "bearer":
        kind, _, token = str(request.headers.get("authorization", "")).partition(" ")
        return token.strip() if kind.lower() == "bearer" else None
    if scheme.kind == "header":
        return request.headers.get(scheme.name)  # type: ignore[no-any-return]
    if scheme.kind == "query":
        return request.query_params.get(scheme.name)  # type: ignore[no-any-return]
    return request.cookies.get(scheme.name)  # type: ignore[no-any-return]


def _api_key(credential: str) -> str | None:
    """The subject of a key listed in APP_API_KEYS (comma-separated): "api-key-1" for the first."""
    keys = [k.strip() for k in os.environ.get("APP_API_KEYS", "").split(",") if k.strip()]
    found = None
    for i, key in enumerate(keys, 1):
        if hmac.compare_digest(key.encode("utf-8"), credential.encode("utf-8")):
            found = f"api-key-{i}"
    return found


def _cross_site(request: Any) -> bool:
    """Whether the browser says the request comes from another site (Sec-Fetch-Site, else Origin)."""
    fetch = request.headers.get("sec-fetch-site")
    if fetch is not None:
        return str(fetch) not in ("same-origin", "none")
    origin = request.headers.get("origin")
    if origin is None:
        return False
    return urlsplit(str(origin)).netloc.lower() != str(request.headers.get("host", "")).lower()


class Throttle:
    """Failed sign-ins per (operation, client) within FAILURE_WINDOW_S; at most 10,000 keys are kept."""

    def __init__(self, limit: int = MAX_FAILURES, window_s: float = FAILURE_WINDOW_S) -> None:
        self.limit, self.window_s = limit, window_s
        self._failures: OrderedDict[tuple[str, str], deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        times = self._failures.setdefault(key, deque())
        while times and times[0] <= now - self.window_s:
            times.popleft()
        return times

    def check(self, key: tuple[str, str]) -> None:
        with self._lock:
            if len(self._recent(key, time.monotonic())) >= self.limit:
                raise Denied(429, "too many failed attempts; try again later")

    def failed(self, key: tuple[str, str]) -> None:
        with self._lock:
            self._recent(key, time.monotonic()).append(time.monotonic())
            self._failures.move_to_end(key)
            while len(self._failures) > 10_000:
                self._failures.popitem(last=False)


throttle = Throttle()


def answer(
    state: State,
    handler: Callable[..., Any],
    answers: tuple[Answer, ...],
    arguments: dict[str, Any],
    *,
    session: str | None = None,
    sign_in: tuple[str, str] | None = None,
) -> Response:
    """Call `handler` with `arguments` and the state; its (status, body) as the document's response.
    `session`: the session cookie's name, set or cleared as the handler asked (safety.start_session);
    `sign_in`: the (operation, client) whose failed answers count towards the throttle."""
    name = getattr(handler, "__name__", "handler")
    if sign_in is not None:
        throttle.check(sign_in)
    with state.lock:
        before = state.load()
        data = json.loads(before)
        take_session()
        try:
            result = handler(**arguments, state=data)
            response = _response(result, answers)
        except Exception as exc:  # the handler is model-written: any failure is a 500, details logged
            log.error("%s failed: %s", name, loggable(f"{type(exc).__name__}: {exc}"))
            return JSONResponse({"detail": "internal error"}, status_code=500)
        wanted = take_session()
        if response.status_code < 500:
            _keep(state, before, data, name)
    if sign_in is not None and response.status_code in (401, 403):
        throttle.failed(sign_in)
    if wanted is not None and session is not None and response.status_code < 400:
        _session_cookie(response, session, wanted)
    return response


def _session_cookie(response: Response, cookie: str, wanted: tuple[str, str]) -> None:
    secure = os.environ.get("APP_SECURE_COOKIES", "") == "1"
    if wanted[0] == "end":
        response.delete_cookie(cookie, path="/", secure=secure, httponly=True, samesite="lax")
        return
    token = issue_token(wanted[1])
    response.set_cookie(cookie, token, max_age=TOKEN_TTL_S, path="/", secure=secure, httponly=True, samesite="lax")


def _keep(state: State, before: str, data: Any, name: str) -> None:
    try:
        after = json.dumps(data, ensure_ascii=False, sort_keys=True)
    except (TypeError, ValueError) as exc:
        log.error("%s left state that is not JSON: %s", name, loggable(exc))
        return
    if after == json.dumps(json.loads(before), ensure_ascii=False, sort_keys=True):
        return
    if len(after.encode("utf-8")) > MAX_STATE_BYTES:
        log.error("%s: the state would pass %d bytes; not saved", name, MAX_STATE_BYTES)
        return
    state.save(after)


@functools.lru_cache(maxsize=256)
def _adapter(model: Any) -> TypeAdapter[Any]:
    return TypeAdapter(model)


def _response(result: Any, answers: tuple[Answer, ...]) -> Response:
    if isinstance(result, int) and not isinstance(result, bool):
        result = (result, None)
    if not (isinstance(result, tuple) and len(result) == 2 and isinstance(result[0], int)):
        raise TypeError(f"the handler returned {type(result).__name__}, not (status, body)")
    status, body = result
    chosen = next((a for a in answers if a.matches(status) and a.status != "default"), None)
    chosen = chosen or next((a for a in answers if a.status == "default"), None)
    if chosen is None or not 100 <= status <= 599:
        raise ValueError(f"status {status} is not documented for this operation")
    if chosen.content_type is None or status in (204, 304):
        return Response(status_code=status)
    if chosen.content_type == "application/json" or chosen.content_type.endswith("+json"):
        if chosen.model is not None:
            adapter = _adapter(chosen.model)
            body = adapter.dump_python(adapter.validate_python(body), mode="json", by_alias=True)
        return JSONResponse(jsonable_encoder(body), status_code=status, media_type=chosen.content_type)
    if isinstance(body, bytes | bytearray):
        return Response(bytes(body), status_code=status, media_type=chosen.content_type)
    if not isinstance(body, str):
        raise TypeError(f"a {chosen.content_type} answer needs str or bytes, not {type(body).__name__}")
    return Response(body, status_code=status, media_type=chosen.content_type)


class BodyLimit:
    """ASGI middleware: a request body past `limit` bytes gets 413 (by its Content-Length, or as it streams)."""

    def __init__(self, app: Any, limit: int = MAX_BODY_BYTES) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await _too_large(send)
            return
        seen = 0

        async def limited() -> dict[str, Any]:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise _TooLarge
            return message  # type: ignore[no-any-return]

        try:
            await self.app(scope, limited, send)
        except _TooLarge:
            await _too_large(send)


class _TooLarge(Exception):
    pass


async def _too_large(send: Callable[..., Any]) -> None:
    body = b'{"detail":"the request body is too large"}'
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def form_body(request: Any, uploads: list[str], required: list[str]) -> dict[str, Any]:
    """A multipart or urlencoded body as a dict: an upload as {"filename", "content"} (bytes), a repeated
    field as a list; raises ValueError naming a missing required field."""
    form = await request.form(max_files=MAX_UPLOADS, max_fields=MAX_FIELDS, max_part_size=MAX_BODY_BYTES)
    out: dict[str, Any] = {}
    for key in form:
        values = []
        for value in form.getlist(key):
            if hasattr(value, "read"):
                values.append({"filename": str(value.filename or ""), "content": await value.read()})
            else:
                values.append(value)
        out[key] = values if len(values) > 1 else values[0]
    missing = [name for name in required if name not in out]
    if missing:
        raise ValueError(f"missing field: {', '.join(missing)}")
    for name in uploads:
        if name in out and not isinstance(out[name], dict | list):
            raise ValueError(f"{name} must be a file")
    return out
