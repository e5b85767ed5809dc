"""Business rules -> checks (`aigc new`, aigc.project.rules): how many rules the model turns into a wired
check, and how many of those checks are right, judged on records written for this benchmark.

    .venv/bin/python benchmarks/rules.py [--model 0.5b|1.5b] [--out benchmarks/results/rules-0.5b.jsonl]

Each case is a small spec with one rule and reference records the rule accepts or refuses (written by hand,
never shown to the model). A wired check is "right" when it agrees with every reference record. One line
per case is appended to --out as it finishes; a rerun skips cases already there.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from aigc.config import load_settings  # noqa: E402
from aigc.engines import create_engine  # noqa: E402
from aigc.engines.base import GenerationParams  # noqa: E402
from aigc.project.design import with_standard_parts  # noqa: E402
from aigc.project.rules import code_rules, verdicts  # noqa: E402
from aigc.project.spec import AppSpec  # noqa: E402
from aigc.sandbox import Sandbox  # noqa: E402
from benchmarks.resumable import arguments, run_all  # noqa: E402


def case(
    entity: str,
    fields: list[dict[str, Any]],
    rule: str,
    base: dict[str, Any],
    accepts: list[dict[str, Any]],
    refuses: list[dict[str, Any]],
    language: str = "en",
) -> dict[str, Any]:
    spec = with_standard_parts(AppSpec.model_validate({"name": entity, "language": language, "rules": [rule],
                                            "entities": [{"name": entity, "fields": fields}]}))  # fmt: skip
    return {"spec": spec, "rule": rule, "accepts": [base | r for r in accepts],
            "refuses": [base | r for r in refuses]}  # fmt: skip


NUM, INT, DATE = "number", "integer", "date"
CASES = [
    case("Product", [{"name": "name"}, {"name": "price", "type": NUM, "minimum": 0},
                     {"name": "sale_price", "type": NUM, "required": False, "minimum": 0}],
         "the sale price must be below the price", {"name": "lamp"},
         [{"price": 10.0, "sale_price": 5.0}, {"price": 10.0, "sale_price": None}],
         [{"price": 10.0, "sale_price": 12.0}, {"price": 10.0, "sale_price": 10.0}]),
    case("Event", [{"name": "title"}, {"name": "starts_on", "type": DATE}, {"name": "ends_on", "type": DATE}],
         "the end date cannot be before the start date", {"title": "fair"},
         [{"starts_on": "2025-01-01", "ends_on": "2025-01-02"}, {"starts_on": "2025-01-01", "ends_on": "2025-01-01"}],
         [{"starts_on": "2025-01-05", "ends_on": "2025-01-01"}]),
    case("Booking", [{"name": "room"}, {"name": "guests", "type": INT, "minimum": 1},
                     {"name": "capacity", "type": INT, "minimum": 1}],
         "the number of guests cannot exceed the capacity", {"room": "A"},
         [{"guests": 2, "capacity": 4}, {"guests": 4, "capacity": 4}], [{"guests": 5, "capacity": 4}]),
    case("Employee", [{"name": "name"}, {"name": "age", "type": INT}],
         "employees must be at least 18 years old", {"name": "ann"},
         [{"age": 18}, {"age": 40}], [{"age": 17}, {"age": 3}]),
    case("OrderLine", [{"name": "quantity", "type": INT, "minimum": 1}, {"name": "unit_price", "type": NUM},
                       {"name": "total", "type": NUM}],
         "the total must equal the quantity times the unit price", {},
         [{"quantity": 2, "unit_price": 3.0, "total": 6.0}], [{"quantity": 2, "unit_price": 3.0, "total": 5.0}]),
    case("Coupon", [{"name": "code", "unique": True}, {"name": "discount_percent", "type": INT}],
         "the discount percent must be between 5 and 50", {"code": "SPRING"},
         [{"discount_percent": 5}, {"discount_percent": 50}],
         [{"discount_percent": 4}, {"discount_percent": 51}]),
    case("Profile", [{"name": "username", "unique": True}, {"name": "nickname", "required": False}],
         "the nickname must not be the same as the username", {"username": "alice"},
         [{"nickname": "bob"}, {"nickname": None}], [{"nickname": "alice"}]),
    case("Review", [{"name": "title"}, {"name": "rating", "type": INT, "minimum": 1, "maximum": 5},
                    {"name": "comment", "type": "text", "required": False}],
         "a rating below 3 needs a comment", {"title": "meh"},
         [{"rating": 5, "comment": None}, {"rating": 2, "comment": "cold food"}], [{"rating": 2, "comment": None}]),
    case("Goods", [{"name": "name", "description": "名称"}, {"name": "stock", "type": INT, "description": "库存"}],
         "库存不能为负数", {"name": "笔"}, [{"stock": 0}, {"stock": 7}], [{"stock": -1}], "zh"),
    case("Leave", [{"name": "reason", "description": "原因"}, {"name": "days", "type": INT, "description": "请假天数"}],
         "请假天数不能超过30天", {"reason": "探亲"}, [{"days": 30}, {"days": 1}], [{"days": 31}], "zh"),
]  # fmt: skip


def run_one(c: dict[str, Any], engine: Any, box: Sandbox) -> dict[str, Any]:
    start = time.perf_counter()
    engine.forget_cache()  # the same cache state for every case
    result = code_rules(c["spec"], engine, GenerationParams(max_tokens=512, seed=0), sandbox=box)
    (outcome,) = result.outcomes
    row: dict[str, Any] = {"rule": c["rule"], "status": outcome.status, "why": outcome.why,
                           "tokens": result.usage.total_tokens, "rounds": result.rounds}  # fmt: skip
    if result.spec.checks:
        (check,) = result.spec.checks
        records = c["accepts"] + c["refuses"]
        want = ["accepts"] * len(c["accepts"]) + ["refuses"] * len(c["refuses"])
        got = verdicts(box, [check], records)
        row |= {"right": got == want, "agreed": sum(g == w for g, w in zip(got, want, strict=True)),
                "records": len(records), "code": check.code, "rejects": check.rejects}  # fmt: skip
    row["minutes"] = round((time.perf_counter() - start) / 60, 2)
    return row


def main() -> None:
    model, out = arguments(__doc__ or "", "rules")
    settings = load_settings(model=model)
    engine = create_engine(settings)
    box = Sandbox()

    def say(i: int, row: dict[str, object]) -> str:
        verdict = {True: "right", False: "WRONG"}.get(row.get("right"), "")  # type: ignore[arg-type]
        return f"[{i}/{len(CASES)}] {row['status']} {verdict} {row['minutes']} min  {row['rule']}"

    rows = run_all(out, CASES, lambda c: str(c["rule"]), "rule", lambda c: run_one(c, engine, box), say)
    enforced = [r for r in rows if r["status"] == "enforced"]
    right = sum(bool(r.get("right")) for r in enforced)
    minutes = sum(float(r["minutes"]) for r in rows) / len(rows)
    print(f"model {engine.model_name}: {len(enforced)}/{len(rows)} rules enforced, {right} of them right on the "
          f"reference records, {len(enforced) - right} wrong; {minutes:.2f} minutes per rule")  # fmt: skip


if __name__ == "__main__":
    main()
