"""Reference: the match runs in a forked child that is killed after 2 seconds (Python's re cannot be
interrupted)."""

from __future__ import annotations

import multiprocessing
import re
from multiprocessing.connection import Connection

from fastapi import FastAPI, HTTPException
from pydantic import BaseModel, Field

LIMIT_S = 2.0


class Job(BaseModel):
    pattern: str = Field(max_length=500)
    text: str = Field(max_length=100000)


def _matches(job: Job, out: Connection) -> None:
    out.send([{"match": m.group(0), "start": m.start()} for m in re.finditer(job.pattern, job.text)])


def create_app() -> FastAPI:
    app = FastAPI()

    @app.post("/match")
    def match(body: Job) -> dict[str, object]:
        try:
            re.compile(body.pattern)
        except re.error as exc:
            raise HTTPException(400, f"invalid pattern: {exc}") from exc
        receive, send = multiprocessing.get_context("fork").Pipe(duplex=False)
        child = multiprocessing.get_context("fork").Process(target=_matches, args=(body, send), daemon=True)
        child.start()
        ready = receive.poll(LIMIT_S)
        found = receive.recv() if ready else None
        child.kill()
        child.join()
        if found is None:
            raise HTTPException(422, "the match took too long")
        return {"matches": found}

    return app
