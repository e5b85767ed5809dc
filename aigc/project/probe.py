"""The probe: every endpoint of a spec, called over HTTP against the started app in the sandbox, in an order
that works (accounts first, referenced rows before the rows that point at them, deletes last), with the
status each must answer. Here: the plan, running it (probe_main.py is the script that runs in the
sandbox, beside the app), and reading its report back."""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError
from typing_extensions import TypedDict  # pydantic reads typing.TypedDict only from Python 3.12

from aigc.project.fields import PASSWORD_MIN, max_length
from aigc.project.runner import project_files
from aigc.project.spec import AppSpec, EndpointSpec, EntitySpec, FieldSpec
from aigc.sandbox import Limits, Sandbox


@dataclass(frozen=True)
class Step:
    method: str
    path: str
    expect: int
    body: dict[str, Any] | None = None
    ids: dict[str, str] = field(default_factory=dict)  # path parameter -> entity whose created id fills it
    save: str | None = None  # remember the answer's id under this entity name
    token: bool = False  # remember the answer's access_token for the steps after it
    note: str = ""


@dataclass(frozen=True)
class Plan:
    steps: list[Step]

    def to_json(self) -> dict[str, Any]:
        return {"steps": [s.__dict__ for s in self.steps]}

    def covers(self) -> set[tuple[str, str]]:
        return {(s.method, s.path) for s in self.steps}


def sample_value(f: FieldSpec, n: int) -> Any:
    """A valid value (what a user might type); a ref is {"$ref": Entity}, filled with a created id."""
    if f.example is not None and not f.unique:
        return f.example
    if f.type == "ref":
        return {"$ref": f.ref}
    if f.type == "email":
        return f"probe{n}@example.com"
    if f.type == "password":
        longest = max_length(f.type, f.max_length)
        return ("Probe-pass-" + str(n) + "x" * 128)[: max(f.min_length or 0, PASSWORD_MIN, 16)][:longest]
    if f.is_text:
        text = f"{f.name}-{n}" + "x" * max(0, (f.min_length or 1) - len(f"{f.name}-{n}"))
        return text[-max_length(f.type, f.max_length) :]
    if f.type in ("integer", "number"):
        low = f.minimum if f.minimum is not None else 1
        value = low if f.maximum is None or low <= f.maximum else f.maximum
        shift = n if f.unique and f.maximum is None else 0
        return int(value) + shift if f.type == "integer" else float(value) + shift
    if f.type == "date":
        return (datetime.date(2024, 1, 1) + datetime.timedelta(days=n)).isoformat()
    if f.type == "datetime":
        return (datetime.datetime(2024, 1, 1, 8) + datetime.timedelta(hours=n)).isoformat()
    return True


def _order(entities: list[EntitySpec]) -> list[EntitySpec]:
    done: list[EntitySpec] = []
    pending = list(entities)
    while pending:
        ready = [
            e
            for e in pending
            if all(f.ref in {d.name for d in done} or f.ref == e.name for f in e.fields if f.type == "ref")
        ]
        ready = ready or pending[:1]  # a reference cycle: go on in the written order
        done += ready
        pending = [e for e in pending if e not in ready]
    return done


def build_plan(spec: AppSpec) -> Plan:
    steps = [Step("GET", "/", 200, note="front page")]
    token = spec.auth.kind == "token"
    body = _body_factory()
    for entity in [e for e in spec.entities if e.has_password]:
        steps += _account_steps(spec, entity, body)
    deletes: list[Step] = []
    for entity in _order([e for e in spec.entities if not e.has_password]):
        steps += _entity_steps(spec.endpoints_for(entity.name), entity, body, token)
        deletes = [*_deletes(spec.endpoints_for(entity.name), entity, token), *deletes]
    return Plan(steps + deletes)


def _body_factory() -> Any:
    counter = iter(range(1, 10**6))

    def body(entity: EntitySpec) -> dict[str, Any]:
        n = next(counter)
        return {f.name: sample_value(f, n) for f in entity.fields}

    return body


def _account_steps(spec: AppSpec, entity: EntitySpec, body: Any) -> list[Step]:
    steps = []
    eps = {ep.action: ep for ep in spec.endpoints_for(entity.name)}
    user = body(entity)
    if "register" in eps:
        ep = eps["register"]
        steps.append(Step(ep.method, ep.path, ep.success_status, user, note="register"))
        unique = [f.name for f in entity.fields if f.unique]
        if unique:
            again = {**body(entity), **{name: user[name] for name in unique}}
            steps.append(Step(ep.method, ep.path, ep.status_for("conflict", 409), again, note="duplicate refused"))
    if "login" in eps:
        ep = eps["login"]
        creds = {k: user[k] for k in (spec.auth.username_field, spec.auth.password_field)}
        steps.append(Step(ep.method, ep.path, ep.success_status, creds, token=True, note="log in"))
    if "me" in eps:
        steps.append(Step(eps["me"].method, eps["me"].path, eps["me"].success_status, note="who am I"))
    return steps


def _entity_steps(eps: list[EndpointSpec], entity: EntitySpec, body: Any, token: bool) -> list[Step]:
    steps = []
    by = {ep.action: ep for ep in eps}
    if "create" in by:
        steps.append(
            Step(
                by["create"].method,
                by["create"].path,
                by["create"].success_status,
                body(entity),
                save=entity.name,
                note=f"create a {entity.name}",
            )
        )
    if "list" in by:
        steps.append(Step(by["list"].method, by["list"].path, by["list"].success_status, note=f"list {entity.table}"))
    for action in ("get", "update"):
        ep = by.get(action)
        if ep and "create" in by:
            steps.append(
                Step(
                    ep.method,
                    ep.path,
                    ep.success_status,
                    body(entity) if action == "update" else None,
                    ids={ep.path_params[0]: entity.name},
                    note=f"{action} the {entity.name}",
                )
            )
    for ep in eps:
        if ep.action == "custom" and "create" in by:  # the action acts on the created row (checked when wired)
            steps.append(
                Step(
                    ep.method,
                    ep.path,
                    ep.success_status,
                    ids={ep.path_params[0]: entity.name},
                    note=f"{ep.summary} ({entity.name})",
                )
            )
    return steps


def _deletes(eps: list[EndpointSpec], entity: EntitySpec, token: bool) -> list[Step]:
    ep = next((e for e in eps if e.action == "delete"), None)
    if ep is None or not any(e.action == "create" for e in eps):
        return []
    return [
        Step(
            ep.method,
            ep.path,
            ep.success_status,
            ids={ep.path_params[0]: entity.name},
            note=f"delete the {entity.name}",
        )
    ]


PROBE_LIMITS = Limits(timeout_s=120, cpu_s=120, memory_mb=1024, processes=256)


class ProbeStep(TypedDict):
    """One request of the probe, as the probe script in the sandbox reports it."""

    method: str
    path: str
    expect: int
    status: int | None  # None: no answer, or not the page it should be
    ok: bool
    note: str  # what the step is for
    answer: str  # the start of a wrong answer


class _ProbeOutput(TypedDict):
    started: bool
    steps: list[ProbeStep]
    log: str


_PROBE_OUTPUT = TypeAdapter(_ProbeOutput)


@dataclass(frozen=True)
class ProbeResult:
    started: bool
    steps: list[ProbeStep] = field(default_factory=list)
    log: str = ""

    @property
    def ok(self) -> bool:
        return self.started and bool(self.steps) and all(s["ok"] for s in self.steps)


def probe(folder: Path, plan: Plan, python: Path, sandbox: Sandbox) -> ProbeResult:
    """Start the app as its README says (uvicorn backend.main:app) in the sandbox and walk `plan` over HTTP."""
    script = (resources.files("aigc.project") / "probe_main.py").read_text(encoding="utf-8")
    files = {**project_files(folder), "_aigc_probe.py": script, "_aigc_plan.json": json.dumps(plan.to_json())}
    result = sandbox.run(
        [str(python), "_aigc_probe.py", "_aigc_plan.json"], files, limits=PROBE_LIMITS, extra_ro=[python.parent.parent]
    )
    return probe_result(result.stdout, result.stderr, result.status)


def probe_result(stdout: str, stderr: str, status: str) -> ProbeResult:
    """The probe script's report (its last line of output), checked against ProbeStep's types: written in the
    sandbox, next to the app, so read as untrusted. Whether a step passed is decided here."""
    try:
        data = _PROBE_OUTPUT.validate_json(stdout.strip().splitlines()[-1])
    except (ValidationError, IndexError):
        return ProbeResult(False, [], (stdout + stderr)[-4000:] or status)
    for step in data["steps"]:
        step["ok"] = step["status"] == step["expect"]
    return ProbeResult(data["started"], data["steps"], data["log"][-4000:])
