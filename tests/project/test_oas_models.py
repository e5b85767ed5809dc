"""OpenAPI schemas -> pydantic model source: names kept exactly, constraints enforced, nothing from the
document becomes code, and bad schemas refused with where."""

from __future__ import annotations

import ast
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from aigc.errors import OpenAPIError
from aigc.project.oas_models import MAX_DEPTH, Models, attribute, class_name, constraints

DOC: dict[str, Any] = {
    "components": {
        "schemas": {
            "Page": {
                "type": "object",
                "required": ["title"],
                "properties": {
                    "title": {"type": "string", "maxLength": 5},
                    "lastModifiedBy": {"type": "string"},
                    "version": {"type": "integer", "minimum": 1},
                    "state": {"type": "string", "enum": ["draft", "live"]},
                    "score": {"type": "number", "nullable": True},
                    "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 2},
                    "created-at": {"type": "string", "format": "date-time"},
                    "class": {"type": "boolean", "default": False},
                },
            },
            "Node": {
                "type": "object",
                "properties": {
                    "name": {"type": "string"},
                    "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}},
                },
            },
            "Note": {
                "allOf": [
                    {"$ref": "#/components/schemas/NoteIn"},
                    {"type": "object", "properties": {"id": {"type": "integer"}}, "required": ["id"]},
                ]
            },
            "NoteIn": {"type": "object", "required": ["text"], "properties": {"text": {"type": "string"}}},
        }
    }
}


def _module(models: Models) -> dict[str, Any]:
    namespace: dict[str, Any] = {}
    exec(compile(models.source(), "models.py", "exec"), namespace)  # aigc's own output for a benign document
    return namespace


def _model(namespace: dict[str, Any], name: str) -> type[BaseModel]:
    model = namespace[name]
    assert isinstance(model, type) and issubclass(model, BaseModel)
    return model


def test_names_are_the_documents_and_constraints_hold() -> None:
    models = Models(DOC)
    assert models.annotation({"$ref": "#/components/schemas/Page"}, "body") == "Page"
    page = _model(_module(models), "Page")
    row = page.model_validate(
        {"title": "Home", "lastModifiedBy": "ann", "created-at": "2026-01-01T00:00:00Z", "class": True}
    )
    dumped = row.model_dump(mode="json")
    assert (
        dumped["lastModifiedBy"] == "ann" and dumped["created-at"].startswith("2026-01-01") and dumped["class"] is True
    )
    assert set(dumped) == {"title", "lastModifiedBy", "version", "state", "score", "tags", "created-at", "class"}
    assert page.model_validate({"title": "x"}).model_dump()["class"] is False  # the document's default
    for bad in (
        {"title": "too long"},
        {"title": "x", "version": 0},
        {"title": "x", "state": "gone"},
        {"title": "x", "tags": ["a", "b", "c"]},
        {},
    ):
        with pytest.raises(ValidationError):
            page.model_validate(bad)
    assert page.model_validate({"title": "x", "score": None}).model_dump()["score"] is None


def test_a_schema_that_refers_to_itself_and_allof_merge() -> None:
    models = Models(DOC)
    assert models.annotation({"type": "array", "items": {"$ref": "#/components/schemas/Node"}}, "tree") == "list[Node]"
    assert models.annotation({"$ref": "#/components/schemas/Note"}, "answer") == "Note"
    namespace = _module(models)
    tree = _model(namespace, "Node").model_validate({"name": "a", "children": [{"name": "b", "children": []}]})
    assert tree.model_dump()["children"][0]["name"] == "b"
    note = _model(namespace, "Note")
    assert note.model_validate({"text": "t", "id": 1}).model_dump() == {"text": "t", "id": 1}
    with pytest.raises(ValidationError):
        note.model_validate({"id": 1})  # `text` is required by the referenced part


def test_inline_schemas_unions_and_maps_get_classes_named_after_where_they_are() -> None:
    models = Models({})
    body = {
        "type": "object",
        "required": ["expression"],
        "properties": {
            "expression": {"type": "string"},
            "options": {"type": "object", "properties": {"precise": {"type": "boolean"}}},
            "limits": {"type": "object", "additionalProperties": {"type": "integer"}},
            "value": {"oneOf": [{"type": "integer"}, {"type": "string"}]},
            "either": {"type": ["string", "null"]},
        },
    }
    assert models.annotation(body, "/calculator post body") == "CalculatorPostBody"
    model = _model(_module(models), "CalculatorPostBody")
    parsed = model.model_validate(
        {"expression": "1+2", "options": {"precise": True}, "limits": {"a": 1}, "value": "x", "either": None}
    )
    assert parsed.model_dump()["options"] == {"precise": True}
    with pytest.raises(ValidationError):
        model.model_validate({"expression": "1", "limits": {"a": "many"}})
    assert "class CalculatorPostBodyOptions(Schema):" in models.source()


HOSTILE_NAME = 'x" ) \nimport os\nos.system("id") #'


def test_nothing_in_a_document_becomes_code() -> None:
    doc = {
        "components": {
            "schemas": {
                'Evil"): pass\nimport os\nclass X(': {
                    "type": "object",
                    "properties": {
                        HOSTILE_NAME: {"type": "string", "pattern": "^(?!x)['\"]*$", "default": '"""; import os'},
                        "__class__": {"type": "string"},
                        "model_config": {"type": "string"},
                        "str": {"type": "string"},
                        "名字": {"type": "string", "enum": ["a\nimport os", "b"]},
                    },
                }
            }
        }
    }
    models = Models(doc)
    name = models.annotation({"$ref": '#/components/schemas/Evil"): pass\nimport os\nclass X('}, "body")
    assert name.isidentifier()
    tree = ast.parse(models.source())
    statements = [type(node).__name__ for node in tree.body]
    assert set(statements) <= {"Expr", "ImportFrom", "Import", "ClassDef"}
    imports = {a.name for node in tree.body if isinstance(node, ast.Import | ast.ImportFrom) for a in node.names}
    assert imports == {"annotations", "datetime", "Any", "Literal", "BaseModel", "ConfigDict", "Field"}
    calls = [node for node in tree.body if isinstance(node, ast.Expr)]
    assert all(ast.unparse(c).endswith(".model_rebuild()") for c in calls[1:])  # calls[0] is the docstring
    model = _model(_module(models), name)
    fields = model.model_fields
    assert {f.alias or n for n, f in fields.items()} == {HOSTILE_NAME, "__class__", "model_config", "str", "名字"}
    assert all(n.isidentifier() and not n.startswith("_") for n in fields)
    assert model.model_validate({"名字": "a\nimport os"}).model_dump()["名字"] == "a\nimport os"
    assert model.model_validate({HOSTILE_NAME: "'\""}).model_dump()[HOSTILE_NAME] == "'\""
    with pytest.raises(ValidationError):  # the document's lookahead, checked with Python's re
        model.model_validate({HOSTILE_NAME: "x"})


@pytest.mark.parametrize(
    ("schema", "message"),
    [
        ({"$ref": "other.yaml#/Pet"}, "points outside the document"),
        ({"$ref": "#/components/schemas/Missing"}, "does not resolve"),
        ({"type": "string", "default": float("nan")}, "not a JSON value"),
        ({"type": "strnig"}, "unknown type 'strnig'"),
        ({"enum": []}, "an enum with no values"),
        ("string", "a schema must be a mapping"),
        ({"type": "string", "pattern": "(unclosed"}, "not a valid regular expression"),
    ],
)
def test_bad_schemas_are_refused_with_where(schema: Any, message: str) -> None:
    wrapped = {"type": "object", "properties": {"field": schema}}
    with pytest.raises(OpenAPIError, match=message):
        Models({}).annotation(wrapped, "/pets post body")


def test_nesting_past_the_limit_is_refused() -> None:
    schema: dict[str, Any] = {"type": "string"}
    for _ in range(MAX_DEPTH + 2):
        schema = {"type": "array", "items": schema}
    with pytest.raises(OpenAPIError, match="nested deeper than"):
        Models({}).annotation(schema, "deep")


def test_names_and_constraints() -> None:
    assert (
        class_name("/carts/{cart_id} post body") == "CartsCartIdPostBody" and class_name("200 answer") == "M200Answer"
    )
    assert [attribute(n) for n in ("lastModifiedBy", "created-at", "class", "_x", "9lives", "名字")] == [
        "lastModifiedBy",
        "created_at",
        "class_",
        "x",
        "f_9lives",
        "field",
    ]
    assert constraints({"type": "integer", "minimum": 0, "exclusiveMinimum": True, "maximum": 9}) == {"gt": 0, "le": 9}
    assert constraints({"type": "number", "exclusiveMaximum": 5}) == {"lt": 5}
    assert constraints({"type": "string", "minimum": 3, "maxLength": 4}) == {"max_length": 4}
