"""Reference: money in Decimal, rounded half up."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from fastapi import FastAPI, HTTPException
from pydantic import BaseModel, Field

CENT = Decimal("0.01")


class Line(BaseModel):
    description: str = Field(max_length=200)
    unitPrice: float
    quantity: int


class Invoice(BaseModel):
    taxRatePercent: float = Field(ge=0, le=100)
    items: list[Line] = Field(max_length=1000)


def create_app() -> FastAPI:
    app = FastAPI()

    @app.post("/invoices/total")
    def total(body: Invoice) -> dict[str, float]:
        if not body.items or any(i.unitPrice < 0 or i.quantity < 0 for i in body.items):
            raise HTTPException(400, "items with prices and quantities of at least zero")
        subtotal = sum((Decimal(str(i.unitPrice)) * i.quantity for i in body.items), Decimal(0))
        subtotal = subtotal.quantize(CENT, ROUND_HALF_UP)
        tax = (subtotal * Decimal(str(body.taxRatePercent)) / 100).quantize(CENT, ROUND_HALF_UP)
        return {"subtotal": float(subtotal), "tax": float(tax), "total": float(subtotal + tax)}

    return app
