"""A real uvicorn server on loopback, in a thread of the test process, serving create_app over an engine."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from aigc.engines.base import Engine, GenerationParams, Request
from aigc.engines.fake import FakeEngine
from aigc.server.app import ServerConfig, create_app


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Live:
    url: str
    app: Any
    engine: Engine

    @property
    def v1(self) -> str:
        return self.url + "/v1"


@dataclass
class Started:
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


def start(engine: Engine, config: ServerConfig) -> tuple[Live, Started]:
    app = create_app(engine, config)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           access_log=False, timeout_graceful_shutdown=2))  # fmt: skip
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    return Live(f"http://127.0.0.1:{port}", app, engine), Started(server, thread)


def config_for(tmp_path: Path, home: Path, **change: Any) -> ServerConfig:
    base = ServerConfig(data_dir=tmp_path / "server", home=home,
                        defaults=GenerationParams(max_tokens=256, temperature=0.0))  # fmt: skip
    for key, value in change.items():
        setattr(base, key, value)
    return base


ServerFactory = Callable[..., Live]


@pytest.fixture(scope="session")
def server_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """aigc's cache for server tests: the generated projects' shared environment is made here once."""
    return tmp_path_factory.mktemp("server-home")


@pytest.fixture
def serve(tmp_path: Path, server_home: Path) -> Iterator[ServerFactory]:
    """serve(engine=None, **config changes) -> a running server; all are stopped after the test."""
    started: list[Started] = []

    def factory(engine: Engine | None = None, **change: Any) -> Live:
        live, handle = start(engine or FakeEngine(echo), config_for(tmp_path, server_home, **change))
        started.append(handle)
        return live

    yield factory
    for handle in started:
        handle.stop()


def echo(request: Request) -> str:
    """A reply that names what it was asked, so each client can tell its own answer from another's."""
    if request.messages:
        return f"You said: {request.messages[-1].content}"
    if request.suffix is not None:
        return f"<middle of {request.prompt!r} and {request.suffix!r}>"
    return f"after {request.prompt!r}"
