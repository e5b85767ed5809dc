"""Tests from the examples a requirement (or a docstring) already gives.

    >>> add(2, 3)          doctest lines, with the expected output on the next line
    5
    例如 add(2, 3) 返回 5      比如输入 [3,1,2] 输出 [1,2,3]      e.g. f(2) returns 4      f(2) -> 4
    例如 'aaabcc' 编码成 'a3b1c2'      比如 0 是 '零'，10 是 '十'      fibonacci(0) 是 0

Only literal values are accepted (ast.literal_eval), so an example can never smuggle code in.
Examples without a function name ('输入 X 输出 Y', '例如 X 变成 Y') call the entry point with X.
"""

from __future__ import annotations

import ast
import doctest
import re

from aigc.verify.tests import TestCase, assert_test

_VALUE_END = r"(?=\s*(?:[，。；;,.!！?？）)]\s|[，。；;！？）]|$|\n|而|且|and\b|or\b))"
_CALL = r"(?P<call>[A-Za-z_][\w.]*\s*\((?:[^()]|\([^()]*\))*\))"
_ARROW = r"\s*(?:返回|输出|应返回|应该返回|结果为|结果是|得到|等于|是|为|returns?|should return|gives|is|->|=>|==|→)\s*"
_WITH_CALL = re.compile(_CALL + _ARROW + r"(?P<value>.+?)" + _VALUE_END, re.IGNORECASE)
_IO = re.compile(
    r"(?:输入|input)\s*[:：]?\s*(?P<args>.+?)\s*[，,]?\s*(?:时)?\s*(?:输出|返回|output|returns?)\s*[:：]?\s*(?P<value>.+?)"
    + _VALUE_END,
    re.IGNORECASE,
)


# "例如 'aaabcc' 编码成 'a3b1c2'", "比如 0 是 '零'，10 是 '十'": a value the entry point turns into another
_MARKER = re.compile(r"(?:例如|比如|譬如|e\.g\.|for example)[，,:：]?\s*", re.IGNORECASE)
_BECOMES = re.compile(
    r"\s*(?:返回|变成|变为|转成|转为|转换成|转换为|编码成|编码为|解码成|还原成|得到|输出|是|为|->|=>|→|becomes|gives)\s*"
)
_SENTENCE_END = re.compile(r"[。；;\n]|$")
_SEPARATOR = re.compile(r"\s*(?:[，,、]|以及|和)\s*")

_QUOTES = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'", "（": "(", "）": ")"})


def _literal(text: str) -> str | None:
    """The text as a Python literal expression, or None. Chinese quotes and trailing punctuation are tolerated."""
    text = text.strip().strip("，。；;、").replace("“", '"').replace("”", '"').replace("‘", "'").replace("’", "'")
    text = text.replace("（", "(").replace("）", ")").replace("，", ",")
    for candidate in (text.rstrip("."), text):  # "returns 9." ends a sentence more often than it means 9.0
        if candidate in ("true", "false"):
            candidate = candidate.capitalize()
        if candidate == "null":
            candidate = "None"
        try:
            ast.literal_eval(candidate)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            continue
        return candidate
    return None


def _literal_call(text: str) -> str | None:
    """'f(2, [1, 2])' with literal arguments only -> the call's source; else None."""
    try:
        node = ast.parse(text.strip(), mode="eval").body
    except SyntaxError:
        return None
    if not isinstance(node, ast.Call) or not isinstance(node.func, (ast.Name, ast.Attribute)):
        return None
    for arg in [*node.args, *(k.value for k in node.keywords)]:
        try:
            ast.literal_eval(arg)
        except ValueError:
            return None
    return ast.unparse(node)


def _doctests(text: str) -> list[tuple[str, str]]:
    """(call, expected) from the text's doctest examples, as doctest itself reads them. Lines are unindented
    first: a requirement is prose, not a docstring, and doctest refuses inconsistent indentation. Where
    prose follows the expected output without a blank line, the output's first line is the value."""
    flat = "\n".join(line.strip() for line in text.splitlines())
    pairs: list[tuple[str, str]] = []
    for example in doctest.DocTestParser().get_examples(flat):
        call = _literal_call(example.source)
        want = example.want.strip()
        if call is None or not want:
            continue
        value = _literal(want)
        if value is None and "\n" in want:
            value = _literal(want.splitlines()[0])
        if value is not None:
            pairs.append((call, ast.unparse(ast.parse(value, mode="eval")) if "\n" in value else value))
    return pairs


def _marked(text: str) -> list[tuple[str, str]]:
    """(argument, value) pairs after 例如 / 比如 / e.g.: 'LITERAL becomes LITERAL', chained by commas."""
    pairs: list[tuple[str, str]] = []
    for marker in _MARKER.finditer(text):
        end = _SENTENCE_END.search(text, marker.end())
        clause = text[marker.end() : end.start() if end else len(text)]
        while clause and (pair := _first_pair(clause)) is not None:
            arg, value, rest = pair
            pairs.append((arg, value))
            sep = _SEPARATOR.match(rest)
            clause = rest[sep.end() :] if sep else ""
    return pairs


def _first_pair(clause: str) -> tuple[str, str, str] | None:
    """The clause's leading 'LITERAL verb LITERAL' and what follows it; the shortest literals that parse."""
    for verb in _BECOMES.finditer(clause):
        arg = _literal(clause[: verb.start()])
        if arg is None:
            continue
        tail = clause[verb.end() :]
        ends = [m.start() for m in re.finditer(r"[，,、]", tail)] + [len(tail)]
        for cut in ends:
            value = _literal(tail[:cut])
            if value is not None:
                return arg, value, tail[cut:]
        return None
    return None


def from_requirement(text: str) -> list[TestCase]:
    """The requirement's own examples as tests, deduplicated, in the order they appear."""
    text = text.translate(_QUOTES)
    pairs = _doctests(text)
    for m in _WITH_CALL.finditer(text):
        call, value = _literal_call(m["call"]), _literal(m["value"])
        if call and value is not None:
            pairs.append((call, value))
    for m in _IO.finditer(text):
        args, value = _literal(m["args"]), _literal(m["value"])
        if args is not None and value is not None:
            # "输入 1, 2" is two arguments; "输入 (1, 2)" or "输入 [1, 2]" is one
            spread = isinstance(ast.literal_eval(args), tuple) and not args.lstrip().startswith("(")
            pairs.append((f"__entry__({args})" if spread else f"__entry__({args},)", value))
    pairs += [(f"__entry__({arg},)", value) for arg, value in _marked(text)]
    seen: set[str] = set()
    tests = []
    for call, value in pairs:
        code = f"assert {call} == {value}"
        if code in seen:
            continue
        seen.add(code)
        tests.append(assert_test("example", f"example: {call} == {value}"[:100], code))
    return tests


def called_functions(tests: list[TestCase]) -> list[str]:
    """The functions the examples call by name, in order (not `__entry__`): the requirement's interface."""
    names: list[str] = []
    for test in tests:
        try:
            tree = ast.parse(test.code)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and not node.func.id.startswith("__")
                and node.func.id not in names
            ):
                names.append(node.func.id)
    return names
