"""Reference: one API key from the environment guards every operation."""

from __future__ import annotations

import os
import secrets
from typing import Annotated

from fastapi import Depends, FastAPI, Header, HTTPException, Path
from fastapi.responses import Response
from pydantic import BaseModel, Field

Name = Annotated[str, Path(pattern=r"^[A-Za-z0-9._-]{1,64}$")]


class Secret(BaseModel):
    value: str = Field(max_length=4096)


def create_app() -> FastAPI:
    key = os.environ["SECRET_STORE_KEY"]

    def authorized(x_api_key: Annotated[str, Header()] = "") -> None:
        if not secrets.compare_digest(x_api_key.encode(), key.encode()):
            raise HTTPException(401, "no or wrong key")

    app = FastAPI(dependencies=[Depends(authorized)])
    store: dict[str, str] = {}

    @app.put("/secrets/{name}", status_code=204)
    def put(name: Name, body: Secret) -> Response:
        store[name] = body.value
        return Response(status_code=204)

    @app.get("/secrets/{name}")
    def get(name: Name) -> dict[str, str]:
        if name not in store:
            raise HTTPException(404, "no such secret")
        return {"name": name, "value": store[name]}

    @app.delete("/secrets/{name}", status_code=204)
    def delete(name: Name) -> Response:
        if store.pop(name, None) is None:
            raise HTTPException(404, "no such secret")
        return Response(status_code=204)

    return app
