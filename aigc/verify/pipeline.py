"""Verified generation: candidates -> static checks -> tests in the sandbox -> ranking -> repair.

The report says exactly what was proven: which checks ran, each test with its source and result,
how many candidates and repair rounds, and the evidence in counts (report.Evidence). `passed` ("verified")
is true only when the chosen code passes its checks and the evidence holds (Evidence.holds); otherwise the
report gives the grade, e.g. "agreed by 3 of 5 candidates on 8 inputs; no test from you or the requirement".
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace

from aigc.code.checks import CheckReport, check
from aigc.engines.base import Completion, Engine, GenerationParams, Message, Request, Usage, collect
from aigc.prompts import render
from aigc.sandbox import Sandbox
from aigc.verify import consensus, examples, model_tests, ranking
from aigc.verify.candidates import (
    END_OF_CODE,
    SAMPLING_TEMPERATURE,
    Candidate,
    GenerationResult,
    build_messages,
    draw,
    to_candidate,
)
from aigc.verify.report import Evidence, Verification
from aigc.verify.runner import run_tests, usable_cores
from aigc.verify.tests import TestCase, TestResult

Event = Callable[[str], None]


@dataclass
class CandidateRun:
    index: int
    origin: str  # "greedy", "sample", "repair 1", ...
    candidate: Candidate
    checks: CheckReport
    results: list[TestResult] = field(default_factory=list)
    duplicate_of: int | None = None

    def scored(self) -> ranking.Scored:
        return ranking.Scored(self.index, tuple(self.results), self.checks.passed)


@dataclass
class _State:
    requirement: str
    language: str
    engine: Engine
    params: GenerationParams
    sandbox: Sandbox
    on_event: Event
    runs: list[CandidateRun] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)

    @property
    def errors_ok(self) -> bool:
        return consensus.errors_expected(self.requirement)

    def add(self, completion: Completion, origin: str) -> list[CandidateRun]:
        self.usage = self.usage + completion.usage
        added = []
        for choice in completion.choices:
            cand = to_candidate(choice.text, self.language, choice.finish_reason, self.requirement)
            run = CandidateRun(len(self.runs), origin, cand, check(cand.code, self.language, self.sandbox))
            norm = ranking.normalized(cand.code)
            run.duplicate_of = next((r.index for r in self.runs if ranking.normalized(r.candidate.code) == norm), None)
            self.runs.append(run)
            added.append(run)
        return added


def _test(state: _State, runs: list[CandidateRun], tests: list[TestCase], entry: str | None) -> None:
    """Run the tests for every new candidate that is not a duplicate and passes its checks, in parallel."""
    todo = [r for r in runs if r.duplicate_of is None and r.checks.passed and r.candidate.code.strip()]
    if tests and todo:
        state.on_event(f"running {len(tests)} tests on {len(todo)} candidate(s) in the sandbox")
        workers = max(1, min(len(todo), usable_cores()))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            outcomes = list(pool.map(lambda r: run_tests(state.sandbox, r.candidate.code, tests, entry), todo))
        for run, results in zip(todo, outcomes, strict=True):
            run.results = results
    for r in runs:  # after the runs above: a duplicate's original may be among them
        if r.duplicate_of is not None:
            r.results = list(state.runs[r.duplicate_of].results)


def _evidence(state: _State, run: CandidateRun, discarded: set[str]) -> Evidence:
    trusted = [r for r in run.results if r.test.trusted]
    model = [r for r in run.results if r.test.source == "model" and r.test.name not in discarded]
    probed = ranking.agreements([r.scored() for r in state.runs], state.errors_ok).get(run.index)
    return Evidence(
        trusted=len(trusted),
        trusted_passed=sum(r.passed for r in trusted),
        user=sum(r.test.source == "user" for r in trusted),
        model=len(model),
        model_passed=sum(r.passed for r in model),
        inputs=probed.inputs if probed else 0,
        agreeing=probed.agreeing if probed else 0,
        candidates=probed.candidates if probed else 0,
        crashes=probed.crashes if probed else 0,
    )


def _verdict(run: CandidateRun, evidence: Evidence) -> tuple[bool, str]:
    if not run.checks.passed:
        return False, f"the code fails static checks: {run.checks.fatal[0]}"
    if not run.results:
        return False, "no test could be run, so nothing beyond the static checks is proven"
    tests = evidence.trusted + evidence.model
    if failed := tests - evidence.trusted_passed - evidence.model_passed:
        return False, f"{failed} of {tests} tests still fail"
    if not evidence.holds():
        return False, f"not enough evidence: {evidence.grade()}"
    return True, evidence.grade()


def _good_enough(run: CandidateRun, evidence: Evidence) -> bool:
    """When repair stops: every trusted test passes and no input crashes the code, and without trusted
    tests the kept model tests pass too. A model-written test failed by a candidate that passes all of the
    user's own examples is not worth repairing toward: the test may well be the wrong one."""
    if not run.checks.passed or evidence.crashes or evidence.trusted_passed < evidence.trusted:
        return False
    return bool(evidence.trusted) or (evidence.model_passed == evidence.model and bool(run.results))


def _failures(state: _State, run: CandidateRun, discarded: set[str]) -> str:
    lines = [f"- {f}" for f in run.checks.fatal[:5]]
    for r in run.results:
        if not r.passed and r.test.name not in discarded and len(lines) < 8:
            what = "input" if r.test.source == "probe" else "test"
            lines.append(f"- {what} {r.test.name}: {r.error}")
    others = [o.results for o in state.runs if o is not run and o.checks.passed and o.duplicate_of is None]
    lines += [f"- {line}" for line in consensus.disagreements(run.results, others)]
    return "\n".join(lines)


def _repair(state: _State, best: CandidateRun, discarded: set[str], round_no: int) -> Completion:
    messages = [
        *build_messages(state.requirement, state.language),
        Message("assistant", best.candidate.reply),
        Message("user", render("repair_user", failures=_failures(state, best, discarded), language=state.language)),
    ]
    params = replace(
        state.params,
        n=1,
        temperature=0.0 if round_no == 1 else SAMPLING_TEMPERATURE,
        stop=(*state.params.stop, END_OF_CODE),
    )
    return collect(state.engine.stream(Request.chat(messages, params)), state.engine.model_name)


def _generate_candidates(
    state: _State, n: int, on_text: Callable[[str], None] | None, temperature: float
) -> Completion:
    drawn = draw(
        state.engine,
        build_messages(state.requirement, state.language),
        replace(state.params, n=n),
        first_temperature=0.0,
        sample_temperature=temperature,
        on_text=on_text,
        on_sampling=lambda more: state.on_event(f"sampling {more} more candidate(s)"),
        sample_stop=(END_OF_CODE,),
    )
    for origin, completion in drawn:
        state.add(completion, origin)
    return drawn[0][1]


def verified_generate(
    requirement: str,
    engine: Engine,
    params: GenerationParams,
    *,
    language: str,
    n: int = 3,
    max_rounds: int = 2,
    sandbox: Sandbox | None = None,
    on_text: Callable[[str], None] | None = None,
    on_event: Event | None = None,
    sample_temperature: float | None = None,
    adapt_tests: Callable[[str], str] | None = None,
    given_tests: list[TestCase] | None = None,
) -> GenerationResult:
    """See the module docstring. The first candidate is greedy; the others are sampled at
    `sample_temperature` (default SAMPLING_TEMPERATURE). `adapt_tests` rewrites the model's test code where
    the caller's contract leaves a freedom the model's tests do not (an exact message where any will do);
    `given_tests` are trusted tests: the user's own, or what the caller knows from its contract."""
    start = time.perf_counter()
    state = _State(requirement, language, engine, params, sandbox or Sandbox(), on_event or (lambda _: None))
    trusted = examples.from_requirement(requirement) + (given_tests or [])
    first = _generate_candidates(state, n, on_text, sample_temperature or SAMPLING_TEMPERATURE)
    named = examples.called_functions([t for t in trusted if t.source == "example"])
    entry = model_tests.choose_entry(requirement, [r.candidate.code for r in state.runs], named)
    tests = list(trusted)
    if entry and (signature := _signature(state, entry)):
        state.on_event(f"writing tests for {signature}")
        written, used = model_tests.write_tests(
            engine, requirement, signature, replace(params, n=1, temperature=0.0), adapt=adapt_tests
        )
        state.usage = state.usage + used
        tests += written
    _test(state, state.runs, tests, entry)
    rounds = 0
    best = _best(state)
    while rounds < max_rounds and best.candidate.code.strip():
        evidence = _evidence(state, best, _discarded(state))
        if _good_enough(best, evidence):
            break
        rounds += 1
        state.on_event(f"repair round {rounds}: {_verdict(best, evidence)[1]}")
        new = state.add(_repair(state, best, _discarded(state), rounds), f"repair {rounds}")
        _test(state, new, tests, entry)
        best = _best(state)
    discarded = _discarded(state)
    evidence = _evidence(state, best, discarded)
    passed, summary = _verdict(best, evidence)
    verification = Verification(
        passed, len(state.runs), rounds, best.checks, best.results, discarded, best.origin, entry, summary, evidence
    )
    ordered = [best.candidate] + [r.candidate for r in state.runs if r is not best]
    timings = replace(first.timings, total_s=time.perf_counter() - start)
    return GenerationResult(requirement, ordered, state.usage, timings, engine.model_name, verification)


def checks_only(code: str, language: str) -> Verification:
    """For languages whose code aigc does not run: the static checks, and a report that says so."""
    report = check(code, language)
    if not report.tools:
        summary = f"no checker for {language}: nothing about this code is proven"
    elif report.passed:
        summary = f"passes its static checks ({', '.join(report.tools)}); tests are run for Python only"
    else:
        summary = f"fails its static checks: {report.fatal[0]}"
    return Verification(False, 1, 0, report, [], set(), "greedy", None, summary)


def _signature(state: _State, entry: str) -> str | None:
    for source in [state.requirement] + [r.candidate.code for r in state.runs]:
        if sig := model_tests.signature_of(source, entry):
            return sig
    return None


def _best(state: _State) -> CandidateRun:
    order = ranking.rank([r.scored() for r in state.runs], state.errors_ok)
    return state.runs[order[0].index]


def _discarded(state: _State) -> set[str]:
    return ranking.discarded_tests([r.scored() for r in state.runs])
