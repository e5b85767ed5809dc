"""Verified generation on the real embedded model, through the CLI as a user runs it."""

from __future__ import annotations

import json

import pytest

from tests.conftest import run_aigc

pytestmark = pytest.mark.model


def test_chinese_requirement_with_an_example_is_verified(real_home_env: dict[str, str]) -> None:
    r = run_aigc(
        "gen", "--json", "-n", "2", "--max-rounds", "1", "--max-tokens", "160",
        "写一个Python函数 add，例如 add(2, 3) 返回 5",
        env=real_home_env,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    v = doc["verification"]
    assert v["passed"] is True, v
    assert v["entry_point"] == "add"
    example = [t for t in v["tests"] if t["source"] == "example"]
    assert example == [
        {"source": "example", "name": "example: add(2, 3) == 5", "passed": True, "output": "5", "error": None}
    ]
    assert v["evidence"]["trusted"] == 1 and v["grade"].startswith("passes 1 of 1 tests from the requirement's")
    assert "def add" in doc["code"]


def test_report_is_printed_with_the_code(real_home_env: dict[str, str]) -> None:
    r = run_aigc("gen", "-n", "2", "--max-rounds", "0", "--max-tokens", "160",
                 "写一个函数 square，例如 square(3) 返回 9", env=real_home_env)  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "def square" in r.stdout
    assert "verification" in r.stderr and "square(3) == 9" in r.stderr
    assert "candidates 2" in r.stderr
