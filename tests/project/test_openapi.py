"""OpenAPI 3 -> AppSpec: paths, methods and status codes kept; errors name the file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from aigc.errors import OpenAPIError
from aigc.project.openapi import spec_from_openapi

BOOKSHOP = Path(__file__).resolve().parent.parent / "data" / "openapi" / "bookshop.yaml"
SECURED_BOOKSHOP = BOOKSHOP.with_name("bookshop-secured.yaml")


def test_the_bookshop_document_maps_exactly() -> None:
    spec = spec_from_openapi(BOOKSHOP)
    got = {(ep.method, ep.path, ep.action, ep.success_status) for ep in spec.endpoints}
    assert got == {
        ("GET", "/books", "list", 200),
        ("POST", "/books", "create", 201),
        ("GET", "/books/{bookId}", "get", 200),
        ("PUT", "/books/{bookId}", "update", 200),
        ("DELETE", "/books/{bookId}", "delete", 204),
        ("GET", "/authors", "list", 200),
        ("POST", "/authors", "create", 201),
    }
    book = spec.entity("Book")
    assert book is not None and [f.name for f in book.fields] == ["title", "isbn", "price", "published", "in_stock"]
    isbn = book.field("isbn")
    assert isbn is not None and isbn.unique and (isbn.min_length, isbn.max_length) == (10, 17)
    examples = {f.name: f.example for f in book.fields if f.example is not None}
    assert examples == {"price": 12.5, "published": "2024-03-01"}  # the document's, as the tests will send
    create = next(ep for ep in spec.endpoints if ep.operation_name == "create_book")
    assert create.status_for("validation", 0) == 400 and create.status_for("conflict", 0) == 409
    assert spec.error_style == "flat"  # the document's Error schema is {code, message}


def test_json_documents_work_too(tmp_path: Path) -> None:
    import json

    import yaml

    doc = tmp_path / "api.json"
    doc.write_text(json.dumps(yaml.safe_load(BOOKSHOP.read_text())))
    assert len(spec_from_openapi(doc).endpoints) == 7


def test_a_document_that_does_not_parse_names_the_line(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("openapi: 3.0.0\ninfo:\n  title: x\npaths:\n  /a:\n    get: [unclosed\n")
    with pytest.raises(OpenAPIError, match=r"broken\.yaml:\d+:\d+"):
        spec_from_openapi(broken)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("swagger: '2.0'\npaths: {}\n", "not an OpenAPI 3 document"),
        ("openapi: 3.0.0\npaths: {}\n", "no paths"),
        (
            "openapi: 3.0.0\npaths:\n  /a/{x}/b:\n    post:\n      responses: {'200': {description: ok}}\n",
            "no operation can be built from templates: POST /a/{x}/b: no entity at /a/{x} to act on",
        ),
        (
            "openapi: 3.0.0\npaths:\n  /a/{x}/b:\n    get:\n      responses: {'200': {description: ok}}\n",
            "no operation can be built from templates: GET /a/{x}/b is not a collection or item operation",
        ),
    ],
)
def test_documents_nothing_of_which_can_be_built_are_refused(tmp_path: Path, text: str, message: str) -> None:
    doc = tmp_path / "doc.yaml"
    doc.write_text(text)
    with pytest.raises(OpenAPIError, match=message):
        spec_from_openapi(doc)


def test_an_example_the_field_refuses_is_not_used_and_a_yaml_date_is_read(tmp_path: Path) -> None:
    doc = tmp_path / "api.yaml"
    unquoted = BOOKSHOP.read_text().replace('example: "2024-03-01"', "example: 2024-03-01")  # YAML: a date
    doc.write_text(unquoted.replace("example: 12.5", "example: -3"))
    spec = spec_from_openapi(doc)
    price = spec.entity("Book").field("price")  # type: ignore[union-attr]
    assert price is not None and price.example is None
    assert spec.entity("Book").field("published").example == "2024-03-01"  # type: ignore[union-attr]
    assert any("Book" in a and "price" in a and "-3" in a for a in spec.assumptions), spec.assumptions


PETSTORE = BOOKSHOP.parent / "petstore.yaml"
PETSTORE_EXPANDED = BOOKSHOP.parent / "petstore-expanded.yaml"


def test_the_real_petstore_builds_what_templates_can_and_lists_the_rest() -> None:
    spec = spec_from_openapi(PETSTORE)
    got = {(ep.method, ep.path, ep.action) for ep in spec.endpoints}
    assert got == {
        ("POST", "/pet", "create"),
        ("GET", "/pet/findByStatus", "list"),
        ("GET", "/pet/{petId}", "get"),
        ("DELETE", "/pet/{petId}", "delete"),
        ("POST", "/store/order", "create"),
        ("GET", "/store/order/{orderId}", "get"),
        ("DELETE", "/store/order/{orderId}", "delete"),
        ("POST", "/user", "register"),  # a password: registered, stored as a hash
        ("POST", "/api/auth/login", "login"),  # its pet operations name security schemes: users log in
        ("GET", "/api/auth/me", "me"),
    }
    user = spec.entity("User")
    assert user is not None and user.field("password").type == "password"  # type: ignore[union-attr]
    assert spec.auth.kind == "token" and user.field("username").unique  # type: ignore[union-attr]
    secured = {(ep.method, ep.path) for ep in spec.endpoints if ep.auth_required}
    assert ("POST", "/pet") in secured and ("GET", "/pet/{petId}") in secured  # api_key or petstore_auth
    assert ("POST", "/store/order", "create") in got and ("POST", "/store/order") not in secured
    skipped = [a for a in spec.assumptions if a.startswith("not built: ")]
    assert any("POST /pet/{petId}/uploadImage" in a for a in skipped)
    assert any("GET /user/{username}" in a and "string username" in a for a in skipped)
    assert any("GET /pet/findByTags would be a second list of Pet" in a for a in skipped)
    assert any("query parameter status is not supported" in a for a in spec.assumptions)
    assert len(set(spec.assumptions)) == len(spec.assumptions)


def test_petstore_expanded_keeps_its_error_shape_from_the_default_response() -> None:
    spec = spec_from_openapi(PETSTORE_EXPANDED)
    assert {(ep.method, ep.path, ep.success_status) for ep in spec.endpoints} == {
        ("GET", "/pets", 200), ("POST", "/pets", 200), ("GET", "/pets/{id}", 200), ("DELETE", "/pets/{id}", 204)
    }  # fmt: skip
    assert spec.error_style == "flat"  # its Error schema is {code, message}, given only as the default response


def test_security_requirements_become_login_on_exactly_those_operations() -> None:
    spec = spec_from_openapi(SECURED_BOOKSHOP)
    assert spec.auth.kind == "token" and spec.auth.user_entity == "User"
    secured = {(ep.method, ep.path) for ep in spec.endpoints if ep.auth_required}
    assert secured == {("POST", "/books"), ("PUT", "/books/{bookId}"), ("DELETE", "/books/{bookId}"),
                       ("POST", "/authors"), ("GET", "/api/auth/me")}  # fmt: skip
    assert {ep.path for ep in spec.endpoints if ep.entity == "User"} == {"/api/auth/register", "/api/auth/login",
                                                                          "/api/auth/me"}  # fmt: skip
    book, author = spec.entity("Book"), spec.entity("Author")
    assert book is not None and book.public and author is not None and author.public  # anyone may read them
    update = next(ep for ep in spec.endpoints if ep.action == "update")
    assert update.status_for("forbidden", 0) == 403  # only a book's creator changes it
    assert not spec.needs_login(next(ep for ep in spec.endpoints if ep.action == "list"))
    assert spec.needs_login(update)
    assert any("security" in a for a in spec.assumptions)
    plain = spec_from_openapi(BOOKSHOP)
    assert plain.auth.kind == "none" and not any(ep.auth_required for ep in plain.endpoints)


def test_a_document_bomb_an_oversized_and_a_binary_document_are_refused(tmp_path: Path) -> None:
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    levels += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 30)}]" for i in range(1, 12)]
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(
        "openapi: 3.0.0\n" + "\n".join(levels) + "\npaths:\n  /a:\n    get: {responses: {'200': {description: ok}}}\n"
    )
    with pytest.raises(OpenAPIError, match="more than 200 aliases"):
        spec_from_openapi(bomb)
    big = tmp_path / "big.yaml"
    big.write_text("openapi: 3.0.0\n# " + "x" * 5_000_001 + "\n")
    with pytest.raises(OpenAPIError, match="documents of at most 5,000,000 bytes"):
        spec_from_openapi(big)
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"openapi: 3.0.0\n\xff\xfe")
    with pytest.raises(OpenAPIError, match="not UTF-8 text"):
        spec_from_openapi(binary)


def test_a_few_yaml_aliases_still_load(tmp_path: Path) -> None:
    doc = tmp_path / "aliased.yaml"
    text = BOOKSHOP.read_text()
    assert "&" not in text
    doc.write_text(text.replace("info:", "x-common: &ok {description: ok}\nx-again: *ok\ninfo:", 1))
    assert len(spec_from_openapi(doc).endpoints) == 7


def test_a_property_the_templates_cannot_hold_is_refused_by_name_not_with_a_traceback(tmp_path: Path) -> None:
    doc = tmp_path / "api.yaml"
    text = BOOKSHOP.read_text()
    assert "      properties:\n        title:" in text
    doc.write_text(
        text.replace(
            "      properties:\n        title:",
            "      properties:\n        createdAt: {type: string}\n        title:",
            1,
        )
    )
    with pytest.raises(OpenAPIError, match=r"property 'createdAt': field name 'created_at' is reserved"):
        spec_from_openapi(doc)
