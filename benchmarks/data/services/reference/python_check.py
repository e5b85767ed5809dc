"""Reference: py_compile in a child process on a file in a fresh directory; the code never runs."""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

from fastapi import FastAPI, HTTPException
from pydantic import BaseModel, Field


class Source(BaseModel):
    source: str = Field(max_length=200000)
    filename: str = Field(default="snippet.py", max_length=100)


def create_app() -> FastAPI:
    app = FastAPI()

    @app.post("/check")
    def check(body: Source) -> dict[str, object]:
        name = Path(body.filename).name
        if not re.fullmatch(r"[A-Za-z0-9_.-]+\.py", name):
            name = "snippet.py"
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / name
            path.write_text(body.source, encoding="utf-8")
            try:
                done = subprocess.run(
                    [sys.executable, "-I", "-m", "py_compile", str(path)], capture_output=True, text=True, timeout=5
                )
            except subprocess.TimeoutExpired as exc:
                raise HTTPException(422, "the check took too long") from exc
        if done.returncode == 0:
            return {"ok": True, "line": None, "message": None}
        line = re.search(r"line (\d+)", done.stderr)
        return {"ok": False, "line": int(line.group(1)) if line else None, "message": done.stderr.strip()[-500:]}

    return app
