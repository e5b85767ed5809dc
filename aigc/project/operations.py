"""The operations of an OpenAPI document as typed interfaces, exactly as the document has them: each
operation's path, query, header and cookie parameters, its request body (content type and model) and its
responses (status code, content type, model). A handler for an operation is written against this; the
templates' routes take the parameters and the body by the document's names and answer with its codes.

Types come from aigc.project.oas_models, one Models for the whole document, so a schema used by several
operations is one class. Path-level parameters apply to every operation under the path unless the
operation redefines them (same name and location); `$ref`s to components/parameters, requestBodies and
responses resolve. What cannot be honoured is refused with the operation it belongs to: a path parameter
the template names but no parameter declares (or the reverse), an operation without responses, a body
in a content type the routes cannot read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from aigc.errors import OpenAPIError
from aigc.project.oas_models import Models, attribute, class_name, follow

METHODS = ("get", "post", "put", "patch", "delete")
Location = Literal["path", "query", "header", "cookie"]
LOCATIONS: tuple[Location, ...] = ("path", "query", "header", "cookie")
# Request bodies the routes read, in the order one is chosen when an operation offers several.
# Names a handler's parameter never takes: the route's and the handler's own (the body, the state).
_TAKEN = frozenset({"body", "state", "request", "form", "raw", "answers", "current_user"})
BODY_TYPES = (
    "application/json",
    "multipart/form-data",
    "application/x-www-form-urlencoded",
    "text/plain",
    "application/octet-stream",
)


@dataclass(frozen=True)
class Parameter:
    name: str  # as the document has it
    location: Location
    annotation: str
    required: bool
    attr: str  # the handler's argument for it: a Python identifier


@dataclass(frozen=True)
class Body:
    content_type: str
    annotation: str  # a model class for JSON and forms, str for text, bytes for octet-stream
    required: bool
    files: tuple[str, ...] = ()  # multipart fields that are uploads (format: binary)
    required_fields: tuple[str, ...] = ()  # a form's required fields


@dataclass(frozen=True)
class Answer:
    status: str  # "200", "404", "2XX" or "default", as the document has it
    description: str
    content_type: str | None  # None: no body
    annotation: str | None


@dataclass(frozen=True)
class Operation:
    method: str  # upper case
    path: str
    name: str  # the handler's function name, from operationId or method and path
    summary: str
    parameters: tuple[Parameter, ...]
    body: Body | None
    answers: tuple[Answer, ...]
    security: tuple[str, ...]  # the security schemes any one of which it accepts; () is open

    @property
    def where(self) -> str:
        return f"{self.method} {self.path}"

    def success(self) -> Answer:
        """The answer of a call that works: the lowest documented 2xx, else the default."""
        ok = sorted((a for a in self.answers if a.status[0] == "2"), key=lambda a: a.status)
        return ok[0] if ok else next(a for a in self.answers if a.status == "default")


def operations(doc: dict[str, Any], models: Models | None = None) -> tuple[list[Operation], Models]:
    """Every operation of the document, in its order, with the models their types use."""
    models = models or Models(doc)
    paths = doc.get("paths")
    if not isinstance(paths, dict) or not paths:
        raise OpenAPIError("the document has no paths")
    found: list[Operation] = []
    names: set[str] = set()
    for path, item in paths.items():
        if not isinstance(path, str) or not path.startswith("/"):
            raise OpenAPIError(f"path {path!r}: paths start with '/'")
        if not isinstance(item, dict):
            raise OpenAPIError(f"{path}: a path item must be a mapping")
        for method in METHODS:
            if method in item:
                op = _operation(doc, models, path, method, item, names)
                names.add(op.name)
                found.append(op)
    if not found:
        raise OpenAPIError("the document has no operations (get, post, put, patch or delete)")
    return found, models


def _operation(
    doc: dict[str, Any], models: Models, path: str, method: str, item: dict[str, Any], names: set[str]
) -> Operation:
    op = item[method]
    where = f"{method.upper()} {path}"
    if not isinstance(op, dict):
        raise OpenAPIError(f"{where}: an operation must be a mapping")
    name = _unique(_function_name(op.get("operationId"), method, path), names)
    parameters = _parameters(doc, models, item, op, where, name)
    declared = {p.name for p in parameters if p.location == "path"}
    templated = set(re.findall(r"\{([^/{}]+)\}", path))
    if declared != templated:
        missing = sorted(templated - declared) or sorted(declared - templated)
        what = "names" if templated - declared else "declares"
        raise OpenAPIError(f"{where}: the path {what} {', '.join(missing)} without a matching path parameter")
    responses = follow(doc, op.get("responses"), f"{where} responses")
    if not isinstance(responses, dict) or not responses:
        raise OpenAPIError(f"{where}: the operation has no responses; every operation must document at least one")
    answers = tuple(_answer(doc, models, str(code), r, where, name) for code, r in responses.items())
    security = op.get("security", doc.get("security", []))
    return Operation(
        method=method.upper(),
        path=path,
        name=name,
        summary=str(op.get("summary") or op.get("description") or "")[:300],
        parameters=parameters,
        body=_body(doc, models, op.get("requestBody"), where, name),
        answers=answers,
        security=_security(security),
    )


def _security(requirements: Any) -> tuple[str, ...]:
    """The schemes named by an operation's security requirements; () when one of them is `{}` (open)."""
    listed = [r for r in requirements if isinstance(r, dict)] if isinstance(requirements, list) else []
    if any(not r for r in listed):
        return ()
    return tuple(sorted({str(s) for r in listed for s in r}))


def _function_name(operation_id: Any, method: str, path: str) -> str:
    if isinstance(operation_id, str) and operation_id.strip():
        words = re.findall(r"[A-Za-z0-9]+", re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", operation_id))
    else:
        words = [method, *re.findall(r"[A-Za-z0-9]+", path)]
    name = "_".join(w.lower() for w in words) or method
    return attribute(f"op_{name}" if name[0].isdigit() else name)


def _unique(name: str, taken: set[str]) -> str:
    candidate, n = name, 2
    while candidate in taken:
        candidate, n = f"{name}_{n}", n + 1
    return candidate


def _parameters(
    doc: dict[str, Any], models: Models, item: dict[str, Any], op: dict[str, Any], where: str, name: str
) -> tuple[Parameter, ...]:
    merged: dict[tuple[str, Location], dict[str, Any]] = {}
    for i, raw in enumerate([*(item.get("parameters") or []), *(op.get("parameters") or [])]):
        p = follow(doc, raw, f"{where} parameter {i}")
        if not isinstance(p, dict) or not isinstance(p.get("name"), str) or p.get("in") not in LOCATIONS:
            raise OpenAPIError(f"{where}: parameter {i} needs a name and 'in' (path, query, header or cookie)")
        merged[(p["name"], next(loc for loc in LOCATIONS if loc == p["in"]))] = p  # the operation's own wins
    out: list[Parameter] = []
    taken: set[str] = set()
    for (pname, location), p in merged.items():
        if location == "path" and p.get("required") is not True:
            raise OpenAPIError(f"{where}: path parameter {pname} must be required")
        schema = p.get("schema", {"type": "string"})
        annotation = models.annotation(schema, class_name(f"{name} {location} {pname}"))
        attr = attribute(pname)
        while attr in taken or attr in _TAKEN:
            attr += "_"
        taken.add(attr)
        out.append(Parameter(pname, location, annotation, bool(p.get("required")), attr))
    return tuple(out)


def _body(doc: dict[str, Any], models: Models, raw: Any, where: str, name: str) -> Body | None:
    if raw is None:
        return None
    body = follow(doc, raw, f"{where} requestBody")
    content = body.get("content") if isinstance(body, dict) else None
    if not isinstance(content, dict) or not content:
        raise OpenAPIError(f"{where}: the request body has no content types")
    offered = {str(k).split(";")[0].strip().lower(): v for k, v in content.items()}
    chosen = next((t for t in BODY_TYPES if t in offered), None)
    if chosen is None:
        chosen = next((t for t in offered if t.endswith("+json")), None)
    if chosen is None:
        raise OpenAPIError(f"{where}: cannot read a request body of {', '.join(sorted(offered))}")
    media = offered[chosen] if isinstance(offered[chosen], dict) else {}
    schema = media.get("schema", {})
    required = bool(body.get("required"))
    if chosen == "text/plain":
        return Body(chosen, "str", required)
    if chosen == "application/octet-stream":
        return Body(chosen, "bytes", required)
    annotation = models.annotation(schema, class_name(f"{name} body"))
    files = _uploads(doc, schema) if chosen == "multipart/form-data" else ()
    form = follow(doc, schema, f"{where} form") if chosen in BODY_TYPES[1:3] else {}
    needed = form.get("required") if isinstance(form, dict) else None
    fields = tuple(str(f) for f in needed) if isinstance(needed, list) else ()
    return Body(chosen, annotation, required, files, fields)


def _uploads(doc: dict[str, Any], schema: Any) -> tuple[str, ...]:
    schema = follow(doc, schema, "multipart schema")
    properties = schema.get("properties") if isinstance(schema, dict) else None
    if not isinstance(properties, dict):
        return ()
    out = []
    for field, sub in properties.items():
        sub = follow(doc, sub, f"multipart field {field}")
        items = sub.get("items") if isinstance(sub, dict) and sub.get("type") == "array" else sub
        if isinstance(items, dict) and items.get("format") in ("binary", "base64"):
            out.append(str(field))
    return tuple(out)


def _answer(doc: dict[str, Any], models: Models, status: str, raw: Any, where: str, name: str) -> Answer:
    if not re.fullmatch(r"[1-5](\d\d|XX)|default", status):
        raise OpenAPIError(f"{where}: {status!r} is not a status code")
    answer = follow(doc, raw, f"{where} response {status}")
    if not isinstance(answer, dict):
        raise OpenAPIError(f"{where}: response {status} must be a mapping")
    content = answer.get("content") or {}
    description = str(answer.get("description") or "")[:300]
    if not isinstance(content, dict) or not content:
        return Answer(status, description, None, None)
    types = {str(k).split(";")[0].strip().lower(): v for k, v in content.items()}
    chosen = "application/json" if "application/json" in types else next(iter(types))
    media = types[chosen] if isinstance(types[chosen], dict) else {}
    if chosen == "application/json" or chosen.endswith("+json"):
        annotation = models.annotation(media.get("schema", {}), class_name(f"{name} answer {status}"))
    else:
        annotation = "bytes" if media.get("schema", {}).get("format") == "binary" else "str"
    return Answer(status, description, chosen, annotation)


def security_schemes(doc: dict[str, Any]) -> tuple[dict[str, tuple[str, str]], dict[str, str]]:
    """The document's security schemes the app checks, as (kind, carrier) by name, and why each other one
    is not: a bearer token or OAuth 2 access token in the Authorization header, an API key in a header,
    a query parameter or a cookie, each a token the app issued (or a key the operator configured)."""
    raw = follow(doc, (doc.get("components") or {}).get("securitySchemes"), "securitySchemes")
    checked: dict[str, tuple[str, str]] = {}
    refused: dict[str, str] = {}
    for name, scheme in (raw or {}).items() if isinstance(raw, dict) else ():
        scheme = follow(doc, scheme, f"securitySchemes {name}")
        scheme = scheme if isinstance(scheme, dict) else {}
        kind, carrier = scheme.get("type"), scheme.get("name")
        if (kind == "http" and str(scheme.get("scheme", "")).lower() == "bearer") or kind == "oauth2":
            checked[str(name)] = ("bearer", "Authorization")
        elif kind == "apiKey" and scheme.get("in") in ("header", "query", "cookie") and isinstance(carrier, str):
            if carrier.strip():
                checked[str(name)] = (str(scheme["in"]), carrier.strip())
            else:
                refused[str(name)] = "an API key scheme without a name"
        elif kind == "http":
            refused[str(name)] = f"HTTP {scheme.get('scheme', '')!s} authentication (the app checks bearer tokens)"
        else:
            refused[str(name)] = f"a {kind!s} scheme (the app checks bearer tokens and API keys)"
    return checked, refused


def unchecked(op: Operation, checked: dict[str, tuple[str, str]], refused: dict[str, str]) -> str:
    """Why the app cannot check any scheme `op` accepts; "" when it can check one (or `op` is open)."""
    if not op.security or any(s in checked for s in op.security):
        return ""
    return "; ".join(f"{s}: {refused.get(s, 'not defined in components.securitySchemes')}" for s in op.security)
