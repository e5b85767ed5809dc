"""The model's draft -> a spec: normalization, the repair round, refusals (scripted engine)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from aigc.engines.base import GenerationParams
from aigc.engines.fake import FakeEngine
from aigc.project.draft import DRAFT_SCHEMA, ProjectRefused, SpecError, check_scope, spec_from_requirement, to_spec

REQ = "创建一个用户注册功能，用户名已存在时返回错误"


def draft(**change: Any) -> dict[str, Any]:
    base = {
        "in_scope": True,
        "refusal": "",
        "app_name": "注册",
        "summary": "",
        "login_required": False,
        "entities": [
            {
                "name": "User",
                "label": "用户",
                "owned_by_user": False,
                "fields": [
                    {
                        "name": "username",
                        "type": "string",
                        "required": True,
                        "unique": True,
                        "label": "用户名",
                        "ref": "",
                    },
                    {
                        "name": "password",
                        "type": "password",
                        "required": True,
                        "unique": False,
                        "label": "密码",
                        "ref": "",
                    },
                ],
            }
        ],
        "rules": ["用户名已存在时返回错误", "用户名已存在时返回错误"],
        "assumptions": [],
    }
    return base | change


def test_the_registration_draft_becomes_a_register_endpoint_in_chinese() -> None:
    spec = to_spec(draft(), REQ)
    assert spec.language == "zh" and spec.auth.kind == "none"
    assert [(ep.method, ep.path) for ep in spec.endpoints] == [("POST", "/api/register")]
    assert spec.rules == ["用户名已存在时返回错误"]  # repeated rules once


def test_normalization_drops_ids_answers_and_bad_refs_and_says_so() -> None:
    entities = [
        {
            "name": "todo item",
            "label": "",
            "owned_by_user": True,
            "fields": [
                {"name": "id", "type": "integer", "required": True, "unique": True, "label": "", "ref": ""},
                {"name": "Title", "type": "string", "required": True, "unique": False, "label": "", "ref": ""},
                {"name": "list_id", "type": "ref", "required": True, "unique": False, "label": "", "ref": "Nowhere"},
            ],
        },
        {
            "name": "Error",
            "label": "",
            "owned_by_user": False,
            "fields": [
                {"name": "message", "type": "string", "required": True, "unique": False, "label": "", "ref": ""}
            ],
        },
    ]
    spec = to_spec(draft(entities=entities, login_required=False), "a todo list where each user has their own items")
    assert [e.name for e in spec.entities] == ["User", "TodoItem"]  # owned rows need accounts: one was added
    todo = spec.entity("TodoItem")
    assert todo is not None and [f.name for f in todo.fields] == ["title", "list_id"]
    assert todo.field("list_id").type == "integer"  # type: ignore[union-attr]
    assert spec.auth.kind == "token" and spec.language == "en"
    said = " ".join(spec.assumptions)
    assert "User account" in said and "Error" in said and "list_id" in said


def test_a_draft_the_spec_refuses_gets_one_repair_round_then_a_clear_error() -> None:
    bad = json.dumps(
        draft(
            entities=[
                {
                    "name": "User",
                    "label": "",
                    "owned_by_user": False,
                    "fields": [
                        {"name": "class", "type": "string", "required": True, "unique": False, "label": "", "ref": ""}
                    ],
                }
            ]
        )
    )
    good = json.dumps(draft())
    engine = FakeEngine([bad, good])
    done = spec_from_requirement(REQ, engine, GenerationParams())
    assert done.repairs == 1 and done.spec.entities[0].name == "User"
    assert "breaks these rules" in engine.requests[1].messages[-1].content
    assert engine.requests[0].params.json_schema == DRAFT_SCHEMA  # grammar-constrained
    with pytest.raises(SpecError, match="after a repair round"):
        spec_from_requirement(REQ, FakeEngine([bad]), GenerationParams())


@pytest.mark.parametrize("text", ["a desktop GUI for photos in tkinter", "做一个安卓手机应用", "写一个桌面应用程序"])
def test_out_of_scope_requirements_are_refused_before_the_model(text: str) -> None:
    with pytest.raises(ProjectRefused, match="web applications"):
        check_scope(text)


def test_the_model_can_refuse_too() -> None:
    engine = FakeEngine([json.dumps(draft(in_scope=False, refusal="this is a game"))])
    with pytest.raises(ProjectRefused, match="this is a game"):
        spec_from_requirement("a chess engine", engine, GenerationParams())


def test_copies_links_and_accounts_nobody_asked_for_are_dropped() -> None:
    def ent(name: str, owned: bool, *fields: tuple[str, str, str]) -> dict[str, Any]:
        made = [{"name": n, "type": t, "required": True, "unique": False, "label": "", "ref": r} for n, t, r in fields]
        return {"name": name, "label": "", "owned_by_user": owned, "fields": made}

    user = ent("User", False, ("username", "string", ""), ("password", "password", ""))
    product = ent("Product", False, ("name", "string", ""), ("price", "number", ""))
    copies = [user, product, ent("Products", True, ("name", "string", "")), ent("Search", False, ("q", "string", ""))]
    spec = to_spec(draft(entities=copies, login_required=True), "一个商品目录，可以按名称搜索商品")
    assert [e.name for e in spec.entities] == ["Product"] and spec.auth.kind == "none"
    assert any("no accounts" in a for a in spec.assumptions)

    task = ent("Task", False, ("title", "string", ""))
    links = [user, task, ent("UserTasks", True, ("task_id", "ref", "Task"))]
    todo = to_spec(draft(entities=links, login_required=True), "each user logs in and manages their own tasks")
    assert [e.name for e in todo.entities] == ["User", "Task"] and todo.entity("Task").owned  # type: ignore[union-attr]
    assert todo.auth.kind == "token"


def test_an_entity_labelled_with_the_name_a_reference_wants_takes_that_name() -> None:
    entities = [
        {"name": "User", "label": "Post", "owned_by_user": False, "fields": [
            {"name": "title", "type": "string", "required": True, "unique": True, "label": "", "ref": ""}]},
        {"name": "Comment", "label": "", "owned_by_user": False, "fields": [
            {"name": "post_id", "type": "ref", "required": True, "unique": False, "label": "", "ref": "Post"}]},
    ]  # fmt: skip
    spec = to_spec(draft(entities=entities), "a blog where readers comment on posts")
    comment = spec.entity("Comment")
    assert spec.entity("Post") is not None and comment is not None
    assert comment.fields[0].type == "ref" and comment.fields[0].ref == "Post"


def test_an_entity_meant_as_the_account_gets_the_password_instead_of_a_second_user() -> None:
    entities = [
        {"name": "User", "label": "", "owned_by_user": False, "fields": [
            {"name": "username", "type": "string", "required": True, "unique": True, "label": "", "ref": ""}]},
        {"name": "Check-in", "label": "", "owned_by_user": True, "fields": [
            {"name": "day", "type": "date", "required": True, "unique": False, "label": "", "ref": ""}]},
    ]  # fmt: skip
    spec = to_spec(draft(entities=entities, login_required=True), "each user logs in and records check-ins")
    assert [e.name for e in spec.entities] == ["User", "CheckIn"]
    user = spec.entity("User")
    assert user is not None and user.has_password and spec.auth.kind == "token"


def test_an_entity_named_for_a_verb_on_another_becomes_an_action() -> None:
    from aigc.project.draft import to_spec

    answer = draft()
    answer["entities"].append(
        {
            "name": "Task",
            "label": "Task",
            "owned_by_user": False,
            "fields": [
                {"name": "title", "type": "string", "required": True, "unique": False, "label": "Title", "ref": ""}
            ],
        }
    )
    answer["entities"].append(
        {
            "name": "MarkTaskAsDone",
            "label": "",
            "owned_by_user": False,
            "fields": [
                {"name": "task_id", "type": "ref", "required": True, "unique": False, "label": "", "ref": "Task"}
            ],
        }
    )
    answer["actions"] = [
        {"entity": "Task", "name": "delete", "description": "remove it"},
        {"entity": "Nothing", "name": "archive", "description": "archive it"},
    ]
    spec = to_spec(answer, "a todo list: tasks with a title, and I can mark a task as done")
    assert [e.name for e in spec.entities] == ["Task"]  # no accounts: the requirement names none
    assert [(a.entity, a.name, a.description) for a in spec.actions] == [
        ("Task", "mark_task_as_done", "mark task as done")
    ]
    assert any("MarkTaskAsDone is something done to a Task" in a for a in spec.assumptions)
    assert sum("left out (no such entity" in a for a in spec.assumptions) == 2  # a CRUD name, an unknown entity


def _entity(name: str, label: str, *fields: str) -> dict[str, Any]:
    columns = [{"name": f, "type": "string", "required": True, "unique": False, "label": f, "ref": ""} for f in fields]
    return {"name": name, "label": label, "owned_by_user": False, "fields": columns}


def test_an_entity_copied_from_the_prompt_s_example_is_left_out_and_said() -> None:
    """A small model wrote the example's recipes into a wiki: they are not what was asked for."""
    entities = [_entity("Page", "page", "title", "body"), _entity("Recipe", "recipe", "name", "minutes")]
    spec = to_spec(draft(entities=entities), "A wiki: anyone can write pages with a title and a body")
    assert [e.name for e in spec.entities] == ["Page"]
    assert any("Recipe is the prompt's example" in a for a in spec.assumptions)
    with pytest.raises(ValueError, match="only repeats the prompt's example"):
        to_spec(draft(entities=[entities[1]]), "A wiki: anyone can write pages with a title and a body")


def test_an_example_s_entity_the_requirement_names_is_kept_in_either_language() -> None:
    books = [_entity("Book", "图书", "title")]
    assert [e.name for e in to_spec(draft(entities=books), "做一个借书系统，每本书有书名").entities] == ["Book"]
    recipes = [_entity("Recipe", "菜谱", "name")]
    assert [e.name for e in to_spec(draft(entities=recipes), "a site of my recipes").entities] == ["Recipe"]
