"""Reference: lengths through metres."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import FastAPI, Query

Unit = Literal["m", "km", "cm", "mm", "in", "ft", "mi"]
METRES = {"m": 1.0, "km": 1000.0, "cm": 0.01, "mm": 0.001, "in": 0.0254, "ft": 0.3048, "mi": 1609.344}


def create_app() -> FastAPI:
    app = FastAPI()

    @app.get("/convert")
    def convert(value: float, from_: Annotated[Unit, Query(alias="from")], to: Unit) -> dict[str, object]:
        return {"value": round(value * METRES[from_] / METRES[to], 6), "unit": to}

    return app
