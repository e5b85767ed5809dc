"""Reference: recipes with ratings and their average."""

from __future__ import annotations

from typing import Annotated

from fastapi import FastAPI, HTTPException, Query
from pydantic import BaseModel, Field


class RecipeIn(BaseModel):
    title: str = Field(max_length=200)
    ingredients: list[str] = Field(max_length=100)


class Rating(BaseModel):
    stars: int = Field(ge=1, le=5)


def create_app() -> FastAPI:
    app = FastAPI()
    recipes: dict[int, tuple[RecipeIn, list[int]]] = {}

    def shown(recipe_id: int) -> dict[str, object]:
        recipe, stars = recipes[recipe_id]
        average = round(sum(stars) / len(stars), 1) if stars else None
        return {"id": recipe_id, **recipe.model_dump(), "averageRating": average, "ratingCount": len(stars)}

    @app.post("/recipes", status_code=201)
    def create(body: RecipeIn) -> dict[str, object]:
        recipes[len(recipes) + 1] = (body, [])
        return shown(len(recipes))

    @app.get("/recipes")
    def listed(minRating: Annotated[float | None, Query(ge=1, le=5)] = None) -> list[dict[str, object]]:
        rows = [shown(i) for i in recipes]
        if minRating is None:
            return rows
        return [r for r in rows if r["averageRating"] is not None and r["averageRating"] >= minRating]  # type: ignore[operator]

    @app.get("/recipes/{recipe_id}")
    def read(recipe_id: int) -> dict[str, object]:
        if recipe_id not in recipes:
            raise HTTPException(404, "no such recipe")
        return shown(recipe_id)

    @app.post("/recipes/{recipe_id}/ratings", status_code=201)
    def rate(recipe_id: int, body: Rating) -> dict[str, int]:
        if recipe_id not in recipes:
            raise HTTPException(404, "no such recipe")
        recipes[recipe_id][1].append(body.stars)
        return {"stars": body.stars}

    return app
