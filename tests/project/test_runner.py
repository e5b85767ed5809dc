"""Reading back what ran in the sandbox: pytest's JUnit report and the probe's report, both written by code
aigc does not trust."""

from __future__ import annotations

import json

from aigc.project.probe import probe_result
from aigc.project.runner import parse_junit

JUNIT = b"""<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" tests="5">
<testcase classname="tests.test_api" name="test_create_product" time="0.1"/>
<testcase classname="tests.test_api" name="test_price[negative]" time="0.1">
  <failure message="AssertionError: assert 200 == 422">long traceback</failure></testcase>
<testcase classname="tests.test_api.TestOrders" name="test_list" time="0.1"/>
<testcase classname="tests.test_api" name="test_later"><skipped message="not yet"/></testcase>
<testcase classname="" name="tests.test_broken"><error message="collection failure"/></testcase>
</testsuite></testsuites>"""


def test_junit_outcomes_are_named_as_pytest_names_them() -> None:
    got = [(o.name, o.passed, o.error) for o in parse_junit(JUNIT)]
    assert got == [
        ("test_create_product", True, ""),
        ("test_price[negative]", False, "AssertionError: assert 200 == 422"),
        ("TestOrders::test_list", True, ""),
    ]  # skipped tests and modules that failed to import are not outcomes


def test_a_junit_report_with_entities_or_garbage_yields_nothing() -> None:
    laughs = b"""<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;">
<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]><testsuites><testcase classname="t" name="&c;"/></testsuites>"""
    assert parse_junit(laughs) == []  # defusedxml refuses entity declarations
    assert parse_junit(b"not xml at all <") == []


def _step(**change: object) -> dict[str, object]:
    step = {"method": "GET", "path": "/api/items", "expect": 200, "status": 200, "ok": True, "note": "", "answer": ""}
    return step | change


def test_the_probe_report_is_checked_and_its_verdicts_recomputed() -> None:
    claimed = json.dumps({"started": True, "steps": [_step(status=500, ok=True)], "log": ""})
    result = probe_result("app output\n" + claimed, "", "ok")
    assert result.started and result.steps[0]["ok"] is False and not result.ok  # a lie about "ok" is undone
    honest = probe_result(json.dumps({"started": True, "steps": [_step()], "log": ""}), "", "ok")
    assert honest.ok


def test_a_malformed_probe_report_means_the_app_did_not_start() -> None:
    for stdout in ("", "not json", json.dumps({"started": True, "steps": [{"method": 1}], "log": ""})):
        result = probe_result(stdout, "Traceback ...", "failed")
        assert (result.started, result.steps, result.ok) == (False, [], False)
        assert result.log
