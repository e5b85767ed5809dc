"""Runs INSIDE the sandbox (standard library only): load solution.py, run each test of tests.json in a
copy of its namespace under a per-test alarm, and print one marked JSON line with the results."""

from __future__ import annotations

import io
import json
import signal
import sys
import traceback
from types import FrameType
from typing import Any

MARK = "@@AIGC-RESULTS@@"


class TestTimeout(BaseException):
    pass


def on_alarm(signum: int, frame: FrameType | None) -> None:
    raise TestTimeout()


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


def run_one(test: dict[str, Any], namespace: dict[str, Any], entry: Any) -> dict[str, Any]:
    scope = dict(namespace)
    if entry is not None:
        scope["__entry__"] = entry
    try:
        signal.setitimer(signal.ITIMER_REAL, test["timeout"])
        exec(compile(test["code"], f"<test {test['id']}>", "exec"), scope)
        signal.setitimer(signal.ITIMER_REAL, 0)
        return {"id": test["id"], "passed": True, "error": None}
    except BaseException as exc:  # every failure of untrusted code is a result
        signal.setitimer(signal.ITIMER_REAL, 0)
        return {"id": test["id"], "passed": False, "error": describe(exc)[:500]}


def main() -> None:
    with open("tests.json", encoding="utf-8") as f:
        spec = json.load(f)
    signal.signal(signal.SIGALRM, on_alarm)
    real_stdout = sys.stdout
    sys.stdout = io.StringIO()  # what the code prints is not the harness's output
    sys.stdin = io.StringIO("")
    results: list[dict[str, Any]] = []
    import_error: str | None = None
    namespace: dict[str, Any] = {"__name__": "solution", "__file__": "solution.py"}
    try:
        signal.setitimer(signal.ITIMER_REAL, spec["import_timeout"])
        with open("solution.py", encoding="utf-8") as f:
            source = f.read()
        exec(compile(source, "solution.py", "exec"), namespace)
        signal.setitimer(signal.ITIMER_REAL, 0)
    except BaseException as exc:
        signal.setitimer(signal.ITIMER_REAL, 0)
        import_error = describe(exc)
    if import_error is None:
        entry = namespace.get(spec["entry"]) if spec.get("entry") else None
        for test in spec["tests"]:
            results.append(run_one(test, namespace, entry))
            sys.stdout = io.StringIO()
    real_stdout.write(MARK + json.dumps({"import_error": import_error, "results": results}) + "\n")
    real_stdout.flush()


main()
