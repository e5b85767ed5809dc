"""Reports of a run folder: pass@k, statuses, tokens and seconds per task, the settings and the exact
command; report.md, report.json and pass_at_k.png. `compare` puts two runs side by side per task."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aigc.errors import UsageError
from aigc.eval.execute import STATUSES
from aigc.eval.folder import read_jsonl
from aigc.eval.passk import pass_at_k


@dataclass(frozen=True)
class RunReport:
    folder: Path
    config: dict[str, Any]
    per_task: dict[str, tuple[int, int]]  # task_id -> (samples judged, samples passed)
    pass_at: dict[int, float]
    statuses: dict[str, int]
    tokens_per_task: float
    seconds_per_task: float
    claimed: int  # samples the verified pipeline called verified
    claimed_right: int  # ... of which the hidden tests agreed

    def to_json(self) -> dict[str, Any]:
        return {
            "folder": str(self.folder),
            "benchmark": self.config.get("benchmark"),
            "model": self.config.get("model"),
            "pipeline": self.config.get("pipeline"),
            "settings": self.config,
            "tasks": len(self.per_task),
            "pass_at_k": {f"pass@{k}": round(v, 4) for k, v in self.pass_at.items()},
            "statuses": self.statuses,
            "tokens_per_task": round(self.tokens_per_task, 1),
            "seconds_per_task": round(self.seconds_per_task, 2),
            "verified_claims": {"claimed": self.claimed, "right": self.claimed_right},
            "per_task": {t: {"n": n, "passed": c} for t, (n, c) in self.per_task.items()},
        }


def build(folder: Path) -> RunReport:
    config_path = folder / "config.json"
    if not config_path.is_file():
        raise UsageError(f"{folder} is not a run folder (no config.json)")
    config = json.loads(config_path.read_text(encoding="utf-8"))
    results = read_jsonl(folder / "results.jsonl")
    samples = {(s["task_id"], s["sample"]): s for s in read_jsonl(folder / "samples.jsonl")}
    per_task: dict[str, list[int]] = {}
    for r in results:
        counts = per_task.setdefault(r["task_id"], [0, 0])
        counts[0] += 1
        counts[1] += bool(r["passed"])
    complete = {t: (n, c) for t, (n, c) in per_task.items() if n >= int(config.get("n", 1))}
    ks = [k for k in config.get("ks", [1]) if k <= int(config.get("n", 1))]
    pass_at = {
        k: sum(pass_at_k(n, c, k) for n, c in complete.values()) / len(complete) if complete else 0.0 for k in ks
    }
    statuses = Counter(r["status"] for r in results)
    used = [s for s in samples.values() if s["task_id"] in complete]
    tasks = max(1, len(complete))
    judged = {(r["task_id"], r["sample"]): r for r in results}
    claims = [judged.get(key) for key, s in samples.items() if s.get("verified_claim")]
    return RunReport(
        folder,
        config,
        complete,
        pass_at,
        {s: statuses.get(s, 0) for s in STATUSES},
        sum(s["prompt_tokens"] + s["completion_tokens"] for s in used) / tasks,
        sum(s["seconds"] for s in used) / tasks,
        len(claims),
        sum(1 for r in claims if r and r["passed"]),
    )


def markdown(report: RunReport) -> str:
    c = report.config
    lines = [
        f"# {c.get('benchmark')} · {c.get('pipeline')} · {c.get('model')}",
        "",
        "| metric | value |",
        "|---|---|",
        *[f"| pass@{k} | {v:.3f} |" for k, v in report.pass_at.items()],
        f"| tasks | {len(report.per_task)} |",
        f"| samples per task | {c.get('n')} |",
        *[f"| {status} | {count} |" for status, count in report.statuses.items()],
        f"| tokens per task | {report.tokens_per_task:.0f} |",
        f"| seconds per task | {report.seconds_per_task:.1f} |",
    ]
    if report.claimed:
        lines.append(f"| claimed verified (right by the hidden tests) | {report.claimed} ({report.claimed_right}) |")
    settings = ", ".join(
        f"{k}={c[k]}" for k in ("temperature", "max_tokens", "seed", "candidates", "max_rounds") if k in c
    )
    lines += ["", f"Settings: {settings}.", "", "Command:", "", f"    {c.get('command') or '(not recorded)'}", ""]
    return "\n".join(lines)


def write(report: RunReport) -> list[Path]:
    folder = report.folder
    (folder / "report.json").write_text(json.dumps(report.to_json(), indent=2, ensure_ascii=False) + "\n", "utf-8")
    (folder / "report.md").write_text(markdown(report), encoding="utf-8")
    plot = folder / "pass_at_k.png"
    _bar_plot(report, plot)
    return [folder / "report.md", folder / "report.json", plot]


def _bar_plot(report: RunReport, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3.2), dpi=120)
    labels = [f"pass@{k}" for k in report.pass_at]
    bars = ax.bar(labels, [v * 100 for v in report.pass_at.values()], color="#3b7dd8")
    ax.bar_label(bars, fmt="%.1f%%")
    ax.set_ylim(0, 100)
    ax.set_ylabel("% of tasks")
    ax.set_title(f"{report.config.get('benchmark')} · {report.config.get('pipeline')}", fontsize=10)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


@dataclass(frozen=True)
class Comparison:
    a: RunReport
    b: RunReport
    gained: list[str]  # passed (some sample) in b, none in a
    lost: list[str]

    def rows(self) -> list[tuple[str, str, str, str]]:
        """(what, a, b, b against a): pass@k, then the cost per task (tokens, seconds) with b's multiple of
        a's, then the verified claims and how many the hidden tests agreed with."""
        a, b = self.a, self.b
        out = []
        for k in sorted(set(a.pass_at) & set(b.pass_at)):
            points = 100 * (b.pass_at[k] - a.pass_at[k])
            out.append((f"pass@{k}", f"{a.pass_at[k]:.3f}", f"{b.pass_at[k]:.3f}", f"{points:+.1f} points"))
        for what, x, y, digits in (
            ("tokens per task", a.tokens_per_task, b.tokens_per_task, 0),
            ("seconds per task", a.seconds_per_task, b.seconds_per_task, 1),
        ):
            out.append((what, f"{x:.{digits}f}", f"{y:.{digits}f}", f"{y / x:.2f}x" if x else "-"))
        out.append(("claimed verified (right)", _claims(a), _claims(b), ""))
        return out


def compare(a_folder: Path, b_folder: Path) -> Comparison:
    a, b = build(a_folder), build(b_folder)
    common = sorted(set(a.per_task) & set(b.per_task))
    if not common:
        raise UsageError(f"{a_folder} and {b_folder} share no finished tasks")
    ok_a = {t for t in common if a.per_task[t][1] > 0}
    ok_b = {t for t in common if b.per_task[t][1] > 0}
    return Comparison(a, b, sorted(ok_b - ok_a), sorted(ok_a - ok_b))


def write_comparison(cmp: Comparison, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    name_a, name_b = cmp.a.folder.name, cmp.b.folder.name
    lines = [
        f"# {name_a} vs {name_b}",
        "",
        f"| | {name_a} | {name_b} | {name_b} against {name_a} |",
        "|---|---|---|---|",
    ]
    lines += [f"| {what} | {x} | {y} | {against} |" for what, x, y, against in cmp.rows()]
    lines += [
        "",
        f"Passed only in {name_b}: {', '.join(cmp.gained) or 'none'}",
        "",
        f"Passed only in {name_a}: {', '.join(cmp.lost) or 'none'}",
        "",
    ]
    (out / "compare.md").write_text("\n".join(lines), encoding="utf-8")
    _compare_plot(cmp, out / "compare.png")
    return [out / "compare.md", out / "compare.png"]


def _compare_plot(cmp: Comparison, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    common = sorted(set(cmp.a.per_task) & set(cmp.b.per_task), key=_task_order)
    fig, ax = plt.subplots(figsize=(max(6, len(common) * 0.06), 3), dpi=120)
    xs = range(len(common))
    ax.scatter(xs, [_rate(cmp.a, t) for t in common], s=10, label=cmp.a.folder.name, alpha=0.7)
    ax.scatter(xs, [_rate(cmp.b, t) + 0.03 for t in common], s=10, label=cmp.b.folder.name, alpha=0.7)
    ax.set_xlabel("task")
    ax.set_ylabel("share of samples passing")
    ax.legend(fontsize=7, loc="upper right")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def _claims(report: RunReport) -> str:
    return f"{report.claimed} ({report.claimed_right})" if report.claimed else "-"


def _rate(report: RunReport, task_id: str) -> float:
    n, c = report.per_task[task_id]
    return c / n


def _task_order(task_id: str) -> tuple[str, int]:
    head, _, tail = task_id.rpartition("/")
    return (head, int(tail)) if tail.isdigit() else (task_id, 0)
