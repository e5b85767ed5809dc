"""Handlers the model writes for the operations of an OpenAPI document, through the verification loop.

A handler is one function of plain values: the operation's parameters under their Python names, `body`
(a dict for JSON objects and forms, an upload as {"filename", "content"}; str for text; bytes for
octet-stream), `current_user` for an operation the document secures (who signed in: the app checked the
credential first) and `state` (a dict all operations share, kept between calls by the app). It returns
(status, answer) with one of the statuses the document lists. The requirement the model gets says all
this in words, with the shapes of the body and of each answer, where the state keeps each collection,
and what the service must do (the user's requirement, else the document's own descriptions).

Trusted tests come from the document: the handler, called with a valid sample request and an empty
state, returns a documented status, and a 2xx answer has the properties the document requires. The
model's own tests come from the requirement. The chosen code must also pass `problems`: only the
standard library's harmless modules, no eval, exec, compile, open or dunder tricks, no imports of os,
subprocess, pickle and the like (the app's files and tools go through backend/safety.py, which a
handler may import), and bandit finds nothing of medium severity or worse. A handler that takes a
password must hash or check it with backend.safety (hash_password, check_password). Sign-in goes through
backend.safety too: issue_token(subject) for token schemes, start_session(subject) for cookie sessions.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass
from typing import Any

from aigc.code.checks import check_python
from aigc.project.doc_checks import NoSample, sample
from aigc.project.functions import Writer
from aigc.project.oas_models import follow
from aigc.project.operations import Operation, security_schemes
from aigc.project.service import CALLER
from aigc.verify.tests import TestCase

ALLOWED_IMPORTS = frozenset(
    {
        "base64",
        "binascii",
        "bisect",
        "calendar",
        "collections",
        "copy",
        "csv",
        "dataclasses",
        "datetime",
        "decimal",
        "difflib",
        "enum",
        "fractions",
        "functools",
        "hashlib",
        "heapq",
        "hmac",
        "html",
        "io",
        "itertools",
        "json",
        "math",
        "operator",
        "random",
        "re",
        "secrets",
        "statistics",
        "string",
        "textwrap",
        "time",
        "typing",
        "unicodedata",
        "uuid",
        "zipfile",
        "zlib",
        "backend.safety",
    }
)
FORBIDDEN_CALLS = frozenset(
    {"eval", "exec", "compile", "open", "__import__", "globals", "locals", "vars", "breakpoint"}
)
SHAPE_DEPTH = 4


@dataclass(frozen=True)
class HandlerOutcome:
    operation: str  # "POST /convert"
    name: str
    code: str | None  # None: not built
    why: str
    tests: int  # model-written tests it passed
    trusted: int
    report: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items() if k not in ("code", "report")}
        return out | {"built": self.code is not None}


PASSWORD = re.compile(r"pass(word|wd|phrase)", re.IGNORECASE)
PASSWORD_HELPERS = ("hash_password", "check_password")


def problems(code: str, *, passwords: bool = False) -> list[str]:
    """What makes model-written handler code unfit to run in the app, in words; `passwords`: the operation
    takes a password, which the code must hash or check with backend.safety."""
    try:
        tree = ast.parse(code)
    except SyntaxError as exc:
        return [f"it does not parse: {exc.msg}"]
    found: list[str] = []
    calls = [n.func for n in ast.walk(tree) if isinstance(n, ast.Call)]
    called = {f.id if isinstance(f, ast.Name) else f.attr for f in calls if isinstance(f, ast.Name | ast.Attribute)}
    if passwords and not called & set(PASSWORD_HELPERS):
        found.append("it takes a password without hash_password or check_password from backend.safety")
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [f"it imports {a.name}" for a in node.names if a.name not in ALLOWED_IMPORTS]
        elif isinstance(node, ast.ImportFrom):
            module = "." * node.level + (node.module or "")
            if module == "backend" and all(a.name == "safety" for a in node.names):
                continue
            if module not in ALLOWED_IMPORTS:
                found.append(f"it imports from {module}")
        elif isinstance(node, ast.Name) and node.id in FORBIDDEN_CALLS:
            found.append(f"it uses {node.id}")
        elif isinstance(node, ast.Attribute) and node.attr.startswith("__") and node.attr != "__name__":
            found.append(f"it reaches {node.attr}")
    report = check_python(code)
    found += [f"bandit {f.rule}: {f.message}" for f in report.findings if f.tool == "bandit" and f.severity != "info"]
    return sorted(set(found))


def shape(doc: dict[str, Any], schema: Any, depth: int = 0) -> str:
    """A schema in a few words, as a JSON-like sketch: {"value": number, "unit": "C" or "F"}."""
    schema = follow(doc, schema, "shape")
    if not isinstance(schema, dict) or depth > SHAPE_DEPTH:
        return "any value"
    if "allOf" in schema:
        merged: dict[str, Any] = {"type": "object", "properties": {}, "required": []}
        for part in schema["allOf"] if isinstance(schema["allOf"], list) else []:
            part = follow(doc, part, "shape")
            if isinstance(part, dict):
                merged["properties"] |= part.get("properties") or {}
                merged["required"] += part.get("required") or []
        return shape(doc, merged, depth)
    for key in ("oneOf", "anyOf"):
        if isinstance(schema.get(key), list):
            return " or ".join(shape(doc, s, depth + 1) for s in schema[key][:4])
    if isinstance(schema.get("enum"), list):
        return " or ".join(json.dumps(v, ensure_ascii=False) for v in schema["enum"][:12])
    kind = schema.get("type")
    kind = next((k for k in kind if k != "null"), None) if isinstance(kind, list) else kind
    if kind == "array" or "items" in schema:
        return f"[{shape(doc, schema.get('items', {}), depth + 1)}, ...]"
    if kind == "object" or "properties" in schema:
        required = set(schema.get("required") or [])
        parts = []
        for key, sub in (schema.get("properties") or {}).items():
            optional = "" if key in required else " (optional)"
            parts.append(f"{json.dumps(str(key), ensure_ascii=False)}: {shape(doc, sub, depth + 1)}{optional}")
        return "{" + ", ".join(parts) + "}" if parts else "a dict"
    if schema.get("format") == "binary":
        return "bytes"
    words = {"integer": "int", "number": "number", "boolean": "bool", "string": "string"}
    text = words.get(str(kind), "any value")
    limits = [f"{k} {schema[k]}" for k in ("minimum", "maximum", "maxLength", "format") if k in schema]
    return f"{text} ({', '.join(limits)})" if limits else text


def collections(ops: list[Operation]) -> dict[str, str]:
    """Where the state keeps what the paths name: the first segment of each path that has an id after it
    (/notes/{noteId} -> state["notes"], keyed by the id as a string)."""
    found: dict[str, str] = {}
    for op in ops:
        parts = [p for p in op.path.split("/") if p]
        for i, part in enumerate(parts[:-1]):
            if not part.startswith("{") and parts[i + 1].startswith("{"):
                found.setdefault(part, parts[i + 1].strip("{}"))
    return found


def requirement_for(doc: dict[str, Any], op: Operation, ops: list[Operation], purpose: str) -> str:
    """What the model is asked to write for `op`."""
    raw = doc["paths"][op.path][op.method.lower()]
    args = [f"{p.attr}: {_simple(p.annotation, p.required)}" for p in op.parameters]
    lines = [
        f"- {p.attr}: the {p.location} parameter {p.name!r}, {_simple(p.annotation)}"
        f"{'' if p.required else ' or None when not sent'}"
        for p in op.parameters
    ]
    if op.body is not None:
        args.append(f"body: {_body_type(op)}")
        lines.append(f"- body: {_body_text(doc, raw, op)}")
    checked, _ = security_schemes(doc)
    if secured(op, checked):
        args.append(f"{CALLER}: str")
        lines.append(
            f"- {CALLER}: who is calling, the name the caller signed in as (the app has already refused callers "
            "without a valid credential); keep each user's data apart and never show one user's to another"
        )
    args.append("state: dict")
    segments = set(op.path.split("/"))
    kept = {c: key for c, key in collections(ops).items() if c in segments}
    where = "; ".join(f'state["{c}"] maps each {key} (as a string) to its object' for c, key in kept.items())
    lines.append(
        "- state: a dict shared by all operations and kept between calls (empty at first); change it in place "
        f"to remember data, and keep only JSON values in it.{' ' + where + '.' if where else ''}"
    )
    answers = [
        f"- ({a.status if a.status.isdigit() else 200}, {_answer_text(doc, raw, a.status, a.content_type)}):"
        f" {a.description or 'as documented'}"
        for a in op.answers
    ]
    return "\n".join(
        [
            f"Write the Python function {op.name} for one operation of a web service.",
            f"The service: {purpose.strip()}",
            f"The operation: {op.where}{' - ' + op.summary if op.summary else ''}",
            "",
            f"def {op.name}({', '.join(args)}) -> tuple[int, Any]:",
            "",
            "Arguments (the app has already checked them against the interface):",
            *lines,
            "Return (status, answer), one of:",
            *answers,
            *_security_lines(op, checked, takes_password(doc, op)),
            "Use only the Python standard library; never eval, exec, open, os, subprocess or pickle.",
        ]
    )


def secured(op: Operation, checked: dict[str, tuple[str, str]]) -> bool:
    """Whether the app authenticates `op`'s caller (one of its schemes is one the app checks)."""
    return any(s in checked for s in op.security)


def takes_password(doc: dict[str, Any], op: Operation) -> bool:
    """Whether `op` takes a password: a parameter or a body field named like one."""
    if any(PASSWORD.search(p.name) for p in op.parameters):
        return True
    if op.body is None or op.body.content_type in ("text/plain", "application/octet-stream"):
        return False
    raw = doc["paths"][op.path][op.method.lower()]
    media = _media(follow(doc, raw.get("requestBody"), "body").get("content"), op.body.content_type)
    return bool(PASSWORD.search(shape(doc, media.get("schema", {}))))


def _security_lines(op: Operation, checked: dict[str, tuple[str, str]], password: bool) -> list[str]:
    lines = []
    kinds = {kind for kind, _ in checked.values()}
    if checked and not op.security:
        if kinds - {"cookie"}:
            lines.append(
                "To sign a user in (only once you have checked who they are), give them "
                "issue_token(user_name) as their token: from backend.safety import issue_token."
            )
        if "cookie" in kinds:
            lines.append(
                "To sign a user in (only once you have checked who they are), call start_session(user_name); "
                "end_session() signs them out: from backend.safety import start_session, end_session."
            )
    if password:
        lines.append(
            "Never keep a password itself: store hash_password(password) and test one with "
            "check_password(password, stored): from backend.safety import hash_password, check_password."
        )
    return lines


def _simple(annotation: str, required: bool = True) -> str:
    """The parameter's type as the handler's signature shows it: plain types as they are, others Any."""
    plain = annotation if re.fullmatch(r"(str|int|float|bool|Literal\[.*\])( \| None)?", annotation) else "Any"
    return plain if required or plain == "Any" or plain.endswith("| None") else f"{plain} | None"


def _body_type(op: Operation) -> str:
    assert op.body is not None
    if op.body.annotation in ("str", "bytes"):
        return op.body.annotation
    return "list" if op.body.annotation.startswith("list[") else "dict"


def _body_text(doc: dict[str, Any], raw: dict[str, Any], op: Operation) -> str:
    assert op.body is not None
    kind = op.body.content_type
    if kind == "text/plain":
        return "the request's text"
    if kind == "application/octet-stream":
        return "the request's bytes"
    media = _media(follow(doc, raw.get("requestBody"), "body").get("content"), kind)
    sketch = shape(doc, media.get("schema", {}))
    if op.body.files:
        uploads = ", ".join(op.body.files)
        return f"the form's fields: {sketch}; each upload ({uploads}) is a dict {{'filename': str, 'content': bytes}}"
    return f"the JSON body: {sketch}"


def _media(content: Any, kind: str) -> dict[str, Any]:
    """The media type object for `kind` in a `content` mapping ({} when there is none)."""
    if not isinstance(content, dict):
        return {}
    found = next((v for k, v in content.items() if str(k).split(";")[0].strip().lower() == kind), None)
    return found if isinstance(found, dict) else {}


def _answer_text(doc: dict[str, Any], raw: dict[str, Any], status: str, content_type: str | None) -> str:
    if content_type is None:
        return "None"
    response = follow(doc, (raw.get("responses") or {}).get(status) or {}, "answer")
    media = _media(response.get("content"), content_type)
    if "json" in content_type:
        return shape(doc, media.get("schema", {}))
    if content_type == "text/html":
        return "an HTML string (escape every value from the request with html.escape)"
    return "bytes" if (media.get("schema") or {}).get("format") == "binary" else f"a {content_type} string"


def contract_tests(doc: dict[str, Any], op: Operation) -> list[TestCase]:
    """The trusted tests: a valid sample request (an upload as a small text file) gets a documented status,
    and a 2xx JSON answer has the required properties. None when the document gives no sample aigc can make."""
    raw = doc["paths"][op.path][op.method.lower()]
    try:
        arguments = _sample_arguments(doc, raw, op)
    except NoSample:
        return []
    codes = sorted({int(a.status) for a in op.answers if a.status.isdigit()})
    if not codes:
        return []
    call = f"{op.name}(**{arguments!r}, state={{}})"
    lines = [
        f"result = {call}",
        "assert isinstance(result, tuple) and len(result) == 2, 'return (status, answer)'",
        "status, answer = result",
        f"assert status in {codes!r}, f'status {{status}} is not one the document lists'",
    ]
    for a in op.answers:
        required = _required_keys(doc, raw, a.status) if a.status.isdigit() and a.status[0] == "2" else []
        if required:
            lines.append(f"if status == {a.status}:")
            lines.append(f"    assert isinstance(answer, dict) and all(k in answer for k in {required!r})")
    code = "\n".join(lines) + "\n"
    return [TestCase("example", "contract: a valid request gets a documented answer", code)]


def _sample_arguments(doc: dict[str, Any], raw: dict[str, Any], op: Operation) -> dict[str, Any]:
    params = {}
    declared = {}
    for p in [*(doc["paths"][op.path].get("parameters") or []), *(raw.get("parameters") or [])]:
        p = follow(doc, p, op.where)
        declared[(p["name"], p["in"])] = p
    for p in op.parameters:
        schema = declared.get((p.name, p.location), {}).get("schema", {})
        params[p.attr] = sample(doc, schema) if p.required else None
    if op.body is not None:
        params["body"] = _sample_body(doc, raw, op)
    if secured(op, security_schemes(doc)[0]):
        params[CALLER] = "user-1"
    return params


def _sample_body(doc: dict[str, Any], raw: dict[str, Any], op: Operation) -> Any:
    """A body the handler must take: a sample of its schema, each upload as a small text file."""
    assert op.body is not None
    if op.body.content_type == "text/plain":
        return "sample text"
    if op.body.content_type == "application/octet-stream":
        return b"sample bytes"
    schema = _media(follow(doc, raw["requestBody"], op.where).get("content"), op.body.content_type).get("schema", {})
    if not op.body.files:
        return sample(doc, schema)
    schema = follow(doc, schema, op.where)
    properties = schema.get("properties") if isinstance(schema, dict) else None
    required = set(op.body.required_fields)
    body: dict[str, Any] = {}
    for name, sub in (properties or {}).items():
        if name in op.body.files:
            body[name] = {"filename": "sample.txt", "content": b"one two three\n"}
        elif name in required:
            body[name] = sample(doc, sub)
    return body


def _required_keys(doc: dict[str, Any], raw: dict[str, Any], status: str) -> list[str]:
    response = follow(doc, (raw.get("responses") or {}).get(status) or {}, "answer")
    schema = follow(doc, _media(response.get("content"), "application/json").get("schema", {}), "answer")
    if not isinstance(schema, dict):
        return []
    keys = list(schema.get("required") or [])
    for part in schema.get("allOf") or []:
        part = follow(doc, part, "answer")
        keys += list(part.get("required") or []) if isinstance(part, dict) else []
    return sorted({str(k) for k in keys})


def write_handler(
    doc: dict[str, Any], op: Operation, ops: list[Operation], purpose: str, writer: Writer
) -> HandlerOutcome:
    """The model's handler for `op`, verified; code None (with why) when none can be kept."""
    written = writer.write(requirement_for(doc, op, ops, purpose), op.name, contract_tests(doc, op))
    code, why = written.code, written.why
    if code is not None and (found := problems(code, passwords=takes_password(doc, op))):
        code, why = None, "the code is unsafe to run in the app: " + "; ".join(found)
    elif code is not None:
        why = f"passed {len(written.tests)} model-written test(s) and {written.trusted} from the document"
    return HandlerOutcome(op.where, op.name, code, why, len(written.tests), written.trusted, written.report)
