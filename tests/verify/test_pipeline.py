"""The verification loop with a scripted engine: which candidate wins, when repair runs, what is claimed."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from aigc.engines.base import GenerationParams, Request
from aigc.engines.fake import FakeEngine
from aigc.tasks.generate import generate
from aigc.verify.tests import read_user_tests

RIGHT = "```python\ndef add(a, b):\n    return a + b\n```"
WRONG = "```python\ndef add(a, b):\n    return a - b\n```"
BROKEN = "```python\ndef add(a, b)\n    return a + b\n```"
REQ = "写一个函数 add，例如 add(2, 3) 返回 5"


def script(candidates: list[str], tests: str = "", repairs: list[str] | None = None) -> Callable[[Request], str]:
    """Replies by prompt kind: candidates in order, the test-writing prompt, repair prompts in order."""
    queue, fixes = list(candidates), list(repairs or [])

    def reply(request: Request) -> str:
        if "unit tests" in request.messages[0].content:
            return tests
        if "Your code fails" in request.messages[-1].content:
            return fixes.pop(0)
        return queue.pop(0)

    return reply


def run(engine: FakeEngine, requirement: str = REQ, **kw: object) -> dict[str, object]:
    kw.setdefault("n", 3)  # the scripts below write three candidates
    result = generate(requirement, engine, GenerationParams(max_tokens=200), verify=True, **kw)  # type: ignore[arg-type]
    data = result.to_json()
    data["_code"] = result.code
    return data


def test_right_candidate_wins_over_the_greedy_wrong_one() -> None:
    out = run(FakeEngine(script([WRONG, RIGHT, WRONG], "```python\nassert add(1, 1) == 2\n```")))
    v = out["verification"]
    assert v["passed"] is True and v["candidates"] == 3 and v["rounds"] == 0 and v["chosen"] == "sample"
    assert out["_code"] == "def add(a, b):\n    return a + b\n"
    assert {(t["source"], t["passed"]) for t in v["tests"]} == {("example", True), ("model", True), ("probe", True)}
    assert v["evidence"]["inputs"] == 1 and v["evidence"]["agreeing"] == 1  # the wrong ones fail the example
    assert v["grade"] == (
        "passes 1 of 1 tests from the requirement's examples; agreed by 1 of 1 candidates on 1 inputs; "
        "passes 1 of the model's 1 tests"
    )


def test_repair_fixes_what_no_candidate_got_right() -> None:
    engine = FakeEngine(script([WRONG, WRONG, BROKEN], "", repairs=[RIGHT]))
    v = run(engine)["verification"]
    assert v["passed"] is True and v["rounds"] == 1 and v["chosen"] == "repair 1" and v["candidates"] == 4
    repair_prompt = engine.requests[-1].messages[-1].content
    assert "add(2, 3) returned -1, expected 5" in repair_prompt


def test_nothing_passes_says_so_and_shows_what_fails() -> None:
    v = run(FakeEngine(script([WRONG] * 3, "", repairs=[WRONG, WRONG])))["verification"]
    assert v["passed"] is False and v["rounds"] == 2
    assert "still fail" in v["summary"]
    failing = [t for t in v["tests"] if not t["passed"]]
    assert failing and failing[0]["error"] == "AssertionError: add(2, 3) returned -1, expected 5"


def test_a_wrong_model_test_is_discarded_not_trusted() -> None:
    tests = "```python\nassert add(1, 1) == 2\nassert add(2, 2) == 5\n```"
    v = run(FakeEngine(script([RIGHT, RIGHT, RIGHT], tests)))["verification"]
    assert v["passed"] is True
    wrong = next(t for t in v["tests"] if "== 5" in t["name"] and t["source"] == "model")
    assert wrong["passed"] is False and wrong["error"].startswith("discarded")


def test_users_test_file(tmp_path: Path) -> None:
    file = tmp_path / "test_add.py"
    file.write_text("def test_small():\n    assert add(1, 2) == 3\n\ndef test_neg():\n    assert add(-1, -1) == -2\n")
    v = run(FakeEngine(script([RIGHT] * 3)), "write add(a, b)", tests=read_user_tests(file))["verification"]
    assert [(t["source"], t["name"], t["passed"]) for t in v["tests"]] == [
        ("user", "test_add.py::test_small", True),
        ("user", "test_add.py::test_neg", True),
    ]


def test_no_tests_means_nothing_is_claimed() -> None:
    engine = FakeEngine(script(["```python\nprint('hello')\n```"] * 3, ""))
    v = run(engine, "print hello", max_rounds=0)["verification"]
    assert v["passed"] is False and "no test could be run" in v["summary"]


def test_static_check_failures_are_reported_per_tool() -> None:
    v = run(FakeEngine(script([BROKEN] * 3, "", repairs=[BROKEN, BROKEN])))["verification"]
    assert v["passed"] is False
    compile_check = next(c for c in v["checks"] if c["tool"] == "compile")
    assert compile_check["passed"] is False and compile_check["findings"][0]["line"] == 1


def test_non_python_gets_checks_only_and_claims_no_tests() -> None:
    engine = FakeEngine(["```javascript\nconst f = (x) => x * 2;\n```"])
    out = generate("write a doubling function", engine, GenerationParams(), language="javascript", verify=True)
    v = out.to_json()["verification"]
    assert v["passed"] is False and v["tests"] == [] and "tests are run for Python only" in v["summary"]
    assert json.dumps(v)  # serializable


def test_no_repair_toward_a_model_test_once_the_examples_pass() -> None:
    odd = "```python\ndef add(a, b):\n    return a * b + 1\n```"  # fails the example, passes the wrong test
    engine = FakeEngine(script([RIGHT, odd, odd], "```python\nassert add(2, 2) == 5\n```", repairs=[WRONG]))
    v = run(engine)["verification"]
    assert v["rounds"] == 0 and v["chosen"] == "greedy"
    assert v["passed"] is False  # the claim stays strict: a kept model test still fails
    assert "1 of 2 tests still fail" in v["summary"]


def test_verifying_samples_the_measured_default_of_five_candidates() -> None:
    engine = FakeEngine(script([RIGHT] * 5, "```python\nassert add(1, 1) == 2\n```"))
    generate(REQ, engine, GenerationParams(max_tokens=200), verify=True)
    greedy = [r.params for r in engine.requests if r.params.temperature == 0]
    sampled = [r.params for r in engine.requests if r.params.temperature > 0]
    # one greedy candidate and four sampled ones, each a one-choice request (an engine decodes them together)
    assert greedy[0].n == 1 and [p.n for p in sampled[:4]] == [1] * 4
    assert [p.seed for p in sampled[1:4]] == [sampled[0].seed + i for i in (1, 2, 3)]  # type: ignore[operator]
    # only the answer the user sees streamed goes on past its code; the samples stop at the block's end
    assert "\n```\n" not in greedy[0].stop and all("\n```\n" in p.stop for p in sampled[:4])
