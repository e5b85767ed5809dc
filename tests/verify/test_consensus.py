"""Execution consensus: probes run in the sandbox, candidates clustered by their outputs, a graded claim."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, Optional, Union

import pytest

from aigc.engines.base import GenerationParams, Request
from aigc.engines.fake import FakeEngine
from aigc.sandbox import Sandbox
from aigc.tasks.generate import generate
from aigc.verify.consensus import agreement, calls_of, disagreements, errors_expected, probes
from aigc.verify.harness_main import conforms
from aigc.verify.ranking import Scored, rank
from aigc.verify.report import Evidence
from aigc.verify.runner import run_tests
from aigc.verify.tests import TestCase, TestResult


@pytest.fixture(scope="module")
def box() -> Sandbox:
    return Sandbox(backend="bwrap")


def test_calls_are_read_from_asserts_bare_calls_and_prints_and_a_cut_off_block() -> None:
    code = (
        "assert biggest([3, 1]) == 3\n"
        "biggest([])\n"
        "print(biggest([5, 5]))\n"
        "x = biggest(list(range(10)))\n"
        "assert other(1) == 2\n"
        "assert biggest([3, 1]) == 4\n"  # the same input again: one probe
        "assert biggest([1, 2"  # cut off mid-line
    )
    assert calls_of(code, "biggest") == [
        "biggest([3, 1])",
        "biggest([])",
        "biggest([5, 5])",
        "biggest(list(range(10)))",
    ]
    assert calls_of("this is not python (", "biggest") == []


def test_probes_report_outputs_exceptions_time_outs_and_nondeterminism(box: Sandbox) -> None:
    code = (
        "import random\n"
        "def f(kind):\n"
        "    if kind == 'set':\n        return {'pear', 'apple', 'fig'}\n"
        "    if kind == 'dict':\n        return {'b': 1, 'a': 0.1 + 0.2}\n"
        "    if kind == 'empty':\n        return [][0]\n"
        "    if kind == 'spin':\n        while True: pass\n"
        "    if kind == 'random':\n        return random.random()\n"
        "    return kind\n"
    )
    calls = ["f('set')", "f('dict')", "f('empty')", "f('spin')", "f('random')", "f('x' * 1000)"]
    tests = probes(calls)
    tests[3] = TestCase("probe", tests[3].name, tests[3].code, timeout_s=0.5)
    out = [r.output for r in run_tests(box, code, tests, "f")]
    assert out[0] == "{'apple', 'fig', 'pear'}"  # the same text in every process, whatever the hash seed
    assert out[1] == "{'a': 0.3, 'b': 1}"
    assert out[2] == "raises IndexError" and out[3] == "timed out" and out[4] == "nondeterministic"
    assert out[5] is not None and len(out[5]) < 200 and " ... #" in out[5]  # long outputs end in a hash


def test_a_value_of_another_type_than_annotated_fails_the_probe(box: Sandbox) -> None:
    code = (
        "from typing import List, Optional\n"
        "def half(n: int) -> int:\n    return n / 2\n"
        "def name(n: int) -> Optional[str]:\n    return None if n else 'x'\n"
        "def digits(n: int) -> List[int]:\n    return [str(d) for d in range(n)]\n"
    )
    cases = {"half": ("half(4)", "wrong type: float"), "name": ("name(0)", "'x'"), "digits": ("digits(2)", None)}
    for entry, (call, output) in cases.items():
        [result] = run_tests(box, code, probes([call]), entry)
        if output is None:
            assert result.output == "wrong type: list" and not result.passed
            assert result.error == "returned ['0', '1'] (a list), but the function is annotated to return List[int]"
        else:
            assert result.output == output
    crashes = agreement([probe_results(["wrong type: float"]), probe_results(["2"])], errors_ok=True)
    assert [a.crashes for a in crashes] == [1, 0]  # even where the requirement speaks of errors


def test_annotated_types_as_pep_484_reads_them() -> None:
    optional, union = Optional[int], Union[int, str]  # noqa: UP007, UP045 (the typing forms model code writes)
    yes = [(True, int), (3, float), (None, optional), ((1, "a"), tuple[int, str]), ((1, 2), tuple[int, ...]),
           ({"a": [1]}, dict[str, list[int]]), ("x", union), ("r", Literal["r", "w"]), (object(), Any),
           (1, int | None)]  # fmt: skip
    no = [(2.5, int), (1, bool), (None, str), ((1,), tuple[int, str]), ({"a": "1"}, dict[str, int]),
          ([1, "2"], list[int]), ("x", Literal["r"]), ("1", int | None), (iter([1]), list)]  # fmt: skip
    assert all(conforms(v, h) for v, h in yes)
    assert not any(conforms(v, h) for v, h in no)


def probe_results(outputs: list[str | None]) -> tuple[TestResult, ...]:
    return tuple(
        TestResult(TestCase("probe", f"probe#{i}: f({i})", ""), not (o or "").startswith(("raises", "timed")), None, o)
        for i, o in enumerate(outputs)
    )


def test_candidates_cluster_by_output_and_a_crash_on_a_valid_input_counts_against() -> None:
    runs = [
        probe_results(["raises IndexError", "1", "2"]),  # crashes on the empty input
        probe_results(["0", "1", "2"]),
        probe_results(["0", "1", "2"]),
        probe_results(["0", "1", "3"]),
    ]
    a = agreement(runs, errors_ok=False)
    assert [(x.agreeing, x.crashes) for x in a] == [(1, 1), (2, 0), (2, 0), (1, 0)]
    assert all(x.inputs == 3 and x.candidates == 4 for x in a)
    order = rank([Scored(i, r, True) for i, r in enumerate(runs)])
    assert [s.index for s in order] == [1, 2, 3, 0]  # the greedy one (0) crashes, so the agreeing pair wins
    # where the requirement speaks of errors, raising is just another output
    assert agreement(runs, errors_ok=True)[0].crashes == 0
    assert errors_expected("输入为负数时抛出 ValueError") and not errors_expected("返回列表中的最大值")


def test_an_input_every_candidate_rejects_is_not_counted() -> None:
    runs = [probe_results(["raises TypeError", "1"]), probe_results(["raises TypeError", "1"])]
    assert [(x.inputs, x.crashes, x.agreeing) for x in agreement(runs, errors_ok=False)] == [(1, 0, 2), (1, 0, 2)]


def test_repair_is_shown_the_input_where_the_outputs_differ() -> None:
    mine = probe_results(["0", "5"])
    lines = disagreements(mine, [probe_results(["0", "6"]), probe_results(["0", "6"])])
    assert lines == ["f(1) gives 5, but another solution gives 6"]


def test_the_claim_needs_a_trusted_test_agreement_and_no_crash() -> None:
    assert not Evidence(inputs=9, agreeing=5, candidates=5, model=5, model_passed=5).holds()  # only a grade
    assert Evidence(trusted=2, trusted_passed=2, inputs=3, agreeing=3, candidates=5).holds()
    assert not Evidence(trusted=2, trusted_passed=2, inputs=3, agreeing=2, candidates=5).holds()  # no majority
    assert Evidence(trusted=2, trusted_passed=2, inputs=1, agreeing=1, candidates=1).holds()
    assert Evidence(trusted=2, trusted_passed=2).holds()  # nothing to compare on
    assert not Evidence(trusted=2, trusted_passed=2, inputs=5, agreeing=5, candidates=5, crashes=1).holds()
    assert not Evidence(trusted=2, trusted_passed=2, model=3, model_passed=2).holds()
    assert not Evidence(trusted=2, trusted_passed=1, inputs=5, agreeing=5, candidates=5).holds()
    assert Evidence(trusted=1, trusted_passed=1, user=1, inputs=4, agreeing=1, candidates=5).holds()
    grade = Evidence(inputs=9, agreeing=4, candidates=5, model=6, model_passed=6).grade()
    assert grade == (
        "agreed by 4 of 5 candidates on 9 inputs; passes 6 of the model's 6 tests; no test from you or the requirement"
    )


EMPTY_CRASH = "```python\ndef biggest(xs):\n    return max(xs)\n```"
EMPTY_NONE = "```python\ndef biggest(xs):\n    if not xs:\n        return None\n    return max(xs)\n```"
EMPTY_NONE_2 = "```python\ndef biggest(xs):\n    return max(xs) if xs else None\n```"
TESTS = "```python\nassert biggest([1, 3, 2]) == 3\nassert biggest([]) == 0\nassert biggest([-1, -1]) == -1\n```"


def script(candidates: list[str]) -> Callable[[Request], str]:
    queue = list(candidates)
    return lambda r: TESTS if "unit tests" in r.messages[0].content else queue.pop(0)


def test_without_examples_the_agreeing_candidates_beat_a_greedy_one_that_crashes_on_empty() -> None:
    requirement = "写一个函数 biggest(xs)，返回列表中的最大值，列表为空时返回 None"
    engine = FakeEngine(script([EMPTY_CRASH, EMPTY_NONE, EMPTY_NONE_2]))
    result = generate(requirement, engine, GenerationParams(max_tokens=200), verify=True, n=3, max_rounds=0)
    v = result.verification
    assert v is not None and v.origin == "sample" and "if not xs" in result.code
    assert v.evidence.inputs == 3 and v.evidence.agreeing == 2 and v.evidence.candidates == 3
    # the model's `biggest([]) == 0` is wrong; no candidate passes it, so it is discarded, not trusted
    assert any("== 0" in name for name in v.discarded)
    assert v.passed is False and "not enough evidence" in v.summary  # agreement alone is a grade, not a proof
    assert v.evidence.grade() == (
        "agreed by 2 of 3 candidates on 3 inputs; passes 2 of the model's 2 tests; no test from you or the requirement"
    )


def test_a_crash_on_an_input_others_handle_is_repaired_with_that_input() -> None:
    requirement = "写一个函数 biggest(xs)，返回列表中的最大值"
    replies = [EMPTY_CRASH, EMPTY_CRASH, EMPTY_NONE]
    engine = FakeEngine(
        lambda r: TESTS if "unit tests" in r.messages[0].content else replies.pop(0) if replies else EMPTY_NONE
    )
    result = generate(requirement, engine, GenerationParams(max_tokens=200), verify=True, n=3, max_rounds=1)
    v = result.verification
    assert v is not None and v.rounds == 0 and v.origin == "sample"  # the one that handles [] wins outright
    assert "if not xs" in result.code and v.evidence.crashes == 0 and v.evidence.agreeing == 1
    assert v.passed is False and "not enough evidence" in v.summary  # 1 of 3 is no majority
