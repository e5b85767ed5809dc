from __future__ import annotations

import pytest

from aigc.eval.execute import judge
from aigc.eval.tasks import EvalTask
from aigc.sandbox import Sandbox

TASK = EvalTask("t", "def dbl(x):\n", "assert dbl(2) == 4\nassert dbl(-1) == -2", "simple", "dbl")


@pytest.fixture(scope="module")
def box() -> Sandbox:
    return Sandbox(backend="bwrap")


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("def dbl(x):\n    return 2 * x\n", "pass"),
        ("def dbl(x):\n    return x + 2\n", "fail"),
        ("def dbl(x):\n    return undefined\n", "error"),
        ("def dbl(x):\n    while True:\n        pass\n", "timeout"),
        ("def dbl(x):\n    return len(bytearray(4 * 2**30))\n", "memory"),
        ("", "error"),
    ],
)
def test_statuses(box: Sandbox, code: str, status: str) -> None:
    # the loop needs a short limit; the memory hog a long one (filling 1 GB takes a while on a busy machine)
    assert judge(box, TASK, code, timeout_s=2 if status == "timeout" else 20).status == status
