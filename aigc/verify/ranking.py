"""Pick the best candidate by execution: trusted tests first, then CodeT's dual agreement.

Trusted tests (the requirement's examples, the user's file) are ground truth: more of them passed
always ranks higher. Model-written tests may be wrong, so they count through agreement: candidates
that pass the same set of them form a group scored by group size x tests passed, and a test no
candidate passes is discarded. One wrong model test cannot sink a right solution.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

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
    names = {r.test.name for run in runs for r in run.results if not r.test.trusted}
    passed = {r.test.name for run in runs for r in run.results if not r.test.trusted and r.passed}
    return names - passed


def rank(runs: Sequence[Scored]) -> list[Scored]:
    """Best first. Ties go to the earlier candidate (the greedy one comes first)."""
    dropped = discarded_tests(runs)
    groups: dict[frozenset[str], list[int]] = defaultdict(list)
    for run in runs:
        if run.checks_passed:
            groups[frozenset(r.test.name for r in run.results if not r.test.trusted and r.passed)].append(run.index)
    agreement = {i: len(members) * len(key) for key, members in groups.items() for i in members}

    def key(run: Scored) -> tuple[int, int, int, int, int]:
        trusted = sum(r.passed for r in run.results if r.test.trusted)
        kept = [r for r in run.results if not r.test.trusted and r.test.name not in dropped]
        return (int(run.checks_passed), trusted, agreement.get(run.index, 0), sum(r.passed for r in kept), -run.index)

    return sorted(runs, key=key, reverse=True)
