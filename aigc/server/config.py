"""What a running server holds: its [server] settings (aigc.config.ServerSettings, the one place their
defaults live) and what was worked out when it started: the cache, the data folder, the keys, the
sampling defaults."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from pydantic import ConfigDict, Field

from aigc.config import ServerSettings, Settings
from aigc.engines.base import GenerationParams
from aigc.errors import UsageError
from aigc.server.errors import ApiError
from aigc.server.security import check_bind, read_keys


class ServerConfig(ServerSettings):
    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    home: Path  # aigc's cache: the generated projects' shared environment
    data_dir: Path  # history.sqlite3 and projects/
    api_keys: list[str] = Field(default_factory=list)
    defaults: GenerationParams  # the server's sampling, under each request's own
    temperature: float | None = None  # the temperature the server was started with; None: each task's own

    @classmethod
    def from_settings(cls, settings: Settings, defaults: GenerationParams) -> ServerConfig:
        """The config a server starts with, refused (UsageError) when the settings cannot be served safely:
        an address beyond loopback without keys, or a default max_tokens above the limit."""
        server = settings.server
        api_keys = read_keys(server.api_key_file) if server.api_key_file is not None else []
        check_bind(server.host, api_keys)
        if defaults.max_tokens > server.max_tokens_limit:
            raise UsageError(
                f"max_tokens {defaults.max_tokens} is above the server's limit {server.max_tokens_limit} "
                "(--max-tokens-limit)"
            )
        data_dir = (server.data_dir or settings.home / "server").expanduser()
        fields = server.model_dump(exclude={"data_dir"})
        return cls(
            **fields,
            home=settings.home,
            data_dir=data_dir,
            api_keys=api_keys,
            defaults=defaults,
            temperature=settings.temperature,
        )

    def params(
        self,
        max_tokens: int | None,
        *,
        default_max: int | None = None,
        temperature: float | None = None,
        top_p: float | None = None,
        seed: int | None = None,
        stop: tuple[str, ...] = (),
    ) -> GenerationParams:
        """A request's sampling settings over the server's defaults; max_tokens above the limit is refused."""
        limit = self.max_tokens_limit
        wanted = max_tokens if max_tokens is not None else min(default_max or self.defaults.max_tokens, limit)
        if wanted > limit:
            raise ApiError(400, f"max_tokens is {wanted}, more than this server's limit of {limit}", param="max_tokens")
        d = self.defaults
        return replace(
            d,
            max_tokens=wanted,
            temperature=d.temperature if temperature is None else temperature,
            top_p=d.top_p if top_p is None else top_p,
            seed=seed,
            stop=stop,
        )
