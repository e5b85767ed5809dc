"""The services benchmark (benchmarks/services.py) is consistent: every file follows the format, every
request is for an operation its document declares and every operation is exercised; a hand-written
reference app of each service passes all of its functional and exploit cases (so a failing app fails by
its own fault); and the checks that judge an app fail when it answers wrongly (apps faked with
httpx.MockTransport)."""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from benchmarks.services import (
    DATA,
    Case,
    Service,
    ServiceError,
    Step,
    Variables,
    contains,
    load,
    load_all,
    operation_of,
    run_cases,
)

SERVICES = load_all()


def test_at_least_twenty_services_each_exercising_every_operation() -> None:
    assert len(SERVICES) >= 20
    for service in SERVICES:
        used = {operation_of(service, step.request) for case in service.functional for step in case.steps}
        assert service.operations() <= used, service.name
        assert service.requirement.strip() and service.exploits, service.name


def _reference(name: str) -> FastAPI:
    path = DATA / "reference" / f"{name.replace('-', '_')}.py"
    spec = importlib.util.spec_from_file_location(f"reference_{path.stem}", path)
    assert spec and spec.loader, path
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # pydantic resolves the module's annotations through it
    spec.loader.exec_module(module)
    app: FastAPI = module.create_app()
    return app


@pytest.mark.parametrize("service", SERVICES, ids=[s.name for s in SERVICES])
def test_the_reference_app_passes_every_case(service: Service, monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in service.env.items():
        monkeypatch.setenv(key, value)
    app = _reference(service.name)
    variables = Variables()
    results = run_cases(
        service.functional + service.exploits,
        lambda: TestClient(app, base_url="http://app", follow_redirects=False),
        variables,
    )
    assert [f"{r.name}: {r.failure}" for r in results if not r.passed] == []


def test_a_request_for_an_undocumented_operation_is_refused(tmp_path: Path) -> None:
    doc = {"openapi": "3.0.3", "paths": {"/items/{id}": {"get": {"responses": {"200": {"description": "ok"}}}}}}
    case = {"name": "c", "steps": [{"request": {"method": "DELETE", "path": "/items/${x}"}, "expect": {"status": 204}}]}
    path = tmp_path / "s.yaml"
    path.write_text(json.dumps({"requirement": "r", "openapi": doc, "functional": [case], "exploits": []}))
    with pytest.raises(ServiceError, match=r"DELETE /items/.* is not in the document"):
        load(path)
    case["steps"][0]["expect"] = {"stauts": 200}  # type: ignore[index]
    path.write_text(json.dumps({"requirement": "r", "openapi": doc, "functional": [case], "exploits": []}))
    with pytest.raises(ServiceError, match="unknown keys"):
        load(path)


def test_contains_compares_numbers_by_value_lists_whole_and_objects_by_key() -> None:
    assert contains({"a": 7.0, "b": [1, {"c": "x", "d": 2}]}, {"a": 7, "b": [1, {"c": "x"}]})
    assert not contains({"a": [1, 2]}, {"a": [1]})
    assert not contains({"a": 1}, {"a": True}) and not contains(0, False)
    assert not contains({"a": "7"}, {"a": 7})


def _app(handler: Callable[[httpx.Request], httpx.Response]) -> Callable[[], httpx.Client]:
    return lambda: httpx.Client(transport=httpx.MockTransport(handler), base_url="http://app")


def _case(*steps: tuple[dict[str, object], dict[str, object]]) -> Case:
    return Case("c", [Step(request, expect) for request, expect in steps])


def test_values_saved_by_one_step_reach_the_next_and_a_wrong_answer_fails() -> None:
    seen: list[str] = []

    def app(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.method} {request.url.path} {request.headers.get('authorization')}")
        if request.method == "POST":
            return httpx.Response(201, json={"id": 42, "token": "t0k"})
        return httpx.Response(200, json={"id": 42, "items": [{"sku": "a", "n": 4}]})

    good = _case(
        (
            {"method": "POST", "path": "/x", "json": {"big": {"repeat": "ab", "size": 5}}},
            {"status": 201, "save": {"id": "id", "tok": "token"}},
        ),
        (
            {"method": "GET", "path": "/x/${id}", "bearer": "${tok}"},
            {"status": [200, 204], "json_contains_item": {"items": {"sku": "a"}}},
        ),
    )
    variables = Variables()
    assert run_cases([good], _app(app), variables)[0].passed
    assert seen == ["POST /x None", "GET /x/42 Bearer t0k"]
    wrong = _case(({"method": "GET", "path": "/x/${id}"}, {"status": 200, "json_at": {"items.0.n": 5}}))
    result = run_cases([wrong], _app(app), variables)[0]
    assert not result.passed and "items.0.n is 4, expected 5" in result.failure
    missing = run_cases([_case(({"method": "GET", "path": "/y/${nope}"}, {"status": 200}))], _app(app), variables)
    assert not missing[0].passed and "${nope} was never saved" in missing[0].failure


@pytest.mark.parametrize(
    ("answer", "expect", "passes"),
    [
        (httpx.Response(200, text="<p>&lt;script&gt;</p>"), {"status": 200, "body_lacks": "<script>"}, True),
        (httpx.Response(200, text="<p><script></p>"), {"status": 200, "body_lacks": "<script>"}, False),
        (httpx.Response(404, text="root:x:0:0"), {"status": [400, 404], "body_lacks": "root:"}, False),
        (httpx.Response(500, text="boom"), {"status": [400, 422]}, False),
        (httpx.Response(200, text="not json"), {"status": 200, "json": {"a": 1}}, False),
        (httpx.Response(400, text="not json"), {"status": [200, 400], "json": {"a": 1}}, True),  # JSON on 2xx only
        (
            httpx.Response(302, headers={"location": "https://e.org"}),
            {"status": 302, "header": {"location": "https://e.org"}},
            True,
        ),
        (
            httpx.Response(200, json={"code": "ab12"}),
            {"status": 200, "json_matches": {"code": "^[a-z0-9]{6,10}$"}},
            False,
        ),
    ],
)
def test_an_answer_is_judged_by_what_the_step_expects(
    answer: httpx.Response, expect: dict[str, object], passes: bool
) -> None:
    case = _case(({"method": "GET", "path": "/"}, expect))
    assert run_cases([case], _app(lambda _: answer), Variables())[0].passed is passes


def test_a_repeated_request_is_judged_on_its_last_answer_and_cookies_stay_in_their_case() -> None:
    count = {"n": 0}

    def app(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/login":
            count["n"] += 1
            return httpx.Response(429 if count["n"] > 3 else 401, headers={"set-cookie": "s=1; Path=/"})
        return httpx.Response(200 if request.headers.get("cookie") else 401)

    throttled = _case(({"method": "POST", "path": "/login", "repeat": 5}, {"status": [401, 429], "last_status": 429}))
    cookie = _case(
        ({"method": "POST", "path": "/login"}, {"status": 429}), ({"method": "GET", "path": "/me"}, {"status": 200})
    )
    fresh = _case(({"method": "GET", "path": "/me"}, {"status": 401}))
    assert [r.passed for r in run_cases([throttled, cookie, fresh], _app(app), Variables())] == [True, True, True]
