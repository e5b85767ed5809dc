"""Custom endpoints as code: an action on one row ("mark a task done", "cancel an order"), written by the
model and verified, served by the templates at POST /api/<table>/{id}/<name>.

The model writes `<name>_<entity>(record) -> dict | str`: the fields to change, or the message when the
action is not allowed for that row. The templates do the rest (finding the row, its owner, validating the
changed row with the entity's own schema, saving it), so the model's code never touches the database or
the request. The function goes through the verification loop (aigc.verify.pipeline) with tests the model
writes from the description alone and a contract test every action must pass; it is wired in only when it
acts on the records the app's own tests and probe create (fields get examples where needed). The project's
tests then call the endpoint and compare the answer with the function's own result on the same row.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aigc.engines.base import Engine, GenerationParams
from aigc.project.design import with_standard_parts
from aigc.project.fields import TYPES
from aigc.project.functions import (
    Outcomes,
    RuleOutcome,
    Writer,
    candidate_records,
    classify,
    plain_record,
    record,
    record_keys,
    with_taken_examples,
)
from aigc.project.rules import verdicts
from aigc.project.spec import ActionSpec, AppSpec, EntitySpec, snake
from aigc.prompts import render
from aigc.sandbox import Sandbox
from aigc.verify.candidates import DEFAULT_VERIFY_CANDIDATES
from aigc.verify.tests import TestCase


def function_name(action: ActionSpec) -> str:
    return f"{action.name}_{snake(action.entity)}"


def action_requirement(spec: AppSpec, entity: EntitySpec, action: ActionSpec, function: str) -> str:
    language = "Chinese" if spec.language == "zh" else "English"
    return render(
        "action_requirement",
        action=action.name,
        entity=entity.name,
        description=action.description,
        function=function,
        keys=record_keys(entity),
        language=language,
    )


def contract_tests(entity: EntitySpec, function: str) -> list[TestCase]:
    """A trusted test for any action: on the record the app's tests send it answers a dict of known fields
    with values of their types, or a message. (Changing the dict it is given is harmless: it gets a copy.)"""
    full = record(entity, 1)
    types = {f.name: TYPES[f.type].check for f in entity.fields if f.type != "password"}
    optional = [f.name for f in entity.fields if not f.required]
    checks = (
        f"__record__ = {full!r}\n__copy__ = dict(__record__)\n__answer__ = {function}(__record__)\n"
        "assert isinstance(__answer__, (dict, str)), f'answered {__answer__!r}, not a dict or a message'\n"
        "if isinstance(__answer__, dict):\n"
        f"    __types__ = {{{', '.join(f'{k!r}: {v}' for k, v in types.items())}}}\n"
        f"    __optional__ = {optional!r}\n"
        "    for __k__, __v__ in __answer__.items():\n"
        "        assert __k__ in __types__, f'changes {__k__!r}, which is not a field'\n"
        "        assert (__v__ is None and __k__ in __optional__) or (isinstance(__v__, __types__[__k__]) "
        "and not (isinstance(__v__, bool) and __types__[__k__] is not bool)), f'{__k__} = {__v__!r}: wrong type'\n"
    )
    return [TestCase("example", "contract: a dict of fields with values of their types, or a message", checks)]


def acts(sandbox: Sandbox, action_code: str, function: str, records: list[dict[str, Any]]) -> list[str]:
    """For each record: "acts" when the function answers a dict, "refuses" for a message, "error" otherwise."""
    says = {
        "acts": lambda rec: f"isinstance({function}({rec}), dict)",
        "refuses": lambda rec: f"isinstance({function}({rec}), str)",
    }
    return classify(sandbox, action_code, function, records, says)


def wire(spec: AppSpec, entity: EntitySpec, action: ActionSpec, sandbox: Sandbox) -> tuple[AppSpec | None, str]:
    """The spec whose sample records the action acts on (and every check of the entity still accepts), or
    None and why."""
    assert action.code is not None and action.function is not None
    code, function = action.code, action.function
    checks = [c for c in spec.checks if c.entity == entity.name]

    def fine(e: EntitySpec) -> bool:
        samples = [record(e, 1), record(e, 2)]
        if acts(sandbox, code, function, samples) != ["acts", "acts"]:
            return False
        return not checks or verdicts(sandbox, checks, samples) == ["accepts", "accepts"]

    if fine(entity):
        return spec, ""
    options = candidate_records(entity, plain_record(entity), action.tests, function, action.description)
    acted = [r for r, v in zip(options, acts(sandbox, code, function, options), strict=True) if v == "acts"]
    moved = with_taken_examples(spec, entity, acted, fine)
    if moved is None:
        return None, "it does not act on the records the app's own tests create, so no test could show it working"
    return moved[0], ""


def code_actions(
    spec: AppSpec,
    engine: Engine,
    params: GenerationParams,
    *,
    sandbox: Sandbox,
    candidates: int = DEFAULT_VERIFY_CANDIDATES,
    max_rounds: int = 2,
    on_event: Callable[[str], None] | None = None,
) -> Outcomes:
    """Write, verify and wire the code of every action that has none; say for each what became of it."""
    say = on_event or (lambda _: None)
    writer = Writer(engine, params, sandbox, candidates, max_rounds, say)
    result = Outcomes(spec)  # each outcome's rule is the action's description
    for index, action in enumerate(spec.actions):
        if action.code is not None:
            continue
        entity = result.spec.entity(action.entity)
        assert entity is not None
        if entity.has_password or not result.spec.endpoint(entity.name, "create"):
            why = "accounts take no actions" if entity.has_password else f"{entity.name} rows are never created"
            result.not_enforced(action.description, why, entity.name)
            continue
        function = function_name(action)
        say(f"writing the action {action.name} of {entity.name}: {action.description}")
        written = writer.write(
            action_requirement(result.spec, entity, action, function), function, contract_tests(entity, function)
        )
        result.written(written)
        report, kept = written.report, written.tests
        if written.code is None:
            result.not_enforced(action.description, written.why, entity.name, written)
            continue
        coded = action.model_copy(update={"code": written.code, "function": function, "tests": kept})
        wired, why = wire(result.spec, entity, coded, sandbox)
        if wired is None:
            result.not_enforced(action.description, why, entity.name, written)
            continue
        actions = list(wired.actions)
        actions[index] = coded
        result.spec = with_standard_parts(wired.model_copy(update={"actions": actions}))
        said = (
            f"{function} passed {len(kept)} model-written test(s) and its contract tests; served at POST "
            f"{result.spec.action_path(coded)} (model-written: read it before relying on it)"
        )
        result.outcomes.append(RuleOutcome(action.description, "enforced", said, entity.name, function, report))
    return result
