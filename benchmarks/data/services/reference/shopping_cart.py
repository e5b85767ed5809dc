"""Reference: carts in memory over a fixed catalogue, totals in cents."""

from __future__ import annotations

import secrets

from fastapi import FastAPI, HTTPException
from pydantic import BaseModel, Field

CENTS = {"apple": 50, "bread": 225, "milk": 120}


class Item(BaseModel):
    sku: str
    quantity: int = Field(ge=1, le=1000)


def create_app() -> FastAPI:
    app = FastAPI()
    carts: dict[str, dict[str, int]] = {}

    def cart(cart_id: str) -> dict[str, int]:
        if cart_id not in carts:
            raise HTTPException(404, "unknown cart")
        return carts[cart_id]

    @app.post("/carts", status_code=201)
    def create() -> dict[str, str]:
        cart_id = secrets.token_hex(8)
        carts[cart_id] = {}
        return {"cart_id": cart_id}

    @app.post("/carts/{cart_id}/items")
    def add(cart_id: str, item: Item) -> dict[str, str]:
        items = cart(cart_id)
        if item.sku not in CENTS:
            raise HTTPException(400, f"unknown sku {item.sku!r}")
        items[item.sku] = items.get(item.sku, 0) + item.quantity
        return {"status": "added"}

    @app.get("/carts/{cart_id}")
    def show(cart_id: str) -> dict[str, object]:
        items = cart(cart_id)
        total = sum(CENTS[sku] * n for sku, n in items.items())
        return {"items": [{"sku": s, "quantity": n} for s, n in items.items()], "total": total / 100}

    return app
