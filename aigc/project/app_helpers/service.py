"""The runtime of a generated service (copied into generated apps as backend/service.py).

The routes in backend/main.py are written by aigc from the OpenAPI document; each validates its request
with the document's models and calls one handler through `answer`, which owns what a handler must not:

- the app's state: one JSON document in SQLite (parameterized statements only), loaded for each call,
  handed to the handler as a plain dict, and saved when the call changed it; calls run one at a time, so
  a handler's read-modify-write is never interleaved; the saved state is bounded by MAX_STATE_BYTES;
- the answer: the handler returns (status, body); a status the document does not list for the operation,
  a body its schema refuses, or an exception becomes a 500 with a generic message, and the details go
  to the log, neutralized (CWE-117), never to the client;
- limits: request bodies past MAX_BODY_BYTES are refused with 413 before they are read whole (CWE-400).
"""

from __future__ import annotations

import functools
import json
import logging
import os
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, Response
from pydantic import TypeAdapter

from .safety import loggable

MAX_BODY_BYTES = int(os.environ.get("APP_MAX_BODY_BYTES", str(10 * 1024 * 1024)))
MAX_STATE_BYTES = 5 * 1024 * 1024
MAX_UPLOADS = 20
MAX_FIELDS = 200
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


def answer(
    state: State, handler: Callable[..., Any], answers: tuple[Answer, ...], arguments: dict[str, Any]
) -> Response:
    """Call `handler` with `arguments` and the state; its (status, body) as the document's response."""
    name = getattr(handler, "__name__", "handler")
    with state.lock:
        before = state.load()
        data = json.loads(before)
        try:
            result = handler(**arguments, state=data)
            response = _response(result, answers)
        except Exception as exc:  # the handler is model-written: any failure is a 500, details logged
            log.error("%s failed: %s", name, loggable(f"{type(exc).__name__}: {exc}"))
            return JSONResponse({"detail": "internal error"}, status_code=500)
        if response.status_code < 500:
            _keep(state, before, data, name)
    return response


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
