"""Reference: a CSV read from memory, summarised per column."""

from __future__ import annotations

import csv
import io

from fastapi import FastAPI, HTTPException, UploadFile

LIMIT = 2_000_000


def _number(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        return None


def create_app() -> FastAPI:
    app = FastAPI()

    @app.post("/csv/summary")
    async def summary(file: UploadFile) -> dict[str, object]:
        content = await file.read(LIMIT + 1)
        if len(content) > LIMIT:
            raise HTTPException(413, "at most 2 MB")
        rows = list(csv.reader(io.StringIO(content.decode("utf-8", errors="replace"))))
        if not rows or not any(rows[0]):
            raise HTTPException(400, "no header row")
        header, data = rows[0], rows[1:]
        columns = []
        for i, name in enumerate(header):
            values = [row[i] if i < len(row) else "" for row in data]
            filled = [v for v in values if v.strip()]
            numbers = [n for v in filled if (n := _number(v)) is not None]
            stats = len(numbers) == len(filled) and bool(numbers)
            columns.append(
                {
                    "name": name,
                    "empty": len(values) - len(filled),
                    "min": min(numbers) if stats else None,
                    "max": max(numbers) if stats else None,
                    "mean": round(sum(numbers) / len(numbers), 3) if stats else None,
                }
            )
        return {"rows": len(data), "columns": columns}

    return app
