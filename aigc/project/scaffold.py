"""Render a spec into a project's files with the jinja2 templates in aigc/project/templates/.

The templates hold the security-critical and boring parts (hashing, queries, validation, errors, tokens,
the front-end); this module turns each field into the few strings they need (its SQLAlchemy column, its
pydantic annotation, a sample value for the tests), so the templates stay loops over plain data.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

import jinja2

from aigc.project.fields import EMAIL_PATTERN, PASSWORD_MIN, TYPES, column_type, max_length, min_length
from aigc.project.spec import ActionSpec, AppSpec, CheckSpec, EndpointSpec, EntitySpec, FieldSpec, snake

MESSAGES = {
    "en": {
        "registered": "registered",
        "exists": "{label} already exists",
        "not_found": "{entity} {id} not found",
        "invalid": "the request is invalid",
        "login_required": "login required",
        "bad_login": "invalid username or password",
        "too_many": "too many failed logins: try again later",
        "forbidden": "only the user who created this {entity} may change it",
        "missing_ref": "{label} {id} does not exist",
        "no_route": "not found",
        "server": "internal error",
    },
    "zh": {
        "registered": "注册成功",
        "exists": "{label}已存在",
        "not_found": "未找到{entity} {id}",
        "invalid": "请求数据无效",
        "login_required": "需要登录",
        "bad_login": "用户名或密码错误",
        "too_many": "登录失败次数过多，请稍后再试",
        "forbidden": "只有创建该{entity}的用户可以修改它",
        "missing_ref": "{label} {id} 不存在",
        "no_route": "未找到",
        "server": "服务器内部错误",
    },
}


@dataclass(frozen=True)
class FieldView:
    spec: FieldSpec
    label: str
    column: str  # the attribute and column name (a password is stored as <name>_hash)
    py_type: str
    sa_type: str
    pydantic_field: str  # the Field(...) call that carries the limits
    ref_entity: str | None

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def annotation(self) -> str:
        return self.py_type if self.spec.required else f"{self.py_type} | None"

    @property
    def default(self) -> str:
        return "" if self.spec.required else " = None"


def field_view(f: FieldSpec, language: str) -> FieldView:
    label = f.description if (language == "zh" and f.description) else f.name
    limits: list[str] = []
    if f.is_text:
        low = min_length(f.type, f.min_length, f.required)
        high = max_length(f.type, f.max_length)
        limits += [f"min_length={low}"] if low else []
        limits += [f"max_length={high}"]
        limits += [f"pattern={EMAIL_PATTERN!r}"] if f.type == "email" else []
    if f.type in ("integer", "number"):
        limits += [f"ge={_num(f.minimum, f.type)}"] if f.minimum is not None else []
        limits += [f"le={_num(f.maximum, f.type)}"] if f.maximum is not None else []
    if f.type == "ref":
        limits += ["ge=1"]
    default = [] if f.required else ["default=None"]
    return FieldView(
        spec=f,
        label=label,
        column=f"{f.name}_hash" if f.type == "password" else f.name,
        py_type=TYPES[f.type].python,
        sa_type=column_type(f.type, f.max_length),
        pydantic_field=f"Field({', '.join(default + limits)})",
        ref_entity=f.ref,
    )


def _num(value: float, kind: str) -> str:
    return str(int(value)) if kind == "integer" else repr(float(value))


@dataclass(frozen=True)
class EntityView:
    spec: EntitySpec
    fields: list[FieldView]
    endpoints: list[EndpointSpec]
    checks: list[CheckSpec]
    actions: list[ActionSpec]

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def var(self) -> str:
        return snake(self.spec.name)

    @property
    def public_fields(self) -> list[FieldView]:
        return [f for f in self.fields if f.spec.type != "password"]

    @property
    def searchable(self) -> list[FieldView]:
        marked = [f for f in self.public_fields if f.spec.searchable]
        return marked or [f for f in self.public_fields if f.spec.type in ("string", "text", "email")][:2]

    @property
    def refs(self) -> list[FieldView]:
        return [f for f in self.fields if f.spec.type == "ref"]

    def endpoint(self, action: str) -> EndpointSpec | None:
        return next((ep for ep in self.endpoints if ep.action == action), None)

    @property
    def checked(self) -> bool:
        """Business rules' checks run on this entity's create and update."""
        return bool(self.checks)


def views(spec: AppSpec) -> list[EntityView]:
    return [
        EntityView(
            e,
            [field_view(f, spec.language) for f in e.fields],
            spec.endpoints_for(e.name),
            [c for c in spec.checks if c.entity == e.name],
            [a for a in spec.actions if a.entity == e.name and a.code],
        )
        for e in spec.entities
    ]


def one_line(value: object) -> str:
    """Text for a `#` comment or one Markdown line: every line break Python or str.splitlines knows (\\r,
    \\x0b, \\x0c, \\x1c-\\x1e, \\x85, \\u2028, \\u2029 besides \\n) and every other control character
    becomes a space, so the text cannot end the comment and start code."""
    text = " ".join(str(value).splitlines())
    return "".join(" " if (ord(c) < 32 or 0x7F <= ord(c) < 0xA0) else c for c in text)


def markdown(value: object) -> str:
    """One line of a Markdown table or paragraph: no raw HTML, no cell breaks, no code spans to close."""
    text = one_line(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("|", "\\|").replace("`", "'")


def _environment() -> jinja2.Environment:
    """Every value from a spec reaches a file escaped for where it lands: `py` (a Python literal, repr),
    `tojson` (a JSON/JS/Python string), `comment` (one line of a comment), `md` (Markdown), `e` (HTML).
    Names are identifiers the spec validated. Autoescape is off because no file is only HTML."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("aigc.project", "templates"),
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["py"] = repr
    env.filters["comment"] = one_line
    env.filters["md"] = markdown
    env.filters["regex_params"] = lambda path: re.findall(r"{([A-Za-z_][A-Za-z0-9_]*)}", path)
    return env


def template_names() -> list[str]:
    root = resources.files("aigc.project") / "templates"
    names: list[str] = []

    def walk(node: Any, prefix: str) -> None:
        for child in node.iterdir():
            if child.is_dir():
                walk(child, f"{prefix}{child.name}/")
            elif child.name.endswith(".j2"):
                names.append(f"{prefix}{child.name}")

    walk(root, "")
    return sorted(names)


def render(spec: AppSpec) -> dict[str, str]:
    """Every file of the project, by relative path."""
    env = _environment()
    entities = views(spec)
    account = next((e for e in entities if e.spec.has_password), None)
    context = {
        "spec": spec,
        "entities": entities,
        "account": account,
        "messages": MESSAGES[spec.language],
        "token_auth": spec.auth.kind == "token",
        "frontend_spec": json.dumps(frontend_spec(spec), ensure_ascii=False, indent=2),
        "validation_status": validation_statuses(spec),
        "password_min": PASSWORD_MIN,
        "sample_expr": sample_expr,
        "action_path": spec.action_path,
        "needs_login": spec.needs_login,
        "login_endpoints": lambda e: [ep for ep in e.endpoints if spec.needs_login(ep)],
        "invalid_values": invalid_values,
        "MISSING": MISSING,
    }
    rendered = {_target(name): env.get_template(name).render(**context) for name in template_names()}
    files = {name: text for name, text in rendered.items() if text.strip()}  # a part the spec does not need
    for a in spec.actions:
        if a.code and a.function:
            said = [f"Action {a.name} of {a.entity}: {one_line(a.description)}"]
            said += ["Written by aigc-coder's model; kept because it passed the tests in tests/test_api.py."]
            files[f"backend/actions/{a.function}.py"] = "".join(f"# {x}\n" for x in said) + "\n" + a.code.strip() + "\n"
    for c in spec.checks:  # the model's code, each check in its own module (helpers cannot collide)
        said = [f"Business rule: {one_line(c.rule)}"]
        said += ["Written by aigc-coder's model; kept because it passed the tests in tests/test_api.py."]
        header = "".join(f"# {line}\n" for line in said) + "\n"
        files[f"backend/checks/{c.function}.py"] = header + c.code.strip() + "\n"
    files["appspec.json"] = spec.model_dump_json(indent=2) + "\n"
    return files


def _target(template: str) -> str:
    """templates/dot-gitignore.j2 -> .gitignore (dot files do not travel well in package data)."""
    folder, _, base = template.removesuffix(".j2").rpartition("/")
    base = "." + base.removeprefix("dot-") if base.startswith("dot-") else base
    return f"{folder}/{base}" if folder else base


def validation_statuses(spec: AppSpec) -> dict[str, int]:
    """ "METHOD path" -> the status a validation error gets there (422 unless the spec says otherwise)."""
    return {f"{ep.method} {ep.path}": ep.status_for("validation", 422) for ep in spec.endpoints}


def frontend_spec(spec: AppSpec) -> dict[str, Any]:
    """What the page's script needs to build its forms and lists (no secrets: it is served to browsers)."""
    return {
        "name": spec.name,
        "summary": spec.summary,
        "language": spec.language,
        "auth": spec.auth.kind,
        "entities": [
            {
                "name": e.name,
                "title": next((p.title for p in spec.pages if p.entity == e.name), e.name),
                "account": e.has_password,
                "fields": [
                    {
                        "name": f.name,
                        "type": f.type,
                        "required": f.required,
                        "ref": f.ref,
                        "label": f.description or f.name,
                        "min_length": f.min_length,
                        "max_length": f.max_length,
                        "minimum": f.minimum,
                        "maximum": f.maximum,
                    }
                    for f in e.fields
                ],
                "endpoints": {
                    ep.action: {"method": ep.method, "path": ep.path}
                    for ep in spec.endpoints_for(e.name)
                    if ep.action != "custom"
                },
                "actions": [
                    {"name": a.name, "label": a.description, "path": spec.action_path(a)}
                    for a in spec.actions
                    if a.entity == e.name and a.code
                ],
            }
            for e in spec.entities
        ],
    }


MISSING = "<missing>"  # in the derived tests: the field is left out of the body


def sample_expr(f: FieldView) -> str:
    """A Python expression (in the generated tests) for a valid, fresh value; `n` is a fresh number."""
    s = f.spec
    if s.example is not None and not s.unique:
        return repr(s.example)
    if s.type == "ref":
        return f'make_{snake(s.ref or "")}(api, headers)["id"]'
    if s.type == "email":
        return 'f"user{n}@example.com"'
    if s.type == "password":
        return f"text('Pw-secret-', n, {max(s.min_length or 0, PASSWORD_MIN)}, {max_length(s.type, s.max_length)})"
    if s.is_text:
        return f"text({s.name + '-'!r}, n, {s.min_length or 1}, {max_length(s.type, s.max_length)})"
    if s.type in ("integer", "number"):
        low = s.minimum if s.minimum is not None else (min(1, s.maximum) if s.maximum is not None else 1)
        value = _num(low, s.type)
        if s.unique and s.type == "integer":  # distinct values for a unique number, inside its range
            span = int(s.maximum - low + 1) if s.maximum is not None else 10**9
            return f"{value} + n % {span}"
        if s.type == "number" and s.unique and s.maximum is None:
            return f"{value} + n"
        if s.type == "number" and (s.maximum is None or low + 0.5 <= s.maximum):
            return f"{value} + 0.5"
        return value
    return {"boolean": "True", "date": "day(n)", "datetime": "moment(n)"}[s.type]  # dates differ per row


def invalid_values(f: FieldView) -> list[tuple[str, Any]]:
    """Values the API must refuse for this field (the derived validation tests), with why."""
    s = f.spec
    cases: list[tuple[str, Any]] = [("missing", MISSING)] if s.required else []
    if s.is_text:
        cases.append(("not a string", 12345))
        high = max_length(s.type, s.max_length)
        cases.append((f"longer than {high}", "x" * (high + 1)))
        low = min_length(s.type, s.min_length, s.required)
        if low and s.required:
            cases.append((f"shorter than {low}", "x" * (low - 1)))
        if s.type == "email":
            cases.append(("not an email", "not-an-email"))
    elif s.type in ("integer", "number", "ref"):
        cases.append(("not a number", "abc"))
        if s.minimum is not None:
            cases.append((f"below {s.minimum}", s.minimum - 1))
        if s.maximum is not None:
            cases.append((f"above {s.maximum}", s.maximum + 1))
    elif s.type in ("date", "datetime"):
        cases.append(("not a date", "not-a-date"))
    elif s.type == "boolean":
        cases.append(("not a boolean", "maybe"))
    return cases
