"""Model backends behind one protocol. `create_engine` picks and builds one from the settings.

Heavy imports (llama_cpp, openai) happen inside the adapter that needs them.
"""

from __future__ import annotations

from aigc.config import Settings
from aigc.engines.base import (
    Choice,
    Chunk,
    Completion,
    Engine,
    GenerationParams,
    Message,
    Request,
    Timings,
    Usage,
)
from aigc.engines.fake import FakeEngine
from aigc.engines.gpt import GPTEngine, require_torch
from aigc.engines.llamacpp import LlamaCppEngine
from aigc.engines.openai_compat import OpenAIEngine
from aigc.errors import ConfigError
from aigc.models.progress import Reporter
from aigc.models.resolve import resolve

__all__ = [
    "Choice",
    "Chunk",
    "Completion",
    "Engine",
    "GenerationParams",
    "Message",
    "Request",
    "Timings",
    "Usage",
    "create_engine",
]


def create_engine(settings: Settings, reporter: Reporter | None = None) -> Engine:
    name = settings.engine_name
    if name == "fake":
        if settings.fake_replies:
            return FakeEngine.from_file(settings.fake_replies, delay_s=settings.fake_delay_s)
        return FakeEngine(delay_s=settings.fake_delay_s)
    if name == "openai":
        if not settings.api_base:
            raise ConfigError("the openai engine needs a server: pass --api-base URL or set AIGC_API_BASE")
        return OpenAIEngine(
            settings.api_base,
            settings.resolved_api_key(),
            settings.model_name,
            timeout_s=settings.api_timeout_s,
        )
    model = resolve(settings.model_name or "default", settings.home, reporter)
    if name == "gpt":
        require_torch()
        return GPTEngine(
            model.path, name=model.name, n_ctx=settings.n_ctx, threads=settings.threads, dtype=settings.gpt_dtype
        )
    return LlamaCppEngine(model.path, name=model.name, n_ctx=settings.n_ctx, threads=settings.threads)
