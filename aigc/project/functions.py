"""Functions of one record that the model writes and aigc verifies: the checks of business rules
(aigc.project.rules) and the code of actions (aigc.project.actions).

Both go the same way: a requirement with the record's keys and a contract, the verification loop
(aigc.verify.pipeline) with the model's tests loosened and the contract's trusted tests, and then the
wiring, in the sandbox: the records the app's own tests and probe send must be ones the function takes,
found among the model's tests' records or near the sample record and made the fields' examples.
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
from aigc.project.fields import described
from aigc.project.probe import sample_value
from aigc.project.spec import AppSpec, EntitySpec, FieldSpec
from aigc.sandbox import Sandbox
from aigc.verify.pipeline import verified_generate
from aigc.verify.runner import run_tests
from aigc.verify.tests import TestCase

RuleStatus = Literal["enforced", "covered", "not enforced"]

MAX_RECORDS = 12  # records taken from the model's tests to find one the check accepts and one it refuses
MAX_NEARBY = 60  # records tried near the sample record
MAX_TRIALS = 5  # accepted records tried as the fields' examples


@dataclass(frozen=True)
class RuleOutcome:
    """What became of one business rule or action: enforced (with the function), covered, or not enforced."""

    rule: str
    status: RuleStatus
    why: str
    entity: str | None = None
    function: str | None = None
    verification: dict[str, Any] | None = None  # the verification report of the chosen check

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


_STOP = {"the", "and", "for", "per", "with", "from", "has", "are", "was", "its", "num", "count"}


def mentions(text: str, f: FieldSpec) -> bool:
    """The rule names the field: its label, its name, or a word of its name ("start date" for starts_on)."""
    lowered = text.lower()
    names = {f.name, f.name.replace("_", " ")} | ({f.description} if f.description else set())
    if any(n and n.lower() in lowered for n in names):
        return True
    words = re.findall(r"[a-z]+", lowered)
    stems = {t.rstrip("s") for t in f.name.split("_") if len(t) >= 3 and t not in _STOP}
    return any(len(stem) >= 3 and any(w.startswith(stem) for w in words) for stem in stems)


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
        if f.type in ("password", "ref") or f.unique or not mentions(rule, f) or value is None:
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


@dataclass(frozen=True)
class Written:
    """A function the model wrote through the verification loop for a check or an action."""

    code: str | None  # None when nothing can be kept; `why` says why
    why: str
    tests: list[str]  # the model-written tests it passed (kept by the ranking)
    report: dict[str, Any]  # the verification report
    usage: Usage
    rounds: int
    trusted: int  # the trusted (contract) tests it was run against


@dataclass(frozen=True)
class Writer:
    """The model that writes the functions, and how hard the verification loop works on each."""

    engine: Engine
    params: GenerationParams
    sandbox: Sandbox
    candidates: int
    max_rounds: int
    say: Callable[[str], None]

    def write(self, requirement: str, function: str, contract: list[TestCase]) -> Written:
        return write_verified(requirement, function, contract, self)


def write_verified(requirement: str, function: str, contract: list[TestCase], writer: Writer) -> Written:
    """Candidates, model tests from `requirement` alone (loosened), the trusted `contract`, ranking and
    repair. Kept only when the chosen code defines `function`, passes, and keeps a model-written test."""
    engine, params, say = writer.engine, writer.params, writer.say
    generated = verified_generate(
        requirement,
        engine,
        replace(params, n=1),
        language="python",
        n=writer.candidates,
        max_rounds=writer.max_rounds,
        sandbox=writer.sandbox,
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
    trusted = sum(r.test.trusted for r in v.tests)
    return Written(code, why, kept, report, generated.usage, v.rounds, trusted)


@dataclass
class Outcomes:
    """The spec as the written functions leave it, and what became of each rule or action."""

    spec: AppSpec
    outcomes: list[RuleOutcome] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    rounds: int = 0  # repair rounds over all functions

    def written(self, w: Written) -> None:
        self.usage = self.usage + w.usage
        self.rounds += w.rounds

    def not_enforced(self, rule: str, why: str, entity: str | None = None, written: Written | None = None) -> None:
        report = written.report if written is not None else None
        self.outcomes.append(RuleOutcome(rule, "not enforced", why, entity, None, report))


def record_keys(entity: EntitySpec) -> str:
    """The keys of the record a function gets, one line each, as the requirement lists them."""
    keys = []
    for f in entity.fields:
        if f.type == "password":
            continue
        optional = "" if f.required else "; may be None"
        label = f" ({f.description})" if f.description and f.description != f.name else ""
        keys.append(f"- {f.name}{label}: {described(f.type, f.ref)}{optional}")
    return "\n".join(keys)


def classify(
    sandbox: Sandbox,
    code: str,
    entry: str,
    records: list[dict[str, Any]],
    says: dict[str, Callable[[str], str]],
) -> list[str]:
    """For each record, the first label of `says` whose assertion (of the record's repr) holds, or "error".
    Run in the sandbox: the functions are model-written code."""
    if not records:
        return []
    labels = list(says)
    tests = [
        TestCase("model", f"{label}#{i}", f"assert {says[label](repr(rec))}\n", 1.0)
        for i, rec in enumerate(records)
        for label in labels
    ]
    results = iter(run_tests(sandbox, code, tests, entry))
    out = []
    for _ in records:
        held = [label for label in labels if next(results).passed]
        out.append(held[0] if held else "error")
    return out


def candidate_records(
    entity: EntitySpec, base: dict[str, Any], tests: list[str], function: str, about: str
) -> list[dict[str, Any]]:
    """Records to try, each `base` with changes: those the model's tests call `function` with (when valid
    for the entity), then those near `base` along the fields `about` names."""
    options = [{**base, **r} for r in records_in(tests, function) if valid_for(entity, r)]
    return options + nearby(entity, about, base)


def plain_record(entity: EntitySpec) -> dict[str, Any]:
    """The sample record without its refs (whose ids the app assigns)."""
    return {k: v for k, v in record(entity, 1).items() if getattr(entity.field(k), "type", "") != "ref"}


def with_taken_examples(
    spec: AppSpec,
    entity: EntitySpec,
    taken: list[dict[str, Any]],
    fine: Callable[[EntitySpec], bool],
) -> tuple[AppSpec, EntitySpec] | None:
    """The first of the `taken` records (at most MAX_TRIALS) that, made the fields' examples, gives sample
    records `fine` accepts: the spec and entity with those examples; None when none does."""
    for rec in taken[:MAX_TRIALS]:
        trial = with_examples(spec, entity.name, rec)
        moved = trial.entity(entity.name)
        assert moved is not None
        if fine(moved):
            return trial, moved
    return None
