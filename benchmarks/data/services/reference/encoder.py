"""Reference: base64, hex and rot13 both ways."""

from __future__ import annotations

import base64
import binascii
import codecs
from typing import Literal

from fastapi import FastAPI, HTTPException
from pydantic import BaseModel, Field


class Job(BaseModel):
    scheme: Literal["base64", "hex", "rot13"]
    data: str = Field(max_length=100000)


def create_app() -> FastAPI:
    app = FastAPI()

    @app.post("/encode")
    def encode(job: Job) -> dict[str, str]:
        raw = job.data.encode("utf-8")
        if job.scheme == "base64":
            return {"result": base64.b64encode(raw).decode()}
        if job.scheme == "hex":
            return {"result": raw.hex()}
        return {"result": codecs.encode(job.data, "rot13")}

    @app.post("/decode")
    def decode(job: Job) -> dict[str, str]:
        if job.scheme == "rot13":
            return {"result": codecs.decode(job.data, "rot13")}
        try:
            raw = base64.b64decode(job.data, validate=True) if job.scheme == "base64" else bytes.fromhex(job.data)
            return {"result": raw.decode("utf-8")}
        except (binascii.Error, ValueError) as exc:  # UnicodeDecodeError is a ValueError
            raise HTTPException(400, f"does not decode: {exc}") from exc

    return app
