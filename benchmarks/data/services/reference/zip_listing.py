"""Reference: the archive read from memory, sizes from its directory, nothing extracted."""

from __future__ import annotations

import io
import zipfile

from fastapi import FastAPI, HTTPException, UploadFile

UPLOAD_LIMIT = 5_000_000
EXPANDED_LIMIT = 100_000_000


def create_app() -> FastAPI:
    app = FastAPI()

    @app.post("/archives/inspect")
    async def inspect(archive: UploadFile) -> dict[str, object]:
        content = await archive.read(UPLOAD_LIMIT + 1)
        if len(content) > UPLOAD_LIMIT:
            raise HTTPException(413, "at most 5 MB")
        try:
            entries = zipfile.ZipFile(io.BytesIO(content)).infolist()
        except zipfile.BadZipFile as exc:
            raise HTTPException(400, "not a zip file") from exc
        total = sum(e.file_size for e in entries)
        if total > EXPANDED_LIMIT:
            raise HTTPException(413, "expands to more than 100 MB")
        return {"entries": [{"name": e.filename, "size": e.file_size} for e in entries], "totalSize": total}

    return app
