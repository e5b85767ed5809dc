"""Reference: entries in memory, an escaped page."""

from __future__ import annotations

import html
from datetime import UTC, datetime

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field


class EntryIn(BaseModel):
    name: str = Field(min_length=1, max_length=50)
    message: str = Field(min_length=1, max_length=500)


def create_app() -> FastAPI:
    app = FastAPI()
    entries: list[dict[str, object]] = []

    @app.post("/entries", status_code=201)
    def add(body: EntryIn) -> dict[str, object]:
        entry = {"id": len(entries) + 1, **body.model_dump(), "createdAt": datetime.now(UTC).isoformat()}
        entries.append(entry)
        return entry

    @app.get("/entries")
    def newest_first() -> list[dict[str, object]]:
        return entries[::-1]

    @app.get("/", response_class=HTMLResponse)
    def page() -> str:
        items = "".join(
            f"<li><b>{html.escape(str(e['name']))}</b>: {html.escape(str(e['message']))}</li>" for e in entries[::-1]
        )
        return f"<!doctype html><title>Guestbook</title><ul>{items}</ul>"

    return app
