"""The gate every HTTP request passes first (a pure ASGI middleware, so streaming and disconnects are
untouched): a request id (X-Request-ID, echoed and in every log line), the Host and Origin checks, the
body-size limit, and the API key when keys are configured."""

from __future__ import annotations

import re
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from aigc.server.config import ServerConfig
from aigc.server.errors import ApiError, log, request_id
from aigc.server.security import allowed_hosts, bearer, host_allowed, key_matches, origin_allowed

_GOOD_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


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
