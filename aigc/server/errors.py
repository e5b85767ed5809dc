"""Errors as a client sees them: JSON in OpenAI's shape, {"error": {"message", "type", "param", "code"}},
with the HTTP status each of aigc's errors maps to; and the request id every log line and error names."""

from __future__ import annotations

import contextvars
import logging

from fastapi.responses import JSONResponse

from aigc.errors import (
    AigcError,
    ConfigError,
    ContextOverflow,
    EngineUnavailable,
    NoLocalWeights,
    SandboxUnavailable,
    UsageError,
)
from aigc.server.queue import Cancelled, QueueFull

log = logging.getLogger("aigc.server")
request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")


class RequestIdFilter(logging.Filter):
    """Gives every log record the id of the request it was written for ("-" outside requests)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id.get()
        return True


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
    if isinstance(exc, NoLocalWeights):
        return ApiError(400, str(exc), code="no_local_model")
    if isinstance(exc, EngineUnavailable):
        return ApiError(502, str(exc), kind="upstream_error")
    if isinstance(exc, SandboxUnavailable):
        return ApiError(503, str(exc), kind="server_error", code="no_sandbox")
    if isinstance(exc, AigcError):
        return ApiError(500, str(exc), kind="server_error")
    log.exception("unexpected error", exc_info=exc)
    return ApiError(500, f"internal error ({type(exc).__name__}); request id {request_id.get()}", kind="server_error")
