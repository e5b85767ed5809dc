"""Everything the CLI shows: streamed text, highlighted code, stats lines, progress bars, errors."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from rich.console import Console
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

if TYPE_CHECKING:
    from aigc.engines.base import Timings, Usage

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
