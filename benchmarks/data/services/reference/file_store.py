"""Reference: uploads kept in memory under their base name; names with a path refused."""

from __future__ import annotations

from fastapi import FastAPI, HTTPException, UploadFile
from fastapi.responses import Response

LIMIT = 1_000_000


def _safe(name: str) -> str:
    if not name or "/" in name or "\\" in name or name in (".", "..") or "\0" in name:
        raise HTTPException(400, "a file name without a path")
    return name


def create_app() -> FastAPI:
    app = FastAPI()
    files: dict[str, bytes] = {}

    @app.get("/files")
    def names() -> list[str]:
        return sorted(files)

    @app.post("/files", status_code=201)
    async def upload(file: UploadFile) -> dict[str, object]:
        name = _safe(file.filename or "")
        content = await file.read(LIMIT + 1)
        if len(content) > LIMIT:
            raise HTTPException(413, "at most 1 MB")
        files[name] = content
        return {"name": name, "size": len(content)}

    @app.get("/files/{name}")
    def download(name: str) -> Response:
        if _safe(name) not in files:
            raise HTTPException(404, "no such file")
        return Response(files[name], media_type="application/octet-stream")

    return app
