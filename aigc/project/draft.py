"""Requirement -> AppSpec through the model: it writes a short draft (what the app stores) under a JSON
schema with grammar-constrained decoding, so the answer always parses; the draft is normalized (names,
accounts, references) and expanded into endpoints and pages by aigc.project.design. A draft that still
breaks the spec's rules goes back to the model once with the problems.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from pydantic import ValidationError

from aigc import prompts
from aigc.config import validation_problems
from aigc.engines.base import Engine, GenerationParams, Message, Request, Usage, collect
from aigc.errors import AigcError, UsageError
from aigc.project.design import with_standard_parts
from aigc.project.fields import FIELD_TYPES
from aigc.project.spec import AppSpec, FieldSpec, plural, snake

_STR = {"type": "string"}
DRAFT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "in_scope": {"type": "boolean"},
        "refusal": _STR,
        "app_name": _STR,
        "summary": _STR,
        "login_required": {"type": "boolean"},
        "entities": {
            "type": "array",
            "minItems": 1,
            "maxItems": 6,
            "items": {
                "type": "object",
                "properties": {
                    "name": _STR,
                    "label": _STR,
                    "owned_by_user": {"type": "boolean"},
                    "fields": {
                        "type": "array",
                        "minItems": 1,
                        "maxItems": 12,
                        "items": {
                            "type": "object",
                            "properties": {
                                "name": _STR,
                                "type": {"type": "string", "enum": list(FIELD_TYPES)},
                                "required": {"type": "boolean"},
                                "unique": {"type": "boolean"},
                                "label": _STR,
                                "ref": _STR,
                            },
                            "required": ["name", "type", "required", "unique", "label", "ref"],
                        },
                    },
                },
                "required": ["name", "label", "owned_by_user", "fields"],
            },
        },
        "rules": {"type": "array", "maxItems": 5, "items": _STR},
        "actions": {
            "type": "array",
            "maxItems": 3,
            "items": {
                "type": "object",
                "properties": {"entity": _STR, "name": _STR, "description": _STR},
                "required": ["entity", "name", "description"],
            },
        },
        "assumptions": {"type": "array", "maxItems": 5, "items": _STR},
    },
    "required": [
        "in_scope",
        "refusal",
        "app_name",
        "summary",
        "login_required",
        "entities",
        "rules",
        "actions",
        "assumptions",
    ],
}
# Asked of a web-app generator, these are not web apps: refused before the model is asked anything.
_OUT_OF_SCOPE = re.compile(
    r"desktop (app|application|gui)|\bgui\b|tkinter|pyqt|pyside|wxpython|electron|\bios\b|android|"
    r"mobile app|iphone|桌面(应用|程序|软件)|图形界面|安卓|苹果手机|手机(应用|app)|小程序|游戏引擎",
    re.IGNORECASE,
)


# Names small models give to answers rather than to stored things ("Error" with a message field).
_NOT_DATA = {
    "Error",
    "Errors",
    "Response",
    "Result",
    "Message",
    "Success",
    "Status",
    "Request",
    "Api",
    "App",
    "Search",
    "Query",
    "Filter",
    "Login",
    "Register",
    "Registration",
    "Auth",
    "Token",
    "Session",
    "Assumption",
    "Assumptions",
    "Rule",
    "Rules",
}
# An "entity" named for something done to another one (MarkTaskAsDone, ApproveLeave) is an action on it.
_ACTION_VERBS = {
    "mark",
    "complete",
    "finish",
    "approve",
    "reject",
    "cancel",
    "return",
    "close",
    "reopen",
    "publish",
    "archive",
    "confirm",
    "accept",
    "decline",
    "assign",
    "start",
    "stop",
    "pay",
    "ship",
}
_ACCOUNT_NAMES = ("User", "Member", "Account", "Customer", "Player", "Student", "Employee")
# Words that say people have accounts; without them a draft's login (copied from an example) is dropped.
_ACCOUNT_WORDS = re.compile(
    r"登录|登陆|注册|账号|账户|用户|会员|log ?in|sign ?(in|up)|account|user|member|register|own\b|自己的", re.IGNORECASE
)


class ProjectRefused(UsageError):
    """The requirement is not a web application with stored data (a desktop GUI, a game, ...)."""


class SpecError(AigcError):
    """The model's draft could not be made into a valid spec, even after a repair round."""


@dataclass(frozen=True)
class Drafted:
    spec: AppSpec
    draft: dict[str, Any]
    usage: Usage
    repairs: int


def language_of(text: str) -> str:
    return "zh" if re.search(r"[\u4e00-\u9fff]", text) else "en"


def check_scope(requirement: str) -> None:
    if not requirement.strip():
        raise UsageError("the requirement is empty: say what the app should do")
    match = _OUT_OF_SCOPE.search(requirement)
    if match:
        raise ProjectRefused(
            f"aigc new builds web applications (a FastAPI back-end with an HTML front-end); "
            f"{match.group(0)!r} asks for something else. Describe the web app you want, or use aigc gen for code."
        )


def spec_from_requirement(
    requirement: str,
    engine: Engine,
    params: GenerationParams,
    on_event: Callable[[str], None] | None = None,
) -> Drafted:
    check_scope(requirement)
    say = on_event or (lambda _: None)
    messages = [
        Message("system", prompts.render("project_spec_system")),
        Message("user", prompts.render("project_spec_example_user")),
        Message("assistant", prompts.render("project_spec_example_assistant")),
        Message("user", prompts.render("project_spec_example2_user")),
        Message("assistant", prompts.render("project_spec_example2_assistant")),
        Message("user", requirement.strip()),
    ]
    params = replace(params, n=1, temperature=0.0, json_schema=DRAFT_SCHEMA, max_tokens=max(params.max_tokens, 1200))
    usage = Usage(0, 0)
    problems = ""
    for attempt in range(2):
        say("writing the spec" if attempt == 0 else "repairing the spec")
        completion = collect(engine.stream(Request.chat(messages, params)), engine.model_name)
        usage = Usage(
            usage.prompt_tokens + completion.usage.prompt_tokens,
            usage.completion_tokens + completion.usage.completion_tokens,
        )
        try:
            draft = json.loads(completion.text)
        except ValueError:
            problems = "the answer was not complete JSON (it may have run out of tokens)"
            continue
        if not draft.get("in_scope", True):
            raise ProjectRefused(f"the model judged this out of scope: {draft.get('refusal') or 'no reason given'}")
        try:
            return Drafted(to_spec(draft, requirement), draft, usage, attempt)
        except (ValidationError, ValueError) as exc:
            problems = _problems(exc)
            fix = f"That JSON breaks these rules: {problems}. Answer with the corrected JSON."
            messages += [Message("assistant", completion.text), Message("user", fix)]
    raise SpecError(f"the model's spec is not usable after a repair round: {problems}")


def _distinct(items: Any) -> list[str]:
    seen: list[str] = []
    for item in items or []:
        text = str(item).strip()[:200]
        if text and text not in seen:
            seen.append(text)
    return seen


def _problems(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return validation_problems(exc)[:600]
    return str(exc)[:600]


def to_spec(draft: dict[str, Any], requirement: str) -> AppSpec:
    """The draft normalized into a complete spec. Fixes that change what the model wrote are assumptions."""
    assumptions = _distinct(draft.get("assumptions"))
    entities = _without_example_leaks(_entities(draft, assumptions), requirement, assumptions)
    entities, verbs = _verbs_as_actions(entities, assumptions)
    draft = {**draft, "actions": [*(draft.get("actions") or []), *verbs]}
    if not _ACCOUNT_WORDS.search(requirement):
        entities = _without_accounts(entities, assumptions)
    login = bool(draft.get("login_required")) or any(e["owned"] for e in entities)
    account = next((e for e in entities if any(f["type"] == "password" for f in e["fields"])), None)
    if not _ACCOUNT_WORDS.search(requirement):
        login = False
    if login and account is None:  # an entity the draft meant as the account, or else a new one
        account = next((e for e in entities if e["name"] in _ACCOUNT_NAMES), None)
    if login and account is None:
        account = {
            "name": "User",
            "description": "用户" if language_of(requirement) == "zh" else "User",
            "owned": False,
            "fields": [],
        }
        entities.insert(0, account)
        assumptions.append("users log in, so a User account (username and password) was added")
    if account is not None:
        _ensure_account_fields(account, assumptions)
    auth = {"kind": "token", "user_entity": account["name"]} if login and account else {"kind": "none"}
    if login and account:
        for e in entities:
            e["public"] = not e["owned"] and e is not account
    spec = AppSpec.model_validate(
        {
            "name": (str(draft.get("app_name") or "").strip() or "app")[:80],
            "summary": str(draft.get("summary") or requirement)[:500],
            "entities": entities,
            "auth": auth,
            "rules": _distinct(draft.get("rules")),
            "actions": _actions(draft, entities, assumptions),
            "assumptions": assumptions,
            "language": language_of(requirement),
        }
    )
    return with_standard_parts(spec)


def _verbs_as_actions(
    entities: list[dict[str, Any]], assumptions: list[str]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Entities named for a verb on another entity (MarkTaskAsDone) become actions on that entity."""
    kept, actions = [], []
    names = {e["name"] for e in entities}
    for e in entities:
        words = snake(e["name"]).split("_")
        target = next((n for n in names if n != e["name"] and snake(n) in words[1:]), None)
        if words[0] in _ACTION_VERBS and target is not None:
            said = " ".join(words)
            actions.append({"entity": target, "name": snake(e["name"]), "description": e["description"] or said})
            assumptions.append(f"{e['name']} is something done to a {target}, not stored data: an action on {target}")
        else:
            kept.append(e)
    return kept, actions


def _actions(draft: dict[str, Any], entities: list[dict[str, Any]], assumptions: list[str]) -> list[dict[str, Any]]:
    """Actions on a kept, non-account entity, with a usable name and a description; the rest are noted."""
    out: list[dict[str, Any]] = []
    kept = {e["name"]: e for e in entities}
    for a in draft.get("actions") or []:
        entity = kept.get(_camel(str(a.get("entity") or "")))
        name = snake(re.sub(r"[^A-Za-z0-9]+", "_", str(a.get("name") or "")).strip("_"))
        words = str(a.get("description") or "").strip()
        usable = entity is not None and not any(f["type"] == "password" for f in entity["fields"])
        if not usable or not re.match(r"^[a-z][a-z0-9_]*$", name) or not words or name in _CRUD_WORDS:
            assumptions.append(
                f"action {a.get('name')!r} on {a.get('entity')!r} left out (no such entity, a "
                "standard operation, or no usable name)"
            )
            continue
        if name not in {x["name"] for x in out}:
            out.append({"entity": entity["name"], "name": name, "description": words[:500]})  # type: ignore[index]
    return out


_CRUD_WORDS = {
    "create",
    "add",
    "new",
    "list",
    "get",
    "read",
    "view",
    "show",
    "update",
    "edit",
    "delete",
    "remove",
    "search",
    "register",
    "login",
    "logout",
}


def _entities(draft: dict[str, Any], assumptions: list[str]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    drafted = _renamed_by_label(list(draft.get("entities") or []), assumptions)
    names = {_camel(str(e.get("name", ""))) for e in drafted}
    for e in drafted:
        name = _camel(str(e.get("name") or ""))
        if not name or name in {x["name"] for x in out}:
            continue
        if name in _NOT_DATA:
            assumptions.append(f"{name} describes an answer, not stored data: left out (answers are built in)")
            continue
        fields: list[dict[str, Any]] = []
        for f in e.get("fields") or []:
            field = _field(f, name, names, assumptions)
            if field and field["name"] not in {x["name"] for x in fields}:
                fields.append(field)
        if not fields:
            assumptions.append(f"{name} had no usable fields and was left out")
            continue
        out.append(
            {
                "name": name,
                "description": str(e.get("label") or ""),
                "owned": bool(e.get("owned_by_user")),
                "fields": fields,
            }
        )
    out = _without_copies_and_links(out, assumptions)
    if not out:
        raise ValueError("the draft names no entity with fields: say what the app stores")
    for e in out:  # an account is never owned by itself
        if any(f["type"] == "password" for f in e["fields"]):
            e["owned"] = False
    return out


def example_entities() -> dict[str, set[str]]:
    """The entities of the prompt's worked examples (accounts aside), each with the words that name it
    there: its name and its label."""
    found: dict[str, set[str]] = {}
    for name in ("project_spec_example_assistant", "project_spec_example2_assistant"):
        try:
            example = json.loads(prompts.render(name))
        except ValueError:
            continue
        for e in example.get("entities") or []:
            entity = _camel(str(e.get("name") or ""))
            if entity and entity not in _ACCOUNT_NAMES:
                found.setdefault(entity, set()).update(w for w in (entity, str(e.get("label") or "")) if w)
    return found


def _without_example_leaks(
    entities: list[dict[str, Any]], requirement: str, assumptions: list[str]
) -> list[dict[str, Any]]:
    """Drop an entity of the prompt's examples that the requirement never names (a small model copied the
    example's recipes into a wiki); refused when nothing else is left. References to it go too."""
    examples = example_entities()
    text = requirement.lower()

    def named(e: dict[str, Any]) -> bool:
        words = {e["name"], snake(e["name"]), str(e.get("description") or "")} | examples.get(e["name"], set())
        if any(w and w.lower() in text for w in words):
            return True
        # Chinese names things in many ways (图书, 书, 借书): one character of a label in common is enough
        return any("\u4e00" <= c <= "\u9fff" and c in text for w in words for c in w)

    leaked = {e["name"] for e in entities if e["name"] in examples and not named(e)}
    if not leaked:
        return entities
    kept = [e for e in entities if e["name"] not in leaked]
    if not any(any(f["type"] != "password" for f in e["fields"]) for e in kept):
        raise ValueError(
            f"the draft only repeats the prompt's example ({', '.join(sorted(leaked))}), which the requirement "
            "never names: say what the app stores"
        )
    for name in sorted(leaked):
        assumptions.append(f"{name} is the prompt's example, not something the requirement names: left out")
    for e in kept:
        e["fields"] = [f for f in e["fields"] if f.get("ref") not in leaked]
    return kept


def _renamed_by_label(entities: list[dict[str, Any]], assumptions: list[str]) -> list[dict[str, Any]]:
    """A reference to an entity nobody named, and an entity labelled with that name (a small model wrote
    {"name": "User", "label": "Post"} and post_id -> Post): the entity takes the name its label says."""
    names = {_camel(str(e.get("name", ""))) for e in entities}
    wanted = {_camel(str(f.get("ref") or "")) for e in entities for f in e.get("fields") or []} - names - {""}
    out = []
    for e in entities:
        label = _camel(str(e.get("label") or ""))
        if label in wanted and not any(f.get("type") == "password" for f in e.get("fields") or []):
            assumptions.append(f"{e.get('name')} is labelled {label} and referred to as {label}: named {label}")
            e = {**e, "name": label}
            wanted.discard(label)
        out.append(e)
    return out


def _without_copies_and_links(entities: list[dict[str, Any]], assumptions: list[str]) -> list[dict[str, Any]]:
    """Drop "Products" beside "Product", and "UserTasks"-style link tables whose rows are only references
    (their targets become the user's own rows instead)."""
    names = {e["name"] for e in entities}
    kept = []
    for e in entities:
        name = e["name"]
        if any(name in (plural(other), other + "s") for other in names if other != name):
            assumptions.append(f"{name} repeats another entity: left out")
            continue
        refs = [f for f in e["fields"] if f["type"] == "ref"]
        if refs and len(refs) == len(e["fields"]) and name.startswith(("User", "My")):
            targets = {f["ref"] for f in refs}
            for other in entities:
                if other["name"] in targets:
                    other["owned"] = other["owned"] or e["owned"]
            assumptions.append(
                f"{name} only linked users to {', '.join(sorted(targets))}: those rows are owned instead"
            )
            continue
        kept.append(e)
    return kept


def _without_accounts(entities: list[dict[str, Any]], assumptions: list[str]) -> list[dict[str, Any]]:
    """The requirement never mentions users or logging in: no accounts, no per-user rows."""
    kept = [e for e in entities if not any(f["type"] == "password" for f in e["fields"])]
    if len(kept) < len(entities) or any(e["owned"] for e in kept):
        assumptions.append("the requirement does not mention users or logging in: no accounts")
    for e in kept:
        e["owned"] = False
    return kept or entities


def _field(f: dict[str, Any], entity: str, names: set[str], assumptions: list[str]) -> dict[str, Any] | None:
    name = re.sub(r"[^a-z0-9_]+", "_", snake(str(f.get("name") or "").strip())).strip("_")[:40]
    if name[:1].isdigit():
        name = "f_" + name
    if name in ("id", "owner_id", "user_id", "created_at", "password_hash") or not name:
        return None  # the templates add ids, owners and hashes themselves
    kind = str(f.get("type") or "string")
    ref = _camel(str(f.get("ref") or ""))
    if kind == "ref" or ref:
        target = ref if ref in names else _guess_ref(name, names)
        if target is None or target == entity:
            assumptions.append(f"{entity}.{name} points at no known entity; stored as a number")
            kind, ref = "integer", ""
        else:
            kind, ref = "ref", target
    field: dict[str, Any] = {
        "name": name,
        "type": kind if kind in FIELD_TYPES else "string",
        "required": bool(f.get("required", True)),
        "unique": bool(f.get("unique")) and kind not in ("password", "boolean"),
        "description": str(f.get("label") or ""),
    }
    if ref:
        field["ref"] = ref
    FieldSpec.model_validate(field)  # a bad name fails here, with the field named
    return field


def _camel(name: str) -> str:
    """An ASCII CamelCase class name from what the model wrote ("todo item" -> "TodoItem")."""
    words = re.findall(r"[A-Za-z0-9]+", name)
    camel = "".join(w[:1].upper() + w[1:] for w in words)[:40]
    return camel if camel[:1].isalpha() else ""


def _guess_ref(field: str, names: set[str]) -> str | None:
    stem = field.removesuffix("_id").replace("_", "")
    return next((n for n in names if n.lower() == stem), None)


def _ensure_account_fields(account: dict[str, Any], assumptions: list[str]) -> None:
    fields = account["fields"]
    username = next((f for f in fields if f["name"] in ("username", "user_name", "name", "email", "account")), None)
    if username is None:
        fields.insert(0, {"name": "username", "type": "string", "required": True, "unique": True, "description": ""})
        assumptions.append(f"{account['name']} got a username to log in with")
    elif username["name"] != "username" or not username["unique"]:
        username.update(name="username", unique=True, required=True)
    password = next((f for f in fields if f["type"] == "password"), None)
    if password is None:
        fields.append({"name": "password", "type": "password", "required": True, "unique": False, "description": ""})
        assumptions.append(f"{account['name']} got a password")
    else:
        password.update(name="password", required=True)
