"""Reference: difflib's unified diff."""

from __future__ import annotations

import difflib

from fastapi import FastAPI
from pydantic import BaseModel, Field


class Texts(BaseModel):
    old: str = Field(max_length=200000)
    new: str = Field(max_length=200000)


def create_app() -> FastAPI:
    app = FastAPI()

    @app.post("/diff")
    def diff(body: Texts) -> dict[str, object]:
        lines = list(difflib.unified_diff(body.old.splitlines(True), body.new.splitlines(True), "old", "new", n=3))
        changed = [line for line in lines if not line.startswith(("---", "+++"))]
        return {
            "diff": "".join(lines),
            "added": sum(line.startswith("+") for line in changed),
            "removed": sum(line.startswith("-") for line in changed),
        }

    return app
