"""`aigc new` on the real embedded model: the model writes the spec (grammar-constrained), the project is
built, its tests pass in the sandbox and the started app answers every endpoint."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aigc.engines.base import GenerationParams
from aigc.engines.llamacpp import LlamaCppEngine
from aigc.project.draft import spec_from_requirement
from aigc.project.pipeline import ProjectReport, build_project
from aigc.sandbox import Sandbox
from tests.conftest import run_aigc

pytestmark = pytest.mark.model

REGISTRATION_ZH = (
    "创建一个用户注册功能，用户需要输入用户名和密码，"
    "如果用户名已经存在，返回错误信息，否则，创建新的用户并返回成功信息。"
)
REGISTRATION_EN = (
    "Create a user registration feature: the user enters a username and a password; if the username already "
    "exists, return an error message, otherwise create the user and return a success message."
)


def build(requirement: str, engine: LlamaCppEngine, tmp_path: Path) -> ProjectReport:
    engine.forget_cache()  # greedy answers depend on the cache state: start each from the same one
    drafted = spec_from_requirement(requirement, engine, GenerationParams())
    report = build_project(drafted.spec, tmp_path / "app", home=tmp_path / "home", source="requirement",
                           sandbox=Sandbox(backend="bwrap"))  # fmt: skip
    assert report.tests is not None and report.tests.ok, report.tests.output if report.tests else "no tests"
    assert report.probe is not None and report.probe.ok, report.probe
    assert report.done
    return report


def test_registration_in_chinese_from_the_cli(real_home_env: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "regapp"
    r = run_aigc("new", REGISTRATION_ZH, "-o", str(out), "--json", env=real_home_env, timeout=900)
    assert r.returncode == 0, r.stderr[-3000:]
    report = json.loads(r.stdout)
    assert report["done"] and report["spec"]["language"] == "zh"
    register = [s for s in report["probe"]["steps"] if s["path"].endswith("/register")]
    assert [s["status"] for s in register] == [201, 409]  # registers, then refuses the same username
    names = {r["name"] for r in report["tests"]["results"] if r["passed"]}
    assert any("stored_only_as_a_slow_hash" in n for n in names)
    assert any("duplicate_username" in n for n in names)


def test_registration_in_english(engine: LlamaCppEngine, tmp_path: Path) -> None:
    report = build(REGISTRATION_EN, engine, tmp_path)
    account = next(e for e in report.spec.entities if e.has_password)
    assert account.field("username") is not None and account.field("username").unique  # type: ignore[union-attr]
    assert report.spec.language == "en"


def test_todo_list_with_login(engine: LlamaCppEngine, tmp_path: Path) -> None:
    report = build("a todo list where each user logs in and manages their own tasks", engine, tmp_path)
    assert report.spec.auth.kind == "token"
    assert any(e.owned for e in report.spec.entities)
    passed = {o.name for o in report.tests.outcomes if o.passed}  # type: ignore[union-attr]
    assert any("of_another_user_are_refused" in n for n in passed) and any("need_login" in n for n in passed)


def test_product_catalogue_with_search(engine: LlamaCppEngine, tmp_path: Path) -> None:
    report = build("一个商品目录：商品有名称、价格和库存，可以按名称搜索商品", engine, tmp_path)
    lists = [ep for ep in report.spec.endpoints if ep.action == "list"]
    assert lists and report.spec.language == "zh"
    passed = {o.name for o in report.tests.outcomes if o.passed}  # type: ignore[union-attr]
    assert any(n.startswith("test_list_") for n in passed)


def test_blog_with_comments(engine: LlamaCppEngine, tmp_path: Path) -> None:
    report = build("a blog: posts with a title and body, and readers can leave comments on a post", engine, tmp_path)
    names = {e.name for e in report.spec.entities}
    assert {"Post", "Comment"} <= names
    comment = report.spec.entity("Comment")
    assert comment is not None and any(f.type == "ref" and f.ref == "Post" for f in comment.fields)


def test_a_business_rule_becomes_a_wired_check_or_says_why_not(engine: LlamaCppEngine, tmp_path: Path) -> None:
    """The model writes a rule's check through the verification loop. A 0.5B model often cannot (its own tests
    contradict the rule), so either outcome may be right; what must hold is that the report matches the
    project: an enforced rule has its check, its tests and a refused request that passes, and the project is
    done either way (a check that broke the app's own tests would not be wired in)."""
    from aigc.project.rules import code_rules
    from tests.project.test_rules import bare_shop

    engine.forget_cache()
    spec = bare_shop(["the sale price must not be higher than the price"])
    box = Sandbox(backend="bwrap")
    coded = code_rules(spec, engine, GenerationParams(max_tokens=300, seed=0), sandbox=box, candidates=2)
    (outcome,) = coded.outcomes
    assert outcome.verification is not None and outcome.verification["candidates"] >= 2  # the loop ran
    report = build_project(coded.spec, tmp_path / "app", home=tmp_path / "home", source="spec", sandbox=box)
    assert report.done, report.tests.output if report.tests else None
    passed = {o.name for o in report.tests.outcomes if o.passed}  # type: ignore[union-attr]
    if outcome.status == "enforced":
        (check,) = coded.spec.checks
        assert check.tests and check.rejects
        assert "test_rule_check_product_is_enforced_by_the_api" in passed
    else:
        assert outcome.status == "not enforced" and outcome.why and not coded.spec.checks
