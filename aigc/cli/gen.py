"""`aigc gen`: requirement in, code out."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from aigc.cli import options as o
from aigc.cli.render import (
    code_panel,
    err,
    out,
    progress,
    stats_line,
    stream_writer,
    verification_report,
    warning,
)
from aigc.errors import UsageError
from aigc.tasks.generate import generate
from aigc.verify.candidates import GenerationResult
from aigc.verify.tests import read_user_tests


def _requirement(text: str | None, file: Path | None) -> str:
    if text is not None and file is not None:
        raise UsageError("give the requirement as an argument or with -f FILE, not both")
    if file is not None:
        return o.read_text_file(file)
    if text is not None and text != "-":
        return text
    if text == "-" or not sys.stdin.isatty():
        return sys.stdin.read()
    raise UsageError('no requirement: aigc gen "what the code should do" (or -f FILE, or pipe it in)')


def write_output(result: GenerationResult, output: str) -> list[Path]:
    """-o FILE writes the code; -o DIR/ (or an existing DIR) writes every file the reply named, under DIR."""
    target = Path(output).expanduser()
    if target.is_dir() or output.endswith(("/", os.sep)):
        written = []
        for f in result.files:
            path = target / f.path  # paths were made safe (relative, no '..', no hidden folders) by extraction
            path.parent.mkdir(parents=True, exist_ok=True)
            if any(p.is_symlink() for p in [path, *path.parents] if p.is_relative_to(target) and p != target):
                raise UsageError(f"not writing {path}: a link on its way would take it outside {target}")
            path.write_text(f.content, encoding="utf-8")
            written.append(path)
        return written
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(result.code, encoding="utf-8")
    return [target]


def gen(
    requirement: Annotated[str | None, typer.Argument(help="What the code should do; '-' reads stdin.")] = None,
    file: Annotated[Path | None, typer.Option("--file", "-f", help="Read the requirement from a file.")] = None,
    lang: Annotated[
        str | None, typer.Option("--lang", "-l", help="Target language (default: as named, else python).")
    ] = None,
    n: Annotated[
        int | None,
        typer.Option("-n", min=1, max=32, help="Candidates (the first greedy); default 5 verifying, else 1."),
    ] = None,
    verify: Annotated[
        bool, typer.Option("--verify/--no-verify", help="Check, test in the sandbox, rank and repair (Python).")
    ] = True,
    tests: Annotated[Path | None, typer.Option("--tests", help="Your own tests (a pytest-style file).")] = None,
    max_rounds: Annotated[int, typer.Option("--max-rounds", min=0, max=10, help="Repair rounds at most.")] = 2,
    output: Annotated[
        str | None,
        typer.Option("--output", "-o", help="Write the code to FILE (or the reply's files into DIR/)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object instead of text.")] = False,
    model: o.ModelOpt = None,
    api_base: o.ApiBaseOpt = None,
    api_key: o.ApiKeyOpt = None,
    engine: o.EngineOpt = None,
    max_tokens: o.MaxTokensOpt = None,
    temperature: o.TemperatureOpt = None,
    seed: o.SeedOpt = None,
) -> None:
    """Generate code for a requirement, streaming the model's answer."""
    text = _requirement(requirement, file)
    if not text.strip():
        raise UsageError("the requirement is empty: say what the code should do")
    own_tests = read_user_tests(tests) if tests is not None else None
    settings = o.settings_from(locals())
    eng = o.engine_from(settings)
    interactive = sys.stdout.isatty() and not as_json
    # Piped output gets only the code on stdout; the stream goes to stderr so the user still sees it.
    on_text = None if as_json else stream_writer(to_stderr=not interactive)
    try:
        result = generate(
            text,
            eng,
            o.params_from(settings),
            language=lang,
            temperature=settings.temperature,
            on_text=on_text,
            verify=verify,
            n=n,
            max_rounds=max_rounds,
            tests=own_tests,
            on_event=progress,
        )
    finally:
        eng.close()
    if on_text is not None:
        on_text("\n")
    if output is not None:
        for path in write_output(result, output):
            err.print(f"wrote {path}")
    if as_json:
        sys.stdout.write(json.dumps(result.to_json(), ensure_ascii=False, indent=2) + "\n")
        return
    if result.best.finish_reason == "length":
        warning("the answer was cut at --max-tokens; the code may be incomplete")
    if not result.code:
        warning("the answer holds no code block")
    if interactive:
        out.print()
        for f in result.files if len(result.files) > 1 else []:
            out.print(code_panel(f.content, f.language or result.language, title=f.path))
        if len(result.files) <= 1 and result.code:
            out.print(code_panel(result.code, result.language))
    elif result.code:
        sys.stdout.write(result.code)
    if result.verification is not None:
        err.print(verification_report(result.verification))
    err.print(stats_line(result.usage, result.timings, result.model), style="dim")
