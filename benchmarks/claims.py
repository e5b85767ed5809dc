"""How often each kind of evidence was right: the data that decides what earns the word "verified".

    .venv/bin/python benchmarks/claims.py RUN_DIR [RUN_DIR ...]

Each RUN_DIR is a verified run folder of `aigc eval` (or benchmarks/humaneval_verified.py's DIR/verified).
Its samples hold the chosen code's evidence (aigc.verify.report.Evidence) and its results the hidden tests'
verdict. Prints, per kind of evidence, how many answers had it and how many of them were right, then the
claims Evidence.holds() makes with their precision. Choose the rule on development runs only (zh-dev,
HumanEval/0-39); report the held-back runs with the rule fixed.
"""

from __future__ import annotations

import argparse
import json
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("runs", nargs="+", type=Path)
    args = parser.parse_args()
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
