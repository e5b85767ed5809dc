"""Options shared by the commands that talk to a model, and how they become Settings and an engine."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from aigc.config import Settings, load_settings
from aigc.engines import Engine, create_engine
from aigc.engines.base import GenerationParams

# typer reads these annotations at run time, so Optional[...] (not "X | None") keeps Python 3.10 happy.
ModelOpt = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(
        "--model",
        "-m",
        help="Catalogue name, path to a .gguf, hub 'owner/repo/file.gguf', or a server's model.",
    ),
]
ApiBaseOpt = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option("--api-base", help="Base URL of an OpenAI-compatible server, e.g. http://127.0.0.1:8000/v1."),
]
ApiKeyOpt = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option("--api-key", help="API key for the server (default: AIGC_API_KEY or OPENAI_API_KEY)."),
]
EngineOpt = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(
        "--engine", help="llamacpp (embedded), gpt (from scratch), openai or fake. Default: openai with --api-base."
    ),
]
MaxTokensOpt = Annotated[Optional[int], typer.Option("--max-tokens", min=1, help="Most tokens to generate.")]  # noqa: UP045
TemperatureOpt = Annotated[
    Optional[float],  # noqa: UP045
    typer.Option("--temperature", "-t", min=0.0, help="Sampling temperature; 0 is greedy."),
]
SeedOpt = Annotated[Optional[int], typer.Option("--seed", help="Random seed, for repeatable sampling.")]  # noqa: UP045


MODEL_FLAGS = ("model", "api_base", "api_key", "engine", "max_tokens", "temperature", "seed")


def settings_from(flags: Mapping[str, Any], **more: Any) -> Settings:
    """Settings with a command's model flags over every other source: those of MODEL_FLAGS found in `flags`
    (the command's locals()), and `more` (other settings the command sets); None means not given."""
    return load_settings(**{k: flags[k] for k in MODEL_FLAGS if k in flags}, **more)


def params_from(settings: Settings) -> GenerationParams:
    return GenerationParams(
        max_tokens=settings.max_tokens,
        temperature=settings.temperature if settings.temperature is not None else 0.0,
        top_p=settings.top_p,
        top_k=settings.top_k,
        seed=settings.seed,
    )


def engine_from(settings: Settings) -> Engine:
    from aigc.cli.render import ProgressReporter

    return create_engine(settings, ProgressReporter())


def read_text_file(path: Path) -> str:
    from aigc.errors import UsageError

    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path} is not UTF-8 text") from exc
