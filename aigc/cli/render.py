"""Everything the CLI shows: streamed text, highlighted code, stats lines, progress bars, errors."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from rich.console import Console, Group
from rich.markup import escape
from rich.panel import Panel
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.syntax import Syntax
from rich.table import Table

if TYPE_CHECKING:
    from aigc.engines.base import Timings, Usage
    from aigc.verify.report import Verification

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)


def stream_writer(to_stderr: bool) -> Callable[[str], None]:
    """A callback that writes streamed text as it comes, unbuffered, to stdout or stderr."""
    stream = sys.stderr if to_stderr else sys.stdout

    def write(text: str) -> None:
        stream.write(text)
        stream.flush()

    return write


def code_panel(code: str, language: str, title: str | None = None) -> Panel:
    lexer = {"bash": "bash", "cpp": "cpp", "csharp": "csharp"}.get(language, language)
    return Panel(
        Syntax(code.rstrip("\n"), lexer, line_numbers=True, word_wrap=True, theme="monokai"),
        title=title or language,
        title_align="left",
        border_style="green",
    )


def stats_line(usage: Usage, timings: Timings, model: str) -> str:
    return (
        f"{model} · prompt {usage.prompt_tokens} tokens · completion {usage.completion_tokens} tokens · "
        f"first token {timings.ttft_s:.2f} s · {timings.tokens_per_s:.1f} tokens/s · total {timings.total_s:.1f} s"
    )


def progress(message: str) -> None:
    err.print(f"· {message}", style="dim", markup=False, highlight=False)


_MARK = {True: "[green]✓[/]", False: "[red]✗[/]"}


def verification_report(v: Verification) -> Panel:
    """What was proven: the verdict, the checks, every test with its source and result."""
    verdict = "[bold green]verified[/]" if v.passed else "[bold red]NOT verified[/]"
    lines = [
        f"{verdict}: {escape(v.summary)}",
        f"candidates {v.candidates} · repair rounds {v.rounds} · chosen: {v.origin}",
    ]
    if (grade := v.evidence.grade()) and grade not in v.summary:
        lines.append(f"evidence: {escape(grade)}")
    checks = " ".join(f"{escape(t)} {_MARK[v.checks.passed or t == 'radon']}" for t in v.checks.tools)
    if v.checks.metrics:
        m = v.checks.metrics
        checks += (
            f" (max complexity {m.get('max_complexity', 0):.0f},"
            f" maintainability {m.get('maintainability_index', 0):.0f}/100)"
        )
    lines.append(f"checks: {checks or 'none for this language'}")
    lines += [f"  [yellow]{f.severity}[/] {escape(str(f))}" for f in v.checks.findings if f.severity != "info"][:8]
    if not v.tests:
        return Panel(
            "\n".join([*lines, "tests: none ran"]),
            title="verification",
            title_align="left",
            border_style="green" if v.passed else "red",
        )
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    for col in ("", "source", "test", "result"):
        table.add_column(col, overflow="fold")
    for r in v.tests:
        if r.test.name in v.discarded:
            mark, result = "[yellow]–[/]", "discarded: no candidate passes it (the test is probably wrong)"
        elif r.test.source == "probe":
            mark, result = _MARK[r.passed], f"returned {r.output}" if r.passed else (r.error or "failed")
        else:
            mark, result = _MARK[r.passed], "passed" if r.passed else (r.error or "failed")
        table.add_row(mark, r.test.source, escape(r.test.name), escape(result))
    body = Group("\n".join(lines), table)
    return Panel(body, title="verification", title_align="left", border_style="green" if v.passed else "red")


def error(message: str) -> None:
    err.print(f"[bold red]error:[/] {message}", markup=True, soft_wrap=True)


def warning(message: str) -> None:
    err.print(f"[yellow]warning:[/] {message}", markup=True, soft_wrap=True)


class ProgressReporter:
    """models.progress.Reporter drawn as a rich progress bar on stderr."""

    def __init__(self) -> None:
        self._progress: Progress | None = None
        self._task: int | None = None

    def start(self, label: str, total: int) -> None:
        self.finish()
        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=err,
            transient=False,
        )
        self._progress.start()
        self._task = self._progress.add_task(label, total=total)

    def advance(self, amount: int) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.advance(self._task, amount)  # type: ignore[arg-type]

    def finish(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def note(self, message: str) -> None:
        warning(message)
