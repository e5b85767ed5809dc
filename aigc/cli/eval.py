"""`aigc eval BENCH`, `aigc eval report RUN`, `aigc eval compare A B`."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from typer.core import TyperGroup

from aigc.cli import options as o
from aigc.cli.render import err, out, warning
from aigc.errors import UsageError
from aigc.verify.candidates import DEFAULT_VERIFY_CANDIDATES


class _RunByDefault(TyperGroup):
    """`aigc eval humaneval ...` means `aigc eval run humaneval ...`."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:  # ctx: typer's own click Context
        if args and args[0] not in self.commands and args[0] not in ("-h", "--help"):
            args = ["run", *args]
        return super().parse_args(ctx, args)


app = typer.Typer(
    cls=_RunByDefault, help="Evaluate a model: pass@k on HumanEval or your own tasks.", no_args_is_help=True
)


def _ks(text: str) -> tuple[int, ...]:
    try:
        ks = tuple(sorted({int(k) for k in text.split(",") if k.strip()}))
    except ValueError as exc:
        raise UsageError(f"--k takes numbers separated by commas, got {text!r}") from exc
    if not ks or min(ks) < 1:
        raise UsageError("--k values must be at least 1")
    return ks


@app.command("run")
def run(
    benchmark: Annotated[str, typer.Argument(help="'humaneval' or a .jsonl task file.")],
    pipeline: Annotated[str, typer.Option("--pipeline", help="raw (one request per sample) or verified.")] = "raw",
    n: Annotated[int, typer.Option("-n", min=1, max=200, help="Samples per task.")] = 1,
    k: Annotated[str, typer.Option("--k", help="pass@k to report, e.g. 1,5,10 (only k <= n).")] = "1",
    temperature: Annotated[float, typer.Option("--temperature", "-t", min=0.0)] = 0.0,
    max_tokens: Annotated[int, typer.Option("--max-tokens", min=16)] = 512,
    seed: Annotated[int, typer.Option("--seed")] = 0,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="The first N tasks only.")] = None,
    tasks: Annotated[str | None, typer.Option("--tasks", help="Task ids, comma-separated.")] = None,
    concurrency: Annotated[
        int, typer.Option("--concurrency", min=1, max=512, help="Requests in flight (servers).")
    ] = 1,
    candidates: Annotated[
        int, typer.Option("--candidates", min=1, help="Verified pipeline: candidates per sample.")
    ] = DEFAULT_VERIFY_CANDIDATES,
    max_rounds: Annotated[int, typer.Option("--max-rounds", min=0, help="Verified pipeline: repair rounds.")] = 2,
    out_dir: Annotated[Path | None, typer.Option("--out", help="Run folder (an existing one resumes).")] = None,
    model: o.ModelOpt = None,
    api_base: o.ApiBaseOpt = None,
    api_key: o.ApiKeyOpt = None,
    engine: o.EngineOpt = None,
) -> None:
    """Run a benchmark; an interrupted run resumes with the same --out."""
    from aigc.eval.folder import EvalSettings, new_run_folder
    from aigc.eval.report import build, write
    from aigc.tasks.eval import evaluate

    if pipeline not in ("raw", "verified"):
        raise UsageError("--pipeline is raw or verified")
    # --temperature, --max-tokens and --seed are the run's own (kept in its folder), not the engine's settings
    settings = o.settings_from({"model": model, "api_base": api_base, "api_key": api_key, "engine": engine})
    eng = o.engine_from(settings)
    if concurrency > 1 and settings.engine_name != "openai":
        warning("--concurrency applies to servers (--api-base); the embedded engine runs one request at a time")
        concurrency = 1
    config = EvalSettings(
        benchmark=benchmark,
        model=eng.model_name,
        pipeline=pipeline,  # type: ignore[arg-type]
        n=n,
        ks=_ks(k),
        temperature=temperature,
        max_tokens=max_tokens,
        seed=seed,
        limit=limit,
        task_ids=tuple(t.strip() for t in (tasks or "").split(",") if t.strip()),
        concurrency=concurrency,
        candidates=candidates,
        max_rounds=max_rounds,
        command=" ".join(shlex.quote(a) for a in ["aigc", *sys.argv[1:]]),
    )
    folder = out_dir or new_run_folder(Path("runs"), config)
    err.print(f"run folder: {folder}")
    with _progress_bar() as bar:
        task_id = bar.add_task("tasks", total=None, rate="", speed="")

        def show(p: Any) -> None:
            bar.update(
                task_id,
                total=p.tasks_total,
                completed=p.tasks_done,
                rate=f"pass {p.pass_rate:.0%}",
                speed=f"{p.tokens_per_s:.1f} tok/s",
            )

        try:
            evaluate(config, eng, folder, on_progress=show, warn=warning)
        finally:
            eng.close()
    _show(write(build(folder))[0].parent)


def _progress_bar() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TextColumn("{task.fields[speed]}"),
        TimeRemainingColumn(),
        console=err,
    )


def _show(folder: Path) -> None:
    from aigc.eval.report import build

    report = build(folder)
    table = Table(
        title=f"{report.config.get('benchmark')} · {report.config.get('pipeline')} · {report.config.get('model')}"
    )
    table.add_column("metric")
    table.add_column("value", justify="right")
    for kk, v in report.pass_at.items():
        table.add_row(f"pass@{kk}", f"{v:.3f}")
    table.add_row("tasks", str(len(report.per_task)))
    for status, count in report.statuses.items():
        table.add_row(status, str(count))
    table.add_row("tokens per task", f"{report.tokens_per_task:.0f}")
    table.add_row("seconds per task", f"{report.seconds_per_task:.1f}")
    out.print(table)
    out.print(f"report: {folder / 'report.md'} · plot: {folder / 'pass_at_k.png'}")


@app.command("report")
def report_cmd(folder: Annotated[Path, typer.Argument(help="A run folder.")]) -> None:
    """Re-render a run's report (report.md, report.json, pass_at_k.png) from its saved results."""
    from aigc.eval.report import build, write

    write(build(folder))
    _show(folder)


@app.command("compare")
def compare_cmd(
    a: Annotated[Path, typer.Argument(help="First run folder.")],
    b: Annotated[Path, typer.Argument(help="Second run folder.")],
    out_dir: Annotated[Path | None, typer.Option("--out", help="Where compare.md and compare.png go.")] = None,
) -> None:
    """Two runs side by side, with the tasks that changed."""
    from aigc.eval.report import compare, write_comparison

    cmp = compare(a, b)
    files = write_comparison(cmp, out_dir or a.parent / f"compare-{a.name}-vs-{b.name}")
    table = Table(title="comparison")
    for col in ("", a.name, b.name, f"{b.name} against {a.name}"):
        table.add_column(col)
    for row in cmp.rows():
        table.add_row(*row)
    out.print(table)
    out.print(f"passed only in {b.name}: {', '.join(cmp.gained) or 'none'}")
    out.print(f"passed only in {a.name}: {', '.join(cmp.lost) or 'none'}")
    out.print(f"written: {', '.join(str(f) for f in files)}")
