"""A service's files from its OpenAPI document: models, one route per operation, the handlers, the
runtime, tests derived from the document, a README and a Dockerfile.

Routes are written here, not by the model: each takes its parameters under the document's names (an
alias where the name is not a Python identifier), reads its body by content type and validates it with
the document's models, refuses an invalid request with the code the operation documents (400 where it
lists 400 and not 422), and calls its handler through backend/service.py `answer`. A handler is a
function in backend/handlers/<name>.py; an operation without one answers 501, and the report says so.
An operation the document secures takes its caller from service.authenticator, which checks the
credential each of its schemes names before the request is read (`security_schemes` says which schemes
the app can check); one whose schemes it cannot check is not built.

Every value from the document reaches the source as a literal checked by ast.literal_eval
(oas_models.literal) or as a name of [A-Za-z0-9_]; the document itself is kept beside the app as JSON.
"""

from __future__ import annotations

import ast
import html
import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

import jinja2

from aigc.project.doc_checks import Checks
from aigc.project.oas_models import Models, literal
from aigc.project.operations import Operation, Parameter, security_schemes

_FASTAPI = {"path": "Path", "query": "Query", "header": "Header", "cookie": "Cookie"}
_TYPING = ("Any", "Literal")
HEALTH = "/api/health"
CALLER = "current_user"  # the handler's argument that names the signed-in caller


@dataclass(frozen=True)
class Route:
    """What the main.py template needs of one operation, each piece already Python source."""

    name: str
    decorator: str  # app.post('/calculator', name='calculator')
    signature: str  # the route function's arguments
    arguments: str  # the handler's keyword arguments
    body: str  # "json", "form", "text", "bytes" or ""
    uploads: str  # a list literal of the upload fields
    required_fields: str  # a list literal of the form's required fields
    answers: str  # a tuple of service.Answer(...) calls
    built: bool
    refuse_with: int  # the status of an invalid request
    asynchronous: bool
    schemes: str  # a tuple of service.Scheme(...) calls; "" for an open operation
    sign_in: bool  # its failures count towards the throttle


def route(op: Operation, built: bool, classes: set[str], checked: dict[str, tuple[str, str]] | None = None) -> Route:
    where = op.where
    args: list[str] = []
    calls: list[str] = []
    checked = checked or {}
    carriers = [checked[s] for s in op.security if s in checked]
    schemes = ""
    if carriers:
        made = (f"service.Scheme({literal(k, where)}, {literal(c, where)})" for k, c in carriers)
        schemes = "(" + "".join(f"{m}, " for m in made) + ")"
        args.append(f"{CALLER}: Annotated[str, Depends(AUTH_{op.name})]")
        calls.append(f"{literal(CALLER, where)}: {CALLER}")
    required = sorted((p for p in op.parameters), key=lambda p: not p.required)
    for p in required:
        args.append(_parameter(p, qualified(p.annotation, classes), where))
        calls.append(f"{literal(p.attr, where)}: {p.attr}")
    body, uploads, fields = "", "[]", "[]"
    if op.body is not None:
        kind = op.body.content_type
        if kind == "application/json" or kind.endswith("+json"):
            body = "json"
            default = "" if op.body.required else " = None"
            optional = "" if op.body.required else " | None"
            args.append(f"body: Annotated[{qualified(op.body.annotation, classes)}{optional}, Body()]{default}")
            calls.append("'body': jsonable_encoder(body, by_alias=True)")
        elif kind in ("multipart/form-data", "application/x-www-form-urlencoded"):
            body = "form"
            uploads = literal(list(op.body.files), where)
            fields = literal(list(op.body.required_fields), where)
            calls.append("'body': form")
        else:
            body = "text" if kind == "text/plain" else "bytes"
            calls.append("'body': raw")
    request_first = "request: Request"
    signature = ", ".join([request_first, *sorted(args, key=lambda a: "=" in a)])
    answers = ", ".join(_answer(a.status, a.content_type, a.annotation, classes, where) for a in op.answers)
    documented = {a.status for a in op.answers}
    refuse = 400 if "400" in documented and "422" not in documented else 422
    return Route(
        name=op.name,
        decorator=f"app.{op.method.lower()}({literal(op.path, where)}, name={literal(op.name, where)})",
        signature=signature,
        arguments=", ".join(calls),
        body=body,
        uploads=uploads,
        required_fields=fields,
        answers=f"({answers},)",
        built=built,
        refuse_with=refuse,
        asynchronous=body in ("form", "text", "bytes"),
        schemes=schemes,
        sign_in=bool(checked) and not op.security and op.method != "GET",
    )


def _parameter(p: Parameter, annotation: str, where: str) -> str:
    marker = f"{_FASTAPI[p.location]}(alias={literal(p.name, where)})"
    if p.location == "path" or p.required:
        return f"{p.attr}: Annotated[{annotation}, {marker}]"
    annotation = annotation if annotation.endswith("| None") else f"{annotation} | None"
    return f"{p.attr}: Annotated[{annotation}, {marker}] = None"


def _answer(status: str, content_type: str | None, annotation: str | None, classes: set[str], where: str) -> str:
    json_body = annotation and content_type and "json" in content_type
    model = qualified(annotation, classes) if json_body and annotation else "None"
    return f"service.Answer({literal(status, where)}, {literal(content_type, where)}, {model})"


class _Qualify(ast.NodeTransformer):
    def __init__(self, classes: set[str]) -> None:
        self.classes = classes

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if node.id in self.classes:
            return ast.Attribute(ast.Name("models", ast.Load()), node.id, ast.Load())
        if node.id in _TYPING:
            return ast.Attribute(ast.Name("typing", ast.Load()), node.id, ast.Load())
        return node


def qualified(annotation: str, classes: set[str]) -> str:
    """`annotation` with the models' classes as `models.X` and Any, Literal as `typing.X`, so no name of
    the document can shadow one of the routes' own (a schema called Request, say); strings stay as they are."""
    tree = ast.parse(annotation, mode="eval")
    return ast.unparse(_Qualify(classes).visit(tree))


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("aigc.project", "service_templates"),
        autoescape=False,  # Python, Dockerfile and Markdown: every value is made safe before it gets here
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )


def markdown(text: str, limit: int = 2000) -> str:
    """Text from the document or the user as one line of Markdown: no HTML, no table or code breaks."""
    line = " ".join(html.escape(text[:limit]).split())
    return line.replace("|", "\\|").replace("`", "'")


PAGE = ("index.html", "app.js", "app.css")


def page_file(name: str) -> str:
    """One file of the service's page (the same for every service: it reads openapi.json when it loads)."""
    return resources.files("aigc.project").joinpath(f"service_templates/ui/{name}").read_text(encoding="utf-8")


def helper(name: str) -> str:
    return resources.files("aigc.project.app_helpers").joinpath(name).read_text(encoding="utf-8")


def render_service(
    doc: dict[str, Any],
    ops: list[Operation],
    models: Models,
    handlers: dict[str, str],
    checks: Checks,
    *,
    title: str,
    requirement: str,
) -> dict[str, str]:
    """The project's files; `handlers` maps an operation's name to its module's source."""
    classes = set(models.classes)
    checked, _ = security_schemes(doc)
    routes = [route(op, op.name in handlers, classes, checked) for op in ops]
    cookies = sorted(c for k, c in checked.values() if k == "cookie")
    env = _environment()
    context = {
        "title": markdown(title, 200),
        "title_literal": literal(title, "title"),
        "routes": routes,
        "handlers": sorted(handlers),
        "health": HEALTH not in (doc.get("paths") or {}),
        "operations": [(op.method, markdown(op.path), op.name, op.name in handlers) for op in ops],
        "requirement": markdown(requirement),
        "session": literal(cookies[0] if cookies else None, "the session cookie"),
        "secured": any(r.schemes for r in routes),
        "root_free": "/" not in (doc.get("paths") or {}),
    }
    files = {
        "backend/__init__.py": '"""The service, written by aigc from its OpenAPI document."""\n',
        "backend/models.py": models.source(),
        "backend/safety.py": helper("safety.py"),
        "backend/service.py": helper("service.py"),
        "backend/handlers/__init__.py": '"""One module per operation: its handler."""\n',
        "openapi.json": json.dumps(doc, indent=2, ensure_ascii=False) + "\n",
        **{f"frontend/{name}": page_file(name) for name in PAGE},
        "tests/__init__.py": "",
        ".gitignore": resources.files("aigc.project")
        .joinpath("templates/dot-gitignore.j2")
        .read_text(encoding="utf-8"),
        "tests/document_checks.json": json.dumps([c.__dict__ for c in checks.checks], indent=1) + "\n",
    }
    for name, code in handlers.items():
        files[f"backend/handlers/{name}.py"] = code if code.endswith("\n") else code + "\n"
    for template, target in (
        ("main.py.j2", "backend/main.py"),
        ("test_document.py.j2", "tests/test_document.py"),
        ("README.md.j2", "README.md"),
        ("Dockerfile.j2", "Dockerfile"),
        ("requirements.txt.j2", "requirements.txt"),
    ):
        files[target] = env.get_template(template).render(**context)
    return files
