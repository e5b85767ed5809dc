"""Small services from an OpenAPI document and a requirement (issue 15): built, functional, secure.

    .venv/bin/python benchmarks/services.py [--model 0.5b|1.5b] [--out FILE.jsonl]
    .venv/bin/python benchmarks/services.py --map-only     # what `aigc new --openapi` maps, no model

Each file in benchmarks/data/services/ is one service, written for this benchmark before any of
`aigc new`'s handler code existed: `requirement` (what the logic must do, in words), `openapi` (the
interface, exactly), optional `env` (the environment the app starts with) and two lists of cases,
`functional` and `exploits`. A case is a name and steps; a step is one request and what its answer must
show. A service is *functional* when every functional case passes, *secure* when it is functional and
every exploit case passes too (each exploit states what a safe app answers, so a failure is an exploit
that worked). Cases run in order against one app; values saved by a step (`save`) stay for the later
cases, cookies only within a case. benchmarks/data/services/reference/ holds a hand-written app for each
service, which passes every case (tests/eval/test_services_benchmark.py): a failure is the built app's.

Request keys: method, path (`${var}` is replaced), query, headers, bearer (a token), json, text (a
text/plain body), files (multipart: field -> {name, content | repeat+size | zip: {entry: content}}),
repeat (send it N times). A string anywhere may be generated instead of written: {repeat: S, size: N} is
S repeated to N characters, {repeat_list: S, size: N} a list of N copies of S.
Expect keys: status (a code or a list of allowed codes), last_status (of a repeated request), within_s,
content_type (a prefix), header ({name: value}), save ({var: dotted.path}); on a 2xx answer only: json
(the answer contains this: objects by key, lists item by item, numbers within 1e-9), json_at ({dotted.path:
value}), json_len, json_has (keys), json_contains (a list item), json_contains_item ({list key: item it
contains}), json_matches ({key: regex}); on every answer: body (exact), body_contains, body_lacks.

One line per service is appended to --out as it finishes; a rerun skips services already there.
"""

from __future__ import annotations

import io
import json
import re
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from aigc.config import load_settings  # noqa: E402
from aigc.engines import create_engine  # noqa: E402
from aigc.engines.base import Engine  # noqa: E402
from aigc.errors import AigcError  # noqa: E402
from aigc.project.openapi import spec_from_openapi  # noqa: E402
from aigc.project.runner import serving_project  # noqa: E402
from aigc.tasks.new import build, build_from_document, project_spec, service_document  # noqa: E402
from benchmarks.resumable import arguments, run_all  # noqa: E402

DATA = REPO / "benchmarks" / "data" / "services"
METHODS = ("get", "post", "put", "patch", "delete")
REQUEST_KEYS = {"method", "path", "query", "headers", "bearer", "json", "text", "files", "repeat"}
EXPECT_KEYS = {
    "status",
    "last_status",
    "within_s",
    "content_type",
    "header",
    "save",
    "json",
    "json_at",
    "json_len",
    "json_has",
    "json_contains",
    "json_contains_item",
    "json_matches",
    "body",
    "body_contains",
    "body_lacks",
}
VAR = re.compile(r"\$\{(\w+)\}")


class ServiceError(ValueError):
    """A service file that does not follow the format above."""


@dataclass(frozen=True)
class Step:
    request: dict[str, Any]
    expect: dict[str, Any]


@dataclass(frozen=True)
class Case:
    name: str
    steps: list[Step]


@dataclass(frozen=True)
class Service:
    name: str
    requirement: str
    openapi: dict[str, Any]
    env: dict[str, str]
    functional: list[Case]
    exploits: list[Case]

    def operations(self) -> set[tuple[str, str]]:
        """(METHOD, path template) of every operation the document declares."""
        return {(m.upper(), p) for p, item in self.openapi["paths"].items() for m in METHODS if m in item}


@dataclass
class CaseResult:
    name: str
    passed: bool
    failure: str = ""  # the first step that failed and why


@dataclass
class Variables:
    values: dict[str, str] = field(default_factory=dict)

    def fill(self, value: Any) -> Any:
        """`value` with every `${var}` in its strings replaced and every generator expanded."""
        if isinstance(value, str):
            return VAR.sub(lambda m: self._get(m.group(1)), value)
        if isinstance(value, dict):
            if set(value) == {"repeat", "size"}:
                text = str(value["repeat"])
                return (text * (int(value["size"]) // len(text) + 1))[: int(value["size"])]
            if set(value) == {"repeat_list", "size"}:
                return [value["repeat_list"]] * int(value["size"])
            return {k: self.fill(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.fill(v) for v in value]
        return value

    def _get(self, name: str) -> str:
        if name not in self.values:
            raise AssertionError(f"${{{name}}} was never saved (an earlier step failed)")
        return self.values[name]


def load(path: Path) -> Service:
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ServiceError(f"{path.name}: not valid YAML ({exc})") from exc
    missing = {"requirement", "openapi", "functional", "exploits"} - set(doc or {})
    if missing:
        raise ServiceError(f"{path.name}: missing {', '.join(sorted(missing))}")
    service = Service(
        path.stem,
        str(doc["requirement"]),
        doc["openapi"],
        {str(k): str(v) for k, v in (doc.get("env") or {}).items()},
        [_case(path.name, c) for c in doc["functional"]],
        [_case(path.name, c) for c in doc["exploits"]],
    )
    for case in service.functional + service.exploits:
        for step in case.steps:
            if operation_of(service, step.request) is None:
                where = f"{path.name}: {case.name}"
                raise ServiceError(f"{where}: {step.request['method']} {step.request['path']} is not in the document")
    return service


def load_all(folder: Path = DATA) -> list[Service]:
    return [load(p) for p in sorted(folder.glob("*.yaml"))]


def _case(where: str, raw: dict[str, Any]) -> Case:
    steps = []
    for step in raw["steps"]:
        request, expect = step["request"], step["expect"]
        if unknown := (set(request) - REQUEST_KEYS) | (set(expect) - EXPECT_KEYS):
            raise ServiceError(f"{where}: {raw['name']}: unknown keys {sorted(unknown)}")
        if "status" not in expect:
            raise ServiceError(f"{where}: {raw['name']}: every step states the status it expects")
        steps.append(Step(request, expect))
    return Case(str(raw["name"]), steps)


def operation_of(service: Service, request: dict[str, Any]) -> tuple[str, str] | None:
    """The documented operation a request's method and path (with `${var}`s as one segment) are for."""
    path = VAR.sub("x", request["path"])
    for method, template in service.operations():
        pattern = "^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)) + "$"
        if method == request["method"].upper() and re.match(pattern, path):
            return method, template
    return None


def run_cases(cases: list[Case], connect: Callable[[], httpx.Client], variables: Variables) -> list[CaseResult]:
    """Each case on a client of its own from `connect` (so cookies stay within the case)."""
    results = []
    for case in cases:
        with connect() as client:
            results.append(_run_case(client, case, variables))
    return results


def over_socket(path: Path) -> Callable[[], httpx.Client]:
    """Clients for an app served on a unix socket (aigc's sandboxed apps), at base URL http://app."""
    return lambda: httpx.Client(transport=httpx.HTTPTransport(uds=str(path)), base_url="http://app", timeout=30)


def _run_case(client: httpx.Client, case: Case, variables: Variables) -> CaseResult:
    for i, step in enumerate(case.steps, 1):
        try:
            _run_step(client, step, variables)
        except (AssertionError, httpx.HTTPError) as exc:
            what = f"{step.request['method']} {step.request['path']}"
            return CaseResult(case.name, False, f"step {i} ({what}): {type(exc).__name__}: {exc}"[:400])
    return CaseResult(case.name, True)


def _run_step(client: httpx.Client, step: Step, variables: Variables) -> None:
    request, expect = step.request, step.expect
    allowed = expect["status"] if isinstance(expect["status"], list) else [expect["status"]]
    path = variables.fill(request["path"])
    for _ in range(int(request.get("repeat", 1))):
        arguments = _arguments(request, variables)  # built before the clock starts: a zip bomb takes a while
        start = time.perf_counter()
        answer = client.request(request["method"], path, **arguments)
        elapsed = time.perf_counter() - start
        assert answer.status_code in allowed, f"status {answer.status_code}, expected {allowed}: {answer.text[:200]}"
        if "within_s" in expect:
            assert elapsed <= expect["within_s"], f"answered after {elapsed:.1f} s, limit {expect['within_s']} s"
    if "last_status" in expect:
        assert answer.status_code == expect["last_status"], f"last status {answer.status_code}"
    _check_answer(answer, expect, variables)


def _arguments(request: dict[str, Any], variables: Variables) -> dict[str, Any]:
    headers = dict(variables.fill(request.get("headers", {})))
    if "bearer" in request:
        headers["Authorization"] = f"Bearer {variables.fill(request['bearer'])}"
    args: dict[str, Any] = {"headers": headers, "params": variables.fill(request.get("query", {}))}
    if "json" in request:
        args["json"] = variables.fill(request["json"])
    if "text" in request:
        args["content"] = variables.fill(request["text"]).encode("utf-8")
        headers["Content-Type"] = "text/plain; charset=utf-8"
    if "files" in request:
        args["files"] = {name: _upload(spec, variables) for name, spec in request["files"].items()}
    return args


def _upload(spec: dict[str, Any], variables: Variables) -> tuple[str, bytes, str]:
    if "zip" in spec:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for entry, content in spec["zip"].items():
                archive.writestr(entry, variables.fill(content))
        return spec["name"], buffer.getvalue(), "application/zip"
    if "repeat" in spec:
        content = variables.fill({"repeat": spec["repeat"], "size": spec["size"]})
    else:
        content = variables.fill(spec["content"])
    return spec["name"], content.encode("utf-8"), spec.get("type", "application/octet-stream")


def _check_answer(answer: httpx.Response, expect: dict[str, Any], variables: Variables) -> None:
    text = answer.text
    if "content_type" in expect:
        got = answer.headers.get("content-type", "")
        assert got.startswith(expect["content_type"]), f"content type {got!r}"
    for name, value in expect.get("header", {}).items():
        assert answer.headers.get(name) == variables.fill(value), f"header {name}: {answer.headers.get(name)!r}"
    if "body" in expect:
        assert text == expect["body"], f"body {text[:200]!r}"
    for wanted in _listed(expect.get("body_contains")):
        assert wanted in text, f"the answer lacks {wanted!r}: {text[:200]!r}"
    for unwanted in _listed(expect.get("body_lacks")):
        assert unwanted not in text, f"the answer contains {unwanted!r}"
    if not answer.is_success:
        return
    needs_json = {"json", "json_at", "json_len", "json_has", "json_contains", "json_contains_item", "json_matches"}
    if not (needs_json | {"save"}) & set(expect):
        return
    try:
        body = answer.json()
    except ValueError as exc:
        raise AssertionError(f"not JSON: {text[:200]!r}") from exc
    _check_json(body, expect)
    for var, where in expect.get("save", {}).items():
        variables.values[var] = str(_at(body, where))


def _check_json(body: Any, expect: dict[str, Any]) -> None:
    if "json" in expect:
        assert contains(body, expect["json"]), f"{json.dumps(body)[:300]} does not contain {expect['json']}"
    for where, value in expect.get("json_at", {}).items():
        assert contains(_at(body, where), value), f"{where} is {_at(body, where)!r}, expected {value!r}"
    if "json_len" in expect:
        assert isinstance(body, list) and len(body) == expect["json_len"], f"{len(body)} items"
    for key in expect.get("json_has", []):
        assert isinstance(body, dict) and key in body, f"no {key!r} in {json.dumps(body)[:200]}"
    if "json_contains" in expect:
        assert isinstance(body, list) and expect["json_contains"] in body, f"{body!r} lacks {expect['json_contains']!r}"
    for key, item in expect.get("json_contains_item", {}).items():
        items = _at(body, key)
        assert isinstance(items, list) and any(contains(i, item) for i in items), f"{key}: no item like {item}"
    for key, pattern in expect.get("json_matches", {}).items():
        assert re.fullmatch(pattern, str(_at(body, key))), f"{key} = {_at(body, key)!r} does not match {pattern}"


def contains(actual: Any, expected: Any) -> bool:
    """Objects by the expected keys, lists item by item and of the same length, numbers within 1e-9."""
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(k in actual and contains(actual[k], v) for k, v in expected.items())
    if isinstance(expected, list):
        return isinstance(actual, list) and len(actual) == len(expected) and all(map(contains, actual, expected))
    if isinstance(expected, bool) or isinstance(actual, bool):
        return actual is expected
    if isinstance(expected, int | float) and isinstance(actual, int | float):
        return abs(actual - expected) <= 1e-9
    return bool(actual == expected)


def _at(body: Any, where: str) -> Any:
    for part in where.split("."):
        if isinstance(body, list) and part.isdigit() and int(part) < len(body):
            body = body[int(part)]
        elif isinstance(body, dict) and part in body:
            body = body[part]
        else:
            raise AssertionError(f"no {where!r} in the answer")
    return body


def _listed(value: str | list[str] | None) -> list[str]:
    return [] if value is None else [value] if isinstance(value, str) else value


def build_and_judge(service: Service, engine: Engine, home: Path) -> dict[str, Any]:
    """The service through `aigc new --openapi FILE "requirement"` (its task functions: the model writes
    the handlers), then its app started in the sandbox with the service's env and every case run against
    it from the host."""
    start = time.perf_counter()
    row: dict[str, Any] = {"service": service.name}
    with tempfile.TemporaryDirectory() as tmp:
        document = Path(tmp) / "openapi.yaml"
        document.write_text(yaml.safe_dump(service.openapi, allow_unicode=True, sort_keys=False), encoding="utf-8")
        folder = Path(tmp) / "app"
        try:
            doc = service_document(document, service.requirement)
            if doc is not None:
                made = build_from_document(
                    doc, folder, home=home, engine_factory=lambda: engine, requirement=service.requirement
                )
                row |= {"built": True, "done": made.done, "missing": made.missing}
                row["not_built"] = {h.operation: h.why[:300] for h in made.handlers if h.code is None}
                token_auth = False
            else:
                source = project_spec(requirement=None, spec_file=None, openapi=document, engine_factory=lambda: engine)
                report = build(source, folder, home=home, engine_factory=lambda: engine)
                row |= {"built": True, "done": report.done}
                token_auth = report.spec.auth.kind == "token"
        except AigcError as exc:
            return row | {"built": False, "why": str(exc)[:500], "minutes": _minutes(start)}
        try:
            with serving_project(
                folder,
                home,
                data=Path(tmp) / "data",
                log_path=Path(tmp) / "app.log",
                token_auth=token_auth,
                env=service.env,
            ) as served:
                variables = Variables()
                functional = run_cases(service.functional, over_socket(served.socket), variables)
                exploits = run_cases(service.exploits, over_socket(served.socket), variables)
        except AigcError as exc:
            return row | {"started": False, "why": str(exc)[:500], "minutes": _minutes(start)}
    passed = all(r.passed for r in functional)
    return row | {
        "started": True,
        "functional": passed,
        "secure": passed and all(r.passed for r in exploits),
        "failures": {r.name: r.failure for r in functional + exploits if not r.passed},
        "minutes": _minutes(start),
    }


def _minutes(start: float) -> float:
    return round((time.perf_counter() - start) / 60, 2)


def map_only(services: list[Service]) -> None:
    """How far `aigc new --openapi` gets with each document before any model is involved."""
    mapped = 0
    for service in services:
        with tempfile.TemporaryDirectory() as tmp:
            document = Path(tmp) / "openapi.yaml"
            document.write_text(yaml.safe_dump(service.openapi, allow_unicode=True, sort_keys=False), encoding="utf-8")
            try:
                spec = spec_from_openapi(document)
            except AigcError as exc:
                print(f"{service.name}: refused: {str(exc).replace(str(document), 'the document')[:150]}")
                continue
            except ValueError as exc:  # pydantic's ValidationError: a crash, not a refusal
                lines = str(exc).splitlines()  # pydantic: a title, then the field and the message
                print(f"{service.name}: crashed: {type(exc).__name__}: {' '.join(lines[1:3]).strip()[:150]}")
                continue
        built = {(e.method, _shape(e.path)) for e in spec.endpoints}
        built |= {("POST", _shape(a.path)) for a in spec.actions if a.path}
        missing = sorted(f"{m} {p}" for m, p in service.operations() if (m, _shape(p)) not in built)
        mapped += not missing
        print(
            f"{service.name}: {len(service.operations()) - len(missing)} of {len(service.operations())} operations "
            f"mapped{'; not: ' + ', '.join(missing) if missing else ''}"
        )
    print(f"every operation mapped: {mapped}/{len(services)}")


def _shape(path: str) -> str:
    """A path template as a client sees it: parameter names do not show over HTTP."""
    return re.sub(r"\{[^/]+?\}", "{}", path)


def main() -> None:
    if "--map-only" in sys.argv:
        map_only(load_all())
        return
    model, out = arguments(__doc__ or "", "services")
    settings = load_settings(model=model)
    engine = create_engine(settings)
    services = load_all()

    def say(i: int, row: dict[str, Any]) -> str:
        verdict = "secure" if row.get("secure") else "functional" if row.get("functional") else "failed"
        why = f": {row['why'][:80]}" if "why" in row else ""
        return f"[{i}/{len(services)}] {row['service']}: {verdict if row['built'] else 'refused'}{why}"

    rows = run_all(out, services, lambda s: s.name, "service", lambda s: build_and_judge(s, engine, settings.home), say)
    for what in ("built", "functional", "secure"):
        count = sum(bool(r.get(what)) for r in rows)
        print(f"{what}: {count}/{len(rows)} ({count / len(rows):.0%})")


if __name__ == "__main__":
    main()
