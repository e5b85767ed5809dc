"""Test cases for generated code: where each came from, and their code (Python run against the candidate).

A test is a few lines of Python run in a copy of the candidate module's namespace, where
`__entry__` is the function under test. `assert CALL == LITERAL` is judged by value: the sandbox gets only
`__output__ = CALL` and reports the output's canonical text, and the host compares it with the literal's,
which the code under test never sees (so it cannot forge the result). Any other assert is rewritten so a
failure says what the call returned and what was expected, which is what the repair prompt needs.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from aigc.errors import UsageError
from aigc.verify.harness_main import shown

Source = Literal["example", "model", "user", "probe"]  # a probe has no expected value: see verify.consensus
TRUSTED: tuple[Source, ...] = ("example", "user")


@dataclass(frozen=True)
class TestCase:
    __test__ = False  # not a pytest class

    source: Source
    name: str
    code: str
    timeout_s: float = 5.0
    expect: str | None = None  # judged by value: the canonical text the output must have
    call: str = ""  # with `expect`: the call whose output it is, as the failure names it

    @property
    def trusted(self) -> bool:
        return self.source in TRUSTED

    @property
    def runs(self) -> int:
        """How often the harness runs it: a test with an output runs twice (a second output must match)."""
        return 2 if self.source == "probe" or self.expect is not None else 1


@dataclass(frozen=True)
class TestResult:
    __test__ = False

    test: TestCase
    passed: bool
    error: str | None = None
    output: str | None = None  # a probe's result: the value's canonical text, "raises X", "timed out", ...


def assert_test(source: Source, name: str, code: str, timeout_s: float = 5.0) -> TestCase:
    """A test from a block of statements. When the block ends in `assert CALL == LITERAL` (either way round,
    no message), the sandbox runs the block with `__output__ = CALL` in the assert's place and the host
    judges the output; otherwise the block runs as written, its asserts explained."""
    tree = parse_complete(code)
    last = tree.body[-1] if tree is not None and tree.body else None
    if (
        isinstance(last, ast.Assert)
        and last.msg is None
        and isinstance(last.test, ast.Compare)
        and len(last.test.ops) == 1
        and isinstance(last.test.ops[0], ast.Eq)
    ):
        left, right = last.test.left, last.test.comparators[0]
        for call, value in ((left, right), (right, left)):
            expect = _canonical_literal(value)
            if expect is not None and _canonical_literal(call) is None:
                assert tree is not None
                preamble = [ast.unparse(s) for s in tree.body[:-1]]
                shown_call = ast.unparse(call)
                body = "\n".join([*preamble, f"__output__ = {shown_call}"])
                return TestCase(source, name, body + "\n", timeout_s, expect, shown_call)
    return TestCase(source, name, explain_asserts(code), timeout_s)


def _canonical_literal(node: ast.expr) -> str | None:
    try:
        return shown(ast.literal_eval(node))
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None


def judge(test: TestCase, passed: bool, error: str | None, output: str | None) -> TestResult:
    """A test's result from what the sandbox reported; a test with an expected value is judged here."""
    if test.expect is None or not passed:
        return TestResult(test, passed, error, output)
    if output == test.expect:
        return TestResult(test, True, None, output)
    error = f"AssertionError: {test.call} returned {output}, expected {test.expect}"
    return TestResult(test, False, error[:500], output)


def explain_asserts(code: str) -> str:
    """`assert f(x) == y` -> evaluate both sides once, fail with 'f(x) returned A, expected y (B)'."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code
    out: list[str] = []
    for stmt in tree.body:
        test = stmt.test if isinstance(stmt, ast.Assert) else None
        if (
            isinstance(test, ast.Compare)
            and len(test.ops) == 1
            and isinstance(test.ops[0], ast.Eq)
            and stmt is not None
            and isinstance(stmt, ast.Assert)
            and stmt.msg is None
        ):
            left, right = ast.unparse(test.left), ast.unparse(test.comparators[0])
            out += [
                f"__actual__ = {left}",
                f"__expected__ = {right}",
                f"assert __actual__ == __expected__, "
                f"f'{_escape(left)} returned {{__actual__!r}}, expected {_escape(right)}'",
            ]
        else:
            out.append(ast.unparse(stmt))
    return "\n".join(out) + "\n"


def _escape(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}").replace("'", "\\'").replace("\n", " ")


def split_asserts(code: str, source: Source, prefix: str, limit: int = 20) -> list[TestCase]:
    """Each top-level assert of a block becomes its own test (one wrong assert sinks only itself).
    Statements before the first assert (imports, helpers) are kept as a preamble of every test. A block
    cut off mid-line (the model ran out of tokens) keeps its complete lines."""
    tree = parse_complete(code)
    if tree is None:
        return []
    # imports, helper functions and constants; never loops or calls that could hang every test
    keep = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef, ast.Assign)
    preamble = [ast.unparse(s) for s in tree.body if isinstance(s, keep)]
    asserts = [s for s in tree.body if isinstance(s, ast.Assert)]
    tests = []
    for i, stmt in enumerate(asserts[:limit], start=1):
        body = "\n".join([*preamble, ast.unparse(stmt)])
        tests.append(assert_test(source, f"{prefix}#{i}: {ast.unparse(stmt.test)[:80]}", body))
    return tests


def parse_complete(code: str, max_cut: int = 5) -> ast.Module | None:
    """The code parsed, or with up to `max_cut` trailing lines dropped when only its tail is broken."""
    lines = code.rstrip().splitlines()
    for cut in range(min(max_cut, len(lines)) + 1):
        try:
            return ast.parse("\n".join(lines[: len(lines) - cut]))
        except SyntaxError:
            continue
    return None


def user_tests(source: str, name: str) -> list[TestCase]:
    """A user's test file: each test_* function is a test; without any, each top-level assert is one."""
    try:
        tree = ast.parse(source, name)
    except (SyntaxError, ValueError) as exc:
        where = f" (line {exc.lineno})" if isinstance(exc, SyntaxError) and exc.lineno else ""
        raise UsageError(
            f"the test file {name} is not valid Python{where}: {exc.args[0] if exc.args else exc}"
        ) from exc
    names = [n.name for n in tree.body if isinstance(n, ast.FunctionDef) and n.name.startswith("test")]
    if names:
        return [TestCase("user", f"{name}::{fn}", f"{source}\n\n{fn}()\n", timeout_s=10) for fn in names]
    return split_asserts(source, "user", name, limit=50)


def read_user_tests(path: Path) -> list[TestCase]:
    """user_tests of a file the user named."""
    if not path.is_file():
        raise UsageError(f"no test file at {path}")
    try:
        source = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise UsageError(f"the test file {path.name} is not UTF-8 text") from exc
    return user_tests(source, path.name)
