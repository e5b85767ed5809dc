"""`aigc inspect`: generate with the from-scratch model and show why each token was chosen."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from aigc.cli import options as o
from aigc.cli.render import err, out, progress
from aigc.errors import UsageError


def inspect(
    prompt: Annotated[str, typer.Argument(help="Text to continue (code), or a request to answer (words).")],
    max_tokens: Annotated[int, typer.Option("--max-tokens", min=1, max=1024, help="Tokens to generate.")] = 32,
    top: Annotated[int, typer.Option("--top", min=1, max=20, help="Alternatives to show per token.")] = 5,
    attention: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--attention", help="LAYER:HEAD whose attention to record and draw (e.g. 12:3)."),
    ] = None,
    png: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--png", help="Where the attention heatmap goes (default attention-LAYER-HEAD.png)."),
    ] = None,
    html: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--html", help="Write a self-contained page with hoverable tokens."),
    ] = None,
    chat: Annotated[
        Optional[bool],  # noqa: UP045
        typer.Option(
            "--chat/--raw", help="Ask as a chat message, or continue the text as written. Default: by its look."
        ),
    ] = None,
    dtype: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--dtype", help="Weights as float32 (default), bfloat16 or float16: half the memory, faster."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print every step as JSON.")] = False,
    model: o.ModelOpt = None,
    temperature: o.TemperatureOpt = None,
    seed: o.SeedOpt = None,
) -> None:
    """Generate token by token with the from-scratch GPT (aigc.gpt): probabilities, alternatives, attention."""
    from aigc.cli.inspect_views import heatmap, html_page
    from aigc.config import load_settings
    from aigc.engines.gpt import GPTEngine
    from aigc.gpt.generate import Step
    from aigc.tasks.inspect import inspect as run_inspect
    from aigc.tasks.inspect import parse_head

    head = parse_head(attention)
    if png is not None and head is None:
        raise UsageError("--png draws an attention head: pass --attention LAYER:HEAD too")
    settings = load_settings(engine="gpt", model=model, temperature=temperature, seed=seed, gpt_dtype=dtype)
    progress("loading the model into the from-scratch GPT")
    engine = o.engine_from(settings)  # the same engine as aigc gen --engine gpt
    assert isinstance(engine, GPTEngine)

    def show(step: Step) -> None:  # the text as it is generated, on stderr; the table follows on stdout
        sys.stderr.write("" if step.end else step.piece)
        sys.stderr.flush()

    result = run_inspect(
        prompt,
        engine,
        max_tokens=max_tokens,
        top=top,
        attention=head,
        chat=chat,
        temperature=settings.temperature or 0.0,
        seed=settings.seed,
        on_step=None if as_json else show,
    )
    if not as_json:
        sys.stderr.write("\n")
    if as_json:
        sys.stdout.write(json.dumps(result.to_json(), ensure_ascii=False, indent=2) + "\n")
    else:
        out.print(_table(result, top))
        err.print(
            f"{result.model} · {result.mode} · {len(result.steps)} tokens · {result.tokens_per_s:.1f} tokens/s",
            style="dim",
        )
    if head is not None:
        path = heatmap(result, png or Path(f"attention-{head[0]}-{head[1]}.png"))
        err.print(f"wrote {path} (attention of layer {head[0]}, head {head[1]})")
    if html is not None:
        html.parent.mkdir(parents=True, exist_ok=True)
        html.write_text(html_page(result), encoding="utf-8")
        err.print(f"wrote {html}")


def _table(result: object, top: int) -> Table:
    from aigc.tasks.inspect import InspectResult

    assert isinstance(result, InspectResult)
    table = Table(title=f"why each token: {result.model}")
    for name, justify in (
        ("#", "right"),
        ("token", "left"),
        ("P", "right"),
        ("entropy", "right"),
        (f"top {top} alternatives", "left"),
    ):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for i, s in enumerate(result.steps, 1):
        colour = "green" if s.prob >= 0.8 else "yellow" if s.prob >= 0.4 else "red"
        alts = "  ".join(f"{a.piece!r} {a.prob:.0%}" for a in s.alternatives if a.token != s.token)
        token = repr(s.piece) + (" (end)" if s.end else "")
        table.add_row(str(i), token, f"[{colour}]{s.prob:.1%}[/]", f"{s.entropy:.2f}", alts)
    return table
