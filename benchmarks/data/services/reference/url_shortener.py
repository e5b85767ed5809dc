"""Reference: random codes, http(s) URLs only, redirects."""

from __future__ import annotations

import secrets
import string
from urllib.parse import urlsplit

from fastapi import FastAPI, HTTPException
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, Field

ALPHABET = string.ascii_letters + string.digits


class Link(BaseModel):
    url: str = Field(max_length=2048)


def create_app() -> FastAPI:
    app = FastAPI()
    links: dict[str, str] = {}

    @app.post("/links", status_code=201)
    def shorten(body: Link) -> dict[str, str]:
        parts = urlsplit(body.url)
        if parts.scheme not in ("http", "https") or not parts.netloc or any(c in body.url for c in "\r\n\t "):
            raise HTTPException(400, "only http and https URLs")
        code = "".join(secrets.choice(ALPHABET) for _ in range(8))
        links[code] = body.url
        return {"code": code, "url": body.url}

    @app.get("/{code}")
    def follow(code: str) -> RedirectResponse:
        if code not in links:
            raise HTTPException(404, "unknown code")
        return RedirectResponse(links[code], status_code=302)

    return app
