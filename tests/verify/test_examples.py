from __future__ import annotations

import pytest

from aigc.verify.examples import from_requirement
from aigc.verify.tests import explain_asserts, split_asserts


@pytest.mark.parametrize(
    ("requirement", "expected"),
    [
        ("写一个函数 add，例如 add(2, 3) 返回 5，add(-1, 1) 返回 0。", ["add(2, 3) == 5", "add(-1, 1) == 0"]),
        ("例如 f(2, 3) 返回 5", ["f(2, 3) == 5"]),
        ("比如输入 [3,1,2] 输出 [1,2,3]", ["__entry__([3,1,2],) == [1,2,3]"]),
        ("输入 1, 2 输出 3", ["__entry__(1, 2) == 3"]),
        ("Write f such that e.g. f(2) returns 4 and f(3) -> 9.", ["f(2) == 4", "f(3) == 9"]),
        ("is_even(4) should return true", ["is_even(4) == True"]),
        (
            'def p(s):\n    """\n    >>> p("aba")\n    True\n    >>> p("ab")\n    False\n    """',
            ["p('aba') == True", "p('ab') == False"],
        ),
        ("例如 title(“hello world”) 返回 “Hello World”", ["title('hello world') == \"Hello World\""]),
        ("写 rle(s)，例如 'aaabcc' 编码成 'a3b1c2'；空字符串返回空字符串。", ["__entry__('aaabcc',) == 'a3b1c2'"]),
        (
            "转成中文读法，比如 0 是 '零'，10 是 '十'，21 是 '二十一'。",
            ["__entry__(0,) == '零'", "__entry__(10,) == '十'", "__entry__(21,) == '二十一'"],
        ),
        ("质因数分解，例如 12 返回 [2, 2, 3]；n 小于 2 返回空列表。", ["__entry__(12,) == [2, 2, 3]"]),
        ("fib(0) 是 0，fib(1) 是 1。", ["fib(0) == 0", "fib(1) == 1"]),
        ("网格可能很大（比如 500×500 全是陆地）", []),  # no literal before the verb: no example
        ("比如 __import__('os') 变成 0", []),
        ("实现快速排序", []),
        ("例如 run(os.system('rm -rf /')) 返回 0", []),  # only literal arguments are accepted
    ],
)
def test_examples_become_tests(requirement: str, expected: list[str]) -> None:
    names = [t.name.removeprefix("example: ") for t in from_requirement(requirement)]
    assert names == expected
    assert all(t.source == "example" and t.trusted for t in from_requirement(requirement))


def test_duplicate_examples_are_kept_once() -> None:
    assert len(from_requirement("例如 f(1) 返回 2。>>> f(1)\n2\n")) == 1


def test_assert_rewrite_reports_actual_and_expected() -> None:
    code = explain_asserts("assert f(2) == 4")
    scope: dict[str, object] = {"f": lambda x: x + 1}
    with pytest.raises(AssertionError, match=r"f\(2\) returned 3, expected 4"):
        exec(code, scope)


def test_split_asserts_keeps_helpers_not_loops() -> None:
    tests = split_asserts("import math\nwhile True: pass\nassert f(1) == 1\nassert f(2) == 4\n", "model", "m")
    assert [t.name for t in tests] == ["m#1: f(1) == 1", "m#2: f(2) == 4"]
    assert "import math" in tests[0].code and "while" not in tests[0].code


def test_called_functions_name_the_interface() -> None:
    from aigc.verify.examples import called_functions

    tests = from_requirement("例如 add(2, 3) 返回 5，比如输入 [1] 输出 [1]，e.g. mul(2, 2) returns 4")
    assert called_functions(tests) == ["add", "mul"]


def test_split_asserts_keeps_the_complete_lines_of_a_block_cut_off_mid_line() -> None:
    cut = "assert f(1) == 1\nassert f(2) == 4\nassert f({'a': 1, 'b"
    assert [t.name for t in split_asserts(cut, "model", "m")] == ["m#1: f(1) == 1", "m#2: f(2) == 4"]
    assert split_asserts("def broken(:\n    pass\nassert f(1) == 1\n" + "x = 1\n" * 6 + "(", "model", "m") == []


def test_doctest_examples_are_read_as_doctest_reads_them() -> None:
    text = """Merge two sorted lists.
        >>> merge([1, 3],
        ...       [2])
        [1,
         2, 3]
      >>> merge([], [])
      []
    and it must be fast
    >>> merge([5], [1])
    [1, 5]
    then prose without a blank line
    """
    names = [t.name for t in from_requirement(text)]
    assert names == [
        "example: merge([1, 3], [2]) == [1, 2, 3]",  # continued source and expected output over lines
        "example: merge([], []) == []",
        "example: merge([5], [1]) == [1, 5]",  # the expected output's first line, prose after it
    ]
