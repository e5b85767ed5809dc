"""What the model-quality benchmarks share: `--model` and `--out` flags, and a JSON-lines results file that a
rerun continues (an item already in the file is skipped)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent


def arguments(doc: str, name: str) -> tuple[str, Path]:
    """(model, results file): the flags, with the file defaulting to benchmarks/results/<name>-<model>.jsonl."""
    parser = argparse.ArgumentParser(description=doc.split("\n")[0])
    parser.add_argument("--model", default="0.5b")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    out = args.out or REPO / "benchmarks" / "results" / f"{name}-{args.model}.jsonl"
    out.parent.mkdir(parents=True, exist_ok=True)
    return args.model, out


def run_all(
    out: Path,
    items: Iterable[Any],
    key: Callable[[Any], str],
    field: str,
    measure: Callable[[Any], dict[str, Any]],
    say: Callable[[int, dict[str, Any]], str],
) -> list[dict[str, Any]]:
    """Measure each item whose key (the rows' `field`) is not in `out` yet, appending its row as it finishes
    and printing `say(i, row)`; then every row of the file."""
    done = {json.loads(line)[field] for line in out.read_text().splitlines()} if out.exists() else set()
    for i, item in enumerate(items, start=1):
        if key(item) in done:
            continue
        row = measure(item)
        with out.open("a", encoding="utf-8") as f:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
        print(say(i, row), flush=True)
    return [json.loads(line) for line in out.read_text().splitlines()]
