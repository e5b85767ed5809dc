"""Business rules as code: what the templates cannot know, written by the model and verified.

Each rule the requirement states is first placed: a rule about a unique field ("用户名已存在时返回错误")
or about logging in is already enforced by the templates (covered); a rule that names fields of one
entity becomes a check, `check_<entity>(record) -> str | None`, a function of the record a create or
update request sends, returning the message for the user when the record breaks the rule. The check goes
through the verification loop (aigc.verify.pipeline: candidates, model-written tests from the rule alone,
ranking by execution agreement, repair); only a check that passes is wired in. Then, in the sandbox:

- the records the app's own tests and the probe will send must pass the check; when they do not, values
  from a record the check accepts become the fields' examples, or the check is left out;
- a record the check refuses (taken from the model's tests) becomes an HTTP test: create with it, expect
  the rule's status. So a check that is never called by the routes fails the project's tests.

A rule that needs other rows ("at most 3 open orders per user") is beyond a check of one record: the model
may still write one, and it is kept only when its tests pass; otherwise the rule stays words in the README.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from aigc.engines.base import Engine, GenerationParams
from aigc.project.design import with_standard_parts
from aigc.project.functions import (
    MAX_TRIALS,
    Outcomes,
    RuleOutcome,
    RuleStatus,
    Writer,
    candidate_records,
    classify,
    mentions,
    plain_record,
    record,
    record_keys,
    with_taken_examples,
)
from aigc.project.spec import AppSpec, CheckSpec, EntitySpec, snake
from aigc.prompts import render
from aigc.sandbox import Sandbox
from aigc.verify.candidates import DEFAULT_VERIFY_CANDIDATES
from aigc.verify.tests import TestCase

_UNIQUE_WORDS = re.compile(r"已存在|已经存在|已被|重复|唯一|不能相同|exist|unique|taken|duplicate|already", re.I)
_REQUIRED_WORDS = re.compile(
    r"不能为空|不能是空|不可为空|必填|必须填写|required|must not be empty|cannot be empty|"
    r"can't be empty|must be (given|provided)",
    re.I,
)
# A rule a check can enforce says what a record must or must not be; without such words it restates the
# data ("每条账目都有金额、类别、日期和备注", "a user can save multiple bookmarks") and the model is not asked.
_CONDITION_WORDS = re.compile(
    r"不能|不得|不可|必须|至少|至多|最多|最少|不超过|超过|大于|小于|不少于|不低于|高于|低于|早于|晚于|之前|之后|只能|唯一|"
    r"重复|已存在|为空|需要|等于|之间|\bmust\b|\bcannot\b|can't|\bnot\b|\bno\b|at least|at most|\bbelow|\babove|"
    r"greater|less|fewer|\bbefore|\bafter|between|\bonly\b|unique|exceed|\bneed|equal|exist|taken|duplicate|"
    r"required|empty|\bmax|\bmin|\blimit|positive|negative|\bnever\b",
    re.I,
)
_AUTH_WORDS = re.compile(r"登录|登陆|自己的|本人|log\s?in|sign\s?in|their own|own\b|authenticat", re.I)


def _named_entity(text: str, e: EntitySpec) -> bool:
    lowered = text.lower()
    return any(n.lower() in lowered for n in (e.name, snake(e.name), e.description) if n)


def place(spec: AppSpec, rule: str) -> tuple[RuleStatus | None, str, EntitySpec | None]:
    """Where a rule goes: (covered or not enforced, why, None), or (None, "", the entity its check is for)."""
    words = set(re.findall(r"[a-z]+", rule.lower()))
    acted = next((a for a in spec.actions if set(a.name.split("_")) - {"a", "as", "the"} <= words), None)
    if acted is not None:
        return "covered", f"it asks for the action {acted.name} of {acted.entity} (see actions)", None
    secrets = [f for e in spec.entities for f in e.fields if f.type == "password" and mentions(rule, f)]
    if secrets:
        return "not enforced", "a check never sees a password (the templates require 8 to 128 characters)", None
    scored = []
    for e in spec.entities:
        fields = [f for f in e.fields if f.type != "password" and mentions(rule, f)]
        scored.append((len(fields) * 2 + _named_entity(rule, e), fields, e))
    _, fields, entity = max(scored, key=lambda s: s[0])
    per_user = re.sub(r"only|只能", "", rule)  # "only see their own": about who sees what, not a condition
    if _AUTH_WORDS.search(rule) and spec.auth.kind != "token" and not _CONDITION_WORDS.search(per_user):
        return "not enforced", "it asks for per-user data, but the app has no login (say that users log in)", None
    if not _CONDITION_WORDS.search(rule):
        return "not enforced", "it states what is stored or shown, not a condition a record must meet", None
    if fields and all(f.required for f in fields) and _REQUIRED_WORDS.search(rule):
        return "covered", f"{', '.join(f.name for f in fields)} is required: an empty value is a validation error", None
    unique = [f for f in fields if f.unique]
    if unique and _UNIQUE_WORDS.search(rule):
        return "covered", f"the unique field {unique[0].name} of {entity.name} enforces it (a conflict error)", None
    if not fields:
        if spec.auth.kind == "token" and _AUTH_WORDS.search(rule):
            return "covered", "login and per-user data are enforced by the templates", None
        if not _named_entity(rule, entity):
            return "not enforced", "it names no entity or field, and a check sees one record's fields", None
    if not any(ep.action in ("create", "update", "register") for ep in spec.endpoints_for(entity.name)):
        return "not enforced", f"{entity.name} has no create or update endpoint to check", None
    return None, "", entity


def check_requirement(spec: AppSpec, entity: EntitySpec, rule: str, function: str) -> str:
    """The requirement the verification loop works from: the rule, the record's keys, the contract."""
    language = "Chinese" if spec.language == "zh" else "English"
    return render(
        "check_requirement",
        entity=entity.name,
        rule=rule,
        function=function,
        keys=record_keys(entity),
        language=language,
    )


def contract_tests(entity: EntitySpec, function: str) -> list[TestCase]:
    """Trusted tests that hold for any rule under the contract check_requirement states: the check answers
    None or a message and never raises, for the record the app's tests send and for the same record with
    every optional field empty; and since a rule about a missing value holds, emptying optional fields never
    turns an accepted record into a refused one."""
    full = record(entity, 1)
    empty = {k: (None if not getattr(entity.field(k), "required", True) else v) for k, v in full.items()}
    answer = "assert __answer__ is None or isinstance(__answer__, str), __answer__\n"
    tests = [TestCase("example", "contract: None or a message", f"__answer__ = {function}({full!r})\n{answer}")]
    if empty != full:
        tests.append(
            TestCase(
                "example",
                "contract: None or a message, optional fields empty",
                f"__answer__ = {function}({empty!r})\n{answer}",
            )
        )
        tests.append(
            TestCase(
                "example",
                "contract: an empty optional field breaks no rule",
                (
                    f"__full__ = {function}({full!r})\n__empty__ = {function}({empty!r})\n"
                    "assert __full__ is not None or __empty__ is None, "
                    "f'accepted with every field, refused with optional fields empty: {__empty__!r}'\n"
                ),
            )
        )
    return tests


def verdicts(sandbox: Sandbox, checks: list[CheckSpec], records: list[dict[str, Any]]) -> list[str]:
    """For each record: "accepts" when every check returns None, "refuses" when one returns a message,
    "error" when one raises."""

    def calls(rec: str) -> str:
        return ", ".join(f"{c.function}({rec})" for c in checks)

    says = {
        "accepts": lambda rec: f"all(r is None for r in [{calls(rec)}])",
        "refuses": lambda rec: f"any(isinstance(r, str) for r in [{calls(rec)}])",
    }
    return classify(sandbox, "\n\n".join(c.code for c in checks), checks[0].function, records, says)


def wire(
    spec: AppSpec, entity: EntitySpec, check: CheckSpec, sandbox: Sandbox
) -> tuple[AppSpec | None, CheckSpec, str]:
    """Make the app's sample records pass every check of the entity and find a record this check refuses.
    Returns the spec to use (None when the check cannot be wired in), the check with its `rejects`, and why.
    Records come from the model's tests first, then from a small search near the sample record."""
    checks = [c for c in spec.checks if c.entity == entity.name] + [check]

    def fine(e: EntitySpec) -> bool:
        return verdicts(sandbox, checks, [record(e, 1), record(e, 2)]) == ["accepts", "accepts"]

    if not fine(entity):
        options = candidate_records(entity, plain_record(entity), check.tests, check.function, check.rule)
        accepted = [r for r, v in zip(options, verdicts(sandbox, checks, options), strict=True) if v == "accepts"]
        moved = with_taken_examples(spec, entity, accepted, fine)
        if moved is None:
            return None, check, "it refuses every record the app's own tests could send"
        spec, entity = moved
    options = candidate_records(entity, record(entity, 1), check.tests, check.function, check.rule)
    refused = [r for r, v in zip(options, verdicts(sandbox, [check], options), strict=True) if v == "refuses"]
    keep = {f.name for f in entity.fields if f.type not in ("password", "ref") and not f.unique}
    candidates = [{k: v for k, v in r.items() if k in keep} for r in refused[:MAX_TRIALS]]
    fresh = record(entity, 3)  # the HTTP test sends fresh unique values: the refusal must not hang on them
    again = verdicts(sandbox, [check], [{**fresh, **c} for c in candidates])
    rejects = next((c for c, v in zip(candidates, again, strict=True) if v == "refuses"), None)
    if rejects is None:
        return None, check, "it refuses no valid record (from its tests or near the sample), so it checks nothing"
    return spec, check.model_copy(update={"rejects": rejects}), ""


def code_rules(
    spec: AppSpec,
    engine: Engine,
    params: GenerationParams,
    *,
    sandbox: Sandbox,
    candidates: int = DEFAULT_VERIFY_CANDIDATES,
    max_rounds: int = 2,
    on_event: Callable[[str], None] | None = None,
) -> Outcomes:
    """Turn each of spec.rules into a verified, wired check where it can; say for every rule what became of it."""
    say = on_event or (lambda _: None)
    writer = Writer(engine, params, sandbox, candidates, max_rounds, say)
    result = Outcomes(spec)
    for rule in spec.rules:
        status, why, entity = place(result.spec, rule)
        if entity is None:
            result.outcomes.append(RuleOutcome(rule, status or "not enforced", why))
            continue
        taken = {c.function for c in result.spec.checks}
        base = f"check_{snake(entity.name)}"
        function = next(name for i in range(1, 100) if (name := base if i == 1 else f"{base}_{i}") not in taken)
        say(f"writing the check for: {rule}")
        written = writer.write(
            check_requirement(result.spec, entity, rule, function), function, contract_tests(entity, function)
        )
        result.written(written)
        report, kept = written.report, written.tests
        if written.code is None:
            result.not_enforced(rule, written.why, entity.name, written)
            continue
        check = CheckSpec(rule=rule, entity=entity.name, function=function, code=written.code, tests=kept)
        wired, check, why = wire(result.spec, entity, check, sandbox)
        if wired is None:
            result.not_enforced(rule, why, entity.name, written)
            continue
        result.spec = with_standard_parts(wired.model_copy(update={"checks": [*wired.checks, check]}))
        said = (
            f"{function} passed {len(kept)} model-written test(s) and {written.trusted} contract test(s), and "
            f"refuses {check.rejects}; the routes call it on create and update (model-written: read it before "
            "relying on it)"
        )
        result.outcomes.append(RuleOutcome(rule, "enforced", said, entity.name, function, report))
    return result


def without_model(spec: AppSpec, rules: list[str], why: str) -> list[RuleOutcome]:
    """What becomes of rules when no check is written: those the templates cover still are."""
    outcomes = []
    for rule in rules:
        status, said, entity = place(spec, rule)
        if entity is not None:
            status, said = "not enforced", why
        outcomes.append(RuleOutcome(rule, status or "not enforced", said, entity.name if entity else None))
    return outcomes
