"""Reference: readings in memory, statistics over a window."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Annotated

from fastapi import FastAPI, Query
from pydantic import BaseModel, Field, field_validator


class Reading(BaseModel):
    sensorId: str = Field(pattern=r"^[a-z0-9-]{1,40}$")
    celsius: float = Field(ge=-100, le=100)
    takenAt: datetime

    @field_validator("celsius")
    @classmethod
    def finite(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError("not a number")
        return value


def create_app() -> FastAPI:
    app = FastAPI()
    readings: list[Reading] = []

    @app.post("/readings", status_code=201)
    def record(body: Reading) -> dict[str, str]:
        readings.append(body)
        return {"status": "recorded"}

    @app.get("/sensors/{sensor_id}/stats")
    def stats(
        sensor_id: str, start: Annotated[datetime | None, Query(alias="from")] = None, to: datetime | None = None
    ) -> dict[str, object]:
        values = [
            r.celsius
            for r in readings
            if r.sensorId == sensor_id and (start is None or r.takenAt >= start) and (to is None or r.takenAt <= to)
        ]
        if not values:
            return {"count": 0, "min": None, "max": None, "mean": None}
        return {
            "count": len(values),
            "min": min(values),
            "max": max(values),
            "mean": round(sum(values) / len(values), 2),
        }

    return app
