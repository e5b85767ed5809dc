"""The previews' origin: running generated apps, proxied from a loopback port of their own.

    preview_app(lookup, config) -> ASGI app     GET|POST|... /preview/{token}/{path} -> the app's {path}
    PreviewServer(app, host).start()            that app on a second port, in a thread of its own

A generated app is model-written code. It runs in the sandbox without a network and serves HTTP on a unix
socket the host made (aigc.project.runner.serving); this proxy is the only way to it. It lives on another
port than the page, so it is another origin: its scripts cannot read the page's storage, call /api or /v1
with the page's credentials, script the page, or register a service worker over it. The proxy forwards an
allow-list of headers each way (never the user's aigc key or cookies to the app, never Set-Cookie or
Service-Worker-Allowed back), streams bodies within a size limit, and answers only for the bound names.
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from aigc.server.security import allowed_hosts, bearer, host_allowed, key_matches

log = logging.getLogger(__name__)

# What a browser sends that an app needs; not Cookie (the page's origin shares cookies across ports), not
# X-API-Key, not Origin or Referer (they would name the page), not hop-by-hop headers.
REQUEST_HEADERS = frozenset(
    {
        "accept",
        "accept-language",
        "authorization",
        "cache-control",
        "content-type",
        "if-match",
        "if-modified-since",
        "if-none-match",
        "pragma",
        "range",
        "x-requested-with",
    }
)
RESPONSE_HEADERS = frozenset(
    {
        "accept-ranges",
        "cache-control",
        "content-disposition",
        "content-language",
        "content-range",
        "content-type",
        "etag",
        "expires",
        "last-modified",
        "location",
        "retry-after",
        "vary",
        "www-authenticate",
    }
)


@dataclass(frozen=True)
class PreviewLimits:
    max_request_bytes: int = 2 * 1024 * 1024
    max_response_bytes: int = 32 * 1024 * 1024
    timeout_s: float = 60.0


@dataclass(frozen=True)
class Upstream:
    """One running app: the unix socket it serves on."""

    socket: Path


Lookup = Callable[[str], Upstream | None]


def _refused(status: int, message: str) -> JSONResponse:
    return JSONResponse(
        {"error": {"message": message, "type": "invalid_request_error"}},
        status_code=status,
        headers={"X-Content-Type-Options": "nosniff"},
    )


def forwarded_request_headers(headers: dict[str, str], keys: list[str]) -> dict[str, str]:
    """The allow-listed request headers; an Authorization that carries one of the server's own keys stays."""
    out = {k: v for k, v in headers.items() if k.lower() in REQUEST_HEADERS}
    given = bearer(out.get("authorization"), None)
    if "authorization" in out and (given is None or (keys and key_matches(given, keys))):
        del out["authorization"]  # the app's own login token goes through; aigc's key never does
    return out


def forwarded_response_headers(headers: httpx.Headers, frame_ancestors: str) -> dict[str, str]:
    out = {k: v for k, v in headers.items() if k.lower() in RESPONSE_HEADERS}
    out["X-Content-Type-Options"] = "nosniff"
    out["Referrer-Policy"] = "no-referrer"
    # The app's own policy holds, except whom it may be framed by: the page, on its own origin.
    theirs = [d.strip() for d in headers.get("content-security-policy", "").split(";") if d.strip()]
    kept = [d for d in theirs if d.split()[0].lower() != "frame-ancestors"]
    out["Content-Security-Policy"] = "; ".join([*kept, f"frame-ancestors {frame_ancestors}"])
    return out


def preview_app(
    lookup: Lookup,
    *,
    host: str = "127.0.0.1",
    extra_hosts: list[str] | None = None,
    keys: list[str] | None = None,
    frame_ancestors: str = "'self'",
    limits: PreviewLimits | None = None,
    prefix: bool = True,
) -> Starlette:
    """`prefix`: apps are at /preview/{token}/ (the server's previews); False: one app at / (aigc new --run,
    whose lookup ignores the token)."""
    hosts = allowed_hosts(host, extra_hosts or [])
    lim = limits or PreviewLimits()
    clients: dict[Path, httpx.AsyncClient] = {}

    def client_for(upstream: Upstream) -> httpx.AsyncClient:
        client = clients.get(upstream.socket)
        if client is None:
            transport = httpx.AsyncHTTPTransport(uds=str(upstream.socket))
            client = clients[upstream.socket] = httpx.AsyncClient(transport=transport, timeout=lim.timeout_s)
        return client

    async def proxy(request: Request) -> Response:
        if not host_allowed(request.headers.get("host"), hosts):
            return _refused(421, "this preview server does not answer for that host name")
        token = request.path_params.get("token", "")
        upstream = lookup(token)
        if upstream is None:
            return _refused(404, "no such preview (it was stopped, or the server restarted): start it again")
        if request.headers.get("service-worker"):  # a worker would outlive the preview and intercept others
            return _refused(403, "previews may not register service workers")
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) > lim.max_request_bytes:
            return _refused(413, f"the request body is larger than the limit of {lim.max_request_bytes} bytes")
        body = bytearray()
        async for block in request.stream():
            body += block
            if len(body) > lim.max_request_bytes:
                return _refused(413, f"the request body is larger than the limit of {lim.max_request_bytes} bytes")
        path = request.path_params.get("path", "")
        client = client_for(upstream)
        outgoing = client.build_request(
            request.method,
            f"http://preview/{path}",
            params=request.query_params,
            headers=forwarded_request_headers(dict(request.headers), keys or []),
            content=bytes(body),
        )
        try:
            answer = await client.send(outgoing, stream=True)
        except httpx.HTTPError as exc:
            return _refused(502, f"the preview did not answer: {type(exc).__name__}")
        declared = answer.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > lim.max_response_bytes:
            await answer.aclose()
            return _refused(502, f"the app's answer is larger than the limit of {lim.max_response_bytes} bytes")

        async def relay() -> AsyncIterator[bytes]:
            sent = 0
            try:
                async for block in answer.aiter_raw():
                    sent += len(block)
                    if sent > lim.max_response_bytes:  # cut off: the client sees a truncated body
                        log.warning("a preview's answer passed %d bytes and was cut off", lim.max_response_bytes)
                        return
                    yield block
            finally:
                await answer.aclose()

        headers = forwarded_response_headers(answer.headers, frame_ancestors)
        return StreamingResponse(relay(), status_code=answer.status_code, headers=headers)

    async def to_slash(request: Request) -> Response:
        if not host_allowed(request.headers.get("host"), hosts):
            return _refused(421, "this preview server does not answer for that host name")
        return RedirectResponse(f"/preview/{request.path_params['token']}/")  # relative links need the slash

    methods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
    if prefix:
        routes = [
            Route("/preview/{token}/{path:path}", proxy, methods=methods),
            Route("/preview/{token}", to_slash, methods=["GET"]),
        ]
    else:
        routes = [Route("/{path:path}", proxy, methods=methods)]

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            for client in clients.values():
                await client.aclose()

    return Starlette(routes=routes, lifespan=lifespan)


class PreviewServer:
    """`app` served by uvicorn on (host, port) in a thread with its own event loop; port 0 picks a free one."""

    def __init__(self, app: Starlette, host: str = "127.0.0.1", port: int = 0) -> None:
        family = socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET
        self._socket = socket.socket(family, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((host.strip("[]"), port))
        self.port: int = self._socket.getsockname()[1]
        config = uvicorn.Config(app, log_level="warning", access_log=False, timeout_graceful_shutdown=2)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True, name="aigc-previews"
        )

    def start(self) -> PreviewServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._socket.close()
