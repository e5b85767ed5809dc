"""aigc-coder: requirement in, verified code out, on an embedded code model or any OpenAI-compatible server."""

from __future__ import annotations

__version__ = "0.1.0"
