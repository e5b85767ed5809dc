"""Actions (custom endpoints on one row): contract tests, the verification loop on a scripted model, wiring
into the sample records, the served endpoint, an OpenAPI action route, and routes that forget to save."""

from __future__ import annotations

from pathlib import Path

import pytest

from aigc.engines.base import GenerationParams, Request
from aigc.engines.fake import FakeEngine
from aigc.project.actions import acts, code_actions, contract_tests
from aigc.project.openapi import spec_from_openapi
from aigc.project.pipeline import build_project
from aigc.project.runner import run_tests as run_project_tests
from aigc.project.spec import AppSpec
from aigc.sandbox import Sandbox
from aigc.verify.runner import run_tests
from tests.project.specs import COMPLETE_TASK, TASKS

MODEL_TESTS = """```python
assert complete_task({'title': 'write', 'done': False}) == {'done': True}
assert complete_task({'title': 'write', 'done': True}) == 'already done'
```"""


def bare_tasks() -> AppSpec:
    """TASKS with its action not yet written and no example: the sample row is done=True, so the action
    refuses it until wiring gives the field an example."""
    data = TASKS.model_dump()
    data["entities"][0]["fields"][1]["example"] = None
    data["actions"][0] |= {"code": None, "function": None, "tests": []}
    return AppSpec.model_validate(data | {"endpoints": [ep for ep in data["endpoints"] if ep["action"] != "custom"]})


@pytest.mark.parametrize(
    ("code", "fails"),
    [
        (COMPLETE_TASK, set()),
        ("def complete_task(record):\n    return {'finished': True}\n", {"types"}),
        ("def complete_task(record):\n    return {'done': 'yes'}\n", {"types"}),
        ("def complete_task(record):\n    return 3\n", {"types"}),
        ("def complete_task(record):\n    record['done'] = True\n    return record\n", set()),  # gets a copy
    ],
    ids=["right", "unknown field", "wrong type", "not a dict", "the whole record back"],
)
def test_contract_tests_hold_any_action_to_its_interface(box: Sandbox, code: str, fails: set[str]) -> None:
    entity = TASKS.entities[0]
    results = run_tests(box, code, contract_tests(entity, "complete_task"), "complete_task")
    failed = {"types" for r in results if not r.passed}
    assert failed == fails, [(r.test.name, r.error) for r in results]


def test_acts_tells_acting_refusing_and_crashing_apart(box: Sandbox) -> None:
    records = [{"title": "a", "done": False}, {"title": "a", "done": True}, {"title": "a"}]
    assert acts(box, COMPLETE_TASK, "complete_task", records) == ["acts", "refuses", "error"]


def scripted(code: str) -> FakeEngine:
    def reply(request: Request) -> str:
        system = request.messages[0].content if request.messages else ""
        return MODEL_TESTS if "You write unit tests" in system else f"```python\n{code}```"

    return FakeEngine(reply)


def test_code_actions_writes_wires_and_serves_an_action(box: Sandbox, tmp_path: Path) -> None:
    spec = bare_tasks()
    assert not any(ep.action == "custom" for ep in spec.endpoints)  # no code yet: no endpoint
    result = code_actions(spec, scripted(COMPLETE_TASK), GenerationParams(max_tokens=300), sandbox=box)
    (outcome,) = result.outcomes
    assert outcome.status == "enforced", outcome.why
    (action,) = result.spec.actions
    assert action.function == "complete_task" and len(action.tests) == 2
    assert result.spec.entities[0].field("done").example is False  # type: ignore[union-attr]  # so it acts
    custom = [ep for ep in result.spec.endpoints if ep.action == "custom"]
    assert [(ep.method, ep.path) for ep in custom] == [("POST", "/api/tasks/{id}/complete")]
    report = build_project(result.spec, tmp_path / "app", home=tmp_path / "home", source="spec", sandbox=box)
    assert report.done, report.tests.output if report.tests else None
    passed = {o.name for o in report.tests.outcomes if o.passed}  # type: ignore[union-attr]
    assert "test_action_complete_task_is_served" in passed and "test_action_complete_task_case_2" in passed
    assert any(s["path"] == "/api/tasks/{id}/complete" and s["ok"] for s in report.probe.steps)  # type: ignore[union-attr]


def test_an_action_that_never_acts_is_not_served(box: Sandbox) -> None:
    never = "def complete_task(record: dict) -> dict | str:\n    return 'not now'\n"
    result = code_actions(bare_tasks(), scripted(never), GenerationParams(max_tokens=300), sandbox=box)
    (outcome,) = result.outcomes
    assert outcome.status == "not enforced"
    assert not any(ep.action == "custom" for ep in result.spec.endpoints)


def test_routes_that_forget_to_save_fail_the_served_test(box: Sandbox, tmp_path: Path) -> None:
    from aigc.project.runner import project_env

    out = tmp_path / "tasks"
    build_project(TASKS, out, home=tmp_path / "home", source="spec", sandbox=box)
    routes = out / "backend" / "routes.py"
    text = routes.read_text()
    start = text.index("def complete_task_route")
    broken = text[:start] + text[start:].replace("setattr(row, key, value)", "pass", 1)
    routes.write_text(broken)
    again = run_project_tests(out, project_env(tmp_path / "home", (out / "requirements.txt").read_text()), box)
    assert again.outcomes
    assert {o.name for o in again.outcomes if not o.passed} == {"test_action_complete_task_is_served"}


def test_an_openapi_action_route_becomes_an_action(tmp_path: Path) -> None:
    doc = tmp_path / "tasks.yaml"
    doc.write_text(
        "openapi: 3.0.0\ninfo: {title: Tasks}\npaths:\n"
        "  /tasks:\n    post:\n      requestBody: {content: {application/json: "
        "{schema: {$ref: '#/components/schemas/Task'}}}}\n"
        "      responses: {'201': {description: made}}\n"
        "  /tasks/{id}:\n    get:\n      responses: {'200': {description: one, content: {application/json: "
        "{schema: {$ref: '#/components/schemas/Task'}}}}}\n"
        "  /tasks/{id}/complete:\n    post:\n      summary: Mark the task done\n"
        "      responses: {'200': {description: done}}\n"
        "components:\n  schemas:\n    Task:\n      type: object\n      required: [title]\n"
        "      properties: {title: {type: string}, done: {type: boolean}}\n"
    )
    spec = spec_from_openapi(doc)
    (action,) = spec.actions
    assert (action.entity, action.name, action.path) == ("Task", "complete", "/tasks/{id}/complete")
    assert action.description == "Mark the task done" and action.code is None
    assert not any("not built" in a for a in spec.assumptions)


def test_the_build_writes_an_action_that_has_no_code_yet(box: Sandbox, tmp_path: Path) -> None:
    engine, params = scripted(COMPLETE_TASK), GenerationParams(max_tokens=300)
    home = tmp_path / "home"
    report = build_project(bare_tasks(), tmp_path / "app", home=home, source="spec", sandbox=box,
                           engine_factory=lambda: engine, params=params)  # fmt: skip
    assert report.done and [a.status for a in report.actions] == ["enforced"]
    assert report.rules_tokens > 0 and "actions" in report.stages
    assert "POST /api/tasks/{id}/complete" in (tmp_path / "app" / "README.md").read_text()
    no_model = build_project(bare_tasks(), tmp_path / "plain", home=tmp_path / "home", source="spec", sandbox=box)
    assert no_model.done and [a.status for a in no_model.actions] == ["not enforced"]
