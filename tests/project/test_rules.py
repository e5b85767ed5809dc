"""Business rules as checks: where each rule goes, the verification loop on a scripted model, the wiring
into the app's sample records (in the real sandbox) and a project whose routes forget to call the check."""

from __future__ import annotations

from pathlib import Path

from aigc.engines.base import GenerationParams, Request
from aigc.engines.fake import FakeEngine
from aigc.project.design import with_standard_parts
from aigc.project.functions import record, records_in, valid_for
from aigc.project.pipeline import build_project
from aigc.project.rules import check_requirement, code_rules, place, wire
from aigc.project.spec import AppSpec, CheckSpec
from aigc.sandbox import Sandbox
from tests.project.specs import DISCOUNT_CHECK, REGISTRATION, SHOP, TODO

RULE = "the sale price must be below the price"
MODEL_TESTS = """```python
assert check_product({'name': 'lamp', 'price': 10.0, 'sale_price': 12.0}) is not None
assert check_product({'name': 'lamp', 'price': 10.0, 'sale_price': 10.0}) is not None
assert check_product({'name': 'lamp', 'price': 10.0, 'sale_price': 5.0}) is None
assert check_product({'name': 'lamp', 'price': 10.0, 'sale_price': None}) is None
```"""


def bare_shop(rules: list[str]) -> AppSpec:
    """SHOP without its check and without the examples that make its sample records pass the check."""
    data = SHOP.model_dump()
    for f in data["entities"][0]["fields"]:
        f["example"] = None
    return with_standard_parts(AppSpec.model_validate(data | {"checks": [], "rules": rules, "endpoints": []}))


def test_rules_are_placed_before_any_model_runs() -> None:
    shop = bare_shop([])
    assert place(shop, "product names are unique")[0] == "covered"
    assert place(REGISTRATION, "用户名已存在时返回错误")[0] == "covered"  # by the field's label
    assert place(shop, "商品名称不能重复")[0] == "not enforced"  # no field is labelled 名称
    status, _, entity = place(shop, RULE)
    assert status is None and entity is not None and entity.name == "Product"
    assert place(shop, "the shop opens at nine")[1].startswith("it states what is stored or shown")
    assert place(shop, "每个商品都有名称和价格")[1].startswith("it states what is stored or shown")
    assert place(shop, "a customer can only see their own products")[1].endswith("(say that users log in)")
    assert place(TODO, "each user sees only their own tasks")[0] == "covered"
    assert place(REGISTRATION, "用户名不能为空")[0] == "covered"  # a required field
    from tests.project.specs import TASKS

    assert place(TASKS, "a user can complete a task")[1].startswith("it asks for the action complete")
    assert place(REGISTRATION, "密码长度不能超过20个字符")[1].startswith("a check never sees a password")
    status, _, entity = place(REGISTRATION, "用户名长度不能超过20个字符")
    assert status is None and entity is not None and entity.name == "User"


def test_the_requirement_names_every_key_and_the_contract() -> None:
    shop = bare_shop([])
    entity = shop.entities[0]
    text = check_requirement(shop, entity, RULE, "check_product")
    assert "check_product(record: dict) -> str | None" in text
    assert "- sale_price: a float; may be None" in text and "- price: a float" in text
    assert "English" in text


def test_records_in_the_model_tests_and_which_are_valid() -> None:
    tests = [
        "assert check_product({'price': 10.0, 'sale_price': 12.0}) is not None",
        "assert check_product({'price': -1.0}) is not None",  # breaks the field's minimum
        "assert check_product({'cost': 3}) is None",  # no such field
        "assert other({'price': 1.0}) is None",
        "assert check_product(make()) is None",  # not a literal
    ]
    found = records_in(tests, "check_product")
    assert found == [{"price": 10.0, "sale_price": 12.0}, {"price": -1.0}, {"cost": 3}]
    entity = bare_shop([]).entities[0]
    assert [valid_for(entity, r) for r in found] == [True, False, False]


def test_wire_moves_the_samples_into_the_rule_and_finds_a_refused_record(box: Sandbox) -> None:
    shop = bare_shop([RULE])
    entity = shop.entities[0]
    assert record(entity, 1)["sale_price"] >= record(entity, 1)["price"]  # the plain sample breaks the rule
    tests = [t.strip() for t in MODEL_TESTS.strip("`\n").removeprefix("python\n").splitlines()]
    check = CheckSpec(rule=RULE, entity="Product", function="check_product", code=DISCOUNT_CHECK, tests=tests)
    wired, check, why = wire(shop, entity, check, box)
    assert wired is not None, why
    moved = wired.entities[0]
    assert moved.field("price").example == 10.0 and moved.field("sale_price").example == 5.0  # type: ignore[union-attr]
    assert moved.field("name").example is None  # type: ignore[union-attr]  # unique: stays fresh per row
    assert check.rejects == {"price": 10.0, "sale_price": 12.0}


def test_wire_leaves_out_a_check_that_refuses_everything(box: Sandbox) -> None:
    shop = bare_shop([RULE])
    code = "def check_product(record):\n    return 'no'\n"
    tests = ["assert check_product({'price': 1.0}) is not None"]
    check = CheckSpec(rule=RULE, entity="Product", function="check_product", code=code, tests=tests)
    wired, _, why = wire(shop, shop.entities[0], check, box)
    assert wired is None and "refuses every record" in why


def scripted(code: str) -> FakeEngine:
    def reply(request: Request) -> str:
        system = request.messages[0].content if request.messages else ""
        return MODEL_TESTS if "You write unit tests" in system else f"```python\n{code}```"

    return FakeEngine(reply)


def test_code_rules_verifies_and_wires_a_check(box: Sandbox) -> None:
    shop = bare_shop([RULE, "product names are unique", "the shop opens at nine"])  # one each: checked, covered, not
    result = code_rules(shop, scripted(DISCOUNT_CHECK), GenerationParams(max_tokens=300), sandbox=box)
    by_rule = {o.rule: o for o in result.outcomes}
    assert by_rule[RULE].status == "enforced" and by_rule[RULE].function == "check_product"
    assert by_rule["product names are unique"].status == "covered"
    assert by_rule["the shop opens at nine"].status == "not enforced"
    (check,) = result.spec.checks
    assert len(check.tests) == 4 and check.rejects == {"price": 10.0, "sale_price": 12.0}
    create = result.spec.endpoint("Product", "create")
    assert create is not None and any(e.kind == "rule" and e.when == RULE for e in create.errors)
    assert result.usage.total_tokens > 0


def test_code_rules_refuses_a_check_that_never_refuses(box: Sandbox) -> None:
    """All candidates agree on a wrong check: the tests it fails are discarded as 'wrong', so verification
    passes, but no valid record is refused, so nothing is wired in and the rule is reported as such."""
    lazy = "def check_product(record: dict) -> str | None:\n    return None\n"
    result = code_rules(bare_shop([RULE]), scripted(lazy), GenerationParams(max_tokens=300), sandbox=box)
    (outcome,) = result.outcomes
    assert outcome.status == "not enforced" and not result.spec.checks
    assert "refuses no valid record" in outcome.why


def test_routes_that_forget_the_check_fail_the_projects_tests(box: Sandbox, tmp_path: Path) -> None:
    from aigc.project.runner import project_env, run_tests

    out = tmp_path / "shop"
    report = build_project(SHOP, out, home=tmp_path / "home", source="spec", sandbox=box)
    assert report.done, report.tests.output if report.tests else None
    assert any(o.name == "test_rule_check_product_is_enforced_by_the_api" and o.passed for o in report.tests.outcomes)
    assert [r.status for r in report.rules] == ["enforced", "covered"]
    routes = out / "backend" / "routes.py"
    routes.write_text(routes.read_text().replace('    _obey_rules("Product", body)\n', ""))
    again = run_tests(out, project_env(tmp_path / "home", (out / "requirements.txt").read_text()), box)
    failed = {o.name for o in again.outcomes if not o.passed}
    assert failed == {"test_rule_check_product_is_enforced_by_the_api"}
