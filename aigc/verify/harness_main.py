"""Runs INSIDE the sandbox (standard library only): load solution.py, run each test of tests.json in a
copy of its namespace, and print one marked JSON line with the results.

The code under test runs in this process, so it could write that line itself. What it cannot forge is a
test judged by value: the host sends only the call, gets back the output's canonical text (`shown`, which
the host imports from here to put the expected value in the same form) and compares it with an expected
value the sandbox never sees.

A test's time limit is CPU time (ITIMER_PROF), which a busy machine does not use up; a wall-clock alarm
at `wall_factor` times the limit stops code that sleeps or waits. A probe (a test that sets `__output__`)
is run twice: its result is the output's canonical text, or the exception it raised, and a second run that
gives another output fails it as nondeterministic. A probe's value that does not have the type the function
is annotated to return (`-> int` answering 2.5, `-> str` answering None) fails it as "wrong type".
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import signal
import sys
import traceback
import types
import typing
from typing import Any

MARK = "@@AIGC-RESULTS@@"


class TestTimeout(BaseException):
    pass


def on_alarm(signum: int, frame: types.FrameType | None) -> None:
    raise TestTimeout()


def limit(cpu_s: float, wall_s: float) -> None:
    """Arm (or, with zeros, disarm) both timers."""
    signal.setitimer(signal.ITIMER_PROF, cpu_s)
    signal.setitimer(signal.ITIMER_REAL, wall_s)


def canonical(value: Any, depth: int = 0) -> str:
    """A text equal for equal values whatever the process: sets and dicts in sorted order (their order
    depends on string hashing, which differs between processes), floats to 10 significant digits and a
    whole float as the int it equals, so that the texts of values `==` calls equal are equal too."""
    if depth > 20:
        return "..."
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return repr(value)
        if value.is_integer() and abs(value) < 2**53:  # as the equal int is written; -0.0 as 0
            return str(int(value))
        return format(value, ".10g")
    if isinstance(value, (list, tuple)):
        inner = ", ".join(canonical(v, depth + 1) for v in value)
        return f"[{inner}]" if isinstance(value, list) else f"({inner})"
    if isinstance(value, (set, frozenset)):
        return "{" + ", ".join(sorted(canonical(v, depth + 1) for v in value)) + "}"
    if isinstance(value, dict):
        items = sorted(f"{canonical(k, depth + 1)}: {canonical(v, depth + 1)}" for k, v in value.items())
        return "{" + ", ".join(items) + "}"
    return repr(value)


def shown(value: Any) -> str:
    text = canonical(value)
    if len(text) <= 200:
        return text
    return text[:160] + " ... #" + hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()[:16]


def return_hint(entry: Any) -> Any:
    """The entry point's return annotation, or None where it has none or it cannot be resolved."""
    try:
        return typing.get_type_hints(entry).get("return") if callable(entry) else None
    except Exception:  # an annotation is the model's code: any error means no hint
        return None


def conforms(value: Any, hint: Any, depth: int = 0) -> bool:
    """Whether the value has the annotated type. Unknown or unparametrized forms pass; ints pass for float
    (PEP 484's numeric tower); the elements of lists, tuples, sets and dicts are checked, not iterators'."""
    if depth > 6 or hint is Any:
        return True
    if hint is None or hint is type(None):
        return value is None
    if hint is float:
        return isinstance(value, (int, float))
    if hint is complex:
        return isinstance(value, (int, float, complex))
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is typing.Union or origin is types.UnionType:
        return any(conforms(value, a, depth + 1) for a in args)
    if origin is typing.Literal:
        return value in args
    if origin is None:
        return isinstance(value, hint) if isinstance(hint, type) else True
    if not isinstance(origin, type):
        return True  # Annotated, Callable[...], a TypeVar's forms: not checked
    if not isinstance(value, origin):
        return False
    return _elements_conform(value, args, depth + 1)


def _elements_conform(value: Any, args: tuple[Any, ...], depth: int) -> bool:
    if not args:
        return True
    if isinstance(value, dict) and len(args) == 2:
        items = list(value.items())[:100]
        return all(conforms(k, args[0], depth) and conforms(v, args[1], depth) for k, v in items)
    if isinstance(value, tuple):
        if len(args) == 2 and args[1] is Ellipsis:
            return all(conforms(v, args[0], depth) for v in value[:100])
        return len(args) == len(value) and all(conforms(v, a, depth) for v, a in zip(value, args, strict=True))
    if isinstance(value, (list, set, frozenset)) and len(args) == 1:
        return all(conforms(v, args[0], depth) for v in list(value)[:100])
    return True


def hint_text(hint: Any) -> str:
    return hint.__name__ if isinstance(hint, type) else str(hint).replace("typing.", "")


def describe(exc: BaseException) -> str:
    if isinstance(exc, TestTimeout):
        return "timed out"
    if isinstance(exc, AssertionError):
        if str(exc):
            return f"AssertionError: {exc}"
        tb = traceback.extract_tb(exc.__traceback__)
        return f"AssertionError at: {(tb[-1].line if tb else '') or 'assert'}"
    frames = [
        f
        for f in traceback.extract_tb(exc.__traceback__)
        if f.filename == "solution.py" or f.filename.startswith("<test")
    ]
    place = ""
    if frames:
        where = frames[-1]
        code = (where.line or "").strip()
        place = f" ({where.filename} line {where.lineno}{': ' + code if code else ''})"
    return f"{type(exc).__name__}: {exc}{place}"


def execute(test: dict[str, Any], namespace: dict[str, Any], entry: Any, wall_factor: float) -> dict[str, Any]:
    scope = dict(namespace)
    if entry is not None:
        scope["__entry__"] = entry
    try:
        limit(test["timeout"], test["timeout"] * wall_factor)
        exec(compile(test["code"], f"<test {test['id']}>", "exec"), scope)
        output = shown(scope["__output__"]) if "__output__" in scope else None  # a __repr__ can loop too
        hint = return_hint(entry) if test.get("typed") and "__output__" in scope else None
        if hint is not None and not conforms(scope["__output__"], hint):
            limit(0, 0)
            kind = type(scope["__output__"]).__name__
            error = f"returned {output} (a {kind}), but the function is annotated to return {hint_text(hint)}"
            return {"id": test["id"], "passed": False, "error": error[:500], "output": f"wrong type: {kind}"}
        limit(0, 0)
    except BaseException as exc:  # every failure of untrusted code is a result
        limit(0, 0)
        failure = "timed out" if isinstance(exc, TestTimeout) else f"raises {type(exc).__name__}"
        return {"id": test["id"], "passed": False, "error": describe(exc)[:500], "output": failure}
    return {"id": test["id"], "passed": True, "error": None, "output": output}


def run_one(test: dict[str, Any], namespace: dict[str, Any], entry: Any, wall_factor: float) -> dict[str, Any]:
    first = execute(test, namespace, entry, wall_factor)
    if not first["passed"] or first["output"] is None:
        return first
    again = execute(test, namespace, entry, wall_factor)
    if again["output"] != first["output"]:
        error = f"nondeterministic: {first['output']} on one run, {again['output']} on the next"
        return {"id": test["id"], "passed": False, "error": error[:500], "output": "nondeterministic"}
    return first


def main() -> None:
    with open("tests.json", encoding="utf-8") as f:
        spec = json.load(f)
    signal.signal(signal.SIGALRM, on_alarm)
    signal.signal(signal.SIGPROF, on_alarm)
    wall_factor = float(spec.get("wall_factor", 3.0))
    real_stdout = sys.stdout
    sys.stdout = io.StringIO()  # what the code prints is not the harness's output
    sys.stdin = io.StringIO("")
    results: list[dict[str, Any]] = []
    import_error: str | None = None
    namespace: dict[str, Any] = {"__name__": "solution", "__file__": "solution.py"}
    try:
        limit(spec["import_timeout"], spec["import_timeout"] * wall_factor)
        with open("solution.py", encoding="utf-8") as f:
            source = f.read()
        exec(compile(source, "solution.py", "exec"), namespace)
        limit(0, 0)
    except BaseException as exc:
        limit(0, 0)
        import_error = describe(exc)
    if import_error is None:
        entry = namespace.get(spec["entry"]) if spec.get("entry") else None
        for test in spec["tests"]:
            results.append(run_one(test, namespace, entry, wall_factor))
            sys.stdout = io.StringIO()
    real_stdout.write(MARK + json.dumps({"import_error": import_error, "results": results}) + "\n")
    real_stdout.flush()


if __name__ == "__main__":
    main()
