"""Reference: card-phone pairs and an intersection query."""

from __future__ import annotations

from fastapi import FastAPI
from pydantic import BaseModel, Field


class Association(BaseModel):
    card_number: str = Field(pattern=r"^[0-9]{13,19}$")
    phone: str = Field(pattern=r"^\+?[0-9]{6,15}$")


class Search(BaseModel):
    phone_numbers: list[str] = Field(min_length=1, max_length=100)


def create_app() -> FastAPI:
    app = FastAPI()
    phones_of: dict[str, set[str]] = {}

    @app.post("/associations", status_code=201)
    def associate(body: Association) -> dict[str, str]:
        phones_of.setdefault(body.card_number, set()).add(body.phone)
        return {"status": "associated"}

    @app.post("/cards/search")
    def search(body: Search) -> dict[str, list[str]]:
        wanted = set(body.phone_numbers)
        return {"card_numbers": sorted(card for card, phones in phones_of.items() if wanted <= phones)}

    return app
