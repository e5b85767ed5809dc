"""AppSpec: what a generated app holds (entities, endpoints, pages, auth, rules), validated before any file
is written. The model writes a short draft (aigc.project.draft), an OpenAPI document maps to a spec
directly (aigc.project.openapi); the templates and the derived tests read only this.

Conventions the templates rely on: every entity has an integer `id`; a field of type `ref` holds another
entity's id; a field of type `password` is stored only as a slow hash and never returned; with token auth,
an entity marked `owned` belongs to the user who created it and nobody else sees it. With token auth every
entity but the account is owned unless marked `public`: then everyone sees its rows, and only the user who
created a row may change or delete it (403 for anyone else).

Business rules are kept in words (`rules`); those the model turned into code that passed its tests are
also `checks`: a function of the request's record, run by the create and update routes (aigc.project.rules).
"""

from __future__ import annotations

import ast
import datetime
import keyword
import re
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from aigc.project.fields import EMAIL_PATTERN, TEXT_TYPES, FieldType, max_length, min_length

Action = Literal["list", "create", "get", "update", "delete", "register", "login", "me", "custom"]
Method = Literal["GET", "POST", "PUT", "PATCH", "DELETE"]
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_RESERVED_FIELDS = {"id", "owner_id", "created_at", "password_hash"}
# A URL path as RFC 3986 allows it (unreserved, sub-delims, ':', '@', '%' escapes) plus {param}: no quotes,
# backslashes, spaces or line breaks, whatever file the path is written into.
_PATH = re.compile(r"^/[A-Za-z0-9\-._~!$&'()*+,;=:@%/{}]*$")


def _url_path(value: str, what: str) -> str:
    if not _PATH.match(value) or ".." in value or "//" in value:
        raise ValueError(f"{what} {value!r} must start with / and hold only URL path characters, no '..' or '//'")
    return value


def _identifier(value: str, what: str) -> str:
    if not _NAME.match(value) or keyword.iskeyword(value):
        raise ValueError(f"{what} {value!r} is not a usable name (letters, digits and _, starting with a letter)")
    return value


def snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def plural(word: str) -> str:
    if word.endswith(("s", "x", "z", "ch", "sh")):
        return word + "es"
    if word.endswith("y") and word[-2:-1] not in ("a", "e", "i", "o", "u"):
        return word[:-1] + "ies"
    return word + "s"


class FieldSpec(BaseModel):
    name: str
    type: FieldType = "string"
    required: bool = True
    unique: bool = False
    min_length: int | None = Field(default=None, ge=0)
    max_length: int | None = Field(default=None, ge=1)
    minimum: float | None = None
    maximum: float | None = None
    ref: str | None = None  # the entity a `ref` field points to
    searchable: bool = False  # the list endpoint filters on it with ?q=
    description: str = ""
    # A valid value the derived tests and the probe send (unless the field is unique); set when a business
    # rule's check needs a record it accepts, or by an OpenAPI document's `example`.
    example: str | int | float | bool | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        v = _identifier(snake(v), "field")
        if v in _RESERVED_FIELDS:
            raise ValueError(f"field name {v!r} is reserved (the templates add it themselves)")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> FieldSpec:
        if self.type == "ref" and not self.ref:
            raise ValueError(f"field {self.name!r} is a ref but names no entity")
        if self.min_length is not None and self.max_length is not None and self.min_length > self.max_length:
            raise ValueError(f"field {self.name!r}: min_length above max_length")
        if self.minimum is not None and self.maximum is not None and self.minimum > self.maximum:
            raise ValueError(f"field {self.name!r}: minimum above maximum")
        if self.type in ("password", "boolean") and self.unique:
            raise ValueError(f"field {self.name!r}: a {self.type} cannot be unique")
        if self.example is not None and (problem := self.example_problem(self.example)):
            raise ValueError(f"field {self.name!r}: example {self.example!r} {problem}")
        return self

    def example_problem(self, value: Any) -> str | None:
        """Why `value` is not a valid value of this field, or None (the checks the app's validation makes)."""
        if self.type in ("password", "ref"):
            return f"cannot be given for a {self.type} field"
        if self.is_text or self.type in ("date", "datetime"):
            if not isinstance(value, str):
                return "is not a string"
            if self.type in ("date", "datetime"):
                try:
                    parse = datetime.date if self.type == "date" else datetime.datetime
                    parse.fromisoformat(value)
                except ValueError:
                    return f"is not an ISO {self.type}"
                return None
            low = min_length(self.type, self.min_length, self.required) or 0
            if len(value) < low or len(value) > max_length(self.type, self.max_length):
                return "breaks the length limits"
            if self.type == "email" and not re.match(EMAIL_PATTERN, value):
                return "is not an email address"
            return None
        if self.type == "boolean":
            return None if isinstance(value, bool) else "is not true or false"
        wanted = int if self.type == "integer" else (int, float)
        if isinstance(value, bool) or not isinstance(value, wanted):
            return f"is not {'an integer' if self.type == 'integer' else 'a number'}"
        if (self.minimum is not None and value < self.minimum) or (self.maximum is not None and value > self.maximum):
            return "is outside the field's range"
        return None

    @property
    def is_text(self) -> bool:
        return self.type in TEXT_TYPES


class EntitySpec(BaseModel):
    name: str  # CamelCase singular, e.g. "Product"
    fields: list[FieldSpec] = Field(min_length=1)
    owned: bool = False  # with auth: rows belong to the user who created them (the default with token auth)
    public: bool = False  # with auth: everyone sees the rows; only their creator changes or deletes them
    description: str = ""

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        v = _identifier(v[:1].upper() + v[1:], "entity")
        return v

    @model_validator(mode="after")
    def _unique_fields(self) -> EntitySpec:
        names = [f.name for f in self.fields]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"entity {self.name!r} repeats fields: {', '.join(dupes)}")
        return self

    @property
    def table(self) -> str:
        return plural(snake(self.name))

    @property
    def has_password(self) -> bool:
        return any(f.type == "password" for f in self.fields)

    def field(self, name: str) -> FieldSpec | None:
        return next((f for f in self.fields if f.name == name), None)


class ErrorCase(BaseModel):
    status: int = Field(ge=400, le=599)
    kind: Literal["validation", "conflict", "not_found", "unauthorized", "forbidden", "rule"] = "validation"
    when: str = ""


class EndpointSpec(BaseModel):
    method: Method
    path: str  # e.g. "/api/products/{id}"
    action: Action
    entity: str
    summary: str = ""
    success_status: int = Field(default=200, ge=200, le=299)
    errors: list[ErrorCase] = Field(default_factory=list)
    auth_required: bool = False

    @field_validator("path")
    @classmethod
    def _path(cls, v: str) -> str:
        return _url_path(v, "endpoint path")

    @model_validator(mode="after")
    def _params(self) -> EndpointSpec:
        wants = 1 if self.action in ("get", "update", "delete", "custom") else 0
        if len(self.path_params) != wants:
            raise ValueError(f"{self.method} {self.path}: a {self.action} endpoint takes {wants} path parameter(s)")
        return self

    @property
    def path_params(self) -> list[str]:
        return re.findall(r"{([A-Za-z_][A-Za-z0-9_]*)}", self.path)

    def status_for(self, kind: str, default: int) -> int:
        return next((e.status for e in self.errors if e.kind == kind), default)

    @property
    def operation_name(self) -> str:
        return f"{self.action}_{snake(self.entity)}"


class CheckSpec(BaseModel):
    """A business rule as code: `function(record) -> str | None`, a message when the record breaks it."""

    rule: str = Field(min_length=1)  # the rule in words, as in AppSpec.rules
    entity: str
    function: str  # e.g. check_event_dates; defined by `code`
    code: str  # Python source; it runs inside the generated app only (and in aigc's sandbox)
    tests: list[str] = Field(default_factory=list)  # asserts the code passed (model-written, kept)
    rejects: dict[str, Any] | None = None  # a valid record the check refuses: the HTTP test sends it
    status: int = Field(default=422, ge=400, le=499)

    @field_validator("function")
    @classmethod
    def _function(cls, v: str) -> str:
        return _identifier(v, "check function")

    @model_validator(mode="after")
    def _defines(self) -> CheckSpec:
        try:
            tree = ast.parse(self.code)
        except SyntaxError as exc:
            raise ValueError(f"check {self.function}: its code does not parse ({exc.msg}, line {exc.lineno})") from None
        if not any(isinstance(n, ast.FunctionDef) and n.name == self.function for n in tree.body):
            raise ValueError(f"check {self.function}: its code defines no function of that name")
        return self


class ActionSpec(BaseModel):
    """A custom endpoint on one row, POST <path>: `function(record) -> dict | str` returns the fields to
    change, or a message when the action is not allowed for that row (answered with `refused_status`).
    The model writes `code` when the project is built; until then the action has no endpoint."""

    entity: str
    name: str  # e.g. complete; the endpoint is POST /api/<table>/{id}/<name> unless `path` says otherwise
    description: str = Field(min_length=1)  # what it does, in words
    path: str | None = None
    code: str | None = None
    function: str | None = None  # defined by `code`
    tests: list[str] = Field(default_factory=list)  # asserts the code passed (model-written, kept)
    refused_status: int = Field(default=409, ge=400, le=499)

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        return _identifier(snake(v), "action")

    @model_validator(mode="after")
    def _code(self) -> ActionSpec:
        if self.path is not None:
            _url_path(self.path, f"action {self.name}: path")
        if self.code is not None:
            if self.function is None:
                raise ValueError(f"action {self.name}: code without the name of its function")
            _identifier(self.function, "action function")
            try:
                tree = ast.parse(self.code)
            except SyntaxError as exc:
                raise ValueError(
                    f"action {self.name}: its code does not parse ({exc.msg}, line {exc.lineno})"
                ) from None
            if not any(isinstance(n, ast.FunctionDef) and n.name == self.function for n in tree.body):
                raise ValueError(f"action {self.name}: its code defines no function {self.function}")
        return self


class PageSpec(BaseModel):
    entity: str
    title: str


class AuthSpec(BaseModel):
    kind: Literal["none", "token"] = "none"
    user_entity: str | None = None  # the entity with the username and password fields
    username_field: str = "username"
    password_field: str = "password"
    token_minutes: int = Field(default=60, ge=1, le=60 * 24 * 30)


class AppSpec(BaseModel):
    name: str = Field(min_length=1, max_length=80)
    summary: str = ""
    entities: list[EntitySpec] = Field(min_length=1)
    endpoints: list[EndpointSpec] = Field(default_factory=list)
    pages: list[PageSpec] = Field(default_factory=list)
    auth: AuthSpec = Field(default_factory=AuthSpec)
    rules: list[str] = Field(default_factory=list)  # business rules in words, as the requirement states them
    checks: list[CheckSpec] = Field(default_factory=list)  # the rules enforced by code
    actions: list[ActionSpec] = Field(default_factory=list)  # custom endpoints on one row
    assumptions: list[str] = Field(default_factory=list)  # what was decided where the requirement was silent
    language: Literal["zh", "en"] = "en"
    # {"error": {...}}, or {code, message} where an OpenAPI document's error schema says so
    error_style: Literal["nested", "flat"] = "nested"

    @model_validator(mode="after")
    def _references(self) -> AppSpec:
        names = [e.name for e in self.entities]
        if len(set(names)) != len(names):
            raise ValueError("entity names must be distinct")
        for entity in self.entities:
            for f in entity.fields:
                if f.type == "ref" and f.ref not in names:
                    raise ValueError(f"{entity.name}.{f.name} refers to unknown entity {f.ref!r}")
        for ep in self.endpoints:
            if ep.entity not in names:
                raise ValueError(f"endpoint {ep.method} {ep.path} is about unknown entity {ep.entity!r}")
        for c in self.checks:
            if c.entity not in names:
                raise ValueError(f"check {c.function} is about unknown entity {c.entity!r}")
        for a in self.actions:
            if a.entity not in names:
                raise ValueError(f"action {a.name} is about unknown entity {a.entity!r}")
        functions = [c.function for c in self.checks] + [a.function for a in self.actions if a.function]
        if len(set(functions)) != len(functions):
            raise ValueError("two checks or actions share a function name")
        routes = [(ep.method, ep.path) for ep in self.endpoints]
        if len(set(routes)) != len(routes):
            raise ValueError("two endpoints share a method and path")
        if self.auth.kind == "token":
            user = self.entity(self.auth.user_entity or "")
            if user is None:
                raise ValueError("token auth needs user_entity: the entity that holds usernames and passwords")
            for needed, kind in ((self.auth.username_field, None), (self.auth.password_field, "password")):
                found = user.field(needed)
                if found is None or (kind and found.type != kind):
                    raise ValueError(f"auth: {user.name} needs a {kind or 'username'} field named {needed!r}")
            for entity in self.entities:  # with login, rows are owned unless the spec says public
                if entity.owned and entity.public:
                    raise ValueError(f"{entity.name} cannot be both owned and public")
                if not entity.has_password and not entity.public:
                    entity.owned = True
        elif any(e.owned for e in self.entities):
            raise ValueError("owned entities need token auth (who would own them?)")
        return self

    def needs_login(self, ep: EndpointSpec) -> bool:
        """Whether this endpoint answers 401 without a valid token: those the spec (or the OpenAPI document's
        `security`) says, every one of an owned entity, and changes to a public entity's rows (only their
        creator may make them)."""
        entity = self.entity(ep.entity)
        if self.auth.kind != "token" or entity is None or ep.action in ("register", "login"):
            return False
        if entity.has_password:
            return ep.action == "me"
        return ep.auth_required or entity.owned or ep.action in ("update", "delete", "custom")

    def entity(self, name: str) -> EntitySpec | None:
        return next((e for e in self.entities if e.name == name), None)

    def action_path(self, action: ActionSpec) -> str:
        entity = self.entity(action.entity)
        return action.path or f"/api/{entity.table if entity else snake(action.entity)}/{{id}}/{action.name}"

    def endpoints_for(self, entity: str) -> list[EndpointSpec]:
        return [ep for ep in self.endpoints if ep.entity == entity]

    def endpoint(self, entity: str, action: str) -> EndpointSpec | None:
        return next((ep for ep in self.endpoints if ep.entity == entity and ep.action == action), None)

    @property
    def slug(self) -> str:
        return re.sub(r"[^a-z0-9]+", "-", self.name.lower()).strip("-") or "app"
