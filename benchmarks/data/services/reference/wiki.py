"""Reference: pages by title with their edit history."""

from __future__ import annotations

from fastapi import FastAPI, HTTPException
from pydantic import BaseModel, Field


class Edit(BaseModel):
    content: str = Field(max_length=50000)
    editor: str = Field(max_length=50)


def create_app() -> FastAPI:
    app = FastAPI()
    pages: dict[str, list[Edit]] = {}

    def page(title: str) -> dict[str, object]:
        if title not in pages:
            raise HTTPException(404, "no such page")
        last = pages[title][-1]
        return {"title": title, "content": last.content, "lastModifiedBy": last.editor, "version": len(pages[title])}

    @app.put("/pages/{title}")
    def save(title: str, body: Edit) -> dict[str, object]:
        pages.setdefault(title, []).append(body)
        return page(title)

    @app.get("/pages/{title}")
    def read(title: str) -> dict[str, object]:
        return page(title)

    @app.get("/pages/{title}/edits")
    def edits(title: str) -> list[dict[str, object]]:
        page(title)
        return [{"version": i, "editor": e.editor} for i, e in enumerate(pages[title], 1)]

    return app
