from __future__ import annotations

import json
import os

import pytest

from aigc.sandbox import Sandbox
from aigc.verify.harness_main import MARK, canonical
from aigc.verify.ranking import Scored, discarded_tests, normalized, rank
from aigc.verify.runner import run_tests, wall_factor
from aigc.verify.tests import TestCase, TestResult, assert_test, judge


def t(source: str, name: str, code: str = "pass", timeout_s: float = 5) -> TestCase:
    return assert_test(source, name, code, timeout_s)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def box() -> Sandbox:
    return Sandbox(backend="bwrap")


def test_each_test_gets_its_own_result(box: Sandbox) -> None:
    code = "def add(a, b):\n    print('noise')\n    return a + b\n"
    tests = [
        t("example", "ok", "assert add(2, 3) == 5"),
        t("model", "wrong", "assert add(1, 1) == 3"),
        t("model", "raises", "assert add(1, None) == 1"),
        t("model", "hangs", "while True: pass", timeout_s=1),
        t("example", "entry", "assert __entry__(1, 2) == 3"),
    ]
    results = {r.test.name: r for r in run_tests(box, code, tests, "add")}
    assert results["ok"].passed and results["entry"].passed
    assert results["wrong"].error == "AssertionError: add(1, 1) returned 2, expected 3"
    assert results["raises"].error is not None and results["raises"].error.startswith("TypeError")
    assert results["raises"].error.endswith("(solution.py line 3: return a + b)")
    assert results["hangs"].error == "timed out"


def test_code_that_does_not_load_fails_every_test_with_the_reason(box: Sandbox) -> None:
    results = run_tests(box, "import nonexistent_module_xyz\n", [t("example", "a"), t("model", "b")], None)
    assert all(not r.passed for r in results)
    assert all("does not load: ModuleNotFoundError" in (r.error or "") for r in results)


def test_code_that_kills_the_harness(box: Sandbox) -> None:
    results = run_tests(box, "import os\nos._exit(0)\n", [t("example", "a")], None)
    assert not results[0].passed and "crashed" in (results[0].error or "")


def _forging(line: str, then: str = "os._exit(0)") -> str:
    """Wrong code that writes a results line of its own to the harness's stdout."""
    return f"import os\ndef add(a, b):\n    return 0\nos.write(1, {line!r}.encode())\n{then}\n"


def test_code_cannot_forge_a_test_judged_by_value(box: Sandbox) -> None:
    claim = {"import_error": None, "results": [{"id": 0, "passed": True, "error": None, "output": None},
                                               {"id": 1, "passed": True, "error": None, "output": None}]}  # fmt: skip
    tests = [t("example", "by value", "assert add(2, 3) == 5"), t("model", "as written", "assert add(2, 3) > 4")]
    assert tests[0].expect == "5" and tests[1].expect is None
    assert "5" not in tests[0].code  # the sandbox never sees the expected value
    results = run_tests(box, _forging(MARK + json.dumps(claim) + "\n"), tests, "add")
    assert not results[0].passed and results[0].error == "AssertionError: add(2, 3) returned None, expected 5"
    assert results[1].passed  # judged where the code runs: the limit docs/architecture.md names


def test_a_second_or_malformed_results_line_fails_every_test(box: Sandbox) -> None:
    tests = [t("example", "ok", "assert add(2, 3) == 0")]
    twice = run_tests(box, _forging(MARK + '{"import_error": null, "results": []}\n', then="pass"), tests, "add")
    assert not twice[0].passed and "result line itself" in (twice[0].error or "")
    for junk in ("[1", '{"import_error": null, "results": [1]}', "[" * 100_000 + "]" * 100_000):
        results = run_tests(box, _forging(MARK + junk + "\n"), tests, "add")
        assert not results[0].passed and "malformed" in (results[0].error or ""), junk[:40]


def test_values_equal_by_python_have_one_text() -> None:
    assert canonical(-0.0) == canonical(0) == "0" and canonical(1e15) == canonical(10**15)
    assert canonical(0.1 + 0.2) == canonical(0.3) and canonical(2.5) == "2.5" != canonical(2.5000001)
    assert canonical({"b": (1.0,), "a": {2, 1}}) == canonical({"a": {1, 2}, "b": (1,)}) != canonical([1])


def test_asserts_judged_by_value() -> None:
    test = assert_test("model", "a", "assert f(1) == [1, 2]")
    assert (test.expect, test.call, test.runs) == ("[1, 2]", "f(1)", 2)
    swapped = assert_test("model", "b", "x = 3\nassert {2, 1} == f(x)")
    assert swapped.expect == "{1, 2}" and swapped.code == "x = 3\n__output__ = f(x)\n"
    failed = judge(swapped, True, None, "{1}")
    assert not failed.passed and failed.error == "AssertionError: f(x) returned {1}, expected {1, 2}"
    assert judge(swapped, True, None, "{1, 2}").passed


@pytest.mark.parametrize("code", ["assert f(1) == g(2)", "assert f(1) == 2, 'why'", "assert f(1) < 2", "assert 1 == 1"])
def test_asserts_of_another_shape_run_as_written(code: str) -> None:
    test = assert_test("model", "c", code)
    assert test.expect is None and test.runs == 1
    # judged where it ran: the sandbox's own verdict stands, whatever the output
    assert not judge(test, False, "AssertionError", "1").passed and judge(test, True, None, "1").passed
    assert test.call == "" and "assert" in test.code


def _run(i: int, outcomes: dict[TestCase, bool], checks: bool = True) -> Scored:
    return Scored(i, tuple(TestResult(tc, ok, None if ok else "x") for tc, ok in outcomes.items()), checks)


def test_trusted_tests_outrank_agreement() -> None:
    ex, m1, m2 = t("example", "ex"), t("model", "m1"), t("model", "m2")
    runs = [_run(0, {ex: False, m1: True, m2: True}), _run(1, {ex: False, m1: True, m2: True}),
            _run(2, {ex: True, m1: False, m2: False})]  # fmt: skip
    assert rank(runs)[0].index == 2


def test_one_wrong_model_test_cannot_sink_a_right_solution() -> None:
    good1, good2, wrong = t("model", "good1"), t("model", "good2"), t("model", "wrong")
    runs = [
        _run(0, {good1: True, good2: True, wrong: False}),  # right, fails the wrong test
        _run(1, {good1: False, good2: False, wrong: True}),  # wrong, agrees with the wrong test
        _run(2, {good1: True, good2: True, wrong: False}),  # right again: the larger group
    ]
    assert rank(runs)[0].index == 0
    assert discarded_tests(runs) == set()
    nobody = [_run(0, {good1: True, wrong: False}), _run(1, {good1: True, wrong: False})]
    assert discarded_tests(nobody) == {"wrong"}


def test_failing_static_checks_ranks_last() -> None:
    ex = t("example", "ex")
    assert rank([_run(0, {ex: True}, checks=False), _run(1, {ex: False})])[0].index == 1


def test_normalized_ast_ignores_comments_docstrings_and_layout() -> None:
    a = 'def f(x):\n    """Doc."""\n    # comment\n    return x+1\n'
    b = "def f(x):\n    return (x + 1)\n"
    assert normalized(a) == normalized(b)
    assert normalized(a) != normalized("def f(x):\n    return x + 2\n")


def test_limits_are_cpu_time_with_a_wall_clock_backstop_that_grows_with_load(
    box: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    code = "import time\ndef nap(s):\n    time.sleep(s)\n    return s\n"
    tests = [
        t("model", "waits", "assert nap(0.6) == 0.6", timeout_s=0.5),  # no CPU used: within 3 x 0.5 s of clock
        t("model", "sleeps", "assert nap(30) == 30", timeout_s=0.5),  # the clock stops it
        t("model", "spins", "while True: pass", timeout_s=0.5),  # the CPU limit stops it
    ]
    results = {r.test.name: r for r in run_tests(box, code, tests, "nap")}
    assert results["waits"].passed
    assert results["sleeps"].error == "timed out" and results["spins"].error == "timed out"
    cores = len(os.sched_getaffinity(0))
    monkeypatch.setattr(os, "getloadavg", lambda: (cores * 4.0, 0.0, 0.0))
    assert wall_factor() == 12.0  # four times as much work as cores: the clock allows four times as long
    monkeypatch.setattr(os, "getloadavg", lambda: (0.1, 0.0, 0.0))
    assert wall_factor() == 3.0
