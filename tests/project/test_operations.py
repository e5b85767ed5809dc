"""The operations of an OpenAPI document as typed interfaces: parameters, bodies and answers exactly as
the document has them, and what cannot be honoured refused with the operation."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from aigc.errors import OpenAPIError
from aigc.project.operations import operations

BOOKSHOP = Path(__file__).resolve().parent.parent / "data" / "openapi" / "bookshop.yaml"

DOC: dict[str, Any] = {
    "openapi": "3.1.0",
    "components": {
        "parameters": {"Page": {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}}},
        "schemas": {
            "Post": {"type": "object", "properties": {"postId": {"type": "integer"}, "text": {"type": "string"}}}
        },
    },
    "paths": {
        "/topics/{topicId}/posts": {
            "parameters": [
                {"name": "topicId", "in": "path", "required": True, "schema": {"type": "integer"}},
                {"name": "sort", "in": "query", "schema": {"type": "string", "enum": ["oldest", "newest"]}},
            ],
            "get": {
                "parameters": [
                    {"$ref": "#/components/parameters/Page"},
                    {"name": "sort", "in": "query", "required": True, "schema": {"type": "string"}},
                    {"name": "X-Trace", "in": "header", "schema": {"type": "string"}},
                ],
                "responses": {
                    "200": {
                        "description": "posts",
                        "content": {
                            "application/json": {
                                "schema": {"type": "array", "items": {"$ref": "#/components/schemas/Post"}}
                            }
                        },
                    },
                    "404": {"description": "no such topic"},
                },
            },
        },
        "/files": {
            "post": {
                "operationId": "uploadFile",
                "security": [{"bearer": []}],
                "requestBody": {
                    "required": True,
                    "content": {
                        "multipart/form-data": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "file": {"type": "string", "format": "binary"},
                                    "note": {"type": "string"},
                                },
                            }
                        }
                    },
                },
                "responses": {"201": {"description": "stored"}, "413": {"description": "too large"}},
            }
        },
        "/render": {
            "post": {
                "requestBody": {"content": {"text/plain; charset=utf-8": {"schema": {"type": "string"}}}},
                "responses": {"200": {"description": "html", "content": {"text/html": {"schema": {"type": "string"}}}}},
            }
        },
    },
}


def test_parameters_merge_path_and_operation_levels_and_keep_their_names() -> None:
    ops, models = operations(DOC)
    listing = ops[0]
    assert (listing.method, listing.path, listing.name) == (
        "GET",
        "/topics/{topicId}/posts",
        "get_topics_topicid_posts",
    )
    shown = {(p.name, p.location): (p.annotation, p.required, p.attr) for p in listing.parameters}
    assert shown == {
        ("topicId", "path"): ("int", True, "topicId"),
        ("sort", "query"): ("str", True, "sort"),  # the operation's own sort replaces the path's
        ("page", "query"): ("int", False, "page"),
        ("X-Trace", "header"): ("str", False, "X_Trace"),
    }
    assert [(a.status, a.content_type, a.annotation) for a in listing.answers] == [
        ("200", "application/json", "list[Post]"),
        ("404", None, None),
    ]
    assert listing.success().status == "200" and listing.security == ()
    compile(models.source(), "models.py", "exec")


def test_bodies_by_content_type() -> None:
    ops, models = operations(DOC)
    upload, render = ops[1], ops[2]
    assert upload.name == "upload_file" and upload.security == ("bearer",)
    assert upload.body is not None and (upload.body.content_type, upload.body.files) == (
        "multipart/form-data",
        ("file",),
    )
    assert upload.body.annotation in models.classes and upload.success().status == "201"
    assert render.body is not None and (render.body.content_type, render.body.annotation, render.body.required) == (
        "text/plain",
        "str",
        False,
    )
    assert [(a.content_type, a.annotation) for a in render.answers] == [("text/html", "str")]


def test_a_real_document_maps_every_operation() -> None:
    doc = yaml.safe_load(BOOKSHOP.read_text(encoding="utf-8"))
    ops, models = operations(doc)
    declared = sum(m in item for item in doc["paths"].values() for m in ("get", "post", "put", "patch", "delete"))
    assert len(ops) == declared and len({op.name for op in ops}) == declared
    create = next(op for op in ops if op.name == "create_book")
    assert create.body is not None and create.body.annotation == "NewBook" and create.success().status == "201"
    compile(models.source(), "models.py", "exec")


def _broken(change: Any) -> dict[str, Any]:
    doc = copy.deepcopy(DOC)
    change(doc)
    return doc


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d["paths"]["/topics/{topicId}/posts"].pop("parameters"),
            r"GET /topics/\{topicId\}/posts: the path names topicId",
        ),
        (lambda d: d["paths"]["/files"]["post"].pop("responses"), "POST /files: the operation has no responses"),
        (
            lambda d: d["paths"]["/files"]["post"]["requestBody"].update(content={"image/png": {}}),
            "cannot read a request body of image/png",
        ),
        (
            lambda d: d["paths"]["/render"]["post"]["responses"].update({"600": {"description": "?"}}),
            "'600' is not a status code",
        ),
        (lambda d: d["components"]["parameters"].pop("Page"), "does not resolve"),
        (
            lambda d: d["paths"]["/files"]["post"].update(parameters=[{"$ref": "other.yaml#/P"}]),
            "points outside the document",
        ),
        (
            lambda d: d["paths"].update(
                {
                    "/x/{id}": {
                        "get": {
                            "parameters": [{"name": "id", "in": "path"}],
                            "responses": {"200": {"description": "ok"}},
                        }
                    }
                }
            ),
            "must be required",
        ),
        (lambda d: d.update(paths={}), "no paths"),
    ],
)
def test_what_cannot_be_honoured_is_refused_with_the_operation(change: Any, message: str) -> None:
    with pytest.raises(OpenAPIError, match=message):
        operations(_broken(change))
