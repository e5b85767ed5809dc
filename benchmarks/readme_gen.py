"""`aigc gen` on the README's examples: this checkout against an earlier one, same machine, same run.

    git worktree add /tmp/before REV
    .venv/bin/python benchmarks/readme_gen.py --baseline /tmp/before [--rounds 1]

The examples are the README's own `aigc gen "..."` lines that take only the requirement and generation
options (-n, --seed, --max-rounds, --lang); lines that read or write files, pipe stdin or name another
engine are left out. Each example runs as a user runs it (`python -m aigc gen --json ...`, model load
included) once from each checkout, with the same interpreter and model cache; the order of the two
alternates from one example to the next so that drift on a shared machine falls on both. Prints, per
example, both wall times, their ratio, the generated tokens and whether the answer was verified; one row
per example and round goes to benchmarks/results/readme-gen.jsonl.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "benchmarks" / "results" / "readme-gen.jsonl"
# Options that change only how the answer is generated; any other option (files, engines) drops a line.
WITH_VALUE = {"-n", "--seed", "--max-rounds", "--lang"}


def readme_examples(readme: Path) -> list[list[str]]:
    """The argument lists of the README's `aigc gen` lines that take only the options above, once each."""
    found: list[list[str]] = []
    for line in readme.read_text(encoding="utf-8").splitlines():
        text = line.strip().removeprefix("$ ")
        if not text.startswith("aigc gen ") or "|" in text:
            continue
        try:
            words = shlex.split(text, comments=True)[2:]
        except ValueError:
            continue
        if _only_generation_options(words) and words not in found:
            found.append(words)
    return found


def _only_generation_options(words: list[str]) -> bool:
    positional, i = 0, 0
    while i < len(words):
        if words[i] in WITH_VALUE:
            i += 2
            continue
        if words[i].startswith("-"):
            return False
        positional, i = positional + 1, i + 1
    return positional == 1


def run_gen(checkout: Path, args: list[str], workdir: Path) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "aigc", "gen", "--json", *args],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    wall = time.perf_counter() - start
    try:
        result = json.loads(done.stdout)
    except json.JSONDecodeError:
        return {"wall_s": wall, "rc": done.returncode, "error": done.stderr.strip()[-300:]}
    verification = result.get("verification") or {}
    return {
        "wall_s": round(wall, 2),
        "rc": done.returncode,
        "tokens": result.get("usage", {}).get("completion_tokens"),
        "verified": verification.get("passed"),
        "summary": verification.get("summary"),
    }


def commit_of(checkout: Path) -> str:
    done = subprocess.run(["git", "-C", str(checkout), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    return done.stdout.strip() or "?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--baseline", type=Path, required=True, help="a checkout of the earlier commit")
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    if not (args.baseline / "aigc" / "__main__.py").is_file():
        parser.error(f"{args.baseline} is not a checkout of aigc-coder")
    checkouts = {"baseline": args.baseline.resolve(), "this": REPO}
    commits = {name: commit_of(path) for name, path in checkouts.items()}
    examples = readme_examples(REPO / "README.md")
    print(f"{len(examples)} README examples; baseline {commits['baseline']}, this {commits['this']}", flush=True)
    ratios: list[float] = []
    with tempfile.TemporaryDirectory() as tmp, RESULTS.open("a", encoding="utf-8") as out:
        for r in range(args.rounds):
            for i, example in enumerate(examples):
                order = ["baseline", "this"] if (i + r) % 2 == 0 else ["this", "baseline"]
                rows = {name: run_gen(checkouts[name], example, Path(tmp)) for name in order}
                ratio = rows["baseline"]["wall_s"] / rows["this"]["wall_s"]
                ratios.append(ratio)
                row = {
                    "example": shlex.join(example),
                    "round": r,
                    "commits": commits,
                    **rows,
                    "speedup": round(ratio, 2),
                }
                row["machine"] = f"{platform.machine()} {os.cpu_count()} cpus"
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
                print(
                    f"{shlex.join(example)[:60]:60} baseline {rows['baseline']['wall_s']:6.1f} s "
                    f"(verified {rows['baseline'].get('verified')}), this {rows['this']['wall_s']:6.1f} s "
                    f"(verified {rows['this'].get('verified')}): {ratio:.2f}x",
                    flush=True,
                )
    print(f"median speed-up {statistics.median(ratios):.2f}x over {len(ratios)} runs")


if __name__ == "__main__":
    main()
