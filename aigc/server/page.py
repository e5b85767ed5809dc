"""The page at / (static/, and the token view's assets) and the headers that confine it."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, Response

from aigc.server.errors import ApiError
from aigc.server.security import host_name, url_host


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


def add_page(app: FastAPI) -> None:
    static = resources.files("aigc.server") / "static"

    def asset(name: str) -> Path:
        return Path(str(static / name))

    @app.get("/", include_in_schema=False)
    async def page(request: Request) -> FileResponse:
        return FileResponse(asset("index.html"), headers={"Cache-Control": "no-cache", **page_headers(request)})

    @app.get("/static/{name}", include_in_schema=False)
    async def static_file(name: str) -> Response:
        if name not in {"app.js", "style.css", "prism.js", "highlight.js", "inspect.js", "inspect.css"}:
            raise ApiError(404, f"no static file {name!r}", kind="not_found_error")
        types = {".js": "text/javascript", ".css": "text/css"}
        return FileResponse(asset(name), media_type=types[Path(name).suffix], headers={"Cache-Control": "no-cache"})

    @app.get("/favicon.ico", include_in_schema=False)
    async def favicon() -> Response:
        return Response(status_code=204)
