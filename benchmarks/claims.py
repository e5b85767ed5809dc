"""How often each kind of evidence was right: the data that decides what earns the word "verified".

    .venv/bin/python benchmarks/claims.py RUN_DIR [RUN_DIR ...]
    .venv/bin/python benchmarks/claims.py VERIFIED_DIR --raw RAW_DIR [--dev-tasks 40]

Each RUN_DIR is a verified run folder of `aigc eval` (or benchmarks/humaneval_verified.py's DIR/verified).
Its samples hold the chosen code's evidence (aigc.verify.report.Evidence) and its results the hidden tests'
verdict. Prints, per kind of evidence, how many answers had it and how many of them were right, then the
claims Evidence.holds() makes with their precision. Choose the rule on development runs only (zh-dev,
HumanEval/0-39); report the held-back runs with the rule fixed.

With --raw (a raw run folder of the same benchmark), also a row each for the first --dev-tasks tasks (the
development tasks), the rest and all: raw and verified passes, tasks lost against raw, claims and how many
were right, and the median seconds per task of the verified run.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from aigc.verify.report import Evidence  # noqa: E402


def kind(e: Evidence) -> str:
    """A coarse class of the evidence: what was trusted, whether the candidates agreed, what failed."""
    if e.trusted_passed < e.trusted:
        return "fails a trusted test"
    if e.crashes:
        return "crashes on an input"
    if e.model_passed < e.model:
        return "fails a kept model test"
    source = "user tests" if e.user else "examples" if e.trusted else "no trusted test"
    if not e.inputs:
        return f"{source}, no inputs"
    share = e.agreeing / e.candidates if e.candidates else 0.0
    agree = "all agree" if share == 1 else "majority" if share > 0.5 else "no majority"
    return f"{source}, {agree}"


def read(folder: Path) -> list[tuple[Evidence, bool]]:
    def lines(name: str) -> list[dict[str, object]]:
        path = folder / name
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]

    judged = {(r["task_id"], r["sample"]): bool(r["passed"]) for r in lines("results.jsonl")}
    out = []
    for s in lines("samples.jsonl"):
        key = (s["task_id"], s["sample"])
        if isinstance(s.get("evidence"), dict) and key in judged:
            out.append((Evidence(**s["evidence"]), judged[key]))  # type: ignore[arg-type]
    return out


def _lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def against_raw(verified: Path, raw: Path, dev_tasks: int) -> None:
    """Rows for the development tasks, the rest and all, in the verified run's task order."""
    passed_raw = {r["task_id"]: bool(r["passed"]) for r in _lines(raw / "results.jsonl")}
    passed = {r["task_id"]: bool(r["passed"]) for r in _lines(verified / "results.jsonl")}
    samples = {s["task_id"]: s for s in _lines(verified / "samples.jsonl")}
    order = [t for t in samples if t in passed and t in passed_raw]
    print(f"{'tasks':32} {'raw':>5} {'verified':>8} {'lost':>4} {'claims':>6} {'right':>5} {'s/task (median)':>15}")
    for name, ids in (("development", order[:dev_tasks]), ("the rest", order[dev_tasks:]), ("all", order)):
        if not ids:
            continue
        claims = [t for t in ids if samples[t].get("verified_claim")]
        seconds = statistics.median(float(samples[t]["seconds"]) for t in ids)  # type: ignore[arg-type]
        label = f"{name} ({ids[0]}..{ids[-1].rsplit('/', 1)[-1]})"
        print(
            f"{label:32} {sum(passed_raw[t] for t in ids):5} {sum(passed[t] for t in ids):8} "
            f"{sum(passed_raw[t] and not passed[t] for t in ids):4} {len(claims):6} "
            f"{sum(passed[t] for t in claims):5} {seconds:15.1f}"
        )
    print(
        f"lost: {', '.join(t for t in order if passed_raw[t] and not passed[t]) or 'none'}; wrong claims: "
        f"{', '.join(t for t in order if samples[t].get('verified_claim') and not passed[t]) or 'none'}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("runs", nargs="+", type=Path)
    parser.add_argument("--raw", type=Path, help="a raw run folder of the same benchmark: rows against it")
    parser.add_argument("--dev-tasks", type=int, default=40, help="how many of the first tasks are development")
    args = parser.parse_args()
    if args.raw:
        against_raw(args.runs[0], args.raw, args.dev_tasks)
    rows = [row for folder in args.runs for row in read(folder)]
    if not rows:
        raise SystemExit("no sample with recorded evidence in these folders")
    counts: Counter[str] = Counter()
    right: Counter[str] = Counter()
    for evidence, passed in rows:
        counts[kind(evidence)] += 1
        right[kind(evidence)] += passed
    print(f"{len(rows)} answers, {sum(p for _, p in rows)} right by the hidden tests")
    print(f"{'evidence':40} {'answers':>8} {'right':>6}")
    for name, n in counts.most_common():
        print(f"{name:40} {n:8} {right[name]:6}")
    claimed = [p for e, p in rows if e.holds()]
    precision = f"{sum(claimed) / len(claimed):.1%}" if claimed else "-"
    print(f"claimed verified by Evidence.holds(): {len(claimed)}, right {sum(claimed)} ({precision})")


if __name__ == "__main__":
    main()
