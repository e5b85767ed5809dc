"""Tests the model writes from the requirement alone: a separate prompt that never shows any candidate's
code. Only the interface (the function's name and parameters) is shared, so the tests can call it."""

from __future__ import annotations

import ast
from collections import Counter
from collections.abc import Callable

from aigc.code.extract import extract
from aigc.engines.base import Engine, GenerationParams, Message, Request, Usage, collect
from aigc.prompts import render
from aigc.verify.consensus import calls_of, probes
from aigc.verify.tests import TestCase, split_asserts


def signature_of(code: str, name: str) -> str | None:
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return None
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name:
            return f"{node.name}({ast.unparse(node.args)})"
    return None


def public_functions(code: str) -> list[str]:
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    return [
        n.name
        for n in tree.body
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and not n.name.startswith(("_", "test", "main"))
    ]


def choose_entry(requirement: str, codes: list[str], named: list[str]) -> str | None:
    """The function under test: one the requirement names (in an example or a def), else the first public
    function most candidates define."""
    defined = Counter(name for code in codes for name in dict.fromkeys(public_functions(code)))
    for name in named + public_functions(requirement):
        if name in defined or not codes:
            return name
    firsts = Counter(fs[0] for code in codes if (fs := public_functions(code)))
    return firsts.most_common(1)[0][0] if firsts else None


def write_tests(
    engine: Engine,
    requirement: str,
    signature: str,
    params: GenerationParams,
    adapt: Callable[[str], str] | None = None,
) -> tuple[list[TestCase], Usage]:
    """The model's asserts, one test each, and a probe for every distinct call they make (the inputs are
    worth running even where the expected value is wrong: see verify.consensus); `adapt` rewrites the code
    block first."""
    # One worked example first: small models otherwise answer with an implementation instead of tests.
    messages = [
        Message("system", render("tests_system")),
        Message("user", render("tests_example_user")),
        Message("assistant", render("tests_example_assistant")),
        Message("user", render("tests_user", requirement=requirement.strip(), signature=signature)),
    ]
    done = collect(engine.stream(Request.chat(messages, params)), engine.model_name)
    code = extract(done.text, "python").code
    code = adapt(code) if adapt else code
    name = signature.split("(")[0]
    tests = [t for t in split_asserts(code, "model", "model", limit=8) if name in t.code]
    return tests + probes(calls_of(code, name)), done.usage
