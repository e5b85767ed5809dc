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

import ast
import datetime
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from aigc.engines.base import Engine, GenerationParams, Usage
from aigc.project.design import complete
from aigc.project.probe import sample_value
from aigc.project.spec import AppSpec, CheckSpec, EntitySpec, FieldSpec, snake
from aigc.sandbox import Sandbox
from aigc.tasks.generate import DEFAULT_VERIFY_CANDIDATES
from aigc.verify.runner import run_tests
from aigc.verify.tests import TestCase

Status = Literal["enforced", "covered", "not enforced"]
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
TYPE_WORDS = {
    "string": "a string",
    "text": "a string (long text)",
    "email": "a string (an email address)",
    "integer": "an int",
    "number": "a float",
    "boolean": "a bool",
    "date": 'a date as an ISO string "YYYY-MM-DD"',
    "datetime": 'a date and time as an ISO string "YYYY-MM-DDTHH:MM:SS"',
    "ref": "an int (the id of a {ref})",
}
MAX_RECORDS = 12  # records taken from the model's tests to find one the check accepts and one it refuses
MAX_NEARBY = 60  # records tried near the sample record
MAX_TRIALS = 5  # accepted records tried as the fields' examples


@dataclass(frozen=True)
class RuleOutcome:
    rule: str
    status: Status
    why: str
    entity: str | None = None
    function: str | None = None
    verification: dict[str, Any] | None = None  # the verification report of the chosen check

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass
class RulesResult:
    spec: AppSpec
    outcomes: list[RuleOutcome] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    rounds: int = 0  # repair rounds over all checks


_STOP = {"the", "and", "for", "per", "with", "from", "has", "are", "was", "its", "num", "count"}


def _mentions(text: str, f: FieldSpec) -> bool:
    """The rule names the field: its label, its name, or a word of its name ("start date" for starts_on)."""
    lowered = text.lower()
    names = {f.name, f.name.replace("_", " ")} | ({f.description} if f.description else set())
    if any(n and n.lower() in lowered for n in names):
        return True
    words = re.findall(r"[a-z]+", lowered)
    stems = {t.rstrip("s") for t in f.name.split("_") if len(t) >= 3 and t not in _STOP}
    return any(len(stem) >= 3 and any(w.startswith(stem) for w in words) for stem in stems)


def _named_entity(text: str, e: EntitySpec) -> bool:
    lowered = text.lower()
    return any(n.lower() in lowered for n in (e.name, snake(e.name), e.description) if n)


def place(spec: AppSpec, rule: str) -> tuple[Status | None, str, EntitySpec | None]:
    """Where a rule goes: (covered or not enforced, why, None), or (None, "", the entity its check is for)."""
    words = set(re.findall(r"[a-z]+", rule.lower()))
    acted = next((a for a in spec.actions if set(a.name.split("_")) - {"a", "as", "the"} <= words), None)
    if acted is not None:
        return "covered", f"it asks for the action {acted.name} of {acted.entity} (see actions)", None
    secrets = [f for e in spec.entities for f in e.fields if f.type == "password" and _mentions(rule, f)]
    if secrets:
        return "not enforced", "a check never sees a password (the templates require 8 to 128 characters)", None
    scored = []
    for e in spec.entities:
        fields = [f for f in e.fields if f.type != "password" and _mentions(rule, f)]
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
    keys = []
    for f in entity.fields:
        if f.type == "password":
            continue
        kind = TYPE_WORDS[f.type].format(ref=f.ref)
        optional = "" if f.required else "; may be None"
        label = f" ({f.description})" if f.description and f.description != f.name else ""
        keys.append(f"- {f.name}{label}: {kind}{optional}")
    language = "Chinese" if spec.language == "zh" else "English"
    return (
        f"Business rule for {entity.name} records: {rule}\n\n"
        f"Write a Python function `{function}(record: dict) -> str | None` that checks this rule for one "
        f"{entity.name} record. The record is a dict with these keys:\n" + "\n".join(keys) + "\n\n"
        "Return None when the record follows the rule; otherwise return a short error message in "
        f"{language} for the user (any wording). Every key is always there with a value of the type above "
        "(None only where it says so), so do not check keys or types: check only this rule. When a value "
        "the rule is about is None, the rule holds."
    )


def loosened(code: str) -> str:
    """The message is the check's to choose: `check(r) == "some text"` in the model's tests becomes
    `check(r) is not None`; `== None` and `!= None` become `is None` and `is not None`."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], (ast.Eq, ast.NotEq)):
            right = node.comparators[0]
            equal = isinstance(node.ops[0], ast.Eq)
            if isinstance(right, ast.Constant) and (right.value is None or (equal and isinstance(right.value, str))):
                says_broken = isinstance(right.value, str) or not equal
                node.ops = [ast.IsNot() if says_broken else ast.Is()]
                node.comparators = [ast.Constant(None)]
    return ast.unparse(tree) + "\n"


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


def record(entity: EntitySpec, n: int) -> dict[str, Any]:
    """The record the app's tests and probe send for this entity (refs as id 1), as a check sees it."""
    out: dict[str, Any] = {}
    for f in entity.fields:
        if f.type == "password":
            continue
        out[f.name] = 1 if f.type == "ref" else sample_value(f, n)
    return out


def records_in(tests: list[str], function: str) -> list[dict[str, Any]]:
    """The literal dict records the model's tests call the check with."""
    found: list[dict[str, Any]] = []
    for code in tests:
        try:
            tree = ast.parse(code)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == function:
                try:
                    value = ast.literal_eval(node.args[0]) if node.args else None
                except (ValueError, SyntaxError, TypeError):
                    continue
                if isinstance(value, dict) and value not in found:
                    found.append(value)
    return found[:MAX_RECORDS]


def valid_for(entity: EntitySpec, rec: dict[str, Any]) -> bool:
    """Every key is a plain field of the entity and every value one the app's validation accepts."""
    for key, value in rec.items():
        f = entity.field(key) if isinstance(key, str) else None
        if f is None or f.type in ("password", "ref"):
            return False
        if value is None and not f.required:
            continue
        if f.example_problem(value) is not None:
            return False
    return True


def verdicts(sandbox: Sandbox, checks: list[CheckSpec], records: list[dict[str, Any]]) -> list[str]:
    """For each record: "accepts" when every check returns None, "refuses" when one returns a message,
    "error" when one raises. Run in the sandbox: the checks are model-written code."""
    if not records:
        return []
    code = "\n\n".join(c.code for c in checks)
    names = [c.function for c in checks]
    tests = []
    for i, rec in enumerate(records):
        calls = ", ".join(f"{name}({rec!r})" for name in names)
        tests.append(TestCase("model", f"accepts#{i}", f"assert all(r is None for r in [{calls}])\n", 1.0))
        tests.append(TestCase("model", f"refuses#{i}", f"assert any(isinstance(r, str) for r in [{calls}])\n", 1.0))
    results = run_tests(sandbox, code, tests, names[0])
    out = []
    for i in range(len(records)):
        accepts, refuses = results[2 * i].passed, results[2 * i + 1].passed
        out.append("accepts" if accepts else "refuses" if refuses else "error")
    return out


def with_examples(spec: AppSpec, entity: str, values: dict[str, Any]) -> AppSpec:
    """The spec with `values` as the examples of the named fields (unique fields keep fresh values)."""
    data = spec.model_dump()
    for e in data["entities"]:
        if e["name"] == entity:
            for f in e["fields"]:
                if f["name"] in values and not f["unique"]:
                    f["example"] = values[f["name"]]
    return AppSpec.model_validate(data)


def nearby(entity: EntitySpec, rule: str, base: dict[str, Any], limit: int = MAX_NEARBY) -> list[dict[str, Any]]:
    """Valid records near `base` that vary the fields the rule names (numbers up, dates later, optional
    fields empty): where to look for a record a check accepts, or one it refuses, when the model's tests
    hold none. Closest first."""
    axes: list[tuple[str, list[Any]]] = []
    for f in entity.fields:
        value = base.get(f.name)
        if f.type in ("password", "ref") or f.unique or not _mentions(rule, f) or value is None:
            continue
        if f.type in ("integer", "number"):
            values: list[Any] = [value + step for step in (0, 1, 10, 100, 1000)]
            values = [int(v) if f.type == "integer" else float(v) for v in values]
        elif f.type in ("date", "datetime"):
            kind = datetime.date if f.type == "date" else datetime.datetime
            unit = datetime.timedelta(days=1) if f.type == "date" else datetime.timedelta(hours=1)
            start = kind.fromisoformat(value)
            values = [(start + unit * step).isoformat() for step in (0, 1, 10, 100)]
        elif f.type == "boolean":
            values = [value, not value]
        else:
            values = [value]
        values = [v for v in values if f.example_problem(v) is None] + ([] if f.required else [None])
        axes.append((f.name, values))
    combos = sorted(itertools.product(*(range(len(vs)) for _, vs in axes[:3])), key=lambda c: (sum(c), c))
    out = [{**base, **{name: vs[i] for (name, vs), i in zip(axes, combo, strict=False)}} for combo in combos]
    return out[:limit]


def wire(
    spec: AppSpec, entity: EntitySpec, check: CheckSpec, sandbox: Sandbox
) -> tuple[AppSpec | None, CheckSpec, str]:
    """Make the app's sample records pass every check of the entity and find a record this check refuses.
    Returns the spec to use (None when the check cannot be wired in), the check with its `rejects`, and why.
    Records come from the model's tests first, then from a small search near the sample record."""
    checks = [c for c in spec.checks if c.entity == entity.name] + [check]
    samples = [record(entity, 1), record(entity, 2)]
    if verdicts(sandbox, checks, samples) != ["accepts", "accepts"]:
        plain = {k: v for k, v in samples[0].items() if getattr(entity.field(k), "type", "") != "ref"}
        options = [{**plain, **r} for r in records_in(check.tests, check.function) if valid_for(entity, r)]
        options += nearby(entity, check.rule, plain)
        accepted = [r for r, v in zip(options, verdicts(sandbox, checks, options), strict=True) if v == "accepts"]
        for rec in accepted[:MAX_TRIALS]:
            trial = with_examples(spec, entity.name, rec)
            moved = trial.entity(entity.name)
            assert moved is not None
            if verdicts(sandbox, checks, [record(moved, 1), record(moved, 2)]) == ["accepts", "accepts"]:
                spec, entity = trial, moved
                break
        else:
            return None, check, "it refuses every record the app's own tests could send"
    base = record(entity, 1)
    options = [{**base, **r} for r in records_in(check.tests, check.function) if valid_for(entity, r)]
    options += nearby(entity, check.rule, base)
    refused = [r for r, v in zip(options, verdicts(sandbox, [check], options), strict=True) if v == "refuses"]
    keep = {f.name for f in entity.fields if f.type not in ("password", "ref") and not f.unique}
    candidates = [{k: v for k, v in r.items() if k in keep} for r in refused[:MAX_TRIALS]]
    fresh = record(entity, 3)  # the HTTP test sends fresh unique values: the refusal must not hang on them
    again = verdicts(sandbox, [check], [{**fresh, **c} for c in candidates])
    rejects = next((c for c, v in zip(candidates, again, strict=True) if v == "refuses"), None)
    if rejects is None:
        return None, check, "it refuses no valid record (from its tests or near the sample), so it checks nothing"
    return spec, check.model_copy(update={"rejects": rejects}), ""


@dataclass(frozen=True)
class Written:
    """A function the model wrote through the verification loop for a check or an action."""

    code: str | None  # None when nothing can be kept; `why` says why
    why: str
    tests: list[str]  # the model-written tests it passed (kept by the ranking)
    report: dict[str, Any]  # the verification report
    usage: Usage
    rounds: int


def write_verified(
    requirement: str,
    function: str,
    contract: list[TestCase],
    engine: Engine,
    params: GenerationParams,
    *,
    sandbox: Sandbox,
    candidates: int,
    max_rounds: int,
    say: Callable[[str], None],
) -> Written:
    """Candidates, model tests from `requirement` alone (loosened), the trusted `contract`, ranking and
    repair. Kept only when the chosen code defines `function`, passes, and keeps a model-written test."""
    from aigc.verify.pipeline import verified_generate

    generated = verified_generate(
        requirement,
        engine,
        replace(params, n=1),
        language="python",
        n=candidates,
        max_rounds=max_rounds,
        sandbox=sandbox,
        on_event=lambda m: say(f"  {m}"),
        adapt_tests=loosened,
        given_tests=contract,
    )
    v = generated.verification
    assert v is not None
    report = v.to_json()
    kept = [r.test.code for r in v.tests if r.test.source == "model" and r.test.name not in v.discarded]
    why = ""
    if v.entry != function:
        why = f"no code passed: the code defines no {function}"
    elif not v.passed:
        why = f"no code passed: {v.summary}"
    elif not kept:
        why = "none of the model's tests of it survived, so nothing shows it does what was asked"
    code = None if why else generated.code
    return Written(code, why, kept, report, generated.usage, v.rounds)


def code_rules(
    spec: AppSpec,
    engine: Engine,
    params: GenerationParams,
    *,
    sandbox: Sandbox,
    candidates: int = DEFAULT_VERIFY_CANDIDATES,
    max_rounds: int = 2,
    on_event: Callable[[str], None] | None = None,
) -> RulesResult:
    """Turn each of spec.rules into a verified, wired check where it can; say for every rule what became of it."""
    say = on_event or (lambda _: None)
    result = RulesResult(spec)
    for rule in spec.rules:
        status, why, entity = place(result.spec, rule)
        if entity is None:
            result.outcomes.append(RuleOutcome(rule, status or "not enforced", why))
            continue
        taken = {c.function for c in result.spec.checks}
        base = f"check_{snake(entity.name)}"
        function = next(name for i in range(1, 100) if (name := base if i == 1 else f"{base}_{i}") not in taken)
        say(f"writing the check for: {rule}")
        written = write_verified(
            check_requirement(result.spec, entity, rule, function),
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
            result.outcomes.append(RuleOutcome(rule, "not enforced", written.why, entity.name, None, report))
            continue
        check = CheckSpec(rule=rule, entity=entity.name, function=function, code=written.code, tests=kept)
        wired, check, why = wire(result.spec, entity, check, sandbox)
        if wired is None:
            result.outcomes.append(RuleOutcome(rule, "not enforced", why, entity.name, None, report))
            continue
        result.spec = complete(wired.model_copy(update={"checks": [*wired.checks, check]}))
        contract = sum(t["source"] != "model" for t in report["tests"])
        said = (
            f"{function} passed {len(kept)} model-written test(s) and {contract} contract test(s), and refuses "
            f"{check.rejects}; the routes call it on create and update (model-written: read it before relying on it)"
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
