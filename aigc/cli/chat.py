"""`aigc chat`: a streaming conversation in the terminal, with /reset, /save FILE and /exit."""

from __future__ import annotations

import sys
from pathlib import Path

from aigc.cli import options as o
from aigc.cli.render import err, error, out, stats_line, stream_writer
from aigc.errors import AigcError
from aigc.tasks.chat import ChatSession, chat_params

HELP = "commands: /reset (forget the conversation), /save FILE (.json or .md), /exit (or Ctrl-D)"


def _command(session: ChatSession, line: str) -> bool:
    """Run a /command; False means leave the chat."""
    name, _, arg = line.partition(" ")
    if name in ("/exit", "/quit"):
        return False
    if name == "/reset":
        session.reset()
        err.print("conversation forgotten", style="dim")
    elif name == "/save":
        if not arg.strip():
            error("usage: /save FILE")
        else:
            try:
                err.print(f"saved {session.save(Path(arg.strip()).expanduser())}", style="dim")
            except OSError as exc:
                error(f"cannot save to {arg.strip()}: {exc.strerror or exc}")
    else:
        err.print(HELP, style="dim")
    return True


def chat(
    model: o.ModelOpt = None,
    api_base: o.ApiBaseOpt = None,
    api_key: o.ApiKeyOpt = None,
    engine: o.EngineOpt = None,
    max_tokens: o.MaxTokensOpt = None,
    temperature: o.TemperatureOpt = None,
    seed: o.SeedOpt = None,
) -> None:
    """Talk with the model; answers stream as they are written."""
    settings = o.settings_from(locals())
    params = chat_params(o.params_from(settings), settings.temperature)
    eng = o.engine_from(settings)
    session = ChatSession(eng, params)
    tty = sys.stdin.isatty()
    if tty:
        import readline  # noqa: F401  (line editing and history for input())
    err.print(f"aigc chat · {eng.model_name} · {HELP}", style="dim")
    write = stream_writer(to_stderr=False)
    try:
        while True:
            try:
                line = input("you> " if tty else "")
            except EOFError:
                break
            if not line.strip():
                continue
            if line.startswith("/"):
                if not _command(session, line.strip()):
                    break
                continue
            out.print("[bold cyan]aigc>[/] ", end="")
            try:
                turn = session.send(line, write)
            except KeyboardInterrupt:
                out.print()
                err.print("(answer stopped; what was said is kept)", style="dim")
                continue
            except AigcError as exc:
                out.print()
                error(str(exc))
                continue
            out.print()
            if turn.dropped_messages:
                err.print(f"(forgot the {turn.dropped_messages} oldest messages to fit the context)", style="dim")
            c = turn.completion
            if c.finish_reason == "length":
                err.print("(the answer was cut at --max-tokens)", style="dim")
            err.print(stats_line(c.usage, c.timings, c.model), style="dim")
    finally:
        eng.close()
