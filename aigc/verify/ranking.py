"""Pick the best candidate by execution: trusted tests first, then the probes' consensus, then CodeT's
dual agreement on the model's asserts.

Trusted tests (the requirement's examples, the user's file) are ground truth: more of them passed
always ranks higher. Next come the probes (verify.consensus): fewer crashes on valid inputs, then the
larger cluster of candidates with the same outputs. Model-written asserts may be wrong, so they count
through agreement: candidates that pass the same set of them form a group scored by group size x tests
passed, and a test no candidate passes is discarded. One wrong model test cannot sink a right solution.
Every remaining tie goes to the earlier candidate, the greedy one first.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from aigc.verify.consensus import Agreement, agreement
from aigc.verify.tests import TestResult


@dataclass(frozen=True)
class Scored:
    index: int
    results: tuple[TestResult, ...]
    checks_passed: bool


def normalized(code: str) -> str:
    """The code's AST without docstrings: equal for candidates that differ only in comments or layout."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code.strip()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (
            isinstance(body, list)
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            node.body = body[1:] or [ast.Pass()]  # type: ignore[attr-defined]
    return ast.dump(tree, annotate_fields=False)


def discarded_tests(runs: Sequence[Scored]) -> set[str]:
    """Model-written tests that no candidate passes: most likely the test is wrong."""
    names = {r.test.name for run in runs for r in run.results if r.test.source == "model"}
    passed = {r.test.name for run in runs for r in run.results if r.test.source == "model" and r.passed}
    return names - passed


def agreements(runs: Sequence[Scored], errors_ok: bool) -> dict[int, Agreement]:
    """The probes' verdict, by candidate index, among the candidates still in the running: those that pass
    their checks and as many trusted tests as any (one that fails an example is known to be wrong, so its
    agreement is worth nothing)."""
    checked = [run for run in runs if run.checks_passed]
    best = max((_trusted_passed(r) for r in checked), default=0)
    pool = [r for r in checked if _trusted_passed(r) == best]
    return dict(zip((r.index for r in pool), agreement([r.results for r in pool], errors_ok), strict=True))


def _trusted_passed(run: Scored) -> int:
    return sum(r.passed for r in run.results if r.test.trusted)


def rank(runs: Sequence[Scored], errors_ok: bool = False) -> list[Scored]:
    """Best first; see the module docstring."""
    dropped = discarded_tests(runs)
    groups: dict[frozenset[str], list[int]] = defaultdict(list)
    for run in runs:
        if run.checks_passed:
            groups[frozenset(r.test.name for r in run.results if r.test.source == "model" and r.passed)].append(
                run.index
            )
    agreement = {i: len(members) * len(key) for key, members in groups.items() for i in members}
    probed = agreements(runs, errors_ok)

    def key(run: Scored) -> tuple[int, ...]:
        trusted = _trusted_passed(run)
        kept = [r for r in run.results if r.test.source == "model" and r.test.name not in dropped]
        a = probed.get(run.index)
        consensus = (-a.crashes, a.agreeing) if a else (-(10**6), 0)
        return (
            int(run.checks_passed),
            trusted,
            *consensus,
            agreement.get(run.index, 0),
            sum(r.passed for r in kept),
            -run.index,
        )

    return sorted(runs, key=key, reverse=True)
