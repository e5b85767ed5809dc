"""AppSpec validation and the standard REST surface a spec of entities gets."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from aigc.project.design import with_standard_parts
from aigc.project.spec import AppSpec
from tests.project.specs import BLOG, REGISTRATION, TODO


def routes(spec: AppSpec) -> set[str]:
    return {f"{ep.method} {ep.path}" for ep in spec.endpoints}


def test_registration_gets_a_register_endpoint_with_a_conflict_case_and_no_listing_of_users() -> None:
    assert routes(REGISTRATION) == {"POST /api/register"}
    (register,) = REGISTRATION.endpoints
    assert register.success_status == 201
    assert register.status_for("conflict", 0) == 409


def test_token_auth_adds_login_and_guards_every_owned_endpoint() -> None:
    assert {"POST /api/auth/register", "POST /api/auth/login", "GET /api/auth/me"} <= routes(TODO)
    tasks = TODO.endpoints_for("Task")
    assert {ep.action for ep in tasks} == {"list", "create", "get", "update", "delete"}
    assert all(ep.auth_required for ep in tasks)


def test_crud_paths_use_the_plural_table_name() -> None:
    assert "GET /api/posts/{id}" in routes(BLOG) and "DELETE /api/comments/{id}" in routes(BLOG)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"entities": [{"name": "A", "fields": [{"name": "x", "type": "ref", "ref": "Nope"}]}]}, "unknown entity"),
        ({"entities": [{"name": "A", "fields": [{"name": "id"}]}]}, "reserved"),
        ({"entities": [{"name": "A", "fields": [{"name": "class"}]}]}, "not a usable name"),
        ({"entities": [{"name": "A", "fields": [{"name": "x"}, {"name": "x"}]}]}, "repeats fields"),
        ({"entities": [{"name": "A", "owned": True, "fields": [{"name": "x"}]}]}, "need token auth"),
        ({"entities": [{"name": "A", "fields": [{"name": "x", "min_length": 5, "max_length": 2}]}]}, "min_length"),
        (
            {"auth": {"kind": "token", "user_entity": "A"}, "entities": [{"name": "A", "fields": [{"name": "x"}]}]},
            "needs a username field",
        ),
    ],
)
def test_invalid_specs_say_what_is_wrong(change: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        with_standard_parts(AppSpec.model_validate({"name": "x", **change}))


def test_an_endpoint_path_cannot_climb_out() -> None:
    data = REGISTRATION.model_dump()
    data["endpoints"][0]["path"] = "/api/../etc"
    with pytest.raises(ValidationError, match=r"'\.\.'"):
        AppSpec.model_validate(data)
