"""`aigc new` over requirements written for this benchmark (none used while developing the templates):
the share of projects whose tests pass and whose started app answers every endpoint; minutes per project;
what became of the business rules and actions the model drafted (written by the model, as `aigc new` does).

    .venv/bin/python benchmarks/fullstack.py [--model 0.5b|1.5b] [--out benchmarks/results/fullstack-0.5b.jsonl]

One line per requirement is appended to --out as it finishes; a rerun skips requirements already there.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from aigc.config import load_settings  # noqa: E402
from aigc.engines import create_engine  # noqa: E402
from aigc.engines.base import Engine  # noqa: E402
from aigc.errors import AigcError  # noqa: E402
from aigc.tasks.new import build, project_spec  # noqa: E402
from benchmarks.resumable import arguments, run_all  # noqa: E402

REQUIREMENTS = [
    "一个健身打卡应用：用户登录后记录每天的运动类型、时长和日期，只能看到自己的记录。",
    "员工通讯录：保存员工姓名、部门、电话和唯一的工号，可以按姓名搜索。",
    "会议室预约：会议室有名称和容量，预约记录会议室、日期和预约人。",
    "一个简单的记账本：每条账目有金额、类别、日期和备注。",
    "课程管理：课程有唯一的课程代码和名称，学生可以选课。",
    "宠物领养平台：宠物有名字、种类、年龄，以及是否已被领养。",
    "An event ticketing site where organisers create events with a name, venue, date and capacity.",
    "A personal bookmarks manager: users log in and save links with a title, a unique URL and a note.",
    "A support ticket tracker: tickets have a subject, a description, a priority and a status; "
    "customers add replies to a ticket.",
    "A movie review site: movies with a title and a year, and reviews of a movie with a rating from 1 to 5.",
    "An inventory of office equipment, each item with a unique serial number, a name, a room and a purchase date.",
    "A habit tracker where each user logs in, keeps a list of habits and records daily check-ins for them.",
]


def run_one(requirement: str, engine: Engine, home: Path) -> dict[str, object]:
    """One requirement through `aigc new`'s own task functions (aigc.tasks.new), with the same budgets."""
    start = time.perf_counter()
    row: dict[str, object] = {"requirement": requirement}
    try:
        engine.forget_cache()  # type: ignore[attr-defined]  # the same cache state for every requirement
        source = project_spec(requirement=requirement, spec_file=None, openapi=None, engine_factory=lambda: engine)
        spec_s = time.perf_counter() - start
        with tempfile.TemporaryDirectory() as tmp:  # as `aigc new` does: rules and actions written by the model
            report = build(source, Path(tmp) / "app", home=home, engine_factory=lambda: engine)
        tests = report.tests
        row |= {
            "done": report.done,
            "tests_passed": tests.passed if tests else 0,
            "tests_failed": tests.failed if tests else 0,
            "app_started": bool(report.probe and report.probe.started),
            "probe_ok": bool(report.probe and report.probe.ok),
            "entities": [e.name for e in report.spec.entities],
            "endpoints": len(report.spec.endpoints),
            "auth": report.spec.auth.kind,
            "spec_tokens": source.tokens,
            "spec_seconds": round(spec_s, 1),
            "rules": {r.rule: r.status for r in report.rules},
            "actions": {a.rule: a.status for a in report.actions},
            "rules_tokens": report.rules_tokens,
            "rules_seconds": round(report.stages.get("rules", 0.0) + report.stages.get("actions", 0.0), 1),
            "failures": [o.name for o in tests.outcomes if not o.passed][:10] if tests else [],
        }
    except AigcError as exc:
        row |= {"done": False, "error": str(exc)}
    row["minutes"] = round((time.perf_counter() - start) / 60, 2)
    return row


def main() -> None:
    model, out = arguments(__doc__ or "", "fullstack")
    settings = load_settings(model=model)
    engine = create_engine(settings)

    def say(i: int, row: dict[str, object]) -> str:
        done = "DONE" if row["done"] else "not done"
        return f"[{i}/{len(REQUIREMENTS)}] {done} {row['minutes']} min {str(row['requirement'])[:50]}"

    rows = run_all(out, REQUIREMENTS, str, "requirement", lambda r: run_one(r, engine, settings.home), say)
    ok = sum(bool(r["done"]) for r in rows)
    minutes = sum(float(r["minutes"]) for r in rows) / len(rows)
    print(f"model {engine.model_name}: {ok}/{len(rows)} projects done ({ok / len(rows):.0%}); "
          f"{minutes:.2f} minutes per project")  # fmt: skip
    outcomes = [s for r in rows for s in [*r.get("rules", {}).values(), *r.get("actions", {}).values()]]
    if outcomes:
        counts = {k: outcomes.count(k) for k in ("enforced", "covered", "not enforced")}
        print(f"rules and actions: {len(outcomes)} stated; " + ", ".join(f"{v} {k}" for k, v in counts.items()))


if __name__ == "__main__":
    main()
