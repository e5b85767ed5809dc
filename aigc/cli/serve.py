"""`aigc serve`: the OpenAI-compatible API, native endpoints and the web page, on one port."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Optional

import typer

from aigc.cli import options as o
from aigc.cli.render import err


def _logging(verbose: bool) -> None:
    from aigc.server.errors import RequestIdFilter

    handler = logging.StreamHandler()
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"))
    server_log = logging.getLogger("aigc")
    server_log.handlers[:] = [handler]
    server_log.setLevel(logging.DEBUG if verbose else logging.INFO)
    server_log.propagate = False


def serve(
    host: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--host", help="Address to listen on (default: loopback, 127.0.0.1)."),
    ] = None,
    port: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option("--port", "-p", min=0, max=65535, help="Port to listen on (default: 8321)."),
    ] = None,
    api_key_file: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--api-key-file", help="Keys clients must send (one per line); required beyond loopback."),
    ] = None,
    cors_origin: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Option("--cors-origin", help="Allow browser pages from this origin (repeatable). Default: none."),
    ] = None,
    allowed_host: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Option("--allowed-host", help="A host name clients may use besides loopback's (repeatable)."),
    ] = None,
    data_dir: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--data-dir", help="Conversations (SQLite) and projects. Default: <aigc home>/server."),
    ] = None,
    max_queue: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option("--max-queue", min=0, help="Requests that may wait for the model (default: 16)."),
    ] = None,
    max_tokens_limit: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option("--max-tokens-limit", min=1, help="The most max_tokens a request may ask for (default: 4096)."),
    ] = None,
    max_body_mb: Annotated[
        Optional[float],  # noqa: UP045
        typer.Option("--max-body-mb", min=0.01, help="Largest request body, MB (default: 2)."),
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log diagnostics too.")] = False,
    model: o.ModelOpt = None,
    api_base: o.ApiBaseOpt = None,
    api_key: o.ApiKeyOpt = None,
    engine: o.EngineOpt = None,
    max_tokens: o.MaxTokensOpt = None,
    temperature: o.TemperatureOpt = None,
) -> None:
    """Serve the model: OpenAI API at /v1, verified generation and projects at /api, the page at /.

    Every flag has a setting: [server] in aigc.toml, or AIGC_SERVER__NAME (e.g. AIGC_SERVER__PORT=9000)."""
    import uvicorn

    from aigc.server.app import create_app
    from aigc.server.config import ServerConfig

    flags = {
        "host": host,
        "port": port,
        "api_key_file": api_key_file,
        "cors_origins": cors_origin or None,
        "allowed_hosts": allowed_host or None,
        "data_dir": data_dir,
        "max_waiting": max_queue,
        "max_tokens_limit": max_tokens_limit,
        "max_body_bytes": None if max_body_mb is None else int(max_body_mb * 1024 * 1024),
    }
    settings = o.settings_from(locals(), server={k: v for k, v in flags.items() if v is not None})
    # greedy unless a temperature is set, as aigc gen's first candidate; checked before the model loads
    config = ServerConfig.from_settings(settings, o.params_from(settings))
    keys = config.api_keys
    eng = o.engine_from(settings)
    app = create_app(eng, config)
    _logging(verbose)
    shown = "localhost" if config.host in ("127.0.0.1", "::1") else config.host
    where = (
        f"aigc serve: http://{shown}:{config.port}/ · model {eng.model_name} · OpenAI API at /v1 · "
        f"data in {config.data_dir}"
    )
    err.print(where + (f" · {len(keys)} API key(s)" if keys else ""), soft_wrap=True)
    uvicorn.run(
        app, host=config.host, port=config.port, log_level="warning", access_log=False, timeout_graceful_shutdown=5
    )
