"""Specs the project tests build: the shapes the templates must handle."""

from __future__ import annotations

from aigc.project.design import with_standard_parts
from aigc.project.spec import AppSpec

REGISTRATION = with_standard_parts(
    AppSpec.model_validate(
        {
            "name": "用户注册",
            "summary": "用户名已存在时返回错误",
            "language": "zh",
            "entities": [
                {
                    "name": "User",
                    "description": "用户",
                    "fields": [
                        {
                            "name": "username",
                            "unique": True,
                            "min_length": 3,
                            "max_length": 32,
                            "description": "用户名",
                        },
                        {"name": "password", "type": "password", "description": "密码"},
                    ],
                }
            ],
        }
    )
)

TODO = with_standard_parts(
    AppSpec.model_validate(
        {
            "name": "Todo",
            "summary": "each user manages their own tasks",
            "auth": {"kind": "token", "user_entity": "User"},
            "entities": [
                {
                    "name": "User",
                    "fields": [{"name": "username", "unique": True}, {"name": "password", "type": "password"}],
                },
                {
                    "name": "Task",
                    "owned": True,
                    "fields": [
                        {"name": "title", "max_length": 200},
                        {"name": "done", "type": "boolean"},
                        {"name": "due", "type": "date", "required": False},
                    ],
                },
            ],
        }
    )
)

BLOG = with_standard_parts(
    AppSpec.model_validate(
        {
            "name": "Blog",
            "summary": "posts with comments",
            "entities": [
                {
                    "name": "Post",
                    "fields": [
                        {"name": "title", "max_length": 120, "unique": True, "searchable": True},
                        {"name": "body", "type": "text"},
                    ],
                },
                {
                    "name": "Comment",
                    "fields": [
                        {"name": "post_id", "type": "ref", "ref": "Post"},
                        {"name": "author", "max_length": 50},
                        {"name": "rating", "type": "integer", "minimum": 1, "maximum": 5, "required": False},
                        {"name": "posted", "type": "datetime", "required": False},
                        {"name": "score", "type": "number", "minimum": 0, "maximum": 1, "required": False},
                        {"name": "email", "type": "email", "required": False},
                    ],
                },
            ],
        }
    )
)

# With login: notes are each user's own (the default), topics are public: everyone reads them, only the
# user who wrote one may change or delete it, and the action on a topic is its writer's too.
CLOSE_TOPIC = """def close_topic(record: dict) -> dict | str:
    return {"closed": not record.get("closed")}
"""
FORUM = with_standard_parts(
    AppSpec.model_validate(
        {
            "name": "Forum",
            "summary": "public topics, private notes",
            "auth": {"kind": "token", "user_entity": "Member"},
            "entities": [
                {
                    "name": "Member",
                    "fields": [{"name": "username", "unique": True}, {"name": "password", "type": "password"}],
                },
                {
                    "name": "Topic",
                    "public": True,
                    "fields": [{"name": "title", "max_length": 120}, {"name": "closed", "type": "boolean"}],
                },
                {"name": "Note", "fields": [{"name": "text", "type": "text"}]},
            ],
            "actions": [
                {
                    "entity": "Topic",
                    "name": "close",
                    "description": "close the topic",
                    "code": CLOSE_TOPIC,
                    "function": "close_topic",
                }
            ],
        }
    )
)

# Unique fields of every kind that can be unique, and a reference: samples must differ per row.
EVENTS = with_standard_parts(AppSpec.model_validate({
    "name": "Events",
    "entities": [
        {"name": "Organiser", "fields": [
            {"name": "name", "unique": True}, {"name": "day", "type": "date", "unique": True},
            {"name": "fee", "type": "number", "unique": True}, {"name": "at", "type": "datetime", "required": False}]},
        {"name": "Event", "fields": [
            {"name": "organiser_id", "type": "ref", "ref": "Organiser"},
            {"name": "capacity", "type": "integer", "minimum": 1}]},
    ],
}))  # fmt: skip

DISCOUNT_CHECK = """def check_product(record: dict) -> str | None:
    sale = record.get("sale_price")
    if sale is not None and sale >= record["price"]:
        return "the sale price must be below the price"
    return None
"""
SHOP = with_standard_parts(AppSpec.model_validate({
    "name": "Shop",
    "rules": ["the sale price must be below the price", "product names are unique"],
    "entities": [
        {"name": "Product", "fields": [
            {"name": "name", "unique": True}, {"name": "price", "type": "number", "minimum": 0, "example": 10.0},
            {"name": "sale_price", "type": "number", "required": False, "minimum": 0, "example": 4.5}]},
    ],
    "checks": [{
        "rule": "the sale price must be below the price", "entity": "Product", "function": "check_product",
        "code": DISCOUNT_CHECK,
        "tests": ["assert check_product({'name': 'a', 'price': 10.0, 'sale_price': 12.0}) is not None",
                  "assert check_product({'name': 'a', 'price': 10.0, 'sale_price': 5.0}) is None",
                  "assert check_product({'name': 'a', 'price': 10.0, 'sale_price': None}) is None"],
        "rejects": {"price": 10.0, "sale_price": 12.0},
    }],
}))  # fmt: skip

COMPLETE_TASK = """def complete_task(record: dict) -> dict | str:
    if record["done"]:
        return "the task is already done"
    return {"done": True}
"""
TASKS = with_standard_parts(AppSpec.model_validate({
    "name": "Tasks",
    "entities": [{"name": "Task", "fields": [
        {"name": "title"}, {"name": "done", "type": "boolean", "example": False}]}],
    "actions": [{
        "entity": "Task", "name": "complete", "description": "mark the task done; a done task cannot be completed",
        "code": COMPLETE_TASK, "function": "complete_task",
        "tests": ["assert complete_task({'title': 'a', 'done': False}) == {'done': True}",
                  "assert isinstance(complete_task({'title': 'a', 'done': True}), str)"],
    }],
}))  # fmt: skip
