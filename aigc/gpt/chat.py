"""Chat messages -> the prompt text the model was trained on, by the GGUF's own Jinja chat template."""

from __future__ import annotations

from typing import Any


def render_chat(template: str, messages: list[dict[str, str]], *, bos: str = "", eos: str = "") -> str:
    """The template rendered with a generation prompt at the end (the assistant's turn begins)."""
    from jinja2.exceptions import TemplateError
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    def raise_exception(message: str) -> Any:
        raise TemplateError(message)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
    return env.from_string(template).render(
        messages=messages, add_generation_prompt=True, bos_token=bos, eos_token=eos, raise_exception=raise_exception
    )
