"""Execution consensus: run every candidate on inputs the model wrote, and let their outputs agree.

A small model's expected values are often wrong (it computes `average(5, 3) == 3.0`), but the inputs it
writes are fine: the empty list, one element, all equal, a negative number, a large size. Each input is a
probe, a test without an expected value, run in the sandbox on every candidate. Its result is the output
(or the exception, or "timed out" past its CPU-time limit, or "nondeterministic", or "wrong type" for a
value that is not of the annotated return type). Candidates with the same
outputs on every valid probe form a cluster, and the larger the cluster, the likelier its behaviour is the
one asked for (MBR-exec; CodeT). A probe is valid when at least one candidate returns a value on it; a
candidate that raises on a valid probe is marked as crashing there, unless the requirement itself speaks of
errors (then raising may be what is asked, and the exception is just another output).
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from aigc.verify.tests import TestCase, TestResult, parse_complete

PROBE_CPU_S = 2.0  # CPU seconds per probe and run: a large input within this is "fast" on any machine
MAX_PROBES = 12
_ERRORS = re.compile(r"rais|exception|error|throw|invalid|抛出|异常|错误|报错|非法|无效", re.IGNORECASE)


def calls_of(code: str, name: str, limit: int = MAX_PROBES) -> list[str]:
    """The distinct calls of `name` a block holds, as source: bare calls, assignments, prints and the
    left side of asserts (a model asked for inputs sometimes writes asserts anyway)."""
    tree = parse_complete(code)
    if tree is None:
        return []
    found: dict[str, None] = {}
    for stmt in tree.body:
        for node in _candidates(stmt):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == name:
                found[ast.unparse(node)] = None
                break
    return list(found)[:limit]


def _candidates(stmt: ast.stmt) -> list[ast.expr]:
    if isinstance(stmt, ast.Expr):
        value = stmt.value
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "print":
            return list(value.args[:1])
        return [value]
    if isinstance(stmt, ast.Assign):
        return [stmt.value]
    if isinstance(stmt, ast.Assert) and isinstance(stmt.test, ast.Compare):
        return [stmt.test.left]
    return []


def probes(calls: Sequence[str]) -> list[TestCase]:
    return [
        TestCase("probe", f"probe#{i}: {c[:80]}", f"__output__ = {c}\n", PROBE_CPU_S) for i, c in enumerate(calls, 1)
    ]


def errors_expected(requirement: str) -> bool:
    """Whether the requirement speaks of errors or invalid input, so raising may be the asked behaviour."""
    return bool(_ERRORS.search(requirement))


@dataclass(frozen=True)
class Agreement:
    """What the probes say about one candidate."""

    inputs: int  # valid probes
    agreeing: int  # candidates (this one included) with the same outputs on all of them
    candidates: int  # candidates that ran the probes
    crashes: int  # valid probes on which this candidate raised, timed out, was nondeterministic or mistyped


def _outputs(results: Sequence[TestResult]) -> dict[str, str]:
    return {r.test.name: r.output or ("ok" if r.passed else "failed") for r in results if r.test.source == "probe"}


def agreement(runs: Sequence[Sequence[TestResult]], errors_ok: bool) -> list[Agreement]:
    """One Agreement per candidate's results (an empty list for a candidate that was not run)."""
    outputs = [_outputs(results) for results in runs]
    ran = [o for o in outputs if o]
    valid = sorted({name for o in ran for name, out in o.items() if not _failed(out, errors_ok)})
    vectors = [tuple(o.get(name, "not run") for name in valid) if o else None for o in outputs]
    sizes = Counter(v for v in vectors if v is not None)
    return [
        Agreement(len(valid), sizes[v], len(ran), sum(_failed(out, errors_ok) for out in v))
        if v is not None
        else Agreement(len(valid), 0, len(ran), 0)
        for v in vectors
    ]


def _failed(output: str, errors_ok: bool) -> bool:
    if output in ("timed out", "nondeterministic", "unprintable", "not run", "failed"):
        return True
    if output.startswith("wrong type: "):  # not the type the function is annotated to return
        return True
    return output.startswith("raises ") and not errors_ok


def disagreements(mine: Sequence[TestResult], others: Sequence[Sequence[TestResult]], limit: int = 3) -> list[str]:
    """Inputs on which this candidate's output differs from the most common other output: what repair shows."""
    own = _outputs(mine)
    lines: list[str] = []
    for name, out in own.items():
        theirs = Counter(o[name] for o in map(_outputs, others) if name in o and o[name] != out)
        if theirs and len(lines) < limit:
            call = name.split(": ", 1)[-1]
            lines.append(f"{call} gives {out}, but another solution gives {theirs.most_common(1)[0][0]}")
    return lines
