"""One settings model for everything configurable: defaults < aigc.toml < AIGC_* environment < flags.

aigc.toml is looked for in $AIGC_CONFIG, then ./aigc.toml, then $XDG_CONFIG_HOME/aigc/aigc.toml. The
server's settings are its [server] table, AIGC_SERVER__NAME in the environment, and `aigc serve`'s flags.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from aigc.errors import ConfigError
from aigc.models.catalogue import DEFAULT_MODEL

EngineName = Literal["llamacpp", "gpt", "openai", "fake"]


def config_file() -> Path | None:
    """The aigc.toml in force, if any."""
    explicit = os.environ.get("AIGC_CONFIG")
    if explicit:
        return Path(explicit).expanduser()
    local = Path("aigc.toml")
    if local.is_file():
        return local
    xdg = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    user = xdg / "aigc" / "aigc.toml"
    return user if user.is_file() else None


def default_home() -> Path:
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "aigc"


class ServerSettings(BaseModel):
    """`aigc serve`: where it listens, who may talk to it, and the bounds on every queue, body and job."""

    model_config = ConfigDict(extra="forbid")

    host: str = Field(default="127.0.0.1", description="address to listen on (loopback by default)")
    port: int = Field(default=8321, ge=0, le=65535, description="port to listen on")
    api_key_file: Path | None = Field(default=None, description="keys clients must send, one per line")
    cors_origins: list[str] = Field(default_factory=list, description="browser origins allowed besides the page's")
    allowed_hosts: list[str] = Field(default_factory=list, description="Host names besides loopback and `host`")
    data_dir: Path | None = Field(default=None, description="history.sqlite3 and projects/; default: <home>/server")
    max_body_bytes: int = Field(default=2 * 1024 * 1024, ge=1024, description="largest request body; more get 413")
    max_tokens_limit: int = Field(default=4096, ge=1, description="the most max_tokens a request may ask for")
    max_waiting: int = Field(default=16, ge=0, description="requests that may wait for the model; more get 429")
    max_candidates: int = Field(default=8, ge=1, description="the most candidates a generation request may ask for")
    project_workers: int = Field(default=1, ge=1, description="projects built at once")
    max_project_queue: int = Field(default=4, ge=0, description="projects that may wait for a worker; more get 429")
    keep_projects: int = Field(default=50, ge=1, description="finished projects kept; older ones are removed")
    project_max_age_days: float = Field(default=30.0, gt=0, description="finished projects older than this are removed")
    max_previews: int = Field(default=2, ge=0, description="generated apps served at once in previews")
    preview_port: int = Field(default=0, ge=0, le=65535, description="the previews' own origin; 0: any free port")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="AIGC_", env_nested_delimiter="__", extra="forbid", validate_default=True
    )

    engine: EngineName | None = Field(
        default=None,
        description="llamacpp (embedded), gpt (from scratch), openai (a server) or fake; default: openai with api_base",
    )
    model: str | None = Field(default=None, description="catalogue name, .gguf path, hub repo/file, or server model")
    api_base: str | None = Field(default=None, description="base URL of an OpenAI-compatible server")
    api_key: SecretStr | None = Field(default=None, description="API key for the server (or OPENAI_API_KEY)")
    api_timeout_s: float = Field(default=600.0, gt=0, description="seconds to wait for a server")
    home: Path = Field(default_factory=default_home, description="cache: assembled models, hub downloads")
    n_ctx: int = Field(default=8192, ge=256, description="context size of the embedded engine, in tokens")
    threads: int | None = Field(default=None, ge=1, description="CPU threads; default: physical cores")
    max_tokens: int = Field(default=1024, ge=1)
    temperature: float | None = Field(
        default=None,
        ge=0,
        description="sampling temperature; default: the first candidate greedy, others 0.8",
    )
    top_p: float = Field(default=0.95, gt=0, le=1)
    top_k: int = Field(default=40, ge=0)
    seed: int | None = None
    gpt_dtype: Literal["float32", "bfloat16", "float16"] = Field(
        default="float32", description="how the from-scratch model stores its weights (bfloat16: half the memory)"
    )
    unsafe_no_sandbox: bool = Field(
        default=False,
        description="where bubblewrap cannot run, run generated code anyway, with rlimits only (NOT isolated)",
    )
    fake_replies: Path | None = Field(default=None, description="JSON list of replies for the fake engine")
    fake_delay_s: float = Field(default=0.0, ge=0, description="fake engine: seconds per streamed piece")
    server: ServerSettings = Field(default_factory=ServerSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        path = config_file()
        if path is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)

    @property
    def engine_name(self) -> EngineName:
        if self.engine is not None:
            return self.engine
        return "openai" if self.api_base else "llamacpp"

    @property
    def model_name(self) -> str | None:
        """The model to use; None for a server means 'the first one it lists'."""
        if self.model:
            return self.model
        return DEFAULT_MODEL if self.engine_name in ("llamacpp", "gpt") else None

    def resolved_api_key(self) -> str | None:
        if self.api_key is not None:
            return self.api_key.get_secret_value()
        return os.environ.get("OPENAI_API_KEY")


def validation_problems(exc: ValidationError) -> str:
    """A pydantic error as one line: each bad field's path and what is wrong with it."""
    return "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())


def load_settings(**overrides: Any) -> Settings:
    """Settings from every source, flags (non-None overrides) winning; errors name the bad field."""
    flags = {k: v for k, v in overrides.items() if v is not None}
    path = config_file()
    if path is not None and not path.is_file():
        raise ConfigError(f"the config file {path} (from AIGC_CONFIG) does not exist")
    try:
        return Settings(**flags)
    except ValidationError as exc:
        problems = validation_problems(exc)
        where = f" (config file {path})" if path else ""
        raise ConfigError(f"invalid configuration{where}: {problems}") from exc
    except ValueError as exc:  # a TOML syntax error
        raise ConfigError(f"cannot read the config file {path}: {exc}") from exc
