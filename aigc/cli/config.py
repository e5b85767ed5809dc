"""`aigc config show`: the settings in force and where each comes from."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from aigc.cli.render import out
from aigc.config import ServerSettings, Settings, config_file, load_settings

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

app = typer.Typer(help="Show the configuration (aigc.toml and AIGC_* variables).", no_args_is_help=True)


def _rows(settings: Settings, in_file: dict[str, Any], path: Path | None) -> list[tuple[str, str, str, str]]:
    """(setting, value, from, meaning) for every setting; the server's as `server.NAME` rows."""
    rows = []
    for name, field in Settings.model_fields.items():
        if name == "server":
            continue
        value = getattr(settings, name)
        shown = "***" if name == "api_key" and value is not None else ("" if value is None else str(value))
        env = f"AIGC_{name.upper()}"
        source = env if env in os.environ else (str(path) if name in in_file else "default")
        rows.append((name, shown, source, field.description or ""))
    table = in_file.get("server", {})
    for name, field in ServerSettings.model_fields.items():
        value = getattr(settings.server, name)
        env = f"AIGC_SERVER__{name.upper()}"
        source = env if env in os.environ else (escape(f"[server] in {path}") if name in table else "default")
        rows.append((f"server.{name}", "" if value is None else str(value), source, field.description or ""))
    return rows


@app.command()
def show() -> None:
    """Every setting, its value, and the file or variable that set it (flags are per command)."""
    settings = load_settings()
    path = config_file()
    in_file: dict[str, Any] = {}
    if path is not None and path.is_file():
        with path.open("rb") as f:
            in_file = tomllib.load(f)
    table = Table(title=f"configuration (file: {path or 'none'})")
    for col in ("setting", "value", "from", "meaning"):
        table.add_column(col)
    for row in _rows(settings, in_file, path):
        table.add_row(*row)
    out.print(table)
    out.print(f"engine in use: {settings.engine_name}; model: {settings.model_name or '(the first the server lists)'}")
    from aigc.sandbox.runner import describe

    box = describe()
    colour = "green" if box["isolated"] else ("yellow" if box["backend"] == "rlimit" else "red")
    out.print(f"sandbox for generated code: [{colour}]{box['backend']}[/] ({box['detail']}; limits: {box['limits']})")
