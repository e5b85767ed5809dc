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
from dataclasses import dataclass, field
from typing import Any

from aigc.engines.base import Engine, GenerationParams, Usage
from aigc.project.design import complete
from aigc.project.rules import (
    MAX_TRIALS,
    TYPE_WORDS,
    RuleOutcome,
    nearby,
    record,
    records_in,
    valid_for,
    verdicts,
    with_examples,
    write_verified,
)
from aigc.project.spec import ActionSpec, AppSpec, EntitySpec, snake
from aigc.sandbox import Sandbox
from aigc.tasks.generate import DEFAULT_VERIFY_CANDIDATES
from aigc.verify.runner import run_tests
from aigc.verify.tests import TestCase

_PY_TYPES = {
    "string": "str",
    "text": "str",
    "email": "str",
    "date": "str",
    "datetime": "str",
    "integer": "int",
    "number": "(int, float)",
    "boolean": "bool",
    "ref": "int",
}


@dataclass
class ActionsResult:
    spec: AppSpec
    outcomes: list[RuleOutcome] = field(default_factory=list)  # rule = the action's description
    usage: Usage = field(default_factory=Usage)
    rounds: int = 0


def function_name(action: ActionSpec) -> str:
    return f"{action.name}_{snake(action.entity)}"


def action_requirement(spec: AppSpec, entity: EntitySpec, action: ActionSpec, function: str) -> str:
    keys = []
    for f in entity.fields:
        if f.type == "password":
            continue
        optional = "" if f.required else "; may be None"
        label = f" ({f.description})" if f.description and f.description != f.name else ""
        keys.append(f"- {f.name}{label}: {TYPE_WORDS[f.type].format(ref=f.ref)}{optional}")
    language = "Chinese" if spec.language == "zh" else "English"
    return (
        f"Action `{action.name}` on one {entity.name} record: {action.description}\n\n"
        f"Write a Python function `{function}(record: dict) -> dict | str` that performs this action on one "
        f"{entity.name} record. The record is a dict with these keys:\n" + "\n".join(keys) + "\n\n"
        "Return a dict of only the fields the action changes, with their new values (keys from the list "
        "above, values of their types); or, when the action is not allowed for this record, a short error "
        f"message in {language} (a str)."
    )


def contract_tests(entity: EntitySpec, function: str) -> list[TestCase]:
    """A trusted test for any action: on the record the app's tests send it answers a dict of known fields
    with values of their types, or a message. (Changing the dict it is given is harmless: it gets a copy.)"""
    full = record(entity, 1)
    types = {f.name: _PY_TYPES[f.type] for f in entity.fields if f.type != "password"}
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
    if not records:
        return []
    tests = []
    for i, rec in enumerate(records):
        tests.append(TestCase("model", f"acts#{i}", f"assert isinstance({function}({rec!r}), dict)\n", 1.0))
        tests.append(TestCase("model", f"refuses#{i}", f"assert isinstance({function}({rec!r}), str)\n", 1.0))
    results = run_tests(sandbox, action_code, tests, function)
    return [
        "acts" if results[2 * i].passed else "refuses" if results[2 * i + 1].passed else "error"
        for i in range(len(records))
    ]


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
    plain = {k: v for k, v in record(entity, 1).items() if getattr(entity.field(k), "type", "") != "ref"}
    options = [{**plain, **r} for r in records_in(action.tests, function) if valid_for(entity, r)]
    options += nearby(entity, action.description, plain)
    acted = [r for r, v in zip(options, acts(sandbox, code, function, options), strict=True) if v == "acts"]
    for rec in acted[:MAX_TRIALS]:
        trial = with_examples(spec, entity.name, rec)
        moved = trial.entity(entity.name)
        assert moved is not None
        if fine(moved):
            return trial, ""
    return None, "it does not act on the records the app's own tests create, so no test could show it working"


def code_actions(
    spec: AppSpec,
    engine: Engine,
    params: GenerationParams,
    *,
    sandbox: Sandbox,
    candidates: int = DEFAULT_VERIFY_CANDIDATES,
    max_rounds: int = 2,
    on_event: Callable[[str], None] | None = None,
) -> ActionsResult:
    """Write, verify and wire the code of every action that has none; say for each what became of it."""
    say = on_event or (lambda _: None)
    result = ActionsResult(spec)
    for index, action in enumerate(spec.actions):
        if action.code is not None:
            continue
        entity = result.spec.entity(action.entity)
        assert entity is not None
        if entity.has_password or not result.spec.endpoint(entity.name, "create"):
            why = "accounts take no actions" if entity.has_password else f"{entity.name} rows are never created"
            result.outcomes.append(RuleOutcome(action.description, "not enforced", why, entity.name))
            continue
        function = function_name(action)
        say(f"writing the action {action.name} of {entity.name}: {action.description}")
        written = write_verified(
            action_requirement(result.spec, entity, action, function),
            function,
            contract_tests(entity, function),
            engine,
            params,
            sandbox=sandbox,
            candidates=candidates,
            max_rounds=max_rounds,
            say=say,
        )
        result.usage = result.usage + written.usage
        result.rounds += written.rounds
        report, kept = written.report, written.tests
        if written.code is None:
            result.outcomes.append(
                RuleOutcome(action.description, "not enforced", written.why, entity.name, None, report)
            )
            continue
        coded = action.model_copy(update={"code": written.code, "function": function, "tests": kept})
        wired, why = wire(result.spec, entity, coded, sandbox)
        if wired is None:
            result.outcomes.append(RuleOutcome(action.description, "not enforced", why, entity.name, None, report))
            continue
        actions = list(wired.actions)
        actions[index] = coded
        result.spec = complete(wired.model_copy(update={"actions": actions}))
        said = (
            f"{function} passed {len(kept)} model-written test(s) and its contract tests; served at POST "
            f"{result.spec.action_path(coded)} (model-written: read it before relying on it)"
        )
        result.outcomes.append(RuleOutcome(action.description, "enforced", said, entity.name, function, report))
    return result
