"""Reference: click times in memory, counted in a window."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import FastAPI


def create_app() -> FastAPI:
    app = FastAPI()
    clicks: list[datetime] = []

    @app.post("/clicks", status_code=201)
    def click() -> dict[str, object]:
        clicks.append(datetime.now(UTC))
        return {"id": len(clicks), "timestamp": clicks[-1].isoformat()}

    @app.get("/clicks/count")
    def count(after: datetime | None = None, before: datetime | None = None) -> dict[str, int]:
        return {"count": sum((after is None or c > after) and (before is None or c < before) for c in clicks)}

    return app
