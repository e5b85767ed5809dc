"""Run llama-cpp-python's own OpenAI-compatible server, the real peer of the openai engine's tests.

    python -m tests.integration.llama_server --model PATH --port N

The same AMX workaround as aigc's embedded engine is applied first (see aigc.engines.llamacpp),
since the server loads the model through the same Llama class.
"""

from __future__ import annotations

import sys

from aigc.engines.llamacpp import _without_extra_buffer_types, cpu_has_amx


def main() -> None:
    from llama_cpp.server.__main__ import main as server_main

    if cpu_has_amx():
        guard = _without_extra_buffer_types()
        guard.__enter__()  # kept for the life of the process: the server loads its model at start
    sys.argv[0] = "llama_cpp.server"
    server_main()


if __name__ == "__main__":
    main()
