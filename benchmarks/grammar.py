"""Grammar-constrained decoding: aigc's sampler (asks the grammar about the picked token only) against
llama-cpp-python's (the grammar judges the whole vocabulary at every step), same model, prompt and
JSON schema, greedy, in one process; tokens/s (the prompt evaluated on both sides) and whether both
produced the same tokens.

    .venv/bin/python benchmarks/grammar.py [--tokens 96] [--rounds 2]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from aigc.config import load_settings  # noqa: E402
from aigc.engines import create_engine  # noqa: E402
from aigc.engines.base import GenerationParams, Message, Request  # noqa: E402
from aigc.project.draft import DRAFT_SCHEMA  # noqa: E402

PROMPT = "A small web app: members log in and keep a list of books they have read, with a rating."


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tokens", type=int, default=96)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    from llama_cpp.llama_grammar import LlamaGrammar

    engine = create_engine(load_settings())
    params = GenerationParams(max_tokens=args.tokens, temperature=0, json_schema=DRAFT_SCHEMA)
    request = Request.chat([Message("user", PROMPT)], params)
    tokens = engine.prompt_tokens(request)  # type: ignore[attr-defined]
    llm = engine.llama  # type: ignore[attr-defined]
    rates: dict[str, list[float]] = {"aigc": [], "llama-cpp-python": []}
    texts: dict[str, str] = {}
    for _ in range(args.rounds):
        engine.forget_cache()  # type: ignore[attr-defined]  # both sides evaluate the whole prompt, then decode
        start = time.perf_counter()
        texts["aigc"] = engine.complete(request).text
        rates["aigc"].append(args.tokens / (time.perf_counter() - start))
        engine.forget_cache()  # type: ignore[attr-defined]
        grammar = LlamaGrammar.from_json_schema(json.dumps(DRAFT_SCHEMA), verbose=False)
        start = time.perf_counter()
        out = []
        for token in llm.generate(tokens, temp=0, top_k=40, top_p=0.95, min_p=0.05, grammar=grammar):
            if len(out) == args.tokens or token == llm.token_eos():
                break
            out.append(token)
        rates["llama-cpp-python"].append(len(out) / (time.perf_counter() - start))
        texts["llama-cpp-python"] = llm.detokenize(out).decode("utf-8", "replace")
    ours, theirs = statistics.median(rates["aigc"]), statistics.median(rates["llama-cpp-python"])
    print(f"{args.tokens} tokens, greedy, JSON schema of aigc new's draft, {args.rounds} rounds, medians")
    print(f"aigc sampler:             {ours:6.1f} tokens/s")
    print(f"llama-cpp-python sampler: {theirs:6.1f} tokens/s")
    print(f"ratio: {ours / theirs:.1f}x; same tokens: {texts['aigc'] == texts['llama-cpp-python']}")


if __name__ == "__main__":
    main()
