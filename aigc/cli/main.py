"""`aigc`: the command-line surface. Each command parses its arguments and calls one task function."""

from __future__ import annotations

import logging
import os
import sys
from typing import NoReturn

import typer

from aigc import __version__
from aigc.cli import chat as chat_cmd
from aigc.cli import config as config_cmd
from aigc.cli import eval as eval_cmd
from aigc.cli import gen as gen_cmd
from aigc.cli import inspect as inspect_cmd
from aigc.cli import model as model_cmd
from aigc.cli import new as new_cmd
from aigc.cli import serve as serve_cmd
from aigc.cli.render import error
from aigc.errors import AigcError

app = typer.Typer(
    name="aigc",
    help="aigc-coder: describe what you want (中文 or English), get working code from a local model.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.command("gen")(gen_cmd.gen)
app.command("chat")(chat_cmd.chat)
app.command("new")(new_cmd.new)
app.command("serve")(serve_cmd.serve)
app.command("inspect")(inspect_cmd.inspect)
app.add_typer(model_cmd.app, name="model")
app.add_typer(config_cmd.app, name="config")
app.add_typer(eval_cmd.app, name="eval")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"aigc-coder {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log diagnostics to stderr."),
    unsafe_no_sandbox: bool = typer.Option(
        False,
        "--unsafe-no-sandbox",
        help="Where bubblewrap cannot run, run generated code anyway with rlimits only: NOT isolated from your files.",
    ),
) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    from aigc.sandbox.runner import allow_unconfined

    allow_unconfined(unsafe_no_sandbox or _setting_allows_unconfined())


def _setting_allows_unconfined() -> bool:
    """unsafe_no_sandbox from aigc.toml or AIGC_UNSAFE_NO_SANDBOX; a broken config is the command's to report."""
    from aigc.config import load_settings
    from aigc.errors import ConfigError

    try:
        return load_settings().unsafe_no_sandbox
    except ConfigError:
        return False


def run() -> NoReturn:
    """Console-script entry: aigc errors become one red line and their exit code, Ctrl-C exits 130."""
    try:
        # Without standalone mode typer returns exit codes instead of exiting, Ctrl-C included (as 130).
        returned = app(standalone_mode=False)
    except AigcError as exc:
        error(str(exc))
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.stderr.write("\ninterrupted\n")
        sys.exit(130)
    except (typer.Abort, EOFError):
        sys.stderr.write("\naborted\n")
        sys.exit(130)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except Exception as exc:  # click's usage errors (typer ships its own click) and anything unexpected
        show, code = getattr(exc, "show", None), getattr(exc, "exit_code", None)
        if callable(show) and isinstance(code, int):
            show()
            sys.exit(code)
        if os.environ.get("AIGC_DEBUG"):
            raise
        error(f"unexpected {type(exc).__name__}: {exc} (set AIGC_DEBUG=1 for the traceback)")
        sys.exit(1)
    code = returned if isinstance(returned, int) else 0
    if code == 130:
        sys.stderr.write("\ninterrupted\n")
    sys.exit(code)
