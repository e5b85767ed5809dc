"""`aigc serve`: the OpenAI-compatible API, native endpoints and the web page, on one port."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Optional

import typer

from aigc.cli import options as o
from aigc.cli.render import err
from aigc.errors import UsageError


def _logging(verbose: bool) -> None:
    from aigc.server.app import RequestIdFilter

    handler = logging.StreamHandler()
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"))
    server_log = logging.getLogger("aigc")
    server_log.handlers[:] = [handler]
    server_log.setLevel(logging.DEBUG if verbose else logging.INFO)
    server_log.propagate = False


def serve(
    host: Annotated[str, typer.Option("--host", help="Address to listen on (loopback by default).")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", "-p", min=0, max=65535, help="Port to listen on.")] = 8321,
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
    max_queue: Annotated[int, typer.Option("--max-queue", min=0, help="Requests that may wait for the model.")] = 16,
    max_tokens_limit: Annotated[
        int, typer.Option("--max-tokens-limit", min=1, help="The most max_tokens a request may ask for.")
    ] = 4096,
    max_body_mb: Annotated[float, typer.Option("--max-body-mb", min=0.01, help="Largest request body, MB.")] = 2.0,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log diagnostics too.")] = False,
    model: o.ModelOpt = None,
    api_base: o.ApiBaseOpt = None,
    api_key: o.ApiKeyOpt = None,
    engine: o.EngineOpt = None,
    max_tokens: o.MaxTokensOpt = None,
    temperature: o.TemperatureOpt = None,
) -> None:
    """Serve the model: OpenAI API at /v1, verified generation and projects at /api, the page at /."""
    import uvicorn

    from aigc.server.app import ServerConfig, create_app
    from aigc.server.security import check_bind, read_keys

    keys = read_keys(api_key_file) if api_key_file is not None else []
    check_bind(host, keys)  # before the model loads
    settings = o.settings_from(
        model=model, api_base=api_base, api_key=api_key, engine=engine, max_tokens=max_tokens, temperature=temperature
    )
    defaults = o.params_from(settings)  # greedy unless a temperature is set, as aigc gen's first candidate
    config = ServerConfig(
        host=host,
        port=port,
        api_keys=keys,
        cors_origins=list(cors_origin or []),
        allowed_hosts=list(allowed_host or []),
        data_dir=(data_dir or settings.home / "server").expanduser(),
        home=settings.home,
        max_body_bytes=int(max_body_mb * 1024 * 1024),
        max_tokens_limit=max_tokens_limit,
        max_waiting=max_queue,
        defaults=defaults,
    )
    if defaults.max_tokens > max_tokens_limit:
        raise UsageError(f"max_tokens {defaults.max_tokens} is above --max-tokens-limit {max_tokens_limit}")
    eng = o.engine_from(settings)
    app = create_app(eng, config)
    _logging(verbose)
    shown = "localhost" if host in ("127.0.0.1", "::1") else host
    where = (
        f"aigc serve: http://{shown}:{port}/ · model {eng.model_name} · OpenAI API at /v1 · data in {config.data_dir}"
    )
    err.print(where + (f" · {len(keys)} API key(s)" if keys else ""), soft_wrap=True)
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False, timeout_graceful_shutdown=5)
