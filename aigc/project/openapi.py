"""OpenAPI 3 (YAML or JSON) -> AppSpec, deterministically. Paths, methods, request bodies and status codes
are kept exactly as the document says; what the document does not say is listed in the spec's assumptions.

Each operation is mapped to what the templates build: a collection path (`/pets`) answers list (GET) and
create (POST); an item path (`/pets/{petId}`) answers get, update (PUT/PATCH) and delete. An operation of
another shape cannot be built from templates and is refused with its path, rather than left out silently.
"""

from __future__ import annotations

import datetime
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from aigc.errors import OpenAPIError
from aigc.project.design import standard_endpoints
from aigc.project.spec import ActionSpec, AppSpec, AuthSpec, EndpointSpec, EntitySpec, ErrorCase, FieldSpec, snake

_KINDS = {
    400: "validation",
    422: "validation",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    409: "conflict",
}
_METHODS = ("get", "post", "put", "patch", "delete")


MAX_DOCUMENT_BYTES = 5_000_000  # the largest public API documents are a few MB
MAX_ALIASES = 200  # YAML aliases (*name); more is how a "billion laughs" document explodes when walked


class _BoundedLoader(yaml.SafeLoader):
    """SafeLoader that refuses a document with more than MAX_ALIASES aliases."""

    aliases = 0

    def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            self.aliases += 1
            if self.aliases > MAX_ALIASES:
                raise yaml.YAMLError(f"more than {MAX_ALIASES} aliases (*name): refused, as a document bomb")
        return super().compose_node(parent, index)  # type: ignore[arg-type]


def load_document(path: Path) -> dict[str, Any]:
    try:
        size = path.stat().st_size
        if size > MAX_DOCUMENT_BYTES:
            raise OpenAPIError(f"{path}: {size:,} bytes; documents of at most {MAX_DOCUMENT_BYTES:,} bytes are read")
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise OpenAPIError(f"cannot read {path}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise OpenAPIError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    try:
        doc = yaml.load(text, Loader=_BoundedLoader)  # a SafeLoader, with the alias bound
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        raise OpenAPIError(f"{where}: not valid YAML or JSON ({exc.problem})") from exc
    except yaml.YAMLError as exc:
        raise OpenAPIError(f"{path}: not valid YAML or JSON ({exc})") from exc
    if not isinstance(doc, dict) or not str(doc.get("openapi", "")).startswith("3"):
        raise OpenAPIError(f"{path}: not an OpenAPI 3 document (no 'openapi: 3.x' at the top)")
    if not isinstance(doc.get("paths"), dict) or not doc["paths"]:
        raise OpenAPIError(f"{path}: the document has no paths")
    return doc


def spec_from_openapi(path: Path) -> AppSpec:
    doc = load_document(path)
    mapper = _Mapper(doc, path)
    return mapper.spec()


class _Mapper:
    def __init__(self, doc: dict[str, Any], source: Path) -> None:
        self.doc, self.source = doc, source
        self.schemas: dict[str, Any] = doc.get("components", {}).get("schemas", {}) or {}
        self.entities: dict[str, EntitySpec] = {}
        self.assumptions: list[str] = []
        self.flat_errors = False
        self.built: dict[tuple[str, str], str] = {}  # (entity, action) -> the route that has it
        self.pending_actions: list[tuple[str, dict[str, Any]]] = []

    def spec(self) -> AppSpec:
        ops = [(route, m, item[m]) for route, item in self.doc["paths"].items() for m in _METHODS if m in item]
        # Operations that name a schema first, so a bare DELETE /books/{id} finds the entity /books holds.
        order = sorted(range(len(ops)), key=lambda i: self._object_name_of(ops[i][2]) is None)
        skipped: list[str] = []
        mapped = {i: self._operation(*ops[i], skipped) for i in order}
        endpoints = [ep for i in range(len(ops)) if (ep := mapped[i]) is not None]
        actions = [a for route, op in self.pending_actions if (a := self._action_of(route, op, skipped))]
        if not endpoints:
            raise OpenAPIError(f"{self.source}: no operation can be built from templates: {'; '.join(skipped)}")
        self.assumptions += [f"not built: {why}" for why in skipped]
        info = self.doc.get("info", {}) or {}
        name = str(info.get("title") or self.source.stem)[:80]
        spec = AppSpec(
            name=name,
            summary=str(info.get("description") or "")[:500],
            entities=list(self.entities.values()),
            endpoints=endpoints,
            assumptions=[],
            language="zh" if re.search(r"[\u4e00-\u9fff]", name) else "en",
            error_style="flat" if self.flat_errors else "nested",
            actions=actions,
        )
        if any(ep.auth_required for ep in endpoints):
            spec = self._with_login(spec)
        # a schema used by several operations notes once
        return spec.model_copy(update={"assumptions": list(dict.fromkeys(self.assumptions))})

    def _secured(self, op: dict[str, Any]) -> bool:
        """The operation's `security` (or the document's): a requirement with a scheme in it means a login."""
        wanted = op.get("security", self.doc.get("security"))
        return isinstance(wanted, list) and any(isinstance(r, dict) and r for r in wanted)

    def _with_login(self, spec: AppSpec) -> AppSpec:
        """Operations that require `security` get token auth: the document's account entity (a schema with
        a password) logs in, or a User is added; register, login and me come from the templates."""
        account = next((e for e in spec.entities if e.has_password), None)
        entities = list(spec.entities)
        if account is None:
            account = EntitySpec(
                name="User" if spec.entity("User") is None else "AppUser",
                fields=[
                    FieldSpec(name="username", unique=True, min_length=3, max_length=50),
                    FieldSpec(name="password", type="password"),
                ],
            )
            entities.insert(0, account)
            self.assumptions.append(
                f"operations require security: {account.name} accounts (username, password) "
                "were added to log in with (POST /api/auth/register, /api/auth/login)"
            )
        password = next(f.name for f in account.fields if f.type == "password")
        names = [f for f in account.fields if f.type != "password" and f.is_text]
        login = next((f for f in names if f.name == "username"), None) or next((f for f in names if f.unique), None)
        if login is None:
            raise OpenAPIError(f"{self.source}: {account.name} has a password but no name field to log in with")
        if not login.unique:  # one account per name, or a login could not say whose it is
            self.assumptions.append(f"{account.name}.{login.name} is what users log in with: it is unique")
            fields = [f.model_copy(update={"unique": True}) if f is login else f for f in account.fields]
            entities = [e.model_copy(update={"fields": fields}) if e is account else e for e in entities]
            account = next(e for e in entities if e.name == account.name)
        username = login.name
        auth = AuthSpec(kind="token", user_entity=account.name, username_field=username, password_field=password)
        provisional = AppSpec(name=spec.name, entities=entities, auth=auth, language=spec.language)
        have = {(ep.entity, ep.action) for ep in spec.endpoints}
        added = [ep for ep in standard_endpoints(provisional, account) if (ep.entity, ep.action) not in have]
        for ep in added:
            self.assumptions.append(f"{ep.method} {ep.path}: {ep.summary} (added for the document's security)")
        # An entity the document lets anyone read is public (only a row's creator changes it); one whose reads
        # need a login too is owned: each user sees their own rows.
        reads = {
            e.name: [ep for ep in spec.endpoints if ep.entity == e.name and ep.action in ("list", "get")]
            for e in entities
        }
        public = {e.name for e in entities if not e.has_password and any(not ep.auth_required for ep in reads[e.name])}
        shaped = [
            e.model_dump() | {"public": e.name in public, "owned": e.name not in public and not e.has_password}
            for e in entities
        ]
        forbidden = ErrorCase(status=403, kind="forbidden", when="the row belongs to another user")
        endpoints = [
            ep.model_copy(update={"errors": [*ep.errors, forbidden]})
            if ep.entity in public and ep.action in ("update", "delete") and ep.status_for("forbidden", 0) == 0
            else ep
            for ep in [*added, *spec.endpoints]
        ]
        return AppSpec.model_validate(
            spec.model_dump()
            | {
                "entities": shaped,
                "auth": auth.model_dump(),
                "endpoints": [ep.model_dump() for ep in endpoints],
            }
        )

    def _action_of(self, route: str, op: dict[str, Any], skipped: list[str]) -> ActionSpec | None:
        """POST /tasks/{id}/complete on a built entity: an action whose code the model writes at build time."""
        base, _, name = route.rpartition("/")
        entity = self.entities.get(base.split("{")[0].rstrip("/"))
        if entity is None or entity.has_password:
            skipped.append(f"POST {route}: no entity at {base} to act on")
            return None
        words = str(op.get("description") or op.get("summary") or op.get("operationId") or name).strip()
        success = sorted(int(c) for c in (op.get("responses") or {}) if str(c).isdigit() and 200 <= int(c) < 300)
        if success and success[0] != 200:
            self.assumptions.append(f"POST {route}: answers 200 with the changed {entity.name}, not {success[0]}")
        self.assumptions.append(f"POST {route}: an action the model writes from its description: {words[:200]}")
        return ActionSpec(entity=entity.name, name=re.sub(r"\W+", "_", name), description=words[:500], path=route)

    def _operation(self, route: str, method: str, op: dict[str, Any], skipped: list[str]) -> EndpointSpec | None:
        """The endpoint, or None with the reason in `skipped` (the rest of the document is still built)."""
        where = f"{method.upper()} {route}"
        action = _action(method, route, re.findall(r"{([^}]+)}", route))
        if action is None and method == "post" and _ACTION_ROUTE.match(route) and not self._request_body(op):
            self.pending_actions.append((route, op))  # POST /tasks/{id}/complete: the model writes it
            return None
        if action is None:
            skipped.append(f"{where} is not a collection or item operation (list, create, get, update, delete)")
            return None
        params = [p for p in op.get("parameters") or [] if isinstance(p, dict)]
        params += [p for p in self.doc["paths"][route].get("parameters") or [] if isinstance(p, dict)]
        for p in map(self._parameter, params):
            kind = (p.get("schema") or {}).get("type")
            if p.get("in") == "path" and kind not in (None, "integer"):
                skipped.append(f"{where} looks rows up by a {kind} {p.get('name')}; the templates use integer ids")
                return None
            if p.get("in") == "query" and not (action == "list" and p.get("name") in _LIST_QUERY):
                self.assumptions.append(f"{where}: query parameter {p.get('name')} is not supported; ignored")
        if (entity := self._entity_of(op, route, skipped)) is None:
            return None
        account = next((e for e in self.entities.values() if e.name == entity), None)
        if account is not None and account.has_password:  # the templates never list or change accounts
            if action != "create":
                skipped.append(f"{where}: {entity} holds a password; accounts are only registered")
                return None
            action = "register"
            self.assumptions.append(f"{where} registers a {entity}: answers {{message, {snake(entity)}}}")
        if (entity, action) in self.built:
            skipped.append(f"{where} would be a second {action} of {entity} (at {self.built[(entity, action)]})")
            return None
        self.built[(entity, action)] = route
        return self._endpoint(method, route, action, entity, op)

    def _endpoint(self, method: str, route: str, action: str, entity: str, op: dict[str, Any]) -> EndpointSpec:
        responses = {str(code): r for code, r in (op.get("responses") or {}).items()}
        success = sorted(int(c) for c in responses if c.isdigit() and 200 <= int(c) < 300)
        if not success:
            self.assumptions.append(f"{method.upper()} {route}: no 2xx response documented; answering 200")
        if "default" in responses:  # "unexpected error": its schema is the shape of every error
            self._note_error_shape(responses["default"])
        errors = []
        for code in sorted(int(c) for c in responses if c.isdigit() and int(c) >= 400):
            kind = _KINDS.get(code, "validation" if code < 500 else None)
            if kind:
                errors.append(ErrorCase(status=code, kind=kind, when=str(responses[str(code)].get("description", ""))))  # type: ignore[arg-type]
                self._note_error_shape(responses[str(code)])
        secured = self._secured(op)
        if secured and not any(e.kind == "unauthorized" for e in errors):
            errors.append(ErrorCase(status=401, kind="unauthorized", when="no valid token"))
        return EndpointSpec(
            method=method.upper(),  # type: ignore[arg-type]
            path=route,
            action=action,  # type: ignore[arg-type]
            entity=entity,
            summary=str(op.get("summary") or op.get("operationId") or ""),
            success_status=success[0] if success else 200,
            errors=errors,
            auth_required=secured,
        )

    def _note_error_shape(self, response: dict[str, Any]) -> None:
        schema = self._resolve(((response.get("content") or {}).get("application/json") or {}).get("schema") or {})
        props = schema.get("properties") or {}
        if "code" in props and "message" in props:
            self.flat_errors = True

    def _object_name_of(self, op: dict[str, Any]) -> str | None:
        """The schema an operation's success answer (or else its body) is made of."""
        candidates = []
        for code, response in (op.get("responses") or {}).items():
            if str(code).startswith("2"):
                candidates.append(((response or {}).get("content") or {}).get("application/json", {}).get("schema"))
        body = ((self._request_body(op).get("content") or {}).get("application/json") or {}).get("schema")
        return next((name for name in map(self._object_name, [*candidates, body]) if name), None)

    def _entity_of(self, op: dict[str, Any], route: str, skipped: list[str]) -> str | None:
        name = self._object_name_of(op)
        if name:
            return self._entity(name, route)
        known = self.entities.get(route.split("{")[0].rstrip("/"))
        if known is not None:
            return known.name
        skipped.append(f"{route}: no JSON schema ($ref to components/schemas) says what it holds")
        return None

    def _entity(self, schema_name: str, route: str) -> str:
        # "NewPet" or "PetCreate" bodies describe the same entity as "Pet": key entities by the route.
        key = route.split("{")[0].rstrip("/")
        name = re.sub(r"^(New|Create)|(Create|Input|In|Request)$", "", schema_name) or schema_name
        existing = self.entities.get(key)
        if existing is None:  # the same schema at another route (/pet/findByStatus holds Pets too)
            key, existing = next(((k, e) for k, e in self.entities.items() if e.name == name), (key, None))
        schema = self._resolve({"$ref": f"#/components/schemas/{schema_name}"})
        fields = _fields(schema, self.assumptions, schema_name)
        if existing is None:
            entity = EntitySpec(name=name, fields=fields)
            self.entities[key] = entity
            return entity.name
        known = {f.name for f in existing.fields}
        extra = [f for f in fields if f.name not in known]
        if extra:
            self.entities[key] = EntitySpec(name=existing.name, fields=[*existing.fields, *extra])
        return existing.name

    def _object_name(self, schema: Any) -> str | None:
        """The components schema an answer or body is made of: `Pet`, for `Pet`, `[Pet]` or `Pets = [Pet]`."""
        for _ in range(5):
            if not isinstance(schema, dict):
                return None
            if "items" in schema:
                schema = schema["items"]
                continue
            name = _ref_name(schema)
            target = self.schemas.get(name or "")
            if isinstance(target, dict) and "items" in target:
                schema = target["items"]
                continue
            return name
        return None

    def _request_body(self, op: dict[str, Any]) -> dict[str, Any]:
        """The operation's request body, or the one its $ref names under components/requestBodies."""
        body = op.get("requestBody") or {}
        ref = body.get("$ref") if isinstance(body, dict) else None
        if isinstance(ref, str) and ref.startswith("#/components/requestBodies/"):
            found = ((self.doc.get("components") or {}).get("requestBodies") or {}).get(ref.rsplit("/", 1)[-1])
            if not isinstance(found, dict):
                raise OpenAPIError(f"{self.source}: unresolved reference {ref}")
            return found
        return body if isinstance(body, dict) else {}

    def _parameter(self, p: dict[str, Any]) -> dict[str, Any]:
        """A parameter, or the one its $ref names under components/parameters."""
        ref = p.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/parameters/"):
            found = ((self.doc.get("components") or {}).get("parameters") or {}).get(ref.rsplit("/", 1)[-1])
            if not isinstance(found, dict):
                raise OpenAPIError(f"{self.source}: unresolved reference {ref}")
            return found
        return p

    def _resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        seen = 0
        while isinstance(schema, dict) and "$ref" in schema and seen < 20:
            name = _ref_name(schema)
            if name is None or name not in self.schemas:
                raise OpenAPIError(f"{self.source}: unresolved reference {schema['$ref']}")
            schema, seen = self.schemas[name], seen + 1
        if isinstance(schema, dict) and "allOf" in schema:  # merge the parts (petstore-expanded's Pet)
            merged: dict[str, Any] = {"type": "object", "properties": {}, "required": []}
            for part in schema["allOf"]:
                part = self._resolve(part)
                merged["properties"].update(part.get("properties") or {})
                merged["required"] += part.get("required") or []
            return merged
        return schema if isinstance(schema, dict) else {}


_LIST_QUERY = {"q", "limit", "offset"}  # what the list endpoints take
_ACTION_ROUTE = re.compile(r"^/[^{}]+/{[^}]+}/[A-Za-z][A-Za-z0-9_-]*$")  # /tasks/{id}/complete
_PASSWORD_NAMES = {"password", "passwd", "pwd", "passcode"}  # plain strings by the document, secrets by name


def _action(method: str, route: str, params: list[str]) -> str | None:
    item = route.rstrip("/").endswith("}") and len(params) == 1
    collection = not params
    table = {("get", True): "get", ("put", True): "update", ("patch", True): "update", ("delete", True): "delete"}
    if item:
        return table.get((method, True))
    if collection:
        return {"get": "list", "post": "create"}.get(method)
    return None


def _ref_name(schema: Any) -> str | None:
    if isinstance(schema, dict) and isinstance(schema.get("$ref"), str):
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    return None


def _fields(schema: dict[str, Any], assumptions: list[str], where: str) -> list[FieldSpec]:
    required = set(schema.get("required") or [])
    fields = []
    for name, prop in (schema.get("properties") or {}).items():
        if name == "id" or (isinstance(prop, dict) and prop.get("readOnly")):
            continue
        kind = _type(prop if isinstance(prop, dict) else {})
        if kind == "string" and name.lower() in _PASSWORD_NAMES:
            kind = "password"
            assumptions.append(f"{where}.{name}: stored as a slow hash and never returned (it names a password)")
        if kind is None:
            assumptions.append(f"{where}.{name}: a nested object or array is not stored; left out")
            continue
        try:
            spec = FieldSpec(
                name=name,
                type=kind,
                required=name in required,
                unique=bool(prop.get("x-unique")),
                min_length=prop.get("minLength"),
                max_length=prop.get("maxLength"),
                minimum=prop.get("minimum"),
                maximum=prop.get("maximum"),
                description=str(prop.get("description") or "")[:200],
            )
        except ValidationError as exc:  # a name or a bound the templates cannot hold
            reason = "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())
            raise OpenAPIError(f"schema {where}, property {name!r}: {reason}") from exc
        fields.append(spec)
        if isinstance(prop, dict) and "example" in prop:
            fields[-1] = _with_example(fields[-1], prop["example"], assumptions, f"{where}.{name}")
    if not fields:
        raise OpenAPIError(f"schema {where} has no storable properties")
    return fields


def _with_example(f: FieldSpec, example: Any, assumptions: list[str], where: str) -> FieldSpec:
    """The document's example becomes the value the derived tests send, when the field's rules accept it."""
    if isinstance(example, (datetime.date, datetime.datetime)):  # YAML reads an unquoted date as a date
        example = example.isoformat()
    problem = f.example_problem(example) if isinstance(example, (str, int, float, bool)) else "is not a scalar"
    if problem:
        assumptions.append(f"{where}: example {example!r} {problem}; not used")
        return f
    return f.model_copy(update={"example": example})


def _type(prop: dict[str, Any]) -> Any:
    kind, fmt = prop.get("type"), prop.get("format")
    if kind == "string":
        formats = {"email": "email", "password": "password", "date": "date", "date-time": "datetime"}
        return formats.get(str(fmt), "string")
    return {"integer": "integer", "number": "number", "boolean": "boolean"}.get(str(kind))
