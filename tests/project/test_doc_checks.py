"""Checks from the document alone: valid samples from schemas, refused variations of a valid body with the
codes the document allows, and a strict app passing them where a lax one fails."""

# No `from __future__ import annotations`: FastAPI reads the test apps' annotations, made in a function.
from typing import Annotated, Any, Literal

import pytest
from fastapi import FastAPI, Header, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field

from aigc.project.doc_checks import Check, NoSample, document_checks, sample
from aigc.project.operations import operations

DOC: dict[str, Any] = {
    "openapi": "3.0.3",
    "components": {
        "schemas": {
            "Item": {
                "type": "object",
                "required": ["name", "kind"],
                "properties": {
                    "name": {"type": "string", "maxLength": 5},
                    "kind": {"type": "string", "enum": ["tool", "toy"]},
                    "count": {"type": "integer", "minimum": 0, "maximum": 9},
                },
            }
        }
    },
    "paths": {
        "/calculator": {
            "post": {
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["expression"],
                                "properties": {"expression": {"type": "string", "example": "1+2"}},
                            }
                        }
                    },
                },
                "responses": {"200": {"description": "result"}, "400": {"description": "invalid"}},
            }
        },
        "/items/{itemId}": {
            "put": {
                "security": [{"bearer": []}],
                "parameters": [{"name": "itemId", "in": "path", "required": True, "schema": {"type": "integer"}}],
                "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Item"}}}},
                "responses": {
                    "200": {"description": "saved"},
                    "401": {"description": "no login"},
                    "404": {"description": "none"},
                },
            },
            "get": {
                "parameters": [{"name": "itemId", "in": "path", "required": True, "schema": {"type": "integer"}}],
                "responses": {"200": {"description": "the item"}, "404": {"description": "none"}},
            },
        },
        "/codes": {
            "post": {
                "requestBody": {
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["code"],
                                "properties": {"code": {"type": "string", "pattern": "^[A-Z]{3}$"}},
                            }
                        }
                    }
                },
                "responses": {"201": {"description": "ok"}},
            }
        },
        "/upload": {
            "post": {
                "requestBody": {
                    "content": {
                        "multipart/form-data": {
                            "schema": {"type": "object", "properties": {"f": {"type": "string", "format": "binary"}}}
                        }
                    }
                },
                "responses": {"201": {"description": "ok"}},
            }
        },
    },
}


def test_samples_follow_examples_formats_and_bounds() -> None:
    assert sample(DOC, {"type": "string", "format": "date-time"}) == "2026-01-02T03:04:05Z"
    assert sample(DOC, {"type": "string", "minLength": 3, "maxLength": 4}) == "aaa"
    assert sample(DOC, {"type": "integer", "minimum": 5, "exclusiveMinimum": True}) == 6
    assert sample(DOC, {"type": "number", "exclusiveMinimum": 0}) == 1.0
    assert sample(DOC, {"type": "integer", "maximum": -3}) == -3
    assert sample(DOC, {"type": "array", "minItems": 2, "items": {"type": "boolean"}}) == [True, True]
    assert sample(DOC, {"$ref": "#/components/schemas/Item"}) == {"name": "a", "kind": "tool"}  # required only
    assert sample(DOC, {"type": "string", "pattern": "^x$", "example": "x"}) == "x"
    with pytest.raises(NoSample):
        sample(DOC, {"type": "string", "pattern": "^[A-Z]{3}$"})


def test_refused_variations_with_the_codes_the_document_allows() -> None:
    ops, _ = operations(DOC)
    found = document_checks(DOC, ops)
    by_name = {(c.operation, c.name): c for c in found.checks}
    calc = by_name[("POST /calculator", "body without expression")]
    assert (calc.json, calc.expect) == ({}, (400,))
    assert by_name[("POST /calculator", "a valid request")].json == {"expression": "1+2"}
    put = by_name[("PUT /items/{itemId}", "body with kind outside its enum")]
    assert put.path == "/items/1" and put.json["kind"] not in ("tool", "toy") and put.expect == (400, 401, 404, 422)
    names = {n for op, n in by_name if op == "PUT /items/{itemId}"}
    assert {"body with name longer than 5", "body with count below 0", "body with count above 9"} <= names
    assert "body with name of the wrong type (12345)" in names
    assert by_name[("GET /items/{itemId}", "a valid request")].expect == (200, 404)
    assert sorted(s.split(":")[0] for s in found.skipped) == ["POST /codes", "POST /upload"]


def _strict_app(lax: bool) -> FastAPI:
    app = FastAPI()

    class Item(BaseModel):
        name: str = Field(max_length=5)
        kind: Literal["tool", "toy"]
        count: int | None = Field(default=None, ge=0, le=9)

    class Calculation(BaseModel):
        expression: str

    calculation = dict[str, Any] if lax else Calculation
    item = dict[str, Any] if lax else Item

    @app.post("/calculator")
    def calculator(body: calculation) -> dict[str, int]:  # type: ignore[valid-type]
        return {"result": 3}

    @app.put("/items/{itemId}")
    def put(itemId: int, body: item, authorization: Annotated[str, Header()] = "") -> dict[str, str]:  # type: ignore[valid-type]
        if not authorization:
            raise HTTPException(401)
        return {"ok": "yes"}

    @app.get("/items/{itemId}")
    def get(itemId: int) -> dict[str, int]:
        raise HTTPException(404)

    @app.exception_handler(RequestValidationError)
    def refused(request: Request, exc: RequestValidationError) -> JSONResponse:  # the document says 400 here
        return JSONResponse({"error": "invalid"}, status_code=400 if request.url.path == "/calculator" else 422)

    return app


def _passes(client: TestClient, check: Check) -> bool:
    answer = client.request(
        check.method, check.path, params=check.query, json=check.json, headers={"Authorization": "Bearer t"}
    )
    return answer.status_code in check.expect


def test_a_strict_app_passes_and_a_lax_one_fails() -> None:
    ops, _ = operations(DOC)
    checks = document_checks(DOC, ops).checks
    strict = TestClient(_strict_app(lax=False))
    assert [c.name for c in checks if not _passes(strict, c)] == []
    lax = TestClient(_strict_app(lax=True))
    failed = {c.name for c in checks if not _passes(lax, c)}
    assert {"body without expression", "body with kind outside its enum", "body with count above 9"} <= failed
    assert "a valid request" not in failed
