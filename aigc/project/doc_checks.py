"""Checks an app must pass that follow from its OpenAPI document alone, as HTTP requests with the status
codes they may get: every required property of a JSON body left out, a value of the wrong type, a value
outside an enum, a string past its maxLength, a number past its bounds, each refused with one of the
operation's documented validation codes (400 or 422; either when the document names neither); and a
valid request built from the document's examples and samples, answered with one of its documented codes.
An operation the document secures is sent each of these with a credential the app issued (the test mints
it with backend.safety.issue_token), and also without one and with a forged one: both must get 401.

Valid samples come from the schema: its example, default or first enum value, else a value made for its
type, format and bounds. A string with a pattern and no example gets no made-up sample (a random string
would not match it), so checks that need a valid request for that schema are left out and counted in
`skipped`.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, TypeGuard

from aigc.project.oas_models import follow
from aigc.project.operations import Operation, security_schemes

FORMAT_SAMPLES = {
    "date-time": "2026-01-02T03:04:05Z",
    "date": "2026-01-02",
    "email": "user@example.com",
    "uri": "https://example.com/a",
    "url": "https://example.com/a",
    "uuid": "00000000-0000-4000-8000-000000000000",
}
WRONG_TYPE = {"string": 12345, "integer": "not a number", "number": "not a number", "boolean": "maybe"}
WRONG_TYPE |= {"array": "not a list", "object": "not an object"}


class NoSample(Exception):
    """The schema has no value aigc can make up that the app must accept."""


@dataclass(frozen=True)
class Check:
    operation: str  # "POST /calculator"
    name: str  # what it tries, e.g. "body without expression"
    method: str
    path: str  # with sample values in place of the path parameters
    query: dict[str, Any]
    json: Any  # the body, or None for none
    expect: tuple[int, ...]  # the status codes the app may answer with
    credential: tuple[str, str] | None = None  # (kind, carrier) of a scheme to send a valid token by
    forged: bool = False  # send a token signed with another key instead


@dataclass
class Checks:
    checks: list[Check] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # what could not be checked, and why


def sample(doc: dict[str, Any], schema: Any, depth: int = 0) -> Any:
    """A value the schema accepts; raises NoSample where aigc cannot make one up."""
    schema = follow(doc, schema, "sample")
    if depth > 16 or not isinstance(schema, dict):
        raise NoSample("too deep or not a schema")
    for key in ("example", "default"):
        if key in schema:
            return copy.deepcopy(schema[key])
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        values = [v for v in schema["enum"] if v is not None]
        return copy.deepcopy(values[0]) if values else None
    if "allOf" in schema:
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            value = sample(doc, part, depth + 1)
            if isinstance(value, dict):
                merged |= value
        return merged
    for key in ("oneOf", "anyOf"):
        if schema.get(key):
            return sample(doc, schema[key][0], depth + 1)
    kind = _kind(schema)
    if kind == "string":
        return _string(schema)
    if kind in ("integer", "number"):
        return _number(schema, kind)
    if kind == "boolean":
        return True
    if kind == "array":
        return [sample(doc, schema.get("items", {}), depth + 1) for _ in range(max(1, int(schema.get("minItems", 1))))]
    if kind == "object":
        properties = schema.get("properties") or {}
        required = set(schema.get("required") or [])
        return {name: sample(doc, sub, depth + 1) for name, sub in properties.items() if name in required}
    return "x"


def _kind(schema: dict[str, Any]) -> str | None:
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    if kind is None and "properties" in schema:
        return "object"
    return kind if isinstance(kind, str) else None


def _string(schema: dict[str, Any]) -> str:
    if schema.get("format") in FORMAT_SAMPLES:
        return FORMAT_SAMPLES[schema["format"]]
    if "pattern" in schema:
        raise NoSample(f"a string matching {schema['pattern']!r}")
    length = max(int(schema.get("minLength", 1)), 1)
    return "a" * min(length, int(schema.get("maxLength", length)))


def _number(schema: dict[str, Any], kind: str) -> int | float:
    low, high, exclusive = schema.get("minimum"), schema.get("maximum"), schema.get("exclusiveMinimum")
    value: int | float = low if _is_number(low) else 1
    if exclusive is True and _is_number(low):  # 3.0: a flag on minimum
        value = low + 1
    elif _is_number(exclusive):  # 3.1: the bound itself
        value = max(value, exclusive + 1)
    if _is_number(high) and value > high:
        value = high
    return int(value) if kind == "integer" else float(value)


def _is_number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def document_checks(doc: dict[str, Any], ops: list[Operation]) -> Checks:
    """The checks for every operation with a JSON body, and the valid request for each operation."""
    out = Checks()
    checked, _ = security_schemes(doc)
    for op in ops:
        try:
            path, query = _address(doc, op)
        except NoSample as why:
            out.skipped.append(f"{op.where}: no sample for its parameters ({why})")
            continue
        documented = tuple(sorted({int(a.status) for a in op.answers if a.status.isdigit()}))
        credential = next((checked[s] for s in op.security if s in checked), None)
        if credential is not None:
            out.checks.append(Check(op.where, "no credential", op.method, path, query, None, (401,)))
            out.checks.append(
                Check(op.where, "a forged credential", op.method, path, query, None, (401,), credential, True)
            )
        if op.body is None:
            out.checks.append(Check(op.where, "a valid request", op.method, path, query, None, documented, credential))
            continue
        if op.body.content_type != "application/json":
            out.skipped.append(f"{op.where}: a {op.body.content_type} body is checked by the handler's own tests")
            continue
        schema = _body_schema(doc, op)
        try:
            valid = sample(doc, schema)
        except NoSample as why:
            out.skipped.append(f"{op.where}: no valid body to vary ({why})")
            continue
        out.checks.append(Check(op.where, "a valid request", op.method, path, query, valid, documented, credential))
        refused = _refusal_codes(op)
        for name, body in _invalid_bodies(doc, schema, valid):
            out.checks.append(Check(op.where, name, op.method, path, query, body, refused, credential))
    return out


def _address(doc: dict[str, Any], op: Operation) -> tuple[str, dict[str, Any]]:
    path, query = op.path, {}
    raw = _raw_parameters(doc, op)
    for p in op.parameters:
        if p.location == "path":
            path = path.replace("{" + p.name + "}", str(sample(doc, raw.get((p.name, "path"), {}).get("schema", {}))))
        elif p.location == "query" and p.required:
            query[p.name] = sample(doc, raw.get((p.name, "query"), {}).get("schema", {}))
    return path, query


def _raw_parameters(doc: dict[str, Any], op: Operation) -> dict[tuple[str, str], dict[str, Any]]:
    item = doc["paths"][op.path]
    found = {}
    for raw in [*(item.get("parameters") or []), *(item[op.method.lower()].get("parameters") or [])]:
        p = follow(doc, raw, op.where)
        found[(p["name"], p["in"])] = p
    return found


def _body_schema(doc: dict[str, Any], op: Operation) -> Any:
    body = follow(doc, doc["paths"][op.path][op.method.lower()]["requestBody"], op.where)
    content = {str(k).split(";")[0].strip().lower(): v for k, v in body["content"].items()}
    return follow(doc, (content.get("application/json") or {}).get("schema", {}), op.where)


def _refusal_codes(op: Operation) -> tuple[int, ...]:
    """A refused body's codes: the documented 400 or 422 (both when neither is), and where they come
    first, the documented answers for a missing login (401, 403) or a missing path resource (404)."""
    codes = {int(a.status) for a in op.answers if a.status in ("400", "422")} or {400, 422}
    others = {"401", "403"} if op.security else set()
    others |= {"404"} if "{" in op.path else set()
    codes |= {int(a.status) for a in op.answers if a.status in others}
    return tuple(sorted(codes))


def _invalid_bodies(doc: dict[str, Any], schema: Any, valid: Any) -> list[tuple[str, Any]]:
    """Variations of a valid body that the schema refuses: one property at a time."""
    schema = follow(doc, schema, "body")
    if not isinstance(valid, dict) or not isinstance(schema, dict):
        return (
            [("a body of the wrong type", "not an object")]
            if isinstance(schema, dict) and _kind(schema) == "object"
            else []
        )
    properties = schema.get("properties") or {}
    out: list[tuple[str, Any]] = []
    for name in sorted(set(schema.get("required") or []) & set(valid)):
        out.append((f"body without {name}", {k: v for k, v in valid.items() if k != name}))
    for name, sub in properties.items():
        sub = follow(doc, sub, f"body.{name}")
        if not isinstance(sub, dict):
            continue
        for what, bad in _bad_values(sub):
            out.append((f"body with {name} {what}", {**valid, name: bad}))
    return out


def _bad_values(schema: dict[str, Any]) -> list[tuple[str, Any]]:
    kind = _kind(schema)
    out: list[tuple[str, Any]] = []
    nullable = schema.get("nullable") is True or (isinstance(schema.get("type"), list) and "null" in schema["type"])
    if kind in WRONG_TYPE and not nullable and not any(k in schema for k in ("oneOf", "anyOf", "allOf")):
        out.append((f"of the wrong type ({WRONG_TYPE[kind]!r})", WRONG_TYPE[kind]))
    if isinstance(schema.get("enum"), list) and all(isinstance(v, str) for v in schema["enum"]):
        out.append(("outside its enum", "not-" + "-".join(schema["enum"])[:60]))
    if kind == "string" and isinstance(schema.get("maxLength"), int) and schema["maxLength"] < 100_000:
        out.append((f"longer than {schema['maxLength']}", "a" * (schema["maxLength"] + 1)))
    if kind in ("integer", "number"):
        if isinstance(schema.get("minimum"), int | float) and not isinstance(schema["minimum"], bool):
            out.append((f"below {schema['minimum']}", schema["minimum"] - 1))
        if isinstance(schema.get("maximum"), int | float) and not isinstance(schema["maximum"], bool):
            out.append((f"above {schema['maximum']}", schema["maximum"] + 1))
    return out
